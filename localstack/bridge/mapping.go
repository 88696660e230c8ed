// Package bridge emulates Lambda's Kafka event source mapping (ESM) for one
// function: it consumes topics in a consumer group, batches records into the
// Kafka event Lambda sends, invokes the function through the Lambda Invoke API
// (so it works against the local runner, `sam local start-lambda` or
// LocalStack) and commits offsets only after the batch is resolved.
//
// Semantics and the AWS documentation each follows:
//
//   - Batching: up to BatchSize records (default 100, max 10000), a 6 MB
//     payload, and MaximumBatchingWindow
//     (https://docs.aws.amazon.com/lambda/latest/dg/with-kafka-process.html,
//     https://docs.aws.amazon.com/lambda/latest/dg/invocation-eventsourcemapping.html#invocation-eventsourcemapping-batching).
//   - Event shape: events.KafkaEvent with records grouped by "topic-partition",
//     base64 key/value, header values as byte arrays, eventSource "aws:kafka"
//     (with eventSourceArn) or "SelfManagedKafka"
//     (https://docs.aws.amazon.com/lambda/latest/dg/with-msk.html,
//     https://docs.aws.amazon.com/lambda/latest/dg/with-kafka.html).
//   - Offsets: committed to the consumer group only after the function
//     succeeds (or the records went to the on-failure destination); a
//     partition is processed in order and never has two batches in flight
//     (https://docs.aws.amazon.com/lambda/latest/dg/with-msk-process.html).
//   - Concurrency: different partitions are processed concurrently, up to
//     Mapping.Concurrency batches in flight, so a slow or failing partition
//     does not hold the others back; each partition commits on its own
//     once its records are resolved.
//   - Errors: MaximumRetryAttempts (-1 = until success; with an on-failure
//     destination Lambda caps infinite retries at 10), MaximumRecordAgeInSeconds,
//     BisectBatchOnFunctionError, ReportBatchItemFailures (resume each reported
//     partition at its lowest reported offset; a response naming a record that
//     is not in the batch fails the whole batch) and the on-failure destination
//     (https://docs.aws.amazon.com/lambda/latest/dg/kafka-retry-configurations.html,
//     https://docs.aws.amazon.com/lambda/latest/dg/kafka-on-failure.html,
//     https://docs.aws.amazon.com/lambda/latest/dg/kafka-on-failure-destination.html).
package bridge

import (
	"errors"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// Starting positions.
const (
	TrimHorizon = "TRIM_HORIZON"
	Latest      = "LATEST"
)

// Event sources.
const (
	SourceMSK         = "aws:kafka"
	SourceSelfManaged = "SelfManagedKafka"
)

// Limits and defaults of Lambda's Kafka ESM.
const (
	DefaultBatchSize = 100
	MaxBatchSize     = 10000
	// MaxPayloadBytes is the invoke payload limit an event is bounded by (6 MB).
	MaxPayloadBytes = 6 * 1024 * 1024
	// RetryCapWithDestination is the retry limit Lambda applies when retries
	// are infinite and an on-failure destination is configured.
	RetryCapWithDestination = 10
	// MaxConcurrency bounds Mapping.Concurrency (Lambda's default account
	// concurrency limit).
	MaxConcurrency = 1000
)

// Mapping configures one event source mapping.
type Mapping struct {
	// FunctionName is the function to invoke (required).
	FunctionName string
	// Topics to consume (required).
	Topics []string
	// Bootstrap is the comma-separated list of brokers (required).
	Bootstrap string
	// ConsumerGroup is the group id (default "connect-" + FunctionName).
	ConsumerGroup string
	// BatchSize is the most records per invoke (default 100, 1..10000).
	BatchSize int
	// MaxBatchingWindow is how long to gather records after the first one
	// arrives. Zero or negative: invoke as soon as a fetch returns records.
	// (Lambda's default for Kafka is 500 ms; set it explicitly.)
	MaxBatchingWindow time.Duration
	// StartingPosition applies when the group has no committed offset:
	// TRIM_HORIZON (default) or LATEST.
	StartingPosition string
	// MaximumRetryAttempts is how often a failed batch is retried: -1 until
	// it succeeds, 0 not at all. There is no implicit default; Lambda's is -1.
	MaximumRetryAttempts int
	// MaximumRecordAge sends records older than this to the on-failure
	// destination instead of invoking with them; zero or negative is infinite.
	MaximumRecordAge time.Duration
	// BisectBatchOnError splits a failing batch in halves and processes each
	// half on its own (splits do not count as retries).
	BisectBatchOnError bool
	// ReportBatchItemFailures makes the bridge read the function's response
	// as an events.KafkaBatchResponse.
	ReportBatchItemFailures bool
	// OnFailure receives batches that failed all attempts or exceeded the
	// record age. Nil: they are logged and skipped, as Lambda discards them
	// without a destination.
	OnFailure Destination
	// EventSource is "SelfManagedKafka" (default) or "aws:kafka".
	EventSource string
	// EventSourceARN is the MSK cluster ARN put in aws:kafka events
	// (default arn:aws:kafka:us-east-1:000000000000:cluster/local/local).
	EventSourceARN string
	// FunctionARN is used in on-failure records (default a local ARN of FunctionName).
	FunctionARN string
	// Concurrency is the most batches in flight at once (default 1). A
	// partition never has more than one batch in flight, so its records stay
	// in order, while different partitions are processed concurrently, as
	// Lambda's Kafka event source mapping does (at most one concurrent invoke
	// per partition). Set it to the function's concurrency (reserved
	// concurrency), beyond which invokes would only be throttled.
	Concurrency int
	// RetryBackoff is the wait before the first retry of a failed batch
	// (default 500ms); it doubles with each further failed attempt of the
	// same records up to MaxRetryBackoff (default 30s). The backoff is
	// bounded so that a partition stopped on a record (MaximumRetryAttempts
	// -1, as errors.tolerance=none deploys) keeps retrying at least every
	// MaxRetryBackoff, and resumes soon after the cause is fixed. Lambda does
	// not document its own backoff for Kafka mappings.
	RetryBackoff time.Duration
	// MaxRetryBackoff bounds the retry backoff (default 30s, at least
	// RetryBackoff).
	MaxRetryBackoff time.Duration
	// KafkaOpts are extra franz-go options (TLS, SASL, ...), appended last.
	KafkaOpts []kgo.Opt
	// SchemaRegistry turns on the schema registry mode (nil: off); see
	// registry.go.
	SchemaRegistry *SchemaRegistry
}

func (m Mapping) withDefaults() Mapping {
	if m.ConsumerGroup == "" {
		m.ConsumerGroup = "connect-" + m.FunctionName
	}
	if m.BatchSize == 0 {
		m.BatchSize = DefaultBatchSize
	}
	if m.StartingPosition == "" {
		m.StartingPosition = TrimHorizon
	}
	if m.EventSource == "" {
		m.EventSource = SourceSelfManaged
	}
	if m.EventSource == SourceMSK && m.EventSourceARN == "" {
		m.EventSourceARN = "arn:aws:kafka:us-east-1:000000000000:cluster/local/local"
	}
	if m.FunctionARN == "" {
		m.FunctionARN = "arn:aws:lambda:us-east-1:000000000000:function:" + m.FunctionName
	}
	if m.Concurrency == 0 {
		m.Concurrency = 1
	}
	if m.RetryBackoff <= 0 {
		m.RetryBackoff = 500 * time.Millisecond
	}
	if m.MaxRetryBackoff <= 0 {
		m.MaxRetryBackoff = 30 * time.Second
	}
	m.MaxRetryBackoff = max(m.MaxRetryBackoff, m.RetryBackoff)
	return m
}

// backoff is the wait before retrying records that failed attempts times
// (attempts >= 1): RetryBackoff doubled per further attempt, at most
// MaxRetryBackoff.
func (m Mapping) backoff(attempts int) time.Duration {
	d := m.RetryBackoff
	for i := 1; i < attempts && d < m.MaxRetryBackoff; i++ {
		d *= 2
	}
	return min(d, m.MaxRetryBackoff)
}

func (m Mapping) validate() error {
	var errs []error
	if m.FunctionName == "" {
		errs = append(errs, errors.New("FunctionName is empty"))
	}
	if len(m.Topics) == 0 {
		errs = append(errs, errors.New("Topics is empty"))
	}
	if m.Bootstrap == "" {
		errs = append(errs, errors.New("Bootstrap is empty"))
	}
	if m.BatchSize < 1 || m.BatchSize > MaxBatchSize {
		errs = append(errs, fmt.Errorf("BatchSize %d: allowed 1..%d", m.BatchSize, MaxBatchSize))
	}
	if m.StartingPosition != TrimHorizon && m.StartingPosition != Latest {
		errs = append(errs, fmt.Errorf("StartingPosition %q: allowed TRIM_HORIZON or LATEST", m.StartingPosition))
	}
	if m.MaximumRetryAttempts < -1 || m.MaximumRetryAttempts > 10000 {
		errs = append(errs, fmt.Errorf("MaximumRetryAttempts %d: allowed -1 or 0..10000", m.MaximumRetryAttempts))
	}
	if m.Concurrency < 1 || m.Concurrency > MaxConcurrency {
		errs = append(errs, fmt.Errorf("Concurrency %d: allowed 1..%d", m.Concurrency, MaxConcurrency))
	}
	if m.EventSource != SourceMSK && m.EventSource != SourceSelfManaged {
		errs = append(errs, fmt.Errorf("EventSource %q: allowed %s or %s", m.EventSource, SourceMSK, SourceSelfManaged))
	}
	if td, ok := m.OnFailure.(*TopicDestination); ok {
		for _, t := range m.Topics {
			if t == td.Topic {
				errs = append(errs, fmt.Errorf("OnFailure topic %q is also a source topic (Lambda rejects this to prevent loops)", t))
			}
		}
	}
	if m.SchemaRegistry != nil {
		if err := m.SchemaRegistry.validate(); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("bridge: mapping for %q: %w", m.FunctionName, err)
	}
	return nil
}

// retryLimit returns the effective retry limit, -1 for infinite.
func (m Mapping) retryLimit() int {
	if m.MaximumRetryAttempts < 0 && m.OnFailure != nil {
		return RetryCapWithDestination
	}
	return m.MaximumRetryAttempts
}
