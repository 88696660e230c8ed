package transform

import (
	"encoding/base64"
	"fmt"
	"math"
	"math/big"
	"strconv"
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
	lit, ok := c.props["value.literal"]
	c.used["value.literal"] = true
	if !ok {
		c.fail("value.literal", "", "missing; the header value is required")
	}
	if strings.ContainsAny(lit[:min(1, len(lit))], "[{\"") {
		c.fail("value.literal", lit, "a literal array, map or quoted string is not supported; give a plain string, number or boolean")
	}
	t.value = literalText(lit)
	return t
}

// literalText is the header text of Values.parseString(lit) written back by
// SimpleHeaderConverter: numbers take their Java form (an integer without
// leading zeros or sign, "1.50" as the float 1.5, "1e3" as 1000, "1e30"
// as 1.0E30), "null" no value, other text (booleans too) unchanged.
func literalText(lit string) []byte {
	switch {
	case lit == "":
		return []byte{}
	case lit == "null":
		return nil
	case !bigDecimalText.MatchString(lit):
		return []byte(lit)
	}
	if n, ok := new(big.Int).SetString(strings.TrimPrefix(lit, "+"), 10); ok {
		return []byte(n.String()) // an integer of any size
	}
	// a decimal with an integral value that fits a long is that integer
	if r, ok := new(big.Rat).SetString(lit); ok && r.IsInt() && r.Num().IsInt64() {
		return []byte(r.Num().String())
	}
	if f, err := strconv.ParseFloat(lit, 32); err == nil && !math.IsInf(f, 0) {
		t, _ := convert.JavaString(float32(f))
		return []byte(t)
	}
	if f, err := strconv.ParseFloat(lit, 64); err == nil && !math.IsInf(f, 0) {
		t, _ := convert.JavaString(f)
		return []byte(t)
	}
	return []byte(lit)
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
