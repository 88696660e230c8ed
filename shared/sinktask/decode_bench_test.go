package sinktask

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/serverless-kafka-connect/slkc/events/eventbench"
	"github.com/serverless-kafka-connect/slkc/shared/convert"
)

// BenchmarkInvokeDecode measures the sink function's decode path as the
// binary runs it — Task.Invoke on the raw payload: event JSON, base64,
// JsonConverter (schemas.enable=true) and the batch bookkeeping — with a
// destination that does nothing, on 6 MB and 10k-record events.
func BenchmarkInvokeDecode(b *testing.B) {
	keyConv, err := convert.New(convert.StringConverterClass, nil, true)
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range eventbench.Cases {
		data, n := eventbench.Event(c)
		b.Run(c.Name, func(b *testing.B) {
			valConv, err := convert.New(convert.JSONConverterClass, map[string]string{"schemas.enable": "true"}, false)
			if err != nil {
				b.Fatal(err)
			}
			task := &Task{Name: "bench", Destination: &nopDest{}, KeyConverter: keyConv, ValueConverter: valConv,
				Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
			ctx := context.Background()
			b.SetBytes(int64(len(data)))
			eventbench.Loop(b, n, func() {
				out, err := task.Invoke(ctx, data)
				if err != nil || string(out) != `{"batchItemFailures":[]}` {
					b.Fatalf("%s %v", out, err)
				}
			})
		})
	}
}
