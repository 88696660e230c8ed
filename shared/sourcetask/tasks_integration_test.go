package sourcetask

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/serverless-kafka-connect/slkc/connectors"
	"github.com/serverless-kafka-connect/slkc/shared/state"
	"github.com/serverless-kafka-connect/slkc/shared/testenv"
)

// tableSource serves fakeSource's rows for a table list that may change
// between Partitions calls (a table added mid-run). A gated table's reads
// block until its gate is closed or ctx ends; entered receives the table
// name each time a read blocks.
type tableSource struct {
	*fakeSource
	mu      sync.Mutex
	names   []string
	gates   map[string]chan struct{}
	entered chan string
}

func newTableSource(topic string, rows, pageSize int, names ...string) *tableSource {
	return &tableSource{fakeSource: &fakeSource{rows: rows, pageSize: pageSize, topic: topic, badRow: -1},
		names: names, gates: map[string]chan struct{}{}, entered: make(chan string, 16)}
}

func (s *tableSource) Partitions(context.Context) ([]connectors.Partition, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return tables(s.names...), nil
}

func (s *tableSource) add(name string) {
	s.mu.Lock()
	s.names = append(s.names, name)
	s.mu.Unlock()
}

// gate makes reads of table block until the returned func is called.
func (s *tableSource) gate(table string) (open func()) {
	g := make(chan struct{})
	s.mu.Lock()
	s.gates[table] = g
	s.mu.Unlock()
	var once sync.Once
	return func() { once.Do(func() { close(g) }) }
}

func (s *tableSource) ReadPage(ctx context.Context, p connectors.Partition, pos connectors.Position) (connectors.Page, error) {
	s.mu.Lock()
	g := s.gates[p["table"]]
	s.mu.Unlock()
	if g != nil {
		select {
		case <-g:
		default:
			s.entered <- p["table"]
			select {
			case <-g:
			case <-ctx.Done():
				return connectors.Page{}, ctx.Err()
			}
		}
	}
	return s.fakeSource.ReadPage(ctx, p, pos)
}

// taskRig builds tasks of one connector on DynamoDB Local and the broker.
type taskRig struct {
	env     *testenv.Env
	topic   string
	offsets *state.OffsetStore
	leases  *state.LeaseStore
	status  *state.StatusStore
}

func newTaskRig(t *testing.T) *taskRig {
	env := testenv.New(t)
	r := &taskRig{env: env, topic: env.Topic(t, 1)}
	r.offsets, r.leases, r.status, _ = dynamoStores(t, env)
	return r
}

func (r *taskRig) task(t *testing.T, src connectors.Source, tasksMax, id int) *Task {
	logger, _ := logBuffer()
	return &Task{Name: "multi-source", Source: src, Producer: r.env.Kafka(t), KeyConv: jsonConv{}, ValueConv: jsonConv{},
		Offsets: r.offsets, Leases: r.leases, Status: r.status, WorkerID: fmt.Sprintf("w-%d", id), Logger: logger, TasksMax: tasksMax}
}

// runAll runs tasks 0..n-1 at once, each on its own Task (as separate
// invocations), and returns their results.
func (r *taskRig) runAll(t *testing.T, ctx context.Context, src connectors.Source, tasksMax, n int, req string) []Result {
	t.Helper()
	res := make([]Result, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for id := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res[id], errs[id] = r.task(t, src, tasksMax, id).RunTask(ctx, fmt.Sprintf("%s-%d", req, id), id)
		}()
	}
	wg.Wait()
	for id, err := range errs {
		if err != nil {
			t.Fatalf("task %d: %v", id, err)
		}
	}
	return res
}

// checkOnce consumes want records and fails on any value seen twice.
func (r *taskRig) checkOnce(t *testing.T, want int) map[string]int {
	t.Helper()
	seen := map[string]int{}
	for _, rec := range consumeAll(t, r.env.Seeds(), r.topic, want) {
		seen[string(rec.Value)]++
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ends, err := r.env.KafkaAdmin(t).ListEndOffsets(ctx, r.topic)
	if err != nil {
		t.Fatal(err)
	}
	if end, _ := ends.Lookup(r.topic, 0); end.Offset != int64(want) {
		t.Errorf("topic holds %d records, want exactly %d", end.Offset, want)
	}
	for v, n := range seen {
		if n > 1 {
			t.Errorf("record %s produced %d times", v, n)
		}
	}
	return seen
}

// TestTasksSplitTablesOnRealStack: tasks.max 3 over 6 tables, the three
// tasks running at once. Every table is read by the one task the
// assignment names, every row arrives once, the status has one entry per
// task with its id and worker; a table added afterwards is read by its
// task on the next runs and nothing else is re-read.
func TestTasksSplitTablesOnRealStack(t *testing.T) {
	r := newTaskRig(t)
	names := []string{"shop.t1", "shop.t2", "shop.t3", "shop.t4", "shop.t5", "shop.t6"}
	src := newTableSource(r.topic, 13, 5, names...)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	res := r.runAll(t, ctx, src, 3, 3, "req")
	total := 0
	parts, _ := src.Partitions(ctx)
	for id, rs := range res {
		total += rs.Records
		mine := map[string]bool{}
		for _, p := range Assigned(parts, 3, id) {
			mine[p.String()] = true
			if rs.PerPartition[p.String()] != 13 {
				t.Errorf("task %d read %d rows of its table %s, want 13", id, rs.PerPartition[p.String()], p)
			}
		}
		for p := range rs.PerPartition {
			if !mine[p] {
				t.Errorf("task %d read table %s, assigned to another task", id, p)
			}
		}
		if rs.Skipped || rs.PartitionsHeld != 0 {
			t.Errorf("task %d = %+v; want it to run every assigned table", id, rs)
		}
	}
	if total != 6*13 {
		t.Fatalf("tasks read %d rows, want %d", total, 6*13)
	}
	r.checkOnce(t, 6*13)

	body, err := r.status.ConnectStatus(ctx, "multi-source")
	if err != nil || len(body.Tasks) != 3 {
		t.Fatalf("status = %+v, %v; want 3 tasks", body, err)
	}
	for i, ts := range body.Tasks {
		if ts.ID != i || ts.State != state.StateRunning || ts.WorkerID != fmt.Sprintf("w-%d", i) {
			t.Errorf("status task %d = %+v", i, ts)
		}
	}

	src.add("shop.t7")
	res = r.runAll(t, ctx, src, 3, 3, "req2")
	owner := TaskOf(tables("shop.t7")[0], 3)
	for id, rs := range res {
		want := 0
		if id == owner {
			want = 13
		}
		if rs.Records != want {
			t.Errorf("second round: task %d read %d rows, want %d (only the added table, by task %d)", id, rs.Records, want, owner)
		}
	}
	r.checkOnce(t, 7*13)
}

// TestTasksFewerTablesThanTasksMax: with 2 tables and tasks.max 4 only two
// tasks work; the others finish at once, retired, and the status lists
// only the two working tasks.
func TestTasksFewerTablesThanTasksMax(t *testing.T) {
	r := newTaskRig(t)
	src := newTableSource(r.topic, 4, 10, "shop.a", "shop.b")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res := r.runAll(t, ctx, src, 4, 4, "req")
	for id, rs := range res {
		if rs.Retired != (id >= 2) {
			t.Errorf("task %d retired=%v; want tasks 2 and 3 retired", id, rs.Retired)
		}
	}
	r.checkOnce(t, 8)
	body, err := r.status.ConnectStatus(ctx, "multi-source")
	if err != nil || len(body.Tasks) != 2 || body.Tasks[0].ID != 0 || body.Tasks[1].ID != 1 {
		t.Errorf("status = %+v, %v; want tasks 0 and 1 only", body, err)
	}
	// An id beyond tasks.max is refused, naming it.
	if _, err := r.task(t, src, 4, 4).RunTask(ctx, "req-x", 4); err == nil {
		t.Error("task id 4 with tasks.max 4 was accepted")
	}
}

// movingTables finds three tables and a fourth to add such that, with
// tasks.max 4, adding the fourth moves one of the three (moved) from its
// task among 3 (from) to the new task 3.
func movingTables(t *testing.T) (names []string, added, moved string, from int) {
	for i := 0; i < 200; i++ {
		names = []string{fmt.Sprintf("shop.r%d", i), fmt.Sprintf("shop.r%d", i+1), fmt.Sprintf("shop.r%d", i+2)}
		added = fmt.Sprintf("shop.r%d", i+3)
		for _, n := range names {
			if TaskOf(tables(n)[0], 4) == 3 {
				return names, added, n, TaskOf(tables(n)[0], 3)
			}
		}
	}
	t.Fatal("no table set found whose assignment moves when a table is added")
	return
}

// TestTasksReassignedTableRace: with tasks.max 4 and 3 tables, a table is
// added while task "from" is reading table "moved"; the assignment now
// gives "moved" to the new task 3. Two cases:
//
//   - held: task 3 runs while "from" still reads: it skips "moved" (its
//     partition lease is held) and reads it on a later run from where
//     "from" stopped. Every row arrives once.
//   - expired: "from" stalls past its lease; task 3 takes "moved" over and
//     drains it; "from"'s page in flight is produced but its offset write
//     is refused (ErrLeaseLost), so at most that one page arrives twice.
func TestTasksReassignedTableRace(t *testing.T) {
	names, added, moved, from := movingTables(t)
	const rows, page = 12, 4
	for _, expired := range []bool{false, true} {
		name := map[bool]string{false: "held", true: "expired"}[expired]
		t.Run(name, func(t *testing.T) {
			r := newTaskRig(t)
			oldView := newTableSource(r.topic, rows, page, names...)
			newView := newTableSource(r.topic, rows, page, append(append([]string{}, names...), added)...)
			open := oldView.gate(moved)
			defer open()
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()

			slow := r.task(t, oldView, 4, from)
			if expired {
				slow.LeaseTTL = 1500 * time.Millisecond
			}
			type outcome struct {
				res Result
				err error
			}
			done := make(chan outcome, 1)
			go func() {
				res, err := slow.RunTask(ctx, "req-slow", from)
				done <- outcome{res, err}
			}()
			// "from" is inside its first page of "moved", holding its lease.
			select {
			case <-oldView.entered:
			case <-ctx.Done():
				t.Fatal("task never read the moved table")
			}
			if expired {
				time.Sleep(2 * time.Second) // past the slow task's lease
			}
			newTask := r.task(t, newView, 4, 3)
			res, err := newTask.RunTask(ctx, "req-new-1", 3)
			if err != nil {
				t.Fatal(err)
			}
			if !expired && (res.PartitionsHeld != 1 || res.PerPartition[tables(moved)[0].String()] != 0) {
				t.Fatalf("task 3 while %s is held = %+v; want it skipped", moved, res)
			}
			if expired && res.PerPartition[tables(moved)[0].String()] != rows {
				t.Fatalf("task 3 after the lease expired = %+v; want all %d rows of %s", res, rows, moved)
			}
			open()
			slowOut := <-done
			if expired {
				if !errors.Is(slowOut.err, state.ErrLeaseLost) || !slowOut.res.Superseded {
					t.Fatalf("superseded task = %+v, %v; want ErrLeaseLost", slowOut.res, slowOut.err)
				}
			} else if slowOut.err != nil {
				t.Fatal(slowOut.err)
			}
			// Later runs of every task under the new assignment.
			r.runAll(t, ctx, newView, 4, 4, "req-later")

			// Every row of the four tables on the topic; in the held case
			// exactly once, in the expired case the refused page once more.
			want := 4 * rows
			if expired {
				want += page
			}
			seen := map[string]int{}
			for _, rec := range consumeAll(t, r.env.Seeds(), r.topic, want) {
				seen[string(rec.Value)]++
			}
			twice := 0
			for _, tbl := range append(append([]string{}, names...), added) {
				for i := range rows {
					switch n := seen[fmt.Sprintf("%q", fmt.Sprintf("%s-%d", tbl, i))]; {
					case n == 0:
						t.Errorf("row %s-%d lost", tbl, i)
					case n > 1:
						twice++
					}
				}
			}
			if (!expired && twice != 0) || (expired && twice > page) {
				t.Errorf("%d rows arrived twice; want 0 (held) or at most one page of %d (expired)", twice, page)
			}
			stored, err := r.offsets.Get(ctx, "multi-source", tables(moved)[0])
			if err != nil || string(stored.Position) != fmt.Sprintf(`{"i":%d}`, rows) {
				t.Errorf("offset of %s = %s, %v; want the end", moved, stored.Position, err)
			}
		})
	}
}

// TestTaskKilledWhileOthersRun: one task's invocation is cancelled in the
// middle of a page while the other two run to the end; the others' tables
// are complete, the killed task's next run resumes from its last committed
// page and every row arrives once.
func TestTaskKilledWhileOthersRun(t *testing.T) {
	r := newTaskRig(t)
	names := []string{"shop.k1", "shop.k2", "shop.k3", "shop.k4", "shop.k5", "shop.k6"}
	src := newTableSource(r.topic, 10, 3, names...)
	parts, _ := src.Partitions(context.Background())
	victim := 1
	mine := Assigned(parts, 3, victim)
	if len(mine) == 0 {
		t.Fatal("victim task has no table")
	}
	open := src.gate(mine[len(mine)-1]["table"])
	defer open()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	kctx, kill := context.WithCancel(ctx)
	killed := make(chan error, 1)
	go func() {
		_, err := r.task(t, src, 3, victim).RunTask(kctx, "req-victim", victim)
		killed <- err
	}()
	others := make(chan int, 2)
	for _, id := range []int{0, 2} {
		go func() {
			res, err := r.task(t, src, 3, id).RunTask(ctx, fmt.Sprintf("req-%d", id), id)
			if err != nil {
				t.Errorf("task %d: %v", id, err)
			}
			others <- res.Records
		}()
	}
	<-src.entered // the victim is inside a page of its last table
	kill()
	if err := <-killed; !errors.Is(err, context.Canceled) {
		t.Errorf("killed task returned %v; want context.Canceled", err)
	}
	n := <-others + <-others
	open()
	res, err := r.task(t, src, 3, victim).RunTask(ctx, "req-victim-2", victim)
	if err != nil {
		t.Fatal(err)
	}
	if n+res.Records > 60 {
		t.Errorf("others read %d, the victim's rerun %d: more than the 60 rows", n, res.Records)
	}
	r.checkOnce(t, 60)
}

// TestTasksLeases: a second invocation of the same task while the first
// runs is skipped (the task lease), and every task skips while the
// connector's own lease is held (a tasks.max=1 run, an offset edit).
func TestTasksLeases(t *testing.T) {
	r := newTaskRig(t)
	src := newTableSource(r.topic, 6, 3, "shop.l1", "shop.l2")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	parts, _ := src.Partitions(ctx)
	id := TaskOf(parts[0], 2)
	open := src.gate(parts[0]["table"])
	done := make(chan error, 1)
	go func() {
		_, err := r.task(t, src, 2, id).RunTask(ctx, "req-first", id)
		done <- err
	}()
	<-src.entered
	res, err := r.task(t, src, 2, id).RunTask(ctx, "req-dup", id)
	if err != nil || !res.Skipped {
		t.Errorf("duplicate invocation of task %d = %+v, %v; want skipped", id, res, err)
	}
	open()
	if err := <-done; err != nil {
		t.Fatal(err)
	}

	single, err := r.leases.Acquire(ctx, "multi-source", "single-task-run", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	for task := range 2 {
		res, err := r.task(t, src, 2, task).RunTask(ctx, fmt.Sprintf("req-held-%d", task), task)
		if err != nil || !res.Skipped || res.Records != 0 {
			t.Errorf("task %d while the connector lease is held = %+v, %v; want skipped", task, res, err)
		}
	}
	if err := r.leases.Release(ctx, single); err != nil {
		t.Fatal(err)
	}
	r.runAll(t, ctx, src, 2, 2, "req-after")
	r.checkOnce(t, 12)
}

// TestSingleTaskRespectsPartitionLeases: a run with tasks.max 1 (the
// connector's tasks.max was just lowered) skips a table whose partition
// lease another run (a task started under the old tasks.max) still holds,
// commits nothing for it, reads the other tables, and reads the table once
// the lease is free; every row arrives once.
func TestSingleTaskRespectsPartitionLeases(t *testing.T) {
	r := newTaskRig(t)
	src := newTableSource(r.topic, 13, 5, "shop.t1", "shop.t2", "shop.t3")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	held := tables("shop.t2")[0]
	old, err := r.leases.AcquireKey(ctx, "multi-source", partitionLeaseKey("multi-source", held), "old-task-1", time.Minute)
	if err != nil {
		t.Fatal(err)
	}

	res, err := r.task(t, src, 1, 0).RunTask(ctx, "single-1", 0)
	if err != nil || res.Skipped || res.PartitionsHeld != 1 || res.Records != 2*13 || res.PerPartition[held.String()] != 0 {
		t.Fatalf("run while another run holds %s = %+v, %v; want it skipped and the other two tables read", held, res, err)
	}
	if off, err := r.offsets.Get(ctx, "multi-source", held); err != nil || off.Version != 0 {
		t.Fatalf("offset of the held table = %+v, %v; want none committed", off, err)
	}
	if err := r.leases.Release(ctx, old); err != nil {
		t.Fatal(err)
	}
	res, err = r.task(t, src, 1, 0).RunTask(ctx, "single-2", 0)
	if err != nil || res.PartitionsHeld != 0 || res.Records != 13 || res.PerPartition[held.String()] != 13 {
		t.Fatalf("run after the lease was released = %+v, %v; want the 13 rows of %s only", res, err, held)
	}
	r.checkOnce(t, 3*13)
}
