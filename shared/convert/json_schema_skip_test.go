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
