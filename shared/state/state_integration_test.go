package state_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/serverless-kafka-connect/slkc/connectors"
	"github.com/serverless-kafka-connect/slkc/shared/state"
	"github.com/serverless-kafka-connect/slkc/shared/testenv"
)

var part = connectors.Partition{"protocol": "1", "table": "shop.orders"}

func TestOffsetStoreIntegration(t *testing.T) {
	env := testenv.New(t)
	client := state.NewCountingClient(env.Dynamo(t))
	table := env.DynamoTable(t, state.OffsetsTableInput(""))
	store := state.NewOffsetStore(client, table)
	ctx := context.Background()

	got, err := store.Get(ctx, "c1", part)
	if err != nil || got.Version != 0 || got.Position != nil {
		t.Fatalf("Get on empty table = %+v, %v; want zero offset", got, err)
	}
	v1, err := store.Put(ctx, "c1", part, connectors.Position(`{"incrementing":1}`), 0)
	if err != nil || v1 != 1 {
		t.Fatalf("first Put = %d, %v; want 1, nil", v1, err)
	}
	if _, err := store.Put(ctx, "c1", part, connectors.Position(`{"incrementing":9}`), 0); !errors.Is(err, state.ErrOffsetConflict) {
		t.Fatalf("second Put with prevVersion 0 = %v; want ErrOffsetConflict", err)
	}
	var ce *state.OffsetConflictError
	_, err = store.Put(ctx, "c1", part, connectors.Position(`{"incrementing":9}`), 7)
	if !errors.As(err, &ce) || ce.StoredVersion != 1 || ce.ExpectedVersion != 7 {
		t.Fatalf("Put with wrong version = %v; want *OffsetConflictError with stored version 1", err)
	}
	// A poller's commit is fenced by its lease.
	leases := state.NewLeaseStore(client, env.DynamoTable(t, state.LeasesTableInput("")))
	lease, err := leases.Acquire(ctx, "c1", "run-a", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	v2, err := store.Commit(ctx, lease, part, connectors.Position(`{"incrementing":2}`), v1)
	if err != nil || v2 != 2 {
		t.Fatalf("Commit = %d, %v", v2, err)
	}
	got, err = store.Get(ctx, "c1", part)
	if err != nil || string(got.Position) != `{"incrementing":2}` || got.Version != 2 || got.Fence != lease.Counter || got.UpdatedAt.IsZero() {
		t.Fatalf("Get = %+v, %v", got, err)
	}

	other := connectors.Partition{"query": "SELECT 1"}
	if _, err := store.Put(ctx, "c1", other, nil, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Put(ctx, "c2", part, connectors.Position(`{"x":1}`), 0); err != nil {
		t.Fatal(err)
	}
	list, err := store.List(ctx, "c1")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(list.Connect())
	want := `{"offsets":[{"partition":{"protocol":"1","table":"shop.orders"},"offset":{"incrementing":2}},{"partition":{"query":"SELECT 1"},"offset":null}]}`
	if string(body) != want {
		t.Errorf("Connect offsets =\n%s\nwant\n%s", body, want)
	}
	if c := client.Counts(); c["PutItem"] != 6 || c["TransactWriteItems"] != 1 {
		t.Errorf("counts = %v, want 6 PutItem (five Puts and the lease) and 1 TransactWriteItems", c)
	}
}

// TestOffsetsNeverMoveBackwards runs 10 writers that each read the offset
// and try to advance it; every successful write must be exactly one step
// ahead of the previous one.
func TestOffsetsNeverMoveBackwards(t *testing.T) {
	env := testenv.New(t)
	table := env.DynamoTable(t, state.OffsetsTableInput(""))
	store := state.NewOffsetStore(env.Dynamo(t), table)
	ctx := context.Background()

	const writers, attempts = 10, 8
	var mu sync.Mutex
	var successes []int
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range attempts {
				cur, err := store.Get(ctx, "race", part)
				if err != nil {
					t.Error(err)
					return
				}
				var pos struct{ N int }
				if cur.Position != nil {
					_ = json.Unmarshal(cur.Position, &pos)
				}
				next := pos.N + 1
				_, err = store.Put(ctx, "race", part, connectors.Position(fmt.Sprintf(`{"n":%d,"w":%d}`, next, w)), cur.Version)
				switch {
				case errors.Is(err, state.ErrOffsetConflict):
				case err != nil:
					t.Error(err)
					return
				default:
					mu.Lock()
					successes = append(successes, next)
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	final, err := store.Get(ctx, "race", part)
	if err != nil {
		t.Fatal(err)
	}
	var pos struct{ N int }
	if err := json.Unmarshal(final.Position, &pos); err != nil {
		t.Fatal(err)
	}
	seen := map[int]bool{}
	for _, s := range successes {
		if seen[s] {
			t.Errorf("position %d committed twice: a writer overwrote a newer offset", s)
		}
		seen[s] = true
	}
	if pos.N != len(successes) || final.Version != int64(len(successes)) {
		t.Errorf("final position %d version %d after %d successful writes; want all equal", pos.N, final.Version, len(successes))
	}
	if len(successes) == 0 || len(successes) == writers*attempts {
		t.Logf("successes=%d (no contention observed)", len(successes))
	}
}

func TestLeaseStoreIntegration(t *testing.T) {
	env := testenv.New(t)
	table := env.DynamoTable(t, state.LeasesTableInput(""))
	client := state.NewCountingClient(env.Dynamo(t))
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	leases := state.NewLeaseStore(client, table)
	leases.Now = func() time.Time { return now }
	ctx := context.Background()

	a, err := leases.Acquire(ctx, "conn", "req-a", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if a.Counter <= 0 || !a.ExpiresAt.Equal(now.Add(time.Minute)) {
		t.Fatalf("lease = %+v", a)
	}
	if n := client.Total(); n != 2 {
		t.Errorf("Acquire used %d requests, want 2 (GetItem + PutItem)", n)
	}

	_, err = leases.Acquire(ctx, "conn", "req-b", time.Minute)
	var held *state.LeaseHeldError
	if !errors.As(err, &held) || !errors.Is(err, state.ErrLeaseHeld) || held.Holder != "req-a" || !held.ExpiresAt.Equal(a.ExpiresAt) {
		t.Fatalf("second Acquire = %v; want ErrLeaseHeld by req-a until %s", err, a.ExpiresAt)
	}

	// The same owner name does not re-enter an unexpired lease.
	if _, err := leases.Acquire(ctx, "conn", "req-a", time.Minute); !errors.Is(err, state.ErrLeaseHeld) {
		t.Fatalf("re-acquire by the same owner name = %v; want ErrLeaseHeld", err)
	}
	a2 := a

	// After expiry another owner takes over.
	now = now.Add(61 * time.Second)
	b, err := leases.Acquire(ctx, "conn", "req-b", time.Minute)
	if err != nil || b.Counter <= a2.Counter {
		t.Fatalf("takeover after expiry = %+v, %v", b, err)
	}
	// The stale holder can neither renew nor release the newer lease.
	if _, err := leases.Renew(ctx, a2, time.Minute); !errors.Is(err, state.ErrLeaseLost) {
		t.Errorf("stale Renew = %v; want ErrLeaseLost", err)
	}
	if err := leases.Release(ctx, a2); !errors.Is(err, state.ErrLeaseLost) {
		t.Errorf("stale Release = %v; want ErrLeaseLost", err)
	}
	if _, err := leases.Acquire(ctx, "conn", "req-c", time.Minute); !errors.Is(err, state.ErrLeaseHeld) {
		t.Errorf("Acquire after stale release = %v; want still held by req-b", err)
	}
	// Knowing the holder's counter is not enough: only its owner releases.
	forged := b
	forged.Owner = "req-a"
	if err := leases.Release(ctx, forged); !errors.Is(err, state.ErrLeaseLost) {
		t.Errorf("Release of req-b's counter by req-a = %v; want ErrLeaseLost", err)
	}
	if cur, ok, err := leases.Current(ctx, "conn"); err != nil || !ok || cur.Owner != "req-b" || cur.Counter != b.Counter || !cur.Held(now) {
		t.Errorf("Current after forged release = %+v %v %v; want held by req-b", cur, ok, err)
	}
	b, err = leases.Renew(ctx, b, 2*time.Minute)
	if err != nil || !b.ExpiresAt.Equal(now.Add(2*time.Minute)) {
		t.Fatalf("Renew = %+v, %v", b, err)
	}
	if err := leases.Release(ctx, b); err != nil {
		t.Fatal(err)
	}
	c, err := leases.Acquire(ctx, "conn", "req-c", time.Minute)
	if err != nil || c.Counter <= b.Counter {
		t.Fatalf("Acquire after release = %+v, %v", c, err)
	}
}

// TestCommitFencedByLease: once another owner took the lease over, the old
// holder's next commit is refused with ErrLeaseLost before the new holder
// wrote anything, and nothing of it is stored.
func TestCommitFencedByLease(t *testing.T) {
	env := testenv.New(t)
	client := state.NewCountingClient(env.Dynamo(t))
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	leases := state.NewLeaseStore(client, env.DynamoTable(t, state.LeasesTableInput("")))
	leases.Now = func() time.Time { return now }
	store := state.NewOffsetStore(client, env.DynamoTable(t, state.OffsetsTableInput("")))
	ctx := context.Background()

	a, err := leases.Acquire(ctx, "conn", "run-a", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	v, err := store.Commit(ctx, a, part, connectors.Position(`{"incrementing":1}`), 0)
	if err != nil {
		t.Fatal(err)
	}
	now = now.Add(2 * time.Minute) // a's lease expires; b takes over
	b, err := leases.Acquire(ctx, "conn", "run-b", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	_, err = store.Commit(ctx, a, part, connectors.Position(`{"incrementing":2}`), v)
	var lost *state.LeaseLostError
	if !errors.As(err, &lost) || !errors.Is(err, state.ErrLeaseLost) || lost.StoredOwner != "run-b" || lost.StoredCounter != b.Counter {
		t.Fatalf("superseded Commit = %v; want ErrLeaseLost naming run-b and counter %d", err, b.Counter)
	}
	// A released lease fences too: the owner of the released counter
	// cannot write after a new acquire.
	if err := leases.Release(ctx, b); err != nil {
		t.Fatal(err)
	}
	c, err := leases.Acquire(ctx, "conn", "run-c", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.Commit(ctx, b, part, connectors.Position(`{"incrementing":3}`), v); !errors.Is(err, state.ErrLeaseLost) {
		t.Fatalf("Commit under a released lease = %v; want ErrLeaseLost", err)
	}
	got, err := store.Get(ctx, "conn", part)
	if err != nil || string(got.Position) != `{"incrementing":1}` || got.Version != 1 || got.Fence != a.Counter {
		t.Fatalf("stored offset = %+v, %v; want a's first commit untouched", got, err)
	}
	// The holder's commit with a stale version is an offset conflict, not
	// a lost lease.
	if _, err := store.Commit(ctx, c, part, connectors.Position(`{"incrementing":3}`), 7); !errors.Is(err, state.ErrOffsetConflict) || errors.Is(err, state.ErrLeaseLost) {
		t.Fatalf("Commit with a stale version = %v; want only ErrOffsetConflict", err)
	}
	if v, err := store.Commit(ctx, c, part, connectors.Position(`{"incrementing":3}`), 1); err != nil || v != 2 {
		t.Fatalf("holder's Commit = %d, %v", v, err)
	}
}

func TestLeaseConcurrentAcquire(t *testing.T) {
	env := testenv.New(t)
	table := env.DynamoTable(t, state.LeasesTableInput(""))
	leases := state.NewLeaseStore(env.Dynamo(t), table)
	var wg sync.WaitGroup
	var mu sync.Mutex
	won := 0
	for i := range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := leases.Acquire(context.Background(), "conn", fmt.Sprintf("req-%d", i), time.Minute)
			switch {
			case err == nil:
				mu.Lock()
				won++
				mu.Unlock()
			case !errors.Is(err, state.ErrLeaseHeld):
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if won != 1 {
		t.Errorf("%d of 10 concurrent Acquire calls won; want exactly 1", won)
	}
}

func TestStatusStoreIntegration(t *testing.T) {
	env := testenv.New(t)
	table := env.DynamoTable(t, state.StatusTableInput(""))
	store := state.NewStatusStore(env.Dynamo(t), table)
	ctx := context.Background()
	start := time.Date(2026, 11, 23, 12, 0, 0, 123000000, time.UTC)
	task := state.Status{
		Connector: "orders-source", Task: "task-0", Type: state.TypeSource, State: state.StateFailed,
		WorkerID: "slkc-orders-source", RequestID: "req-1", RunStart: start, RunEnd: start.Add(3 * time.Second),
		Counters:       map[string]int64{"records.produced": 42, "rows.read.shop.orders": 42},
		HighWatermarks: map[string]int64{"orders-0": 17},
		LastError:      &state.ErrorInfo{Class: "org.apache.kafka.connect.errors.DataException", Message: "bad decimal", Trace: "convert: bad decimal", At: start},
	}
	if err := store.Put(ctx, task); err != nil {
		t.Fatal(err)
	}
	got, err := store.Get(ctx, "orders-source")
	if err != nil || len(got) != 1 {
		t.Fatalf("Get = %+v, %v", got, err)
	}
	if g := got[0]; g.State != task.State || !g.RunStart.Equal(start) || g.Counters["records.produced"] != 42 ||
		g.HighWatermarks["orders-0"] != 17 || g.LastError == nil || g.LastError.Message != "bad decimal" || g.RequestID != "req-1" {
		t.Errorf("round trip = %+v", g)
	}
	body, err := store.ConnectStatus(ctx, "orders-source")
	if err != nil {
		t.Fatal(err)
	}
	js, _ := json.Marshal(body)
	want := `{"name":"orders-source","connector":{"state":"RUNNING","worker_id":"slkc-orders-source"},"tasks":[{"id":0,"state":"FAILED","worker_id":"slkc-orders-source","trace":"org.apache.kafka.connect.errors.DataException: bad decimal\nconvert: bad decimal"}],"type":"source"}`
	if string(js) != want {
		t.Errorf("ConnectStatus =\n%s\nwant\n%s", js, want)
	}
	empty, err := store.ConnectStatus(ctx, "nothing")
	if err != nil || empty.Connector.State != state.StateUnassigned || len(empty.Tasks) != 0 {
		t.Errorf("ConnectStatus of unknown connector = %+v, %v", empty, err)
	}
}

func TestCreateTablesIntegration(t *testing.T) {
	env := testenv.New(t)
	client := env.Dynamo(t)
	suffix := strings.ToLower(testenv.UniqueName(t, "ct", 40))
	tables := state.Tables{Offsets: suffix + "-o", Leases: suffix + "-l", Status: suffix + "-s"}
	t.Cleanup(func() {
		for _, n := range []string{tables.Offsets, tables.Leases, tables.Status} {
			_, _ = client.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: aws.String(n)})
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for i := range 2 { // idempotent
		if err := state.CreateTables(ctx, client, tables); err != nil {
			t.Fatalf("CreateTables #%d: %v", i+1, err)
		}
	}
	ttl, err := client.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(tables.Leases)})
	if err != nil {
		t.Fatal(err)
	}
	if d := ttl.TimeToLiveDescription; d == nil || aws.ToString(d.AttributeName) != "ttl" {
		t.Errorf("TTL = %+v; want attribute ttl", d)
	}
	if _, err := state.NewOffsetStore(client, tables.Offsets).Put(ctx, "c", part, connectors.Position(`{}`), 0); err != nil {
		t.Errorf("Put into created offsets table: %v", err)
	}
}

// appliedButCancelled applies PutItem and then answers as if the caller's
// context had ended while the request was in flight.
type appliedButCancelled struct{ state.API }

func (a appliedButCancelled) PutItem(ctx context.Context, in *dynamodb.PutItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	if _, err := a.API.PutItem(context.WithoutCancel(ctx), in, opts...); err != nil {
		return nil, err
	}
	return nil, context.Canceled
}

// TestLeaseAcquireOfUnknownOutcomeReleased: an acquire whose write went
// through but whose caller saw it fail (its context cancelled in flight)
// leaves no lease behind that nobody knows it holds; the next run takes the
// key at once instead of after the TTL. Without the release it stays held
// for the whole TTL (here an hour).
func TestLeaseAcquireOfUnknownOutcomeReleased(t *testing.T) {
	env := testenv.New(t)
	table := env.DynamoTable(t, state.LeasesTableInput(""))
	ctx := context.Background()
	cancelled := state.NewLeaseStore(appliedButCancelled{env.Dynamo(t)}, table)
	key := state.LeaseKey("conn", "chunk-1")
	if _, err := cancelled.AcquireKey(ctx, "conn", key, "run-1", time.Hour); !errors.Is(err, context.Canceled) {
		t.Fatalf("AcquireKey = %v; want the cancellation", err)
	}
	leases := state.NewLeaseStore(env.Dynamo(t), table)
	if _, err := leases.AcquireKey(ctx, "conn", key, "run-2", time.Hour); err != nil {
		t.Fatalf("the next run's AcquireKey = %v; want the key free", err)
	}
}
