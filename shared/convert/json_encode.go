package convert

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"math/big"
	"slices"
	"sort"
	"strconv"
	"time"

	"github.com/serverless-kafka-connect/slkc/shared/connect"
)

const millisPerDay = 24 * 60 * 60 * 1000

// FromConnect implements Converter. With schemas.enable=true the output is
// {"schema":<schema or null>,"payload":<value>}; otherwise just the value.
//
// Values follow connect.Record's Go types. Integer schemas also accept any
// Go integer (and json.Number) that fits the type; float schemas accept
// integers that convert exactly and float64s exactly representable as
// float32; nothing is truncated. Decimal takes connect.Decimal (a smaller
// scale is widened exactly), Date a midnight-UTC time.Time, Time a
// time.Time on 1970-01-01 UTC or a time.Duration, Timestamp a time.Time;
// the logical types also take their raw int32/int64 form. Maps take
// []connect.MapEntry (kept in order) or, with string keys, map[string]any
// (sorted). A nil value uses the schema default (replace.null.with.default)
// or null when optional, else it is an error naming the field path.
func (c *jsonConverter) FromConnect(topic string, schema *connect.Schema, value any) ([]byte, error) {
	if schema == nil && value == nil {
		return nil, nil
	}
	sc := c.bufs.Get().(*scratch)
	b, err := c.AppendFromConnect(sc.open(), topic, schema, value)
	if err != nil {
		c.bufs.Put(sc)
		return nil, err
	}
	out := sc.close(b)
	c.bufs.Put(sc)
	return out, nil
}

// AppendFromConnect appends what FromConnect returns for schema and value
// to b and returns the extended slice, for a caller that owns its output
// buffers (a source reusing them once a page is acknowledged). The caller
// handles a tombstone (nil schema and value) itself: FromConnect returns
// no bytes for one.
func (c *jsonConverter) AppendFromConnect(b []byte, _ string, schema *connect.Schema, value any) ([]byte, error) {
	var err error
	var e *encEntry // schema's, when cached
	if schema != nil && c.cacheSize > 0 {
		e = c.entry(schema)
	}
	if c.schemasEnable {
		b = append(b, `{"schema":`...)
		if schema == nil {
			b = append(b, "null"...)
		} else {
			var sj []byte
			if e != nil {
				sj, err = e.json, e.err
			} else {
				sj, err = c.appendSchema(nil, schema, "")
			}
			if err != nil {
				return nil, fmt.Errorf("convert: JsonConverter: schema: %w", err)
			}
			b = append(b, sj...)
		}
		b = append(b, `,"payload":`...)
	}
	if e != nil && e.fields != nil && value != nil {
		b, err = c.appendFields(b, schema, value, e.fields)
	} else {
		b, err = c.appendValue(b, schema, value)
	}
	if err != nil {
		return nil, fmt.Errorf("convert: JsonConverter: %w", err)
	}
	if c.schemasEnable {
		b = append(b, '}')
	}
	return b, nil
}

// slabSize is the size of the blocks small outputs are written into: one
// allocation serves a few dozen records, where one each made allocation
// the largest single cost of a source page. A block stays alive while any
// record written into it does, which for a page in flight is the page.
const slabSize = 32 << 10

// bigOutput is the size from which an output gets an allocation of its
// own instead of a part of a block.
const bigOutput = slabSize / 8

// scratch is a pooled encoder's state: the current output block, the size
// of the last output, and the buffer big outputs are encoded in.
//
// A record is encoded straight into the free end of the block (open), and
// close keeps it there, so a small record is written once. When a record
// outgrows the free end, append moves it to a new array, which close
// detects (the capacity changed) and copies into a new block, or into an
// allocation of its own when it is big. After a big record, the next one
// is encoded in buf, the reused buffer, and copied out.
type scratch struct {
	buf  []byte
	slab []byte
	last int
	// get, when set, supplies the blocks instead of make, and used lists
	// every block it supplied (Blocks).
	get  func() []byte
	used [][]byte
}

// newSlab returns an empty block: from get when set, else a fresh one.
func (sc *scratch) newSlab() []byte {
	if sc.get == nil {
		return make([]byte, 0, slabSize)
	}
	b := sc.get()
	sc.used = append(sc.used, b[:cap(b)])
	return b[:0]
}

// open returns the empty slice to encode the next record into: the free
// end of the block (a new block when the last record's size would not
// fit), or buf after a big record.
func (sc *scratch) open() []byte {
	if sc.last > bigOutput {
		return sc.buf[:0]
	}
	if cap(sc.slab)-len(sc.slab) < sc.last+sc.last/8+16 {
		sc.slab = sc.newSlab()
	}
	return sc.slab[len(sc.slab):len(sc.slab)]
}

// close returns the record b that was encoded into open's slice, with its
// capacity capped at its length, so an append by the caller never writes
// into a neighbour.
func (sc *scratch) close(b []byte) []byte {
	n := len(b)
	inSlab := sc.last <= bigOutput
	sc.last = n
	if inSlab && cap(b) == cap(sc.slab)-len(sc.slab) {
		// Still in the block's free end: keep it there.
		sc.slab = sc.slab[:len(sc.slab)+n]
		return b[:n:n]
	}
	if cap(b) > cap(sc.buf) && cap(b) <= 1<<20 {
		// b is no block's (it is buf, or the array append moved a
		// record to) and is copied below: it serves the next big record.
		sc.buf = b
	}
	if n > bigOutput {
		out := make([]byte, n)
		copy(out, b)
		return out
	}
	sc.slab = append(sc.newSlab(), b...)
	return sc.slab[:n:n]
}

// BlockSize is the size of the blocks Blocks lays outputs out in.
const BlockSize = slabSize

// Blocks lays out outputs a caller encodes one after another (with
// AppendFromConnect) as FromConnect lays out its own: each in the free end
// of a shared block, or in an allocation of its own when it is big, with
// its capacity capped at its length. The blocks come from get (empty, of
// capacity BlockSize at least) and Used lists them, for a caller that
// reuses them once no output refers to them. A Blocks is for one
// goroutine.
type Blocks struct{ sc scratch }

// NewBlocks returns a Blocks whose blocks come from get.
func NewBlocks(get func() []byte) *Blocks { return &Blocks{sc: scratch{get: get}} }

// Free returns the empty slice to append the next output to.
func (b *Blocks) Free() []byte { return b.sc.open() }

// Keep returns out, the slice Free returned with an output appended, where
// it stays: in its block, or copied to where it belongs.
func (b *Blocks) Keep(out []byte) []byte { return b.sc.close(out) }

// Used lists the blocks taken from get so far.
func (b *Blocks) Used() [][]byte { return b.sc.used }

// entry returns what the encoder keeps for s, building it on first use.
// The cache is keyed by pointer, so a schema must not be modified after
// its first use; when it holds schemas.cache.size entries it is emptied
// and refilled. Only a converter with a cache calls it.
func (c *jsonConverter) entry(s *connect.Schema) *encEntry {
	// A source page uses one schema for every row: the last one found is
	// checked first, without the lock's shared counter.
	if last := c.lastEnc.Load(); last != nil && last.schema == s {
		return last
	}
	c.encMu.RLock()
	e, ok := c.encCache[s]
	c.encMu.RUnlock()
	if !ok {
		e = &encEntry{schema: s, fields: c.planFields(s)}
		e.json, e.err = c.appendSchema(nil, s, "")
		c.encMu.Lock()
		if len(c.encCache) >= c.cacheSize {
			clear(c.encCache)
		}
		c.encCache[s] = e
		c.encMu.Unlock()
	}
	c.lastEnc.Store(e)
	return e
}

// appendSchema writes s as Kafka's JsonConverter.asJsonSchema does, in the
// same member order: type, items | keys, values | fields, optional, name,
// version, doc, parameters, default; a struct field's schema ends with
// "field".
func (c *jsonConverter) appendSchema(b []byte, s *connect.Schema, fieldName string) ([]byte, error) {
	if s == nil {
		return nil, errors.New("nil schema")
	}
	var err error
	b = append(b, `{"type":`...)
	switch s.Type {
	case connect.Int8, connect.Int16, connect.Int32, connect.Int64, connect.Boolean, connect.String, connect.Bytes:
		b = append(b, '"')
		b = append(b, s.Type...)
		b = append(b, '"')
	case connect.Float32:
		b = append(b, `"float"`...) // JsonSchema.FLOAT_TYPE_NAME
	case connect.Float64:
		b = append(b, `"double"`...) // JsonSchema.DOUBLE_TYPE_NAME
	case connect.Array:
		b = append(b, `"array","items":`...)
		if b, err = c.appendSchema(b, s.Items, ""); err != nil {
			return nil, fmt.Errorf("array items: %w", err)
		}
	case connect.Map:
		b = append(b, `"map","keys":`...)
		if b, err = c.appendSchema(b, s.Keys, ""); err != nil {
			return nil, fmt.Errorf("map keys: %w", err)
		}
		b = append(b, `,"values":`...)
		if b, err = c.appendSchema(b, s.Values, ""); err != nil {
			return nil, fmt.Errorf("map values: %w", err)
		}
	case connect.Struct:
		b = append(b, `"struct","fields":[`...)
		for i, f := range s.Fields {
			if i > 0 {
				b = append(b, ',')
			}
			if f.Name == "" {
				return nil, fmt.Errorf("struct field %d has an empty name", i)
			}
			if b, err = c.appendSchema(b, f.Schema, f.Name); err != nil {
				return nil, fmt.Errorf("field %q: %w", f.Name, err)
			}
		}
		b = append(b, ']')
	default:
		return nil, fmt.Errorf("unsupported schema type %q", s.Type)
	}
	b = append(b, `,"optional":`...)
	b = strconv.AppendBool(b, s.Optional)
	if s.Name != "" {
		b = append(b, `,"name":`...)
		b = appendJSONString(b, s.Name)
	}
	if s.Version != 0 {
		b = append(b, `,"version":`...)
		b = strconv.AppendInt(b, int64(s.Version), 10)
	}
	if s.Doc != "" {
		b = append(b, `,"doc":`...)
		b = appendJSONString(b, s.Doc)
	}
	if s.Parameters != nil {
		b = append(b, `,"parameters":{`...)
		for i, k := range parameterOrder(s.Parameters) {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, k)
			b = append(b, ':')
			b = appendJSONString(b, s.Parameters[k])
		}
		b = append(b, '}')
	}
	if s.Default != nil {
		b = append(b, `,"default":`...)
		if b, err = c.appendValue(b, s, s.Default); err != nil {
			return nil, fmt.Errorf("default value: %w", err)
		}
	}
	if fieldName != "" {
		b = append(b, `,"field":`...)
		b = appendJSONString(b, fieldName)
	}
	return append(b, '}'), nil
}

// parameterOrder orders schema parameters deterministically. Kafka keeps
// insertion order; Kafka's and Debezium's Decimal builders insert "scale"
// first and then "connect.decimal.precision", so those lead and the rest
// follow sorted.
func parameterOrder(p map[string]string) []string {
	keys := make([]string, 0, len(p))
	for k := range p {
		keys = append(keys, k)
	}
	rank := func(k string) int {
		switch k {
		case connect.DecimalScaleParam:
			return 0
		case connect.DecimalPrecisionParam:
			return 1
		}
		return 2
	}
	sort.Slice(keys, func(i, j int) bool {
		ri, rj := rank(keys[i]), rank(keys[j])
		if ri != rj {
			return ri < rj
		}
		return keys[i] < keys[j]
	})
	return keys
}

// appendValue writes v according to s (s may be nil for schemaless data).
func (c *jsonConverter) appendValue(b []byte, s *connect.Schema, v any) ([]byte, error) {
	if v == nil {
		switch {
		case s == nil:
			return append(b, "null"...), nil
		case s.Default != nil && c.replaceNull:
			return c.appendValue(b, s, s.Default)
		case s.Optional:
			return append(b, "null"...), nil
		}
		return b, &FieldError{Err: fmt.Errorf("null value for required %s field with no default value", s.Type)}
	}
	if s == nil {
		return c.appendSchemaless(b, v)
	}
	if s.Name != "" {
		switch s.Name {
		case connect.DecimalName, connect.DateName, connect.TimeName, connect.TimestampName:
			return c.appendLogical(b, s, v)
		}
	}
	switch s.Type {
	case connect.Int8, connect.Int16, connect.Int32, connect.Int64:
		r := intRanges[s.Type]
		n, err := toInt(v, r[0], r[1])
		if err != nil {
			return b, &FieldError{Err: fmt.Errorf("%s: %w", s.Type, err)}
		}
		return strconv.AppendInt(b, n, 10), nil
	case connect.Float32, connect.Float64:
		bits := 64
		if s.Type == connect.Float32 {
			bits = 32
		}
		f, err := toFloat(v, bits)
		if err != nil {
			return b, &FieldError{Err: fmt.Errorf("%s: %w", s.Type, err)}
		}
		return appendJavaFloat(b, f, bits), nil
	case connect.Boolean:
		x, ok := v.(bool)
		if !ok {
			return b, wrongType(s, v, "bool")
		}
		return strconv.AppendBool(b, x), nil
	case connect.String:
		x, ok := v.(string)
		if !ok {
			return b, wrongType(s, v, "string")
		}
		return appendJSONString(b, x), nil
	case connect.Bytes:
		x, ok := v.([]byte)
		if !ok {
			return b, wrongType(s, v, "[]byte")
		}
		return appendBase64(b, x), nil
	case connect.Array:
		return c.appendArray(b, s, v)
	case connect.Map:
		return c.appendMap(b, s, v)
	case connect.Struct:
		return c.appendStruct(b, s, v)
	}
	return b, &FieldError{Err: fmt.Errorf("unsupported schema type %q", s.Type)}
}

func wrongType(s *connect.Schema, v any, want string) error {
	return &FieldError{Err: fmt.Errorf("%s: got Go type %T, want %s", s.Type, v, want)}
}

func appendBase64(b []byte, x []byte) []byte {
	b = append(b, '"')
	b = base64.StdEncoding.AppendEncode(b, x)
	return append(b, '"')
}

// appendDecimal writes a Decimal's unscaled value u at scale: a JSON
// number with decimal.format=NUMERIC, else the base64 of its big-endian
// two's complement (Kafka's Decimal.fromLogical).
func (c *jsonConverter) appendDecimal(b []byte, u *big.Int, scale int32) []byte {
	if c.numericDecimal {
		return appendJavaBigDecimal(b, u, scale)
	}
	var tmp [16]byte
	return appendBase64(b, appendTwosComplement(tmp[:0], u))
}

func (c *jsonConverter) appendLogical(b []byte, s *connect.Schema, v any) ([]byte, error) {
	switch s.Name {
	case connect.DecimalName:
		scale, err := decimalScale(s)
		if err != nil {
			return b, &FieldError{Err: err}
		}
		u, err := toDecimal(v, scale)
		if err != nil {
			return b, &FieldError{Err: fmt.Errorf("Decimal: %w", err)}
		}
		return c.appendDecimal(b, u, scale), nil
	case connect.DateName:
		days, err := logicalDays(v)
		if err != nil {
			return b, &FieldError{Err: err}
		}
		return strconv.AppendInt(b, days, 10), nil
	case connect.TimeName:
		ms, err := logicalTimeMillis(v)
		if err != nil {
			return b, &FieldError{Err: err}
		}
		return strconv.AppendInt(b, ms, 10), nil
	default: // Timestamp
		ms, err := logicalTimestampMillis(v)
		if err != nil {
			return b, &FieldError{Err: err}
		}
		return strconv.AppendInt(b, ms, 10), nil
	}
}

func (c *jsonConverter) appendArray(b []byte, s *connect.Schema, v any) ([]byte, error) {
	var err error
	b = append(b, '[')
	switch x := v.(type) {
	case []any:
		for i, e := range x {
			if i > 0 {
				b = append(b, ',')
			}
			if b, err = c.appendValue(b, s.Items, e); err != nil {
				return b, inIndex(err, strconv.Itoa(i))
			}
		}
	case []string:
		for i, e := range x {
			if i > 0 {
				b = append(b, ',')
			}
			if b, err = c.appendValue(b, s.Items, e); err != nil {
				return b, inIndex(err, strconv.Itoa(i))
			}
		}
	default:
		return b, wrongType(s, v, "[]any")
	}
	return append(b, ']'), nil
}

func (c *jsonConverter) appendMap(b []byte, s *connect.Schema, v any) ([]byte, error) {
	var err error
	objectMode := s.Keys != nil && s.Keys.Type == connect.String
	switch x := v.(type) {
	case []connect.MapEntry:
		if objectMode {
			b = append(b, '{')
		} else {
			b = append(b, '[')
		}
		for i, e := range x {
			if i > 0 {
				b = append(b, ',')
			}
			if objectMode {
				k, ok := e.Key.(string)
				if !ok {
					return b, inIndex(&FieldError{Err: fmt.Errorf("map key: got Go type %T, want string", e.Key)}, strconv.Itoa(i))
				}
				b = appendJSONString(b, k)
				b = append(b, ':')
				if b, err = c.appendValue(b, s.Values, e.Value); err != nil {
					return b, inIndex(err, strconv.Quote(k))
				}
				continue
			}
			open, sep, end := "[", ",", "]"
			if c.entryObjects {
				open, sep, end = `{"key":`, `,"value":`, "}"
			}
			b = append(b, open...)
			if b, err = c.appendValue(b, s.Keys, e.Key); err != nil {
				return b, inIndex(err, strconv.Itoa(i))
			}
			b = append(b, sep...)
			if b, err = c.appendValue(b, s.Values, e.Value); err != nil {
				return b, inIndex(err, strconv.Itoa(i))
			}
			b = append(b, end...)
		}
		if objectMode {
			return append(b, '}'), nil
		}
		return append(b, ']'), nil
	case map[string]any:
		if !objectMode {
			return b, wrongType(s, v, "[]connect.MapEntry for a map with non-string keys")
		}
		keys := slices.Sorted(maps.Keys(x))
		b = append(b, '{')
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, k)
			b = append(b, ':')
			if b, err = c.appendValue(b, s.Values, x[k]); err != nil {
				return b, inIndex(err, strconv.Quote(k))
			}
		}
		return append(b, '}'), nil
	}
	return b, wrongType(s, v, "[]connect.MapEntry")
}

func (c *jsonConverter) appendStruct(b []byte, s *connect.Schema, v any) ([]byte, error) {
	return c.appendFields(b, s, v, nil)
}

// appendFields writes the struct v of schema s. With plan (s's
// encEntry.fields), each field's name comes pre-encoded and a value of
// the Go type its schema expects takes the plan's short path; any other
// value (nil, another type, out of range) goes through appendValue, so
// the output and the errors are the same either way.
func (c *jsonConverter) appendFields(b []byte, s *connect.Schema, v any, plan []fieldPlan) ([]byte, error) {
	var sv *connect.StructValue
	switch x := v.(type) {
	case *connect.StructValue:
		sv = x
	case connect.StructValue:
		sv = &x
	default:
		return b, wrongType(s, v, "*connect.StructValue")
	}
	if sv == nil {
		return c.appendValue(b, s, nil)
	}
	if len(sv.Values) != len(s.Fields) {
		return b, &FieldError{Err: fmt.Errorf("struct has %d values, schema %q has %d fields", len(sv.Values), s.Name, len(s.Fields))}
	}
	if sv.Schema != s && sv.Schema != nil {
		for i := range s.Fields {
			if sv.Schema.Fields[i].Name != s.Fields[i].Name {
				return b, &FieldError{Err: fmt.Errorf("mismatching schema: struct field %d is %q, schema field is %q", i, sv.Schema.Fields[i].Name, s.Fields[i].Name)}
			}
		}
	}
	if len(plan) != len(s.Fields) {
		plan = nil // s was changed after its first use: write it field by field
	}
	var err error
	b = append(b, '{')
	for i := range s.Fields {
		f := &s.Fields[i]
		if plan != nil {
			b = append(b, plan[i].prefix...)
			var ok bool
			if b, ok = c.appendPlanned(b, &plan[i], sv.Values[i]); ok {
				continue
			}
		} else {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, f.Name)
			b = append(b, ':')
		}
		if b, err = c.appendValue(b, f.Schema, sv.Values[i]); err != nil {
			return b, inField(err, f.Name)
		}
	}
	return append(b, '}'), nil
}

// fieldKind is the short path a struct field's value takes (fieldPlan).
type fieldKind uint8

const (
	fieldGeneric   fieldKind = iota // appendValue
	fieldInt                        // an integer type, no logical name
	fieldString                     // a string, no logical name
	fieldTimestamp                  // Timestamp from a time.Time
	fieldDecimal                    // Decimal with a valid scale
)

// fieldPlan is one struct field as appendFields writes it: its name,
// already encoded with the comma before it and the colon after it, and
// its value's short path.
type fieldPlan struct {
	prefix []byte
	kind   fieldKind
	lo, hi int64 // fieldInt's range
	scale  int32 // fieldDecimal's scale
}

// planFields returns the plan of s's fields when appendValue would write
// a non-nil value of s as a struct (appendFields), else nil.
func (c *jsonConverter) planFields(s *connect.Schema) []fieldPlan {
	if s.Type != connect.Struct {
		return nil
	}
	switch s.Name {
	case connect.DecimalName, connect.DateName, connect.TimeName, connect.TimestampName:
		return nil // appendValue writes these as logical values
	}
	plan := make([]fieldPlan, len(s.Fields))
	for i, f := range s.Fields {
		p := &plan[i]
		if i > 0 {
			p.prefix = append(p.prefix, ',')
		}
		p.prefix = append(appendJSONString(p.prefix, f.Name), ':')
		fs := f.Schema
		if fs == nil {
			continue
		}
		r, isInt := intRanges[fs.Type]
		switch {
		case fs.Name == "" && isInt:
			p.kind, p.lo, p.hi = fieldInt, r[0], r[1]
		case fs.Name == "" && fs.Type == connect.String:
			p.kind = fieldString
		case fs.Name == connect.TimestampName:
			p.kind = fieldTimestamp
		case fs.Name == connect.DecimalName:
			if scale, err := decimalScale(fs); err == nil {
				p.kind, p.scale = fieldDecimal, scale
			}
		}
	}
	return plan
}

// appendPlanned writes v by p's short path and reports whether it could;
// when not, b is unchanged and appendValue writes v (or its error).
func (c *jsonConverter) appendPlanned(b []byte, p *fieldPlan, v any) ([]byte, bool) {
	switch p.kind {
	case fieldInt:
		if n, err := toInt(v, p.lo, p.hi); err == nil {
			return strconv.AppendInt(b, n, 10), true
		}
	case fieldString:
		if x, ok := v.(string); ok {
			return appendJSONString(b, x), true
		}
	case fieldTimestamp:
		if x, ok := v.(time.Time); ok {
			return strconv.AppendInt(b, x.UnixMilli(), 10), true
		}
	case fieldDecimal:
		if u, err := toDecimal(v, p.scale); err == nil {
			return c.appendDecimal(b, u, p.scale), true
		}
	}
	return b, false
}

// appendSchemaless writes a value without a schema: generic JSON, Go
// integers and floats, []byte as base64, Decimal as a number, structs with
// their own schema. Map keys are sorted so output is deterministic.
func (c *jsonConverter) appendSchemaless(b []byte, v any) ([]byte, error) {
	var err error
	switch x := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case bool:
		return strconv.AppendBool(b, x), nil
	case string:
		return appendJSONString(b, x), nil
	case json.Number:
		if !validNumber(string(x)) {
			return b, &FieldError{Err: fmt.Errorf("json.Number %q is not a JSON number", string(x))}
		}
		return append(b, x...), nil
	case int8, int16, int32, int64, int, uint8, uint16, uint32, uint:
		n, _ := toInt(v, math.MinInt64, math.MaxInt64)
		return strconv.AppendInt(b, n, 10), nil
	case uint64:
		return strconv.AppendUint(b, x, 10), nil
	case float32:
		return appendJavaFloat(b, float64(x), 32), nil
	case float64:
		return appendJavaFloat(b, x, 64), nil
	case []byte:
		return appendBase64(b, x), nil
	case connect.Decimal:
		return appendJavaBigDecimal(b, orZero(x.Unscaled), x.Scale), nil
	case *connect.StructValue:
		if x == nil {
			return append(b, "null"...), nil
		}
		return c.appendValue(b, x.Schema, x)
	case []any:
		b = append(b, '[')
		for i, e := range x {
			if i > 0 {
				b = append(b, ',')
			}
			if b, err = c.appendSchemaless(b, e); err != nil {
				return b, inIndex(err, strconv.Itoa(i))
			}
		}
		return append(b, ']'), nil
	case map[string]any:
		keys := slices.Sorted(maps.Keys(x))
		b = append(b, '{')
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, k)
			b = append(b, ':')
			if b, err = c.appendSchemaless(b, x[k]); err != nil {
				return b, inField(err, k)
			}
		}
		return append(b, '}'), nil
	case []connect.MapEntry:
		objectMode := true
		for _, e := range x {
			if _, ok := e.Key.(string); !ok {
				objectMode = false
				break
			}
		}
		if objectMode {
			b = append(b, '{')
		} else {
			b = append(b, '[')
		}
		for i, e := range x {
			if i > 0 {
				b = append(b, ',')
			}
			if objectMode {
				b = appendJSONString(b, e.Key.(string))
				b = append(b, ':')
			} else {
				b = append(b, '[')
				if b, err = c.appendSchemaless(b, e.Key); err != nil {
					return b, inIndex(err, strconv.Itoa(i))
				}
				b = append(b, ',')
			}
			if b, err = c.appendSchemaless(b, e.Value); err != nil {
				return b, inIndex(err, strconv.Itoa(i))
			}
			if !objectMode {
				b = append(b, ']')
			}
		}
		if objectMode {
			return append(b, '}'), nil
		}
		return append(b, ']'), nil
	}
	return b, &FieldError{Err: fmt.Errorf("Go type %T has no schemaless JSON form; give the value a schema", v)}
}

func orZero(x *big.Int) *big.Int {
	if x == nil {
		return new(big.Int)
	}
	return x
}

// validNumber reports whether s is a JSON number literal.
func validNumber(s string) bool {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	if i >= len(s) {
		return false
	}
	if s[i] == '0' {
		i++
	} else if s[i] >= '1' && s[i] <= '9' {
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
	} else {
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		st := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == st {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		st := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == st {
			return false
		}
	}
	return i == len(s)
}
