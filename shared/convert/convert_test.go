package convert

import (
	"bytes"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/serverless-kafka-connect/slkc/shared/connect"
)

func TestNew(t *testing.T) {
	cases := []struct {
		name    string
		class   string
		props   map[string]string
		isKey   bool
		wantErr []string
	}{
		{"json defaults", JSONConverterClass, nil, false, nil},
		{"json all keys", JSONConverterClass, map[string]string{"schemas.enable": " FALSE ", "decimal.format": "numeric", "schemas.cache.size": "10", "replace.null.with.default": "true", "converter.type": "key"}, true, nil},
		{"unknown class", "com.example.Avro", nil, false, []string{`"com.example.Avro"`, JSONConverterClass, StringConverterClass, ByteArrayConverterClass}},
		{"unknown json key", JSONConverterClass, map[string]string{"schema.enable": "true"}, false, []string{"schema.enable", "schemas.enable"}},
		{"bad schemas.enable", JSONConverterClass, map[string]string{"schemas.enable": "yes"}, false, []string{"schemas.enable", `"yes"`, "true or false"}},
		{"bad decimal.format", JSONConverterClass, map[string]string{"decimal.format": "HEX"}, false, []string{"decimal.format", `"HEX"`, "BASE64 or NUMERIC"}},
		{"bad cache size", JSONConverterClass, map[string]string{"schemas.cache.size": "-1"}, false, []string{"schemas.cache.size", `"-1"`}},
		{"converter.type mismatch", JSONConverterClass, map[string]string{"converter.type": "value"}, true, []string{"converter.type", "key"}},
		{"string encoding", StringConverterClass, map[string]string{"converter.encoding": "utf-8"}, false, nil},
		{"string bad encoding", StringConverterClass, map[string]string{"converter.encoding": "latin1"}, false, []string{"converter.encoding", "latin1", "UTF-8"}},
		{"bytes rejects schemas.enable", ByteArrayConverterClass, map[string]string{"schemas.enable": "false"}, false, []string{"schemas.enable"}},
		{"long", LongConverterClass, nil, true, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := New(tc.class, tc.props, tc.isKey)
			if tc.wantErr == nil {
				if err != nil || c == nil {
					t.Fatalf("New: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("want error")
			}
			for _, w := range tc.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Fatalf("error %q does not mention %q", err, w)
				}
			}
		})
	}
	_, err := New(JSONConverterClass, map[string]string{"decimal.format": "x"}, false)
	var ce *ConfigError
	if !errors.As(err, &ce) || ce.Key != "decimal.format" {
		t.Fatalf("want *ConfigError for decimal.format, got %v", err)
	}
}

func TestStringConverter(t *testing.T) {
	c, _ := New(StringConverterClass, nil, false)
	cases := []struct {
		name  string
		value any
		want  string
	}{
		{"string", "héllo", "héllo"},
		{"int", int64(-42), "-42"},
		{"double like Java", 1e7, "1.0E7"},
		{"bool", true, "true"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b, err := c.FromConnect("t", nil, tc.value)
			if err != nil || string(b) != tc.want {
				t.Fatalf("got %q %v, want %q", b, err, tc.want)
			}
		})
	}
	if _, err := c.FromConnect("t", nil, []byte("x")); err == nil {
		t.Fatal("bytes must be rejected")
	}
	s, v, err := c.ToConnect("t", []byte("abc"))
	if err != nil || v != "abc" || s.Type != connect.String || !s.Optional {
		t.Fatalf("ToConnect = %v %v %v", s, v, err)
	}
	if s, v, err := c.ToConnect("t", nil); s != nil || v != nil || err != nil {
		t.Fatal("nil must stay a tombstone")
	}
}

func TestByteArrayConverter(t *testing.T) {
	c, _ := New(ByteArrayConverterClass, nil, false)
	b, err := c.FromConnect("t", connect.Primitive(connect.Bytes), []byte{0, 1})
	if err != nil || !bytes.Equal(b, []byte{0, 1}) {
		t.Fatalf("got %v %v", b, err)
	}
	if _, err := c.FromConnect("t", connect.Primitive(connect.String), "x"); err == nil || !strings.Contains(err.Error(), "schema type string") {
		t.Fatalf("want schema type error, got %v", err)
	}
	s, v, err := c.ToConnect("t", []byte{9})
	if err != nil || s.Type != connect.Bytes || !bytes.Equal(v.([]byte), []byte{9}) {
		t.Fatalf("ToConnect = %v %v %v", s, v, err)
	}
}

func TestNumberConverters(t *testing.T) {
	cases := []struct {
		name  string
		class string
		value any
		want  []byte
		back  any
	}{
		{"integer", IntegerConverterClass, int32(-2), []byte{0xff, 0xff, 0xff, 0xfe}, int32(-2)},
		{"long", LongConverterClass, int64(258), []byte{0, 0, 0, 0, 0, 0, 1, 2}, int64(258)},
		{"double", DoubleConverterClass, 1.0, []byte{0x3f, 0xf0, 0, 0, 0, 0, 0, 0}, 1.0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, _ := New(tc.class, nil, true)
			b, err := c.FromConnect("t", nil, tc.value)
			if err != nil || !bytes.Equal(b, tc.want) {
				t.Fatalf("FromConnect = % x %v", b, err)
			}
			_, v, err := c.ToConnect("t", b)
			if err != nil || v != tc.back {
				t.Fatalf("ToConnect = %v %v", v, err)
			}
			if _, _, err := c.ToConnect("t", []byte{1}); err == nil {
				t.Fatal("short data must fail")
			}
		})
	}
	c, _ := New(IntegerConverterClass, nil, true)
	if _, err := c.FromConnect("t", nil, int64(math.MaxInt32)+1); err == nil {
		t.Fatal("overflow must fail, not truncate")
	}
}

// TestSideEffectFree checks which converters may serialise ahead of need:
// every class New accepts is listed, so a new converter must be decided.
func TestSideEffectFree(t *testing.T) {
	want := map[string]bool{
		JSONConverterClass: true, StringConverterClass: true, ByteArrayConverterClass: true,
		IntegerConverterClass: true, LongConverterClass: true, DoubleConverterClass: true,
		AvroConverterClass: false, JSONSchemaConverterClass: false, ProtobufConverterClass: false, GlueAvroConverterClass: false,
	}
	for _, class := range Classes() {
		w, ok := want[class]
		if !ok {
			t.Errorf("%s: not decided here; add it with whether its FromConnect has side effects", class)
			continue
		}
		var props map[string]string
		switch class {
		case AvroConverterClass, JSONSchemaConverterClass, ProtobufConverterClass:
			props = map[string]string{"schema.registry.url": "http://127.0.0.1:1"}
		case GlueAvroConverterClass:
			props = map[string]string{"region": "us-east-1", "registry.name": "r", "schemaName": "s"}
		}
		c, err := New(class, props, false)
		if err != nil {
			t.Errorf("%s: %v", class, err)
			continue
		}
		if got := SideEffectFree(c); got != w {
			t.Errorf("SideEffectFree(%s) = %v, want %v", class, got, w)
		}
	}
}
