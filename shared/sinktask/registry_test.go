package sinktask

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/sr/srfake"

	"github.com/serverless-kafka-connect/slkc/events"
	"github.com/serverless-kafka-connect/slkc/shared/connect"
	"github.com/serverless-kafka-connect/slkc/shared/convert"
	"github.com/serverless-kafka-connect/slkc/shared/dlq"
)

// TestHandleSchemaRegistryJSON reads the events package's schema registry
// fixture (EventRecordFormat JSON) with converters that would give strings:
// the validated key and value must come out as schemaless JSON instead.
func TestHandleSchemaRegistryJSON(t *testing.T) {
	dest := &fakeDest{}
	task := &Task{Name: "s", Destination: dest, KeyConverter: stringConv{}, ValueConverter: stringConv{},
		KeyConverterClass: convert.AvroConverterClass, ValueConverterClass: convert.AvroConverterClass,
		EventRecordFormat: events.EventRecordFormatJSON}
	if _, err := task.Handle(context.Background(), loadEvent(t, "schema-registry.json")); err != nil {
		t.Fatal(err)
	}
	got := dest.calls[0][0]
	if got.KeySchema != nil || got.ValueSchema != nil {
		t.Fatalf("schemas %v %v, want schemaless", got.KeySchema, got.ValueSchema)
	}
	if want := schemaless(t, `{"id":42}`); !reflect.DeepEqual(got.Key, want) {
		t.Errorf("key = %#v, want %#v", got.Key, want)
	}
	if want := schemaless(t, `{"name":"John Doe","age":30}`); !reflect.DeepEqual(got.Value, want) {
		t.Errorf("value = %#v, want %#v", got.Value, want)
	}
	if _, isMap := got.Value.(map[string]any); !isMap {
		t.Errorf("value %T, want a map", got.Value)
	}
}

// schemaless is what JsonConverter with schemas.enable=false reads from js.
func schemaless(t *testing.T, js string) any {
	t.Helper()
	c, err := convert.New(convert.JSONConverterClass, map[string]string{"schemas.enable": "false"}, false)
	if err != nil {
		t.Fatal(err)
	}
	_, v, err := c.ToConnect("t", []byte(js))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestHandleSchemaRegistryFormats checks how a record's schema metadata
// meets the task's EventRecordFormat and converter classes: accepted
// records reach the destination through the expected converter, refused
// ones fail alone at KEY_CONVERTER/VALUE_CONVERTER with an error naming
// the mismatch, dead-lettered with errors.tolerance=all and stopping the
// partition with none.
func TestHandleSchemaRegistryFormats(t *testing.T) {
	avro := func(id string) *events.SchemaMetadata {
		return &events.SchemaMetadata{DataFormat: "AVRO", SchemaID: id}
	}
	proto := &events.SchemaMetadata{DataFormat: "PROTOBUF", SchemaID: "9"}
	tests := []struct {
		name       string
		format     string
		valueClass string
		keyMeta    *events.SchemaMetadata
		valueMeta  *events.SchemaMetadata
		wantValue  any    // value written for the middle record (offset 2); "schemaless" means JsonConverter's reading of it
		wantErr    string // else: the refusal of offset 2
		wantStage  string
	}{
		{name: "no metadata uses converter even with JSON", format: events.EventRecordFormatJSON, valueClass: convert.AvroConverterClass, wantValue: `{"a":1}`},
		{name: "JSON reads schemaless", format: events.EventRecordFormatJSON, valueClass: convert.AvroConverterClass, valueMeta: avro("1"), wantValue: "schemaless"},
		// The converter gets Confluent's header again: magic byte, id 258.
		{name: "SOURCE avro through AvroConverter, reframed", format: events.EventRecordFormatSource, valueClass: convert.AvroConverterClass, valueMeta: avro("258"), wantValue: "\x00\x00\x00\x01\x02" + `{"a":1}`},
		{name: "SOURCE avro with a non-Confluent schema id", format: events.EventRecordFormatSource, valueClass: convert.AvroConverterClass, valueMeta: avro("7e3c1a2b-0000-4000-8000-000000000000"),
			wantErr: `valueSchemaMetadata schema id "7e3c1a2b-0000-4000-8000-000000000000" is not a Confluent registry's numeric id`, wantStage: dlq.StageValueConverter},
		{name: "SOURCE any through ByteArrayConverter", format: events.EventRecordFormatSource, valueClass: convert.ByteArrayConverterClass, valueMeta: proto, wantValue: `{"a":1}`},
		{name: "SOURCE protobuf into AvroConverter", format: events.EventRecordFormatSource, valueClass: convert.AvroConverterClass, valueMeta: proto,
			wantErr: `valueSchemaMetadata says dataFormat "PROTOBUF" (schema id "9") but value.converter io.confluent.connect.avro.AvroConverter reads AVRO`, wantStage: dlq.StageValueConverter},
		{name: "SOURCE avro into JsonConverter", format: events.EventRecordFormatSource, valueClass: convert.JSONConverterClass, valueMeta: avro("1"),
			wantErr: "value.converter org.apache.kafka.connect.json.JsonConverter does not read schema registry data", wantStage: dlq.StageValueConverter},
		{name: "metadata without format", valueClass: convert.AvroConverterClass, valueMeta: avro("7"),
			wantErr: `valueSchemaMetadata says dataFormat "AVRO" (schema id "7"): the event source mapping has a schema registry, but aws.lambda.event.record.format is not set`, wantStage: dlq.StageValueConverter},
		{name: "key metadata without format", valueClass: convert.AvroConverterClass, keyMeta: avro("3"),
			wantErr: `keySchemaMetadata says dataFormat "AVRO" (schema id "3")`, wantStage: dlq.StageKeyConverter},
	}
	for _, tt := range tests {
		for _, tolerance := range []string{ToleranceAll, ToleranceNone} {
			t.Run(tt.name+"/"+tolerance, func(t *testing.T) {
				mid := rec("t", 0, 2, `{"a":1}`)
				mid.KeySchemaMetadata, mid.ValueSchemaMetadata = tt.keyMeta, tt.valueMeta
				dest := &fakeDest{}
				q := &fakeDLQ{}
				task := &Task{Name: "s", Destination: dest, KeyConverter: stringConv{}, ValueConverter: stringConv{},
					KeyConverterClass: convert.StringConverterClass, ValueConverterClass: tt.valueClass,
					EventRecordFormat: tt.format, Tolerance: tolerance, DLQ: q,
					// Without partial responses a stop fails the invocation
					// with its error, which the none case checks.
					ReportBatchItemFailures: tolerance == ToleranceAll || tt.wantErr == ""}
				resp, err := task.Handle(context.Background(), event(rec("t", 0, 1, "a"), mid, rec("t", 0, 3, "c")))
				if err != nil && (tolerance == ToleranceAll || tt.wantErr == "") {
					t.Fatal(err)
				}
				written := dest.calls[0]
				if tt.wantValue == "schemaless" {
					tt.wantValue = schemaless(t, `{"a":1}`)
				}
				if tt.wantErr == "" {
					if len(written) != 3 || !reflect.DeepEqual(written[1].Value, tt.wantValue) || len(resp.BatchItemFailures) != 0 {
						t.Fatalf("written %+v, failures %+v; want middle value %#v", written, resp.BatchItemFailures, tt.wantValue)
					}
					return
				}
				var refusal error
				if tolerance == ToleranceAll {
					if len(q.got) != 1 || q.got[0].Original.Offset != 2 || q.got[0].Stage != tt.wantStage || len(written) != 2 || len(resp.BatchItemFailures) != 0 {
						t.Fatalf("dlq %+v written %d failures %+v", q.got, len(written), resp.BatchItemFailures)
					}
					refusal = q.got[0].Err
				} else {
					if err == nil || len(q.got) != 0 || len(written) != 1 {
						t.Fatalf("err %v dlq %+v written %d", err, q.got, len(written))
					}
					refusal = err
				}
				if !strings.Contains(refusal.Error(), tt.wantErr) || !strings.Contains(refusal.Error(), "t/0@2") {
					t.Fatalf("error %q, want it to contain %q and the record position", refusal, tt.wantErr)
				}
			})
		}
	}
}

func TestValidateEventRecordFormat(t *testing.T) {
	task := &Task{Name: "s", Destination: &fakeDest{}, KeyConverter: stringConv{}, ValueConverter: stringConv{}, EventRecordFormat: "AVRO"}
	err := task.Validate()
	if err == nil || !strings.Contains(err.Error(), `aws.lambda.event.record.format "AVRO" is not one of JSON, SOURCE`) {
		t.Fatalf("Validate = %v", err)
	}
}

// TestHandleSchemaRegistrySourceAvro feeds the real AvroConverter (on
// franz-go's srfake registry) a record as a SOURCE mapping delivers it: the
// Avro body without Confluent's header, the id in valueSchemaMetadata. The
// value written must equal the converter's reading of the record as
// produced.
func TestHandleSchemaRegistrySourceAvro(t *testing.T) {
	reg := srfake.New()
	t.Cleanup(reg.Close)
	avroConv, err := convert.New(convert.AvroConverterClass, map[string]string{"schema.registry.url": reg.URL()}, false)
	if err != nil {
		t.Fatal(err)
	}
	s := connect.NewStructSchema("shop.Order", connect.Field{Name: "id", Schema: connect.Primitive(connect.Int64)},
		connect.Field{Name: "item", Schema: connect.Primitive(connect.String)})
	v := connect.NewStruct(s)
	if err := errors.Join(v.Put("id", int64(7)), v.Put("item", "tea")); err != nil {
		t.Fatal(err)
	}
	produced, err := avroConv.FromConnect("t", s, v)
	if err != nil {
		t.Fatal(err)
	}
	wantSchema, want, err := avroConv.ToConnect("t", produced)
	if err != nil {
		t.Fatal(err)
	}
	// AWS's docs say SOURCE "removes all schema metadata, such as the
	// schema ID": read as the header stripped, but bytes that still carry
	// this record's header must read the same.
	for name, bytes := range map[string][]byte{"header stripped": produced[5:], "header kept": produced} {
		t.Run(name, func(t *testing.T) {
			r := rec("t", 0, 1, "x")
			body := base64.StdEncoding.EncodeToString(bytes)
			r.Value = &body
			r.ValueSchemaMetadata = &events.SchemaMetadata{DataFormat: "AVRO", SchemaID: strconv.FormatUint(uint64(binary.BigEndian.Uint32(produced[1:5])), 10)}
			dest := &fakeDest{}
			task := &Task{Name: "s", Destination: dest, KeyConverter: stringConv{}, ValueConverter: avroConv,
				ValueConverterClass: convert.AvroConverterClass, EventRecordFormat: events.EventRecordFormatSource}
			if _, err := task.Handle(context.Background(), event(r)); err != nil {
				t.Fatal(err)
			}
			got := dest.calls[0][0]
			if !reflect.DeepEqual(got.Value, want) || !reflect.DeepEqual(got.ValueSchema, wantSchema) {
				t.Fatalf("value %#v (schema %v), want %#v (schema %v)", got.Value, got.ValueSchema, want, wantSchema)
			}
		})
	}
}
