package convert

import (
	"github.com/serverless-kafka-connect/slkc/shared/connect"
	"os"
	"strings"
	"testing"
)

// FuzzJSONConverterToConnect checks that decoding never panics, that errors
// say where they come from, and that whatever decodes re-encodes and decodes
// again to the same bytes.
func FuzzJSONConverterToConnect(f *testing.F) {
	for _, name := range []string{"testdata/orders_envelope.json", "testdata/orders_envelope_numeric.json"} {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, s := range []string{
		`{"schema":null,"payload":{"a":[1,2.5,"x",null,true]}}`,
		`{"schema":{"type":"map","keys":{"type":"int32","optional":false},"values":{"type":"double","optional":true},"optional":false},"payload":[[1,"NaN"],[2,null]]}`,
		`{"schema":{"type":"array","items":{"type":"bytes","optional":false,"name":"org.apache.kafka.connect.data.Decimal","parameters":{"scale":"1"}},"optional":false},"payload":["AA==",1.5]}`,
		`{"schema":{"type":"int32","optional":false,"name":"org.apache.kafka.connect.data.Date","default":3},"payload":null}`,
		`{"schema":{"type":"struct","fields":[{"type":"int8","field":"a"}]},"payload":{"a":128}}`,
		`{"a":1}`, `[]`, `null`, `"x"`, `{"schema":1,"payload":2}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, props := range []map[string]string{nil, {"schemas.enable": "false"}} {
			c, err := New(JSONConverterClass, props, false)
			if err != nil {
				t.Fatal(err)
			}
			s, v, err := c.ToConnect("t", data)
			if s != nil {
				checkAgainstGeneric(t, c.(*jsonConverter), data, s, v, err)
			}
			if err != nil {
				if !strings.HasPrefix(err.Error(), "convert: ") {
					t.Fatalf("error without context: %v", err)
				}
				continue
			}
			out, err := c.FromConnect("t", s, v)
			if err != nil {
				// Values Kafka reads leniently can still be unwritable
				// (e.g. a decoded Decimal wider than its schema scale).
				continue
			}
			s2, v2, err := c.ToConnect("t", out)
			if err != nil {
				t.Fatalf("re-decode of %s: %v", out, err)
			}
			out2, err := c.FromConnect("t", s2, v2)
			if err != nil || string(out2) != string(out) {
				t.Fatalf("not stable:\n%s\n%s (%v)", out, out2, err)
			}
		}
	})
}

// checkAgainstGeneric decodes the payload a second way (encoding/json into a
// generic tree, then converted by schema) and requires the same outcome as
// the direct typed decoder.
func checkAgainstGeneric(t *testing.T, c *jsonConverter, data []byte, s *connect.Schema, v any, err error) {
	t.Helper()
	_, payload, ok, serr := splitEnvelope(data)
	if !ok || serr != nil {
		return
	}
	node, gerr := decodeGeneric(payload)
	var gv any
	if gerr == nil {
		gv, gerr = c.toConnect(s, node)
	}
	if (err == nil) != (gerr == nil) {
		t.Fatalf("typed err %v, generic err %v", err, gerr)
	}
	if err == nil && !equalValues(v, gv) {
		t.Fatalf("typed %#v, generic %#v", v, gv)
	}
}
