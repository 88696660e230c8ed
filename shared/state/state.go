// Package state keeps the framework's durable state in DynamoDB: source
// offsets (OffsetStore), the one-poller-per-connector lease (LeaseStore) and
// connector/task status (StatusStore).
//
// Table layouts (created by CreateTables, and by the CDK app in AWS):
//
//	offsets: PK connector (S), SK partition (S, canonical partition JSON)
//	leases:  PK connector (S); TTL attribute "ttl" (epoch seconds)
//	status:  PK connector (S), SK task (S: "connector", "task-0", ...)
//
// The stores talk to DynamoDB through the narrow API interface, which
// *dynamodb.Client satisfies; tests use small fakes and CountingClient to
// assert on the number of requests (the source loop's budget is at most two
// DynamoDB writes per page).
//
// Guarantees. A poller's offset write (OffsetStore.Commit) is one
// TransactWriteItems: a condition check that the leases table still holds
// the writer's lease owner and counter, and the offset Put conditional on
// the version read before it (optimistic locking). So a superseded poller —
// one whose lease another owner took over after it expired, for example a
// duplicate invocation that resumes long after — has its very next write
// refused (ErrLeaseLost), even before the new holder wrote anything, and an
// offset never moves backwards. Correctness never depends on DynamoDB TTL,
// which deletes items late and lazily; the lease's own expires_at is
// compared in every acquire.
package state

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// API is the subset of *dynamodb.Client the stores use.
type API interface {
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	Query(ctx context.Context, in *dynamodb.QueryInput, optFns ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
	TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, optFns ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error)
}

// AdminAPI is the subset of *dynamodb.Client CreateTables uses.
type AdminAPI interface {
	CreateTable(ctx context.Context, in *dynamodb.CreateTableInput, optFns ...func(*dynamodb.Options)) (*dynamodb.CreateTableOutput, error)
	DescribeTable(ctx context.Context, in *dynamodb.DescribeTableInput, optFns ...func(*dynamodb.Options)) (*dynamodb.DescribeTableOutput, error)
	UpdateTimeToLive(ctx context.Context, in *dynamodb.UpdateTimeToLiveInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateTimeToLiveOutput, error)
}

var (
	_ API      = (*dynamodb.Client)(nil)
	_ AdminAPI = (*dynamodb.Client)(nil)
)

// CountingClient wraps an API and counts requests per operation ("GetItem",
// "PutItem", "UpdateItem", "Query", "TransactWriteItems"), successful or not. It is safe for
// concurrent use.
type CountingClient struct {
	API
	mu     sync.Mutex
	counts map[string]int
}

// NewCountingClient returns a CountingClient over api.
func NewCountingClient(api API) *CountingClient {
	return &CountingClient{API: api, counts: map[string]int{}}
}

func (c *CountingClient) inc(op string) {
	c.mu.Lock()
	c.counts[op]++
	c.mu.Unlock()
}

// Counts returns a copy of the per-operation counts.
func (c *CountingClient) Counts() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]int, len(c.counts))
	for k, v := range c.counts {
		out[k] = v
	}
	return out
}

// Writes returns the number of PutItem, UpdateItem and TransactWriteItems
// requests.
func (c *CountingClient) Writes() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.counts["PutItem"] + c.counts["UpdateItem"] + c.counts["TransactWriteItems"]
}

// Total returns the number of requests of any operation.
func (c *CountingClient) Total() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, v := range c.counts {
		n += v
	}
	return n
}

// Reset sets all counts to zero.
func (c *CountingClient) Reset() {
	c.mu.Lock()
	c.counts = map[string]int{}
	c.mu.Unlock()
}

// GetItem counts and forwards.
func (c *CountingClient) GetItem(ctx context.Context, in *dynamodb.GetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	c.inc("GetItem")
	return c.API.GetItem(ctx, in, optFns...)
}

// PutItem counts and forwards.
func (c *CountingClient) PutItem(ctx context.Context, in *dynamodb.PutItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	c.inc("PutItem")
	return c.API.PutItem(ctx, in, optFns...)
}

// UpdateItem counts and forwards.
func (c *CountingClient) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	c.inc("UpdateItem")
	return c.API.UpdateItem(ctx, in, optFns...)
}

// Query counts and forwards.
func (c *CountingClient) Query(ctx context.Context, in *dynamodb.QueryInput, optFns ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	c.inc("Query")
	return c.API.Query(ctx, in, optFns...)
}

// TransactWriteItems counts and forwards.
func (c *CountingClient) TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, optFns ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	c.inc("TransactWriteItems")
	return c.API.TransactWriteItems(ctx, in, optFns...)
}

// Tables names the three state tables.
type Tables struct {
	Offsets, Leases, Status string
}

// Default table names, used by TablesFromEnv when a variable is unset.
const (
	DefaultOffsetsTable = "slkc-offsets"
	DefaultLeasesTable  = "slkc-leases"
	DefaultStatusTable  = "slkc-status"
)

// TablesFromEnv reads SLKC_OFFSETS_TABLE, SLKC_LEASES_TABLE and
// SLKC_STATUS_TABLE, defaulting to slkc-offsets, slkc-leases, slkc-status.
func TablesFromEnv() Tables {
	get := func(k, def string) string {
		if v := os.Getenv(k); v != "" {
			return v
		}
		return def
	}
	return Tables{
		Offsets: get("SLKC_OFFSETS_TABLE", DefaultOffsetsTable),
		Leases:  get("SLKC_LEASES_TABLE", DefaultLeasesTable),
		Status:  get("SLKC_STATUS_TABLE", DefaultStatusTable),
	}
}

// Attribute names shared by the tables.
const (
	attrConnector = "connector"
	attrPartition = "partition"
	attrTask      = "task"
	attrTTL       = "ttl"
)

func keySchema(pk, sk string) ([]types.AttributeDefinition, []types.KeySchemaElement) {
	defs := []types.AttributeDefinition{{AttributeName: aws.String(pk), AttributeType: types.ScalarAttributeTypeS}}
	keys := []types.KeySchemaElement{{AttributeName: aws.String(pk), KeyType: types.KeyTypeHash}}
	if sk != "" {
		defs = append(defs, types.AttributeDefinition{AttributeName: aws.String(sk), AttributeType: types.ScalarAttributeTypeS})
		keys = append(keys, types.KeySchemaElement{AttributeName: aws.String(sk), KeyType: types.KeyTypeRange})
	}
	return defs, keys
}

func tableInput(name, pk, sk string) *dynamodb.CreateTableInput {
	defs, keys := keySchema(pk, sk)
	return &dynamodb.CreateTableInput{
		TableName:            aws.String(name),
		AttributeDefinitions: defs,
		KeySchema:            keys,
		BillingMode:          types.BillingModePayPerRequest,
	}
}

// OffsetsTableInput is the on-demand CreateTableInput of the offsets table.
func OffsetsTableInput(name string) *dynamodb.CreateTableInput {
	return tableInput(name, attrConnector, attrPartition)
}

// LeasesTableInput is the on-demand CreateTableInput of the leases table
// (enable TTL on attribute "ttl" separately).
func LeasesTableInput(name string) *dynamodb.CreateTableInput {
	return tableInput(name, attrConnector, "")
}

// StatusTableInput is the on-demand CreateTableInput of the status table.
func StatusTableInput(name string) *dynamodb.CreateTableInput {
	return tableInput(name, attrConnector, attrTask)
}

// CreateTables creates whichever of the three tables do not exist yet
// (on-demand billing, key schemas as in the package comment), waits until
// they are active and enables TTL on the leases table's "ttl" attribute. It
// is idempotent: existing tables are left as they are. Meant for local runs
// and tests; in AWS the CDK app owns the tables.
func CreateTables(ctx context.Context, client AdminAPI, t Tables) error {
	inputs := []*dynamodb.CreateTableInput{
		OffsetsTableInput(t.Offsets), LeasesTableInput(t.Leases), StatusTableInput(t.Status),
	}
	for _, in := range inputs {
		if err := createTable(ctx, client, in); err != nil {
			return err
		}
	}
	_, err := client.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{
		TableName:               aws.String(t.Leases),
		TimeToLiveSpecification: &types.TimeToLiveSpecification{AttributeName: aws.String(attrTTL), Enabled: aws.Bool(true)},
	})
	// Enabling TTL twice fails with "TimeToLive is already enabled".
	var ve interface{ ErrorCode() string }
	if err != nil && !(errors.As(err, &ve) && ve.ErrorCode() == "ValidationException") {
		return fmt.Errorf("state: enable TTL on table %q: %w", t.Leases, err)
	}
	return nil
}

func createTable(ctx context.Context, client AdminAPI, in *dynamodb.CreateTableInput) error {
	name := aws.ToString(in.TableName)
	if name == "" {
		return errors.New("state: create table: empty table name")
	}
	_, err := client.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: in.TableName})
	var nf *types.ResourceNotFoundException
	switch {
	case err == nil:
		return nil
	case !errors.As(err, &nf):
		return fmt.Errorf("state: describe table %q: %w", name, err)
	}
	if _, err := client.CreateTable(ctx, in); err != nil {
		var inUse *types.ResourceInUseException
		if !errors.As(err, &inUse) {
			return fmt.Errorf("state: create table %q: %w", name, err)
		}
	}
	for {
		out, err := client.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: in.TableName})
		if err != nil {
			return fmt.Errorf("state: wait for table %q: %w", name, err)
		}
		if out.Table != nil && out.Table.TableStatus == types.TableStatusActive {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("state: wait for table %q: %w", name, ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// Helpers for attribute values.

func s(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
func n(v int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(v, 10)}
}

func getS(item map[string]types.AttributeValue, k string) string {
	if v, ok := item[k].(*types.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}

func getN(item map[string]types.AttributeValue, k string) int64 {
	if v, ok := item[k].(*types.AttributeValueMemberN); ok {
		i, _ := strconv.ParseInt(v.Value, 10, 64)
		return i
	}
	return 0
}

// conditionFailed reports whether err is a failed condition and returns the
// old item when DynamoDB sent it (ReturnValuesOnConditionCheckFailure).
func conditionFailed(err error) (map[string]types.AttributeValue, bool) {
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return ccf.Item, true
	}
	return nil, false
}

func nowFunc(f func() time.Time) time.Time {
	if f == nil {
		return time.Now()
	}
	return f()
}
