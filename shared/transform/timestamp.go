package transform

import (
	"encoding/json"
	"fmt"
	"math"
	"time"

	"github.com/serverless-kafka-connect/slkc/shared/connect"
)

// Target types of TimestampConverter (target.type).
const (
	tsString    = "string"
	tsUnix      = "unix"
	tsDate      = "Date"
	tsTime      = "Time"
	tsTimestamp = "Timestamp"
)

// timestampConverter is TimestampConverter$Key/$Value: converts the whole
// key/value or its field "field" between Unix epoch numbers (unix.precision:
// seconds, milliseconds (default), microseconds, nanoseconds), text in
// "format" (SimpleDateFormat subset, UTC, see javaDateFormat) and the Date,
// Time and Timestamp logical types. The source type comes from the schema
// (logical name, int64, string) or, schemaless, from the value (a JSON
// integer is unix, a string is text).
type timestampConverter struct {
	side        side
	target      string
	field       string
	format      *javaDateFormat
	precision   string
	replaceNull bool
	plans       planCache[*connect.Schema]
}

func newTimestampConverter(c *config, s side) *timestampConverter {
	t := &timestampConverter{side: s}
	t.target = c.required("target.type", "the target type (string, unix, Date, Time, Timestamp)")
	switch t.target {
	case tsString, tsUnix, tsDate, tsTime, tsTimestamp, "":
	default:
		c.fail("target.type", t.target, "allowed: string, unix, Date, Time, Timestamp")
	}
	t.field, _ = c.get("field")
	if p, ok := c.get("format"); ok && p != "" {
		f, err := parseJavaDateFormat(p)
		if err != nil {
			c.fail("format", p, err.Error())
		}
		t.format = f
	} else if t.target == tsString {
		c.fail("format", "", "missing; required when target.type is string")
	}
	t.precision = c.oneOf("unix.precision", "milliseconds", "seconds", "milliseconds", "microseconds", "nanoseconds")
	c.v1Fields()
	t.replaceNull = c.boolean("replace.null.with.default", true)
	return t
}

func (t *timestampConverter) targetSchema(optional bool) *connect.Schema {
	var s *connect.Schema
	switch t.target {
	case tsString:
		s = connect.Primitive(connect.String)
	case tsUnix:
		s = connect.Primitive(connect.Int64)
	case tsDate:
		s = connect.DateSchema()
	case tsTime:
		s = connect.TimeSchema()
	default:
		s = connect.TimestampSchema()
	}
	s.Optional = optional
	return s
}

const purposeTimestamp = "converting timestamp formats"

func (t *timestampConverter) Apply(r connect.Record) (connect.Record, bool, error) {
	schema, v := t.side.get(&r)
	if schema == nil {
		if v == nil || t.field == "" {
			out, err := t.convert(v, "")
			if err != nil {
				return r, false, err
			}
			t.side.set(&r, nil, out)
			return r, true, nil
		}
		out, err := updateFields(v, purposeTimestamp, []string{t.field}, func(_ string, x any) (any, error) {
			return t.convert(x, "")
		})
		if err != nil {
			return r, false, err
		}
		t.side.set(&r, nil, out)
		return r, true, nil
	}
	if t.field == "" {
		from, err := typeFromSchema(schema)
		if err != nil {
			return r, false, err
		}
		out, err := t.convert(v, from)
		if err != nil {
			return r, false, err
		}
		t.side.set(&r, t.targetSchema(schema.Optional), out)
		return r, true, nil
	}
	sv, err := structOrNull(v, purposeTimestamp)
	if err != nil {
		return r, false, err
	}
	if schema.Type != connect.Struct {
		return r, false, fmt.Errorf("the %s schema is %s; field %q needs a struct", t.side, schema.Type, t.field)
	}
	out := t.plans.get(schema, func(s *connect.Schema) *connect.Schema {
		fields := make([]connect.Field, len(s.Fields))
		for i, f := range s.Fields {
			fields[i] = connect.Field{Name: f.Name, Schema: f.Schema}
			if f.Name == t.field {
				fields[i].Schema = t.targetSchema(f.Schema.Optional)
			}
		}
		o := copyStructSchema(s, fields)
		o.Optional = s.Optional
		return o
	})
	if sv == nil {
		t.side.set(&r, out, nil)
		return r, true, nil
	}
	n := connect.NewStruct(out)
	for i, f := range sv.Schema.Fields {
		x := fieldValue(sv, i, t.replaceNull)
		if f.Name == t.field {
			from, err := typeFromSchema(f.Schema)
			if err != nil {
				return r, false, fmt.Errorf("field %q: %w", f.Name, err)
			}
			if x, err = t.convert(x, from); err != nil {
				return r, false, fmt.Errorf("field %q: %w", f.Name, err)
			}
		}
		n.Values[i] = x
	}
	t.side.set(&r, out, n)
	return r, true, nil
}

func typeFromSchema(s *connect.Schema) (string, error) {
	switch {
	case s.IsLogical(connect.TimestampName):
		return tsTimestamp, nil
	case s.IsLogical(connect.DateName):
		return tsDate, nil
	case s.IsLogical(connect.TimeName):
		return tsTime, nil
	case s.Type == connect.String:
		return tsString, nil
	case s.Type == connect.Int64:
		return tsUnix, nil
	}
	return "", fmt.Errorf("schema type %s (name %q) is not a timestamp type", s.Type, s.Name)
}

// convert turns v (of type from; "" infers it from the value) into the
// target type.
func (t *timestampConverter) convert(v any, from string) (any, error) {
	if v == nil {
		return nil, nil
	}
	if n, ok := v.(json.Number); ok {
		v = jsonNumber(n)
	}
	if from == "" {
		switch v.(type) {
		case time.Time:
			from = tsTimestamp
		case int64:
			from = tsUnix
		case string:
			from = tsString
		default:
			return nil, fmt.Errorf("TimestampConverter does not support %s values as timestamps", javaClass(v))
		}
	}
	var ms int64
	switch from {
	case tsString:
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("expected a string timestamp, found %s", javaClass(v))
		}
		if t.format == nil {
			return nil, fmt.Errorf("string timestamp %q needs the format key", s)
		}
		tm, err := t.format.parse(s)
		if err != nil {
			return nil, fmt.Errorf("could not parse timestamp %q with the format: %w", s, err)
		}
		ms = tm.UnixMilli()
	case tsUnix:
		n, ok := v.(int64)
		if !ok {
			return nil, fmt.Errorf("expected a Unix timestamp (int64), found %s", javaClass(v))
		}
		switch t.precision {
		case "seconds":
			ms = mulSaturate(n, 1000)
		case "microseconds":
			ms = n / 1000
		case "nanoseconds":
			ms = n / 1000000
		default:
			ms = n
		}
	default:
		tm, ok := v.(time.Time)
		if !ok {
			return nil, fmt.Errorf("expected a %s value, found %s", from, javaClass(v))
		}
		ms = tm.UnixMilli()
	}
	switch t.target {
	case tsString:
		return t.format.format(time.UnixMilli(ms)), nil
	case tsUnix:
		switch t.precision {
		case "seconds":
			return ms / 1000, nil
		case "microseconds":
			return mulSaturate(ms, 1000), nil
		case "nanoseconds":
			return mulSaturate(ms, 1000000), nil
		}
		return ms, nil
	case tsDate:
		return time.UnixMilli(floorDiv(ms, millisPerDay) * millisPerDay).UTC(), nil
	case tsTime:
		return time.UnixMilli(ms - floorDiv(ms, millisPerDay)*millisPerDay).UTC(), nil
	}
	return time.UnixMilli(ms).UTC(), nil
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// mulSaturate is TimeUnit's conversion: a product beyond int64 clamps.
func mulSaturate(a, b int64) int64 {
	if a > math.MaxInt64/b {
		return math.MaxInt64
	}
	if a < math.MinInt64/b {
		return math.MinInt64
	}
	return a * b
}
