package main

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/serverless-kafka-connect/slkc/connectors/mysql"
	"github.com/serverless-kafka-connect/slkc/localstack/bridge"
	"github.com/serverless-kafka-connect/slkc/localstack/runtime"
)

// sinkPathResult is what the sink path run measured: a backlog already in
// Kafka drained by the bridge into the sink-handler binary into MySQL.
type sinkPathResult struct {
	Records int
	// BridgeStart is when the bridge started; FirstInvoke when the
	// sink-handler's first invoke began (after the group join, the first
	// fetch and the function's cold start); LastArrived when the last row
	// was written (MySQL's clock, the same machine).
	BridgeStart, FirstInvoke, LastArrived time.Time
	SinkStats                             runtime.Stats
	BridgeStats                           bridge.Stats
}

// drain is the backlog's time from the first invoke to the last row: the
// path's throughput once records flow.
func (r sinkPathResult) drain() time.Duration { return r.LastArrived.Sub(r.FirstInvoke) }

// produceValues writes values to topic (no keys, the client's default
// partitioner, uncompressed like the source with Kafka's default
// compression.type) and waits for every ack.
func (e *env) produceValues(ctx context.Context, topic string, values [][]byte) error {
	cl, err := kgo.NewClient(kgo.SeedBrokers(e.bootstrap), kgo.DefaultProduceTopic(topic), kgo.ProducerLinger(5*time.Millisecond),
		kgo.ProducerBatchCompression(kgo.NoCompression()))
	if err != nil {
		return fmt.Errorf("bench: producer: %w", err)
	}
	defer cl.Close()
	var mu sync.Mutex
	var first error
	for _, v := range values {
		cl.Produce(ctx, &kgo.Record{Value: v}, func(_ *kgo.Record, err error) {
			mu.Lock()
			if err != nil && first == nil {
				first = err
			}
			mu.Unlock()
		})
	}
	if err := cl.Flush(ctx); err != nil {
		return fmt.Errorf("bench: producing to %s: %w", topic, err)
	}
	if first != nil {
		return fmt.Errorf("bench: producing to %s: %w", topic, first)
	}
	return nil
}

// runSinkPath measures the sink path the way the issue names the full
// local path, bridge -> function -> MariaDB: the values are produced to a
// fresh topic first, then the bridge (concurrency 1, 6 MB events, the
// given batching window) feeds them to the sink-handler binary in the
// local runtime, which upserts them into a fresh table. Nothing else runs
// meanwhile (the source is measured on its own, and with the sink in the
// end-to-end run). rep numbers the run: each gets its own table, topic
// and state tables.
func (e *env) runSinkPath(ctx context.Context, buildDir, profDir string, partitions int32, memoryMB int, values [][]byte,
	window time.Duration, rep int) (sinkPathResult, error) {
	res := sinkPathResult{Records: len(values)}
	dst := fmt.Sprintf("path_dst_%d", rep)
	if _, err := e.db.ExecContext(ctx, fmt.Sprintf(e2eDstDDL, dst)); err != nil {
		return res, fmt.Errorf("bench: creating %s: %w", dst, err)
	}
	topic, err := e.newTopic(ctx, fmt.Sprintf("slkc-bench-%s-path%d", e.runID, rep), partitions)
	if err != nil {
		return res, err
	}
	if err := e.produceValues(ctx, topic, values); err != nil {
		return res, err
	}
	tables, err := e.stateTables(ctx, fmt.Sprintf("path%d", rep))
	if err != nil {
		return res, err
	}
	cfg := e.pipelineProps()
	maps.Copy(cfg, e.mysqlSinkPropsMap(topic, dst, mysql.SinkClass))
	fn := "bench-path-sink"
	r, err := startRunner(ctx, e.pipelineSpec(buildDir, profDir, "path-", fn, "sink-handler", memoryMB, tables, cfg))
	if err != nil {
		return res, err
	}
	defer r.Close()
	br, err := e.sinkBridge(r, fn, topic, window)
	if err != nil {
		return res, err
	}
	pctx, cancel := context.WithCancel(ctx)
	errc := make(chan error, 1)
	res.BridgeStart = time.Now()
	go func() { errc <- br.Run(pctx) }()
	waitErr := e.waitRows(ctx, dst, 0, len(values), 4*time.Minute)
	cancel()
	if err := <-errc; err != nil && !errors.Is(err, context.Canceled) && waitErr == nil {
		waitErr = fmt.Errorf("bench: bridge stopped: %w", err)
	}
	if waitErr != nil {
		return res, waitErr
	}
	if err := e.db.QueryRowContext(ctx, fmt.Sprintf("SELECT MAX(arrived) FROM %s", dst)).Scan(&res.LastArrived); err != nil {
		return res, fmt.Errorf("bench: reading the last arrival: %w", err)
	}
	e.dropMeasured(ctx, dst)
	res.SinkStats, _ = r.Stats(fn)
	res.BridgeStats = br.Stats()
	if len(res.SinkStats.Recent) == 0 {
		return res, fmt.Errorf("bench: the sink-handler has no invokes on record")
	}
	res.FirstInvoke = res.SinkStats.Recent[0].Start
	if len(res.SinkStats.Recent) < res.SinkStats.Invocations {
		return res, fmt.Errorf("bench: %d invokes, only the last %d on record: fewer records", res.SinkStats.Invocations, len(res.SinkStats.Recent))
	}
	return res, nil
}

// sinkPath runs runSinkPath -reps times on the first -e2e-rows records of
// d, the 200 B data set, and reports the best run (section "e2e"), as the
// sink figures and their raw upsert ceiling are. Each run follows a raw
// upsert of as many of the same rows: the full local path's goal divides
// the pairs (pairedRatio). A single run of about ten invokes moves by
// ±15 % from run to run on the shared cores.
func (b *bench) sinkPath(ctx context.Context, d *dataset) {
	values := b.sink[d.Label].Values
	values = values[:min(len(values), b.o.E2ERows)]
	if len(values) == 0 {
		b.rep.Skip("sink path", fmt.Errorf("no 200 B sink records loaded"))
		return
	}
	// Profiles: the bench process (runtime, bridge, and the client side
	// of the raw upserts) and the sink-handler binary, over the whole run.
	prof, profDir := b.pipelineProfile("path-bench")
	done := b.step(fmt.Sprintf("sink path: %d records in Kafka -> bridge -> sink-handler -> MySQL, %d runs", len(values), b.o.Reps))
	var res sinkPathResult
	var best, bestCeil float64
	var rates []string
	var err error
	rows := b.rows[d.Label][:min(len(b.rows[d.Label]), len(values))]
	for rep := range b.o.Reps {
		// The goal's ceiling, beside each run: the raw upsert of as
		// many of the same rows in 10k-row transactions.
		var ceil float64
		if ceil, _, err = b.goalCeiling(ctx, d, rows, fmt.Sprint("path", rep)); err != nil {
			break
		}
		var r sinkPathResult
		r, err = b.e.runSinkPath(ctx, b.o.BuildDir, profDir, int32(b.o.Partitions), b.o.MemoryMB, values, b.o.PathWindow, rep)
		if err != nil {
			break
		}
		rate := Rate(float64(r.Records), r.drain())
		rates = append(rates, FormatNumber(rate))
		b.pairs[pairPath] = append(b.pairs[pairPath], pair{rate, ceil})
		if rate > best {
			best, res, bestCeil = rate, r, ceil
		}
	}
	done()
	if prof != nil {
		b.stopProfile(prof, "path-bench")
		b.rep.Profiles["path-sink-handler-binary cpu"] = pprofTop(15, filepath.Join(profDir, "path-sink-handler.cpu.pprof"))
	}
	if err != nil {
		b.rep.Skip("sink path", err)
		return
	}
	b.pathRate = best
	u := use(res.SinkStats, res.FirstInvoke, res.LastArrived)
	b.rep.Add(Figure{Section: "e2e", Name: "Kafka -> bridge -> sink-handler -> MySQL", Value: b.pathRate, Unit: "records/s",
		Ceiling: bestCeil, CeilingName: "raw upsert right before this run",
		Note: fmt.Sprintf("%d records of the 200 B rows produced first; first invoke -> last row %.2f s: %d invokes %.2f s (%.0f ms each), gaps %.2f s (%.0f ms each); bridge start -> first invoke %.2f s (group join, first fetch, cold start), not counted; concurrency 1, batching window %s, %d batches (%d staged ahead); %s",
			res.Records, res.drain().Seconds(), u.Invokes, u.Busy.Seconds(), ms(u.Busy)/float64(max(u.Invokes, 1)), u.Gaps.Seconds(), ms(u.Gaps)/float64(max(u.Invokes-1, 1)),
			res.FirstInvoke.Sub(res.BridgeStart).Seconds(), b.o.PathWindow, res.BridgeStats.Batches, res.BridgeStats.Staged, bestOf(rates))})
}
