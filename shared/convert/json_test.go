package convert

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/big"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/serverless-kafka-connect/slkc/shared/connect"
)

func mustJSON(t testing.TB, props map[string]string) Converter {
	t.Helper()
	c, err := New(JSONConverterClass, props, false)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

// ordersSchema is the row schema of testdata/orders_envelope.json: what a
// JDBC source writes for an orders table, with every logical type.
func ordersSchema() *connect.Schema {
	customer := connect.NewStructSchema("Customer",
		connect.Field{Name: "id", Schema: connect.Primitive(connect.Int32)},
		connect.Field{Name: "name", Schema: connect.Primitive(connect.String)},
	)
	customer.Optional = true
	return connect.NewStructSchema("server1.inventory.orders.Value",
		connect.Field{Name: "id", Schema: connect.Primitive(connect.Int64)},
		connect.Field{Name: "note", Schema: connect.Primitive(connect.String).Optionally()},
		connect.Field{Name: "amount", Schema: connect.DecimalSchema(2, 10)},
		connect.Field{Name: "created_at", Schema: connect.TimestampSchema()},
		connect.Field{Name: "order_date", Schema: connect.DateSchema().Optionally()},
		connect.Field{Name: "order_time", Schema: connect.TimeSchema().Optionally()},
		connect.Field{Name: "payload", Schema: connect.Primitive(connect.Bytes).Optionally()},
		connect.Field{Name: "active", Schema: connect.Primitive(connect.Boolean)},
		connect.Field{Name: "customer", Schema: customer},
		connect.Field{Name: "tags", Schema: &connect.Schema{Type: connect.Array, Optional: true, Items: connect.Primitive(connect.String)}},
	)
}

func ordersRow(s *connect.Schema) *connect.StructValue {
	cust := connect.NewStruct(s.Field("customer").Schema)
	cust.Values[0] = int32(7)
	cust.Values[1] = "Ann"
	row := connect.NewStruct(s)
	row.Values = []any{
		int64(1001),
		`first "order"`,
		connect.Decimal{Unscaled: big.NewInt(12345), Scale: 2},
		time.UnixMilli(1700000000000).UTC(),
		time.Date(2023, 11, 14, 0, 0, 0, 0, time.UTC),
		time.UnixMilli(45296789).UTC(),
		[]byte{1, 2, 3},
		true,
		cust,
		[]any{"a", "b"},
	}
	return row
}

func TestJSONGoldenEnvelope(t *testing.T) {
	want, err := os.ReadFile("testdata/orders_envelope.json")
	if err != nil {
		t.Fatal(err)
	}
	c := mustJSON(t, nil)
	s := ordersSchema()
	for i := 0; i < 2; i++ { // second pass uses the schema cache
		got, err := c.FromConnect("orders", s, ordersRow(s))
		if err != nil {
			t.Fatalf("FromConnect: %v", err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("pass %d: bytes differ\n got: %s\nwant: %s", i, got, want)
		}
	}
	// Reading the fixture gives the row back, and writing that reproduces the bytes.
	gs, gv, err := c.ToConnect("orders", want)
	if err != nil {
		t.Fatalf("ToConnect: %v", err)
	}
	if !equalValues(gv, ordersRow(s)) {
		t.Fatalf("decoded value differs: %#v", gv)
	}
	again, err := c.FromConnect("orders", gs, gv)
	if err != nil {
		t.Fatalf("re-encode: %v", err)
	}
	if !bytes.Equal(again, want) {
		t.Fatalf("re-encode differs\n got: %s\nwant: %s", again, want)
	}
}

func TestJSONGoldenNumericDecimal(t *testing.T) {
	want, err := os.ReadFile("testdata/orders_envelope_numeric.json")
	if err != nil {
		t.Fatal(err)
	}
	c := mustJSON(t, map[string]string{"decimal.format": "numeric"})
	s := ordersSchema()
	row := connect.NewStruct(s)
	row.Values[0] = int64(1001)
	row.Values[2] = connect.Decimal{Unscaled: big.NewInt(12345), Scale: 2}
	row.Values[3] = time.UnixMilli(1700000000000)
	row.Values[7] = false
	got, err := c.FromConnect("orders", s, row)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("bytes differ\n got: %s\nwant: %s", got, want)
	}
	_, v, err := c.ToConnect("orders", want)
	if err != nil {
		t.Fatal(err)
	}
	amount, _ := v.(*connect.StructValue).Get("amount")
	if d := amount.(connect.Decimal); d.String() != "123.45" {
		t.Fatalf("amount = %s, want 123.45", d)
	}
}

func TestJSONSchemaForms(t *testing.T) {
	intMap := &connect.Schema{Type: connect.Map, Keys: connect.Primitive(connect.Int32), Values: connect.Primitive(connect.String)}
	strMap := &connect.Schema{Type: connect.Map, Optional: true, Keys: connect.Primitive(connect.String), Values: connect.Primitive(connect.Int64)}
	withMeta := &connect.Schema{Type: connect.Int32, Optional: true, Name: "my.Type", Version: 3, Doc: "a \"doc\"",
		Parameters: map[string]string{"b": "2", "a": "1"}, Default: int32(5)}
	dec := connect.DecimalSchema(3, 0)
	dec.Default = connect.Decimal{Unscaled: big.NewInt(-1), Scale: 3}
	cases := []struct {
		name   string
		schema *connect.Schema
		value  any
		want   string
	}{
		{"int8", connect.Primitive(connect.Int8), int8(-5), `{"schema":{"type":"int8","optional":false},"payload":-5}`},
		{"float32", connect.Primitive(connect.Float32), float32(0.1), `{"schema":{"type":"float","optional":false},"payload":0.1}`},
		{"float64 large", connect.Primitive(connect.Float64), 1e21, `{"schema":{"type":"double","optional":false},"payload":1.0E21}`},
		{"meta and default", withMeta, nil, `{"schema":{"type":"int32","optional":true,"name":"my.Type","version":3,"doc":"a \"doc\"","parameters":{"a":"1","b":"2"},"default":5},"payload":5}`},
		{"decimal default", dec, nil, `{"schema":{"type":"bytes","optional":false,"name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{"scale":"3"},"default":"/w=="},"payload":"/w=="}`},
		{"int-key map as pairs", intMap, []connect.MapEntry{{Key: int32(1), Value: "a"}, {Key: int32(2), Value: "b"}},
			`{"schema":{"type":"map","keys":{"type":"int32","optional":false},"values":{"type":"string","optional":false},"optional":false},"payload":[[1,"a"],[2,"b"]]}`},
		{"string-key map as object", strMap, []connect.MapEntry{{Key: "x", Value: int64(1)}},
			`{"schema":{"type":"map","keys":{"type":"string","optional":false},"values":{"type":"int64","optional":false},"optional":true},"payload":{"x":1}}`},
		{"optional null payload", strMap, nil,
			`{"schema":{"type":"map","keys":{"type":"string","optional":false},"values":{"type":"int64","optional":false},"optional":true},"payload":null}`},
		{"no schema", nil, map[string]any{"b": json.Number("1.50"), "a": []any{true, nil}},
			`{"schema":null,"payload":{"a":[true,null],"b":1.50}}`},
	}
	c := mustJSON(t, nil)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := c.FromConnect("t", tc.schema, tc.value)
			if err != nil {
				t.Fatalf("FromConnect: %v", err)
			}
			if string(got) != tc.want {
				t.Fatalf("\n got: %s\nwant: %s", got, tc.want)
			}
			if !json.Valid(got) {
				t.Fatal("output is not valid JSON")
			}
		})
	}
}

// Kafka names float32/float64 "float"/"double" in JSON schemas; see
// JsonSchema.FLOAT_TYPE_NAME and DOUBLE_TYPE_NAME.
func TestJSONFloatTypeNames(t *testing.T) {
	c := mustJSON(t, nil)
	s, v, err := c.ToConnect("t", []byte(`{"schema":{"type":"double","optional":false},"payload":2.5}`))
	if err != nil {
		t.Fatal(err)
	}
	if s.Type != connect.Float64 || v != 2.5 {
		t.Fatalf("got %v %v", s.Type, v)
	}
}

func TestJavaFloatFormat(t *testing.T) {
	cases := []struct {
		name string
		f    float64
		bits int
		want string
	}{
		{"one", 1, 64, "1.0"},
		{"fraction", 123456.789, 64, "123456.789"},
		{"just below 1e7", 9999999, 64, "9999999.0"},
		{"1e7 goes scientific", 1e7, 64, "1.0E7"},
		{"milli stays plain", 0.001, 64, "0.001"},
		{"below milli", 0.0001, 64, "1.0E-4"},
		{"negative scientific", -1.25e-10, 64, "-1.25E-10"},
		{"zero", 0, 64, "0.0"},
		{"negative zero", math.Copysign(0, -1), 64, "-0.0"},
		{"float32 shortest", float64(float32(0.1)), 32, "0.1"},
		{"float32 large", float64(float32(3.4e38)), 32, "3.4E38"},
		{"NaN quoted", math.NaN(), 64, `"NaN"`},
		{"Inf quoted", math.Inf(1), 64, `"Infinity"`},
		{"-Inf quoted", math.Inf(-1), 32, `"-Infinity"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := string(appendJavaFloat(nil, tc.f, tc.bits)); got != tc.want {
				t.Fatalf("got %s, want %s", got, tc.want)
			}
		})
	}
}

func TestJavaBigDecimalFormat(t *testing.T) {
	cases := []struct {
		name     string
		unscaled int64
		scale    int32
		want     string
	}{
		{"plain", 12345, 2, "123.45"},
		{"leading zeros", -5, 3, "-0.005"},
		{"zero keeps scale", 0, 2, "0.00"},
		{"integer", 42, 0, "42"},
		{"small goes scientific", 1, 8, "1E-8"},
		{"adjusted -6 stays plain", 1, 6, "0.000001"},
		{"adjusted -7 goes scientific", 10, 8, "1.0E-7"},
		{"negative scale", 5, -2, "5E+2"},
		{"negative scale many digits", 123, -2, "1.23E+4"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := string(appendJavaBigDecimal(nil, big.NewInt(tc.unscaled), tc.scale)); got != tc.want {
				t.Fatalf("got %s, want %s", got, tc.want)
			}
		})
	}
}

func TestTwosComplement(t *testing.T) {
	huge, _ := new(big.Int).SetString("-123456789012345678901234567890", 10)
	cases := []struct {
		name string
		x    *big.Int
		want []byte
	}{
		{"zero", big.NewInt(0), []byte{0}},
		{"127", big.NewInt(127), []byte{0x7f}},
		{"128 needs sign byte", big.NewInt(128), []byte{0, 0x80}},
		{"-1", big.NewInt(-1), []byte{0xff}},
		{"-128", big.NewInt(-128), []byte{0x80}},
		{"-129", big.NewInt(-129), []byte{0xff, 0x7f}},
		{"max int64", big.NewInt(math.MaxInt64), []byte{0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}},
		{"min int64", big.NewInt(math.MinInt64), []byte{0x80, 0, 0, 0, 0, 0, 0, 0}},
		{"beyond int64", new(big.Int).Lsh(big.NewInt(1), 63), []byte{0, 0x80, 0, 0, 0, 0, 0, 0, 0}},
		{"huge negative", huge, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := appendTwosComplement(nil, tc.x)
			if tc.want != nil && !bytes.Equal(got, tc.want) {
				t.Fatalf("got % x, want % x", got, tc.want)
			}
			back, err := fromTwosComplement(got)
			if err != nil || back.Cmp(tc.x) != 0 {
				t.Fatalf("round trip: %v %v", back, err)
			}
		})
	}
}

func TestJSONStringEscaping(t *testing.T) {
	got := string(appendJSONString(nil, "a\"b\\c\n\t\x01\x7f/é\u2028\xff"))
	want := `"a\"b\\c\n\t\u0001` + "\x7f/é\u2028\uFFFD" + `"`
	if got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func TestJSONEncodeErrors(t *testing.T) {
	s := ordersSchema()
	row := func(mod func(v []any)) *connect.StructValue {
		r := ordersRow(s)
		mod(r.Values)
		return r
	}
	cases := []struct {
		name   string
		schema *connect.Schema
		value  any
		want   []string
	}{
		{"missing required", s, row(func(v []any) { v[0] = nil }), []string{`field "id"`, "null value for required int64"}},
		{"wrong go type", s, row(func(v []any) { v[0] = "1001" }), []string{`field "id"`, "got Go type string"}},
		{"nested path", s, row(func(v []any) { v[8].(*connect.StructValue).Values[1] = 5 }), []string{`field "customer.name"`, "want string"}},
		{"array index", s, row(func(v []any) { v[9] = []any{"a", nil} }), []string{`field "tags[1]"`, "required string"}},
		{"decimal scale too large", s, row(func(v []any) { v[2] = connect.Decimal{Unscaled: big.NewInt(1), Scale: 3} }), []string{`field "amount"`, "scale 3"}},
		{"date not midnight", s, row(func(v []any) { v[4] = time.Date(2023, 1, 1, 5, 0, 0, 0, time.UTC) }), []string{`field "order_date"`, "midnight"}},
		{"time outside a day", s, row(func(v []any) { v[5] = time.Date(2023, 1, 1, 5, 0, 0, 0, time.UTC) }), []string{`field "order_time"`, "outside one day"}},
		{"int8 overflow", connect.Primitive(connect.Int8), 300, []string{"out of range"}},
		{"uint64 overflow", connect.Primitive(connect.Int64), uint64(math.MaxUint64), []string{"out of range"}},
		{"float32 precision", connect.Primitive(connect.Float32), 0.1, []string{"not exactly representable"}},
		{"struct arity", s, &connect.StructValue{Schema: s, Values: []any{int64(1)}}, []string{"has 1 values"}},
		{"bad json.Number", nil, json.Number("1x"), []string{"not a JSON number"}},
		{"map non-string key", &connect.Schema{Type: connect.Map, Keys: connect.Primitive(connect.String), Values: connect.Primitive(connect.Int32)},
			[]connect.MapEntry{{Key: 1, Value: int32(1)}}, []string{"map key"}},
	}
	c := mustJSON(t, nil)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.FromConnect("t", tc.schema, tc.value)
			if err == nil {
				t.Fatal("want error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Fatalf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestJSONDecodeErrors(t *testing.T) {
	schema := `{"type":"struct","fields":[{"type":"int32","optional":false,"field":"n"},{"type":"int8","optional":true,"field":"small"},{"type":"bytes","optional":true,"field":"raw"},{"type":"struct","optional":true,"field":"inner","fields":[{"type":"int64","optional":false,"field":"amount"}]}],"optional":false}`
	env := func(payload string) string { return `{"schema":` + schema + `,"payload":` + payload + `}` }
	cases := []struct {
		name string
		in   string
		want []string
	}{
		{"plain json with schemas enabled", `{"n":1}`, []string{`requires "schema" and "payload"`, "schemas.enable=false"}},
		{"extra envelope field", `{"schema":null,"payload":1,"x":2}`, []string{`requires "schema" and "payload"`}},
		{"array top level", `[1,2]`, []string{`requires "schema" and "payload"`}},
		{"invalid json", `{"schema":`, []string{"invalid JSON"}},
		{"string for int32", env(`{"n":"1"}`), []string{`field "n"`, "expected int32", `string "1"`}},
		{"int8 out of range", env(`{"n":1,"small":300}`), []string{`field "small"`, "300"}},
		{"fraction for int32", env(`{"n":1.5}`), []string{`field "n"`, "1.5"}},
		{"bad base64", env(`{"n":1,"raw":"***"}`), []string{`field "raw"`, "base64"}},
		{"missing required", env(`{}`), []string{`field "n"`, "required"}},
		{"nested", env(`{"n":1,"inner":{"amount":true}}`), []string{`field "inner.amount"`}},
		{"unknown schema type", `{"schema":{"type":"bogus"},"payload":1}`, []string{"unknown schema type"}},
		{"decimal without scale", `{"schema":{"type":"bytes","name":"org.apache.kafka.connect.data.Decimal"},"payload":"AA=="}`, []string{"scale parameter"}},
		{"trailing data", `{"schema":null,"payload":1} x`, []string{"invalid JSON"}},
	}
	c := mustJSON(t, nil)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := c.ToConnect("t", []byte(tc.in))
			if err == nil {
				t.Fatal("want error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Fatalf("error %q does not mention %q", err, w)
				}
			}
		})
	}
	_, _, err := c.ToConnect("t", []byte(`{"n":1}`))
	if !errors.Is(err, ErrNoEnvelope) {
		t.Fatalf("want ErrNoEnvelope, got %v", err)
	}
}

func TestJSONRoundTrip(t *testing.T) {
	mapSchema := &connect.Schema{Type: connect.Map, Keys: connect.Primitive(connect.Int64), Values: connect.Primitive(connect.Float64).Optionally()}
	cases := []struct {
		name   string
		props  map[string]string
		schema *connect.Schema
		value  any
	}{
		{"orders row", nil, ordersSchema(), ordersRow(ordersSchema())},
		{"orders row numeric decimals", map[string]string{"decimal.format": "NUMERIC"}, ordersSchema(), ordersRow(ordersSchema())},
		{"non-string map", nil, mapSchema, []connect.MapEntry{{Key: int64(-1), Value: 1.5}, {Key: int64(2), Value: nil}}},
		{"float NaN", nil, connect.Primitive(connect.Float64), math.Inf(-1)},
		{"negative decimal", nil, connect.DecimalSchema(4, 20), connect.Decimal{Unscaled: big.NewInt(-98765432109), Scale: 4}},
		{"timestamp before epoch", nil, connect.TimestampSchema(), time.UnixMilli(-1500).UTC()},
		{"int16", nil, connect.Primitive(connect.Int16), int16(-32768)},
		{"float32", nil, connect.Primitive(connect.Float32), float32(3.25)},
		{"unicode string", nil, connect.Primitive(connect.String), "héllo \u2028 \x00"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := mustJSON(t, tc.props)
			b, err := c.FromConnect("t", tc.schema, tc.value)
			if err != nil {
				t.Fatalf("FromConnect: %v", err)
			}
			s, v, err := c.ToConnect("t", b)
			if err != nil {
				t.Fatalf("ToConnect(%s): %v", b, err)
			}
			if s == nil || s.Type != tc.schema.Type || s.Name != tc.schema.Name {
				t.Fatalf("schema = %+v", s)
			}
			if !equalValues(v, tc.value) {
				t.Fatalf("round trip of %s:\n got %#v\nwant %#v", b, v, tc.value)
			}
		})
	}
}

func TestJSONSchemaless(t *testing.T) {
	c := mustJSON(t, map[string]string{"schemas.enable": "false"})
	b, err := c.FromConnect("t", nil, map[string]any{"z": int64(1), "a": "x", "f": 1.5})
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != `{"a":"x","f":1.5,"z":1}` {
		t.Fatalf("got %s", b)
	}
	s, v, err := c.ToConnect("t", []byte(`{"id": 12345678901234567890, "x": [1.0]}`))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"id": json.Number("12345678901234567890"), "x": []any{json.Number("1.0")}}
	if s != nil || !reflect.DeepEqual(v, want) {
		t.Fatalf("got %v %#v", s, v)
	}
	// With a schema but schemas.enable=false only the payload is written.
	b, err = c.FromConnect("t", connect.Primitive(connect.Int32), int32(7))
	if err != nil || string(b) != "7" {
		t.Fatalf("got %s %v", b, err)
	}
}

func TestJSONTombstones(t *testing.T) {
	for _, props := range []map[string]string{nil, {"schemas.enable": "false"}} {
		c := mustJSON(t, props)
		b, err := c.FromConnect("t", nil, nil)
		if err != nil || b != nil {
			t.Fatalf("FromConnect(nil) = %q, %v", b, err)
		}
		for _, in := range [][]byte{nil, {}} {
			s, v, err := c.ToConnect("t", in)
			if err != nil || s != nil || v != nil {
				t.Fatalf("ToConnect(%q) = %v %v %v", in, s, v, err)
			}
		}
	}
}

func TestJSONReplaceNullWithDefault(t *testing.T) {
	s := &connect.Schema{Type: connect.Int32, Optional: true, Default: int32(9)}
	on := mustJSON(t, nil)
	off := mustJSON(t, map[string]string{"replace.null.with.default": "false"})
	b, _ := on.FromConnect("t", s, nil)
	if !strings.HasSuffix(string(b), `"payload":9}`) {
		t.Fatalf("default on: %s", b)
	}
	b, _ = off.FromConnect("t", s, nil)
	if !strings.HasSuffix(string(b), `"payload":null}`) {
		t.Fatalf("default off: %s", b)
	}
	_, v, err := on.ToConnect("t", b)
	if err != nil || v != int32(9) {
		t.Fatalf("decode with default on: %v %v", v, err)
	}
	_, v, err = off.ToConnect("t", b)
	if err != nil || v != nil {
		t.Fatalf("decode with default off: %v %v", v, err)
	}
}

// Debezium writes Decimal parameters and Enum-typed strings with defaults;
// the decoder keeps parameters and decodes defaults.
func TestJSONDecodeDefaultsAndParameters(t *testing.T) {
	in := `{"schema":{"type":"struct","fields":[{"type":"string","optional":true,"name":"io.debezium.data.Enum","version":1,"parameters":{"allowed":"true,last,false"},"default":"false","field":"snapshot"}],"optional":false},"payload":{}}`
	c := mustJSON(t, nil)
	s, v, err := c.ToConnect("t", []byte(in))
	if err != nil {
		t.Fatal(err)
	}
	f := s.Field("snapshot").Schema
	if f.Parameters["allowed"] != "true,last,false" || f.Default != "false" || f.Version != 1 {
		t.Fatalf("schema = %+v", f)
	}
	if got, _ := v.(*connect.StructValue).Get("snapshot"); got != "false" {
		t.Fatalf("snapshot = %v", got)
	}
}

// equalValues compares Connect values: Decimals by value, times by instant,
// structs field by field.
func equalValues(a, b any) bool {
	switch x := a.(type) {
	case connect.Decimal:
		y, ok := b.(connect.Decimal)
		return ok && x.String() == y.String()
	case time.Time:
		y, ok := b.(time.Time)
		return ok && x.Equal(y)
	case float64:
		y, ok := b.(float64)
		return ok && (x == y || (math.IsNaN(x) && math.IsNaN(y)))
	case *connect.StructValue:
		y, ok := b.(*connect.StructValue)
		if !ok || len(x.Values) != len(y.Values) {
			return false
		}
		for i := range x.Values {
			if x.Schema.Fields[i].Name != y.Schema.Fields[i].Name || !equalValues(x.Values[i], y.Values[i]) {
				return false
			}
		}
		return true
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !equalValues(x[i], y[i]) {
				return false
			}
		}
		return true
	case []connect.MapEntry:
		y, ok := b.([]connect.MapEntry)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !equalValues(x[i].Key, y[i].Key) || !equalValues(x[i].Value, y[i].Value) {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(a, b)
}

// Converters are shared by every record of a batch; the schema caches must
// be safe for concurrent use and stay correct when they overflow.
func TestJSONConcurrentAndSmallCache(t *testing.T) {
	want, err := os.ReadFile("testdata/orders_envelope.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, size := range []string{"1000", "1", "0"} {
		c := mustJSON(t, map[string]string{"schemas.cache.size": size})
		other := connect.Primitive(connect.String)
		done := make(chan error, 4)
		for g := 0; g < 4; g++ {
			go func() {
				for i := 0; i < 50; i++ {
					s := ordersSchema() // a new pointer each time: cache churn
					got, err := c.FromConnect("t", s, ordersRow(s))
					if err == nil && !bytes.Equal(got, want) {
						err = errors.New("encode mismatch")
					}
					if err == nil {
						_, err = c.FromConnect("t", other, "x")
					}
					if err == nil {
						_, _, err = c.ToConnect("t", want)
					}
					if err != nil {
						done <- err
						return
					}
				}
				done <- nil
			}()
		}
		for g := 0; g < 4; g++ {
			if err := <-done; err != nil {
				t.Fatalf("cache size %s: %v", size, err)
			}
		}
	}
}

// jsonStringByBytes is appendJSONString's escaping done one byte at a
// time, the reference the word-at-a-time scan must match.
func jsonStringByBytes(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); {
		c := s[i]
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				b.WriteString("\uFFFD")
			} else {
				b.WriteString(s[i : i+size])
			}
			i += size
			continue
		}
		switch {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c == '\b':
			b.WriteString(`\b`)
		case c == '\t':
			b.WriteString(`\t`)
		case c == '\n':
			b.WriteString(`\n`)
		case c == '\f':
			b.WriteString(`\f`)
		case c == '\r':
			b.WriteString(`\r`)
		case c < 0x20:
			fmt.Fprintf(&b, `\u%04X`, c)
		default:
			b.WriteByte(c)
		}
		i++
	}
	b.WriteByte('"')
	return b.String()
}

// FuzzAppendJSONStringMatchesByteScan: the 8-bytes-at-a-time scan escapes
// every string as the byte-at-a-time reference does (short and long plain
// runs, escapes, non-ASCII, invalid UTF-8, at every alignment).
func FuzzAppendJSONStringMatchesByteScan(f *testing.F) {
	for _, s := range []string{"", "a", "abcdefgh", "abcdefghi", strings.Repeat("0123456789abcdef", 9), `first "order"`,
		"tab\there\nand\\slash", "\x00\x01\x1f\x7f", "é€𝄞 mixed ascii 12345678", "bad \xff\xfe utf8 \xe2\x82", "漢字漢字漢字漢字漢字",
		strings.Repeat("x", 15) + "\"" + strings.Repeat("y", 17)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for off := 0; off < 8 && off <= len(s); off++ {
			if got, want := string(appendJSONString(nil, s[off:])), jsonStringByBytes(s[off:]); got != want {
				t.Fatalf("appendJSONString(%q) = %s, want %s", s[off:], got, want)
			}
		}
	})
}
