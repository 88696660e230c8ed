package binlog

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"
)

// storedPosition reads the connector's committed position.
func (h *harness) storedPosition() (Position, int64) {
	h.t.Helper()
	off, err := h.offsets.Get(context.Background(), h.prefix, partition(h.prefix))
	if err != nil {
		h.t.Fatal(err)
	}
	pos, ok, err := ParsePosition(off.Position)
	if err != nil || !ok {
		h.t.Fatalf("stored offset %s: %v", off.Position, err)
	}
	return pos, off.Version
}

// checkGTIDsMatchFilePos asserts the stored GTID set is the server's own
// GTID position for the stored file and pos.
func (h *harness) checkGTIDsMatchFilePos(pos Position) {
	h.t.Helper()
	var want sql.NullString
	if err := h.db.QueryRow("SELECT BINLOG_GTID_POS(?, ?)", pos.File, pos.Pos).Scan(&want); err != nil {
		h.t.Fatal(err)
	}
	if pos.GTIDs == "" || pos.GTIDs != want.String {
		h.t.Fatalf("stored gtids %q at %s:%d; the server's BINLOG_GTID_POS there is %q", pos.GTIDs, pos.File, pos.Pos, want.String)
	}
}

// TestGTIDResumeAcrossRotation stores the GTID set with file and pos,
// resumes across a binlog rotation (FLUSH BINARY LOGS) and a cold start,
// and resumes from the GTID set when the stored file is not on the server
// (as after a failover to a replica with other file names): only the
// changes after the set arrive, then it is caught up.
func TestGTIDResumeAcrossRotation(t *testing.T) {
	h := newHarness(t, nil)
	h.exec("CREATE TABLE g (id INT PRIMARY KEY, v VARCHAR(10))")
	h.mustRun()
	start, _ := h.storedPosition()
	h.checkGTIDsMatchFilePos(start)

	h.exec("INSERT INTO g VALUES (1, 'a')", "INSERT INTO g VALUES (2, 'b')")
	if res := h.mustRun(); res.Records != 2 {
		t.Fatalf("run 2: %d records, want 2", res.Records)
	}
	before, _ := h.storedPosition()
	h.checkGTIDsMatchFilePos(before)

	h.exec("FLUSH BINARY LOGS")
	h.exec("INSERT INTO g VALUES (3, 'c')", "UPDATE g SET v = 'bb' WHERE id = 2")
	h.reopen()
	if res := h.mustRun(); res.Records != 2 {
		t.Fatalf("run 3 across the rotation: %d records, want 2", res.Records)
	}
	after, version := h.storedPosition()
	if after.File <= before.File {
		t.Fatalf("stored file %s after the rotation, was %s", after.File, before.File)
	}
	h.checkGTIDsMatchFilePos(after)

	// A file this server does not have, the GTID set kept.
	tampered := after
	tampered.File, tampered.Pos = "binlog.999990", 4
	if _, err := h.offsets.Put(context.Background(), h.prefix, partition(h.prefix), tampered.Encode(), version); err != nil {
		t.Fatal(err)
	}
	h.exec("INSERT INTO g VALUES (4, 'd')")
	h.reopen()
	if res := h.mustRun(); res.Records != 1 {
		t.Fatalf("run 4 from the GTID set: %d records, want 1 (the insert of 4 only)", res.Records)
	}
	if !h.logs.has("binlog stream resumes from the stored GTID set: the stored file is not on the server") {
		t.Error("no log line says the stream resumed from the GTID set")
	}
	final, version := h.storedPosition()
	h.checkGTIDsMatchFilePos(final)

	// Caught up by GTID: nothing to send, no error.
	tampered = final
	tampered.File, tampered.Pos = "binlog.999990", 4
	if _, err := h.offsets.Put(context.Background(), h.prefix, partition(h.prefix), tampered.Encode(), version); err != nil {
		t.Fatal(err)
	}
	h.reopen()
	if res := h.mustRun(); res.Records != 0 {
		t.Fatalf("run 5, caught up by GTID: %d records", res.Records)
	}

	evs := h.consume(h.topic("g"), 5)
	var got []string
	for _, e := range evs {
		got = append(got, fmt.Sprintf("%s:%v", e.op(), e.Key["id"]))
	}
	if s := strings.Join(got, ","); s != "c:1,c:2,c:3,u:2,c:4" {
		t.Fatalf("events %s", s)
	}
}

// has reports whether a log line with message msg was written.
func (l *logLines) has(msg string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, m := range l.lines {
		if m["msg"] == msg {
			return true
		}
	}
	return false
}
