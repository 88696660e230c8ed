package main

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsddb "github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/serverless-kafka-connect/slkc/events"
	"github.com/serverless-kafka-connect/slkc/shared/coldstart/coldstarttest"
	"github.com/serverless-kafka-connect/slkc/shared/dlq"
	"github.com/serverless-kafka-connect/slkc/shared/state"
	"github.com/serverless-kafka-connect/slkc/shared/testenv"
)

// TestIntegrationDynamoSink builds the function from a connector config the
// way Lambda's init does and handles one event: the good record lands in
// DynamoDB Local, the bad one on the dead-letter topic of the real broker,
// and the status item is written.
func TestIntegrationDynamoSink(t *testing.T) {
	env := coldstarttest.LocalEnv(t)
	table := env.DynamoTable(t, &awsddb.CreateTableInput{
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("id"), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("id"), KeyType: types.KeyTypeHash}},
	})
	statusTable := env.DynamoTable(t, state.StatusTableInput("x"))
	t.Setenv("SLKC_STATUS_TABLE", statusTable)
	t.Setenv("SLKC_IT_TABLE", table)
	dlqTopic := testenv.UniqueName(t, "dlq", 200)
	env.DeleteTopicAtCleanup(t, dlqTopic)

	getenv := coldstarttest.Connector(t, "orders-to-dynamo", map[string]string{
		"connector.class":                   "io.confluent.connect.aws.dynamodb.DynamoDbSinkConnector",
		"topics":                            "orders",
		"bootstrap.servers":                 env.Bootstrap(),
		"table.name.format":                 "${env:SLKC_IT_TABLE}",
		"aws.dynamodb.pk.hash":              "value.id",
		"aws.dynamodb.pk.sort":              "",
		"key.converter":                     "org.apache.kafka.connect.storage.StringConverter",
		"value.converter":                   "org.apache.kafka.connect.json.JsonConverter",
		"value.converter.schemas.enable":    "false",
		"errors.tolerance":                  "all",
		"errors.deadletterqueue.topic.name": dlqTopic,
		"errors.deadletterqueue.topic.replication.factor": "1",
		"errors.deadletterqueue.context.headers.enable":   "true",
	})
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	a := coldstarttest.MustSetup(t, ctx, setup, getenv)

	ev := events.KafkaEvent{EventSource: events.SourceMSK, Records: map[string][]events.KafkaRecord{"orders-0": {
		{Topic: "orders", Partition: 0, Offset: 0, Timestamp: 1700000000000, TimestampType: "CREATE_TIME", Key: b64("a"), Value: b64(`{"id":"a","qty":3}`)},
		{Topic: "orders", Partition: 0, Offset: 1, Timestamp: 1700000000001, TimestampType: "CREATE_TIME", Key: b64("b"), Value: b64(`{"id":`)},
	}}}
	resp, err := a.task.Handle(ctx, ev)
	if err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("Handle() = %+v, %v; want success", resp, err)
	}

	out, err := env.Dynamo(t).GetItem(ctx, &awsddb.GetItemInput{TableName: aws.String(table), Key: map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: "a"}}})
	if err != nil {
		t.Fatal(err)
	}
	if q, ok := out.Item["qty"].(*types.AttributeValueMemberN); !ok || q.Value != "3" {
		t.Errorf("DynamoDB item = %v, want qty 3", out.Item)
	}

	consumer := env.Kafka(t, kgo.ConsumeTopics(dlqTopic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	var got *kgo.Record
	for got == nil && ctx.Err() == nil {
		consumer.PollFetches(ctx).EachRecord(func(r *kgo.Record) { got = r })
	}
	if got == nil || string(got.Value) != `{"id":` {
		t.Fatalf("dead letter = %+v, want the bad record", got)
	}
	for _, h := range got.Headers {
		if h.Key == dlq.HeaderConnectorName && string(h.Value) != "orders-to-dynamo" {
			t.Errorf("connector header = %q", h.Value)
		}
	}

	items, err := state.NewStatusStore(env.Dynamo(t), statusTable).Get(ctx, "orders-to-dynamo")
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 1 || items[0].Counters["written"] != 1 || items[0].Counters["dead_lettered"] != 1 {
		t.Errorf("status items = %+v, want one with written=1 dead_lettered=1", items)
	}
}
