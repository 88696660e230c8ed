package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/serverless-kafka-connect/slkc/connectors/mysql"
	"github.com/serverless-kafka-connect/slkc/localstack/bridge"
	"github.com/serverless-kafka-connect/slkc/localstack/runtime"
	"github.com/serverless-kafka-connect/slkc/localstack/scheduler"
	"github.com/serverless-kafka-connect/slkc/shared/coldstart"
	"github.com/serverless-kafka-connect/slkc/shared/state"
)

// e2eResult is what the pipeline run measured.
type e2eResult struct {
	BulkRows   int
	BulkInsert time.Duration // the bulk INSERT statement (the bench's load, not the path)
	SinkSpan   time.Duration // first row arrived -> last row arrived
	// BulkFrom is when the bulk insert committed, BulkTo when its last
	// row arrived (the machine's clock; see bulkElapsed).
	BulkFrom, BulkTo time.Time
	TrickleRows      int
	Latencies        []float64 // ms, per trickled row: inserted (ts) -> arrived
	SourceStats      runtime.Stats
	SinkStats        runtime.Stats
	BridgeStats      bridge.Stats
	Fired            int64
	PollInterval     time.Duration
	Window           time.Duration
}

// e2eDstDDL is the destination: the source's columns plus the time the row
// arrived, filled by MySQL when the sink inserts it (the sink only writes the
// record's fields).
const e2eDstDDL = "CREATE TABLE %s (\n" + dataColumns + ",\n  arrived DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)\n)"

// insertRows adds rows lo..hi to table with ts = the database's NOW(6).
func (e *env) insertRows(ctx context.Context, table string, lo, hi int) error {
	q := fmt.Sprintf(`INSERT INTO %s (id, ts, cust, amount, name, note)
SELECT seq, NOW(6), seq MOD 977, (seq MOD 100000) / 100, CONCAT('customer name ', seq), LEFT(REPEAT(MD5(seq), 5), %d)
FROM seq_%d_to_%d`, table, 200-fixedBytes, lo, hi)
	if _, err := e.db.ExecContext(ctx, q); err != nil {
		return fmt.Errorf("bench: inserting rows %d..%d into %s: %w", lo, hi, table, err)
	}
	return nil
}

// waitRows waits until table holds at least n rows with id >= from.
func (e *env) waitRows(ctx context.Context, table string, from, n int, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		var got int
		if err := e.db.QueryRowContext(ctx, fmt.Sprintf("SELECT COUNT(*) FROM %s WHERE id >= ?", table), from).Scan(&got); err != nil {
			return fmt.Errorf("bench: counting %s: %w", table, err)
		}
		if got >= n {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("bench: %s has %d of %d rows after %s", table, got, n, timeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// runE2E runs the real pipeline: the local runtime hosting source-poller and
// sink-handler, the scheduler firing the poller every poll interval, and the
// Kafka bridge feeding the sink. It measures bulk throughput (bulkRows
// inserted at once) and per-row latency of a trickle (trickleRate rows/s
// for trickleFor).
// With profDir set, both function binaries write their CPU profiles there
// (e2e-<function>.cpu.pprof, written at shutdown).
func (e *env) runE2E(ctx context.Context, buildDir, profDir string, partitions int32, page, memoryMB, bulkRows, trickleRate int,
	trickleFor, poll, window time.Duration) (e2eResult, error) {
	res := e2eResult{PollInterval: poll, Window: window}
	src, dst := "e2e_src", "e2e_dst"
	if _, err := e.db.ExecContext(ctx, fmt.Sprintf(tableDDL, src)); err != nil {
		return res, fmt.Errorf("bench: creating %s: %w", src, err)
	}
	if _, err := e.db.ExecContext(ctx, fmt.Sprintf(e2eDstDDL, dst)); err != nil {
		return res, fmt.Errorf("bench: creating %s: %w", dst, err)
	}
	prefix := "slkc-bench-" + e.runID + "-e2e-"
	topic, err := e.newTopic(ctx, prefix+src, partitions)
	if err != nil {
		return res, err
	}
	tables, err := e.stateTables(ctx, "e2e")
	if err != nil {
		return res, err
	}
	with := func(m map[string]string) map[string]string {
		maps.Copy(m, e.pipelineProps())
		return m
	}
	srcCfg := with(map[string]string{"connector.class": mysql.SourceClass, "connection.url": e.DSN(false), "mode": "incrementing",
		"incrementing.column.name": "id", "table.whitelist": src, "batch.max.rows": fmt.Sprint(page), "topic.prefix": prefix,
		"poll.interval.ms": fmt.Sprint(poll.Milliseconds())})
	sinkCfg := with(e.mysqlSinkPropsMap(topic, dst, mysql.SinkClass))
	mk := func(name, fn string, cfg map[string]string) runtime.FunctionSpec {
		return e.pipelineSpec(buildDir, profDir, "e2e-", name, fn, memoryMB, tables, cfg)
	}
	srcFn, sinkFn := "bench-e2e-source", "bench-e2e-sink"
	r, err := startRunner(ctx, mk(srcFn, "source-poller", srcCfg), mk(sinkFn, "sink-handler", sinkCfg))
	if err != nil {
		return res, err
	}
	defer r.Close()
	client := runnerClient(r)
	br, err := e.sinkBridge(r, sinkFn, topic, window)
	if err != nil {
		return res, err
	}
	sched := scheduler.New(&scheduler.LambdaInvoker{Client: client}, scheduler.Rule{Function: srcFn, Interval: poll})
	sched.Logger = slog.Default()
	pctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	errc := make(chan error, 2)
	wg.Add(2)
	go func() { defer wg.Done(); errc <- sched.Run(pctx) }()
	go func() { defer wg.Done(); errc <- br.Run(pctx) }()
	defer func() {
		cancel()
		wg.Wait()
	}()

	// Let both functions cold-start on the empty table first, then insert
	// half a poll interval after a fire (the scheduler fires at once and
	// then every poll): the mean wait of rows inserted at a random time.
	// Inserting right at a fire made the first fire miss the rows still
	// being inserted, so every run waited a whole interval, the worst case.
	time.Sleep(2*poll + poll/2)

	// Bulk: all rows in one statement. The path starts when the statement
	// has committed (the rows are visible to the source); the insert
	// itself is the bench's load, reported apart.
	res.BulkRows = bulkRows
	if err := e.insertRows(ctx, src, 1, bulkRows); err != nil {
		return res, err
	}
	var visible time.Time
	if err := e.db.QueryRowContext(ctx, "SELECT NOW(6)").Scan(&visible); err != nil {
		return res, fmt.Errorf("bench: reading the time: %w", err)
	}
	if err := e.waitRows(ctx, dst, 1, bulkRows, 4*time.Minute); err != nil {
		return res, err
	}
	var inserted, firstArrived, lastArrived time.Time
	if err := e.db.QueryRowContext(ctx, fmt.Sprintf("SELECT MIN(ts), MIN(arrived), MAX(arrived) FROM %s WHERE id <= ?", dst), bulkRows).Scan(&inserted, &firstArrived, &lastArrived); err != nil {
		return res, fmt.Errorf("bench: reading bulk times: %w", err)
	}
	res.BulkInsert = visible.Sub(inserted)
	res.SinkSpan = lastArrived.Sub(firstArrived)
	res.BulkFrom, res.BulkTo = visible, lastArrived

	// Trickle: small inserts every 100 ms.
	per := max(1, trickleRate/10)
	next := bulkRows + 1
	tick := time.NewTicker(100 * time.Millisecond)
	end := time.Now().Add(trickleFor)
	for time.Now().Before(end) {
		if err := e.insertRows(ctx, src, next, next+per-1); err != nil {
			tick.Stop()
			return res, err
		}
		next += per
		<-tick.C
	}
	tick.Stop()
	res.TrickleRows = next - bulkRows - 1
	if err := e.waitRows(ctx, dst, bulkRows+1, res.TrickleRows, 2*time.Minute); err != nil {
		return res, err
	}
	rows, err := e.db.QueryContext(ctx, fmt.Sprintf("SELECT TIMESTAMPDIFF(MICROSECOND, ts, arrived) FROM %s WHERE id > ?", dst), bulkRows)
	if err != nil {
		return res, fmt.Errorf("bench: reading latencies: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var l int64
		if err := rows.Scan(&l); err != nil {
			return res, fmt.Errorf("bench: reading latencies: %w", err)
		}
		res.Latencies = append(res.Latencies, float64(l)/1000)
	}
	if err := rows.Err(); err != nil {
		return res, fmt.Errorf("bench: reading latencies: %w", err)
	}
	res.SourceStats, _ = r.Stats(srcFn)
	res.SinkStats, _ = r.Stats(sinkFn)
	res.BridgeStats = br.Stats()
	res.Fired, _, _ = sched.Counts()
	select {
	case err := <-errc:
		if err != nil && !errors.Is(err, context.Canceled) {
			return res, fmt.Errorf("bench: pipeline stopped: %w", err)
		}
	default:
	}
	return res, nil
}

// pipelineProps are the connector keys both pipelines' connectors share:
// the broker and JsonConverter with schemas for keys and values.
func (e *env) pipelineProps() map[string]string {
	return map[string]string{"bootstrap.servers": e.bootstrap,
		"key.converter": "org.apache.kafka.connect.json.JsonConverter", "value.converter": "org.apache.kafka.connect.json.JsonConverter",
		"value.converter.schemas.enable": "true"}
}

// pipelineSpec is the spec of function fn (its binary under buildDir) run
// as name in a pipeline with the state tables and connector config cfg; with
// profDir set it writes its CPU profile to <profDir>/<tag><fn>.cpu.pprof.
func (e *env) pipelineSpec(buildDir, profDir, tag, name, fn string, memoryMB int, tables state.Tables, cfg map[string]string) runtime.FunctionSpec {
	bin, _ := filepath.Abs(filepath.Join(buildDir, fn, "bootstrap"))
	spec := runtime.FunctionSpec{Name: name, Bootstrap: bin, MemoryMB: memoryMB, Timeout: 60 * time.Second,
		Env: map[string]string{"SLKC_CONNECTOR_CONFIG": connectorJSON(name, cfg), "SLKC_OFFSETS_TABLE": tables.Offsets,
			"SLKC_LEASES_TABLE": tables.Leases, "SLKC_STATUS_TABLE": tables.Status}}
	maps.Copy(spec.Env, e.fnEnv)
	if profDir != "" {
		spec.Env[coldstart.CPUProfileEnv] = filepath.Join(profDir, tag+fn+".cpu.pprof")
	}
	return spec
}

// runnerClient is a Lambda client of the runner's Invoke API.
func runnerClient(r *runtime.Runner) *lambda.Client {
	return lambda.New(lambda.Options{BaseEndpoint: aws.String(r.URL()), Region: "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("local", "local", "")})
}

// sinkBridge is the event source mapping of the pipelines, as slkc-local
// runs it: topic into function fn of r, invoked in process, at
// concurrency 1, Lambda's largest batches (10,000 records, 6 MB), the given
// batching window, partial batch responses on.
func (e *env) sinkBridge(r *runtime.Runner, fn, topic string, window time.Duration) (*bridge.Bridge, error) {
	br, err := bridge.New(bridge.Mapping{FunctionName: fn, Topics: []string{topic}, Bootstrap: e.bootstrap,
		BatchSize: bridge.MaxBatchSize, MaxBatchingWindow: window, StartingPosition: "TRIM_HORIZON", MaximumRetryAttempts: -1,
		ReportBatchItemFailures: true}, bridge.RunnerInvoker{Runner: r}, slog.Default())
	if err != nil {
		return nil, fmt.Errorf("bench: bridge: %w", err)
	}
	return br, nil
}

// mysqlSinkPropsMap is mysqlSinkProps plus the connector class.
func (e *env) mysqlSinkPropsMap(topic, table, class string) map[string]string {
	m := e.mysqlSinkProps(topic, table)
	m["connector.class"] = class
	return m
}

// bulkElapsed is the bulk's path: insert committed -> last row arrived.
func (r e2eResult) bulkElapsed() time.Duration { return r.BulkTo.Sub(r.BulkFrom) }

// spanUse is how a function spent a span of the run: its invokes within
// [from, to] (the parts within), when the first began and the gaps
// between them.
type spanUse struct {
	Busy       time.Duration // sum of the invokes' time within the span
	Invokes    int
	FirstStart time.Duration // from the span's start to the first invoke
	Gaps       time.Duration // sum of the idle times between invokes
}

// use measures s's recent invokes over [from, to].
func use(s runtime.Stats, from, to time.Time) spanUse {
	var u spanUse
	var prevEnd time.Time
	for _, r := range s.Recent {
		start, end := r.Start, r.Start.Add(r.Duration)
		if end.Before(from) || start.After(to) {
			continue
		}
		if end.After(to) {
			end = to
		}
		if start.Before(from) {
			start = from
		}
		if u.Invokes == 0 {
			u.FirstStart = start.Sub(from)
		} else if start.After(prevEnd) {
			u.Gaps += start.Sub(prevEnd)
		}
		u.Busy += end.Sub(start)
		u.Invokes++
		prevEnd = end
	}
	return u
}

// peakRSS is the largest VmHWM over a function's recent invokes.
func peakRSS(s runtime.Stats) int64 {
	var m int64
	for _, r := range s.Recent {
		m = max(m, r.MaxMemoryMB)
	}
	return m
}

// onlyE2E is `-only e2e`: the raw upsert ceiling of the 200 B rows, the
// sink path and the end-to-end run, with the goal that divides them.
func (b *bench) onlyE2E(ctx context.Context, d *dataset) error {
	if err := b.seedWithCeiling(ctx, d, 1, "e2e"); err != nil {
		return err
	}
	sd, err := b.e.sinkRecords(ctx, d, min(b.o.E2ERows, d.Rows), "bench_path_"+d.Table)
	if err != nil {
		return err
	}
	b.sink[d.Label] = sd
	b.sinkPath(ctx, d)
	b.e2e(ctx)
	b.addGoals()
	return nil
}

// seedWithCeiling seeds d and measures the raw upsert of its first
// -sink-records rows reps times with both statement sizes, keeping the
// best as the data set's ceiling (the -only runs).
func (b *bench) seedWithCeiling(ctx context.Context, d *dataset, reps int, tag string) error {
	if _, err := b.seed(ctx, d); err != nil {
		return err
	}
	rows, err := loadRows(ctx, b.e.db, d.Table, min(b.o.SinkRecords, d.Rows))
	if err != nil {
		return err
	}
	b.rows[d.Label] = rows
	var notes []string
	for rep := 0; rep < reps; rep++ {
		r, runNotes, err := b.goalCeiling(ctx, d, rows, fmt.Sprint(tag, rep))
		if err != nil {
			return err
		}
		b.upsert[d.Label] = max(b.upsert[d.Label], r)
		notes = append(notes, runNotes...)
	}
	b.rep.Add(Figure{Section: "ceiling", Name: "raw multi-row upsert " + d.Label, Value: b.upsert[d.Label], Unit: "records/s",
		Note: fmt.Sprintf("%d rows in 10k-row transactions, best of %s records/s", len(rows), strings.Join(notes, ", "))})
	return nil
}
