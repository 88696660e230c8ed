package events

import (
	"errors"
	"fmt"
	"sort"
)

// Validate checks the event the way the sink relies on it: ValidateLayout
// (group keys, topics, partitions, offsets) and, for every record,
// CheckTimestampType and valid base64 in key and value. All problems are
// returned together (errors.Join), each naming the group key and the
// record index. An event without records is valid.
func (e *KafkaEvent) Validate() error {
	return e.validate(true)
}

// ValidateLayout checks what gives each record its place: topics are named,
// partitions and offsets are not negative, every record group key equals
// the "topic-partition" of each of its records, and offsets within a group
// strictly ascend. A record that breaks these cannot be retried or
// dead-lettered by position, so the event as a whole is malformed. The
// problems Validate checks on top (timestamp type, base64) belong to one
// record; a sink can refuse that record alone. Errors are as Validate's.
func (e *KafkaEvent) ValidateLayout() error {
	return e.validate(false)
}

func (e *KafkaEvent) validate(content bool) error {
	var errs []error
	var scratch []byte // base64 is checked by decoding into one reused buffer
	for _, key := range e.Partitions() {
		recs := e.Records[key]
		for i, r := range recs {
			if r.Topic == "" || r.Partition < 0 || r.Offset < 0 {
				errs = append(errs, fmt.Errorf("events: records[%q][%d]: topic %q partition %d offset %d: want a topic name and non-negative partition and offset", key, i, truncate(r.Topic, 80), r.Partition, r.Offset))
			}
			if !isGroupKey(key, r.Topic, r.Partition) {
				errs = append(errs, fmt.Errorf("events: records[%q][%d]: topic %q partition %d belongs in group %q", key, i, r.Topic, r.Partition, TopicPartition(r.Topic, r.Partition)))
			}
			if i > 0 && r.Offset <= recs[i-1].Offset {
				errs = append(errs, fmt.Errorf("events: records[%q][%d]: offset %d does not ascend (previous %d)", key, i, r.Offset, recs[i-1].Offset))
			}
			if !content {
				continue
			}
			if err := r.CheckTimestampType(); err != nil {
				errs = append(errs, fmt.Errorf("events: records[%q][%d]: %w", key, i, err))
			}
			if err := checkBase64(r.Key, &scratch); err != nil {
				errs = append(errs, fmt.Errorf("events: records[%q][%d]: key: %w", key, i, err))
			}
			if err := checkBase64(r.Value, &scratch); err != nil {
				errs = append(errs, fmt.Errorf("events: records[%q][%d]: value: %w", key, i, err))
			}
		}
	}
	return errors.Join(errs...)
}

// CheckTimestampType reports an error naming the value when the record's
// timestampType is not one of the Timestamp* constants.
func (r KafkaRecord) CheckTimestampType() error {
	switch r.TimestampType {
	case TimestampCreateTime, TimestampLogAppendTime, TimestampNone:
		return nil
	}
	return fmt.Errorf("timestampType %q is not one of %s, %s, %s", truncate(r.TimestampType, 40), TimestampCreateTime, TimestampLogAppendTime, TimestampNone)
}

// Partitions returns the record group keys, ordered by topic and then by
// partition number ("orders-2" before "orders-10"); keys that do not parse
// as topic-partition sort by plain text after those that do.
func (e *KafkaEvent) Partitions() []string {
	keys := make([]string, 0, len(e.Records))
	for k := range e.Records {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		ti, pi, oki := SplitTopicPartition(keys[i])
		tj, pj, okj := SplitTopicPartition(keys[j])
		switch {
		case oki && okj:
			if ti != tj {
				return ti < tj
			}
			if pi != pj {
				return pi < pj
			}
			return keys[i] < keys[j]
		case oki != okj:
			return oki
		default:
			return keys[i] < keys[j]
		}
	})
	return keys
}

// Len returns the number of records over all groups.
func (e *KafkaEvent) Len() int {
	n := 0
	for _, recs := range e.Records {
		n += len(recs)
	}
	return n
}

// Add appends r to its "topic-partition" group, creating the map and the
// group as needed. Callers add records in offset order per partition, as
// Lambda does; Validate reports it otherwise.
func (e *KafkaEvent) Add(r KafkaRecord) {
	if e.Records == nil {
		e.Records = make(map[string][]KafkaRecord)
	}
	k := TopicPartition(r.Topic, r.Partition)
	e.Records[k] = append(e.Records[k], r)
}

// Each calls fn for every record, groups in Partitions order and records in
// their order within the group, stopping at the first error, which it
// returns unchanged.
func (e *KafkaEvent) Each(fn func(key string, i int, r KafkaRecord) error) error {
	for _, k := range e.Partitions() {
		for i, r := range e.Records[k] {
			if err := fn(k, i, r); err != nil {
				return err
			}
		}
	}
	return nil
}
