package main

import (
	"context"
	"database/sql"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
	"time"

	mysqldrv "github.com/go-sql-driver/mysql"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/serverless-kafka-connect/slkc/connectors/binlog"
	"github.com/serverless-kafka-connect/slkc/events"
	"github.com/serverless-kafka-connect/slkc/shared/coldstart/coldstarttest"
	"github.com/serverless-kafka-connect/slkc/shared/convert"
	"github.com/serverless-kafka-connect/slkc/shared/kafka"
	"github.com/serverless-kafka-connect/slkc/shared/sourcetask"
	"github.com/serverless-kafka-connect/slkc/shared/state"
	"github.com/serverless-kafka-connect/slkc/shared/testenv"
)

// TestIntegrationCDCReplication replicates a table through the binlog CDC
// source and this function's MySQL sink with Debezium's
// ExtractNewRecordState (tombstones kept, delete.enabled): after inserts,
// repeated updates and a delete, the copy equals the source table.
func TestIntegrationCDCReplication(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test: needs MariaDB, Kafka and DynamoDB Local")
	}
	env := coldstarttest.LocalEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	srcDB, srcName := env.MySQLDatabase(t)
	dstDB, dstName := env.MySQLDatabase(t)
	exec := func(q string) {
		t.Helper()
		if _, err := srcDB.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	exec("CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(20) NOT NULL, qty INT NOT NULL)")

	// Source: the binlog connector in the source task loop.
	dsn, err := mysqldrv.ParseDSN(env.MySQLDSN(""))
	if err != nil {
		t.Fatal(err)
	}
	host, port, _ := strings.Cut(dsn.Addr, ":")
	prefix := testenv.UniqueName(t, "rep", 40)
	cfg, err := binlog.ParseConfig(map[string]string{
		"connector.class": binlog.MariaDBClass, "database.hostname": host, "database.port": port,
		"database.user": dsn.User, "database.password": dsn.Passwd,
		"database.server.id": fmt.Sprint(300000 + time.Now().UnixNano()%1_000_000),
		"topic.prefix":       prefix, "database.include.list": srcName, "snapshot.mode": "no_data", "include.schema.changes": "false",
	})
	if err != nil {
		t.Fatal(err)
	}
	src, err := binlog.OpenSource(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	conv := func(isKey bool) sourcetask.Converter {
		c, err := convert.New("org.apache.kafka.connect.json.JsonConverter", map[string]string{}, isKey)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	ddb := env.Dynamo(t)
	cl := env.Kafka(t)
	adm := kadm.NewClient(cl)
	topic := prefix + "." + srcName + ".items"
	env.DeleteTopicAtCleanup(t, topic)
	task := &sourcetask.Task{Name: prefix, Source: src, Producer: cl, KeyConv: conv(true), ValueConv: conv(false),
		Offsets: state.NewOffsetStore(ddb, env.DynamoTable(t, state.OffsetsTableInput(""))),
		Leases:  state.NewLeaseStore(ddb, env.DynamoTable(t, state.LeasesTableInput(""))),
		EnsureTopic: func(ctx context.Context, topic string) error {
			return kafka.EnsureTopics(ctx, adm, []string{topic}, 1, 1, nil)
		}}
	if _, err := task.Run(ctx, "req-1"); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"INSERT INTO items VALUES (1, 'apple', 1), (2, 'pear', 2), (3, 'fig', 3)",
		"UPDATE items SET qty = qty + 10 WHERE id = 1", "UPDATE items SET qty = qty + 10, name = 'red apple' WHERE id = 1",
		"DELETE FROM items WHERE id = 2", "UPDATE items SET qty = 30 WHERE id = 3"} {
		exec(q)
	}
	if res, err := task.Run(ctx, "req-2"); err != nil || res.Records != 8 {
		t.Fatalf("source run: %+v %v; want 8 records (3 c, 3 u, d, tombstone)", res, err)
	}

	// Sink: this function, fed the topic as one Kafka event.
	t.Setenv("SLKC_STATUS_TABLE", env.DynamoTable(t, state.StatusTableInput("x")))
	t.Setenv("SLKC_IT_MYSQL_URL", env.MySQLDSN(dstName))
	a := coldstarttest.MustSetup(t, ctx, setup, coldstarttest.Connector(t, "items-copy", map[string]string{
		"connector.class": "io.confluent.connect.jdbc.JdbcSinkConnector", "topics": topic,
		"bootstrap.servers": env.Bootstrap(), "connection.url": "${env:SLKC_IT_MYSQL_URL}",
		"insert.mode": "upsert", "pk.mode": "record_key", "delete.enabled": "true", "auto.create": "true",
		"table.name.format": "items",
		"transforms":        "unwrap", "transforms.unwrap.type": "io.debezium.transforms.ExtractNewRecordState",
		"transforms.unwrap.drop.tombstones": "false",
	}))
	consumer := env.Kafka(t, kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	var recs []events.KafkaRecord
	for len(recs) < 8 && ctx.Err() == nil {
		consumer.PollFetches(ctx).EachRecord(func(r *kgo.Record) {
			enc := func(b []byte) *string {
				if b == nil {
					return nil
				}
				s := base64.StdEncoding.EncodeToString(b)
				return &s
			}
			recs = append(recs, events.KafkaRecord{Topic: r.Topic, Partition: r.Partition, Offset: r.Offset,
				Timestamp: r.Timestamp.UnixMilli(), TimestampType: "CREATE_TIME", Key: enc(r.Key), Value: enc(r.Value)})
		})
	}
	resp, err := a.task.Handle(ctx, events.KafkaEvent{EventSource: events.SourceSelfManaged,
		Records: map[string][]events.KafkaRecord{topic + "-0": recs}})
	if err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("sink: %+v %v", resp, err)
	}
	want, got := dump(ctx, t, srcDB, "items"), dump(ctx, t, dstDB, "items")
	if got != want || want != "1:red apple:21,3:fig:30" {
		t.Fatalf("copy %q, source %q", got, want)
	}
}

// dump lists a table's rows as "id:name:qty" in id order.
func dump(ctx context.Context, t *testing.T, db *sql.DB, table string) string {
	t.Helper()
	rows, err := db.QueryContext(ctx, "SELECT id, name, qty FROM "+table+" ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id, qty int
		var name string
		if err := rows.Scan(&id, &name, &qty); err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprintf("%d:%s:%d", id, name, qty))
	}
	return strings.Join(out, ",")
}
