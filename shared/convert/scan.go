package convert

import (
	"bytes"
	"encoding/json"
	"errors"

	"github.com/serverless-kafka-connect/slkc/shared/jsonstr"
)

var errSyntax = errors.New("invalid JSON")

func skipSpace(d []byte, i int) int {
	for i < len(d) && (d[i] == ' ' || d[i] == '\t' || d[i] == '\n' || d[i] == '\r') {
		i++
	}
	return i
}

// skipString returns the index after the string starting at d[i] == '"' and
// whether it contains escapes.
func skipString(d []byte, i int) (int, bool, error) {
	esc := false
	for i++; i < len(d); i++ {
		n, _ := jsonstr.Plain(d[i:])
		if i += n; i >= len(d) {
			break
		}
		switch c := d[i]; {
		case c == '"':
			return i + 1, esc, nil
		case c < 0x20:
			return 0, false, errors.New("invalid JSON: control character in string")
		case c == '\\':
			esc = true
			i++
			if i >= len(d) {
				return 0, false, errSyntax
			}
			switch d[i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if i+4 >= len(d) {
					return 0, false, errSyntax
				}
				for k := 1; k <= 4; k++ {
					h := d[i+k]
					if !(h >= '0' && h <= '9' || h >= 'a' && h <= 'f' || h >= 'A' && h <= 'F') {
						return 0, false, errors.New("invalid JSON: bad \\u escape")
					}
				}
				i += 4
			default:
				return 0, false, errors.New("invalid JSON: bad escape in string")
			}
		}
	}
	return 0, false, errSyntax
}

// skipValue returns the index after the JSON value starting at d[i]. It
// checks structure only; the spans it finds are fully parsed later.
func skipValue(d []byte, i int, depth int) (int, error) {
	if depth > 10000 {
		return 0, errors.New("invalid JSON: exceeded max depth")
	}
	i = skipSpace(d, i)
	if i >= len(d) {
		return 0, errSyntax
	}
	switch d[i] {
	case '"':
		end, _, err := skipString(d, i)
		return end, err
	case '{', '[':
		closer := byte('}')
		if d[i] == '[' {
			closer = ']'
		}
		obj := d[i] == '{'
		i = skipSpace(d, i+1)
		if i < len(d) && d[i] == closer {
			return i + 1, nil
		}
		for {
			var err error
			if obj {
				i = skipSpace(d, i)
				if i >= len(d) || d[i] != '"' {
					return 0, errSyntax
				}
				if i, _, err = skipString(d, i); err != nil {
					return 0, err
				}
				i = skipSpace(d, i)
				if i >= len(d) || d[i] != ':' {
					return 0, errSyntax
				}
				i++
			}
			if i, err = skipValue(d, i, depth+1); err != nil {
				return 0, err
			}
			i = skipSpace(d, i)
			if i >= len(d) {
				return 0, errSyntax
			}
			if d[i] == ',' {
				i++
				continue
			}
			if d[i] == closer {
				return i + 1, nil
			}
			return 0, errSyntax
		}
	default:
		start := i
		for i < len(d) {
			c := d[i]
			if c == ',' || c == '}' || c == ']' || c == ' ' || c == '\t' || c == '\n' || c == '\r' {
				break
			}
			i++
		}
		switch lit := string(d[start:i]); {
		case lit == "true", lit == "false", lit == "null", validNumber(lit):
			return i, nil
		}
		return 0, errSyntax
	}
}

// splitEnvelope finds the "schema" and "payload" members of a top-level
// object without decoding them. ok is false when data is valid-looking JSON
// but not exactly such an envelope; err reports broken syntax.
func splitEnvelope(d []byte) (schema, payload []byte, ok bool, err error) {
	schema, payload, _, ok, err = splitEnvelopeKnown(d, nil)
	return schema, payload, ok, err
}

// splitEnvelopeKnown is splitEnvelope that skips a schema equal to known
// with one comparison instead of scanning it; known must be nil or a
// complete JSON object as skipValue spans it (an object ends at its
// matching brace, so when d holds known's bytes at the schema's position
// skipValue would stop exactly after them). hit reports that the schema
// returned is known.
func splitEnvelopeKnown(d, known []byte) (schema, payload []byte, hit, ok bool, err error) {
	i := skipSpace(d, 0)
	if i >= len(d) || d[i] != '{' {
		if _, err := skipValue(d, i, 0); err != nil {
			return nil, nil, false, false, err
		}
		return nil, nil, false, false, nil
	}
	i = skipSpace(d, i+1)
	members := 0
	if i < len(d) && d[i] == '}' {
		i++
	} else {
		for {
			i = skipSpace(d, i)
			if i >= len(d) || d[i] != '"' {
				return nil, nil, false, false, errSyntax
			}
			start := i
			end, esc, err := skipString(d, i)
			if err != nil {
				return nil, nil, false, false, err
			}
			key := d[start+1 : end-1]
			if esc {
				var k string
				if json.Unmarshal(d[start:end], &k) != nil {
					return nil, nil, false, false, errSyntax
				}
				key = []byte(k)
			}
			i = skipSpace(d, end)
			if i >= len(d) || d[i] != ':' {
				return nil, nil, false, false, errSyntax
			}
			vs := skipSpace(d, i+1)
			isSchema := string(key) == "schema"
			var ve int
			matched := isSchema && known != nil && bytes.HasPrefix(d[vs:], known)
			if matched {
				ve = vs + len(known)
			} else if ve, err = skipValue(d, vs, 0); err != nil {
				return nil, nil, false, false, err
			}
			switch string(key) {
			case "schema":
				if schema == nil {
					members++
				}
				schema, hit = d[vs:ve], matched
			case "payload":
				if payload == nil {
					members++
				}
				payload = d[vs:ve]
			default:
				members += 3 // any other member disqualifies the envelope
			}
			i = skipSpace(d, ve)
			if i < len(d) && d[i] == ',' {
				i++
				continue
			}
			if i < len(d) && d[i] == '}' {
				i++
				break
			}
			return nil, nil, false, false, errSyntax
		}
	}
	if skipSpace(d, i) != len(d) {
		return nil, nil, false, false, errors.New("invalid JSON: data after the top-level value")
	}
	if members != 2 || schema == nil || payload == nil {
		return nil, nil, false, false, nil
	}
	return schema, payload, hit, true, nil
}
