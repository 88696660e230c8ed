package connect

import (
	"math"
	"math/big"
	"math/rand/v2"
	"testing"
)

func TestDecimalStringAndParse(t *testing.T) {
	cases := []struct {
		name     string
		unscaled string
		scale    int32
		text     string
	}{
		{"plain", "1250", 2, "12.50"},
		{"leading zeros", "5", 4, "0.0005"},
		{"negative fraction", "-1", 4, "-0.0001"},
		{"negative", "-123456", 3, "-123.456"},
		{"zero scale", "42", 0, "42"},
		{"negative scale", "42", -2, "4200"},
		{"beyond int64", "123456789012345678901234567890", 10, "12345678901234567890.1234567890"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			u, _ := new(big.Int).SetString(tc.unscaled, 10)
			d := Decimal{Unscaled: u, Scale: tc.scale}
			if got := d.String(); got != tc.text {
				t.Fatalf("String() = %q, want %q", got, tc.text)
			}
			if tc.scale < 0 {
				return // plain notation cannot carry a negative scale back
			}
			p, err := ParseDecimal(tc.text)
			if err != nil {
				t.Fatal(err)
			}
			if p.Scale != tc.scale || p.Unscaled.Cmp(u) != 0 {
				t.Fatalf("ParseDecimal(%q) = %v scale %d, want %v scale %d", tc.text, p.Unscaled, p.Scale, u, tc.scale)
			}
		})
	}
}

func TestParseDecimalRejectsNonNumbers(t *testing.T) {
	for _, s := range []string{"", "-", "+", "1.2.3", "abc", "1e5", "12,5", " 1"} {
		if _, err := ParseDecimal(s); err == nil {
			t.Errorf("ParseDecimal(%q) accepted a non-decimal", s)
		}
	}
}

func TestStructGetPut(t *testing.T) {
	s := NewStructSchema("orders",
		Field{Name: "id", Schema: Primitive(Int64)},
		Field{Name: "note", Schema: Primitive(String).Optionally()})
	if s.Fields[1].Index != 1 || !s.Fields[1].Schema.Optional {
		t.Fatalf("field indexes/optional not set: %+v", s.Fields)
	}
	v := NewStruct(s)
	if err := v.Put("id", int64(7)); err != nil {
		t.Fatal(err)
	}
	if err := v.Put("missing", 1); err == nil {
		t.Fatal("Put on an unknown field must fail")
	}
	if got, ok := v.Get("id"); !ok || got != int64(7) {
		t.Fatalf("Get(id) = %v, %v", got, ok)
	}
	if _, ok := v.Get("missing"); ok {
		t.Fatal("Get on an unknown field must report false")
	}
}

func TestLogicalSchemas(t *testing.T) {
	d := DecimalSchema(2, 12)
	if !d.IsLogical(DecimalName) || d.Type != Bytes || d.Parameters[DecimalScaleParam] != "2" || d.Parameters[DecimalPrecisionParam] != "12" {
		t.Fatalf("DecimalSchema = %+v", d)
	}
	if p := DecimalSchema(0, 0).Parameters; len(p) != 1 {
		t.Fatalf("precision 0 must leave the parameter out: %v", p)
	}
	for _, c := range []struct {
		s    *Schema
		name string
		typ  Type
	}{{DateSchema(), DateName, Int32}, {TimeSchema(), TimeName, Int32}, {TimestampSchema(), TimestampName, Int64}} {
		if c.s.Name != c.name || c.s.Type != c.typ || c.s.Version != 1 {
			t.Errorf("%s schema = %+v", c.name, c.s)
		}
	}
}

func TestRecordWhereAndTombstone(t *testing.T) {
	r := Record{Topic: "orders", Partition: 3, Offset: 42}
	if r.Where() != "orders/3@42" || !r.IsTombstone() {
		t.Fatalf("Where = %q, tombstone = %v", r.Where(), r.IsTombstone())
	}
	r.Value = map[string]any{}
	if r.IsTombstone() {
		t.Fatal("a record with a value is not a tombstone")
	}
}

// TestDecimalStringSmallMatchesBig checks String's int64 path against the
// math/big one on edge and random unscaled values at every scale from -45
// to 45 (past the int64 path's bounds, so both sides of them are covered).
func TestDecimalStringSmallMatchesBig(t *testing.T) {
	vals := []int64{0, 1, -1, 9, -9, 10, -10, 99, 100, 12345, -12345, math.MaxInt64, math.MinInt64, math.MaxInt64 - 1, math.MinInt64 + 1}
	rng := rand.New(rand.NewPCG(3, 4))
	for range 200 {
		v := int64(rng.Uint64()) >> rng.IntN(63)
		vals = append(vals, v, -v)
	}
	for _, v := range vals {
		for scale := int32(-45); scale <= 45; scale++ {
			d := Decimal{Unscaled: big.NewInt(v), Scale: scale}
			if got, want := d.String(), d.bigString(); got != want {
				t.Fatalf("Decimal{%d, %d}.String() = %q, math/big gives %q", v, scale, got, want)
			}
		}
	}
}

// BenchmarkDecimalString formats the bench rows' amount (DECIMAL(12,2)).
func BenchmarkDecimalString(b *testing.B) {
	d := Decimal{Unscaled: big.NewInt(-123456789), Scale: 2}
	b.ReportAllocs()
	for b.Loop() {
		_ = d.String()
	}
}
