package bridge

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/serverless-kafka-connect/slkc/events"
	"github.com/serverless-kafka-connect/slkc/shared/testenv"
)

// produceTo writes n small records to one partition, values {"p":P,"i":i}.
func produceTo(t *testing.T, cl *kgo.Client, topic string, partition int32, from, n int) {
	t.Helper()
	recs := make([]*kgo.Record, n)
	for i := range n {
		recs[i] = &kgo.Record{Topic: topic, Partition: partition, Value: fmt.Appendf(nil, `{"p":%d,"i":%d}`, partition, from+i)}
	}
	if err := cl.ProduceSync(context.Background(), recs...).FirstErr(); err != nil {
		t.Fatalf("produce to %s-%d: %v", topic, partition, err)
	}
}

// committedAt returns the group's committed offset of one partition, -1 if none.
func committedAt(t *testing.T, adm *kadm.Client, group, topic string, partition int32) int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err := adm.FetchOffsets(ctx, group)
	if err != nil {
		return -1
	}
	o, ok := resp.Lookup(topic, partition)
	if !ok {
		return -1
	}
	return o.At
}

// partitionsOf lists the partitions present in an invoke.
func partitionsOf(c call) []int32 {
	var ps []int32
	for _, recs := range c.event.Records {
		if len(recs) > 0 {
			ps = append(ps, recs[0].Partition)
		}
	}
	return ps
}

// TestStuckPartitionDoesNotBlockOthers: with Concurrency 2, partition 0's
// batch is either slow (its invoke hangs) or poisoned (every invoke fails
// and is retried); meanwhile partition 1's records, including ones produced
// later, are delivered and committed. Nothing of partition 0 is committed
// until it succeeds, and its retries keep its records in order.
func TestStuckPartitionDoesNotBlockOthers(t *testing.T) {
	for _, mode := range []string{"slow", "poisoned"} {
		t.Run(mode, func(t *testing.T) {
			env := testenv.New(t)
			topic := env.Topic(t, 2)
			cl := env.Kafka(t, kgo.RecordPartitioner(kgo.ManualPartitioner()))
			adm := env.KafkaAdmin(t)
			produceTo(t, cl, topic, 0, 0, 5)
			produceTo(t, cl, topic, 1, 0, 5)

			release := make(chan struct{})
			fn := &fakeFunction{}
			fn.handle = func(c call) (InvokeResult, error) {
				if len(c.event.Records[events.TopicPartition(topic, 0)]) == 0 {
					return InvokeResult{StatusCode: 200, Payload: []byte(`{"batchItemFailures":[]}`)}, nil
				}
				select {
				case <-release:
					return InvokeResult{StatusCode: 200, Payload: []byte(`{"batchItemFailures":[]}`)}, nil
				default:
				}
				if mode == "slow" {
					<-release
					return InvokeResult{StatusCode: 200, Payload: []byte(`{"batchItemFailures":[]}`)}, nil
				}
				return functionError()
			}
			m := baseMapping(env, t, topic)
			m.Concurrency = 2
			b, _ := runBridge(t, m, fn)
			var once sync.Once
			unblock := func() { once.Do(func() { close(release) }) }
			t.Cleanup(unblock) // runs before runBridge's stop, so a failing test cannot hang on the blocked invoke

			waitFor(t, "partition 1 committed while partition 0 is stuck", func() bool {
				return committedAt(t, adm, m.ConsumerGroup, topic, 1) == 5
			})
			produceTo(t, cl, topic, 1, 5, 3)
			waitFor(t, "later records of partition 1 committed too", func() bool {
				return committedAt(t, adm, m.ConsumerGroup, topic, 1) == 8
			})
			if mode == "poisoned" {
				waitFor(t, "partition 0 retried", func() bool { return b.Stats().Retries >= 2 })
			}
			if o := committedAt(t, adm, m.ConsumerGroup, topic, 0); o > 0 {
				t.Fatalf("partition 0 committed at %d before its batch succeeded", o)
			}
			unblock()
			waitFor(t, "partition 0 committed after it recovers", func() bool {
				return committedAt(t, adm, m.ConsumerGroup, topic, 0) == 5
			})

			key0 := events.TopicPartition(topic, 0)
			p0calls := 0
			for _, c := range fn.snapshot() {
				if ps := partitionsOf(c); len(ps) != 1 {
					t.Errorf("call %d holds partitions %v; with 2 slots each partition gets its own batch", c.n, ps)
				}
				if offs := c.offsets(key0); len(offs) > 0 {
					p0calls++
					if fmt.Sprint(offs) != "[0 1 2 3 4]" {
						t.Errorf("call %d has partition 0 offsets %v, want the same batch [0 1 2 3 4] on every retry", c.n, offs)
					}
				}
			}
			if mode == "poisoned" && p0calls < 3 {
				t.Errorf("partition 0 invoked %d times, want the failing batch retried", p0calls)
			}
			if s := b.Stats(); s.Delivered != 13 || s.Failed != 0 {
				t.Errorf("stats = %+v, want 13 delivered, none failed", s)
			}
		})
	}
}

// TestConcurrencyLimitAndPartitionOrder: four partitions, Concurrency 2 and
// a slow function: never more than two invokes at once, never two for the
// same partition, every partition's records delivered once each in order.
func TestConcurrencyLimitAndPartitionOrder(t *testing.T) {
	env := testenv.New(t)
	topic := env.Topic(t, 4)
	cl := env.Kafka(t, kgo.RecordPartitioner(kgo.ManualPartitioner()))
	for p := range int32(4) {
		produceTo(t, cl, topic, p, 0, 30)
	}
	var mu sync.Mutex
	inflight, maxInflight := 0, 0
	perPart := map[int32]int{}
	fn := &fakeFunction{}
	fn.handle = func(c call) (InvokeResult, error) {
		ps := partitionsOf(c)
		mu.Lock()
		inflight++
		maxInflight = max(maxInflight, inflight)
		for _, p := range ps {
			perPart[p]++
			if perPart[p] > 1 {
				t.Errorf("partition %d has two batches in flight", p)
			}
		}
		mu.Unlock()
		time.Sleep(30 * time.Millisecond)
		mu.Lock()
		inflight--
		for _, p := range ps {
			perPart[p]--
		}
		mu.Unlock()
		return InvokeResult{StatusCode: 200}, nil
	}
	m := baseMapping(env, t, topic)
	m.BatchSize = 7
	m.Concurrency = 2
	b, _ := runBridge(t, m, fn)
	waitFor(t, "120 records delivered", func() bool { return b.Stats().Delivered == 120 })

	mu.Lock()
	if maxInflight != 2 {
		t.Errorf("most invokes in flight = %d, want exactly the Concurrency of 2", maxInflight)
	}
	mu.Unlock()
	for p := range int32(4) {
		key := events.TopicPartition(topic, p)
		var offs []int64
		for _, c := range fn.snapshot() {
			if c.count() > 7 {
				t.Errorf("call %d has %d records, want <= BatchSize 7", c.n, c.count())
			}
			offs = append(offs, c.offsets(key)...)
		}
		for i, o := range offs {
			if o != int64(i) {
				t.Fatalf("partition %d delivered offsets %v, want 0..29 once each, in order", p, offs)
			}
		}
		if len(offs) != 30 {
			t.Errorf("partition %d delivered %d records, want 30", p, len(offs))
		}
	}
}
