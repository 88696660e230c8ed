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
	"time"

	"github.com/twmb/avro"

	"github.com/serverless-kafka-connect/slkc/shared/connect"
)

// rnode is one Avro schema compiled for reading: the Connect schema it maps
// to and how a decoded value becomes a Connect value.
type rnode struct {
	conn *connect.Schema
	kind string // Avro type
	// fields are a record's fields (or a Union struct's members), items an
	// array's, values a map's.
	fields   []*rnode
	items    *rnode
	values   *rnode
	mapEntry bool // an array of MapEntry records read as a Connect map
	// For unions: tags are the branch names the codec reports, in the
	// order of fields; member is the non-null branch of ["null", T].
	tags   []string
	member *rnode
}

// avroReadSchema is a registry schema compiled for reading.
type avroReadSchema struct {
	codec *avro.Schema
	root  *rnode
}

// avroReader translates one Avro schema; defs holds the named types seen
// so far (by full name) so references resolve, visiting guards recursion.
type avroReader struct {
	defs     map[string]avroDef
	visiting map[string]bool
}

type avroDef struct {
	obj map[string]any
	ns  string
}

// newAvroReadSchema parses an Avro schema and maps it to Connect the way
// Confluent's AvroData.toConnectSchema does with its defaults. refs are the
// schemas it references (schema references), dependencies first; their
// named types are known to text.
func newAvroReadSchema(text string, refs ...string) (*avroReadSchema, error) {
	r := &avroReader{defs: map[string]avroDef{}, visiting: map[string]bool{}}
	var cache avro.SchemaCache
	var root *rnode
	for i, t := range append(refs, text) {
		tree, err := decodeSchemaJSON(t)
		if err != nil {
			return nil, fmt.Errorf("invalid Avro schema JSON: %w", err)
		}
		plain, err := json.Marshal(stripLogical(tree))
		if err != nil {
			return nil, err
		}
		codec, err := cache.Parse(string(plain))
		if err != nil {
			return nil, fmt.Errorf("invalid Avro schema: %w", err)
		}
		n, err := r.node(tree, "", false, nil, false)
		if err != nil {
			return nil, err
		}
		if i == len(refs) {
			root = n
			return &avroReadSchema{codec: codec, root: root}, nil
		}
	}
	return nil, errors.New("unreachable")
}

func decodeSchemaJSON(text string) (any, error) {
	var tree any
	d := json.NewDecoder(strings.NewReader(text))
	d.UseNumber()
	err := d.Decode(&tree)
	return tree, err
}

var avroPrimitives = map[string]bool{"null": true, "boolean": true, "int": true, "long": true,
	"float": true, "double": true, "bytes": true, "string": true}

func fullName(name, ns string) string {
	if strings.Contains(name, ".") || ns == "" {
		return name
	}
	return ns + "." + name
}

// node maps one Avro schema. forceOptional makes the Connect schema
// optional (union members); fieldDefault, when hasDefault, is the
// enclosing record field's default.
func (r *avroReader) node(t any, ns string, forceOptional bool, fieldDefault any, hasDefault bool) (*rnode, error) {
	switch x := t.(type) {
	case string:
		if avroPrimitives[x] {
			return r.node(map[string]any{"type": x}, ns, forceOptional, fieldDefault, hasDefault)
		}
		full := fullName(x, ns)
		def, ok := r.defs[full]
		if !ok {
			if def, ok = r.defs[x]; !ok {
				return nil, fmt.Errorf("Avro schema refers to unknown type %q", x)
			}
			full = x
		}
		if r.visiting[full] {
			return nil, fmt.Errorf("recursive Avro type %q is not supported", full)
		}
		return r.node(def.obj, def.ns, forceOptional, fieldDefault, hasDefault)
	case []any:
		return r.union(x, ns, forceOptional)
	case map[string]any:
		return r.complex(x, ns, forceOptional, fieldDefault, hasDefault)
	}
	return nil, fmt.Errorf("invalid Avro schema element %v", t)
}

func (r *avroReader) union(types []any, ns string, forceOptional bool) (*rnode, error) {
	if len(types) == 1 {
		return r.node(types[0], ns, forceOptional, nil, false)
	}
	if len(types) == 2 {
		for i, t := range types {
			if t == "null" {
				m, err := r.node(types[1-i], ns, true, nil, false)
				if err != nil {
					return nil, err
				}
				return &rnode{conn: m.conn, kind: "optional", member: m, tags: []string{avroTag(types[1-i], ns)}}, nil
			}
		}
	}
	n := &rnode{kind: "union"}
	s := &connect.Schema{Type: connect.Struct, Name: avroUnionName, Optional: forceOptional}
	seen := map[string]bool{}
	for _, t := range types {
		if t == "null" {
			s.Optional = true
			continue
		}
		m, err := r.node(t, ns, true, nil, false)
		if err != nil {
			return nil, err
		}
		name := avroTag(t, ns)
		if m.kind == "record" || m.kind == "enum" || m.kind == "fixed" {
			_, name = splitAvroName(name)
		}
		if seen[name] {
			return nil, fmt.Errorf("Avro union has two members that map to the Connect union field %q", name)
		}
		seen[name] = true
		s.Fields = append(s.Fields, connect.Field{Name: name, Index: len(s.Fields), Schema: m.conn})
		n.fields = append(n.fields, m)
		n.tags = append(n.tags, avroTag(t, ns))
	}
	n.conn = s
	return n, nil
}

// avroTag is the union branch name the codec uses for a member: the full
// name of a named type, else the type name.
func avroTag(t any, ns string) string {
	switch x := t.(type) {
	case string:
		if avroPrimitives[x] {
			return x
		}
		return fullName(x, ns)
	case map[string]any:
		typ, _ := x["type"].(string)
		switch typ {
		case "record", "error", "enum", "fixed":
			name, _ := x["name"].(string)
			if n, ok := x["namespace"].(string); ok && !strings.Contains(name, ".") {
				return fullName(name, n)
			}
			return fullName(name, ns)
		}
		if typ != "" && !avroPrimitives[typ] && typ != "array" && typ != "map" {
			return avroTag(typ, ns)
		}
		return typ
	}
	return ""
}

func (r *avroReader) complex(o map[string]any, ns string, forceOptional bool, fieldDefault any, hasDefault bool) (*rnode, error) {
	typ, ok := o["type"].(string)
	if !ok {
		if inner, isUnion := o["type"].([]any); isUnion {
			return r.union(inner, ns, forceOptional)
		}
		if inner, isObj := o["type"].(map[string]any); isObj {
			return r.complex(inner, ns, forceOptional, fieldDefault, hasDefault)
		}
		return nil, fmt.Errorf("Avro schema object without a type: %v", o)
	}
	logical, _ := o[avroPropLogicalType].(string)
	connectType, _ := o[avroPropConnectType].(string)
	s := &connect.Schema{}
	n := &rnode{kind: typ, conn: s}
	var full string
	switch typ {
	case "boolean":
		s.Type = connect.Boolean
	case "bytes", "fixed":
		s.Type = connect.Bytes
		if strings.EqualFold(logical, "decimal") {
			scale := 0
			if v, ok := o["scale"].(json.Number); ok {
				n, _ := v.Int64()
				scale = int(n)
			}
			s.Name, s.Version = connect.DecimalName, 1
			s.Parameters = map[string]string{connect.DecimalScaleParam: strconv.Itoa(scale)}
			if p, ok := o["precision"]; ok {
				pn, isNum := p.(json.Number)
				if !isNum {
					return nil, errors.New("Avro decimal precision must be a JSON integer")
				}
				if v, _ := pn.Int64(); v != avroDecimalPrecisionDefault {
					s.Parameters[connect.DecimalPrecisionParam] = strconv.FormatInt(v, 10)
				}
			}
		}
		if typ == "fixed" {
			name, _ := o["name"].(string)
			full = fullName(name, nsOf(o, ns))
			r.defs[full] = avroDef{o, nsOf(o, ns)}
			size, _ := o["size"].(json.Number)
			if s.Parameters == nil {
				s.Parameters = map[string]string{}
			}
			s.Parameters[avroFixedSizeParam] = size.String()
		}
	case "double":
		s.Type = connect.Float64
	case "float":
		s.Type = connect.Float32
	case "int":
		switch {
		case strings.EqualFold(logical, "date"):
			s.Type, s.Name, s.Version = connect.Int32, connect.DateName, 1
		case strings.EqualFold(logical, "time-millis"):
			s.Type, s.Name, s.Version = connect.Int32, connect.TimeName, 1
		case logical == "" && connectType != "":
			switch connectType {
			case "int8":
				s.Type = connect.Int8
			case "int16":
				s.Type = connect.Int16
			default:
				return nil, fmt.Errorf("unknown %s %q on an Avro int", avroPropConnectType, connectType)
			}
		default:
			s.Type = connect.Int32
		}
	case "long":
		s.Type = connect.Int64
		if strings.EqualFold(logical, "timestamp-millis") {
			s.Name, s.Version = connect.TimestampName, 1
		}
	case "string":
		s.Type = connect.String
	case "array":
		elem := o["items"]
		if e := r.mapEntryRecord(elem, ns); e != nil {
			key, err := r.node(e.fieldType("key"), e.ns, false, nil, false)
			if err != nil {
				return nil, err
			}
			val, err := r.node(e.fieldType("value"), e.ns, false, nil, false)
			if err != nil {
				return nil, err
			}
			s.Type, s.Keys, s.Values = connect.Map, key.conn, val.conn
			n.mapEntry = true
			n.items = &rnode{kind: "record", fields: []*rnode{key, val}}
			break
		}
		it, err := r.node(elem, ns, false, nil, false)
		if err != nil {
			return nil, err
		}
		s.Type, s.Items, n.items = connect.Array, it.conn, it
	case "map":
		val, err := r.node(o["values"], ns, false, nil, false)
		if err != nil {
			return nil, err
		}
		s.Type, s.Keys, s.Values, n.values = connect.Map, connect.Primitive(connect.String), val.conn, val
	case "record", "error":
		n.kind = "record"
		name, _ := o["name"].(string)
		rns := nsOf(o, ns)
		full = fullName(name, rns)
		r.defs[full] = avroDef{o, rns}
		r.visiting[full] = true
		s.Type = connect.Struct
		if doc, ok := o["doc"].(string); ok {
			setParam(s, avroRecordDocParam, doc)
		}
		fields, _ := o["fields"].([]any)
		for i, f := range fields {
			fo, ok := f.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("record %q: field %d is not an object", full, i)
			}
			fname, _ := fo["name"].(string)
			if doc, ok := fo["doc"].(string); ok {
				setParam(s, avroFieldDocPrefix+fname, doc)
			}
			def, has := fo["default"]
			fn, err := r.node(fo["type"], rns, false, def, has)
			if err != nil {
				return nil, inField(err, fname)
			}
			s.Fields = append(s.Fields, connect.Field{Name: fname, Index: i, Schema: fn.conn})
			n.fields = append(n.fields, fn)
		}
		delete(r.visiting, full)
	case "enum":
		name, _ := o["name"].(string)
		full = fullName(name, nsOf(o, ns))
		r.defs[full] = avroDef{o, nsOf(o, ns)}
		s.Type = connect.String
		if doc, ok := o["doc"].(string); ok {
			setParam(s, "io.confluent.connect.avro.enum.doc."+name, doc)
		}
		if d, ok := o["default"].(string); ok {
			setParam(s, "io.confluent.connect.avro.enum.default."+name, d)
		}
		setParam(s, avroEnumParam, full)
		syms, _ := o["symbols"].([]any)
		for _, sym := range syms {
			str, _ := sym.(string)
			setParam(s, avroEnumParam+"."+str, str)
		}
	case "null":
		return nil, errors.New("standalone null Avro schemas are not supported")
	default:
		if avroPrimitives[typ] {
			return nil, fmt.Errorf("unsupported Avro type %q", typ)
		}
		// {"type": "SomeNamedType"}: a reference.
		return r.node(typ, ns, forceOptional, fieldDefault, hasDefault)
	}
	if doc, ok := o[avroPropConnectDoc].(string); ok {
		s.Doc = doc
	}
	if v, ok := o[avroPropConnectVersion]; ok {
		num, isNum := v.(json.Number)
		if !isNum {
			return nil, fmt.Errorf("invalid %s %v", avroPropConnectVersion, v)
		}
		ver, _ := num.Int64()
		if s.Version != 0 && int(ver) != s.Version {
			return nil, fmt.Errorf("mismatched versions: %d and %s %d", s.Version, avroPropConnectVersion, ver)
		}
		s.Version = int(ver)
	}
	if p, ok := o[avroPropConnectParams]; ok {
		pm, isObj := p.(map[string]any)
		if !isObj {
			return nil, fmt.Errorf("expected a JSON object for %s, found %v", avroPropConnectParams, p)
		}
		for _, k := range slices.Sorted(maps.Keys(pm)) {
			str, isStr := pm[k].(string)
			if !isStr {
				return nil, fmt.Errorf("expected string values in %s, found %v", avroPropConnectParams, pm[k])
			}
			setParam(s, k, str)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(o)) {
		if strings.HasPrefix(k, "avro") {
			setParam(s, k, fmt.Sprint(o[k]))
		}
	}
	connectDefault, hasConnectDefault := o[avroPropConnectDefault]
	if !hasDefault {
		fieldDefault, hasDefault = connectDefault, hasConnectDefault
	} else if !hasConnectDefault {
		setParam(s, avroFieldDefaultFlag, "true")
	}
	if hasDefault && fieldDefault != nil {
		// AvroData ignores a default it cannot convert.
		if d, err := avroDefaultToConnect(n, s, fieldDefault); err == nil {
			s.Default = d
		}
	}
	name := full
	if cn, ok := o[avroPropConnectName]; ok {
		str, isStr := cn.(string)
		if !isStr {
			return nil, fmt.Errorf("invalid %s %v", avroPropConnectName, cn)
		}
		name = str
	}
	if name != "" && !strings.HasPrefix(name, avroNamespace+"."+avroDefaultName) {
		if s.Name != "" && s.Name != name {
			return nil, fmt.Errorf("mismatched names: %q and %s %q", s.Name, avroPropConnectName, name)
		}
		s.Name = name
	}
	s.Optional = forceOptional
	n.conn = s
	return n, nil
}

func nsOf(o map[string]any, enclosing string) string {
	name, _ := o["name"].(string)
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		return name[:i]
	}
	if ns, ok := o["namespace"].(string); ok {
		return ns
	}
	return enclosing
}

func setParam(s *connect.Schema, k, v string) {
	if s.Parameters == nil {
		s.Parameters = map[string]string{}
	}
	s.Parameters[k] = v
}

// mapEntryDef is an array element record that encodes a Connect map.
type mapEntryDef struct {
	obj map[string]any
	ns  string
}

func (e *mapEntryDef) fieldType(name string) any {
	for _, f := range e.obj["fields"].([]any) {
		if fo, ok := f.(map[string]any); ok && fo["name"] == name {
			return fo["type"]
		}
	}
	return nil
}

// mapEntryRecord returns the element record when an array's items are
// AvroData's MapEntry record (by name, or by connect.internal.type), else nil.
func (r *avroReader) mapEntryRecord(elem any, ns string) *mapEntryDef {
	var o map[string]any
	var ens string
	switch x := elem.(type) {
	case map[string]any:
		o, ens = x, ns
	case string:
		if d, ok := r.defs[fullName(x, ns)]; ok {
			o, ens = d.obj, d.ns
		}
	}
	if o == nil || o["type"] != "record" {
		return nil
	}
	name, _ := o["name"].(string)
	rns := nsOf(o, ens)
	if fullName(name, rns) != avroNamespace+"."+avroMapEntryName && o[avroPropInternalType] != avroMapEntryName {
		return nil
	}
	r.defs[fullName(name, rns)] = avroDef{o, rns}
	fields, _ := o["fields"].([]any)
	e := &mapEntryDef{obj: o, ns: rns}
	if len(fields) != 2 || e.fieldType("key") == nil || e.fieldType("value") == nil {
		return nil
	}
	return e
}

// avroDefaultToConnect converts a default from Avro schema JSON to a
// Connect value of s.
func avroDefaultToConnect(n *rnode, s *connect.Schema, d any) (any, error) {
	if d == nil {
		return nil, nil
	}
	switch s.Type {
	case connect.Boolean:
		if b, ok := d.(bool); ok {
			return b, nil
		}
	case connect.Int8, connect.Int16, connect.Int32, connect.Int64, connect.Float32, connect.Float64:
		num, ok := d.(json.Number)
		if !ok {
			break
		}
		return avroNumberToConnect(s, num)
	case connect.String:
		if str, ok := d.(string); ok {
			return str, nil
		}
	case connect.Bytes:
		str, ok := d.(string)
		if !ok {
			break
		}
		b := make([]byte, 0, len(str))
		for _, r := range str {
			if r > 0xff {
				return nil, fmt.Errorf("bytes default has a character above U+00FF")
			}
			b = append(b, byte(r))
		}
		return n.fromAvro(b)
	case connect.Array:
		items, ok := d.([]any)
		if !ok || n.items == nil {
			break
		}
		out := make([]any, len(items))
		for i, e := range items {
			v, err := avroDefaultToConnect(n.items, s.Items, e)
			if err != nil {
				return nil, err
			}
			out[i] = v
		}
		return out, nil
	case connect.Map:
		o, ok := d.(map[string]any)
		if !ok || n.values == nil {
			break
		}
		out := make([]connect.MapEntry, 0, len(o))
		for _, k := range slices.Sorted(maps.Keys(o)) {
			v, err := avroDefaultToConnect(n.values, s.Values, o[k])
			if err != nil {
				return nil, err
			}
			out = append(out, connect.MapEntry{Key: k, Value: v})
		}
		return out, nil
	case connect.Struct:
		o, ok := d.(map[string]any)
		if !ok || n.kind != "record" {
			break
		}
		sv := connect.NewStruct(s)
		for i, f := range s.Fields {
			fv, has := o[f.Name]
			if !has {
				sv.Values[i] = f.Schema.Default
				continue
			}
			v, err := avroDefaultToConnect(n.fields[i], f.Schema, fv)
			if err != nil {
				return nil, err
			}
			sv.Values[i] = v
		}
		return sv, nil
	}
	return nil, fmt.Errorf("default %v does not fit a %s schema", d, s.Type)
}

func avroNumberToConnect(s *connect.Schema, num json.Number) (any, error) {
	switch s.Type {
	case connect.Float32:
		f, err := strconv.ParseFloat(string(num), 32)
		return float32(f), err
	case connect.Float64:
		return strconv.ParseFloat(string(num), 64)
	}
	i, err := strconv.ParseInt(string(num), 10, 64)
	if err != nil {
		return nil, err
	}
	switch s.Type {
	case connect.Int64:
		return (&rnode{conn: s, kind: "long"}).fromAvro(i)
	default:
		r := intRanges[s.Type]
		if i < r[0] || i > r[1] {
			return nil, fmt.Errorf("default %d out of range for %s", i, s.Type)
		}
		return (&rnode{conn: s, kind: "int"}).fromAvro(int32(i))
	}
}

// toConnect turns a value decoded by the codec (unions tagged) into the
// Connect value of n.conn.
func (n *rnode) toConnect(v any) (any, error) {
	switch n.kind {
	case "optional":
		if v == nil {
			return nil, nil
		}
		m, ok := v.(map[string]any)
		if !ok || len(m) != 1 {
			return nil, &FieldError{Err: fmt.Errorf("decoded union value %T is not tagged", v)}
		}
		for _, x := range m {
			return n.member.toConnect(x)
		}
	case "union":
		if v == nil {
			if n.conn.Optional {
				return nil, nil
			}
			return nil, &FieldError{Err: errors.New("null for a union without null")}
		}
		m, ok := v.(map[string]any)
		if !ok || len(m) != 1 {
			return nil, &FieldError{Err: fmt.Errorf("decoded union value %T is not tagged", v)}
		}
		sv := connect.NewStruct(n.conn)
		for tag, x := range m {
			i := slices.Index(n.tags, tag)
			if i < 0 {
				return nil, &FieldError{Err: fmt.Errorf("union branch %q is not in the schema", tag)}
			}
			val, err := n.fields[i].toConnect(x)
			if err != nil {
				return nil, inField(err, n.conn.Fields[i].Name)
			}
			sv.Values[i] = val
		}
		return sv, nil
	}
	return n.fromAvro(v)
}

func (n *rnode) fromAvro(v any) (any, error) {
	s := n.conn
	switch x := v.(type) {
	case nil:
		if s.Optional {
			return nil, nil
		}
	case bool:
		return x, nil
	case int32:
		switch s.Name {
		case connect.DateName:
			return time.Unix(int64(x)*86400, 0).UTC(), nil
		case connect.TimeName:
			return time.UnixMilli(int64(x)).UTC(), nil
		}
		switch s.Type {
		case connect.Int8:
			if x < math.MinInt8 || x > math.MaxInt8 {
				return nil, &FieldError{Err: fmt.Errorf("int %d out of range for int8", x)}
			}
			return int8(x), nil
		case connect.Int16:
			if x < math.MinInt16 || x > math.MaxInt16 {
				return nil, &FieldError{Err: fmt.Errorf("int %d out of range for int16", x)}
			}
			return int16(x), nil
		}
		return x, nil
	case int64:
		if s.Name == connect.TimestampName {
			return time.UnixMilli(x).UTC(), nil
		}
		return x, nil
	case float32, float64, string:
		return x, nil
	case []byte:
		if s.Name == connect.DecimalName {
			scale, err := decimalScale(s)
			if err != nil {
				return nil, &FieldError{Err: err}
			}
			u, err := fromTwosComplement(x)
			if err != nil {
				return nil, &FieldError{Err: fmt.Errorf("invalid bytes for Decimal: %w", err)}
			}
			return connect.Decimal{Unscaled: u, Scale: scale}, nil
		}
		return bytes.Clone(x), nil
	case []any:
		if n.mapEntry {
			out := make([]connect.MapEntry, len(x))
			for i, e := range x {
				m, ok := e.(map[string]any)
				if !ok {
					return nil, inIndex(&FieldError{Err: fmt.Errorf("map entry is %T", e)}, strconv.Itoa(i))
				}
				k, err := n.items.fields[0].toConnect(m["key"])
				if err != nil {
					return nil, inIndex(err, strconv.Itoa(i))
				}
				val, err := n.items.fields[1].toConnect(m["value"])
				if err != nil {
					return nil, inIndex(err, strconv.Itoa(i))
				}
				out[i] = connect.MapEntry{Key: k, Value: val}
			}
			return out, nil
		}
		out := make([]any, len(x))
		for i, e := range x {
			val, err := n.items.toConnect(e)
			if err != nil {
				return nil, inIndex(err, strconv.Itoa(i))
			}
			out[i] = val
		}
		return out, nil
	case map[string]any:
		if n.kind == "record" {
			sv := connect.NewStruct(s)
			for i, f := range s.Fields {
				val, err := n.fields[i].toConnect(x[f.Name])
				if err != nil {
					return nil, inField(err, f.Name)
				}
				sv.Values[i] = val
			}
			return sv, nil
		}
		out := make([]connect.MapEntry, 0, len(x))
		for _, k := range slices.Sorted(maps.Keys(x)) {
			val, err := n.values.toConnect(x[k])
			if err != nil {
				return nil, inIndex(err, strconv.Quote(k))
			}
			out = append(out, connect.MapEntry{Key: k, Value: val})
		}
		return out, nil
	}
	return nil, &FieldError{Err: fmt.Errorf("decoded %T does not fit the %s schema", v, s.Type)}
}
