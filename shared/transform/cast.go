package transform

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/serverless-kafka-connect/slkc/shared/connect"
	"github.com/serverless-kafka-connect/slkc/shared/convert"
)

// cast is Cast$Key/$Value: "spec" is either one type (cast the whole key
// or value) or "field:type,..." (cast those struct/map fields). Types:
// int8, int16, int32, int64, float32, float64, boolean, string. Numbers
// narrow like Java's Number.xxxValue (wrapping integers, truncating and
// saturating floats), strings parse like Byte.parseByte, Double.parseDouble,
// Boolean.parseBoolean; Date, Time and Timestamp cast to numbers as their
// encoded value (days, millis) and to strings as ISO-8601 text.
type cast struct {
	side        side
	whole       connect.Type // "" when casting fields
	casts       map[string]connect.Type
	replaceNull bool
	plans       planCache[*castPlan]
}

type castPlan struct {
	out   *connect.Schema
	types []connect.Type // per input field: the cast, or ""
	err   error
}

var castOutputs = []connect.Type{connect.Int8, connect.Int16, connect.Int32, connect.Int64, connect.Float32, connect.Float64, connect.Boolean, connect.String}

func castType(s string) (connect.Type, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	for _, t := range castOutputs {
		if string(t) == s {
			return t, true
		}
	}
	return "", false
}

func newCast(c *config, s side) *cast {
	t := &cast{side: s, casts: map[string]connect.Type{}}
	spec := c.requiredList("spec", "the cast spec (a type, or field:type pairs)")
	allowed := "allowed types: int8, int16, int32, int64, float32, float64, boolean, string"
	for _, m := range spec {
		parts := strings.Split(m, ":")
		switch len(parts) {
		case 1:
			typ, ok := castType(parts[0])
			if !ok {
				c.fail("spec", m, allowed)
				continue
			}
			if len(spec) > 1 {
				c.fail("spec", c.props["spec"], "a whole-value cast must be the only entry")
			}
			t.whole = typ
		case 2:
			typ, ok := castType(parts[1])
			if !ok {
				c.fail("spec", m, allowed)
				continue
			}
			t.casts[strings.TrimSpace(parts[0])] = typ
		default:
			c.fail("spec", m, `want "type" or "field:type"`)
		}
	}
	c.v1Fields()
	t.replaceNull = c.boolean("replace.null.with.default", true)
	return t
}

const purposeCast = "cast types"

func (t *cast) Apply(r connect.Record) (connect.Record, bool, error) {
	schema, v := t.side.get(&r)
	if v == nil {
		return r, true, nil
	}
	if schema == nil {
		if t.whole != "" {
			out, err := castValue(nil, v, t.whole)
			if err != nil {
				return r, false, err
			}
			t.side.set(&r, nil, out)
			return r, true, nil
		}
		out, err := updateFields(v, purposeCast, sortedKeys(t.casts), func(f string, x any) (any, error) {
			return castValue(nil, x, t.casts[f])
		})
		if err != nil {
			return r, false, err
		}
		t.side.set(&r, nil, out)
		return r, true, nil
	}
	p := t.plans.get(schema, t.plan)
	if p.err != nil {
		return r, false, p.err
	}
	if t.whole != "" {
		out, err := castValue(schema, v, t.whole)
		if err != nil {
			return r, false, err
		}
		t.side.set(&r, p.out, out)
		return r, true, nil
	}
	sv, err := structOrNull(v, purposeCast)
	if err != nil {
		return r, false, err
	}
	if sv == nil {
		t.side.set(&r, p.out, nil)
		return r, true, nil
	}
	n := connect.NewStruct(p.out)
	for i, f := range sv.Schema.Fields {
		x := fieldValue(sv, i, t.replaceNull)
		if typ := p.types[i]; typ != "" {
			if x, err = castValue(f.Schema, x, typ); err != nil {
				return r, false, fmt.Errorf("field %q: %w", f.Name, err)
			}
		}
		n.Values[i] = x
	}
	t.side.set(&r, p.out, n)
	return r, true, nil
}

func (t *cast) plan(s *connect.Schema) *castPlan {
	p := &castPlan{}
	var out *connect.Schema
	if t.whole != "" {
		out = &connect.Schema{Type: t.whole, Name: s.Name, Version: s.Version, Doc: s.Doc, Parameters: s.Parameters}
	} else {
		if s.Type != connect.Struct {
			p.err = fmt.Errorf("the %s schema is %s; casting fields needs a struct", t.side, s.Type)
			return p
		}
		fields := make([]connect.Field, len(s.Fields))
		p.types = make([]connect.Type, len(s.Fields))
		for i, f := range s.Fields {
			fields[i] = connect.Field{Name: f.Name, Schema: f.Schema}
			typ, ok := t.casts[f.Name]
			if !ok {
				continue
			}
			p.types[i] = typ
			fs := &connect.Schema{Type: typ, Optional: f.Schema.Optional}
			if f.Schema.Default != nil {
				d, err := castValue(f.Schema, f.Schema.Default, typ)
				if err != nil {
					p.err = fmt.Errorf("field %q default: %w", f.Name, err)
					return p
				}
				fs.Default = d
			}
			fields[i].Schema = fs
		}
		out = copyStructSchema(s, fields)
	}
	out.Optional = s.Optional
	if s.Default != nil && t.whole != "" {
		d, err := castValue(s, s.Default, t.whole)
		if err != nil {
			p.err = fmt.Errorf("default: %w", err)
			return p
		}
		out.Default = d
	}
	p.out = out
	return p
}

// castValue is Cast.castValueToType: s is nil for schemaless values.
func castValue(s *connect.Schema, v any, to connect.Type) (any, error) {
	if v == nil {
		return nil, nil
	}
	if n, ok := v.(json.Number); ok {
		v = jsonNumber(n)
	}
	from := connect.Type("")
	if s != nil {
		from = s.Type
	} else {
		from = schemalessType(v)
	}
	switch from {
	case connect.Int8, connect.Int16, connect.Int32, connect.Int64, connect.Float32, connect.Float64,
		connect.Boolean, connect.String, connect.Bytes:
	default:
		return nil, fmt.Errorf("Cast does not support casting from %s", from)
	}
	if t, ok := v.(time.Time); ok && to != connect.String && s != nil {
		switch s.Name {
		case connect.DateName:
			v = int32(t.UnixMilli() / millisPerDay)
		case connect.TimeName:
			v = int32(t.UnixMilli())
		default:
			v = t.UnixMilli()
		}
	}
	switch to {
	case connect.String:
		switch x := v.(type) {
		case string:
			return x, nil
		case time.Time:
			return javaDateText(x), nil
		case []byte:
			return base64.StdEncoding.EncodeToString(x), nil
		}
		if str, ok := convert.JavaString(v); ok {
			return str, nil
		}
	case connect.Boolean:
		switch x := v.(type) {
		case bool:
			return x, nil
		case string:
			return strings.EqualFold(x, "true"), nil
		}
		if n, ok := javaNumber(v); ok {
			return n.long() != 0, nil
		}
	default:
		var n jnum
		switch x := v.(type) {
		case bool:
			n.i = 0
			if x {
				n.i = 1
			}
		case string:
			return parseJavaNumber(x, to)
		default:
			var ok bool
			if n, ok = javaNumber(v); !ok {
				return nil, fmt.Errorf("unexpected type %s in Cast", javaClass(v))
			}
		}
		return n.to(to), nil
	}
	return nil, fmt.Errorf("unexpected type %s in Cast", javaClass(v))
}

// schemalessType is ConnectSchema.schemaType for schemaless values.
func schemalessType(v any) connect.Type {
	switch v.(type) {
	case int8:
		return connect.Int8
	case int16:
		return connect.Int16
	case int32:
		return connect.Int32
	case int64:
		return connect.Int64
	case float32:
		return connect.Float32
	case float64:
		return connect.Float64
	case bool:
		return connect.Boolean
	case string:
		return connect.String
	case []byte:
		return connect.Bytes
	case []any:
		return connect.Array
	case map[string]any, []connect.MapEntry:
		return connect.Map
	case *connect.StructValue:
		return connect.Struct
	}
	return connect.Type(fmt.Sprintf("%T", v))
}

// jsonNumber is what Kafka's JsonConverter makes of a schemaless JSON
// number: a Long when integral, else a Double.
func jsonNumber(n json.Number) any {
	if !strings.ContainsAny(string(n), ".eE") {
		if i, err := n.Int64(); err == nil {
			return i
		}
	}
	f, _ := n.Float64()
	return f
}

// jnum is a Java Number: an integer (i), a floating point (f, isFloat) or
// a BigDecimal (d).
type jnum struct {
	i       int64
	f       float64
	isFloat bool
	d       *connect.Decimal
}

func javaNumber(v any) (jnum, bool) {
	switch x := v.(type) {
	case int8:
		return jnum{i: int64(x)}, true
	case int16:
		return jnum{i: int64(x)}, true
	case int32:
		return jnum{i: int64(x)}, true
	case int64:
		return jnum{i: x}, true
	case float32:
		return jnum{f: float64(x), isFloat: true}, true
	case float64:
		return jnum{f: x, isFloat: true}, true
	case connect.Decimal:
		return jnum{d: &x}, true
	}
	return jnum{}, false
}

// long is Number.longValue (intValue for narrower targets wraps it).
func (n jnum) long() int64 {
	switch {
	case n.d != nil:
		q := new(big.Int).Set(orZero(n.d.Unscaled))
		if n.d.Scale > 0 {
			q.Quo(q, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n.d.Scale)), nil))
		} else if n.d.Scale < 0 {
			q.Mul(q, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(-n.d.Scale)), nil))
		}
		return int64(lowBits(q))
	case n.isFloat:
		return saturate(n.f, math.MinInt64, math.MaxInt64)
	}
	return n.i
}

// int is Number.intValue.
func (n jnum) int() int32 {
	if n.isFloat {
		return int32(saturate(n.f, math.MinInt32, math.MaxInt32))
	}
	return int32(n.long())
}

// float is Number.doubleValue (bits 64) or floatValue (32), correctly
// rounded from a BigDecimal as Java's are.
func (n jnum) float(bits int) float64 {
	switch {
	case n.d != nil:
		f, _ := strconv.ParseFloat(orZero(n.d.Unscaled).String()+"e"+strconv.Itoa(-int(n.d.Scale)), bits)
		return f
	case n.isFloat:
		return n.f
	}
	return float64(n.i)
}

func (n jnum) to(t connect.Type) any {
	switch t {
	case connect.Int8:
		return int8(n.int())
	case connect.Int16:
		return int16(n.int())
	case connect.Int32:
		return n.int()
	case connect.Int64:
		return n.long()
	case connect.Float32:
		if n.d == nil && !n.isFloat {
			return float32(n.i)
		}
		return float32(n.float(32))
	}
	return n.float(64)
}

func orZero(x *big.Int) *big.Int {
	if x == nil {
		return new(big.Int)
	}
	return x
}

// lowBits is the low 64 bits of x in two's complement (BigInteger.longValue).
func lowBits(x *big.Int) uint64 {
	m := new(big.Int).And(x, new(big.Int).SetUint64(math.MaxUint64))
	return m.Uint64()
}

// saturate is Java's floating point to integer narrowing: NaN is 0, values
// beyond the range clamp to it.
func saturate(f float64, lo, hi int64) int64 {
	switch {
	case math.IsNaN(f):
		return 0
	case f <= float64(lo):
		return lo
	case f >= float64(hi):
		return hi
	}
	return int64(f)
}

// parseJavaNumber is Byte.parseByte ... Double.parseDouble.
func parseJavaNumber(s string, to connect.Type) (any, error) {
	bits := map[connect.Type]int{connect.Int8: 8, connect.Int16: 16, connect.Int32: 32, connect.Int64: 64}
	if b, ok := bits[to]; ok {
		n, err := strconv.ParseInt(s, 10, b)
		if err != nil {
			return nil, fmt.Errorf("cannot parse %q as %s: %w", s, to, err)
		}
		return jnum{i: n}.to(to), nil
	}
	t := strings.TrimSpace(s)
	size := 64
	if to == connect.Float32 {
		size = 32
	}
	f, err := strconv.ParseFloat(t, size)
	if errors.Is(err, strconv.ErrRange) {
		err = nil // Java rounds to Infinity or 0 too
	}
	if err != nil || strings.ContainsAny(t, "_xXpP") || strings.EqualFold(t, "inf") || strings.EqualFold(t, "+inf") || strings.EqualFold(t, "-inf") {
		return nil, fmt.Errorf("cannot parse %q as %s", s, to)
	}
	if to == connect.Float32 {
		return float32(f), nil
	}
	return f, nil
}
