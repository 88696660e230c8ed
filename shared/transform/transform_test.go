package transform

import (
	"encoding/json"
	connconfig "github.com/serverless-kafka-connect/slkc/shared/config"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/serverless-kafka-connect/slkc/shared/connect"
	"github.com/serverless-kafka-connect/slkc/shared/convert"
)

// readEvent decodes a fixture with JsonConverter (schemas.enable=true), as a
// sink reading a Debezium topic does.
func readEvent(t testing.TB, name string) connect.Record {
	t.Helper()
	c, err := convert.New(convert.JSONConverterClass, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	vs, v, err := c.ToConnect("mysql-server-1.inventory.customers", data)
	if err != nil {
		t.Fatalf("decode %s: %v", name, err)
	}
	key, err := os.ReadFile("testdata/mysql_key.json")
	if err != nil {
		t.Fatal(err)
	}
	ks, k, err := c.ToConnect("mysql-server-1.inventory.customers", key)
	if err != nil {
		t.Fatal(err)
	}
	return connect.Record{Topic: "mysql-server-1.inventory.customers", Offset: 7, KeySchema: ks, Key: k, ValueSchema: vs, Value: v}
}

// readSchemaless returns the fixture's payload as schemaless JSON, as a
// Debezium connector with schemas.enable=false writes it.
func readSchemaless(t testing.TB, name string) connect.Record {
	t.Helper()
	data, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	var env struct{ Payload json.RawMessage }
	if err := json.Unmarshal(data, &env); err != nil {
		t.Fatal(err)
	}
	c, _ := convert.New(convert.JSONConverterClass, map[string]string{"schemas.enable": "false"}, false)
	_, v, err := c.ToConnect("t", env.Payload)
	if err != nil {
		t.Fatal(err)
	}
	return connect.Record{Topic: "mysql-server-1.inventory.customers", Key: map[string]any{"id": json.Number("1004")}, Value: v}
}

func chain(t testing.TB, props map[string]string) Chain {
	t.Helper()
	c, err := newChain([]string{"unwrap"}, map[string]map[string]string{"unwrap": props})
	if err != nil {
		t.Fatalf("NewChain: %v", err)
	}
	return c
}

func encodeValue(t testing.TB, r connect.Record) string {
	t.Helper()
	c, _ := convert.New(convert.JSONConverterClass, nil, false)
	b, err := c.FromConnect(r.Topic, r.ValueSchema, r.Value)
	if err != nil {
		t.Fatalf("encode: %v", err)
	}
	return string(b)
}

const customerValueSchema = `{"type":"struct","fields":[{"type":"int32","optional":false,"field":"id"},{"type":"string","optional":false,"field":"first_name"},{"type":"string","optional":false,"field":"last_name"},{"type":"string","optional":false,"field":"email"}`

func TestExtractNewRecordStateMySQLEvents(t *testing.T) {
	unwrap := map[string]string{"type": ExtractNewRecordStateType}
	with := func(kv ...string) map[string]string {
		m := map[string]string{"type": ExtractNewRecordStateType}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	cases := []struct {
		name    string
		fixture string
		props   map[string]string
		keep    bool
		want    string // JsonConverter output of the value; "" for a null value
	}{
		{"update becomes after", "mysql_update.json", unwrap, true,
			`{"schema":` + customerValueSchema + `],"optional":true,"name":"mysql-server-1.inventory.customers.Value"},"payload":{"id":1004,"first_name":"Anne Marie","last_name":"Kretchmar","email":"annek@noanswer.org"}}`},
		{"delete dropped by default", "mysql_delete.json", unwrap, false, ""},
		{"delete none keeps null value with row schema", "mysql_delete.json", with("delete.handling.mode", "none"), true,
			`{"schema":` + customerValueSchema + `],"optional":true,"name":"mysql-server-1.inventory.customers.Value"},"payload":null}`},
		{"delete rewrite", "mysql_delete.json", with("delete.handling.mode", "rewrite"), true,
			`{"schema":` + customerValueSchema + `,{"type":"string","optional":true,"field":"__deleted"}],"optional":false,"name":"mysql-server-1.inventory.customers.Value"},"payload":{"id":1004,"first_name":"Anne Marie","last_name":"Kretchmar","email":"annek@noanswer.org","__deleted":"true"}}`},
		{"update rewrite marks not deleted", "mysql_update.json", with("delete.handling.mode", "rewrite"), true,
			`{"schema":` + customerValueSchema + `,{"type":"string","optional":true,"field":"__deleted"}],"optional":false,"name":"mysql-server-1.inventory.customers.Value"},"payload":{"id":1004,"first_name":"Anne Marie","last_name":"Kretchmar","email":"annek@noanswer.org","__deleted":"false"}}`},
		{"add fields", "mysql_update.json", with("add.fields", "op,table,source.ts_ms,ts_ms"), true,
			`{"schema":` + customerValueSchema + `,{"type":"string","optional":true,"field":"__op"},{"type":"string","optional":true,"field":"__table"},{"type":"int64","optional":true,"field":"__source_ts_ms"},{"type":"int64","optional":true,"field":"__ts_ms"}],"optional":false,"name":"mysql-server-1.inventory.customers.Value"},"payload":{"id":1004,"first_name":"Anne Marie","last_name":"Kretchmar","email":"annek@noanswer.org","__op":"u","__table":"customers","__source_ts_ms":1465581029100,"__ts_ms":1465581029523}}`},
		{"add fields with alias, absent lsn skipped, null transaction", "mysql_update.json", with("add.fields", "op:operation,lsn,transaction.id"), true,
			`{"schema":` + customerValueSchema + `,{"type":"string","optional":true,"field":"__operation"},{"type":"string","optional":true,"field":"__transaction_id"}],"optional":false,"name":"mysql-server-1.inventory.customers.Value"},"payload":{"id":1004,"first_name":"Anne Marie","last_name":"Kretchmar","email":"annek@noanswer.org","__operation":"u","__transaction_id":null}}`},
		{"add fields with rewrite puts __deleted last", "mysql_delete.json", with("add.fields", "table", "add.fields.prefix", "_", "delete.handling.mode", "rewrite"), true,
			`{"schema":` + customerValueSchema + `,{"type":"string","optional":true,"field":"_table"},{"type":"string","optional":true,"field":"__deleted"}],"optional":false,"name":"mysql-server-1.inventory.customers.Value"},"payload":{"id":1004,"first_name":"Anne Marie","last_name":"Kretchmar","email":"annek@noanswer.org","_table":"customers","__deleted":"true"}}`},
		{"add fields custom prefix", "mysql_update.json", with("add.fields", "db", "add.fields.prefix", "cdc_"), true,
			`{"schema":` + customerValueSchema + `,{"type":"string","optional":true,"field":"cdc_db"}],"optional":false,"name":"mysql-server-1.inventory.customers.Value"},"payload":{"id":1004,"first_name":"Anne Marie","last_name":"Kretchmar","email":"annek@noanswer.org","cdc_db":"inventory"}}`},
		{"tombstone-mode keeps delete as null", "mysql_delete.json", with("delete.tombstone.handling.mode", "tombstone"), true,
			`{"schema":` + customerValueSchema + `],"optional":true,"name":"mysql-server-1.inventory.customers.Value"},"payload":null}`},
		{"rewrite-with-id", "mysql_delete.json", with("delete.tombstone.handling.mode", "rewrite-with-id"), true,
			`{"schema":` + customerValueSchema + `,{"type":"string","optional":true,"field":"__deleted"}],"optional":false,"name":"mysql-server-1.inventory.customers.Value"},"payload":{"id":1004,"first_name":"Anne Marie","last_name":"Kretchmar","email":"annek@noanswer.org","__deleted":"true"}}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := readEvent(t, tc.fixture)
			before := encodeValue(t, in)
			out, keep, err := chain(t, tc.props).Apply(in)
			if err != nil {
				t.Fatalf("Apply: %v", err)
			}
			if keep != tc.keep {
				t.Fatalf("keep = %v, want %v", keep, tc.keep)
			}
			if after := encodeValue(t, in); after != before {
				t.Fatal("input record was modified")
			}
			if !keep {
				return
			}
			if out.Key != in.Key || out.Topic != in.Topic {
				t.Fatalf("key/topic changed: %v %s", out.Key, out.Topic)
			}
			if tc.want == "" {
				if out.Value != nil || out.ValueSchema != nil {
					t.Fatalf("want null value, got %v", out.Value)
				}
				return
			}
			if got := encodeValue(t, out); got != tc.want {
				t.Fatalf("\n got: %s\nwant: %s", got, tc.want)
			}
		})
	}
}

func TestExtractNewRecordStateTombstones(t *testing.T) {
	tomb := connect.Record{Topic: "t", Key: "k"}
	cases := []struct {
		name  string
		props map[string]string
		keep  bool
	}{
		{"dropped by default", map[string]string{}, false},
		{"kept with drop.tombstones=false", map[string]string{"drop.tombstones": "false"}, true},
		{"kept with tombstone mode", map[string]string{"delete.tombstone.handling.mode": "tombstone"}, true},
		{"dropped with rewrite mode", map[string]string{"delete.tombstone.handling.mode": "rewrite"}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.props["type"] = ExtractNewRecordStateType
			_, keep, err := chain(t, tc.props).Apply(tomb)
			if err != nil || keep != tc.keep {
				t.Fatalf("keep = %v, err = %v; want keep %v", keep, err, tc.keep)
			}
		})
	}
}

func TestExtractNewRecordStateSchemaless(t *testing.T) {
	cases := []struct {
		name    string
		fixture string
		props   map[string]string
		keep    bool
		want    map[string]any
	}{
		{"update", "mysql_update.json", map[string]string{}, true,
			map[string]any{"id": json.Number("1004"), "first_name": "Anne Marie", "last_name": "Kretchmar", "email": "annek@noanswer.org"}},
		{"delete dropped", "mysql_delete.json", map[string]string{}, false, nil},
		{"delete rewrite with fields", "mysql_delete.json", map[string]string{"delete.handling.mode": "rewrite", "add.fields": "op,source.pos"}, true,
			map[string]any{"id": json.Number("1004"), "first_name": "Anne Marie", "last_name": "Kretchmar", "email": "annek@noanswer.org",
				"__deleted": "true", "__op": "d", "__source_pos": json.Number("805")}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.props["type"] = ExtractNewRecordStateType
			out, keep, err := chain(t, tc.props).Apply(readSchemaless(t, tc.fixture))
			if err != nil || keep != tc.keep {
				t.Fatalf("keep = %v, err = %v", keep, err)
			}
			if keep && !reflect.DeepEqual(out.Value, tc.want) {
				t.Fatalf("got %#v", out.Value)
			}
		})
	}
}

func TestExtractNewRecordStatePassThrough(t *testing.T) {
	c := chain(t, map[string]string{"type": ExtractNewRecordStateType})
	s := connect.NewStructSchema("heartbeat", connect.Field{Name: "serverName", Schema: connect.Primitive(connect.String)})
	sv := connect.NewStruct(s)
	sv.Values[0] = "mysql-server-1"
	for _, v := range []any{sv, map[string]any{"a": 1}, "text"} {
		out, keep, err := c.Apply(connect.Record{Topic: "t", Value: v})
		if err != nil || !keep || !reflect.DeepEqual(out.Value, v) {
			t.Fatalf("%T: not passed through: %v %v %v", v, out.Value, keep, err)
		}
	}
	// A row state that is not an object is an error naming the alias.
	_, _, err := c.Apply(connect.Record{Topic: "t", Value: map[string]any{"op": "c", "after": "x"}})
	if err == nil || !strings.Contains(err.Error(), `"unwrap"`) || !strings.Contains(err.Error(), "after is string") {
		t.Fatalf("want error naming the alias, got %v", err)
	}
	// A struct whose schema is not named *.Envelope passes through, as in Debezium.
	other := connect.NewStructSchema("x.Value", connect.Field{Name: "op", Schema: connect.Primitive(connect.String)},
		connect.Field{Name: "after", Schema: connect.Primitive(connect.String).Optionally()})
	ov := connect.NewStruct(other)
	ov.Values = []any{"c", "row"}
	if out, keep, err := c.Apply(connect.Record{Value: ov}); err != nil || !keep || out.Value != ov {
		t.Fatal("non-envelope struct must pass through")
	}
	// Truncate events are dropped.
	_, keep, err := c.Apply(connect.Record{Topic: "t", Value: map[string]any{"op": "t", "after": nil, "before": nil}})
	if err != nil || keep {
		t.Fatalf("truncate: keep=%v err=%v", keep, err)
	}
	s2 := readEvent(t, "mysql_delete.json")
	env := *s2.Value.(*connect.StructValue)
	env.Values = append([]any(nil), env.Values...)
	env.Values[0] = nil // before
	_, keep, err = c.Apply(connect.Record{ValueSchema: env.Schema, Value: &env})
	if err != nil || keep {
		t.Fatalf("truncate: keep=%v err=%v", keep, err)
	}
}

func TestExtractNewRecordStateRouteByField(t *testing.T) {
	c := chain(t, map[string]string{"type": ExtractNewRecordStateType, "route.by.field": "last_name"})
	out, keep, err := c.Apply(readEvent(t, "mysql_update.json"))
	if err != nil || !keep || out.Topic != "Kretchmar" {
		t.Fatalf("topic = %q keep=%v err=%v", out.Topic, keep, err)
	}
	c = chain(t, map[string]string{"type": ExtractNewRecordStateType, "route.by.field": "id"})
	if _, _, err := c.Apply(readEvent(t, "mysql_update.json")); err == nil {
		t.Fatal("non-string routing field must fail")
	}
}

func TestExtractNewRecordStateSchemaCached(t *testing.T) {
	c := chain(t, map[string]string{"type": ExtractNewRecordStateType, "add.fields": "op"})
	in := readEvent(t, "mysql_update.json")
	a, _, _ := c.Apply(in)
	b, _, _ := c.Apply(in)
	if a.ValueSchema != b.ValueSchema {
		t.Fatal("output schema must be built once per input schema")
	}
}

func TestNewChainErrors(t *testing.T) {
	cases := []struct {
		name    string
		aliases []string
		props   map[string]map[string]string
		want    []string
	}{
		{"missing type", []string{"a"}, map[string]map[string]string{"a": {}}, []string{"transforms.a.type", "missing", RegexRouterType}},
		{"unknown type", []string{"a"}, map[string]map[string]string{"a": {"type": "com.example.Mask"}}, []string{"transforms.a.type", "com.example.Mask", ExtractNewRecordStateType}},
		{"unknown key", []string{"u"}, map[string]map[string]string{"u": {"type": ExtractNewRecordStateType, "drop.tombstone": "false"}}, []string{"transforms.u.drop.tombstone", "unknown key"}},
		{"bad delete mode", []string{"u"}, map[string]map[string]string{"u": {"type": ExtractNewRecordStateType, "delete.handling.mode": "keep"}}, []string{"transforms.u.delete.handling.mode", `"keep"`, "drop, none, rewrite"}},
		{"bad boolean", []string{"u"}, map[string]map[string]string{"u": {"type": ExtractNewRecordStateType, "drop.tombstones": "no"}}, []string{"transforms.u.drop.tombstones", "true, false"}},
		{"old and new delete keys", []string{"u"}, map[string]map[string]string{"u": {"type": ExtractNewRecordStateType, "drop.tombstones": "false", "delete.tombstone.handling.mode": "drop"}}, []string{"transforms.u.delete.tombstone.handling.mode", "drop.tombstones"}},
		{"bad add.fields", []string{"u"}, map[string]map[string]string{"u": {"type": ExtractNewRecordStateType, "add.fields": "a.b.c"}}, []string{"transforms.u.add.fields", "a.b.c"}},
		{"unsupported debezium key", []string{"u"}, map[string]map[string]string{"u": {"type": ExtractNewRecordStateType, "add.headers": "op"}}, []string{"transforms.u.add.headers", "not supported"}},
		{"undefined predicate", []string{"u"}, map[string]map[string]string{"u": {"type": RegexRouterType, "regex": "x", "replacement": "y", "predicate": "p"}}, []string{"transforms.u.predicate", "no such predicate"}},
		{"alias not listed", []string{"a"}, map[string]map[string]string{"a": {"type": ExtractNewRecordStateType}, "b": {"type": RegexRouterType}}, []string{"transforms.b.*", "not listed"}},
		{"duplicate alias", []string{"a", "a"}, map[string]map[string]string{"a": {"type": ExtractNewRecordStateType}}, []string{"listed twice"}},
		{"bad regex", []string{"r"}, map[string]map[string]string{"r": {"type": RegexRouterType, "regex": "(", "replacement": "x"}}, []string{"transforms.r.regex", "invalid regular expression"}},
		{"missing replacement", []string{"r"}, map[string]map[string]string{"r": {"type": RegexRouterType, "regex": "x"}}, []string{"transforms.r.replacement", "missing"}},
		{"group out of range", []string{"r"}, map[string]map[string]string{"r": {"type": RegexRouterType, "regex": "(a)", "replacement": "$2"}}, []string{"transforms.r.replacement", "no group 2"}},
		{"bad rename", []string{"f"}, map[string]map[string]string{"f": {"type": ReplaceFieldValueType, "renames": "a:b,c"}}, []string{"transforms.f.renames", `"c"`, "old:new"}},
		{"exclude and blacklist", []string{"f"}, map[string]map[string]string{"f": {"type": ReplaceFieldValueType, "exclude": "a", "blacklist": "b"}}, []string{"transforms.f.blacklist", "set only exclude"}},
		{"all problems reported", []string{"a", "b"}, map[string]map[string]string{"a": {}, "b": {"type": "x"}}, []string{"transforms.a.type", "transforms.b.type"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := newChain(tc.aliases, tc.props)
			if err == nil {
				t.Fatal("want error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Fatalf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestChainOrderAndDrop(t *testing.T) {
	c, err := newChain([]string{"unwrap", "route", "fields"}, map[string]map[string]string{
		"unwrap": {"type": ExtractNewRecordStateType},
		"route":  {"type": RegexRouterType, "regex": `mysql-server-1\.([^.]+)\.(.+)`, "replacement": "$1_$2"},
		"fields": {"type": ReplaceFieldValueType, "include": "id,email", "renames": "email:mail"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if c.Len() != 3 {
		t.Fatalf("Len = %d", c.Len())
	}
	out, keep, err := c.Apply(readEvent(t, "mysql_update.json"))
	if err != nil || !keep {
		t.Fatalf("keep=%v err=%v", keep, err)
	}
	if out.Topic != "inventory_customers" {
		t.Fatalf("topic = %q", out.Topic)
	}
	want := `{"schema":{"type":"struct","fields":[{"type":"int32","optional":false,"field":"id"},{"type":"string","optional":false,"field":"mail"}],"optional":false,"name":"mysql-server-1.inventory.customers.Value"},"payload":{"id":1004,"mail":"annek@noanswer.org"}}`
	if got := encodeValue(t, out); got != want {
		t.Fatalf("\n got: %s\nwant: %s", got, want)
	}
	// A dropped record stops the chain: the router never sees it.
	out, keep, err = c.Apply(readEvent(t, "mysql_delete.json"))
	if err != nil || keep || out.Topic != "mysql-server-1.inventory.customers" {
		t.Fatalf("delete: keep=%v topic=%q err=%v", keep, out.Topic, err)
	}
	var zero Chain
	if _, keep, err := zero.Apply(connect.Record{Topic: "x"}); !keep || err != nil {
		t.Fatal("empty chain must pass records through")
	}
}

// newChain builds a chain without predicates.
func newChain(aliases []string, props map[string]map[string]string) (Chain, error) {
	return NewChain(connconfig.Transforms{Aliases: aliases, Props: props})
}
