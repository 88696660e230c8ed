package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/serverless-kafka-connect/slkc/shared/config"
)

// onlySource is -only source: the SELECT scan and raw produce ceilings of
// the 200 B rows, the in-process source loop, the raw produce at the JSON
// size of its records and the source-poller binary (with the default
// batch.size, 1 MB, and with the Java producer's 16 KB), with the goals
// that divide them. It is the quick loop for work on the source path
// (compare runs with -fn-env); the full run (make bench) measures the
// same figures.
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
// row bytes and no keys); then the same in the Java producer's 16 KB
// batches, for reading the source-poller run with that batch size.
func (b *bench) produceJSONCeiling(ctx context.Context, d *dataset, shape recordShape) error {
	b.jsonSize[d.Label] = shape
	best, runs, err := b.bestProduce(ctx, d, shape, "")
	if err != nil {
		return err
	}
	b.produceJSON[d.Label] = best
	b.rep.Add(Figure{Section: "ceiling", Name: "franz-go produce at JSON size " + d.Label, Value: best, Unit: "rows/s",
		Note: fmt.Sprintf("%d records of %.0f B with keys of %.0f B (one per record), franz-go's default batches of up to 1,000,012 B (the source-poller's default %s is %d), best of %s; the source loop's ratio to this: %.2f",
			d.Rows, shape.Value, shape.Key, config.KeyProducerBatchSize, defaultBatchBytes(), runs, ratio(b.sourceLoop[d.Label], best))})
	best, runs, err = b.bestProduce(ctx, d, shape, fmt.Sprintf(" with %d B batches", javaBatchBytes), kgo.ProducerBatchMaxBytes(javaBatchBytes))
	if err != nil {
		return err
	}
	b.produceJSONJavaBatch[d.Label] = best
	b.rep.Add(Figure{Section: "ceiling", Name: "franz-go produce at JSON size, " + javaBatchLabel + " " + d.Label, Value: best, Unit: "rows/s",
		Note: fmt.Sprintf("as above with batches of at most %d B (the Java producer's default batch.size), best of %s; %.2f of the one with franz-go's default 1 MB batches", javaBatchBytes, runs, ratio(best, b.produceJSON[d.Label]))})
	return nil
}

// bestProduce runs produceCeiling (with opts) twice on d.Rows records of
// the shape and returns the faster rate and both, as sourceCeilings does:
// one run slowed by another job on the machine would otherwise flatter the
// ratio (single runs varied 250k–850k rows/s on the shared 2 cores).
func (b *bench) bestProduce(ctx context.Context, d *dataset, shape recordShape, what string, opts ...kgo.Opt) (float64, string, error) {
	sizes := jsonSizes(d.Rows, shape.Value)
	var best float64
	var runs []string
	for run := 1; run <= 2; run++ {
		ptopic, err := b.e.newTopic(ctx, fmt.Sprintf("slkc-bench-%s-rawjson-%s-%d", b.e.runID, d.Table, b.e.topicSeq()), int32(b.o.Partitions))
		if err != nil {
			return 0, "", err
		}
		done := b.step(fmt.Sprintf("produce ceiling at JSON size%s %s #%d", what, d.Label, run))
		pr, err := produceCeiling(ctx, b.e.bootstrap, ptopic, sizes, int32(shape.Key), opts...)
		done()
		b.e.dropTopic(ctx, ptopic)
		if err != nil {
			return 0, "", err
		}
		r := Rate(float64(pr.Records), pr.Elapsed)
		best = max(best, r)
		runs = append(runs, FormatNumber(r))
	}
	return best, strings.Join(runs, ", "), nil
}

// defaultBatchBytes is the default of producer.override.batch.size, from
// its one definition in shared/config.
func defaultBatchBytes() int32 { return config.DefaultProducer().BatchBytes }
