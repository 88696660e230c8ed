package convert

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/serverless-kafka-connect/slkc/shared/connect"
)

// ErrNoEnvelope is returned (wrapped) when schemas.enable=true and the
// message is not a {"schema":...,"payload":...} envelope.
var ErrNoEnvelope = errors.New(`JsonConverter with schemas.enable requires "schema" and "payload" fields and may not contain additional fields. If you are trying to deserialize plain JSON data, set schemas.enable=false in your converter configuration`)

// ToConnect implements Converter. With schemas.enable=true the message must
// be an envelope; its payload is decoded into the Go types documented on
// connect.Record (maps with string keys come back as []connect.MapEntry
// sorted by key). With schemas.enable=false (or a null schema in the
// envelope) the value is generic JSON with numbers as json.Number. Float
// fields also accept the strings "NaN", "Infinity" and "-Infinity" that
// Kafka writes for non-finite values. Errors name the field path.
func (c *jsonConverter) ToConnect(_ string, data []byte) (*connect.Schema, any, error) {
	if len(data) == 0 {
		return nil, nil, nil
	}
	if !c.schemasEnable {
		v, err := decodeGeneric(data)
		if err != nil {
			return nil, nil, fmt.Errorf("convert: JsonConverter: %w", err)
		}
		return nil, v, nil
	}
	var known []byte
	last := c.lastDec.Load()
	if last != nil {
		if v, ok := c.decodeKnownEnvelope(data, last); ok {
			return last.schema, v, nil
		}
		known = last.raw
	}
	rawSchema, rawPayload, hit, ok, err := splitEnvelopeKnown(data, known)
	if err != nil {
		return nil, nil, fmt.Errorf("convert: JsonConverter: %w", err)
	}
	if !ok {
		return nil, nil, fmt.Errorf("convert: %w", ErrNoEnvelope)
	}
	if string(rawSchema) == "null" {
		payload, err := decodeGeneric(rawPayload)
		if err != nil {
			return nil, nil, fmt.Errorf("convert: JsonConverter: payload: %w", err)
		}
		return nil, payload, nil
	}
	var schema *connect.Schema
	if hit {
		schema = last.schema
	} else if schema, err = c.parseSchemaCached(rawSchema); err != nil {
		return nil, nil, fmt.Errorf("convert: JsonConverter: schema: %w", err)
	}
	v, err := (&typedDecoder{c: c, d: rawPayload}).decode(schema)
	if err != nil {
		return nil, nil, fmt.Errorf("convert: JsonConverter: payload: %w", err)
	}
	return schema, v, nil
}

// decodeKnownEnvelope decodes d in one pass when it is exactly
// {"schema":<known's bytes>,"payload":<value>}, whitespace allowed only
// around the schema and the payload — the shape and order Kafka's
// JsonConverter writes — and the
// payload decodes without error. ToConnect's usual path would then find
// the same two spans (the typed decoder accepts only valid JSON and stops
// where skipValue does) and decode the same payload with the same schema,
// so the result is the same, without scanning the payload twice. Anything
// else — another order, another or a repeated member, an escaped name,
// bytes after the envelope, a payload error — returns ok false and
// ToConnect takes its usual path, which gives the result or error it
// always did.
func (c *jsonConverter) decodeKnownEnvelope(d []byte, known *decEntry) (any, bool) {
	i := 0
	next := func(lit []byte) bool {
		i = skipSpace(d, i)
		if !bytes.HasPrefix(d[i:], lit) {
			return false
		}
		i += len(lit)
		return true
	}
	if !next(envelopeStart) || !next(known.raw) || !next(envelopeMiddle) {
		return nil, false
	}
	start := skipSpace(d, i)
	v, end, err := (&typedDecoder{c: c, d: d[start:]}).value(known.schema, 0, 0)
	if err != nil {
		return nil, false
	}
	i = start + end
	if !next(envelopeEnd) || skipSpace(d, i) != len(d) {
		return nil, false
	}
	return v, true
}

// The tokens of an envelope around its schema and payload, for
// decodeKnownEnvelope; whitespace inside them is left to the usual path.
var (
	envelopeStart  = []byte(`{"schema":`)
	envelopeMiddle = []byte(`,"payload":`)
	envelopeEnd    = []byte(`}`)
)

// decodeGeneric parses one JSON value with json.Number for numbers.
func decodeGeneric(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("invalid JSON: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("invalid JSON: data after the top-level value")
	}
	return v, nil
}

// parseSchemaCached returns the schema of raw from the cache, parsing and
// caching it on a miss, and remembers it as the last schema seen: the
// records of a batch usually share one schema, which ToConnect then skips
// with one comparison of its bytes (splitEnvelopeKnown) instead of
// scanning and hashing it.
func (c *jsonConverter) parseSchemaCached(raw []byte) (*connect.Schema, error) {
	c.decMu.RLock()
	e, ok := c.decCache[string(raw)]
	c.decMu.RUnlock()
	if ok {
		c.lastDec.Store(e)
		return e.schema, nil
	}
	node, err := decodeGeneric(raw)
	if err != nil {
		return nil, err
	}
	s, err := c.parseSchema(node)
	if err != nil {
		return nil, err
	}
	if c.cacheSize > 0 {
		c.decMu.Lock()
		if len(c.decCache) >= c.cacheSize {
			clear(c.decCache)
		}
		e := &decEntry{raw: bytes.Clone(raw), schema: s}
		c.decCache[string(e.raw)] = e
		c.decMu.Unlock()
		c.lastDec.Store(e)
	}
	return s, nil
}

// decEntry is a cached schema with its JSON text as received.
type decEntry struct {
	raw    []byte
	schema *connect.Schema
}

// parseSchema builds a schema from its JSON form, as JsonConverter.asConnectSchema.
func (c *jsonConverter) parseSchema(node any) (*connect.Schema, error) {
	obj, ok := node.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("schema must be a JSON object, got %s", jsonKind(node))
	}
	t, ok := obj["type"].(string)
	if !ok {
		return nil, errors.New(`schema must contain a string "type" field`)
	}
	s := &connect.Schema{Type: connect.Type(t)}
	switch t {
	case "float": // JsonSchema.FLOAT_TYPE_NAME
		s.Type = connect.Float32
	case "double": // JsonSchema.DOUBLE_TYPE_NAME
		s.Type = connect.Float64
	}
	var err error
	switch s.Type {
	case connect.Int8, connect.Int16, connect.Int32, connect.Int64, connect.Float32, connect.Float64,
		connect.Boolean, connect.String, connect.Bytes:
	case connect.Array:
		items, ok := obj["items"]
		if !ok || items == nil {
			return nil, errors.New("array schema did not specify the element type")
		}
		if s.Items, err = c.parseSchema(items); err != nil {
			return nil, fmt.Errorf("array items: %w", err)
		}
	case connect.Map:
		keys, ok := obj["keys"]
		if !ok || keys == nil {
			return nil, errors.New("map schema did not specify the key type")
		}
		values, ok := obj["values"]
		if !ok || values == nil {
			return nil, errors.New("map schema did not specify the value type")
		}
		if s.Keys, err = c.parseSchema(keys); err != nil {
			return nil, fmt.Errorf("map keys: %w", err)
		}
		if s.Values, err = c.parseSchema(values); err != nil {
			return nil, fmt.Errorf("map values: %w", err)
		}
	case connect.Struct:
		fields, ok := obj["fields"].([]any)
		if !ok {
			return nil, errors.New(`struct schema's "fields" is not an array`)
		}
		s.Fields = make([]connect.Field, 0, len(fields))
		seen := make(map[string]bool, len(fields))
		for i, f := range fields {
			fo, _ := f.(map[string]any)
			name, ok := fo["field"].(string)
			if !ok || name == "" {
				return nil, fmt.Errorf("struct field %d: name not specified properly", i)
			}
			if seen[name] {
				return nil, fmt.Errorf("struct field %q appears twice", name)
			}
			seen[name] = true
			fs, err := c.parseSchema(f)
			if err != nil {
				return nil, fmt.Errorf("field %q: %w", name, err)
			}
			s.Fields = append(s.Fields, connect.Field{Name: name, Index: i, Schema: fs})
		}
	default:
		return nil, fmt.Errorf("unknown schema type %q", t)
	}
	if opt, ok := obj["optional"].(bool); ok {
		s.Optional = opt
	}
	if name, ok := obj["name"].(string); ok {
		s.Name = name
	}
	if v, ok := obj["version"].(json.Number); ok {
		if n, err := strconv.ParseInt(string(v), 10, 32); err == nil {
			s.Version = int(n)
		}
	}
	if doc, ok := obj["doc"].(string); ok {
		s.Doc = doc
	}
	if params, ok := obj["parameters"].(map[string]any); ok {
		s.Parameters = make(map[string]string, len(params))
		// In key order, so that the error names the same parameter
		// every time.
		for _, k := range slices.Sorted(maps.Keys(params)) {
			v := params[k]
			str, ok := v.(string)
			if !ok {
				return nil, fmt.Errorf("schema parameter %q must be a string, got %s", k, jsonKind(v))
			}
			s.Parameters[k] = str
		}
	}
	if s.Name == connect.DecimalName {
		if _, err := decimalScale(s); err != nil {
			return nil, err
		}
	}
	if def, ok := obj["default"]; ok && def != nil {
		dv, err := c.toConnect(s, def)
		if err != nil {
			return nil, fmt.Errorf("default value: %w", err)
		}
		s.Default = dv
	}
	return s, nil
}

func jsonKind(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case json.Number:
		return "number " + string(x)
	case string:
		if len(x) > 40 {
			x = x[:40] + "..."
		}
		return "string " + strconv.Quote(x)
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}

func mismatch(s *connect.Schema, v any) error {
	want := string(s.Type)
	if s.Name != "" {
		want = s.Name
	}
	return &FieldError{Err: fmt.Errorf("expected %s, got %s", want, jsonKind(v))}
}

// toConnect converts a generic JSON node (from decodeGeneric) to the Go value
// for schema s. Payloads go through the faster typedDecoder; this path
// decodes schema default values and serves as the reference the fuzz test
// compares typedDecoder against.
func (c *jsonConverter) toConnect(s *connect.Schema, v any) (any, error) {
	if v == nil {
		switch {
		case s.Default != nil && c.replaceNull:
			return s.Default, nil
		case s.Optional:
			return nil, nil
		}
		return nil, &FieldError{Err: fmt.Errorf("invalid null value for required %s field", s.Type)}
	}
	switch s.Name {
	case connect.DecimalName:
		scale, err := decimalScale(s)
		if err != nil {
			return nil, &FieldError{Err: err}
		}
		switch x := v.(type) {
		case json.Number:
			d, err := parseJSONDecimal(string(x))
			if err != nil {
				return nil, &FieldError{Err: err}
			}
			if d.Scale < scale {
				u, _ := toDecimal(d, scale)
				d = connect.Decimal{Unscaled: u, Scale: scale}
			}
			return d, nil
		case string:
			raw, err := decodeBase64(x)
			if err != nil {
				return nil, &FieldError{Err: fmt.Errorf("invalid bytes for Decimal: %w", err)}
			}
			u, err := fromTwosComplement(raw)
			if err != nil {
				return nil, &FieldError{Err: fmt.Errorf("invalid bytes for Decimal: %w", err)}
			}
			return connect.Decimal{Unscaled: u, Scale: scale}, nil
		}
		return nil, mismatch(s, v)
	case connect.DateName:
		n, err := jsonInt(s, v, math.MinInt32, math.MaxInt32)
		if err != nil {
			return nil, err
		}
		return time.Unix(n*86400, 0).UTC(), nil
	case connect.TimeName:
		n, err := jsonInt(s, v, 0, millisPerDay-1)
		if err != nil {
			return nil, err
		}
		return time.UnixMilli(n).UTC(), nil
	case connect.TimestampName:
		n, err := jsonInt(s, v, math.MinInt64, math.MaxInt64)
		if err != nil {
			return nil, err
		}
		return time.UnixMilli(n).UTC(), nil
	}
	switch s.Type {
	case connect.Boolean:
		x, ok := v.(bool)
		if !ok {
			return nil, mismatch(s, v)
		}
		return x, nil
	case connect.Int8:
		n, err := jsonInt(s, v, math.MinInt8, math.MaxInt8)
		return int8(n), err
	case connect.Int16:
		n, err := jsonInt(s, v, math.MinInt16, math.MaxInt16)
		return int16(n), err
	case connect.Int32:
		n, err := jsonInt(s, v, math.MinInt32, math.MaxInt32)
		return int32(n), err
	case connect.Int64:
		return jsonInt(s, v, math.MinInt64, math.MaxInt64)
	case connect.Float32:
		f, err := jsonFloat(s, v, 32)
		return float32(f), err
	case connect.Float64:
		return jsonFloat(s, v, 64)
	case connect.String:
		x, ok := v.(string)
		if !ok {
			return nil, mismatch(s, v)
		}
		return x, nil
	case connect.Bytes:
		x, ok := v.(string)
		if !ok {
			return nil, mismatch(s, v)
		}
		raw, err := decodeBase64(x)
		if err != nil {
			return nil, &FieldError{Err: fmt.Errorf("invalid base64 bytes: %w", err)}
		}
		return raw, nil
	case connect.Array:
		arr, ok := v.([]any)
		if !ok {
			return nil, mismatch(s, v)
		}
		out := make([]any, len(arr))
		for i, e := range arr {
			cv, err := c.toConnect(s.Items, e)
			if err != nil {
				return nil, inIndex(err, strconv.Itoa(i))
			}
			out[i] = cv
		}
		return out, nil
	case connect.Map:
		return c.toConnectMap(s, v)
	case connect.Struct:
		obj, ok := v.(map[string]any)
		if !ok {
			return nil, mismatch(s, v)
		}
		sv := connect.NewStruct(s)
		for i := range s.Fields {
			f := &s.Fields[i]
			cv, err := c.toConnect(f.Schema, obj[f.Name])
			if err != nil {
				return nil, inField(err, f.Name)
			}
			sv.Values[i] = cv
		}
		return sv, nil
	}
	return nil, &FieldError{Err: fmt.Errorf("unsupported schema type %q", s.Type)}
}

func (c *jsonConverter) toConnectMap(s *connect.Schema, v any) (any, error) {
	if s.Keys.Type == connect.String {
		obj, ok := v.(map[string]any)
		if !ok {
			return nil, &FieldError{Err: fmt.Errorf("maps with string keys must be JSON objects, got %s", jsonKind(v))}
		}
		keys := slices.Sorted(maps.Keys(obj))
		out := make([]connect.MapEntry, len(keys))
		for i, k := range keys {
			kv, err := c.toConnect(s.Keys, k)
			if err != nil {
				return nil, inIndex(err, strconv.Quote(k))
			}
			vv, err := c.toConnect(s.Values, obj[k])
			if err != nil {
				return nil, inIndex(err, strconv.Quote(k))
			}
			out[i] = connect.MapEntry{Key: kv, Value: vv}
		}
		return out, nil
	}
	arr, ok := v.([]any)
	if !ok {
		return nil, &FieldError{Err: fmt.Errorf("maps with non-string keys must be JSON arrays of [key, value] pairs, got %s", jsonKind(v))}
	}
	out := make([]connect.MapEntry, len(arr))
	for i, e := range arr {
		pair, ok := e.([]any)
		if !ok || len(pair) != 2 {
			return nil, inIndex(&FieldError{Err: fmt.Errorf("map entry must be a [key, value] array, got %s", jsonKind(e))}, strconv.Itoa(i))
		}
		kv, err := c.toConnect(s.Keys, pair[0])
		if err != nil {
			return nil, inIndex(err, strconv.Itoa(i))
		}
		vv, err := c.toConnect(s.Values, pair[1])
		if err != nil {
			return nil, inIndex(err, strconv.Itoa(i))
		}
		out[i] = connect.MapEntry{Key: kv, Value: vv}
	}
	return out, nil
}

func jsonInt(s *connect.Schema, v any, lo, hi int64) (int64, error) {
	x, ok := v.(json.Number)
	if !ok {
		return 0, mismatch(s, v)
	}
	n, err := strconv.ParseInt(string(x), 10, 64)
	if err != nil || n < lo || n > hi {
		want := string(s.Type)
		if s.Name != "" {
			want = s.Name
		}
		return 0, &FieldError{Err: fmt.Errorf("number %s is not a valid %s (integer in [%d, %d])", x, want, lo, hi)}
	}
	return n, nil
}

// jsonFloat accepts numbers and, for the values Jackson writes as strings,
// "NaN", "Infinity" and "-Infinity".
func jsonFloat(s *connect.Schema, v any, bits int) (float64, error) {
	switch x := v.(type) {
	case json.Number:
		f, err := strconv.ParseFloat(string(x), bits)
		if err != nil {
			return 0, &FieldError{Err: fmt.Errorf("number %s is out of range for %s", x, s.Type)}
		}
		return f, nil
	case string:
		switch x {
		case "NaN":
			return math.NaN(), nil
		case "Infinity":
			return math.Inf(1), nil
		case "-Infinity":
			return math.Inf(-1), nil
		}
	}
	return 0, mismatch(s, v)
}

// decodeBase64 accepts standard base64 with or without padding, as
// Jackson's MIME_NO_LINEFEEDS variant does.
func decodeBase64(s string) ([]byte, error) {
	b, err := base64.StdEncoding.DecodeString(s)
	if err == nil {
		return b, nil
	}
	if b, err2 := base64.RawStdEncoding.DecodeString(s); err2 == nil {
		return b, nil
	}
	return nil, err
}
