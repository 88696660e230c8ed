package sinktask

import (
	"context"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/serverless-kafka-connect/slkc/shared/dlq"
)

// TestHandleDeadLettersThroughKafka wires a real dlq.Reporter on kfake: the
// poison record must arrive on the dead-letter topic with its original bytes
// and context headers while the good records are written.
func TestHandleDeadLettersThroughKafka(t *testing.T) {
	c, err := kfake.NewCluster(kfake.NumBrokers(1))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	rep := &dlq.Reporter{Client: cl, Topic: "dlq-orders", Connector: "orders-sink", ContextHeaders: true}
	if err := rep.EnsureTopic(ctx, kadm.NewClient(cl), 1); err != nil {
		t.Fatal(err)
	}
	dest := &fakeDest{}
	task := &Task{Name: "orders-sink", Destination: dest, KeyConverter: stringConv{}, ValueConverter: stringConv{},
		ValueConverterClass: "org.apache.kafka.connect.json.JsonConverter", Tolerance: ToleranceAll, DLQ: rep, ReportBatchItemFailures: true}
	resp, err := task.Handle(ctx, event(rec("orders", 0, 1, "ok"), rec("orders", 0, 2, "poison"), rec("orders", 1, 9, "ok2")))
	if err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("Handle() = %+v, %v; want success", resp, err)
	}
	if n := len(dest.calls[0]); n != 2 {
		t.Errorf("%d records written, want 2", n)
	}

	consumer, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...), kgo.ConsumeTopics("dlq-orders"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer consumer.Close()
	var got []*kgo.Record
	for len(got) < 1 && ctx.Err() == nil {
		consumer.PollFetches(ctx).EachRecord(func(r *kgo.Record) { got = append(got, r) })
	}
	if len(got) != 1 {
		t.Fatalf("%d dead letters, want 1", len(got))
	}
	h := map[string]string{}
	for _, x := range got[0].Headers {
		h[x.Key] = string(x.Value)
	}
	want := map[string]string{
		"h": "v", dlq.HeaderTopic: "orders", dlq.HeaderPartition: "0", dlq.HeaderOffset: "2",
		dlq.HeaderStage: "VALUE_CONVERTER", dlq.HeaderClassName: "org.apache.kafka.connect.json.JsonConverter",
		dlq.HeaderExceptionClassName: "org.apache.kafka.connect.errors.DataException",
	}
	for k, v := range want {
		if h[k] != v {
			t.Errorf("header %s = %q, want %q", k, h[k], v)
		}
	}
	if string(got[0].Value) != "poison" || string(got[0].Key) != "k2" {
		t.Errorf("dead letter key/value = %q/%q, want the original k2/poison", got[0].Key, got[0].Value)
	}
	if !got[0].Timestamp.Equal(time.UnixMilli(1700000000002)) {
		t.Errorf("dead letter timestamp = %v, want the original", got[0].Timestamp)
	}
}
