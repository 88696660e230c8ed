package transform

import (
	"fmt"

	"github.com/serverless-kafka-connect/slkc/shared/connect"
)

// flatten is Flatten$Key/$Value: nested structs (or maps, schemaless)
// become top-level fields named by joining the path with "delimiter"
// (default "."). Arrays and maps of a schema'd value are kept as they are.
// A field is optional in the result when it or any struct around it is
// optional.
type flatten struct {
	side  side
	delim string
	plans planCache[*flattenPlan]
}

type flattenPlan struct {
	out   *connect.Schema
	paths [][]int // input field indexes from the top struct down, per output field
	err   error
}

func newFlatten(c *config, s side) *flatten {
	t := &flatten{side: s, delim: "."}
	if v, ok := c.get("delimiter"); ok {
		t.delim = v
	}
	return t
}

const purposeFlatten = "flattening"

func (t *flatten) name(prefix, field string) string {
	if prefix == "" {
		return field
	}
	return prefix + t.delim + field
}

func (t *flatten) Apply(r connect.Record) (connect.Record, bool, error) {
	schema, v := t.side.get(&r)
	if schema == nil {
		m, err := mapOrNull(v, purposeFlatten)
		if err != nil {
			return r, false, err
		}
		if m == nil {
			return r, true, nil
		}
		out := map[string]any{}
		if err := t.flatMap(m, "", out); err != nil {
			return r, false, err
		}
		t.side.set(&r, nil, out)
		return r, true, nil
	}
	sv, err := structOrNull(v, purposeFlatten)
	if err != nil {
		return r, false, err
	}
	p := t.plans.get(schema, t.plan)
	if p.err != nil {
		return r, false, p.err
	}
	if sv == nil {
		t.side.set(&r, p.out, nil)
		return r, true, nil
	}
	n := connect.NewStruct(p.out)
	for i, path := range p.paths {
		cur := sv
		for _, idx := range path[:len(path)-1] {
			if err := checkStruct(cur); err != nil {
				return r, false, err
			}
			next, _ := cur.Values[idx].(*connect.StructValue)
			if cur = next; cur == nil {
				break
			}
		}
		if cur != nil {
			if err := checkStruct(cur); err != nil {
				return r, false, err
			}
			n.Values[i] = cur.Values[path[len(path)-1]]
		}
	}
	t.side.set(&r, p.out, n)
	return r, true, nil
}

func (t *flatten) flatMap(m map[string]any, prefix string, out map[string]any) error {
	for k, v := range m {
		name := t.name(prefix, k)
		if sub, ok := v.(map[string]any); ok {
			if err := t.flatMap(sub, name, out); err != nil {
				return err
			}
			continue
		}
		if _, ok := v.(*connect.StructValue); ok {
			return fmt.Errorf("field %q: Flatten does not support Struct for records without schemas", name)
		}
		out[name] = v
	}
	return nil
}

func (t *flatten) plan(s *connect.Schema) *flattenPlan {
	p := &flattenPlan{}
	if s.Type != connect.Struct {
		p.err = fmt.Errorf("the %s schema is %s; only struct schemas can be flattened", t.side, s.Type)
		return p
	}
	var fields []connect.Field
	var walk func(s *connect.Schema, prefix string, path []int, optional bool, parentDefault *connect.StructValue)
	walk = func(s *connect.Schema, prefix string, path []int, optional bool, parentDefault *connect.StructValue) {
		for i, f := range s.Fields {
			name := t.name(prefix, f.Name)
			fieldOptional := optional || f.Schema.Optional
			def := f.Schema.Default
			if def == nil && parentDefault != nil {
				def = parentDefault.Values[i]
			}
			at := append(append([]int(nil), path...), i)
			if f.Schema.Type == connect.Map {
				p.err = fmt.Errorf("field %q: Flatten does not support map fields of records with schemas (as Kafka's)", name)
				return
			}
			if f.Schema.Type == connect.Struct {
				d, _ := f.Schema.Default.(*connect.StructValue)
				walk(f.Schema, name, at, fieldOptional, d)
				continue
			}
			fs := copySchema(f.Schema)
			fs.Optional = fieldOptional
			fs.Default = def
			fields = append(fields, connect.Field{Name: name, Schema: fs})
			p.paths = append(p.paths, at)
		}
	}
	d, _ := s.Default.(*connect.StructValue)
	walk(s, "", nil, s.Optional, d)
	if p.err != nil {
		return p
	}
	seen := map[string]bool{}
	for _, f := range fields {
		if seen[f.Name] {
			p.err = fmt.Errorf("flattened field name %q occurs twice", f.Name)
			return p
		}
		seen[f.Name] = true
	}
	p.out = copyStructSchema(s, fields)
	return p
}
