package convert

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"

	"github.com/twmb/franz-go/pkg/sr"

	"github.com/serverless-kafka-connect/slkc/shared/connect"
	"github.com/serverless-kafka-connect/slkc/shared/errclass"
	"github.com/serverless-kafka-connect/slkc/shared/registry"
)

// JSONSchemaConverterClass is Confluent's JSON Schema converter, backed by
// a schema registry that speaks Confluent's REST API.
const JSONSchemaConverterClass = "io.confluent.connect.json.JsonSchemaConverter"

// The JSON Schema keywords Confluent's JsonSchemaData uses to carry what
// JSON Schema cannot say (io.confluent.connect.json.JsonSchemaData).
const (
	jsPropConnectType   = "connect.type"
	jsPropConnectIndex  = "connect.index"
	jsPropConnectParams = "connect.parameters"
	jsPropConnectVer    = "connect.version"
)

// jsonSchemaConverter is io.confluent.connect.json.JsonSchemaConverter: the
// Connect schema as a JSON Schema in the registry, the value as plain JSON
// (JsonConverter's payload with decimals as numbers and non-string-keyed
// map entries as {"key":…,"value":…} objects) after Confluent's header.
type jsonSchemaConverter struct {
	*srBase
	body   *jsonConverter
	writes srCache[*connect.Schema, jsWrite]
	reads  srCache[int, *connect.Schema]
}

// jsWrite is a Connect schema translated to JSON Schema text, with the
// record name RecordNameStrategy uses (the struct's connect name).
type jsWrite struct{ text, name string }

func newJSONSchema(props map[string]string, isKey bool) (*jsonSchemaConverter, error) {
	base, err := newSRBase("JsonSchemaConverter", sr.TypeJSON, props, isKey)
	if err != nil {
		return nil, err
	}
	body := &jsonConverter{numericDecimal: true, replaceNull: true, entryObjects: true, isKey: isKey,
		encCache: map[*connect.Schema]*encEntry{}, decCache: map[string]*decEntry{}}
	body.bufs.New = func() any { return &scratch{buf: make([]byte, 0, 1024)} }
	return &jsonSchemaConverter{srBase: base, body: body}, nil
}

// FromConnect writes value as JSON after Confluent's header carrying the id
// of the schema's JSON Schema translation, registered or looked up under
// the strategy's subject (or the subject's latest schema with
// use.latest.version and auto.register.schemas=false; the JSON is the same).
func (c *jsonSchemaConverter) FromConnect(topic string, schema *connect.Schema, value any) ([]byte, error) {
	if writesNull(schema, value) {
		return nil, nil
	}
	w, err := c.writeSchema(schema)
	if err != nil {
		return nil, errclass.Data(fmt.Errorf("JsonSchemaConverter: %w", err))
	}
	subject := c.subject(topic, w.name)
	if w.name == "" && c.strategy != TopicNameStrategy {
		return nil, errclass.Data(fmt.Errorf("JsonSchemaConverter: topic %q: %s needs a named schema (a struct with a connect name)", topic, c.strategy))
	}
	id, _, _, err := c.writeID(subject, w.text)
	if err != nil {
		return nil, fmt.Errorf("JsonSchemaConverter: %w", err)
	}
	out, err := c.body.appendValue(appendHeader(nil, id), schema, value)
	if err != nil {
		return nil, errclass.Data(fmt.Errorf("JsonSchemaConverter: topic %q: %w", topic, err))
	}
	return out, nil
}

func (c *jsonSchemaConverter) writeSchema(s *connect.Schema) (jsWrite, error) {
	if w, ok := c.writes.get(s); ok {
		return w, nil
	}
	if s == nil {
		return jsWrite{}, errors.New("JsonSchemaConverter needs a schema; schemaless values are not supported")
	}
	node, err := c.jsonSchemaOf(s, -1)
	if err != nil {
		return jsWrite{}, err
	}
	text, err := json.Marshal(node)
	if err != nil {
		return jsWrite{}, err
	}
	w := jsWrite{text: string(text)}
	if s.Type == connect.Struct {
		w.name = s.Name
	}
	c.writes.put(s, w)
	return w, nil
}

// jsonSchemaOf translates s as JsonSchemaData.fromConnectSchema does:
// integers and floats carry their Connect type in connect.type, bytes are
// strings with connect.type bytes, Decimal is a number titled with its
// logical name, structs are objects titled with their connect name whose
// properties carry connect.index, maps are objects (string keys) or
// arrays of key/value objects with connect.type map, and an optional
// schema is oneOf null and itself. index is the field's position, or -1.
func (c *jsonSchemaConverter) jsonSchemaOf(s *connect.Schema, index int) (jobj, error) {
	var o jobj
	switch {
	case s.Type == connect.Bytes && s.Name == connect.DecimalName:
		o = jobj{{"type", "number"}}
	case s.Type == connect.Int8 || s.Type == connect.Int16 || s.Type == connect.Int32 || s.Type == connect.Int64:
		o = jobj{{"type", "integer"}, {jsPropConnectType, string(s.Type)}}
	case s.Type == connect.Float32 || s.Type == connect.Float64:
		o = jobj{{"type", "number"}, {jsPropConnectType, string(s.Type)}}
	case s.Type == connect.Boolean:
		o = jobj{{"type", "boolean"}}
	case s.Type == connect.String:
		o = jobj{{"type", "string"}}
	case s.Type == connect.Bytes:
		o = jobj{{"type", "string"}, {jsPropConnectType, "bytes"}}
	case s.Type == connect.Array:
		if s.Items == nil {
			return nil, errors.New("array schema without items")
		}
		items, err := c.jsonSchemaOf(s.Items, -1)
		if err != nil {
			return nil, inIndex(err, "items")
		}
		o = jobj{{"type", "array"}, {"items", items}}
	case s.Type == connect.Map:
		if s.Keys == nil || s.Values == nil {
			return nil, errors.New("map schema without keys or values")
		}
		values, err := c.jsonSchemaOf(s.Values, -1)
		if err != nil {
			return nil, inIndex(err, "values")
		}
		if s.Keys.Type == connect.String && !s.Keys.Optional {
			o = jobj{{"type", "object"}, {"additionalProperties", values}, {jsPropConnectType, "map"}}
			break
		}
		keys, err := c.jsonSchemaOf(s.Keys, 0)
		if err != nil {
			return nil, inIndex(err, "keys")
		}
		values, _ = c.jsonSchemaOf(s.Values, 1)
		entry := jobj{{"type", "object"}, {"properties", jobj{{"key", keys}, {"value", values}}}}
		o = jobj{{"type", "array"}, {"items", entry}, {jsPropConnectType, "map"}}
	case s.Type == connect.Struct:
		props := make(jobj, 0, len(s.Fields))
		for i, f := range s.Fields {
			fs, err := c.jsonSchemaOf(f.Schema, i)
			if err != nil {
				return nil, inField(err, f.Name)
			}
			props = append(props, jkv{f.Name, fs})
		}
		o = jobj{{"type", "object"}, {"properties", props}}
	default:
		return nil, fmt.Errorf("unsupported Connect type %q", s.Type)
	}
	if s.Name != "" {
		o = append(o, jkv{"title", s.Name})
	}
	if s.Version != 0 {
		o = append(o, jkv{jsPropConnectVer, s.Version})
	}
	if s.Doc != "" {
		o = append(o, jkv{"description", s.Doc})
	}
	if len(s.Parameters) > 0 {
		params := jobj{}
		for _, k := range parameterOrder(s.Parameters) {
			params = append(params, jkv{k, s.Parameters[k]})
		}
		o = append(o, jkv{jsPropConnectParams, params})
	}
	if s.Default != nil {
		d, err := c.body.appendValue(nil, s, s.Default)
		if err != nil {
			return nil, fmt.Errorf("default: %w", err)
		}
		o = append(o, jkv{"default", json.RawMessage(d)})
	}
	if s.Optional {
		o = jobj{{"oneOf", []any{jobj{{"type", "null"}}, o}}}
	}
	if index >= 0 {
		o = append(o, jkv{jsPropConnectIndex, index})
	}
	return o, nil
}

// ToConnect reads Confluent's wire format: the JSON Schema is fetched by
// id (once) and mapped to Connect as JsonSchemaData does, then the JSON
// body is read against it. Data without the magic byte, an unknown id, a
// schema that cannot be mapped or JSON that does not fit it is a permanent
// error; an unreachable registry is retryable.
func (c *jsonSchemaConverter) ToConnect(topic string, data []byte) (*connect.Schema, any, error) {
	if len(data) == 0 {
		return nil, nil, nil
	}
	id, body, err := c.splitWire(topic, data)
	if err != nil {
		return nil, nil, err
	}
	s, err := readByID(c.srBase, &c.reads, id, func(got registry.Schema) (*connect.Schema, error) {
		return jsonSchemaToConnect(got.Text)
	})
	if err != nil {
		return nil, nil, fmt.Errorf("JsonSchemaConverter: topic %q: %w", topic, err)
	}
	v, err := (&typedDecoder{c: c.body, d: body}).decode(s)
	if err != nil {
		return nil, nil, errclass.Data(fmt.Errorf("JsonSchemaConverter: topic %q: data does not fit schema id %d: %w", topic, id, err))
	}
	return s, v, nil
}

// ordObj is a JSON object that remembers its member order (JSON Schema
// properties without connect.index are fields in document order).
type ordObj struct {
	keys []string
	m    map[string]any
}

func (o *ordObj) str(k string) string { s, _ := o.m[k].(string); return s }

// parseOrdered reads one JSON value with objects as *ordObj and numbers as
// json.Number.
func parseOrdered(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			o := &ordObj{m: map[string]any{}}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				k, _ := kt.(string)
				v, err := parseOrdered(dec)
				if err != nil {
					return nil, err
				}
				if _, dup := o.m[k]; !dup {
					o.keys = append(o.keys, k)
				}
				o.m[k] = v
			}
			_, err := dec.Token()
			return o, err
		case '[':
			var a []any
			for dec.More() {
				v, err := parseOrdered(dec)
				if err != nil {
					return nil, err
				}
				a = append(a, v)
			}
			_, err := dec.Token()
			return a, err
		}
	}
	return tok, nil
}

// jsonSchemaToConnect maps a JSON Schema to Connect as JsonSchemaData's
// toConnectSchema does: connect.type picks the integer, float, bytes and
// map types (integer alone is int64, number alone float64), title is the
// connect name, properties are fields ordered by connect.index (document
// order without it), and oneOf/anyOf of null and one schema, or a type
// list with null, is that schema optional. Other unions, $ref and
// schemaless parts are refused, naming the path.
func jsonSchemaToConnect(text string) (*connect.Schema, error) {
	dec := json.NewDecoder(bytes.NewReader([]byte(text)))
	dec.UseNumber()
	root, err := parseOrdered(dec)
	if err != nil {
		return nil, fmt.Errorf("schema is not valid JSON: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("schema is not valid JSON: data after the schema")
	}
	return jsToConnect(root, 0)
}

const jsMaxDepth = 64

func jsToConnect(node any, depth int) (*connect.Schema, error) {
	if depth > jsMaxDepth {
		return nil, fmt.Errorf("schema nests deeper than %d", jsMaxDepth)
	}
	o, ok := node.(*ordObj)
	if !ok {
		return nil, fmt.Errorf("schema %v is not a JSON Schema object (schemaless values are not supported)", node)
	}
	if _, ok := o.m["$ref"]; ok {
		return nil, errors.New("$ref is not supported")
	}
	for _, k := range []string{"oneOf", "anyOf"} {
		if u, ok := o.m[k]; ok {
			branches, _ := u.([]any)
			var other any
			nulls := 0
			for _, b := range branches {
				if bo, ok := b.(*ordObj); ok && bo.str("type") == "null" && len(bo.keys) == 1 {
					nulls++
				} else {
					other = b
				}
			}
			if len(branches) != 2 || nulls != 1 {
				return nil, fmt.Errorf("%s other than null and one schema is not supported", k)
			}
			s, err := jsToConnect(other, depth+1)
			if err != nil {
				return nil, err
			}
			s.Optional = true
			return s, nil
		}
	}
	typ := o.str("type")
	optional := false
	if list, ok := o.m["type"].([]any); ok {
		var rest []string
		for _, t := range list {
			if ts, _ := t.(string); ts == "null" {
				optional = true
			} else {
				rest = append(rest, ts)
			}
		}
		if len(rest) != 1 {
			return nil, fmt.Errorf("type %v is not supported (only one type, optionally with null)", list)
		}
		typ = rest[0]
	}
	ct := o.str(jsPropConnectType)
	s := &connect.Schema{Optional: optional, Name: o.str("title"), Doc: o.str("description")}
	switch typ {
	case "integer":
		s.Type = connect.Int64
		switch ct {
		case "int8", "int16", "int32", "int64":
			s.Type = connect.Type(ct)
		}
	case "number":
		s.Type = connect.Float64
		if ct == "float32" {
			s.Type = connect.Float32
		}
		if s.Name == connect.DecimalName {
			s.Type = connect.Bytes
		}
	case "boolean":
		s.Type = connect.Boolean
	case "string":
		s.Type = connect.String
		if ct == "bytes" {
			s.Type = connect.Bytes
		}
	case "array":
		items, ok := o.m["items"]
		if !ok {
			return nil, errors.New("array without items is not supported")
		}
		if ct == "map" {
			entry, _ := items.(*ordObj)
			var props *ordObj
			if entry != nil {
				props, _ = entry.m["properties"].(*ordObj)
			}
			if props == nil || props.m["key"] == nil || props.m["value"] == nil {
				return nil, errors.New("connect.type map array items must be objects with key and value properties")
			}
			k, err := jsToConnect(props.m["key"], depth+1)
			if err != nil {
				return nil, inIndex(err, "key")
			}
			v, err := jsToConnect(props.m["value"], depth+1)
			if err != nil {
				return nil, inIndex(err, "value")
			}
			s.Type, s.Keys, s.Values = connect.Map, k, v
			break
		}
		it, err := jsToConnect(items, depth+1)
		if err != nil {
			return nil, inIndex(err, "items")
		}
		s.Type, s.Items = connect.Array, it
	case "object":
		props, _ := o.m["properties"].(*ordObj)
		if ap, ok := o.m["additionalProperties"].(*ordObj); ok && (ct == "map" || props == nil) {
			v, err := jsToConnect(ap, depth+1)
			if err != nil {
				return nil, inIndex(err, "values")
			}
			s.Type, s.Keys, s.Values = connect.Map, connect.Primitive(connect.String), v
			break
		}
		if props == nil {
			return nil, errors.New("object without properties or an additionalProperties schema is not supported")
		}
		type fieldAt struct {
			name  string
			index int
			s     *connect.Schema
		}
		fields := make([]fieldAt, 0, len(props.keys))
		for i, name := range props.keys {
			fs, err := jsToConnect(props.m[name], depth+1)
			if err != nil {
				return nil, inField(err, name)
			}
			idx := i
			if po, ok := props.m[name].(*ordObj); ok {
				if n, ok := po.m[jsPropConnectIndex].(json.Number); ok {
					if v, err := strconv.Atoi(n.String()); err == nil {
						idx = v
					}
				}
			}
			fields = append(fields, fieldAt{name, idx, fs})
		}
		sort.SliceStable(fields, func(a, b int) bool { return fields[a].index < fields[b].index })
		s.Type = connect.Struct
		for i, f := range fields {
			s.Fields = append(s.Fields, connect.Field{Name: f.name, Index: i, Schema: f.s})
		}
	default:
		return nil, fmt.Errorf("type %q is not supported", typ)
	}
	if n, ok := o.m[jsPropConnectVer].(json.Number); ok {
		v, err := strconv.Atoi(n.String())
		if err != nil {
			return nil, fmt.Errorf("%s %s is not an integer", jsPropConnectVer, n)
		}
		s.Version = v
	}
	if p, ok := o.m[jsPropConnectParams].(*ordObj); ok {
		s.Parameters = map[string]string{}
		for _, k := range p.keys {
			v, ok := p.m[k].(string)
			if !ok {
				return nil, fmt.Errorf("%s %q is not a string", jsPropConnectParams, k)
			}
			s.Parameters[k] = v
		}
	}
	if d, ok := o.m["default"]; ok && d != nil {
		raw, err := json.Marshal(d)
		if err != nil || slices.Contains([]connect.Type{connect.Struct, connect.Map, connect.Array}, s.Type) {
			return nil, fmt.Errorf("default %v of a %s is not supported", d, s.Type)
		}
		body := &jsonConverter{numericDecimal: true, replaceNull: true, entryObjects: true}
		v, err := (&typedDecoder{c: body, d: raw}).decode(s)
		if err != nil {
			return nil, fmt.Errorf("default: %w", err)
		}
		s.Default = v
	}
	return s, nil
}
