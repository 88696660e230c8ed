// Package formatsharness runs the Java side of the JSON Schema and
// Protobuf differential tests: FormatsHarness.java (next to this file),
// Apicurio's JSON Schema and Protobuf serdes on the classpath of
// localstack/maven/formats-harness-pom.xml. It is a test helper: every
// function takes a testing.TB and fails it on error.
package formatsharness

import (
	"encoding/base64"
	"testing"

	"github.com/serverless-kafka-connect/slkc/localstack/harness/jvm"
)

// Harness drives FormatsHarness.java, one JVM per test.
type Harness struct{ p *jvm.Process }

// Start compiles and starts the harness against the registry's Apicurio
// v3 API (registryURL is its /apis/ccompat/v7 URL).
func Start(t testing.TB, registryURL string) *Harness {
	t.Helper()
	return &Harness{jvm.Start(t, "formats-harness", "formats-harness-pom.xml", "localstack/harness/formats/FormatsHarness.java",
		"FormatsHarness", jvm.ApicurioV3(t, registryURL))}
}

// ProtobufRead reads Confluent's Protobuf wire format in Java: the id's
// schema resolved and parsed by Apicurio's schema resolver, the message
// index path read by Apicurio's MessageIndexesUtil and walked, the body
// parsed by protobuf-java. It returns the message in Protobuf's JSON
// mapping (proto field names, fields without presence printed even when
// default) and its full name.
func (h *Harness) ProtobufRead(t testing.TB, topic string, data []byte) (json, fullName string) {
	t.Helper()
	r := h.p.Call(t, map[string]any{"op": "pbread", "topic": topic, "data": base64.StdEncoding.EncodeToString(data)})
	return r["json"], r["message"]
}

// ProtobufWrite has Java parse json (Protobuf's JSON mapping) as message of
// file (a FileDescriptorProto in Protobuf's JSON mapping, without imports)
// and serialize it with Apicurio's serializer: the schema auto-registered
// under topic-value, Confluent's wire format with message indexes.
func (h *Harness) ProtobufWrite(t testing.TB, topic, file, message, json string) []byte {
	t.Helper()
	return jvm.Bytes(t, h.p.Call(t, map[string]any{"op": "pbwrite", "topic": topic, "file": file, "message": message, "json": json})["data"])
}

// JSONRead has Apicurio's JSON Schema deserializer (validation on) read
// wire bytes; it returns the JSON.
func (h *Harness) JSONRead(t testing.TB, topic string, data []byte) string {
	t.Helper()
	return h.p.Call(t, map[string]any{"op": "jsread", "topic": topic, "data": base64.StdEncoding.EncodeToString(data)})["json"]
}

// JSONWrite has Apicurio's JSON Schema serializer validate and write json
// with the latest schema of subject.
func (h *Harness) JSONWrite(t testing.TB, topic, subject, json string) []byte {
	t.Helper()
	return jvm.Bytes(t, h.p.Call(t, map[string]any{"op": "jswrite", "topic": topic, "subject": subject, "json": json})["data"])
}
