package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"sync/atomic"
	"time"

	"github.com/serverless-kafka-connect/slkc/localstack/bridge"
)

// bridgeChildEnv, when set to a bridgeSpec as JSON, makes the bench binary
// run one bridge and report its own peak RSS instead of benchmarking: the
// bridge's memory is measured in a process holding nothing else.
const bridgeChildEnv = "SLKC_BENCH_BRIDGE_CHILD"

// bridgeSpec is what the bridge child consumes.
type bridgeSpec struct {
	Bootstrap, Topic, Group string
	Records                 int           // records to deliver before reporting
	Invoke                  time.Duration // how long each invoke takes
}

// bridgeReport is what the child prints as one JSON line.
type bridgeReport struct {
	PeakRSSKB     int64
	Events        int64
	Delivered     int64
	MaxEventBytes int64
	Elapsed       time.Duration
}

// sleepInvoker stands for the function: it takes the same time for every
// event and keeps nothing.
type sleepInvoker struct {
	d             time.Duration
	events, maxSz atomic.Int64
}

func (s *sleepInvoker) Invoke(ctx context.Context, _ string, payload []byte) (bridge.InvokeResult, error) {
	s.events.Add(1)
	if n := int64(len(payload)); n > s.maxSz.Load() {
		s.maxSz.Store(n) // one invoke at a time (concurrency 1)
	}
	select {
	case <-ctx.Done():
		return bridge.InvokeResult{}, ctx.Err()
	case <-time.After(s.d):
	}
	return bridge.InvokeResult{StatusCode: 200, Payload: []byte("null")}, nil
}

// bridgeChild runs the bridge of spec at concurrency 1 with 6 MB events
// until it has delivered spec.Records, then prints a bridgeReport.
func bridgeChild(specJSON string) int {
	var spec bridgeSpec
	if err := json.Unmarshal([]byte(specJSON), &spec); err != nil {
		fmt.Fprintln(os.Stderr, "bench: bridge child spec:", err)
		return 2
	}
	inv := &sleepInvoker{d: spec.Invoke}
	br, err := bridge.New(bridge.Mapping{FunctionName: "bench-bridge-memory", Topics: []string{spec.Topic}, Bootstrap: spec.Bootstrap,
		ConsumerGroup: spec.Group, BatchSize: bridge.MaxBatchSize, StartingPosition: bridge.TrimHorizon, MaximumRetryAttempts: -1,
		Concurrency: 1}, inv, slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench: bridge child:", err)
		return 1
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	done := make(chan error, 1)
	start := time.Now()
	go func() { done <- br.Run(ctx) }()
	for br.Stats().Delivered < int64(spec.Records) && ctx.Err() == nil {
		time.Sleep(20 * time.Millisecond)
	}
	el := time.Since(start)
	cancel()
	if err := <-done; err != nil {
		fmt.Fprintln(os.Stderr, "bench: bridge child:", err)
		return 1
	}
	st, _ := os.ReadFile("/proc/self/status")
	rep := bridgeReport{PeakRSSKB: parseHWM(string(st)), Events: inv.events.Load(), Delivered: br.Stats().Delivered,
		MaxEventBytes: inv.maxSz.Load(), Elapsed: el}
	if rep.Delivered < int64(spec.Records) {
		fmt.Fprintf(os.Stderr, "bench: bridge child delivered %d of %d records in %s\n", rep.Delivered, spec.Records, el)
		return 1
	}
	out, _ := json.Marshal(rep)
	fmt.Println(string(out))
	return 0
}

// bridgeMemoryBound is the documented bound of the bridge's peak RSS in
// MiB at concurrency c (README "Bridge prefetch and memory"): live records
// are at most (4c + 3) events of E = 6 MiB. Per slot: the running event,
// the staged one (twice while its event is built: the records' JSON is
// copied into the event, then points into it) and one batch queued. Then
// the fetch buffered in the Kafka client (FetchMaxBytes = E, freed once
// every record of it is polled), the next fetch it reads, and one event
// of floating garbage (what is allocated while the GC marks counts as live
// for that cycle). The Go heap grows to twice its live size (GOGC=100)
// and RSS keeps up to half as much again in pages not yet returned and GC
// overshoot: factor 3. Plus the baseline of a Go process with a Kafka
// client.
func bridgeMemoryBound(c int) float64 {
	e := float64(bridge.MaxPayloadBytes) / (1 << 20)
	return 3*float64(4*c+3)*e + bridgeBaselineMB
}

// bridgeBaselineMB is the RSS in MiB of the bridge child before it consumes
// anything (the bench binary with its Kafka client started: 19 MiB
// measured), rounded up.
const bridgeBaselineMB = 20

// bridgeMemory measures the bridge's peak RSS at concurrency 1 on events of
// 6 MB: records of 1 KB, so each event is full by size.
func (b *bench) bridgeMemory(ctx context.Context) {
	const records, size = 60_000, 1000
	done := b.step(fmt.Sprintf("bridge memory: %d records of %d B, concurrency 1, 6 MB events", records, size))
	defer done()
	topic, err := b.e.newTopic(ctx, "slkc-bench-"+b.e.runID+"-bridge-memory", int32(b.o.Partitions))
	if err != nil {
		b.rep.Skip("bridge memory", err)
		return
	}
	sizes := make([]int32, records)
	for i := range sizes {
		sizes[i] = size
	}
	if _, err := produceCeiling(ctx, b.e.bootstrap, topic, sizes, 0); err != nil {
		b.rep.Skip("bridge memory", err)
		return
	}
	exe, err := os.Executable()
	if err != nil {
		b.rep.Skip("bridge memory", err)
		return
	}
	spec, _ := json.Marshal(bridgeSpec{Bootstrap: b.e.bootstrap, Topic: topic, Group: topic, Records: records + 1, Invoke: 50 * time.Millisecond})
	cmd := exec.CommandContext(ctx, exe)
	cmd.Env = append(os.Environ(), bridgeChildEnv+"="+string(spec))
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		b.rep.Skip("bridge memory", fmt.Errorf("bridge child: %w: %s", err, truncate(stderr.String(), 500)))
		return
	}
	var rep bridgeReport
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		b.rep.Skip("bridge memory", fmt.Errorf("bridge child output %q: %w", truncate(out.String(), 200), err))
		return
	}
	bound := bridgeMemoryBound(1)
	b.bridgeRSS = float64(rep.PeakRSSKB) / 1024
	b.rep.Add(Figure{Section: "bridge", Name: "bridge peak RSS, concurrency 1, 6 MB events", Value: float64(rep.PeakRSSKB) / 1024, Unit: "MiB",
		Ceiling: bound, CeilingName: "documented bound",
		Note: fmt.Sprintf("%d records of %d B in %d events (largest %.2f MB), invoke 50 ms, %s; bound 3 × (4c + 3) × 6 MiB + %d MiB baseline at c = 1; target ≤ 150 MiB",
			rep.Delivered, size, rep.Events, float64(rep.MaxEventBytes)/(1<<20), rep.Elapsed.Round(time.Millisecond), bridgeBaselineMB)})
}
