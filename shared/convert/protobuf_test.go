package convert

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/sr"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/types/dynamicpb"

	"github.com/serverless-kafka-connect/slkc/shared/connect"
	"github.com/serverless-kafka-connect/slkc/shared/errclass"
)

func TestProtobufSchemaFromConnect(t *testing.T) {
	opt := func(s *connect.Schema) *connect.Schema { return s.Optionally() }
	s := connect.NewStructSchema("com.acme.Order",
		connect.Field{Name: "id", Schema: connect.Primitive(connect.Int64)},
		connect.Field{Name: "note", Schema: opt(connect.Primitive(connect.String))},
		connect.Field{Name: "qty", Schema: connect.Primitive(connect.Int16)},
		connect.Field{Name: "amount", Schema: connect.DecimalSchema(2, 10)},
		connect.Field{Name: "at", Schema: connect.TimestampSchema()},
		connect.Field{Name: "day", Schema: opt(connect.DateSchema())},
		connect.Field{Name: "t", Schema: connect.TimeSchema()},
		connect.Field{Name: "tags", Schema: &connect.Schema{Type: connect.Array, Items: connect.Primitive(connect.String)}},
		connect.Field{Name: "attrs", Schema: &connect.Schema{Type: connect.Map, Keys: connect.Primitive(connect.String), Values: connect.Primitive(connect.Float64)}},
		connect.Field{Name: "line", Schema: connect.NewStructSchema("", connect.Field{Name: "sku", Schema: connect.Primitive(connect.Bytes)})},
		connect.Field{Name: "ok", Schema: connect.Primitive(connect.Boolean)},
		connect.Field{Name: "f", Schema: connect.Primitive(connect.Float32)})
	want := `syntax = "proto3";
package com.acme;

import "confluent/meta.proto";
import "confluent/type/decimal.proto";
import "google/protobuf/timestamp.proto";
import "google/type/date.proto";
import "google/type/timeofday.proto";

message Order {
  int64 id = 1;
  optional string note = 2;
  int32 qty = 3 [(confluent.field_meta) = { params: [{ key: "connect.type", value: "int16" }] }];
  .confluent.type.Decimal amount = 4 [(confluent.field_meta) = { params: [{ key: "scale", value: "2" }, { key: "connect.decimal.precision", value: "10" }] }];
  .google.protobuf.Timestamp at = 5;
  .google.type.Date day = 6;
  .google.type.TimeOfDay t = 7;
  repeated string tags = 8;
  map<string, double> attrs = 9;
  ConnectDefault2 line = 10;
  bool ok = 11;
  float f = 12;
  message ConnectDefault2 {
    bytes sku = 1;
  }
}
`
	text, name, imports, err := pbSchemaText(s)
	if err != nil {
		t.Fatal(err)
	}
	if text != want {
		t.Errorf(".proto\n got %s\nwant %s", text, want)
	}
	if name != "com.acme.Order" || len(imports) != 5 {
		t.Errorf("name %q imports %v", name, imports)
	}
	fd, err := compileProto(text, nil, nil, true)
	if err != nil {
		t.Fatal(err)
	}
	back, err := pbToConnect(fd.Messages().Get(0), 0)
	if err != nil {
		t.Fatal(err)
	}
	wantBack := `{"type":"struct","fields":[` +
		`{"type":"int64","optional":false,"field":"id"},{"type":"string","optional":true,"field":"note"},` +
		`{"type":"int16","optional":false,"field":"qty"},` +
		`{"type":"bytes","optional":true,"name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{"scale":"2","connect.decimal.precision":"10"},"field":"amount"},` +
		`{"type":"int64","optional":true,"name":"org.apache.kafka.connect.data.Timestamp","version":1,"field":"at"},` +
		`{"type":"int32","optional":true,"name":"org.apache.kafka.connect.data.Date","version":1,"field":"day"},` +
		`{"type":"int32","optional":true,"name":"org.apache.kafka.connect.data.Time","version":1,"field":"t"},` +
		`{"type":"array","items":{"type":"string","optional":false},"optional":false,"field":"tags"},` +
		`{"type":"map","keys":{"type":"string","optional":false},"values":{"type":"double","optional":false},"optional":false,"field":"attrs"},` +
		`{"type":"struct","fields":[{"type":"bytes","optional":false,"field":"sku"}],"optional":true,"name":"com.acme.Order.ConnectDefault2","field":"line"},` +
		`{"type":"boolean","optional":false,"field":"ok"},{"type":"float","optional":false,"field":"f"}],` +
		`"optional":false,"name":"com.acme.Order"}`
	if got := connectSchemaJSON(t, back); !jsonEqual(t, got, wantBack) {
		t.Errorf("read back\n got %s\nwant %s", got, wantBack)
	}
}

func TestProtobufSchemaRefusals(t *testing.T) {
	str := connect.Primitive(connect.String)
	cases := []struct {
		name   string
		schema *connect.Schema
		want   string
	}{
		{"not a struct", str, "top-level string schema is not supported"},
		{"bad field name", connect.NewStructSchema("a", connect.Field{Name: "my-field", Schema: str}), `"my-field"`},
		{"bad connect name", connect.NewStructSchema("a.b-c", connect.Field{Name: "x", Schema: str}), `connect name "a.b-c"`},
		{"array of arrays", connect.NewStructSchema("a", connect.Field{Name: "x", Schema: &connect.Schema{Type: connect.Array, Items: &connect.Schema{Type: connect.Array, Items: str}}}), "arrays of arrays"},
		{"float map keys", connect.NewStructSchema("a", connect.Field{Name: "x", Schema: &connect.Schema{Type: connect.Map, Keys: connect.Primitive(connect.Float64), Values: str}}), "map keys of type float64"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, _, _, err := pbSchemaText(tc.schema)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

// TestProtobufWireFormat checks the bytes against Confluent's wire format
// specification: magic byte 0, the 4-byte big-endian id, the message index
// path ([0] as the single byte 0) and the Protobuf binary.
func TestProtobufWireFormat(t *testing.T) {
	c, _ := newFakeRegistryConv(t, ProtobufConverterClass, nil, false)
	s := connect.NewStructSchema("a.B", connect.Field{Name: "id", Schema: connect.Primitive(connect.Int64)},
		connect.Field{Name: "s", Schema: connect.Primitive(connect.String)})
	b, err := c.FromConnect("t", s, &connect.StructValue{Schema: s, Values: []any{int64(150), "hi"}})
	if err != nil {
		t.Fatal(err)
	}
	id := binary.BigEndian.Uint32(b[1:5])
	want := append(binary.BigEndian.AppendUint32([]byte{0}, id), 0, 0x08, 0x96, 0x01, 0x12, 0x02, 'h', 'i')
	if !bytes.Equal(b, want) {
		t.Fatalf("wire bytes % x, want % x", b, want)
	}
}

func TestProtobufMessageIndexes(t *testing.T) {
	cases := []struct {
		name string
		path []int
		wire []byte
	}{
		{"first message", []int{0}, []byte{0}},
		{"second message", []int{1}, []byte{2, 2}},
		{"nested", []int{0, 1}, []byte{4, 0, 2}},
		{"large index", []int{70}, []byte{2, 0x8c, 0x01}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := pbAppendIndexes(nil, tc.path); !bytes.Equal(got, tc.wire) {
				t.Errorf("write % x, want % x", got, tc.wire)
			}
			got, rest, err := pbReadIndexes(append(append([]byte{}, tc.wire...), 0xAA))
			if err != nil || len(rest) != 1 || rest[0] != 0xAA || len(got) != len(tc.path) {
				t.Fatalf("read %v rest % x err %v", got, rest, err)
			}
			for i := range got {
				if got[i] != tc.path[i] {
					t.Errorf("read %v, want %v", got, tc.path)
				}
			}
		})
	}
	for _, bad := range [][]byte{{}, {0x80}, {3}, {0xfe, 0x01}, {4, 0}} {
		if _, _, err := pbReadIndexes(bad); err == nil {
			t.Errorf("% x: no error", bad)
		}
	}
}

// TestProtobufRoundTrip writes every Connect type the mapping supports and
// reads the same data back.
func TestProtobufRoundTrip(t *testing.T) {
	c, _ := newFakeRegistryConv(t, ProtobufConverterClass, nil, false)
	s := avroOrdersSchema()
	v := avroOrdersValue(s)
	b, err := c.FromConnect("orders", s, v)
	if err != nil {
		t.Fatal(err)
	}
	rs, rv, err := c.ToConnect("orders", b)
	if err != nil {
		t.Fatal(err)
	}
	// Protobuf maps have no order (read back sorted by key), and an absent
	// repeated field is an empty list.
	sorted := strings.NewReplacer(`"counts":[[1,10],[-2,20]]`, `"counts":[[-2,20],[1,10]]`, `"tags":null`, `"tags":[]`)
	got, want := payloadHalf(envelope(t, rs, rv)), sorted.Replace(payloadHalf(envelope(t, s, v)))
	if !jsonEqual(t, got, want) {
		t.Errorf("read back\n got %s\nwant %s", got, want)
	}
	nulls := &connect.StructValue{Schema: s, Values: append([]any(nil), v.Values...)}
	for i, f := range s.Fields {
		if f.Schema.Optional {
			nulls.Values[i] = nil
		}
	}
	b, err = c.FromConnect("orders", s, nulls)
	if err != nil {
		t.Fatal(err)
	}
	if rs, rv, err = c.ToConnect("orders", b); err != nil {
		t.Fatal(err)
	}
	if got, want := payloadHalf(envelope(t, rs, rv)), sorted.Replace(payloadHalf(envelope(t, s, nulls))); !jsonEqual(t, got, want) {
		t.Errorf("nulls read back\n got %s\nwant %s", got, want)
	}
}

func payloadHalf(env string) string {
	_, p, _ := strings.Cut(env, `,"payload":`)
	return strings.TrimSuffix(p, "}")
}

// TestProtobufReadsOtherMessages reads a schema as an application writes
// it: several messages, enums, unsigned and wrapper types, and a record of
// its second message (message index [1]).
func TestProtobufReadsOtherMessages(t *testing.T) {
	const text = `syntax = "proto3";
package shop;
import "google/protobuf/wrappers.proto";
message Other { string x = 1; }
message Item {
  enum Kind { UNKNOWN = 0; BOOK = 1; }
  uint32 count = 1;
  Kind kind = 2;
  google.protobuf.StringValue label = 3;
  repeated int32 sizes = 4;
  map<int32, string> names = 5;
  sint64 delta = 6;
}`
	c, reg := newFakeRegistryConv(t, ProtobufConverterClass, nil, false)
	id, _, err := reg.RegisterSchema("items-value", sr.Schema{Schema: text, Type: sr.TypeProtobuf})
	if err != nil {
		t.Fatal(err)
	}
	// count=7, kind=BOOK, label={value:"L"}, sizes=[1,2] packed, names={2:"b",1:"a"}, delta=-3
	body := []byte{0x08, 7, 0x10, 1, 0x1a, 3, 0x0a, 1, 'L', 0x22, 2, 1, 2,
		0x2a, 5, 0x08, 2, 0x12, 1, 'b', 0x2a, 5, 0x08, 1, 0x12, 1, 'a', 0x30, 5}
	data := append(append(binary.BigEndian.AppendUint32([]byte{0}, uint32(id)), 2, 2), body...)
	rs, rv, err := c.ToConnect("items", data)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"schema":{"type":"struct","fields":[` +
		`{"type":"int64","optional":false,"field":"count"},{"type":"string","optional":false,"field":"kind"},` +
		`{"type":"string","optional":true,"field":"label"},{"type":"array","items":{"type":"int32","optional":false},"optional":false,"field":"sizes"},` +
		`{"type":"map","keys":{"type":"int32","optional":false},"values":{"type":"string","optional":false},"optional":false,"field":"names"},` +
		`{"type":"int64","optional":false,"field":"delta"}],"optional":false,"name":"shop.Item"},` +
		`"payload":{"count":7,"kind":"BOOK","label":"L","sizes":[1,2],"names":[[1,"a"],[2,"b"]],"delta":-3}}`
	if got := envelope(t, rs, rv); !jsonEqual(t, got, want) {
		t.Errorf("Connect data\n got %s\nwant %s", got, want)
	}
	if _, _, err := c.ToConnect("items", append(binary.BigEndian.AppendUint32([]byte{0}, uint32(id)), 2, 4)); err == nil || !strings.Contains(err.Error(), "message index 2") {
		t.Errorf("index out of range: %v", err)
	}
}

// ProtobufTestJSON prints the message ProtobufConverter writes for value
// of schema s in Protobuf's JSON mapping (proto field names, unset fields
// as null), with the message's full name, for the differential tests.
func ProtobufTestJSON(t *testing.T, s *connect.Schema, v any) (json, message string) {
	t.Helper()
	c := &protobufConverter{srBase: &srBase{}}
	w, err := c.writeSchema(s)
	if err != nil {
		t.Fatal(err)
	}
	msg := dynamicpb.NewMessage(w.md)
	if err := pbSetMessage(msg, s, v); err != nil {
		t.Fatal(err)
	}
	b, err := protojson.MarshalOptions{UseProtoNames: true, EmitUnpopulated: true}.Marshal(msg)
	if err != nil {
		t.Fatal(err)
	}
	return string(b), w.name
}

func TestProtobufNamedStructsDefinedOnce(t *testing.T) {
	value := connect.NewStructSchema("db.inv.Value", connect.Field{Name: "id", Schema: connect.Primitive(connect.Int32)})
	other := connect.NewStructSchema("x.Other", connect.Field{Name: "v", Schema: value.Optionally()})
	env := connect.NewStructSchema("db.inv.Envelope",
		connect.Field{Name: "before", Schema: value.Optionally()},
		connect.Field{Name: "after", Schema: value.Optionally()},
		connect.Field{Name: "src", Schema: other})
	text, _, _, err := pbSchemaText(env)
	if err != nil {
		t.Fatal(err)
	}
	want := `syntax = "proto3";
package db.inv;

message Envelope {
  Value before = 1;
  Value after = 2;
  Other src = 3;
  message Other {
    Value v = 1;
  }
}

message Value {
  int32 id = 1;
}
`
	if text != want {
		t.Fatalf(".proto\n got %s\nwant %s", text, want)
	}
	fd, err := compileProto(text, nil, nil, true)
	if err != nil {
		t.Fatal(err)
	}
	back, err := pbToConnect(fd.Messages().Get(0), 0)
	if err != nil {
		t.Fatal(err)
	}
	if n := back.Fields[0].Schema.Name; n != "db.inv.Value" {
		t.Errorf("a struct of the root's package reads back as %q, want db.inv.Value", n)
	}
}

// ProtobufTestFileJSON compiles .proto text (without imports) and prints
// its FileDescriptorProto in Protobuf's JSON mapping, for the Java side of
// the differential tests.
func ProtobufTestFileJSON(t *testing.T, text string) string {
	t.Helper()
	fd, err := compileProto(text, nil, nil, true)
	if err != nil {
		t.Fatal(err)
	}
	b, err := protojson.Marshal(protodesc.ToFileDescriptorProto(fd))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestProtobufRefusesValues(t *testing.T) {
	c, _ := newFakeRegistryConv(t, ProtobufConverterClass, nil, false)
	arr := connect.NewStructSchema("a.A", connect.Field{Name: "xs", Schema: &connect.Schema{Type: connect.Array, Items: connect.Primitive(connect.String).Optionally()}})
	m := connect.NewStructSchema("a.M", connect.Field{Name: "m", Schema: &connect.Schema{Type: connect.Map, Keys: connect.Primitive(connect.String), Values: connect.Primitive(connect.String).Optionally()}})
	req := connect.NewStructSchema("a.R", connect.Field{Name: "r", Schema: connect.Primitive(connect.Int32)})
	cases := []struct {
		name   string
		schema *connect.Schema
		value  any
		want   string
	}{
		{"null array element", arr, []any{[]any{"x", nil}}, "xs[1]"},
		{"null map value", m, []any{[]connect.MapEntry{{Key: "k", Value: nil}}}, "null map value"},
		{"null required field", req, []any{nil}, "null value for a required field"},
		{"out of range", req, []any{int64(1) << 40}, "out of range"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.FromConnect("t", tc.schema, &connect.StructValue{Schema: tc.schema, Values: tc.value.([]any)})
			if err == nil || !strings.Contains(err.Error(), tc.want) || errclass.IsRetryable(err) {
				t.Fatalf("got %v, want a permanent error containing %q", err, tc.want)
			}
		})
	}
	const noScale = `syntax = "proto3";
package a;
import "confluent/type/decimal.proto";
message D { confluent.type.Decimal v = 1; }`
	fd, err := compileProto(noScale, nil, nil, true)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pbToConnect(fd.Messages().Get(0), 0); err == nil || !strings.Contains(err.Error(), `"scale"`) {
		t.Fatalf("Decimal without scale: got %v", err)
	}
}

func TestProtobufUseLatestVersion(t *testing.T) {
	s := connect.NewStructSchema("a.B", connect.Field{Name: "id", Schema: connect.Primitive(connect.Int64)})
	v := &connect.StructValue{Schema: s, Values: []any{int64(1)}}
	text, _, _, err := pbSchemaText(s)
	if err != nil {
		t.Fatal(err)
	}
	props := map[string]string{"auto.register.schemas": "false", "use.latest.version": "true"}
	c, reg := newFakeRegistryConv(t, ProtobufConverterClass, props, false)
	id, _, err := reg.RegisterSchema("same-value", sr.Schema{Schema: text, Type: sr.TypeProtobuf})
	if err != nil {
		t.Fatal(err)
	}
	b, err := c.FromConnect("same", s, v)
	if err != nil || int(binary.BigEndian.Uint32(b[1:5])) != id {
		t.Fatalf("latest is this schema: %x, %v; want id %d", b, err, id)
	}
	other := strings.Replace(text, "int64 id = 1;", "string id = 1;", 1)
	if _, _, err := reg.RegisterSchema("other-value", sr.Schema{Schema: other, Type: sr.TypeProtobuf}); err != nil {
		t.Fatal(err)
	}
	_, err = c.FromConnect("other", s, v)
	if err == nil || errclass.IsRetryable(err) || !strings.Contains(err.Error(), "not this record's schema") {
		t.Fatalf("latest is another schema: got %v, want a permanent error", err)
	}
}
