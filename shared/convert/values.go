package convert

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/big"
	"math/bits"
	"strconv"
	"strings"
	"time"

	"github.com/serverless-kafka-connect/slkc/shared/connect"
)

// FieldError reports a value that does not fit its schema, with the path of
// the field inside the record (e.g. "after.amount" or "items[2]"). An empty
// Path means the top-level value.
type FieldError struct {
	Path string
	Err  error
}

func (e *FieldError) Error() string {
	if e.Path == "" {
		return e.Err.Error()
	}
	return fmt.Sprintf("field %q: %v", e.Path, e.Err)
}

func (e *FieldError) Unwrap() error { return e.Err }

// inField prefixes err's path with a struct field name.
func inField(err error, name string) error {
	var fe *FieldError
	if errors.As(err, &fe) {
		switch {
		case fe.Path == "":
			fe.Path = name
		case fe.Path[0] == '[':
			fe.Path = name + fe.Path
		default:
			fe.Path = name + "." + fe.Path
		}
		return err
	}
	return &FieldError{Path: name, Err: err}
}

// inIndex prefixes err's path with an array index or map key.
func inIndex(err error, idx string) error {
	seg := "[" + idx + "]"
	var fe *FieldError
	if errors.As(err, &fe) {
		if fe.Path == "" || fe.Path[0] == '[' {
			fe.Path = seg + fe.Path
		} else {
			fe.Path = seg + "." + fe.Path
		}
		return err
	}
	return &FieldError{Path: seg, Err: err}
}

var intRanges = map[connect.Type][2]int64{
	connect.Int8:  {math.MinInt8, math.MaxInt8},
	connect.Int16: {math.MinInt16, math.MaxInt16},
	connect.Int32: {math.MinInt32, math.MaxInt32},
	connect.Int64: {math.MinInt64, math.MaxInt64},
}

// toInt accepts any Go integer (or json.Number) whose value fits [lo, hi];
// out-of-range values are errors, never truncated.
func toInt(v any, lo, hi int64) (int64, error) {
	var n int64
	switch x := v.(type) {
	case int8:
		n = int64(x)
	case int16:
		n = int64(x)
	case int32:
		n = int64(x)
	case int64:
		n = x
	case int:
		n = int64(x)
	case uint8:
		n = int64(x)
	case uint16:
		n = int64(x)
	case uint32:
		n = int64(x)
	case uint:
		if uint64(x) > math.MaxInt64 {
			return 0, fmt.Errorf("value %d out of range [%d, %d]", x, lo, hi)
		}
		n = int64(x)
	case uint64:
		if x > math.MaxInt64 {
			return 0, fmt.Errorf("value %d out of range [%d, %d]", x, lo, hi)
		}
		n = int64(x)
	case json.Number:
		p, err := strconv.ParseInt(string(x), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("number %s is not an integer in [%d, %d]", x, lo, hi)
		}
		n = p
	default:
		return 0, fmt.Errorf("got Go type %T, want an integer", v)
	}
	if n < lo || n > hi {
		return 0, fmt.Errorf("value %d out of range [%d, %d]", n, lo, hi)
	}
	return n, nil
}

// toFloat accepts float32/float64, integers that convert exactly, and
// json.Number. A float64 for a float32 schema must be exactly representable
// (or non-finite), so precision is never silently lost.
func toFloat(v any, bits int) (float64, error) {
	var f float64
	switch x := v.(type) {
	case float32:
		return float64(x), nil
	case float64:
		f = x
	case json.Number:
		p, err := strconv.ParseFloat(string(x), bits)
		if err != nil {
			return 0, fmt.Errorf("number %s is not a float%d", x, bits)
		}
		return p, nil
	default:
		n, err := toInt(v, math.MinInt64, math.MaxInt64)
		if err != nil {
			return 0, fmt.Errorf("got Go type %T, want a float%d", v, bits)
		}
		f = float64(n)
		if int64(f) != n || (bits == 32 && int64(float32(f)) != n) {
			return 0, fmt.Errorf("integer %d is not exactly representable as float%d", n, bits)
		}
		return f, nil
	}
	if bits == 32 && !math.IsNaN(f) && !math.IsInf(f, 0) && float64(float32(f)) != f {
		return 0, fmt.Errorf("float64 %v is not exactly representable as float32", f)
	}
	return f, nil
}

// decimalScale reads the scale parameter of a Decimal schema.
func decimalScale(s *connect.Schema) (int32, error) {
	p, ok := s.Parameters[connect.DecimalScaleParam]
	if !ok {
		return 0, errors.New("invalid Decimal schema: scale parameter not found")
	}
	n, err := strconv.ParseInt(p, 10, 32)
	if err != nil {
		return 0, fmt.Errorf("invalid Decimal schema: scale %q is not an int32", p)
	}
	return int32(n), nil
}

var bigTen = big.NewInt(10)

// toDecimal returns the decimal's unscaled value at the schema scale. A
// smaller scale is widened exactly; a larger one is an error, as in Kafka's
// Decimal.fromLogical.
func toDecimal(v any, scale int32) (*big.Int, error) {
	var d connect.Decimal
	switch x := v.(type) {
	case connect.Decimal:
		d = x
	case *connect.Decimal:
		if x == nil {
			return nil, errors.New("nil *connect.Decimal")
		}
		d = *x
	default:
		return nil, fmt.Errorf("got Go type %T, want connect.Decimal", v)
	}
	u := d.Unscaled
	if u == nil {
		u = new(big.Int)
	}
	switch {
	case d.Scale == scale:
		return u, nil
	case d.Scale < scale:
		m := new(big.Int).Exp(bigTen, big.NewInt(int64(scale-d.Scale)), nil)
		return m.Mul(m, u), nil
	}
	return nil, fmt.Errorf("decimal %s has scale %d, larger than the schema scale %d", d.String(), d.Scale, scale)
}

// appendTwosComplement appends the minimal big-endian two's-complement bytes
// of x, as Java's BigInteger.toByteArray does.
func appendTwosComplement(b []byte, x *big.Int) []byte {
	if x.IsInt64() {
		n := x.Int64()
		m := uint64(n)
		if n < 0 {
			m = ^m
		}
		size := (64-bits.LeadingZeros64(m))/8 + 1
		for i := size - 1; i >= 0; i-- {
			b = append(b, byte(n>>(8*i)))
		}
		return b
	}
	if x.Sign() >= 0 {
		n := x.BitLen()/8 + 1
		start := len(b)
		b = append(b, make([]byte, n)...)
		x.FillBytes(b[start:])
		return b
	}
	m := new(big.Int).Neg(x)
	m.Sub(m, big.NewInt(1))
	n := m.BitLen()/8 + 1
	t := new(big.Int).Lsh(big.NewInt(1), uint(8*n))
	t.Add(t, x)
	start := len(b)
	b = append(b, make([]byte, n)...)
	t.FillBytes(b[start:])
	return b
}

// fromTwosComplement parses big-endian two's-complement bytes.
func fromTwosComplement(b []byte) (*big.Int, error) {
	if len(b) == 0 {
		return nil, errors.New("zero-length decimal bytes")
	}
	x := new(big.Int).SetBytes(b)
	if b[0]&0x80 != 0 {
		x.Sub(x, new(big.Int).Lsh(big.NewInt(1), uint(8*len(b))))
	}
	return x, nil
}

// parseJSONDecimal parses a JSON number ("12.50", "-1E+3") exactly.
func parseJSONDecimal(s string) (connect.Decimal, error) {
	mant, exp := s, int64(0)
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		e, err := strconv.ParseInt(strings.TrimPrefix(s[i+1:], "+"), 10, 32)
		if err != nil {
			return connect.Decimal{}, fmt.Errorf("number %s is not a decimal", s)
		}
		mant, exp = s[:i], e
	}
	d, err := connect.ParseDecimal(mant)
	if err != nil {
		return connect.Decimal{}, fmt.Errorf("number %s is not a decimal", s)
	}
	sc := int64(d.Scale) - exp
	if sc < math.MinInt32 || sc > math.MaxInt32 {
		return connect.Decimal{}, fmt.Errorf("number %s has a scale out of range", s)
	}
	d.Scale = int32(sc)
	return d, nil
}

// logicalDays is a Date value as int32 days since the epoch, as Kafka's
// Date.fromLogical computes it: a time.Time at midnight UTC, or the days.
func logicalDays(v any) (int64, error) {
	if x, ok := v.(time.Time); ok {
		ms := x.UnixMilli()
		if ms%millisPerDay != 0 || x.Nanosecond()%1e6 != 0 {
			return 0, fmt.Errorf("Date: %s has a time of day in UTC; Kafka Connect Date values must be midnight UTC", x.Format(time.RFC3339Nano))
		}
		days := ms / millisPerDay
		if days < math.MinInt32 || days > math.MaxInt32 {
			return 0, fmt.Errorf("Date: %s out of int32 day range", x.Format(time.RFC3339))
		}
		return days, nil
	}
	n, err := toInt(v, math.MinInt32, math.MaxInt32)
	if err != nil {
		return 0, fmt.Errorf("Date: want time.Time or int32 days: %w", err)
	}
	return n, nil
}

// logicalTimeMillis is a Time value as milliseconds since midnight
// (Kafka's Time.fromLogical): a time.Time on 1970-01-01 UTC, a
// time.Duration or the millis.
func logicalTimeMillis(v any) (int64, error) {
	var ms int64
	switch x := v.(type) {
	case time.Time:
		ms = x.UnixMilli()
	case time.Duration:
		ms = x.Milliseconds()
	default:
		n, err := toInt(v, math.MinInt32, math.MaxInt32)
		if err != nil {
			return 0, fmt.Errorf("Time: want time.Time, time.Duration or int32 millis: %w", err)
		}
		ms = n
	}
	if ms < 0 || ms >= millisPerDay {
		return 0, fmt.Errorf("Time: %d ms is outside one day; Kafka Connect Time values are 1970-01-01T00:00:00Z plus 0..86399999 ms", ms)
	}
	return ms, nil
}

// logicalTimestampMillis is a Timestamp value as epoch milliseconds: a
// time.Time or the millis.
func logicalTimestampMillis(v any) (int64, error) {
	if x, ok := v.(time.Time); ok {
		return x.UnixMilli(), nil
	}
	n, err := toInt(v, math.MinInt64, math.MaxInt64)
	if err != nil {
		return 0, fmt.Errorf("Timestamp: want time.Time or int64 millis: %w", err)
	}
	return n, nil
}
