package sourcetask

import (
	"context"
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
	"github.com/serverless-kafka-connect/slkc/shared/testenv"
)

// chunkFaults wraps the MySQL source: the first read of every chunk waits
// until all chunks have started (proving they run at once), and the read
// of failChunk's third page fails once.
type chunkFaults struct {
	*mysql.Source
	chunks    int
	failChunk string
	mu        sync.Mutex
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
			case <-time.After(10 * time.Second):
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
	prefix := testenv.UniqueName(t, "chunk", 100) + "-"
	topic := prefix + "big"
	if _, err := env.KafkaAdmin(t).CreateTopic(ctx, 1, 1, nil, topic); err != nil {
		t.Fatal(err)
	}
	env.DeleteTopicAtCleanup(t, topic)
	cfg, err := mysql.ParseSourceConfig(map[string]string{"connection.url": env.MySQLDSN(name), "mode": "incrementing",
		"table.whitelist": "big", "batch.max.rows": "50", "topic.prefix": prefix, mysql.KeyInitialLoadMaxParallelism: "4",
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
	defer ms.Close()
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
	rows, err := db.QueryContext(ctx, "SELECT id FROM big")
	if err != nil {
		t.Fatal(err)
	}
	var ids []int
	for rows.Next() {
		var id int
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	rows.Close()
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
	// At most the page each of the three other chunks had in flight.
	if repeats > 3*50 {
		t.Errorf("%d rows repeated; want at most one page per cancelled chunk (150)", repeats)
	}
	t.Logf("%d records on the topic, %d repeats", total, repeats)
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
