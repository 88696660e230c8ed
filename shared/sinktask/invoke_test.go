package sinktask

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/serverless-kafka-connect/slkc/events"
)

// TestInvoke checks that the raw-payload entry point writes exactly what
// Handle writes for the same event and answers with the same response.
func TestInvoke(t *testing.T) {
	tests := []struct {
		name    string
		payload string
		wantErr string
	}{
		{name: "event with a tombstone", payload: mustJSON(t, event(rec("orders", 2, 7, ""), rec("orders", 2, 8, "v"), rec("orders", 0, 1, "w")))},
		{name: "empty event", payload: `{"eventSource":"SelfManagedKafka","records":{}}`},
		{name: "unusual shape falls back to encoding/json", payload: strings.Replace(mustJSON(t, event(rec("orders", 0, 1, "w"))), `"topic"`, `"extra":1,"topic"`, 1)},
		{name: "not JSON", payload: `{"records":`, wantErr: "sinktask: decode Kafka event (11 bytes)"},
		{name: "wrong type", payload: `{"records":{"orders-0":[{"offset":"1"}]}}`, wantErr: "cannot unmarshal string"},
		{name: "malformed event", payload: `{"records":{"orders-1":[{"topic":"orders","partition":0,"timestampType":"CREATE_TIME"}]}}`, wantErr: `belongs in group "orders-0"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			viaInvoke, viaHandle := &fakeDest{}, &fakeDest{}
			ti := &Task{Name: "s", Destination: viaInvoke, KeyConverter: stringConv{}, ValueConverter: stringConv{}, ReportBatchItemFailures: true}
			th := &Task{Name: "s", Destination: viaHandle, KeyConverter: stringConv{}, ValueConverter: stringConv{}, ReportBatchItemFailures: true}
			out, err := ti.Invoke(context.Background(), []byte(tt.payload))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Invoke() = %s, %v; want error containing %q", out, err, tt.wantErr)
				}
				if len(viaInvoke.calls) != 0 {
					t.Error("Write called for a payload that is not a valid event")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var ev events.KafkaEvent
			if err := json.Unmarshal([]byte(tt.payload), &ev); err != nil {
				t.Fatal(err)
			}
			resp, err := th.Handle(context.Background(), ev)
			if err != nil {
				t.Fatal(err)
			}
			if want := mustJSON(t, resp); string(out) != want {
				t.Errorf("response = %s, want %s", out, want)
			}
			if !reflect.DeepEqual(viaInvoke.calls, viaHandle.calls) {
				t.Errorf("written via Invoke %+v\nvia Handle %+v", viaInvoke.calls, viaHandle.calls)
			}
		})
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
