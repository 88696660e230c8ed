package bridge

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/serverless-kafka-connect/slkc/events"
	"github.com/serverless-kafka-connect/slkc/shared/testenv"
)

// staged returns the batch staged after a running one, if any.
func staged(b *Bridge) *flight {
	b.mu.Lock()
	defer b.mu.Unlock()
	for fl := range b.flights {
		if fl.next != nil {
			return fl.next
		}
	}
	return nil
}

// awaitStaged waits (bounded) from inside an invoke until a batch is staged
// whose event is built, and returns its first offset (-1 when none came).
func awaitStaged(b *Bridge) int64 {
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if nx := staged(b); nx != nil {
			select {
			case <-nx.ev.ready:
				return nx.items[0].offset
			case <-time.After(time.Until(deadline)):
				return -1
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	return -1
}

// TestPrefetchKeepsCommitOrder runs three batches of one partition at
// concurrency 1. While the first batch's invokes fail (a function error,
// then a partial batch response), the second batch is staged with its event
// built; it is invoked only after the first is fully delivered. A resolved
// batch's commit runs in the background while the next batch is invoked:
// each invoke starts with nothing of its own batch or later committed, and
// with the batches before the previous one committed (the commit lags by at
// most the batch just resolved); in the end everything is committed.
func TestPrefetchKeepsCommitOrder(t *testing.T) {
	env := testenv.New(t)
	topic := env.Topic(t, 1)
	produce(t, env.Kafka(t), topic, 30, small)
	adm := env.KafkaAdmin(t)
	m := baseMapping(env, t, topic)
	m.BatchSize, m.ReportBatchItemFailures = 10, true
	key := events.TopicPartition(topic, 0)

	var mu sync.Mutex
	var seen []int64 // committed offset when each invoke started
	var stagedFirst []int64
	var b *Bridge
	bSet := make(chan struct{})
	fn := &fakeFunction{}
	fn.handle = func(c call) (InvokeResult, error) {
		<-bSet
		at := committed(t, adm, m.ConsumerGroup, topic)
		mu.Lock()
		seen = append(seen, at)
		mu.Unlock()
		if c.n == 3 {
			// The commit of the batch resolved before this invoke lands
			// while it runs.
			waitFor(t, "commit of the first batch during the next invoke", func() bool { return committed(t, adm, m.ConsumerGroup, topic) >= 10 })
		}
		if c.n < 2 {
			first := awaitStaged(b)
			mu.Lock()
			stagedFirst = append(stagedFirst, first)
			mu.Unlock()
		}
		switch c.n {
		case 0:
			return functionError()
		case 1:
			return InvokeResult{StatusCode: 200, Payload: fmt.Appendf(nil,
				`{"batchItemFailures":[{"itemIdentifier":{"partition":%q,"offset":5}}]}`, key)}, nil
		}
		return InvokeResult{StatusCode: 200, Payload: []byte(`{"batchItemFailures":[]}`)}, nil
	}
	b, _ = runBridge(t, m, fn)
	close(bSet)
	waitFor(t, "commit of all 30", func() bool { return committed(t, adm, m.ConsumerGroup, topic) == 30 })

	calls := fn.snapshot()
	want := [][]int64{seq(0, 10), seq(0, 10), seq(5, 10), seq(10, 20), seq(20, 30)}
	if len(calls) != len(want) {
		t.Fatalf("%d invokes, want %d", len(calls), len(want))
	}
	for i, c := range calls {
		if got := c.offsets(key); !slices.Equal(got, want[i]) {
			t.Errorf("invoke %d carried offsets %v, want %v", i, got, want[i])
		}
	}
	// Nothing committed while the first batch failed; the partial
	// response's resolved part (0..4) is committed before its retry; each
	// later invoke starts with at least the batches before the previous
	// one committed, and nothing of its own.
	lo := []int64{-1, -1, 5, 5, 10}
	hi := []int64{0, 0, 5, 10, 20}
	mu.Lock()
	defer mu.Unlock()
	for i := range seen {
		if seen[i] < lo[i] || seen[i] > hi[i] {
			t.Errorf("invoke %d started with committed offset %d, want %d..%d", i, seen[i], lo[i], hi[i])
		}
	}
	if !slices.Equal(stagedFirst, []int64{10, 10}) {
		t.Errorf("batch staged during the failing invokes starts at %v, want offset 10 both times, its event built", stagedFirst)
	}
	// The second batch ran as the staged successor; the first did not.
	if st := b.Stats(); st.Staged < 1 || st.Staged >= st.Batches {
		t.Errorf("Stats: %d of %d batches staged, want at least 1 and not the first", st.Staged, st.Batches)
	}
}

// TestPrefetchedBatchRedelivered stops a bridge whose function fails every
// invoke of the first batch while the second batch is staged: the staged
// batch is never invoked nor committed, and the next bridge of the group
// delivers both batches from offset 0.
func TestPrefetchedBatchRedelivered(t *testing.T) {
	env := testenv.New(t)
	topic := env.Topic(t, 1)
	produce(t, env.Kafka(t), topic, 20, small)
	adm := env.KafkaAdmin(t)
	m := baseMapping(env, t, topic)
	m.BatchSize = 10
	key := events.TopicPartition(topic, 0)

	var b *Bridge
	bSet := make(chan struct{})
	stagedSeen := make(chan int64, 1)
	failing := &fakeFunction{}
	failing.handle = func(c call) (InvokeResult, error) {
		<-bSet
		if c.n == 0 {
			stagedSeen <- awaitStaged(b)
		}
		return functionError()
	}
	b, stop := runBridge(t, m, failing)
	close(bSet)
	if first := <-stagedSeen; first != 10 {
		t.Fatalf("staged batch starts at %d, want 10", first)
	}
	waitFor(t, "three failed invokes", func() bool { return len(failing.snapshot()) >= 3 })
	stop()
	for i, c := range failing.snapshot() {
		if got := c.offsets(key); !slices.Equal(got, seq(0, 10)) {
			t.Errorf("failing bridge invoke %d carried %v, want only the first batch", i, got)
		}
	}
	if at := committed(t, adm, m.ConsumerGroup, topic); at > 0 {
		t.Fatalf("committed %d after only failed invokes, want nothing", at)
	}

	ok := &fakeFunction{}
	runBridge(t, m, ok)
	waitFor(t, "commit of all 20", func() bool { return committed(t, adm, m.ConsumerGroup, topic) == 20 })
	var got []int64
	for _, c := range ok.snapshot() {
		got = append(got, c.offsets(key)...)
	}
	if !slices.Equal(got, seq(0, 20)) {
		t.Errorf("next bridge delivered %v, want offsets 0..19 once each, in order", got)
	}
}

func seq(from, to int64) []int64 {
	var out []int64
	for i := from; i < to; i++ {
		out = append(out, i)
	}
	return out
}
