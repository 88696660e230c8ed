package main

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/serverless-kafka-connect/slkc/shared/coldstart/coldstarttest"
	"github.com/serverless-kafka-connect/slkc/shared/state"
	"github.com/serverless-kafka-connect/slkc/shared/testenv"
)

// TestIntegrationMySQLSource runs the function's handler twice on the real
// stack (MariaDB, Kafka, DynamoDB Local): the first invoke copies every row
// in pages and creates the topic, the second only the rows inserted since,
// one of them a 40 KB row, more than Kafka's default batch.size (16 KB),
// which Kafka's producer sends in a batch of its own (franz-go alone
// refuses it).
func TestIntegrationMySQLSource(t *testing.T) {
	env := coldstarttest.LocalEnv(t)
	tables := coldstarttest.StateTables(t, env)

	db, name := env.MySQLDatabase(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	mustExec := func(q string) {
		t.Helper()
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	mustExec(`CREATE TABLE orders (id INT AUTO_INCREMENT PRIMARY KEY, item TEXT NOT NULL, qty INT NOT NULL)`)
	mustExec(`INSERT INTO orders (item, qty) VALUES ('a',1),('b',2),('c',3),('d',4),('e',5),('f',6),('g',7)`)
	t.Setenv("SLKC_IT_MYSQL_URL", env.MySQLDSN(name))

	prefix := testenv.UniqueName(t, "sp", 60) + "-"
	topic := prefix + "orders"
	env.DeleteTopicAtCleanup(t, topic)
	getenv := coldstarttest.Connector(t, "orders-source", map[string]string{
		"connector.class":                   "io.confluent.connect.jdbc.JdbcSourceConnector",
		"bootstrap.servers":                 env.Bootstrap(),
		"connection.url":                    "${env:SLKC_IT_MYSQL_URL}",
		"mode":                              "incrementing",
		"incrementing.column.name":          "id",
		"table.whitelist":                   "orders",
		"batch.max.rows":                    "3",
		"topic.prefix":                      prefix,
		"topic.creation.default.partitions": "1",
		"topic.creation.default.replication.factor": "1",
		"value.converter":                "org.apache.kafka.connect.json.JsonConverter",
		"value.converter.schemas.enable": "true",
	})
	a := coldstarttest.MustSetup(t, ctx, setup, getenv)

	invoke := func(reqID string) Response {
		t.Helper()
		return invokeScheduled(ctx, t, a, reqID)
	}
	resp := invoke("req-1")
	if resp.Records != 7 || resp.Pages != 3 || resp.Skipped || resp.RequestID != "req-1" {
		t.Fatalf("first invoke = %+v; want 7 records in 3 pages", resp)
	}
	mustExec(`INSERT INTO orders (item, qty) VALUES ('h',8),(REPEAT('i', 40000),9)`)
	if resp := invoke("req-2"); resp.Records != 2 {
		t.Fatalf("second invoke = %+v; want the 2 new rows", resp)
	}

	cl := env.Kafka(t, kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	var got []int
	for len(got) < 9 && ctx.Err() == nil {
		cl.PollFetches(ctx).EachRecord(func(r *kgo.Record) {
			var v struct {
				Schema  map[string]any `json:"schema"`
				Payload struct {
					ID   int    `json:"id"`
					Item string `json:"item"`
				} `json:"payload"`
			}
			if err := json.Unmarshal(r.Value, &v); err != nil || v.Schema == nil {
				t.Errorf("value %s is not a JsonConverter envelope: %v", r.Value, err)
			}
			got = append(got, v.Payload.ID)
			if want := map[int]int{8: 1, 9: 40000}[v.Payload.ID]; want > 0 && len(v.Payload.Item) != want {
				t.Errorf("row %d: item of %d bytes, want %d", v.Payload.ID, len(v.Payload.Item), want)
			}
		})
	}
	for i, id := range got {
		if id != i+1 {
			t.Fatalf("ids = %v; want 1..9 once each, in order", got)
		}
	}
	if len(got) != 9 {
		t.Fatalf("consumed %d records, want 9", len(got))
	}

	ddb := env.Dynamo(t)
	offs, err := state.NewOffsetStore(ddb, tables.Offsets).List(ctx, "orders-source")
	if err != nil || len(offs) != 1 {
		t.Fatalf("offsets = %+v, %v", offs, err)
	}
	var pos map[string]any
	if err := json.Unmarshal(offs[0].Offset.Position, &pos); err != nil || pos["incrementing"] != float64(9) {
		t.Errorf("offset = %s; want incrementing 9", offs[0].Offset.Position)
	}
	st, err := state.NewStatusStore(ddb, tables.Status).ConnectStatus(ctx, "orders-source")
	if err != nil || st.Connector.State != state.StateRunning || len(st.Tasks) != 1 || st.Tasks[0].State != state.StateRunning || st.Type != "source" {
		t.Errorf("status = %+v, %v", st, err)
	}
}
