package sinktask

import (
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
	var out []*group
	for _, key := range ev.Partitions() {
		recs := ev.Records[key]
		if len(recs) == 0 {
			continue
		}
		g := &group{key: key, topic: recs[0].Topic, partition: recs[0].Partition}
		for i, r := range recs {
			raw, err := decodeRecord(r)
			if err != nil {
				return nil, fmt.Errorf("sinktask: malformed event: records[%q][%d]: %w", key, i, err)
			}
			g.raws = append(g.raws, raw)
		}
		out = append(out, g)
	}
	return out, nil
}

// decodeRecord returns the record's bytes as consumed. A timestamp of
// NO_TIMESTAMP_TYPE or below zero becomes the zero time (no timestamp).
func decodeRecord(r events.KafkaRecord) (dlq.Raw, error) {
	raw := dlq.Raw{Topic: r.Topic, Partition: r.Partition, Offset: r.Offset, TimestampType: r.TimestampType}
	if r.TimestampType != events.TimestampNone && r.Timestamp >= 0 {
		raw.Timestamp = time.UnixMilli(r.Timestamp).UTC()
	}
	var err error
	if raw.Key, err = r.DecodeKey(); err != nil {
		return dlq.Raw{}, err
	}
	if raw.Value, err = r.DecodeValue(); err != nil {
		return dlq.Raw{}, err
	}
	for _, h := range r.HeaderList() {
		raw.Headers = append(raw.Headers, kgo.RecordHeader{Key: h.Key, Value: h.Value})
	}
	return raw, nil
}
