package sourcetask

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// TestPageIsNotHeldByLinger: a page's records are acknowledged without
// waiting out linger.ms for its last, partly filled batch (the task flushes
// while they are in flight, as Kafka's producer.flush() does). With a
// one-minute linger and no flush, the wait would end at the deadline.
func TestPageIsNotHeldByLinger(t *testing.T) {
	const topic = "t"
	c, _ := newKfake(t, topic)
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...), kgo.ProducerLinger(time.Minute), kgo.DefaultProduceTopic(topic))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	for _, tc := range []struct {
		name    string
		records int
	}{{"one record", 1}, {"a page", 500}} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			task := &Task{Name: "c", Producer: cl, DeadlineMargin: time.Second}
			krs := make([]*kgo.Record, tc.records)
			for i := range krs {
				krs[i] = &kgo.Record{Topic: topic, Value: []byte("v")}
			}
			if err := task.produceSync(ctx, krs); err != nil {
				t.Fatalf("produce: %v (held by linger.ms?)", err)
			}
			for i, r := range krs {
				if r.Offset < 0 || r.Partition < 0 {
					t.Fatalf("record %d not acknowledged: partition %d offset %d", i, r.Partition, r.Offset)
				}
			}
		})
	}
}

// TestSendReturnsProduceError: a record the broker refuses fails the page
// through the flushing path too.
func TestSendReturnsProduceError(t *testing.T) {
	c, _ := newKfake(t, "t")
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...), kgo.RecordRetries(1), kgo.ProducerBatchMaxBytes(1000))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	task := &Task{Name: "c", Producer: cl}
	err = task.send(context.Background(), []*kgo.Record{{Topic: "t", Value: []byte("small")}, {Topic: "t", Value: make([]byte, 5000)}})
	if !errors.Is(err, kerr.MessageTooLarge) {
		t.Fatalf("send: %v, want the too-large record's error", err)
	}
}
