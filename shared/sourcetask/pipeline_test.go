package sourcetask

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/serverless-kafka-connect/slkc/connectors"
	"github.com/serverless-kafka-connect/slkc/shared/state"
)

// gatedProducer holds the acks of its call number gateCall until the
// source has served reads pages, proving the read overlaps the produce.
type gatedProducer struct {
	Producer
	src      *fakeSource
	gateCall int
	reads    int
	calls    int
	overlap  bool
}

func (g *gatedProducer) ProduceSync(ctx context.Context, rs ...*kgo.Record) kgo.ProduceResults {
	g.calls++
	if g.calls == g.gateCall {
		deadline := time.Now().Add(10 * time.Second)
		for g.src.readCount() < g.reads && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		g.overlap = g.src.readCount() >= g.reads
	}
	return g.Producer.ProduceSync(ctx, rs...)
}

// TestPipelineReadsAheadButCommitsInOrder checks the one-deep pipeline: the
// next page is read while a page's acks are pending, yet every offset
// follows all acks of its page, in page order, and a failure of a page in
// flight leaves the page read ahead unproduced and uncommitted.
func TestPipelineReadsAheadButCommitsInOrder(t *testing.T) {
	tests := []struct {
		name        string
		failCommit  int // n-th offset write fails (0: none)
		wantErr     bool
		wantOffset  string
		wantJournal []string
	}{
		{
			name:       "all pages",
			wantOffset: `{"i":16}`,
			wantJournal: []string{
				"acked 4 err=<nil>", `commit shop.a {"i":4}`,
				"acked 4 err=<nil>", `commit shop.a {"i":8}`,
				"acked 4 err=<nil>", `commit shop.a {"i":12}`,
				"acked 4 err=<nil>", `commit shop.a {"i":16}`,
			},
		},
		{
			name:       "commit of page 2 fails: page 3 read ahead is dropped",
			failCommit: 2,
			wantErr:    true,
			wantOffset: `{"i":4}`,
			wantJournal: []string{
				"acked 4 err=<nil>", `commit shop.a {"i":4}`,
				// page 3 was read, never produced
				"acked 4 err=<nil>",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, 16, 4, "shop.a")
			g := &gatedProducer{Producer: h.task.Producer, src: h.src, gateCall: 2, reads: 3}
			h.task.Producer = g
			puts := 0
			if tt.failCommit > 0 {
				h.task.Offsets = failNth{OffsetStore: h.offsets, n: tt.failCommit, count: &puts}
			}
			_, err := h.task.Run(context.Background(), "req-1")
			if (err != nil) != tt.wantErr {
				t.Fatalf("Run error = %v, want error %v", err, tt.wantErr)
			}
			if !g.overlap {
				t.Error("page 3 was not read while page 2's acks were pending")
			}
			if got := h.ev.all(); strings.Join(got, "\n") != strings.Join(tt.wantJournal, "\n") {
				t.Errorf("journal =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tt.wantJournal, "\n"))
			}
			if p := h.offsets.pos("orders-source", "shop.a"); p != tt.wantOffset {
				t.Errorf("offset = %s, want %s", p, tt.wantOffset)
			}
		})
	}
}

// failNth fails the n-th offset write.
type failNth struct {
	OffsetStore
	n     int
	count *int
}

func (f failNth) Commit(ctx context.Context, lease state.Lease, p connectors.Partition, pos connectors.Position, prev int64) (int64, error) {
	*f.count++
	if *f.count == f.n {
		return 0, errors.New("injected offset write failure")
	}
	return f.OffsetStore.Commit(ctx, lease, p, pos, prev)
}
