package mysql

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/serverless-kafka-connect/slkc/connectors"
	"github.com/serverless-kafka-connect/slkc/shared/errclass"
)

// TestSourceChunksCoverTheRange: a table of ids 1..1000 (with holes) split
// with parallelism 4 and pages of 50 gives 4 chunks whose pages, read to
// the end, return every row exactly once, each within its bounds, and
// then = the highest id.
func TestSourceChunksCoverTheRange(t *testing.T) {
	e := newSrcEnv(t)
	e.exec(t, "CREATE TABLE big (id BIGINT AUTO_INCREMENT PRIMARY KEY, v VARCHAR(20) NOT NULL)",
		"INSERT INTO big (id, v) SELECT seq, CONCAT('r', seq) FROM seq_1_to_1000 WHERE seq % 7 <> 3")
	s := e.source(t, map[string]string{"mode": "incrementing", "table.whitelist": "big", "batch.max.rows": "50",
		KeyInitialLoadMaxParallelism: "4"})
	ctx := context.Background()
	chunks, then, err := s.Chunks(ctx, TablePartition(e.name, "big"))
	if err != nil {
		t.Fatal(err)
	}
	if len(chunks) != 4 || string(then) != `{"incrementing":1000}` {
		t.Fatalf("chunks %v then %s; want 4 chunks and then incrementing 1000", chunks, then)
	}
	seen := map[int64]int{}
	for _, c := range chunks {
		var pos connectors.Position
		for {
			page, err := s.ReadPage(ctx, c, pos)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range page.Records {
				id := field(t, r, "id").(int64)
				if id <= mustInt(t, c["after"]) || id > mustInt(t, c["through"]) {
					t.Errorf("chunk %s returned id %d outside (%s, %s]", c["initial_load_chunk"], id, c["after"], c["through"])
				}
				seen[id]++
			}
			if !page.More {
				break
			}
			pos = page.Next
		}
	}
	want := 0
	for id := int64(1); id <= 1000; id++ {
		if id%7 == 3 {
			continue
		}
		want++
		if seen[id] != 1 {
			t.Errorf("id %d read %d times", id, seen[id])
		}
	}
	if len(seen) != want {
		t.Errorf("%d ids read, want %d", len(seen), want)
	}
	// A small table is not split; parallelism 1 never splits.
	e.exec(t, "CREATE TABLE small (id INT AUTO_INCREMENT PRIMARY KEY, v INT)", "INSERT INTO small (v) SELECT seq FROM seq_1_to_150")
	if c, _, err := s.Chunks(ctx, TablePartition(e.name, "small")); err != nil || len(c) != 0 {
		t.Errorf("small table: %v, %v; want no chunks", c, err)
	}
	one := e.source(t, map[string]string{"mode": "incrementing", "table.whitelist": "big", "batch.max.rows": "50"})
	if c, _, err := one.Chunks(ctx, TablePartition(e.name, "big")); err != nil || len(c) != 0 {
		t.Errorf("parallelism 1: %v, %v; want no chunks", c, err)
	}
}

func mustInt(t *testing.T, s string) int64 {
	t.Helper()
	var n int64
	if err := json.Unmarshal([]byte(s), &n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestSourceChunksRefuseKey: an incrementing column that is not the only
// column of a unique index is refused, permanently, naming the table and
// column.
func TestSourceChunksRefuseKey(t *testing.T) {
	e := newSrcEnv(t)
	e.exec(t, "CREATE TABLE nonunique (id INT NOT NULL, v INT, KEY (id))",
		"CREATE TABLE composite (id INT NOT NULL, v INT NOT NULL, PRIMARY KEY (id, v))",
		"CREATE TABLE plain (id INT NOT NULL, v INT)")
	for _, tbl := range []string{"nonunique", "composite", "plain"} {
		t.Run(tbl, func(t *testing.T) {
			s := e.source(t, map[string]string{"mode": "incrementing", "table.whitelist": tbl, "incrementing.column.name": "id",
				KeyInitialLoadMaxParallelism: "4"})
			_, _, err := s.Chunks(context.Background(), TablePartition(e.name, tbl))
			if err == nil || !errclass.IsPermanent(err) {
				t.Fatalf("Chunks = %v; want a permanent error", err)
			}
			for _, want := range []string{"table " + e.name + "." + tbl, `"id"`, "unique index", KeyInitialLoadMaxParallelism} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not name %s", err, want)
				}
			}
		})
	}
}
