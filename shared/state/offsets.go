package state

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/serverless-kafka-connect/slkc/connectors"
)

// Offset attribute names on the offsets table.
const (
	attrOffset       = "offset"        // S: the position's JSON text
	attrVersion      = "version"       // N: 1 on the first write, +1 per write
	attrLeaseCounter = "lease_counter" // N: fence of the lease that wrote it
	attrUpdatedAt    = "updated_at"    // N: epoch millis
)

// ErrOffsetConflict is returned (wrapped in *OffsetConflictError) by
// OffsetStore.Put when the stored version is not the one the writer read, or
// when a newer lease has written the item: someone else moved on, and the
// writer must stop without retrying.
var ErrOffsetConflict = errors.New("state: offset conflict")

// OffsetConflictError details an ErrOffsetConflict. errors.Is(err,
// ErrOffsetConflict) is true.
type OffsetConflictError struct {
	Connector, Partition string
	// ExpectedVersion is the version the writer read; StoredVersion and
	// StoredFence are what the table held (0 when DynamoDB did not return
	// the item).
	ExpectedVersion, StoredVersion int64
	Fence, StoredFence             int64
}

func (e *OffsetConflictError) Error() string {
	return fmt.Sprintf("state: offset conflict for connector %q partition %s: expected version %d (fence %d), stored version %d (fence %d)",
		e.Connector, e.Partition, e.ExpectedVersion, e.Fence, e.StoredVersion, e.StoredFence)
}

// Is makes errors.Is(err, ErrOffsetConflict) true.
func (e *OffsetConflictError) Is(target error) bool { return target == ErrOffsetConflict }

// Offset is a stored source offset. The zero Offset (Version 0, nil
// Position) means "nothing committed yet".
type Offset struct {
	Position  connectors.Position
	Version   int64
	Fence     int64
	UpdatedAt time.Time
}

// PartitionOffset is one entry of List.
type PartitionOffset struct {
	Partition connectors.Partition
	Offset    Offset
}

// PartitionOffsets is List's result; Connect renders it for display.
type PartitionOffsets []PartitionOffset

// OffsetStore reads and writes source offsets. Safe for concurrent use.
type OffsetStore struct {
	api   API
	table string
	// Now is the clock for updated_at; nil means time.Now.
	Now func() time.Time
}

// NewOffsetStore returns a store on the named offsets table.
func NewOffsetStore(api API, table string) *OffsetStore {
	return &OffsetStore{api: api, table: table}
}

func (o *OffsetStore) key(connector string, p connectors.Partition) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{attrConnector: s(connector), attrPartition: s(p.String())}
}

// Get returns the committed offset of a partition with a strongly
// consistent read, or the zero Offset when none was committed.
func (o *OffsetStore) Get(ctx context.Context, connector string, p connectors.Partition) (Offset, error) {
	out, err := o.api.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String(o.table),
		Key:            o.key(connector, p),
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return Offset{}, fmt.Errorf("state: get offset of connector %q partition %s from table %q: %w", connector, p, o.table, err)
	}
	if len(out.Item) == 0 {
		return Offset{}, nil
	}
	return decodeOffset(out.Item), nil
}

func decodeOffset(item map[string]types.AttributeValue) Offset {
	off := Offset{
		Version:   getN(item, attrVersion),
		Fence:     getN(item, attrLeaseCounter),
		UpdatedAt: time.UnixMilli(getN(item, attrUpdatedAt)).UTC(),
	}
	if txt := getS(item, attrOffset); txt != "" && txt != "null" {
		off.Position = connectors.Position(txt)
	}
	return off
}

// Put stores pos as the partition's offset if the stored version still is
// prevVersion (0: no offset stored yet), without any lease: meant for manual
// offset edits, never for pollers (they use Commit). It clears the stored
// fence. It returns the new version (prevVersion+1), or an error matching
// ErrOffsetConflict when the condition failed. One PutItem.
func (o *OffsetStore) Put(ctx context.Context, connector string, p connectors.Partition, pos connectors.Position, prevVersion int64) (int64, error) {
	put, err := o.put(connector, p, pos, prevVersion, 0)
	if err != nil {
		return 0, err
	}
	in := &dynamodb.PutItemInput{
		TableName: put.TableName, Item: put.Item, ConditionExpression: put.ConditionExpression,
		ExpressionAttributeNames: put.ExpressionAttributeNames, ExpressionAttributeValues: put.ExpressionAttributeValues,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	}
	if _, err := o.api.PutItem(ctx, in); err != nil {
		if old, ok := conditionFailed(err); ok {
			return 0, o.conflict(connector, p, prevVersion, 0, old)
		}
		return 0, fmt.Errorf("state: put offset of connector %q partition %s to table %q: %w", connector, p, o.table, err)
	}
	return prevVersion + 1, nil
}

// Commit stores pos as the partition's offset for the holder of lease, in
// one TransactWriteItems request of two actions: a ConditionCheck that the
// leases table still holds lease's owner and counter, and the offset Put,
// conditional on the stored version being prevVersion (0: none stored yet)
// and on the stored fence not exceeding lease.Counter. The item records
// lease.Counter as its fence. lease must come from LeaseStore.Acquire,
// Renew or Current.
//
// It returns the new version (prevVersion+1). Errors: one matching
// ErrLeaseLost (*LeaseLostError) when the lease was taken over or released
// — the writer was superseded and must stop; one matching ErrOffsetConflict
// (*OffsetConflictError) when the offset moved. Nothing is written in
// either case.
func (o *OffsetStore) Commit(ctx context.Context, lease Lease, p connectors.Partition, pos connectors.Position, prevVersion int64) (int64, error) {
	connector := lease.Connector
	if lease.table == "" || lease.Owner == "" || lease.Counter <= 0 {
		return 0, fmt.Errorf("state: commit offset of connector %q partition %s: lease %+v was not handed out by a LeaseStore", connector, p, lease)
	}
	put, err := o.put(connector, p, pos, prevVersion, lease.Counter)
	if err != nil {
		return 0, err
	}
	check := &types.ConditionCheck{
		TableName:                aws.String(lease.table),
		Key:                      map[string]types.AttributeValue{attrConnector: s(lease.key())},
		ConditionExpression:      aws.String("#n = :counter AND #o = :owner"),
		ExpressionAttributeNames: map[string]string{"#n": attrCounter, "#o": attrOwner},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":counter": n(lease.Counter), ":owner": s(lease.Owner),
		},
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	}
	put.ReturnValuesOnConditionCheckFailure = types.ReturnValuesOnConditionCheckFailureAllOld
	_, err = o.api.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{
		TransactItems: []types.TransactWriteItem{{ConditionCheck: check}, {Put: put}},
	})
	if err == nil {
		return prevVersion + 1, nil
	}
	var tc *types.TransactionCanceledException
	if errors.As(err, &tc) && len(tc.CancellationReasons) == 2 {
		if r := tc.CancellationReasons[0]; aws.ToString(r.Code) == "ConditionalCheckFailed" {
			return 0, &LeaseLostError{Connector: connector, Owner: lease.Owner, Counter: lease.Counter,
				StoredOwner: getS(r.Item, attrOwner), StoredCounter: getN(r.Item, attrCounter)}
		}
		if r := tc.CancellationReasons[1]; aws.ToString(r.Code) == "ConditionalCheckFailed" {
			return 0, o.conflict(connector, p, prevVersion, lease.Counter, r.Item)
		}
	}
	return 0, fmt.Errorf("state: commit offset of connector %q partition %s to table %q (lease table %q): %w", connector, p, o.table, lease.table, err)
}

// put builds the conditional offset Put shared by Put and Commit; fence 0
// means no fence condition.
func (o *OffsetStore) put(connector string, p connectors.Partition, pos connectors.Position, prevVersion, fence int64) (*types.Put, error) {
	if pos != nil && !json.Valid(pos) {
		return nil, fmt.Errorf("state: put offset of connector %q partition %s: position is not valid JSON: %q", connector, p, string(pos))
	}
	txt := "null"
	if pos != nil {
		txt = string(pos)
	}
	item := o.key(connector, p)
	item[attrOffset] = s(txt)
	item[attrVersion] = n(prevVersion + 1)
	item[attrLeaseCounter] = n(fence)
	item[attrUpdatedAt] = n(nowFunc(o.Now).UnixMilli())

	names := map[string]string{}
	values := map[string]types.AttributeValue{}
	var cond string
	if prevVersion == 0 {
		names["#c"] = attrConnector
		cond = "attribute_not_exists(#c)"
	} else {
		names["#v"] = attrVersion
		values[":prev"] = n(prevVersion)
		cond = "#v = :prev"
	}
	if fence > 0 {
		names["#f"] = attrLeaseCounter
		values[":fence"] = n(fence)
		cond = "(" + cond + ") AND (attribute_not_exists(#f) OR #f <= :fence)"
	}
	put := &types.Put{
		TableName:                aws.String(o.table),
		Item:                     item,
		ConditionExpression:      aws.String(cond),
		ExpressionAttributeNames: names,
	}
	if len(values) > 0 {
		put.ExpressionAttributeValues = values
	}
	return put, nil
}

func (o *OffsetStore) conflict(connector string, p connectors.Partition, prevVersion, fence int64, old map[string]types.AttributeValue) error {
	return &OffsetConflictError{
		Connector: connector, Partition: p.String(),
		ExpectedVersion: prevVersion, StoredVersion: getN(old, attrVersion),
		Fence: fence, StoredFence: getN(old, attrLeaseCounter),
	}
}

// List returns every committed offset of a connector, ordered by partition
// JSON (empty when none). Render it with PartitionOffsets.Connect for Kafka
// Connect's offsets shape.
func (o *OffsetStore) List(ctx context.Context, connector string) (PartitionOffsets, error) {
	var out PartitionOffsets
	var start map[string]types.AttributeValue
	for {
		res, err := o.api.Query(ctx, &dynamodb.QueryInput{
			TableName:                 aws.String(o.table),
			KeyConditionExpression:    aws.String("#c = :c"),
			ExpressionAttributeNames:  map[string]string{"#c": attrConnector},
			ExpressionAttributeValues: map[string]types.AttributeValue{":c": s(connector)},
			ConsistentRead:            aws.Bool(true),
			ExclusiveStartKey:         start,
		})
		if err != nil {
			return nil, fmt.Errorf("state: list offsets of connector %q in table %q: %w", connector, o.table, err)
		}
		for _, item := range res.Items {
			var p connectors.Partition
			if err := json.Unmarshal([]byte(getS(item, attrPartition)), &p); err != nil {
				return nil, fmt.Errorf("state: list offsets of connector %q: partition key %q is not a JSON object of strings: %w", connector, getS(item, attrPartition), err)
			}
			out = append(out, PartitionOffset{Partition: p, Offset: decodeOffset(item)})
		}
		if len(res.LastEvaluatedKey) == 0 {
			return out, nil
		}
		start = res.LastEvaluatedKey
	}
}

// ConnectOffsets is the body of Kafka Connect's GET
// /connectors/{name}/offsets: {"offsets":[{"partition":{...},"offset":{...}}]}.
type ConnectOffsets struct {
	Offsets []ConnectOffset `json:"offsets"`
}

// ConnectOffset is one entry of ConnectOffsets; Offset is null when the
// committed position is "from the beginning".
type ConnectOffset struct {
	Partition connectors.Partition `json:"partition"`
	Offset    json.RawMessage      `json:"offset"`
}

// Connect renders the offsets in Kafka Connect's REST shape.
func (p PartitionOffsets) Connect() ConnectOffsets {
	out := ConnectOffsets{Offsets: make([]ConnectOffset, 0, len(p))}
	for _, po := range p {
		raw := json.RawMessage("null")
		if po.Offset.Position != nil {
			raw = json.RawMessage(po.Offset.Position)
		}
		out.Offsets = append(out.Offsets, ConnectOffset{Partition: po.Partition, Offset: raw})
	}
	return out
}
