package sourcetask

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"

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
// EventBridge duplicates and async retries would), each a separate Task as
// in separate processes, against DynamoDB Local and the real broker: once
// with distinct request ids and once with one shared request id (Lambda's
// async retries reuse it). Exactly one run produces, every record is on the
// topic once, and while the winner works its lease is still in force after
// every loser has finished (no loser released it).
func TestConcurrentRunsOneWorks(t *testing.T) {
	for _, shared := range []bool{false, true} {
		name := "distinct-request-ids"
		if shared {
			name = "identical-request-ids"
		}
		t.Run(name, func(t *testing.T) {
			env := testenv.New(t)
			topic := env.Topic(t, 1)
			offsets, leases, status, _ := dynamoStores(t, env)
			cleases := &countingLeases{LeaseStore: leases}
			const runs = 10
			var heldDuringWork atomic.Bool
			src := &fakeSource{tables: []string{"shop.a", "shop.b"}, rows: 15, pageSize: 4, topic: topic, badRow: -1,
				before: func() {
					deadline := time.Now().Add(20 * time.Second)
					for cleases.done.Load() < runs && time.Now().Before(deadline) {
						time.Sleep(5 * time.Millisecond)
					}
					cur, ok, err := leases.Current(context.Background(), "orders-source")
					heldDuringWork.Store(err == nil && ok && cur.Held(time.Now()))
				}}
			logger, _ := logBuffer()
			producer := env.Kafka(t)
			task := func() *Task {
				return &Task{Name: "orders-source", Source: src, Producer: producer, KeyConv: jsonConv{}, ValueConv: jsonConv{},
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
					req := fmt.Sprintf("req-%d", i)
					if shared {
						req = "req-shared"
					}
					results[i], errs[i] = task().Run(ctx, req)
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
			if !heldDuringWork.Load() {
				t.Error("the winner's lease was not in force after the losers finished: a loser released it")
			}
			ends, err := env.KafkaAdmin(t).ListEndOffsets(ctx, topic)
			if err != nil {
				t.Fatal(err)
			}
			if end, _ := ends.Lookup(topic, 0); end.Offset != 30 {
				t.Errorf("topic holds %d records, want exactly 30", end.Offset)
			}
			recs := consumeAll(t, env.Seeds(), topic, 30)
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
		})
	}
}

// TestSupersededRunStopsOnRealStack: run A holds the lease; while A's
// second page is read, A's lease expires (a settable clock) and run B takes
// it over. A's next offset write (page 2's) is refused in DynamoDB, A stops
// with ErrLeaseLost having produced only its first three pages (the third
// was read ahead and handed to the producer, a real client, before page
// 2's write), the stored offset is A's first page, and B's lease is still
// in force (A did not release it).
func TestSupersededRunStopsOnRealStack(t *testing.T) {
	env := testenv.New(t)
	topic := env.Topic(t, 1)
	offsets, leases, _, _ := dynamoStores(t, env)
	var mu sync.Mutex
	now := time.Now()
	leases.Now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	var b state.Lease
	var bErr error
	reads := 0
	src := &fakeSource{tables: []string{"shop.a"}, rows: 20, pageSize: 4, topic: topic, badRow: -1,
		onRead: func() {
			reads++
			if reads == 2 {
				mu.Lock()
				now = now.Add(time.Hour)
				mu.Unlock()
				b, bErr = leases.Acquire(context.Background(), "orders-source", Owner("req-b"), time.Hour)
			}
		}}
	logger, _ := logBuffer()
	task := &Task{Name: "orders-source", Source: src, Producer: env.Kafka(t), KeyConv: jsonConv{}, ValueConv: jsonConv{},
		Offsets: offsets, Leases: leases, WorkerID: "w", Logger: logger, LeaseTTL: time.Minute}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := task.Run(ctx, "req-a")
	if bErr != nil {
		t.Fatalf("B's takeover: %v", bErr)
	}
	if !errors.Is(err, state.ErrLeaseLost) || !res.Superseded || res.Pages != 1 {
		t.Fatalf("A = %+v, %v; want superseded with ErrLeaseLost after one committed page", res, err)
	}
	ends, lerr := env.KafkaAdmin(t).ListEndOffsets(ctx, topic)
	if lerr != nil {
		t.Fatal(lerr)
	}
	if end, _ := ends.Lookup(topic, 0); end.Offset != 12 {
		t.Errorf("topic holds %d records; want 12 (page 1 committed, page 2 produced and page 3 handed over before page 2's refused write, nothing after)", end.Offset)
	}
	stored, err := offsets.Get(ctx, "orders-source", src.mustPartition(0))
	if err != nil || string(stored.Position) != `{"i":4}` || stored.Version != 1 {
		t.Errorf("stored offset = %+v, %v; want A's first page only", stored, err)
	}
	cur, ok, err := leases.Current(ctx, "orders-source")
	if err != nil || !ok || cur.Owner != b.Owner || cur.Counter != b.Counter || !cur.Held(leases.Now()) {
		t.Errorf("lease after A = %+v %v %v; want B's, in force", cur, ok, err)
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
	off := oc["TransactWriteItems"]
	writes := counts[0].Writes() + counts[1].Writes() + counts[2].Writes()
	t.Logf("DynamoDB requests: offsets %v, leases %v, status %v; %d pages", oc, lc, sc, res.Pages)
	// Per page exactly one write (the offset TransactWriteItems with the
	// lease check); per run a fixed overhead: lease PutItem + release
	// UpdateItem + status PutItem.
	if off != res.Pages || oc["PutItem"] != 0 {
		t.Errorf("offset writes %v for %d pages; want one TransactWriteItems per page", oc, res.Pages)
	}
	if writes != res.Pages+3 {
		t.Errorf("total writes = %d, want pages+3 = %d", writes, res.Pages+3)
	}
	stored, err := offsets.Get(ctx, "real-source", src.mustPartition(0))
	if err != nil || string(stored.Position) != `{"i":25}` || stored.Fence != res.LeaseCounter {
		t.Errorf("stored offset = %+v, %v; want {\"i\":25} fenced by %d", stored, err, res.LeaseCounter)
	}
}

// TestMissingTopicNamesTheFix produces to a topic that does not exist on the
// real broker (the local stack runs it with auto.create.topics.enable=false)
// without topic creation: the run fails with an error that names the
// topic.creation.default.* keys, and commits nothing.
func TestMissingTopicNamesTheFix(t *testing.T) {
	env := testenv.New(t)
	topic := testenv.UniqueName(t, "missing", 200)
	offsets, leases, _, _ := dynamoStores(t, env)
	src := &fakeSource{tables: []string{"shop.a"}, rows: 3, pageSize: 3, topic: topic, badRow: -1}
	logger, _ := logBuffer()
	task := &Task{Name: "missing-topic", Source: src, Producer: env.Kafka(t), KeyConv: jsonConv{}, ValueConv: jsonConv{},
		Offsets: offsets, Leases: leases, WorkerID: "w", Logger: logger}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err := task.Run(ctx, "req-1")
	if !errors.Is(err, kerr.UnknownTopicOrPartition) {
		t.Fatalf("Run = %v; want UNKNOWN_TOPIC_OR_PARTITION", err)
	}
	for _, want := range []string{topic, "topic.creation.default.partitions", "topic.creation.default.replication.factor"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %q", err, want)
		}
	}
	if off, err := offsets.Get(ctx, "missing-topic", src.mustPartition(0)); err != nil || off.Version != 0 {
		t.Errorf("offset after the failed produce = %+v, %v; want none", off, err)
	}
}
