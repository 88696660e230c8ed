package reliability

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/serverless-kafka-connect/slkc/connectors/mysql"
	"github.com/serverless-kafka-connect/slkc/shared/kafka"
	"github.com/serverless-kafka-connect/slkc/shared/sourcetask"
	"github.com/serverless-kafka-connect/slkc/shared/state"
	"github.com/serverless-kafka-connect/slkc/shared/testenv"
)

// TestSourceTasksKillAddReassign is the matrix case of tasks.max: a source
// over 2 to 5 tables with tasks.max 2 to 4 (sometimes more tasks than
// tables), every task a separate invocation with its own source and
// producer, all running at once. In the first round one task is killed
// (its context cancelled) at a random moment, and a table is created while
// the round runs; since the table list changes the task count whenever
// there are fewer tables than tasks.max, tables are reassigned between
// rounds while killed or slow tasks may still hold them. Rounds repeat
// until every row of every table is on Kafka. Invariants: no row lost; a
// row repeats only from the killed task's page in flight (at most one
// page); no table is read by two tasks in one round.
func TestSourceTasksKillAddReassign(t *testing.T) {
	runMatrix(t, "source/tasks-kill-add-reassign", Runs(), func(t *testing.T, rng *rand.Rand) Figures {
		env := testenv.New(t)
		db, name := env.MySQLDatabase(t)
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		nTables, tasksMax, batch := 2+rng.IntN(4), 2+rng.IntN(3), 3+rng.IntN(6)
		prefix := testenv.UniqueName(t, "reltasks", 120) + "_"
		rows := map[string]int{}
		addTable := func(tbl string) {
			n := 5 + rng.IntN(30)
			for _, q := range []string{
				fmt.Sprintf("CREATE TABLE %s (id INT AUTO_INCREMENT PRIMARY KEY, v VARCHAR(20) NOT NULL)", tbl),
				fmt.Sprintf("INSERT INTO %s (v) SELECT CONCAT('r', seq) FROM seq_1_to_%d", tbl, n),
			} {
				if _, err := db.ExecContext(ctx, q); err != nil {
					t.Fatal(err)
				}
			}
			resp, err := env.KafkaAdmin(t).CreateTopic(ctx, 1, 1, nil, prefix+tbl)
			if err == nil {
				err = resp.Err
			}
			if err != nil {
				t.Fatal(err)
			}
			env.DeleteTopicAtCleanup(t, prefix+tbl)
			rows[tbl] = n
		}
		for i := 1; i <= nTables; i++ {
			addTable(fmt.Sprintf("t%d", i))
		}
		cfg, err := mysql.ParseSourceConfig(map[string]string{"connection.url": env.MySQLDSN(name), "mode": "incrementing",
			"batch.max.rows": fmt.Sprint(batch), "topic.prefix": prefix, "incrementing.gap.timeout.ms": "0"})
		if err != nil {
			t.Fatal(err)
		}
		ddb := env.Dynamo(t)
		offsets := state.NewOffsetStore(ddb, env.DynamoTable(t, state.OffsetsTableInput("offsets")))
		leases := state.NewLeaseStore(ddb, env.DynamoTable(t, state.LeasesTableInput("leases")))
		keyConv, valConv := jsonConverters(t)
		task := func(id int) *sourcetask.Task {
			src, err := mysql.OpenSource(cfg)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = src.Close() })
			cl, err := kafka.NewClient(ctx, kafka.Config{Bootstrap: env.Seeds()})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(cl.Close)
			// A short lease so a killed task's partitions free up quickly.
			return &sourcetask.Task{Name: "rel-tasks", Source: src, Producer: cl, KeyConv: keyConv, ValueConv: valConv,
				Offsets: offsets, Leases: leases, TasksMax: tasksMax, LeaseTTL: 2 * time.Second, WorkerID: fmt.Sprint(id)}
		}
		victim := rng.IntN(tasksMax)
		killAfter := time.Duration(rng.IntN(40)) * time.Millisecond
		kills := 0
		for round := 0; round < 12; round++ {
			var wg sync.WaitGroup
			results := make([]sourcetask.Result, tasksMax)
			errs := make([]error, tasksMax)
			for id := range tasksMax {
				tctx, tcancel := context.WithCancel(ctx)
				if round == 0 && id == victim {
					time.AfterFunc(killAfter, tcancel)
				}
				wg.Add(1)
				go func() {
					defer wg.Done()
					defer tcancel()
					results[id], errs[id] = task(id).RunTask(tctx, fmt.Sprintf("r%d-t%d", round, id), id)
				}()
			}
			if round == 0 {
				addTable(fmt.Sprintf("t%d", nTables+1)) // while the round runs
			}
			wg.Wait()
			readBy := map[string]int{}
			for id := range tasksMax {
				if errs[id] != nil {
					if round == 0 && id == victim {
						kills++
						continue
					}
					t.Fatalf("round %d task %d: %v", round, id, errs[id])
				}
				for p, n := range results[id].PerPartition {
					if prev, ok := readBy[p]; ok && n > 0 {
						t.Errorf("round %d: table %s read by tasks %d and %d", round, p, prev, id)
					}
					if n > 0 {
						readBy[p] = id
					}
				}
			}
			if done := allDelivered(t, env, prefix, rows); done {
				break
			}
			time.Sleep(500 * time.Millisecond) // let a killed task's leases expire over the rounds
		}
		dups := 0
		for tbl, n := range rows {
			seen := map[int64]int{}
			for _, r := range consumeAll(t, env.Seeds(), prefix+tbl, n, 20*time.Second) {
				id, err := payloadID(r.Value)
				if err != nil {
					t.Fatal(err)
				}
				seen[id]++
			}
			for id := int64(1); id <= int64(n); id++ {
				switch c := seen[id]; {
				case c == 0:
					t.Errorf("table %s: row %d lost", tbl, id)
				case c > 1:
					dups += c - 1
				}
			}
		}
		t.Logf("tables %d, tasks.max %d, page %d, victim task %d killed after %s: %d kill(s) took effect, %d rows repeated", nTables+1, tasksMax, batch, victim, killAfter, kills, dups)
		// A killed task can leave two uncommitted pages on the topic: the
		// page awaiting its offset write and the page read ahead, already
		// handed to the producer behind it.
		if dups > kills*2*batch {
			t.Errorf("%d rows repeated; want at most two pages (%d rows each) per killed task (%d)", dups, batch, kills)
		}
		return Figures{Duplicates: dups}
	})
}

// allDelivered reports whether every table's topic holds at least its row
// count.
func allDelivered(t *testing.T, env *testenv.Env, prefix string, rows map[string]int) bool {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	topics := make([]string, 0, len(rows))
	for tbl := range rows {
		topics = append(topics, prefix+tbl)
	}
	ends, err := env.KafkaAdmin(t).ListEndOffsets(ctx, topics...)
	if err != nil {
		t.Fatal(err)
	}
	for tbl, n := range rows {
		if end, _ := ends.Lookup(prefix+tbl, 0); end.Offset < int64(n) {
			return false
		}
	}
	return true
}
