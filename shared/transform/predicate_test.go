package transform

import (
	"strings"
	"testing"

	connconfig "github.com/serverless-kafka-connect/slkc/shared/config"
	"github.com/serverless-kafka-connect/slkc/shared/connect"
)

// TestNewChainRefusals: every config problem is refused at cold start with
// the full key (transforms.<alias>.<key> or predicates.<alias>.<key>).
func TestNewChainRefusals(t *testing.T) {
	const k = "org.apache.kafka.connect.transforms."
	const p = "org.apache.kafka.connect.transforms.predicates."
	cases := []struct {
		name string
		spec connconfig.Transforms
		want []string
	}{
		{"unknown transform class", single("x", map[string]string{"type": k + "Mask"}), []string{"transforms.x.type", k + "Mask", "unknown type", k + "MaskField$Value"}},
		{"missing spec", single("c", map[string]string{"type": k + "Cast$Value"}), []string{"transforms.c.spec", "missing"}},
		{"bad cast type", single("c", map[string]string{"type": k + "Cast$Value", "spec": "a:decimal"}), []string{"transforms.c.spec", "a:decimal", "int8"}},
		{"missing field", single("e", map[string]string{"type": k + "ExtractField$Key"}), []string{"transforms.e.field", "missing"}},
		{"missing fields", single("m", map[string]string{"type": k + "MaskField$Value"}), []string{"transforms.m.fields", "missing"}},
		{"empty replacement", single("m", map[string]string{"type": k + "MaskField$Value", "fields": "a", "replacement": ""}), []string{"transforms.m.replacement", "must not be empty"}},
		{"missing operation", single("h", map[string]string{"type": k + "HeaderFrom$Value", "fields": "a", "headers": "b"}), []string{"transforms.h.operation", "move, copy"}},
		{"headers per field", single("h", map[string]string{"type": k + "HeaderFrom$Value", "fields": "a,b", "headers": "x", "operation": "copy"}), []string{"transforms.h.headers", "one header per field"}},
		{"nothing to insert", single("i", map[string]string{"type": k + "InsertField$Value"}), []string{"transforms.i.topic.field", "at least one"}},
		{"static without value", single("i", map[string]string{"type": k + "InsertField$Value", "static.field": "s"}), []string{"transforms.i.static.value", "missing"}},
		{"literal array", single("i", map[string]string{"type": k + "InsertHeader", "header": "h", "value.literal": "[1]"}), []string{"transforms.i.value.literal", "not supported"}},
		{"literal map", single("i", map[string]string{"type": k + "InsertHeader", "header": "h", "value.literal": "{a:1}"}), []string{"transforms.i.value.literal", "not supported"}},
		{"no schema name or version", single("s", map[string]string{"type": k + "SetSchemaMetadata$Value"}), []string{"transforms.s.schema.name", "missing"}},
		{"bad version", single("s", map[string]string{"type": k + "SetSchemaMetadata$Value", "schema.version": "v1"}), []string{"transforms.s.schema.version", "integer"}},
		{"string target without format", single("t", map[string]string{"type": k + "TimestampConverter$Value", "target.type": "string"}), []string{"transforms.t.format", "missing"}},
		{"bad target", single("t", map[string]string{"type": k + "TimestampConverter$Value", "target.type": "epoch"}), []string{"transforms.t.target.type", "unix"}},
		{"bad precision", single("t", map[string]string{"type": k + "TimestampConverter$Value", "target.type": "unix", "unix.precision": "days"}), []string{"transforms.t.unix.precision", "seconds"}},
		{"unsupported pattern letter", single("r", map[string]string{"type": k + "TimestampRouter", "timestamp.format": "yyyy-ww"}), []string{"transforms.r.timestamp.format", "'w'"}},
		{"field syntax V2", single("e", map[string]string{"type": k + "ExtractField$Value", "field": "a.b", "field.syntax.version": "V2"}), []string{"transforms.e.field.syntax.version", "V1"}},
		{"missing headers", single("d", map[string]string{"type": k + "DropHeaders"}), []string{"transforms.d.headers", "missing"}},
		{"undefined predicate", single("f", map[string]string{"type": k + "Filter", "predicate": "nope"}), []string{"transforms.f.predicate", "nope", "no such predicate"}},
		{"negate without predicate", single("f", map[string]string{"type": k + "Filter", "negate": "true"}), []string{"transforms.f.negate", "only used with predicate"}},
		{"bad negate", withPred(single("f", map[string]string{"type": k + "Filter", "predicate": "p", "negate": "yes"}), "p", map[string]string{"type": p + "RecordIsTombstone"}), []string{"transforms.f.negate", "true, false"}},
		{"unknown predicate class", withPred(single("f", map[string]string{"type": k + "Filter"}), "p", map[string]string{"type": p + "IsBig"}), []string{"predicates.p.type", "unknown type", p + "HasHeaderKey"}},
		{"predicate missing pattern", withPred(single("f", map[string]string{"type": k + "Filter"}), "p", map[string]string{"type": p + "TopicNameMatches"}), []string{"predicates.p.pattern", "missing"}},
		{"predicate bad pattern", withPred(single("f", map[string]string{"type": k + "Filter"}), "p", map[string]string{"type": p + "TopicNameMatches", "pattern": "("}), []string{"predicates.p.pattern", "invalid"}},
		{"predicate missing name", withPred(single("f", map[string]string{"type": k + "Filter"}), "p", map[string]string{"type": p + "HasHeaderKey"}), []string{"predicates.p.name", "missing"}},
		{"predicate unknown key", withPred(single("f", map[string]string{"type": k + "Filter"}), "p", map[string]string{"type": p + "RecordIsTombstone", "pattern": "x"}), []string{"predicates.p.pattern", "unknown key"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewChain(tc.spec)
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Fatalf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func single(alias string, props map[string]string) connconfig.Transforms {
	return connconfig.Transforms{Aliases: []string{alias}, Props: map[string]map[string]string{alias: props}}
}

func withPred(s connconfig.Transforms, alias string, props map[string]string) connconfig.Transforms {
	s.Predicates = append(s.Predicates, alias)
	if s.PredicateProps == nil {
		s.PredicateProps = map[string]map[string]string{}
	}
	s.PredicateProps[alias] = props
	return s
}

// TestPredicateGatesTransform: a transform applies only where its predicate
// matches (or does not, with negate=true); the others in the chain still run.
func TestPredicateGatesTransform(t *testing.T) {
	const k = "org.apache.kafka.connect.transforms."
	spec := connconfig.Transforms{
		Aliases: []string{"drop", "route"},
		Props: map[string]map[string]string{
			"drop":  {"type": k + "Filter", "predicate": "isOrders", "negate": "true"},
			"route": {"type": RegexRouterType, "regex": "(.*)", "replacement": "copy.$1"},
		},
		Predicates:     []string{"isOrders"},
		PredicateProps: map[string]map[string]string{"isOrders": {"type": "org.apache.kafka.connect.transforms.predicates.TopicNameMatches", "pattern": "orders"}},
	}
	c, err := NewChain(spec)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		topic string
		keep  bool
		want  string
	}{{"orders", true, "copy.orders"}, {"orders2", false, ""}, {"users", false, ""}} {
		out, keep, err := c.Apply(connect.Record{Topic: tc.topic, Value: "v"})
		if err != nil || keep != tc.keep || (keep && out.Topic != tc.want) {
			t.Errorf("%s: keep=%v topic=%q err=%v, want keep=%v topic=%q", tc.topic, keep, out.Topic, err, tc.keep, tc.want)
		}
	}
}

// TestInsertFieldOnSourceRecords: a source connector refuses offset.field
// at cold start; on a record without partition or offset (a source record,
// -1) the partition field is null and offset.field is an error, as
// Kafka's InsertField on a SourceRecord.
func TestInsertFieldOnSourceRecords(t *testing.T) {
	const typ = "org.apache.kafka.connect.transforms.InsertField$Value"
	spec := single("i", map[string]string{"type": typ, "offset.field": "off"})
	spec.Kind = connconfig.Source
	if _, err := NewChain(spec); err == nil || !strings.Contains(err.Error(), "transforms.i.offset.field") {
		t.Fatalf("source with offset.field: %v", err)
	}
	rec := connect.Record{Topic: "t", Partition: -1, Offset: -1, Value: map[string]any{"a": "b"}}
	c, err := NewChain(single("i", map[string]string{"type": typ, "partition.field": "p", "topic.field": "t"}))
	if err != nil {
		t.Fatal(err)
	}
	out, _, err := c.Apply(rec)
	if m := out.Value.(map[string]any); err != nil || m["p"] != nil || m["t"] != "t" {
		t.Fatalf("partition of a source record = %v, %v", out.Value, err)
	}
	c, _ = NewChain(single("i", map[string]string{"type": typ, "offset.field": "off"}))
	if _, _, err := c.Apply(rec); err == nil || !strings.Contains(err.Error(), `offset.field "off"`) {
		t.Fatalf("offset of a source record: %v", err)
	}
}

// TestHeaderTextOfSchemalessMap: HeaderFrom writes a schemaless map's keys
// sorted (Kafka writes them in HashMap order, which the differential test
// cannot pin down), nested values embedded and quoted.
func TestHeaderTextOfSchemalessMap(t *testing.T) {
	b, err := headerText(nil, map[string]any{"zeta": "z", "alpha": map[string]any{"b": nil, "a": []any{true, "x\"y"}}})
	if err != nil || string(b) != `{"alpha":{"a":[true,"x\"y"],"b":null},"zeta":"z"}` {
		t.Fatalf("header text = %s, %v", b, err)
	}
}
