package transform

import (
	"bytes"
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	connconfig "github.com/serverless-kafka-connect/slkc/shared/config"
	"github.com/serverless-kafka-connect/slkc/shared/connect"
	"github.com/serverless-kafka-connect/slkc/shared/convert"
)

// FuzzExtractNewRecordState feeds schemaless JSON to the unwrap transform
// under several configs: it must never panic, never modify its input, and a
// kept change event must carry the row's fields.
func FuzzExtractNewRecordState(f *testing.F) {
	for _, name := range []string{"testdata/mysql_update.json", "testdata/mysql_delete.json"} {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		var env struct{ Payload json.RawMessage }
		if err := json.Unmarshal(b, &env); err != nil {
			f.Fatal(err)
		}
		f.Add([]byte(env.Payload))
	}
	for _, s := range []string{
		`{"op":"c","after":{"id":1},"before":null}`,
		`{"op":"d","after":null,"before":{"__deleted":1}}`,
		`{"op":"u","after":[1],"source":{"table":"t"}}`,
		`{"op":1,"after":{}}`, `{"op":"r","before":{}}`, `null`, `[]`, `{"after":{}}`,
	} {
		f.Add([]byte(s))
	}
	configs := []map[string]string{
		{"type": ExtractNewRecordStateType},
		{"type": ExtractNewRecordStateType, "delete.handling.mode": "rewrite", "add.fields": "op,table,source.ts_ms,ts_ms,id"},
		{"type": ExtractNewRecordStateType, "delete.handling.mode": "none", "drop.tombstones": "false", "route.by.field": "id"},
	}
	var chains []Chain
	for _, p := range configs {
		c, err := newChain([]string{"u"}, map[string]map[string]string{"u": p})
		if err != nil {
			f.Fatal(err)
		}
		chains = append(chains, c)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		var v any
		if dec.Decode(&v) != nil {
			return
		}
		before, _ := json.Marshal(v)
		for _, c := range chains {
			r := readRecord(v)
			out, keep, err := c.Apply(r)
			if after, _ := json.Marshal(v); !bytes.Equal(after, before) {
				t.Fatalf("input modified: %s -> %s", before, after)
			}
			if err != nil {
				if err.Error() == "" {
					t.Fatal("empty error")
				}
				continue
			}
			env, ok := v.(map[string]any)
			if !keep || !ok {
				continue
			}
			if op, _ := env["op"].(string); op == "c" || op == "u" || op == "r" {
				row, _ := env["after"].(map[string]any)
				got, _ := out.Value.(map[string]any)
				for k := range row {
					if _, ok := got[k]; !ok {
						t.Fatalf("row field %q missing from %v", k, out.Value)
					}
				}
			}
		}
	})
}

func readRecord(v any) (r connect.Record) {
	r.Topic = "t"
	r.Value = v
	return r
}

// FuzzKafkaTransforms feeds arbitrary key and value bytes, decoded with
// JsonConverter (with schemas when the bytes are an envelope, else
// schemaless), to every curated config of the differential test: no config
// may panic or modify its input, and an error must name the alias.
func FuzzKafkaTransforms(f *testing.F) {
	schemaRecs, schemalessRecs := corpus()
	for _, r := range append(schemaRecs, schemalessRecs...) {
		f.Add([]byte(r.Key), []byte(r.Value))
	}
	f.Add([]byte(`{"schema":{"type":"map","keys":{"type":"int32"},"values":{"type":"string"}},"payload":[[1,"a"]]}`), []byte(`[1,{"a":null}]`))
	var chains []Chain
	for _, cfg := range curatedConfigs() {
		if c, err := runGoChain(cfg); err == nil {
			chains = append(chains, c)
		}
	}
	env, _ := convert.New(convert.JSONConverterClass, nil, false)
	plain, _ := convert.New(convert.JSONConverterClass, map[string]string{"schemas.enable": "false"}, false)
	decode := func(b []byte) (*connect.Schema, any, bool) {
		if s, v, err := env.ToConnect("t", b); err == nil {
			return s, v, true
		}
		s, v, err := plain.ToConnect("t", b)
		return s, v, err == nil
	}
	f.Fuzz(func(t *testing.T, key, value []byte) {
		record := func() (connect.Record, bool) {
			ks, k, ok1 := decode(key)
			vs, v, ok2 := decode(value)
			return connect.Record{Topic: "orders", KeySchema: ks, Key: k, ValueSchema: vs, Value: v, Timestamp: time.UnixMilli(1700000000000),
				Headers: []connect.Header{{Key: "trace", Value: []byte("x")}}}, ok1 && ok2
		}
		r, ok := record()
		if !ok {
			return
		}
		pristine, _ := record() // decoded apart, so a change to r's values shows
		for i, c := range chains {
			_, _, err := c.Apply(r)
			if err != nil && !strings.Contains(err.Error(), `transform "`) {
				t.Fatalf("error without the alias: %v", err)
			}
			if !reflect.DeepEqual(r, pristine) {
				t.Fatalf("input modified by curated config %d", i)
			}
		}
	})
}

// FuzzConfigValues sets one key of each transform and predicate to
// arbitrary text: NewChain must refuse or accept it, never panic, and a
// chain it accepts must run on a record without panicking.
func FuzzConfigValues(f *testing.F) {
	for _, s := range []string{"", "a", "a:int8,b:string", "yyyy-MM-dd'T'HH:mm", "'", "1e3", "-", "[1", "{", "12:34:56.789Z", "2024-13-45", "\x00", "(", "$1", "a!", "V2"} {
		f.Add(s)
	}
	keys := map[string][]string{
		tt + "Cast$Value": {"spec"}, tt + "ExtractField$Value": {"field"}, tt + "Flatten$Value": {"delimiter"},
		tt + "HeaderFrom$Value": {"fields", "headers", "operation"}, tt + "HoistField$Key": {"field"},
		tt + "InsertField$Value": {"topic.field", "static.field", "static.value"}, tt + "InsertHeader": {"header", "value.literal"},
		tt + "MaskField$Value": {"fields", "replacement"}, RegexRouterType: {"regex", "replacement"},
		ReplaceFieldValueType: {"renames", "exclude"}, tt + "SetSchemaMetadata$Value": {"schema.name", "schema.version"},
		tt + "TimestampConverter$Value": {"target.type", "format", "field", "unix.precision"},
		tt + "TimestampRouter":          {"topic.format", "timestamp.format"}, tt + "ValueToKey": {"fields"}, tt + "DropHeaders": {"headers"},
	}
	rec := connect.Record{Topic: "t", Timestamp: time.UnixMilli(1), Value: map[string]any{"a": "2024-01-02", "b": json.Number("1")}}
	f.Fuzz(func(t *testing.T, s string) {
		for typ, ks := range keys {
			for _, k := range ks {
				props := map[string]string{"type": typ, k: s}
				c, err := newChain([]string{"x"}, map[string]map[string]string{"x": props})
				if err == nil {
					_, _, _ = c.Apply(rec)
				}
			}
		}
		spec := connconfig.Transforms{Aliases: []string{"f"}, Props: map[string]map[string]string{"f": {"type": tt + "Filter", "predicate": "p"}},
			Predicates: []string{"p"}, PredicateProps: map[string]map[string]string{"p": {"type": pre + "TopicNameMatches", "pattern": s}}}
		if c, err := NewChain(spec); err == nil {
			_, _, _ = c.Apply(rec)
		}
	})
}
