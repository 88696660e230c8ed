package sourcetask

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/serverless-kafka-connect/slkc/connectors"
	"github.com/serverless-kafka-connect/slkc/shared/state"
)

// chunkedTables is a tableSource whose tables split into n chunks of
// their rows 0..rows-1; a chunk's position is {"i":next row} like a
// table's, and the load continues from {"i":rows}.
type chunkedTables struct {
	*tableSource
	n int
}

func (s *chunkedTables) Chunks(_ context.Context, p connectors.Partition) ([]connectors.Partition, connectors.Position, error) {
	if p["initial_load_chunk"] != "" {
		return nil, nil, nil
	}
	var out []connectors.Partition
	for i := range s.n {
		out = append(out, connectors.Partition{"protocol": "1", "table": p["table"], "initial_load_chunk": fmt.Sprintf("%d/%d", i+1, s.n),
			"lo": fmt.Sprint(i * s.rows / s.n), "hi": fmt.Sprint((i + 1) * s.rows / s.n)})
	}
	return out, connectors.Position(fmt.Sprintf(`{"i":%d}`, s.rows)), nil
}

func (s *chunkedTables) ReadPage(ctx context.Context, p connectors.Partition, pos connectors.Position) (connectors.Page, error) {
	if p["initial_load_chunk"] == "" {
		return s.tableSource.ReadPage(ctx, p, pos)
	}
	var lo, hi int
	fmt.Sscan(p["lo"], &lo)
	fmt.Sscan(p["hi"], &hi)
	if pos == nil {
		pos = connectors.Position(fmt.Sprintf(`{"i":%d}`, lo))
	}
	page, err := s.tableSource.ReadPage(ctx, p, pos)
	if err != nil {
		return page, err
	}
	var keep int
	for _, r := range page.Records {
		var i int
		fmt.Sscan(r.Key.(string), &i)
		if i < hi {
			keep++
		}
	}
	page.Records = page.Records[:keep]
	var next struct{ I int }
	_ = json.Unmarshal(page.Next, &next)
	if next.I >= hi {
		page.Next, page.More = connectors.Position(fmt.Sprintf(`{"i":%d}`, hi)), false
	}
	return page, nil
}

// TestSingleTaskSkipsHeldChunk: a tasks.max 1 run does not read a chunk
// whose chunk lease another run (a task of a higher tasks.max) holds: it
// reads the other chunks, leaves the plan in place, and finishes the load
// on the run after the lease is released. Every row arrives once.
func TestSingleTaskSkipsHeldChunk(t *testing.T) {
	r := newTaskRig(t)
	src := &chunkedTables{tableSource: newTableSource(r.topic, 40, 5, "shop.big"), n: 4}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	p := tables("shop.big")[0]
	chunks, _, _ := src.Chunks(ctx, p)
	old, err := r.leases.AcquireKey(ctx, "multi-source", partitionLeaseKey("multi-source", chunks[1]), "old-task-2", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	res, err := r.task(t, src, 1, 0).RunTask(ctx, "single-1", 0)
	if err != nil || res.ChunksHeld != 1 || res.Records != 30 {
		t.Fatalf("run with chunk 2 held = %+v, %v; want 3 chunks (30 rows) read, 1 held", res, err)
	}
	if off, _ := r.offsets.Get(ctx, "multi-source", chunks[1]); off.Version != 0 {
		t.Errorf("the held chunk's offset = %+v; want none committed", off)
	}
	if off, _ := r.offsets.Get(ctx, "multi-source", p); !isPlan(off.Position) {
		t.Errorf("table offset = %s; want the plan still in place", off.Position)
	}
	if err := r.leases.Release(ctx, old); err != nil {
		t.Fatal(err)
	}
	res, err = r.task(t, src, 1, 0).RunTask(ctx, "single-2", 0)
	if err != nil || res.ChunksHeld != 0 || res.Records != 10 {
		t.Fatalf("run after release = %+v, %v; want the 10 rows of chunk 2", res, err)
	}
	if off, _ := r.offsets.Get(ctx, "multi-source", p); string(off.Position) != `{"i":40}` {
		t.Errorf("table offset = %s; want the load finished at {\"i\":40}", off.Position)
	}
	r.checkOnce(t, 40)
}

func isPlan(pos connectors.Position) bool { _, ok := parseLoad(pos); return ok }

// TestTaskReadsChunksOfADownTask: tasks.max 3, one chunked table, and only
// task 0 runs (the others are down): after the chunks it is preferred for
// it reads the rest and finishes the load in one run.
func TestTaskReadsChunksOfADownTask(t *testing.T) {
	r := newTaskRig(t)
	src := &chunkedTables{tableSource: newTableSource(r.topic, 60, 5, "shop.big"), n: 6}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := r.task(t, src, 3, 0).RunTask(ctx, "alone", 0)
	if err != nil || res.Records != 60 || res.ChunksHeld != 0 {
		t.Fatalf("task 0 alone = %+v, %v; want all 60 rows", res, err)
	}
	if off, _ := r.offsets.Get(ctx, "multi-source", tables("shop.big")[0]); string(off.Position) != `{"i":60}` {
		t.Errorf("table offset = %s; want the load finished at {\"i\":60}", off.Position)
	}
	r.checkOnce(t, 60)
}

// singleStarts takes the connector's own lease when the multi-task run
// lists its partitions: a tasks.max 1 run starting after the multi-task
// run's start check.
type singleStarts struct {
	*tableSource
	leases *state.LeaseStore
	t      *testing.T
}

func (s *singleStarts) Partitions(ctx context.Context) ([]connectors.Partition, error) {
	if _, err := s.leases.Acquire(ctx, "multi-source", "single-run", time.Minute); err != nil {
		s.t.Error(err)
	}
	return s.tableSource.Partitions(ctx)
}

// TestMultiTaskYieldsToSingleTask: a multi-task run that takes a
// partition lease and then finds the connector's lease held (a tasks.max 1
// run started meanwhile) reads nothing and counts the partitions held.
func TestMultiTaskYieldsToSingleTask(t *testing.T) {
	r := newTaskRig(t)
	src := &singleStarts{tableSource: newTableSource(r.topic, 10, 5, "shop.t1", "shop.t2"), leases: r.leases, t: t}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	id := TaskOf(tables("shop.t1")[0], 2) // a task with at least one table
	res, err := r.task(t, src, 2, id).RunTask(ctx, "multi", id)
	mine := len(Assigned(tables("shop.t1", "shop.t2"), 2, id))
	if err != nil || res.Records != 0 || res.PartitionsHeld != mine {
		t.Fatalf("multi-task run = %+v, %v; want nothing read and its %d partitions held", res, err, mine)
	}
}

// TestHelpersReadOnlyListedTablesPlans: a stored plan is helped with only
// while its table is listed: a task finds the plan of a table no longer
// configured and leaves it alone (a task with no table of its own), then
// the task that does not own the table reads the plan's chunks once the
// table is listed again.
func TestHelpersReadOnlyListedTablesPlans(t *testing.T) {
	r := newTaskRig(t)
	src := &chunkedTables{tableSource: newTableSource(r.topic, 40, 5, "shop.t1"), n: 4}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	gone := tables("shop.gone")[0]
	chunks, then, _ := src.Chunks(ctx, gone)
	pos, err := loadPlan{Chunks: chunks, Then: json.RawMessage(then)}.encode()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.offsets.Put(ctx, "multi-source", gone, pos, 0); err != nil {
		t.Fatal(err)
	}
	helper := 1 // one table: task 0 owns it, task 1 only helps
	res, err := r.task(t, src, 2, helper).RunTask(ctx, "unlisted", helper)
	if err != nil || res.Records != 0 || !res.Retired {
		t.Fatalf("helper while shop.gone is not listed = %+v, %v; want nothing read", res, err)
	}
	src.add("shop.gone")
	helper = 1 - TaskOf(gone, 2)
	res, err = r.task(t, src, 2, helper).RunTask(ctx, "listed", helper)
	if err != nil || res.PerPartition[gone.String()] != 40 {
		t.Fatalf("helper (task %d) once shop.gone is listed = %+v, %v; want the plan's 40 rows", helper, res, err)
	}
}
