package state

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/serverless-kafka-connect/slkc/connectors"
)

// fakeAPI answers GetItem from item and fails PutItem and
// TransactWriteItems with putErr; it records the last inputs. Unimplemented
// methods panic via the nil embedded interface.
type fakeAPI struct {
	API
	item    map[string]types.AttributeValue
	putErr  error
	lastPut *dynamodb.PutItemInput
	lastTx  *dynamodb.TransactWriteItemsInput
	txErr   error
}

func (f *fakeAPI) TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, _ ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	f.lastTx = in
	return &dynamodb.TransactWriteItemsOutput{}, f.txErr
}

func (f *fakeAPI) GetItem(ctx context.Context, in *dynamodb.GetItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	return &dynamodb.GetItemOutput{Item: f.item}, nil
}

func (f *fakeAPI) PutItem(ctx context.Context, in *dynamodb.PutItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	f.lastPut = in
	return &dynamodb.PutItemOutput{}, f.putErr
}

func TestOffsetPutConditions(t *testing.T) {
	p := connectors.Partition{"table": "db.t", "protocol": "1"}
	tests := []struct {
		name     string
		prev     int64
		wantCond string
	}{
		{"first write", 0, "attribute_not_exists(#c)"},
		{"next write", 4, "#v = :prev"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeAPI{}
			c := NewCountingClient(f)
			st := NewOffsetStore(c, "offs")
			st.Now = func() time.Time { return time.UnixMilli(1700000000000) }
			v, err := st.Put(context.Background(), "c", p, connectors.Position(`{"incrementing":1}`), tt.prev)
			if err != nil || v != tt.prev+1 {
				t.Fatalf("Put = %d, %v", v, err)
			}
			in := f.lastPut
			if got := aws.ToString(in.ConditionExpression); got != tt.wantCond {
				t.Errorf("condition = %q, want %q", got, tt.wantCond)
			}
			if getS(in.Item, attrPartition) != `{"protocol":"1","table":"db.t"}` || getN(in.Item, attrVersion) != tt.prev+1 ||
				getN(in.Item, attrLeaseCounter) != 0 || getN(in.Item, attrUpdatedAt) != 1700000000000 {
				t.Errorf("item = %v", in.Item)
			}
			if c.Total() != 1 || c.Writes() != 1 {
				t.Errorf("requests = %v, want exactly one PutItem", c.Counts())
			}
		})
	}
}

// TestCommitIsOneTransaction checks Commit's request: one
// TransactWriteItems whose first action checks the lease's owner and
// counter on the leases table and whose second puts the offset under the
// version and fence conditions.
func TestCommitIsOneTransaction(t *testing.T) {
	p := connectors.Partition{"table": "db.t", "protocol": "1"}
	lease := Lease{Connector: "c", Owner: "run-1", Counter: 9, table: "leases"}
	tests := []struct {
		name     string
		prev     int64
		wantCond string
	}{
		{"first write", 0, "(attribute_not_exists(#c)) AND (attribute_not_exists(#f) OR #f <= :fence)"},
		{"next write", 4, "(#v = :prev) AND (attribute_not_exists(#f) OR #f <= :fence)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeAPI{}
			c := NewCountingClient(f)
			st := NewOffsetStore(c, "offs")
			v, err := st.Commit(context.Background(), lease, p, connectors.Position(`{"incrementing":1}`), tt.prev)
			if err != nil || v != tt.prev+1 {
				t.Fatalf("Commit = %d, %v", v, err)
			}
			if c.Total() != 1 || c.Counts()["TransactWriteItems"] != 1 || c.Writes() != 1 {
				t.Errorf("requests = %v, want exactly one TransactWriteItems", c.Counts())
			}
			items := f.lastTx.TransactItems
			if len(items) != 2 || items[0].ConditionCheck == nil || items[1].Put == nil {
				t.Fatalf("transaction = %+v; want [ConditionCheck, Put]", items)
			}
			cc, put := items[0].ConditionCheck, items[1].Put
			if aws.ToString(cc.TableName) != "leases" || getS(cc.Key, attrConnector) != "c" ||
				aws.ToString(cc.ConditionExpression) != "#n = :counter AND #o = :owner" ||
				getN(cc.ExpressionAttributeValues, ":counter") != 9 || getS(cc.ExpressionAttributeValues, ":owner") != "run-1" {
				t.Errorf("condition check = %+v", cc)
			}
			if aws.ToString(put.TableName) != "offs" || aws.ToString(put.ConditionExpression) != tt.wantCond ||
				getN(put.Item, attrLeaseCounter) != 9 || getN(put.Item, attrVersion) != tt.prev+1 || getS(put.Item, attrOffset) != `{"incrementing":1}` {
				t.Errorf("put = %+v", put)
			}
		})
	}
}

func TestCommitErrors(t *testing.T) {
	p := connectors.Partition{"query": "q"}
	lease := Lease{Connector: "c", Owner: "run-1", Counter: 9, table: "leases"}
	reason := func(code string, item map[string]types.AttributeValue) types.CancellationReason {
		return types.CancellationReason{Code: aws.String(code), Item: item}
	}
	tests := []struct {
		name      string
		lease     Lease
		txErr     error
		wantLost  bool
		wantConfl bool
	}{
		{"lease taken over", lease, &types.TransactionCanceledException{CancellationReasons: []types.CancellationReason{
			reason("ConditionalCheckFailed", map[string]types.AttributeValue{attrOwner: s("run-2"), attrCounter: n(10)}), reason("None", nil)}}, true, false},
		{"offset moved", lease, &types.TransactionCanceledException{CancellationReasons: []types.CancellationReason{
			reason("None", nil), reason("ConditionalCheckFailed", map[string]types.AttributeValue{attrVersion: n(5)})}}, false, true},
		{"other error", lease, &types.ProvisionedThroughputExceededException{}, false, false},
		{"lease not from a store", Lease{Connector: "c", Owner: "x", Counter: 1}, nil, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := NewOffsetStore(&fakeAPI{txErr: tt.txErr}, "offs")
			_, err := st.Commit(context.Background(), tt.lease, p, connectors.Position(`{}`), 4)
			if err == nil {
				t.Fatal("want error")
			}
			if errors.Is(err, ErrLeaseLost) != tt.wantLost || errors.Is(err, ErrOffsetConflict) != tt.wantConfl {
				t.Fatalf("error %v: lost=%v conflict=%v, want %v %v", err, errors.Is(err, ErrLeaseLost), errors.Is(err, ErrOffsetConflict), tt.wantLost, tt.wantConfl)
			}
			var lost *LeaseLostError
			if tt.wantLost && (!errors.As(err, &lost) || lost.StoredOwner != "run-2" || lost.StoredCounter != 10 || lost.Counter != 9) {
				t.Errorf("lease lost = %+v", lost)
			}
			var ce *OffsetConflictError
			if tt.wantConfl && (!errors.As(err, &ce) || ce.StoredVersion != 5 || ce.ExpectedVersion != 4) {
				t.Errorf("conflict = %+v", ce)
			}
			if tt.txErr != nil && !tt.wantLost && !tt.wantConfl && !errors.Is(err, tt.txErr) {
				t.Errorf("cause lost: %v", err)
			}
		})
	}
}

func TestOffsetPutErrors(t *testing.T) {
	p := connectors.Partition{"query": "q"}
	ccf := &types.ConditionalCheckFailedException{Item: map[string]types.AttributeValue{attrVersion: n(5), attrLeaseCounter: n(77)}}
	tests := []struct {
		name         string
		putErr       error
		pos          connectors.Position
		wantConflict bool
		wantStored   int64
	}{
		{"conflict carries stored item", ccf, connectors.Position(`{}`), true, 5},
		{"conflict without item", &types.ConditionalCheckFailedException{}, connectors.Position(`{}`), true, 0},
		{"other error is not a conflict", &types.ProvisionedThroughputExceededException{}, connectors.Position(`{}`), false, 0},
		{"invalid position JSON", nil, connectors.Position(`{`), false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := NewOffsetStore(&fakeAPI{putErr: tt.putErr}, "offs")
			_, err := st.Put(context.Background(), "c", p, tt.pos, 4)
			if err == nil {
				t.Fatal("want error")
			}
			if errors.Is(err, ErrOffsetConflict) != tt.wantConflict {
				t.Fatalf("errors.Is(%v, ErrOffsetConflict) = %v", err, !tt.wantConflict)
			}
			var ce *OffsetConflictError
			if tt.wantConflict && (!errors.As(err, &ce) || ce.StoredVersion != tt.wantStored || ce.ExpectedVersion != 4) {
				t.Errorf("conflict = %+v", ce)
			}
			if tt.putErr != nil && !errors.Is(err, tt.putErr) && !tt.wantConflict {
				t.Errorf("cause lost: %v", err)
			}
		})
	}
}

func TestAcquireHeldCostsNoWrite(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f := &fakeAPI{item: map[string]types.AttributeValue{
		attrConnector: s("c"), attrOwner: s("other"), attrCounter: n(10), attrExpiresAt: n(now.Add(time.Second).UnixMilli()),
	}}
	c := NewCountingClient(f)
	ls := NewLeaseStore(c, "leases")
	ls.Now = func() time.Time { return now }
	_, err := ls.Acquire(context.Background(), "c", "me", time.Minute)
	var held *LeaseHeldError
	if !errors.As(err, &held) || held.Holder != "other" || held.Counter != 10 {
		t.Fatalf("Acquire = %v; want held by other", err)
	}
	// The same owner name does not re-enter an unexpired lease: owners are
	// unique per run, and an async retry reuses the request id.
	if _, err := ls.Acquire(context.Background(), "c", "other", time.Minute); !errors.Is(err, ErrLeaseHeld) {
		t.Fatalf("Acquire by the holder's owner name = %v; want ErrLeaseHeld", err)
	}
	if c.Writes() != 0 {
		t.Errorf("writes = %d; a held lease must not cost a write", c.Writes())
	}
	// Expired: the write is conditional on the counter read.
	now = now.Add(time.Second)
	l, err := ls.Acquire(context.Background(), "c", "me", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if l.Counter != now.UnixMilli() {
		t.Errorf("counter = %d, want max(11, now millis) = %d", l.Counter, now.UnixMilli())
	}
	if cond := aws.ToString(f.lastPut.ConditionExpression); cond != "#n = :prev AND #e <= :now" {
		t.Errorf("condition = %q", cond)
	}
	if ttl := getN(f.lastPut.Item, attrTTL); ttl != now.Add(time.Minute+DefaultLeaseRetention).Unix() {
		t.Errorf("ttl = %d", ttl)
	}
}

func TestTablesFromEnv(t *testing.T) {
	t.Setenv("SLKC_OFFSETS_TABLE", "")
	t.Setenv("SLKC_LEASES_TABLE", "my-leases")
	t.Setenv("SLKC_STATUS_TABLE", "")
	got := TablesFromEnv()
	want := Tables{Offsets: "slkc-offsets", Leases: "my-leases", Status: "slkc-status"}
	if got != want {
		t.Errorf("TablesFromEnv = %+v, want %+v", got, want)
	}
}

func TestRenderConnectStatus(t *testing.T) {
	failed := &ErrorInfo{Class: "C", Message: "m", Trace: "t"}
	tests := []struct {
		name  string
		items []Status
		want  string
	}{
		{"none", nil, `{"name":"x","connector":{"state":"UNASSIGNED","worker_id":""},"tasks":[]}`},
		{"tasks ordered numerically, connector derived", []Status{
			{Task: "task-10", State: StateRunning, WorkerID: "w", Type: TypeSink},
			{Task: "task-2", State: StateFailed, WorkerID: "w", Type: TypeSink, LastError: failed},
		}, `{"name":"x","connector":{"state":"RUNNING","worker_id":"w"},"tasks":[{"id":2,"state":"FAILED","worker_id":"w","trace":"C: m\nt"},{"id":10,"state":"RUNNING","worker_id":"w"}],"type":"sink"}`},
		{"connector item wins", []Status{
			{Task: ConnectorTask, State: StatePaused, WorkerID: "cw", Type: TypeSource},
			{Task: "task-0", State: StateRunning, WorkerID: "w", LastError: failed},
		}, `{"name":"x","connector":{"state":"PAUSED","worker_id":"cw"},"tasks":[{"id":0,"state":"RUNNING","worker_id":"w"}],"type":"source"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			js, err := json.Marshal(RenderConnectStatus("x", tt.items))
			if err != nil {
				t.Fatal(err)
			}
			if string(js) != tt.want {
				t.Errorf("got\n%s\nwant\n%s", js, tt.want)
			}
		})
	}
}
