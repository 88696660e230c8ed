package mysql

import (
	"database/sql"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"time"

	"github.com/serverless-kafka-connect/slkc/shared/connect"
	"github.com/serverless-kafka-connect/slkc/shared/errclass"
)

// colCodec converts one column's scanned value into its connect value.
type colCodec struct {
	table  string // "db.table" or "query", for errors
	col    Column
	schema *connect.Schema
	kind   kind
}

// errZeroDate marks a '0000-00-00' value; the caller turns it into NULL for
// nullable columns.
var errZeroDate = fmt.Errorf("zero date")

// convert turns a scanned value (raw for RawBytes kinds, v otherwise) into
// the connect Go value. It never truncates or wraps: a value that does not
// fit the schema is an error naming table, column and value.
//
// Zero dates ('0000-00-00', '0000-00-00 00:00:00', which MySQL stores when
// NO_ZERO_DATE is off) become NULL in a nullable column, as Connector/J's
// zeroDateTimeBehavior=CONVERT_TO_NULL does; in a NOT NULL column they are an
// error, since there is no instant to write.
//
// Values are boxed in a (see valueArena).
func (c *colCodec) convert(raw sql.RawBytes, v any, a *valueArena) (any, error) {
	if c.kind.usesRawBytes() {
		if raw == nil {
			return nil, nil
		}
	} else if v == nil {
		return nil, nil
	}
	out, err := c.convertNonNull(raw, v, a)
	if err == errZeroDate {
		if c.col.Nullable {
			return nil, nil
		}
		return nil, errclass.Data(fmt.Errorf("mysql source: table %s column %s: zero date in a NOT NULL column has no Kafka Connect value", c.table, c.col.Name))
	}
	if err != nil {
		return nil, errclass.Data(fmt.Errorf("mysql source: table %s column %s (%s): %w", c.table, c.col.Name, orDefault(c.col.ColumnType, c.col.DataType), err))
	}
	return out, nil
}

func (c *colCodec) convertNonNull(raw sql.RawBytes, v any, a *valueArena) (any, error) {
	switch c.kind {
	case kInt8:
		n, err := toInt64(v)
		if err != nil || n < math.MinInt8 || n > math.MaxInt8 {
			return nil, rangeErr(v, "int8", err)
		}
		return int8(n), nil
	case kInt16:
		n, err := toInt64(v)
		if err != nil || n < math.MinInt16 || n > math.MaxInt16 {
			return nil, rangeErr(v, "int16", err)
		}
		return a.i16.box(int16(n)), nil
	case kInt32:
		n, err := toInt64(v)
		if err != nil || n < math.MinInt32 || n > math.MaxInt32 {
			return nil, rangeErr(v, "int32", err)
		}
		return a.i32.box(int32(n)), nil
	case kInt64:
		n, err := toInt64(v)
		if err != nil {
			if c.col.Unsigned {
				return nil, fmt.Errorf("value %v does not fit int64 (bigint.unsigned.handling.mode=long); set bigint.unsigned.handling.mode=precise to read it as Decimal: %w", printable(v), err)
			}
			return nil, rangeErr(v, "int64", err)
		}
		return a.i64.box(n), nil
	case kFloat32:
		switch x := v.(type) {
		case float32:
			return x, nil
		case float64:
			return float32(x), nil
		case []byte:
			f, err := strconv.ParseFloat(string(x), 32)
			return float32(f), err
		}
	case kFloat64:
		switch x := v.(type) {
		case float64:
			return a.f64.box(x), nil
		case float32:
			return a.f64.box(float64(x)), nil
		case []byte:
			return strconv.ParseFloat(string(x), 64)
		}
	case kDecimal, kUint64Decimal:
		if d, ok := parseSmallDecimal(raw, int32(c.col.Scale)); ok {
			return a.decs.box(d), nil
		}
		d, err := connect.ParseDecimal(string(raw))
		if err != nil {
			return nil, err
		}
		return rescale(d, int32(c.col.Scale))
	case kDecimalInt8, kDecimalInt16, kDecimalInt32, kDecimalInt64:
		n, err := strconv.ParseInt(string(raw), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("value %q: %w", raw, err)
		}
		switch c.kind {
		case kDecimalInt8:
			if n < math.MinInt8 || n > math.MaxInt8 {
				return nil, rangeErr(string(raw), "int8", nil)
			}
			return int8(n), nil
		case kDecimalInt16:
			if n < math.MinInt16 || n > math.MaxInt16 {
				return nil, rangeErr(string(raw), "int16", nil)
			}
			return int16(n), nil
		case kDecimalInt32:
			if n < math.MinInt32 || n > math.MaxInt32 {
				return nil, rangeErr(string(raw), "int32", nil)
			}
			return int32(n), nil
		}
		return n, nil
	case kDecimalFloat64:
		return strconv.ParseFloat(string(raw), 64)
	case kBool:
		for _, b := range raw {
			if b != 0 {
				return true, nil
			}
		}
		return false, nil
	case kBits, kBytes:
		return append([]byte(nil), raw...), nil
	case kString:
		return a.strs.box(a.str(raw)), nil
	case kDate:
		t, err := toTime(v)
		if err != nil {
			return nil, err
		}
		if t.IsZero() {
			return nil, errZeroDate
		}
		return a.tms.box(time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)), nil
	case kTimestamp, kMicroTimestamp:
		t, err := toTime(v)
		if err != nil {
			return nil, err
		}
		if t.IsZero() {
			return nil, errZeroDate
		}
		if c.kind == kMicroTimestamp {
			return a.i64.box(t.UnixMicro()), nil
		}
		return a.tms.box(t.UTC()), nil
	case kTime:
		d, err := parseTimeOfDay(string(raw))
		if err != nil {
			return nil, err
		}
		return time.Unix(0, 0).UTC().Add(d), nil
	case kMicroTime:
		d, err := parseTime(string(raw))
		if err != nil {
			return nil, err
		}
		return d.Microseconds(), nil
	case kIntBool:
		n, err := toInt64(v)
		if err != nil {
			return nil, rangeErr(v, "boolean", err)
		}
		return n != 0, nil
	}
	return nil, fmt.Errorf("unexpected driver value %T %v", v, printable(v))
}

func rangeErr(v any, typ string, err error) error {
	if err != nil {
		return fmt.Errorf("value %v does not fit %s: %w", printable(v), typ, err)
	}
	return fmt.Errorf("value %v does not fit %s", printable(v), typ)
}

func printable(v any) any {
	if b, ok := v.([]byte); ok {
		return string(b)
	}
	return v
}

func toInt64(v any) (int64, error) {
	switch x := v.(type) {
	case int64:
		return x, nil
	case uint64:
		if x > math.MaxInt64 {
			return 0, fmt.Errorf("%d is above %d", x, int64(math.MaxInt64))
		}
		return int64(x), nil
	case []byte:
		return strconv.ParseInt(string(x), 10, 64)
	case string:
		return strconv.ParseInt(x, 10, 64)
	}
	return 0, fmt.Errorf("unexpected driver value %T", v)
}

func toTime(v any) (time.Time, error) {
	switch x := v.(type) {
	case time.Time:
		return x, nil
	case []byte:
		// parseTime is off in a caller-built *sql.DB: refuse rather than
		// guess the zone.
		return time.Time{}, fmt.Errorf("driver returned %q as text; open the database with parseTime=true (ConnConfig.DriverConfig does)", x)
	}
	return time.Time{}, fmt.Errorf("unexpected driver value %T", v)
}

// parseSmallDecimal is the allocation-light path for the common case: a
// decimal text with exactly scale fraction digits whose unscaled value fits
// 18 digits. ok is false for anything else (ParseDecimal handles it).
func parseSmallDecimal(raw []byte, scale int32) (connect.Decimal, bool) {
	i, neg := 0, false
	if len(raw) > 0 && raw[0] == '-' {
		i, neg = 1, true
	}
	var n int64
	digits, frac, dot := 0, int32(0), false
	for ; i < len(raw); i++ {
		b := raw[i]
		switch {
		case b == '.' && !dot:
			dot = true
		case b >= '0' && b <= '9':
			n = n*10 + int64(b-'0')
			digits++
			if dot {
				frac++
			}
		default:
			return connect.Decimal{}, false
		}
	}
	if digits == 0 || digits > 18 || frac != scale {
		return connect.Decimal{}, false
	}
	if neg {
		n = -n
	}
	return connect.Decimal{Unscaled: big.NewInt(n), Scale: scale}, true
}

// rescale returns d with exactly scale digits after the point, failing
// rather than dropping digits.
func rescale(d connect.Decimal, scale int32) (connect.Decimal, error) {
	switch {
	case d.Scale == scale:
		return d, nil
	case d.Scale < scale:
		f := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(scale-d.Scale)), nil)
		return connect.Decimal{Unscaled: new(big.Int).Mul(d.Unscaled, f), Scale: scale}, nil
	default:
		f := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(d.Scale-scale)), nil)
		q, r := new(big.Int).QuoRem(d.Unscaled, f, new(big.Int))
		if r.Sign() != 0 {
			return connect.Decimal{}, fmt.Errorf("value %s has more than %d decimal places", d, scale)
		}
		return connect.Decimal{Unscaled: q, Scale: scale}, nil
	}
}

// parseTimeOfDay parses MySQL TIME text into a duration since midnight.
// Kafka Connect's Time is a time of day, so negative values and values of
// 24 hours or more (valid MySQL intervals) are an error rather than a
// wrapped or clamped value.
func parseTimeOfDay(s string) (time.Duration, error) {
	d, err := parseTime(s)
	if err != nil {
		return 0, err
	}
	if d < 0 {
		return 0, fmt.Errorf("TIME value %q is negative; Kafka Connect Time holds a time of day (00:00:00 to 23:59:59.999999)", s)
	}
	if d >= 24*time.Hour {
		return 0, fmt.Errorf("TIME value %q is 24 hours or more; Kafka Connect Time holds a time of day (00:00:00 to 23:59:59.999999)", s)
	}
	return d, nil
}

// parseTime parses MySQL TIME text ("[-]HHH:MM:SS[.ffffff]", -838:59:59 to
// 838:59:59) into a signed duration.
func parseTime(s string) (time.Duration, error) {
	neg := len(s) > 0 && s[0] == '-'
	body := s
	if neg {
		body = s[1:]
	}
	var h, m, sec int64
	var frac string
	c1 := indexByte(body, ':')
	if c1 < 0 {
		return 0, fmt.Errorf("TIME value %q: not HH:MM:SS", s)
	}
	c2 := indexByte(body[c1+1:], ':')
	if c2 < 0 {
		return 0, fmt.Errorf("TIME value %q: not HH:MM:SS", s)
	}
	c2 += c1 + 1
	secPart := body[c2+1:]
	if dot := indexByte(secPart, '.'); dot >= 0 {
		frac, secPart = secPart[dot+1:], secPart[:dot]
	}
	var err error
	if h, err = strconv.ParseInt(body[:c1], 10, 64); err != nil {
		return 0, fmt.Errorf("TIME value %q: %w", s, err)
	}
	if m, err = strconv.ParseInt(body[c1+1:c2], 10, 64); err != nil {
		return 0, fmt.Errorf("TIME value %q: %w", s, err)
	}
	if sec, err = strconv.ParseInt(secPart, 10, 64); err != nil {
		return 0, fmt.Errorf("TIME value %q: %w", s, err)
	}
	var ns int64
	if frac != "" {
		if len(frac) > 9 {
			return 0, fmt.Errorf("TIME value %q: too many fractional digits", s)
		}
		f, err := strconv.ParseInt(frac, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("TIME value %q: %w", s, err)
		}
		for i := len(frac); i < 9; i++ {
			f *= 10
		}
		ns = f
	}
	d := time.Duration(h)*time.Hour + time.Duration(m)*time.Minute + time.Duration(sec)*time.Second + time.Duration(ns)
	if neg {
		d = -d
	}
	return d, nil
}

func indexByte(s string, b byte) int {
	for i := 0; i < len(s); i++ {
		if s[i] == b {
			return i
		}
	}
	return -1
}
