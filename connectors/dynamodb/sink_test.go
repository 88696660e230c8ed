package dynamodb

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"

	"github.com/serverless-kafka-connect/slkc/connectors"
	"github.com/serverless-kafka-connect/slkc/shared/backoff"
	"github.com/serverless-kafka-connect/slkc/shared/connect"
	"github.com/serverless-kafka-connect/slkc/shared/errclass"
)

// fakeDynamo records requests and answers through hooks.
type fakeDynamo struct {
	DynamoAPI
	mu      sync.Mutex
	batches [][]types.WriteRequest
	puts    []*dynamodb.PutItemInput
	dels    []*dynamodb.DeleteItemInput
	// batchHook returns the unprocessed requests or an error.
	batchHook func(call int, reqs []types.WriteRequest) ([]types.WriteRequest, error)
	putHook   func(in *dynamodb.PutItemInput) error
}

func (f *fakeDynamo) BatchWriteItem(_ context.Context, in *dynamodb.BatchWriteItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var table string
	var reqs []types.WriteRequest
	for t, r := range in.RequestItems {
		table, reqs = t, r
	}
	f.batches = append(f.batches, reqs)
	var un []types.WriteRequest
	var err error
	if f.batchHook != nil {
		un, err = f.batchHook(len(f.batches)-1, reqs)
	}
	if err != nil {
		return nil, err
	}
	out := &dynamodb.BatchWriteItemOutput{UnprocessedItems: map[string][]types.WriteRequest{}}
	if len(un) > 0 {
		out.UnprocessedItems[table] = un
	}
	return out, nil
}

func (f *fakeDynamo) PutItem(_ context.Context, in *dynamodb.PutItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.puts = append(f.puts, in)
	if f.putHook != nil {
		if err := f.putHook(in); err != nil {
			return nil, err
		}
	}
	return &dynamodb.PutItemOutput{}, nil
}

func (f *fakeDynamo) DeleteItem(_ context.Context, in *dynamodb.DeleteItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.dels = append(f.dels, in)
	return &dynamodb.DeleteItemOutput{}, nil
}

func apiErr(code string) error {
	return &smithy.GenericAPIError{Code: code, Message: code + " for test"}
}

func newTestSink(t *testing.T, client DynamoAPI, props map[string]string) *Sink {
	t.Helper()
	cfg, err := ParseConfig(props)
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewSink(cfg, client)
	if err != nil {
		t.Fatal(err)
	}
	s.sleep = func(ctx context.Context, d time.Duration) error { return ctx.Err() }
	return s
}

var keyProps = map[string]string{"aws.dynamodb.pk.hash": "key.id", "aws.dynamodb.pk.sort": "", "delete.enabled": "true"}

func keyed(topic string, off int64, id string, v map[string]any) connect.Record {
	r := connect.Record{Topic: topic, Offset: off, Key: map[string]any{"id": id}}
	if v != nil {
		r.Value = v
	}
	return r
}

func itemID(r types.WriteRequest) string {
	if r.PutRequest != nil {
		return "put:" + r.PutRequest.Item["id"].(*types.AttributeValueMemberS).Value
	}
	return "del:" + r.DeleteRequest.Key["id"].(*types.AttributeValueMemberS).Value
}

func TestSinkCollapsesAndChunks(t *testing.T) {
	f := &fakeDynamo{}
	s := newTestSink(t, f, keyProps)
	var recs []connect.Record
	for i := 0; i < 60; i++ {
		recs = append(recs, keyed("orders", int64(i), fmt.Sprint("k", i%30), map[string]any{"i": fmt.Sprint(i)}))
	}
	recs = append(recs, keyed("orders", 60, "k3", nil))                       // delete after put
	recs = append(recs, keyed("orders", 61, "k99", nil))                      // delete
	recs = append(recs, keyed("orders", 62, "k99", map[string]any{"i": "x"})) // put after delete
	if err := s.Write(context.Background(), recs); err != nil {
		t.Fatal(err)
	}
	var sizes []int
	seen := map[string]int{}
	for _, b := range f.batches {
		sizes = append(sizes, len(b))
		for _, r := range b {
			seen[itemID(r)]++
		}
	}
	if !reflect.DeepEqual(sizes, []int{25, 6}) && !reflect.DeepEqual(sizes, []int{6, 25}) {
		t.Errorf("request sizes = %v, want 25 and 6 (31 distinct keys)", sizes)
	}
	for k, c := range seen {
		if c != 1 {
			t.Errorf("%s sent %d times", k, c)
		}
	}
	if seen["del:k3"] != 1 || seen["put:k3"] != 0 || seen["put:k99"] != 1 || seen["del:k99"] != 0 {
		t.Errorf("collapse wrong: %v", seen)
	}
	// The surviving put of k5 is offset 35's value.
	for _, b := range f.batches {
		for _, r := range b {
			if itemID(r) == "put:k5" && r.PutRequest.Item["i"].(*types.AttributeValueMemberS).Value != "35" {
				t.Errorf("k5 = %v, want the last write (35)", r.PutRequest.Item["i"])
			}
		}
	}
}

func TestSinkRetriesUnprocessed(t *testing.T) {
	f := &fakeDynamo{batchHook: func(call int, reqs []types.WriteRequest) ([]types.WriteRequest, error) {
		switch call {
		case 0:
			return reqs[1:], nil // one processed
		case 1:
			return nil, apiErr("ProvisionedThroughputExceededException")
		case 2:
			return reqs[:1], nil
		}
		return nil, nil
	}}
	s := newTestSink(t, f, keyProps)
	recs := []connect.Record{keyed("orders", 0, "a", map[string]any{}), keyed("orders", 1, "b", map[string]any{}), keyed("orders", 2, "c", map[string]any{})}
	if err := s.Write(context.Background(), recs); err != nil {
		t.Fatal(err)
	}
	var got [][]string
	for _, b := range f.batches {
		var ids []string
		for _, r := range b {
			ids = append(ids, itemID(r))
		}
		got = append(got, ids)
	}
	want := [][]string{{"put:a", "put:b", "put:c"}, {"put:b", "put:c"}, {"put:b", "put:c"}, {"put:b"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("requests = %v, want %v", got, want)
	}
}

func TestSinkGivesUpRetryable(t *testing.T) {
	f := &fakeDynamo{batchHook: func(call int, reqs []types.WriteRequest) ([]types.WriteRequest, error) {
		return reqs, nil // never processed
	}}
	s := newTestSink(t, f, keyProps)
	s.cfg.MaxRetryTime = 200 * time.Millisecond
	s.sleep = backoff.Sleep
	err := s.Write(context.Background(), []connect.Record{keyed("orders", 0, "a", map[string]any{})})
	var be *connectors.BatchError
	if err == nil || errors.As(err, &be) || !errclass.IsRetryable(err) || !strings.Contains(err.Error(), "unprocessed") {
		t.Fatalf("want retryable whole-batch error, got %v", err)
	}
	if len(f.batches) < 2 {
		t.Errorf("only %d attempts", len(f.batches))
	}
}

func TestSinkIsolatesValidationErrors(t *testing.T) {
	f := &fakeDynamo{
		batchHook: func(int, []types.WriteRequest) ([]types.WriteRequest, error) {
			return nil, apiErr("ValidationException")
		},
		putHook: func(in *dynamodb.PutItemInput) error {
			if _, bad := in.Item["bad"]; bad {
				return apiErr("ValidationException")
			}
			return nil
		},
	}
	s := newTestSink(t, f, keyProps)
	recs := []connect.Record{
		keyed("orders", 0, "a", map[string]any{}),
		keyed("orders", 1, "b", map[string]any{"bad": true}),
		keyed("orders", 2, "c", map[string]any{}),
		{Topic: "orders", Offset: 3, Value: map[string]any{}}, // no key
	}
	err := s.Write(context.Background(), recs)
	var be *connectors.BatchError
	if !errors.As(err, &be) {
		t.Fatalf("want BatchError, got %v", err)
	}
	var idx []int
	for i := range be.Failed {
		idx = append(idx, i)
		if !errclass.IsPermanent(be.Failed[i]) {
			t.Errorf("record %d error not permanent: %v", i, be.Failed[i])
		}
	}
	sort.Ints(idx)
	if !reflect.DeepEqual(idx, []int{1, 3}) {
		t.Errorf("failed = %v, want [1 3]", idx)
	}
	if len(f.puts) != 3 {
		t.Errorf("isolation puts = %d, want 3", len(f.puts))
	}
}

func TestSinkConditionalSkipsStale(t *testing.T) {
	f := &fakeDynamo{putHook: func(in *dynamodb.PutItemInput) error {
		if in.Item["id"].(*types.AttributeValueMemberS).Value == "old" {
			return &types.ConditionalCheckFailedException{Message: new(string)}
		}
		return nil
	}}
	props := map[string]string{"aws.dynamodb.pk.hash": "key.id", "aws.dynamodb.pk.sort": "", "write.mode": "conditional"}
	s := newTestSink(t, f, props)
	err := s.Write(context.Background(), []connect.Record{
		keyed("orders", 7, "old", map[string]any{}),
		keyed("orders", 8, "new", map[string]any{}),
	})
	if err != nil {
		t.Fatalf("a failed condition is not an error: %v", err)
	}
	if len(f.puts) != 2 {
		t.Fatalf("puts = %d", len(f.puts))
	}
	for _, p := range f.puts {
		if *p.ConditionExpression != "attribute_not_exists(#k) OR #v < :v" || p.ExpressionAttributeNames["#v"] != OffsetVersionAttribute ||
			p.ExpressionAttributeNames["#k"] != "id" {
			t.Errorf("condition = %s %v", *p.ConditionExpression, p.ExpressionAttributeNames)
		}
		if p.Item[OffsetVersionAttribute] == nil || !reflect.DeepEqual(p.Item[OffsetVersionAttribute], p.ExpressionAttributeValues[":v"]) {
			t.Errorf("item version %v, condition value %v", p.Item[OffsetVersionAttribute], p.ExpressionAttributeValues[":v"])
		}
	}
}

func TestSinkVersionFieldCollapseKeepsHighest(t *testing.T) {
	f := &fakeDynamo{}
	props := map[string]string{"aws.dynamodb.pk.hash": "key.id", "aws.dynamodb.pk.sort": "", "write.mode": "conditional", "version.field": "ver"}
	s := newTestSink(t, f, props)
	err := s.Write(context.Background(), []connect.Record{
		keyed("orders", 1, "a", map[string]any{"ver": int64(10), "v": "ten"}),
		keyed("orders", 2, "a", map[string]any{"ver": int64(9), "v": "nine"}), // reordered older version
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(f.puts) != 1 || f.puts[0].Item["v"].(*types.AttributeValueMemberS).Value != "ten" {
		t.Errorf("puts = %v, want only version 10", f.puts)
	}
	be := s.Write(context.Background(), []connect.Record{keyed("orders", 3, "b", map[string]any{"v": "no version"})})
	var bErr *connectors.BatchError
	if !errors.As(be, &bErr) || !strings.Contains(bErr.Failed[0].Error(), `no numeric field "ver"`) {
		t.Errorf("missing version: %v", be)
	}
}

func TestSinkTombstoneSkippedWithoutDelete(t *testing.T) {
	f := &fakeDynamo{}
	s := newTestSink(t, f, map[string]string{"aws.dynamodb.pk.hash": "key.id", "aws.dynamodb.pk.sort": ""})
	if err := s.Write(context.Background(), []connect.Record{keyed("orders", 0, "a", nil)}); err != nil {
		t.Fatal(err)
	}
	if len(f.batches)+len(f.dels) != 0 {
		t.Errorf("tombstone written: %v %v", f.batches, f.dels)
	}
}

// TestSinkRefusesHostileAttributeNames: a record whose value has a field
// name with a backquote, ';', a control character or surrounding white
// space fails alone with an error naming the record and the field, unless
// identifiers.permissive=true.
func TestSinkRefusesHostileAttributeNames(t *testing.T) {
	recs := []connect.Record{
		keyed("orders", 0, "a", map[string]any{"name": "ok"}),
		keyed("orders", 1, "b", map[string]any{"x; DROP": "bad"}),
	}
	for _, permissive := range []bool{false, true} {
		f := &fakeDynamo{}
		props := map[string]string{"aws.dynamodb.pk.hash": "key.id", "aws.dynamodb.pk.sort": ""}
		if permissive {
			props["identifiers.permissive"] = "true"
		}
		s := newTestSink(t, f, props)
		err := s.Write(context.Background(), recs)
		if permissive {
			if err != nil {
				t.Fatalf("identifiers.permissive=true: Write() = %v, want both written", err)
			}
			continue
		}
		var be *connectors.BatchError
		if !errors.As(err, &be) || len(be.Failed) != 1 || be.Failed[1] == nil {
			t.Fatalf("Write() = %v, want record 1 failed alone", err)
		}
		if msg := be.Failed[1].Error(); !strings.Contains(msg, "orders/0@1") || !strings.Contains(msg, `"x; DROP"`) || !errclass.IsPermanent(be.Failed[1]) {
			t.Errorf("error %q: want a permanent error naming orders/0@1 and the field", msg)
		}
	}
}

func TestConfigRefusesHostileAttributeNames(t *testing.T) {
	_, err := ParseConfig(map[string]string{"aws.dynamodb.pk.hash": "key.id:a;b"})
	if err == nil || !strings.Contains(err.Error(), "aws.dynamodb.pk.hash") || !strings.Contains(err.Error(), "identifiers.permissive") {
		t.Errorf("ParseConfig = %v, want the hash attribute refused, naming the key and the opt-in", err)
	}
	if _, err := ParseConfig(map[string]string{"aws.dynamodb.pk.hash": "key.id:a;b", "identifiers.permissive": "true"}); err != nil {
		t.Errorf("with identifiers.permissive=true: %v", err)
	}
}
