// Package eventbench builds the Lambda Kafka events the decode benchmarks
// of events and shared/sinktask read: records whose values are
// JsonConverter envelopes (schemas.enable=true) with a struct schema of
// about 700 bytes and a payload of a chosen size, as a 6 MB event (the
// most Lambda sends in one invoke) or a fixed number of records.
package eventbench

import (
	"encoding/json"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/serverless-kafka-connect/slkc/events"
)

// Case is one benchmark event shape.
type Case struct {
	Name string
	// Records is the number of records; 0 means as many as fit in MaxBytes.
	Records int
	// MaxBytes caps the event's JSON size when Records is 0.
	MaxBytes int
	// PayloadBytes is the approximate size of each value's payload (the
	// envelope's schema comes on top).
	PayloadBytes int
}

// Cases are the shapes the issue names: 200 B and 1 KB values in
// 10k-record and 6 MB events.
var Cases = []Case{
	{Name: "6MB-200B", MaxBytes: 6 << 20, PayloadBytes: 200},
	{Name: "6MB-1KB", MaxBytes: 6 << 20, PayloadBytes: 1024},
	{Name: "10k-200B", Records: 10_000, PayloadBytes: 200},
	{Name: "10k-1KB", Records: 10_000, PayloadBytes: 1024},
}

// Schema is the JSON schema every value carries (about 700 bytes).
const Schema = `{"type":"struct","fields":[` +
	`{"type":"int64","optional":false,"field":"id"},` +
	`{"type":"string","optional":false,"field":"name"},` +
	`{"type":"string","optional":true,"field":"note"},` +
	`{"type":"int32","optional":false,"field":"qty"},` +
	`{"type":"double","optional":true,"field":"price"},` +
	`{"type":"boolean","optional":false,"field":"active"},` +
	`{"type":"int64","optional":true,"name":"org.apache.kafka.connect.data.Timestamp","version":1,"field":"created_at"},` +
	`{"type":"int32","optional":true,"name":"org.apache.kafka.connect.data.Date","version":1,"field":"ship_date"},` +
	`{"type":"string","optional":true,"field":"status"},` +
	`{"type":"int16","optional":true,"field":"region"}` +
	`],"optional":false,"name":"bench.orders.Value"}`

// Value returns record i's JsonConverter envelope with a payload of about
// payloadBytes bytes.
func Value(i, payloadBytes int) []byte {
	head := fmt.Sprintf(`{"id":%d,"name":"customer %d","qty":%d,"price":%d.25,"active":true,"created_at":1700000000000,"ship_date":19700,"status":"NEW","region":%d,"note":"`,
		i, i, i%7, i%1000, i%50)
	pad := max(payloadBytes-len(head)-2, 0)
	return []byte(`{"schema":` + Schema + `,"payload":` + head + strings.Repeat("x", pad) + `"}}`)
}

// Event returns the event of c as Lambda would send it (self-managed
// Kafka, topic "orders", 4 partitions) and its number of records.
func Event(c Case) ([]byte, int) {
	const parts = 4
	ev := events.KafkaEvent{EventSource: events.SourceSelfManaged, Records: map[string][]events.KafkaRecord{}}
	size := 64
	n := 0
	for ; c.Records == 0 || n < c.Records; n++ {
		r := events.NewKafkaRecord("orders", int32(n%parts), int64(n/parts), time.UnixMilli(1700000000000+int64(n)), "",
			[]byte(fmt.Sprint(n)), Value(n, c.PayloadBytes), nil)
		if c.Records == 0 {
			b, err := json.Marshal(r)
			if err != nil {
				panic(err)
			}
			if size+len(b)+1 > c.MaxBytes {
				break
			}
			size += len(b) + 1
		}
		ev.Add(r)
	}
	data, err := json.Marshal(ev)
	if err != nil {
		panic(err)
	}
	return data, n
}

// Loop runs fn b.N times and reports, besides the usual figures, ns/record
// and allocs/record for an event of records records.
func Loop(b *testing.B, records int, fn func()) {
	b.ReportAllocs()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	n := 0
	for b.Loop() {
		fn()
		n++
	}
	elapsed := time.Since(start)
	runtime.ReadMemStats(&after)
	if n == 0 || records == 0 {
		return
	}
	per := float64(n) * float64(records)
	b.ReportMetric(float64(elapsed.Nanoseconds())/per, "ns/record")
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/per, "allocs/record")
}
