package kafka_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/serverless-kafka-connect/slkc/shared/config"
	"github.com/serverless-kafka-connect/slkc/shared/kafka"
	"github.com/serverless-kafka-connect/slkc/shared/testenv"
)

// TestIntegrationEnsureProduceConsume creates a topic on the real broker,
// produces through NewClient's idempotent acks=all producer and reads the
// records back in order.
func TestIntegrationEnsureProduceConsume(t *testing.T) {
	env := testenv.New(t)
	adm := env.KafkaAdmin(t)
	topic := testenv.UniqueName(t, "kafka", 200)
	env.DeleteTopicAtCleanup(t, topic)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	if err := kafka.EnsureTopics(ctx, adm, []string{topic}, 3, 1, map[string]string{"retention.ms": "3600000"}); err != nil {
		t.Fatal(err)
	}
	// Idempotent: a second call leaves the existing topic alone.
	if err := kafka.EnsureTopics(ctx, adm, []string{topic}, 6, 1, nil); err != nil {
		t.Fatalf("second EnsureTopics: %v", err)
	}
	// Topic creation is asynchronous in KRaft: wait until every partition
	// has a leader, then read the topic with a fresh client (kadm caches
	// metadata).
	if err := kafka.WaitTopicsReady(ctx, env.Kafka(t), topic); err != nil {
		t.Fatal(err)
	}
	fresh := kadm.NewClient(env.Kafka(t))
	details, err := fresh.ListTopics(ctx, topic)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range details[topic].Partitions {
		if p.Leader < 0 {
			t.Fatalf("partition %d has no leader after WaitTopicsReady", p.Partition)
		}
	}
	if nparts := len(details[topic].Partitions); nparts != 3 {
		t.Fatalf("topic has %d partitions, want 3 (the second call must not change it)", nparts)
	}
	rc, err := fresh.DescribeTopicConfigs(ctx, topic)
	if err != nil {
		t.Fatal(err)
	}
	if v, err := rc.On(topic, nil); err != nil {
		t.Fatal(err)
	} else if c := findConfig(v.Configs, "retention.ms"); c != "3600000" {
		t.Errorf("retention.ms = %q, want 3600000", c)
	}

	cl, err := kafka.NewClient(ctx, kafka.Config{Bootstrap: env.Seeds(), Compression: "zstd", LingerMs: 5, ClientID: "slkc-it"})
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	var recs []*kgo.Record
	for _, v := range []string{"a", "b", "c", "d"} {
		recs = append(recs, &kgo.Record{Topic: topic, Partition: 1, Key: []byte("k"), Value: []byte(v)})
	}
	// Manual partitioning keeps the test independent of the key hash.
	pcl, err := kafka.NewClient(ctx, kafka.Config{Bootstrap: env.Seeds()}, kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	defer pcl.Close()
	if err := pcl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		t.Fatalf("produce: %v", err)
	}
	if err := cl.ProduceSync(ctx, &kgo.Record{Topic: topic, Value: []byte("via default client")}).FirstErr(); err != nil {
		t.Fatalf("produce with compression: %v", err)
	}

	consumer := env.Kafka(t, kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: {1: kgo.NewOffset().AtStart()}}))
	var got []string
	for len(got) < 4 && ctx.Err() == nil {
		fs := consumer.PollFetches(ctx)
		fs.EachRecord(func(r *kgo.Record) {
			if r.Partition == 1 {
				got = append(got, string(r.Value))
			}
		})
	}
	if !strings.HasPrefix(strings.Join(got, ""), "abcd") {
		t.Fatalf("consumed %q from partition 1, want a, b, c, d in order", got)
	}

	if err := kafka.EnsureTopics(ctx, adm, []string{"bad topic"}, 1, 1, nil); err == nil || !strings.Contains(err.Error(), `"bad topic"`) {
		t.Errorf("EnsureTopics(bad name) = %v, want an error naming the topic", err)
	}
	// A topic that does not exist is never ready: the error names it.
	missing := testenv.UniqueName(t, "kafka-missing", 200)
	wctx, wcancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer wcancel()
	if err := kafka.WaitTopicsReady(wctx, env.Kafka(t), topic, missing); err == nil || !strings.Contains(err.Error(), missing) || strings.Contains(err.Error(), topic+" ") || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("WaitTopicsReady(ready, missing) = %v, want a deadline error naming only %s", err, missing)
	}
}

func findConfig(cs []kadm.Config, key string) string {
	for _, c := range cs {
		if c.Key == key && c.Value != nil {
			return *c.Value
		}
	}
	return ""
}

// TestIntegrationProducerLargeRecords produces, with Kafka's default
// batch.size of 16 KB, records of 1 KB, 20 KB, 16 KB exactly and 300 KB
// mixed on one partition: as with Kafka's Java producer every record is
// written (franz-go alone fails those over its batch size), in order, with
// its bytes. A record over the broker's message size then fails with the
// broker's error, and nothing after it in the same call is sent.
func TestIntegrationProducerLargeRecords(t *testing.T) {
	env := testenv.New(t)
	topic := env.Topic(t, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	p, err := kafka.NewProducer(ctx, kafka.Config{Bootstrap: env.Seeds(), BatchBytes: 16384, LingerMs: 5})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	recs := largeRecords(topic)
	res := p.ProduceSync(ctx, recs...)
	if err := res.FirstErr(); err != nil || len(res) != len(recs) {
		t.Fatalf("produce: %d results, %v", len(res), err)
	}
	for i, r := range res {
		if r.Record != recs[i] {
			t.Errorf("result %d is for another record", i)
		}
	}
	for i, r := range readAll(ctx, t, env, topic, len(recs)) {
		if string(r.Key) != fmt.Sprint(i) || string(r.Value) != string(recs[i].Value) || r.Offset != int64(i) {
			t.Errorf("record at offset %d: key %q, %d bytes; want key %d with its %d bytes", r.Offset, r.Key, len(r.Value), i, len(recs[i].Value))
		}
	}

	// Over the broker's limit: the broker's error, later records not sent.
	tooBig := &kgo.Record{Topic: topic, Value: make([]byte, 9<<20)}
	after := &kgo.Record{Topic: topic, Value: []byte("after")}
	res = p.ProduceSync(ctx, &kgo.Record{Topic: topic, Value: []byte("before")}, tooBig, after)
	if res[0].Err != nil || res[1].Err == nil || !errors.Is(res[2].Err, kafka.ErrNotSent) {
		t.Errorf("before / too big / after: %v / %v / %v; want nil, an error, ErrNotSent", res[0].Err, res[1].Err, res[2].Err)
	}
}

// TestIntegrationProducerBatchOverTopicLimit produces 400 records of 1 KB
// at once to a topic whose max.message.bytes is 100,000, where every
// record fits: with the default batch size (1,000,000) the broker refuses
// the batches, and Explain names the key to lower; with the batch size
// under the topic's limit the same records are all written.
func TestIntegrationProducerBatchOverTopicLimit(t *testing.T) {
	env := testenv.New(t)
	adm := env.KafkaAdmin(t)
	topic := testenv.UniqueName(t, "small", 200)
	env.DeleteTopicAtCleanup(t, topic)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := kafka.EnsureTopics(ctx, adm, []string{topic}, 1, 1, map[string]string{"max.message.bytes": "100000"}); err != nil {
		t.Fatal(err)
	}
	if err := kafka.WaitTopicsReady(ctx, env.Kafka(t), topic); err != nil {
		t.Fatal(err)
	}
	records := func() []*kgo.Record {
		recs := make([]*kgo.Record, 400)
		for i := range recs {
			recs[i] = &kgo.Record{Topic: topic, Key: []byte(fmt.Sprint(i)), Value: []byte(strings.Repeat("v", 1000))}
		}
		return recs
	}
	produce := func(batch int) (*kafka.Producer, kgo.ProduceResults) {
		// A long linger, so the 400 records are batched together.
		p, err := kafka.NewProducer(ctx, kafka.Config{Bootstrap: env.Seeds(), BatchBytes: batch, LingerMs: 200})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(p.Close)
		return p, p.ProduceSync(ctx, records()...)
	}

	batch := int(config.DefaultProducer().BatchBytes)
	p, res := produce(batch)
	err := res.FirstErr()
	if !errors.Is(err, kerr.MessageTooLarge) {
		t.Fatalf("default batch size into a topic of max.message.bytes 100000: %v; want MESSAGE_TOO_LARGE", err)
	}
	msg := p.Explain(topic, err).Error()
	t.Log(msg)
	for _, want := range []string{topic, config.KeyProducerBatchSize, "max.message.bytes", fmt.Sprintf("up to %d bytes", batch)} {
		if !strings.Contains(msg, want) {
			t.Errorf("explained error %q does not name %q", msg, want)
		}
	}
	if other := errors.New("other"); p.Explain(topic, other) != other {
		t.Errorf("Explain changed an unrelated error")
	}

	if _, res := produce(50_000); res.FirstErr() != nil {
		t.Fatalf("batch size 50000 into the same topic: %v", res.FirstErr())
	}
	if got := readAll(ctx, t, env, topic, 400); len(got) != 400 || string(got[399].Key) != "399" {
		t.Errorf("read %d records, last key %q; want 400, the last 399", len(got), got[len(got)-1].Key)
	}
}

// largeRecords are records for partition 0 of topic whose values are 1 KB,
// 20 KB, 16 KB exactly, 300 KB and a few bytes, mixed: around and over
// Kafka's default batch.size of 16 KB. Record i has key i.
func largeRecords(topic string) []*kgo.Record {
	var recs []*kgo.Record
	for i, n := range []int{1000, 20_000, 1000, 1000, 16384, 300_000, 50, 17_000, 17_000, 10} {
		recs = append(recs, &kgo.Record{Topic: topic, Partition: 0, Key: []byte(fmt.Sprint(i)), Value: []byte(strings.Repeat(string(rune('a'+i)), n))})
	}
	return recs
}

// readAll reads the first n records of topic from its start.
func readAll(ctx context.Context, t *testing.T, env *testenv.Env, topic string, n int) []*kgo.Record {
	t.Helper()
	cl := env.Kafka(t, kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	var got []*kgo.Record
	for len(got) < n {
		fs := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			t.Fatalf("read %d of %d records of %s: %v", len(got), n, topic, err)
		}
		got = append(got, fs.Records()...)
	}
	return got
}
