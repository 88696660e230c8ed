package convert_test

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/twmb/franz-go/pkg/sr"

	formatsharness "github.com/serverless-kafka-connect/slkc/localstack/harness/formats"
	"github.com/serverless-kafka-connect/slkc/shared/convert"
	"github.com/serverless-kafka-connect/slkc/shared/testenv"
)

// sameJSONNoNulls compares two JSON texts ignoring object key order and
// members whose value is null (Protobuf's JSON printers differ only in
// whether they print unset fields with presence).
func sameJSONNoNulls(t *testing.T, a, b string) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal([]byte(a), &x); err != nil {
		t.Fatalf("%v: %s", err, a)
	}
	if err := json.Unmarshal([]byte(b), &y); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	return reflect.DeepEqual(dropNulls(x), dropNulls(y))
}

func dropNulls(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if e == nil {
				delete(x, k)
			} else {
				x[k] = dropNulls(e)
			}
		}
	case []any:
		for i := range x {
			x[i] = dropNulls(x[i])
		}
	}
	return v
}

func registryConv(t *testing.T, class, url string) convert.Converter {
	t.Helper()
	c, err := convert.New(class, map[string]string{"schema.registry.url": url}, false)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestJSONSchemaJavaDifferential proves JsonSchemaConverter against
// Apicurio's JSON Schema serde on the real registry. Go writes, Java reads
// with validation on: our body is valid against the JSON Schema we
// registered and reads as the same JSON. Java writes (validated against an
// application's schema), Go reads it into Connect and writes it again, and
// Java reads back the JSON it wrote.
func TestJSONSchemaJavaDifferential(t *testing.T) {
	url := testenv.SchemaRegistry(t)
	h := formatsharness.Start(t, url)
	goConv := registryConv(t, convert.JSONSchemaConverterClass, url)
	for _, tc := range diffCases() {
		t.Run(tc.name, func(t *testing.T) {
			topic := testenv.UniqueName(t, "js", 100)
			b, err := goConv.FromConnect(topic, tc.schema, tc.value)
			if err != nil {
				t.Fatal(err)
			}
			javaJSON := h.JSONRead(t, topic, b)
			if !sameJSON(t, javaJSON, string(b[5:])) {
				t.Errorf("Java read different JSON\n Java: %s\n Go:   %s", javaJSON, b[5:])
			}
		})
	}

	const appSchema = `{"$schema":"http://json-schema.org/draft-07/schema#","title":"Person","type":"object",` +
		`"properties":{"name":{"type":"string"},"age":{"type":"integer"},"score":{"type":"number"},` +
		`"email":{"type":["null","string"]},"tags":{"type":"array","items":{"type":"string"}},` +
		`"address":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]},` +
		`"labels":{"type":"object","additionalProperties":{"type":"boolean"}}},"required":["name","age"]}`
	client, err := sr.NewClient(sr.URLs(url))
	if err != nil {
		t.Fatal(err)
	}
	javaTopic := testenv.UniqueName(t, "jsjava", 100)
	goTopic := testenv.UniqueName(t, "jsgo", 100)
	if _, err := client.CreateSchema(context.Background(), javaTopic+"-value", sr.Schema{Schema: appSchema, Type: sr.TypeJSON}); err != nil {
		t.Fatal(err)
	}
	record := `{"name":"Ann","age":9007199254740993,"score":2.5,"email":null,"tags":["x","y"],"address":{"city":"Oslo"},"labels":{"b":true,"a":false}}`
	javaBytes := h.JSONWrite(t, javaTopic, javaTopic+"-value", record)
	if javaBytes[0] != 0 {
		t.Fatalf("Java wrote magic byte %d", javaBytes[0])
	}
	s, v, err := registryConv(t, convert.JSONSchemaConverterClass, url).ToConnect(javaTopic, javaBytes)
	if err != nil {
		t.Fatalf("reading the Java-written record: %v", err)
	}
	if s.Name != "Person" {
		t.Errorf("Connect name %q, want the title", s.Name)
	}
	again, err := goConv.FromConnect(goTopic, s, v)
	if err != nil {
		t.Fatalf("writing it again: %v", err)
	}
	if got := h.JSONRead(t, goTopic, again); !sameJSON(t, got, record) {
		t.Errorf("Java-written record, read and written again by Go, reads differently in Java\n Java wrote: %s\n Go wrote:   %s", record, got)
	}
}
