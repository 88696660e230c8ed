package sourcetask

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/serverless-kafka-connect/slkc/shared/convert"
	"github.com/serverless-kafka-connect/slkc/shared/state"
	"github.com/serverless-kafka-connect/slkc/shared/testenv"
)

// dynamoStores builds the three stores on fresh DynamoDB Local tables, each
// through its own CountingClient.
func dynamoStores(t *testing.T, env *testenv.Env) (*state.OffsetStore, *state.LeaseStore, *state.StatusStore, [3]*state.CountingClient) {
	t.Helper()
	ddb := env.Dynamo(t)
	var c [3]*state.CountingClient
	for i := range c {
		c[i] = state.NewCountingClient(ddb)
	}
	return state.NewOffsetStore(c[0], env.DynamoTable(t, state.OffsetsTableInput(""))),
		state.NewLeaseStore(c[1], env.DynamoTable(t, state.LeasesTableInput(""))),
		state.NewStatusStore(c[2], env.DynamoTable(t, state.StatusTableInput(""))),
		c
}

// countingLeases counts finished Acquire calls so the winner can wait for
// every contender.
type countingLeases struct {
	LeaseStore
	done atomic.Int32
}

func (c *countingLeases) Acquire(ctx context.Context, conn, owner string, ttl time.Duration) (state.Lease, error) {
	l, err := c.LeaseStore.Acquire(ctx, conn, owner, ttl)
	c.done.Add(1)
	return l, err
}

// TestConcurrentRunsOneWorks starts 10 Runs of one connector at once (as
// EventBridge duplicates and async retries would) against DynamoDB Local
// and kfake: exactly one does the work, every record is produced once.
func TestConcurrentRunsOneWorks(t *testing.T) {
	env := testenv.New(t)
	offsets, leases, status, _ := dynamoStores(t, env)
	c, cl := newKfake(t, "orders")
	cleases := &countingLeases{LeaseStore: leases}
	const runs = 10
	src := &fakeSource{tables: []string{"shop.a", "shop.b"}, rows: 15, pageSize: 4, topic: "orders", badRow: -1,
		before: func() {
			deadline := time.Now().Add(20 * time.Second)
			for cleases.done.Load() < runs && time.Now().Before(deadline) {
				time.Sleep(5 * time.Millisecond)
			}
		}}
	logger, _ := logBuffer()
	task := func() *Task {
		return &Task{Name: "orders-source", Source: src, Producer: cl, KeyConv: jsonConv{}, ValueConv: jsonConv{},
			Offsets: offsets, Leases: cleases, Status: status, WorkerID: "w", Logger: logger}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var wg sync.WaitGroup
	results := make([]Result, runs)
	errs := make([]error, runs)
	for i := range runs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = task().Run(ctx, fmt.Sprintf("req-%d", i))
		}()
	}
	wg.Wait()
	worked, skipped := 0, 0
	for i := range runs {
		if errs[i] != nil {
			t.Errorf("run %d: %v", i, errs[i])
		}
		if results[i].Skipped {
			skipped++
		} else {
			worked++
			if results[i].Records != 30 {
				t.Errorf("working run produced %d records, want 30", results[i].Records)
			}
		}
	}
	if worked != 1 || skipped != runs-1 {
		t.Fatalf("%d runs worked, %d skipped; want exactly 1 worker", worked, skipped)
	}
	recs := consumeAll(t, c.ListenAddrs(), "orders", 30)
	seen := map[string]bool{}
	for _, r := range recs {
		if seen[string(r.Value)] {
			t.Errorf("record %s produced twice", r.Value)
		}
		seen[string(r.Value)] = true
	}
	body, err := status.ConnectStatus(ctx, "orders-source")
	if err != nil || body.Connector.State != state.StateRunning || len(body.Tasks) != 1 || body.Tasks[0].State != state.StateRunning {
		t.Errorf("status = %+v, %v", body, err)
	}
}

// TestRunOnRealStack produces through the real broker with the real
// JsonConverter and measures DynamoDB requests per page.
func TestRunOnRealStack(t *testing.T) {
	env := testenv.New(t)
	topic := env.Topic(t, 1)
	offsets, leases, status, counts := dynamoStores(t, env)
	conv, err := convert.New(convert.JSONConverterClass, map[string]string{"schemas.enable": "false"}, false)
	if err != nil {
		t.Fatal(err)
	}
	keyConv, err := convert.New(convert.StringConverterClass, nil, true)
	if err != nil {
		t.Fatal(err)
	}
	src := &fakeSource{tables: []string{"shop.orders"}, rows: 25, pageSize: 5, topic: topic, badRow: -1}
	logger, _ := logBuffer()
	task := &Task{Name: "real-source", Source: src, Producer: env.Kafka(t), KeyConv: keyConv, ValueConv: conv,
		Offsets: offsets, Leases: leases, Status: status, WorkerID: "w", Logger: logger}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := task.Run(ctx, "req-1")
	if err != nil {
		t.Fatal(err)
	}
	if res.Pages != 5 || res.Records != 25 {
		t.Fatalf("result = %+v", res)
	}
	recs := consumeAll(t, env.Seeds(), topic, 25)
	for i, r := range recs {
		if want := fmt.Sprintf(`"shop.orders-%d"`, i); string(r.Value) != want || string(r.Key) != fmt.Sprint(i) {
			t.Errorf("record %d = %s/%s, want key %d value %s", i, r.Key, r.Value, i, want)
		}
	}
	oc, lc, sc := counts[0].Counts(), counts[1].Counts(), counts[2].Counts()
	off := oc["PutItem"]
	writes := counts[0].Writes() + counts[1].Writes() + counts[2].Writes()
	t.Logf("DynamoDB requests: offsets %v, leases %v, status %v; %d pages", oc, lc, sc, res.Pages)
	// Per page exactly one write (the fenced offset PutItem); per run a
	// fixed overhead: lease PutItem + release UpdateItem + status PutItem.
	if off != res.Pages {
		t.Errorf("offset PutItem = %d for %d pages; want one per page", off, res.Pages)
	}
	if writes != res.Pages+3 {
		t.Errorf("total writes = %d, want pages+3 = %d", writes, res.Pages+3)
	}
	stored, err := offsets.Get(ctx, "real-source", src.mustPartition(0))
	if err != nil || string(stored.Position) != `{"i":25}` || stored.Fence != res.LeaseCounter {
		t.Errorf("stored offset = %+v, %v; want {\"i\":25} fenced by %d", stored, err, res.LeaseCounter)
	}
}
