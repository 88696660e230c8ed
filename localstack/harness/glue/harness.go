// Package glueharness runs the Java side of the AWS Glue Schema Registry
// differential test: GlueHarness.java (next to this file), AWS's Glue
// Schema Registry serde on the classpath of
// localstack/maven/glue-harness-pom.xml. It is a test helper: every
// function takes a testing.TB and fails it on error.
package glueharness

import (
	"encoding/base64"
	"testing"

	"github.com/serverless-kafka-connect/slkc/localstack/harness/jvm"
)

// Harness drives GlueHarness.java, one JVM per test.
type Harness struct{ p *jvm.Process }

// Start compiles and starts the harness against the Glue API at endpoint
// (the AWS credentials and region come from the environment).
func Start(t testing.TB, endpoint string) *Harness {
	t.Helper()
	return &Harness{jvm.Start(t, "glue-harness", "glue-harness-pom.xml", "localstack/harness/glue/GlueHarness.java", "GlueHarness", endpoint)}
}

// Write has AWS's Glue serializer write record (Avro's JSON encoding of a
// record of the Avro schema) for topic with compression NONE or ZLIB; the
// schema is auto-registered under the schema name topic.
func (h *Harness) Write(t testing.TB, topic, schema, record, compression string) []byte {
	t.Helper()
	return jvm.Bytes(t, h.p.Call(t, map[string]any{"op": "write", "topic": topic, "schema": schema, "record": record, "compression": compression})["data"])
}

// Read has AWS's Glue deserializer read wire bytes; it returns the record
// as Avro's GenericData prints it (JSON).
func (h *Harness) Read(t testing.TB, topic string, data []byte) string {
	t.Helper()
	return h.p.Call(t, map[string]any{"op": "read", "topic": topic, "data": base64.StdEncoding.EncodeToString(data)})["record"]
}
