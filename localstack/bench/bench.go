package main

import (
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/serverless-kafka-connect/slkc/connectors"
	"github.com/serverless-kafka-connect/slkc/connectors/dynamodb"
	"github.com/serverless-kafka-connect/slkc/connectors/mysql"
	"github.com/serverless-kafka-connect/slkc/localstack/runtime"
	"github.com/serverless-kafka-connect/slkc/shared/coldstart"
	"github.com/serverless-kafka-connect/slkc/shared/config"
)

// bench runs the phases in order and adds their figures to rep.
type bench struct {
	o   options
	e   *env
	rep *Report
	// per data set: the raw ceilings the components are compared with.
	scan, produce map[string]float64 // rows/s
	upsert        map[string]float64 // records/s
	batchWrite    map[string]float64 // items/s
	sink          map[string]sinkData
	rows          map[string][]row // the first rows of each data set, for the raw writes
	notes         map[string][]string
	// figures the goals compare (see goals.go): the raw produce at the
	// JSON size of the records, the in-process source loop, the function
	// binaries, the end-to-end path and the bridge's RSS.
	produceJSON, sourceLoop, binary map[string]float64
	// produceJSONJavaBatch is the raw produce at the JSON sizes in the
	// Java producer's 16 KB batches (produceJSONCeiling).
	produceJSONJavaBatch map[string]float64
	// loopBeside is the best of the in-process source loop's runs beside
	// the source-poller binary's (one after each of its runs).
	loopBeside map[string]float64
	// jsonSize is the mean JsonConverter key and value sizes of the data
	// set's records, by label (produceJSONCeiling).
	jsonSize          map[string]recordShape
	e2eRate, pathRate float64
	bridgeRSS         float64
	// pairs are the runs the ratio goals divide, each beside a run of
	// its ceiling (see pairedRatio), by sink-handler label, pairPath or
	// sourcePollerLabel.
	pairs map[string][]pair
}

// step logs the start of what and returns the function that logs its end.
// Unless -no-sync, it first waits for deleted topics' files to go, writes
// out the page cache's dirty pages and waits for the stack's services to
// go idle (settle), so that the step does not pay for the work of the
// steps before it.
func (b *bench) step(what string) func() {
	if !b.o.NoSync {
		dirty, deleted, idle, took := settle(b.e.kafkaDir, b.e.stackPids)
		progress.Info("bench: settled before "+what, "deleted_partitions", deleted, "dirty_mib", dirty>>20,
			"services_idle_after", idle.Round(time.Millisecond), "took", took.Round(time.Millisecond))
	}
	start, reclaim, services := time.Now(), reclaimed(), cpuTicks(b.e.stackPids)
	progress.Info("bench: " + what)
	return func() {
		progress.Info("bench: done "+what, "took", time.Since(start).Round(time.Millisecond), "reclaimed_mib", (reclaimed()-reclaim)>>20,
			"services_cpu_ticks", cpuTicks(b.e.stackPids)-services)
	}
}

func (b *bench) all(ctx context.Context) error {
	b.scan, b.produce, b.upsert, b.batchWrite = map[string]float64{}, map[string]float64{}, map[string]float64{}, map[string]float64{}
	b.sink = map[string]sinkData{}
	b.rows = map[string][]row{}
	b.notes = map[string][]string{}
	b.produceJSON, b.sourceLoop, b.binary = map[string]float64{}, map[string]float64{}, map[string]float64{}
	b.produceJSONJavaBatch = map[string]float64{}
	b.loopBeside, b.pairs, b.jsonSize = map[string]float64{}, map[string][]pair{}, map[string]recordShape{}
	if b.o.Only == "bridge" {
		b.bridgeMemory(ctx)
		return nil
	}
	sets := []*dataset{
		{Label: "200B", Table: "r200", Rows: b.o.Rows200, RowBytes: 200},
		{Label: "1KB", Table: "r1k", Rows: b.o.Rows1K, RowBytes: 1000},
	}
	switch b.o.Only {
	case "e2e":
		return b.onlyE2E(ctx, sets[0])
	case "sink":
		return b.onlySink(ctx, sets)
	case "source":
		return b.onlySource(ctx, sets[0])
	}
	for _, d := range sets {
		took, err := b.seed(ctx, d)
		if err != nil {
			return err
		}
		b.rep.Add(Figure{Section: "data", Name: "seed " + d.Label, Value: Rate(float64(d.Rows), took), Unit: "rows/s",
			Note: fmt.Sprintf("%d rows via seq_1_to_N in %s", d.Rows, took.Round(time.Millisecond))})
	}
	for _, d := range sets {
		if err := b.ceilings(ctx, d); err != nil {
			return err
		}
	}
	for _, d := range sets {
		if err := b.components(ctx, d); err != nil {
			return err
		}
	}
	if err := b.scaling(ctx, sets[0]); err != nil {
		return err
	}
	if !b.o.SkipProcess {
		b.process(ctx, sets[0], sets[1])
	}
	if !b.o.SkipE2E {
		b.sinkPath(ctx, sets[0])
		b.e2e(ctx)
	}
	if !b.o.SkipCDC {
		b.cdc(ctx)
	}
	b.bridgeMemory(ctx)
	b.addGoals()
	b.addAlwaysOn()
	if !b.o.SkipScale {
		return b.scale(ctx)
	}
	return nil
}

// addAlwaysOn adds the costs that run whether or not records flow, per
// connector per month, beside the per-record figures of the cost section.
func (b *bench) addAlwaysOn() {
	for _, a := range []AlwaysOn{
		ProvisionedPollersMonthly(1),
		{What: "sink, on-demand pollers (no error handling control used)", How: "no poller charge in on-demand mode"},
		PollLoopMonthly(b.o.MemoryMB, time.Minute),
	} {
		b.rep.Add(Figure{Section: "cost", Name: "always-on: " + a.What, Value: a.Dollars, Unit: "$/month", Note: a.How})
	}
}

// e2e runs scheduler -> source-poller -> Kafka -> bridge -> sink-handler.
func (b *bench) e2e(ctx context.Context) {
	done := b.step(fmt.Sprintf("end to end: %d rows bulk, then %d rows/s for %s", b.o.E2ERows, b.o.E2ERate, b.o.E2EFor))
	// Profiles: the bench process (runtime, bridge, scheduler) and both
	// function binaries, over the whole run.
	prof, profDir := b.pipelineProfile("e2e-bench")
	res, err := b.e.runE2E(ctx, b.o.BuildDir, profDir, int32(b.o.Partitions), b.o.Page, b.o.MemoryMB, b.o.E2ERows, b.o.E2ERate, b.o.E2EFor, b.o.E2EPoll, b.o.E2EWindow)
	done()
	if prof != nil {
		b.stopProfile(prof, "e2e-bench")
		for _, fn := range []string{"sink-handler", "source-poller"} {
			b.rep.Profiles["e2e-"+fn+"-binary cpu"] = pprofTop(15, filepath.Join(profDir, "e2e-"+fn+".cpu.pprof"))
		}
	}
	if err != nil {
		b.rep.Skip("end to end", err)
		return
	}
	cfg := fmt.Sprintf("poll.interval.ms=%d, batching window %s, batch.max.rows=%d, ESM batch up to 10000/6 MB",
		res.PollInterval.Milliseconds(), res.Window, b.o.Page)
	b.e2eRate = Rate(float64(res.BulkRows), res.bulkElapsed())
	b.rep.Add(Figure{Section: "e2e", Name: "MySQL -> Kafka -> MySQL bulk", Value: b.e2eRate, Unit: "rows/s",
		Ceiling: b.upsert["200B"], CeilingName: "raw upsert",
		Note: fmt.Sprintf("%d rows inserted in one statement (%.2f s, not counted), its commit -> last row in the sink table %.2f s (with the wait for the next poll); %s",
			res.BulkRows, res.BulkInsert.Seconds(), res.bulkElapsed().Seconds(), cfg)})
	u := use(res.SinkStats, res.BulkFrom, res.BulkTo)
	b.rep.Add(Figure{Section: "e2e", Name: "bulk, sink-handler busy", Value: 100 * u.Busy.Seconds() / res.bulkElapsed().Seconds(), Unit: "%",
		Note: fmt.Sprintf("of the bulk's %.2f s: %d sink-handler invokes %.2f s (%.0f ms each); before the first %.2f s (poll wait, first page, bridge window); gaps between invokes %.2f s in all (%.0f ms each)",
			res.bulkElapsed().Seconds(), u.Invokes, u.Busy.Seconds(), ms(u.Busy)/float64(max(u.Invokes, 1)), u.FirstStart.Seconds(), u.Gaps.Seconds(), ms(u.Gaps)/float64(max(u.Invokes-1, 1)))})
	b.rep.Add(Figure{Section: "e2e", Name: "bulk, first -> last row in the sink table", Value: Rate(float64(res.BulkRows), res.SinkSpan), Unit: "rows/s",
		Ceiling: b.upsert["200B"], CeilingName: "raw upsert",
		Note: fmt.Sprintf("%.2f s: the path once the first event is written, without the wait for the poll and the first page (the bulk figure has them); a diagnostic, not a goal", res.SinkSpan.Seconds())})
	b.rep.Add(Figure{Section: "e2e", Name: "row latency p50", Value: Percentile(res.Latencies, 50), Unit: "ms",
		Note: fmt.Sprintf("%d rows trickled at %d rows/s; insert (ts=NOW(6)) -> sink insert (DEFAULT CURRENT_TIMESTAMP(6)); %s", res.TrickleRows, b.o.E2ERate, cfg)})
	b.rep.Add(Figure{Section: "e2e", Name: "row latency p99", Value: Percentile(res.Latencies, 99), Unit: "ms",
		Note: fmt.Sprintf("max %.0f ms", Percentile(res.Latencies, 100))})
	b.rep.Add(Figure{Section: "e2e", Name: "invocations", Value: float64(res.SourceStats.Invocations + res.SinkStats.Invocations), Unit: "invokes",
		Note: fmt.Sprintf("source-poller %d (%d cold, %d errors; scheduler fired %d), sink-handler %d (%d cold, %d errors; bridge %d batches, %d of them staged ahead, %d retries); peak RSS source %d MB, sink %d MB",
			res.SourceStats.Invocations, res.SourceStats.ColdStarts, res.SourceStats.Errors, res.Fired,
			res.SinkStats.Invocations, res.SinkStats.ColdStarts, res.SinkStats.Errors, res.BridgeStats.Batches, res.BridgeStats.Staged, res.BridgeStats.Retries,
			peakRSS(res.SourceStats), peakRSS(res.SinkStats))})
}

// ceilings measures the raw figures of one data set.
func (b *bench) ceilings(ctx context.Context, d *dataset) error {
	if err := b.sourceCeilings(ctx, d, "before"); err != nil {
		return err
	}
	rows, err := loadRows(ctx, b.e.db, d.Table, min(b.o.SinkRecords, d.Rows))
	if err != nil {
		return err
	}
	b.rows[d.Label] = rows
	return nil
}

// sourceCeilings measures the raw scan and produce rates of the data set
// once more (tag "before" or "after" the source run). A ceiling is an upper
// bound, so the faster of the two measurements is kept: one slow run caused
// by another job on the machine would otherwise flatter the ratio.
func (b *bench) sourceCeilings(ctx context.Context, d *dataset, tag string) error {
	done := b.step(fmt.Sprintf("scan ceiling %s (%s)", d.Label, tag))
	sr, err := scanCeiling(ctx, b.e.db, d)
	done()
	if err != nil {
		return err
	}
	r := Rate(float64(sr.Rows), sr.Elapsed)
	b.scan[d.Label] = max(b.scan[d.Label], r)
	b.notes["scan"+d.Label] = append(b.notes["scan"+d.Label], fmt.Sprintf("%s %s rows/s (%.1f MB/s)", tag, FormatNumber(r), Rate(float64(sr.Bytes)/1e6, sr.Elapsed)))

	done = b.step(fmt.Sprintf("produce ceiling %s (%s)", d.Label, tag))
	topic, err := b.e.newTopic(ctx, "slkc-bench-"+b.e.runID+"-raw-"+d.Table+"-"+tag, int32(b.o.Partitions))
	if err != nil {
		return err
	}
	pr, err := produceCeiling(ctx, b.e.bootstrap, topic, d.Sizes, 0)
	done()
	b.e.dropTopic(ctx, topic)
	if err != nil {
		return err
	}
	r = Rate(float64(pr.Records), pr.Elapsed)
	b.produce[d.Label] = max(b.produce[d.Label], r)
	b.notes["produce"+d.Label] = append(b.notes["produce"+d.Label], fmt.Sprintf("%s %s rows/s (%.1f MB/s, %d requests)", tag, FormatNumber(r), Rate(float64(pr.Bytes)/1e6, pr.Elapsed), pr.Requests))
	return nil
}

// rawUpsert measures the raw multi-row upsert of the data set's first rows
// into a fresh table, in transactions of batch rows made of statements of at
// most stmtRows rows, and returns records/s.
func (b *bench) rawUpsert(ctx context.Context, d *dataset, rows []row, batch, stmtRows int, tag string) (float64, error) {
	done := b.step(fmt.Sprintf("raw upsert %s, %d rows, batches of %d, statements of %d rows %s", d.Label, len(rows), batch, stmtRows, tag))
	defer done()
	tbl := fmt.Sprintf("raw_upsert_%s_%d_%d_%s", d.Table, batch, stmtRows, tag)
	if _, err := b.e.db.ExecContext(ctx, fmt.Sprintf(tableDDL, tbl)); err != nil {
		return 0, fmt.Errorf("bench: creating %s: %w", tbl, err)
	}
	ur, err := upsertCeiling(ctx, b.e.db, tbl, rows, batch, stmtRows)
	if err != nil {
		return 0, err
	}
	b.e.dropMeasured(ctx, tbl)
	return Rate(float64(ur.Records), ur.Elapsed), nil
}

// rawUpsertBest runs rawUpsert once per statement size (sizes above batch
// count as batch, and repeats are run once) and returns the best rate and
// a note per run.
func (b *bench) rawUpsertBest(ctx context.Context, d *dataset, rows []row, batch int, stmtSizes []int, tag string) (float64, []string, error) {
	var sizes []int
	for _, sz := range stmtSizes {
		if sz = min(sz, batch); !slices.Contains(sizes, sz) {
			sizes = append(sizes, sz)
		}
	}
	var best float64
	var notes []string
	for _, sz := range sizes {
		r, err := b.rawUpsert(ctx, d, rows, batch, sz, tag)
		if err != nil {
			return 0, nil, err
		}
		best = max(best, r)
		notes = append(notes, fmt.Sprintf("%s (%d-row stmts)", FormatNumber(r), sz))
	}
	return best, notes, nil
}

// goalCeiling is the raw upsert the sink goals divide by: rows in
// transactions of 10,000, the best of 10,000-row and 2,000-row statements
// (one 10k-row statement is not always the fastest).
func (b *bench) goalCeiling(ctx context.Context, d *dataset, rows []row, tag string) (float64, []string, error) {
	return b.rawUpsertBest(ctx, d, rows, 10_000, []int{10_000, 2_000}, tag)
}

// rawBatchWrite measures raw BatchWriteItem of rows into a fresh table and
// returns items/s and the request count.
func (b *bench) rawBatchWrite(ctx context.Context, d *dataset, rows []row, tag string) (float64, int, error) {
	done := b.step(fmt.Sprintf("raw BatchWriteItem %s, %d items %s", d.Label, len(rows), tag))
	defer done()
	dtbl, err := b.e.newTable(ctx, fmt.Sprintf("slkc-bench-%s-raw-%s-%s", b.e.runID, d.Table, tag))
	if err != nil {
		return 0, 0, err
	}
	br, err := batchWriteCeiling(ctx, b.e.ddb, b.e.ddbCount, dtbl, rows, b.o.Workers)
	if err != nil {
		return 0, 0, err
	}
	return Rate(float64(br.Records), br.Elapsed), br.Requests["BatchWriteItem"], nil
}

// bestOf is the note of a figure that is the best of several runs.
func bestOf(rates []string) string {
	return "best of " + strings.Join(rates, ", ") + " records/s"
}

// seed fills the data set's table, as a step of the run.
func (b *bench) seed(ctx context.Context, d *dataset) (time.Duration, error) {
	done := b.step(fmt.Sprintf("seeding %s (%d rows of ~%d B)", d.Table, d.Rows, d.RowBytes))
	defer done()
	return seed(ctx, b.e.db, d)
}

// components measures our source and sinks on the data set.
func (b *bench) components(ctx context.Context, d *dataset) error {
	if err := b.sourceLoopRun(ctx, d); err != nil {
		return err
	}
	return b.sinkComponents(ctx, d)
}

// sourceLoopRun measures the in-process source loop over the data set and
// the scan and produce ceilings once more after it.
func (b *bench) sourceLoopRun(ctx context.Context, d *dataset) error {
	// Source: one sourcetask run over the whole table.
	var sr sourceResult
	err := b.measure(d, 0, "source", fmt.Sprintf("source run over %s (%d rows, pages of %d)", d.Table, d.Rows, b.o.Page), func() (err error) {
		sr, err = b.e.runSource(ctx, d, b.o.Page, int32(b.o.Partitions), "src-"+d.Table)
		return err
	})
	if err != nil {
		return err
	}
	if err := b.sourceCeilings(ctx, d, "after"); err != nil {
		return err
	}
	b.rep.Add(Figure{Section: "ceiling", Name: "SELECT scan " + d.Label, Value: b.scan[d.Label], Unit: "rows/s",
		Note: fmt.Sprintf("%d rows, mean row %.0f B, go-sql-driver RawBytes, best of %s", d.Rows, d.MeanBytes, strings.Join(b.notes["scan"+d.Label], ", "))})
	b.rep.Add(Figure{Section: "ceiling", Name: "franz-go produce " + d.Label, Value: b.produce[d.Label], Unit: "rows/s",
		Note: fmt.Sprintf("%d records of the rows' sizes, acks=all idempotent, no compression, %d partitions, best of %s", d.Rows, b.o.Partitions, strings.Join(b.notes["produce"+d.Label], ", "))})
	ceil, ceilName := b.scan[d.Label], "scan"
	if b.produce[d.Label] < ceil {
		ceil, ceilName = b.produce[d.Label], "produce"
	}
	rate := Rate(float64(sr.Records), sr.Elapsed)
	b.sourceLoop[d.Label] = rate
	b.rep.Add(Figure{Section: "source", Name: "MySQL source -> Kafka " + d.Label, Value: rate, Unit: "rows/s", Ceiling: ceil, CeilingName: ceilName,
		Note: fmt.Sprintf("sourcetask.Task.Run: %d rows, %d pages, ReadPage+JsonConverter(schemas)+ProduceSync+fenced offset; %.1f MB/s produced",
			sr.Records, sr.Pages, Rate(float64(sr.ProduceBytes)/1e6, sr.Elapsed))})
	if sr.Records != d.Rows {
		b.rep.Skip("source "+d.Label, fmt.Errorf("read %d of %d rows (stopped by deadline: %v)", sr.Records, d.Rows, sr.StoppedByDeadline))
	}
	pages := float64(max(sr.Pages, 1))
	writes := sumCounts(sr.DynamoRequests, "PutItem", "UpdateItem", "TransactWriteItems")
	b.rep.Add(Figure{Section: "requests", Name: "source DynamoDB writes per page " + d.Label, Value: float64(writes) / pages, Unit: "writes/page",
		Note: fmt.Sprintf("whole run incl. lease and status: %s over %d pages", fmtCounts(sr.DynamoRequests), sr.Pages)})
	b.rep.Add(Figure{Section: "requests", Name: "source Kafka Produce requests per page " + d.Label, Value: float64(sr.ProduceRequests) / pages, Unit: "requests/page",
		Note: fmt.Sprintf("%d requests, %d records/page, %.0f B/record on the wire", sr.ProduceRequests, b.o.Page, float64(sr.ProduceBytes)/float64(max(sr.Records, 1)))})
	b.addCost("source "+d.Label, sr.CPU, sr.Elapsed, sr.Records, float64(min(sr.Records, int(rate*55))), "in-process CPU of sourcetask run")
	return nil
}

// sinkComponents measures the sinks on the data set, and the produce
// ceiling at the JSON size of its records.
func (b *bench) sinkComponents(ctx context.Context, d *dataset) error {
	// Sink data: the first rows as the sink decodes them from Kafka.
	n := min(b.o.SinkRecords, d.Rows)
	topic := "bench_sink_" + d.Table
	done := b.step(fmt.Sprintf("preparing %d sink records of %s", n, d.Table))
	sd, err := b.e.sinkRecords(ctx, d, n, topic)
	done()
	if err != nil {
		return err
	}
	b.sink[d.Label] = sd
	shape := sd.shape()
	b.rep.Add(Figure{Section: "data", Name: "JsonConverter value size " + d.Label, Value: shape.Value, Unit: "B/record",
		Note: fmt.Sprintf("schemas.enable=true envelope, and %.0f B keys; row on the MySQL wire %.0f B", shape.Key, d.MeanBytes)})
	figs, err := converterFigures(sd.Records, topic, d.Label, os.Getenv("SLKC_SCHEMA_REGISTRY_URL"))
	if err != nil {
		return err
	}
	for _, f := range figs {
		b.rep.Add(f)
	}

	if err := b.produceJSONCeiling(ctx, d, shape); err != nil {
		return err
	}

	// MySQL sink, 10k-record batches, best of Reps runs into fresh tables;
	// the first run is profiled.
	// Each repetition measures the raw upsert ceiling (two statement sizes;
	// one 10k-row statement is not always the fastest) right before the
	// sink, so both see the same machine load; the best of each is kept.
	rows := b.rows[d.Label]
	var best writeResult
	var runs fastest
	var ceilNotes []string
	for rep := 0; rep < b.o.Reps; rep++ {
		r, notes, err := b.goalCeiling(ctx, d, rows, fmt.Sprint(rep))
		if err != nil {
			return err
		}
		b.upsert[d.Label] = max(b.upsert[d.Label], r)
		ceilNotes = append(ceilNotes, notes...)
		var wr writeResult
		err = b.measureMySQLSink(ctx, d, rep, topic, fmt.Sprintf("sink_%s_%d", d.Table, rep), "sink-mysql",
			fmt.Sprintf("MySQL sink %d records of %s #%d", n, d.Table, rep+1), func(ms connectors.Destination) (err error) {
				wr, err = writeBatches(ctx, ms, sd.Records, 10_000, nil)
				return err
			})
		if err != nil {
			return err
		}
		if runs.add(wr.Records, wr.Elapsed) {
			best = wr
		}
	}
	b.rep.Add(Figure{Section: "ceiling", Name: "raw multi-row upsert " + d.Label, Value: b.upsert[d.Label], Unit: "records/s",
		Note: fmt.Sprintf("%d rows in 10k-row transactions, INSERT..ON DUPLICATE KEY UPDATE into empty tables, best of %s records/s", len(rows), strings.Join(ceilNotes, ", "))})
	b.rep.Add(Figure{Section: "sink", Name: "MySQL sink upsert " + d.Label, Value: Rate(float64(best.Records), best.Elapsed), Unit: "records/s",
		Ceiling: b.upsert[d.Label], CeilingName: "raw upsert", Note: fmt.Sprintf("connectors/mysql Sink.Write, %d batches of 10k, insert.mode=upsert pk.mode=record_value; best of %s", best.Batches, runs.rates())})
	b.addCost("sink MySQL "+d.Label, best.CPU, best.Elapsed, best.Records, 10_000, "in-process CPU of Sink.Write")

	// The sink-handler's whole per-invocation path in this process: event
	// JSON -> sinktask.Handle -> MySQL, in 10k-record events.
	var payloads [][]byte
	for lo := 0; lo < n; lo += 10_000 {
		p, err := kafkaEvent(topic, sd.Values, lo, min(lo+10_000, n))
		if err != nil {
			return err
		}
		payloads = append(payloads, p)
	}
	var hbest handleResult
	runs = fastest{}
	for rep := 0; rep < b.o.Reps; rep++ {
		var hr handleResult
		err := b.measureMySQLSink(ctx, d, rep, topic, fmt.Sprintf("handle_%s_%d", d.Table, rep), "sinktask-handle-mysql",
			fmt.Sprintf("sinktask.Handle -> MySQL %d records of %s #%d", n, d.Table, rep+1), func(ms connectors.Destination) (err error) {
				hr, err = runHandle(ctx, ms, payloads, n)
				return err
			})
		if err != nil {
			return err
		}
		if runs.add(hr.Records, hr.Elapsed) {
			hbest = hr
		}
	}
	b.rep.Add(Figure{Section: "sink", Name: "sink-handler path -> MySQL " + d.Label, Value: Rate(float64(hbest.Records), hbest.Elapsed), Unit: "records/s",
		Ceiling: b.upsert[d.Label], CeilingName: "raw upsert", Note: fmt.Sprintf("in-process: event JSON decode + sinktask.Task.Handle (base64, JsonConverter, Sink.Write), %d events of 10k; best of %s", hbest.Events, runs.rates())})
	b.addCost("sink-handler path MySQL "+d.Label, hbest.CPU, hbest.Elapsed, hbest.Records, 10_000, "in-process CPU of event decode + Handle")

	// DynamoDB sink, 10k-record batches, best of Reps runs.
	dn := min(b.o.DynamoRecords, n)
	var dbest writeResult
	var bwiRates []string
	var bwiRequests int
	runs = fastest{}
	for rep := 0; rep < b.o.Reps; rep++ {
		r, nreq, err := b.rawBatchWrite(ctx, d, rows[:dn], fmt.Sprint(rep))
		if err != nil {
			return err
		}
		b.batchWrite[d.Label] = max(b.batchWrite[d.Label], r)
		bwiRates = append(bwiRates, FormatNumber(r))
		bwiRequests = nreq
		dtbl, err := b.e.newTable(ctx, fmt.Sprintf("slkc-bench-%s-sink-%s-%d", b.e.runID, d.Table, rep))
		if err != nil {
			return err
		}
		ds, err := b.e.dynamoSink(topic, dtbl)
		if err != nil {
			return err
		}
		var dr writeResult
		err = b.measure(d, rep, "sink-dynamodb", fmt.Sprintf("DynamoDB sink %d records of %s #%d", dn, d.Table, rep+1), func() (err error) {
			dr, err = writeBatches(ctx, ds, sd.Records[:dn], 10_000, b.e.ddbCount)
			return err
		})
		if err != nil {
			return err
		}
		if runs.add(dr.Records, dr.Elapsed) {
			dbest = dr
		}
	}
	dr := dbest
	b.rep.Add(Figure{Section: "ceiling", Name: "raw BatchWriteItem " + d.Label, Value: b.batchWrite[d.Label], Unit: "items/s",
		Note: fmt.Sprintf("%d items, 25/request, %d workers, %d requests per run (incl. retries of unprocessed), best of %s items/s",
			dn, b.o.Workers, bwiRequests, strings.Join(bwiRates, ", "))})
	b.rep.Add(Figure{Section: "sink", Name: "DynamoDB sink " + d.Label, Value: Rate(float64(dr.Records), dr.Elapsed), Unit: "records/s",
		Ceiling: b.batchWrite[d.Label], CeilingName: "raw BatchWriteItem", Note: fmt.Sprintf("connectors/dynamodb Sink.Write, %d batches of 10k, write.mode=put; best of %s", dr.Batches, runs.rates())})
	b.rep.Add(Figure{Section: "requests", Name: "DynamoDB sink requests per 10k batch " + d.Label, Value: float64(sumCounts(dr.Requests, "BatchWriteItem", "PutItem", "DeleteItem")) / float64(max(dr.Batches, 1)), Unit: "requests/batch",
		Note: fmt.Sprintf("%s over %d records; minimum %d (25 items/request)", fmtCounts(dr.Requests), dr.Records, (dr.Records+24)/25)})
	b.addCost("sink DynamoDB "+d.Label, dr.CPU, dr.Elapsed, dr.Records, 10_000, "in-process CPU of Sink.Write")
	return nil
}

// fastest keeps the rate of every repetition of a measurement and which
// was the quickest, for figures reported as "best of r1, r2, ...".
type fastest struct {
	each    []string
	elapsed time.Duration
}

// add records a run of records in elapsed and reports whether it is the
// quickest so far (the first run always is).
func (f *fastest) add(records int, elapsed time.Duration) bool {
	f.each = append(f.each, FormatNumber(Rate(float64(records), elapsed)))
	if f.elapsed == 0 || elapsed < f.elapsed {
		f.elapsed = elapsed
		return true
	}
	return false
}

// rates lists every run's rate in run order.
func (f *fastest) rates() string { return strings.Join(f.each, ", ") }

// measure runs fn as the progress step what. On the first repetition
// (rep 0) of the 200B data set, unless profiles are off, fn runs under the
// CPU and allocation profile name-<label>, whose top lines go to the report.
// It returns fn's error, or the error of starting the profile (fn not run).
func (b *bench) measure(d *dataset, rep int, name, what string, fn func() error) error {
	var prof *profiler
	if !b.o.NoProfiles && d.Label == "200B" && rep == 0 {
		var err error
		if prof, err = startProfile(b.profileDir(), name+"-"+d.Label); err != nil {
			return err
		}
	}
	done := b.step(what)
	err := fn()
	done()
	if prof != nil {
		b.stopProfile(prof, name+"-"+d.Label)
	}
	return err
}

// measureMySQLSink runs fn through measure on a MySQL sink into table, a
// fresh table with the data sets' schema, and closes the sink afterwards.
func (b *bench) measureMySQLSink(ctx context.Context, d *dataset, rep int, topic, table, name, what string, fn func(dst connectors.Destination) error) error {
	ms, err := b.e.freshMySQLSink(ctx, topic, table)
	if err != nil {
		return err
	}
	defer b.e.dropMeasured(ctx, table)
	defer ms.Close()
	return b.measure(d, rep, name, what, func() error { return fn(ms) })
}

func (b *bench) stopProfile(p *profiler, name string) {
	cpuTop, allocTop, err := p.stop(15)
	if err != nil {
		b.rep.Skip("profile "+name, err)
		return
	}
	b.rep.Profiles[name+" cpu"] = cpuTop
	b.rep.Profiles[name+" alloc_space"] = allocTop
}

// addCost adds the $/1M records estimate from CPU and wall time.
func (b *bench) addCost(what string, cpu, wall time.Duration, records int, perInvoke float64, how string) {
	if records == 0 {
		return
	}
	m := CostModel{MemoryMB: b.o.MemoryMB, RecordsPerInvoke: perInvoke}
	cpuPer := cpu / time.Duration(records)
	wallPer := wall / time.Duration(records)
	b.rep.Add(Figure{Section: "cost", Name: what, Value: m.DollarsPerMillion(cpuPer, wallPer), Unit: "$/1M records",
		Note: fmt.Sprintf("%s %.1f µs/record, wall %.1f µs/record, %d MB (%.3f vCPU), %.0f records/invoke",
			how, float64(cpuPer)/1e3, float64(wallPer)/1e3, b.o.MemoryMB, m.CPUShare(), perInvoke)})
}

// scaling measures source time per page by table size and sink throughput
// by batch size.
func (b *bench) scaling(ctx context.Context, d *dataset) error {
	small := &dataset{Label: "200B", Table: "r200_10k", Rows: 10_000, RowBytes: 200}
	if _, err := seed(ctx, b.e.db, small); err != nil {
		return err
	}
	type tableSize struct {
		table string
		rows  int
	}
	sizes := []tableSize{{small.Table, small.Rows}, {d.Table, d.Rows}}
	if b.o.Big {
		big := &dataset{Label: "200B", Table: "r200_10m", Rows: 10_000_000, RowBytes: 200}
		done := b.step("seeding 10M rows")
		_, err := seed(ctx, b.e.db, big)
		done()
		if err != nil {
			return err
		}
		sizes = append(sizes, tableSize{big.Table, big.Rows})
	}
	const pages = 5
	for _, ts := range sizes {
		p := b.o.ScalePage
		starts := []int64{0}
		if ts.rows > 2*pages*p {
			starts = append(starts, int64(ts.rows/2), int64(ts.rows-pages*p))
		}
		done := b.step(fmt.Sprintf("source page times on %s", ts.table))
		times, err := b.e.pageTimes(ctx, ts.table, p, pages, starts)
		done()
		if err != nil {
			return err
		}
		var parts []string
		var msv []float64
		for i, t := range times {
			parts = append(parts, fmt.Sprintf("after id %d: %.1f ms", starts[i], ms(t)))
			msv = append(msv, ms(t))
		}
		b.rep.Add(Figure{Section: "scaling", Name: fmt.Sprintf("source ReadPage %d rows, table %s rows", p, FormatNumber(float64(ts.rows))),
			Value: Mean(msv), Unit: "ms/page", Note: strings.Join(parts, "; ")})
	}

	// Sink throughput by batch size, MySQL and DynamoDB.
	sd := b.sink[d.Label]
	for _, batch := range []int{100, 1000, 10_000} {
		n := min(len(sd.Records), max(20_000, batch))
		tbl := fmt.Sprintf("sink_scale_%d", batch)
		if _, err := b.e.db.ExecContext(ctx, fmt.Sprintf(tableDDL, tbl)); err != nil {
			return fmt.Errorf("bench: creating %s: %w", tbl, err)
		}
		raw, err := b.rawUpsert(ctx, d, b.rows[d.Label][:n], batch, min(batch, 2_000), "scale")
		if err != nil {
			return err
		}
		s, err := b.e.mysqlSink(sd.Records[0].Topic, tbl)
		if err != nil {
			return err
		}
		done := b.step(fmt.Sprintf("MySQL sink batch %d", batch))
		wr, err := writeBatches(ctx, s, sd.Records[:n], batch, nil)
		done()
		_ = s.Close()
		b.e.dropMeasured(ctx, tbl)
		if err != nil {
			return err
		}
		b.rep.Add(Figure{Section: "scaling", Name: fmt.Sprintf("MySQL sink batch %d", batch), Value: Rate(float64(wr.Records), wr.Elapsed), Unit: "records/s",
			Ceiling: raw, CeilingName: fmt.Sprintf("raw upsert, batch %d", batch), Note: fmt.Sprintf("%d records; raw measured just before with the same batches", wr.Records)})

		dn := min(n, b.o.DynamoRecords/2)
		rawD, _, err := b.rawBatchWrite(ctx, d, b.rows[d.Label][:dn], fmt.Sprintf("scale-%d", batch))
		if err != nil {
			return err
		}
		dtbl, err := b.e.newTable(ctx, fmt.Sprintf("slkc-bench-%s-scale-%d", b.e.runID, batch))
		if err != nil {
			return err
		}
		ds, err := b.e.dynamoSink(sd.Records[0].Topic, dtbl)
		if err != nil {
			return err
		}
		done = b.step(fmt.Sprintf("DynamoDB sink batch %d", batch))
		dr, err := writeBatches(ctx, ds, sd.Records[:dn], batch, b.e.ddbCount)
		done()
		if err != nil {
			return err
		}
		b.rep.Add(Figure{Section: "scaling", Name: fmt.Sprintf("DynamoDB sink batch %d", batch), Value: Rate(float64(dr.Records), dr.Elapsed), Unit: "records/s",
			Ceiling: rawD, CeilingName: "raw BatchWriteItem", Note: fmt.Sprintf("%d records, %s; raw measured just before", dr.Records, fmtCounts(dr.Requests))})
	}
	return nil
}

// process measures the real function binaries in localstack/runtime.
// Failures are recorded as skipped figures, not run errors, because the
// binaries are built by other targets.
//
// The MySQL sink-handler runs on both data sets (d and more), the DynamoDB
// one and the source-poller on d.
func (b *bench) process(ctx context.Context, d *dataset, more ...*dataset) {
	tables, err := b.e.stateTables(ctx, "fn")
	if err != nil {
		b.rep.Skip("function binaries", err)
		return
	}
	stateEnv := map[string]string{"SLKC_OFFSETS_TABLE": tables.Offsets, "SLKC_LEASES_TABLE": tables.Leases, "SLKC_STATUS_TABLE": tables.Status}
	spec := func(name, fn, connector string) runtime.FunctionSpec {
		env := map[string]string{"SLKC_CONNECTOR_CONFIG": connector}
		maps.Copy(env, stateEnv)
		maps.Copy(env, b.e.fnEnv)
		bin, _ := filepath.Abs(filepath.Join(b.o.BuildDir, fn, "bootstrap"))
		return runtime.FunctionSpec{Name: name, Bootstrap: bin, Env: env,
			MemoryMB: b.o.MemoryMB, Timeout: 60 * time.Second}
	}
	framework := func(props map[string]string, class string) map[string]string {
		out := map[string]string{"connector.class": class, "bootstrap.servers": b.e.bootstrap,
			"key.converter": "org.apache.kafka.connect.json.JsonConverter", "value.converter": "org.apache.kafka.connect.json.JsonConverter",
			"value.converter.schemas.enable": "true"}
		for k, v := range props {
			out[k] = v
		}
		return out
	}

	type sinkRun struct {
		set          *dataset
		label, class string
		props        func(table string) map[string]string
		mkTable      func(name string) (string, error)
	}
	mysqlTable := func(name string) (string, error) {
		_, err := b.e.db.ExecContext(ctx, fmt.Sprintf(tableDDL, name))
		return name, err
	}
	sinks := []sinkRun{
		{d, "sink-handler MySQL", mysql.SinkClass, func(t string) map[string]string { return b.e.mysqlSinkProps(b.sink[d.Label].Records[0].Topic, t) }, mysqlTable},
		{d, "sink-handler DynamoDB", dynamodb.Class, func(t string) map[string]string { return dynamoSinkProps(b.sink[d.Label].Records[0].Topic, t) },
			func(name string) (string, error) { return b.e.newTable(ctx, "slkc-bench-"+b.e.runID+"-"+name) }},
	}
	for _, m := range more {
		sinks = append(sinks, sinkRun{m, "sink-handler MySQL " + m.Label, mysql.SinkClass,
			func(t string) map[string]string { return b.e.mysqlSinkProps(b.sink[m.Label].Records[0].Topic, t) }, mysqlTable})
	}
	for i, s := range sinks {
		if (b.o.Only == "sink" && s.class != mysql.SinkClass) || b.o.Only == "source" {
			continue
		}
		sd := b.sink[s.set.Label]
		n := min(b.o.ProcessRecords, len(sd.Values))
		values := sd.Values[:n]
		topic := sd.Records[0].Topic
		// Records per invoke: as many as fit Lambda's 6 MB payload, at most 10k.
		var maxLen int
		for _, v := range values {
			maxLen = max(maxLen, len(v))
		}
		perInvoke := min(10_000, (runtime.MaxPayloadBytes*9/10)/(maxLen*4/3+200))
		var warm []invocation
		for lo := 0; lo < n; lo += perInvoke {
			hi := min(lo+perInvoke, n)
			p, err := kafkaEvent(topic, values, lo, hi)
			if err != nil {
				b.rep.Skip("function binaries", err)
				return
			}
			warm = append(warm, invocation{Payload: p, Records: hi - lo})
		}
		one, _ := kafkaEvent(topic, values, 0, 1)

		inv := warm
		if s.class == dynamodb.Class {
			// DynamoDB Local is slow; send fewer records.
			keep := 0
			for j, w := range warm {
				if keep >= b.o.DynamoRecords/2 && j > 0 {
					inv = warm[:j]
					break
				}
				keep += w.Records
			}
		}
		// The warm process first gets one full event, not counted: a
		// function instance serves many invokes, and its first full one
		// pays for growing the heap and preparing the statements (the cold
		// starts above are measured apart).
		warmUp := one
		if len(inv) > 1 {
			warmUp, inv = inv[0].Payload, inv[1:]
		}
		// The MySQL sinks run -reps times, each on a fresh table and
		// process, and the best run is reported, as their raw upsert
		// ceiling is; the cold starts are measured in the first run.
		reps := 1
		if s.class == mysql.SinkClass {
			reps = max(1, b.o.Reps)
		}
		coldT, err := s.mkTable(fmt.Sprintf("fn_cold_%d", i))
		if err != nil {
			b.rep.Skip(s.label, fmt.Errorf("creating tables: %w", err))
			continue
		}
		cold := spec(fmt.Sprintf("bench-sink-cold-%d", i), "sink-handler", connectorJSON(fmt.Sprintf("bench-sink-cold-%d", i), framework(s.props(coldT), s.class)))
		var best fnRun
		var rates []string
		// eventCeil is the raw upsert of the same rows in transactions of
		// one event's records, measured beside each MySQL run:
		// Lambda's 6 MB payload makes the binary commit every perInvoke
		// records, where the raw upsert ceiling (and the goal) commits
		// every 10,000.
		var eventCeil float64
		var eventNotes []string
		ok := true
		// Each run and the goal's ceiling beside it (the raw upsert in
		// 10k-row transactions) go back to back in the order of
		// ceilingFirst, the raw upsert of one event's transactions on the
		// ceiling's far side.
		for rep := 0; rep < reps; rep++ {
			var ceil float64
			var fr fnRun
			rows := b.rows[s.set.Label]
			withCeilings := s.class == mysql.SinkClass && len(rows) >= n
			event := func() bool {
				if !withCeilings {
					return true
				}
				r, notes, err := b.rawUpsertBest(ctx, s.set, rows[:n], perInvoke, []int{perInvoke, 2_000}, fmt.Sprint("event", rep))
				if err != nil {
					b.rep.Skip(s.label, err)
					return false
				}
				eventCeil = max(eventCeil, r)
				eventNotes = append(eventNotes, notes...)
				return true
			}
			goalCeil := func() bool {
				if !withCeilings {
					return true
				}
				var err error
				if ceil, _, err = b.goalCeiling(ctx, s.set, rows[:n], fmt.Sprint("beside", rep)); err != nil {
					b.rep.Skip(s.label, err)
					return false
				}
				return true
			}
			run := func() bool {
				name := fmt.Sprintf("bench-sink-warm-%d", i)
				table := fmt.Sprintf("fn_warm_%d", i)
				if rep > 0 {
					name, table = fmt.Sprint(name, "-", rep), fmt.Sprint(table, "_", rep)
				}
				warmT, err := s.mkTable(table)
				if err != nil {
					b.rep.Skip(s.label, fmt.Errorf("creating tables: %w", err))
					return false
				}
				ws := spec(name, "sink-handler", connectorJSON(name, framework(s.props(warmT), s.class)))
				var prof string
				if rep == 0 {
					prof = b.binaryProfile(ws, "sink-handler-binary-"+strings.ReplaceAll(s.label, " ", "-"))
				}
				colds := b.o.ColdStarts
				if rep > 0 {
					colds = 0
				}
				done := b.step(fmt.Sprintf("function %s (run %d of %d)", s.label, rep+1, reps))
				fr, err = runFunction(ctx, cold, one, colds, ws, warmUp, inv)
				done()
				if s.class == mysql.SinkClass {
					b.e.dropMeasured(ctx, warmT)
				}
				if err != nil {
					b.rep.Skip(s.label, err)
					return false
				}
				b.addProfile(prof)
				rates = append(rates, FormatNumber(fr.rate()))
				return true
			}
			steps := []func() bool{event, goalCeil, run}
			if !ceilingFirst(rep) {
				slices.Reverse(steps)
			}
			for _, step := range steps {
				if ok = step(); !ok {
					break
				}
			}
			if !ok {
				break
			}
			fr.Beside = ceil
			keepBest(&best, fr, rep == 0)
			if ceil > 0 {
				b.pairs[s.label] = append(b.pairs[s.label], pair{fr.rate(), ceil})
			}
		}
		if s.class == mysql.SinkClass {
			b.e.dropMeasured(ctx, coldT)
		}
		if !ok {
			continue
		}
		if len(rates) > 1 {
			best.Runs = bestOf(rates)
		}
		b.addProcess(s.label, s.set.Label, best)
		if eventCeil > 0 {
			b.rep.Add(Figure{Section: "process", Name: s.label + " throughput against one event per transaction", Value: best.rate(), Unit: "records/s",
				Ceiling: eventCeil, CeilingName: "raw upsert, one event per tx",
				Note: fmt.Sprintf("the raw upsert of the same %d rows in transactions of %d rows (one event's records), measured beside each run: best of %s records/s; the goal's ceiling commits every 10,000",
					n, perInvoke, strings.Join(eventNotes, ", "))})
		}
	}

	if b.o.Only == "sink" {
		return
	}
	b.sourcePollers(ctx, d, spec, framework)
}

// sourcePollers measures the source-poller binary on d: cold starts on an
// empty table, then one invocation over the 200-byte table (as much as a
// 60 s invocation reads), with the default batch.size (1 MB) and with the
// Java producer's 16 KB. spec and framework are process's.
func (b *bench) sourcePollers(ctx context.Context, d *dataset, spec func(name, fn, connector string) runtime.FunctionSpec,
	framework func(props map[string]string, class string) map[string]string) {
	if _, err := os.Stat(filepath.Join(b.o.BuildDir, "source-poller", "bootstrap")); err != nil {
		b.rep.Skip("source-poller", err)
		return
	}
	if _, err := b.e.db.ExecContext(ctx, fmt.Sprintf(tableDDL, "r_empty")); err != nil {
		b.rep.Skip("source-poller", err)
		return
	}
	prefix := "slkc-bench-" + b.e.runID + "-fn-"
	if _, err := b.e.newTopic(ctx, prefix+"r_empty", int32(b.o.Partitions)); err != nil {
		b.rep.Skip("source-poller", err)
		return
	}
	srcProps := func(table, prefix string) map[string]string {
		return framework(map[string]string{"connection.url": b.e.DSN(false), "mode": "incrementing", "incrementing.column.name": "id",
			"table.whitelist": table, "batch.max.rows": fmt.Sprint(b.o.Page), "topic.prefix": prefix}, mysql.SourceClass)
	}
	cold := spec("bench-source-cold", "source-poller", connectorJSON("bench-source-cold", srcProps("r_empty", prefix)))
	// Two configurations: the default batch.size (1 MB), and the Java
	// producer's 16 KB, which a user coming from Kafka Connect may set (it
	// makes about 16 JSON records of these rows a batch, and a produce
	// request carries one batch per partition).
	type pollerRun struct {
		label, name, prefix, profile string
		extra                        map[string]string
		best                         fnRun
		rates                        []string
		// each run's figures, and the ceilings beside it
		run    []fnRun
		beside []besideCeilings
	}
	runs := []*pollerRun{
		{label: sourcePollerLabel, name: "bench-source-warm", prefix: prefix, profile: "source-poller-binary-" + d.Label},
		{label: sourcePollerLabel + " " + javaBatchLabel, name: "bench-source-warm-16kb", prefix: prefix + "16kb-",
			profile: "source-poller-binary-" + d.Label + "-batch-16kb", extra: map[string]string{config.KeyProducerBatchSize: fmt.Sprint(javaBatchBytes)}},
	}
	// Each configuration runs -source-reps times, each on its own topic and
	// offsets in a fresh process, and the best run is reported, as for the
	// sink-handler binaries. Each run of the default configuration is
	// paired with one more run of the in-process loop, in the order of
	// sourceSchedule, and the goal takes the median of the pairs' ratios:
	// single runs of either varied 59k–136k rows/s on the shared 2 cores.
	reps := b.o.SourceReps
	for _, r := range runs {
		r.run, r.beside = make([]fnRun, reps), make([]besideCeilings, reps)
	}
	loop := make([]float64, reps)
	var loopRates []string
	var warmup float64
	for _, st := range sourceSchedule(reps, len(runs)) {
		if st.Ceiling {
			c, err := b.minSourceCeiling(ctx, d, fmt.Sprintf("beside %s (run %d)", runs[st.Config].label, st.Rep+1))
			if err != nil {
				b.rep.Skip(runs[st.Config].label, err)
				return
			}
			runs[st.Config].beside[st.Rep] = c
			continue
		}
		if st.Loop {
			rate, cpu, err := b.sourceLoopStep(ctx, d, st)
			if err != nil {
				b.rep.Skip("source loop beside the source-poller", err)
				return
			}
			if st.Warmup {
				warmup = rate
				continue
			}
			loop[st.Rep] = rate
			loopRates = append(loopRates, fmt.Sprintf("%s (%s)", FormatNumber(rate), perRow(cpu, d.Rows)))
			b.loopBeside[d.Label] = max(b.loopBeside[d.Label], rate)
			continue
		}
		r, rep := runs[st.Config], st.Rep
		name, topicPrefix := r.name, r.prefix
		if rep > 0 {
			name, topicPrefix = fmt.Sprint(name, "-", rep), fmt.Sprint(topicPrefix, rep, "-")
		}
		topic, err := b.e.newTopic(ctx, topicPrefix+d.Table, int32(b.o.Partitions))
		if err != nil {
			b.rep.Skip(r.label, err)
			return
		}
		props := srcProps(d.Table, topicPrefix)
		maps.Copy(props, r.extra)
		ws := spec(name, "source-poller", connectorJSON(name, props))
		// The real process's CPU profile, beside the in-process
		// loop's (profile "source-200B"), to compare the two.
		var prof string
		if rep == 0 {
			prof = b.binaryProfile(ws, r.profile)
		}
		colds := 0
		if rep == 0 && st.Config == 0 {
			colds = b.o.ColdStarts
		}
		done := b.step(fmt.Sprintf("function %s (run %d of %d)", r.label, rep+1, reps))
		fr, err := runFunction(ctx, cold, []byte("{}"), colds, ws, nil, []invocation{{Payload: []byte("{}")}})
		done()
		b.e.dropTopic(ctx, topic) // as runSource's, for the same reason
		if err != nil {
			b.rep.Skip(r.label, err)
			return
		}
		b.addProfile(prof)
		r.rates = append(r.rates, fmt.Sprintf("%s (%s, of it sys %.1f µs, %.2f minor faults; %.2f cores busy)", FormatNumber(fr.rate()), perRow(fr.CPU, fr.Records),
			float64(fr.Sys)/float64(max(fr.Records, 1))/1e3, float64(fr.MinFlt)/float64(max(fr.Records, 1)), fr.Cores))
		r.run[rep] = fr
	}
	for rep := range reps {
		b.pairs[sourcePollerLabel] = append(b.pairs[sourcePollerLabel], pair{runs[0].run[rep].rate(), loop[rep]})
		for _, r := range runs {
			fr := r.run[rep]
			c := r.beside[rep]
			fr.Beside = c.Min
			keepBest(&r.best, fr, rep == 0)
			b.pairs[minCeilingKey(r.label)] = append(b.pairs[minCeilingKey(r.label)], pair{fr.rate(), c.Min})
			b.pairs[pipelineKey(r.label)] = append(b.pairs[pipelineKey(r.label)], pair{fr.rate(), c.Pipeline})
			b.pairs[pipelineOverMin] = append(b.pairs[pipelineOverMin], pair{c.Pipeline, c.Min})
		}
	}
	var pipeline float64
	var pipelines []string
	for _, r := range runs {
		for _, c := range r.beside {
			pipeline = max(pipeline, c.Pipeline)
			pipelines = append(pipelines, c.note(d.Rows))
		}
	}
	b.rep.Add(Figure{Section: "ceiling", Name: "SELECT scan and franz-go produce together at JSON size " + d.Label, Value: pipeline, Unit: "rows/s",
		Note: fmt.Sprintf("pipelineCeiling beside each source-poller run: each row as it is scanned produced as one record of the JSON key and value sizes, no conversion, franz-go's default 1 MB batches; best of %s (CPU of the bench process, cores busy on the whole machine); to min(scan, produce) beside it: %s",
			strings.Join(pipelines, ", "), pairsNote(b.pairs[pipelineOverMin]))})
	b.rep.Add(Figure{Section: "source", Name: "MySQL source -> Kafka beside the source-poller " + d.Label, Value: b.loopBeside[d.Label], Unit: "rows/s",
		Note: fmt.Sprintf("sourcetask.Task.Run as above, paired with each run of the source-poller binary (default producer settings), first in odd runs and second in even ones, after one unmeasured run (%s rows/s); %s",
			FormatNumber(warmup), bestOf(loopRates))})
	for i, r := range runs {
		if len(r.rates) > 1 {
			r.best.Runs = bestOf(r.rates)
		}
		if i > 0 {
			r.best.BinaryBytes = 0 // reported with the first
		}
		b.addProcess(r.label, d.Label, r.best)
	}
	b.addJavaBatchRatio()
}

// keepBest keeps fr in best when it is the first run or a faster one; the
// cold starts, measured in the first run only, stay.
func keepBest(best *fnRun, fr fnRun, first bool) {
	switch {
	case first:
		*best = fr
	case fr.rate() > best.rate():
		fr.ColdWall, fr.ColdInit = best.ColdWall, best.ColdInit
		*best = fr
	}
}

// besideCeilings are the ceilings measured beside one source-poller run,
// in rows/s.
type besideCeilings struct {
	// Min is the lower of the SELECT scan and the raw produce of records
	// of the JSON key and value sizes, each measured alone.
	Min float64
	// Pipeline is the two together with no conversion (pipelineCeiling).
	Pipeline float64
	// PipelineCPU is the bench process's CPU time over the pipeline, and
	// PipelineCores how many cores the whole machine kept busy meanwhile.
	PipelineCPU   time.Duration
	PipelineCores float64
}

// note describes the pipeline run of n rows: its rate, the CPU per row
// of its two clients and the cores the machine kept busy.
func (c besideCeilings) note(n int) string {
	return fmt.Sprintf("%s (%s, %.2f cores busy)", FormatNumber(c.Pipeline), perRow(c.PipelineCPU, n), c.PipelineCores)
}

// minSourceCeiling measures, as step what, the SELECT scan of d and the
// raw produce of as many records of its JSON key and value sizes (what
// produceJSONCeiling measured last), once each, then the two together
// (pipelineCeiling).
func (b *bench) minSourceCeiling(ctx context.Context, d *dataset, what string) (besideCeilings, error) {
	shape := b.jsonSize[d.Label]
	if shape.Value == 0 {
		return besideCeilings{}, fmt.Errorf("bench: no JSON record size measured for %s", d.Label)
	}
	done := b.step("scan and produce ceilings, alone and together, " + d.Label + " " + what)
	defer done()
	sr, err := scanCeiling(ctx, b.e.db, d)
	if err != nil {
		return besideCeilings{}, err
	}
	topic := func(kind string) (string, error) {
		return b.e.newTopic(ctx, fmt.Sprintf("slkc-bench-%s-%s-%s-beside-%d", b.e.runID, kind, d.Table, b.e.topicSeq()), int32(b.o.Partitions))
	}
	t, err := topic("rawjson")
	if err != nil {
		return besideCeilings{}, err
	}
	pr, err := produceCeiling(ctx, b.e.bootstrap, t, jsonSizes(d.Rows, shape.Value), int32(shape.Key))
	b.e.dropTopic(ctx, t)
	if err != nil {
		return besideCeilings{}, err
	}
	if t, err = topic("pipeline"); err != nil {
		return besideCeilings{}, err
	}
	cpu, span := cpuTime(), startMachineSpan()
	pl, err := pipelineCeiling(ctx, b.e.db, d, b.e.bootstrap, t, shape)
	cores, cpu := span.cores(), cpuTime()-cpu
	b.e.dropTopic(ctx, t)
	if err != nil {
		return besideCeilings{}, err
	}
	if pl.Records != d.Rows {
		return besideCeilings{}, fmt.Errorf("bench: the scan and produce pipeline moved %d of %d rows", pl.Records, d.Rows)
	}
	return besideCeilings{
		Min:         min(Rate(float64(sr.Rows), sr.Elapsed), Rate(float64(pr.Records), pr.Elapsed)),
		Pipeline:    Rate(float64(pl.Records), pl.Elapsed),
		PipelineCPU: cpu, PipelineCores: cores,
	}, nil
}

// sourceLoopStep runs the in-process source loop over d for step st of
// sourceSchedule, on its own topic and offsets, and returns its rate and
// the bench process's CPU time over it.
func (b *bench) sourceLoopStep(ctx context.Context, d *dataset, st sourceStep) (float64, time.Duration, error) {
	if st.Warmup {
		return b.sourceLoopOnce(ctx, d, fmt.Sprintf("source run over %s to warm up (not measured)", d.Table), "src-warmup-"+d.Table)
	}
	return b.sourceLoopOnce(ctx, d, fmt.Sprintf("source run over %s beside the source-poller (run %d)", d.Table, st.Rep+1),
		fmt.Sprintf("src-beside-%d-%s", st.Rep, d.Table))
}

// sourceLoopOnce runs the in-process source loop over all of d as step
// what, on the topic and offsets of suffix, and returns its rate and the
// bench process's CPU time over it.
func (b *bench) sourceLoopOnce(ctx context.Context, d *dataset, what, suffix string) (float64, time.Duration, error) {
	done := b.step(what)
	sr, err := b.e.runSource(ctx, d, b.o.Page, int32(b.o.Partitions), suffix)
	done()
	if err != nil {
		return 0, 0, err
	}
	if sr.Records != d.Rows {
		return 0, 0, fmt.Errorf("read %d of %d rows (stopped by deadline: %v)", sr.Records, d.Rows, sr.StoppedByDeadline)
	}
	return Rate(float64(sr.Records), sr.Elapsed), sr.CPU, nil
}

// perRow formats cpu over n rows as µs of CPU per row.
func perRow(cpu time.Duration, n int) string {
	return fmt.Sprintf("%.1f µs CPU per row", float64(cpu)/float64(max(n, 1))/1e3)
}

// javaBatchBytes is the producer.override.batch.size of the second
// source-poller run and of the second raw produce at JSON size: Kafka's
// Java producer's default batch.size.
const javaBatchBytes = 16384

// javaBatchLabel names the figures of that run.
var javaBatchLabel = fmt.Sprintf("%s=%d", config.KeyProducerBatchSize, javaBatchBytes)

// pipelineProfile starts the bench process's CPU profile name for a
// pipeline run and returns it with the folder the function binaries write
// theirs to; both are empty with -no-profiles or when it cannot start.
func (b *bench) pipelineProfile(name string) (*profiler, string) {
	if b.o.NoProfiles {
		return nil, ""
	}
	dir := b.profileDir()
	prof, err := startProfile(dir, name)
	if err != nil {
		b.rep.Skip("profile "+name, err)
		return nil, ""
	}
	return prof, dir
}

// profileDir is the absolute folder of the run's pprof files (-out's
// "profiles").
func (b *bench) profileDir() string {
	dir, _ := filepath.Abs(filepath.Join(b.o.OutDir, "profiles"))
	return dir
}

// binaryProfile has the function process of spec write its CPU profile
// (coldstart.CPUProfileEnv) to profiles/<name>.cpu.pprof and returns the
// profile's name, or "" under -no-profiles.
func (b *bench) binaryProfile(spec runtime.FunctionSpec, name string) string {
	if b.o.NoProfiles {
		return ""
	}
	dir := b.profileDir()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return ""
	}
	spec.Env[coldstart.CPUProfileEnv] = filepath.Join(dir, name+".cpu.pprof")
	return name
}

// addProfile adds the top of a profile binaryProfile named to the report.
func (b *bench) addProfile(name string) {
	if name == "" {
		return
	}
	b.rep.Profiles[name+" cpu"] = pprofTop(15, filepath.Join(b.profileDir(), name+".cpu.pprof"))
}

// addProcess adds a function binary's figures; set is the data set it ran
// on, whose raw figures are its ceilings.
func (b *bench) addProcess(label, set string, fr fnRun) {
	if fr.BinaryBytes > 0 {
		b.rep.Add(Figure{Section: "process", Name: label + " binary size", Value: float64(fr.BinaryBytes) / 1e6, Unit: "MB",
			Note: "build/<fn>/bootstrap of make build-local (" + goarch() + ")"})
	}
	if b.o.Arm64Dir != "" && fr.BinaryBytes > 0 {
		fn := "sink-handler"
		if strings.HasPrefix(label, "source") {
			fn = "source-poller"
		}
		if st, err := os.Stat(filepath.Join(b.o.Arm64Dir, fn, "bootstrap")); err == nil {
			b.rep.Add(Figure{Section: "process", Name: label + " binary size arm64", Value: float64(st.Size()) / 1e6, Unit: "MB",
				Note: "linux/arm64, -tags lambda.norpc -trimpath -s -w, as make build"})
		}
	}
	if len(fr.ColdWall) > 0 {
		b.rep.Add(Figure{Section: "process", Name: label + " cold start p50", Value: Percentile(fr.ColdWall, 50), Unit: "ms",
			Note: fmt.Sprintf("process start -> first invoke served (1-record event, or empty table for the source), %d starts, p90 %.1f ms; runtime Init Duration p50 %.1f ms",
				len(fr.ColdWall), Percentile(fr.ColdWall, 90), Percentile(fr.ColdInit, 50))})
	}
	if fr.Invokes == 0 {
		return
	}
	note := fmt.Sprintf("%d records in %d invokes, up to %d records per invoke", fr.Records, fr.Invokes, fr.RecordsPerInv)
	if fr.PayloadBytes > 100 {
		note += fmt.Sprintf(" (%.1f MB event)", float64(fr.PayloadBytes)/1e6)
	}
	if fr.Runs != "" {
		note += "; " + fr.Runs
	}
	if len(fr.Errors) > 0 {
		note += "; " + strings.Join(fr.Errors, ", ")
	}
	// The ceilings are the raw figures of the data set measured earlier in
	// this run: the scan and the produce of the records' JSON for the
	// source, the raw writes for the sinks; or the one measured right
	// before the run, when there is one (the MySQL sink-handler's).
	ceil, ceilName := b.upsert[set], "raw upsert"
	switch {
	case fr.Beside > 0 && strings.HasPrefix(label, "source"):
		ceil, ceilName = fr.Beside, "min(scan, produce at JSON size) beside this run"
	case fr.Beside > 0:
		ceil, ceilName = fr.Beside, "raw upsert beside this run"
	case strings.HasPrefix(label, "source"):
		ceil, ceilName = min(b.scan[set], b.produceJSON[set]), "min(scan, produce at JSON size)"
	case strings.Contains(label, "DynamoDB"):
		ceil, ceilName = b.batchWrite[set], "raw BatchWriteItem"
	}
	rate := fr.rate()
	b.binary[label] = rate
	b.rep.Add(Figure{Section: "process", Name: label + " throughput", Value: rate, Unit: "records/s",
		Ceiling: ceil, CeilingName: ceilName, Note: note})
	b.rep.Add(Figure{Section: "process", Name: label + " invoke duration p50", Value: Percentile(fr.Durations, 50), Unit: "ms",
		Note: fmt.Sprintf("p99 %.1f ms over %d invokes", Percentile(fr.Durations, 99), len(fr.Durations))})
	b.rep.Add(Figure{Section: "process", Name: label + " peak RSS", Value: float64(fr.PeakRSSMB), Unit: "MB",
		Note: fmt.Sprintf("VmHWM of the function process; configured %d MB", b.o.MemoryMB)})
	if fr.Records > 0 {
		b.addCost(label+" (process)", fr.CPU, fr.busy(), fr.Records, float64(fr.RecordsPerInv),
			fmt.Sprintf("function process (/proc, 10 ms ticks; of it sys %.1f µs/record, and %.2f minor page faults/record) user+sys",
				float64(fr.Sys)/float64(fr.Records)/1e3, float64(fr.MinFlt)/float64(fr.Records)))
	}
}

func fmtCounts(m map[string]int) string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	var parts []string
	for _, k := range ks {
		parts = append(parts, fmt.Sprintf("%s=%d", k, m[k]))
	}
	if len(parts) == 0 {
		return "no requests"
	}
	return strings.Join(parts, " ")
}
