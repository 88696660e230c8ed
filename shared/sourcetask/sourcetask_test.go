package sourcetask

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/serverless-kafka-connect/slkc/connectors"
	"github.com/serverless-kafka-connect/slkc/shared/connect"
	"github.com/serverless-kafka-connect/slkc/shared/errclass"
	"github.com/serverless-kafka-connect/slkc/shared/state"
)

type harness struct {
	task    *Task
	src     *fakeSource
	offsets *memOffsets
	leases  *memLeases
	status  *memStatus
	ev      *events
	seeds   []string
	cluster interface{ ListenAddrs() []string }
}

func newHarness(t *testing.T, rows, pageSize int, tables ...string) *harness {
	t.Helper()
	ev := &events{}
	c, cl := newKfake(t, "orders")
	src := &fakeSource{tables: tables, rows: rows, pageSize: pageSize, topic: "orders", badRow: -1}
	h := &harness{src: src, offsets: newMemOffsets(ev), leases: &memLeases{}, status: &memStatus{}, ev: ev, seeds: c.ListenAddrs(), cluster: c}
	h.offsets.leases = h.leases
	logger, _ := logBuffer()
	h.task = &Task{
		Name: "orders-source", Source: src, Producer: recordingProducer{Producer: cl, ev: ev},
		KeyConv: jsonConv{}, ValueConv: jsonConv{}, Offsets: h.offsets, Leases: h.leases, Status: h.status,
		WorkerID: "test-worker", Logger: logger,
	}
	return h
}

func TestRunProducesAllPagesInOrder(t *testing.T) {
	h := newHarness(t, 10, 4, "shop.a", "shop.b")
	logger, buf := logBuffer()
	h.task.Logger = logger
	res, err := h.task.Run(context.Background(), "req-1")
	if err != nil {
		t.Fatal(err)
	}
	// 10 rows in pages of 4: 4, 4, 2 per table.
	if res.Pages != 6 || res.Records != 20 || res.Skipped || res.StoppedByDeadline {
		t.Errorf("result = %+v", res)
	}
	if res.PerPartition[`{"protocol":"1","table":"shop.a"}`] != 10 {
		t.Errorf("per partition = %v", res.PerPartition)
	}
	recs := consumeAll(t, h.seeds, "orders", 20)
	for i, r := range recs {
		table := "shop.a"
		if i >= 10 {
			table = "shop.b"
		}
		if want := fmt.Sprintf(`"%s-%d"`, table, i%10); string(r.Value) != want {
			t.Errorf("record %d = %s, want %s", i, r.Value, want)
		}
	}
	// Every commit directly follows the successful ack of its page.
	want := []string{
		"acked 4 err=<nil>", `commit shop.a {"i":4}`, "acked 4 err=<nil>", `commit shop.a {"i":8}`,
		"acked 2 err=<nil>", `commit shop.a {"i":10}`,
		"acked 4 err=<nil>", `commit shop.b {"i":4}`, "acked 4 err=<nil>", `commit shop.b {"i":8}`,
		"acked 2 err=<nil>", `commit shop.b {"i":10}`,
	}
	if got := h.ev.all(); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("journal =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if n := countLines(buf, "page committed"); n != 6 {
		t.Errorf("%d page log lines, want 6", n)
	}
	st := h.status.last(t)
	if st.State != state.StateRunning || st.Counters["records"] != 20 || st.RequestID != "req-1" || st.LastError != nil || st.Task != StatusTask {
		t.Errorf("status = %+v", st)
	}
	if len(h.status.all) != 1 || h.leases.released != 1 {
		t.Errorf("status writes %d, releases %d; want 1 and 1", len(h.status.all), h.leases.released)
	}
	// A second run finds nothing new and produces nothing.
	res2, err := h.task.Run(context.Background(), "req-2")
	if err != nil || res2.Records != 0 {
		t.Errorf("second run = %+v, %v; want no records", res2, err)
	}
}

func TestRunErrorsKeepOffset(t *testing.T) {
	tests := []struct {
		name      string
		setup     func(t *testing.T, h *harness)
		wantClass errclass.Class
		wantState string
		wantText  string
	}{
		{
			name: "broker rejects produce (permanent)",
			setup: func(t *testing.T, h *harness) {
				h.cluster.(interface {
					ControlKey(int16, func(kmsg.Request) (kmsg.Response, error, bool))
					KeepControl()
				}).ControlKey(kmsg.Produce.Int16(), func(req kmsg.Request) (kmsg.Response, error, bool) {
					h.cluster.(interface{ KeepControl() }).KeepControl()
					pr := req.(*kmsg.ProduceRequest)
					resp := pr.ResponseKind().(*kmsg.ProduceResponse)
					for _, tp := range pr.Topics {
						rt := kmsg.NewProduceResponseTopic()
						rt.Topic = tp.Topic
						rt.TopicID = tp.TopicID
						for _, p := range tp.Partitions {
							rp := kmsg.NewProduceResponseTopicPartition()
							rp.Partition = p.Partition
							rp.ErrorCode = kerr.MessageTooLarge.Code
							rt.Partitions = append(rt.Partitions, rp)
						}
						resp.Topics = append(resp.Topics, rt)
					}
					return resp, nil, true
				})
			},
			wantClass: errclass.ClassPermanent, wantState: state.StateFailed, wantText: "MESSAGE_TOO_LARGE",
		},
		{
			name: "produce times out (retryable)",
			setup: func(t *testing.T, h *harness) {
				h.task.Producer = failingProducer{err: kerr.RequestTimedOut}
			},
			wantClass: errclass.ClassRetryable, wantState: state.StateRunning, wantText: "REQUEST_TIMED_OUT",
		},
		{
			name:      "value cannot be converted (permanent, names where)",
			setup:     func(t *testing.T, h *harness) { h.src.badRow = 1 },
			wantClass: errclass.ClassPermanent, wantState: state.StateFailed,
			wantText: `record 1 of page after position (beginning) of partition {"protocol":"1","table":"shop.a"} (topic "orders")`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, 10, 4, "shop.a")
			tt.setup(t, h)
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			_, err := h.task.Run(ctx, "req-1")
			if err == nil {
				t.Fatal("Run succeeded; want error")
			}
			if !strings.Contains(err.Error(), tt.wantText) {
				t.Errorf("error %q does not contain %q", err, tt.wantText)
			}
			if c := errclass.Classify(err); c != tt.wantClass {
				t.Errorf("class = %v, want %v", c, tt.wantClass)
			}
			if p := h.offsets.pos("orders-source", "shop.a"); p != "" {
				t.Errorf("offset written despite failure: %s", p)
			}
			st := h.status.last(t)
			if st.State != tt.wantState || st.LastError == nil || st.LastError.Class != errclass.Name(err) || st.LastError.Trace == "" {
				t.Errorf("status = %+v", st)
			}
			if h.leases.released != 1 {
				t.Error("lease not released after failure")
			}
		})
	}
}

type failingProducer struct{ err error }

func (f failingProducer) ProduceSync(ctx context.Context, rs ...*kgo.Record) kgo.ProduceResults {
	out := make(kgo.ProduceResults, len(rs))
	for i, r := range rs {
		out[i] = kgo.ProduceResult{Record: r, Err: f.err}
	}
	return out
}

// fakeClock advances by step on every read of a page.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func TestDeadlineStopsAndNextRunResumes(t *testing.T) {
	h := newHarness(t, 20, 4, "shop.a")
	clock := &fakeClock{now: time.Now()}
	h.task.Now = clock.Now
	h.task.DeadlineMargin = 5 * time.Second
	h.src.onRead = func() { clock.advance(20 * time.Second) }

	// 60s of budget, 5s margin, pages take 20s: after two pages (40s) a
	// third would end at 60s+5s > deadline, so the run stops.
	ctx, cancel := context.WithDeadline(context.Background(), clock.Now().Add(60*time.Second))
	defer cancel()
	res, err := h.task.Run(ctx, "req-1")
	if err != nil {
		t.Fatal(err)
	}
	if !res.StoppedByDeadline || res.Pages != 2 || res.Records != 8 || h.src.readCount() != 2 {
		t.Fatalf("first run = %+v reads=%d; want stop after 2 pages", res, h.src.readCount())
	}
	if p := h.offsets.pos("orders-source", "shop.a"); p != `{"i":8}` {
		t.Errorf("offset after first run = %s", p)
	}
	// The next invocation resumes from the committed offset.
	clock.advance(time.Minute)
	res, err = h.task.Run(context.Background(), "req-2")
	if err != nil || res.Records != 12 || res.StoppedByDeadline {
		t.Fatalf("second run = %+v, %v", res, err)
	}
	recs := consumeAll(t, h.seeds, "orders", 20)
	for i, r := range recs {
		if want := fmt.Sprintf(`"shop.a-%d"`, i); string(r.Value) != want {
			t.Errorf("record %d = %s, want %s (no duplicates after a clean stop)", i, r.Value, want)
		}
	}
}

func TestCrashBetweenAckAndCommitResendsOnePage(t *testing.T) {
	h := newHarness(t, 12, 4, "shop.a")
	h.offsets.failPut = 0
	// Commit of the second page fails: the run stops after producing it.
	calls := 0
	h.src.onRead = func() {
		calls++
		if calls == 2 {
			h.offsets.mu.Lock()
			h.offsets.failPut = 1
			h.offsets.mu.Unlock()
		}
	}
	if _, err := h.task.Run(context.Background(), "req-1"); err == nil {
		t.Fatal("want error from failed offset write")
	}
	if p := h.offsets.pos("orders-source", "shop.a"); p != `{"i":4}` {
		t.Fatalf("offset = %s, want first page only", p)
	}
	res, err := h.task.Run(context.Background(), "req-2")
	if err != nil || res.Records != 8 {
		t.Fatalf("resumed run = %+v, %v", res, err)
	}
	recs := consumeAll(t, h.seeds, "orders", 16)
	seen := map[string]int{}
	for _, r := range recs {
		seen[string(r.Value)]++
	}
	dups := 0
	for v, n := range seen {
		if n > 1 {
			dups += n - 1
			if v != `"shop.a-4"` && v != `"shop.a-5"` && v != `"shop.a-6"` && v != `"shop.a-7"` {
				t.Errorf("%s duplicated but is not in the uncommitted page", v)
			}
		}
	}
	if dups != 4 || len(seen) != 12 {
		t.Errorf("%d duplicates over %d distinct records; want exactly one page (4) re-sent, 12 distinct", dups, len(seen))
	}
}

func TestLeaseHeldSkips(t *testing.T) {
	h := newHarness(t, 10, 4, "shop.a")
	h.leases.holder = "someone-else"
	logger, buf := logBuffer()
	h.task.Logger = logger
	res, err := h.task.Run(context.Background(), "req-1")
	if err != nil || !res.Skipped {
		t.Fatalf("Run = %+v, %v; want skipped without error", res, err)
	}
	if h.src.readCount() != 0 || len(h.status.all) != 0 || h.leases.released != 0 {
		t.Errorf("skipped run touched source/status/lease: reads=%d status=%d released=%d", h.src.readCount(), len(h.status.all), h.leases.released)
	}
	if !strings.Contains(buf.String(), `"holder":"someone-else"`) || !strings.Contains(buf.String(), `"level":"INFO"`) {
		t.Errorf("log = %s", buf.String())
	}
}

func TestOffsetConflictStops(t *testing.T) {
	h := newHarness(t, 10, 4, "shop.a")
	// Another writer with a newer lease moved the offset before us.
	h.src.onRead = func() {
		h.offsets.mu.Lock()
		k := "orders-source|" + `{"protocol":"1","table":"shop.a"}`
		if h.offsets.m[k].Version == 0 {
			h.offsets.m[k] = state.Offset{Position: []byte(`{"i":8}`), Version: 3, Fence: 99}
		}
		h.offsets.mu.Unlock()
	}
	res, err := h.task.Run(context.Background(), "req-1")
	if !errors.Is(err, state.ErrOffsetConflict) || errclass.Classify(err) != errclass.ClassRetryable {
		t.Fatalf("Run = %v; want retryable ErrOffsetConflict", err)
	}
	if res.Pages != 0 || h.src.readCount() != 1 {
		t.Errorf("continued after conflict: %+v reads=%d", res, h.src.readCount())
	}
	if p := h.offsets.pos("orders-source", "shop.a"); p != `{"i":8}` {
		t.Errorf("offset moved backwards to %s", p)
	}
}

// TestSupersededRunStops: the lease is taken over while the run's second
// page is in flight; that page's offset write is refused and the run stops
// there: no third page is produced, no status is written and the new
// holder's lease is not released.
func TestSupersededRunStops(t *testing.T) {
	h := newHarness(t, 20, 4, "shop.a")
	reads := 0
	h.src.onRead = func() {
		reads++
		if reads == 2 {
			h.leases.takeOver("newer-run")
		}
	}
	res, err := h.task.Run(context.Background(), "req-1")
	var lost *state.LeaseLostError
	if !errors.As(err, &lost) || !errors.Is(err, state.ErrLeaseLost) || errclass.Classify(err) != errclass.ClassRetryable {
		t.Fatalf("Run = %v; want a retryable ErrLeaseLost", err)
	}
	if !strings.Contains(err.Error(), "superseded") || lost.StoredOwner != "newer-run" {
		t.Errorf("error %q does not say the run was superseded by newer-run", err)
	}
	if !res.Superseded || res.Pages != 1 || res.Records != 4 {
		t.Errorf("result = %+v; want superseded after one committed page", res)
	}
	// Pages 1 and 2 were produced (2 while its offset write was refused);
	// nothing after.
	acks := 0
	for _, e := range h.ev.all() {
		if strings.HasPrefix(e, "acked") {
			acks++
		}
	}
	if acks > 2 || h.src.readCount() > 3 {
		t.Errorf("superseded run went on: %d produce calls, %d reads; events %v", acks, h.src.readCount(), h.ev.all())
	}
	if p := h.offsets.pos("orders-source", "shop.a"); p != `{"i":4}` {
		t.Errorf("offset = %s, want the first page's {\"i\":4}", p)
	}
	if holder, _ := h.leases.current(); holder != "newer-run" || h.leases.released != 0 || len(h.status.all) != 0 {
		t.Errorf("holder %q, releases %d, status writes %d; want newer-run, 0, 0", holder, h.leases.released, len(h.status.all))
	}
}

// TestOwnerUniquePerRun: runs with one request id take the lease under
// different owners, so an async retry never shares the holder's identity.
func TestOwnerUniquePerRun(t *testing.T) {
	h := newHarness(t, 4, 4, "shop.a")
	for range 3 {
		if _, err := h.task.Run(context.Background(), "same-request"); err != nil {
			t.Fatal(err)
		}
	}
	seen := map[string]bool{}
	for _, o := range h.leases.owners {
		if seen[o] || !strings.HasPrefix(o, "same-request/") {
			t.Errorf("owner %q repeated or without the request id (all %v)", o, h.leases.owners)
		}
		seen[o] = true
	}
	if len(seen) != 3 {
		t.Errorf("owners %v; want 3 distinct", h.leases.owners)
	}
}

func TestTrace(t *testing.T) {
	err := fmt.Errorf("outer: %w", errclass.Permanent(errors.New("inner")))
	want := "*fmt.wrapError: outer: inner\nCaused by: *errclass.Error: inner\nCaused by: *errors.errorString: inner"
	if got := Trace(err); got != want {
		t.Errorf("Trace =\n%s\nwant\n%s", got, want)
	}
}

// blockingProducer never acknowledges until released.
type blockingProducer struct{ release chan struct{} }

func (b blockingProducer) ProduceSync(ctx context.Context, rs ...*kgo.Record) kgo.ProduceResults {
	<-b.release
	return nil
}

func TestHungProducerDoesNotOutliveDeadline(t *testing.T) {
	h := newHarness(t, 10, 4, "shop.a")
	bp := blockingProducer{release: make(chan struct{})}
	t.Cleanup(func() { close(bp.release) })
	h.task.Producer = bp
	h.task.DeadlineMargin = 400 * time.Millisecond
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_, err := h.task.Run(ctx, "req-1")
	if !errors.Is(err, context.DeadlineExceeded) || errclass.Classify(err) != errclass.ClassRetryable {
		t.Fatalf("Run = %v; want retryable deadline error", err)
	}
	if ctx.Err() != nil {
		t.Error("Run returned only after the invocation deadline; status and release need time before it")
	}
	if p := h.offsets.pos("orders-source", "shop.a"); p != "" {
		t.Errorf("offset written without acks: %s", p)
	}
	if len(h.status.all) != 1 || h.leases.released != 1 {
		t.Errorf("status writes %d, releases %d; want 1 and 1", len(h.status.all), h.leases.released)
	}
}

// dropOdd drops records with odd keys and routes the rest to "orders";
// with fail it fails on every record, with failKey on that key only.
type dropOdd struct {
	fail    bool
	failKey string
}

func (d dropOdd) Apply(r connect.Record) (connect.Record, bool, error) {
	if d.fail || d.failKey != "" && r.Key.(string) == d.failKey {
		return r, false, errors.New("cannot transform")
	}
	var k int
	fmt.Sscan(r.Key.(string), &k)
	if k%2 == 1 {
		return r, false, nil
	}
	r.Topic = "orders"
	return r, true, nil
}

func TestTransformsAndEnsureTopic(t *testing.T) {
	h := newHarness(t, 10, 4, "shop.a")
	h.src.topic = "raw"
	h.task.Transforms = dropOdd{}
	var ensured []string
	h.task.EnsureTopic = func(ctx context.Context, topic string) error {
		ensured = append(ensured, topic)
		return nil
	}
	res, err := h.task.Run(context.Background(), "req-1")
	if err != nil {
		t.Fatal(err)
	}
	if res.Pages != 3 || h.offsets.pos("orders-source", "shop.a") != `{"i":10}` {
		t.Errorf("result = %+v, offset %s", res, h.offsets.pos("orders-source", "shop.a"))
	}
	recs := consumeAll(t, h.seeds, "orders", 5)
	for i, r := range recs {
		if want := fmt.Sprintf(`"shop.a-%d"`, 2*i); string(r.Value) != want {
			t.Errorf("record %d = %s, want %s", i, r.Value, want)
		}
	}
	if len(ensured) != 1 || ensured[0] != "orders" {
		t.Errorf("EnsureTopic calls = %v, want once for the transformed topic", ensured)
	}

	h2 := newHarness(t, 10, 4, "shop.a")
	h2.task.Transforms = dropOdd{fail: true}
	_, err = h2.task.Run(context.Background(), "req-1")
	if errclass.Name(err) != errclass.DataExceptionName || h2.offsets.pos("orders-source", "shop.a") != "" {
		t.Errorf("transform failure = %v (%s); want DataException and no offset", err, errclass.Name(err))
	}
}

// With errors.tolerance=all a source skips a record its transforms or
// converters fail on, as a Kafka Connect source task does, and commits the
// page; with none the run fails at it and commits nothing of its page.
func TestSourceToleranceSkipsBadRecord(t *testing.T) {
	for _, all := range []bool{true, false} {
		t.Run(fmt.Sprintf("tolerance all %v", all), func(t *testing.T) {
			h := newHarness(t, 10, 4, "shop.a")
			h.task.Transforms = dropOdd{failKey: "4"}
			h.task.ToleranceAll = all
			h.task.LogErrors = true
			res, err := h.task.Run(context.Background(), "req-1")
			if !all {
				if errclass.Name(err) != errclass.DataExceptionName || h.offsets.pos("orders-source", "shop.a") != `{"i":4}` {
					t.Fatalf("err = %v, offset %s; want DataException and the offset before the bad record's page",
						err, h.offsets.pos("orders-source", "shop.a"))
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if res.RecordsTolerated != 1 || h.offsets.pos("orders-source", "shop.a") != `{"i":10}` {
				t.Fatalf("result %+v, offset %s; want 1 tolerated record and every page committed", res, h.offsets.pos("orders-source", "shop.a"))
			}
			recs := consumeAll(t, h.seeds, "orders", 4) // even keys 0..8 but the failed 4
			for _, r := range recs {
				if string(r.Value) == `"shop.a-4"` {
					t.Errorf("the record the transform failed on was produced")
				}
			}
			if st := h.status.all[len(h.status.all)-1]; st.Counters["tolerated"] != 1 {
				t.Errorf("status counters %v, want tolerated 1", st.Counters)
			}
		})
	}
}

func TestMetricsLine(t *testing.T) {
	h := newHarness(t, 6, 4, "shop.a")
	var buf syncWriter
	buf.w = new(bytes.Buffer)
	h.task.Metrics = &buf
	if _, err := h.task.Run(context.Background(), "req-1"); err != nil {
		t.Fatal(err)
	}
	h.leases.holder = "other"
	if _, err := h.task.Run(context.Background(), "req-2"); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(buf.w.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d EMF lines, want one per run:\n%s", len(lines), buf.w.String())
	}
	var first, second struct {
		AWS struct {
			Timestamp         int64
			CloudWatchMetrics []struct {
				Namespace  string
				Dimensions [][]string
				Metrics    []struct{ Name, Unit string }
			}
		} `json:"_aws"`
		Connector                       string
		Pages, Records, Skipped, Failed int
	}
	if err := json.Unmarshal([]byte(lines[0]), &first); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(lines[1]), &second); err != nil {
		t.Fatal(err)
	}
	cw := first.AWS.CloudWatchMetrics
	if len(cw) != 1 || cw[0].Namespace != MetricsNamespace || len(cw[0].Metrics) != 7 || cw[0].Dimensions[0][0] != "Connector" || first.AWS.Timestamp == 0 {
		t.Errorf("EMF metadata = %+v", first.AWS)
	}
	if first.Connector != "orders-source" || first.Pages != 2 || first.Records != 6 || first.Skipped != 0 || first.Failed != 0 {
		t.Errorf("first run metrics = %+v", first)
	}
	if second.Skipped != 1 || second.Records != 0 {
		t.Errorf("skipped run metrics = %+v", second)
	}
}

// stuckSource claims more rows but never returns any.
type stuckSource struct {
	fakeSource
}

func (s *stuckSource) ReadPage(ctx context.Context, p connectors.Partition, pos connectors.Position) (connectors.Page, error) {
	s.mu.Lock()
	s.reads++
	s.mu.Unlock()
	return connectors.Page{Next: pos, More: true}, nil
}

func TestEmptyPageWithMoreDoesNotSpin(t *testing.T) {
	h := newHarness(t, 0, 4, "shop.a", "shop.b")
	src := &stuckSource{fakeSource: fakeSource{tables: []string{"shop.a", "shop.b"}}}
	h.task.Source = src
	res, err := h.task.Run(context.Background(), "req-1")
	if err != nil {
		t.Fatal(err)
	}
	if src.readCount() != 2 || res.Pages != 2 {
		t.Errorf("reads = %d, pages = %d; want one read per partition", src.readCount(), res.Pages)
	}
}
