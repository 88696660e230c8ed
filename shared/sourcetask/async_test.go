package sourcetask

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"
)

// asyncRecorder is an AsyncProducer over a kfake client that journals
// each record handed over ("handed <key>") and each acknowledgement
// ("acked <key>"); failKey's record fails instead of being sent.
type asyncRecorder struct {
	*kgo.Client
	ev      *events
	failKey string
	mu      sync.Mutex
	handed  []string
}

func (a *asyncRecorder) Produce(ctx context.Context, r *kgo.Record, promise func(*kgo.Record, error)) {
	a.mu.Lock()
	a.handed = append(a.handed, string(r.Key))
	a.mu.Unlock()
	a.ev.add("handed %s", r.Key)
	if string(r.Key) == a.failKey {
		promise(r, errors.New("injected produce failure"))
		return
	}
	a.Client.Produce(ctx, r, func(r *kgo.Record, err error) {
		a.ev.add("acked %s err=%v", r.Key, err)
		promise(r, err)
	})
}

func (a *asyncRecorder) keys() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.handed)
}

// useAsync gives h's task an asyncRecorder over a client of h's cluster.
// Explain marks a produce error as explained for topic, as shared/kafka's
// Producer adds its fix.
func (a *asyncRecorder) Explain(topic string, err error) error {
	return fmt.Errorf("explained for %s: %w", topic, err)
}

func (h *harness) useAsync(t *testing.T) *asyncRecorder {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(h.seeds...), kgo.RecordRetries(3))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	a := &asyncRecorder{Client: cl, ev: h.ev}
	h.task.Producer = a
	return a
}

// TestAsyncProducerHandsPagesOverBeforeTheCommit: with an AsyncProducer,
// each page read ahead is handed over before the offset of the page in
// flight is written, yet every offset follows all acknowledgements of its
// page, offsets are written in page order, and the topic holds every
// record once, in order.
func TestAsyncProducerHandsPagesOverBeforeTheCommit(t *testing.T) {
	h := newHarness(t, 16, 4, "shop.a")
	a := h.useAsync(t)
	res, err := h.task.Run(context.Background(), "req-1")
	if err != nil {
		t.Fatal(err)
	}
	if res.Pages != 4 || res.Records != 16 {
		t.Errorf("result = %+v, want 4 pages of 16 records", res)
	}
	j := h.ev.all()
	last := -1
	for page := 1; page <= 4; page++ {
		end := page * 4
		commit := slices.Index(j, fmt.Sprintf(`commit shop.a {"i":%d}`, end))
		if commit < last {
			t.Fatalf("commit of page %d missing or out of order in\n%s", page, strings.Join(j, "\n"))
		}
		last = commit
		for k := end - 4; k < end; k++ {
			if ack := slices.Index(j, fmt.Sprintf(`acked "%d" err=<nil>`, k)); ack < 0 || ack > commit {
				t.Errorf("record %d acked at line %d, after its page's commit at %d", k, ack, commit)
			}
		}
		// Pages 3 and 4 are read while the page before is in flight and
		// handed over before that page's commit (page 2 follows the first
		// page's commit: the first page runs alone).
		if page == 2 || page == 3 {
			if next := slices.Index(j, fmt.Sprintf(`handed "%d"`, end)); next < 0 || next > commit {
				t.Errorf("page %d handed over at line %d, not before page %d's commit at %d:\n%s", page+1, next, page, commit, strings.Join(j, "\n"))
			}
		}
	}
	if first, second := slices.Index(j, `commit shop.a {"i":4}`), slices.Index(j, `handed "4"`); second < first {
		t.Errorf("page 2 handed over at line %d, before the first page's commit at %d", second, first)
	}
	want := make([]string, 16)
	for i := range want {
		want[i] = fmt.Sprintf(`"%d"`, i)
	}
	if got := a.keys(); !slices.Equal(got, want) {
		t.Errorf("records handed over in order %v, want %v", got, want)
	}
	for i, r := range consumeAll(t, h.seeds, "orders", 16) {
		if want := fmt.Sprintf(`"shop.a-%d"`, i); string(r.Value) != want || r.Offset != int64(i) {
			t.Errorf("record at offset %d = %s, want %s at %d", r.Offset, r.Value, want, i)
		}
	}
}

// TestAsyncProducerFailures: with an AsyncProducer, a failed commit or a
// failed record of page 2 leaves the offset after page 1; page 3, read
// ahead and handed over before page 2's commit, is never committed, and
// the run returns only once its records are settled (nothing of the run
// is left in flight). After a record fails, nothing later is handed over:
// neither the rest of its page nor the page read ahead.
func TestAsyncProducerFailures(t *testing.T) {
	tests := []struct {
		name       string
		failCommit int    // n-th offset write fails (0: none)
		failKey    string // record that fails to produce
		wantErr    string
		wantHanded int // records handed over
	}{
		{name: "commit of page 2 fails", failCommit: 2, wantErr: "injected offset write failure", wantHanded: 12},
		{name: "record 5 of page 2 fails", failKey: `"5"`, wantErr: `topic "orders": explained for orders: injected produce failure`, wantHanded: 6},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, 16, 4, "shop.a")
			a := h.useAsync(t)
			a.failKey = tt.failKey
			puts := 0
			if tt.failCommit > 0 {
				h.task.Offsets = failNth{OffsetStore: h.offsets, n: tt.failCommit, count: &puts}
			}
			_, err := h.task.Run(context.Background(), "req-1")
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Run error = %v, want %q", err, tt.wantErr)
			}
			if p := h.offsets.pos("orders-source", "shop.a"); p != `{"i":4}` {
				t.Errorf("offset = %s, want {\"i\":4}", p)
			}
			handed := a.keys()
			if len(handed) != tt.wantHanded {
				t.Errorf("%d records handed over (%v), want %d", len(handed), handed, tt.wantHanded)
			}
			// Every record handed over to the client is settled by now.
			j := h.ev.all()
			for _, k := range handed {
				if k != tt.failKey && slices.Index(j, fmt.Sprintf("acked %s err=<nil>", k)) < 0 {
					t.Errorf("record %s was still in flight when Run returned:\n%s", k, strings.Join(j, "\n"))
				}
			}
		})
	}
}

// TestPageAcksConcurrent: records settled from many goroutines at once,
// some failed, give one outcome once the last is in, and it is one of the
// errors; failed reports a failure as soon as one is settled.
func TestPageAcksConcurrent(t *testing.T) {
	for round := 0; round < 50; round++ {
		const n = 1000
		a := &pageAcks{done: make(chan error, 2)}
		a.pending.Store(n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				var err error
				if i%300 == 7 {
					err = fmt.Errorf("record %d failed", i)
				}
				a.settle(1, err)
			})
		}
		wg.Wait()
		if len(a.done) != 1 {
			t.Fatalf("round %d: %d outcomes sent, want 1", round, len(a.done))
		}
		if err := <-a.done; err == nil || !strings.HasSuffix(err.Error(), "failed") || !a.failed() {
			t.Fatalf("round %d: outcome %v, failed %v; want a record's error", round, err, a.failed())
		}
	}
	a := &pageAcks{done: make(chan error, 1)}
	a.pending.Store(2)
	a.settle(1, nil)
	if a.failed() || len(a.done) != 0 {
		t.Fatal("one of two records acknowledged: no outcome yet, nothing failed")
	}
	a.settle(1, nil)
	if err := <-a.done; err != nil {
		t.Fatalf("both acknowledged: outcome %v, want nil", err)
	}
}

// limitedRecorder is an asyncRecorder whose batch size the record with
// key big exceeds (as shared/kafka's Producer reports).
type limitedRecorder struct {
	*asyncRecorder
	big string
}

func (l limitedRecorder) Oversized(r *kgo.Record) bool { return string(r.Key) == l.big }

// TestOversizedRecordPageIsNotHandedOverEarly: a page with a record over
// the producer's batch size goes through ProduceSync after the page
// before it is committed, and the page after it waits for its commit too
// (its records were not handed over in one go), while a page without one
// after a page handed over is handed over early. The topic holds every
// record once, in order.
func TestOversizedRecordPageIsNotHandedOverEarly(t *testing.T) {
	h := newHarness(t, 20, 4, "shop.a")
	a := h.useAsync(t)
	h.task.Producer = limitedRecorder{asyncRecorder: a, big: `"9"`} // in page 3, rows 8-11
	if _, err := h.task.Run(context.Background(), "req-1"); err != nil {
		t.Fatal(err)
	}
	j := h.ev.all()
	at := func(s string) int {
		i := slices.Index(j, s)
		if i < 0 {
			t.Fatalf("%q not in the journal:\n%s", s, strings.Join(j, "\n"))
		}
		return i
	}
	if slices.Index(j, `handed "8"`) >= 0 {
		t.Errorf("page 3, which has the oversized record, was handed over record by record:\n%s", strings.Join(j, "\n"))
	}
	if at(`handed "12"`) < at(`commit shop.a {"i":12}`) {
		t.Errorf("page 4 was handed over before page 3's commit, behind records sent with ProduceSync:\n%s", strings.Join(j, "\n"))
	}
	if at(`handed "16"`) > at(`commit shop.a {"i":16}`) {
		t.Errorf("page 5 was not handed over before page 4's commit:\n%s", strings.Join(j, "\n"))
	}
	for i, r := range consumeAll(t, h.seeds, "orders", 20) {
		if want := fmt.Sprintf(`"shop.a-%d"`, i); string(r.Value) != want {
			t.Errorf("record at offset %d = %s, want %s", r.Offset, r.Value, want)
		}
	}
}
