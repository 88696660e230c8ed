package events

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// plainEvent is KafkaEvent decoded by encoding/json alone: the reference
// the fast decoder must match.
type plainEvent kafkaEventFields

// decodeBoth decodes data with the fast path and with encoding/json (into
// a type named KafkaEvent too, so error texts compare); it panics when
// DecodeKafkaEvent or DecodeKafkaEventInPlace differ from the fast path.
func decodeBoth(data []byte) (fast KafkaEvent, fastErr error, ref plainEvent, refErr error) {
	fastErr = json.Unmarshal(data, &fast)
	direct, directErr := DecodeKafkaEvent(data)
	if (directErr == nil) != (fastErr == nil) || (fastErr == nil && !reflect.DeepEqual(direct, fast)) ||
		(fastErr != nil && directErr.Error() != fastErr.Error()) {
		panic(fmt.Sprintf("DecodeKafkaEvent and json.Unmarshal differ: %v / %v\n%#v\n%#v", directErr, fastErr, direct, fast))
	}
	inPlace, inPlaceErr := DecodeKafkaEventInPlace(data)
	if (inPlaceErr == nil) != (fastErr == nil) || (fastErr == nil && !reflect.DeepEqual(inPlace, fast)) ||
		(fastErr != nil && inPlaceErr.Error() != fastErr.Error()) {
		panic(fmt.Sprintf("DecodeKafkaEventInPlace and json.Unmarshal differ: %v / %v\n%#v\n%#v", inPlaceErr, fastErr, inPlace, fast))
	}
	type KafkaEvent kafkaEventFields
	refErr = json.Unmarshal(data, (*KafkaEvent)(&ref))
	return
}

func sameDecode(t *testing.T, data []byte) {
	t.Helper()
	fast, fastErr, ref, refErr := decodeBoth(data)
	if (fastErr == nil) != (refErr == nil) {
		t.Fatalf("errors differ: fast %v, encoding/json %v\ninput: %s", fastErr, refErr, data)
	}
	if fastErr != nil {
		if fastErr.Error() != refErr.Error() {
			t.Fatalf("error texts differ:\nfast %v\nref  %v", fastErr, refErr)
		}
		return
	}
	if !reflect.DeepEqual(fast, KafkaEvent(ref)) {
		t.Fatalf("decoded events differ\nfast %#v\nref  %#v\ninput: %s", fast, KafkaEvent(ref), data)
	}
}

// TestFastDecodeMatchesEncodingJSON checks the hand-written decoder
// against encoding/json on the fixtures and on the shapes where the two
// could part: absent vs null vs empty key and value, empty headers,
// signed header bytes, escapes, unknown and differently cased fields,
// duplicates, out-of-range numbers and malformed input.
func TestFastDecodeMatchesEncodingJSON(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.json"))
	if len(files) == 0 {
		t.Fatal("no fixtures")
	}
	for _, name := range files {
		t.Run(filepath.Base(name), func(t *testing.T) {
			b, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			sameDecode(t, b)
		})
	}
	rec := func(fields string) string {
		return `{"eventSource":"aws:kafka","records":{"t-0":[{"topic":"t","partition":0,"offset":1,"timestamp":5,"timestampType":"CREATE_TIME"` + fields + `}]}}`
	}
	tests := []struct {
		name, in string
		fast     bool // the fast path must handle it (no fallback needed)
	}{
		{"key and value absent", rec(``), true},
		{"key and value null", rec(`,"key":null,"value":null`), true},
		{"key and value empty", rec(`,"key":"","value":""`), true},
		{"key and value set", rec(`,"key":"a2V5","value":"dmFsdWU="`), true},
		{"headers empty", rec(`,"headers":[]`), true},
		{"headers signed bytes", rec(`,"headers":[{"h":[-61,-85,0,255]},{"h":[]},{"n":null},{}]`), true},
		{"headers repeated key in one element", rec(`,"headers":[{"h":[1],"h":[2]}]`), true},
		{"header byte out of range", rec(`,"headers":[{"h":[256]}]`), false},
		{"header byte fraction", rec(`,"headers":[{"h":[1.0]}]`), false},
		{"header byte string", rec(`,"headers":[{"h":["a"]}]`), false},
		{"headers null", rec(`,"headers":null`), false},
		{"whitespace everywhere", " { \"records\" : { \"t-0\" : [ { \"topic\" : \"t\" , \"partition\" : 0 , \"headers\" : [ { \"h\" : [ 1 , -2 ] } ] } ] } } \n", true},
		{"escaped string", rec(`,"key":"a\/b"`), false},
		{"unicode topic", `{"records":{"é-0":[{"topic":"é","partition":0}]}}`, true},
		{"invalid utf8", "{\"records\":{\"t-0\":[{\"topic\":\"\xff\",\"partition\":0}]}}", false},
		{"unknown record field", rec(`,"schemaMetadata":{"dataFormat":"AVRO"}`), false},
		{"schema metadata both", rec(`,"keySchemaMetadata":{"dataFormat":"AVRO","schemaId":"1"},"valueSchemaMetadata":{"schemaId":"a-b","dataFormat":"JSON"}`), true},
		{"schema metadata partial", rec(`,"valueSchemaMetadata":{"dataFormat":"PROTOBUF"}`), true},
		{"schema metadata empty", rec(`,"keySchemaMetadata":{}`), true},
		{"schema metadata null", rec(`,"keySchemaMetadata":null,"valueSchemaMetadata":null`), true},
		{"schema metadata unknown field", rec(`,"valueSchemaMetadata":{"dataFormat":"AVRO","version":1}`), false},
		{"schema metadata id number", rec(`,"valueSchemaMetadata":{"schemaId":123}`), false},
		{"schema metadata duplicate", rec(`,"valueSchemaMetadata":{"schemaId":"1","schemaId":"2"}`), false},
		{"schema metadata field null", rec(`,"valueSchemaMetadata":{"schemaId":null}`), false},
		{"schema metadata not object", rec(`,"keySchemaMetadata":"AVRO"`), false},
		{"differently cased field", `{"Records":{"t-0":[{"Topic":"t"}]}}`, false},
		{"duplicate field", rec(`,"offset":2`), false},
		{"duplicate group", `{"records":{"t-0":[],"t-0":[{"topic":"t"}]}}`, false},
		{"partition overflow", `{"records":{"t-0":[{"partition":2147483648}]}}`, false},
		{"offset overflow", `{"records":{"t-0":[{"offset":9999999999999999999}]}}`, false},
		{"offset min int64", `{"records":{"t-0":[{"offset":-9223372036854775808}]}}`, false},
		{"offset negative zero", `{"records":{"t-0":[{"offset":-0}]}}`, true},
		{"offset fraction", `{"records":{"t-0":[{"offset":1.5}]}}`, false},
		{"offset exponent", `{"records":{"t-0":[{"offset":1e3}]}}`, false},
		{"offset string", `{"records":{"t-0":[{"offset":"1"}]}}`, false},
		{"eventSource null", `{"eventSource":null,"records":{}}`, false},
		{"records null", `{"records":null}`, false},
		{"group null", `{"records":{"t-0":null}}`, false},
		{"empty object", `{}`, true},
		{"empty records", `{"records":{}}`, true},
		{"null event", `null`, false},
		{"truncated", rec(``)[:40], false},
		{"trailing garbage", rec(``) + `x`, false},
		{"not an object", `[1]`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sameDecode(t, []byte(tt.in))
			var e KafkaEvent
			p := eventParser{d: []byte(tt.in)}
			if got := p.event(&e); got != tt.fast {
				t.Errorf("fast path handled it = %v, want %v", got, tt.fast)
			}
		})
	}
}

// TestFastDecodeIntoNonEmptyEvent checks that decoding into an event that
// already holds records merges like encoding/json.
func TestFastDecodeIntoNonEmptyEvent(t *testing.T) {
	in := []byte(`{"records":{"t-1":[{"topic":"t","partition":1}]}}`)
	var fast KafkaEvent
	var ref plainEvent
	fast.Add(KafkaRecord{Topic: "t", Partition: 0})
	ref.Records = map[string][]KafkaRecord{"t-0": {{Topic: "t"}}}
	if err := json.Unmarshal(in, &fast); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(in, &ref); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(fast, KafkaEvent(ref)) || len(fast.Records) != 2 {
		t.Errorf("fast %#v, ref %#v", fast, ref)
	}
}

// FuzzKafkaEventFastDecode checks the fast decoder against encoding/json on
// arbitrary input: same success, same error text, same event.
func FuzzKafkaEventFastDecode(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.json"))
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"records":{"t-0":[{"topic":"t","partition":0,"headers":[{"h":[-1,255]}],"key":null}]}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		sameDecode(t, data)
	})
}

func BenchmarkKafkaEventDecode(b *testing.B) {
	for _, tc := range []struct {
		name string
		dec  func([]byte) error
	}{
		{"DecodeKafkaEvent", func(d []byte) error { _, err := DecodeKafkaEvent(d); return err }},
		{"json-Unmarshal-fast-path", func(d []byte) error { var e KafkaEvent; return json.Unmarshal(d, &e) }},
		{"encoding-json", func(d []byte) error { var e plainEvent; return json.Unmarshal(d, &e) }},
	} {
		var ev KafkaEvent
		ev.EventSource = SourceSelfManaged
		for i := range 10_000 {
			v := []byte(fmt.Sprintf(`{"id":%d,"name":"customer %d","note":"%s"}`, i, i, strings.Repeat("x", 150)))
			ev.Add(NewKafkaRecord("orders", int32(i%4), int64(i/4), time.Unix(1700000000, 0), "", []byte(fmt.Sprint(i)), v, nil))
		}
		data, err := json.Marshal(ev)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(tc.name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				if err := tc.dec(data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestBase64HelpersDoNotAllocate pins the reason for checkBase64 and
// AppendKey/AppendValue: decoding into a caller's buffer, with no
// allocation per record.
func TestBase64HelpersDoNotAllocate(t *testing.T) {
	s := strings.Repeat("dmFsdWUg", 40)
	r := KafkaRecord{Topic: "t", Value: &s}
	buf := make([]byte, 0, 4096)
	var scratch []byte
	if err := checkBase64(&s, &scratch); err != nil {
		t.Fatal(err)
	}
	n := testing.AllocsPerRun(100, func() {
		if _, ok, err := r.AppendValue(buf[:0]); err != nil || !ok {
			t.Fatal(err, ok)
		}
		if err := checkBase64(&s, &scratch); err != nil {
			t.Fatal(err)
		}
	})
	if n != 0 {
		t.Errorf("%v allocations per record, want 0", n)
	}
	got, ok, err := r.AppendValue([]byte("x"))
	if want, _ := r.DecodeValue(); err != nil || !ok || string(got) != "x"+string(want) {
		t.Errorf("AppendValue = %q, %v, %v; want x + %q", got, ok, err, want)
	}
	if got, ok, err := (KafkaRecord{}).AppendKey([]byte("x")); string(got) != "x" || ok || err != nil {
		t.Errorf("AppendKey of an absent key = %q, %v, %v; want x unchanged, false", got, ok, err)
	}
}

func TestIsGroupKey(t *testing.T) {
	tests := []struct {
		name, key, topic string
		partition        int32
	}{
		{"plain", "orders-0", "orders", 0},
		{"dashes in topic", "a-b-12", "a-b", 12},
		{"other partition", "orders-1", "orders", 0},
		{"other topic", "order-0", "orders", 0},
		{"longer number", "orders-10", "orders", 1},
		{"negative partition", "orders--1", "orders", -1},
		{"no dash", "orders0", "orders", 0},
		{"empty", "", "", 0},
		{"max partition", "t-2147483647", "t", 1<<31 - 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := TopicPartition(tt.topic, tt.partition) == tt.key
			if got := isGroupKey(tt.key, tt.topic, tt.partition); got != want {
				t.Errorf("isGroupKey(%q, %q, %d) = %v, want %v", tt.key, tt.topic, tt.partition, got, want)
			}
		})
	}
}

// TestDecodeKafkaEventOwnsItsMemory overwrites the payload after decoding
// it: DecodeKafkaEvent's event must not change at all, and
// DecodeKafkaEventInPlace's only in its keys and values, which alone
// point into the payload (the promise its doc comment makes to a handler
// whose payload buffer is reused).
func TestDecodeKafkaEventOwnsItsMemory(t *testing.T) {
	in := `{"eventSource":"aws:kafka","eventSourceArn":"arn:aws:kafka:x","bootstrapServers":"b:9092","records":{` +
		`"t-0":[{"topic":"t","partition":0,"offset":1,"timestamp":5,"timestampType":"CREATE_TIME","key":"a2V5","value":"dmFsdWU=","headers":[{"h":[1,-2]}],` +
		`"keySchemaMetadata":{"dataFormat":"AVRO","schemaId":"7"}},` +
		`{"topic":"t","partition":0,"offset":2,"timestamp":6,"timestampType":"SOME_TYPE","value":"","headers":[]}],` +
		`"é-1":[{"topic":"é","partition":1,"offset":3,"timestamp":7,"timestampType":"LOG_APPEND_TIME","key":"eA==","value":"eQ=="}]}}`
	var want KafkaEvent
	if err := json.Unmarshal([]byte(in), &want); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		decode  func([]byte) (KafkaEvent, error)
		inPlace bool
	}{
		{"DecodeKafkaEvent", DecodeKafkaEvent, false},
		{"DecodeKafkaEventInPlace", DecodeKafkaEventInPlace, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := []byte(in)
			got, err := tc.decode(data)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("decoded %#v\nwant %#v", got, want)
			}
			for i := range data {
				data[i] = '#'
			}
			if !tc.inPlace {
				if !reflect.DeepEqual(got, want) {
					t.Fatalf("the event changed with its payload: %#v", got)
				}
				return
			}
			// Everything but the keys and values is intact; the keys and
			// values did change, so the test shows that they alias.
			stripped := func(e KafkaEvent) KafkaEvent {
				out := e
				out.Records = map[string][]KafkaRecord{}
				for k, recs := range e.Records {
					for _, r := range recs {
						r.Key, r.Value = nil, nil
						out.Records[k] = append(out.Records[k], r)
					}
				}
				return out
			}
			if !reflect.DeepEqual(stripped(got), stripped(want)) {
				t.Fatalf("more than keys and values changed with the payload: %#v", got)
			}
			if r := got.Records["t-0"][0]; *r.Key != "####" || *r.Value != "########" {
				t.Fatalf("key %q, value %q: want them to alias the payload", *r.Key, *r.Value)
			}
		})
	}
}

// FuzzDecodeBase64 checks decodeBase64 against encoding/base64: same
// length, bytes and error.
func FuzzDecodeBase64(f *testing.F) {
	for _, s := range []string{"", "dmFsdWU=", "dmFsdWUgdmFsdWUgdmFsdWU=", "dmFs\ndWUgdmFsdWUg", "dmFsdWUg=mFsdWUg", "dmFsdWUgdmF$dWUgdmFsdWU=", "dmFsdWUgdmFsdWUgdmFsdWU", "dmFsdWUgdmFsdWUgdmFsdWUgdm=="} {
		f.Add([]byte(s))
	}
	// Seeds past the vector decoder's 45-character minimum: valid, with a
	// bad byte, a line break or padding inside, and with a truncated end.
	long := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte("a record value of some length "), 6))
	for _, s := range []string{long, long[:61], long[:50] + "$" + long[51:], long[:100] + "\n" + long[100:], long[:72] + "=" + long[73:], long[:len(long)-1]} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		n := base64.StdEncoding.DecodedLen(len(src))
		want := make([]byte, n)
		wn, werr := base64.StdEncoding.Decode(want, src)
		got := make([]byte, n)
		gn, gerr := decodeBase64(got, src)
		if fmt.Sprint(gerr) != fmt.Sprint(werr) || gn != wn || !bytes.Equal(got[:gn], want[:wn]) {
			t.Fatalf("decodeBase64(%q) = %d %q %v; encoding/base64 %d %q %v", src, gn, got[:gn], gerr, wn, want[:wn], werr)
		}
	})
}

// TestDecodeBase64Long checks decodeBase64 against encoding/base64 on
// inputs long enough for the vector decoder: every length up to 400
// characters, valid and with one byte replaced by a character outside
// the alphabet, a line break or padding at each of several places.
func TestDecodeBase64Long(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for n := 0; n <= 300; n++ {
		raw := make([]byte, n)
		for i := range raw {
			raw[i] = byte(rng.IntN(256))
		}
		valid := []byte(base64.StdEncoding.EncodeToString(raw))
		srcs := [][]byte{valid}
		for _, at := range []int{0, 31, 32, 44, 45, 63, 64, len(valid) / 2, len(valid) - 5} {
			for _, c := range []byte{'$', '\n', '=', '-', 0x80} {
				if at >= 0 && at < len(valid) {
					src := bytes.Clone(valid)
					src[at] = c
					srcs = append(srcs, src)
				}
			}
		}
		for _, src := range srcs {
			want := make([]byte, base64.StdEncoding.DecodedLen(len(src)))
			wn, werr := base64.StdEncoding.Decode(want, src)
			got := make([]byte, len(want))
			gn, gerr := decodeBase64(got, src)
			if fmt.Sprint(gerr) != fmt.Sprint(werr) || gn != wn || !bytes.Equal(got[:gn], want[:wn]) {
				t.Fatalf("decodeBase64(%q) = %d %v; encoding/base64 %d %v", src, gn, gerr, wn, werr)
			}
		}
	}
}

// BenchmarkDecodeBase64 decodes a record value of the bench's 200 B rows
// with their JsonConverter schema (about 1 KB, 1.4 KB of base64), with
// decodeBase64 and with encoding/base64.
func BenchmarkDecodeBase64(b *testing.B) {
	raw := bytes.Repeat([]byte(`{"schema":{"type":"struct","fields":[{"type":"int64","field":"id"}]},"payload":{"id":1}}`), 12)
	src := []byte(base64.StdEncoding.EncodeToString(raw))
	dst := make([]byte, base64.StdEncoding.DecodedLen(len(src)))
	for _, c := range []struct {
		name   string
		decode func(dst, src []byte) (int, error)
	}{{"decodeBase64", decodeBase64}, {"encoding-base64", base64.StdEncoding.Decode}} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(src)))
			for b.Loop() {
				if n, err := c.decode(dst, src); err != nil || n != len(raw) {
					b.Fatal(n, err)
				}
			}
		})
	}
}
