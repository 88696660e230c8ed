package convert

import (
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/sr/srfake"
)

// The registry converters' benchmarks use JsonConverter's benchmark row
// (ordersSchema) so the figures compare: ns/op, allocations and
// bytes/record on Kafka, per converter (sub-benchmarks Avro, JsonSchema,
// Protobuf). The registry (srfake) is called once; every later record hits
// the converter's caches, as in a running function.

func benchRegistryConverters(b *testing.B, run func(b *testing.B, c Converter)) {
	for _, class := range registryClasses {
		name := strings.TrimSuffix(class[strings.LastIndex(class, ".")+1:], "Converter")
		b.Run(name, func(b *testing.B) {
			reg := srfake.New()
			b.Cleanup(reg.Close)
			c, err := New(class, map[string]string{"schema.registry.url": reg.URL()}, false)
			if err != nil {
				b.Fatal(err)
			}
			run(b, c)
		})
	}
}

func BenchmarkRegistryEncodeRow(b *testing.B) {
	benchRegistryConverters(b, func(b *testing.B, c Converter) {
		out := benchEncodeRow(b, c)
		b.StopTimer()
		s := ordersSchema()
		js, err := mustJSON(b, nil).FromConnect("t", s, ordersRow(s))
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(len(out)), "bytes/record")
		b.ReportMetric(float64(len(js)), "json-bytes/record")
	})
}

func BenchmarkRegistryDecodeRow(b *testing.B) {
	benchRegistryConverters(b, benchDecodeRow)
}
