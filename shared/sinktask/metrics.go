package sinktask

import (
	"context"

	"github.com/serverless-kafka-connect/slkc/events"
	"github.com/serverless-kafka-connect/slkc/shared/emf"
)

// batchMetrics are the counts of one Handle call's EMF line.
type batchMetrics struct {
	size, written, deadLettered, failed int
}

// metrics counts r; err is Handle's error, which makes the whole batch
// come again.
func (r *run) metrics(err error) batchMetrics {
	m := batchMetrics{size: r.records(), written: r.written, deadLettered: r.deadLettered, failed: r.failedCount()}
	if err != nil {
		m.failed = m.size
	}
	return m
}

// eventSize is the number of records in ev, counted without decoding it.
func eventSize(ev events.KafkaEvent) int {
	n := 0
	for _, recs := range ev.Records {
		n += len(recs)
	}
	return n
}

// writeMetrics writes the batch's EMF line to t.Metrics, if set. A failed
// write is logged: metrics never fail an invocation.
func (t *Task) writeMetrics(ctx context.Context, m batchMetrics) {
	if t.Metrics == nil {
		return
	}
	err := emf.Write(t.Metrics, emf.Line{
		Timestamp:  t.now(),
		Dimensions: []emf.Dimension{{Name: "Connector", Value: t.Name}},
		Metrics: []emf.Metric{
			{Name: "RecordsWritten", Unit: emf.UnitCount, Value: float64(m.written)},
			{Name: "RecordsDeadLettered", Unit: emf.UnitCount, Value: float64(m.deadLettered)},
			{Name: "RecordsFailed", Unit: emf.UnitCount, Value: float64(m.failed)},
			{Name: "BatchSize", Unit: emf.UnitCount, Value: float64(m.size)},
		},
	})
	if err != nil {
		t.log().WarnContext(ctx, "sink metrics line not written", "connector", t.Name, "error", err.Error())
	}
}
