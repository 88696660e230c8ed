package transform

import (
	"testing"

	"github.com/serverless-kafka-connect/slkc/shared/connect"
	"github.com/serverless-kafka-connect/slkc/shared/convert"
)

// BenchmarkChains runs common chains on one row of the differential
// corpus (a 19-column order, decoded once): the JDBC quickstart's
// ValueToKey+ExtractField$Key, the privacy pair ReplaceField+MaskField,
// Cast+TimestampConverter, Flatten, and a Filter gated by a predicate.
func BenchmarkChains(b *testing.B) {
	schemaRecs, _ := corpus()
	js, _ := convert.New(convert.JSONConverterClass, nil, false)
	vs, v, err := js.ToConnect("orders", schemaRecs[0].Value)
	if err != nil {
		b.Fatal(err)
	}
	rec := connect.Record{Topic: "orders", ValueSchema: vs, Value: v}
	chains := map[string]map[string]string{
		"ValueToKey+ExtractField": {"transforms": "k,x", "transforms.k.type": tt + "ValueToKey", "transforms.k.fields": "id",
			"transforms.x.type": tt + "ExtractField$Key", "transforms.x.field": "id"},
		"ReplaceField+MaskField": {"transforms": "r,m", "transforms.r.type": tt + "ReplaceField$Value", "transforms.r.exclude": "blob,note",
			"transforms.m.type": tt + "MaskField$Value", "transforms.m.fields": "name,email", "transforms.m.replacement": "x"},
		"Cast+TimestampConverter": {"transforms": "c,t", "transforms.c.type": tt + "Cast$Value", "transforms.c.spec": "id:int64,score:string",
			"transforms.t.type": tt + "TimestampConverter$Value", "transforms.t.field": "created", "transforms.t.target.type": "unix"},
		"Flatten": {"transforms": "f", "transforms.f.type": tt + "Flatten$Value", "transforms.f.delimiter": "_"},
		"Filter+TopicNameMatches": {"transforms": "f", "transforms.f.type": tt + "Filter", "transforms.f.predicate": "p",
			"predicates": "p", "predicates.p.type": pre + "TopicNameMatches", "predicates.p.pattern": "audit.*"},
	}
	for _, name := range sortedKeys(chains) {
		c, err := runGoChain(chains[name])
		if err != nil {
			b.Fatal(err)
		}
		if name == "Flatten" {
			// Kafka's Flatten refuses map fields of schema'd records.
			c, _ = runGoChain(map[string]string{"transforms": "d,f", "transforms.d.type": ReplaceFieldValueType, "transforms.d.exclude": "attrs",
				"transforms.f.type": tt + "Flatten$Value", "transforms.f.delimiter": "_"})
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := c.Apply(rec); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
