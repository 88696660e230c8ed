package convert_test

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/twmb/franz-go/pkg/sr"

	avroharness "github.com/serverless-kafka-connect/slkc/localstack/harness/avro"
	"github.com/serverless-kafka-connect/slkc/shared/connect"
	"github.com/serverless-kafka-connect/slkc/shared/convert"
	"github.com/serverless-kafka-connect/slkc/shared/testenv"
)

type diffCase struct {
	name   string
	schema *connect.Schema
	value  any
}

func diffCases() []diffCase {
	opt := func(s *connect.Schema) *connect.Schema { return s.Optionally() }
	orders, full := convert.AvroTestOrders()
	nulls := &connect.StructValue{Schema: orders, Values: append([]any(nil), full.Values...)}
	for i, f := range orders.Fields {
		if f.Schema.Optional {
			nulls.Values[i] = nil
		}
	}

	value := connect.NewStructSchema("dbserver1.inventory.customers.Value",
		connect.Field{Name: "id", Schema: connect.Primitive(connect.Int32)},
		connect.Field{Name: "email", Schema: opt(connect.Primitive(connect.String))})
	optValue := *value
	optValue.Optional = true
	envelope := connect.NewStructSchema("dbserver1.inventory.customers.Envelope",
		connect.Field{Name: "before", Schema: &optValue},
		connect.Field{Name: "after", Schema: &optValue},
		connect.Field{Name: "op", Schema: connect.Primitive(connect.String)},
		connect.Field{Name: "ts_ms", Schema: opt(connect.Primitive(connect.Int64))})
	after := &connect.StructValue{Schema: &optValue, Values: []any{int32(1001), "sally@example.com"}}
	change := &connect.StructValue{Schema: envelope, Values: []any{nil, after, "c", int64(1700000000000)}}
	return []diffCase{
		{"every type", orders, full},
		{"optional fields null", orders, nulls},
		{"Debezium envelope with a named struct used twice", envelope, change},
	}
}

// TestAvroJavaDifferential proves compatibility with Java in both
// directions on the real registry: what our AvroConverter writes, Java's
// Avro deserializer reads, and what Java's serializer writes, we read; the
// Connect data that comes out is equal on both sides (compared as
// JsonConverter prints it), the Avro binary bodies are byte-identical, and
// the Avro schema we register is the one Java's AvroData makes.
func TestAvroJavaDifferential(t *testing.T) {
	url := testenv.SchemaRegistry(t)
	h := avroharness.Start(t, url)
	client, err := sr.NewClient(sr.URLs(url))
	if err != nil {
		t.Fatal(err)
	}
	goConv := avroConv(t, url, nil)
	for _, tc := range diffCases() {
		t.Run(tc.name, func(t *testing.T) {
			original := jsonEnvelope(t, tc.schema, tc.value)
			goTopic := testenv.UniqueName(t, "go", 100)
			javaTopic := testenv.UniqueName(t, "java", 100)

			// Go writes, Java reads.
			goBytes, err := goConv.FromConnect(goTopic, tc.schema, tc.value)
			if err != nil {
				t.Fatal(err)
			}
			javaRead := h.Read(t, goTopic, goBytes)
			gs, gv, err := goConv.ToConnect(goTopic, goBytes)
			if err != nil {
				t.Fatal(err)
			}
			goRead := jsonEnvelope(t, gs, gv)
			if !sameJSON(t, goRead, javaRead) {
				t.Errorf("Go-written record read back differently\n Go:   %s\n Java: %s", goRead, javaRead)
			}

			// Java writes, Go reads.
			javaBytes, javaSchema := h.Write(t, javaTopic, original)
			if javaBytes[0] != 0 {
				t.Fatalf("Java wrote magic byte %d", javaBytes[0])
			}
			js, jv, err := goConv.ToConnect(javaTopic, javaBytes)
			if err != nil {
				t.Fatalf("reading the Java-written record: %v", err)
			}
			goReadJava := jsonEnvelope(t, js, jv)
			javaReadJava := h.Read(t, javaTopic, javaBytes)
			if !sameJSON(t, goReadJava, javaReadJava) {
				t.Errorf("Java-written record read differently\n Go:   %s\n Java: %s", goReadJava, javaReadJava)
			}
			if !sameJSON(t, goReadJava, goRead) {
				t.Errorf("Go reads the Java-written and the Go-written record differently\n Java-written: %s\n Go-written:   %s", goReadJava, goRead)
			}

			// Same Avro bytes and the same Avro schema.
			if !bytes.Equal(goBytes[5:], javaBytes[5:]) {
				t.Errorf("Avro bodies differ\n Go:   %x\n Java: %x", goBytes[5:], javaBytes[5:])
			}
			ours, err := client.SchemaByID(t.Context(), int(binary.BigEndian.Uint32(goBytes[1:5])))
			if err != nil {
				t.Fatal(err)
			}
			if !sameJSON(t, ours.Schema, javaSchema) {
				t.Errorf("Avro schemas differ\n Go:   %s\n Java: %s", ours.Schema, javaSchema)
			}
		})
	}
}

// sameJSON compares two JSON texts ignoring object key order.
var sameJSON = convert.AvroTestJSONEqual
