package transform

import (
	"fmt"
	"maps"

	"github.com/serverless-kafka-connect/slkc/shared/connect"
)

// headerFrom is HeaderFrom$Key/$Value: each of "fields" is written to the
// header at the same position in "headers" (as header text, see
// headerText); operation=move also removes the fields, copy keeps them.
type headerFrom struct {
	side        side
	fields      []string
	headers     []string
	move        bool
	replaceNull bool
	plans       planCache[*movePlan]
}

type movePlan struct {
	out  *connect.Schema
	from []int
}

func newHeaderFrom(c *config, s side) *headerFrom {
	t := &headerFrom{side: s}
	t.fields = c.requiredList("fields", "the fields to copy or move into headers")
	t.headers = c.requiredList("headers", "the header names, one per field")
	if len(t.fields) != len(t.headers) && len(t.fields) > 0 && len(t.headers) > 0 {
		c.fail("headers", c.props["headers"], fmt.Sprintf("must name one header per field: %d fields, %d headers", len(t.fields), len(t.headers)))
	}
	op := c.oneOf("operation", "", "move", "copy")
	if _, ok := c.props["operation"]; !ok {
		c.fail("operation", "", "missing; allowed: move, copy")
	}
	t.move = op == "move"
	c.v1Fields()
	t.replaceNull = c.boolean("replace.null.with.default", true)
	return t
}

func (t *headerFrom) purpose() string {
	if t.move {
		return "header move"
	}
	return "header copy"
}

func (t *headerFrom) Apply(r connect.Record) (connect.Record, bool, error) {
	schema, v := t.side.get(&r)
	headers := make([]connect.Header, len(r.Headers), len(r.Headers)+len(t.headers))
	copy(headers, r.Headers)
	if schema == nil {
		m, err := requireMap(v, t.purpose())
		if err != nil {
			return r, false, err
		}
		out := maps.Clone(m)
		for i, f := range t.fields {
			b, err := headerText(nil, m[f])
			if err != nil {
				return r, false, fmt.Errorf("field %q: %w", f, err)
			}
			if t.move {
				delete(out, f)
			}
			headers = append(headers, connect.Header{Key: t.headers[i], Value: b})
		}
		t.side.set(&r, nil, out)
		r.Headers = headers
		return r, true, nil
	}
	sv, err := requireStruct(v, t.purpose())
	if err != nil {
		return r, false, err
	}
	for i, f := range t.fields {
		fs := sv.Schema.Field(f)
		if fs == nil {
			return r, false, fmt.Errorf("field %q does not exist in the %s schema", f, t.side)
		}
		b, err := headerText(fs.Schema, fieldValue(sv, fs.Index, t.replaceNull))
		if err != nil {
			return r, false, fmt.Errorf("field %q: %w", f, err)
		}
		headers = append(headers, connect.Header{Key: t.headers[i], Value: b})
	}
	if t.move {
		p := t.plans.get(sv.Schema, t.plan)
		n := connect.NewStruct(p.out)
		for i, from := range p.from {
			n.Values[i] = fieldValue(sv, from, true)
		}
		t.side.set(&r, p.out, n)
	}
	r.Headers = headers
	return r, true, nil
}

func (t *headerFrom) plan(s *connect.Schema) *movePlan {
	p := &movePlan{}
	moved := map[string]bool{}
	for _, f := range t.fields {
		moved[f] = true
	}
	var fields []connect.Field
	for i, f := range s.Fields {
		if !moved[f.Name] {
			fields = append(fields, connect.Field{Name: f.Name, Schema: f.Schema})
			p.from = append(p.from, i)
		}
	}
	p.out = copyStructSchema(s, fields)
	return p
}
