package sinktask

import (
	"context"
	"strings"
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
	ctx, c, rep := kfakeDLQ(t)
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

	got := consumeDLQ(ctx, t, c, 1)
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

// kfakeDLQ starts a kfake cluster with the dead-letter topic dlq-orders
// and returns a reporter with context headers on it.
func kfakeDLQ(t *testing.T) (context.Context, *kfake.Cluster, *dlq.Reporter) {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	rep := &dlq.Reporter{Client: cl, Topic: "dlq-orders", Connector: "orders-sink", ContextHeaders: true}
	if err := rep.EnsureTopic(ctx, kadm.NewClient(cl), 1); err != nil {
		t.Fatal(err)
	}
	return ctx, c, rep
}

// consumeDLQ reads n records from dlq-orders.
func consumeDLQ(ctx context.Context, t *testing.T, c *kfake.Cluster, n int) []*kgo.Record {
	t.Helper()
	consumer, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...), kgo.ConsumeTopics("dlq-orders"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer consumer.Close()
	var got []*kgo.Record
	for len(got) < n && ctx.Err() == nil {
		consumer.PollFetches(ctx).EachRecord(func(r *kgo.Record) { got = append(got, r) })
	}
	if len(got) != n {
		t.Fatalf("%d dead letters, want %d", len(got), n)
	}
	return got
}

// TestInvokeUndecodableRecordDeadLettered is issue 11 item 6 end to end: a
// Lambda Kafka event whose record 2 of 3 has a value that is not base64,
// with errors.tolerance=all. The good records are written, the bad one
// reaches the dead-letter topic with its key, headers and the value's
// received text, and with context headers that replace the ones it carried
// from an earlier failure.
func TestInvokeUndecodableRecordDeadLettered(t *testing.T) {
	ctx, c, rep := kfakeDLQ(t)
	// "azE=" is "k1"; header "h" is "v"; the second record already has a
	// __connect.errors.stage header ("TASK_PUT" as bytes).
	payload := `{"eventSource":"SelfManagedKafka","records":{"orders-0":[
	 {"topic":"orders","partition":0,"offset":1,"timestamp":1700000000001,"timestampType":"CREATE_TIME","key":"azE=","value":"YQ==","headers":[]},
	 {"topic":"orders","partition":0,"offset":2,"timestamp":1700000000002,"timestampType":"CREATE_TIME","key":"azI=","value":"%%not-base64%%",
	  "headers":[{"h":[118]},{"__connect.errors.stage":[84,65,83,75,95,80,85,84]}]},
	 {"topic":"orders","partition":0,"offset":3,"timestamp":1700000000003,"timestampType":"CREATE_TIME","key":"azM=","value":"Yw==","headers":[]}]}}`
	dest := &fakeDest{}
	task := &Task{Name: "orders-sink", Destination: dest, KeyConverter: stringConv{}, ValueConverter: stringConv{},
		ConnectorClass: "io.slkc.connect.mysql.MySqlSinkConnector", Tolerance: ToleranceAll, DLQ: rep, ReportBatchItemFailures: true, Topics: []string{"orders"}}
	out, err := task.Invoke(ctx, []byte(payload))
	if err != nil {
		t.Fatalf("Invoke() error %v, want success", err)
	}
	if string(out) != `{"batchItemFailures":[]}` {
		t.Errorf("response %s, want no failures", out)
	}
	if got := values(dest.calls[0]); len(got) != 2 || got[0] != "orders/0@1=a" || got[1] != "orders/0@3=c" {
		t.Errorf("written %v, want records 1 and 3", got)
	}
	dl := consumeDLQ(ctx, t, c, 1)[0]
	if string(dl.Key) != "k2" || string(dl.Value) != "%%not-base64%%" {
		t.Errorf("dead letter key/value = %q/%q, want k2 and the value's received text", dl.Key, dl.Value)
	}
	h := map[string][]string{}
	for _, x := range dl.Headers {
		h[x.Key] = append(h[x.Key], string(x.Value))
	}
	want := map[string]string{
		"h": "v", dlq.HeaderTopic: "orders", dlq.HeaderPartition: "0", dlq.HeaderOffset: "2",
		dlq.HeaderStage: dlq.StageKafkaConsume, dlq.HeaderClassName: "io.slkc.connect.mysql.MySqlSinkConnector",
		dlq.HeaderExceptionClassName: "org.apache.kafka.connect.errors.DataException",
	}
	for k, v := range want {
		if len(h[k]) != 1 || h[k][0] != v {
			t.Errorf("header %s = %q, want exactly [%q]", k, h[k], v)
		}
	}
	if msg := h[dlq.HeaderExceptionMessage]; len(msg) != 1 || !strings.Contains(msg[0], "orders/0@2: value: invalid base64") {
		t.Errorf("exception message %q, want one naming the record and field", msg)
	}
}
