package convert

import (
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/serverless-kafka-connect/slkc/shared/connect"
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

// BenchmarkJSONAppendSourceRow appends the key and the value of a row of
// the bench's source table (BIGINT id, DATETIME(6) ts, INT cust,
// DECIMAL(12,2) amount, VARCHAR name and note, about 200 bytes) with
// schemas, as the source's conversion does: AppendFromConnect into a
// reused buffer. ns/op is per row.
func BenchmarkJSONAppendSourceRow(b *testing.B) {
	value := connect.NewStructSchema("orders.Value",
		connect.Field{Name: "id", Schema: connect.Primitive(connect.Int64)},
		connect.Field{Name: "ts", Schema: connect.TimestampSchema()},
		connect.Field{Name: "cust", Schema: connect.Primitive(connect.Int32)},
		connect.Field{Name: "amount", Schema: connect.DecimalSchema(2, 12)},
		connect.Field{Name: "name", Schema: connect.Primitive(connect.String)},
		connect.Field{Name: "note", Schema: connect.Primitive(connect.String)})
	key := connect.NewStructSchema("orders.Key", connect.Field{Name: "id", Schema: connect.Primitive(connect.Int64)})
	row := connect.NewStruct(value)
	row.Values = []any{int64(123456), time.UnixMilli(1_700_000_000_123).UTC(), int32(345),
		connect.Decimal{Unscaled: big.NewInt(123456), Scale: 2}, "customer name 123456", strings.Repeat("0123456789abcdef", 9)[:142]}
	k := connect.NewStruct(key)
	k.Values = []any{int64(123456)}
	// The key and the value have a converter each, as a source task's.
	props := map[string]string{"schemas.enable": "true"}
	kc, vc := mustJSON(b, props).(*jsonConverter), mustJSON(b, props).(*jsonConverter)
	var buf []byte
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if buf, err = kc.AppendFromConnect(buf[:0], "t", key, k); err != nil {
			b.Fatal(err)
		}
		if buf, err = vc.AppendFromConnect(buf[:0], "t", value, row); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(len(buf)))
}
