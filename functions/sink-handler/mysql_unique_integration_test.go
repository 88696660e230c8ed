package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/serverless-kafka-connect/slkc/events"
	"github.com/serverless-kafka-connect/slkc/shared/coldstart/coldstarttest"
	"github.com/serverless-kafka-connect/slkc/shared/dlq"
	"github.com/serverless-kafka-connect/slkc/shared/state"
	"github.com/serverless-kafka-connect/slkc/shared/testenv"
)

// TestIntegrationMySQLSinkUniqueKey runs issue 20's example through the
// function: an upsert of id 3 whose email is row 1's. With
// errors.tolerance=all the record is dead-lettered with context headers
// naming the unique key and the other records are written; with none the
// partition stops at that record (reported as its first failed offset, the
// status naming the unique key). Row 1 never changes.
func TestIntegrationMySQLSinkUniqueKey(t *testing.T) {
	user := func(off int64, value string) events.KafkaRecord {
		return events.KafkaRecord{Topic: "users", Partition: 0, Offset: off, Timestamp: 1700000000000, TimestampType: "CREATE_TIME", Value: b64(value)}
	}
	ev := events.KafkaEvent{EventSource: events.SourceSelfManaged, Records: map[string][]events.KafkaRecord{"users-0": {
		user(10, `{"id":4,"email":"d@x","name":"D"}`),
		user(11, `{"id":3,"email":"a@x","name":"C"}`),
		user(12, `{"id":2,"email":"b@x","name":"B2"}`),
	}}}
	for _, tolerance := range []string{"all", "none"} {
		t.Run("errors.tolerance="+tolerance, func(t *testing.T) {
			env := coldstarttest.LocalEnv(t)
			statusTable := env.DynamoTable(t, state.StatusTableInput("x"))
			t.Setenv("SLKC_STATUS_TABLE", statusTable)
			db, name := env.MySQLDatabase(t)
			t.Setenv("SLKC_IT_MYSQL_URL", env.MySQLDSN(name))
			for _, q := range []string{
				"CREATE TABLE users (id INT PRIMARY KEY, email VARCHAR(100) NOT NULL UNIQUE, name VARCHAR(50))",
				"INSERT INTO users VALUES (1,'a@x','A'),(2,'b@x','B')",
			} {
				if _, err := db.Exec(q); err != nil {
					t.Fatal(err)
				}
			}
			props := map[string]string{
				"connector.class":                "io.confluent.connect.jdbc.JdbcSinkConnector",
				"topics":                         "users",
				"bootstrap.servers":              env.Bootstrap(),
				"connection.url":                 "${env:SLKC_IT_MYSQL_URL}",
				"insert.mode":                    "upsert",
				"pk.mode":                        "record_value",
				"pk.fields":                      "id",
				"value.converter":                "org.apache.kafka.connect.json.JsonConverter",
				"value.converter.schemas.enable": "false",
				"errors.tolerance":               tolerance,
			}
			dlqTopic := testenv.UniqueName(t, "dlq", 200)
			if tolerance == "all" {
				env.DeleteTopicAtCleanup(t, dlqTopic)
				props["errors.deadletterqueue.topic.name"] = dlqTopic
				props["errors.deadletterqueue.topic.replication.factor"] = "1"
				props["errors.deadletterqueue.context.headers.enable"] = "true"
			}
			ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
			defer cancel()
			a := coldstarttest.MustSetup(t, ctx, setup, coldstarttest.Connector(t, "users-to-mysql", props))
			resp, err := a.task.Handle(ctx, ev)
			if err != nil {
				t.Fatal(err)
			}

			wantRows := "1 a@x A|2 b@x B2|4 d@x D|"
			if tolerance == "none" {
				want := events.KafkaItemIdentifier{Topic: "users", Partition: 0, Offset: 11}
				if len(resp.BatchItemFailures) != 1 || resp.BatchItemFailures[0].ItemIdentifier != want {
					t.Fatalf("batchItemFailures = %+v, want only %+v", resp.BatchItemFailures, want)
				}
			} else if len(resp.BatchItemFailures) != 0 {
				t.Fatalf("batchItemFailures = %+v, want none (the record is dead-lettered)", resp.BatchItemFailures)
			}
			var got strings.Builder
			rows, err := db.QueryContext(ctx, "SELECT CONCAT_WS(' ', id, email, name) FROM users ORDER BY id")
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			for rows.Next() {
				var r string
				if err := rows.Scan(&r); err != nil {
					t.Fatal(err)
				}
				got.WriteString(r + "|")
			}
			// With none, whether the records after the stopped one are
			// already written is the task's choice (they are redelivered
			// either way); row 1 must be untouched and id 3 absent.
			if got.String() != wantRows && (tolerance == "all" || got.String() != "1 a@x A|2 b@x B|4 d@x D|") {
				t.Errorf("rows = %s, want %s", got.String(), wantRows)
			}
			if tolerance == "none" {
				items, err := state.NewStatusStore(env.Dynamo(t), statusTable).Get(ctx, "users-to-mysql")
				if err != nil {
					t.Fatal(err)
				}
				var msgs []string
				for _, it := range items {
					if it.LastError != nil {
						msgs = append(msgs, it.LastError.Message)
					}
				}
				if all := strings.Join(msgs, "\n"); !strings.Contains(all, `unique key "email" (email) is held by another row`) || !strings.Contains(all, "users/0@11") {
					t.Errorf("status last errors = %q, want the unique key and the record named", msgs)
				}
				return
			}

			consumer := env.Kafka(t, kgo.ConsumeTopics(dlqTopic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
			var dead *kgo.Record
			for dead == nil && ctx.Err() == nil {
				consumer.PollFetches(ctx).EachRecord(func(r *kgo.Record) { dead = r })
			}
			if dead == nil || string(dead.Value) != `{"id":3,"email":"a@x","name":"C"}` {
				t.Fatalf("dead letter = %+v, want the record of id 3", dead)
			}
			headers := map[string]string{}
			for _, h := range dead.Headers {
				headers[h.Key] = string(h.Value)
			}
			if msg := headers[dlq.HeaderExceptionMessage]; !strings.Contains(msg, `unique key "email" (email) is held by another row`) || !strings.Contains(msg, "users/0@11") {
				t.Errorf("%s = %q, want it to name the unique key and the record", dlq.HeaderExceptionMessage, msg)
			}
			if headers[dlq.HeaderOffset] != "11" || headers[dlq.HeaderStage] != dlq.StageTaskPut {
				t.Errorf("context headers = %v", headers)
			}
		})
	}
}
