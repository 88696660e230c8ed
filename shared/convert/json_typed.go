package convert

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
	"unsafe"

	"github.com/serverless-kafka-connect/slkc/shared/connect"
	"github.com/serverless-kafka-connect/slkc/shared/jsonstr"
)

// typedDecoder decodes a payload straight into the Go values for its schema,
// without an intermediate generic tree. The data has already passed
// splitEnvelope, so its syntax is valid; the decoder still checks every
// bound so that no input can make it panic.
type typedDecoder struct {
	c *jsonConverter
	d []byte
	// text holds the bytes of the payload's unescaped strings: one
	// allocation per payload instead of one per string, sized at first use
	// to the rest of the payload, which bounds the strings still to come,
	// so it never grows and the strings carved from it are never written
	// again.
	text []byte
}

func (t *typedDecoder) decode(s *connect.Schema) (any, error) {
	v, end, err := t.value(s, 0, 0)
	if err != nil {
		return nil, err
	}
	if skipSpace(t.d, end) != len(t.d) {
		return nil, errors.New("invalid JSON: data after the payload")
	}
	return v, nil
}

// kindAt describes the JSON value at d[i] for error messages.
func (t *typedDecoder) kindAt(i int) string {
	end, err := skipValue(t.d, i, 0)
	if err != nil {
		return "invalid JSON"
	}
	switch t.d[i] {
	case '{':
		return "object"
	case '[':
		return "array"
	case '"':
		str, _, _ := t.str(i)
		return jsonKind(str)
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	}
	return "number " + string(t.d[i:end])
}

func (t *typedDecoder) mismatch(s *connect.Schema, i int) error {
	want := string(s.Type)
	if s.Name != "" {
		want = s.Name
	}
	return &FieldError{Err: fmt.Errorf("expected %s, got %s", want, t.kindAt(i))}
}

// plain returns the text of the JSON string at d[i] == '"' and the index
// after it when the string has no escape and is valid UTF-8 (ok false
// otherwise): the strings skipString accepts without escapes, found in
// one pass.
func (t *typedDecoder) plain(i int) (raw []byte, end int, ok bool) {
	n, ascii := jsonstr.Plain(t.d[i+1:])
	if end = i + 1 + n; end >= len(t.d) || t.d[end] != '"' {
		return nil, 0, false
	}
	raw = t.d[i+1 : end]
	return raw, end + 1, ascii || utf8.Valid(raw)
}

// str decodes the JSON string at d[i] == '"'.
func (t *typedDecoder) str(i int) (string, int, error) {
	if raw, end, ok := t.plain(i); ok {
		return t.carve(raw, i), end, nil
	}
	end, esc, err := skipString(t.d, i)
	if err != nil {
		return "", 0, err
	}
	raw := t.d[i+1 : end-1]
	if !esc && utf8.Valid(raw) {
		return t.carve(raw, i), end, nil
	}
	var s string
	if err := json.Unmarshal(t.d[i:end], &s); err != nil {
		return "", 0, fmt.Errorf("invalid JSON string: %w", err)
	}
	return s, end, nil
}

// name is str for a member name, except that a name without escapes is
// not copied: it points into the payload, so a caller of each that keeps
// a name — a map key, an error's path — copies it.
func (t *typedDecoder) name(i int) (string, int, error) {
	if raw, end, ok := t.plain(i); ok {
		return unsafe.String(unsafe.SliceData(raw), len(raw)), end, nil
	}
	return t.str(i)
}

// carve returns raw, which starts in d at or after i, as a string copied
// into t.text.
func (t *typedDecoder) carve(raw []byte, i int) string {
	if len(raw) == 0 {
		return ""
	}
	if t.text == nil {
		t.text = make([]byte, 0, len(t.d)-i)
	}
	if cap(t.text)-len(t.text) < len(raw) {
		return string(raw) // unreachable while the bound above holds
	}
	start := len(t.text)
	t.text = append(t.text, raw...)
	return unsafe.String(&t.text[start], len(raw))
}

// number returns the span of the JSON number at d[i], or ok=false. The
// span aliases the payload: callers parse it with a string conversion that
// does not escape, so a number costs no allocation.
func (t *typedDecoder) number(i int) ([]byte, int, bool) {
	c := t.d[i]
	if c != '-' && (c < '0' || c > '9') {
		return nil, 0, false
	}
	end, err := skipValue(t.d, i, 0)
	if err != nil {
		return nil, 0, false
	}
	return t.d[i:end], end, true
}

// smallInt reads the JSON integer at d[i] when it has at most 18 digits
// and ends where skipValue ends a literal: what number and
// strconv.ParseInt would give, in one scan. ok is false for anything
// else, which integer leaves to them.
func (t *typedDecoder) smallInt(i int) (n int64, end int, ok bool) {
	d, j := t.d, i
	neg := j < len(d) && d[j] == '-'
	if neg {
		j++
	}
	start := j
	for j < len(d) && j-start < 18 && d[j] >= '0' && d[j] <= '9' {
		n = n*10 + int64(d[j]-'0')
		j++
	}
	if digits := j - start; digits == 0 || digits > 1 && d[start] == '0' {
		return 0, 0, false
	}
	if j < len(d) {
		switch d[j] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
		default:
			return 0, 0, false // a 19th digit, a fraction, an exponent or no number
		}
	}
	if neg {
		n = -n
	}
	return n, j, true
}

func (t *typedDecoder) integer(s *connect.Schema, i int, lo, hi int64) (int64, int, error) {
	if n, end, ok := t.smallInt(i); ok && n >= lo && n <= hi {
		return n, end, nil
	}
	num, end, ok := t.number(i)
	if !ok {
		return 0, 0, t.mismatch(s, i)
	}
	n, err := strconv.ParseInt(string(num), 10, 64)
	if err != nil || n < lo || n > hi {
		want := string(s.Type)
		if s.Name != "" {
			want = s.Name
		}
		return 0, 0, &FieldError{Err: fmt.Errorf("number %s is not a valid %s (integer in [%d, %d])", num, want, lo, hi)}
	}
	return n, end, nil
}

func (t *typedDecoder) value(s *connect.Schema, i int, depth int) (any, int, error) {
	if depth > 10000 {
		return nil, 0, errors.New("invalid JSON: exceeded max depth")
	}
	i = skipSpace(t.d, i)
	if i >= len(t.d) {
		return nil, 0, errSyntax
	}
	if t.d[i] == 'n' {
		end, err := skipValue(t.d, i, 0)
		if err != nil {
			return nil, 0, err
		}
		v, err := t.c.toConnect(s, nil)
		return v, end, err
	}
	switch s.Name {
	case connect.DecimalName:
		scale, err := decimalScale(s)
		if err != nil {
			return nil, 0, &FieldError{Err: err}
		}
		if num, end, ok := t.number(i); ok {
			d, err := parseJSONDecimal(string(num))
			if err != nil {
				return nil, 0, &FieldError{Err: err}
			}
			if d.Scale < scale {
				u, _ := toDecimal(d, scale)
				d = connect.Decimal{Unscaled: u, Scale: scale}
			}
			return d, end, nil
		}
		if t.d[i] != '"' {
			return nil, 0, t.mismatch(s, i)
		}
		str, end, err := t.str(i)
		if err != nil {
			return nil, 0, err
		}
		raw, err := decodeBase64(str)
		if err != nil {
			return nil, 0, &FieldError{Err: fmt.Errorf("invalid bytes for Decimal: %w", err)}
		}
		u, err := fromTwosComplement(raw)
		if err != nil {
			return nil, 0, &FieldError{Err: fmt.Errorf("invalid bytes for Decimal: %w", err)}
		}
		return connect.Decimal{Unscaled: u, Scale: scale}, end, nil
	case connect.DateName:
		n, end, err := t.integer(s, i, math.MinInt32, math.MaxInt32)
		if err != nil {
			return nil, 0, err
		}
		return time.Unix(n*86400, 0).UTC(), end, nil
	case connect.TimeName:
		n, end, err := t.integer(s, i, 0, millisPerDay-1)
		if err != nil {
			return nil, 0, err
		}
		return time.UnixMilli(n).UTC(), end, nil
	case connect.TimestampName:
		n, end, err := t.integer(s, i, math.MinInt64, math.MaxInt64)
		if err != nil {
			return nil, 0, err
		}
		return time.UnixMilli(n).UTC(), end, nil
	}
	switch s.Type {
	case connect.Boolean:
		switch t.d[i] {
		case 't', 'f':
			end, err := skipValue(t.d, i, 0)
			if err != nil {
				return nil, 0, err
			}
			return t.d[i] == 't', end, nil
		}
		return nil, 0, t.mismatch(s, i)
	case connect.Int8:
		n, end, err := t.integer(s, i, math.MinInt8, math.MaxInt8)
		return int8(n), end, err
	case connect.Int16:
		n, end, err := t.integer(s, i, math.MinInt16, math.MaxInt16)
		return int16(n), end, err
	case connect.Int32:
		n, end, err := t.integer(s, i, math.MinInt32, math.MaxInt32)
		return int32(n), end, err
	case connect.Int64:
		n, end, err := t.integer(s, i, math.MinInt64, math.MaxInt64)
		return n, end, err
	case connect.Float32, connect.Float64:
		bits := 64
		if s.Type == connect.Float32 {
			bits = 32
		}
		var (
			f   float64
			end int
		)
		if num, e, ok := t.number(i); ok {
			var err error
			if f, err = strconv.ParseFloat(string(num), bits); err != nil {
				return nil, 0, &FieldError{Err: fmt.Errorf("number %s is out of range for %s", num, s.Type)}
			}
			end = e
		} else if t.d[i] == '"' {
			str, e, err := t.str(i)
			if err != nil {
				return nil, 0, err
			}
			if f, err = jsonFloat(s, str, bits); err != nil {
				return nil, 0, err
			}
			end = e
		} else {
			return nil, 0, t.mismatch(s, i)
		}
		if bits == 32 {
			return float32(f), end, nil
		}
		return f, end, nil
	case connect.String:
		if t.d[i] != '"' {
			return nil, 0, t.mismatch(s, i)
		}
		return t.str(i)
	case connect.Bytes:
		if t.d[i] != '"' {
			return nil, 0, t.mismatch(s, i)
		}
		end, esc, err := skipString(t.d, i)
		if err != nil {
			return nil, 0, err
		}
		raw := t.d[i+1 : end-1]
		if esc {
			str, _, err := t.str(i)
			if err != nil {
				return nil, 0, err
			}
			raw = []byte(str)
		}
		out := make([]byte, base64.RawStdEncoding.DecodedLen(len(raw))) // >= StdEncoding.DecodedLen
		n, err := base64.StdEncoding.Decode(out, raw)
		if err != nil {
			var err2 error
			if n, err2 = base64.RawStdEncoding.Decode(out, raw); err2 != nil {
				return nil, 0, &FieldError{Err: fmt.Errorf("invalid base64 bytes: %w", err)}
			}
		}
		return out[:n], end, nil
	case connect.Array:
		if t.d[i] != '[' {
			return nil, 0, t.mismatch(s, i)
		}
		out := make([]any, 0, 4)
		end, err := t.each(i, false, func(_ string, at int) (int, error) {
			v, end, err := t.value(s.Items, at, depth+1)
			if err != nil {
				return 0, inIndex(err, strconv.Itoa(len(out)))
			}
			out = append(out, v)
			return end, nil
		})
		if err != nil {
			return nil, 0, err
		}
		return out, end, nil
	case connect.Map:
		return t.mapValue(s, i, depth)
	case connect.Struct:
		if t.d[i] != '{' {
			return nil, 0, t.mismatch(s, i)
		}
		sv := connect.NewStruct(s)
		var seenSmall uint64
		var seenBig []bool
		if len(s.Fields) > 64 {
			seenBig = make([]bool, len(s.Fields))
		}
		next := 0
		end, err := t.each(i, true, func(key string, at int) (int, error) {
			idx := -1
			if next < len(s.Fields) && s.Fields[next].Name == key {
				idx = next
			} else if f := s.Field(key); f != nil {
				idx = f.Index
			}
			if idx < 0 || idx >= len(sv.Values) {
				return skipValue(t.d, at, depth+1) // unknown members are ignored, as in Kafka
			}
			next = idx + 1
			v, end, err := t.value(s.Fields[idx].Schema, at, depth+1)
			if err != nil {
				return 0, inField(err, strings.Clone(key))
			}
			sv.Values[idx] = v
			if seenBig != nil {
				seenBig[idx] = true
			} else {
				seenSmall |= 1 << uint(idx)
			}
			return end, nil
		})
		if err != nil {
			return nil, 0, err
		}
		for k := range s.Fields {
			seen := seenBig != nil && seenBig[k] || seenBig == nil && seenSmall&(1<<uint(k)) != 0
			if !seen {
				v, err := t.c.toConnect(s.Fields[k].Schema, nil)
				if err != nil {
					return nil, 0, inField(err, s.Fields[k].Name)
				}
				sv.Values[k] = v
			}
		}
		return sv, end, nil
	}
	return nil, 0, &FieldError{Err: fmt.Errorf("unsupported schema type %q", s.Type)}
}

// each walks the members of the object (or elements of the array) at d[i],
// calling fn with the member key and the index of its value; fn returns the
// index after the value. each returns the index after the closing bracket.
// The key may point into the payload (see name): fn copies what it keeps.
func (t *typedDecoder) each(i int, object bool, fn func(key string, at int) (int, error)) (int, error) {
	closer := byte(']')
	if object {
		closer = '}'
	}
	i = skipSpace(t.d, i+1)
	if i < len(t.d) && t.d[i] == closer {
		return i + 1, nil
	}
	for {
		key := ""
		if object {
			i = skipSpace(t.d, i)
			if i >= len(t.d) || t.d[i] != '"' {
				return 0, errSyntax
			}
			var err error
			if key, i, err = t.name(i); err != nil {
				return 0, err
			}
			i = skipSpace(t.d, i)
			if i >= len(t.d) || t.d[i] != ':' {
				return 0, errSyntax
			}
			i++
		}
		end, err := fn(key, skipSpace(t.d, i))
		if err != nil {
			return 0, err
		}
		i = skipSpace(t.d, end)
		if i >= len(t.d) {
			return 0, errSyntax
		}
		if t.d[i] == ',' {
			i++
			continue
		}
		if t.d[i] == closer {
			return i + 1, nil
		}
		return 0, errSyntax
	}
}

func (t *typedDecoder) mapValue(s *connect.Schema, i int, depth int) (any, int, error) {
	var (
		out []connect.MapEntry
		end int
		err error
	)
	if s.Keys.Type == connect.String {
		if t.d[i] != '{' {
			return nil, 0, &FieldError{Err: fmt.Errorf("maps with string keys must be JSON objects, got %s", t.kindAt(i))}
		}
		end, err = t.each(i, true, func(key string, at int) (int, error) {
			key = strings.Clone(key) // kept as the entry's key
			kv, err := t.c.toConnect(s.Keys, key)
			if err != nil {
				return 0, inIndex(err, strconv.Quote(key))
			}
			v, end, err := t.value(s.Values, at, depth+1)
			if err != nil {
				return 0, inIndex(err, strconv.Quote(key))
			}
			out = append(out, connect.MapEntry{Key: kv, Value: v})
			return end, nil
		})
		if err != nil {
			return nil, 0, err
		}
		// Sorted by key, last duplicate wins: the same result as decoding
		// into a Go map, independent of member order.
		sort.SliceStable(out, func(a, b int) bool { return out[a].Key.(string) < out[b].Key.(string) })
		w := 0
		for r := range out {
			if w > 0 && out[w-1].Key.(string) == out[r].Key.(string) {
				out[w-1] = out[r]
				continue
			}
			out[w] = out[r]
			w++
		}
		out = out[:w]
	} else {
		if t.d[i] != '[' {
			return nil, 0, &FieldError{Err: fmt.Errorf("maps with non-string keys must be JSON arrays of [key, value] pairs, got %s", t.kindAt(i))}
		}
		end, err = t.each(i, false, func(_ string, at int) (int, error) {
			n := strconv.Itoa(len(out))
			if t.c.entryObjects {
				e, end, err := t.entryObject(s, at, depth)
				if err != nil {
					return 0, inIndex(err, n)
				}
				out = append(out, e)
				return end, nil
			}
			if at >= len(t.d) || t.d[at] != '[' {
				return 0, inIndex(&FieldError{Err: fmt.Errorf("map entry must be a [key, value] array, got %s", t.kindAt(at))}, n)
			}
			var pair [2]any
			count := 0
			pairEnd, err := t.each(at, false, func(_ string, at2 int) (int, error) {
				if count >= 2 {
					return 0, &FieldError{Err: errors.New("map entry must be a [key, value] array, got more than 2 elements")}
				}
				sch := s.Keys
				if count == 1 {
					sch = s.Values
				}
				v, end, err := t.value(sch, at2, depth+2)
				if err != nil {
					return 0, err
				}
				pair[count] = v
				count++
				return end, nil
			})
			if err == nil && count != 2 {
				err = &FieldError{Err: fmt.Errorf("map entry must be a [key, value] array, got %d elements", count)}
			}
			if err != nil {
				return 0, inIndex(err, n)
			}
			out = append(out, connect.MapEntry{Key: pair[0], Value: pair[1]})
			return pairEnd, nil
		})
		if err != nil {
			return nil, 0, err
		}
	}
	if out == nil {
		out = []connect.MapEntry{}
	}
	return out, end, nil
}

// entryObject reads one {"key":k,"value":v} map entry (entryObjects).
func (t *typedDecoder) entryObject(s *connect.Schema, at, depth int) (connect.MapEntry, int, error) {
	var e connect.MapEntry
	if at >= len(t.d) || t.d[at] != '{' {
		return e, 0, &FieldError{Err: fmt.Errorf(`map entry must be a {"key":…,"value":…} object, got %s`, t.kindAt(at))}
	}
	var seenKey, seenValue bool
	end, err := t.each(at, true, func(key string, at2 int) (int, error) {
		var sch *connect.Schema
		var dst *any
		switch key {
		case "key":
			sch, dst, seenKey = s.Keys, &e.Key, true
		case "value":
			sch, dst, seenValue = s.Values, &e.Value, true
		default:
			return 0, &FieldError{Err: fmt.Errorf("map entry has member %q; only key and value are allowed", key)}
		}
		v, end, err := t.value(sch, at2, depth+2)
		if err != nil {
			return 0, err
		}
		*dst = v
		return end, nil
	})
	if err == nil && (!seenKey || !seenValue) {
		err = &FieldError{Err: errors.New(`map entry must have both "key" and "value"`)}
	}
	return e, end, err
}
