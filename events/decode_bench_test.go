package events_test

import (
	"testing"

	"github.com/serverless-kafka-connect/slkc/events"
	"github.com/serverless-kafka-connect/slkc/events/eventbench"
)

// BenchmarkDecodeLambdaEvent measures events.DecodeKafkaEvent, the first
// step of the sink function's invoke (sinktask.Task.Invoke), on 6 MB and
// 10k-record events of JsonConverter values; ns/record and allocs/record
// are per record of the event. BenchmarkInvokeDecode in shared/sinktask
// adds the rest of the decode path (base64, JsonConverter).
func BenchmarkDecodeLambdaEvent(b *testing.B) { benchDecode(b, events.DecodeKafkaEvent) }

// BenchmarkDecodeLambdaEventInPlace is BenchmarkDecodeLambdaEvent for
// events.DecodeKafkaEventInPlace, which does not copy keys and values.
func BenchmarkDecodeLambdaEventInPlace(b *testing.B) {
	benchDecode(b, events.DecodeKafkaEventInPlace)
}

func benchDecode(b *testing.B, decode func([]byte) (events.KafkaEvent, error)) {
	for _, c := range eventbench.Cases {
		data, n := eventbench.Event(c)
		b.Run(c.Name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			eventbench.Loop(b, n, func() {
				if _, err := decode(data); err != nil {
					b.Fatal(err)
				}
			})
		})
	}
}
