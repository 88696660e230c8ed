package sourcetask

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

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/serverless-kafka-connect/slkc/connectors"
	"github.com/serverless-kafka-connect/slkc/shared/connect"
	"github.com/serverless-kafka-connect/slkc/shared/state"
)

// events is an ordered journal shared by the fakes, so tests can assert that
// an offset commit follows its page's acknowledgements.
type events struct {
	mu  sync.Mutex
	log []string
}

func (e *events) add(format string, args ...any) {
	e.mu.Lock()
	e.log = append(e.log, fmt.Sprintf(format, args...))
	e.mu.Unlock()
}

func (e *events) all() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.log...)
}

// fakeSource serves rows 0..rows-1 of each table in pages of pageSize; the
// position is {"i":next row}. onRead runs before each page (to advance a
// fake clock).
type fakeSource struct {
	tables   []string
	rows     int
	pageSize int
	topic    string
	onRead   func()
	// before runs at the start of Partitions (a barrier in tests).
	before func()
	mu     sync.Mutex
	reads  int
	badRow int // row whose value cannot be converted; -1 for none
	// bigEvery > 0 pads every bigEvery-th row's value with bigBytes bytes.
	bigEvery, bigBytes int
}

func (f *fakeSource) Partitions(ctx context.Context) ([]connectors.Partition, error) {
	if f.before != nil {
		f.before()
	}
	var ps []connectors.Partition
	for _, t := range f.tables {
		ps = append(ps, connectors.Partition{"protocol": "1", "table": t})
	}
	return ps, nil
}

func (f *fakeSource) ReadPage(ctx context.Context, p connectors.Partition, pos connectors.Position) (connectors.Page, error) {
	f.mu.Lock()
	f.reads++
	f.mu.Unlock()
	if f.onRead != nil {
		f.onRead()
	}
	var cur struct{ I int }
	if pos != nil {
		if err := json.Unmarshal(pos, &cur); err != nil {
			return connectors.Page{}, err
		}
	}
	end := min(cur.I+f.pageSize, f.rows)
	var recs []connect.Record
	for i := cur.I; i < end; i++ {
		var v any = fmt.Sprintf("%s-%d", p["table"], i)
		if f.bigEvery > 0 && i%f.bigEvery == 0 {
			v = fmt.Sprintf("%s-%d-%s", p["table"], i, strings.Repeat("x", f.bigBytes))
		}
		if i == f.badRow {
			v = make(chan int)
		}
		recs = append(recs, connect.Record{Topic: f.topic, Key: fmt.Sprintf("%d", i), Value: v})
	}
	return connectors.Page{Records: recs, Next: connectors.Position(fmt.Sprintf(`{"i":%d}`, end)), More: end < f.rows}, nil
}

func (f *fakeSource) Close() error { return nil }

func (f *fakeSource) readCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.reads
}

// jsonConv encodes with encoding/json; a channel value fails.
type jsonConv struct{}

func (jsonConv) FromConnect(topic string, _ *connect.Schema, v any) ([]byte, error) {
	return json.Marshal(v)
}

// memOffsets is an in-memory OffsetStore with the same conditions as the
// DynamoDB one (the lease check when leases is set). failPut makes the next
// n Commit calls fail.
type memOffsets struct {
	mu      sync.Mutex
	m       map[string]state.Offset
	ev      *events
	leases  *memLeases
	failPut int
	puts    int
}

func newMemOffsets(ev *events) *memOffsets { return &memOffsets{m: map[string]state.Offset{}, ev: ev} }

func (o *memOffsets) Get(ctx context.Context, c string, p connectors.Partition) (state.Offset, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.m[c+"|"+p.String()], nil
}

func (o *memOffsets) Commit(ctx context.Context, lease state.Lease, p connectors.Partition, pos connectors.Position, prev int64) (int64, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.puts++
	if o.failPut > 0 {
		o.failPut--
		return 0, fmt.Errorf("injected offset write failure")
	}
	if o.leases != nil {
		if holder, counter := o.leases.current(); holder != lease.Owner || counter != lease.Counter {
			return 0, &state.LeaseLostError{Connector: lease.Connector, Owner: lease.Owner, Counter: lease.Counter, StoredOwner: holder, StoredCounter: counter}
		}
	}
	c, fence := lease.Connector, lease.Counter
	cur := o.m[c+"|"+p.String()]
	if cur.Version != prev || cur.Fence > fence {
		return 0, &state.OffsetConflictError{Connector: c, Partition: p.String(), ExpectedVersion: prev, StoredVersion: cur.Version}
	}
	o.m[c+"|"+p.String()] = state.Offset{Position: pos, Version: prev + 1, Fence: fence}
	if o.ev != nil {
		o.ev.add("commit %s %s", p["table"], pos)
	}
	return prev + 1, nil
}

func (o *memOffsets) pos(c, table string) string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return string(o.m[c+"|"+connectors.Partition{"protocol": "1", "table": table}.String()].Position)
}

// memLeases grants the lease unless holder is set.
type memLeases struct {
	mu       sync.Mutex
	holder   string
	counter  int64
	released int
	owners   []string
}

func (l *memLeases) current() (string, int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.holder, l.counter
}

// takeOver hands the lease to owner with a new counter, as an acquire
// after expiry does.
func (l *memLeases) takeOver(owner string) {
	l.mu.Lock()
	l.holder = owner
	l.counter++
	l.mu.Unlock()
}

func (l *memLeases) Acquire(ctx context.Context, c, owner string, ttl time.Duration) (state.Lease, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.owners = append(l.owners, owner)
	if l.holder != "" {
		return state.Lease{}, &state.LeaseHeldError{Connector: c, Holder: l.holder, Counter: l.counter}
	}
	l.holder = owner
	l.counter++
	return state.Lease{Connector: c, Owner: owner, Counter: l.counter}, nil
}

func (l *memLeases) Release(ctx context.Context, lease state.Lease) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if lease.Counter == l.counter && lease.Owner == l.holder {
		l.holder = ""
	}
	l.released++
	return nil
}

// memStatus keeps every status written.
type memStatus struct {
	mu  sync.Mutex
	all []state.Status
}

func (s *memStatus) Put(ctx context.Context, st state.Status) error {
	s.mu.Lock()
	s.all = append(s.all, st)
	s.mu.Unlock()
	return nil
}

func (s *memStatus) last(t *testing.T) state.Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.all) == 0 {
		t.Fatal("no status written")
	}
	return s.all[len(s.all)-1]
}

// recordingProducer journals each ProduceSync's outcome.
type recordingProducer struct {
	Producer
	ev *events
}

func (r recordingProducer) ProduceSync(ctx context.Context, rs ...*kgo.Record) kgo.ProduceResults {
	res := r.Producer.ProduceSync(ctx, rs...)
	r.ev.add("acked %d err=%v", len(rs), res.FirstErr())
	return res
}

// newKfake starts a one-broker fake cluster with topic (1 partition) and
// returns it with a producer client.
func newKfake(t *testing.T, topic string) (*kfake.Cluster, *kgo.Client) {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, topic))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...), kgo.RecordRetries(3), kgo.ProduceRequestTimeout(5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return c, cl
}

// consumeAll reads n records of topic from the start.
func consumeAll(t *testing.T, seeds []string, topic string, n int) []*kgo.Record {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(seeds...), kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	var out []*kgo.Record
	for len(out) < n {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("consumed %d of %d records before timeout", len(out), n)
		}
		fs.EachRecord(func(r *kgo.Record) { out = append(out, r) })
	}
	return out
}

// logBuffer returns a JSON logger writing into a buffer.
func logBuffer() (*slog.Logger, *bytes.Buffer) {
	var buf bytes.Buffer
	return slog.New(slog.NewJSONHandler(&syncWriter{w: &buf}, nil)), &buf
}

type syncWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

func countLines(buf *bytes.Buffer, msg string) int {
	return strings.Count(buf.String(), `"msg":"`+msg+`"`)
}

func (f *fakeSource) mustPartition(i int) connectors.Partition {
	ps, _ := f.Partitions(context.Background())
	return ps[i]
}
