// Package avroharness runs the Java side of the Avro differential tests:
// AvroHarness.java (next to this file) compiled at test time against the
// classpath of localstack/maven/avro-harness-pom.xml, driven over
// stdin/stdout. It is a test helper: every function takes a testing.TB and
// fails it on error.
package avroharness

import (
	"encoding/base64"
	"strconv"
	"testing"

	"github.com/serverless-kafka-connect/slkc/localstack/harness/jvm"
)

// Harness drives AvroHarness.java: Apicurio's Avro serde (Confluent wire
// format), AvroData (the Connect mapping) and a Kafka producer in one JVM,
// started once per test.
type Harness struct{ p *jvm.Process }

// Start resolves the harness's classpath (localstack/maven/
// avro-harness-pom.xml), compiles it with javac and starts it against the
// registry's Apicurio v3 API.
func Start(t testing.TB, registryURL string) *Harness {
	t.Helper()
	return &Harness{jvm.Start(t, "avro-harness", "avro-harness-pom.xml", "localstack/harness/avro/AvroHarness.java",
		"AvroHarness", jvm.ApicurioV3(t, registryURL))}
}

// Write has Java convert a JsonConverter envelope to Avro with AvroData and
// serialize it; it returns the wire bytes and the Avro schema AvroData made.
func (h *Harness) Write(t testing.TB, topic, envelope string) ([]byte, string) {
	t.Helper()
	resp := h.p.Call(t, map[string]any{"op": "write", "topic": topic, "envelope": envelope})
	return jvm.Bytes(t, resp["data"]), resp["avroSchema"]
}

// Read has Java deserialize wire bytes and map them to Connect; it returns
// the Connect data as Kafka's JsonConverter prints it.
func (h *Harness) Read(t testing.TB, topic string, data []byte) string {
	t.Helper()
	return h.p.Call(t, map[string]any{"op": "read", "topic": topic, "data": base64.StdEncoding.EncodeToString(data)})["envelope"]
}

// Produce sends records with a plain Java KafkaProducer and Apicurio's
// Avro serializer (Confluent wire format, no key): each record is Avro's
// JSON encoding of a record of schema (an Avro schema without any
// connect.* property, as an application would write it).
func (h *Harness) Produce(t testing.TB, bootstrap, topic, schema string, records ...string) {
	t.Helper()
	req := map[string]any{"op": "produce", "topic": topic, "bootstrap": bootstrap, "schema": schema, "records": records}
	resp := h.p.Call(t, req)
	if resp["produced"] != strconv.Itoa(len(records)) {
		t.Fatalf("AvroHarness produced %s records, want %d", resp["produced"], len(records))
	}
}
