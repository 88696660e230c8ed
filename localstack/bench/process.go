package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/serverless-kafka-connect/slkc/events"
	"github.com/serverless-kafka-connect/slkc/localstack/runtime"
)

// fnRun is what running one function binary in the local runtime measured.
type fnRun struct {
	Function      string
	BinaryBytes   int64
	ColdWall      []float64 // ms, Invoke call to response of the first invoke of a fresh process
	ColdInit      []float64 // ms, process start to first "next" (the runtime's Init Duration)
	Records       int
	Invokes       int
	Durations     []float64 // ms per warm invoke
	PeakRSSMB     int64
	CPU           time.Duration // user+sys of the function process over the warm invokes
	Sys           time.Duration // the sys part of CPU
	MinFlt        int64         // minor page faults over the warm invokes
	PayloadBytes  int
	RecordsPerInv int
	Errors        []string
	// Runs lists the rate of every run when the figure is the best of
	// several (empty for one run).
	Runs string
	// Cores is how many cores the whole machine kept busy over the warm
	// invokes (machineSpan), the function and everything else.
	Cores float64
	// Beside is the ceiling measured right beside this run (records/s),
	// 0 when none was: the report divides the run by it, as its goal does.
	Beside float64
}

// busy is the sum of the warm invokes' durations.
func (fr fnRun) busy() time.Duration {
	var total float64
	for _, d := range fr.Durations {
		total += d
	}
	return time.Duration(total * float64(time.Millisecond))
}

// rate is the warm invokes' records per second of invoke duration.
func (fr fnRun) rate() float64 { return Rate(float64(fr.Records), fr.busy()) }

// kafkaEvent builds the Lambda Kafka event carrying values[lo:hi] as records
// of topic partition 0, offsets from lo.
func kafkaEvent(topic string, values [][]byte, lo, hi int) ([]byte, error) {
	ev := events.KafkaEvent{EventSource: "SelfManagedKafka", BootstrapServers: "127.0.0.1:9092"}
	ts := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := lo; i < hi; i++ {
		ev.Add(events.NewKafkaRecord(topic, 0, int64(i), ts, "", nil, values[i], nil))
	}
	b, err := json.Marshal(ev)
	if err != nil {
		return nil, fmt.Errorf("bench: encoding Kafka event: %w", err)
	}
	return b, nil
}

// connectorJSON is the connector file text for SLKC_CONNECTOR_CONFIG.
func connectorJSON(name string, props map[string]string) string {
	b, _ := json.Marshal(map[string]any{"name": name, "config": props})
	return string(b)
}

// invocation is one warm invoke's payload and the records it carries
// (0: read the count from the response's "records" field, as the
// source-poller answers).
type invocation struct {
	Payload []byte
	Records int
}

// runFunction measures one function binary in the local runtime:
// coldStarts cold starts (a fresh Runner and process per start) of coldSpec
// invoked with coldPayload, then the warm invokes on one process of
// warmSpec, reading
// the process's CPU time and VmHWM from /proc around them.
//
// warmUp, when set, is invoked first on the warm process so init work is not
// in the CPU figure.
func runFunction(ctx context.Context, coldSpec runtime.FunctionSpec, coldPayload []byte, coldStarts int,
	warmSpec runtime.FunctionSpec, warmUp []byte, warm []invocation) (fnRun, error) {
	fr := fnRun{Function: warmSpec.Name}
	if st, err := os.Stat(warmSpec.Bootstrap); err == nil {
		fr.BinaryBytes = st.Size()
	}
	for i := 0; i < coldStarts; i++ {
		r, err := startRunner(ctx, coldSpec)
		if err != nil {
			return fr, err
		}
		t0 := time.Now()
		res, err := r.Invoke(ctx, coldSpec.Name, coldPayload)
		wall := time.Since(t0)
		r.Close()
		if err != nil {
			return fr, fmt.Errorf("bench: cold invoke of %s: %w", coldSpec.Name, err)
		}
		if res.FunctionError != "" {
			return fr, fmt.Errorf("bench: cold invoke of %s failed: %s: %s", coldSpec.Name, res.ErrorType, truncate(string(res.Payload), 300))
		}
		fr.ColdWall = append(fr.ColdWall, ms(wall))
		fr.ColdInit = append(fr.ColdInit, ms(res.InitDuration))
	}
	if len(warm) == 0 {
		return fr, nil
	}

	r, err := startRunner(ctx, warmSpec)
	if err != nil {
		return fr, err
	}
	defer r.Close()
	if warmUp != nil {
		if res, err := r.Invoke(ctx, warmSpec.Name, warmUp); err != nil || res.FunctionError != "" {
			return fr, fmt.Errorf("bench: warm-up invoke of %s: %v %s", warmSpec.Name, err, truncate(string(res.Payload), 300))
		}
	}
	var pid int
	var before procStat
	span := startMachineSpan()
	for i, inv := range warm {
		if i == 0 && warmUp == nil {
			// The process starts with the first invoke; its CPU then
			// includes init, which is billed too.
		} else if pid == 0 {
			if pid, before, err = theChild(warmSpec.Bootstrap); err != nil {
				return fr, err
			}
		}
		fr.PayloadBytes = max(fr.PayloadBytes, len(inv.Payload))
		res, err := r.Invoke(ctx, warmSpec.Name, inv.Payload)
		if err != nil {
			return fr, fmt.Errorf("bench: invoke of %s: %w", warmSpec.Name, err)
		}
		if res.FunctionError != "" {
			return fr, fmt.Errorf("bench: invoke of %s failed: %s: %s", warmSpec.Name, res.ErrorType, truncate(string(res.Payload), 300))
		}
		n := inv.Records
		var resp struct {
			Records           int   `json:"records"`
			StoppedByDeadline bool  `json:"stopped_by_deadline"`
			BatchItemFailures []any `json:"batchItemFailures"`
		}
		if err := json.Unmarshal(res.Payload, &resp); err == nil {
			if n == 0 {
				n = resp.Records
			}
			if len(resp.BatchItemFailures) > 0 {
				fr.Errors = append(fr.Errors, fmt.Sprintf("%d batch item failures", len(resp.BatchItemFailures)))
			}
			if resp.StoppedByDeadline {
				fr.Errors = append(fr.Errors, "stopped by deadline")
			}
		}
		fr.Invokes++
		fr.Records += n
		fr.RecordsPerInv = max(fr.RecordsPerInv, n)
		fr.Durations = append(fr.Durations, ms(res.Duration+res.InitDuration))
		fr.PeakRSSMB = max(fr.PeakRSSMB, res.MaxMemoryMB)
		if pid == 0 {
			if pid, before, err = theChild(warmSpec.Bootstrap); err != nil {
				return fr, err
			}
			before = procStat{} // count everything since the process started
		}
	}
	fr.Cores = span.cores()
	after, err := readProc(pid)
	if err != nil {
		return fr, fmt.Errorf("bench: reading /proc of %s: %w", warmSpec.Name, err)
	}
	fr.CPU, fr.Sys, fr.MinFlt = after.CPU-before.CPU, after.Sys-before.Sys, after.MinFlt-before.MinFlt
	fr.PeakRSSMB = max(fr.PeakRSSMB, after.HWMKB/1024)
	return fr, nil
}

// theChild finds the single running process of exe started by this process.
func theChild(exe string) (int, procStat, error) {
	pids := childrenRunning(exe)
	if len(pids) != 1 {
		return 0, procStat{}, fmt.Errorf("bench: found %d processes of %s, want 1", len(pids), exe)
	}
	ps, err := readProc(pids[0])
	if err != nil {
		return 0, ps, fmt.Errorf("bench: reading /proc/%d: %w", pids[0], err)
	}
	return pids[0], ps, nil
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// startRunner starts a local runtime serving specs on a free loopback port,
// with the functions' output discarded and logs to slog.Default; the caller
// closes it.
func startRunner(ctx context.Context, specs ...runtime.FunctionSpec) (*runtime.Runner, error) {
	names := make([]string, len(specs))
	for i, s := range specs {
		names[i] = s.Name
	}
	r, err := runtime.New(specs...)
	if err != nil {
		return nil, fmt.Errorf("bench: runtime for %s: %w", strings.Join(names, ", "), err)
	}
	r.Output = discard{}
	r.Logger = slog.Default()
	if err := r.Start(ctx, "127.0.0.1:0"); err != nil {
		return nil, fmt.Errorf("bench: starting runtime for %s: %w", strings.Join(names, ", "), err)
	}
	return r, nil
}
