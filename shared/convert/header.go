package convert

import (
	"encoding/base64"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/serverless-kafka-connect/slkc/shared/connect"
)

// SimpleHeaderConverterClass is Kafka Connect's default header.converter.
const SimpleHeaderConverterClass = "org.apache.kafka.connect.storage.SimpleHeaderConverter"

// HeaderConverter is Kafka Connect's HeaderConverter: it turns one record
// header's bytes into Connect data and back. Build it with NewHeader.
type HeaderConverter interface {
	// ToConnectHeader parses the value of header key; nil bytes give a
	// nil schema and value.
	ToConnectHeader(topic, key string, value []byte) (*connect.Schema, any, error)
	// FromConnectHeader serialises a header value; a nil value gives nil.
	FromConnectHeader(topic, key string, schema *connect.Schema, value any) ([]byte, error)
}

// HeaderClasses lists the header.converter classes NewHeader accepts.
func HeaderClasses() []string {
	return []string{SimpleHeaderConverterClass, StringConverterClass, ByteArrayConverterClass, JSONConverterClass}
}

// NewHeader builds the header converter named by class; props are the
// header.converter.* settings without the prefix. SimpleHeaderConverter
// takes no settings. StringConverter, ByteArrayConverter and JsonConverter
// are their value converters applied to header values, as in Kafka Connect
// (JsonConverter reads schemas.enable, default true).
func NewHeader(class string, props map[string]string) (HeaderConverter, error) {
	if class == SimpleHeaderConverterClass {
		if err := checkProps(props, nil); err != nil {
			return nil, fmt.Errorf("convert: %s: %w", class, err)
		}
		return SimpleHeaderConverter{}, nil
	}
	switch class {
	case StringConverterClass, ByteArrayConverterClass, JSONConverterClass:
	default:
		return nil, fmt.Errorf("convert: unknown header converter class %q: supported classes are %s", class, strings.Join(HeaderClasses(), ", "))
	}
	c, err := New(class, props, false)
	if err != nil {
		return nil, err
	}
	return headerAdapter{c}, nil
}

// headerAdapter uses a value converter for header values.
type headerAdapter struct{ c Converter }

func (h headerAdapter) ToConnectHeader(topic, _ string, value []byte) (*connect.Schema, any, error) {
	if value == nil {
		return nil, nil, nil
	}
	return h.c.ToConnect(topic, value)
}

func (h headerAdapter) FromConnectHeader(topic, _ string, schema *connect.Schema, value any) ([]byte, error) {
	return h.c.FromConnect(topic, schema, value)
}

// SimpleHeaderConverter is org.apache.kafka.connect.storage.SimpleHeaderConverter.
//
// ToConnectHeader reads the bytes as UTF-8 text and infers the schema the
// way Connect's Values.parseString does for a single token, trimmed as
// Java's String.trim does: blank text is a STRING as it is; "null" is
// null; "true"/"false" (lower case) BOOLEAN; a whole number of magnitude
// up to 1e19 the smallest of INT8, INT16, INT32, INT64 that holds it ("1.0"
// and "1e3" are whole numbers too); another number whose BigDecimal scale
// is not 0 ("0.5", "1e20") FLOAT32 when finite as a float, else FLOAT64,
// and one of scale 0 a Decimal; yyyy-MM-dd a Date, HH:mm:ss.SSS'Z' a Time
// and yyyy-MM-dd'T'HH:mm:ss.SSS'Z' a Timestamp (strictly: Connect's
// lenient SimpleDateFormat also takes e.g. month 13); anything else the
// STRING as is. Three deliberate differences, the last two because
// Connect loses data there: text in [...] or {...} stays a STRING (Connect
// parses it into an ARRAY or MAP); bytes that are not UTF-8 stay BYTES
// (Connect decodes them with replacement characters); and a number
// followed by one of Connect's delimiters , : [ ] { } " stays the STRING it
// is (Connect reads "12,34" and "12:30" as the INT8 12 and drops the
// rest). TestSimpleHeaderConverterMatchesKafka compares it with
// Kafka's own class.
//
// FromConnectHeader writes Values.convertToString's text as UTF-8:
// strings as they are, numbers and booleans as Java prints them, BYTES in
// base64, dates and times in the formats above (chosen by the value, as
// Connect does), decimals in plain notation, arrays as [a,b] and maps as
// {k:v} with strings inside quoted.
type SimpleHeaderConverter struct{}

var (
	headerString  = connect.Primitive(connect.String)
	headerBool    = connect.Primitive(connect.Boolean)
	headerInt8    = connect.Primitive(connect.Int8)
	headerInt16   = connect.Primitive(connect.Int16)
	headerInt32   = connect.Primitive(connect.Int32)
	headerInt64   = connect.Primitive(connect.Int64)
	headerFloat32 = connect.Primitive(connect.Float32)
	headerFloat64 = connect.Primitive(connect.Float64)
	headerBytes   = connect.Primitive(connect.Bytes)
	headerDate    = connect.DateSchema()
	headerTime    = connect.TimeSchema()
	headerTS      = connect.TimestampSchema()
)

// Connect's Values formats for temporal header values.
const (
	headerDateLayout = "2006-01-02"
	headerTimeLayout = "15:04:05.000Z"
	headerTSLayout   = "2006-01-02T15:04:05.000Z"
)

// ToConnectHeader implements HeaderConverter.
func (SimpleHeaderConverter) ToConnectHeader(_, _ string, value []byte) (*connect.Schema, any, error) {
	if value == nil {
		return nil, nil, nil
	}
	if !utf8.Valid(value) {
		return headerBytes, value, nil
	}
	s := string(value)
	// Connect reads the token trimmed as Java's String.trim does (every
	// character up to U+0020); blank text stays the STRING it is.
	tok := strings.TrimFunc(s, func(r rune) bool { return r <= ' ' })
	switch tok {
	case "":
		return headerString, s, nil
	case "null":
		return nil, nil, nil
	case "true":
		return headerBool, true, nil
	case "false":
		return headerBool, false, nil
	}
	if schema, v, ok := parseHeaderNumber(tok); ok {
		return schema, v, nil
	}
	// time.Parse allocates its error, so it only sees text of the
	// layout's length and separators (headers are read for every record).
	switch {
	case len(tok) == len(headerTSLayout) && tok[4] == '-' && tok[10] == 'T':
		if t, err := time.Parse(headerTSLayout, tok); err == nil {
			return headerTS, t.UTC(), nil
		}
	case len(tok) == len(headerDateLayout) && tok[4] == '-' && tok[7] == '-':
		if t, err := time.Parse(headerDateLayout, tok); err == nil {
			return headerDate, t.UTC(), nil
		}
	case len(tok) == len(headerTimeLayout) && tok[2] == ':' && tok[5] == ':':
		if t, err := time.Parse(headerTimeLayout, tok); err == nil {
			return headerTime, time.Date(1970, 1, 1, t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC), nil
		}
	}
	return headerString, s, nil
}

// parseHeaderNumber reads s as Java's BigDecimal does (sign, digits with
// an optional fraction, optional exponent) and picks the schema as
// Values.parseString does: a whole number of magnitude 0 or 1..1e19 that
// fits a long is the smallest of INT8..INT64; otherwise a number whose
// BigDecimal scale is not 0 is FLOAT32 when finite as a float, else
// FLOAT64 when finite as a double; anything else is a Decimal of its
// scale. ok is false when s is not such a number.
func parseHeaderNumber(s string) (*connect.Schema, any, bool) {
	// Connect tries a number only for text starting with a digit or sign.
	if c := s[0]; !(c >= '0' && c <= '9') && c != '+' && c != '-' {
		return nil, nil, false
	}
	unscaled, scale, ok := parseBigDecimal(s)
	if !ok {
		return nil, nil, false
	}
	r := new(big.Rat).SetFrac(unscaled, big.NewInt(1))
	if scale > 0 {
		r.SetFrac(unscaled, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(scale)), nil))
	} else if scale < 0 {
		r.SetInt(new(big.Int).Mul(unscaled, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(-scale)), nil)))
	}
	abs := new(big.Rat).Abs(r)
	if abs.Cmp(biggerThanLong) <= 0 && (abs.Sign() == 0 || abs.Cmp(ratOne) >= 0) && r.IsInt() && r.Num().IsInt64() {
		switch v := r.Num().Int64(); {
		case v >= math.MinInt8 && v <= math.MaxInt8:
			return headerInt8, int8(v), true
		case v >= math.MinInt16 && v <= math.MaxInt16:
			return headerInt16, int16(v), true
		case v >= math.MinInt32 && v <= math.MaxInt32:
			return headerInt32, int32(v), true
		default:
			return headerInt64, v, true
		}
	}
	if scale != 0 {
		if f, _ := r.Float32(); !math.IsInf(float64(f), 0) {
			return headerFloat32, f, true
		}
		if f, _ := r.Float64(); !math.IsInf(f, 0) {
			return headerFloat64, f, true
		}
	}
	return connect.DecimalSchema(scale, 0), connect.Decimal{Unscaled: unscaled, Scale: int32(scale)}, true
}

var (
	biggerThanLong = new(big.Rat).SetFloat64(1e19)
	ratOne         = big.NewRat(1, 1)
)

// parseBigDecimal parses Java BigDecimal text: an optional sign, digits
// with an optional '.' and fraction (at least one digit in all), an
// optional exponent e/E with optional sign. It returns the unscaled value
// and the scale (fraction digits minus the exponent).
func parseBigDecimal(s string) (*big.Int, int, bool) {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	digits := make([]byte, 0, len(s))
	if i > 0 && s[0] == '-' {
		digits = append(digits, '-')
	}
	n, frac := 0, 0
	for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		digits = append(digits, s[i])
		n++
	}
	if i < len(s) && s[i] == '.' {
		for i++; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
			digits = append(digits, s[i])
			n++
			frac++
		}
	}
	if n == 0 {
		return nil, 0, false
	}
	exp := 0
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		start := i
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if i == len(s) {
			return nil, 0, false
		}
		e, err := strconv.Atoi(s[start:])
		if err != nil || e > 1_000_000 || e < -1_000_000 {
			return nil, 0, false
		}
		exp, i = e, len(s)
	}
	if i != len(s) {
		return nil, 0, false
	}
	unscaled, ok := new(big.Int).SetString(string(digits), 10)
	return unscaled, frac - exp, ok
}

// FromConnectHeader implements HeaderConverter.
func (SimpleHeaderConverter) FromConnectHeader(_, key string, schema *connect.Schema, value any) ([]byte, error) {
	if value == nil {
		return nil, nil
	}
	var b strings.Builder
	if err := appendHeaderText(&b, schema, value, false); err != nil {
		return nil, fmt.Errorf("convert: SimpleHeaderConverter: header %q: %w", key, err)
	}
	return []byte(b.String()), nil
}

func appendHeaderText(b *strings.Builder, schema *connect.Schema, value any, embedded bool) error {
	switch v := value.(type) {
	case nil:
		b.WriteString("null")
	case string:
		if embedded {
			b.WriteByte('"')
			b.WriteString(strings.ReplaceAll(v, `"`, `\"`))
			b.WriteByte('"')
		} else {
			b.WriteString(v)
		}
	case []byte:
		s := base64.StdEncoding.EncodeToString(v)
		if embedded {
			s = `"` + s + `"`
		}
		b.WriteString(s)
	case time.Time:
		// Connect picks the format from the value, not the schema: before
		// one day after the epoch a time, on a day boundary a date, else
		// a timestamp (so the Date 1970-01-01 is written "00:00:00.000Z").
		layout := headerTSLayout
		switch ms := v.UnixMilli(); {
		case ms < millisPerDay:
			layout = headerTimeLayout
		case ms%millisPerDay == 0:
			layout = headerDateLayout
		}
		b.WriteString(v.UTC().Format(layout))
	case []any:
		var elem *connect.Schema
		if schema != nil {
			elem = schema.Items
		}
		b.WriteByte('[')
		for i, e := range v {
			if i > 0 {
				b.WriteByte(',')
			}
			if err := appendHeaderText(b, elem, e, true); err != nil {
				return err
			}
		}
		b.WriteByte(']')
	case []connect.MapEntry:
		var ks, vs *connect.Schema
		if schema != nil {
			ks, vs = schema.Keys, schema.Values
		}
		b.WriteByte('{')
		for i, e := range v {
			if i > 0 {
				b.WriteByte(',')
			}
			if err := appendHeaderText(b, ks, e.Key, true); err != nil {
				return err
			}
			b.WriteByte(':')
			if err := appendHeaderText(b, vs, e.Value, true); err != nil {
				return err
			}
		}
		b.WriteByte('}')
	default:
		s, ok := scalarText(value)
		if !ok {
			return fmt.Errorf("cannot write %T as header text", value)
		}
		b.WriteString(strings.Trim(s, `"`))
	}
	return nil
}
