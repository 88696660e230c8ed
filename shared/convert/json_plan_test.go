package convert

import (
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/serverless-kafka-connect/slkc/shared/connect"
)

// TestPlannedFieldsMatchGeneric is the differential test of the struct
// field plans: a converter with a schema cache writes a struct through
// its plan (appendFields), one with schemas.cache.size=0 through
// appendValue alone, and the two must give the same bytes, or the same
// error, for every value: the short paths' types, and everything the short
// paths hand back (nil, other Go types, out-of-range integers, decimals of
// another scale, json.Number, a struct where a primitive belongs).
func TestPlannedFieldsMatchGeneric(t *testing.T) {
	withDefault := connect.Primitive(connect.Int32).Optionally()
	withDefault.Default = int32(7)
	badScale := connect.DecimalSchema(2, 10)
	badScale.Parameters = map[string]string{connect.DecimalScaleParam: "x"}
	badScale.Optional = true // a null goes through; a value fails
	inner := connect.NewStructSchema("Inner", connect.Field{Name: "a", Schema: connect.Primitive(connect.Int16)})
	fields := []connect.Field{
		{Name: "i8", Schema: connect.Primitive(connect.Int8)},
		{Name: "i16", Schema: connect.Primitive(connect.Int16)},
		{Name: "i32", Schema: connect.Primitive(connect.Int32)},
		{Name: "i64", Schema: connect.Primitive(connect.Int64)},
		{Name: "opt_i32", Schema: connect.Primitive(connect.Int32).Optionally()},
		{Name: "def_i32", Schema: withDefault},
		{Name: "s", Schema: connect.Primitive(connect.String)},
		{Name: "opt_s", Schema: connect.Primitive(connect.String).Optionally()},
		{Name: "ts", Schema: connect.TimestampSchema()},
		{Name: "opt_ts", Schema: connect.TimestampSchema().Optionally()},
		{Name: "dec", Schema: connect.DecimalSchema(2, 12)},
		{Name: "bad_scale", Schema: badScale},
		{Name: "date", Schema: connect.DateSchema()},
		{Name: "f64", Schema: connect.Primitive(connect.Float64)},
		{Name: "bytes", Schema: connect.Primitive(connect.Bytes)},
		{Name: "inner", Schema: inner},
		{Name: `quote"d \ name`, Schema: connect.Primitive(connect.String)},
		{Name: "é\x01", Schema: connect.Primitive(connect.Int64)},
	}
	schema := connect.NewStructSchema("row", fields...)
	in := connect.NewStruct(inner)
	in.Values[0] = int16(3)
	candidates := []any{
		nil, int8(-5), int16(300), int32(-70000), int64(math.MaxInt64), int64(math.MinInt64), 12, uint64(math.MaxUint64), uint8(200),
		json.Number("42"), json.Number("4.2"), "", "text", "tab\tand \"quote\" and ü", "\xff bad utf-8",
		time.UnixMilli(1_700_000_000_123).UTC(), time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC), time.Time{},
		connect.Decimal{Unscaled: big.NewInt(-12345), Scale: 2}, connect.Decimal{Unscaled: big.NewInt(5), Scale: 0},
		connect.Decimal{Unscaled: big.NewInt(1), Scale: 3}, &connect.Decimal{Unscaled: big.NewInt(99), Scale: 2}, connect.Decimal{},
		1.5, float32(2.25), []byte("raw"), true, in, *in, []any{1},
	}
	for _, props := range []map[string]string{{}, {"schemas.enable": "false"}, {"decimal.format": "NUMERIC"}, {"replace.null.with.default": "false"}} {
		planned := mustJSON(t, props).(*jsonConverter)
		genericProps := map[string]string{"schemas.cache.size": "0"}
		for k, v := range props {
			genericProps[k] = v
		}
		generic := mustJSON(t, genericProps).(*jsonConverter)
		rng := rand.New(rand.NewPCG(1, uint64(len(props))))
		differences, errs := 0, 0
		for n := range 20_000 {
			row := connect.NewStruct(schema)
			for i := range row.Values {
				row.Values[i] = candidates[rng.IntN(len(candidates))]
			}
			// Most rows get values a source would write, so that whole
			// rows (not only their first bad field) are compared too.
			if n%2 == 0 {
				row.Values = []any{int8(1), int16(2), int32(3), int64(4), nil, nil, "s", nil, time.UnixMilli(int64(n)).UTC(), nil,
					connect.Decimal{Unscaled: big.NewInt(int64(n) - 10_000), Scale: 2}, nil, time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC), 1.5, []byte{1}, in, "q", int64(n)}
			}
			got, gotErr := planned.AppendFromConnect(nil, "t", schema, row)
			want, wantErr := generic.AppendFromConnect(nil, "t", schema, row)
			if fmt.Sprint(gotErr) != fmt.Sprint(wantErr) || string(got) != string(want) {
				differences++
				if differences <= 3 {
					t.Errorf("props %v, row %v:\nplanned %s (%v)\ngeneric %s (%v)", props, row.Values, got, gotErr, want, wantErr)
				}
			}
			if wantErr != nil {
				errs++
			}
		}
		if errs == 0 || errs == 20_000 {
			t.Errorf("props %v: %d of 20000 rows failed; the test must cover both outcomes", props, errs)
		}
		if len(planned.encCache) == 0 {
			t.Errorf("props %v: the planned converter cached nothing, so the plan was never used", props)
		}
	}
}

// TestPlanOfAChangedSchema: a schema is cached by pointer and must not
// change after its first use; one that gains a field anyway is written
// field by field (its payload whole), not through its stale plan.
func TestPlanOfAChangedSchema(t *testing.T) {
	c := mustJSON(t, map[string]string{"schemas.enable": "false"})
	s := connect.NewStructSchema("row", connect.Field{Name: "a", Schema: connect.Primitive(connect.Int32)})
	v := connect.NewStruct(s)
	v.Values[0] = int32(1)
	if got, err := c.FromConnect("t", s, v); err != nil || string(got) != `{"a":1}` {
		t.Fatalf("first use: %s, %v", got, err)
	}
	s.Fields = append(s.Fields, connect.Field{Name: "b", Schema: connect.Primitive(connect.String)})
	v.Values = append(v.Values, "x")
	if got, err := c.FromConnect("t", s, v); err != nil || string(got) != `{"a":1,"b":"x"}` {
		t.Errorf("after the change: %s, %v; want {\"a\":1,\"b\":\"x\"}", got, err)
	}
}
