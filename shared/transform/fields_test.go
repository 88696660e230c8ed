package transform

import (
	"reflect"
	"strings"
	"testing"

	"github.com/serverless-kafka-connect/slkc/shared/connect"
)

func rowSchema() *connect.Schema {
	return connect.NewStructSchema("row",
		connect.Field{Name: "id", Schema: connect.Primitive(connect.Int64)},
		connect.Field{Name: "name", Schema: connect.Primitive(connect.String)},
		connect.Field{Name: "secret", Schema: connect.Primitive(connect.String).Optionally()},
	)
}

func TestReplaceField(t *testing.T) {
	s := rowSchema()
	sv := connect.NewStruct(s)
	sv.Values = []any{int64(1), "ann", "pw"}
	m := map[string]any{"id": int64(1), "name": "ann", "secret": "pw"}
	cases := []struct {
		name      string
		props     map[string]string
		wantNames []string
		wantVals  []any
		wantMap   map[string]any
	}{
		{"exclude", map[string]string{"exclude": "secret"}, []string{"id", "name"}, []any{int64(1), "ann"}, map[string]any{"id": int64(1), "name": "ann"}},
		{"blacklist alias", map[string]string{"blacklist": "secret, name"}, []string{"id"}, []any{int64(1)}, map[string]any{"id": int64(1)}},
		{"include", map[string]string{"include": "name"}, []string{"name"}, []any{"ann"}, map[string]any{"name": "ann"}},
		{"whitelist alias", map[string]string{"whitelist": "id"}, []string{"id"}, []any{int64(1)}, map[string]any{"id": int64(1)}},
		{"renames", map[string]string{"renames": "id:user_id,name:full_name"}, []string{"user_id", "full_name", "secret"}, []any{int64(1), "ann", "pw"},
			map[string]any{"user_id": int64(1), "full_name": "ann", "secret": "pw"}},
		{"include and exclude", map[string]string{"include": "id,secret", "exclude": "secret"}, []string{"id"}, []any{int64(1)}, map[string]any{"id": int64(1)}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.props["type"] = ReplaceFieldValueType
			c, err := newChain([]string{"f"}, map[string]map[string]string{"f": tc.props})
			if err != nil {
				t.Fatal(err)
			}
			out, keep, err := c.Apply(connect.Record{ValueSchema: s, Value: sv})
			if err != nil || !keep {
				t.Fatalf("struct: %v", err)
			}
			got := out.Value.(*connect.StructValue)
			var names []string
			for _, f := range out.ValueSchema.Fields {
				names = append(names, f.Name)
			}
			if !reflect.DeepEqual(names, tc.wantNames) || !reflect.DeepEqual(got.Values, tc.wantVals) || got.Schema != out.ValueSchema {
				t.Fatalf("struct: names %v values %v", names, got.Values)
			}
			if len(sv.Values) != 3 || len(s.Fields) != 3 {
				t.Fatal("input modified")
			}
			out, _, err = c.Apply(connect.Record{Value: m})
			if err != nil || !reflect.DeepEqual(out.Value, tc.wantMap) {
				t.Fatalf("map: %v %v", out.Value, err)
			}
			if len(m) != 3 {
				t.Fatal("input map modified")
			}
		})
	}
}

func TestReplaceFieldKeyAndErrors(t *testing.T) {
	c, err := newChain([]string{"k"}, map[string]map[string]string{"k": {"type": ReplaceFieldKeyType, "renames": "id:pk"}})
	if err != nil {
		t.Fatal(err)
	}
	s := rowSchema()
	sv := connect.NewStruct(s)
	sv.Values = []any{int64(5), "n", nil}
	out, _, err := c.Apply(connect.Record{KeySchema: s, Key: sv, Value: "untouched"})
	if err != nil || out.KeySchema.Fields[0].Name != "pk" || out.Value != "untouched" {
		t.Fatalf("key rename: %+v %v", out.KeySchema, err)
	}
	a, _, _ := c.Apply(connect.Record{KeySchema: s, Key: sv})
	if a.KeySchema != out.KeySchema {
		t.Fatal("output schema must be cached per input schema")
	}
	if _, keep, err := c.Apply(connect.Record{Key: nil}); err != nil || !keep {
		t.Fatal("null key must pass through")
	}
	_, _, err = c.Apply(connect.Record{Key: "plain"})
	if err == nil || !strings.Contains(err.Error(), "only Map objects supported") || !strings.Contains(err.Error(), `"k"`) {
		t.Fatalf("want type error naming the alias, got %v", err)
	}
	dup, err := newChain([]string{"d"}, map[string]map[string]string{"d": {"type": ReplaceFieldValueType, "renames": "id:name"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := dup.Apply(connect.Record{ValueSchema: s, Value: sv}); err == nil || !strings.Contains(err.Error(), `named "name"`) {
		t.Fatalf("want duplicate name error, got %v", err)
	}
}

func TestRegexRouter(t *testing.T) {
	cases := []struct {
		name        string
		regex, repl string
		topic, want string
	}{
		{"prefix swap", `(.*)customers`, `$1users`, "db.customers", "db.users"},
		{"no match unchanged", `orders`, `x`, "db.orders", "db.orders"},
		{"whole-topic match", `db`, `x`, "db", "x"},
		{"two groups", `([^.]+)\.([^.]+)\.([^.]+)`, `$3-$2`, "srv.inv.customers", "customers-inv"},
		{"multi-digit group falls back", `(a)`, `$10`, "a", "a0"},
		{"escaped dollar", `(.*)`, `\$$1`, "t", "$t"},
		{"named group", `(?P<table>.*)_v1`, `${table}`, "users_v1", "users"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := newChain([]string{"r"}, map[string]map[string]string{"r": {"type": RegexRouterType, "regex": tc.regex, "replacement": tc.repl}})
			if err != nil {
				t.Fatal(err)
			}
			out, keep, err := c.Apply(connect.Record{Topic: tc.topic})
			if err != nil || !keep || out.Topic != tc.want {
				t.Fatalf("topic = %q, want %q (%v)", out.Topic, tc.want, err)
			}
		})
	}
}

func TestReplaceFieldNullDefaults(t *testing.T) {
	s := connect.NewStructSchema("row",
		connect.Field{Name: "a", Schema: &connect.Schema{Type: connect.String, Optional: true, Default: "dflt"}},
	)
	sv := connect.NewStruct(s)
	cases := []struct {
		name  string
		props map[string]string
		want  any
	}{
		{"default replaces null", map[string]string{}, "dflt"},
		{"null kept", map[string]string{"replace.null.with.default": "false"}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.props["type"] = ReplaceFieldValueType
			c, err := newChain([]string{"f"}, map[string]map[string]string{"f": tc.props})
			if err != nil {
				t.Fatal(err)
			}
			out, _, err := c.Apply(connect.Record{ValueSchema: s, Value: sv})
			if err != nil {
				t.Fatal(err)
			}
			if got := out.Value.(*connect.StructValue).Values[0]; got != tc.want {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
}
