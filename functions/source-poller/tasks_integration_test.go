package main

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/serverless-kafka-connect/slkc/shared/coldstart/coldstarttest"
	"github.com/serverless-kafka-connect/slkc/shared/state"
	"github.com/serverless-kafka-connect/slkc/shared/testenv"
)

// TestIntegrationMySQLSourceTasks: tasks.max 3 over 6 MariaDB tables, the
// three tasks invoked at once as their schedules do ({"task_id": N}), each
// in its own function instance. Every row arrives on Kafka once, each
// table is read by one task, and the Connect status lists tasks 0, 1, 2.
func TestIntegrationMySQLSourceTasks(t *testing.T) {
	env := coldstarttest.LocalEnv(t)
	tables := coldstarttest.StateTables(t, env)
	db, name := env.MySQLDatabase(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	const nTables, rows = 6, 11
	prefix := testenv.UniqueName(t, "spt", 60) + "-"
	var topics []string
	for i := 1; i <= nTables; i++ {
		for _, q := range []string{
			fmt.Sprintf(`CREATE TABLE t%d (id INT AUTO_INCREMENT PRIMARY KEY, v VARCHAR(20) NOT NULL)`, i),
			fmt.Sprintf(`INSERT INTO t%d (v) SELECT CONCAT('r', seq) FROM seq_1_to_%d`, i, rows),
		} {
			if _, err := db.ExecContext(ctx, q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		topics = append(topics, fmt.Sprintf("%st%d", prefix, i))
		env.DeleteTopicAtCleanup(t, topics[i-1])
	}
	t.Setenv("SLKC_IT_MYSQL_URL", env.MySQLDSN(name))
	getenv := coldstarttest.Connector(t, "orders-tasks", map[string]string{
		"connector.class":                   "io.confluent.connect.jdbc.JdbcSourceConnector",
		"bootstrap.servers":                 env.Bootstrap(),
		"connection.url":                    "${env:SLKC_IT_MYSQL_URL}",
		"mode":                              "incrementing",
		"incrementing.column.name":          "id",
		"batch.max.rows":                    "4",
		"topic.prefix":                      prefix,
		"tasks.max":                         "3",
		"topic.creation.default.partitions": "1",
		"topic.creation.default.replication.factor": "1",
		"value.converter.schemas.enable":            "false",
	})
	apps := make([]*app, 3)
	for i := range apps {
		apps[i] = coldstarttest.MustSetup(t, ctx, setup, getenv)
	}
	resps := make([]Response, 3)
	var wg sync.WaitGroup
	for id := range apps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ictx, icancel := context.WithTimeout(lambdacontext.NewContext(ctx, &lambdacontext.LambdaContext{AwsRequestID: fmt.Sprintf("req-%d", id)}), time.Minute)
			defer icancel()
			var err error
			if resps[id], err = apps[id].handle(ictx, json.RawMessage(fmt.Sprintf(`{"task_id":%d}`, id))); err != nil {
				t.Errorf("task %d: %v", id, err)
			}
		}()
	}
	wg.Wait()
	readBy := map[string]int{}
	total := 0
	for id, r := range resps {
		if r.Task != id || r.Skipped {
			t.Errorf("task %d response = %+v", id, r)
		}
		total += r.Records
		for p := range r.PerPartition {
			if prev, ok := readBy[p]; ok {
				t.Errorf("table %s read by tasks %d and %d", p, prev, id)
			}
			readBy[p] = id
		}
	}
	if total != nTables*rows || len(readBy) != nTables {
		t.Fatalf("tasks read %d rows of %d tables; want %d of %d", total, len(readBy), nTables*rows, nTables)
	}
	cl := env.Kafka(t, kgo.ConsumeTopics(topics...), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	seen := map[string]int{}
	for n := 0; n < nTables*rows && ctx.Err() == nil; {
		cl.PollFetches(ctx).EachRecord(func(r *kgo.Record) {
			seen[r.Topic+"/"+string(r.Value)]++
			n++
		})
	}
	if len(seen) != nTables*rows {
		t.Errorf("%d distinct records on the topics, want %d", len(seen), nTables*rows)
	}
	for k, n := range seen {
		if n != 1 {
			t.Errorf("record %s arrived %d times", k, n)
		}
	}
	st, err := state.NewStatusStore(env.Dynamo(t), tables.Status).ConnectStatus(ctx, "orders-tasks")
	if err != nil || len(st.Tasks) != 3 {
		t.Fatalf("status = %+v, %v; want 3 tasks", st, err)
	}
	for i, ts := range st.Tasks {
		if ts.ID != i || ts.State != state.StateRunning {
			t.Errorf("status task %d = %+v", i, ts)
		}
	}
	// A task id the schedules never send is refused, naming tasks.max.
	if _, err := apps[0].handle(ctx, json.RawMessage(`{"task_id":3}`)); err == nil {
		t.Error("task_id 3 with tasks.max 3 was accepted")
	}
}
