package reliability

import (
	"context"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/serverless-kafka-connect/slkc/connectors"
	"github.com/serverless-kafka-connect/slkc/connectors/mysql"
	"github.com/serverless-kafka-connect/slkc/shared/connect"
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
		if _, err := delivered(recs, tableDigest(t, r.db, "orders")); err == nil {
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
		v := func(version int64, pos string) offsetVersion {
			return offsetVersion{Connector: "c", Partition: "p", Version: version, Position: connectors.Position(pos)}
		}
		tests := []struct {
			name    string
			mode    mysql.Mode
			history []offsetVersion
			ok      bool
		}{
			{"incrementing forward", mysql.ModeIncrementing, []offsetVersion{v(1, `{"incrementing":3}`), v(2, `{"incrementing":3,"gap_first_seen":1,"gap_horizon":8}`), v(3, `{"incrementing":9}`)}, true},
			{"incrementing backwards", mysql.ModeIncrementing, []offsetVersion{v(1, `{"incrementing":9}`), v(2, `{"incrementing":7}`)}, false},
			{"a version never read back", mysql.ModeIncrementing, []offsetVersion{v(1, `{"incrementing":3}`), v(3, `{"incrementing":9}`)}, false},
			{"timestamp backwards in time", mysql.ModeTimestamp, []offsetVersion{v(1, `{"timestamp":2000,"timestamp_nanos":0,"key":[1]}`), v(2, `{"timestamp":1000,"timestamp_nanos":0,"key":[9]}`)}, false},
			{"timestamp backwards in key", mysql.ModeTimestamp, []offsetVersion{v(1, `{"timestamp":2000,"timestamp_nanos":0,"key":[5]}`), v(2, `{"timestamp":2000,"timestamp_nanos":0,"key":[4]}`)}, false},
			{"timestamp backwards in micros", mysql.ModeTimestampIncrementing, []offsetVersion{v(1, `{"incrementing":1,"timestamp":2000,"timestamp_nanos":5000}`), v(2, `{"incrementing":2,"timestamp":2000,"timestamp_nanos":4000}`)}, false},
			{"timestamp+incrementing forward", mysql.ModeTimestampIncrementing, []offsetVersion{v(1, `{"incrementing":7,"timestamp":2000,"timestamp_nanos":0}`), v(2, `{"incrementing":3,"timestamp":2001,"timestamp_nanos":1000000}`)}, true},
		}
		for _, tt := range tests {
			if _, err := checkOffsetHistory(tt.history, tt.mode); (err == nil) != tt.ok {
				t.Errorf("%s: checkOffsetHistory = %v; want ok=%v", tt.name, err, tt.ok)
			}
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
	t.Run("sink that applies every record twice without an error is caught by the table check", func(t *testing.T) {
		// The planted bug: a keyless table (pk.mode=none, plain INSERT)
		// and a destination that applies each batch twice and reports
		// success, as a sink that re-applies a redelivered record would.
		// Nothing fails, so only the content check of the matrix
		// (tableDigest against the expected rows, as checkDigest does)
		// can see it.
		env := testenv.New(t)
		recs, _ := genBatch(NewRand(seed), "orders", 30, 1, 5, nil)
		seen := map[int64]bool{}
		var uniq = recs[:0:0]
		var want []string
		for _, r := range recs {
			id, _ := payloadID(r.Value)
			if !seen[id] {
				seen[id] = true
				r.Offset = int64(len(uniq))
				uniq = append(uniq, r)
				want = append(want, fmt.Sprintf("%d=%s", id, payloadV(r.Value)))
			}
		}
		sort.Strings(want)
		task, dest, db, _ := newSinkTaskOpts(t, env, "orders_twice", sinktask.ToleranceNone, sinkOpts{rbif: true, insertMode: "insert", pkMode: "none"})
		dest.fault = func(ctx context.Context, _ int, recs []connect.Record) (int, error) {
			return 0, dest.inner.Write(ctx, recs) // the extra application; then the normal one
		}
		resp, err := task.Handle(context.Background(), kafkaEvent(uniq))
		if err != nil || len(resp.BatchItemFailures) != 0 {
			t.Fatalf("the planted sink must not report an error (Handle = %+v, %v)", resp, err)
		}
		got := tableDigest(t, db, "orders_twice")
		if equalStrings(got, want) {
			t.Fatal("the table check accepted a sink that applied every record twice")
		}
		if len(got) != 2*len(want) {
			t.Errorf("%d rows for %d records; the planted sink should have doubled them", len(got), len(want))
		}
	})
}
