package bridge

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/serverless-kafka-connect/slkc/events"
)

// TestBuildEventMatchesMarshal checks that the event assembled from the
// records' JSON encoded at poll time is byte for byte json.Marshal of the
// event, and that the event keeps every record, in offset order per
// partition, for both event sources.
func TestBuildEventMatchesMarshal(t *testing.T) {
	var recs []*kgo.Record
	for i := range 40 {
		r := &kgo.Record{Topic: []string{"orders", "a-b", "z<&>"}[i%3], Partition: int32(i % 11), Offset: int64(i),
			Timestamp: time.UnixMilli(1700000000000 + int64(i)), Value: []byte(fmt.Sprintf(`{"id":%d,"s":"<é>"}`, i))}
		switch i % 4 {
		case 0:
			r.Key = []byte(fmt.Sprint(i))
			r.Headers = []kgo.RecordHeader{{Key: "h", Value: []byte{0, 0xff}}, {Key: "n"}, {Key: "h", Value: []byte("2")}}
		case 1:
			r.Value = nil // tombstone, no key
		case 2:
			r.Key, r.Value = []byte{}, []byte{}
		}
		recs = append(recs, r)
	}
	for _, src := range []string{SourceSelfManaged, SourceMSK} {
		t.Run(src, func(t *testing.T) {
			b := &Bridge{m: Mapping{EventSource: src, Bootstrap: "127.0.0.1:9092", EventSourceARN: "arn:aws:kafka:us-east-1:0:cluster/x/y"}}
			for _, n := range []int{1, 2, 17, len(recs)} {
				items := make([]item, n)
				ev := &events.KafkaEvent{EventSource: src, BootstrapServers: b.m.Bootstrap, Records: map[string][]events.KafkaRecord{}}
				if src == SourceMSK {
					ev.EventSourceARN = b.m.EventSourceARN
				}
				for i, r := range recs[:n] {
					items[i] = b.newItem(r)
					ev.Add(kafkaRecord(r))
					// The on-failure destination gets the record back from its JSON.
					if kr, err := items[i].record(); err != nil || !reflect.DeepEqual(kr, kafkaRecord(r)) {
						t.Fatalf("record %d from its JSON = %+v, %v; want %+v", i, kr, err, kafkaRecord(r))
					}
				}
				// Into a reused buffer holding an older, longer event.
				got, err := b.buildEvent(items, append(make([]byte, 0, 1<<16), strings.Repeat("x", 5000)...))
				if err != nil {
					t.Fatal(err)
				}
				want, err := json.Marshal(ev)
				if err != nil {
					t.Fatal(err)
				}
				for i, r := range recs[:n] {
					// The items now point into the event: still their records.
					if kr, err := items[i].record(); err != nil || !reflect.DeepEqual(kr, kafkaRecord(r)) {
						t.Fatalf("record %d after the build = %+v, %v; want %+v", i, kr, err, kafkaRecord(r))
					}
				}
				if string(got) != string(want) {
					t.Fatalf("%d records: assembled event differs from json.Marshal\ngot  %s\nwant %s", n, got, want)
				}
				total := 0
				for k, rs := range ev.Records {
					total += len(rs)
					for i := 1; i < len(rs); i++ {
						if rs[i].Offset <= rs[i-1].Offset {
							t.Errorf("%s: offsets out of order: %d after %d", k, rs[i].Offset, rs[i-1].Offset)
						}
					}
				}
				if total != n {
					t.Errorf("event holds %d records, want %d", total, n)
				}
			}
		})
	}
}

// BenchmarkBuildEvent measures what the bridge does between an invoke's
// return and the next invoke to build a 6 MB event of 1 KB records:
// "assemble" is buildEvent (records encoded at poll time), "marshal" what
// it did before: build the event, then json.Marshal all of it.
func BenchmarkBuildEvent(b *testing.B) {
	br := &Bridge{m: Mapping{EventSource: SourceSelfManaged, Bootstrap: "127.0.0.1:9092"}}
	var items []item
	var krs []events.KafkaRecord
	size := eventOverhead
	for i := 0; ; i++ {
		r := &kgo.Record{Topic: "orders", Partition: int32(i % 4), Offset: int64(i / 4),
			Timestamp: time.UnixMilli(1700000000000), Key: []byte(fmt.Sprint(i)), Value: make([]byte, 1024)}
		it := br.newItem(r)
		if size+it.size > MaxPayloadBytes {
			break
		}
		size += it.size
		items = append(items, it)
		krs = append(krs, kafkaRecord(r))
	}
	b.Run("assemble", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := br.buildEvent(items, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("marshal", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			ev := &events.KafkaEvent{EventSource: br.m.EventSource, BootstrapServers: br.m.Bootstrap, Records: map[string][]events.KafkaRecord{}}
			for _, kr := range krs {
				ev.Add(kr)
			}
			if _, err := json.Marshal(ev); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestAppendRecordJSON checks the poll-time encoding of a record without
// headers against json.Marshal of the event's record, and that records it
// does not handle are left to json.Marshal.
func TestAppendRecordJSON(t *testing.T) {
	ts := time.UnixMilli(1700000000123)
	logAppend := kgo.NewRecordAttrs(kgo.RecordAttrsOpts{TimestampType: 1})
	noTimestamp := kgo.NewRecordAttrs(kgo.RecordAttrsOpts{TimestampType: -1})
	tests := []struct {
		name   string
		rec    kgo.Record
		direct bool // encoded by appendRecordJSON, not json.Marshal
	}{
		{"key and value", kgo.Record{Topic: "orders.v1_x-y", Partition: 3, Offset: 42, Timestamp: ts, Key: []byte("k"), Value: []byte(`{"a":"<é>"}`)}, true},
		{"tombstone", kgo.Record{Topic: "t", Offset: 1, Timestamp: ts, Key: []byte("k")}, true},
		{"no key", kgo.Record{Topic: "t", Partition: 2147483647, Offset: 9223372036854775807, Timestamp: ts, Value: []byte{0, 0xff, 0xfe}}, true},
		{"empty key and value", kgo.Record{Topic: "t", Timestamp: ts, Key: []byte{}, Value: []byte{}}, true},
		{"before 1970", kgo.Record{Topic: "t", Timestamp: time.UnixMilli(-5), Value: []byte("v")}, true},
		{"log append time", kgo.Record{Topic: "t", Timestamp: ts, Attrs: logAppend, Value: []byte("v")}, true},
		{"no timestamp type", kgo.Record{Topic: "t", Timestamp: ts, Attrs: noTimestamp, Value: []byte("v")}, true},
		{"headers", kgo.Record{Topic: "t", Timestamp: ts, Value: []byte("v"), Headers: []kgo.RecordHeader{{Key: "h", Value: []byte("1")}}}, false},
		{"topic JSON escapes", kgo.Record{Topic: `z<&>"`, Timestamp: ts, Value: []byte("v")}, false},
	}
	// Keys and values of every length around the vector encoder's
	// 28-byte minimum and its 24-byte steps, of every byte value.
	for n := 0; n <= 200; n += 1 + n/20 {
		v := make([]byte, n)
		for i := range v {
			v[i] = byte(i*37 + n)
		}
		tests = append(tests, struct {
			name   string
			rec    kgo.Record
			direct bool
		}{fmt.Sprintf("%d-byte key and value", n), kgo.Record{Topic: "t", Timestamp: ts, Key: v[:n/2], Value: v}, true})
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			want, err := json.Marshal(kafkaRecord(&tc.rec))
			if err != nil {
				t.Fatal(err)
			}
			got := appendRecordJSON(nil, &tc.rec)
			if (got != nil) != tc.direct {
				t.Fatalf("appendRecordJSON encoded it: %v, want %v", got != nil, tc.direct)
			}
			if got != nil && string(got) != string(want) {
				t.Errorf("appendRecordJSON =\n%s\njson.Marshal =\n%s", got, want)
			}
			b, err := New(Mapping{FunctionName: "f", Topics: []string{"t"}, Bootstrap: "127.0.0.1:1", ConsumerGroup: "g"}, &fakeFunction{}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if it := b.newItem(&tc.rec); string(it.js) != string(want) {
				t.Errorf("newItem's JSON =\n%s\nwant\n%s", it.js, want)
			}
		})
	}
}
