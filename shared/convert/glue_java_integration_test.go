package convert

import (
	"strings"
	"testing"

	glueharness "github.com/serverless-kafka-connect/slkc/localstack/harness/glue"
)

// TestGlueJavaDifferential proves AWSKafkaAvroConverter against AWS's Glue
// Schema Registry serde (software.amazon.glue:schema-registry-serde, the
// serializer and deserializer its Kafka Connect converter wraps), both
// talking to the same local fake of the Glue API: records Java writes
// (with and without zlib) are read by us, written again by us, and read by
// Java as the record it wrote; the header is Glue's.
func TestGlueJavaDifferential(t *testing.T) {
	f := newFakeGlue(t)
	h := glueharness.Start(t, f.URL)
	conv := newGlueConv(t, f, map[string]string{"schemaAutoRegistrationEnabled": "true"})
	const schema = `{"type":"record","name":"Payment","namespace":"com.acme","fields":[
		{"name":"id","type":"long"},{"name":"name","type":"string"},{"name":"price","type":"double"},
		{"name":"ok","type":"boolean"},{"name":"n","type":"int"},
		{"name":"tags","type":{"type":"array","items":"string"}},
		{"name":"attrs","type":{"type":"map","values":"long"}},
		{"name":"inner","type":{"type":"record","name":"Inner","fields":[{"name":"a","type":"int"}]}},
		{"name":"note","type":["null","string"],"default":null}]}`
	records := map[string]string{
		"values": `{"id":9007199254740993,"name":"pen ✓","price":1.25,"ok":true,"n":-3,"tags":["a","b"],"attrs":{"x":1,"y":-2},"inner":{"a":7},"note":{"string":"n"}}`,
		"nulls":  `{"id":0,"name":"","price":0.0,"ok":false,"n":0,"tags":[],"attrs":{},"inner":{"a":0},"note":null}`,
	}
	for name, record := range records {
		for _, compression := range []string{"NONE", "ZLIB"} {
			t.Run(name+"/"+compression, func(t *testing.T) {
				topic := strings.ToLower("glue-" + name + "-" + compression)
				javaBytes := h.Write(t, topic, schema, record, compression)
				if javaBytes[0] != 3 || (compression == "ZLIB") != (javaBytes[1] == 5) {
					t.Fatalf("Java wrote header % x", javaBytes[:2])
				}
				javaRead := h.Read(t, topic, javaBytes)
				s, v, err := conv.ToConnect(topic, javaBytes)
				if err != nil {
					t.Fatalf("reading the Java-written record: %v", err)
				}
				if s.Name != "com.acme.Payment" {
					t.Errorf("Connect name %q", s.Name)
				}
				goConv := newGlueConv(t, f, map[string]string{"schemaAutoRegistrationEnabled": "true", "compression": compression})
				again, err := goConv.FromConnect(topic+"-go", s, v)
				if err != nil {
					t.Fatal(err)
				}
				if got := h.Read(t, topic+"-go", again); !jsonEqual(t, got, javaRead) {
					t.Errorf("Java reads our record differently\n Java-written: %s\n Go-written:   %s", javaRead, got)
				}
			})
		}
	}
}
