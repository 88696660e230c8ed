package convert

import (
	"encoding/binary"
	"math/big"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/sr"

	"github.com/serverless-kafka-connect/slkc/shared/connect"
)

func TestJSONSchemaFromConnect(t *testing.T) {
	opt := func(s *connect.Schema) *connect.Schema { return s.Optionally() }
	inner := connect.NewStructSchema("", connect.Field{Name: "x", Schema: connect.Primitive(connect.Int8)})
	cases := []struct {
		name   string
		schema *connect.Schema
		want   string
	}{
		{"primitives", connect.NewStructSchema("db.t",
			connect.Field{Name: "i", Schema: connect.Primitive(connect.Int64)},
			connect.Field{Name: "f", Schema: connect.Primitive(connect.Float32)},
			connect.Field{Name: "s", Schema: opt(connect.Primitive(connect.String))},
			connect.Field{Name: "b", Schema: connect.Primitive(connect.Bytes)},
			connect.Field{Name: "ok", Schema: connect.Primitive(connect.Boolean)}),
			`{"type":"object","properties":{` +
				`"i":{"type":"integer","connect.type":"int64","connect.index":0},` +
				`"f":{"type":"number","connect.type":"float32","connect.index":1},` +
				`"s":{"oneOf":[{"type":"null"},{"type":"string"}],"connect.index":2},` +
				`"b":{"type":"string","connect.type":"bytes","connect.index":3},` +
				`"ok":{"type":"boolean","connect.index":4}},"title":"db.t"}`},
		{"logical types", connect.NewStructSchema("",
			connect.Field{Name: "d", Schema: connect.DecimalSchema(2, 10)},
			connect.Field{Name: "day", Schema: connect.DateSchema()},
			connect.Field{Name: "ts", Schema: opt(connect.TimestampSchema())}),
			`{"type":"object","properties":{` +
				`"d":{"type":"number","title":"org.apache.kafka.connect.data.Decimal","connect.version":1,"connect.parameters":{"scale":"2","connect.decimal.precision":"10"},"connect.index":0},` +
				`"day":{"type":"integer","connect.type":"int32","title":"org.apache.kafka.connect.data.Date","connect.version":1,"connect.index":1},` +
				`"ts":{"oneOf":[{"type":"null"},{"type":"integer","connect.type":"int64","title":"org.apache.kafka.connect.data.Timestamp","connect.version":1}],"connect.index":2}}}`},
		{"maps, arrays, nested", connect.NewStructSchema("n",
			connect.Field{Name: "m", Schema: &connect.Schema{Type: connect.Map, Keys: connect.Primitive(connect.String), Values: connect.Primitive(connect.Int32)}},
			connect.Field{Name: "e", Schema: &connect.Schema{Type: connect.Map, Keys: connect.Primitive(connect.Int32), Values: inner}},
			connect.Field{Name: "a", Schema: &connect.Schema{Type: connect.Array, Items: connect.Primitive(connect.String)}},
			connect.Field{Name: "q", Schema: &connect.Schema{Type: connect.Int16, Default: int16(5), Doc: "a doc"}}),
			`{"type":"object","properties":{` +
				`"m":{"type":"object","additionalProperties":{"type":"integer","connect.type":"int32"},"connect.type":"map","connect.index":0},` +
				`"e":{"type":"array","items":{"type":"object","properties":{"key":{"type":"integer","connect.type":"int32","connect.index":0},"value":{"type":"object","properties":{"x":{"type":"integer","connect.type":"int8","connect.index":0}},"connect.index":1}}},"connect.type":"map","connect.index":1},` +
				`"a":{"type":"array","items":{"type":"string"},"connect.index":2},` +
				`"q":{"type":"integer","connect.type":"int16","description":"a doc","default":5,"connect.index":3}},"title":"n"}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, _ := newFakeRegistryConv(t, JSONSchemaConverterClass, nil, false)
			w, err := c.(*jsonSchemaConverter).writeSchema(tc.schema)
			if err != nil {
				t.Fatal(err)
			}
			if w.text != tc.want {
				t.Errorf("JSON Schema\n got %s\nwant %s", w.text, tc.want)
			}
			back, err := jsonSchemaToConnect(w.text)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := connectSchemaJSON(t, back), connectSchemaJSON(t, tc.schema); got != want {
				t.Errorf("schema read back\n got %s\nwant %s", got, want)
			}
		})
	}
}

// connectSchemaJSON prints a Connect schema as JsonConverter does.
func connectSchemaJSON(t *testing.T, s *connect.Schema) string {
	t.Helper()
	jc, err := newJSON(nil, false)
	if err != nil {
		t.Fatal(err)
	}
	b, err := jc.appendSchema(nil, s, "")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestJSONSchemaRoundTrip writes every Connect type and reads it back with
// the same schema and value; the body is the plain JSON a JSON Schema
// consumer reads, after the 5-byte header.
func TestJSONSchemaRoundTrip(t *testing.T) {
	c, reg := newFakeRegistryConv(t, JSONSchemaConverterClass, nil, false)
	s := avroOrdersSchema()
	v := avroOrdersValue(s)
	b, err := c.FromConnect("orders", s, v)
	if err != nil {
		t.Fatal(err)
	}
	id := int(binary.BigEndian.Uint32(b[1:5]))
	if b[0] != 0 {
		t.Fatalf("magic byte %d", b[0])
	}
	cl, err := sr.NewClient(sr.URLs(reg.URL()))
	if err != nil {
		t.Fatal(err)
	}
	got, err := cl.SchemaByID(t.Context(), id)
	if err != nil || got.Type != sr.TypeJSON {
		t.Fatalf("registered schema %v, %v; want a JSON schema", got, err)
	}
	wantBody := `{"id":42,"amount":-123.45,"note":"héllo ✓","qty":3,"created":1700000000123,"day":19782,"t":3723004,` +
		`"tags":["a","b"],"attrs":{"k1":"v1"},"counts":[{"key":1,"value":10},{"key":-2,"value":20}],"inner":{"a":7},` +
		`"flag":true,"ratio":1.5,"small":0.25,"tiny":-5,"raw":"AAEC/w==","big":1267650600228229401496703205376,"doc":"d"}`
	if string(b[5:]) != wantBody {
		t.Errorf("body\n got %s\nwant %s", b[5:], wantBody)
	}
	rs, rv, err := c.ToConnect("orders", b)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := envelope(t, rs, rv), envelope(t, s, v); !jsonEqual(t, got, want) {
		t.Errorf("read back\n got %s\nwant %s", got, want)
	}
}

// TestJSONSchemaReadsPlainSchema: a schema an application registers (no
// connect.* keywords, type lists with null, nested objects, a free map).
func TestJSONSchemaReadsPlainSchema(t *testing.T) {
	const text = `{"$schema":"http://json-schema.org/draft-07/schema#","title":"Person","type":"object","properties":{
		"name":{"type":"string"},"age":{"type":"integer"},"score":{"type":"number"},
		"email":{"type":["null","string"]},"tags":{"type":"array","items":{"type":"string"}},
		"address":{"type":"object","properties":{"city":{"type":"string"}}},
		"labels":{"type":"object","additionalProperties":{"type":"boolean"}},
		"nick":{"anyOf":[{"type":"string"},{"type":"null"}]}},"required":["name","email"]}`
	c, reg := newFakeRegistryConv(t, JSONSchemaConverterClass, nil, false)
	id, _, err := reg.RegisterSchema("people-value", sr.Schema{Schema: text, Type: sr.TypeJSON})
	if err != nil {
		t.Fatal(err)
	}
	body := `{"name":"Ann","age":9007199254740993,"score":2.5,"email":null,"tags":["x"],"address":{"city":"Oslo"},"labels":{"b":true,"a":false},"nick":"a"}`
	s, v, err := c.ToConnect("people", append(binary.BigEndian.AppendUint32([]byte{0}, uint32(id)), body...))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"schema":{"type":"struct","fields":[` +
		`{"type":"string","optional":false,"field":"name"},{"type":"int64","optional":false,"field":"age"},` +
		`{"type":"double","optional":false,"field":"score"},{"type":"string","optional":true,"field":"email"},` +
		`{"type":"array","items":{"type":"string","optional":false},"optional":false,"field":"tags"},` +
		`{"type":"struct","fields":[{"type":"string","optional":false,"field":"city"}],"optional":false,"field":"address"},` +
		`{"type":"map","keys":{"type":"string","optional":false},"values":{"type":"boolean","optional":false},"optional":false,"field":"labels"},` +
		`{"type":"string","optional":true,"field":"nick"}],"optional":false,"name":"Person"},` +
		`"payload":{"name":"Ann","age":9007199254740993,"score":2.5,"email":null,"tags":["x"],"address":{"city":"Oslo"},"labels":{"a":false,"b":true},"nick":"a"}}`
	if got := envelope(t, s, v); !jsonEqual(t, got, want) {
		t.Errorf("Connect data\n got %s\nwant %s", got, want)
	}
}

func TestJSONSchemaRefusesWhatItCannotMap(t *testing.T) {
	cases := []struct{ name, text, want string }{
		{"ref", `{"$ref":"#/definitions/x"}`, "$ref is not supported"},
		{"general union", `{"oneOf":[{"type":"string"},{"type":"integer"}]}`, "oneOf other than null and one schema"},
		{"free object", `{"type":"object"}`, "object without properties"},
		{"schemaless", `true`, "not a JSON Schema object"},
		{"nested path", `{"type":"object","properties":{"a":{"type":"array","items":{"type":"object"}}}}`, `field "a[items]"`},
		{"not JSON", `{"type":`, "not valid JSON"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := jsonSchemaToConnect(tc.text)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

func TestJSONSchemaDecimalKeepsDigits(t *testing.T) {
	c, _ := newFakeRegistryConv(t, JSONSchemaConverterClass, nil, false)
	s := connect.NewStructSchema("d", connect.Field{Name: "v", Schema: connect.DecimalSchema(3, 40)})
	huge, _ := new(big.Int).SetString("-1234567890123456789012345678901234567", 10)
	v := &connect.StructValue{Schema: s, Values: []any{connect.Decimal{Unscaled: huge, Scale: 3}}}
	b, err := c.FromConnect("d", s, v)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"v":-1234567890123456789012345678901234.567}`; string(b[5:]) != want {
		t.Fatalf("body %s, want %s", b[5:], want)
	}
	_, rv, err := c.ToConnect("d", b)
	if err != nil {
		t.Fatal(err)
	}
	if got := rv.(*connect.StructValue).Values[0].(connect.Decimal); got.Unscaled.Cmp(huge) != 0 || got.Scale != 3 {
		t.Fatalf("read back %v", got)
	}
}

func TestJSONSchemaUseLatestVersion(t *testing.T) {
	props := map[string]string{"auto.register.schemas": "false", "use.latest.version": "true"}
	c, reg := newFakeRegistryConv(t, JSONSchemaConverterClass, props, false)
	id, _, err := reg.RegisterSchema("t-value", sr.Schema{Schema: `{"type":"object","properties":{"a":{"type":"integer"}}}`, Type: sr.TypeJSON})
	if err != nil {
		t.Fatal(err)
	}
	s, v := orderSchema()
	b, err := c.FromConnect("t", s, v)
	if err != nil {
		t.Fatal(err)
	}
	if got := int(binary.BigEndian.Uint32(b[1:5])); got != id || string(b[5:]) != `{"a":1}` {
		t.Fatalf("wrote id %d body %s; want the latest id %d and the record's JSON", got, b[5:], id)
	}
}
