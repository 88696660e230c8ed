package bridge

import (
	"context"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/serverless-kafka-connect/slkc/events"
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

// TestRevokeWithStagedBatch checks what a rebalance does to a staged batch:
// revoking a partition only the staged batch holds puts its other records
// back (the running batch keeps its partition and is not cancelled), and
// revoking the running batch's partition cancels it, which then puts its
// staged successor back instead of running it.
func TestRevokeWithStagedBatch(t *testing.T) {
	b, err := New(Mapping{FunctionName: "f", Topics: []string{"t"}, Bootstrap: "127.0.0.1:1", ConsumerGroup: "g", BatchSize: 4}, &fakeFunction{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	b.onAssigned(ctx, nil, map[string][]int32{"t": {0, 1}})
	var recs []*kgo.Record
	for i := range 6 {
		recs = append(recs, &kgo.Record{Topic: "t", Partition: 0, Offset: int64(i), Value: []byte("v")})
	}
	b.enqueue(recs)
	start, _, _ := b.plan(time.Now())
	running := start[0]
	b.enqueue([]*kgo.Record{{Topic: "t", Partition: 1, Offset: 0, Value: []byte("v")}, {Topic: "t", Partition: 1, Offset: 1, Value: []byte("v")}})
	_, staged, _ := b.plan(time.Now())
	if len(staged) != 1 {
		t.Fatalf("staged %d batches, want 1", len(staged))
	}
	b.prepare(staged[0].ev)

	b.onRevoked(ctx, nil, map[string][]int32{"t": {1}})
	cancelled := false
	cancelCh := make(chan struct{})
	running.cancel = func() { cancelled = true; close(cancelCh) }
	if running.next != nil || running.revoked {
		t.Fatalf("after revoking t-1: staged batch kept (%v) or running batch marked revoked (%v)", running.next != nil, running.revoked)
	}
	if got := len(b.parts["t-0"].items); got != 2 || b.parts["t-0"].owner != running || b.parts["t-1"] != nil {
		t.Fatalf("after revoking t-1: t-0 holds %d records owned by the running batch %v, t-1 gone %v; want 2, true, true",
			got, b.parts["t-0"].owner == running, b.parts["t-1"] == nil)
	}

	// Stage again from t-0 alone, then revoke t-0: the running batch is
	// cancelled and, when it ends, its successor is not run.
	b.enqueue([]*kgo.Record{{Topic: "t", Partition: 0, Offset: 6, Value: []byte("v")}, {Topic: "t", Partition: 0, Offset: 7, Value: []byte("v")}})
	if _, staged, _ = b.plan(time.Now()); len(staged) != 1 {
		t.Fatalf("second staging: %d batches, want 1", len(staged))
	}
	b.prepare(staged[0].ev)
	ran := make(chan *flight, 1)
	go func() {
		// The running batch's goroutine: its invoke sees the cancellation.
		<-cancelCh
		cctx, stop := context.WithCancel(ctx)
		stop()
		ran <- b.runOne(cctx, running, &sync.WaitGroup{})
	}()
	b.onRevoked(ctx, nil, map[string][]int32{"t": {0}})
	if next := <-ran; next != nil {
		t.Errorf("the cancelled batch handed its slot to its staged successor (%d records)", len(next.items))
	}
	if !cancelled || !running.revoked || b.inflight != 0 || b.buffered != 0 || b.bufBytes != 0 {
		t.Errorf("after revoking t-0: cancelled %v, revoked %v, slots busy %d, buffered %d records / %d bytes; want true, true, 0, 0, 0",
			cancelled, running.revoked, b.inflight, b.buffered, b.bufBytes)
	}
}

// TestFullPayloadDoesNotWaitForWindow checks that records filling the 6 MB
// payload start a batch at once, like BatchSize records do, while fewer
// wait for the batching window: with ~1 KB records the poller buffers one
// payload's worth, far below BatchSize, so waiting for the count would
// idle the function for the whole window between batches.
func TestFullPayloadDoesNotWaitForWindow(t *testing.T) {
	tests := []struct {
		name      string
		records   int
		wantStart bool
	}{
		{name: "payload full", records: 5, wantStart: true}, // 5 × ~1.33 MB base64 > 6 MB
		{name: "payload not full", records: 2, wantStart: false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := New(Mapping{FunctionName: "f", Topics: []string{"t"}, Bootstrap: "127.0.0.1:1", ConsumerGroup: "g",
				BatchSize: MaxBatchSize, MaxBatchingWindow: 10 * time.Second}, &fakeFunction{}, nil)
			if err != nil {
				t.Fatal(err)
			}
			b.onAssigned(context.Background(), nil, map[string][]int32{"t": {0}})
			var recs []*kgo.Record
			for i := range tc.records {
				recs = append(recs, &kgo.Record{Topic: "t", Partition: 0, Offset: int64(i), Value: make([]byte, 1<<20)})
			}
			b.enqueue(recs)
			now := time.Now()
			start, _, wakeAt := b.plan(now)
			if got := len(start) == 1; got != tc.wantStart {
				t.Fatalf("plan started %d batches (wake at +%s); want a batch started: %v", len(start), wakeAt.Sub(now), tc.wantStart)
			}
			if !tc.wantStart && wakeAt.Sub(now) < 9*time.Second {
				t.Errorf("wake at +%s, want the end of the 10 s window", wakeAt.Sub(now))
			}
			if tc.wantStart && (len(start[0].items) != 4 || b.buffered != 1) {
				t.Errorf("batch of %d records with %d left queued; want 4 (what fits in 6 MB) and 1", len(start[0].items), b.buffered)
			}
		})
	}
}

// TestTrackerCommitPoints: a partition's commit point is after the longest
// resolved prefix of its records in the batch (offsets may have gaps),
// whatever order the records resolve in, and pending counts each record
// once.
func TestTrackerCommitPoints(t *testing.T) {
	mk := func(topic string, p int32, offs ...int64) []item {
		var out []item
		for _, o := range offs {
			out = append(out, item{topic: topic, partition: p, tp: events.TopicPartition(topic, p), offset: o, epoch: int32(o)})
		}
		return out
	}
	a, b := mk("t", 0, 3, 4, 7, 8), mk("t", 1, 10, 11)
	tr := newTracker(append(append([]item{}, a...), b...))
	if got := tr.commitPoints(); len(got) != 0 || tr.pending != 6 {
		t.Fatalf("nothing resolved: points %v, pending %d; want none and 6", got, tr.pending)
	}
	tr.markDone(a[2:3])        // 7: no prefix yet
	tr.markDone(b[0:1])        // 10
	tr.markDone(a[2:3])        // 7 again: counted once
	tr.markDone(mk("t", 0, 5)) // not in the batch: ignored
	if got := tr.commitPoints(); !reflect.DeepEqual(got, map[string]int64{"t-1": 11}) || tr.pending != 4 {
		t.Errorf("7 and 10 resolved: points %v, pending %d; want t-1 at 11 and 4", got, tr.pending)
	}
	tr.markDone(a[0:2]) // 3, 4: prefix 3, 4, 7
	if got := tr.commitPoints(); !reflect.DeepEqual(got, map[string]int64{"t-0": 8, "t-1": 11}) {
		t.Errorf("3, 4, 7, 10 resolved: points %v, want t-0 at 8, t-1 at 11", got)
	}
	tr.markDone(append(a[3:], b[1:]...))
	if got := tr.commitPoints(); !reflect.DeepEqual(got, map[string]int64{"t-0": 9, "t-1": 12}) || tr.pending != 0 {
		t.Errorf("all resolved: points %v, pending %d; want t-0 at 9, t-1 at 12, 0", got, tr.pending)
	}
	if pt := tr.parts["t-0"]; pt.epoch != 8 {
		t.Errorf("t-0 commits epoch %d, want its last record's (8)", pt.epoch)
	}
}

// TestCommitNeverGoesBack: a commit whose points are at or behind what is
// already committed (a batch's commit finishing after the next batch's)
// sends nothing and leaves the committed offsets alone; no client is
// needed for that.
func TestCommitNeverGoesBack(t *testing.T) {
	b, err := New(Mapping{FunctionName: "f", Topics: []string{"t"}, Bootstrap: "127.0.0.1:1", ConsumerGroup: "g"}, &fakeFunction{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	b.onAssigned(context.Background(), nil, map[string][]int32{"t": {0}})
	b.stats.Committed["t-0"] = 10
	items := []item{{topic: "t", partition: 0, tp: "t-0", offset: 5}, {topic: "t", partition: 0, tp: "t-0", offset: 9}}
	tr := newTracker(items)
	tr.markDone(items)
	if err := b.commit(context.Background(), tr); err != nil {
		t.Fatalf("commit behind the committed offset: %v", err)
	}
	if got := b.Stats().Committed["t-0"]; got != 10 {
		t.Errorf("committed offset %d after an older commit, want 10", got)
	}
}

// TestRevokeWaitsForPendingCommit: a batch whose offsets are being
// committed in the background (its slot already runs the next batch) is
// cancelled by a revoke of its partition, and the revoke returns only once
// that commit has ended.
func TestRevokeWaitsForPendingCommit(t *testing.T) {
	b, err := New(Mapping{FunctionName: "f", Topics: []string{"t"}, Bootstrap: "127.0.0.1:1", ConsumerGroup: "g", BatchSize: 2}, &fakeFunction{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	b.onAssigned(context.Background(), nil, map[string][]int32{"t": {0, 1, 2}})
	ended := make(chan struct{})
	fl := &flight{keys: []string{"t-0"}, done: make(chan struct{}), committing: true}
	fl.cancel = func() {
		go func() { // the commit goroutine sees the cancellation and ends
			time.Sleep(20 * time.Millisecond)
			close(ended)
			close(fl.done)
		}()
	}
	other := &flight{keys: []string{"t-1"}, done: make(chan struct{}), committing: true, cancel: func() { t.Error("a commit of another partition was cancelled") }}
	b.mu.Lock()
	b.flights[fl], b.flights[other] = struct{}{}, struct{}{}
	b.mu.Unlock()
	// A full batch of records of an idle partition while every slot is
	// taken: plan may stage it only after a batch that is still invoking,
	// never after one that is only committing (nothing would run it).
	b.mu.Lock()
	b.inflight = b.m.Concurrency
	b.mu.Unlock()
	var recs []*kgo.Record
	for o := range int64(4) {
		recs = append(recs, &kgo.Record{Topic: "t", Partition: 2, Offset: o, Value: []byte("v")})
	}
	b.enqueue(recs)
	if start, staged, _ := b.plan(time.Now()); len(start)+len(staged) > 0 || fl.next != nil || other.next != nil {
		t.Fatalf("plan started %d and staged %d batches with every slot taken and only committing batches", len(start), len(staged))
	}
	b.onRevoked(context.Background(), nil, map[string][]int32{"t": {0}})
	select {
	case <-ended:
	default:
		t.Fatal("onRevoked returned before the pending commit ended")
	}
	if !fl.revoked {
		t.Error("the committing batch was not marked revoked")
	}
}
