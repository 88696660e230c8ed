package sourcetask

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/serverless-kafka-connect/slkc/connectors"
	"github.com/serverless-kafka-connect/slkc/connectors/mysql"
	"github.com/serverless-kafka-connect/slkc/shared/connect"
	"github.com/serverless-kafka-connect/slkc/shared/state"
	"github.com/serverless-kafka-connect/slkc/shared/testenv"
)

// chunkFaults wraps the MySQL source: the first read of every chunk waits
// until all chunks have started (proving they run at once), and the read
// of failChunk's third page fails once. While failAll is set every chunk
// read fails before it counts as started.
type chunkFaults struct {
	*mysql.Source
	chunks    int
	failChunk string
	mu        sync.Mutex
	failAll   bool
	started   map[string]bool
	all       chan struct{}
	reads     map[string]int
	failed    bool
	together  bool
}

var _ connectors.Chunker = (*chunkFaults)(nil)

func (c *chunkFaults) ReadPage(ctx context.Context, p connectors.Partition, pos connectors.Position) (connectors.Page, error) {
	ch := p["initial_load_chunk"]
	if ch != "" {
		c.mu.Lock()
		if c.failAll {
			c.mu.Unlock()
			return connectors.Page{}, errors.New("injected: every chunk read fails")
		}
		first := !c.started[ch]
		c.started[ch] = true
		if first && len(c.started) == c.chunks {
			close(c.all)
		}
		c.reads[ch]++
		fail := ch == c.failChunk && c.reads[ch] == 3 && !c.failed
		if fail {
			c.failed = true
		}
		c.mu.Unlock()
		if first {
			select {
			case <-c.all:
				c.mu.Lock()
				c.together = true
				c.mu.Unlock()
			case <-time.After(20 * time.Second):
			}
		}
		if fail {
			return connectors.Page{}, errors.New("injected: chunk read failed")
		}
	}
	return c.Source.ReadPage(ctx, p, pos)
}

// TestChunkedInitialLoadOnRealStack loads a 2000-row MariaDB table with
// initial.load.max.parallelism 4 and pages of 50 through the real broker
// and DynamoDB Local. The four chunks read at once; one chunk fails at its
// third page, failing the run; the next run resumes every chunk from its
// last committed page and finishes the load; rows inserted afterwards are
// read incrementally from the range's end. Every row arrives; the only
// repeats are pages in flight when the failure cancelled the other chunks.
func TestChunkedInitialLoadOnRealStack(t *testing.T) {
	env := testenv.New(t)
	db, name := env.MySQLDatabase(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for _, q := range []string{
		"CREATE TABLE big (id INT AUTO_INCREMENT PRIMARY KEY, v VARCHAR(20) NOT NULL)",
		"INSERT INTO big (v) SELECT CONCAT('r', seq) FROM seq_1_to_2000",
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	ms, topic := openBigSource(t, ctx, env, name, "chunk", 4)
	src := &chunkFaults{Source: ms, chunks: 4, failChunk: "3/4", started: map[string]bool{}, all: make(chan struct{}), reads: map[string]int{}}
	offsets, leases, status, _ := dynamoStores(t, env)
	logger, _ := logBuffer()
	task := &Task{Name: "chunked", Source: src, Producer: env.Kafka(t), KeyConv: jsonConv{}, ValueConv: idConv{},
		Offsets: offsets, Leases: leases, Status: status, WorkerID: "w", Logger: logger}

	res, err := task.Run(ctx, "req-1")
	if err == nil || !strings.Contains(err.Error(), "chunk 3 of 4") || !strings.Contains(err.Error(), "injected") {
		t.Fatalf("first run = %+v, %v; want the injected failure of chunk 3 of 4", res, err)
	}
	if !src.together {
		t.Error("the four chunks did not all start before the first one read a page")
	}
	if off, err := offsets.Get(ctx, "chunked", mysql.TablePartition(name, "big")); err != nil {
		t.Fatal(err)
	} else if plan, ok := parseLoad(off.Position); !ok || len(plan.Chunks) != 4 || string(plan.Then) != `{"incrementing":2000}` {
		t.Errorf("table offset during the load = %s; want the plan of 4 chunks, then incrementing 2000", off.Position)
	}
	// The failed run's counts may miss a commit that DynamoDB applied as
	// its context was cancelled; the topic and the offsets below are the
	// truth.
	if _, err := task.Run(ctx, "req-2"); err != nil {
		t.Fatal(err)
	}
	p := mysql.TablePartition(name, "big")
	off, err := offsets.Get(ctx, "chunked", p)
	if err != nil || string(off.Position) != `{"incrementing":2000}` {
		t.Fatalf("offset after the load = %s, %v; want incrementing 2000", off.Position, err)
	}
	if _, err := db.ExecContext(ctx, "INSERT INTO big (v) SELECT CONCAT('n', seq) FROM seq_1_to_120"); err != nil {
		t.Fatal(err)
	}
	res, err = task.Run(ctx, "req-3")
	if err != nil || res.Records != 120 {
		t.Fatalf("incremental run = %+v, %v; want the 120 new rows", res, err)
	}
	seen := map[string]int{}
	total := 0
	cl := env.Kafka(t, kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	ends, _ := env.KafkaAdmin(t).ListEndOffsets(ctx, topic)
	end, _ := ends.Lookup(topic, 0)
	for int64(total) < end.Offset && ctx.Err() == nil {
		cl.PollFetches(ctx).EachRecord(func(r *kgo.Record) { seen[string(r.Value)]++; total++ })
	}
	ids := bigIDs(t, ctx, db)
	if len(ids) != 2120 {
		t.Fatalf("table has %d rows, want 2120", len(ids))
	}
	repeats := 0
	for _, id := range ids {
		switch n := seen[fmt.Sprint(id)]; {
		case n == 0:
			t.Errorf("row %d lost", id)
		case n > 1:
			repeats += n - 1
		}
	}
	// At most the two pages each of the three other chunks had in flight:
	// the one awaiting its offset write and the one read ahead behind it.
	if repeats > 3*2*50 {
		t.Errorf("%d rows repeated; want at most two pages per cancelled chunk (300)", repeats)
	}
	t.Logf("%d records on the topic, %d repeats", total, repeats)
}

// openBigSource opens a MySQL source over table big of database name in
// mode incrementing with pages of 50 and initial.load.max.parallelism
// parallelism, and creates its topic (deleted at cleanup). The source is
// closed at cleanup.
func openBigSource(t *testing.T, ctx context.Context, env *testenv.Env, name, label string, parallelism int) (*mysql.Source, string) {
	t.Helper()
	prefix := testenv.UniqueName(t, label, 100) + "-"
	topic := prefix + "big"
	if _, err := env.KafkaAdmin(t).CreateTopic(ctx, 1, 1, nil, topic); err != nil {
		t.Fatal(err)
	}
	env.DeleteTopicAtCleanup(t, topic)
	cfg, err := mysql.ParseSourceConfig(map[string]string{"connection.url": env.MySQLDSN(name), "mode": "incrementing",
		"table.whitelist": "big", "batch.max.rows": "50", "topic.prefix": prefix, mysql.KeyInitialLoadMaxParallelism: fmt.Sprint(parallelism),
		// INSERT ... SELECT reserves AUTO_INCREMENT ids in blocks, leaving a
		// gap before the rows inserted later; do not wait for it.
		"incrementing.gap.timeout.ms": "0"})
	if err != nil {
		t.Fatal(err)
	}
	ms, err := mysql.OpenSource(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ms.Close() })
	return ms, topic
}

// bigIDs returns the ids of table big.
func bigIDs(t *testing.T, ctx context.Context, db *sql.DB) []int {
	t.Helper()
	rows, err := db.QueryContext(ctx, "SELECT id FROM big")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var ids []int
	for rows.Next() {
		var id int
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return ids
}

// idConv writes a record's id column as its value.
type idConv struct{}

func (idConv) FromConnect(_ string, _ *connect.Schema, v any) ([]byte, error) {
	sv, ok := v.(*connect.StructValue)
	if !ok {
		return nil, fmt.Errorf("value is %T", v)
	}
	id, _ := sv.Get("id")
	return []byte(fmt.Sprint(id)), nil
}

// committers records which run (lease owner) committed each partition's
// offsets, and every committed position.
type committers struct {
	*state.OffsetStore
	mu     sync.Mutex
	owners map[string]map[string]bool
	pos    map[string][]string
}

func (c *committers) Commit(ctx context.Context, lease state.Lease, p connectors.Partition, pos connectors.Position, prev int64) (int64, error) {
	v, err := c.OffsetStore.Commit(ctx, lease, p, pos, prev)
	if err == nil {
		c.mu.Lock()
		if c.owners[p.String()] == nil {
			c.owners[p.String()] = map[string]bool{}
		}
		c.owners[p.String()][lease.Owner] = true
		c.pos[p.String()] = append(c.pos[p.String()], string(pos))
		c.mu.Unlock()
	}
	return v, err
}

// TestChunksReadByConcurrentTasks: tasks.max 3 over one 1200-row MariaDB
// table split into 6 chunks. Task 0 (the table's owner) stores the plan;
// then the three tasks run at once as separate invocations, and the two
// tasks without a table read chunks of the plan too: each task reads the
// chunks rendezvous hashing prefers for it, all six at once. Every chunk
// is committed by one run only, the table's offset moves to the range's
// end exactly once, rows inserted afterwards are read incrementally, and
// every row arrives exactly once.
func TestChunksReadByConcurrentTasks(t *testing.T) {
	env := testenv.New(t)
	db, name := env.MySQLDatabase(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if _, err := db.ExecContext(ctx, "CREATE TABLE big (id INT AUTO_INCREMENT PRIMARY KEY, v VARCHAR(20) NOT NULL)"); err != nil {
		t.Fatal(err)
	}
	ms, topic := openBigSource(t, ctx, env, name, "chunktasks", 6)
	p := mysql.TablePartition(name, "big")
	// The chunks' preferred tasks follow from their key ranges: shift the
	// ids until every task prefers at least one chunk, so all three read.
	for shift := 0; ; shift += 7 {
		if shift > 700 {
			t.Fatal("no id shift spreads the chunks over the three tasks")
		}
		for _, q := range []string{"DELETE FROM big",
			fmt.Sprintf("INSERT INTO big (id, v) SELECT seq + %d, CONCAT('r', seq) FROM seq_1_to_1200", shift)} {
			if _, err := db.ExecContext(ctx, q); err != nil {
				t.Fatal(err)
			}
		}
		chunks, _, err := ms.Chunks(ctx, p)
		if err != nil || len(chunks) != 6 {
			t.Fatalf("chunks = %v, %v; want 6", chunks, err)
		}
		prefers := map[int]bool{}
		for _, c := range chunks {
			prefers[TaskOf(c, 3)] = true
		}
		if len(prefers) == 3 {
			break
		}
	}
	src := &chunkFaults{Source: ms, chunks: 6, failAll: true, started: map[string]bool{}, all: make(chan struct{}), reads: map[string]int{}}
	offsets, leases, status, _ := dynamoStores(t, env)
	rec := &committers{OffsetStore: offsets, owners: map[string]map[string]bool{}, pos: map[string][]string{}}
	task := func(id int) *Task {
		logger, _ := logBuffer()
		return &Task{Name: "chunk-tasks", Source: src, Producer: env.Kafka(t), KeyConv: jsonConv{}, ValueConv: idConv{},
			Offsets: rec, Leases: leases, Status: status, WorkerID: fmt.Sprintf("w-%d", id), Logger: logger, TasksMax: 3}
	}
	runAll := func(round string) []Result {
		res := make([]Result, 3)
		errs := make([]error, 3)
		var wg sync.WaitGroup
		for id := range 3 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				res[id], errs[id] = task(id).RunTask(ctx, fmt.Sprintf("%s-%d", round, id), id)
			}()
		}
		wg.Wait()
		for id, err := range errs {
			if err != nil {
				t.Fatalf("%s: task %d: %v", round, id, err)
			}
		}
		return res
	}

	// Round 1: the owner stores the plan; its chunk reads fail.
	if TaskOf(p, 1) != 0 {
		t.Fatal("a single table belongs to task 0")
	}
	if _, err := task(0).RunTask(ctx, "r1-0", 0); err == nil || !strings.Contains(err.Error(), "injected") {
		t.Fatalf("first run: %v; want the injected chunk failure", err)
	}
	off, err := offsets.Get(ctx, "chunk-tasks", p)
	plan, ok := parseLoad(off.Position)
	if err != nil || !ok || len(plan.Chunks) != 6 {
		t.Fatalf("table offset after the first run = %s, %v; want a plan of 6 chunks", off.Position, err)
	}
	then := string(plan.Then)

	// Round 2: the three tasks at once share the chunks.
	src.mu.Lock()
	src.failAll = false
	src.mu.Unlock()
	res := runAll("r2")
	if !src.together {
		t.Error("the six chunks did not all start before the first one read a page")
	}
	total := 0
	for id, r := range res {
		total += r.Records
		if r.PerPartition[p.String()] == 0 {
			t.Errorf("round 2: task %d read no chunk: %+v", id, r)
		}
	}
	if total != 1200 {
		t.Errorf("round 2 read %d rows, want 1200", total)
	}

	// Round 3: the owner finishes the load (if round 2 did not) and reads
	// the rows inserted since incrementally.
	if _, err := db.ExecContext(ctx, "INSERT INTO big (v) SELECT CONCAT('n', seq) FROM seq_1_to_120"); err != nil {
		t.Fatal(err)
	}
	res = runAll("r3")
	if res[0].Records != 120 || res[1].Records != 0 || res[2].Records != 0 {
		t.Errorf("round 3 records per task = %d, %d, %d; want the 120 new rows by the owner only",
			res[0].Records, res[1].Records, res[2].Records)
	}
	off, err = offsets.Get(ctx, "chunk-tasks", p)
	if _, loading := parseLoad(off.Position); err != nil || loading {
		t.Fatalf("table offset after round 3 = %s, %v; want the incremental position", off.Position, err)
	}
	finished := 0
	for _, pos := range rec.pos[p.String()] {
		if pos == then {
			finished++
		}
	}
	if finished != 1 {
		t.Errorf("the load was finished %d times (commits of %s), want once; commits: %v", finished, then, rec.pos[p.String()])
	}
	for _, c := range plan.Chunks {
		if n := len(rec.owners[c.String()]); n != 1 {
			t.Errorf("chunk %s committed by %d runs, want 1: %v", c, n, rec.owners[c.String()])
		}
	}

	// Every row exactly once on the topic.
	ids := bigIDs(t, ctx, db)
	seen := map[string]int{}
	for _, r := range consumeAll(t, env.Seeds(), topic, len(ids)) {
		seen[string(r.Value)]++
	}
	for _, id := range ids {
		if n := seen[fmt.Sprint(id)]; n != 1 {
			t.Errorf("row %d arrived %d times", id, n)
		}
	}
	ends, err := env.KafkaAdmin(t).ListEndOffsets(ctx, topic)
	if err != nil {
		t.Fatal(err)
	}
	if end, _ := ends.Lookup(topic, 0); end.Offset != int64(len(ids)) {
		t.Errorf("topic holds %d records, want exactly %d", end.Offset, len(ids))
	}
}
