// Package connect holds Kafka Connect's data model in Go: schemas, structs,
// logical types and records. Converters, transforms and connectors all speak
// these types, so a source's output and a sink's input mean the same thing as
// they do in a Kafka Connect worker.
package connect

import (
	"fmt"
	"math/big"
	"strconv"
)

// Type is a Kafka Connect schema type, spelled as Schema.Type.getName() does
// ("float32", "float64"); JsonConverter writes those two as "float" and
// "double", which shared/convert maps in both directions.
type Type string

// The schema types of org.apache.kafka.connect.data.Schema.Type.
const (
	Int8    Type = "int8"
	Int16   Type = "int16"
	Int32   Type = "int32"
	Int64   Type = "int64"
	Float32 Type = "float32"
	Float64 Type = "float64"
	Boolean Type = "boolean"
	String  Type = "string"
	Bytes   Type = "bytes"
	Array   Type = "array"
	Map     Type = "map"
	Struct  Type = "struct"
)

// Logical type names, as Kafka Connect and Debezium write them in the schema
// "name" field.
const (
	// DecimalName is bytes holding a big-endian two's-complement unscaled
	// value; the scale is in parameter "scale".
	DecimalName = "org.apache.kafka.connect.data.Decimal"
	// DateName is int32 days since the Unix epoch.
	DateName = "org.apache.kafka.connect.data.Date"
	// TimeName is int32 milliseconds since midnight.
	TimeName = "org.apache.kafka.connect.data.Time"
	// TimestampName is int64 milliseconds since the Unix epoch.
	TimestampName = "org.apache.kafka.connect.data.Timestamp"
	// MicroTimestampName is Debezium's int64 microseconds since the Unix
	// epoch (a date-time without zone).
	MicroTimestampName = "io.debezium.time.MicroTimestamp"
	// MicroTimeName is Debezium's int64 microseconds since midnight.
	MicroTimeName = "io.debezium.time.MicroTime"

	// DecimalScaleParam is the parameter that carries a Decimal's scale.
	DecimalScaleParam = "scale"
	// DecimalPrecisionParam is the parameter the JDBC connectors and Debezium
	// add to carry the column precision.
	DecimalPrecisionParam = "connect.decimal.precision"
)

// Field is one field of a struct schema.
type Field struct {
	Name   string
	Index  int
	Schema *Schema
}

// Schema describes a value the way org.apache.kafka.connect.data.Schema does.
// Only the members that fit Type are used: Fields for Struct, Items for Array,
// Keys and Values for Map.
type Schema struct {
	Type       Type
	Optional   bool
	Default    any
	Name       string
	Version    int
	Doc        string
	Parameters map[string]string
	Fields     []Field
	Items      *Schema
	Keys       *Schema
	Values     *Schema
}

// Field returns the struct field with the given name, or nil.
func (s *Schema) Field(name string) *Field {
	if s == nil {
		return nil
	}
	for i := range s.Fields {
		if s.Fields[i].Name == name {
			return &s.Fields[i]
		}
	}
	return nil
}

// IsLogical reports whether the schema is the named logical type.
func (s *Schema) IsLogical(name string) bool { return s != nil && s.Name == name }

// Optionally returns a copy of s marked optional.
func (s Schema) Optionally() *Schema { s.Optional = true; return &s }

// Primitive returns a required schema of a primitive type.
func Primitive(t Type) *Schema { return &Schema{Type: t} }

// NewStructSchema returns a struct schema with the fields in order; the field
// indexes are set from that order.
func NewStructSchema(name string, fields ...Field) *Schema {
	s := &Schema{Type: Struct, Name: name, Fields: make([]Field, len(fields))}
	for i, f := range fields {
		f.Index = i
		s.Fields[i] = f
	}
	return s
}

// DecimalSchema returns the Decimal logical schema. A precision of 0 leaves
// the precision parameter out, as Kafka Connect's own Decimal.schema does.
func DecimalSchema(scale, precision int) *Schema {
	p := map[string]string{DecimalScaleParam: fmt.Sprint(scale)}
	if precision > 0 {
		p[DecimalPrecisionParam] = fmt.Sprint(precision)
	}
	return &Schema{Type: Bytes, Name: DecimalName, Version: 1, Parameters: p}
}

// DateSchema returns the Date logical schema.
func DateSchema() *Schema { return &Schema{Type: Int32, Name: DateName, Version: 1} }

// TimeSchema returns the Time logical schema.
func TimeSchema() *Schema { return &Schema{Type: Int32, Name: TimeName, Version: 1} }

// TimestampSchema returns the Timestamp logical schema.
func TimestampSchema() *Schema { return &Schema{Type: Int64, Name: TimestampName, Version: 1} }

// MicroTimestampSchema returns Debezium's MicroTimestamp schema (version 1,
// as Debezium builds it); values are int64.
func MicroTimestampSchema() *Schema {
	return &Schema{Type: Int64, Name: MicroTimestampName, Version: 1}
}

// MicroTimeSchema returns Debezium's MicroTime schema (version 1); values
// are int64.
func MicroTimeSchema() *Schema { return &Schema{Type: Int64, Name: MicroTimeName, Version: 1} }

// Decimal is the value of a Decimal logical type: Unscaled × 10^-Scale.
type Decimal struct {
	Unscaled *big.Int
	Scale    int32
}

// String formats the decimal in plain notation, keeping every digit of the
// scale (e.g. "12.50" for unscaled 1250, scale 2).
func (d Decimal) String() string {
	if d.Unscaled == nil {
		return "0"
	}
	if d.Unscaled.IsInt64() && d.Scale >= -smallDecimalZeros && d.Scale <= smallDecimalZeros {
		var buf [2*smallDecimalZeros + 24]byte
		return string(appendSmallDecimal(buf[:0], d.Unscaled.Int64(), d.Scale))
	}
	return d.bigString()
}

// smallDecimalZeros bounds |Scale| for appendSmallDecimal's stack buffer.
const smallDecimalZeros = 40

// appendSmallDecimal appends String's text for an unscaled value that
// fits in an int64, without math/big (which String spent most of its time
// and allocations in, for the decimals of ordinary rows).
func appendSmallDecimal(b []byte, v int64, scale int32) []byte {
	u := uint64(v)
	if v < 0 {
		b = append(b, '-')
		u = -u // two's complement: right for math.MinInt64 too
	}
	var digits [20]byte
	ds := strconv.AppendUint(digits[:0], u, 10)
	switch sc := int(scale); {
	case sc <= 0:
		b = append(b, ds...)
		for range -sc {
			b = append(b, '0')
		}
	case len(ds) <= sc:
		b = append(b, '0', '.')
		for range sc - len(ds) {
			b = append(b, '0')
		}
		b = append(b, ds...)
	default:
		b = append(b, ds[:len(ds)-sc]...)
		b = append(b, '.')
		b = append(b, ds[len(ds)-sc:]...)
	}
	return b
}

// bigString is String through math/big, for any unscaled value and scale.
func (d Decimal) bigString() string {
	s := new(big.Int).Abs(d.Unscaled).String()
	neg := d.Unscaled.Sign() < 0
	if d.Scale > 0 {
		for len(s) <= int(d.Scale) {
			s = "0" + s
		}
		s = s[:len(s)-int(d.Scale)] + "." + s[len(s)-int(d.Scale):]
	} else if d.Scale < 0 {
		for i := int32(0); i < -d.Scale; i++ {
			s += "0"
		}
	}
	if neg {
		s = "-" + s
	}
	return s
}

// ParseDecimal parses plain decimal notation ("-12.50") keeping its scale.
func ParseDecimal(s string) (Decimal, error) {
	digits, scale := s, int32(0)
	for i := 0; i < len(s); i++ {
		if s[i] == '.' {
			digits = s[:i] + s[i+1:]
			scale = int32(len(s) - i - 1)
			break
		}
	}
	u, ok := new(big.Int).SetString(digits, 10)
	if !ok || digits == "" || digits == "-" || digits == "+" {
		return Decimal{}, fmt.Errorf("connect: %q is not a decimal number", s)
	}
	return Decimal{Unscaled: u, Scale: scale}, nil
}
