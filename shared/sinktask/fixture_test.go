package sinktask

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/serverless-kafka-connect/slkc/events"
	"github.com/serverless-kafka-connect/slkc/shared/convert"
)

func loadEvent(t *testing.T, name string) events.KafkaEvent {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "events", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var ev events.KafkaEvent
	if err := json.Unmarshal(b, &ev); err != nil {
		t.Fatal(err)
	}
	return ev
}

// TestHandleFixtures runs the events package's Lambda-shaped fixtures
// through the real JsonConverter.
func TestHandleFixtures(t *testing.T) {
	jsonConv, err := convert.New(convert.JSONConverterClass, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		fixture   string
		rbif      bool
		tolerance string
		wantResp  []events.KafkaBatchItemFailure
		wantWrite []int64 // offsets written
		wantDLQ   []int64 // offsets dead-lettered
	}{
		{fixture: "poison-batch.json", rbif: true, wantResp: fails(id("inventory.customers", 0, 22)), wantWrite: []int64{20, 21}},
		// Record 2 of 3 has a value that is not base64 (issue 11 item 6).
		{fixture: "undecodable-record.json", rbif: true, tolerance: ToleranceAll, wantResp: fails(), wantWrite: []int64{7, 9}, wantDLQ: []int64{8}},
		{fixture: "undecodable-record.json", rbif: true, wantResp: fails(id("shop.customers", 0, 8)), wantWrite: []int64{7}},
	}
	for _, tt := range tests {
		t.Run(tt.fixture+"/"+tt.tolerance, func(t *testing.T) {
			dest := &fakeDest{}
			q := &fakeDLQ{}
			task := &Task{Name: "s", Destination: dest, KeyConverter: jsonConv, ValueConverter: jsonConv, ReportBatchItemFailures: tt.rbif,
				Tolerance: tt.tolerance, DLQ: q}
			resp, err := task.Handle(context.Background(), loadEvent(t, tt.fixture))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(resp.BatchItemFailures, tt.wantResp) {
				t.Errorf("batchItemFailures = %+v, want %+v", resp.BatchItemFailures, tt.wantResp)
			}
			var offs []int64
			for _, r := range dest.calls[0] {
				offs = append(offs, r.Offset)
			}
			if !reflect.DeepEqual(offs, tt.wantWrite) {
				t.Errorf("written offsets %v, want %v", offs, tt.wantWrite)
			}
			var dead []int64
			for _, f := range q.got {
				dead = append(dead, f.Original.Offset)
			}
			if !reflect.DeepEqual(dead, tt.wantDLQ) {
				t.Errorf("dead-lettered offsets %v, want %v", dead, tt.wantDLQ)
			}
		})
	}
}
