package sinktask

import (
	"encoding/base64"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/serverless-kafka-connect/slkc/events"
	"github.com/serverless-kafka-connect/slkc/shared/dlq"
	"github.com/serverless-kafka-connect/slkc/shared/parallel"
)

// group is one topic-partition of an event with its records decoded, in
// offset order.
type group struct {
	key       string // the event's group key, "topic-partition"
	topic     string
	partition int32
	raws      []dlq.Raw
	// bad[i], when bad is not nil, says why raws[i] could not be decoded
	// (see decodeRecordInto); nil for every record that could.
	bad []error
	// meta[i], when meta is not nil, is the schema registry metadata
	// Lambda added to raws[i] (events.KafkaRecord.KeySchemaMetadata and
	// ValueSchemaMetadata); nil when no record of the group has any.
	meta []schemaMeta
}

// schemaMeta is what a schema registry mapping says about a record's key
// and value; nil for a field it did not validate.
type schemaMeta struct {
	key, value *events.SchemaMetadata
}

// metaAt returns the schema registry metadata of raws[i].
func (g *group) metaAt(i int) schemaMeta {
	if g.meta == nil {
		return schemaMeta{}
	}
	return g.meta[i]
}

// decodeEvent checks ev's layout (events.KafkaEvent.ValidateLayout: group
// keys, topics, partitions, ascending offsets) and decodes every record.
// A layout error fails the whole event, naming the group key and index of
// the offending record: such a record has no position to retry or
// dead-letter. A record whose own content is bad (invalid base64 key or
// value, unknown timestamp type) does not: it is decoded as far as it can
// be and its error is kept in its group's bad list, so the task refuses
// that record alone (errors.tolerance). Groups come in
// events.KafkaEvent.Partitions order (topic, then partition number) so
// processing is deterministic; empty groups are skipped.
//
// The records are decoded on workers(n) goroutines (see parallel), n being
// the number of records; the result does not depend on it.
func decodeEvent(ev events.KafkaEvent, workers func(n int) int) ([]*group, error) {
	switch ev.EventSource {
	case "", events.SourceMSK, events.SourceSelfManaged:
	default:
		return nil, fmt.Errorf("sinktask: malformed event: eventSource %q is not %q or %q", ev.EventSource, events.SourceMSK, events.SourceSelfManaged)
	}
	if err := ev.ValidateLayout(); err != nil {
		return nil, fmt.Errorf("sinktask: malformed event: %w", err)
	}
	var (
		out    []*group
		recs   [][]events.KafkaRecord // recs[j] are out[j]'s records
		starts = flatIndex{0}
		// Every key and value is decoded into one buffer sized for all
		// of them (one allocation per event instead of one per key and
		// value); record k owns buf[offs[k]:offs[k+1]], so records can
		// be decoded in any order.
		offs = []int{0}
	)
	for _, key := range ev.Partitions() {
		rs := ev.Records[key]
		if len(rs) == 0 {
			continue
		}
		g := &group{key: key, topic: rs[0].Topic, partition: rs[0].Partition, raws: make([]dlq.Raw, len(rs))}
		for i, r := range rs {
			size := 0
			if r.Key != nil {
				size += base64.StdEncoding.DecodedLen(len(*r.Key))
			}
			if r.Value != nil {
				size += base64.StdEncoding.DecodedLen(len(*r.Value))
			}
			offs = append(offs, offs[len(offs)-1]+size)
			if r.KeySchemaMetadata != nil || r.ValueSchemaMetadata != nil {
				if g.meta == nil {
					g.meta = make([]schemaMeta, len(rs))
				}
				g.meta[i] = schemaMeta{key: r.KeySchemaMetadata, value: r.ValueSchemaMetadata}
			}
		}
		out = append(out, g)
		recs = append(recs, rs)
		starts = append(starts, starts[len(starts)-1]+len(rs))
	}
	n := starts[len(starts)-1]
	buf := make([]byte, offs[n])
	var badMu sync.Mutex // guards the groups' bad lists
	parallel.Chunks(n, workers(n), func(lo, hi int) {
		starts.each(lo, hi, func(k, j, i int) {
			g, r := out[j], recs[j][i]
			raw, _, err := decodeRecordInto(r, buf[offs[k]:offs[k]:offs[k+1]])
			g.raws[i] = raw
			if err != nil {
				err = fmt.Errorf("sinktask: undecodable record records[%q][%d] (%s): %w", g.key, i, r.Where(), err)
				badMu.Lock()
				if g.bad == nil {
					g.bad = make([]error, len(g.raws))
				}
				g.bad[i] = err
				badMu.Unlock()
			}
		})
	})
	return out, nil
}

// decodeRecordInto returns the record's bytes as consumed, with key and
// value decoded into buf's spare capacity; it returns buf extended. A
// timestamp of NO_TIMESTAMP_TYPE or below zero becomes the zero time (no
// timestamp). Key and value are capped at their
// length so they never share spare capacity: nil when absent, empty and
// non-nil when empty.
//
// A record with an unknown timestamp type or a key or value that is not
// valid base64 is still returned, with the error: its position, headers
// and every field that decodes are as above, and a field that does not
// decode holds its text as received, so a dead-letter record keeps all
// there is of it (the error names the field).
func decodeRecordInto(r events.KafkaRecord, buf []byte) (dlq.Raw, []byte, error) {
	raw := dlq.Raw{Topic: r.Topic, Partition: r.Partition, Offset: r.Offset, TimestampType: r.TimestampType}
	if r.TimestampType != events.TimestampNone && r.Timestamp >= 0 {
		raw.Timestamp = time.UnixMilli(r.Timestamp).UTC()
	}
	var errs []error
	if err := r.CheckTimestampType(); err != nil {
		errs = append(errs, err)
	}
	var err error
	if raw.Key, buf, err = appendField(buf, r.AppendKey); err != nil {
		raw.Key = []byte(*r.Key)
		errs = append(errs, err)
	}
	if raw.Value, buf, err = appendField(buf, r.AppendValue); err != nil {
		raw.Value = []byte(*r.Value)
		errs = append(errs, err)
	}
	if hs := r.HeaderList(); len(hs) > 0 {
		raw.Headers = make([]kgo.RecordHeader, 0, len(hs))
		for _, h := range hs {
			raw.Headers = append(raw.Headers, kgo.RecordHeader{Key: h.Key, Value: h.Value})
		}
	}
	return raw, buf, errors.Join(errs...)
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
