// Package dlq writes failed sink records to a dead-letter topic the way
// Kafka Connect's DeadLetterQueueReporter does: the ORIGINAL key, value,
// headers and timestamp bytes as consumed, to the topic named by
// errors.deadletterqueue.topic.name, and, when
// errors.deadletterqueue.context.headers.enable is true, the
// __connect.errors.* context headers with UTF-8 string values. Tools built
// for Kafka Connect's dead-letter topics read ours unchanged.
package dlq

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/serverless-kafka-connect/slkc/shared/errclass"
	"github.com/serverless-kafka-connect/slkc/shared/kafka"
)

// Context header names, as in Kafka Connect's DeadLetterQueueReporter
// (ERROR_HEADER_PREFIX "__connect.errors" + "." + name).
const (
	// HeaderPrefix starts every context header name.
	HeaderPrefix             = "__connect.errors."
	HeaderTopic              = "__connect.errors.topic"
	HeaderPartition          = "__connect.errors.partition"
	HeaderOffset             = "__connect.errors.offset"
	HeaderConnectorName      = "__connect.errors.connector.name"
	HeaderTaskID             = "__connect.errors.task.id"
	HeaderStage              = "__connect.errors.stage"
	HeaderClassName          = "__connect.errors.class.name"
	HeaderExceptionClassName = "__connect.errors.exception.class.name"
	HeaderExceptionMessage   = "__connect.errors.exception.message"
	HeaderExceptionTrace     = "__connect.errors.exception.stacktrace"
)

// Stages, as Kafka Connect's org.apache.kafka.connect.runtime.errors.Stage
// names them in the __connect.errors.stage header.
const (
	StageKeyConverter   = "KEY_CONVERTER"
	StageValueConverter = "VALUE_CONVERTER"
	StageHeaderConvert  = "HEADER_CONVERTER"
	StageTransformation = "TRANSFORMATION"
	StageTaskPut        = "TASK_PUT"
	// StageKafkaConsume is where a record fails before any converter: it
	// arrived undecodable (bad base64, unknown timestamp type) or from a
	// topic the connector does not consume.
	StageKafkaConsume = "KAFKA_CONSUME"
)

// Partitions is the partition count of a dead-letter topic the reporter
// creates, as Kafka Connect (DLQ_NUM_DESIRED_PARTITIONS).
const Partitions = 1

// Raw is a record exactly as consumed: the bytes the dead-letter topic gets.
// A nil Key or Value is a null key or value (a tombstone stays a tombstone).
type Raw struct {
	Topic     string
	Partition int32
	Offset    int64
	// Timestamp is the record's timestamp; the zero time means none, and the
	// dead-letter record then gets the produce time, as in Kafka Connect.
	Timestamp time.Time
	// TimestampType is CREATE_TIME, LOG_APPEND_TIME or NO_TIMESTAMP_TYPE;
	// informational (a produced record always gets CREATE_TIME).
	TimestampType string
	Key           []byte
	Value         []byte
	Headers       []kgo.RecordHeader
}

// Failed is one record that could not be processed.
type Failed struct {
	Original Raw
	// Stage is where it failed: one of the Stage* constants.
	Stage string
	// Class is the component that failed (the converter, transform or
	// connector class name), written to __connect.errors.class.name.
	Class string
	// Err is the failure; it must be non-nil.
	Err error
}

// Producer is the part of *kgo.Client the reporter uses.
type Producer interface {
	ProduceSync(ctx context.Context, rs ...*kgo.Record) kgo.ProduceResults
}

// Reporter sends failed records to a dead-letter topic. Build it once at
// init, call EnsureTopic once, then Report per batch. Safe for concurrent
// use when Client is.
type Reporter struct {
	// Client produces the dead-letter records; use a client from
	// kafka.NewClient (idempotent, acks=all).
	Client Producer
	// Topic is errors.deadletterqueue.topic.name; required.
	Topic string
	// Connector is the connector name for __connect.errors.connector.name.
	Connector string
	// TaskID is the task number for __connect.errors.task.id; 0 for a
	// Lambda sink, which has a single logical task.
	TaskID int
	// ContextHeaders is errors.deadletterqueue.context.headers.enable
	// (Kafka Connect's default: false).
	ContextHeaders bool
	// Logger gets one line per Report; nil means slog.Default().
	Logger *slog.Logger
}

// EnsureTopic creates the dead-letter topic with one partition and the given
// replication factor (errors.deadletterqueue.topic.replication.factor, Kafka
// Connect's default 3) when it does not exist yet, as Kafka Connect does
// when a sink task starts.
func (r *Reporter) EnsureTopic(ctx context.Context, adm *kadm.Client, replication int16) error {
	if err := kafka.EnsureTopics(ctx, adm, []string{r.Topic}, Partitions, replication, nil); err != nil {
		return fmt.Errorf("dlq: dead letter queue topic %q: %w", r.Topic, err)
	}
	return nil
}

// Report produces one dead-letter record per failure and waits until every
// one is acknowledged. It returns nil only when all were written; otherwise
// an error naming each original record that was not written (the caller must
// then fail the invocation so the records are delivered again: nothing is
// dropped). An empty fs is a no-op.
func (r *Reporter) Report(ctx context.Context, fs []Failed) error {
	if len(fs) == 0 {
		return nil
	}
	if r.Topic == "" {
		return errors.New("dlq: no dead letter queue topic configured (errors.deadletterqueue.topic.name)")
	}
	recs := make([]*kgo.Record, len(fs))
	for i, f := range fs {
		recs[i] = r.Record(f)
	}
	res := r.Client.ProduceSync(ctx, recs...)
	var errs []error
	for i, pr := range res {
		if pr.Err != nil {
			o := fs[i].Original
			errs = append(errs, fmt.Errorf("dlq: writing %s/%d@%d to dead letter queue topic %q: %w", o.Topic, o.Partition, o.Offset, r.Topic,
				kafka.ExplainProduceError(r.Client, r.Topic, pr.Err)))
		}
	}
	if len(res) != len(recs) {
		errs = append(errs, fmt.Errorf("dlq: %d of %d records produced to %q got a result", len(res), len(recs), r.Topic))
	}
	log := r.Logger
	if log == nil {
		log = slog.Default()
	}
	if len(errs) > 0 {
		log.ErrorContext(ctx, "dead letter queue produce failed", "topic", r.Topic, "records", len(fs), "failed", len(errs))
		return errors.Join(errs...)
	}
	log.InfoContext(ctx, "records sent to dead letter queue", "topic", r.Topic, "records", len(fs))
	return nil
}

// Record builds the dead-letter record of f: the original key, value,
// timestamp and headers, then (with ContextHeaders) the context headers.
// Like Kafka Connect's DeadLetterQueueReporter, a record that already
// carries __connect.errors.* headers (it failed before, e.g. a dead-letter
// topic consumed again) gets them replaced: every original header under
// HeaderPrefix is dropped and the headers of this failure are appended, so
// each context header appears once and describes f. Without
// ContextHeaders the original headers are kept as they are. The partition
// is left to the client's partitioner.
func (r *Reporter) Record(f Failed) *kgo.Record {
	o := f.Original
	rec := &kgo.Record{Topic: r.Topic, Key: o.Key, Value: o.Value, Timestamp: o.Timestamp}
	if !r.ContextHeaders {
		rec.Headers = append(make([]kgo.RecordHeader, 0, len(o.Headers)), o.Headers...)
		return rec
	}
	rec.Headers = make([]kgo.RecordHeader, 0, len(o.Headers)+10)
	for _, h := range o.Headers {
		if !strings.HasPrefix(h.Key, HeaderPrefix) {
			rec.Headers = append(rec.Headers, h)
		}
	}
	add := func(k, v string) {
		rec.Headers = append(rec.Headers, kgo.RecordHeader{Key: k, Value: []byte(v)})
	}
	add(HeaderTopic, o.Topic)
	add(HeaderPartition, strconv.FormatInt(int64(o.Partition), 10))
	add(HeaderOffset, strconv.FormatInt(o.Offset, 10))
	add(HeaderConnectorName, r.Connector)
	add(HeaderTaskID, strconv.Itoa(r.TaskID))
	add(HeaderStage, f.Stage)
	add(HeaderClassName, f.Class)
	if f.Err != nil {
		add(HeaderExceptionClassName, errclass.Name(f.Err))
		add(HeaderExceptionMessage, f.Err.Error())
		add(HeaderExceptionTrace, Trace(f.Err))
	}
	return rec
}

// Trace renders err the way a Java stack trace names its causes, since Go
// errors carry no stack: the first line is "<exception class>: <message>",
// then one "Caused by: <Go type>: <message>" line per wrapped error.
func Trace(err error) string {
	if err == nil {
		return ""
	}
	var b strings.Builder
	b.WriteString(errclass.Name(err))
	b.WriteString(": ")
	b.WriteString(err.Error())
	for e := errors.Unwrap(err); e != nil; e = errors.Unwrap(e) {
		fmt.Fprintf(&b, "\nCaused by: %T: %s", e, e.Error())
	}
	return b.String()
}
