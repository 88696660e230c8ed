package events

import (
	"encoding/base64"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"
	"unsafe"

	"github.com/serverless-kafka-connect/slkc/shared/connect"
)

// Timestamp types as they appear in a record's timestampType field. They are
// the names of Kafka's org.apache.kafka.common.record.TimestampType enum;
// Lambda's example events show "CREATE_TIME"
// (https://docs.aws.amazon.com/lambda/latest/dg/with-msk.html,
// https://docs.aws.amazon.com/lambda/latest/dg/with-kafka.html).
const (
	TimestampCreateTime    = "CREATE_TIME"
	TimestampLogAppendTime = "LOG_APPEND_TIME"
	TimestampNone          = "NO_TIMESTAMP_TYPE"
)

// TopicPartition returns the key Lambda uses to group records in
// KafkaEvent.Records: the topic, a dash and the partition number, e.g.
// "orders-0". Topic names may contain dashes; the partition is always the
// text after the last dash.
func TopicPartition(topic string, partition int32) string {
	return topic + "-" + strconv.FormatInt(int64(partition), 10)
}

// isGroupKey reports whether key is TopicPartition(topic, partition),
// without building that string.
func isGroupKey(key, topic string, partition int32) bool {
	var buf [12]byte
	num := strconv.AppendInt(buf[:0], int64(partition), 10)
	n := len(topic)
	return len(key) == n+1+len(num) && key[:n] == topic && key[n] == '-' && key[n+1:] == string(num)
}

// SplitTopicPartition parses a key made by TopicPartition. ok is false when
// the key has no dash or the text after the last dash is not a partition
// number.
func SplitTopicPartition(key string) (topic string, partition int32, ok bool) {
	for i := len(key) - 1; i >= 0; i-- {
		if key[i] != '-' {
			continue
		}
		p, err := strconv.ParseInt(key[i+1:], 10, 32)
		if err != nil || p < 0 || i == 0 {
			return "", 0, false
		}
		return key[:i], int32(p), true
	}
	return "", 0, false
}

// NewKafkaRecord builds a record the way Lambda's poller writes it: key and
// value base64 encoded (a nil key or value leaves the field absent, which is
// how Lambda shows a null key and a tombstone), the timestamp in epoch
// milliseconds, and one headers element per header in order. tsType is one of
// the Timestamp* constants; empty means CREATE_TIME. The local Kafka event
// source bridge uses it to build events from fetched records.
func NewKafkaRecord(topic string, partition int32, offset int64, ts time.Time, tsType string, key, value []byte, headers []connect.Header) KafkaRecord {
	if tsType == "" {
		tsType = TimestampCreateTime
	}
	r := KafkaRecord{
		Topic:         topic,
		Partition:     partition,
		Offset:        offset,
		Timestamp:     ts.UnixMilli(),
		TimestampType: tsType,
		Key:           encode(key),
		Value:         encode(value),
		Headers:       make([]KafkaHeaders, 0, len(headers)),
	}
	for _, h := range headers {
		var v ByteArray
		if h.Value != nil {
			v = append(ByteArray{}, h.Value...)
		}
		r.Headers = append(r.Headers, KafkaHeaders{h.Key: v})
	}
	return r
}

func encode(b []byte) *string {
	if b == nil {
		return nil
	}
	s := base64.StdEncoding.EncodeToString(b)
	return &s
}

// Where names the record for error messages: "topic/partition@offset".
func (r KafkaRecord) Where() string {
	return r.Topic + "/" + strconv.FormatInt(int64(r.Partition), 10) + "@" + strconv.FormatInt(r.Offset, 10)
}

// DecodeKey returns the key bytes. It returns nil, nil when the key is absent
// or null (a record without a key) and an empty non-nil slice for an empty
// key. The error names the record and wraps the base64 error.
func (r KafkaRecord) DecodeKey() ([]byte, error) {
	b, err := decode(r.Key)
	if err != nil {
		return nil, fmt.Errorf("events: record %s: key: %w", r.Where(), err)
	}
	return b, nil
}

// DecodeValue returns the value bytes; nil, nil for a tombstone (value absent
// or null). See DecodeKey.
func (r KafkaRecord) DecodeValue() ([]byte, error) {
	b, err := decode(r.Value)
	if err != nil {
		return nil, fmt.Errorf("events: record %s: value: %w", r.Where(), err)
	}
	return b, nil
}

func decode(s *string) ([]byte, error) {
	if s == nil {
		return nil, nil
	}
	b, err := base64.StdEncoding.DecodeString(*s)
	if err != nil {
		return nil, fmt.Errorf("invalid base64: %w", err)
	}
	if b == nil {
		b = []byte{}
	}
	return b, nil
}

// checkBase64 reports what decode would for s, decoding into *scratch
// (grown as needed) instead of a new slice.
func checkBase64(s *string, scratch *[]byte) error {
	if s == nil {
		return nil
	}
	n := base64.StdEncoding.DecodedLen(len(*s))
	if cap(*scratch) < n {
		*scratch = make([]byte, n)
	}
	if _, err := decodeBase64((*scratch)[:n], unsafe.Slice(unsafe.StringData(*s), len(*s))); err != nil {
		return fmt.Errorf("invalid base64: %w", err)
	}
	return nil
}

// AppendKey appends the key bytes to dst and returns the extended slice
// and whether the record has a key (false when it is absent or null, and
// dst is returned as is). Decoding a batch's keys and values into one
// buffer costs one allocation instead of one per record. The error is
// DecodeKey's.
func (r KafkaRecord) AppendKey(dst []byte) ([]byte, bool, error) {
	b, ok, err := appendDecoded(dst, r.Key)
	if err != nil {
		return dst, false, fmt.Errorf("events: record %s: key: %w", r.Where(), err)
	}
	return b, ok, nil
}

// AppendValue is AppendKey for the value; ok is false for a tombstone.
func (r KafkaRecord) AppendValue(dst []byte) ([]byte, bool, error) {
	b, ok, err := appendDecoded(dst, r.Value)
	if err != nil {
		return dst, false, fmt.Errorf("events: record %s: value: %w", r.Where(), err)
	}
	return b, ok, nil
}

func appendDecoded(dst []byte, s *string) ([]byte, bool, error) {
	if s == nil {
		return dst, false, nil
	}
	n := base64.StdEncoding.DecodedLen(len(*s))
	dst = slices.Grow(dst, n)
	// decodeBase64 only reads its source, so the string's bytes serve as
	// it without a copy.
	m, err := decodeBase64(dst[len(dst):len(dst)+n], unsafe.Slice(unsafe.StringData(*s), len(*s)))
	if err != nil {
		return dst, false, fmt.Errorf("invalid base64: %w", err)
	}
	return dst[:len(dst)+m], true, nil
}

// HeaderList flattens the headers in their Kafka order. Lambda writes one
// single-key object per header; should an element carry several keys they
// are returned sorted by key so the result is deterministic. Values are
// copies; a null header value stays nil.
func (r KafkaRecord) HeaderList() []connect.Header {
	if len(r.Headers) == 0 {
		return nil
	}
	out := make([]connect.Header, 0, len(r.Headers))
	for _, h := range r.Headers {
		keys := slices.Sorted(maps.Keys(h))
		for _, k := range keys {
			var v []byte
			if h[k] != nil {
				v = append([]byte{}, h[k]...)
			}
			out = append(out, connect.Header{Key: k, Value: v})
		}
	}
	return out
}

// Time returns the record timestamp as a UTC time.
func (r KafkaRecord) Time() time.Time {
	return time.UnixMilli(r.Timestamp).UTC()
}

// ToConnect returns the record in connect.Record form before conversion:
// Key and Value hold the raw bytes ([]byte, or nil for a null key and a
// tombstone) with nil schemas; the sink's key/value converters replace them
// with typed values. The error names the record when key or value is not
// valid base64.
func (r KafkaRecord) ToConnect() (connect.Record, error) {
	k, err := r.DecodeKey()
	if err != nil {
		return connect.Record{}, err
	}
	v, err := r.DecodeValue()
	if err != nil {
		return connect.Record{}, err
	}
	rec := connect.Record{
		Topic:         r.Topic,
		Partition:     r.Partition,
		Offset:        r.Offset,
		Timestamp:     r.Time(),
		TimestampType: r.TimestampType,
		Headers:       r.HeaderList(),
	}
	// Keep untyped nil for absent key/value so IsTombstone holds.
	if k != nil {
		rec.Key = k
	}
	if v != nil {
		rec.Value = v
	}
	return rec, nil
}
