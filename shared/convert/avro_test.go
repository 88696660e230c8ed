package convert

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/sr"
	"github.com/twmb/franz-go/pkg/sr/srfake"

	"github.com/serverless-kafka-connect/slkc/shared/connect"
	"github.com/serverless-kafka-connect/slkc/shared/errclass"
)

// ordersSchema exercises every mapping AvroData has for Connect schemas.
func avroOrdersSchema() *connect.Schema {
	opt := func(s *connect.Schema) *connect.Schema { return s.Optionally() }
	qty := &connect.Schema{Type: connect.Int16, Default: int16(1)}
	inner := connect.NewStructSchema("", connect.Field{Name: "a", Schema: connect.Primitive(connect.Int32)})
	inner.Optional = true
	return connect.NewStructSchema("db.orders",
		connect.Field{Name: "id", Schema: connect.Primitive(connect.Int64)},
		connect.Field{Name: "amount", Schema: opt(connect.DecimalSchema(2, 10))},
		connect.Field{Name: "note", Schema: opt(connect.Primitive(connect.String))},
		connect.Field{Name: "qty", Schema: qty},
		connect.Field{Name: "created", Schema: connect.TimestampSchema()},
		connect.Field{Name: "day", Schema: opt(connect.DateSchema())},
		connect.Field{Name: "t", Schema: connect.TimeSchema()},
		connect.Field{Name: "tags", Schema: opt(&connect.Schema{Type: connect.Array, Items: connect.Primitive(connect.String)})},
		connect.Field{Name: "attrs", Schema: &connect.Schema{Type: connect.Map, Keys: connect.Primitive(connect.String), Values: connect.Primitive(connect.String)}},
		connect.Field{Name: "counts", Schema: &connect.Schema{Type: connect.Map, Keys: connect.Primitive(connect.Int32), Values: connect.Primitive(connect.Int64)}},
		connect.Field{Name: "inner", Schema: inner},
		connect.Field{Name: "flag", Schema: connect.Primitive(connect.Boolean)},
		connect.Field{Name: "ratio", Schema: connect.Primitive(connect.Float64)},
		connect.Field{Name: "small", Schema: connect.Primitive(connect.Float32)},
		connect.Field{Name: "tiny", Schema: connect.Primitive(connect.Int8)},
		connect.Field{Name: "raw", Schema: opt(connect.Primitive(connect.Bytes))},
		connect.Field{Name: "big", Schema: connect.DecimalSchema(0, 0)},
		connect.Field{Name: "doc", Schema: &connect.Schema{Type: connect.String, Doc: "a documented field", Version: 2, Optional: true}},
	)
}

// AvroTestOrders returns a schema exercising every mapping of AvroData and
// a value of it; the integration tests (package convert_test) share it.
func AvroTestOrders() (*connect.Schema, *connect.StructValue) {
	s := avroOrdersSchema()
	return s, avroOrdersValue(s)
}

// AvroTestEnvelope renders Connect data as JsonConverter does
// (schemas.enable=true), a byte-exact way to compare Connect data.
func AvroTestEnvelope(t *testing.T, s *connect.Schema, v any) string {
	t.Helper()
	return envelope(t, s, v)
}

const avroOrdersText = `{"type":"record","name":"orders","namespace":"db","fields":[` +
	`{"name":"id","type":"long"},` +
	`{"name":"amount","type":["null",{"type":"bytes","connect.version":1,"connect.parameters":{"scale":"2","connect.decimal.precision":"10"},"connect.name":"org.apache.kafka.connect.data.Decimal","logicalType":"decimal","precision":10,"scale":2}],"default":null},` +
	`{"name":"note","type":["null","string"],"default":null},` +
	`{"name":"qty","type":{"type":"int","connect.default":1,"connect.type":"int16"},"default":1},` +
	`{"name":"created","type":{"type":"long","connect.version":1,"connect.name":"org.apache.kafka.connect.data.Timestamp","logicalType":"timestamp-millis"}},` +
	`{"name":"day","type":["null",{"type":"int","connect.version":1,"connect.name":"org.apache.kafka.connect.data.Date","logicalType":"date"}],"default":null},` +
	`{"name":"t","type":{"type":"int","connect.version":1,"connect.name":"org.apache.kafka.connect.data.Time","logicalType":"time-millis"}},` +
	`{"name":"tags","type":["null",{"type":"array","items":"string"}],"default":null},` +
	`{"name":"attrs","type":{"type":"map","values":"string"}},` +
	`{"name":"counts","type":{"type":"array","items":{"type":"record","name":"MapEntry","namespace":"io.confluent.connect.avro","fields":[{"name":"key","type":"int"},{"name":"value","type":"long"}]}}},` +
	`{"name":"inner","type":["null",{"type":"record","name":"ConnectDefault","namespace":"io.confluent.connect.avro","fields":[{"name":"a","type":"int"}]}],"default":null},` +
	`{"name":"flag","type":"boolean"},` +
	`{"name":"ratio","type":"double"},` +
	`{"name":"small","type":"float"},` +
	`{"name":"tiny","type":{"type":"int","connect.type":"int8"}},` +
	`{"name":"raw","type":["null","bytes"],"default":null},` +
	`{"name":"big","type":{"type":"bytes","connect.version":1,"connect.parameters":{"scale":"0"},"connect.name":"org.apache.kafka.connect.data.Decimal","logicalType":"decimal","precision":64,"scale":0}},` +
	`{"name":"doc","type":["null",{"type":"string","connect.doc":"a documented field","connect.version":2}],"default":null}` +
	`],"connect.name":"db.orders"}`

func avroOrdersValue(s *connect.Schema) *connect.StructValue {
	sv := connect.NewStruct(s)
	inner := connect.NewStruct(s.Field("inner").Schema)
	inner.Values[0] = int32(7)
	sv.Values = []any{
		int64(42),
		connect.Decimal{Unscaled: big.NewInt(-12345), Scale: 2},
		"héllo ✓",
		int16(3),
		time.UnixMilli(1700000000123).UTC(),
		time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC),
		time.UnixMilli(3723004).UTC(),
		[]any{"a", "b"},
		[]connect.MapEntry{{Key: "k1", Value: "v1"}},
		[]connect.MapEntry{{Key: int32(1), Value: int64(10)}, {Key: int32(-2), Value: int64(20)}},
		inner,
		true,
		1.5,
		float32(0.25),
		int8(-5),
		[]byte{0, 1, 2, 255},
		connect.Decimal{Unscaled: new(big.Int).Lsh(big.NewInt(1), 100), Scale: 0},
		"d",
	}
	return sv
}

func TestAvroSchemaFromConnect(t *testing.T) {
	cases := []struct {
		name   string
		schema *connect.Schema
		want   string
	}{
		{"orders", avroOrdersSchema(), avroOrdersText},
		{"string", connect.Primitive(connect.String), `"string"`},
		{"optional int64", connect.Primitive(connect.Int64).Optionally(), `["null","long"]`},
		{"optional with default puts null second", &connect.Schema{Type: connect.String, Optional: true, Default: "x"}, `[{"type":"string","connect.default":"x"},"null"]`},
		{"doc and version", &connect.Schema{Type: connect.String, Doc: "d", Version: 3, Name: "n.s"}, `{"type":"string","connect.doc":"d","connect.version":3,"connect.name":"n.s"}`},
		{"unnamed structs numbered", connect.NewStructSchema("",
			connect.Field{Name: "x", Schema: connect.NewStructSchema("", connect.Field{Name: "y", Schema: connect.Primitive(connect.Int32)})}),
			`{"type":"record","name":"ConnectDefault","namespace":"io.confluent.connect.avro","fields":[{"name":"x","type":{"type":"record","name":"ConnectDefault2","namespace":"io.confluent.connect.avro","fields":[{"name":"y","type":"int"}]}}]}`},
		{"named struct used twice is referenced", func() *connect.Schema {
			v := connect.NewStructSchema("s.Value", connect.Field{Name: "id", Schema: connect.Primitive(connect.Int32)})
			o := *v
			o.Optional = true
			return connect.NewStructSchema("s.Envelope", connect.Field{Name: "before", Schema: &o}, connect.Field{Name: "after", Schema: &o})
		}(), `{"type":"record","name":"Envelope","namespace":"s","fields":[{"name":"before","type":["null",{"type":"record","name":"Value","namespace":"s","fields":[{"name":"id","type":"int"}],"connect.name":"s.Value"}],"default":null},{"name":"after","type":["null","s.Value"],"default":null}],"connect.name":"s.Envelope"}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ws, err := newAvroWriteSchema(tc.schema)
			if err != nil {
				t.Fatal(err)
			}
			if ws.text != tc.want {
				t.Errorf("Avro schema\n got %s\nwant %s", ws.text, tc.want)
			}
		})
	}
}

func TestAvroSchemaErrors(t *testing.T) {
	a := connect.NewStructSchema("x.S", connect.Field{Name: "a", Schema: connect.Primitive(connect.Int32)})
	b := connect.NewStructSchema("x.S", connect.Field{Name: "b", Schema: connect.Primitive(connect.String)})
	cases := []struct {
		name   string
		schema *connect.Schema
		want   string
	}{
		{"schemaless", nil, "needs a schema"},
		{"two structs one name", connect.NewStructSchema("top", connect.Field{Name: "a", Schema: a}, connect.Field{Name: "b", Schema: b}), `both named "x.S"`},
		{"decimal without scale", connect.NewStructSchema("top", connect.Field{Name: "d", Schema: &connect.Schema{Type: connect.Bytes, Name: connect.DecimalName}}), "scale parameter not found"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := newAvroWriteSchema(tc.schema)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

// envelope renders a Connect schema and value with JsonConverter
// (schemas.enable=true), a byte-exact way to compare Connect data.
func envelope(t *testing.T, s *connect.Schema, v any) string {
	t.Helper()
	jc, err := New(JSONConverterClass, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	b, err := jc.FromConnect("t", s, v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func newFakeAvro(t *testing.T, props map[string]string, isKey bool, opts ...srfake.Option) (Converter, *srfake.Registry) {
	t.Helper()
	reg := srfake.New(opts...)
	t.Cleanup(reg.Close)
	p := map[string]string{"schema.registry.url": reg.URL()}
	for k, v := range props {
		p[k] = v
	}
	c, err := New(AvroConverterClass, p, isKey)
	if err != nil {
		t.Fatal(err)
	}
	return c, reg
}

func TestAvroRoundTrip(t *testing.T) {
	c, reg := newFakeAvro(t, nil, false)
	s := avroOrdersSchema()
	v := avroOrdersValue(s)
	b, err := c.FromConnect("orders", s, v)
	if err != nil {
		t.Fatal(err)
	}
	if b[0] != 0 {
		t.Fatalf("magic byte %d, want 0", b[0])
	}
	id := int(binary.BigEndian.Uint32(b[1:5]))
	got, ok := reg.GetSchema("orders-value", 1)
	if !ok || got.ID != id || got.Schema.Schema != avroOrdersText {
		t.Fatalf("registry has %+v (found %v), want id %d with the orders schema", got, ok, id)
	}
	gs, gv, err := c.ToConnect("orders", b)
	if err != nil {
		t.Fatal(err)
	}
	if want, gotEnv := envelope(t, s, v), envelope(t, gs, gv); gotEnv != want {
		t.Errorf("round trip\n got %s\nwant %s", gotEnv, want)
	}
	// Nulls in every optional field, and a tombstone.
	nv := avroOrdersValue(s)
	for i, f := range s.Fields {
		if f.Schema.Optional {
			nv.Values[i] = nil
		}
	}
	b, err = c.FromConnect("orders", s, nv)
	if err != nil {
		t.Fatal(err)
	}
	gs, gv, err = c.ToConnect("orders", b)
	if err != nil {
		t.Fatal(err)
	}
	if want, gotEnv := envelope(t, s, nv), envelope(t, gs, gv); gotEnv != want {
		t.Errorf("round trip with nulls\n got %s\nwant %s", gotEnv, want)
	}
	if b, err := c.FromConnect("orders", s, nil); b != nil || err != nil {
		t.Errorf("tombstone: got %v, %v; want nil, nil", b, err)
	}
	if gs, gv, err := c.ToConnect("orders", nil); gs != nil || gv != nil || err != nil {
		t.Errorf("nil data: got %v, %v, %v", gs, gv, err)
	}
}

func TestAvroReadsSchemaWithoutConnectMetadata(t *testing.T) {
	// What a plain Java producer registers: no connect.* properties, a
	// general union, an enum, a fixed and logical types.
	const text = `{"type":"record","name":"Payment","namespace":"com.acme","doc":"a payment","fields":[
		{"name":"id","type":"string"},
		{"name":"amount","type":{"type":"bytes","logicalType":"decimal","precision":9,"scale":2}},
		{"name":"at","type":{"type":"long","logicalType":"timestamp-millis"}},
		{"name":"kind","type":{"type":"enum","name":"Kind","symbols":["CARD","CASH"]}},
		{"name":"code","type":{"type":"fixed","name":"Code","size":2}},
		{"name":"either","type":["null","int","string"],"default":null},
		{"name":"count","type":"int","default":5},
		{"name":"tags","type":{"type":"map","values":["null","long"]}}]}`
	c, reg := newFakeAvro(t, nil, false)
	id, _, err := reg.RegisterSchema("payments-value", sr.Schema{Schema: text})
	if err != nil {
		t.Fatal(err)
	}
	rs, err := newAvroReadSchema(text)
	if err != nil {
		t.Fatal(err)
	}
	generic := map[string]any{"id": "p1", "amount": []byte{0x30, 0x39}, "at": int64(1700000000000),
		"kind": "CASH", "code": []byte{1, 2}, "either": map[string]any{"string": "s"}, "count": int32(6),
		"tags": map[string]any{"a": map[string]any{"long": int64(1)}, "b": nil}}
	body, err := rs.codec.Encode(generic)
	if err != nil {
		t.Fatal(err)
	}
	data := append(binary.BigEndian.AppendUint32([]byte{0}, uint32(id)), body...)
	s, v, err := c.ToConnect("payments", data)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"schema":{"type":"struct","fields":[` +
		`{"type":"string","optional":false,"field":"id"},` +
		`{"type":"bytes","optional":false,"name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{"scale":"2","connect.decimal.precision":"9"},"field":"amount"},` +
		`{"type":"int64","optional":false,"name":"org.apache.kafka.connect.data.Timestamp","version":1,"field":"at"},` +
		`{"type":"string","optional":false,"name":"com.acme.Kind","parameters":{"io.confluent.connect.avro.Enum":"com.acme.Kind","io.confluent.connect.avro.Enum.CARD":"CARD","io.confluent.connect.avro.Enum.CASH":"CASH"},"field":"kind"},` +
		`{"type":"bytes","optional":false,"name":"com.acme.Code","parameters":{"connect.fixed.size":"2"},"field":"code"},` +
		`{"type":"struct","fields":[{"type":"int32","optional":true,"field":"int"},{"type":"string","optional":true,"field":"string"}],"optional":true,"name":"io.confluent.connect.avro.Union","field":"either"},` +
		`{"type":"int32","optional":false,"default":5,"parameters":{"io.confluent.connect.avro.field.default":"true"},"field":"count"},` +
		`{"type":"map","keys":{"type":"string","optional":false},"values":{"type":"int64","optional":true},"optional":false,"field":"tags"}],` +
		`"optional":false,"name":"com.acme.Payment","parameters":{"io.confluent.connect.avro.record.doc":"a payment"}},` +
		`"payload":{"id":"p1","amount":"MDk=","at":1700000000000,"kind":"CASH","code":"AQI=","either":{"int":null,"string":"s"},"count":6,"tags":{"a":1,"b":null}}}`
	if got := envelope(t, s, v); !jsonEqual(t, got, want) {
		t.Errorf("Connect data\n got %s\nwant %s", got, want)
	}
}

// AvroTestJSONEqual reports whether two JSON texts are equal ignoring
// object key order.
func AvroTestJSONEqual(t *testing.T, a, b string) bool { return jsonEqual(t, a, b) }

func jsonEqual(t *testing.T, a, b string) bool { return JSONTestEqualBy(t, a, b, nil) }

// JSONTestEqualBy reports whether two JSON texts are equal ignoring object
// key order, after norm (when not nil) has rewritten each decoded value.
func JSONTestEqualBy(t *testing.T, a, b string, norm func(any) any) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal([]byte(a), &x); err != nil {
		t.Fatalf("%v: %s", err, a)
	}
	if err := json.Unmarshal([]byte(b), &y); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	if norm != nil {
		x, y = norm(x), norm(y)
	}
	return reflect.DeepEqual(x, y)
}

func TestAvroBadInput(t *testing.T) {
	c, _ := newFakeAvro(t, nil, false)
	s := avroOrdersSchema()
	good, err := c.FromConnect("orders", s, avroOrdersValue(s))
	if err != nil {
		t.Fatal(err)
	}
	unknownID := append([]byte{0}, binary.BigEndian.AppendUint32(nil, 999)...)
	unknownID = append(unknownID, good[5:]...)
	cases := []struct {
		name      string
		data      []byte
		retryable bool
		want      string
	}{
		{"no magic byte", []byte(`{"id":1}`), false, "unknown magic byte 123"},
		{"too short", []byte{0, 0, 1}, false, "unknown magic byte 0"},
		{"unknown id", unknownID, false, "schema id 999"},
		{"truncated", good[:len(good)-3], false, "does not fit the schema"},
		{"trailing bytes", append(append([]byte{}, good...), 1, 2), false, "2 bytes left"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := c.ToConnect("orders", tc.data)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want it to contain %q", err, tc.want)
			}
			if errclass.IsRetryable(err) != tc.retryable {
				t.Errorf("retryable = %v, want %v (%v)", errclass.IsRetryable(err), tc.retryable, err)
			}
		})
	}
}

func TestAvroNoAutoRegister(t *testing.T) {
	s := connect.NewStructSchema("r", connect.Field{Name: "a", Schema: connect.Primitive(connect.Int32)})
	val := &connect.StructValue{Schema: s, Values: []any{int32(1)}}
	c, reg := newFakeAvro(t, map[string]string{"auto.register.schemas": "false"}, false)
	_, err := c.FromConnect("t", s, val)
	if err == nil || !errclass.IsPermanent(err) || !strings.Contains(err.Error(), `looking up the schema under subject "t-value"`) {
		t.Fatalf("got %v, want a permanent lookup error", err)
	}
	ws, _ := newAvroWriteSchema(s)
	id, _, err := reg.RegisterSchema("t-value", sr.Schema{Schema: ws.text})
	if err != nil {
		t.Fatal(err)
	}
	b, err := c.FromConnect("t", s, val)
	if err != nil {
		t.Fatal(err)
	}
	if got := int(binary.BigEndian.Uint32(b[1:5])); got != id {
		t.Errorf("id %d, want the registered %d", got, id)
	}
}

func TestAvroUseLatestVersion(t *testing.T) {
	// The latest schema has an extra optional field; records written with
	// the older shape carry the latest id and read back with the field null.
	c, reg := newFakeAvro(t, map[string]string{"auto.register.schemas": "false", "use.latest.version": "true"}, false)
	const latest = `{"type":"record","name":"r","fields":[{"name":"a","type":"int"},{"name":"b","type":["null","string"],"default":null}],"connect.name":"r"}`
	id, _, err := reg.RegisterSchema("t-value", sr.Schema{Schema: latest})
	if err != nil {
		t.Fatal(err)
	}
	s := connect.NewStructSchema("r", connect.Field{Name: "a", Schema: connect.Primitive(connect.Int32)})
	b, err := c.FromConnect("t", s, &connect.StructValue{Schema: s, Values: []any{int32(9)}})
	if err != nil {
		t.Fatal(err)
	}
	if got := int(binary.BigEndian.Uint32(b[1:5])); got != id {
		t.Fatalf("id %d, want the latest %d", got, id)
	}
	gs, gv, err := c.ToConnect("t", b)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"schema":{"type":"struct","fields":[{"type":"int32","optional":false,"field":"a"},{"type":"string","optional":true,"field":"b"}],"optional":false,"name":"r"},"payload":{"a":9,"b":null}}`
	if got := envelope(t, gs, gv); got != want {
		t.Errorf("got %s\nwant %s", got, want)
	}
	// A latest schema that cannot read the record is a permanent error.
	bad := connect.NewStructSchema("r", connect.Field{Name: "a", Schema: connect.Primitive(connect.String)})
	_, err = c.FromConnect("t", bad, &connect.StructValue{Schema: bad, Values: []any{"x"}})
	if err == nil || !errclass.IsPermanent(err) || !strings.Contains(err.Error(), "cannot read") {
		t.Fatalf("got %v, want a permanent error", err)
	}
}

func TestAvroBasicAuth(t *testing.T) {
	auth := "Basic " + base64.StdEncoding.EncodeToString([]byte("u:p@ss"))
	s := connect.Primitive(connect.String)
	cases := []struct {
		name  string
		props map[string]string
		ok    bool
	}{
		{"user info", map[string]string{"basic.auth.credentials.source": "USER_INFO", "basic.auth.user.info": "u:p@ss"}, true},
		{"wrong password", map[string]string{"basic.auth.credentials.source": "USER_INFO", "basic.auth.user.info": "u:nope"}, false},
		{"none", nil, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, _ := newFakeAvro(t, tc.props, false, srfake.WithAuth(auth))
			_, err := c.FromConnect("t", s, "x")
			if (err == nil) != tc.ok {
				t.Fatalf("err = %v, want ok=%v", err, tc.ok)
			}
			if err != nil && !errclass.IsPermanent(err) {
				t.Errorf("refused credentials should be permanent: %v", err)
			}
		})
	}
	t.Run("URL user info", func(t *testing.T) {
		reg := srfake.New(srfake.WithAuth(auth))
		defer reg.Close()
		u := strings.Replace(reg.URL(), "http://", "http://u:p%40ss@", 1)
		c, err := New(AvroConverterClass, map[string]string{"schema.registry.url": u}, false)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.FromConnect("t", s, "x"); err != nil {
			t.Fatal(err)
		}
	})
}

func TestAvroConfigErrors(t *testing.T) {
	cases := []struct {
		name  string
		props map[string]string
		want  string
	}{
		{"no url", map[string]string{}, "schema.registry.url"},
		{"bad url", map[string]string{"schema.registry.url": "localhost:8081"}, `schema.registry.url="localhost:8081"`},
		{"unknown key", map[string]string{"schema.registry.url": "http://x", "schemas.cache.config": "5"}, "schemas.cache.config"},
		{"bad strategy", map[string]string{"schema.registry.url": "http://x", "value.subject.name.strategy": "TopicName"}, "value.subject.name.strategy"},
		{"user info missing", map[string]string{"schema.registry.url": "http://x", "basic.auth.credentials.source": "USER_INFO"}, "basic.auth.user.info"},
		{"SASL_INHERIT", map[string]string{"schema.registry.url": "http://x", "basic.auth.credentials.source": "SASL_INHERIT"}, "URL or USER_INFO"},
		{"bad bool", map[string]string{"schema.registry.url": "http://x", "auto.register.schemas": "yes"}, "auto.register.schemas"},
		{"bad timeout", map[string]string{"schema.registry.url": "http://x", "schema.registry.request.timeout.ms": "0"}, "schema.registry.request.timeout.ms"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(AvroConverterClass, tc.props, false)
			var ce *ConfigError
			if err == nil || !errors.As(err, &ce) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want a *ConfigError naming %q", err, tc.want)
			}
		})
	}
}

func TestAvroRegistryServerErrorIsRetryable(t *testing.T) {
	c, reg := newFakeAvro(t, nil, false)
	reg.Intercept(func(w http.ResponseWriter, _ *http.Request) bool {
		w.WriteHeader(http.StatusServiceUnavailable)
		return true
	})
	_, _, err := c.ToConnect("t", []byte{0, 0, 0, 0, 1, 2})
	if err == nil || !errclass.IsRetryable(err) || !strings.Contains(err.Error(), "HTTP 503") {
		t.Fatalf("got %v, want a retryable HTTP 503 error", err)
	}
}

func TestAvroCachesRegistryCalls(t *testing.T) {
	c, reg := newFakeAvro(t, nil, false)
	var posts, gets int
	reg.Intercept(func(_ http.ResponseWriter, r *http.Request) bool {
		if r.Method == http.MethodPost {
			posts++
		} else {
			gets++
		}
		return false
	})
	s := avroOrdersSchema()
	var data []byte
	for range 3 {
		b, err := c.FromConnect("orders", s, avroOrdersValue(s))
		if err != nil {
			t.Fatal(err)
		}
		data = b
	}
	writeCalls := posts + gets
	// Registering costs one POST (and franz-go's follow-up GETs for the
	// version), once.
	if posts != 1 {
		t.Errorf("3 writes made %d registrations, want 1", posts)
	}
	posts, gets = 0, 0
	reader, err := New(AvroConverterClass, map[string]string{"schema.registry.url": reg.URL()}, false)
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, _, err := reader.ToConnect("orders", data); err != nil {
			t.Fatal(err)
		}
	}
	if posts != 0 || gets != 1 {
		t.Errorf("3 reads made %d registrations and %d fetches, want 0 and 1", posts, gets)
	}
	if _, err := c.FromConnect("orders", s, avroOrdersValue(s)); err != nil || posts+gets != 1 {
		t.Errorf("a 4th write called the registry (%d calls before, %d now): %v", writeCalls, posts+gets-1, err)
	}
}

func TestAvroTriesURLsInOrder(t *testing.T) {
	reg := srfake.New()
	defer reg.Close()
	dead := srfake.New()
	deadURL := dead.URL()
	dead.Close()
	c, err := New(AvroConverterClass, map[string]string{"schema.registry.url": deadURL + ", " + reg.URL()}, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.FromConnect("t", connect.Primitive(connect.String), "x"); err != nil {
		t.Fatalf("the second URL should have answered: %v", err)
	}
	if !reg.SubjectExists("t-value") {
		t.Error("not registered on the second URL")
	}
}

func TestAvroReadsSchemaReferences(t *testing.T) {
	// What Apicurio's Java serializer registers for nested records: the
	// nested record as its own subject, referenced by name.
	const address = `{"type":"record","name":"Address","namespace":"com.acme","fields":[{"name":"city","type":"string"}]}`
	const person = `{"type":"record","name":"Person","namespace":"com.acme","fields":[{"name":"name","type":"string"},{"name":"home","type":["null","Address"],"default":null}]}`
	c, reg := newFakeAvro(t, nil, false)
	if _, _, err := reg.RegisterSchema("com.acme.Address", sr.Schema{Schema: address}); err != nil {
		t.Fatal(err)
	}
	id, _, err := reg.RegisterSchema("people-value", sr.Schema{Schema: person,
		References: []sr.SchemaReference{{Name: "com.acme.Address", Subject: "com.acme.Address", Version: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	rs, err := newAvroReadSchema(person, address)
	if err != nil {
		t.Fatal(err)
	}
	body, err := rs.codec.Encode(map[string]any{"name": "Ann", "home": map[string]any{"com.acme.Address": map[string]any{"city": "Oslo"}}})
	if err != nil {
		t.Fatal(err)
	}
	s, v, err := c.ToConnect("people", append(binary.BigEndian.AppendUint32([]byte{0}, uint32(id)), body...))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"schema":{"type":"struct","fields":[{"type":"string","optional":false,"field":"name"},{"type":"struct","fields":[{"type":"string","optional":false,"field":"city"}],"optional":true,"name":"com.acme.Address","field":"home"}],"optional":false,"name":"com.acme.Person"},"payload":{"name":"Ann","home":{"city":"Oslo"}}}`
	if got := envelope(t, s, v); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestAvroConcurrentUse(t *testing.T) {
	c, _ := newFakeAvro(t, nil, false)
	s := avroOrdersSchema()
	want := envelope(t, s, avroOrdersValue(s))
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 20 {
				b, err := c.FromConnect(fmt.Sprintf("t%d", (g+i)%3), s, avroOrdersValue(s))
				if err != nil {
					errs <- err
					return
				}
				gs, gv, err := c.ToConnect("t", b)
				if err != nil {
					errs <- err
					return
				}
				if got := envelope(t, gs, gv); got != want {
					errs <- fmt.Errorf("got %s", got)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestAvroDefaultsRoundTrip: field defaults go into the Avro schema (field
// "default" and connect.default) and come back as the same Connect defaults.
func TestAvroDefaultsRoundTrip(t *testing.T) {
	withDefault := func(s *connect.Schema, d any) *connect.Schema { c := *s; c.Default = d; return &c }
	ts := time.UnixMilli(1700000000000).UTC()
	s := connect.NewStructSchema("d.Defaults",
		connect.Field{Name: "s", Schema: withDefault(connect.Primitive(connect.String), "x")},
		connect.Field{Name: "b", Schema: withDefault(connect.Primitive(connect.Boolean), true)},
		connect.Field{Name: "f", Schema: withDefault(connect.Primitive(connect.Float64), 2.5)},
		connect.Field{Name: "raw", Schema: withDefault(connect.Primitive(connect.Bytes), []byte{0, 200})},
		connect.Field{Name: "ts", Schema: withDefault(connect.TimestampSchema(), ts)},
		connect.Field{Name: "dec", Schema: withDefault(connect.DecimalSchema(2, 5), connect.Decimal{Unscaled: big.NewInt(150), Scale: 2})},
		connect.Field{Name: "arr", Schema: withDefault(&connect.Schema{Type: connect.Array, Items: connect.Primitive(connect.Int32)}, []any{int32(1), int32(2)})},
		connect.Field{Name: "m", Schema: withDefault(&connect.Schema{Type: connect.Map, Keys: connect.Primitive(connect.String), Values: connect.Primitive(connect.Int64)}, []connect.MapEntry{{Key: "a", Value: int64(1)}})},
		connect.Field{Name: "opt", Schema: withDefault(connect.Primitive(connect.Int32).Optionally(), int32(7))},
	)
	ws, err := newAvroWriteSchema(s)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(ws.text, `{"name":"opt","type":[{"type":"int","connect.default":7},"null"],"default":7}`) {
		t.Errorf("optional field with a default: want [int, null] with default 7 in %s", ws.text)
	}
	rs, err := newAvroReadSchema(ws.text)
	if err != nil {
		t.Fatal(err)
	}
	got := rs.root.conn
	for i, f := range s.Fields {
		g := got.Fields[i].Schema
		if want, have := envelope(t, f.Schema, f.Schema.Default), envelope(t, g, g.Default); want != have {
			t.Errorf("field %s default:\n got  %s\n want %s", f.Name, have, want)
		}
	}
	// A null value of a field with a default is written as the default,
	// as Connect's Struct.get returns it.
	c, _ := newFakeAvro(t, nil, false)
	b, err := c.FromConnect("t", s, connect.NewStruct(s))
	if err != nil {
		t.Fatal(err)
	}
	gs, gv, err := c.ToConnect("t", b)
	if err != nil {
		t.Fatal(err)
	}
	sv := gv.(*connect.StructValue)
	if v, _ := sv.Get("s"); v != "x" {
		t.Errorf("s = %v, want the default x (%s)", v, envelope(t, gs, gv))
	}
}
