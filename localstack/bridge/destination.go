package bridge

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/serverless-kafka-connect/slkc/events"
	"github.com/serverless-kafka-connect/slkc/localstack/runtime"
)

// Conditions of an on-failure record.
const (
	ConditionRetriesExhausted = "RetryAttemptsExhausted"
	ConditionRecordAge        = "RecordAgeExceeded"
)

// FailureRecord is the invocation record Lambda sends to an on-failure
// destination for a Kafka event source, in the shape documented at
// https://docs.aws.amazon.com/lambda/latest/dg/kafka-on-failure.html.
// Records holds the failed records themselves; it is not part of the JSON.
type FailureRecord struct {
	RequestContext  FailureRequestContext  `json:"requestContext"`
	ResponseContext FailureResponseContext `json:"responseContext"`
	Version         string                 `json:"version"`
	Timestamp       time.Time              `json:"timestamp"`
	KafkaBatchInfo  KafkaBatchInfo         `json:"KafkaBatchInfo"`
	Records         []events.KafkaRecord   `json:"-"`
}

// FailureRequestContext says which invoke failed and why.
type FailureRequestContext struct {
	RequestID              string `json:"requestId"`
	FunctionARN            string `json:"functionArn"`
	Condition              string `json:"condition"`
	ApproximateInvokeCount int    `json:"approximateInvokeCount"`
}

// FailureResponseContext is the last invoke's response status.
type FailureResponseContext struct {
	StatusCode      int    `json:"statusCode"`
	ExecutedVersion string `json:"executedVersion"`
	FunctionError   string `json:"functionError,omitempty"`
}

// KafkaBatchInfo describes the failed records.
type KafkaBatchInfo struct {
	BatchSize        int                    `json:"batchSize"`
	EventSourceARN   string                 `json:"eventSourceArn,omitempty"`
	BootstrapServers string                 `json:"bootstrapServers"`
	PayloadSize      int                    `json:"payloadSize"`
	RecordsInfo      map[string]RecordsInfo `json:"recordsInfo"`
}

// RecordsInfo is the offset and time range of one topic-partition; offsets
// are strings as in AWS's example.
type RecordsInfo struct {
	FirstRecordOffset    string    `json:"firstRecordOffset"`
	LastRecordOffset     string    `json:"lastRecordOffset"`
	FirstRecordTimestamp time.Time `json:"firstRecordTimestamp"`
	LastRecordTimestamp  time.Time `json:"lastRecordTimestamp"`
}

// newFailureRecord describes items (in partition order) for the destination.
func newFailureRecord(m Mapping, items []item, condition string, invokes int, last lastInvoke) (FailureRecord, error) {
	fr := FailureRecord{
		RequestContext: FailureRequestContext{
			RequestID: last.requestID, FunctionARN: m.FunctionARN,
			Condition: condition, ApproximateInvokeCount: invokes,
		},
		ResponseContext: FailureResponseContext{StatusCode: last.status, ExecutedVersion: "$LATEST", FunctionError: last.functionError},
		Version:         "1.0",
		Timestamp:       time.Now().UTC(),
		KafkaBatchInfo: KafkaBatchInfo{
			BatchSize: len(items), EventSourceARN: m.EventSourceARN, BootstrapServers: m.Bootstrap,
			RecordsInfo: map[string]RecordsInfo{},
		},
	}
	for _, it := range items {
		kr, err := it.record()
		if err != nil {
			return fr, err
		}
		fr.Records = append(fr.Records, kr)
		fr.KafkaBatchInfo.PayloadSize += it.size
		k := it.key()
		ri, ok := fr.KafkaBatchInfo.RecordsInfo[k]
		off, ts := strconv.FormatInt(it.offset, 10), kr.Time()
		if !ok {
			ri.FirstRecordOffset, ri.FirstRecordTimestamp = off, ts
		}
		ri.LastRecordOffset, ri.LastRecordTimestamp = off, ts
		fr.KafkaBatchInfo.RecordsInfo[k] = ri
	}
	return fr, nil
}

// Destination receives batches the mapping gives up on. Send must be
// durable when it returns nil; an error makes the bridge retry the send and
// hold the offsets.
type Destination interface {
	Send(ctx context.Context, fr FailureRecord) error
}

// FuncDestination adapts a function to Destination (a callback destination).
type FuncDestination func(ctx context.Context, fr FailureRecord) error

// Send calls f.
func (f FuncDestination) Send(ctx context.Context, fr FailureRecord) error { return f(ctx, fr) }

// FileDestination appends each FailureRecord as one JSON line to Path, as
// an SQS on-failure destination receives it: the batch's offsets and the
// failure, not the records (read them from Kafka by offset). It stands in
// locally for the SQS queue the CDK app creates. The file is synced before
// Send returns, so the bridge commits past the batch only once it is kept.
type FileDestination struct {
	Path string
	mu   sync.Mutex
}

// Send appends fr to the file, creating it (and its folder) if needed.
func (d *FileDestination) Send(_ context.Context, fr FailureRecord) error {
	line, err := json.Marshal(fr)
	if err != nil {
		return fmt.Errorf("bridge: encode failure record: %w", err)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := os.MkdirAll(filepath.Dir(d.Path), 0o755); err != nil {
		return fmt.Errorf("bridge: on-failure destination %s: %w", d.Path, err)
	}
	f, err := os.OpenFile(d.Path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("bridge: on-failure destination: %w", err)
	}
	_, werr := f.Write(append(line, '\n'))
	if werr == nil {
		werr = f.Sync()
	}
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		return fmt.Errorf("bridge: on-failure destination %s: %w", d.Path, werr)
	}
	return nil
}

// TopicDestination writes the failed records to a Kafka topic of the same
// cluster, like a "kafka://topic" on-failure destination: each record keeps
// its key, value and headers, and gets headers with the failure metadata
// (lambda.failure.condition, .source.topic, .source.partition,
// .source.offset, .request.id, and .record holding the FailureRecord JSON).
// AWS does not document the metadata header names; these are this project's.
type TopicDestination struct {
	Client *kgo.Client
	Topic  string
}

// Send produces every record and waits for all acknowledgements.
func (d *TopicDestination) Send(ctx context.Context, fr FailureRecord) error {
	meta, err := json.Marshal(fr)
	if err != nil {
		return fmt.Errorf("bridge: encode failure record: %w", err)
	}
	recs := make([]*kgo.Record, 0, len(fr.Records))
	for _, r := range fr.Records {
		key, err := decodeOpt(r.Key)
		if err != nil {
			return fmt.Errorf("bridge: failure record %s key: %w", r.Where(), err)
		}
		val, err := decodeOpt(r.Value)
		if err != nil {
			return fmt.Errorf("bridge: failure record %s value: %w", r.Where(), err)
		}
		kr := &kgo.Record{Topic: d.Topic, Key: key, Value: val, Timestamp: r.Time()}
		for _, h := range r.HeaderList() {
			kr.Headers = append(kr.Headers, kgo.RecordHeader{Key: h.Key, Value: h.Value})
		}
		kr.Headers = append(kr.Headers,
			kgo.RecordHeader{Key: "lambda.failure.condition", Value: []byte(fr.RequestContext.Condition)},
			kgo.RecordHeader{Key: "lambda.failure.source.topic", Value: []byte(r.Topic)},
			kgo.RecordHeader{Key: "lambda.failure.source.partition", Value: []byte(strconv.Itoa(int(r.Partition)))},
			kgo.RecordHeader{Key: "lambda.failure.source.offset", Value: []byte(strconv.FormatInt(r.Offset, 10))},
			kgo.RecordHeader{Key: "lambda.failure.request.id", Value: []byte(fr.RequestContext.RequestID)},
			kgo.RecordHeader{Key: "lambda.failure.record", Value: meta},
		)
		recs = append(recs, kr)
	}
	if err := d.Client.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		return fmt.Errorf("bridge: produce %d failed records to %s: %w", len(recs), d.Topic, err)
	}
	return nil
}

func decodeOpt(s *string) ([]byte, error) {
	if s == nil {
		return nil, nil
	}
	return base64.StdEncoding.DecodeString(*s)
}

// InvokeResult is the Invoke API's answer.
type InvokeResult struct {
	RequestID     string
	StatusCode    int
	FunctionError string // X-Amz-Function-Error, empty on success
	Payload       []byte
}

// Invoker makes a synchronous (RequestResponse) invoke. An error means the
// invoke did not complete (transport, throttling); the bridge retries it like
// a function error.
type Invoker interface {
	Invoke(ctx context.Context, function string, payload []byte) (InvokeResult, error)
}

// RunnerInvoker invokes a function of this project's runtime in the same
// process (slkc-local's runner), without the Invoke API's HTTP round trip:
// no copy of the payload through a socket and no JSON check of it, which the
// bridge's events need no more than Lambda's own event source mappings do.
// The runner still applies Lambda's 6 MB request limit.
type RunnerInvoker struct {
	Runner *runtime.Runner
}

// Invoke runs a RequestResponse invoke on the runner. A function failure
// is an InvokeResult with FunctionError set, as from the Invoke API; an
// error means the invoke was not made.
func (r RunnerInvoker) Invoke(ctx context.Context, function string, payload []byte) (InvokeResult, error) {
	res, err := r.Runner.Invoke(ctx, function, payload)
	if err != nil {
		return InvokeResult{}, fmt.Errorf("bridge: invoke %s: %w", function, err)
	}
	return InvokeResult{RequestID: res.RequestID, StatusCode: http.StatusOK, FunctionError: res.FunctionError, Payload: res.Payload}, nil
}

// LambdaInvoker invokes through the Lambda Invoke API with an aws-sdk-go-v2
// client (BaseEndpoint pointed at the runner, sam local or LocalStack).
type LambdaInvoker struct {
	Client *lambda.Client
}

// Invoke sends a RequestResponse invoke.
func (l LambdaInvoker) Invoke(ctx context.Context, function string, payload []byte) (InvokeResult, error) {
	out, err := l.Client.Invoke(ctx, &lambda.InvokeInput{
		FunctionName:   aws.String(function),
		InvocationType: types.InvocationTypeRequestResponse,
		Payload:        payload,
	})
	if err != nil {
		return InvokeResult{}, fmt.Errorf("bridge: invoke %s: %w", function, err)
	}
	id, _ := awsmiddleware.GetRequestIDMetadata(out.ResultMetadata)
	return InvokeResult{RequestID: id, StatusCode: int(out.StatusCode), FunctionError: aws.ToString(out.FunctionError), Payload: out.Payload}, nil
}
