package binlog

import (
	"fmt"
	"strings"
	"testing"
)

// TestSignalAdHocSnapshot inserts an execute-snapshot signal into the
// signal table while the connector streams: the tables it names are read
// in chunks as read events with source.snapshot = "incremental", changes
// made meanwhile keep flowing, and a signal it cannot carry out is skipped
// with a warning.
func TestSignalAdHocSnapshot(t *testing.T) {
	h := newHarness(t, map[string]string{"signal.data.collection": "{db}.dbz_signal", "table.include.list": `{db}\.(a|b|c)`,
		"incremental.snapshot.chunk.size": "2"})
	h.exec("CREATE TABLE dbz_signal (id VARCHAR(42) PRIMARY KEY, type VARCHAR(32) NOT NULL, data VARCHAR(2048))",
		"CREATE TABLE a (id INT PRIMARY KEY, v VARCHAR(10))", "INSERT INTO a VALUES (1, 'x'), (2, 'y'), (3, 'z')",
		"CREATE TABLE b (id INT PRIMARY KEY)", "INSERT INTO b VALUES (7)", "CREATE TABLE c (x INT)")
	h.mustRun()
	h.exec(`INSERT INTO dbz_signal VALUES ('bad-1', 'execute-snapshot', '{"data-collections": ["nope\\\\.none"]}')`,
		`INSERT INTO dbz_signal VALUES ('no-key-1', 'execute-snapshot', '{"data-collections": [".*\\\\.c"]}')`,
		`INSERT INTO dbz_signal VALUES ('log-1', 'log', '{"message": "hello"}')`,
		`INSERT INTO dbz_signal VALUES ('ad-hoc-1', 'execute-snapshot', '{"data-collections": ["`+h.dbName+`\\\\.a"], "type": "incremental"}')`,
		"UPDATE a SET v = 'yy' WHERE id = 2")
	res := h.mustRun()
	if res.Records != 4 {
		t.Fatalf("run after the signal: %d records, want 1 update and 3 snapshot reads", res.Records)
	}
	evs := h.consume(h.topic("a"), 4)
	var got []string
	for _, e := range evs {
		got = append(got, fmt.Sprintf("%s:%v:%v:%v", e.op(), e.Key["id"], e.after()["v"], e.Value["source"].(map[string]any)["snapshot"]))
	}
	if s := strings.Join(got, ","); s != "u:2:yy:false,r:1:x:incremental,r:2:yy:incremental,r:3:z:incremental" {
		t.Fatalf("events %s", s)
	}
	ignored := map[string]string{}
	for _, m := range h.logs.lines {
		if m["msg"] == "binlog: execute-snapshot signal ignored" || m["msg"] == "binlog: signal ignored: only execute-snapshot is supported" {
			ignored[fmt.Sprint(m["id"])] = fmt.Sprint(m["error"])
		}
	}
	if len(ignored) != 3 || !strings.Contains(ignored["bad-1"], "match no captured table") ||
		!strings.Contains(ignored["no-key-1"], "no primary key") || ignored["log-1"] == "" {
		t.Errorf("signals reported as skipped: %v; want bad-1 (no table), no-key-1 (no primary key), log-1 (type)", ignored)
	}
	pos, _ := h.storedPosition()
	if pos.Snapshot != nil {
		t.Errorf("snapshot still in progress after the run: %+v", pos.Snapshot)
	}
}
