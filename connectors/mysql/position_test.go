package mysql

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/serverless-kafka-connect/slkc/connectors"
)

func ptr[T any](v T) *T { return &v }

func TestPositionRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		pos  SourcePosition
		json string
	}{
		{"incrementing", SourcePosition{Incrementing: ptr(int64(42))}, `{"incrementing":42}`},
		{"timestamp", SourcePosition{Timestamp: ptr(int64(1700000000123)), TimestampNanos: ptr(int32(123456000))},
			`{"timestamp":1700000000123,"timestamp_nanos":123456000}`},
		{"timestamp+incrementing", SourcePosition{Incrementing: ptr(int64(7)), Timestamp: ptr(int64(1)), TimestampNanos: ptr(int32(1000000))},
			`{"incrementing":7,"timestamp":1,"timestamp_nanos":1000000}`},
		{"timestamp with key", SourcePosition{Timestamp: ptr(int64(5)), TimestampNanos: ptr(int32(5000000)), Key: []json.RawMessage{json.RawMessage(`3`), json.RawMessage(`"a"`)}},
			`{"timestamp":5,"timestamp_nanos":5000000,"key":[3,"a"]}`},
		{"bulk run", SourcePosition{BulkRun: ptr(int64(99)), Key: []json.RawMessage{json.RawMessage(`10`)}},
			`{"key":[10],"bulk_run":99}`},
		{"bulk done", SourcePosition{BulkRun: ptr(int64(99)), BulkDone: true}, `{"bulk_run":99,"bulk_done":true}`},
		{"incrementing before a gap", SourcePosition{Incrementing: ptr(int64(3)), GapFirstSeen: ptr(int64(1700000000000)), GapHorizon: ptr(int64(9))},
			`{"incrementing":3,"gap_first_seen":1700000000000,"gap_horizon":9}`},
		{"zero", SourcePosition{}, `{}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := string(tc.pos.Encode())
			if got != tc.json {
				t.Fatalf("Encode = %s, want %s", got, tc.json)
			}
			back, err := ParsePosition(connectors.Position(got))
			if err != nil {
				t.Fatal(err)
			}
			if again := string(back.Encode()); again != tc.json {
				t.Errorf("round trip = %s, want %s", again, tc.json)
			}
		})
	}
}

func TestParsePositionErrors(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"unknown field", `{"incremental":1}`, "unknown field"},
		{"nanos range", `{"timestamp":1,"timestamp_nanos":1000000000}`, "out of range"},
		{"nanos alone", `{"timestamp_nanos":5}`, "without timestamp"},
		{"gap horizon without its time", `{"incrementing":3,"gap_horizon":4}`, "go together"},
		{"gap without incrementing", `{"gap_horizon":4,"gap_first_seen":1}`, "go together"},
		{"gap horizon not above incrementing", `{"incrementing":4,"gap_horizon":4,"gap_first_seen":1}`, "must be above"},
		{"not json", `{`, "position"},
		{"wrong type", `{"incrementing":"x"}`, "incrementing"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParsePosition(connectors.Position(tc.in))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("ParsePosition(%s) error = %v, want containing %q", tc.in, err, tc.want)
			}
		})
	}
	for _, empty := range []string{"", " ", "null"} {
		if p, err := ParsePosition(connectors.Position(empty)); err != nil || !p.IsZero() {
			t.Errorf("ParsePosition(%q) = %+v, %v; want zero", empty, p, err)
		}
	}
}

func TestPositionTime(t *testing.T) {
	tests := []struct {
		name string
		t    time.Time
	}{
		{"micros", time.Date(2024, 2, 29, 23, 59, 59, 123456000, time.UTC)},
		{"whole second", time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)},
		{"before epoch", time.Date(1969, 12, 31, 23, 59, 58, 500000000, time.UTC)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var sp SourcePosition
			sp.SetTime(tc.t)
			if *sp.Timestamp != tc.t.UnixMilli() {
				t.Errorf("timestamp = %d, want %d (JDBC: epoch millis)", *sp.Timestamp, tc.t.UnixMilli())
			}
			if int(*sp.TimestampNanos) != tc.t.Nanosecond() {
				t.Errorf("timestamp_nanos = %d, want %d (JDBC: nanos of second)", *sp.TimestampNanos, tc.t.Nanosecond())
			}
			got, ok := sp.Time()
			if !ok || !got.Equal(tc.t) {
				t.Errorf("Time() = %v, want %v", got, tc.t)
			}
		})
	}
	// A JDBC offset without timestamp_nanos is read as milliseconds.
	sp, err := ParsePosition(connectors.Position(`{"timestamp":1700000000123}`))
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := sp.Time(); !got.Equal(time.UnixMilli(1700000000123)) {
		t.Errorf("JDBC offset time = %v", got)
	}
}

func TestPartitions(t *testing.T) {
	if got := TablePartition("shop", "orders").String(); got != `{"protocol":"1","table":"shop.orders"}` {
		t.Errorf("table partition = %s", got)
	}
	if got := QueryPartition().String(); got != `{"query":"query"}` {
		t.Errorf("query partition = %s", got)
	}
}
