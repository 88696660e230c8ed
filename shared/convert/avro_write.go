package convert

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/twmb/avro"

	"github.com/serverless-kafka-connect/slkc/shared/connect"
)

// The Avro schema properties and names Confluent's AvroData uses to carry
// what Avro cannot say (io.confluent.connect.avro.AvroData).
const (
	avroNamespace          = "io.confluent.connect.avro"
	avroDefaultName        = "ConnectDefault"
	avroMapEntryName       = "MapEntry"
	avroUnionName          = avroNamespace + ".Union"
	avroPropConnectName    = "connect.name"
	avroPropConnectDoc     = "connect.doc"
	avroPropConnectVersion = "connect.version"
	avroPropConnectDefault = "connect.default"
	avroPropConnectParams  = "connect.parameters"
	avroPropConnectType    = "connect.type"
	avroPropInternalType   = "connect.internal.type"
	avroPropLogicalType    = "logicalType"
	avroFieldDefaultFlag   = avroNamespace + ".field.default"
	avroRecordDocParam     = avroNamespace + ".record.doc"
	avroFieldDocPrefix     = avroNamespace + ".field.doc."
	avroFixedSizeParam     = "connect.fixed.size"
	avroEnumParam          = avroNamespace + ".Enum"
	// avroDecimalPrecisionDefault is the precision AvroData writes when a
	// Decimal schema has no connect.decimal.precision parameter, and the
	// one it leaves out of the parameters when reading.
	avroDecimalPrecisionDefault = 64
)

// jkv and jobj are a JSON object that keeps its keys in insertion order, so
// generated schemas read like the ones Java's Avro library prints.
type jkv struct {
	k string
	v any
}

type jobj []jkv

func (o jobj) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, kv := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(kv.k)
		b.Write(k)
		b.WriteByte(':')
		v, err := json.Marshal(kv.v)
		if err != nil {
			return nil, err
		}
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// wnode is one Connect schema compiled for writing: the Avro shape it
// became and what encoding a value needs.
type wnode struct {
	conn *connect.Schema
	// kind is the Avro type of the non-null part; tag is its union branch
	// name (the full name for records).
	kind, tag string
	// union is set when the Avro schema is ["null", T] or [T, "null"].
	union    bool
	fields   []*wnode // record
	items    *wnode   // array (or the MapEntry record for mapEntry)
	values   *wnode   // map
	mapEntry bool     // a Connect map written as an array of MapEntry records
}

// avroWriteSchema is a Connect schema translated to Avro: the text to
// register and the codec that writes values under it.
type avroWriteSchema struct {
	text  string
	codec *avro.Schema
	root  *wnode
	// name is the record's full name (RecordNameStrategy), or the Avro
	// type name for a non-record schema.
	name string
}

// avroGen translates one Connect schema; it numbers unnamed structs
// (ConnectDefault, ConnectDefault2, ...) and remembers named records so a
// second use refers to the first definition, as Avro requires.
type avroGen struct {
	nameIndex int
	defined   map[string]*connect.Schema
	named     map[string]*wnode
}

// newAvroWriteSchema translates s the way Confluent's AvroData.fromConnectSchema
// does with its defaults (connect.meta.data=true, enhanced support off).
func newAvroWriteSchema(s *connect.Schema) (*avroWriteSchema, error) {
	if s == nil {
		return nil, errors.New("AvroConverter needs a schema; schemaless values are not supported")
	}
	g := &avroGen{defined: map[string]*connect.Schema{}, named: map[string]*wnode{}}
	js, root, err := g.schema(s, false)
	if err != nil {
		return nil, err
	}
	text, err := json.Marshal(js)
	if err != nil {
		return nil, err
	}
	codec, err := avroCodec(text)
	if err != nil {
		return nil, fmt.Errorf("generated Avro schema is invalid: %w", err)
	}
	return &avroWriteSchema{text: string(text), codec: codec, root: root, name: root.tag}, nil
}

// avroCodec parses an Avro schema for binary encoding with its logical
// type annotations removed: the converter maps logical values itself (as
// AvroData does), so the codec only sees the underlying types.
func avroCodec(text []byte) (*avro.Schema, error) {
	var tree any
	d := json.NewDecoder(bytes.NewReader(text))
	d.UseNumber()
	if err := d.Decode(&tree); err != nil {
		return nil, err
	}
	plain, err := json.Marshal(stripLogical(tree))
	if err != nil {
		return nil, err
	}
	return avro.Parse(string(plain))
}

// stripLogical removes logicalType from every type object of an Avro
// schema tree, leaving defaults and other properties alone.
func stripLogical(n any) any {
	switch x := n.(type) {
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = stripLogical(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, v := range x {
			switch k {
			case avroPropLogicalType:
				continue
			case "type", "items", "values", "fields":
				out[k] = stripLogical(v)
			default:
				out[k] = v
			}
		}
		return out
	}
	return n
}

// splitAvroName splits a Connect schema name at its last dot into Avro
// namespace and name.
func splitAvroName(full string) (ns, name string) {
	if i := strings.LastIndexByte(full, '.'); i >= 0 {
		return full[:i], full[i+1:]
	}
	return "", full
}

func (g *avroGen) defaultName() (string, string) {
	g.nameIndex++
	if g.nameIndex > 1 {
		return avroNamespace, avroDefaultName + strconv.Itoa(g.nameIndex)
	}
	return avroNamespace, avroDefaultName
}

// schema returns the Avro JSON for s and its write node. ignoreOptional
// leaves the null union off (for the members of a Connect Union struct).
func (g *avroGen) schema(s *connect.Schema, ignoreOptional bool) (any, *wnode, error) {
	n := &wnode{conn: s}
	var base jobj
	var connectType string
	switch s.Type {
	case connect.Int8, connect.Int16, connect.Int32:
		n.kind = "int"
		if s.Type != connect.Int32 {
			connectType = string(s.Type)
		}
	case connect.Int64:
		n.kind = "long"
	case connect.Float32:
		n.kind = "float"
	case connect.Float64:
		n.kind = "double"
	case connect.Boolean:
		n.kind = "boolean"
	case connect.String:
		n.kind = "string"
	case connect.Bytes:
		n.kind = "bytes"
	case connect.Array:
		if s.Items == nil {
			return nil, nil, errors.New("array schema without an items schema")
		}
		items, in, err := g.schema(s.Items, false)
		if err != nil {
			return nil, nil, inIndex(err, "items")
		}
		n.kind, n.items = "array", in
		base = jobj{{"type", "array"}, {"items", items}}
	case connect.Map:
		if s.Keys == nil || s.Values == nil {
			return nil, nil, errors.New("map schema without key and value schemas")
		}
		if s.Keys.Type == connect.String && !s.Keys.Optional {
			values, vn, err := g.schema(s.Values, false)
			if err != nil {
				return nil, nil, inIndex(err, "values")
			}
			n.kind, n.values = "map", vn
			base = jobj{{"type", "map"}, {"values", values}}
			break
		}
		ns, name := avroNamespace, avroMapEntryName
		if s.Name != "" {
			ns, name = splitAvroName(s.Name)
		}
		entry := connect.NewStructSchema("", connect.Field{Name: "key", Schema: s.Keys}, connect.Field{Name: "value", Schema: s.Values})
		rec, en, err := g.record(entry, ns, name)
		if err != nil {
			return nil, nil, err
		}
		if s.Name != "" {
			rec = append(rec, jkv{avroPropInternalType, avroMapEntryName})
		}
		n.kind, n.items, n.mapEntry = "array", en, true
		base = jobj{{"type", "array"}, {"items", rec}}
	case connect.Struct:
		if s.Name == avroUnionName {
			return g.union(s)
		}
		if s.Optional {
			inner := *s
			inner.Optional = false
			rec, rn, err := g.schema(&inner, false)
			if err != nil {
				return nil, nil, err
			}
			opt := *rn // rn may be a named record used elsewhere
			opt.union, opt.conn = true, s
			return []any{"null", rec}, &opt, nil
		}
		var ns, name string
		if s.Name != "" {
			ns, name = splitAvroName(s.Name)
			full := s.Name
			if prev, ok := g.defined[full]; ok {
				if !sameStruct(prev, s) {
					return nil, nil, fmt.Errorf("two different struct schemas are both named %q; Avro cannot hold both in one schema", full)
				}
				return full, g.named[full], nil
			}
		} else {
			ns, name = g.defaultName()
		}
		rec, rn, err := g.record(s, ns, name)
		if err != nil {
			return nil, nil, err
		}
		n = rn
		base = rec
	default:
		return nil, nil, fmt.Errorf("unknown schema type %q", s.Type)
	}
	if base == nil {
		base = jobj{{"type", n.kind}}
	}
	if n.tag == "" {
		n.tag = n.kind
	}
	// Connect's metadata, in AvroData's order.
	if s.Doc != "" {
		base = append(base, jkv{avroPropConnectDoc, s.Doc})
	}
	if s.Version != 0 {
		base = append(base, jkv{avroPropConnectVersion, s.Version})
	}
	if len(s.Parameters) > 0 {
		base = append(base, jkv{avroPropConnectParams, paramsObject(s.Parameters)})
	}
	if s.Default != nil && s.Parameters[avroFieldDefaultFlag] == "" {
		d, err := avroDefault(s, s.Default)
		if err != nil {
			return nil, nil, fmt.Errorf("default value: %w", err)
		}
		base = append(base, jkv{avroPropConnectDefault, d})
	}
	if s.Name != "" {
		base = append(base, jkv{avroPropConnectName, s.Name})
	}
	if connectType != "" {
		base = append(base, jkv{avroPropConnectType, connectType})
	}
	switch s.Name {
	case connect.DecimalName:
		if s.Type == connect.Bytes {
			scale, err := decimalScale(s)
			if err != nil {
				return nil, nil, err
			}
			precision := avroDecimalPrecisionDefault
			if p, ok := s.Parameters[connect.DecimalPrecisionParam]; ok {
				if precision, err = strconv.Atoi(p); err != nil {
					return nil, nil, fmt.Errorf("invalid Decimal schema: %s %q is not an integer", connect.DecimalPrecisionParam, p)
				}
			}
			if scale >= 0 && int(scale) <= precision {
				base = append(base, jkv{avroPropLogicalType, "decimal"}, jkv{"precision", precision}, jkv{"scale", scale})
			} else {
				// Outside the Avro spec: AvroData keeps only the legacy
				// annotation (scale in connect.parameters).
				base = append(base, jkv{avroPropLogicalType, "decimal"})
			}
		}
	case connect.DateName:
		if s.Type == connect.Int32 {
			base = append(base, jkv{avroPropLogicalType, "date"})
		}
	case connect.TimeName:
		if s.Type == connect.Int32 {
			base = append(base, jkv{avroPropLogicalType, "time-millis"})
		}
	case connect.TimestampName:
		if s.Type == connect.Int64 {
			base = append(base, jkv{avroPropLogicalType, "timestamp-millis"})
		}
	}
	for _, k := range slices.Sorted(maps.Keys(s.Parameters)) {
		if strings.HasPrefix(k, "avro") {
			base = append(base, jkv{k, s.Parameters[k]})
		}
	}
	var out any = base
	if len(base) == 1 {
		out = base[0].v // a bare primitive: "string"
	}
	if s.Optional && !ignoreOptional {
		n.union = true
		if s.Default != nil {
			return []any{out, "null"}, n, nil
		}
		return []any{"null", out}, n, nil
	}
	return out, n, nil
}

// record writes a required struct as an Avro record named ns.name.
func (g *avroGen) record(s *connect.Schema, ns, name string) (jobj, *wnode, error) {
	full := name
	if ns != "" {
		full = ns + "." + name
	}
	n := &wnode{conn: s, kind: "record", tag: full}
	g.defined[full] = s
	g.named[full] = n
	rec := jobj{{"type", "record"}, {"name", name}}
	if ns != "" {
		rec = append(rec, jkv{"namespace", ns})
	}
	if doc := s.Parameters[avroRecordDocParam]; doc != "" {
		rec = append(rec, jkv{"doc", doc})
	}
	fields := make([]any, 0, len(s.Fields))
	for _, f := range s.Fields {
		if f.Schema == nil {
			return nil, nil, inField(errors.New("field has no schema"), f.Name)
		}
		ft, fn, err := g.schema(f.Schema, false)
		if err != nil {
			return nil, nil, inField(err, f.Name)
		}
		field := jobj{{"name", f.Name}, {"type", ft}}
		if doc := s.Parameters[avroFieldDocPrefix+f.Name]; doc != "" {
			field = append(field, jkv{"doc", doc})
		}
		switch {
		case f.Schema.Default != nil && !(f.Schema.Optional && f.Schema.Type == connect.Struct):
			d, err := avroDefault(f.Schema, f.Schema.Default)
			if err != nil {
				return nil, nil, inField(fmt.Errorf("default value: %w", err), f.Name)
			}
			field = append(field, jkv{"default", d})
		case f.Schema.Optional && f.Schema.Default == nil:
			field = append(field, jkv{"default", nil})
		}
		fields = append(fields, field)
		n.fields = append(n.fields, fn)
	}
	rec = append(rec, jkv{"fields", fields})
	return rec, n, nil
}

// union writes Confluent's io.confluent.connect.avro.Union struct as an
// Avro union of its fields' schemas.
func (g *avroGen) union(s *connect.Schema) (any, *wnode, error) {
	n := &wnode{conn: s, kind: "union"}
	var types []any
	if s.Optional {
		types = append(types, "null")
	}
	for _, f := range s.Fields {
		inner := *f.Schema
		inner.Optional = false
		t, fn, err := g.schema(&inner, true)
		if err != nil {
			return nil, nil, inField(err, f.Name)
		}
		types = append(types, t)
		n.fields = append(n.fields, fn)
	}
	return types, n, nil
}

// sameStruct reports whether two struct schemas with one name have the same
// field names and types, so one Avro definition serves both.
func sameStruct(a, b *connect.Schema) bool {
	if a == b {
		return true
	}
	if len(a.Fields) != len(b.Fields) {
		return false
	}
	for i := range a.Fields {
		fa, fb := a.Fields[i].Schema, b.Fields[i].Schema
		if a.Fields[i].Name != b.Fields[i].Name || fa.Type != fb.Type || fa.Optional != fb.Optional || fa.Name != fb.Name {
			return false
		}
	}
	return true
}

// paramsObject writes Connect parameters with "scale" first (as a Decimal
// schema built by Kafka's Decimal.builder has it) and the rest sorted.
func paramsObject(p map[string]string) jobj {
	o := make(jobj, 0, len(p))
	if v, ok := p[connect.DecimalScaleParam]; ok {
		o = append(o, jkv{connect.DecimalScaleParam, v})
	}
	for _, k := range slices.Sorted(maps.Keys(p)) {
		if k != connect.DecimalScaleParam {
			o = append(o, jkv{k, p[k]})
		}
	}
	return o
}

// avroDefault renders a Connect default value as JSON, bytes as
// ISO-8859-1 text as Avro's schema JSON has them.
func avroDefault(s *connect.Schema, v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	raw, err := avroLogicalRaw(s, v)
	if err != nil {
		return nil, err
	}
	switch s.Type {
	case connect.Int8, connect.Int16, connect.Int32, connect.Int64:
		lo, hi := intRanges[s.Type][0], intRanges[s.Type][1]
		return toInt(raw, lo, hi)
	case connect.Float32:
		return toFloat(raw, 32)
	case connect.Float64:
		return toFloat(raw, 64)
	case connect.Boolean:
		b, ok := raw.(bool)
		if !ok {
			return nil, fmt.Errorf("got Go type %T, want bool", raw)
		}
		return b, nil
	case connect.String:
		x, ok := raw.(string)
		if !ok {
			return nil, fmt.Errorf("got Go type %T, want string", raw)
		}
		return x, nil
	case connect.Bytes:
		x, ok := raw.([]byte)
		if !ok {
			return nil, fmt.Errorf("got Go type %T, want []byte", raw)
		}
		r := make([]rune, len(x))
		for i, c := range x {
			r[i] = rune(c)
		}
		return string(r), nil
	case connect.Array:
		items, ok := raw.([]any)
		if !ok {
			return nil, fmt.Errorf("got Go type %T, want []any", raw)
		}
		out := make([]any, len(items))
		for i, e := range items {
			if out[i], err = avroDefault(s.Items, e); err != nil {
				return nil, err
			}
		}
		return out, nil
	case connect.Map:
		entries, err := mapEntries(raw)
		if err != nil {
			return nil, err
		}
		if s.Keys.Type == connect.String && !s.Keys.Optional {
			o := jobj{}
			for _, e := range entries {
				val, err := avroDefault(s.Values, e.Value)
				if err != nil {
					return nil, err
				}
				o = append(o, jkv{fmt.Sprint(e.Key), val})
			}
			return o, nil
		}
		out := make([]any, 0, len(entries))
		for _, e := range entries {
			k, err := avroDefault(s.Keys, e.Key)
			if err != nil {
				return nil, err
			}
			val, err := avroDefault(s.Values, e.Value)
			if err != nil {
				return nil, err
			}
			out = append(out, []any{k, val})
		}
		return out, nil
	case connect.Struct:
		sv, ok := raw.(*connect.StructValue)
		if !ok || sv == nil {
			return nil, fmt.Errorf("got Go type %T, want *connect.StructValue", raw)
		}
		o := jobj{}
		for i, f := range s.Fields {
			val, err := avroDefault(f.Schema, sv.Values[i])
			if err != nil {
				return nil, err
			}
			o = append(o, jkv{f.Name, val})
		}
		return o, nil
	}
	return nil, fmt.Errorf("unknown schema type %q", s.Type)
}

// mapEntries accepts the map value shapes FromConnect accepts.
func mapEntries(v any) ([]connect.MapEntry, error) {
	switch x := v.(type) {
	case []connect.MapEntry:
		return x, nil
	case map[string]any:
		out := make([]connect.MapEntry, 0, len(x))
		for _, k := range slices.Sorted(maps.Keys(x)) {
			out = append(out, connect.MapEntry{Key: k, Value: x[k]})
		}
		return out, nil
	}
	return nil, fmt.Errorf("got Go type %T, want []connect.MapEntry", v)
}

// avroLogicalRaw turns a logical value (Decimal, Date, Time, Timestamp)
// into its underlying Connect value (bytes, int32 days, int32 millis, int64
// millis), as Kafka's Decimal/Date/Time/Timestamp.fromLogical do; other
// values pass through.
func avroLogicalRaw(s *connect.Schema, v any) (any, error) {
	switch s.Name {
	case connect.DecimalName:
		if s.Type != connect.Bytes {
			return v, nil
		}
		if b, ok := v.([]byte); ok {
			return b, nil
		}
		scale, err := decimalScale(s)
		if err != nil {
			return nil, err
		}
		u, err := toDecimal(v, scale)
		if err != nil {
			return nil, fmt.Errorf("Decimal: %w", err)
		}
		return appendTwosComplement(nil, u), nil
	case connect.DateName:
		if s.Type != connect.Int32 {
			return v, nil
		}
		days, err := logicalDays(v)
		return int32(days), err
	case connect.TimeName:
		if s.Type != connect.Int32 {
			return v, nil
		}
		ms, err := logicalTimeMillis(v)
		return int32(ms), err
	case connect.TimestampName:
		if s.Type != connect.Int64 {
			return v, nil
		}
		return logicalTimestampMillis(v)
	}
	return v, nil
}

// encode turns a Connect value into the generic value the codec writes:
// records as map[string]any, unions tagged by branch name.
func (n *wnode) encode(v any) (any, error) {
	s := n.conn
	if v == nil {
		// Connect's Struct.get returns a field's default for a null value.
		v = s.Default
	}
	if v == nil {
		if n.union || (n.kind == "union" && s.Optional) {
			return nil, nil
		}
		return nil, &FieldError{Err: fmt.Errorf("null value for required %s field", s.Type)}
	}
	out, err := n.encodeValue(v)
	if err != nil {
		return nil, err
	}
	switch {
	case !n.union:
		return out, nil
	case n.kind == "record" || n.kind == "map" || n.kind == "array":
		// A bare map could be read as a tagged union; name the branch.
		return map[string]any{n.tag: out}, nil
	}
	// ["null", primitive]: the Go type (int32, int64, float32, ...)
	// selects the branch, without a map per value.
	return out, nil
}

func (n *wnode) encodeValue(v any) (any, error) {
	s := n.conn
	raw, err := avroLogicalRaw(s, v)
	if err != nil {
		return nil, &FieldError{Err: err}
	}
	switch n.kind {
	case "int":
		lo, hi := intRanges[s.Type][0], intRanges[s.Type][1]
		x, err := toInt(raw, lo, hi)
		if err != nil {
			return nil, &FieldError{Err: err}
		}
		return int32(x), nil
	case "long":
		x, err := toInt(raw, math.MinInt64, math.MaxInt64)
		if err != nil {
			return nil, &FieldError{Err: err}
		}
		return x, nil
	case "float":
		x, err := toFloat(raw, 32)
		if err != nil {
			return nil, &FieldError{Err: err}
		}
		return float32(x), nil
	case "double":
		x, err := toFloat(raw, 64)
		if err != nil {
			return nil, &FieldError{Err: err}
		}
		return x, nil
	case "boolean":
		if b, ok := raw.(bool); ok {
			return b, nil
		}
	case "string":
		if x, ok := raw.(string); ok {
			return x, nil
		}
	case "bytes":
		if x, ok := raw.([]byte); ok {
			return x, nil
		}
	case "array":
		if n.mapEntry {
			entries, err := mapEntries(raw)
			if err != nil {
				return nil, &FieldError{Err: err}
			}
			out := make([]any, len(entries))
			for i, e := range entries {
				k, err := n.items.fields[0].encode(e.Key)
				if err != nil {
					return nil, inIndex(err, strconv.Itoa(i))
				}
				val, err := n.items.fields[1].encode(e.Value)
				if err != nil {
					return nil, inIndex(err, strconv.Itoa(i))
				}
				out[i] = map[string]any{"key": k, "value": val}
			}
			return out, nil
		}
		var items []any
		switch x := raw.(type) {
		case []any:
			items = x
		case []string:
			items = make([]any, len(x))
			for i, e := range x {
				items[i] = e
			}
		default:
			return nil, &FieldError{Err: fmt.Errorf("got Go type %T, want []any", raw)}
		}
		out := make([]any, len(items))
		for i, e := range items {
			if out[i], err = n.items.encode(e); err != nil {
				return nil, inIndex(err, strconv.Itoa(i))
			}
		}
		return out, nil
	case "map":
		entries, err := mapEntries(raw)
		if err != nil {
			return nil, &FieldError{Err: err}
		}
		out := make(map[string]any, len(entries))
		for _, e := range entries {
			k, ok := e.Key.(string)
			if !ok {
				return nil, &FieldError{Err: fmt.Errorf("map key: got Go type %T, want string", e.Key)}
			}
			if out[k], err = n.values.encode(e.Value); err != nil {
				return nil, inIndex(err, strconv.Quote(k))
			}
		}
		return out, nil
	case "record":
		sv, err := structOf(s, raw)
		if err != nil {
			return nil, err
		}
		out := make(map[string]any, len(n.fields))
		for i, f := range n.fields {
			if out[s.Fields[i].Name], err = f.encode(sv.Values[i]); err != nil {
				return nil, inField(err, s.Fields[i].Name)
			}
		}
		return out, nil
	case "union":
		sv, err := structOf(s, raw)
		if err != nil {
			return nil, err
		}
		for i, f := range n.fields {
			if sv.Values[i] == nil {
				continue
			}
			x, err := f.encodeValue(sv.Values[i])
			if err != nil {
				return nil, inField(err, s.Fields[i].Name)
			}
			return map[string]any{f.tag: x}, nil
		}
		if s.Optional {
			return nil, nil
		}
		return nil, &FieldError{Err: errors.New("Union struct has no field set")}
	}
	return nil, &FieldError{Err: fmt.Errorf("got Go type %T for a %s schema", raw, s.Type)}
}

// structOf checks a struct value against its schema.
func structOf(s *connect.Schema, v any) (*connect.StructValue, error) {
	var sv *connect.StructValue
	switch x := v.(type) {
	case *connect.StructValue:
		sv = x
	case connect.StructValue:
		sv = &x
	}
	if sv == nil {
		return nil, &FieldError{Err: fmt.Errorf("got Go type %T, want *connect.StructValue", v)}
	}
	if len(sv.Values) != len(s.Fields) {
		return nil, &FieldError{Err: fmt.Errorf("struct has %d values, schema %q has %d fields", len(sv.Values), s.Name, len(s.Fields))}
	}
	return sv, nil
}
