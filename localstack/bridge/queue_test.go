package bridge

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// TestStageAndUnstage checks the queue bookkeeping of a staged batch: plan
// stages only a full batch, taken from the running batch's partition and
// idle ones in order, and a batch put back (as when a partition of it is
// revoked) leaves every queue as it was and the running batch's partition
// still owned by it.
func TestStageAndUnstage(t *testing.T) {
	b, err := New(Mapping{FunctionName: "f", Topics: []string{"t"}, Bootstrap: "127.0.0.1:1", ConsumerGroup: "g", BatchSize: 4}, &fakeFunction{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	b.onAssigned(context.Background(), nil, map[string][]int32{"t": {0, 1}})
	add := func(p int32, from, n int) {
		var recs []*kgo.Record
		for i := range n {
			recs = append(recs, &kgo.Record{Topic: "t", Partition: p, Offset: int64(from + i), Value: []byte("v")})
		}
		b.enqueue(recs)
	}
	offsets := func(its []item) []int64 {
		var out []int64
		for _, it := range its {
			out = append(out, it.offset)
		}
		return out
	}
	add(0, 0, 6)
	start, staged, _ := b.plan(time.Now())
	if len(start) != 1 || !slices.Equal(offsets(start[0].items), []int64{0, 1, 2, 3}) || len(staged) != 0 {
		t.Fatalf("first plan started %d batches, staged %d; want one batch 0..3 and nothing staged (2 left do not fill a batch)", len(start), len(staged))
	}
	running := start[0]
	add(1, 0, 3)
	start, staged, _ = b.plan(time.Now())
	if len(start) != 0 || len(staged) != 1 || running.next != staged[0] {
		t.Fatalf("second plan: started %d, staged %d; want 0 and 1 (the successor of the running batch)", len(start), len(staged))
	}
	nx := staged[0]
	if got := offsets(nx.items); !slices.Equal(got, []int64{0, 1, 2, 4}) || !slices.Equal(nx.keys, []string{"t-1", "t-0"}) {
		// t-1 was never served, so it goes first; then t-0 after the running batch.
		t.Fatalf("staged %v from %v, want offsets [0 1 2 4] from t-1 then t-0", got, nx.keys)
	}
	if b.buffered != 1 || b.parts["t-0"].owner != nx || b.parts["t-1"].owner != nx {
		t.Fatalf("after staging: buffered %d, owners %p %p; want 1 record left and both partitions owned by the staged batch", b.buffered, b.parts["t-0"].owner, b.parts["t-1"].owner)
	}
	bytes := b.bufBytes
	b.prepare(nx.ev)
	b.mu.Lock()
	b.unstage(nx, running)
	b.mu.Unlock()
	if got := offsets(b.parts["t-0"].items); !slices.Equal(got, []int64{4, 5}) {
		t.Errorf("t-0 queue after unstage = %v, want [4 5]", got)
	}
	if got := offsets(b.parts["t-1"].items); !slices.Equal(got, []int64{0, 1, 2}) {
		t.Errorf("t-1 queue after unstage = %v, want [0 1 2]", got)
	}
	if b.buffered != 5 || b.bufBytes <= bytes || b.parts["t-0"].owner != running || b.parts["t-1"].owner != nil {
		t.Errorf("after unstage: buffered %d (want 5), bytes %d (want more than %d), t-0 held by the running batch %v, t-1 free %v",
			b.buffered, b.bufBytes, bytes, b.parts["t-0"].owner == running, b.parts["t-1"].owner == nil)
	}
}
