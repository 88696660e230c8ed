package main

import "time"

// Lambda arm64 prices, us-east-1, first pricing tier, from
// https://aws.amazon.com/lambda/pricing/ (checked 2026-11): duration
// $0.0000133334 per GB-second for Arm, requests $0.20 per 1M.
const (
	PriceArmPerGBSecond = 0.0000133334
	PricePerRequest     = 0.20 / 1e6
	// MBPerVCPU is the memory size at which Lambda gives a function one
	// full vCPU; CPU share is proportional below it
	// (https://docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html).
	MBPerVCPU = 1769
)

// CostModel estimates what Lambda would bill for work whose CPU time was
// measured locally. Lambda bills wall time × configured memory; at MemoryMB
// below MBPerVCPU the function gets MemoryMB/MBPerVCPU of a vCPU, so
// CPU-bound work takes cpu/share seconds there. The estimate takes the
// larger of that and the locally measured wall time per record (I/O waits),
// which assumes the local services are as fast as their AWS counterparts.
type CostModel struct {
	MemoryMB int
	// RecordsPerInvoke spreads the request price over the records of one
	// invocation.
	RecordsPerInvoke float64
}

// CPUShare is the fraction of a vCPU a function of m.MemoryMB gets (at most 1).
func (m CostModel) CPUShare() float64 {
	s := float64(m.MemoryMB) / MBPerVCPU
	if s > 1 {
		return 1
	}
	return s
}

// BilledSecondsPerRecord is the estimated billed duration per record.
func (m CostModel) BilledSecondsPerRecord(cpuPerRecord, wallPerRecord time.Duration) float64 {
	cpu := cpuPerRecord.Seconds() / m.CPUShare()
	if w := wallPerRecord.Seconds(); w > cpu {
		return w
	}
	return cpu
}

// DollarsPerMillion is the estimated cost of one million records: duration
// (GB-seconds at MemoryMB) plus requests.
func (m CostModel) DollarsPerMillion(cpuPerRecord, wallPerRecord time.Duration) float64 {
	gbs := float64(m.MemoryMB) / 1024 * m.BilledSecondsPerRecord(cpuPerRecord, wallPerRecord) * 1e6
	req := 0.0
	if m.RecordsPerInvoke > 0 {
		req = 1e6 / m.RecordsPerInvoke * PricePerRequest
	}
	return gbs*PriceArmPerGBSecond + req
}
