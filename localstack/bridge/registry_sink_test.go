package bridge

import (
	"context"
	"encoding/json"
	"math/big"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sr/srfake"

	"github.com/serverless-kafka-connect/slkc/connectors"
	"github.com/serverless-kafka-connect/slkc/events"
	"github.com/serverless-kafka-connect/slkc/shared/connect"
	"github.com/serverless-kafka-connect/slkc/shared/convert"
	"github.com/serverless-kafka-connect/slkc/shared/sinktask"
)

type captureDest struct {
	connectors.Destination
	got []connect.Record
}

func (d *captureDest) Write(_ context.Context, recs []connect.Record) error {
	d.got = append(d.got, recs...)
	return nil
}

// TestSchemaRegistryModeFeedsTheSink: what the bridge delivers in the
// schema registry mode is what the sink task reads. SOURCE records reach
// the registry converter of their format as the Connect data produced;
// JSON records reach the sink as the schemaless JSON of that data.
func TestSchemaRegistryModeFeedsTheSink(t *testing.T) {
	reg := srfake.New()
	t.Cleanup(reg.Close)
	s := connect.NewStructSchema("shop.Item",
		connect.Field{Name: "id", Schema: connect.Primitive(connect.Int64)},
		connect.Field{Name: "price", Schema: connect.DecimalSchema(2, 10)})
	v := &connect.StructValue{Schema: s, Values: []any{int64(7), connect.Decimal{Unscaled: big.NewInt(1999), Scale: 2}}}
	for _, class := range []string{convert.AvroConverterClass, convert.JSONSchemaConverterClass, convert.ProtobufConverterClass} {
		for _, format := range []string{events.EventRecordFormatSource, events.EventRecordFormatJSON} {
			t.Run(class[strings.LastIndex(class, ".")+1:]+"/"+format, func(t *testing.T) {
				conv, err := convert.New(class, map[string]string{"schema.registry.url": reg.URL()}, false)
				if err != nil {
					t.Fatal(err)
				}
				produced, err := conv.FromConnect("t", s, v)
				if err != nil {
					t.Fatal(err)
				}
				b, err := New(Mapping{FunctionName: "f", Topics: []string{"t"}, Bootstrap: "127.0.0.1:1",
					SchemaRegistry: &SchemaRegistry{URI: reg.URL(), EventRecordFormat: format}}, noInvoker{}, nil)
				if err != nil {
					t.Fatal(err)
				}
				it := b.newItem(&kgo.Record{Topic: "t", Value: produced, Timestamp: time.UnixMilli(1)})
				var kr events.KafkaRecord
				if err := json.Unmarshal(it.js, &kr); err != nil {
					t.Fatal(err)
				}
				ev := events.KafkaEvent{EventSource: SourceSelfManaged, Records: map[string][]events.KafkaRecord{"t-0": {kr}}}
				dest := &captureDest{}
				task := &sinktask.Task{Name: "s", Destination: dest, KeyConverter: conv, ValueConverter: conv,
					ValueConverterClass: class, EventRecordFormat: format}
				if _, err := task.Handle(context.Background(), ev); err != nil {
					t.Fatal(err)
				}
				if len(dest.got) != 1 {
					t.Fatalf("sink got %d records", len(dest.got))
				}
				wantSchema, want, err := conv.ToConnect("t", produced)
				if err != nil {
					t.Fatal(err)
				}
				got := dest.got[0]
				if format == events.EventRecordFormatJSON {
					js, _ := json.Marshal(got.Value)
					if string(js) != `{"id":7,"price":19.99}` {
						t.Fatalf("JSON record reached the sink as %s", js)
					}
					return
				}
				if !reflect.DeepEqual(got.Value, want) || !reflect.DeepEqual(got.ValueSchema, wantSchema) {
					t.Fatalf("SOURCE record reached the sink as %#v, want %#v", got.Value, want)
				}
			})
		}
	}
}
