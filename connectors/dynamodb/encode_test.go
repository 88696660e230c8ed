package dynamodb

import (
	"encoding/json"
	"math"
	"math/big"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/serverless-kafka-connect/slkc/shared/connect"
)

func n(s string) types.AttributeValue   { return &types.AttributeValueMemberN{Value: s} }
func str(s string) types.AttributeValue { return &types.AttributeValueMemberS{Value: s} }

func TestEncode(t *testing.T) {
	inner := connect.NewStructSchema("inner",
		connect.Field{Name: "a", Schema: connect.Primitive(connect.Int32)},
		connect.Field{Name: "b", Schema: connect.Primitive(connect.String).Optionally()})
	iv := connect.NewStruct(inner)
	iv.Values[0], iv.Values[1] = int32(1), nil
	big38, _ := new(big.Int).SetString("12345678901234567890123456789012345678", 10)
	ts := time.Date(2023, 11, 14, 22, 13, 20, 123_000_000, time.UTC)
	tests := []struct {
		name    string
		v       any
		s       *connect.Schema
		want    types.AttributeValue
		wantErr string
	}{
		{"int8", int8(-8), nil, n("-8"), ""},
		{"int16", int16(300), nil, n("300"), ""},
		{"int32", int32(-70000), nil, n("-70000"), ""},
		{"int64 beyond float precision", int64(9007199254740993), nil, n("9007199254740993"), ""},
		{"float32", float32(0.5), nil, n("0.5"), ""},
		{"float64 plain notation", 1e21, nil, n("1000000000000000000000"), ""},
		{"float64 small", 0.000125, nil, n("0.000125"), ""},
		{"NaN", math.NaN(), nil, nil, "cannot be stored"},
		{"decimal exact", connect.Decimal{Unscaled: big38, Scale: 10}, connect.DecimalSchema(10, 38), n("1234567890123456789012345678.9012345678"), ""},
		{"decimal negative scale kept", connect.Decimal{Unscaled: big.NewInt(-1050), Scale: 2}, nil, n("-10.50"), ""},
		{"json number", json.Number("-1.5e3"), nil, n("-1.5e3"), ""},
		{"bad json number", json.Number("abc"), nil, nil, "not a number"},
		{"string", "héllo", nil, str("héllo"), ""},
		{"empty string", "", nil, str(""), ""},
		{"bytes", []byte{0, 1}, nil, &types.AttributeValueMemberB{Value: []byte{0, 1}}, ""},
		{"bool", true, nil, &types.AttributeValueMemberBOOL{Value: true}, ""},
		{"null", nil, nil, &types.AttributeValueMemberNULL{Value: true}, ""},
		{"timestamp epoch ms", ts, connect.TimestampSchema(), n("1700000000123"), ""},
		{"date epoch ms", time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC), connect.DateSchema(), n("1709164800000"), ""},
		{"time ms of day", time.Date(1970, 1, 1, 1, 0, 0, 5_000_000, time.UTC), connect.TimeSchema(), n("3600005"), ""},
		{"struct", iv, inner, &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{
			"a": n("1"), "b": &types.AttributeValueMemberNULL{Value: true}}}, ""},
		{"connect map", []connect.MapEntry{{Key: "x", Value: int64(1)}, {Key: int32(2), Value: int64(2)}},
			&connect.Schema{Type: connect.Map, Keys: connect.Primitive(connect.String), Values: connect.Primitive(connect.Int64)},
			&types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"x": n("1"), "2": n("2")}}, ""},
		{"map with bytes key", []connect.MapEntry{{Key: []byte("x"), Value: int64(1)}}, nil, nil, "cannot be a DynamoDB attribute name"},
		{"array", []any{int32(1), "two", nil}, nil, &types.AttributeValueMemberL{Value: []types.AttributeValue{
			n("1"), str("two"), &types.AttributeValueMemberNULL{Value: true}}}, ""},
		{"schemaless nested", map[string]any{"l": []any{json.Number("1"), map[string]any{"z": false}}}, nil,
			&types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"l": &types.AttributeValueMemberL{Value: []types.AttributeValue{
				n("1"), &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"z": &types.AttributeValueMemberBOOL{}}}}}}}, ""},
		{"nested error names path", map[string]any{"a": []any{math.Inf(1)}}, nil, nil, "a: [0]:"},
		{"unsupported", struct{}{}, nil, nil, "unsupported value type"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Encode(tc.v, tc.s)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %#v\nwant %#v", got, tc.want)
			}
		})
	}
}

func TestParseKeyRef(t *testing.T) {
	tests := []struct {
		in      string
		want    KeyRef
		wantErr string
	}{
		{"partition", KeyRef{Source: SourcePartition, Path: []string{}, Attribute: "partition"}, ""},
		{"offset:off", KeyRef{Source: SourceOffset, Path: []string{}, Attribute: "off"}, ""},
		{"key", KeyRef{Source: SourceKey, Path: []string{}, Attribute: "key"}, ""},
		{"key.customerId", KeyRef{Source: SourceKey, Path: []string{"customerId"}, Attribute: "customerId"}, ""},
		{"value.user.id:user", KeyRef{Source: SourceValue, Path: []string{"user", "id"}, Attribute: "user"}, ""},
		{"topic", KeyRef{}, "unknown record reference"},
		{"partition.x", KeyRef{}, "no field path"},
		{"value..x", KeyRef{}, "empty field name"},
		{"key:", KeyRef{}, "empty attribute name"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseKeyRef(tc.in)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %#v, %v; want %#v", got, err, tc.want)
			}
			if got.String() != tc.in {
				t.Errorf("String() = %q, want %q", got.String(), tc.in)
			}
		})
	}
}

func TestKeyRefResolve(t *testing.T) {
	ks := connect.NewStructSchema("k", connect.Field{Name: "id", Schema: connect.Primitive(connect.String)},
		connect.Field{Name: "n", Schema: connect.Primitive(connect.Int64).Optionally()})
	kv := connect.NewStruct(ks)
	kv.Values[0] = "abc"
	rec := connect.Record{Partition: 3, Offset: 42, KeySchema: ks, Key: kv,
		Value: map[string]any{"user": map[string]any{"id": json.Number("7")}, "tags": []any{"a"}, "empty": ""}}
	tests := []struct {
		ref     string
		want    types.AttributeValue
		wantErr string
	}{
		{"partition", n("3"), ""},
		{"offset", n("42"), ""},
		{"key.id", str("abc"), ""},
		{"value.user.id", n("7"), ""},
		{"key", nil, "cannot be a key"},
		{"key.n", nil, "null"},
		{"key.missing", nil, `no field "missing"`},
		{"value.tags", nil, "cannot be a key"},
		{"value.empty", nil, "empty string"},
	}
	for _, tc := range tests {
		t.Run(tc.ref, func(t *testing.T) {
			r, err := ParseKeyRef(tc.ref)
			if err != nil {
				t.Fatal(err)
			}
			got, err := r.resolve(&rec)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %#v, %v; want %#v", got, err, tc.want)
			}
		})
	}
}

func TestCanonicalNumber(t *testing.T) {
	for in, want := range map[string]string{"1": "1", "1.0": "1", "1.50": "1.5", "-0.000": "0", "10": "10", "1e3": "1e3"} {
		if got := canonicalNumber(in); got != want {
			t.Errorf("canonicalNumber(%q) = %q, want %q", in, got, want)
		}
	}
}

func BenchmarkEncodeItem(b *testing.B) {
	s := connect.NewStructSchema("order",
		connect.Field{Name: "id", Schema: connect.Primitive(connect.Int64)},
		connect.Field{Name: "customer", Schema: connect.Primitive(connect.String)},
		connect.Field{Name: "amount", Schema: connect.DecimalSchema(2, 10)},
		connect.Field{Name: "created", Schema: connect.TimestampSchema()},
		connect.Field{Name: "paid", Schema: connect.Primitive(connect.Boolean)},
		connect.Field{Name: "tags", Schema: &connect.Schema{Type: connect.Array, Items: connect.Primitive(connect.String)}},
	)
	v := connect.NewStruct(s)
	copy(v.Values, []any{int64(42), "customer-42", connect.Decimal{Unscaled: big.NewInt(12345), Scale: 2}, time.Now(), true, []any{"a", "b"}})
	b.Run("struct", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := encodeItem(v); err != nil {
				b.Fatal(err)
			}
		}
	})
	m := map[string]any{"id": json.Number("42"), "customer": "customer-42", "amount": json.Number("123.45"), "paid": true, "tags": []any{"a", "b"}}
	b.Run("schemaless", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := encodeItem(m); err != nil {
				b.Fatal(err)
			}
		}
	})
}
