package events

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
)

// MarshalJSON writes the bytes as a JSON array of numbers 0..255, the way
// Lambda writes Kafka header values
// (https://docs.aws.amazon.com/lambda/latest/dg/with-msk.html, example event:
// "headers":[{"headerKey":[104,101,97,100,101,114,86,97,108,117,101]}]).
// A nil ByteArray is written as null (a Kafka header may have a null value);
// an empty one as [].
func (b ByteArray) MarshalJSON() ([]byte, error) {
	if b == nil {
		return []byte("null"), nil
	}
	out := make([]byte, 0, 2+4*len(b))
	out = append(out, '[')
	for i, c := range b {
		if i > 0 {
			out = append(out, ',')
		}
		out = strconv.AppendUint(out, uint64(c), 10)
	}
	return append(out, ']'), nil
}

// UnmarshalJSON reads a JSON array of integers. Values 0..255 are bytes as
// they are. Values -128..-1 are accepted too and read as the two's
// complement byte: Lambda's poller serializes Java's signed byte[], so a
// header holding non-ASCII bytes arrives as e.g. [-61,-85] for "ë" (see
// aws/aws-lambda-go#506, aws/aws-lambda-dotnet#1476 and
// aws-powertools/powertools-lambda-python#6862). Anything else (fractions,
// exponents, strings, numbers outside -128..255) is an error naming the index.
// null yields a nil ByteArray.
func (b *ByteArray) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	if bytes.Equal(data, []byte("null")) {
		*b = nil
		return nil
	}
	var raw []json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return fmt.Errorf("events: byte array: want a JSON array of numbers: %w", err)
	}
	out := make(ByteArray, len(raw))
	for i, r := range raw {
		n, err := strconv.ParseInt(string(bytes.TrimSpace(r)), 10, 16)
		if err != nil || n < -128 || n > 255 {
			return fmt.Errorf("events: byte array: element %d is %s; want an integer in 0..255 (or a signed byte -128..-1)", i, truncate(string(r), 32))
		}
		out[i] = byte(n) // two's complement for -128..-1
	}
	*b = out
	return nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
