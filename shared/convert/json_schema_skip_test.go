package convert

import (
	"errors"
	"fmt"
	"reflect"
	"testing"
)

// TestJSONKnownSchemaSkipMatchesColdDecode decodes a sequence of envelopes
// with one converter, whose last schema is skipped by comparing its bytes
// (splitEnvelopeKnown), and each envelope with a fresh converter that must
// scan and parse it: results and errors must be the same, including a
// schema that extends the known one, differs in one byte, follows
// whitespace, or is repeated in the envelope.
func TestJSONKnownSchemaSkipMatchesColdDecode(t *testing.T) {
	const s1 = `{"type":"struct","fields":[{"type":"int32","optional":false,"field":"id"}],"optional":false}`
	const s2 = `{"type":"struct","fields":[{"type":"int32","optional":true,"field":"id"}],"optional":false}`
	seq := []struct{ name, in string }{
		{"first", `{"schema":` + s1 + `,"payload":{"id":1}}`},
		{"same schema", `{"schema":` + s1 + `,"payload":{"id":2}}`},
		{"same schema, null for a required field", `{"schema":` + s1 + `,"payload":{"id":null}}`},
		{"one byte differs", `{"schema":` + s2 + `,"payload":{"id":null}}`},
		{"back to the first", `{"schema":` + s1 + `,"payload":{"id":3}}`},
		{"payload first", `{"payload":{"id":4},"schema":` + s1 + `}`},
		{"whitespace before the schema", `{"schema":  ` + s1 + ` ,"payload":{"id":5}}`},
		{"known schema then more bytes", `{"schema":` + s1 + `x,"payload":{"id":6}}`},
		{"known schema repeated", `{"schema":` + s1 + `,"schema":` + s2 + `,"payload":{"id":null}}`},
		{"known schema, extra member", `{"schema":` + s1 + `,"payload":{"id":7},"x":1}`},
		{"known schema, truncated envelope", `{"schema":` + s1 + `,"payload":{"id":8}`},
		{"schema prefix of the known one", `{"schema":{"type":"struct","fields":[{"type":"int32"`},
		{"a primitive schema", `{"schema":{"type":"string","optional":false},"payload":"a"}`},
		{"the primitive again", `{"schema":{"type":"string","optional":false},"payload":"b"}`},
		{"the primitive's prefix with a field more", `{"schema":{"type":"string","optional":false,"name":"n"},"payload":"c"}`},
	}
	if _, _, hit, ok, err := splitEnvelopeKnown([]byte(seq[1].in), []byte(s1)); !hit || !ok || err != nil {
		t.Fatalf("the known schema is not skipped: hit %v ok %v err %v", hit, ok, err)
	}
	if _, _, hit, _, _ := splitEnvelopeKnown([]byte(seq[3].in), []byte(s1)); hit {
		t.Fatal("a schema differing from the known one in one byte is taken for it")
	}
	warm := mustJSON(t, map[string]string{"schemas.enable": "true"})
	for _, tt := range seq {
		t.Run(tt.name, func(t *testing.T) {
			cold := mustJSON(t, map[string]string{"schemas.enable": "true"})
			ws, wv, werr := warm.ToConnect("t", []byte(tt.in))
			cs, cv, cerr := cold.ToConnect("t", []byte(tt.in))
			if fmt.Sprint(werr) != fmt.Sprint(cerr) {
				t.Fatalf("errors differ: warm %v, cold %v", werr, cerr)
			}
			if !reflect.DeepEqual(ws, cs) || !reflect.DeepEqual(wv, cv) {
				t.Fatalf("results differ:\nwarm %+v %#v\ncold %+v %#v", ws, wv, cs, cv)
			}
		})
	}
}

// TestJSONToConnectDoesNotAliasInput checks that decoded strings, map
// keys and the field paths of errors are copies: the sink keeps them
// until its write, while the Lambda runtime may reuse the payload buffer.
func TestJSONToConnectDoesNotAliasInput(t *testing.T) {
	tests := []struct{ name, in string }{
		{"map keys and values", `{"schema":{"type":"map","keys":{"type":"string"},"values":{"type":"string"}},"payload":{"k1":"v1","k2":"v2"}}`},
		{"struct strings", `{"schema":{"type":"struct","fields":[{"field":"name","type":"string"}]},"payload":{"name":"v1"}}`},
		{"error naming a field", `{"schema":{"type":"struct","fields":[{"field":"count","type":"int32"}]},"payload":{"count":"x"}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustJSON(t, map[string]string{"schemas.enable": "true"})
			in := []byte(tt.in)
			_, v, err := c.ToConnect("t", in)
			// The wrapping error's text is made at once; the path of the
			// FieldError inside is read later.
			show := func() string {
				var fe *FieldError
				if errors.As(err, &fe) {
					return fmt.Sprint(v, " path ", fe.Path)
				}
				return fmt.Sprint(v, err)
			}
			want := show()
			for i := range in {
				in[i] = 'z'
			}
			if got := show(); got != want {
				t.Errorf("result changed with its input: %s, want %s", got, want)
			}
		})
	}
}

// knownSchemas are schemas for the known-envelope tests: a struct of
// several field types, a map with non-string keys, an array of Decimals
// and a primitive.
var knownSchemas = []string{
	`{"type":"struct","fields":[{"type":"int64","optional":false,"field":"id"},{"type":"string","optional":true,"field":"name"},` +
		`{"type":"double","optional":true,"field":"price"},{"type":"int64","optional":true,"name":"org.apache.kafka.connect.data.Timestamp","version":1,"field":"at"},` +
		`{"type":"array","items":{"type":"int32"},"optional":true,"field":"tags"}],"optional":false,"name":"k.V"}`,
	`{"type":"map","keys":{"type":"int32","optional":false},"values":{"type":"string","optional":true},"optional":false}`,
	`{"type":"array","items":{"type":"bytes","optional":false,"name":"org.apache.kafka.connect.data.Decimal","parameters":{"scale":"1"}},"optional":false}`,
	`{"type":"string","optional":false}`,
}

// TestJSONKnownEnvelopeShapes checks which envelopes decodeKnownEnvelope
// takes in one pass: the JsonConverter's own shape, with whitespace
// around the schema and the payload, and no other.
func TestJSONKnownEnvelopeShapes(t *testing.T) {
	c := mustJSON(t, map[string]string{"schemas.enable": "true"}).(*jsonConverter)
	s := knownSchemas[0]
	if _, _, err := c.ToConnect("t", []byte(`{"schema":`+s+`,"payload":{"id":1}}`)); err != nil {
		t.Fatal(err)
	}
	known := c.lastDec.Load()
	tests := []struct {
		name, in string
		ok       bool
	}{
		{"as written by Kafka", `{"schema":` + s + `,"payload":{"id":2,"name":"a","tags":[1,2]}}`, true},
		{"whitespace around schema and payload", " \n{\"schema\": " + s + " ,\"payload\": {\"id\":2} } \n", true},
		{"whitespace inside a name", `{ "schema":` + s + `,"payload":{"id":2}}`, false},
		{"payload first", `{"payload":{"id":2},"schema":` + s + `}`, false},
		{"payload repeated", `{"schema":` + s + `,"payload":{"id":2},"payload":{"id":3}}`, false},
		{"another member", `{"schema":` + s + `,"payload":{"id":2},"x":1}`, false},
		{"payload error", `{"schema":` + s + `,"payload":{"id":"2"}}`, false},
		{"payload syntax error", `{"schema":` + s + `,"payload":{"id":2,}}`, false},
		{"bytes after the envelope", `{"schema":` + s + `,"payload":{"id":2}}x`, false},
		{"truncated", `{"schema":` + s + `,"payload":{"id":2}`, false},
		{"other schema", `{"schema":` + knownSchemas[3] + `,"payload":"a"}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, ok := c.decodeKnownEnvelope([]byte(tt.in), known); ok != tt.ok {
				t.Fatalf("decodeKnownEnvelope ok = %v, want %v", ok, tt.ok)
			}
		})
	}
}

// FuzzJSONKnownEnvelopeMatchesCold decodes an envelope with a schema the
// converter knows (decodeKnownEnvelope, then the usual path) and with a
// fresh converter: the schema, value and error must be the same for any
// payload and any ending.
func FuzzJSONKnownEnvelopeMatchesCold(f *testing.F) {
	f.Add(uint8(0), []byte(`{"id":1,"name":"x","price":1.5,"at":1700000000000,"tags":[1,2]}`), []byte(`}`))
	f.Add(uint8(0), []byte(`{"id":null}`), []byte(`}`))
	f.Add(uint8(0), []byte(` {"id":1,"name":"\u00e9\n","x":{"y":[true,null]}} `), []byte(`,"payload":1}`))
	f.Add(uint8(1), []byte(`[[1,"a"],[2,null]]`), []byte(`} `))
	f.Add(uint8(2), []byte(`["AA==",1.5]`), []byte(`,"schema":null}`))
	f.Add(uint8(3), []byte(`"a"`), []byte(`}x`))
	f.Fuzz(func(t *testing.T, k uint8, payload, tail []byte) {
		schema := knownSchemas[int(k)%len(knownSchemas)]
		props := map[string]string{"schemas.enable": "true"}
		warm, cold := mustJSON(t, props).(*jsonConverter), mustJSON(t, props)
		// The schema is parsed (and remembered) before the payload is
		// decoded, so a null payload primes the converter either way.
		_, _, _ = warm.ToConnect("t", []byte(`{"schema":`+schema+`,"payload":null}`))
		if warm.lastDec.Load() == nil {
			t.Fatal("the schema was not remembered")
		}
		data := append([]byte(`{"schema":`+schema+`,"payload":`), payload...)
		data = append(data, tail...)
		ws, wv, werr := warm.ToConnect("t", data)
		cs, cv, cerr := cold.ToConnect("t", data)
		if fmt.Sprint(werr) != fmt.Sprint(cerr) || !reflect.DeepEqual(ws, cs) || !equalValues(wv, cv) {
			t.Fatalf("known schema: %+v %#v %v\nfresh: %+v %#v %v\ninput: %s", ws, wv, werr, cs, cv, cerr, data)
		}
	})
}

// TestTypedIntegerMatchesGeneric checks the typed decoder's integers,
// read in one scan when short (smallInt), against encoding/json's
// numbers converted by schema (same outcome and value), and a converter
// that knows the schema (decodeKnownEnvelope) against a fresh one (same
// value and error).
func TestTypedIntegerMatchesGeneric(t *testing.T) {
	c := mustJSON(t, map[string]string{"schemas.enable": "true"}).(*jsonConverter)
	for _, typ := range []string{"int64", "int32", "int8"} {
		schema := `{"type":"array","items":{"type":"` + typ + `"}}`
		s, _, err := c.ToConnect("t", []byte(`{"schema":`+schema+`,"payload":[]}`))
		if err != nil {
			t.Fatal(err)
		}
		for _, num := range []string{"0", "-0", "01", "-01", "7", "-128", "-129", "127", "128", "2147483647", "2147483648",
			"123456789012345678", "-123456789012345678", "1234567890123456789", "9223372036854775807", "9223372036854775808",
			"-9223372036854775808", "1.5", "1e3", "1E3", "-", "+1", "1x", "[1]", `"1"`} {
			for _, payload := range []string{"[" + num + "]", "[" + num + " ]", "[" + num + ",1]"} {
				in := []byte(`{"schema":` + schema + `,"payload":` + payload + `}`)
				t.Run(typ+" "+payload, func(t *testing.T) {
					_, v, err := c.ToConnect("t", in)
					checkAgainstGeneric(t, c, in, s, v, err)
					_, cv, cerr := mustJSON(t, map[string]string{"schemas.enable": "true"}).ToConnect("t", in)
					if fmt.Sprint(err) != fmt.Sprint(cerr) || !equalValues(v, cv) {
						t.Fatalf("known schema: %#v %v; fresh converter: %#v %v", v, err, cv, cerr)
					}
				})
			}
		}
	}
}

// TestJSONSchemaParameterErrorIsStable: of several parameters that are
// not strings, the error names the first by key, every time (it used to
// follow Go's random map order, so two decodes of one message could
// fail with different texts).
func TestJSONSchemaParameterErrorIsStable(t *testing.T) {
	in := []byte(`{"schema":{"type":"string","parameters":{"d":4,"b":2,"a":1,"c":3}},"payload":"x"}`)
	const want = `convert: JsonConverter: schema: schema parameter "a" must be a string, got number 1`
	for range 20 {
		if _, _, err := mustJSON(t, nil).ToConnect("t", in); err == nil || err.Error() != want {
			t.Fatalf("err = %v, want %s", err, want)
		}
	}
}
