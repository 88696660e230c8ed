package dynamodb

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"

	"github.com/serverless-kafka-connect/slkc/connectors"
	"github.com/serverless-kafka-connect/slkc/shared/backoff"
	"github.com/serverless-kafka-connect/slkc/shared/connect"
	"github.com/serverless-kafka-connect/slkc/shared/errclass"
	"github.com/serverless-kafka-connect/slkc/shared/ident"
)

// DynamoAPI is the part of *dynamodb.Client the sink uses.
type DynamoAPI interface {
	BatchWriteItem(ctx context.Context, in *dynamodb.BatchWriteItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error)
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error)
}

// NewClient builds a DynamoDB client with the SDK's usual resolution
// (AWS_REGION, credentials chain, AWS_ENDPOINT_URL_DYNAMODB), overridden by
// aws.dynamodb.region and aws.dynamodb.endpoint when set.
func NewClient(ctx context.Context, cfg Config) (*dynamodb.Client, error) {
	var opts []func(*awsconfig.LoadOptions) error
	if cfg.Region != "" {
		opts = append(opts, awsconfig.WithRegion(cfg.Region))
	}
	ac, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("dynamodb sink: load AWS config: %w", err)
	}
	return dynamodb.NewFromConfig(ac, func(o *dynamodb.Options) {
		if cfg.Endpoint != "" {
			o.BaseEndpoint = aws.String(cfg.Endpoint)
		}
	}), nil
}

// Sink writes records to DynamoDB tables. Build it with NewSink; Write
// calls must not run concurrently (each Write runs its own requests in
// parallel).
type Sink struct {
	cfg    Config
	client DynamoAPI
	log    *slog.Logger
	// sleep waits between retries; replaced in tests.
	sleep func(ctx context.Context, d time.Duration) error
}

var _ connectors.Destination = (*Sink)(nil)

// NewSink returns a sink writing through client.
func NewSink(cfg Config, client DynamoAPI) (*Sink, error) {
	if client == nil {
		return nil, errors.New("dynamodb sink: nil client")
	}
	if cfg.TableNameFormat == "" || cfg.Hash.Source == "" || cfg.BatchSize < 1 || cfg.BatchSize > maxBatchWriteItems || cfg.Concurrency < 1 || cfg.WriteMode == "" {
		return nil, errors.New("dynamodb sink: config not built by ParseConfig")
	}
	return &Sink{cfg: cfg, client: client, log: slog.Default().With("component", "dynamodb-sink"), sleep: backoff.Sleep}, nil
}

// Close releases nothing: the SDK client holds no connections that need
// closing.
func (s *Sink) Close() error { return nil }

// op is one record turned into a put or a delete.
type op struct {
	index int
	table string
	keyID string
	key   map[string]types.AttributeValue
	item  map[string]types.AttributeValue // nil for a delete
	// version is compared in conditional mode; nil means unconditional.
	version     types.AttributeValue
	versionAttr string
}

type stats struct {
	written, deleted, stale, tombstonesSkipped, collapsed, requests, retries atomic.Int64
}

// Write writes the records; see connectors.Destination. Records are
// collapsed per table and key first (last write wins), so no request holds
// a key twice. A *connectors.BatchError names records that can never be
// written (no usable key, a value that is not an object, an item DynamoDB
// rejects as invalid such as over 400 KB or a key of the wrong type);
// all other records were written. Any other error (throttling or
// unprocessed items past aws.dynamodb.max.retry.time.seconds or the ctx
// deadline, network, missing table, access denied) fails the batch; it is
// safe to retry because puts and deletes are idempotent.
//
// In conditional mode a write whose version is not newer than the stored
// one fails its condition; that means newer data is already there, so it
// counts as done (stale), not as a failure.
func (s *Sink) Write(ctx context.Context, records []connect.Record) error {
	start := time.Now()
	berr := connectors.NewBatchError()
	var mu sync.Mutex
	fail := func(i int, err error) {
		mu.Lock()
		berr.Fail(i, err)
		mu.Unlock()
	}
	var st stats
	type tableOps struct {
		name string
		ops  []op
		last map[string]int
	}
	var tables []*tableOps
	byName := map[string]*tableOps{}
	for i := range records {
		o, skip, err := s.toOp(i, &records[i])
		if err != nil {
			fail(i, errclass.Data(fmt.Errorf("dynamodb sink: %s: %w", records[i].Where(), err)))
			continue
		}
		if skip {
			st.tombstonesSkipped.Add(1)
			continue
		}
		t := byName[o.table]
		if t == nil {
			t = &tableOps{name: o.table, last: map[string]int{}}
			byName[o.table] = t
			tables = append(tables, t)
		}
		if j, dup := t.last[o.keyID]; dup {
			// Last write wins: replace in place; order across keys does
			// not matter in DynamoDB. With a version field the higher
			// version wins, as the condition would decide.
			if !olderVersion(t.ops[j], o) {
				t.ops[j] = o
			}
			st.collapsed.Add(1)
			continue
		}
		t.last[o.keyID] = len(t.ops)
		t.ops = append(t.ops, o)
	}

	retryCtx, cancel := context.WithTimeout(ctx, s.cfg.MaxRetryTime)
	defer cancel()
	var jobs []func(context.Context) error
	for _, t := range tables {
		if s.cfg.WriteMode == WriteModeConditional {
			for _, o := range t.ops {
				jobs = append(jobs, func(ctx context.Context) error { return s.conditional(ctx, retryCtx, records, o, fail, &st) })
			}
			continue
		}
		for i := 0; i < len(t.ops); i += s.cfg.BatchSize {
			chunk := t.ops[i:min(i+s.cfg.BatchSize, len(t.ops))]
			jobs = append(jobs, func(ctx context.Context) error { return s.batch(ctx, retryCtx, records, t.name, chunk, fail, &st) })
		}
	}
	if err := runJobs(ctx, s.cfg.Concurrency, jobs); err != nil {
		s.log.ErrorContext(ctx, "dynamodb sink batch failed", "records", len(records), "error", err)
		return err
	}
	s.log.InfoContext(ctx, "dynamodb sink batch",
		"records", len(records), "tables", len(tables), "written", st.written.Load(), "deleted", st.deleted.Load(),
		"stale_skipped", st.stale.Load(), "failed", len(berr.Failed), "tombstones_skipped", st.tombstonesSkipped.Load(),
		"collapsed", st.collapsed.Load(), "requests", st.requests.Load(), "retries", st.retries.Load(),
		"duration_ms", time.Since(start).Milliseconds())
	if len(berr.Failed) > 0 {
		return berr
	}
	return nil
}

// runJobs runs jobs with at most n at once and returns the first error,
// cancelling the rest.
func runJobs(ctx context.Context, n int, jobs []func(context.Context) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg       sync.WaitGroup
		once     sync.Once
		firstErr error
		next     atomic.Int64
	)
	for w := 0; w < min(n, len(jobs)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(jobs) || ctx.Err() != nil {
					return
				}
				if err := jobs[i](ctx); err != nil {
					once.Do(func() { firstErr = err; cancel() })
					return
				}
			}
		}()
	}
	wg.Wait()
	if firstErr == nil && ctx.Err() != nil {
		return fmt.Errorf("dynamodb sink: %w", ctx.Err())
	}
	return firstErr
}

// toOp maps a record to a put or delete. skip reports a tombstone ignored
// because delete.enabled=false.
func (s *Sink) toOp(i int, r *connect.Record) (op, bool, error) {
	table, err := s.cfg.tableName(r.Topic)
	if err != nil {
		return op{}, false, err
	}
	o := op{index: i, table: table, key: map[string]types.AttributeValue{}}
	if r.Value == nil && !s.cfg.DeleteEnabled {
		return op{}, true, nil
	}
	var id []byte
	for _, ref := range s.cfg.keyRefs() {
		av, err := ref.resolve(r)
		if err != nil {
			return op{}, false, err
		}
		o.key[ref.Attribute] = av
		id = appendKeyID(id, av)
	}
	o.keyID = string(id)
	if r.Value != nil {
		if o.item, err = encodeItem(r.Value); err != nil {
			return op{}, false, err
		}
		if !s.cfg.PermissiveIdentifiers {
			for name := range o.item {
				if err := ident.Check(name); err != nil {
					return op{}, false, fmt.Errorf("value field: attribute name: %w", err)
				}
			}
		}
		for k, v := range o.key {
			o.item[k] = v
		}
	}
	if s.cfg.WriteMode == WriteModeConditional {
		if s.cfg.VersionField == "" {
			o.versionAttr = OffsetVersionAttribute
			o.version = num(strconv.FormatInt(r.Offset, 10))
			if o.item != nil {
				o.item[OffsetVersionAttribute] = o.version
			}
		} else if o.item != nil {
			v, ok := o.item[s.cfg.VersionField].(*types.AttributeValueMemberN)
			if !ok {
				return op{}, false, fmt.Errorf("%s=%q: the record value has no numeric field %q", KeyVersionField, s.cfg.VersionField, s.cfg.VersionField)
			}
			o.versionAttr, o.version = s.cfg.VersionField, v
		}
		// A delete in version.field mode has no version (the tombstone has
		// no value) and is unconditional.
	}
	return o, false, nil
}

// olderVersion reports whether next has a lower version than prev, both
// being versioned by a value field.
func olderVersion(prev, next op) bool {
	if prev.versionAttr == OffsetVersionAttribute || prev.version == nil || next.version == nil {
		return false
	}
	a, okA := new(big.Float).SetString(prev.version.(*types.AttributeValueMemberN).Value)
	b, okB := new(big.Float).SetString(next.version.(*types.AttributeValueMemberN).Value)
	return okA && okB && b.Cmp(a) < 0
}

// appendKeyID encodes a key attribute unambiguously (type, length, value).
func appendKeyID(b []byte, av types.AttributeValue) []byte {
	var tag byte
	var v []byte
	switch a := av.(type) {
	case *types.AttributeValueMemberS:
		tag, v = 'S', []byte(a.Value)
	case *types.AttributeValueMemberN:
		tag, v = 'N', []byte(canonicalNumber(a.Value))
	case *types.AttributeValueMemberB:
		tag, v = 'B', a.Value
	}
	b = append(b, tag)
	b = strconv.AppendInt(b, int64(len(v)), 10)
	b = append(b, ':')
	return append(b, v...)
}

// canonicalNumber makes numerically equal key numbers ("1", "1.0") equal,
// as DynamoDB treats them as the same key.
func canonicalNumber(s string) string {
	d, err := connect.ParseDecimal(s)
	if err != nil {
		return s // exponent notation: compared as written
	}
	ten, rem := big.NewInt(10), new(big.Int)
	for d.Scale > 0 {
		q, m := new(big.Int).QuoRem(d.Unscaled, ten, rem)
		if m.Sign() != 0 {
			break
		}
		d.Unscaled, d.Scale = q, d.Scale-1
	}
	return d.String()
}

func (o *op) request() types.WriteRequest {
	if o.item == nil {
		return types.WriteRequest{DeleteRequest: &types.DeleteRequest{Key: o.key}}
	}
	return types.WriteRequest{PutRequest: &types.PutRequest{Item: o.item}}
}

// batch writes one chunk with BatchWriteItem, retrying UnprocessedItems and
// throttling with exponential backoff and full jitter until retryCtx ends.
// A ValidationException rejects the whole request without saying which
// item is bad, so the chunk is then written item by item to find it.
func (s *Sink) batch(ctx, retryCtx context.Context, records []connect.Record, table string, chunk []op, fail func(int, error), st *stats) error {
	reqs := make([]types.WriteRequest, len(chunk))
	for i := range chunk {
		reqs[i] = chunk[i].request()
	}
	for attempt := 0; ; attempt++ {
		st.requests.Add(1)
		out, err := s.client.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{table: reqs}})
		if err != nil {
			if isCode(err, "ValidationException") {
				return s.isolate(ctx, retryCtx, records, table, chunk, fail, st)
			}
			if !errclass.IsRetryable(err) {
				return fmt.Errorf("dynamodb sink: BatchWriteItem on %s: %w", table, err)
			}
		} else {
			countDone(reqs, out.UnprocessedItems[table], st)
			reqs = out.UnprocessedItems[table]
			if len(reqs) == 0 {
				return nil
			}
		}
		if werr := s.backoff(retryCtx, attempt); werr != nil {
			cause := err
			if cause == nil {
				cause = fmt.Errorf("%d item(s) still unprocessed", len(reqs))
			}
			return errclass.Retryable(fmt.Errorf("dynamodb sink: BatchWriteItem on %s gave up after %d attempts: %w", table, attempt+1, cause))
		}
		st.retries.Add(1)
	}
}

// countDone adds the requests that were processed to the stats.
func countDone(sent, unprocessed []types.WriteRequest, st *stats) {
	var puts, dels int64
	for _, r := range sent {
		if r.PutRequest != nil {
			puts++
		} else {
			dels++
		}
	}
	for _, r := range unprocessed {
		if r.PutRequest != nil {
			puts--
		} else {
			dels--
		}
	}
	st.written.Add(puts)
	st.deleted.Add(dels)
}

// backoff sleeps before retry attempt+1: full jitter over an exponential
// ceiling (25 ms doubling to 2 s). It fails when retryCtx would end first.
func (s *Sink) backoff(retryCtx context.Context, attempt int) error {
	ceil := 25 * time.Millisecond << min(attempt, 7)
	ceil = min(ceil, 2*time.Second)
	d := time.Duration(rand.Int64N(int64(ceil))) + time.Millisecond
	if dl, ok := retryCtx.Deadline(); ok && time.Until(dl) < d {
		return context.DeadlineExceeded
	}
	return s.sleep(retryCtx, d)
}

// isolate writes a chunk item by item (unconditionally) to find the items
// DynamoDB rejects.
func (s *Sink) isolate(ctx, retryCtx context.Context, records []connect.Record, table string, chunk []op, fail func(int, error), st *stats) error {
	for _, o := range chunk {
		if err := s.single(ctx, retryCtx, records, o, false, fail, st); err != nil {
			return err
		}
	}
	return nil
}

func (s *Sink) conditional(ctx, retryCtx context.Context, records []connect.Record, o op, fail func(int, error), st *stats) error {
	return s.single(ctx, retryCtx, records, o, o.version != nil, fail, st)
}

// single writes one op with PutItem/DeleteItem, conditional on the version
// when cond is set, retrying throttling until retryCtx ends.
func (s *Sink) single(ctx, retryCtx context.Context, records []connect.Record, o op, cond bool, fail func(int, error), st *stats) error {
	var expr *string
	var names map[string]string
	var values map[string]types.AttributeValue
	if cond {
		// Newer than stored, or nothing stored: replays and reordered
		// redeliveries of older records never overwrite newer data.
		expr = aws.String("attribute_not_exists(#k) OR #v < :v")
		names = map[string]string{"#k": s.cfg.Hash.Attribute, "#v": o.versionAttr}
		values = map[string]types.AttributeValue{":v": o.version}
	}
	for attempt := 0; ; attempt++ {
		st.requests.Add(1)
		var err error
		if o.item != nil {
			_, err = s.client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(o.table), Item: o.item,
				ConditionExpression: expr, ExpressionAttributeNames: names, ExpressionAttributeValues: values})
		} else {
			_, err = s.client.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(o.table), Key: o.key,
				ConditionExpression: expr, ExpressionAttributeNames: names, ExpressionAttributeValues: values})
		}
		switch {
		case err == nil:
			if o.item != nil {
				st.written.Add(1)
			} else {
				st.deleted.Add(1)
			}
			return nil
		case cond && isConditionalCheckFailed(err):
			st.stale.Add(1)
			return nil
		case isCode(err, "ValidationException"):
			fail(o.index, errclass.Data(fmt.Errorf("dynamodb sink: %s: table %s: %w", records[o.index].Where(), o.table, err)))
			return nil
		case !errclass.IsRetryable(err):
			return fmt.Errorf("dynamodb sink: %s: table %s: %w", records[o.index].Where(), o.table, err)
		}
		if werr := s.backoff(retryCtx, attempt); werr != nil {
			return errclass.Retryable(fmt.Errorf("dynamodb sink: %s: table %s: gave up after %d attempts: %w", records[o.index].Where(), o.table, attempt+1, err))
		}
		st.retries.Add(1)
	}
}

func isConditionalCheckFailed(err error) bool {
	var ccf *types.ConditionalCheckFailedException
	return errors.As(err, &ccf) || isCode(err, "ConditionalCheckFailedException")
}

func isCode(err error, code string) bool {
	var ae smithy.APIError
	return errors.As(err, &ae) && ae.ErrorCode() == code
}
