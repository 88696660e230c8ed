package sinktask

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/serverless-kafka-connect/slkc/events"
	"github.com/serverless-kafka-connect/slkc/shared/connect"
)

// TestHandleMetricsLine checks the exact EMF line of one batch per outcome:
// the _aws metadata as the embedded metric format specification requires
// (Timestamp in epoch ms, one directive with Namespace, the Connector
// dimension set and the metric definitions) and every named member at the
// root.
func TestHandleMetricsLine(t *testing.T) {
	at := time.UnixMilli(1700000000123)
	const meta = `"_aws":{"CloudWatchMetrics":[{"Dimensions":[["Connector"]],"Metrics":[` +
		`{"Name":"RecordsWritten","Unit":"Count"},{"Name":"RecordsDeadLettered","Unit":"Count"},` +
		`{"Name":"RecordsFailed","Unit":"Count"},{"Name":"BatchSize","Unit":"Count"}],` +
		`"Namespace":"ServerlessKafkaConnect"}],"Timestamp":1700000000123}`
	line := func(size, dead, failed, written string) string {
		return `{"BatchSize":` + size + `,"Connector":"orders-sink","RecordsDeadLettered":` + dead +
			`,"RecordsFailed":` + failed + `,"RecordsWritten":` + written + `,` + meta + "}\n"
	}
	tests := []struct {
		name string
		ev   events.KafkaEvent
		set  func(*Task) // what the case changes in the task
		want string
	}{
		{
			name: "all written",
			ev:   event(rec("orders", 0, 1, "a"), rec("orders", 1, 7, "b")),
			want: line("2", "0", "0", "2"),
		},
		{
			name: "poison dead-lettered, filtered record counts in the batch only",
			ev:   event(rec("orders", 0, 1, "a"), rec("orders", 0, 2, "poison"), rec("orders", 0, 3, "drop")),
			set:  func(t *Task) { t.Tolerance = ToleranceAll },
			want: line("3", "1", "0", "1"),
		},
		{
			name: "retryable record reported: it and the rest of its partition fail",
			ev:   event(rec("orders", 0, 1, "a"), rec("orders", 0, 2, "busy"), rec("orders", 0, 3, "c"), rec("orders", 1, 1, "d")),
			set: func(t *Task) {
				t.ReportBatchItemFailures = true
				t.Destination = &fakeDest{fail: failAt(map[string]error{"busy": retryable})}
			},
			want: line("4", "0", "2", "3"),
		},
		{
			name: "failed invocation fails the whole batch",
			ev:   event(rec("orders", 0, 1, "a"), rec("orders", 0, 2, "b")),
			set: func(t *Task) {
				t.Destination = &fakeDest{fail: func([]connect.Record) error { return errors.New("connection refused") }}
			},
			want: line("2", "0", "2", "0"),
		},
		{
			name: "malformed event counts every record as failed",
			ev:   events.KafkaEvent{EventSource: "aws:sqs", Records: map[string][]events.KafkaRecord{"orders-0": {rec("orders", 0, 1, "a")}}},
			want: line("1", "0", "1", "0"),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			task := &Task{Name: "orders-sink", Destination: &fakeDest{}, KeyConverter: stringConv{}, ValueConverter: stringConv{},
				Transforms: dropTransform{}, DLQ: &fakeDLQ{}, Now: func() time.Time { return at }, Metrics: &buf}
			if tt.set != nil {
				tt.set(task)
			}
			_, _ = task.Handle(context.Background(), tt.ev)
			if got := buf.String(); got != tt.want {
				t.Errorf("metrics line =\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}
