package events

import (
	"encoding/json"
	"strings"
	"unicode/utf8"
	"unsafe"

	"github.com/serverless-kafka-connect/slkc/shared/jsonstr"
)

// UnmarshalJSON decodes a Kafka event. A hand-written scanner reads the
// shape Lambda sends (the fields of KafkaEvent and KafkaRecord, strings
// without escapes, integer numbers) in one pass with few allocations;
// decoding a 10k-record event through reflection was the largest cost of
// the sink function. Anything else — unknown or differently cased field
// names, escapes, null where a value is expected, duplicate fields, a
// receiver that is not empty, malformed JSON — is decoded by encoding/json
// instead, so the result and the errors are always exactly those of
// encoding/json.
func (e *KafkaEvent) UnmarshalJSON(data []byte) error {
	if e.EventSource == "" && e.EventSourceARN == "" && e.BootstrapServers == "" && e.Records == nil {
		p := eventParser{d: data}
		var fast KafkaEvent
		if p.event(&fast) {
			*e = fast
			return nil
		}
	}
	// The same fields without this method, under the same type name so
	// encoding/json's error texts ("Go struct field KafkaEvent.records")
	// are unchanged.
	type KafkaEvent kafkaEventFields
	return json.Unmarshal(data, (*KafkaEvent)(e))
}

// kafkaEventFields is KafkaEvent's struct; the conversion in UnmarshalJSON
// stops compiling when the two part.
type kafkaEventFields = struct {
	EventSource      string                   `json:"eventSource"`
	EventSourceARN   string                   `json:"eventSourceArn,omitempty"`
	BootstrapServers string                   `json:"bootstrapServers,omitempty"`
	Records          map[string][]KafkaRecord `json:"records"`
}

// DecodeKafkaEvent decodes a Kafka event payload as json.Unmarshal into a
// KafkaEvent would, with the same result and errors, but without
// encoding/json's validation passes over the whole payload when it has
// the usual shape (see UnmarshalJSON): a handler that receives the raw
// invoke payload should call this instead of json.Unmarshal. The event
// shares no memory with data.
func DecodeKafkaEvent(data []byte) (KafkaEvent, error) {
	return decodeKafkaEvent(data, false)
}

// DecodeKafkaEventInPlace is DecodeKafkaEvent without copying the keys
// and values: on the usual shape the strings *Key and *Value of the
// records point into data, which saves copying the megabytes of base64
// text of a large event. Everything else — topics, group keys,
// timestamp types, headers, schema metadata, the event's own fields — is
// copied, and an event that takes encoding/json's path shares nothing.
//
// The keys and values are therefore valid only while data is neither
// changed nor reused. aws-lambda-go reuses the invoke payload's buffer
// once the handler returns, so a handler may call this only when it
// decodes the keys and values into memory of its own before returning
// and keeps none of the strings (nor the records holding them) after
// that — not in errors, logs, dead-letter records or caches.
func DecodeKafkaEventInPlace(data []byte) (KafkaEvent, error) {
	return decodeKafkaEvent(data, true)
}

func decodeKafkaEvent(data []byte, inPlace bool) (KafkaEvent, error) {
	var e KafkaEvent
	p := eventParser{d: data, inPlace: inPlace}
	if p.event(&e) {
		return e, nil
	}
	e = KafkaEvent{}
	err := json.Unmarshal(data, &e)
	return e, err
}

// eventParser scans one event; every method returns false on input it does
// not handle, and the caller then falls back to encoding/json.
type eventParser struct {
	d []byte
	i int
	// inPlace makes strPtr return strings that point into d instead of
	// copies (DecodeKafkaEventInPlace).
	inPlace bool
	// strs hands out the *string of keys and values in blocks.
	strs []string
	// text holds the bytes of every key and value string: one allocation
	// per event, sized at first use to the rest of the input, which bounds
	// the text still to come, so it never grows and the strings carved
	// from it are never written again. A strings.Builder so that the
	// allocation is not zeroed first: every byte of it handed out is
	// written before.
	text strings.Builder
	// last topic seen, reused so a group's records share one string.
	topic string
}

func (p *eventParser) ws() {
	for p.i < len(p.d) {
		switch p.d[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

// tok consumes byte c after optional whitespace.
func (p *eventParser) tok(c byte) bool {
	p.ws()
	if p.i < len(p.d) && p.d[p.i] == c {
		p.i++
		return true
	}
	return false
}

// rawStr reads a string without escapes and returns its bytes (aliasing
// the input).
func (p *eventParser) rawStr() ([]byte, bool) {
	if !p.tok('"') {
		return nil, false
	}
	start := p.i
	n, ascii := jsonstr.Plain(p.d[start:])
	p.i += n
	if p.i >= len(p.d) || p.d[p.i] != '"' {
		return nil, false // an escape, a control character or no end
	}
	s := p.d[start:p.i]
	p.i++
	if !ascii && !utf8.Valid(s) {
		return nil, false // encoding/json replaces invalid UTF-8
	}
	return s, true
}

func (p *eventParser) str() (string, bool) {
	b, ok := p.rawStr()
	return string(b), ok
}

// strPtr reads a string into a *string from the block.
func (p *eventParser) strPtr() (*string, bool) {
	b, ok := p.rawStr()
	if !ok {
		return nil, false
	}
	if len(p.strs) == cap(p.strs) {
		p.strs = make([]string, 0, 256)
	}
	var s string
	switch {
	case len(b) == 0:
	case p.inPlace:
		s = unsafe.String(&b[0], len(b))
	default:
		s = p.carve(b)
	}
	p.strs = append(p.strs, s)
	return &p.strs[len(p.strs)-1], true
}

// carve returns b, which lies in p.d before p.i, as a string copied into
// p.text.
func (p *eventParser) carve(b []byte) string {
	if p.text.Cap() == 0 {
		// Every string still to come lies in p.d[p.i-len(b)-1:].
		p.text.Grow(len(p.d) - p.i + len(b) + 1)
	}
	if p.text.Cap()-p.text.Len() < len(b) {
		return string(b) // unreachable while the bound above holds
	}
	start := p.text.Len()
	p.text.Write(b)
	return p.text.String()[start:]
}

// null consumes a null literal if one is next.
func (p *eventParser) null() bool {
	p.ws()
	if len(p.d)-p.i >= 4 && string(p.d[p.i:p.i+4]) == "null" {
		p.i += 4
		return true
	}
	return false
}

// integer reads a JSON number that is an integer in [lo, hi]; fractions,
// exponents and overflow are left to encoding/json.
func (p *eventParser) integer(lo, hi int64) (int64, bool) {
	p.ws()
	neg := false
	if p.i < len(p.d) && p.d[p.i] == '-' {
		neg = true
		p.i++
	}
	start := p.i
	var n uint64
	for p.i < len(p.d) && p.d[p.i] >= '0' && p.d[p.i] <= '9' {
		if p.i-start >= 19 {
			return 0, false
		}
		n = n*10 + uint64(p.d[p.i]-'0')
		p.i++
	}
	digits := p.i - start
	if digits == 0 || (digits > 1 && p.d[start] == '0') {
		return 0, false
	}
	if p.i < len(p.d) {
		switch p.d[p.i] {
		case '.', 'e', 'E':
			return 0, false
		}
	}
	if n > 1<<63-1 {
		return 0, false
	}
	v := int64(n)
	if neg {
		v = -v
	}
	if v < lo || v > hi {
		return 0, false
	}
	return v, true
}

// members calls fn for each member of an object; fn reads the value.
func (p *eventParser) members(fn func(key []byte) bool) bool {
	if !p.tok('{') {
		return false
	}
	if p.tok('}') {
		return true
	}
	for {
		k, ok := p.rawStr()
		if !ok || !p.tok(':') || !fn(k) {
			return false
		}
		if p.tok(',') {
			continue
		}
		return p.tok('}')
	}
}

// elements calls fn for each element of an array.
func (p *eventParser) elements(fn func() bool) bool {
	if !p.tok('[') {
		return false
	}
	if p.tok(']') {
		return true
	}
	for {
		if !fn() {
			return false
		}
		if p.tok(',') {
			continue
		}
		return p.tok(']')
	}
}

func (p *eventParser) event(e *KafkaEvent) bool {
	var seen uint8
	ok := p.members(func(k []byte) bool {
		var bit uint8
		var ok bool
		switch string(k) {
		case "eventSource":
			bit = 1
			e.EventSource, ok = p.str()
		case "eventSourceArn":
			bit = 2
			e.EventSourceARN, ok = p.str()
		case "bootstrapServers":
			bit = 4
			e.BootstrapServers, ok = p.str()
		case "records":
			bit = 8
			ok = p.records(e)
		default:
			return false
		}
		if seen&bit != 0 {
			return false
		}
		seen |= bit
		return ok
	})
	p.ws()
	return ok && p.i == len(p.d)
}

func (p *eventParser) records(e *KafkaEvent) bool {
	e.Records = map[string][]KafkaRecord{}
	return p.members(func(k []byte) bool {
		if _, dup := e.Records[string(k)]; dup {
			return false
		}
		key := string(k)
		recs := []KafkaRecord{}
		ok := p.elements(func() bool {
			recs = append(recs, KafkaRecord{})
			return p.record(&recs[len(recs)-1])
		})
		e.Records[key] = recs
		return ok
	})
}

func (p *eventParser) record(r *KafkaRecord) bool {
	var seen uint16
	return p.members(func(k []byte) bool {
		var bit uint16
		var ok bool
		var n int64
		switch string(k) {
		case "topic":
			bit = 1
			var b []byte
			if b, ok = p.rawStr(); ok {
				if string(b) != p.topic {
					p.topic = string(b)
				}
				r.Topic = p.topic
			}
		case "partition":
			bit = 2
			n, ok = p.integer(-1<<31, 1<<31-1)
			r.Partition = int32(n)
		case "offset":
			bit = 4
			r.Offset, ok = p.integer(-1<<63+1, 1<<63-1)
		case "timestamp":
			bit = 8
			r.Timestamp, ok = p.integer(-1<<63+1, 1<<63-1)
		case "timestampType":
			bit = 16
			var b []byte
			if b, ok = p.rawStr(); ok {
				switch string(b) {
				case TimestampCreateTime:
					r.TimestampType = TimestampCreateTime
				case TimestampLogAppendTime:
					r.TimestampType = TimestampLogAppendTime
				default:
					r.TimestampType = string(b)
				}
			}
		case "key":
			bit = 32
			if !p.null() {
				r.Key, ok = p.strPtr()
			} else {
				ok = true
			}
		case "value":
			bit = 64
			if !p.null() {
				r.Value, ok = p.strPtr()
			} else {
				ok = true
			}
		case "headers":
			bit = 128
			ok = p.headers(r)
		case "keySchemaMetadata":
			bit = 256
			r.KeySchemaMetadata, ok = p.schemaMetadata()
		case "valueSchemaMetadata":
			bit = 512
			r.ValueSchemaMetadata, ok = p.schemaMetadata()
		default:
			return false
		}
		if seen&bit != 0 {
			return false
		}
		seen |= bit
		return ok
	})
}

func (p *eventParser) headers(r *KafkaRecord) bool {
	r.Headers = []KafkaHeaders{}
	return p.elements(func() bool {
		h := KafkaHeaders{}
		ok := p.members(func(k []byte) bool {
			key := string(k)
			if p.null() {
				h[key] = nil
				return true
			}
			v := ByteArray{}
			ok := p.elements(func() bool {
				n, ok := p.integer(-128, 255)
				v = append(v, byte(n)) // two's complement for -128..-1
				return ok
			})
			h[key] = v
			return ok
		})
		r.Headers = append(r.Headers, h)
		return ok
	})
}

// schemaMetadata reads a keySchemaMetadata or valueSchemaMetadata object;
// null leaves it nil, as encoding/json does for a fresh record.
func (p *eventParser) schemaMetadata() (*SchemaMetadata, bool) {
	if p.null() {
		return nil, true
	}
	m := &SchemaMetadata{}
	var seen uint8
	ok := p.members(func(k []byte) bool {
		var bit uint8
		var ok bool
		switch string(k) {
		case "dataFormat":
			bit = 1
			m.DataFormat, ok = p.str()
		case "schemaId":
			bit = 2
			m.SchemaID, ok = p.str()
		default:
			return false
		}
		if seen&bit != 0 {
			return false
		}
		seen |= bit
		return ok
	})
	return m, ok
}
