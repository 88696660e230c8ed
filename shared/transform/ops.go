package transform

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"

	"github.com/serverless-kafka-connect/slkc/shared/connect"
)

// side selects the record key ($Key variants) or value ($Value variants).
type side bool

const (
	keySide   side = true
	valueSide side = false
)

func (s side) get(r *connect.Record) (*connect.Schema, any) {
	if s == keySide {
		return r.KeySchema, r.Key
	}
	return r.ValueSchema, r.Value
}

func (s side) set(r *connect.Record, schema *connect.Schema, v any) {
	if s == keySide {
		r.KeySchema, r.Key = schema, v
	} else {
		r.ValueSchema, r.Value = schema, v
	}
}

func (s side) String() string {
	if s == keySide {
		return "key"
	}
	return "value"
}

func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }

// required reads a key that must be set and non-empty.
func (c *config) required(key, what string) string {
	v, ok := c.get(key)
	if !ok || v == "" {
		c.fail(key, v, "missing; "+what+" is required")
	}
	return v
}

// requiredList reads a LIST key that must have at least one entry.
func (c *config) requiredList(key, what string) []string {
	l, _ := c.list(key)
	if len(l) == 0 {
		c.fail(key, c.props[key], "missing; "+what+" (a comma-separated list) is required")
	}
	return l
}

// v1Fields accepts field.syntax.version=V1 (the default: field names are
// top-level names, dots included) and refuses V2 (nested paths), which this
// implementation does not support.
func (c *config) v1Fields() {
	if v, ok := c.get("field.syntax.version"); ok && v != "V1" && v != "v1" {
		c.fail("field.syntax.version", v, "allowed: V1 (nested V2 field paths are not supported)")
	}
}

// requireStruct is Kafka's Requirements.requireStruct: a schema'd value
// must be a (well-formed) struct.
func requireStruct(v any, purpose string) (*connect.StructValue, error) {
	s, ok := v.(*connect.StructValue)
	if !ok || s == nil {
		return nil, fmt.Errorf("only Struct objects supported for [%s], found: %s", purpose, javaClass(v))
	}
	return s, checkStruct(s)
}

// structOrNull is Kafka's requireStructOrNull.
func structOrNull(v any, purpose string) (*connect.StructValue, error) {
	if v == nil {
		return nil, nil
	}
	return requireStruct(v, purpose)
}

// requireMap is Kafka's Requirements.requireMap: a schemaless value must be
// a map.
func requireMap(v any, purpose string) (map[string]any, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("only Map objects supported in absence of schema for [%s], found: %s", purpose, javaClass(v))
	}
	return m, nil
}

// mapOrNull is Kafka's requireMapOrNull for schemaless values.
func mapOrNull(v any, purpose string) (map[string]any, error) {
	if v == nil {
		return nil, nil
	}
	return requireMap(v, purpose)
}

// updateFields sets each named field of a schemaless map to fn(field,
// value), as Kafka's transforms put into a copy of the map (absent fields
// included, as null). Errors name the field.
func updateFields(v any, purpose string, names []string, fn func(name string, x any) (any, error)) (map[string]any, error) {
	m, err := requireMap(v, purpose)
	if err != nil {
		return nil, err
	}
	out := maps.Clone(m)
	for _, f := range names {
		x, err := fn(f, m[f])
		if err != nil {
			return nil, fmt.Errorf("field %q: %w", f, err)
		}
		out[f] = x
	}
	return out, nil
}

// fieldValue is Struct.get (replaceNull: a null field yields its schema's
// default) or Struct.getWithoutDefault.
func fieldValue(s *connect.StructValue, i int, replaceNull bool) any {
	v := s.Values[i]
	if v == nil && replaceNull {
		return s.Schema.Fields[i].Schema.Default
	}
	return v
}

// checkStruct reports a struct whose values do not match its schema's fields.
func checkStruct(s *connect.StructValue) error {
	if s.Schema == nil || len(s.Values) != len(s.Schema.Fields) {
		return fmt.Errorf("malformed struct value: %d values for its schema's fields", len(s.Values))
	}
	return nil
}

// javaClass names a Go value's Kafka Connect (Java) type for error messages.
func javaClass(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case map[string]any, []connect.MapEntry:
		return "Map"
	case []any:
		return "List"
	case *connect.StructValue:
		return "Struct"
	case string:
		return "String"
	case json.Number:
		return "Number"
	case bool:
		return "Boolean"
	case []byte:
		return "byte[]"
	}
	return fmt.Sprintf("%T", v)
}

// validate checks a value against a schema the way Struct.put
// (ConnectSchema.validateValue) does for the cases transforms produce: a
// null needs an optional schema.
func validate(field string, s *connect.Schema, v any) error {
	if v == nil && s != nil && !s.Optional {
		return fmt.Errorf("field %q: null value for a required (non-optional) schema", field)
	}
	return nil
}

// copySchema returns a shallow copy of s that may be changed.
func copySchema(s *connect.Schema) *connect.Schema {
	c := *s
	return &c
}
