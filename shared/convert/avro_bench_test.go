package convert

import (
	"testing"

	"github.com/twmb/franz-go/pkg/sr/srfake"
)

// The Avro benchmarks use JsonConverter's benchmark row (ordersSchema) so
// the figures compare: ns/op, allocations and bytes/record on Kafka. The
// registry (srfake) is called once; every later record hits the
// converter's caches, as in a running function.

func benchAvro(b *testing.B) Converter {
	reg := srfake.New()
	b.Cleanup(reg.Close)
	c, err := New(AvroConverterClass, map[string]string{"schema.registry.url": reg.URL()}, false)
	if err != nil {
		b.Fatal(err)
	}
	return c
}

func BenchmarkAvroEncodeRow(b *testing.B) {
	c := benchAvro(b)
	s := ordersSchema()
	row := ordersRow(s)
	out, err := c.FromConnect("t", s, row)
	if err != nil {
		b.Fatal(err)
	}
	js, err := mustJSON(b, nil).FromConnect("t", s, row)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(out)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := c.FromConnect("t", s, row); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(out)), "bytes/record")
	b.ReportMetric(float64(len(js)), "json-bytes/record")
}

func BenchmarkAvroDecodeRow(b *testing.B) {
	c := benchAvro(b)
	s := ordersSchema()
	data, err := c.FromConnect("t", s, ordersRow(s))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, _, err := c.ToConnect("t", data); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(data)), "bytes/record")
}
