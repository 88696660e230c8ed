package main

import (
	"fmt"
	"time"
)

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

// Always-on prices, us-east-1, from https://aws.amazon.com/lambda/pricing/
// (section "Provisioned Mode for Event Source Mapping (ESM) Pricing" and its
// pricing examples, read 2026-12-03): a Kafka (MSK or self-managed) event
// source mapping in provisioned mode is billed in Event Poller Units, $0.185
// per EPU-hour, each EPU holding up to 10 event pollers by default; the
// minimum pollers are billed around the clock, whether or not records
// arrive. A mapping that is not in a poller group uses at least one EPU.
// On-demand mode (no ProvisionedPollerConfig) has no poller charge.
const (
	PriceKafkaEPUHour  = 0.185
	KafkaPollersPerEPU = 10
	// HoursPerMonth is an average month (365 × 24 / 12); the pricing
	// page's examples use 720.
	HoursPerMonth = 730
)

// AlwaysOn is a cost that does not depend on records: billed per month
// whether or not data flows.
type AlwaysOn struct {
	What    string
	Dollars float64 // per month
	How     string  // the arithmetic, for the report note
}

// ProvisionedPollersMonthly is the poller charge of one Kafka event source
// mapping (one topic: a sink connector has one mapping per topic) with
// minPollers provisioned and no poller group: whole EPUs for the minimum,
// around the clock. Autoscaling above the minimum adds to it under load.
func ProvisionedPollersMonthly(minPollers int) AlwaysOn {
	epus := (minPollers + KafkaPollersPerEPU - 1) / KafkaPollersPerEPU
	d := float64(epus) * HoursPerMonth * PriceKafkaEPUHour
	return AlwaysOn{
		What:    fmt.Sprintf("sink, provisioned pollers (min %d), per topic mapping", minPollers),
		Dollars: d,
		How:     fmt.Sprintf("%d EPU × %d h × $%.3f/EPU-h", epus, HoursPerMonth, PriceKafkaEPUHour),
	}
}

// PollLoopMonthly is the cost of a source whose poll.interval.ms is below
// EventBridge's one-minute granularity: the schedule fires every minute and
// the poller loops inside the invocation for loopWindow (the CDK app sets
// SLKC_POLL_LOOP_MS to the one-minute period), so the function is billed
// for loopWindow of every minute at memoryMB, plus one request a minute,
// even when the table has no new rows.
func PollLoopMonthly(memoryMB int, loopWindow time.Duration) AlwaysOn {
	runs := HoursPerMonth * 60.0
	gbs := float64(memoryMB) / 1024 * loopWindow.Seconds() * runs
	d := gbs*PriceArmPerGBSecond + runs*PricePerRequest
	return AlwaysOn{
		What:    fmt.Sprintf("source, poll.interval.ms < 60 s (poll loop), %d MB", memoryMB),
		Dollars: d,
		How: fmt.Sprintf("%.0f runs × %.0f s × %.3f GB × $%.10f/GB-s + %.0f requests × $0.20/1M",
			runs, loopWindow.Seconds(), float64(memoryMB)/1024, PriceArmPerGBSecond, runs),
	}
}
