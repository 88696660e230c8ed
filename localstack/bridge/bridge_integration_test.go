package bridge

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/serverless-kafka-connect/slkc/events"
	"github.com/serverless-kafka-connect/slkc/shared/testenv"
)

// call is one invoke seen by the fake function.
type call struct {
	n     int
	event events.KafkaEvent
	size  int
}

// fakeFunction is an Invoker whose behaviour is a func of the call.
type fakeFunction struct {
	mu     sync.Mutex
	calls  []call
	handle func(c call) (InvokeResult, error)
}

func (f *fakeFunction) Invoke(ctx context.Context, function string, payload []byte) (InvokeResult, error) {
	var ev events.KafkaEvent
	if err := json.Unmarshal(payload, &ev); err != nil {
		return InvokeResult{}, fmt.Errorf("fake: bad event: %w", err)
	}
	f.mu.Lock()
	c := call{n: len(f.calls), event: ev, size: len(payload)}
	f.calls = append(f.calls, c)
	f.mu.Unlock()
	if f.handle == nil {
		return InvokeResult{StatusCode: 200, Payload: []byte(`{"batchItemFailures":[]}`)}, nil
	}
	return f.handle(c)
}

func (f *fakeFunction) snapshot() []call {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]call(nil), f.calls...)
}

// offsets lists the offsets of one partition key in a call, in event order.
func (c call) offsets(key string) []int64 {
	var out []int64
	for _, r := range c.event.Records[key] {
		out = append(out, r.Offset)
	}
	return out
}

func (c call) count() int { return c.event.Len() }

func functionError() (InvokeResult, error) {
	return InvokeResult{StatusCode: 200, FunctionError: "Unhandled", Payload: []byte(`{"errorType":"x","errorMessage":"boom"}`)}, nil
}

func produce(t *testing.T, cl *kgo.Client, topic string, n int, value func(i int) []byte) {
	t.Helper()
	recs := make([]*kgo.Record, n)
	for i := range n {
		recs[i] = &kgo.Record{Topic: topic, Partition: 0, Key: fmt.Appendf(nil, "k%d", i), Value: value(i),
			Headers: []kgo.RecordHeader{{Key: "h", Value: []byte{1, 2}}}}
	}
	if err := cl.ProduceSync(context.Background(), recs...).FirstErr(); err != nil {
		t.Fatalf("produce: %v", err)
	}
}

func small(i int) []byte { return fmt.Appendf(nil, `{"i":%d}`, i) }

// runBridge runs a bridge until the returned stop is called (also at cleanup).
func runBridge(t *testing.T, m Mapping, inv Invoker) (*Bridge, func()) {
	t.Helper()
	b, err := New(m, inv, slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn})))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := b.Run(ctx); err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	var once sync.Once
	stop := func() { once.Do(func() { cancel(); <-done }) }
	t.Cleanup(stop)
	return b, stop
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func committed(t *testing.T, adm *kadm.Client, group, topic string) int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err := adm.FetchOffsets(ctx, group)
	if err != nil {
		return -1 // group not there yet
	}
	o, ok := resp.Lookup(topic, 0)
	if !ok {
		return -1
	}
	return o.At
}

func baseMapping(env *testenv.Env, t *testing.T, topic string) Mapping {
	return Mapping{
		FunctionName:         "sink",
		Topics:               []string{topic},
		Bootstrap:            env.Bootstrap(),
		ConsumerGroup:        testenv.UniqueName(t, "g", 100),
		BatchSize:            100,
		MaximumRetryAttempts: -1,
		RetryBackoff:         10 * time.Millisecond,
	}
}

func TestBatchingAndEventShape(t *testing.T) {
	env := testenv.New(t)
	topic := env.Topic(t, 1)
	cl := env.Kafka(t)
	produce(t, cl, topic, 250, small)
	fn := &fakeFunction{}
	m := baseMapping(env, t, topic)
	m.EventSource = SourceMSK
	m.MaxBatchingWindow = 300 * time.Millisecond
	b, _ := runBridge(t, m, fn)
	waitFor(t, "250 records delivered", func() bool { return b.Stats().Delivered == 250 })

	key := events.TopicPartition(topic, 0)
	var next int64
	for _, c := range fn.snapshot() {
		if c.count() > 100 {
			t.Errorf("call %d has %d records, want <= BatchSize 100", c.n, c.count())
		}
		for _, o := range c.offsets(key) {
			if o != next {
				t.Fatalf("call %d: offset %d, want %d (in order, no gaps or repeats)", c.n, o, next)
			}
			next++
		}
		if c.event.EventSource != "aws:kafka" || !strings.HasPrefix(c.event.EventSourceARN, "arn:aws:kafka:") || c.event.BootstrapServers != env.Bootstrap() {
			t.Errorf("event source fields = %q %q %q", c.event.EventSource, c.event.EventSourceARN, c.event.BootstrapServers)
		}
	}
	first := fn.snapshot()[0].event.Records[key][0]
	if v, _ := first.DecodeValue(); string(v) != `{"i":0}` || first.TimestampType != "CREATE_TIME" || first.Topic != topic {
		t.Errorf("first record = %+v value %s", first, v)
	}
	if hs := first.HeaderList(); len(hs) != 1 || hs[0].Key != "h" || !bytes.Equal(hs[0].Value, []byte{1, 2}) {
		t.Errorf("headers = %+v, want h=[1 2]", hs)
	}
	waitFor(t, "commit of 250", func() bool { return committed(t, env.KafkaAdmin(t), m.ConsumerGroup, topic) == 250 })
}

func TestPayloadLimit(t *testing.T) {
	env := testenv.New(t)
	topic := env.Topic(t, 1)
	cl := env.Kafka(t, kgo.ProducerBatchMaxBytes(2<<20))
	big := bytes.Repeat([]byte("x"), 900*1024)
	produce(t, cl, topic, 12, func(int) []byte { return big })
	fn := &fakeFunction{}
	m := baseMapping(env, t, topic)
	m.MaxBatchingWindow = time.Second
	b, _ := runBridge(t, m, fn)
	waitFor(t, "12 big records delivered", func() bool { return b.Stats().Delivered == 12 })
	calls := fn.snapshot()
	if len(calls) < 2 {
		t.Errorf("calls = %d, want the 14 MB of events split over several invokes", len(calls))
	}
	for _, c := range calls {
		if c.size > MaxPayloadBytes {
			t.Errorf("call %d payload %d bytes, over the 6 MB limit", c.n, c.size)
		}
	}
}

func TestCommitOnlyAfterSuccessAndRetry(t *testing.T) {
	env := testenv.New(t)
	topic := env.Topic(t, 1)
	produce(t, env.Kafka(t), topic, 10, small)
	adm := env.KafkaAdmin(t)
	m := baseMapping(env, t, topic)
	var seenCommitted []int64
	var b *Bridge
	bSet := make(chan struct{})
	var lagDuringFailure map[string]int64
	fn := &fakeFunction{}
	fn.handle = func(c call) (InvokeResult, error) {
		seenCommitted = append(seenCommitted, committed(t, adm, m.ConsumerGroup, topic))
		if c.n == 0 {
			<-bSet
			var err error
			if lagDuringFailure, err = b.Lag(context.Background()); err != nil {
				t.Errorf("Lag: %v", err)
			}
		}
		if c.n < 2 {
			return functionError()
		}
		return InvokeResult{StatusCode: 200, Payload: []byte(`null`)}, nil
	}
	b, _ = runBridge(t, m, fn)
	close(bSet)
	waitFor(t, "delivery", func() bool { return b.Stats().Delivered == 10 })
	waitFor(t, "commit", func() bool { return committed(t, adm, m.ConsumerGroup, topic) == 10 })
	calls := fn.snapshot()
	if len(calls) != 3 {
		t.Fatalf("invokes = %d, want 3 (2 failures, 1 success)", len(calls))
	}
	for i, c := range calls {
		if c.count() != 10 || c.offsets(events.TopicPartition(topic, 0))[0] != 0 {
			t.Errorf("call %d = %d records from %v, want the same batch of 10 from 0", i, c.count(), c.offsets(events.TopicPartition(topic, 0)))
		}
	}
	for i, o := range seenCommitted {
		if o > 0 {
			t.Errorf("during call %d committed offset was %d, want nothing committed before success", i, o)
		}
	}
	key := events.TopicPartition(topic, 0)
	if lagDuringFailure[key] != 10 {
		t.Errorf("lag while failing = %v, want 10 on %s", lagDuringFailure, key)
	}
	if lag, err := b.Lag(context.Background()); err != nil || lag[key] != 0 {
		t.Errorf("lag after commit = %v, %v; want 0", lag, err)
	}
	if s := b.Stats(); s.Retries != 2 || s.Failed != 0 {
		t.Errorf("stats = %+v, want 2 retries, 0 failed", s)
	}
}

func TestPartialBatchResponseRedelivers(t *testing.T) {
	env := testenv.New(t)
	topic := env.Topic(t, 1)
	produce(t, env.Kafka(t), topic, 10, small)
	adm := env.KafkaAdmin(t)
	m := baseMapping(env, t, topic)
	m.ReportBatchItemFailures = true
	key := events.TopicPartition(topic, 0)
	var committedAtSecond int64
	fn := &fakeFunction{}
	fn.handle = func(c call) (InvokeResult, error) {
		switch c.n {
		case 0: // records 5 and 7 fail: resume at 5
			return InvokeResult{StatusCode: 200, Payload: fmt.Appendf(nil,
				`{"batchItemFailures":[{"itemIdentifier":{"partition":%q,"offset":7}},{"itemIdentifier":{"partition":%q,"offset":5}}]}`, key, key)}, nil
		case 1:
			committedAtSecond = committed(t, adm, m.ConsumerGroup, topic)
		}
		return InvokeResult{StatusCode: 200, Payload: []byte(`{"batchItemFailures":[]}`)}, nil
	}
	b, _ := runBridge(t, m, fn)
	waitFor(t, "commit of 10", func() bool { return committed(t, adm, m.ConsumerGroup, topic) == 10 })
	calls := fn.snapshot()
	if len(calls) != 2 {
		t.Fatalf("invokes = %d, want 2", len(calls))
	}
	if got := calls[1].offsets(key); fmt.Sprint(got) != "[5 6 7 8 9]" {
		t.Errorf("re-delivered offsets = %v, want [5 6 7 8 9]", got)
	}
	if committedAtSecond != 5 {
		t.Errorf("committed before re-delivery = %d, want 5 (the records before the earliest failure)", committedAtSecond)
	}
	if s := b.Stats(); s.Delivered != 10 {
		t.Errorf("delivered = %d, want 10", s.Delivered)
	}
}

func TestInvalidPartialResponseFailsWholeBatch(t *testing.T) {
	env := testenv.New(t)
	topic := env.Topic(t, 1)
	produce(t, env.Kafka(t), topic, 3, small)
	m := baseMapping(env, t, topic)
	m.ReportBatchItemFailures = true
	fn := &fakeFunction{}
	fn.handle = func(c call) (InvokeResult, error) {
		if c.n == 0 { // names a record that is not in the batch
			return InvokeResult{StatusCode: 200, Payload: []byte(`{"batchItemFailures":[{"itemIdentifier":{"partition":"other-0","offset":1}}]}`)}, nil
		}
		return InvokeResult{StatusCode: 200}, nil
	}
	b, _ := runBridge(t, m, fn)
	waitFor(t, "delivery", func() bool { return b.Stats().Delivered == 3 })
	if calls := fn.snapshot(); len(calls) != 2 || calls[1].count() != 3 {
		t.Errorf("calls = %d, want the whole batch of 3 invoked again", len(calls))
	}
}

func TestBisectIsolatesPoisonRecord(t *testing.T) {
	env := testenv.New(t)
	topic := env.Topic(t, 1)
	produce(t, env.Kafka(t), topic, 8, small)
	adm := env.KafkaAdmin(t)
	m := baseMapping(env, t, topic)
	m.MaxBatchingWindow = 500 * time.Millisecond
	m.BisectBatchOnError = true
	m.MaximumRetryAttempts = 1
	key := events.TopicPartition(topic, 0)
	var failed []FailureRecord
	var mu sync.Mutex
	m.OnFailure = FuncDestination(func(_ context.Context, fr FailureRecord) error {
		mu.Lock()
		defer mu.Unlock()
		failed = append(failed, fr)
		return nil
	})
	fn := &fakeFunction{}
	fn.handle = func(c call) (InvokeResult, error) {
		for _, o := range c.offsets(key) {
			if o == 5 {
				return functionError()
			}
		}
		return InvokeResult{StatusCode: 200}, nil
	}
	b, _ := runBridge(t, m, fn)
	waitFor(t, "commit of 8", func() bool { return committed(t, adm, m.ConsumerGroup, topic) == 8 })
	mu.Lock()
	defer mu.Unlock()
	if len(failed) != 1 || len(failed[0].Records) != 1 || failed[0].Records[0].Offset != 5 {
		t.Fatalf("on-failure records = %+v, want only offset 5", failed)
	}
	fr := failed[0]
	ri := fr.KafkaBatchInfo.RecordsInfo[key]
	if fr.RequestContext.Condition != ConditionRetriesExhausted || ri.FirstRecordOffset != "5" || ri.LastRecordOffset != "5" ||
		fr.ResponseContext.FunctionError != "Unhandled" || fr.Version != "1.0" || fr.KafkaBatchInfo.BatchSize != 1 {
		t.Errorf("failure record = %+v", fr)
	}
	if s := b.Stats(); s.Delivered != 7 || s.Failed != 1 || s.Bisections == 0 {
		t.Errorf("stats = %+v, want 7 delivered, 1 failed, bisections > 0", s)
	}
	// The poison record was invoked alone twice (first try + 1 retry).
	alone := 0
	for _, c := range fn.snapshot() {
		if c.count() == 1 && c.offsets(key)[0] == 5 {
			alone++
		}
	}
	if alone != 2 {
		t.Errorf("poison record invoked alone %d times, want 2", alone)
	}
}

func TestOnFailureTopicAfterRetries(t *testing.T) {
	env := testenv.New(t)
	topic := env.Topic(t, 1)
	dlt := env.Topic(t, 1)
	cl := env.Kafka(t)
	produce(t, cl, topic, 4, small)
	adm := env.KafkaAdmin(t)
	m := baseMapping(env, t, topic)
	m.MaximumRetryAttempts = 2
	m.OnFailure = &TopicDestination{Client: cl, Topic: dlt}
	fn := &fakeFunction{handle: func(call) (InvokeResult, error) { return functionError() }}
	_, _ = runBridge(t, m, fn)
	waitFor(t, "commit past the failed batch", func() bool { return committed(t, adm, m.ConsumerGroup, topic) == 4 })
	if n := len(fn.snapshot()); n != 3 {
		t.Errorf("invokes = %d, want 3 (1 + 2 retries)", n)
	}
	rd := env.Kafka(t, kgo.ConsumeTopics(dlt), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	var got []*kgo.Record
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	for len(got) < 4 && ctx.Err() == nil {
		got = append(got, rd.PollFetches(ctx).Records()...)
	}
	if len(got) != 4 {
		t.Fatalf("dead-letter records = %d, want 4", len(got))
	}
	hdr := map[string]string{}
	for _, h := range got[2].Headers {
		hdr[h.Key] = string(h.Value)
	}
	if string(got[2].Value) != `{"i":2}` || string(got[2].Key) != "k2" || hdr["h"] != "\x01\x02" ||
		hdr["lambda.failure.condition"] != ConditionRetriesExhausted || hdr["lambda.failure.source.offset"] != "2" ||
		!strings.Contains(hdr["lambda.failure.record"], `"KafkaBatchInfo"`) {
		t.Errorf("dead-letter record = key %s value %s headers %v", got[2].Key, got[2].Value, hdr)
	}
}

func TestRecordAgeSkipsInvoke(t *testing.T) {
	env := testenv.New(t)
	topic := env.Topic(t, 1)
	cl := env.Kafka(t)
	old := time.Now().Add(-2 * time.Hour)
	recs := []*kgo.Record{
		{Topic: topic, Value: []byte(`"old"`), Timestamp: old},
		{Topic: topic, Value: []byte(`"new"`)},
	}
	if err := cl.ProduceSync(context.Background(), recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
	m := baseMapping(env, t, topic)
	m.MaxBatchingWindow = 300 * time.Millisecond
	m.MaximumRecordAge = time.Hour
	var conds []string
	var mu sync.Mutex
	m.OnFailure = FuncDestination(func(_ context.Context, fr FailureRecord) error {
		mu.Lock()
		defer mu.Unlock()
		conds = append(conds, fr.RequestContext.Condition)
		return nil
	})
	fn := &fakeFunction{}
	b, _ := runBridge(t, m, fn)
	waitFor(t, "resolution", func() bool { s := b.Stats(); return s.Delivered == 1 && s.Failed == 1 })
	for _, c := range fn.snapshot() {
		for _, r := range c.event.Records[events.TopicPartition(topic, 0)] {
			if r.Offset == 0 {
				t.Errorf("expired record was invoked")
			}
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(conds) != 1 || conds[0] != ConditionRecordAge {
		t.Errorf("conditions = %v, want [%s]", conds, ConditionRecordAge)
	}
}

func TestResumesFromCommittedOffsets(t *testing.T) {
	env := testenv.New(t)
	topic := env.Topic(t, 1)
	cl := env.Kafka(t)
	produce(t, cl, topic, 5, small)
	m := baseMapping(env, t, topic)
	fn1 := &fakeFunction{}
	b1, stop1 := runBridge(t, m, fn1)
	waitFor(t, "first run", func() bool { return b1.Stats().Committed[events.TopicPartition(topic, 0)] == 5 })
	stop1()

	produce(t, cl, topic, 3, small)
	fn2 := &fakeFunction{}
	b2, _ := runBridge(t, m, fn2)
	waitFor(t, "second run", func() bool { return b2.Stats().Delivered == 3 })
	time.Sleep(200 * time.Millisecond)
	var offs []int64
	for _, c := range fn2.snapshot() {
		offs = append(offs, c.offsets(events.TopicPartition(topic, 0))...)
	}
	if fmt.Sprint(offs) != "[5 6 7]" {
		t.Errorf("second run saw offsets %v, want [5 6 7]", offs)
	}
}
