package main

import (
	"context"
	"time"
)

// onlySink is -only sink: the raw upsert ceiling of each data set and the
// MySQL sink-handler binary on the same records, nothing else. It is the
// quick loop for work on the sink-handler process (compare runs with
// -fn-env); the full run (make bench) measures the same figures.
func (b *bench) onlySink(ctx context.Context, sets []*dataset) error {
	for _, d := range sets {
		d.Rows = min(d.Rows, max(b.o.SinkRecords, b.o.ProcessRecords))
		if err := b.seedWithCeiling(ctx, d, b.o.Reps, "sink"); err != nil {
			return err
		}
		n := min(max(b.o.SinkRecords, b.o.ProcessRecords), d.Rows)
		start := time.Now()
		sd, err := b.e.sinkRecords(ctx, d, n, "bench_sink_"+d.Table)
		if err != nil {
			return err
		}
		progress.Info("bench: sink records ready", "set", d.Label, "took", time.Since(start).Round(time.Millisecond))
		b.sink[d.Label] = sd
	}
	b.process(ctx, sets[0], sets[1:]...)
	b.addGoals()
	return nil
}
