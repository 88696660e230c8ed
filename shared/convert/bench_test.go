package convert

import (
	"testing"
)

// The benchmark row is ordersSchema: 10 fields including Decimal,
// Timestamp, Date, Time, bytes, a nested struct and an array.

func BenchmarkJSONEncodeRow(b *testing.B) { benchEncodeRow(b, mustJSON(b, nil)) }

// benchEncodeRow times c.FromConnect of the demo row and returns the bytes
// c writes for it.
func benchEncodeRow(b *testing.B, c Converter) []byte {
	s := ordersSchema()
	row := ordersRow(s)
	out, err := c.FromConnect("t", s, row)
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
	return out
}

func BenchmarkJSONDecodeRow(b *testing.B) { benchDecodeRow(b, mustJSON(b, nil)) }

// benchDecodeRow times c.ToConnect of the demo row c wrote.
func benchDecodeRow(b *testing.B, c Converter) {
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
