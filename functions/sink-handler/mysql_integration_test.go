package main

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/serverless-kafka-connect/slkc/events"
	"github.com/serverless-kafka-connect/slkc/shared/coldstart/coldstarttest"
	"github.com/serverless-kafka-connect/slkc/shared/state"
)

// TestIntegrationMySQLSink builds the function for the JDBC sink alias and
// handles one event on MariaDB: good records are upserted, a record that is
// not valid JSON stops its partition (errors.tolerance=none) and is reported
// as the partition's first failed offset, while the other partition is
// written.
func TestIntegrationMySQLSink(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	a, db := mysqlSinkApp(t, ctx, coldstarttest.Discard())
	ev := events.KafkaEvent{EventSource: events.SourceSelfManaged, Records: map[string][]events.KafkaRecord{
		"orders-0": {orderRecord(0, 10, orderValue(1, 1)), orderRecord(0, 11, b64("{not json")), orderRecord(0, 12, orderValue(2, 2))},
		"orders-1": {orderRecord(1, 4, orderValue(3, 3)), orderRecord(1, 5, orderValue(1, 9))},
	}}
	resp, err := a.task.Handle(ctx, ev)
	if err != nil {
		t.Fatal(err)
	}
	want := events.KafkaItemIdentifier{Topic: "orders", Partition: 0, Offset: 11}
	if len(resp.BatchItemFailures) != 1 || resp.BatchItemFailures[0].ItemIdentifier != want {
		t.Fatalf("batchItemFailures = %+v, want only %+v", resp.BatchItemFailures, want)
	}
	got := quantities(t, ctx, db)
	// id 1 from partition 0 (offset 10), then overwritten by partition 1's
	// offset 5; id 2 (after the poison record) is not written yet.
	if len(got) != 2 || got[1] != 9 || got[3] != 3 {
		t.Errorf("rows = %v, want {1:9 3:3}", got)
	}
}

// TestIntegrationMySQLSinkStreamed handles an event big enough for the
// write to be streamed (sinktask converts it in segments while the MySQL
// sink writes the first ones): three partitions of 1,000 records, each id
// written by two records in a row (the segments, 512 and then 1,024
// records, never part them), and a record that is not valid
// JSON at offset 700 of partition 2, which stops that partition there.
// The table must hold exactly what converting the whole event first
// would write, and the sink must have streamed it.
func TestIntegrationMySQLSinkStreamed(t *testing.T) {
	var logs bytes.Buffer // slog's handler serialises the writes
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	a, db := mysqlSinkApp(t, ctx, slog.New(slog.NewJSONHandler(&logs, nil)))

	want := map[int]int{}
	recs := map[string][]events.KafkaRecord{}
	for p := range int32(3) {
		key := fmt.Sprint("orders-", p)
		for off := range int64(1000) {
			id, qty := int(p)*1000+int(off/2), int(off)
			v := orderValue(id, qty)
			if p == 2 && off == 700 {
				v = b64("{not json")
			}
			if p < 2 || off < 700 {
				want[id] = qty
			}
			recs[key] = append(recs[key], orderRecord(p, off, v))
		}
	}
	resp, err := a.task.Handle(ctx, events.KafkaEvent{EventSource: events.SourceSelfManaged, Records: recs})
	if err != nil {
		t.Fatal(err)
	}
	stop := events.KafkaItemIdentifier{Topic: "orders", Partition: 2, Offset: 700}
	if len(resp.BatchItemFailures) != 1 || resp.BatchItemFailures[0].ItemIdentifier != stop {
		t.Fatalf("batchItemFailures = %+v, want only %+v", resp.BatchItemFailures, stop)
	}
	if got := quantities(t, ctx, db); !reflect.DeepEqual(got, want) {
		t.Errorf("table holds %d rows, want %d (or different quantities)", len(got), len(want))
	}
	if !strings.Contains(logs.String(), `"streamed":true`) {
		t.Errorf("the batch was not streamed: %s", logs.String())
	}
}

// mysqlSinkApp sets up the function for the JDBC sink alias, upserting
// the orders topic into a fresh MariaDB database by the value's id
// (errors.tolerance=none), logging to log, and returns it with the
// database.
func mysqlSinkApp(t *testing.T, ctx context.Context, log *slog.Logger) (*app, *sql.DB) {
	t.Helper()
	env := coldstarttest.LocalEnv(t)
	t.Setenv("SLKC_STATUS_TABLE", env.DynamoTable(t, state.StatusTableInput("x")))
	db, name := env.MySQLDatabase(t)
	t.Setenv("SLKC_IT_MYSQL_URL", env.MySQLDSN(name))
	getenv := coldstarttest.Connector(t, "orders-to-mysql", map[string]string{
		"connector.class":   "io.confluent.connect.jdbc.JdbcSinkConnector",
		"topics":            "orders",
		"bootstrap.servers": env.Bootstrap(),
		"connection.url":    "${env:SLKC_IT_MYSQL_URL}",
		"insert.mode":       "upsert",
		"pk.mode":           "record_value",
		"pk.fields":         "id",
		"auto.create":       "true",
		"key.converter":     "org.apache.kafka.connect.storage.StringConverter",
		"value.converter":   "org.apache.kafka.connect.json.JsonConverter",
		"errors.tolerance":  "none",
	})
	prev := slog.Default() // setup makes log the default
	t.Cleanup(func() { slog.SetDefault(prev) })
	a, err := setup(ctx, getenv, log)
	if err != nil {
		t.Fatalf("setup: %v", err)
	}
	t.Cleanup(a.Close)
	return a, db
}

// orderValue is an order's JsonConverter envelope, base64 as in the event.
func orderValue(id, qty int) *string {
	return b64(fmt.Sprintf(`{"schema":{"type":"struct","fields":[{"field":"id","type":"int32","optional":false},{"field":"qty","type":"int32","optional":false}],"optional":false,"name":"order"},"payload":{"id":%d,"qty":%d}}`, id, qty))
}

func orderRecord(p int32, off int64, v *string) events.KafkaRecord {
	return events.KafkaRecord{Topic: "orders", Partition: p, Offset: off, Timestamp: 1700000000000, TimestampType: "CREATE_TIME", Value: v}
}

// quantities reads the orders table as id -> qty.
func quantities(t *testing.T, ctx context.Context, db *sql.DB) map[int]int {
	t.Helper()
	rows, err := db.QueryContext(ctx, "SELECT id, qty FROM orders ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	got := map[int]int{}
	for rows.Next() {
		var id, qty int
		if err := rows.Scan(&id, &qty); err != nil {
			t.Fatal(err)
		}
		got[id] = qty
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return got
}
