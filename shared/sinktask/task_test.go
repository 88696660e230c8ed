package sinktask

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/serverless-kafka-connect/slkc/connectors"
	"github.com/serverless-kafka-connect/slkc/events"
	"github.com/serverless-kafka-connect/slkc/shared/connect"
	"github.com/serverless-kafka-connect/slkc/shared/dlq"
	"github.com/serverless-kafka-connect/slkc/shared/errclass"
	"github.com/serverless-kafka-connect/slkc/shared/state"
)

// ---- fakes ----

// fakeDest records every Write; fail decides the outcome from the batch.
type fakeDest struct {
	connectors.Destination
	mu    sync.Mutex
	calls [][]connect.Record
	fail  func(batch []connect.Record) error
}

func (d *fakeDest) Write(_ context.Context, recs []connect.Record) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.calls = append(d.calls, append([]connect.Record(nil), recs...))
	if d.fail != nil {
		return d.fail(recs)
	}
	return nil
}

// failAt fails the records whose value is in errs.
func failAt(errs map[string]error) func([]connect.Record) error {
	return func(batch []connect.Record) error {
		be := connectors.NewBatchError()
		for i, r := range batch {
			if s, _ := r.Value.(string); errs[s] != nil {
				be.Fail(i, errs[s])
			}
		}
		if len(be.Failed) == 0 {
			return nil
		}
		return be
	}
}

// stringConv is a string converter that rejects "poison" (and "poisonkey").
type stringConv struct{}

func (stringConv) ToConnect(_ string, data []byte) (*connect.Schema, any, error) {
	if strings.HasPrefix(string(data), "poison") {
		return nil, nil, errors.New("unexpected character 'p'")
	}
	return nil, string(data), nil
}

// dropTransform drops "drop" and fails on "badxform".
type dropTransform struct{}

func (dropTransform) Apply(r connect.Record) (connect.Record, bool, error) {
	switch r.Value {
	case "drop":
		return r, false, nil
	case "badxform":
		return r, false, errors.New("field missing")
	}
	return r, true, nil
}

type fakeDLQ struct {
	got []dlq.Failed
	err error
}

func (q *fakeDLQ) Report(_ context.Context, fs []dlq.Failed) error {
	if q.err != nil {
		return q.err
	}
	q.got = append(q.got, fs...)
	return nil
}

type fakeStatus struct{ got []state.Status }

func (s *fakeStatus) Put(_ context.Context, st state.Status) error {
	s.got = append(s.got, st)
	return nil
}

// ---- event helpers ----

func b64(s string) *string { e := base64.StdEncoding.EncodeToString([]byte(s)); return &e }

// rec builds a record with key "k<offset>"; value "" means a tombstone.
func rec(topic string, part int32, off int64, value string) events.KafkaRecord {
	r := events.KafkaRecord{Topic: topic, Partition: part, Offset: off, Timestamp: 1700000000000 + off,
		TimestampType: "CREATE_TIME", Key: b64(fmt.Sprintf("k%d", off)),
		Headers: []events.KafkaHeaders{{"h": events.ByteArray("v")}}}
	if value != "" {
		r.Value = b64(value)
	}
	return r
}

func event(recs ...events.KafkaRecord) events.KafkaEvent {
	ev := events.KafkaEvent{EventSource: events.SourceSelfManaged, Records: map[string][]events.KafkaRecord{}}
	for _, r := range recs {
		k := fmt.Sprintf("%s-%d", r.Topic, r.Partition)
		ev.Records[k] = append(ev.Records[k], r)
	}
	return ev
}

func values(recs []connect.Record) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = fmt.Sprintf("%s/%d@%d=%v", r.Topic, r.Partition, r.Offset, r.Value)
	}
	return out
}

func fails(ids ...events.KafkaItemIdentifier) []events.KafkaBatchItemFailure {
	out := []events.KafkaBatchItemFailure{}
	for _, id := range ids {
		out = append(out, events.KafkaBatchItemFailure{ItemIdentifier: id})
	}
	return out
}

func id(topic string, part int32, off int64) events.KafkaItemIdentifier {
	return events.KafkaItemIdentifier{Topic: topic, Partition: part, Offset: off}
}

// ---- tests ----

var (
	retryable = errclass.Retryable(errors.New("lock wait timeout"))
	permanent = errclass.Permanent(errors.New("data too long for column"))
)

func TestHandle(t *testing.T) {
	// Two partitions of "orders" and one of "users"; records of a partition
	// are given out of map order on purpose.
	std := event(
		rec("orders", 0, 10, "a"), rec("orders", 0, 11, "b"), rec("orders", 0, 12, "c"),
		rec("orders", 1, 5, "x"), rec("orders", 1, 6, "y"),
		rec("users", 0, 1, "u"),
	)
	poison := event(
		rec("orders", 0, 10, "a"), rec("orders", 0, 11, "poison"), rec("orders", 0, 12, "c"),
		rec("orders", 1, 5, "x"),
	)
	tests := []struct {
		name       string
		ev         events.KafkaEvent
		tolerance  string
		rbif       bool
		fail       func([]connect.Record) error
		dlqErr     error
		wantWrites []string // the single Write call's records
		wantResp   []events.KafkaBatchItemFailure
		wantErr    []string
		wantDLQ    []string // "topic/partition@offset STAGE"
		wantState  string
		wantCount  map[string]int64
		wantHigh   map[string]int64
	}{
		{
			name: "all succeed, order kept per partition", ev: std,
			wantWrites: []string{"orders/0@10=a", "orders/0@11=b", "orders/0@12=c", "orders/1@5=x", "orders/1@6=y", "users/0@1=u"},
			wantResp:   fails(), wantState: state.StateRunning,
			wantCount: map[string]int64{"records": 6, "written": 6, "failed": 0, "dead_lettered": 0},
			wantHigh:  map[string]int64{"orders-0": 12, "orders-1": 6, "users-0": 1},
		},
		{
			name: "poison with tolerance all goes to the DLQ, rest written", ev: poison, tolerance: ToleranceAll,
			wantWrites: []string{"orders/0@10=a", "orders/0@12=c", "orders/1@5=x"},
			wantResp:   fails(), wantDLQ: []string{"orders/0@11 VALUE_CONVERTER"}, wantState: state.StateRunning,
			wantCount: map[string]int64{"written": 3, "dead_lettered": 1, "failed": 0},
			wantHigh:  map[string]int64{"orders-0": 12, "orders-1": 5},
		},
		{
			name: "poison with tolerance none fails naming the record", ev: poison,
			wantWrites: []string{"orders/0@10=a", "orders/1@5=x"},
			wantErr:    []string{"orders/0@11", "VALUE_CONVERTER", "unexpected character"}, wantState: state.StateFailed,
			wantCount: map[string]int64{"written": 2, "failed": 4},
		},
		{
			name: "poison with tolerance none and partial responses reports only its partition", ev: poison, rbif: true,
			wantWrites: []string{"orders/0@10=a", "orders/1@5=x"},
			wantResp:   fails(id("orders", 0, 11)), wantState: state.StateFailed,
			wantCount: map[string]int64{"written": 2, "failed": 2},
			wantHigh:  map[string]int64{"orders-0": 10, "orders-1": 5},
		},
		{
			name: "retryable batch error reports the first failed offset per partition", ev: std, rbif: true,
			fail:       failAt(map[string]error{"b": retryable, "c": retryable, "y": retryable}),
			wantWrites: []string{"orders/0@10=a", "orders/0@11=b", "orders/0@12=c", "orders/1@5=x", "orders/1@6=y", "users/0@1=u"},
			wantResp:   fails(id("orders", 0, 11), id("orders", 1, 6)), wantState: state.StateRunning,
			wantCount: map[string]int64{"written": 3, "failed": 3},
			wantHigh:  map[string]int64{"orders-0": 10, "orders-1": 5, "users-0": 1},
		},
		{
			name: "retryable batch error without partial responses fails", ev: std,
			fail:       failAt(map[string]error{"y": retryable}),
			wantWrites: []string{"orders/0@10=a", "orders/0@11=b", "orders/0@12=c", "orders/1@5=x", "orders/1@6=y", "users/0@1=u"},
			wantErr:    []string{"orders/1@6", "lock wait timeout"}, wantState: state.StateRunning,
		},
		{
			name: "permanent batch error with tolerance all goes to the DLQ", ev: std, tolerance: ToleranceAll, rbif: true,
			fail:       failAt(map[string]error{"x": permanent}),
			wantWrites: []string{"orders/0@10=a", "orders/0@11=b", "orders/0@12=c", "orders/1@5=x", "orders/1@6=y", "users/0@1=u"},
			wantResp:   fails(), wantDLQ: []string{"orders/1@5 TASK_PUT"}, wantState: state.StateRunning,
			wantCount: map[string]int64{"written": 5, "dead_lettered": 1},
		},
		{
			name: "dead letters after a retry point are not sent", ev: std, tolerance: ToleranceAll, rbif: true,
			fail:       failAt(map[string]error{"a": permanent, "b": retryable, "c": permanent}),
			wantWrites: []string{"orders/0@10=a", "orders/0@11=b", "orders/0@12=c", "orders/1@5=x", "orders/1@6=y", "users/0@1=u"},
			wantResp:   fails(id("orders", 0, 11)), wantDLQ: []string{"orders/0@10 TASK_PUT"},
			wantCount: map[string]int64{"dead_lettered": 1, "failed": 2},
		},
		{
			name: "permanent batch error with tolerance none stops only its partition", ev: std, rbif: true,
			fail:       failAt(map[string]error{"u": permanent}),
			wantWrites: []string{"orders/0@10=a", "orders/0@11=b", "orders/0@12=c", "orders/1@5=x", "orders/1@6=y", "users/0@1=u"},
			wantResp:   fails(id("users", 0, 1)), wantState: state.StateFailed,
		},
		{
			name: "whole batch retryable failure with partial responses reports every partition", ev: poison, tolerance: ToleranceAll, rbif: true,
			fail:       func([]connect.Record) error { return errors.New("connection refused") },
			wantWrites: []string{"orders/0@10=a", "orders/0@12=c", "orders/1@5=x"},
			wantResp:   fails(id("orders", 0, 10), id("orders", 1, 5)),
			wantCount:  map[string]int64{"written": 0, "dead_lettered": 0, "failed": 4},
		},
		{
			name: "batch error with an index outside the batch counts as a whole failure", ev: std, rbif: true,
			fail:       func([]connect.Record) error { return connectors.NewBatchError().Fail(99, retryable) },
			wantWrites: []string{"orders/0@10=a", "orders/0@11=b", "orders/0@12=c", "orders/1@5=x", "orders/1@6=y", "users/0@1=u"},
			wantResp:   fails(id("orders", 0, 10), id("orders", 1, 5), id("users", 0, 1)),
			wantCount:  map[string]int64{"written": 0, "failed": 6},
		},
		{
			name: "whole batch failure moves a partition stopped by a poison record back", ev: poison, rbif: true,
			fail:       func([]connect.Record) error { return errors.New("connection refused") },
			wantWrites: []string{"orders/0@10=a", "orders/1@5=x"},
			wantResp:   fails(id("orders", 0, 10), id("orders", 1, 5)),
			wantCount:  map[string]int64{"written": 0, "failed": 4},
		},
		{
			name: "whole batch failure without partial responses fails", ev: std,
			fail:       func([]connect.Record) error { return errors.New("connection refused") },
			wantWrites: []string{"orders/0@10=a", "orders/0@11=b", "orders/0@12=c", "orders/1@5=x", "orders/1@6=y", "users/0@1=u"},
			wantErr:    []string{"writing batch of 6 records: connection refused"},
		},
		{
			name: "DLQ failure fails the invocation", ev: poison, tolerance: ToleranceAll, rbif: true, dlqErr: errors.New("dlq broker down"),
			wantWrites: []string{"orders/0@10=a", "orders/0@12=c", "orders/1@5=x"},
			wantErr:    []string{"dead letter queue", "dlq broker down"},
		},
		{
			name: "transforms drop and fail", tolerance: ToleranceAll,
			ev:         event(rec("t", 0, 1, "drop"), rec("t", 0, 2, "badxform"), rec("t", 0, 3, "keep")),
			wantWrites: []string{"t/0@3=keep"}, wantResp: fails(), wantDLQ: []string{"t/0@2 TRANSFORMATION"},
			wantCount: map[string]int64{"filtered": 1, "dead_lettered": 1, "written": 1},
			wantHigh:  map[string]int64{"t-0": 3},
		},
		{
			name: "key conversion failure", tolerance: ToleranceAll,
			ev: func() events.KafkaEvent {
				r := rec("t", 0, 1, "v")
				r.Key = b64("poisonkey")
				return event(r, rec("t", 0, 2, "w"))
			}(),
			wantWrites: []string{"t/0@2=w"}, wantResp: fails(), wantDLQ: []string{"t/0@1 KEY_CONVERTER"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dest := &fakeDest{fail: tt.fail}
			q := &fakeDLQ{err: tt.dlqErr}
			st := &fakeStatus{}
			task := &Task{
				Name: "orders-sink", Destination: dest, KeyConverter: stringConv{}, ValueConverter: stringConv{},
				Transforms: dropTransform{}, Tolerance: tt.tolerance, DLQ: q, Status: st, ReportBatchItemFailures: tt.rbif,
				ValueConverterClass: "org.apache.kafka.connect.storage.StringConverter", ConnectorClass: "test.Sink",
			}
			if err := task.Validate(); err != nil {
				t.Fatal(err)
			}
			resp, err := task.Handle(context.Background(), tt.ev)

			if len(dest.calls) != 1 {
				t.Fatalf("Write called %d times, want once", len(dest.calls))
			}
			if got := values(dest.calls[0]); !reflect.DeepEqual(got, tt.wantWrites) {
				t.Errorf("written %v\nwant    %v", got, tt.wantWrites)
			}
			if len(tt.wantErr) > 0 {
				if err == nil {
					t.Fatalf("Handle() error = nil, response %+v; want an error", resp)
				}
				for _, w := range tt.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("Handle() error = %q, want it to contain %q", err, w)
					}
				}
				if len(resp.BatchItemFailures) != 0 {
					t.Errorf("response %+v with an error; Lambda ignores it, so it must be empty", resp)
				}
			} else {
				if err != nil {
					t.Fatalf("Handle() error = %v", err)
				}
				if !reflect.DeepEqual(resp.BatchItemFailures, tt.wantResp) {
					t.Errorf("batchItemFailures = %+v, want %+v", resp.BatchItemFailures, tt.wantResp)
				}
			}
			var gotDLQ []string
			for _, f := range q.got {
				gotDLQ = append(gotDLQ, fmt.Sprintf("%s/%d@%d %s", f.Original.Topic, f.Original.Partition, f.Original.Offset, f.Stage))
				if f.Err == nil || f.Class == "" && f.Stage != dlq.StageTransformation && f.Stage != dlq.StageKeyConverter {
					t.Errorf("dead letter %+v lacks error or class", f)
				}
			}
			if !reflect.DeepEqual(gotDLQ, tt.wantDLQ) {
				t.Errorf("dead letters %v, want %v", gotDLQ, tt.wantDLQ)
			}
			if len(st.got) != 1 {
				t.Fatalf("%d status puts, want 1", len(st.got))
			}
			s := st.got[0]
			if s.Connector != "orders-sink" || s.Task != TaskID || s.Type != state.TypeSink {
				t.Errorf("status identity = %q/%q/%q", s.Connector, s.Task, s.Type)
			}
			if tt.wantState != "" && s.State != tt.wantState {
				t.Errorf("status state = %s, want %s", s.State, tt.wantState)
			}
			for k, v := range tt.wantCount {
				if s.Counters[k] != v {
					t.Errorf("status counter %s = %d, want %d (all: %v)", k, s.Counters[k], v, s.Counters)
				}
			}
			if tt.wantHigh != nil && !reflect.DeepEqual(s.HighWatermarks, tt.wantHigh) {
				t.Errorf("status high watermarks = %v, want %v", s.HighWatermarks, tt.wantHigh)
			}
			if failedSomewhere := err != nil || len(resp.BatchItemFailures) > 0; failedSomewhere != (s.LastError != nil) {
				t.Errorf("status last error = %+v, want one iff something failed", s.LastError)
			}
		})
	}
}

func TestHandleRecordContent(t *testing.T) {
	tomb := rec("orders", 2, 7, "")
	ev := event(tomb, rec("orders", 2, 8, "v"))
	dest := &fakeDest{}
	task := &Task{Name: "s", Destination: dest, KeyConverter: stringConv{}, ValueConverter: stringConv{}}
	if _, err := task.Handle(context.Background(), ev); err != nil {
		t.Fatal(err)
	}
	got := dest.calls[0]
	want := connect.Record{
		Topic: "orders", Partition: 2, Offset: 7, Timestamp: time.UnixMilli(1700000000007).UTC(), TimestampType: "CREATE_TIME",
		Key: "k7", Headers: []connect.Header{{Key: "h", Value: []byte("v")}},
	}
	if !reflect.DeepEqual(got[0], want) {
		t.Errorf("tombstone record = %+v\nwant %+v", got[0], want)
	}
	if !got[0].IsTombstone() || got[1].IsTombstone() {
		t.Errorf("tombstone flags = %v, %v; want true, false", got[0].IsTombstone(), got[1].IsTombstone())
	}
}

func TestHandleMalformed(t *testing.T) {
	tests := []struct {
		name string
		ev   events.KafkaEvent
		want string
	}{
		{name: "unknown event source", ev: events.KafkaEvent{EventSource: "aws:sqs"}, want: `eventSource "aws:sqs"`},
		{name: "key mismatch", ev: events.KafkaEvent{Records: map[string][]events.KafkaRecord{"orders-1": {rec("orders", 0, 1, "a")}}},
			want: `records["orders-1"][0]: topic "orders" partition 0 belongs in group "orders-0"`},
		{name: "offsets out of order", ev: event(rec("orders", 0, 5, "a"), rec("orders", 0, 5, "b")), want: "offset 5 does not ascend"},
		{name: "negative offset", ev: event(rec("orders", 0, -1, "a")), want: "offset -1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dest := &fakeDest{}
			st := &fakeStatus{}
			task := &Task{Name: "s", Destination: dest, KeyConverter: stringConv{}, ValueConverter: stringConv{}, Status: st, ReportBatchItemFailures: true}
			_, err := task.Handle(context.Background(), tt.ev)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Handle() = %v, want error containing %q", err, tt.want)
			}
			if len(dest.calls) != 0 {
				t.Errorf("Write called for a malformed event")
			}
			if len(st.got) != 1 || st.got[0].LastError == nil {
				t.Errorf("status = %+v, want one item with the error", st.got)
			}
		})
	}
}

// TestHandleRefusesRecordAlone: a record that cannot be decoded on its own
// (bad base64, unknown timestamp type) or whose topic the connector does
// not consume is refused alone. With errors.tolerance=all the other
// records are written and it is dead-lettered with what there is of it;
// with none its partition stops at it and the other partitions go on.
func TestHandleRefusesRecordAlone(t *testing.T) {
	bad := "!!not base64"
	badValue := func(r events.KafkaRecord) events.KafkaRecord { r.Value = &bad; return r }
	badKey := func(r events.KafkaRecord) events.KafkaRecord { r.Key = &bad; return r }
	badTS := func(r events.KafkaRecord) events.KafkaRecord { r.TimestampType = "WALL_CLOCK"; return r }
	tests := []struct {
		name      string
		ev        events.KafkaEvent
		tolerance string
		topics    []string
		// want: written values, dead-lettered positions, response
		wantWritten []string
		wantDLQ     []string
		wantKey     string // key bytes of the (first) dead letter
		wantValue   string // value bytes of the (first) dead letter
		wantResp    []events.KafkaBatchItemFailure
		wantErr     string // in the dead letter's error
	}{
		{
			name:        "bad base64 value in record 2 of 3, tolerance all",
			ev:          event(rec("orders", 0, 1, "a"), badValue(rec("orders", 0, 2, "b")), rec("orders", 0, 3, "c")),
			tolerance:   ToleranceAll,
			wantWritten: []string{"orders/0@1=a", "orders/0@3=c"},
			wantDLQ:     []string{"orders/0@2"},
			wantKey:     "k2", wantValue: bad,
			wantResp: fails(),
			wantErr:  "orders/0@2: value: invalid base64",
		},
		{
			name:        "bad base64 key, tolerance all",
			ev:          event(rec("orders", 0, 1, "a"), badKey(rec("orders", 0, 2, "b"))),
			tolerance:   ToleranceAll,
			wantWritten: []string{"orders/0@1=a"},
			wantDLQ:     []string{"orders/0@2"},
			wantKey:     bad, wantValue: "b",
			wantResp: fails(),
			wantErr:  "key: invalid base64",
		},
		{
			name:        "unknown timestamp type, tolerance all",
			ev:          event(badTS(rec("orders", 0, 1, "a")), rec("orders", 0, 2, "b")),
			tolerance:   ToleranceAll,
			wantWritten: []string{"orders/0@2=b"},
			wantDLQ:     []string{"orders/0@1"},
			wantKey:     "k1", wantValue: "a",
			wantResp: fails(),
			wantErr:  `timestampType "WALL_CLOCK"`,
		},
		{
			name:        "bad base64, tolerance none: the partition stops, others go on",
			ev:          event(rec("orders", 0, 1, "a"), badValue(rec("orders", 0, 2, "b")), rec("orders", 0, 3, "c"), rec("orders", 1, 7, "x")),
			tolerance:   ToleranceNone,
			wantWritten: []string{"orders/0@1=a", "orders/1@7=x"},
			wantResp:    fails(id("orders", 0, 2)),
		},
		{
			name:        "topic not consumed, tolerance all",
			ev:          event(rec("orders", 0, 1, "a"), rec("otherdb.users", 0, 5, "evil"), rec("otherdb.users", 0, 6, "evil2")),
			tolerance:   ToleranceAll,
			topics:      []string{"orders"},
			wantWritten: []string{"orders/0@1=a"},
			wantDLQ:     []string{"otherdb.users/0@5", "otherdb.users/0@6"},
			wantKey:     "k5", wantValue: "evil",
			wantResp: fails(),
			wantErr:  `otherdb.users/0@5: topic "otherdb.users" is not one of the connector's topics [orders]`,
		},
		{
			name:        "topic not consumed, tolerance none",
			ev:          event(rec("orders", 0, 1, "a"), rec("otherdb.users", 0, 5, "evil"), rec("otherdb.users", 0, 6, "evil2")),
			tolerance:   ToleranceNone,
			topics:      []string{"orders"},
			wantWritten: []string{"orders/0@1=a"},
			wantResp:    fails(id("otherdb.users", 0, 5)),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dest := &fakeDest{}
			q := &fakeDLQ{}
			task := &Task{Name: "s", Destination: dest, KeyConverter: stringConv{}, ValueConverter: stringConv{},
				Tolerance: tt.tolerance, DLQ: q, Topics: tt.topics, ReportBatchItemFailures: true, ConnectorClass: "C"}
			resp, err := task.Handle(context.Background(), tt.ev)
			if err != nil {
				t.Fatalf("Handle() error %v, want a response", err)
			}
			if !reflect.DeepEqual(resp.BatchItemFailures, tt.wantResp) {
				t.Errorf("response %+v, want %+v", resp.BatchItemFailures, tt.wantResp)
			}
			var written []string
			for _, c := range dest.calls {
				written = append(written, values(c)...)
			}
			if !reflect.DeepEqual(written, tt.wantWritten) {
				t.Errorf("written %v, want %v", written, tt.wantWritten)
			}
			var dead []string
			for _, f := range q.got {
				dead = append(dead, fmt.Sprintf("%s/%d@%d", f.Original.Topic, f.Original.Partition, f.Original.Offset))
			}
			if !reflect.DeepEqual(dead, tt.wantDLQ) {
				t.Fatalf("dead letters %v, want %v", dead, tt.wantDLQ)
			}
			if len(q.got) == 0 {
				return
			}
			f := q.got[0]
			if f.Stage != dlq.StageKafkaConsume || f.Class != "C" {
				t.Errorf("stage/class = %s/%s, want %s/C", f.Stage, f.Class, dlq.StageKafkaConsume)
			}
			if string(f.Original.Key) != tt.wantKey || string(f.Original.Value) != tt.wantValue {
				t.Errorf("dead letter key/value = %q/%q, want %q/%q", f.Original.Key, f.Original.Value, tt.wantKey, tt.wantValue)
			}
			if len(f.Original.Headers) != 1 || f.Original.Headers[0].Key != "h" {
				t.Errorf("dead letter headers = %v, want the original h header", f.Original.Headers)
			}
			if !strings.Contains(f.Err.Error(), tt.wantErr) || !errclass.IsPermanent(f.Err) {
				t.Errorf("dead letter error %q (permanent %v), want permanent containing %q", f.Err, errclass.IsPermanent(f.Err), tt.wantErr)
			}
		})
	}
}

func TestHandleToleranceAllWithoutDLQSkips(t *testing.T) {
	dest := &fakeDest{}
	st := &fakeStatus{}
	task := &Task{Name: "s", Destination: dest, KeyConverter: stringConv{}, ValueConverter: stringConv{}, Tolerance: ToleranceAll, Status: st}
	resp, err := task.Handle(context.Background(), event(rec("t", 0, 1, "poison"), rec("t", 0, 2, "ok")))
	if err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("Handle() = %+v, %v; want success", resp, err)
	}
	if got := values(dest.calls[0]); !reflect.DeepEqual(got, []string{"t/0@2=ok"}) {
		t.Errorf("written %v", got)
	}
	if st.got[0].Counters["skipped"] != 1 {
		t.Errorf("skipped counter = %d, want 1", st.got[0].Counters["skipped"])
	}
}

func TestHandleEmptyBatchSkipsWrite(t *testing.T) {
	dest := &fakeDest{}
	task := &Task{Name: "s", Destination: dest, KeyConverter: stringConv{}, ValueConverter: stringConv{}, Transforms: dropTransform{}}
	resp, err := task.Handle(context.Background(), event(rec("t", 0, 1, "drop")))
	if err != nil || len(resp.BatchItemFailures) != 0 || len(dest.calls) != 0 {
		t.Fatalf("Handle() = %+v, %v with %d writes; want success and no write", resp, err, len(dest.calls))
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		task Task
		want string
	}{
		{name: "ok", task: Task{Name: "s", Destination: &fakeDest{}, KeyConverter: stringConv{}, ValueConverter: stringConv{}}},
		{name: "missing everything", task: Task{Tolerance: "some"}, want: "Name"},
		{name: "bad tolerance", task: Task{Name: "s", Destination: &fakeDest{}, KeyConverter: stringConv{}, ValueConverter: stringConv{}, Tolerance: "some"}, want: `errors.tolerance "some"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.task.Validate()
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Validate() = %v, want error containing %q", err, tt.want)
			}
		})
	}
}

func TestHandleErrorLog(t *testing.T) {
	tests := []struct {
		name             string
		logErrors, msgs  bool
		tolerance        string
		wantLines        int
		wantText, noText string
	}{
		{name: "off", wantLines: 0},
		{name: "stop logged without message", logErrors: true, wantLines: 1,
			wantText: `Executing stage 'VALUE_CONVERTER' with class 'test.StringConverter', where consumed record is {topic='t', partition=0, offset=2}`, noText: `"value":"poison"`},
		{name: "tolerated failure with message", logErrors: true, msgs: true, tolerance: ToleranceAll, wantLines: 1, wantText: `"value":"poison"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf strings.Builder
			log := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelError}))
			task := &Task{Name: "s", Destination: &fakeDest{}, KeyConverter: stringConv{}, ValueConverter: stringConv{},
				ValueConverterClass: "test.StringConverter", Tolerance: tt.tolerance, ReportBatchItemFailures: true,
				LogErrors: tt.logErrors, LogIncludeMessages: tt.msgs, Logger: log}
			if _, err := task.Handle(context.Background(), event(rec("t", 0, 1, "ok"), rec("t", 0, 2, "poison"))); err != nil {
				t.Fatal(err)
			}
			out := buf.String()
			lines := strings.Count(out, "Error encountered in task s-0")
			if lines != tt.wantLines {
				t.Errorf("%d error-report lines, want %d:\n%s", lines, tt.wantLines, out)
			}
			if tt.wantText != "" && !strings.Contains(out, tt.wantText) {
				t.Errorf("log lacks %q:\n%s", tt.wantText, out)
			}
			if tt.noText != "" && strings.Contains(out, tt.noText) {
				t.Errorf("log has %q without errors.log.include.messages:\n%s", tt.noText, out)
			}
		})
	}
}

// TestHandleForeignTopicWithoutPartialResponses: with errors.tolerance=none
// and no partial batch responses, a record of a topic the connector does
// not consume fails the invocation with an error naming its
// topic/partition@offset, and nothing of its partition is written.
func TestHandleForeignTopicWithoutPartialResponses(t *testing.T) {
	dest := &fakeDest{}
	task := &Task{Name: "s", Destination: dest, KeyConverter: stringConv{}, ValueConverter: stringConv{}, Topics: []string{"orders"}}
	_, err := task.Handle(context.Background(), event(rec("orders", 0, 1, "a"), rec("otherdb.users", 0, 5, "evil")))
	if err == nil || !strings.Contains(err.Error(), "otherdb.users/0@5") || !strings.Contains(err.Error(), "not one of the connector's topics") {
		t.Fatalf("Handle() = %v, want an error naming otherdb.users/0@5 and why", err)
	}
	for _, c := range dest.calls {
		for _, r := range c {
			if r.Topic != "orders" {
				t.Errorf("wrote %s/%d@%d", r.Topic, r.Partition, r.Offset)
			}
		}
	}
}
