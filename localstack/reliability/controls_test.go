package reliability

import (
	"context"
	"testing"
	"time"

	"github.com/serverless-kafka-connect/slkc/shared/sinktask"
	"github.com/serverless-kafka-connect/slkc/shared/testenv"
)

// TestInvariantsCatchFaults are negative controls: each plants the bug an
// invariant of the matrix exists to catch and asserts the check reports it,
// so a passing matrix means something.
func TestInvariantsCatchFaults(t *testing.T) {
	seed := testSeed(t)
	t.Run("producer that drops a page is caught as loss", func(t *testing.T) {
		rng := NewRand(seed)
		r := newSourceRig(t, rng, 20)
		page := 1 + rng.IntN(r.pages())
		if _, err := r.run(t, &invocation{reqID: "lossy", produce: func(call, n int) (int, error) {
			if call == page {
				return 0, nil // acknowledged, never sent
			}
			return n, nil
		}}); err != nil {
			t.Fatalf("lossy run: %v", err)
		}
		recs := consumeAll(t, r.seeds, r.topic, r.rows-r.batch, 10*time.Second)
		if _, err := delivered(recs, r.rows); err == nil {
			t.Error("the delivery check did not notice a dropped page")
		}
	})
	t.Run("offset moving backwards is caught", func(t *testing.T) {
		l := &offsetLog{writes: []int64{3, 9, 7}}
		if l.monotonic() == nil {
			t.Error("monotonic() accepted 3, 9, 7")
		}
		l = &offsetLog{writes: []int64{3, 3, 9}}
		if err := l.monotonic(); err != nil {
			t.Errorf("monotonic() rejected 3, 3, 9: %v", err)
		}
	})
	t.Run("non-idempotent sink fails the replay", func(t *testing.T) {
		env := testenv.New(t)
		recs, _ := genBatch(NewRand(seed), "orders", 30, 1, 5, nil)
		task, _, _, _ := newSinkTaskOpts(t, env, "orders_copy", sinktask.ToleranceNone, sinkOpts{rbif: true, insertMode: "insert"})
		// Plain inserts of distinct ids: keep the first record per id so
		// the first delivery itself is clean.
		seen := map[int64]bool{}
		var uniq = recs[:0:0]
		for _, r := range recs {
			id, _ := payloadID(r.Value)
			if !seen[id] {
				seen[id] = true
				uniq = append(uniq, r)
			}
		}
		for i, r := range uniq {
			r.Offset = int64(i)
		}
		mustHandle(t, task, uniq, "first delivery")
		resp, err := task.Handle(context.Background(), kafkaEvent(uniq))
		if err == nil && len(resp.BatchItemFailures) == 0 {
			t.Error("replaying a batch into insert.mode=insert succeeded; the replay invariant could not catch a non-idempotent sink")
		}
	})
}
