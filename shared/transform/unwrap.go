package transform

import (
	"fmt"
	"strings"

	"github.com/serverless-kafka-connect/slkc/shared/connect"
)

// Delete handling of ExtractNewRecordState (delete.handling.mode).
const (
	deleteDrop    = "drop"
	deleteNone    = "none"
	deleteRewrite = "rewrite"
)

// deletedField is Debezium's DELETED_FIELD; add.fields.prefix does not apply.
const deletedField = "__deleted"

// extractNewRecordState is io.debezium.transforms.ExtractNewRecordState: it
// replaces a Debezium change event (before/after/source/op/ts_ms) with the
// row state, following Debezium's own rules:
//
//   - "after" not null (create, read, update): the value becomes "after".
//   - "after" and "before" null (truncate): dropped.
//   - "after" null, "before" not null (delete): dropped with
//     delete.handling.mode=drop (the default); a null value with the row
//     schema with none; "before" plus __deleted="true" with rewrite (other
//     events then carry __deleted="false").
//   - a tombstone (null value): dropped when drop.tombstones=true (default).
//   - add.fields=op,table,source.ts_ms,field:alias,... appends optional
//     fields named with add.fields.prefix (default "__"): op and ts_ms come
//     from the envelope, id/total_order/data_collection_order from
//     "transaction", anything else from "source" ("struct.field" names the
//     struct and yields prefix+struct_field, e.g. __source_ts_ms). Fields the
//     envelope does not have are skipped, as in Debezium. Order: row fields,
//     added fields, then __deleted.
//   - route.by.field=f sends the record to the topic named by the row's f
//     ("before" for deletes); a null f keeps the topic.
//
// delete.tombstone.handling.mode (drop|tombstone|rewrite|rewrite-with-id),
// Debezium's newer single key, sets both delete.handling.mode and
// drop.tombstones. A schema'd value must be a *connect.StructValue whose
// schema name ends in ".Envelope" (others pass through unchanged, as in
// Debezium); schemaless map[string]any values with "op" and "before" or
// "after" members are unwrapped too (Debezium passes those through).
type extractNewRecordState struct {
	mode           string
	dropTombstones bool
	fields         []fieldRef
	routeBy        string

	plans planCache[*unwrapPlan] // per envelope schema
}

// fieldRef is one add.fields entry (Debezium's FieldReference).
type fieldRef struct {
	struct_ string // "" = the envelope itself, else "source", "transaction", ...
	field   string
	out     string
}

func newExtractNewRecordState(c *config) *extractNewRecordState {
	t := &extractNewRecordState{}
	t.mode = c.oneOf("delete.handling.mode", deleteDrop, deleteDrop, deleteNone, deleteRewrite)
	t.dropTombstones = c.boolean("drop.tombstones", true)
	if v, ok := c.get("delete.tombstone.handling.mode"); ok {
		for _, legacy := range []string{"delete.handling.mode", "drop.tombstones"} {
			if _, set := c.props[legacy]; set {
				c.fail("delete.tombstone.handling.mode", v, "cannot be combined with "+legacy+"; use one")
			}
		}
		switch strings.ToLower(v) {
		case "drop":
			t.mode, t.dropTombstones = deleteDrop, true
		case "tombstone":
			t.mode, t.dropTombstones = deleteNone, false
		case "rewrite":
			t.mode, t.dropTombstones = deleteRewrite, true
		case "rewrite-with-id":
			t.mode, t.dropTombstones = deleteRewrite, false
		default:
			c.fail("delete.tombstone.handling.mode", v, "allowed: drop, tombstone, rewrite, rewrite-with-id")
		}
	}
	prefix := "__"
	if v, ok := c.props["add.fields.prefix"]; ok {
		c.used["add.fields.prefix"] = true
		prefix = v
	}
	if list, ok := c.list("add.fields"); ok {
		seen := map[string]bool{}
		for _, f := range list {
			ref, err := parseFieldRef(prefix, f)
			if err != "" {
				c.fail("add.fields", f, err)
				continue
			}
			if seen[ref.out] {
				c.fail("add.fields", f, "adds field "+ref.out+" twice")
				continue
			}
			seen[ref.out] = true
			t.fields = append(t.fields, ref)
		}
	}
	if v, ok := c.get("route.by.field"); ok && v != "" {
		t.routeBy = v
	}
	return t
}

func parseFieldRef(prefix, f string) (fieldRef, string) {
	name, alias, hasAlias := strings.Cut(f, ":")
	if hasAlias && (alias == "" || strings.Contains(alias, ":")) {
		return fieldRef{}, `want "field" or "field:new_name"`
	}
	parts := strings.Split(name, ".")
	var ref fieldRef
	switch {
	case len(parts) == 1 && parts[0] != "":
		ref.field = parts[0]
		switch ref.field {
		case "op", "ts_ms":
		case "id", "total_order", "data_collection_order":
			ref.struct_ = "transaction"
		default:
			ref.struct_ = "source"
		}
		ref.out = prefix + ref.field
	case len(parts) == 2 && parts[0] != "" && parts[1] != "":
		ref.struct_, ref.field = parts[0], parts[1]
		ref.out = prefix + parts[0] + "_" + parts[1]
	default:
		return fieldRef{}, `want a field name, "struct.field" (e.g. source.ts_ms) or either with ":new_name"`
	}
	if hasAlias {
		ref.out = prefix + alias
	}
	return ref, ""
}

// Apply implements Transform.
func (t *extractNewRecordState) Apply(r connect.Record) (connect.Record, bool, error) {
	if r.Value == nil {
		return r, !t.dropTombstones, nil
	}
	switch v := r.Value.(type) {
	case *connect.StructValue:
		return t.applyStruct(r, v)
	case map[string]any:
		return t.applyMap(r, v)
	}
	return r, true, nil
}

// unwrapPlan is the output shape for one envelope schema, built once.
type unwrapPlan struct {
	envelope      bool
	before, after int
	rowSchema     *connect.Schema
	out           *connect.Schema // rowSchema plus added fields (and __deleted)
	fields        []fieldRef      // the add.fields present in this envelope
	err           error
}

func (t *extractNewRecordState) plan(s *connect.Schema) *unwrapPlan {
	return t.plans.get(s, t.buildPlan)
}

func (t *extractNewRecordState) buildPlan(s *connect.Schema) *unwrapPlan {
	p := &unwrapPlan{}
	if s == nil || s.Type != connect.Struct || !strings.HasSuffix(s.Name, ".Envelope") {
		return p
	}
	p.envelope = true
	after, before := s.Field("after"), s.Field("before")
	if after == nil || before == nil {
		p.err = fmt.Errorf("envelope %q lacks a before or after field", s.Name)
		return p
	}
	p.after, p.before = after.Index, before.Index
	p.rowSchema = after.Schema
	if p.rowSchema == nil || p.rowSchema.Type != connect.Struct {
		p.err = fmt.Errorf("envelope %q: after is not a struct", s.Name)
		return p
	}
	p.out = p.rowSchema
	if t.mode != deleteRewrite && len(t.fields) == 0 {
		return p
	}
	fields := append([]connect.Field(nil), p.rowSchema.Fields...)
	names := map[string]bool{}
	for _, f := range fields {
		names[f.Name] = true
	}
	add := func(name string, fs *connect.Schema) {
		if names[name] {
			p.err = fmt.Errorf("added field %q clashes with a row field", name)
		}
		names[name] = true
		fields = append(fields, connect.Field{Name: name, Schema: fs})
	}
	for _, ref := range t.fields {
		fs, err := refSchema(s, ref)
		if err != nil {
			p.err = err
			return p
		}
		if fs == nil {
			continue // Debezium skips fields the envelope does not have
		}
		add(ref.out, fs)
		p.fields = append(p.fields, ref)
	}
	if t.mode == deleteRewrite {
		add(deletedField, connect.Primitive(connect.String).Optionally())
	}
	p.out = copyStructSchema(p.rowSchema, fields)
	return p
}

// refSchema finds an added field's schema, optional and without default
// (Debezium: copySchemaBasics(...).optional()); nil when absent.
func refSchema(env *connect.Schema, ref fieldRef) (*connect.Schema, error) {
	var f *connect.Field
	if ref.struct_ != "" {
		st := env.Field(ref.struct_)
		if st == nil || st.Schema == nil || st.Schema.Type != connect.Struct {
			return nil, fmt.Errorf("add.fields %s: envelope %q has no struct %q", ref.field, env.Name, ref.struct_)
		}
		f = st.Schema.Field(ref.field)
	}
	if f == nil {
		f = env.Field(ref.field) // Debezium falls back to the envelope itself
	}
	if f == nil || f.Schema == nil {
		return nil, nil
	}
	c := *f.Schema
	c.Optional = true
	c.Default = nil
	return &c, nil
}

func (t *extractNewRecordState) applyStruct(r connect.Record, env *connect.StructValue) (connect.Record, bool, error) {
	p := t.plan(env.Schema)
	if !p.envelope {
		return r, true, nil
	}
	if p.err != nil {
		return r, false, p.err
	}
	if len(env.Values) != len(env.Schema.Fields) {
		return r, false, fmt.Errorf("envelope struct has %d values, schema has %d fields", len(env.Values), len(env.Schema.Fields))
	}
	after, _ := env.Values[p.after].(*connect.StructValue)
	before, _ := env.Values[p.before].(*connect.StructValue)
	row, deleted := after, false
	switch {
	case after != nil:
	case before == nil:
		return r, false, nil // truncate
	default:
		var err error
		if r, err = t.route(r, before); err != nil {
			return r, false, err
		}
		switch t.mode {
		case deleteDrop:
			return r, false, nil
		case deleteNone:
			r.ValueSchema, r.Value = p.rowSchema, nil
			return r, true, nil
		}
		row, deleted = before, true
	}
	if len(row.Values) != len(p.rowSchema.Fields) {
		return r, false, fmt.Errorf("row struct has %d values, schema has %d fields", len(row.Values), len(p.rowSchema.Fields))
	}
	if !deleted {
		var err error
		if r, err = t.route(r, row); err != nil {
			return r, false, err
		}
	}
	if p.out == p.rowSchema {
		r.ValueSchema, r.Value = p.rowSchema, row
		return r, true, nil
	}
	out := connect.NewStruct(p.out)
	i := copy(out.Values, row.Values)
	for _, ref := range p.fields {
		out.Values[i] = structRef(env, ref)
		i++
	}
	if t.mode == deleteRewrite {
		out.Values[i] = fmt.Sprint(deleted)
	}
	r.ValueSchema, r.Value = p.out, out
	return r, true, nil
}

func structRef(env *connect.StructValue, ref fieldRef) any {
	if ref.struct_ != "" {
		sv, _ := env.Get(ref.struct_)
		st, ok := sv.(*connect.StructValue)
		if !ok || st == nil {
			return nil // e.g. no transaction block during snapshots
		}
		if v, ok := st.Get(ref.field); ok {
			return v
		}
	}
	v, _ := env.Get(ref.field)
	return v
}

func (t *extractNewRecordState) applyMap(r connect.Record, env map[string]any) (connect.Record, bool, error) {
	_, hasOp := env["op"]
	afterV, hasAfter := env["after"]
	beforeV, hasBefore := env["before"]
	if !hasOp || (!hasAfter && !hasBefore) {
		return r, true, nil
	}
	asRow := func(v any, name string) (map[string]any, error) {
		if v == nil {
			return nil, nil
		}
		m, ok := v.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%s is %T, want a JSON object", name, v)
		}
		return m, nil
	}
	after, err := asRow(afterV, "after")
	if err != nil {
		return r, false, err
	}
	before, err := asRow(beforeV, "before")
	if err != nil {
		return r, false, err
	}
	row, deleted := after, false
	switch {
	case after != nil:
	case before == nil:
		return r, false, nil // truncate
	default:
		if r, err = t.route(r, before); err != nil {
			return r, false, err
		}
		switch t.mode {
		case deleteDrop:
			return r, false, nil
		case deleteNone:
			r.ValueSchema, r.Value = nil, nil
			return r, true, nil
		}
		row, deleted = before, true
	}
	if !deleted {
		if r, err = t.route(r, row); err != nil {
			return r, false, err
		}
	}
	if t.mode != deleteRewrite && len(t.fields) == 0 {
		r.ValueSchema, r.Value = nil, row
		return r, true, nil
	}
	out := make(map[string]any, len(row)+len(t.fields)+1)
	for k, v := range row {
		out[k] = v
	}
	add := func(name string, v any) error {
		if _, clash := row[name]; clash {
			return fmt.Errorf("added field %q clashes with a row field", name)
		}
		out[name] = v
		return nil
	}
	for _, ref := range t.fields {
		var (
			v     any
			found bool
		)
		if ref.struct_ != "" {
			if st, ok := env[ref.struct_].(map[string]any); ok {
				v, found = st[ref.field]
			}
		}
		if !found {
			v, found = env[ref.field]
		}
		if !found {
			continue
		}
		if err := add(ref.out, v); err != nil {
			return r, false, err
		}
	}
	if t.mode == deleteRewrite {
		if err := add(deletedField, fmt.Sprint(deleted)); err != nil {
			return r, false, err
		}
	}
	r.ValueSchema, r.Value = nil, out
	return r, true, nil
}

// route applies route.by.field: the topic becomes the row's field value; a
// null or missing value keeps the topic, as in Debezium.
func (t *extractNewRecordState) route(r connect.Record, row any) (connect.Record, error) {
	if t.routeBy == "" {
		return r, nil
	}
	var v any
	switch x := row.(type) {
	case *connect.StructValue:
		f := x.Schema.Field(t.routeBy)
		if f == nil {
			return r, fmt.Errorf("route.by.field: row has no field %q", t.routeBy)
		}
		v = x.Values[f.Index]
	case map[string]any:
		v = x[t.routeBy]
	}
	switch s := v.(type) {
	case nil:
		return r, nil
	case string:
		if s != "" {
			r.Topic = s
		}
		return r, nil
	}
	return r, fmt.Errorf("route.by.field: row field %q is %T, want a string topic name", t.routeBy, v)
}
