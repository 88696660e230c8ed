package runtime

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
)

// validCases are documents on both sides of every rule of the grammar.
var validCases = []struct {
	name, doc string
}{
	{"empty", ""}, {"space only", " \t\r\n"}, {"null", "null"}, {"true", " true "}, {"false", "false"},
	{"truncated literal", "tru"}, {"literal with tail", "nullx"}, {"two values", "1 2"},
	{"zero", "0"}, {"negative", "-12"}, {"leading zero", "01"}, {"minus alone", "-"}, {"fraction", "1.5"},
	{"dot without digits", "1."}, {"dot first", ".5"}, {"exponent", "1e10"}, {"signed exponent", "-1.5E-3"},
	{"exponent without digits", "1e"}, {"exponent sign only", "1e+"}, {"plus sign", "+1"},
	{"string", `"abc"`}, {"unterminated string", `"abc`}, {"escapes", `"\" \\ \/ \b \f \n \r \t \u00e9 \uABCD"`},
	{"bad escape", `"\x"`}, {"short unicode escape", `"\u12"`}, {"bad hex", `"\u12g4"`}, {"trailing backslash", `"\`},
	{"control character", "\"a\x01b\""}, {"tab in string", "\"a\tb\""}, {"DEL in string", "\"\x7f\""},
	{"invalid UTF-8 in string", "\"\xff\xfe\""}, {"invalid UTF-8 outside", "\xff"},
	{"empty object", "{}"}, {"empty array", "[ ]"}, {"object", `{"a": 1, "b": [true, null, {"c": "d"}]}`},
	{"trailing comma in object", `{"a":1,}`}, {"trailing comma in array", `[1,]`}, {"missing colon", `{"a" 1}`},
	{"number key", `{1:2}`}, {"unclosed array", `[1, 2`}, {"mismatched close", `[1}`}, {"extra close", `[1]]`},
	{"comma first", `[,1]`}, {"nested empty", `[[],{},[[]]]`}, {"bare word", "abc"}, {"NaN", "NaN"},
	{"long string", `"` + strings.Repeat("abcdefgh", 5) + `"`},
	{"long string with high bytes", "\"" + strings.Repeat("\x7f\x80\xff\xc3\xa9 ~!", 5) + "\""},
	{"control character after 8 bytes", "\"" + strings.Repeat("a", 13) + "\x1f" + strings.Repeat("b", 9) + "\""},
	{"escape after 16 bytes", `"` + strings.Repeat("a", 16) + `\n` + strings.Repeat("b", 9) + `"`},
	{"bad escape after 8 bytes", `"` + strings.Repeat("a", 8) + `\q` + strings.Repeat("b", 9) + `"`},
	{"quote in the middle of 8 bytes", `["` + strings.Repeat("a", 11) + `", "` + strings.Repeat("b", 20) + `"]`},
	{"unterminated long string", `"` + strings.Repeat("a", 31)},
	{"depth limit", strings.Repeat("[", maxNestingDepth) + strings.Repeat("]", maxNestingDepth)},
	{"over depth limit", strings.Repeat("[", maxNestingDepth+1) + strings.Repeat("]", maxNestingDepth+1)},
	{"empty object over depth limit", strings.Repeat(`{"a":`, maxNestingDepth) + "{}" + strings.Repeat("}", maxNestingDepth)},
}

// TestValidJSON checks validJSON against json.Valid on documents of every
// rule of the grammar.
func TestValidJSON(t *testing.T) {
	for _, tc := range validCases {
		t.Run(tc.name, func(t *testing.T) {
			if got, want := validJSON([]byte(tc.doc)), json.Valid([]byte(tc.doc)); got != want {
				t.Errorf("validJSON(%.40q) = %v, json.Valid says %v", tc.doc, got, want)
			}
		})
	}
}

// FuzzValidJSON checks that validJSON and json.Valid agree on any input.
func FuzzValidJSON(f *testing.F) {
	for _, tc := range validCases {
		f.Add([]byte(tc.doc))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		if got, want := validJSON(doc), json.Valid(doc); got != want {
			t.Errorf("validJSON(%q) = %v, json.Valid says %v", doc, got, want)
		}
	})
}

// kafkaEvent returns a Kafka event of about size bytes, the shape the
// bridge sends: records with base64 keys and values.
func kafkaEvent(size int) []byte {
	var buf bytes.Buffer
	buf.WriteString(`{"eventSource":"SelfManagedKafka","records":{"t-0":[`)
	val := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte(`{"schema":{"type":"struct"},"payload":{"id":1}}`), 20))
	for i := 0; buf.Len() < size; i++ {
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.WriteString(`{"topic":"t","partition":0,"offset":`)
		buf.WriteString(strings.Repeat("7", 6))
		buf.WriteString(`,"timestamp":1700000000000,"timestampType":"CREATE_TIME","key":"a2V5","value":"` + val + `","headers":[]}`)
	}
	buf.WriteString("]}}")
	return buf.Bytes()
}

func TestValidJSONKafkaEvent(t *testing.T) {
	ev := kafkaEvent(64 << 10)
	if !json.Valid(ev) || !validJSON(ev) {
		t.Fatalf("a Kafka event: json.Valid %v, validJSON %v; want both true", json.Valid(ev), validJSON(ev))
	}
	if validJSON(ev[:len(ev)-1]) {
		t.Error("validJSON accepted the event without its last brace")
	}
}

// BenchmarkValidJSON compares validJSON with json.Valid on a 6 MB event.
func BenchmarkValidJSON(b *testing.B) {
	ev := kafkaEvent(MaxPayloadBytes - 4096)
	for _, bc := range []struct {
		name string
		fn   func([]byte) bool
	}{{"validJSON", validJSON}, {"json.Valid", json.Valid}} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(ev)))
			for b.Loop() {
				if !bc.fn(ev) {
					b.Fatal("not valid")
				}
			}
		})
	}
}
