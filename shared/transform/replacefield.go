package transform

import (
	"fmt"
	"strings"

	"github.com/serverless-kafka-connect/slkc/shared/connect"
)

// replaceField is org.apache.kafka.connect.transforms.ReplaceField$Value
// (or $Key): it keeps, drops and renames top-level fields.
//
// Keys: exclude (old name blacklist), include (old name whitelist), renames
// ("old:new,...") and replace.null.with.default (default true). A field is
// kept when it is not excluded and include is empty or lists it; kept
// fields are then renamed. Struct values
// get a new schema (cached per input schema); map values get a new map;
// null values pass through; any other value is an error.
type replaceField struct {
	key     bool
	exclude map[string]bool
	include map[string]bool
	renames map[string]string
	// replaceNull copies a null struct field as its schema default, as
	// Struct.get does in Kafka (replace.null.with.default, default true).
	replaceNull bool

	schemas planCache[*replacePlan] // per input schema
}

type replacePlan struct {
	out  *connect.Schema
	from []int // input field index for each output field
	err  error
}

func newReplaceField(c *config, key bool) *replaceField {
	t := &replaceField{key: key}
	t.exclude = c.set("exclude", "blacklist")
	t.include = c.set("include", "whitelist")
	if list, ok := c.list("renames"); ok {
		t.renames = make(map[string]string, len(list))
		targets := map[string]bool{}
		for _, m := range list {
			parts := strings.Split(m, ":")
			if len(parts) != 2 || parts[0] == "" || parts[1] == "" {
				c.fail("renames", m, `each entry must be "old:new"`)
				continue
			}
			if _, dup := t.renames[parts[0]]; dup || targets[parts[1]] {
				c.fail("renames", m, "field renamed twice or two fields renamed to one name")
				continue
			}
			t.renames[parts[0]] = parts[1]
			targets[parts[1]] = true
		}
	}
	t.replaceNull = c.boolean("replace.null.with.default", true)
	return t
}

// set reads a list key and its deprecated alias into a set.
func (c *config) set(key, deprecated string) map[string]bool {
	list, ok := c.list(key)
	old, oldOK := c.list(deprecated)
	if ok && oldOK {
		c.fail(deprecated, c.props[deprecated], "deprecated alias of "+key+"; set only "+key)
	}
	if !ok {
		list = old
	}
	if len(list) == 0 {
		return nil
	}
	m := make(map[string]bool, len(list))
	for _, f := range list {
		m[f] = true
	}
	return m
}

func (t *replaceField) keep(name string) bool {
	return !t.exclude[name] && (t.include == nil || t.include[name])
}

func (t *replaceField) rename(name string) string {
	if n, ok := t.renames[name]; ok {
		return n
	}
	return name
}

// Apply implements Transform.
func (t *replaceField) Apply(r connect.Record) (connect.Record, bool, error) {
	v := r.Value
	if t.key {
		v = r.Key
	}
	var (
		outSchema *connect.Schema
		outValue  any
	)
	switch x := v.(type) {
	case nil:
		return r, true, nil
	case *connect.StructValue:
		p := t.plan(x.Schema)
		if p.err != nil {
			return r, false, p.err
		}
		if len(x.Values) != len(x.Schema.Fields) {
			return r, false, fmt.Errorf("ReplaceField: struct has %d values, schema has %d fields", len(x.Values), len(x.Schema.Fields))
		}
		out := connect.NewStruct(p.out)
		for i, from := range p.from {
			v := x.Values[from]
			if v == nil && t.replaceNull {
				v = x.Schema.Fields[from].Schema.Default
			}
			out.Values[i] = v
		}
		outSchema, outValue = p.out, out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, val := range x {
			if t.keep(k) {
				out[t.rename(k)] = val
			}
		}
		outValue = out
	default:
		schema := r.ValueSchema
		if t.key {
			schema = r.KeySchema
		}
		if schema == nil {
			_, err := requireMap(v, "field replacement")
			return r, false, err
		}
		_, err := requireStruct(v, "field replacement")
		return r, false, err
	}
	if t.key {
		r.KeySchema, r.Key = outSchema, outValue
	} else {
		r.ValueSchema, r.Value = outSchema, outValue
	}
	return r, true, nil
}

func (t *replaceField) plan(s *connect.Schema) *replacePlan {
	return t.schemas.get(s, t.buildPlan)
}

func (t *replaceField) buildPlan(s *connect.Schema) *replacePlan {
	p := &replacePlan{}
	if s == nil || s.Type != connect.Struct {
		p.err = fmt.Errorf("ReplaceField: struct value without a struct schema")
		return p
	}
	var fields []connect.Field
	names := map[string]bool{}
	for i, f := range s.Fields {
		if !t.keep(f.Name) {
			continue
		}
		n := t.rename(f.Name)
		if names[n] {
			p.err = fmt.Errorf("ReplaceField: two fields would be named %q", n)
		}
		names[n] = true
		fields = append(fields, connect.Field{Name: n, Schema: f.Schema})
		p.from = append(p.from, i)
	}
	p.out = copyStructSchema(s, fields)
	return p
}
