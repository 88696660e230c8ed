package dlq_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/serverless-kafka-connect/slkc/shared/dlq"
	"github.com/serverless-kafka-connect/slkc/shared/errclass"
	"github.com/serverless-kafka-connect/slkc/shared/kafka"
	"github.com/serverless-kafka-connect/slkc/shared/testenv"
)

// TestIntegrationReport creates the dead-letter topic on the real broker,
// reports a failure and reads the record back with every context header.
func TestIntegrationReport(t *testing.T) {
	env := testenv.New(t)
	adm := env.KafkaAdmin(t)
	topic := testenv.UniqueName(t, "dlq", 200)
	env.DeleteTopicAtCleanup(t, topic)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	cl, err := kafka.NewClient(ctx, kafka.Config{Bootstrap: env.Seeds()})
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	r := &dlq.Reporter{Client: cl, Topic: topic, Connector: "orders-sink", ContextHeaders: true}
	if err := r.EnsureTopic(ctx, adm, 1); err != nil {
		t.Fatal(err)
	}
	// Topic creation is asynchronous in KRaft: poll until the metadata
	// shows it (fresh clients, since kgo caches metadata).
	var n int
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		details, err := kadm.NewClient(env.Kafka(t)).ListTopics(ctx, topic)
		if err != nil {
			t.Fatal(err)
		}
		if n = len(details[topic].Partitions); n > 0 {
			break
		}
	}
	if n != dlq.Partitions {
		t.Fatalf("dead-letter topic has %d partitions, want %d", n, dlq.Partitions)
	}

	ts := time.UnixMilli(1700000000123)
	f := dlq.Failed{
		Original: dlq.Raw{Topic: "orders", Partition: 2, Offset: 99, Timestamp: ts, Key: []byte("k"), Value: []byte("{bad"),
			Headers: []kgo.RecordHeader{{Key: "origin", Value: []byte("app")}}},
		Stage: dlq.StageValueConverter, Class: "org.apache.kafka.connect.json.JsonConverter",
		Err: errclass.Data(errors.New("Converting byte[] to Kafka Connect data failed due to serialization error")),
	}
	if err := r.Report(ctx, []dlq.Failed{f}); err != nil {
		t.Fatal(err)
	}

	consumer := env.Kafka(t, kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	var got *kgo.Record
	for got == nil && ctx.Err() == nil {
		consumer.PollFetches(ctx).EachRecord(func(rec *kgo.Record) { got = rec })
	}
	if got == nil {
		t.Fatal("no dead-letter record read back")
	}
	if string(got.Key) != "k" || string(got.Value) != "{bad" || !got.Timestamp.Equal(ts) {
		t.Errorf("record key %q value %q ts %v, want the original k, {bad, %v", got.Key, got.Value, got.Timestamp, ts)
	}
	want := []struct{ k, v string }{
		{"origin", "app"},
		{dlq.HeaderTopic, "orders"},
		{dlq.HeaderPartition, "2"},
		{dlq.HeaderOffset, "99"},
		{dlq.HeaderConnectorName, "orders-sink"},
		{dlq.HeaderTaskID, "0"},
		{dlq.HeaderStage, "VALUE_CONVERTER"},
		{dlq.HeaderClassName, "org.apache.kafka.connect.json.JsonConverter"},
		{dlq.HeaderExceptionClassName, "org.apache.kafka.connect.errors.DataException"},
		{dlq.HeaderExceptionMessage, "Converting byte[] to Kafka Connect data failed due to serialization error"},
	}
	if len(got.Headers) != len(want)+1 {
		t.Fatalf("%d headers, want %d (with the stack trace)", len(got.Headers), len(want)+1)
	}
	for i, w := range want {
		if h := got.Headers[i]; h.Key != w.k || string(h.Value) != w.v {
			t.Errorf("header %d = %s=%q, want %s=%q", i, h.Key, h.Value, w.k, w.v)
		}
	}
	if last := got.Headers[len(want)]; last.Key != dlq.HeaderExceptionTrace || len(last.Value) == 0 {
		t.Errorf("last header = %s=%q, want a non-empty %s", last.Key, last.Value, dlq.HeaderExceptionTrace)
	}
}
