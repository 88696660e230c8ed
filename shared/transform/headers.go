package transform

import (
	"encoding/base64"
	"fmt"
	"math"
	"math/big"
	"strings"
	"time"

	"github.com/serverless-kafka-connect/slkc/shared/connect"
	"github.com/serverless-kafka-connect/slkc/shared/convert"
)

// Headers travel as bytes (connect.Header). A transform that adds a typed
// header (HeaderFrom, InsertHeader) writes the text Kafka Connect's default
// SimpleHeaderConverter writes for it (Values.convertToString), so a header
// reads the same whether a Kafka Connect worker or this project produced it.

// dropHeaders is org.apache.kafka.connect.transforms.DropHeaders: removes
// every header named in "headers".
type dropHeaders struct{ names map[string]bool }

func newDropHeaders(c *config) *dropHeaders {
	t := &dropHeaders{names: map[string]bool{}}
	for _, h := range c.requiredList("headers", "the names of the headers to drop") {
		t.names[h] = true
	}
	return t
}

func (t *dropHeaders) Apply(r connect.Record) (connect.Record, bool, error) {
	var out []connect.Header
	for _, h := range r.Headers {
		if !t.names[h.Key] {
			out = append(out, h)
		}
	}
	r.Headers = out
	return r, true, nil
}

// insertHeader is org.apache.kafka.connect.transforms.InsertHeader: adds
// header "header" with the value "value.literal", parsed the way Kafka's
// Values.parseString does and written back as its header text.
type insertHeader struct {
	name  string
	value []byte
}

func newInsertHeader(c *config) *insertHeader {
	t := &insertHeader{name: c.required("header", "the header name")}
	lit, ok := c.get("value.literal")
	if !ok {
		c.fail("value.literal", "", "missing; the header value is required")
	}
	if strings.HasPrefix(lit, "[") || strings.HasPrefix(lit, "{") {
		c.fail("value.literal", lit, "a literal array or map is not supported; give a string, number, boolean or date")
	}
	t.value = literalText(lit)
	return t
}

// literalText is the header text of Values.parseString(lit) (a literal that
// is not an array or map) written back by SimpleHeaderConverter. Kafka
// reads only the literal's first token (up to one of ",:{}[]"): "null"
// alone is no value; a token starting with a digit is tried as an ISO
// date, time (with the next four tokens) or timestamp, then, like one
// starting with a sign, as a number: integers that fit a long print as
// such, other numbers as a float, a double or a BigDecimal; anything else
// is the whole literal, unchanged.
func literalText(lit string) []byte {
	tokens := literalTokens(lit)
	switch {
	case lit == "":
		return []byte{}
	case lit == "null":
		return nil
	}
	token := strings.TrimSpace(tokens[0])
	if token == "" {
		return []byte(tokens[0])
	}
	if token[0] >= '0' && token[0] <= '9' {
		if len(tokens) >= 5 {
			if t, ok := literalTemporal(token + strings.Join(tokens[1:5], "")); ok {
				return []byte(javaDateText(t))
			}
		}
		if t, ok := literalTemporal(token); ok {
			return []byte(javaDateText(t))
		}
	}
	if strings.ContainsAny(token[:1], "0123456789+-") {
		if d, err := parseBigDecimal(token); err == nil {
			return []byte(literalNumber(d))
		}
	}
	return []byte(lit)
}

// literalTokens splits text after each of Kafka's parser delimiters.
func literalTokens(text string) []string {
	var out []string
	start := 0
	for i := 0; i < len(text); i++ {
		if strings.IndexByte(`",:{}[]`, text[i]) >= 0 {
			if i > start {
				out = append(out, text[start:i])
			}
			out = append(out, text[i:i+1])
			start = i + 1
		}
	}
	if start < len(text) || len(out) == 0 {
		out = append(out, text[start:])
	}
	return out
}

// literalTemporal parses an ISO time, timestamp or date by its length.
func literalTemporal(s string) (time.Time, bool) {
	var f *javaDateFormat
	switch len(s) {
	case len("00:00:00.000Z"):
		f = isoTime
	case len("0000-00-00T00:00:00.000Z"):
		f = isoTimestamp
	case len("0000-00-00"):
		f = isoDate
	default:
		return time.Time{}, false
	}
	t, err := f.parse(s)
	return t, err == nil
}

// literalNumber is the text of the narrowest type Kafka's parser gives d.
func literalNumber(d connect.Decimal) string {
	r := new(big.Rat).SetFrac(orZero(d.Unscaled), big.NewInt(1))
	if d.Scale > 0 {
		r.Quo(r, new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(d.Scale)), nil)))
	} else if d.Scale < 0 {
		r.Mul(r, new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(-d.Scale)), nil)))
	}
	if r.IsInt() && r.Num().IsInt64() {
		return r.Num().String()
	}
	n := jnum{d: &d}
	if f := n.float(32); d.Scale != 0 && !math.IsInf(f, 0) {
		t, _ := convert.JavaString(float32(f))
		return t
	}
	if f := n.float(64); d.Scale != 0 && !math.IsInf(f, 0) {
		t, _ := convert.JavaString(f)
		return t
	}
	t, _ := convert.JavaString(d)
	return t
}

func (t *insertHeader) Apply(r connect.Record) (connect.Record, bool, error) {
	h := make([]connect.Header, len(r.Headers), len(r.Headers)+1)
	copy(h, r.Headers)
	r.Headers = append(h, connect.Header{Key: t.name, Value: t.value})
	return r, true, nil
}

// headerText is Values.convertToString(schema, value): the bytes
// SimpleHeaderConverter writes for a header; nil for a null value.
func headerText(s *connect.Schema, v any) ([]byte, error) {
	if v == nil {
		return nil, nil
	}
	var b strings.Builder
	if err := appendText(&b, s, v, false); err != nil {
		return nil, err
	}
	return []byte(b.String()), nil
}

const millisPerDay = 24 * 60 * 60 * 1000

// appendText is Values.append: embedded strings (inside a struct, list or
// map) are quoted with \ and " escaped.
func appendText(b *strings.Builder, s *connect.Schema, v any, embedded bool) error {
	switch x := v.(type) {
	case nil:
		b.WriteString("null")
	case string:
		if embedded {
			b.WriteByte('"')
			b.WriteString(strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(x))
			b.WriteByte('"')
		} else {
			b.WriteString(x)
		}
	case []byte:
		if embedded {
			b.WriteByte('"')
		}
		b.WriteString(base64.StdEncoding.EncodeToString(x))
		if embedded {
			b.WriteByte('"')
		}
	case time.Time:
		b.WriteString(javaDateText(x))
	case []any:
		var items *connect.Schema
		if s != nil {
			items = s.Items
		}
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteByte(',')
			}
			if err := appendText(b, items, e, true); err != nil {
				return err
			}
		}
		b.WriteByte(']')
	case map[string]any:
		b.WriteByte('{')
		for i, k := range sortedKeys(x) {
			if i > 0 {
				b.WriteByte(',')
			}
			appendText(b, nil, k, true)
			b.WriteByte(':')
			if err := appendText(b, nil, x[k], true); err != nil {
				return err
			}
		}
		b.WriteByte('}')
	case []connect.MapEntry:
		var ks, vs *connect.Schema
		if s != nil {
			ks, vs = s.Keys, s.Values
		}
		b.WriteByte('{')
		for i, e := range x {
			if i > 0 {
				b.WriteByte(',')
			}
			if err := appendText(b, ks, e.Key, true); err != nil {
				return err
			}
			b.WriteByte(':')
			if err := appendText(b, vs, e.Value, true); err != nil {
				return err
			}
		}
		b.WriteByte('}')
	case *connect.StructValue:
		b.WriteByte('{')
		for i, f := range x.Schema.Fields {
			if i > 0 {
				b.WriteByte(',')
			}
			appendText(b, nil, f.Name, true)
			b.WriteByte(':')
			if err := appendText(b, f.Schema, fieldValue(x, i, true), true); err != nil {
				return err
			}
		}
		b.WriteByte('}')
	default:
		t, ok := convert.JavaString(v)
		if !ok {
			return fmt.Errorf("cannot write a %T as header text", v)
		}
		b.WriteString(t)
	}
	return nil
}

var (
	isoTime      = mustDateFormat("HH:mm:ss.SSS'Z'")
	isoDate      = mustDateFormat("yyyy-MM-dd")
	isoTimestamp = mustDateFormat("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'")
)

func mustDateFormat(p string) *javaDateFormat {
	f, err := parseJavaDateFormat(p)
	if err != nil {
		panic(err)
	}
	return f
}

// javaDateText is Values.dateFormatFor(d).format(d) in UTC: a time of day
// for the first day after the epoch, a date at midnight, else a timestamp.
func javaDateText(t time.Time) string {
	ms := t.UnixMilli()
	switch {
	case ms < millisPerDay:
		return isoTime.format(t)
	case ms%millisPerDay == 0:
		return isoDate.format(t)
	}
	return isoTimestamp.format(t)
}
