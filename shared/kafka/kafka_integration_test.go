package kafka_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

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
	// Topic creation is asynchronous in KRaft: poll with fresh clients
	// (kgo caches metadata) until the topic shows up.
	var fresh *kadm.Client
	var nparts int
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		fresh = kadm.NewClient(env.Kafka(t))
		details, err := fresh.ListTopics(ctx, topic)
		if err != nil {
			t.Fatal(err)
		}
		if nparts = len(details[topic].Partitions); nparts > 0 {
			break
		}
	}
	if nparts != 3 {
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
}

func findConfig(cs []kadm.Config, key string) string {
	for _, c := range cs {
		if c.Key == key && c.Value != nil {
			return *c.Value
		}
	}
	return ""
}
