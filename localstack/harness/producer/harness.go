// Package producerharness runs the Java side of the producer differential
// test: ProducerHarness.java (next to this file), Kafka's KafkaProducer on
// the classpath of localstack/maven/connect-transforms-pom.xml
// (kafka-clients 4.1.1 with Connect's JSON). It is a test helper: every
// function takes a testing.TB and fails it on error.
package producerharness

import (
	"encoding/base64"
	"strconv"
	"strings"
	"testing"

	"github.com/serverless-kafka-connect/slkc/localstack/harness/jvm"
)

// Harness drives ProducerHarness.java, one JVM per test.
type Harness struct{ p *jvm.Process }

// Start compiles and starts the harness.
func Start(t testing.TB) *Harness {
	t.Helper()
	return &Harness{jvm.Start(t, "connect-transforms", "connect-transforms-pom.xml", "localstack/harness/producer/ProducerHarness.java", "ProducerHarness")}
}

// Produce has Kafka's KafkaProducer, with batch.size batchSize, linger.ms 5
// and acks=all, send the records (keys[i], values[i]) to partition 0 of
// topic in order and flush; it returns each record's offset. A record the
// producer fails fails the test.
func (h *Harness) Produce(t testing.TB, bootstrap, topic string, batchSize int, keys, values [][]byte) []int64 {
	t.Helper()
	enc := func(bs [][]byte) []string {
		out := make([]string, len(bs))
		for i, b := range bs {
			out[i] = base64.StdEncoding.EncodeToString(b)
		}
		return out
	}
	r := h.p.Call(t, map[string]any{"op": "produce", "bootstrap": bootstrap, "topic": topic, "batchSize": batchSize,
		"keys": enc(keys), "values": enc(values)})
	var offsets []int64
	for _, s := range strings.Split(r["offsets"], ",") {
		o, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			t.Fatalf("ProducerHarness offsets %q: %v", r["offsets"], err)
		}
		offsets = append(offsets, o)
	}
	return offsets
}
