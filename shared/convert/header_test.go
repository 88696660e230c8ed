package convert

import (
	"encoding/base64"
	"math/big"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/serverless-kafka-connect/slkc/shared/connect"
)

// TestSimpleHeaderConverterToConnect: the schemas Kafka Connect's
// SimpleHeaderConverter (Values.parseString) infers for header text.
func TestSimpleHeaderConverterToConnect(t *testing.T) {
	big20, _ := new(big.Int).SetString("12345678901234567890", 10)
	tests := []struct {
		name   string
		in     []byte
		schema *connect.Schema
		want   any
	}{
		{name: "null bytes", in: nil, schema: nil, want: nil},
		{name: "empty", in: []byte{}, schema: headerString, want: ""},
		{name: "null text", in: []byte("null"), schema: nil, want: nil},
		{name: "NULL is text", in: []byte("NULL"), schema: headerString, want: "NULL"},
		{name: "true", in: []byte("true"), schema: headerBool, want: true},
		{name: "false", in: []byte("false"), schema: headerBool, want: false},
		{name: "False is text", in: []byte("False"), schema: headerString, want: "False"},
		{name: "int8", in: []byte("42"), schema: headerInt8, want: int8(42)},
		{name: "negative int8 edge", in: []byte("-128"), schema: headerInt8, want: int8(-128)},
		{name: "int16", in: []byte("300"), schema: headerInt16, want: int16(300)},
		{name: "int32", in: []byte("70000"), schema: headerInt32, want: int32(70000)},
		{name: "int64", in: []byte("5000000000"), schema: headerInt64, want: int64(5000000000)},
		{name: "beyond long: decimal scale 0", in: []byte("12345678901234567890"), schema: connect.DecimalSchema(0, 0), want: connect.Decimal{Unscaled: big20}},
		{name: "whole number with fraction digits", in: []byte("1.0"), schema: headerInt8, want: int8(1)},
		{name: "exponent", in: []byte("1e3"), schema: headerInt16, want: int16(1000)},
		{name: "fraction is float32", in: []byte("1.5"), schema: headerFloat32, want: float32(1.5)},
		{name: "fraction too large for float32", in: []byte("340282350000000000000000000000000000000000.5"), schema: headerFloat64, want: 3.4028235e41},
		{name: "beyond long in exponent form: scale -20 makes it FLOAT32", in: []byte("1e20"), schema: headerFloat32, want: float32(1e20)},
		{name: "fraction below one", in: []byte("0.25"), schema: headerFloat32, want: float32(0.25)},
		{name: "zero with fraction digits", in: []byte("0.00"), schema: headerInt8, want: int8(0)},
		{name: "plus sign", in: []byte("+7"), schema: headerInt8, want: int8(7)},
		{name: "leading dot is text", in: []byte(".5"), schema: headerString, want: ".5"},
		{name: "exponent without digits is text", in: []byte("1e"), schema: headerString, want: "1e"},
		{name: "date", in: []byte("2024-02-29"), schema: headerDate, want: time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC)},
		{name: "time", in: []byte("13:14:15.123Z"), schema: headerTime, want: time.Date(1970, 1, 1, 13, 14, 15, 123e6, time.UTC)},
		{name: "timestamp", in: []byte("2024-02-29T13:14:15.123Z"), schema: headerTS, want: time.Date(2024, 2, 29, 13, 14, 15, 123e6, time.UTC)},
		{name: "text", in: []byte("trace-abc"), schema: headerString, want: "trace-abc"},
		{name: "number then text", in: []byte("12abc"), schema: headerString, want: "12abc"},
		{name: "hex is text", in: []byte("0x10"), schema: headerString, want: "0x10"},
		{name: "number before a delimiter stays text (Connect keeps only 12)", in: []byte("12,34"), schema: headerString, want: "12,34"},
		{name: "clock time without seconds stays text", in: []byte("12:30"), schema: headerString, want: "12:30"},
		{name: "not UTF-8 stays bytes", in: []byte{0xff, 0x00}, schema: headerBytes, want: []byte{0xff, 0x00}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, v, err := SimpleHeaderConverter{}.ToConnectHeader("t", "h", tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(s, tt.schema) || !reflect.DeepEqual(v, tt.want) {
				t.Errorf("ToConnectHeader(%q) = %+v %#v, want %+v %#v", tt.in, s, v, tt.schema, tt.want)
			}
		})
	}
}

// TestSimpleHeaderConverterFromConnect: header values are written as
// Values.convertToString renders them, and scalars read back to the same
// schema and value.
func TestSimpleHeaderConverterFromConnect(t *testing.T) {
	tests := []struct {
		name   string
		schema *connect.Schema
		in     any
		want   string
		back   bool // ToConnectHeader gives schema and in back
	}{
		{name: "string", schema: headerString, in: "abc", want: "abc", back: true},
		{name: "int8", schema: headerInt8, in: int8(-7), want: "-7", back: true},
		{name: "int64", schema: headerInt64, in: int64(5000000000), want: "5000000000", back: true},
		{name: "float32", schema: headerFloat32, in: float32(2.5), want: "2.5", back: true},
		{name: "float64 whole", schema: headerFloat64, in: float64(3), want: "3.0"},
		{name: "boolean", schema: headerBool, in: true, want: "true", back: true},
		{name: "bytes as base64", schema: headerBytes, in: []byte("hi"), want: "aGk="},
		{name: "date", schema: headerDate, in: time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC), want: "2024-02-29", back: true},
		{name: "timestamp", schema: headerTS, in: time.Date(2024, 2, 29, 13, 14, 15, 123e6, time.UTC), want: "2024-02-29T13:14:15.123Z", back: true},
		{name: "array", schema: &connect.Schema{Type: connect.Array, Items: headerString}, in: []any{"a", "b"}, want: `["a","b"]`},
		{name: "map", schema: &connect.Schema{Type: connect.Map, Keys: headerString, Values: headerInt32}, in: []connect.MapEntry{{Key: "a", Value: int32(1)}}, want: `{"a":1}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := SimpleHeaderConverter{}.FromConnectHeader("t", "h", tt.schema, tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != tt.want {
				t.Errorf("FromConnectHeader = %q, want %q", b, tt.want)
			}
			if !tt.back {
				return
			}
			s, v, err := SimpleHeaderConverter{}.ToConnectHeader("t", "h", b)
			if err != nil || !reflect.DeepEqual(s, tt.schema) || !reflect.DeepEqual(v, tt.in) {
				t.Errorf("read back %+v %#v %v, want %+v %#v", s, v, err, tt.schema, tt.in)
			}
		})
	}
	if b, err := (SimpleHeaderConverter{}).FromConnectHeader("t", "h", nil, nil); b != nil || err != nil {
		t.Errorf("nil value = %q, %v; want nil", b, err)
	}
}

func TestNewHeader(t *testing.T) {
	tests := []struct {
		name    string
		class   string
		props   map[string]string
		want    any
		wantErr string
	}{
		{name: "simple", class: SimpleHeaderConverterClass, want: SimpleHeaderConverter{}},
		{name: "string", class: StringConverterClass, want: headerAdapter{stringConverter{}}},
		{name: "simple takes no settings", class: SimpleHeaderConverterClass, props: map[string]string{"x": "1"}, wantErr: "x"},
		{name: "unknown", class: "com.example.H", wantErr: "SimpleHeaderConverter"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := NewHeader(tt.class, tt.props)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one naming %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("NewHeader = %#v, %v; want %#v", got, err, tt.want)
			}
		})
	}
}

// FuzzSimpleHeaderConverter: any header bytes are read without error or
// panic, and a value read as STRING or BYTES is written back as the same
// bytes (the text of a STRING, base64 for BYTES), so nothing is lost.
func FuzzSimpleHeaderConverter(f *testing.F) {
	for _, s := range []string{"", "null", "true", "42", "-128", "1.5", "1e20", "12345678901234567890", "2024-02-29",
		"13:14:15.123Z", "2024-02-29T13:14:15.123Z", "[1,2]", "{a:1}", "x y", "\xff", "1e", "+", "-", "9e999999999"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		c := SimpleHeaderConverter{}
		s, v, err := c.ToConnectHeader("t", "h", in)
		if err != nil {
			t.Fatalf("ToConnectHeader(%q): %v", in, err)
		}
		if s == nil {
			return
		}
		out, err := c.FromConnectHeader("t", "h", s, v)
		if err != nil {
			t.Fatalf("FromConnectHeader(%+v, %#v) from %q: %v", s, v, in, err)
		}
		switch s.Type {
		case connect.String:
			if string(out) != string(in) {
				t.Fatalf("STRING %q written back as %q", in, out)
			}
		case connect.Bytes:
			if s.Name == "" && string(out) != base64.StdEncoding.EncodeToString(in) {
				t.Fatalf("BYTES %q written back as %q, want its base64", in, out)
			}
		}
	})
}
