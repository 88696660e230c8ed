package main

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/serverless-kafka-connect/slkc/connectors/mysql"
	"github.com/serverless-kafka-connect/slkc/shared/kafka"
	"github.com/serverless-kafka-connect/slkc/shared/sourcetask"
	"github.com/serverless-kafka-connect/slkc/shared/state"
)

// Scale figures (tasks.max and the parallel initial load), section
// "scale":
//
//   - ScaleTables tables of ScaleRows rows read by a source with tasks.max
//     1, 4 and 10: every task is its own sourcetask.Task with its own MySQL
//     source (connection pool) and Kafka client, as separate Lambda
//     invocations would be, all started at once; the figure is the wall
//     time from the start until every task has drained its tables (every
//     row acknowledged by Kafka and its offset committed);
//   - one table of ScaleBigRows rows read by one task without chunking and
//     with initial.load.max.parallelism ScaleChunks;
//   - the ceilings those are bounded by, at the same concurrency: raw
//     SELECT scans of the tables over K connections and raw produce of the
//     same bytes with K clients (K = the largest tasks.max).
//
// The tasks run in this process, so on a small machine they share its
// cores with MariaDB, Kafka and DynamoDB Local: the figures flatten as soon
// as the machine is busy, which the ceilings at the same concurrency show.

// EnvScaleBigRows overrides -scale-big-rows' default (the figure is
// 5,000,000 rows; the default is smaller so `make bench` stays short).
const EnvScaleBigRows = "SLKC_BENCH_BIG_ROWS"

// defaultScaleBigRows is -scale-big-rows' default without EnvScaleBigRows.
const defaultScaleBigRows = 1_000_000

func scaleBigRowsDefault() int {
	if n, err := strconv.Atoi(getenv(EnvScaleBigRows, "")); err == nil && n > 0 {
		return n
	}
	return defaultScaleBigRows
}

// parseTasks parses -scale-tasks ("1,4,10").
func parseTasks(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 || n > 100 {
			return nil, fmt.Errorf("-scale-tasks %q: want a comma list of tasks.max values 1..100", s)
		}
		out = append(out, n)
	}
	return out, nil
}

// scaleRun is one multi-task read.
type scaleRun struct {
	Records int
	Elapsed time.Duration
	CPU     time.Duration
	// PerTask is the records each task read; Busy each task's own time.
	PerTask []int
	Busy    []time.Duration
}

func (b *bench) scale(ctx context.Context) error {
	o := b.o
	tasks, err := parseTasks(o.ScaleTasks)
	if err != nil {
		return err
	}
	maxTasks := 1
	for _, n := range tasks {
		maxTasks = max(maxTasks, n)
	}
	done := b.step(fmt.Sprintf("seeding %d tables of %d rows", o.ScaleTables, o.ScaleRows))
	start := time.Now()
	var names []string
	sets := make([]*dataset, o.ScaleTables)
	for i := range o.ScaleTables {
		sets[i] = &dataset{Label: "scale", Table: fmt.Sprintf("s%03d", i), Rows: o.ScaleRows, RowBytes: 200}
		if _, err := seed(ctx, b.e.db, sets[i]); err != nil {
			done()
			return err
		}
		names = append(names, sets[i].Table)
	}
	done()
	b.rep.Add(Figure{Section: "scale", Name: fmt.Sprintf("seed %d tables × %d rows", o.ScaleTables, o.ScaleRows),
		Value: Rate(float64(o.ScaleTables*o.ScaleRows), time.Since(start)), Unit: "rows/s"})
	prefix := "slkc-bench-" + b.e.runID + "-scale-"
	for _, n := range names {
		if _, err := b.e.newTopic(ctx, prefix+n, 1); err != nil {
			return err
		}
	}
	total := o.ScaleTables * o.ScaleRows

	done = b.step(fmt.Sprintf("scan ceiling over %d connections", maxTasks))
	scanRate, err := parallelScan(ctx, b.e.db, sets, maxTasks)
	done()
	if err != nil {
		return err
	}
	b.rep.Add(Figure{Section: "scale", Name: fmt.Sprintf("ceiling: raw SELECT of the %d tables, %d connections", o.ScaleTables, maxTasks),
		Value: scanRate, Unit: "rows/s", Note: "MySQL ceiling for the model: go-sql-driver RawBytes, no conversion"})
	done = b.step(fmt.Sprintf("produce ceiling with %d clients", maxTasks))
	prodRate, err := b.parallelProduce(ctx, sets, maxTasks)
	done()
	if err != nil {
		return err
	}
	b.rep.Add(Figure{Section: "scale", Name: fmt.Sprintf("ceiling: raw produce of the same rows, %d clients", maxTasks),
		Value: prodRate, Unit: "rows/s", Note: "Kafka ceiling for the model: franz-go, acks=all, idempotent"})
	ceiling := min(scanRate, prodRate)

	var single float64
	for _, n := range tasks {
		done := b.step(fmt.Sprintf("%d tables with tasks.max %d", o.ScaleTables, n))
		r, err := b.runTasks(ctx, n, map[string]string{"table.whitelist": strings.Join(names, ","), "topic.prefix": prefix},
			fmt.Sprintf("scale-t%d", n))
		done()
		if err != nil {
			return err
		}
		if r.Records != total {
			return fmt.Errorf("bench: tasks.max %d read %d rows, want %d", n, r.Records, total)
		}
		rate := Rate(float64(r.Records), r.Elapsed)
		if n == 1 {
			single = rate
		}
		note := fmt.Sprintf("wall %s until every row was acknowledged; rows per task %v; CPU %s", r.Elapsed.Round(time.Millisecond),
			r.PerTask, r.CPU.Round(time.Millisecond))
		if single > 0 && n > 1 {
			note += fmt.Sprintf("; speed-up %.2f× over tasks.max 1", rate/single)
		}
		b.rep.Add(Figure{Section: "scale", Name: fmt.Sprintf("%d tables × %d rows, tasks.max %d", o.ScaleTables, o.ScaleRows, n),
			Value: rate, Unit: "rows/s", Ceiling: ceiling, CeilingName: "min(scan, produce) ceiling", Note: note})
	}

	big := &dataset{Label: "big", Table: "sbig", Rows: o.ScaleBigRows, RowBytes: 200}
	done = b.step(fmt.Sprintf("seeding %s (%d rows)", big.Table, big.Rows))
	if _, err := seed(ctx, b.e.db, big); err != nil {
		done()
		return err
	}
	done()
	if _, err := b.e.newTopic(ctx, prefix+big.Table, int32(o.Partitions)); err != nil {
		return err
	}
	var plain float64
	for _, p := range []int{1, o.ScaleChunks} {
		what := "without chunking"
		if p > 1 {
			what = fmt.Sprintf("initial.load.max.parallelism %d", p)
		}
		done := b.step(fmt.Sprintf("%d-row table, %s", big.Rows, what))
		r, err := b.runTasks(ctx, 1, map[string]string{"table.whitelist": big.Table, "topic.prefix": prefix,
			mysql.KeyInitialLoadMaxParallelism: strconv.Itoa(p)}, fmt.Sprintf("scale-big-p%d", p))
		done()
		if err != nil {
			return err
		}
		if r.Records != big.Rows {
			return fmt.Errorf("bench: %s read %d rows, want %d", what, r.Records, big.Rows)
		}
		rate := Rate(float64(r.Records), r.Elapsed)
		note := fmt.Sprintf("wall %s, one task; CPU %s", r.Elapsed.Round(time.Millisecond), r.CPU.Round(time.Millisecond))
		if p == 1 {
			plain = rate
		} else if plain > 0 {
			note += fmt.Sprintf("; speed-up %.2f× over no chunking", rate/plain)
		}
		b.rep.Add(Figure{Section: "scale", Name: fmt.Sprintf("%d-row table initial load, %s", big.Rows, what),
			Value: rate, Unit: "rows/s", Ceiling: ceiling, CeilingName: "min(scan, produce) ceiling", Note: note})
	}
	return nil
}

// runTasks runs tasks 0..n-1 of one connector at once over fresh state
// tables, each with its own source and producer, each RunTask draining its
// tables (no deadline), and returns when all are done.
func (b *bench) runTasks(ctx context.Context, n int, props map[string]string, suffix string) (scaleRun, error) {
	tables, err := b.e.stateTables(ctx, suffix)
	if err != nil {
		return scaleRun{}, err
	}
	p := map[string]string{"connection.url": b.e.DSN(false), "mode": "incrementing", "incrementing.column.name": "id",
		"batch.max.rows": strconv.Itoa(b.o.Page)}
	for k, v := range props {
		p[k] = v
	}
	cfg, err := mysql.ParseSourceConfig(p)
	if err != nil {
		return scaleRun{}, fmt.Errorf("bench: source config: %w", err)
	}
	keyConv, valConv, err := jsonConverters()
	if err != nil {
		return scaleRun{}, err
	}
	ts := make([]*sourcetask.Task, n)
	for id := range n {
		src, err := mysql.OpenSource(cfg)
		if err != nil {
			return scaleRun{}, fmt.Errorf("bench: opening source: %w", err)
		}
		defer src.Close()
		cl, err := kafka.NewClient(ctx, kafka.Config{Bootstrap: []string{b.e.bootstrap}})
		if err != nil {
			return scaleRun{}, fmt.Errorf("bench: source producer: %w", err)
		}
		defer cl.Close()
		ts[id] = &sourcetask.Task{Name: "bench-" + suffix, Source: src, Producer: cl, KeyConv: keyConv, ValueConv: valConv,
			Offsets: state.NewOffsetStore(b.e.ddb, tables.Offsets), Leases: state.NewLeaseStore(b.e.ddb, tables.Leases),
			Status: state.NewStatusStore(b.e.ddb, tables.Status), WorkerID: fmt.Sprintf("bench-%d", id), Logger: quiet, TasksMax: n}
	}
	rctx, cancel := context.WithTimeout(ctx, 30*time.Minute)
	defer cancel()
	out := scaleRun{PerTask: make([]int, n), Busy: make([]time.Duration, n)}
	errs := make([]error, n)
	var wg sync.WaitGroup
	cpu0 := cpuTime()
	start := time.Now()
	for id := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t0 := time.Now()
			res, err := ts[id].RunTask(rctx, fmt.Sprintf("bench-%s-%d", suffix, id), id)
			out.PerTask[id], out.Busy[id], errs[id] = res.Records, time.Since(t0), err
			if err == nil && (res.Skipped || res.PartitionsHeld > 0 || res.StoppedByDeadline) {
				errs[id] = fmt.Errorf("task %d did not drain its tables: %+v", id, res)
			}
		}()
	}
	wg.Wait()
	out.Elapsed = time.Since(start)
	out.CPU = cpuTime() - cpu0
	for id, err := range errs {
		if err != nil {
			return out, fmt.Errorf("bench: %s task %d: %w", suffix, id, err)
		}
		out.Records += out.PerTask[id]
	}
	return out, nil
}

// parallelScan scans every table raw over k connections at once and
// returns the aggregate rows/s.
func parallelScan(ctx context.Context, db *sql.DB, sets []*dataset, k int) (float64, error) {
	work := make(chan *dataset, len(sets))
	for _, d := range sets {
		work <- d
	}
	close(work)
	var mu sync.Mutex
	var rows int
	var first error
	var wg sync.WaitGroup
	start := time.Now()
	for range k {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for d := range work {
				r, err := scanCeiling(ctx, db, d)
				mu.Lock()
				rows += r.Rows
				if err != nil && first == nil {
					first = err
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return Rate(float64(rows), time.Since(start)), first
}

// parallelProduce produces the rows of sets (their measured sizes) with k
// clients at once, each to its own topic, and returns the aggregate rows/s.
func (b *bench) parallelProduce(ctx context.Context, sets []*dataset, k int) (float64, error) {
	var all []int32
	for _, d := range sets {
		all = append(all, d.Sizes...)
	}
	share := (len(all) + k - 1) / k
	topics := make([]string, k)
	for i := range k {
		t, err := b.e.newTopic(ctx, fmt.Sprintf("slkc-bench-%s-scale-raw-%d", b.e.runID, i), 1)
		if err != nil {
			return 0, err
		}
		topics[i] = t
	}
	var mu sync.Mutex
	var recs int
	var first error
	var wg sync.WaitGroup
	start := time.Now()
	for i := range k {
		lo, hi := min(i*share, len(all)), min((i+1)*share, len(all))
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := produceCeiling(ctx, b.e.bootstrap, topics[i], all[lo:hi], 0)
			mu.Lock()
			recs += r.Records
			if err != nil && first == nil {
				first = err
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	return Rate(float64(recs), time.Since(start)), first
}
