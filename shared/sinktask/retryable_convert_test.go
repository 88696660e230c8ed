package sinktask

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"github.com/serverless-kafka-connect/slkc/shared/connect"
	"github.com/serverless-kafka-connect/slkc/shared/errclass"
)

// downConv fails "later" with a retryable error, as a registry-backed
// converter does while its schema registry cannot be reached.
type downConv struct{}

func (downConv) ToConnect(_ string, data []byte) (*connect.Schema, any, error) {
	if string(data) == "later" {
		return nil, nil, errclass.Retryable(errors.New("registry: registry unavailable"))
	}
	return nil, string(data), nil
}

// TestHandleRetryableConversionIsRetriedUnderToleranceAll: errors.tolerance
// covers bad records, not an unavailable service, so a retryable conversion
// failure stops its partition (for the next delivery) instead of going to
// the dead-letter queue.
func TestHandleRetryableConversionIsRetriedUnderToleranceAll(t *testing.T) {
	dest := &fakeDest{}
	dlq := &fakeDLQ{}
	task := &Task{Name: "s", Destination: dest, KeyConverter: stringConv{}, ValueConverter: downConv{},
		Tolerance: ToleranceAll, DLQ: dlq, ReportBatchItemFailures: true}
	resp, err := task.Handle(context.Background(), event(rec("t", 0, 1, "ok"), rec("t", 0, 2, "later"), rec("t", 0, 3, "ok2")))
	if err != nil {
		t.Fatal(err)
	}
	if want := fails(id("t", 0, 2)); !reflect.DeepEqual(resp.BatchItemFailures, want) {
		t.Errorf("failures %+v, want %+v", resp.BatchItemFailures, want)
	}
	if len(dlq.got) != 0 {
		t.Errorf("dead-lettered %d records, want none", len(dlq.got))
	}
	if got := values(dest.calls[0]); !reflect.DeepEqual(got, []string{"t/0@1=ok"}) {
		t.Errorf("written %v", got)
	}
}
