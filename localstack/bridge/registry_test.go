package bridge

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sr/srfake"

	"github.com/serverless-kafka-connect/slkc/events"
	"github.com/serverless-kafka-connect/slkc/shared/connect"
	"github.com/serverless-kafka-connect/slkc/shared/convert"
)

type noInvoker struct{}

func (noInvoker) Invoke(context.Context, string, []byte) (InvokeResult, error) {
	return InvokeResult{}, nil
}

// TestSchemaRegistryMode checks the records the bridge delivers in the
// schema registry mode against the shape AWS documents: metadata with the
// schema's dataFormat and its id as text, the value as a JSON object (JSON)
// or the produced bytes without the schema id (SOURCE), only for the
// attributes the mapping validates; fields that cannot be validated are
// delivered as produced without metadata.
func TestSchemaRegistryMode(t *testing.T) {
	reg := srfake.New()
	t.Cleanup(reg.Close)
	s := connect.NewStructSchema("shop.Item",
		connect.Field{Name: "id", Schema: connect.Primitive(connect.Int64)},
		connect.Field{Name: "price", Schema: connect.DecimalSchema(2, 10)},
		connect.Field{Name: "note", Schema: connect.Primitive(connect.String).Optionally()})
	v := &connect.StructValue{Schema: s, Values: []any{int64(7), connect.Decimal{Unscaled: big.NewInt(1999), Scale: 2}, nil}}
	framed := map[string][]byte{}
	for format, class := range map[string]string{"AVRO": convert.AvroConverterClass, "PROTOBUF": convert.ProtobufConverterClass, "JSON": convert.JSONSchemaConverterClass} {
		c, err := convert.New(class, map[string]string{"schema.registry.url": reg.URL()}, false)
		if err != nil {
			t.Fatal(err)
		}
		if framed[format], err = c.FromConnect("items-"+strings.ToLower(format), s, v); err != nil {
			t.Fatal(err)
		}
	}
	const wantJSON = `{"id":7,"price":19.99,"note":null}`
	cases := []struct {
		name       string
		cfg        SchemaRegistry
		key, value []byte
		wantKey    string // base64-decoded key, "" for absent
		wantValue  string
		keyMeta    *events.SchemaMetadata
		valueMeta  string // dataFormat, "" for no metadata
	}{
		{name: "JSON Avro", cfg: SchemaRegistry{EventRecordFormat: "JSON"}, value: framed["AVRO"], wantValue: wantJSON, valueMeta: "AVRO"},
		{name: "JSON Protobuf", cfg: SchemaRegistry{EventRecordFormat: "JSON"}, value: framed["PROTOBUF"], wantValue: wantJSON, valueMeta: "PROTOBUF"},
		{name: "JSON JSON Schema", cfg: SchemaRegistry{EventRecordFormat: "JSON"}, value: framed["JSON"], wantValue: wantJSON, valueMeta: "JSON"},
		{name: "SOURCE strips the schema id", cfg: SchemaRegistry{EventRecordFormat: "SOURCE"}, value: framed["AVRO"], wantValue: string(framed["AVRO"][5:]), valueMeta: "AVRO"},
		{name: "SOURCE Protobuf keeps its message indexes", cfg: SchemaRegistry{EventRecordFormat: "SOURCE"}, value: framed["PROTOBUF"], wantValue: string(framed["PROTOBUF"][5:]), valueMeta: "PROTOBUF"},
		{name: "key not validated by default", cfg: SchemaRegistry{EventRecordFormat: "JSON"}, key: framed["AVRO"], value: framed["AVRO"], wantKey: string(framed["AVRO"]), wantValue: wantJSON, valueMeta: "AVRO"},
		{name: "KEY only", cfg: SchemaRegistry{EventRecordFormat: "SOURCE", Attributes: []string{"KEY"}}, key: framed["JSON"], value: framed["AVRO"],
			wantKey: string(framed["JSON"][5:]), wantValue: string(framed["AVRO"]), keyMeta: &events.SchemaMetadata{DataFormat: "JSON"}},
		{name: "not framed is delivered as produced", cfg: SchemaRegistry{EventRecordFormat: "JSON"}, value: []byte(`{"id":1}`), wantValue: `{"id":1}`},
		{name: "unknown id is delivered as produced", cfg: SchemaRegistry{EventRecordFormat: "JSON"}, value: []byte{0, 0, 0, 3, 232, 2}, wantValue: "\x00\x00\x00\x03\xe8\x02"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.cfg.URI = reg.URL()
			b, err := New(Mapping{FunctionName: "f", Topics: []string{"t"}, Bootstrap: "127.0.0.1:1", SchemaRegistry: &tc.cfg}, noInvoker{}, nil)
			if err != nil {
				t.Fatal(err)
			}
			it := b.newItem(&kgo.Record{Topic: "t", Key: tc.key, Value: tc.value, Timestamp: time.UnixMilli(1)})
			var got events.KafkaRecord
			if err := json.Unmarshal(it.js, &got); err != nil {
				t.Fatal(err)
			}
			dec := func(p *string) string {
				if p == nil {
					return ""
				}
				b, err := base64.StdEncoding.DecodeString(*p)
				if err != nil {
					t.Fatal(err)
				}
				return string(b)
			}
			if k := dec(got.Key); k != tc.wantKey {
				t.Errorf("key %q, want %q", k, tc.wantKey)
			}
			if v := dec(got.Value); v != tc.wantValue {
				t.Errorf("value %q, want %q", v, tc.wantValue)
			}
			switch {
			case tc.valueMeta == "" && got.ValueSchemaMetadata != nil:
				t.Errorf("valueSchemaMetadata %+v, want none", got.ValueSchemaMetadata)
			case tc.valueMeta != "" && (got.ValueSchemaMetadata == nil || got.ValueSchemaMetadata.DataFormat != tc.valueMeta || got.ValueSchemaMetadata.SchemaID == ""):
				t.Errorf("valueSchemaMetadata %+v, want dataFormat %s and the id", got.ValueSchemaMetadata, tc.valueMeta)
			}
			if (tc.keyMeta == nil) != (got.KeySchemaMetadata == nil) || tc.keyMeta != nil && got.KeySchemaMetadata.DataFormat != tc.keyMeta.DataFormat {
				t.Errorf("keySchemaMetadata %+v, want %+v", got.KeySchemaMetadata, tc.keyMeta)
			}
			if tc.valueMeta != "" {
				if want := `"valueSchemaMetadata":{"dataFormat":"` + tc.valueMeta + `","schemaId":"`; !strings.Contains(string(it.js), want) {
					t.Errorf("record JSON %s lacks %s", it.js, want)
				}
			}
		})
	}
}

func TestSchemaRegistryModeRefusesBadConfig(t *testing.T) {
	for _, cfg := range []SchemaRegistry{{EventRecordFormat: "JSON"}, {URI: "http://x", EventRecordFormat: "AVRO"}, {URI: "http://x", EventRecordFormat: "SOURCE", Attributes: []string{"HEADERS"}}} {
		_, err := New(Mapping{FunctionName: "f", Topics: []string{"t"}, Bootstrap: "127.0.0.1:1", SchemaRegistry: &cfg}, noInvoker{}, nil)
		if err == nil || !strings.Contains(err.Error(), "SchemaRegistry") {
			t.Errorf("%+v: got %v, want an error naming SchemaRegistry", cfg, err)
		}
	}
}
