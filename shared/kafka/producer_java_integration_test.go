package kafka_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	producerharness "github.com/serverless-kafka-connect/slkc/localstack/harness/producer"
	"github.com/serverless-kafka-connect/slkc/shared/kafka"
	"github.com/serverless-kafka-connect/slkc/shared/testenv"
)

// TestIntegrationProducerMatchesJavaProducer produces the same records,
// around and over Kafka's default batch.size of 16 KB, through
// kafka.Producer's ProduceSync, through its Produce (each record handed
// over without waiting, as a source hands pages over) and through Kafka's
// own KafkaProducer (kafka-clients 4.1.1, batch.size 16384) to three fresh
// one-partition topics, and checks that the logs hold the same records
// byte for byte: keys, values and offsets, every record written, in
// order. franz-go alone refuses the records over its batch size, which
// the Java producer sends.
func TestIntegrationProducerMatchesJavaProducer(t *testing.T) {
	env := testenv.New(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	const batchSize = 16384

	goTopic := env.Topic(t, 1)
	p, err := kafka.NewProducer(ctx, kafka.Config{Bootstrap: env.Seeds(), BatchBytes: batchSize, LingerMs: 5})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	recs := largeRecords(goTopic)
	if err := p.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		t.Fatalf("kafka.Producer: %v", err)
	}

	asyncTopic := env.Topic(t, 1)
	var wg sync.WaitGroup
	errs := make(chan error, len(recs))
	for _, r := range largeRecords(asyncTopic) {
		wg.Add(1)
		p.Produce(ctx, r, func(_ *kgo.Record, err error) {
			if err != nil {
				errs <- err
			}
			wg.Done()
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("kafka.Producer.Produce: %v", err)
	}

	javaTopic := env.Topic(t, 1)
	var keys, values [][]byte
	for _, r := range recs {
		keys, values = append(keys, r.Key), append(values, r.Value)
	}
	offsets := producerharness.Start(t).Produce(t, strings.Join(env.Seeds(), ","), javaTopic, batchSize, keys, values)
	if len(offsets) != len(recs) {
		t.Fatalf("the Java producer acknowledged %d of %d records", len(offsets), len(recs))
	}

	fromGo, fromJava := readAll(ctx, t, env, goTopic, len(recs)), readAll(ctx, t, env, javaTopic, len(recs))
	fromAsync := readAll(ctx, t, env, asyncTopic, len(recs))
	same := func(a, b *kgo.Record) bool {
		return a.Offset == b.Offset && string(a.Key) == string(b.Key) && string(a.Value) == string(b.Value) && len(a.Headers) == len(b.Headers)
	}
	for i := range recs {
		if !same(fromAsync[i], fromJava[i]) {
			t.Errorf("record %d: ours by Produce offset %d key %q %d bytes, Java's offset %d key %q %d bytes",
				i, fromAsync[i].Offset, fromAsync[i].Key, len(fromAsync[i].Value), fromJava[i].Offset, fromJava[i].Key, len(fromJava[i].Value))
		}
		if !same(fromGo[i], fromJava[i]) {
			t.Errorf("record %d: ours offset %d key %q %d bytes, Java's offset %d key %q %d bytes",
				i, fromGo[i].Offset, fromGo[i].Key, len(fromGo[i].Value), fromJava[i].Offset, fromJava[i].Key, len(fromJava[i].Value))
		}
		if string(fromGo[i].Value) != string(recs[i].Value) || offsets[i] != int64(i) {
			t.Errorf("record %d: %d bytes written, Java offset %d; want the %d bytes sent at offset %d", i, len(fromGo[i].Value), offsets[i], len(recs[i].Value), i)
		}
	}
}
