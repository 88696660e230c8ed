package transform

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	connconfig "github.com/serverless-kafka-connect/slkc/shared/config"
	"github.com/serverless-kafka-connect/slkc/shared/connect"
)

// valueToKey is org.apache.kafka.connect.transforms.ValueToKey: the key
// becomes a struct (or map, schemaless) of the value's "fields".
type valueToKey struct {
	fields      []string
	replaceNull bool
	plans       planCache[*keyPlan]
}

type keyPlan struct {
	schema *connect.Schema
	from   []int
	err    error
}

func newValueToKey(c *config) *valueToKey {
	t := &valueToKey{fields: c.requiredList("fields", "the value fields to copy into the key")}
	t.replaceNull = c.boolean("replace.null.with.default", true)
	return t
}

const purposeValueToKey = "copying fields from value to key"

func (t *valueToKey) Apply(r connect.Record) (connect.Record, bool, error) {
	if r.ValueSchema == nil {
		m, err := requireMap(r.Value, purposeValueToKey)
		if err != nil {
			return r, false, err
		}
		key := make(map[string]any, len(t.fields))
		for _, f := range t.fields {
			key[f] = m[f]
		}
		r.KeySchema, r.Key = nil, key
		return r, true, nil
	}
	v, err := requireStruct(r.Value, purposeValueToKey)
	if err != nil {
		return r, false, err
	}
	p := t.plans.get(v.Schema, func(s *connect.Schema) *keyPlan {
		p := &keyPlan{}
		var fields []connect.Field
		for _, name := range t.fields {
			f := s.Field(name)
			if f == nil {
				p.err = fmt.Errorf("field %q does not exist in the value", name)
				return p
			}
			fields = append(fields, connect.Field{Name: name, Schema: f.Schema})
			p.from = append(p.from, f.Index)
		}
		p.schema = connect.NewStructSchema("", fields...)
		return p
	})
	if p.err != nil {
		return r, false, p.err
	}
	key := connect.NewStruct(p.schema)
	for i, from := range p.from {
		key.Values[i] = fieldValue(v, from, t.replaceNull)
		if err := validate(t.fields[i], p.schema.Fields[i].Schema, key.Values[i]); err != nil {
			return r, false, err
		}
	}
	r.KeySchema, r.Key = p.schema, key
	return r, true, nil
}

// extractField is ExtractField$Key/$Value: the key or value becomes its
// field "field". A null struct/map yields null; a struct schema without the
// field is an error.
type extractField struct {
	side        side
	field       string
	replaceNull bool
}

func newExtractField(c *config, s side) *extractField {
	t := &extractField{side: s, field: c.required("field", "the field to extract")}
	c.v1Fields()
	t.replaceNull = c.boolean("replace.null.with.default", true)
	return t
}

func (t *extractField) Apply(r connect.Record) (connect.Record, bool, error) {
	schema, v := t.side.get(&r)
	if schema == nil {
		m, err := mapOrNull(v, "field extraction")
		if err != nil {
			return r, false, err
		}
		var out any
		if m != nil {
			out = m[t.field]
		}
		t.side.set(&r, nil, out)
		return r, true, nil
	}
	s, err := structOrNull(v, "field extraction")
	if err != nil {
		return r, false, err
	}
	f := schema.Field(t.field)
	if f == nil {
		return r, false, fmt.Errorf("unknown field %q in the %s schema", t.field, t.side)
	}
	var out any
	if s != nil {
		out = fieldValue(s, f.Index, t.replaceNull)
	}
	t.side.set(&r, f.Schema, out)
	return r, true, nil
}

// hoistField is HoistField$Key/$Value: wraps the key or value in a struct
// (or map, schemaless) with the single field "field".
type hoistField struct {
	side    side
	field   string
	schemas planCache[*connect.Schema]
}

func newHoistField(c *config, s side) *hoistField {
	return &hoistField{side: s, field: c.required("field", "the name of the wrapping field")}
}

func (t *hoistField) Apply(r connect.Record) (connect.Record, bool, error) {
	schema, v := t.side.get(&r)
	if schema == nil {
		t.side.set(&r, nil, map[string]any{t.field: v})
		return r, true, nil
	}
	out := t.schemas.get(schema, func(s *connect.Schema) *connect.Schema {
		return connect.NewStructSchema("", connect.Field{Name: t.field, Schema: s})
	})
	if err := validate(t.field, schema, v); err != nil {
		return r, false, err
	}
	sv := connect.NewStruct(out)
	sv.Values[0] = v
	t.side.set(&r, out, sv)
	return r, true, nil
}

// setSchemaMetadata is SetSchemaMetadata$Key/$Value: sets the schema's
// name ("schema.name") and/or version ("schema.version"). The key or value
// must have a schema.
type setSchemaMetadata struct {
	side        side
	name        string
	version     int
	hasVersion  bool
	replaceNull bool
	schemas     planCache[*connect.Schema]
}

func newSetSchemaMetadata(c *config, s side) *setSchemaMetadata {
	t := &setSchemaMetadata{side: s}
	t.name, _ = c.get("schema.name")
	if v, ok := c.get("schema.version"); ok && v != "" {
		n, err := strconv.ParseInt(v, 10, 32)
		if err != nil {
			c.fail("schema.version", v, "want an integer")
		}
		t.version, t.hasVersion = int(n), true
	}
	if t.name == "" && !t.hasVersion {
		c.fail("schema.name", "", "missing; set schema.name, schema.version or both")
	}
	t.replaceNull = c.boolean("replace.null.with.default", true)
	return t
}

func (t *setSchemaMetadata) Apply(r connect.Record) (connect.Record, bool, error) {
	schema, v := t.side.get(&r)
	if schema == nil {
		if v == nil {
			return r, true, nil
		}
		return r, false, fmt.Errorf("the %s has no schema to update (schema required for [updating schema metadata])", t.side)
	}
	if schema.Type != connect.Struct {
		// Kafka 4.1 copies the fields of every schema and fails on others.
		return r, false, fmt.Errorf("the %s schema is %s; only struct schemas can be renamed", t.side, schema.Type)
	}
	out := t.schemas.get(schema, func(s *connect.Schema) *connect.Schema {
		c := copySchema(s)
		if t.name != "" {
			c.Name = t.name
		}
		if t.hasVersion {
			c.Version = t.version
		}
		if c.Type == connect.Struct {
			c.Fields = append([]connect.Field(nil), s.Fields...)
		}
		return c
	})
	if sv, ok := v.(*connect.StructValue); ok {
		if err := checkStruct(sv); err != nil {
			return r, false, err
		}
		n := connect.NewStruct(out)
		for i := range n.Values {
			n.Values[i] = fieldValue(sv, i, t.replaceNull)
		}
		v = n
	}
	t.side.set(&r, out, v)
	return r, true, nil
}

// insertField is InsertField$Key/$Value: adds fields holding the record's
// topic ("topic.field"), partition ("partition.field"), offset
// ("offset.field"), timestamp ("timestamp.field") and a constant
// ("static.field" = "static.value"). A name ending in "!" makes the field
// required, "?" (the default) optional. A null key or value passes through.
// offset.field needs a sink connector (Kafka's fails on source records).
type insertField struct {
	side                                  side
	topic, partition, offset, ts, static_ insertSpec
	staticValue                           *string
	replaceNull                           bool
	plans                                 planCache[*insertPlan]
}

type insertSpec struct {
	name     string
	optional bool
}

func newInsertField(c *config, s side) *insertField {
	t := &insertField{side: s}
	spec := func(key string) insertSpec {
		v, _ := c.get(key)
		switch {
		case v == "":
			return insertSpec{}
		case strings.HasSuffix(v, "!"):
			return insertSpec{name: v[:len(v)-1]}
		case strings.HasSuffix(v, "?"):
			return insertSpec{name: v[:len(v)-1], optional: true}
		}
		return insertSpec{name: v, optional: true}
	}
	t.topic, t.partition, t.offset = spec("topic.field"), spec("partition.field"), spec("offset.field")
	if t.offset.name != "" && c.kind == connconfig.Source {
		c.fail("offset.field", c.props["offset.field"], "only for sink connectors: a source record has no Kafka offset before it is produced")
	}
	t.ts, t.static_ = spec("timestamp.field"), spec("static.field")
	if v, ok := c.get("static.value"); ok {
		t.staticValue = &v
	}
	t.replaceNull = c.boolean("replace.null.with.default", true)
	if t.static_.name != "" && t.staticValue == nil {
		c.fail("static.value", "", "missing; required with static.field")
	}
	if t.topic.name == "" && t.partition.name == "" && t.offset.name == "" && t.ts.name == "" && t.static_.name == "" {
		c.fail("topic.field", "", "missing; set at least one of topic.field, partition.field, offset.field, timestamp.field, static.field")
	}
	return t
}

const purposeInsert = "field insertion"

func (t *insertField) Apply(r connect.Record) (connect.Record, bool, error) {
	schema, v := t.side.get(&r)
	if v == nil {
		return r, true, nil
	}
	// A source record has no partition or offset yet (-1): the partition
	// is null, as a SourceRecord's, and an offset cannot be inserted.
	var partition any
	if r.Partition >= 0 {
		partition = r.Partition
	}
	if t.offset.name != "" && r.Offset < 0 {
		return r, false, fmt.Errorf("offset.field %q: the record has no Kafka offset (only sink records have one)", t.offset.name)
	}
	if schema == nil {
		m, err := requireMap(v, purposeInsert)
		if err != nil {
			return r, false, err
		}
		out := maps.Clone(m)
		if t.topic.name != "" {
			out[t.topic.name] = r.Topic
		}
		if t.partition.name != "" {
			out[t.partition.name] = partition
		}
		if t.offset.name != "" {
			out[t.offset.name] = r.Offset
		}
		if t.ts.name != "" && !r.Timestamp.IsZero() {
			out[t.ts.name] = r.Timestamp.UnixMilli()
		}
		if t.static_.name != "" && t.staticValue != nil {
			out[t.static_.name] = *t.staticValue
		}
		t.side.set(&r, nil, out)
		return r, true, nil
	}
	sv, err := requireStruct(v, purposeInsert)
	if err != nil {
		return r, false, err
	}
	p := t.plans.get(schema, t.schema)
	if p.err != nil {
		return r, false, p.err
	}
	out := p.out
	n := connect.NewStruct(out)
	for i := range sv.Values {
		n.Values[i] = fieldValue(sv, i, t.replaceNull)
	}
	i := len(sv.Values)
	put := func(spec insertSpec, x any) {
		if spec.name != "" {
			if x != nil {
				n.Values[out.Field(spec.name).Index] = x
			}
			i++
		}
	}
	put(t.topic, r.Topic)
	put(t.partition, partition)
	put(t.offset, r.Offset)
	var ts any
	if !r.Timestamp.IsZero() {
		ts = r.Timestamp
	}
	put(t.ts, ts)
	var static any
	if t.staticValue != nil {
		static = *t.staticValue
	}
	put(t.static_, static)
	t.side.set(&r, out, n)
	return r, true, nil
}

type insertPlan struct {
	out *connect.Schema
	err error
}

func (t *insertField) schema(s *connect.Schema) *insertPlan {
	fields := append([]connect.Field(nil), s.Fields...)
	dup := ""
	add := func(spec insertSpec, fs *connect.Schema) {
		if spec.name == "" {
			return
		}
		if s.Field(spec.name) != nil || slices.ContainsFunc(fields[len(s.Fields):], func(f connect.Field) bool { return f.Name == spec.name }) {
			dup = spec.name
		}
		if spec.optional {
			fs = fs.Optionally()
		}
		fields = append(fields, connect.Field{Name: spec.name, Schema: fs})
	}
	add(t.topic, connect.Primitive(connect.String))
	add(t.partition, connect.Primitive(connect.Int32))
	add(t.offset, connect.Primitive(connect.Int64))
	add(t.ts, connect.TimestampSchema())
	add(t.static_, connect.Primitive(connect.String))
	if dup != "" {
		return &insertPlan{err: fmt.Errorf("field %q: the %s already has a field of that name", dup, t.side)}
	}
	return &insertPlan{out: copyStructSchema(s, fields)}
}
