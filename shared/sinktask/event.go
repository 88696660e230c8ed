package sinktask

import (
	"encoding/base64"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/serverless-kafka-connect/slkc/events"
	"github.com/serverless-kafka-connect/slkc/shared/dlq"
)

// group is one topic-partition of an event with its records decoded, in
// offset order.
type group struct {
	key       string // the event's group key, "topic-partition"
	topic     string
	partition int32
	raws      []dlq.Raw
}

// decodeEvent validates ev (events.KafkaEvent.Validate: group keys,
// offsets, timestamp types, base64) and decodes every record. Errors name
// the group key and index of the offending record. Groups come in
// events.KafkaEvent.Partitions order (topic, then partition number) so
// processing is deterministic; empty groups are skipped.
func decodeEvent(ev events.KafkaEvent) ([]*group, error) {
	switch ev.EventSource {
	case "", events.SourceMSK, events.SourceSelfManaged:
	default:
		return nil, fmt.Errorf("sinktask: malformed event: eventSource %q is not %q or %q", ev.EventSource, events.SourceMSK, events.SourceSelfManaged)
	}
	if err := ev.Validate(); err != nil {
		return nil, fmt.Errorf("sinktask: malformed event: %w", err)
	}
	// Every key and value is decoded into one buffer sized for all of
	// them: one allocation per event instead of one per key and value.
	size := 0
	for _, recs := range ev.Records {
		for _, r := range recs {
			if r.Key != nil {
				size += base64.StdEncoding.DecodedLen(len(*r.Key))
			}
			if r.Value != nil {
				size += base64.StdEncoding.DecodedLen(len(*r.Value))
			}
		}
	}
	buf := make([]byte, 0, size)
	var out []*group
	for _, key := range ev.Partitions() {
		recs := ev.Records[key]
		if len(recs) == 0 {
			continue
		}
		g := &group{key: key, topic: recs[0].Topic, partition: recs[0].Partition, raws: make([]dlq.Raw, 0, len(recs))}
		for i, r := range recs {
			var raw dlq.Raw
			var err error
			raw, buf, err = decodeRecordInto(r, buf)
			if err != nil {
				return nil, fmt.Errorf("sinktask: malformed event: records[%q][%d]: %w", key, i, err)
			}
			g.raws = append(g.raws, raw)
		}
		out = append(out, g)
	}
	return out, nil
}

// decodeRecordInto returns the record's bytes as consumed, with key and
// value decoded into buf's spare capacity; it returns buf extended. A
// timestamp of NO_TIMESTAMP_TYPE or below zero becomes the zero time (no
// timestamp). Key and value are capped at their
// length so they never share spare capacity: nil when absent, empty and
// non-nil when empty.
func decodeRecordInto(r events.KafkaRecord, buf []byte) (dlq.Raw, []byte, error) {
	raw := dlq.Raw{Topic: r.Topic, Partition: r.Partition, Offset: r.Offset, TimestampType: r.TimestampType}
	if r.TimestampType != events.TimestampNone && r.Timestamp >= 0 {
		raw.Timestamp = time.UnixMilli(r.Timestamp).UTC()
	}
	var err error
	if raw.Key, buf, err = appendField(buf, r.AppendKey); err != nil {
		return dlq.Raw{}, buf, err
	}
	if raw.Value, buf, err = appendField(buf, r.AppendValue); err != nil {
		return dlq.Raw{}, buf, err
	}
	if hs := r.HeaderList(); len(hs) > 0 {
		raw.Headers = make([]kgo.RecordHeader, 0, len(hs))
		for _, h := range hs {
			raw.Headers = append(raw.Headers, kgo.RecordHeader{Key: h.Key, Value: h.Value})
		}
	}
	return raw, buf, nil
}

// appendField decodes one field with appendTo into buf and returns the
// field's bytes (nil when absent) and buf extended.
func appendField(buf []byte, appendTo func([]byte) ([]byte, bool, error)) ([]byte, []byte, error) {
	if buf == nil {
		buf = []byte{}
	}
	start := len(buf)
	out, ok, err := appendTo(buf)
	if err != nil || !ok {
		return nil, buf, err
	}
	return out[start:len(out):len(out)], out, nil
}
