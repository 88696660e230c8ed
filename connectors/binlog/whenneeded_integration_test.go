package binlog

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/serverless-kafka-connect/slkc/shared/state"
)

// TestWhenNeededSnapshotsAgainAfterPurge: with snapshot.mode=when_needed
// the first run snapshots like initial; a stored position the server no
// longer has (a purged binlog file)
// does not fail the connector but starts a new snapshot of the table's
// current rows, after which streaming goes on.
func TestWhenNeededSnapshotsAgainAfterPurge(t *testing.T) {
	h := newHarness(t, map[string]string{"snapshot.mode": "when_needed", "incremental.snapshot.chunk.size": "2"})
	h.exec("CREATE TABLE w (id INT PRIMARY KEY, v VARCHAR(10))", "INSERT INTO w VALUES (1, 'a'), (2, 'b'), (3, 'c')")
	if res := h.mustRun(); res.Records != 3 {
		t.Fatalf("first run: %d records, want the snapshot's 3", res.Records)
	}
	h.exec("UPDATE w SET v = 'bb' WHERE id = 2", "DELETE FROM w WHERE id = 3", "INSERT INTO w VALUES (4, 'd')")

	// The server lost the stored position: a file it does not have (and
	// no GTID set to resume from; purging GTIDs would touch the shared
	// server).
	_, version := h.storedPosition()
	gone := Position{File: "binlog.999998", Pos: 4}
	if _, err := h.offsets.Put(context.Background(), h.prefix, partition(h.prefix), gone.Encode(), version); err != nil {
		t.Fatal(err)
	}
	res := h.mustRun()
	if res.Records != 3 {
		t.Fatalf("run after the purge: %d records, want a new snapshot of the 3 current rows", res.Records)
	}
	if st := h.status.last(); st.State == state.StateFailed {
		t.Fatalf("status FAILED: %+v", st.LastError)
	}
	pos, _ := h.storedPosition()
	h.checkGTIDsMatchFilePos(pos)
	if pos.File == gone.File || pos.Snapshot != nil {
		t.Fatalf("stored position %s:%d snapshot %+v; want a new, finished start", pos.File, pos.Pos, pos.Snapshot)
	}
	h.exec("UPDATE w SET v = 'dd' WHERE id = 4")
	if res := h.mustRun(); res.Records != 1 {
		t.Fatalf("streaming after the new snapshot: %d records, want 1", res.Records)
	}

	var got []string
	for _, e := range h.consume(h.topic("w"), 7) {
		got = append(got, fmt.Sprintf("%s:%v", e.op(), e.Key["id"]))
	}
	if s := strings.Join(got, ","); s != "r:1,r:2,r:3,r:1,r:2,r:4,u:4" {
		t.Fatalf("events %s; want the first snapshot, the second snapshot, then the stream", s)
	}
}
