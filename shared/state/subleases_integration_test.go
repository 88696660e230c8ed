package state_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/serverless-kafka-connect/slkc/connectors"
	"github.com/serverless-kafka-connect/slkc/shared/state"
	"github.com/serverless-kafka-connect/slkc/shared/testenv"
)

// TestSubLeasesFenceCommits: a connector's sub-leases (per task, per
// partition) are independent of each other and of the connector's own
// lease; an offset commit is fenced by the sub-lease it was made under, so
// a holder whose partition lease was taken over cannot commit, and the
// offset keeps the connector's name.
func TestSubLeasesFenceCommits(t *testing.T) {
	env := testenv.New(t)
	ddb := env.Dynamo(t)
	leases := state.NewLeaseStore(ddb, env.DynamoTable(t, state.LeasesTableInput("")))
	offsets := state.NewOffsetStore(ddb, env.DynamoTable(t, state.OffsetsTableInput("")))
	now := time.Now()
	leases.Now = func() time.Time { return now }
	ctx := context.Background()
	a, b := state.LeaseKey("c", "partition:a"), state.LeaseKey("c", "partition:b")
	if a == b || a == "c" || !strings.Contains(a, `"c"`) {
		t.Fatalf("lease keys %s, %s", a, b)
	}
	own, err := leases.Acquire(ctx, "c", "conn-owner", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	la, err := leases.AcquireKey(ctx, "c", a, "run-1", time.Minute)
	if err != nil {
		t.Fatalf("sub-lease a while the connector lease is held: %v", err)
	}
	if _, err := leases.AcquireKey(ctx, "c", b, "run-2", time.Minute); err != nil {
		t.Fatalf("sub-lease b while a is held: %v", err)
	}
	_, err = leases.AcquireKey(ctx, "c", a, "run-3", time.Minute)
	var held *state.LeaseHeldError
	if !errors.As(err, &held) || held.Holder != "run-1" || !strings.Contains(err.Error(), a) {
		t.Fatalf("second holder of a: %v; want held by run-1, naming the key", err)
	}
	p := connectors.Partition{"protocol": "1", "table": "db.a"}
	v, err := offsets.Commit(ctx, la, p, connectors.Position(`{"incrementing":1}`), 0)
	if err != nil || v != 1 {
		t.Fatalf("commit under sub-lease a = %d, %v", v, err)
	}
	if off, err := offsets.Get(ctx, "c", p); err != nil || string(off.Position) != `{"incrementing":1}` {
		t.Fatalf("offset stored under connector c = %+v, %v", off, err)
	}
	// a expires and run-3 takes it over: run-1's next commit is refused.
	now = now.Add(2 * time.Minute)
	la3, err := leases.AcquireKey(ctx, "c", a, "run-3", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := offsets.Commit(ctx, la, p, connectors.Position(`{"incrementing":2}`), 1); !errors.Is(err, state.ErrLeaseLost) {
		t.Fatalf("commit by the superseded holder = %v; want ErrLeaseLost", err)
	}
	if _, err := offsets.Commit(ctx, la3, p, connectors.Position(`{"incrementing":2}`), 1); err != nil {
		t.Fatal(err)
	}
	if err := leases.Release(ctx, la); !errors.Is(err, state.ErrLeaseLost) {
		t.Errorf("release by the superseded holder = %v; want ErrLeaseLost", err)
	}
	if err := leases.Release(ctx, la3); err != nil {
		t.Error(err)
	}
	if cur, ok, err := leases.Current(ctx, "c"); err != nil || !ok || cur.Owner != own.Owner {
		t.Errorf("connector lease after the sub-lease traffic = %+v, %v, %v; want conn-owner's", cur, ok, err)
	}
}
