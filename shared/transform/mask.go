package transform

import (
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/serverless-kafka-connect/slkc/shared/connect"
)

// maskField is MaskField$Key/$Value: the "fields" get the empty value of
// their type (0, false, "", epoch, empty list/map) or, with "replacement",
// that text parsed as the field's type (numbers and strings only). The
// schema is unchanged. It keeps columns from leaving the database while the
// column stays in the record.
type maskField struct {
	side        side
	fields      map[string]bool
	names       []string
	replacement *string
	replaceNull bool
}

func newMaskField(c *config, s side) *maskField {
	t := &maskField{side: s, fields: map[string]bool{}}
	t.names = c.requiredList("fields", "the fields to mask")
	for _, f := range t.names {
		t.fields[f] = true
	}
	if v, ok := c.get("replacement"); ok {
		if v == "" {
			c.fail("replacement", v, "must not be empty; leave it out to mask with the type's empty value")
		}
		t.replacement = &v
	}
	c.v1Fields()
	t.replaceNull = c.boolean("replace.null.with.default", true)
	return t
}

const purposeMask = "masking fields"

func (t *maskField) Apply(r connect.Record) (connect.Record, bool, error) {
	schema, v := t.side.get(&r)
	if schema == nil {
		out, err := updateFields(v, purposeMask, t.names, func(_ string, x any) (any, error) { return t.mask(x) })
		if err != nil {
			return r, false, err
		}
		t.side.set(&r, nil, out)
		return r, true, nil
	}
	sv, err := requireStruct(v, purposeMask)
	if err != nil {
		return r, false, err
	}
	n := connect.NewStruct(sv.Schema)
	for i, f := range sv.Schema.Fields {
		x := fieldValue(sv, i, t.replaceNull)
		if t.fields[f.Name] {
			var err error
			if x, err = t.mask(x); err != nil {
				return r, false, fmt.Errorf("field %q: %w", f.Name, err)
			}
			if d, ok := x.(connect.Decimal); ok && f.Schema.IsLogical(connect.DecimalName) &&
				f.Schema.Parameters[connect.DecimalScaleParam] != strconv.Itoa(int(d.Scale)) {
				// Kafka's MaskField yields BigDecimal.ZERO (or the parsed
				// replacement) and its JsonConverter refuses a scale that is
				// not the schema's; refuse it here rather than rescale.
				return r, false, fmt.Errorf("field %q: the masked decimal has scale %d, the schema scale %s; give a replacement with that scale",
					f.Name, d.Scale, f.Schema.Parameters[connect.DecimalScaleParam])
			}
		}
		n.Values[i] = x
	}
	t.side.set(&r, schema, n)
	return r, true, nil
}

func (t *maskField) mask(v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	if n, ok := v.(json.Number); ok { // schemaless JSON: Long or Double in Kafka
		if strings.ContainsAny(string(n), ".eE") {
			f, _ := n.Float64()
			v = f
		} else {
			i, _ := n.Int64()
			v = i
		}
	}
	if t.replacement != nil {
		return maskWith(v, *t.replacement)
	}
	switch v.(type) {
	case bool:
		return false, nil
	case int8:
		return int8(0), nil
	case int16:
		return int16(0), nil
	case int32:
		return int32(0), nil
	case int64:
		return int64(0), nil
	case float32:
		return float32(0), nil
	case float64:
		return float64(0), nil
	case string:
		return "", nil
	case connect.Decimal:
		return connect.Decimal{Unscaled: new(big.Int)}, nil
	case time.Time:
		return time.UnixMilli(0).UTC(), nil
	case []any:
		return []any{}, nil
	case []connect.MapEntry:
		return []connect.MapEntry{}, nil
	case map[string]any:
		return map[string]any{}, nil
	}
	return nil, fmt.Errorf("cannot mask a value of type %s", javaClass(v))
}

// maskWith parses the replacement as v's type, as Kafka's MaskField does:
// a number is read as a BigDecimal and narrowed (so "1e3" masks an int as
// 1000 and a value beyond the type wraps).
func maskWith(v any, repl string) (any, error) {
	switch v.(type) {
	case string:
		return repl, nil
	case int8, int16, int32, int64, float32, float64, connect.Decimal:
		d, err := parseBigDecimal(repl)
		if err != nil {
			return nil, fmt.Errorf("unable to convert replacement %q to a number: %w", repl, err)
		}
		if _, ok := v.(connect.Decimal); ok {
			return d, nil
		}
		return jnum{d: &d}.to(schemalessType(v)), nil
	}
	return nil, fmt.Errorf("cannot mask a value of type %s with a replacement", javaClass(v))
}

var bigDecimalText = regexp.MustCompile(`^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$`)

// parseBigDecimal reads text as Java's new BigDecimal(text) does, exponent
// included ("1.5e3" is 1500 with scale -2).
func parseBigDecimal(text string) (connect.Decimal, error) {
	if !bigDecimalText.MatchString(text) {
		return connect.Decimal{}, fmt.Errorf("%q is not a decimal number", text)
	}
	mant, exp, _ := strings.Cut(strings.ToLower(text), "e")
	scale := int64(0)
	if whole, frac, ok := strings.Cut(mant, "."); ok {
		scale, mant = int64(len(frac)), whole+frac
	}
	if exp != "" {
		e, err := strconv.ParseInt(exp, 10, 32)
		if err != nil {
			return connect.Decimal{}, fmt.Errorf("%q: exponent out of range", text)
		}
		scale -= e
	}
	if scale < math.MinInt32 || scale > math.MaxInt32 {
		return connect.Decimal{}, fmt.Errorf("%q: scale out of range", text)
	}
	u, _ := new(big.Int).SetString(strings.TrimPrefix(mant, "+"), 10)
	return connect.Decimal{Unscaled: u, Scale: int32(scale)}, nil
}
