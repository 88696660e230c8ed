package events

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
)

// Wire format of the Kafka partial batch response.
//
// For Kafka event sources Lambda expects each itemIdentifier to be an object
// naming the record group key and the offset, not a string as for Kinesis or
// SQS:
//
//	{"batchItemFailures":[{"itemIdentifier":{"partition":"orders-0","offset":42}}]}
//
// Sources: "Configuring error handling controls for Kafka event sources",
// https://docs.aws.amazon.com/lambda/latest/dg/kafka-retry-configurations.html
// (partial batch response, ReportBatchItemFailures), and the identifiers AWS's
// own libraries send for it: Powertools for Python KafkaItemIdentifier
// {partition: str, offset: int} (aws_lambda_powertools/utilities/batch/types.py)
// and aws-lambda-rust-runtime KafkaItemIdentifier {partition: "some.topic-3",
// offset: 42} (lambda-events/src/event/kafka/mod.rs). Lambda treats an empty
// or null batchItemFailures list as complete success
// (https://docs.aws.amazon.com/lambda/latest/dg/services-kinesis-batchfailurereporting.html).
//
// TestPartialBatchResponseMatchesPowertools checks what we write against
// Powertools itself, run on every event fixture.
//
// KafkaItemIdentifier keeps Topic and Partition as separate Go fields and
// converts to and from that form in MarshalJSON/UnmarshalJSON.

type itemIdentifierWire struct {
	Partition string `json:"partition"`
	Offset    int64  `json:"offset"`
}

// MarshalJSON writes {"partition":"<topic>-<partition>","offset":<offset>}.
func (id KafkaItemIdentifier) MarshalJSON() ([]byte, error) {
	return json.Marshal(itemIdentifierWire{Partition: TopicPartition(id.Topic, id.Partition), Offset: id.Offset})
}

// UnmarshalJSON reads the AWS form {"partition":"orders-0","offset":42}. It
// also accepts {"topic":"orders","partition":0,"offset":42}, the form this
// project wrote before it matched AWS's documentation. A missing offset, a
// partition key that is not "topic-number" and unknown shapes are errors.
func (id *KafkaItemIdentifier) UnmarshalJSON(data []byte) error {
	var raw struct {
		Topic     *string         `json:"topic"`
		Partition json.RawMessage `json:"partition"`
		Offset    *int64          `json:"offset"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return fmt.Errorf("events: itemIdentifier: %w", err)
	}
	if raw.Offset == nil {
		return fmt.Errorf("events: itemIdentifier: missing offset")
	}
	p := bytes.TrimSpace(raw.Partition)
	switch {
	case len(p) > 0 && p[0] == '"':
		var key string
		if err := json.Unmarshal(p, &key); err != nil {
			return fmt.Errorf("events: itemIdentifier: partition: %w", err)
		}
		topic, part, ok := SplitTopicPartition(key)
		if !ok {
			return fmt.Errorf("events: itemIdentifier: partition %q is not \"<topic>-<partition>\"", truncate(key, 80))
		}
		*id = KafkaItemIdentifier{Topic: topic, Partition: part, Offset: *raw.Offset}
	case len(p) > 0 && raw.Topic != nil:
		part, err := strconv.ParseInt(string(p), 10, 32)
		if err != nil || part < 0 {
			return fmt.Errorf("events: itemIdentifier: partition %s is not a partition number", truncate(string(p), 40))
		}
		*id = KafkaItemIdentifier{Topic: *raw.Topic, Partition: int32(part), Offset: *raw.Offset}
	default:
		return fmt.Errorf("events: itemIdentifier: want {\"partition\":\"<topic>-<partition>\",\"offset\":n}")
	}
	return nil
}

// MarshalJSON writes an empty list, never null, when nothing failed, so the
// response reads the same to Lambda and to people.
func (r KafkaBatchResponse) MarshalJSON() ([]byte, error) {
	type plain KafkaBatchResponse
	if r.BatchItemFailures == nil {
		r.BatchItemFailures = []KafkaBatchItemFailure{}
	}
	return json.Marshal(plain(r))
}

// ItemIdentifier returns the identifier that reports r as failed.
func (r KafkaRecord) ItemIdentifier() KafkaItemIdentifier {
	return KafkaItemIdentifier{Topic: r.Topic, Partition: r.Partition, Offset: r.Offset}
}

// Fail reports r as failed. Lambda resumes each reported partition from the
// lowest reported offset, so reporting only the first failed record per
// partition is enough; reporting more is harmless.
func (resp *KafkaBatchResponse) Fail(r KafkaRecord) {
	resp.AddFailure(r.Topic, r.Partition, r.Offset)
}

// AddFailure reports the record at topic/partition/offset as failed.
func (resp *KafkaBatchResponse) AddFailure(topic string, partition int32, offset int64) {
	resp.BatchItemFailures = append(resp.BatchItemFailures, KafkaBatchItemFailure{
		ItemIdentifier: KafkaItemIdentifier{Topic: topic, Partition: partition, Offset: offset},
	})
}

// Succeeded reports whether the response tells Lambda the whole batch
// succeeded (no failures).
func (resp KafkaBatchResponse) Succeeded() bool { return len(resp.BatchItemFailures) == 0 }

// ResumeOffsets returns, per "topic-partition" key, the lowest reported
// offset: where Lambda (and the local bridge) resumes that partition.
// Partitions not reported are complete.
func (resp KafkaBatchResponse) ResumeOffsets() map[string]int64 {
	out := make(map[string]int64, len(resp.BatchItemFailures))
	for _, f := range resp.BatchItemFailures {
		k := TopicPartition(f.ItemIdentifier.Topic, f.ItemIdentifier.Partition)
		if cur, ok := out[k]; !ok || f.ItemIdentifier.Offset < cur {
			out[k] = f.ItemIdentifier.Offset
		}
	}
	return out
}

// Compact returns a response with one failure per partition, at the lowest
// reported offset, ordered by topic-partition key. It says the same thing to
// Lambda in fewer bytes.
func (resp KafkaBatchResponse) Compact() KafkaBatchResponse {
	low := resp.ResumeOffsets()
	keys := slices.Sorted(maps.Keys(low))
	out := KafkaBatchResponse{BatchItemFailures: make([]KafkaBatchItemFailure, 0, len(keys))}
	for _, k := range keys {
		t, p, _ := SplitTopicPartition(k)
		out.AddFailure(t, p, low[k])
	}
	return out
}

// CheckAgainst verifies that every reported failure names a record of e.
// Lambda treats a response that names a record outside the batch as a
// failure of the whole batch, so the handler checks before returning.
func (resp KafkaBatchResponse) CheckAgainst(e *KafkaEvent) error {
	for i, f := range resp.BatchItemFailures {
		k := TopicPartition(f.ItemIdentifier.Topic, f.ItemIdentifier.Partition)
		found := false
		for _, r := range e.Records[k] {
			if r.Offset == f.ItemIdentifier.Offset {
				found = true
				break
			}
		}
		if !found {
			return fmt.Errorf("events: batchItemFailures[%d]: %s offset %d is not in the event", i, k, f.ItemIdentifier.Offset)
		}
	}
	return nil
}
