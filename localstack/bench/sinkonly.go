package main

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// onlySink is -only sink: the raw upsert ceiling of each data set and the
// MySQL sink-handler binary on the same records, nothing else. It is the
// quick loop for work on the sink-handler process (compare runs with
// -fn-env); the full run (make bench) measures the same figures.
func (b *bench) onlySink(ctx context.Context, sets []*dataset) error {
	for _, d := range sets {
		d.Rows = min(d.Rows, max(b.o.SinkRecords, b.o.ProcessRecords))
		done := b.step(fmt.Sprintf("seeding %s (%d rows of ~%d B)", d.Table, d.Rows, d.RowBytes))
		_, err := seed(ctx, b.e.db, d)
		done()
		if err != nil {
			return err
		}
		rows, err := loadRows(ctx, b.e.db, d.Table, min(b.o.SinkRecords, d.Rows))
		if err != nil {
			return err
		}
		var notes []string
		for rep := 0; rep < b.o.Reps; rep++ {
			for _, stmtRows := range []int{10_000, 2_000} {
				r, err := b.rawUpsert(ctx, d, rows, 10_000, stmtRows, fmt.Sprint("sink", rep))
				if err != nil {
					return err
				}
				b.upsert[d.Label] = max(b.upsert[d.Label], r)
				notes = append(notes, fmt.Sprintf("%s (%d-row stmts)", FormatNumber(r), stmtRows))
			}
		}
		b.rep.Add(Figure{Section: "ceiling", Name: "raw multi-row upsert " + d.Label, Value: b.upsert[d.Label], Unit: "records/s",
			Note: fmt.Sprintf("%d rows in 10k-row transactions, best of %s records/s", len(rows), strings.Join(notes, ", "))})
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
