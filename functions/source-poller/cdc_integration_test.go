package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"
	mysqldrv "github.com/go-sql-driver/mysql"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/serverless-kafka-connect/slkc/shared/coldstart/coldstarttest"
	"github.com/serverless-kafka-connect/slkc/shared/testenv"
)

// TestIntegrationBinlogSource runs the function's handler with Debezium's
// MariaDB connector class on the real stack: the first invoke stores the
// binlog position, the second produces the changes made since as Debezium
// change events (insert, update, delete and its tombstone).
func TestIntegrationBinlogSource(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test: needs MariaDB, Kafka and DynamoDB Local")
	}
	env := coldstarttest.LocalEnv(t)
	coldstarttest.StateTables(t, env)
	db, name := env.MySQLDatabase(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	mustExec := func(q string) {
		t.Helper()
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	mustExec(`CREATE TABLE orders (id INT PRIMARY KEY, item VARCHAR(50) NOT NULL)`)
	dsn, err := mysqldrv.ParseDSN(env.MySQLDSN(""))
	if err != nil {
		t.Fatal(err)
	}
	host, port, _ := strings.Cut(dsn.Addr, ":")
	t.Setenv("SLKC_IT_MYSQL_PASSWORD", dsn.Passwd)
	prefix := testenv.UniqueName(t, "cdc", 40)
	topic := prefix + "." + name + ".orders"
	env.DeleteTopicAtCleanup(t, topic)
	getenv := coldstarttest.Connector(t, "orders-cdc", map[string]string{
		"connector.class":   "io.debezium.connector.mariadb.MariaDbConnector",
		"bootstrap.servers": env.Bootstrap(),
		"database.hostname": host, "database.port": port, "database.user": dsn.User,
		"database.password":  "${env:SLKC_IT_MYSQL_PASSWORD}",
		"database.server.id": fmt.Sprint(200000 + time.Now().UnixNano()%1_000_000),
		"topic.prefix":       prefix, "database.include.list": name,
		"snapshot.mode": "no_data", "include.schema.changes": "false",
		"topic.creation.default.partitions": "1", "topic.creation.default.replication.factor": "1",
	})
	a := coldstarttest.MustSetup(t, ctx, setup, getenv)
	invoke := func(reqID string) Response {
		t.Helper()
		return invokeScheduled(ctx, t, a, reqID)
	}
	if resp := invoke("req-1"); resp.Records != 0 {
		t.Fatalf("first invoke = %+v; want the position stored and nothing produced", resp)
	}
	mustExec(`INSERT INTO orders VALUES (1, 'a')`)
	mustExec(`UPDATE orders SET item = 'b' WHERE id = 1`)
	mustExec(`DELETE FROM orders WHERE id = 1`)
	if resp := invoke("req-2"); resp.Records != 4 {
		t.Fatalf("second invoke = %+v; want 4 records (c, u, d, tombstone)", resp)
	}
	cl := env.Kafka(t, kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	var ops []string
	for len(ops) < 4 && ctx.Err() == nil {
		cl.PollFetches(ctx).EachRecord(func(r *kgo.Record) {
			if r.Value == nil {
				ops = append(ops, "tombstone")
				return
			}
			var v struct {
				Payload struct {
					Op string `json:"op"`
				} `json:"payload"`
			}
			if err := json.Unmarshal(r.Value, &v); err != nil {
				t.Errorf("value %s: %v", r.Value, err)
			}
			ops = append(ops, v.Payload.Op)
		})
	}
	if got := strings.Join(ops, ","); got != "c,u,d,tombstone" {
		t.Fatalf("ops = %s, want c,u,d,tombstone", got)
	}
}

// invokeScheduled runs the handler as one scheduled invocation with the
// given request id; an error fails the test.
func invokeScheduled(ctx context.Context, t *testing.T, a *app, reqID string) Response {
	t.Helper()
	ictx, icancel := context.WithTimeout(lambdacontext.NewContext(ctx, &lambdacontext.LambdaContext{AwsRequestID: reqID}), 30*time.Second)
	defer icancel()
	resp, err := a.handle(ictx, json.RawMessage(`{"detail-type":"Scheduled Event","source":"aws.events","detail":{}}`))
	if err != nil {
		t.Fatalf("invoke %s: %v", reqID, err)
	}
	return resp
}
