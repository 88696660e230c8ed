// Package sinktask is the sink side of the framework: it turns one Lambda
// Kafka event into a Destination.Write, with Kafka Connect's error handling
// (errors.tolerance, the dead-letter queue) and Lambda's Kafka partial batch
// response. It knows no particular database; functions/sink-handler wires a
// connectors.Destination into a Task and calls Handle per invocation.
//
// # Delivery and retries
//
// Lambda's Kafka event source mapping hands the function records grouped by
// topic-partition. With ReportBatchItemFailures on, the function may answer
// {"batchItemFailures":[{"itemIdentifier":{"topic":..,"partition":..,"offset":..}}]}
// and Lambda retries only the reported records; see "Configuring error
// handling controls for Kafka event sources"
// (https://docs.aws.amazon.com/lambda/latest/dg/kafka-retry-configurations.html,
// "Partial batch response"). Handle reports, for each partition that must be
// retried, the FIRST record of that partition that was not handled, so the
// partition restarts from there and keeps its order; records after it in
// the same partition are delivered again (writes are idempotent). Without
// ReportBatchItemFailures any failure fails the invocation and the mapping
// retries the whole batch. Before a partition is handed back, a retriable
// write failure is retried inside the invocation as Task.Retry allows
// (max.retries and retry.backoff.ms, errors.retry.timeout and
// errors.retry.delay.max.ms).
//
// # Error handling
//
//   - A malformed event (a group key that does not match its records,
//     offsets out of order: records without a usable position) fails the
//     invocation with an error naming the record.
//   - A record that is undecodable on its own (key or value not valid
//     base64, unknown timestamp type) or whose topic is not one of Topics
//     is refused alone, at stage KAFKA_CONSUME: with errors.tolerance=all
//     it goes to the dead-letter queue with what could be decoded (an
//     undecodable field as its received text) and the other records are
//     written; with none its partition stops at it.
//   - A key/value conversion or transform failure is permanent. With
//     errors.tolerance=all the original record goes to the dead-letter queue
//     (stage KEY_CONVERTER, VALUE_CONVERTER or TRANSFORMATION); with none the
//     partition stops at that record.
//   - Destination.Write is called once per invocation with the records of
//     every partition (each partition's records in offset order). A
//     *connectors.BatchError is classified per record with errclass:
//     permanent failures go to the dead-letter queue (tolerance all, stage
//     TASK_PUT) or stop their partition (tolerance none); retryable failures
//     stop their partition. Any other error from Write stops every partition
//     that had records in the batch at its first record in the batch.
//   - A partition that stops never stops the others: with
//     ReportBatchItemFailures only the stopped partitions are reported and
//     the rest are acknowledged. Without it, the invocation fails with an
//     error naming topic, partition and offset of each stop.
//   - Dead-letter records are produced (and acknowledged) before Handle
//     returns; if that fails the invocation fails, so nothing is dropped.
//     Only failures before their partition's stop are dead-lettered: later
//     ones are delivered again anyway.
//
// # Parallelism
//
// The CPU work of an invocation before the write runs on W goroutines, W
// = min(GOMAXPROCS, 4) (Go sizes GOMAXPROCS from the function's vCPUs: 2
// from 1,769 MB, up to 6 at 10 GB), when the event holds at least 128
// records; smaller events and W = 1 run on the calling goroutine. Two
// phases are split over the records, in chunks of at most 64 consecutive
// records handed out in batch order: the base64 decode of keys and values
// (each record into its own part of one buffer), then each record's
// conversion (header converter, key and value converter including the
// schema registry readings, transforms) into its own slot. The
// bookkeeping that follows (errors.tolerance, partition stops, the
// dead-letter list, the filtered count, the write batch) runs on the
// calling goroutine over those results in batch order, so the outcome is
// the same whatever W. A worker skips the records after the first record
// known to stop their partition (errors.tolerance=none, or a retryable
// conversion failure), so a schema registry that cannot be reached costs
// at most W lookups per partition, not one per record; the records it
// converts past a stop are thrown away, which needs converters and
// transforms without effects outside their result (Converter,
// Transformer). Destination.Write is called once, as before.
//
// # Logs and status
//
// One slog line per batch (info, or warn when something must be retried);
// with errors.log.enable one error line per failed record in Kafka Connect's
// LogReporter wording. After every batch one status item (connector, task
// "task-0") is written: run start/end, counters records, written, filtered,
// dead_lettered, skipped and failed (records that will be delivered again),
// the highest handled offset per topic-partition, and the last error.
//
// # Metrics
//
// With Task.Metrics set, every Handle call writes one CloudWatch embedded
// metric format line (namespace emf.Namespace, dimension Connector) with
// the counts BatchSize (records in the event), RecordsWritten,
// RecordsDeadLettered and RecordsFailed (records that will be delivered
// again: all of them when the invocation fails). A malformed event counts
// every record as failed.
package sinktask

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/serverless-kafka-connect/slkc/connectors"
	"github.com/serverless-kafka-connect/slkc/events"
	"github.com/serverless-kafka-connect/slkc/shared/config"
	"github.com/serverless-kafka-connect/slkc/shared/connect"
	"github.com/serverless-kafka-connect/slkc/shared/dlq"
	"github.com/serverless-kafka-connect/slkc/shared/errclass"
	"github.com/serverless-kafka-connect/slkc/shared/state"
)

// Values of errors.tolerance.
const (
	ToleranceNone = "none"
	ToleranceAll  = "all"
)

// TaskID is the status item's task for a sink connector: one logical task.
const TaskID = "task-0"

// Converter turns a record's key or value bytes into Connect data
// (convert.Converter satisfies it). Handle never calls it with nil data: a
// null key or value stays nil with a nil schema. It must be safe for
// concurrent use: Handle converts a big batch's records on several
// goroutines (see the package comment), and may convert records past the
// one that stops a partition, so a conversion must have no effect outside
// its result but caches (a schema registry lookup is a GET, never a
// registration).
type Converter interface {
	ToConnect(topic string, data []byte) (*connect.Schema, any, error)
}

// HeaderConverter reads one header value into Connect data
// (convert.HeaderConverter satisfies it). It must be safe for concurrent
// use, as Converter.
type HeaderConverter interface {
	ToConnectHeader(topic, key string, value []byte) (*connect.Schema, any, error)
}

// Transformer applies the transforms chain (transform.Chain satisfies
// it). keep=false drops the record (it counts as handled); an error is a
// permanent failure of the record. It must be safe for concurrent use,
// as Converter, and its result may depend only on the record (no state
// carried from one record to the next): the records of a batch are
// transformed on several goroutines in no particular order.
type Transformer interface {
	Apply(rec connect.Record) (out connect.Record, keep bool, err error)
}

// DeadLetterQueue receives permanently failed records (*dlq.Reporter
// satisfies it). Report must return nil only when every record is stored.
type DeadLetterQueue interface {
	Report(ctx context.Context, fs []dlq.Failed) error
}

// StatusStore stores the status item written after every batch
// (*state.StatusStore satisfies it).
type StatusStore interface {
	Put(ctx context.Context, st state.Status) error
}

// Task handles Kafka events for one sink connector. Build it once at init;
// Handle may then be called for each invocation (sequentially, or
// concurrently if Destination allows).
type Task struct {
	// Name is the connector name (status item, dead-letter headers); required.
	Name string
	// WorkerID names where the task runs (e.g. the function name); shown
	// as worker_id in the status.
	WorkerID string
	// Topics is the connector's topics. A record of any other topic is
	// refused like an undecodable one (stage KAFKA_CONSUME: dead-lettered
	// with errors.tolerance=all, else its partition stops there). nil
	// accepts every topic (tests, tools); the sink function always sets it.
	Topics []string
	// Destination receives the records; required.
	Destination connectors.Destination
	// KeyConverter and ValueConverter are key.converter and
	// value.converter; required.
	KeyConverter, ValueConverter Converter
	// HeaderConverter is header.converter: every header of a record is
	// read with it into connect.Header's Schema and Data before the
	// transforms run; a failure is the record's, at stage
	// HEADER_CONVERTER. nil leaves headers as bytes.
	HeaderConverter HeaderConverter
	// HeaderConverterClass, KeyConverterClass, ValueConverterClass, TransformClass and
	// ConnectorClass name the component that failed in the dead-letter
	// header __connect.errors.class.name for the matching stage.
	HeaderConverterClass, KeyConverterClass, ValueConverterClass, TransformClass, ConnectorClass string
	// EventRecordFormat is aws.lambda.event.record.format: the event source
	// mapping's schema registry EventRecordFormat (events.EventRecordFormat*),
	// empty when it has no registry. See registry.go for how records with
	// schema metadata are read.
	EventRecordFormat string
	// Transforms is the transforms chain; nil means none.
	Transforms Transformer
	// Tolerance is errors.tolerance: ToleranceNone (default when empty) or
	// ToleranceAll.
	Tolerance string
	// DLQ is the dead-letter queue (errors.deadletterqueue.topic.name). With
	// ToleranceAll and no DLQ, permanently failed records are skipped as in
	// Kafka Connect, each named in an error log line and counted as
	// "skipped" in the status.
	DLQ DeadLetterQueue
	// Status receives one item per batch; nil means none. A failed status
	// write is logged and does not fail the invocation: status is
	// informational and the records are already handled.
	Status StatusStore
	// ReportBatchItemFailures is aws.lambda.report.batch.item.failures: the
	// event source mapping has FunctionResponseTypes ReportBatchItemFailures.
	ReportBatchItemFailures bool
	// Retry retries retriable write failures inside the invocation
	// (errors.retry.timeout, errors.retry.delay.max.ms, and a connector's
	// max.retries and retry.backoff.ms); the zero value never retries.
	Retry Retry
	// Classify decides whether a per-record destination failure is worth
	// retrying; nil means errclass.Classify.
	Classify func(error) errclass.Class
	// LogErrors is errors.log.enable: one error log line per failed record
	// (Kafka Connect's LogReporter), with the key and value as text when
	// LogIncludeMessages (errors.log.include.messages) is set. Both default
	// to false: the batch line already counts failures.
	LogErrors, LogIncludeMessages bool
	// Logger gets one line per batch; nil means slog.Default().
	Logger *slog.Logger
	// Metrics, when set, receives one CloudWatch embedded metric format
	// JSON line per Handle call (os.Stdout in Lambda); nil means no
	// metrics. See the package comment for the metrics.
	Metrics io.Writer
	// Now is the clock for status times; nil means time.Now.
	Now func() time.Time

	// workers is W, the goroutines of a big batch's decode and
	// conversion; 0 means parallel.Workers(). parallelMin is the
	// batch size from which they are used; 0 means parallel.MinRecords.
	// Tests set both to compare the sequential and the parallel path.
	workers, parallelMin int
}

// Validate reports every problem with the task's wiring at once.
func (t *Task) Validate() error {
	var errs []error
	if t.Name == "" {
		errs = append(errs, errors.New("sinktask: Name (connector name) is empty"))
	}
	if t.Destination == nil {
		errs = append(errs, errors.New("sinktask: Destination is nil"))
	}
	if t.KeyConverter == nil || t.ValueConverter == nil {
		errs = append(errs, errors.New("sinktask: KeyConverter and ValueConverter are required"))
	}
	switch t.EventRecordFormat {
	case "", events.EventRecordFormatJSON, events.EventRecordFormatSource:
	default:
		errs = append(errs, fmt.Errorf("sinktask: %s %q is not one of %s, %s", config.KeyLambdaEventRecordFormat, t.EventRecordFormat, events.EventRecordFormatJSON, events.EventRecordFormatSource))
	}
	switch t.Tolerance {
	case "", ToleranceNone, ToleranceAll:
	default:
		errs = append(errs, fmt.Errorf("sinktask: errors.tolerance %q is not one of none, all", t.Tolerance))
	}
	return errors.Join(errs...)
}

func (t *Task) tolerateAll() bool { return t.Tolerance == ToleranceAll }

func (t *Task) log() *slog.Logger {
	if t.Logger != nil {
		return t.Logger
	}
	return slog.Default()
}

func (t *Task) now() time.Time {
	if t.Now != nil {
		return t.Now()
	}
	return time.Now()
}

func (t *Task) classify(err error) errclass.Class {
	if t.Classify != nil {
		return t.Classify(err)
	}
	return errclass.Classify(err)
}
