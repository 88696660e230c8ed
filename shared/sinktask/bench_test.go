package sinktask

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"

	"github.com/serverless-kafka-connect/slkc/connectors"
	"github.com/serverless-kafka-connect/slkc/events"
	"github.com/serverless-kafka-connect/slkc/events/eventbench"
	"github.com/serverless-kafka-connect/slkc/shared/connect"
	"github.com/serverless-kafka-connect/slkc/shared/convert"
)

// BenchmarkHandle measures the framework's share of an invocation (decode,
// JsonConverter, bookkeeping) for a 1000-record, 4-partition batch written
// to a destination that does nothing; every record has one header, left
// as bytes.
func BenchmarkHandle(b *testing.B) { benchHandle(b, nil) }

// BenchmarkHandleSimpleHeaders is BenchmarkHandle with the sink function's
// default header.converter, SimpleHeaderConverter, reading the header.
func BenchmarkHandleSimpleHeaders(b *testing.B) { benchHandle(b, convert.SimpleHeaderConverter{}) }

func benchHandle(b *testing.B, hc HeaderConverter) {
	conv, err := convert.New(convert.JSONConverterClass, map[string]string{"schemas.enable": "false"}, false)
	if err != nil {
		b.Fatal(err)
	}
	var recs []events.KafkaRecord
	for i := range 1000 {
		recs = append(recs, rec("orders", int32(i%4), int64(i), fmt.Sprintf(`{"id":%d,"name":"customer %d","qty":%d}`, i, i, i%7)))
	}
	ev := event(recs...)
	task := &Task{Name: "bench", Destination: &nopDest{}, KeyConverter: stringConv{}, ValueConverter: conv,
		HeaderConverter: hc, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := task.Handle(ctx, ev); err != nil {
			b.Fatal(err)
		}
	}
}

type nopDest struct{ connectors.Destination }

func (nopDest) Write(context.Context, []connect.Record) error { return nil }

// BenchmarkHandleWorkers measures Handle on small to mid batches of
// JsonConverter envelopes (schemas.enable=true, about 200-byte payloads)
// with one worker and with W (GOMAXPROCS, at most parallel.MaxWorkers), forced
// for every size: where the two cross is the threshold parallel.MinRecords.
func BenchmarkHandleWorkers(b *testing.B) {
	conv, err := convert.New(convert.JSONConverterClass, map[string]string{"schemas.enable": "true"}, false)
	if err != nil {
		b.Fatal(err)
	}
	for _, n := range []int{16, 32, 64, 128, 256, 1024, 4096} {
		var recs []events.KafkaRecord
		for i := range n {
			recs = append(recs, rec("orders", int32(i%4), int64(i), string(eventbench.Value(i, 200))))
		}
		ev := event(recs...)
		for _, workers := range []int{1, 0} {
			name := fmt.Sprintf("n%d/w1", n)
			if workers == 0 {
				name = fmt.Sprintf("n%d/wmax", n)
			}
			b.Run(name, func(b *testing.B) {
				task := &Task{Name: "bench", Destination: &nopDest{}, KeyConverter: stringConv{}, ValueConverter: conv,
					Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), workers: workers, parallelMin: 1}
				ctx := context.Background()
				eventbench.Loop(b, n, func() {
					if _, err := task.Handle(ctx, ev); err != nil {
						b.Fatal(err)
					}
				})
			})
		}
	}
}
