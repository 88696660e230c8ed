package sinktask_test

import (
	"context"
	"encoding/base64"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/serverless-kafka-connect/slkc/connectors"
	"github.com/serverless-kafka-connect/slkc/events"
	"github.com/serverless-kafka-connect/slkc/shared/connect"
	"github.com/serverless-kafka-connect/slkc/shared/convert"
	"github.com/serverless-kafka-connect/slkc/shared/dlq"
	"github.com/serverless-kafka-connect/slkc/shared/kafka"
	"github.com/serverless-kafka-connect/slkc/shared/sinktask"
	"github.com/serverless-kafka-connect/slkc/shared/state"
	"github.com/serverless-kafka-connect/slkc/shared/testenv"
)

type memDest struct {
	connectors.Destination
	got []connect.Record
}

func (d *memDest) Write(_ context.Context, recs []connect.Record) error {
	d.got = append(d.got, recs...)
	return nil
}

func kafkaRecord(topic string, off int64, value string) events.KafkaRecord {
	k := base64.StdEncoding.EncodeToString([]byte(`{"schema":{"type":"int32","optional":false},"payload":` + string(rune('0'+off)) + `}`))
	v := base64.StdEncoding.EncodeToString([]byte(value))
	return events.KafkaRecord{Topic: topic, Partition: 0, Offset: off, Timestamp: 1700000000000, TimestampType: "CREATE_TIME", Key: &k, Value: &v}
}

// TestIntegrationHandle runs a batch with one record that is not valid JSON
// through the real JsonConverter: the good records reach the destination,
// the bad one lands on the dead-letter topic of the real broker, and
// exactly one status item is written to DynamoDB Local.
func TestIntegrationHandle(t *testing.T) {
	env := testenv.New(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()

	dlqTopic := testenv.UniqueName(t, "dlq", 200)
	env.DeleteTopicAtCleanup(t, dlqTopic)
	cl, err := kafka.NewClient(ctx, kafka.Config{Bootstrap: env.Seeds()})
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	rep := &dlq.Reporter{Client: cl, Topic: dlqTopic, Connector: "it-sink", ContextHeaders: true}
	if err := rep.EnsureTopic(ctx, env.KafkaAdmin(t), 1); err != nil {
		t.Fatal(err)
	}

	table := env.DynamoTable(t, state.StatusTableInput("x"))
	ddb := state.NewCountingClient(env.Dynamo(t))
	statuses := state.NewStatusStore(ddb, table)

	keyConv, err := convert.New(convert.JSONConverterClass, nil, true)
	if err != nil {
		t.Fatal(err)
	}
	valConv, err := convert.New(convert.JSONConverterClass, map[string]string{"schemas.enable": "false"}, false)
	if err != nil {
		t.Fatal(err)
	}
	dest := &memDest{}
	task := &sinktask.Task{
		Name: "it-sink", Destination: dest, KeyConverter: keyConv, ValueConverter: valConv,
		ValueConverterClass: convert.JSONConverterClass, Tolerance: sinktask.ToleranceAll, DLQ: rep,
		Status: statuses, ReportBatchItemFailures: true,
	}
	src := "orders"
	ev := events.KafkaEvent{EventSource: events.SourceSelfManaged, Records: map[string][]events.KafkaRecord{
		"orders-0": {kafkaRecord(src, 1, `{"id":1}`), kafkaRecord(src, 2, `{"id":`), kafkaRecord(src, 3, `{"id":3}`)},
	}}
	resp, err := task.Handle(ctx, ev)
	if err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("Handle() = %+v, %v; want success", resp, err)
	}
	if len(dest.got) != 2 || dest.got[0].Key != int32(1) || dest.got[1].Offset != 3 {
		t.Fatalf("destination got %+v, want offsets 1 and 3 with int32 keys", dest.got)
	}

	consumer := env.Kafka(t, kgo.ConsumeTopics(dlqTopic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	var got *kgo.Record
	for got == nil && ctx.Err() == nil {
		consumer.PollFetches(ctx).EachRecord(func(r *kgo.Record) { got = r })
	}
	if got == nil || string(got.Value) != `{"id":` {
		t.Fatalf("dead letter = %+v, want the original bad value", got)
	}
	hs := map[string]string{}
	for _, h := range got.Headers {
		hs[h.Key] = string(h.Value)
	}
	if hs[dlq.HeaderOffset] != "2" || hs[dlq.HeaderStage] != dlq.StageValueConverter || hs[dlq.HeaderClassName] != convert.JSONConverterClass {
		t.Errorf("dead letter headers = %v", hs)
	}

	if w := ddb.Writes(); w != 1 {
		t.Errorf("%d DynamoDB writes for one batch, want exactly 1", w)
	}
	items, err := statuses.Get(ctx, "it-sink")
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 1 {
		t.Fatalf("%d status items, want 1", len(items))
	}
	st := items[0]
	if st.Task != sinktask.TaskID || st.State != state.StateRunning || st.Counters["written"] != 2 || st.Counters["dead_lettered"] != 1 || st.HighWatermarks["orders-0"] != 3 {
		t.Errorf("status = %+v", st)
	}
	if st.LastError != nil {
		t.Errorf("status last error = %+v after a successful batch", st.LastError)
	}
}
