package main

import (
	"context"
	"fmt"
	"strings"
)

// onlySource is -only source: the SELECT scan and raw produce ceilings of
// the 200 B rows, the in-process source loop, the raw produce at the JSON
// size of its records and the source-poller binary (with Kafka's default
// batch.size and with 1 MB batches), with the goals that divide them. It
// is the quick loop for work on the source path (compare runs with
// -fn-env); the full run (make bench) measures the same figures.
func (b *bench) onlySource(ctx context.Context, d *dataset) error {
	if _, err := b.seed(ctx, d); err != nil {
		return err
	}
	if err := b.sourceCeilings(ctx, d, "before"); err != nil {
		return err
	}
	if err := b.sourceLoopRun(ctx, d); err != nil {
		return err
	}
	// The JSON size of the records, as the sink data of the full run
	// measures it, from the first page's worth of rows.
	sd, err := b.e.sinkRecords(ctx, d, min(d.Rows, b.o.Page), "bench_source_json_"+d.Table)
	if err != nil {
		return err
	}
	if err := b.produceJSONCeiling(ctx, d, sd.shape()); err != nil {
		return err
	}
	b.process(ctx, d)
	b.addGoals()
	return nil
}

// jsonSizes is n record sizes of mean bytes each.
func jsonSizes(n int, mean float64) []int32 {
	sizes := make([]int32, n)
	for i := range sizes {
		sizes[i] = int32(mean)
	}
	return sizes
}

// meanSize is the mean length of values (0 for none).
func meanSize(values [][]byte) float64 {
	if len(values) == 0 {
		return 0
	}
	var n int
	for _, v := range values {
		n += len(v)
	}
	return float64(n) / float64(len(values))
}

// produceJSONCeiling measures the raw produce of d.Rows records of the
// shape's key and value sizes, the sizes the source's records really have
// (keyed, so they spread over the partitions by key as the source's do),
// for reading the source ratios (the "franz-go produce" ceiling has the
// row bytes and no keys).
// It runs twice and keeps the faster, as sourceCeilings does: one run
// slowed by another job on the machine would otherwise flatter the ratio
// (single runs varied 250k–850k rows/s on the shared 2 cores).
func (b *bench) produceJSONCeiling(ctx context.Context, d *dataset, shape recordShape) error {
	b.jsonSize[d.Label] = shape
	sizes := jsonSizes(d.Rows, shape.Value)
	var runs []string
	for run := 1; run <= 2; run++ {
		ptopic, err := b.e.newTopic(ctx, fmt.Sprintf("slkc-bench-%s-rawjson-%s-%d", b.e.runID, d.Table, run), int32(b.o.Partitions))
		if err != nil {
			return err
		}
		done := b.step(fmt.Sprintf("produce ceiling at JSON size %s #%d", d.Label, run))
		pr, err := produceCeiling(ctx, b.e.bootstrap, ptopic, sizes, int32(shape.Key))
		done()
		if err != nil {
			return err
		}
		r := Rate(float64(pr.Records), pr.Elapsed)
		b.produceJSON[d.Label] = max(b.produceJSON[d.Label], r)
		runs = append(runs, FormatNumber(r))
	}
	b.rep.Add(Figure{Section: "ceiling", Name: "franz-go produce at JSON size " + d.Label, Value: b.produceJSON[d.Label], Unit: "rows/s",
		Note: fmt.Sprintf("%d records of %.0f B with keys of %.0f B (one per record), best of %s; the source loop's ratio to this: %.2f", d.Rows, shape.Value, shape.Key, strings.Join(runs, ", "), ratio(b.sourceLoop[d.Label], b.produceJSON[d.Label]))})
	return nil
}
