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

// TestInvokeKeepsNothingOfThePayload overwrites the payload after Invoke
// (as aws-lambda-go does when it reuses the buffer) and checks that what
// reached the destination and the dead-letter queue, including the text
// of a value that is not base64, is what an untouched payload gives.
func TestInvokeKeepsNothingOfThePayload(t *testing.T) {
	bad := rec("orders", 0, 2, "")
	notB64 := "!!not base64!!"
	bad.Value = &notB64
	payload := mustJSON(t, event(rec("orders", 0, 1, "first"), bad, rec("orders", 0, 3, "third"), rec("orders", 1, 4, "fourth")))
	run := func(clobber bool) (*fakeDest, *fakeDLQ, string) {
		dest, q := &fakeDest{}, &fakeDLQ{}
		task := &Task{Name: "s", Destination: dest, KeyConverter: stringConv{}, ValueConverter: stringConv{},
			Tolerance: ToleranceAll, DLQ: q, ReportBatchItemFailures: true}
		buf := []byte(payload)
		out, err := task.Invoke(context.Background(), buf)
		if err != nil {
			t.Fatal(err)
		}
		if clobber {
			for i := range buf {
				buf[i] = 'x'
			}
		}
		return dest, q, string(out)
	}
	dest, q, out := run(true)
	wantDest, wantQ, wantOut := run(false)
	if len(wantQ.got) != 1 || string(wantQ.got[0].Original.Value) != notB64 || len(wantDest.calls) != 1 || len(wantDest.calls[0]) != 3 {
		t.Fatalf("reference run: %d dead letters (%+v), writes %+v; want the bad record dead-lettered with its text and 3 records written", len(wantQ.got), wantQ.got, wantDest.calls)
	}
	if !reflect.DeepEqual(dest.calls, wantDest.calls) || out != wantOut {
		t.Errorf("after overwriting the payload the writes read %+v (response %s), want %+v (%s)", dest.calls, out, wantDest.calls, wantOut)
	}
	if len(q.got) != 1 || !reflect.DeepEqual(q.got[0].Original, wantQ.got[0].Original) {
		t.Errorf("after overwriting the payload the dead letter reads %+v, want %+v", q.got, wantQ.got)
	}
}
