package reliability

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/serverless-kafka-connect/slkc/connectors"
	"github.com/serverless-kafka-connect/slkc/events"
	"github.com/serverless-kafka-connect/slkc/shared/state"
)

// errCrash is what an injected fault returns: the invocation died there.
var errCrash = errors.New("reliability: injected crash")

// quietLogger keeps the task logs out of the test output unless -v is
// combined with SLKC_RELIABILITY_LOGS=1.
func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// taskLogger keeps a task's warnings and errors out of the test output
// unless the test fails, so a failed run says why a batch failed.
func taskLogger(t *testing.T) *slog.Logger {
	var mu sync.Mutex
	var buf bytes.Buffer
	t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		if t.Failed() && buf.Len() > 0 {
			t.Logf("task log (warnings and errors):\n%s", buf.String())
		}
	})
	return slog.New(slog.NewTextHandler(lockedWriter{&mu, &buf}, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// clock is a settable clock for the lease store: "hours later" without
// waiting hours.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Now()} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// hookProducer produces through inner; hook, called before every
// ProduceSync with its 1-based call number and batch size, says how many of
// the records to really produce and which error to return afterwards (a
// crash before, during or after the produce).
type hookProducer struct {
	inner interface {
		ProduceSync(ctx context.Context, rs ...*kgo.Record) kgo.ProduceResults
	}
	mu    sync.Mutex
	calls int
	hook  func(call, n int) (send int, err error)
}

func (p *hookProducer) ProduceSync(ctx context.Context, rs ...*kgo.Record) kgo.ProduceResults {
	p.mu.Lock()
	p.calls++
	call := p.calls
	p.mu.Unlock()
	send, ferr := len(rs), error(nil)
	if p.hook != nil {
		send, ferr = p.hook(call, len(rs))
	}
	var res kgo.ProduceResults
	if send > 0 {
		res = p.inner.ProduceSync(ctx, rs[:send]...)
		if res.FirstErr() != nil {
			return res
		}
	}
	if ferr != nil {
		out := make(kgo.ProduceResults, len(rs))
		for i, r := range rs {
			out[i] = kgo.ProduceResult{Record: r, Err: ferr}
		}
		return out
	}
	return res
}

// offsetLog records every offset write that reached the store, in order,
// across all invocations of a run: the evidence that offsets never move
// backwards.
type offsetLog struct {
	mu     sync.Mutex
	writes []int64
}

func (l *offsetLog) add(pos connectors.Position) {
	var p struct {
		Incrementing *int64 `json:"incrementing"`
	}
	_ = json.Unmarshal(pos, &p)
	l.mu.Lock()
	defer l.mu.Unlock()
	if p.Incrementing != nil {
		l.writes = append(l.writes, *p.Incrementing)
	} else {
		l.writes = append(l.writes, -1)
	}
}

// checkMonotonic fails t when a recorded offset is lower than the one
// before it.
func (l *offsetLog) checkMonotonic(t *testing.T) {
	t.Helper()
	if err := l.monotonic(); err != nil {
		t.Error(err)
	}
}

// monotonic returns an error naming the first backwards move.
func (l *offsetLog) monotonic() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	for i := 1; i < len(l.writes); i++ {
		if l.writes[i] < l.writes[i-1] {
			return fmt.Errorf("offset moved backwards: write %d stored %d after %d (all writes %v)", i, l.writes[i], l.writes[i-1], l.writes)
		}
	}
	return nil
}

// recOffsets is an OffsetStore that can crash right after a chosen write
// (crashAfter returns true for it).
type recOffsets struct {
	inner interface {
		Get(ctx context.Context, connector string, p connectors.Partition) (state.Offset, error)
		Commit(ctx context.Context, lease state.Lease, p connectors.Partition, pos connectors.Position, prev int64) (int64, error)
	}
	mu         sync.Mutex
	puts       int
	crashAfter func(put int) bool
}

func (o *recOffsets) Get(ctx context.Context, c string, p connectors.Partition) (state.Offset, error) {
	return o.inner.Get(ctx, c, p)
}

func (o *recOffsets) Commit(ctx context.Context, lease state.Lease, p connectors.Partition, pos connectors.Position, prev int64) (int64, error) {
	v, err := o.inner.Commit(ctx, lease, p, pos, prev)
	if err != nil {
		return v, err
	}
	o.mu.Lock()
	o.puts++
	n := o.puts
	o.mu.Unlock()
	if o.crashAfter != nil && o.crashAfter(n) {
		return 0, errCrash
	}
	return v, nil
}

// crashLeases forgets to release the lease when the invocation crashed, as
// a killed process would.
type crashLeases struct {
	inner interface {
		Acquire(ctx context.Context, connector, owner string, ttl time.Duration) (state.Lease, error)
		Release(ctx context.Context, lease state.Lease) error
	}
	crashed func() bool
}

func (l *crashLeases) Acquire(ctx context.Context, c, owner string, ttl time.Duration) (state.Lease, error) {
	return l.inner.Acquire(ctx, c, owner, ttl)
}

func (l *crashLeases) Release(ctx context.Context, lease state.Lease) error {
	if l.crashed() {
		return nil
	}
	return l.inner.Release(ctx, lease)
}

// consumeAll reads every record of topic from the start until idle for
// idle after at least want records (or until timeout).
func consumeAll(t *testing.T, seeds []string, topic string, want int, timeout time.Duration) []*kgo.Record {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(seeds...), kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	deadline := time.Now().Add(timeout)
	var out []*kgo.Record
	for time.Now().Before(deadline) {
		wait := time.Until(deadline)
		if len(out) >= want {
			wait = 500 * time.Millisecond
		}
		ctx, cancel := context.WithTimeout(context.Background(), wait)
		fs := cl.PollFetches(ctx)
		cancel()
		n := 0
		fs.EachRecord(func(r *kgo.Record) { out = append(out, r); n++ })
		if n == 0 && len(out) >= want {
			break
		}
	}
	return out
}

// payloadID reads payload.id of a JsonConverter envelope.
func payloadID(v []byte) (int64, error) {
	var env struct {
		Payload struct {
			ID *int64 `json:"id"`
		} `json:"payload"`
	}
	if err := json.Unmarshal(v, &env); err != nil || env.Payload.ID == nil {
		return 0, fmt.Errorf("record value %.100q has no payload.id: %v", v, err)
	}
	return *env.Payload.ID, nil
}

// checkDelivered asserts every id in 1..rows appears in recs and returns
// the number of duplicate deliveries.
func checkDelivered(t *testing.T, recs []*kgo.Record, rows int) int {
	t.Helper()
	dups, err := deliveredIDs(recs, rows)
	if err != nil {
		t.Error(err)
	}
	return dups
}

// delivered checks recs against want, a table digest ("id=v" per row, see
// tableDigest): every row's current value must be among the records. It
// returns the duplicates — records whose (id, v) an earlier record already
// carried, i.e. the same row value delivered and applied again — and an
// error naming the rows whose value never reached the topic.
func delivered(recs []*kgo.Record, want []string) (int, error) {
	seen := map[string]int{}
	for _, r := range recs {
		id, err := payloadID(r.Value)
		if err != nil {
			return 0, err
		}
		seen[fmt.Sprintf("%d=%s", id, payloadV(r.Value))]++
	}
	var missing []string
	for _, w := range want {
		if seen[w] == 0 {
			missing = append(missing, w)
		}
	}
	if len(missing) > 0 {
		return 0, fmt.Errorf("%d of %d source rows never reached the topic with their current value: %v", len(missing), len(want), missing[:min(len(missing), 10)])
	}
	return len(recs) - len(seen), nil
}

// deliveredIDs returns the duplicate count of recs and an error naming the
// ids in 1..rows missing from them (or ids beyond rows).
func deliveredIDs(recs []*kgo.Record, rows int) (int, error) {
	seen := map[int64]int{}
	for _, r := range recs {
		id, err := payloadID(r.Value)
		if err != nil {
			return 0, err
		}
		seen[id]++
	}
	var missing []int
	for i := 1; i <= rows; i++ {
		if seen[int64(i)] == 0 {
			missing = append(missing, i)
		}
	}
	if len(missing) > 0 {
		return 0, fmt.Errorf("%d of %d source rows never reached the topic: ids %v", len(missing), rows, missing)
	}
	if len(seen) > rows {
		return 0, fmt.Errorf("topic has %d distinct ids, source has %d rows", len(seen), rows)
	}
	return len(recs) - len(seen), nil
}

// kafkaEvent builds the Lambda Kafka event of recs, as the event source
// mapping would deliver them.
func kafkaEvent(recs []*kgo.Record) events.KafkaEvent {
	ev := events.KafkaEvent{EventSource: "SelfManagedKafka", Records: map[string][]events.KafkaRecord{}}
	for _, r := range recs {
		kr := events.KafkaRecord{Topic: r.Topic, Partition: r.Partition, Offset: r.Offset,
			Timestamp: r.Timestamp.UnixMilli(), TimestampType: "CREATE_TIME", Headers: []events.KafkaHeaders{}}
		if r.Key != nil {
			k := base64.StdEncoding.EncodeToString(r.Key)
			kr.Key = &k
		}
		if r.Value != nil {
			v := base64.StdEncoding.EncodeToString(r.Value)
			kr.Value = &v
		}
		for _, h := range r.Headers {
			kr.Headers = append(kr.Headers, events.KafkaHeaders{h.Key: h.Value})
		}
		key := r.Topic + "-" + strconv.Itoa(int(r.Partition))
		ev.Records[key] = append(ev.Records[key], kr)
	}
	return ev
}

// tableDigest returns the rows of table ordered by id as "id=v" strings.
func tableDigest(t *testing.T, db *sql.DB, table string) []string {
	t.Helper()
	rows, err := db.Query("SELECT id, v FROM " + table + " ORDER BY id")
	if err != nil {
		t.Fatalf("read %s: %v", table, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id int64
		var v string
		if err := rows.Scan(&id, &v); err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprintf("%d=%s", id, v))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// payloadV reads payload.v of a JsonConverter envelope ("" when absent).
func payloadV(v []byte) string {
	var env struct {
		Payload struct {
			V string `json:"v"`
		} `json:"payload"`
	}
	_ = json.Unmarshal(v, &env)
	return env.Payload.V
}
