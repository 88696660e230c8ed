package main

import (
	"context"
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
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	a := coldstarttest.MustSetup(t, ctx, setup, getenv)

	val := func(id int, qty int) *string {
		return b64(`{"schema":{"type":"struct","fields":[{"field":"id","type":"int32","optional":false},{"field":"qty","type":"int32","optional":false}],"optional":false,"name":"order"},"payload":{"id":` +
			string(rune('0'+id)) + `,"qty":` + string(rune('0'+qty)) + `}}`)
	}
	rec := func(p int32, off int64, v *string) events.KafkaRecord {
		return events.KafkaRecord{Topic: "orders", Partition: p, Offset: off, Timestamp: 1700000000000, TimestampType: "CREATE_TIME", Value: v}
	}
	ev := events.KafkaEvent{EventSource: events.SourceSelfManaged, Records: map[string][]events.KafkaRecord{
		"orders-0": {rec(0, 10, val(1, 1)), rec(0, 11, b64("{not json")), rec(0, 12, val(2, 2))},
		"orders-1": {rec(1, 4, val(3, 3)), rec(1, 5, val(1, 9))},
	}}
	resp, err := a.task.Handle(ctx, ev)
	if err != nil {
		t.Fatal(err)
	}
	want := events.KafkaItemIdentifier{Topic: "orders", Partition: 0, Offset: 11}
	if len(resp.BatchItemFailures) != 1 || resp.BatchItemFailures[0].ItemIdentifier != want {
		t.Fatalf("batchItemFailures = %+v, want only %+v", resp.BatchItemFailures, want)
	}
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
	// id 1 from partition 0 (offset 10), then overwritten by partition 1's
	// offset 5; id 2 (after the poison record) is not written yet.
	if len(got) != 2 || got[1] != 9 || got[3] != 3 {
		t.Errorf("rows = %v, want {1:9 3:3}", got)
	}
}
