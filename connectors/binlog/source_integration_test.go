package binlog

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	mysqldrv "github.com/go-sql-driver/mysql"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/serverless-kafka-connect/slkc/connectors"
	"github.com/serverless-kafka-connect/slkc/shared/connect"
	"github.com/serverless-kafka-connect/slkc/shared/convert"
	"github.com/serverless-kafka-connect/slkc/shared/errclass"
	"github.com/serverless-kafka-connect/slkc/shared/kafka"
	"github.com/serverless-kafka-connect/slkc/shared/sourcetask"
	"github.com/serverless-kafka-connect/slkc/shared/state"
	"github.com/serverless-kafka-connect/slkc/shared/testenv"
)

// statusLog records the status items a Task writes.
type statusLog struct {
	mu  sync.Mutex
	all []state.Status
}

func (s *statusLog) Put(_ context.Context, st state.Status) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.all = append(s.all, st)
	return nil
}

func (s *statusLog) last() state.Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.all[len(s.all)-1]
}

// harness is one connector on the real stack: its own database, topic
// prefix, DynamoDB offsets and leases tables, replica server id.
type harness struct {
	t       *testing.T
	env     *testenv.Env
	db      *sql.DB
	dbName  string
	prefix  string
	task    *sourcetask.Task
	src     *Source
	status  *statusLog
	offsets *state.OffsetStore
	logs    *logLines
	runs    int
}

// testServer gives a test its own database on the shared MariaDB and the
// connector keys that reach the server.
func testServer(t testing.TB) (*testenv.Env, *sql.DB, string, map[string]string) {
	t.Helper()
	env := testenv.New(t)
	db, dbName := env.MySQLDatabase(t)
	dsn, err := mysqldrv.ParseDSN(env.MySQLDSN(""))
	if err != nil {
		t.Fatal(err)
	}
	host, port, _ := strings.Cut(dsn.Addr, ":")
	return env, db, dbName, map[string]string{"database.hostname": host, "database.port": port,
		"database.user": dsn.User, "database.password": dsn.Passwd}
}

// withProps merges property maps, later ones winning.
func withProps(maps ...map[string]string) map[string]string {
	out := map[string]string{}
	for _, m := range maps {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

// uniqueServerID gives each replica connection its own server id: the
// server drops an older connection registered with the same id.
func uniqueServerID() string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprint(100000 + binary.BigEndian.Uint32(b[:])%1_000_000_000)
}

// newHarness builds the connector with extra keys on top of the test's
// defaults; "{db}" in a value stands for the test's database.
func newHarness(t *testing.T, extra map[string]string) *harness {
	t.Helper()
	if testing.Short() {
		t.Skip("integration test: needs MariaDB, Kafka and DynamoDB Local")
	}
	env, db, dbName, props := testServer(t)
	prefix := testenv.UniqueName(t, "cdc", 40)
	own := map[string]string{} // extra, with {db} standing for the test's database
	for k, v := range extra {
		own[k] = strings.ReplaceAll(v, "{db}", dbName)
	}
	cfg, err := ParseConfig(withProps(props, map[string]string{
		"connector.class": MariaDBClass, "database.server.id": uniqueServerID(),
		"topic.prefix": prefix, "database.include.list": dbName, "snapshot.mode": "no_data",
		"include.schema.changes": "false",
	}, own))
	if err != nil {
		t.Fatal(err)
	}
	ddb := env.Dynamo(t)
	offsets := state.NewOffsetStore(ddb, env.DynamoTable(t, state.OffsetsTableInput("")))
	leases := state.NewLeaseStore(ddb, env.DynamoTable(t, state.LeasesTableInput("")))
	logs := &logLines{t: t}
	log := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	src, err := OpenSource(cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = src.Close() })
	src.PageTime = 3 * time.Second
	keyConv, err := convert.New("org.apache.kafka.connect.json.JsonConverter", map[string]string{"schemas.enable": "true"}, true)
	if err != nil {
		t.Fatal(err)
	}
	valConv, err := convert.New("org.apache.kafka.connect.json.JsonConverter", map[string]string{"schemas.enable": "true"}, false)
	if err != nil {
		t.Fatal(err)
	}
	cl := env.Kafka(t)
	adm := kadm.NewClient(cl)
	st := &statusLog{}
	h := &harness{t: t, env: env, db: db, dbName: dbName, prefix: prefix, src: src, status: st, offsets: offsets, logs: logs}
	h.task = &sourcetask.Task{
		Name: prefix, Source: src, Producer: cl, KeyConv: keyConv, ValueConv: valConv,
		Offsets: offsets, Leases: leases, Status: st, WorkerID: "test", Logger: log,
		DeadlineMargin: 2 * time.Second,
		EnsureTopic: func(ctx context.Context, topic string) error {
			env.DeleteTopicAtCleanup(t, topic)
			return kafka.EnsureTopics(ctx, adm, []string{topic}, 1, 1, nil)
		},
	}
	return h
}

// reopen replaces the source with a new one, as a cold start of the
// function would: no stream, no cached table shapes.
func (h *harness) reopen() {
	h.t.Helper()
	src, err := OpenSource(h.src.cfg, h.src.log)
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { _ = src.Close() })
	_ = h.src.Close()
	src.PageTime = h.src.PageTime
	h.src, h.task.Source = src, src
}

// logLines keeps the task's JSON log lines (and shows warnings and errors
// in the test log).
type logLines struct {
	t     *testing.T
	mu    sync.Mutex
	lines []map[string]any
}

func (l *logLines) Write(p []byte) (int, error) {
	var m map[string]any
	if err := json.Unmarshal(p, &m); err == nil {
		l.mu.Lock()
		l.lines = append(l.lines, m)
		l.mu.Unlock()
		if m["level"] != "INFO" && m["level"] != "DEBUG" {
			l.t.Log(strings.TrimSpace(string(p)))
		}
	}
	return len(p), nil
}

// pageSizes returns the record counts of the committed pages logged since
// the previous call.
func (l *logLines) pageSizes() []int {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []int
	for _, m := range l.lines {
		if m["msg"] == "page committed" {
			out = append(out, int(m["records"].(float64)))
		}
	}
	l.lines = nil
	return out
}

func (h *harness) exec(stmts ...string) {
	h.t.Helper()
	for _, s := range stmts {
		if _, err := h.db.Exec(s); err != nil {
			h.t.Fatalf("%s: %v", s, err)
		}
	}
}

// run is one scheduled invocation.
func (h *harness) run() (sourcetask.Result, error) {
	h.t.Helper()
	h.runs++
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	return h.task.Run(ctx, fmt.Sprintf("req-%d", h.runs))
}

func (h *harness) mustRun() sourcetask.Result {
	h.t.Helper()
	res, err := h.run()
	if err != nil {
		h.t.Fatalf("run %d: %v", h.runs, err)
	}
	return res
}

// event is one consumed change event: its key payload and value payload
// (nil for a tombstone) plus the value schema.
type event struct {
	Key    map[string]any
	Value  map[string]any
	Schema map[string]any
}

func (e event) op() string {
	if e.Value == nil {
		return "tombstone"
	}
	return e.Value["op"].(string)
}

func (e event) after() map[string]any {
	a, _ := e.Value["after"].(map[string]any)
	return a
}

func (e event) before() map[string]any {
	b, _ := e.Value["before"].(map[string]any)
	return b
}

// consume reads every record of topic from the start until want records
// arrived, then waits briefly to catch any extra.
func (h *harness) consume(topic string, want int) []event {
	h.t.Helper()
	cl := h.env.Kafka(h.t, kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	var out []event
	deadline := time.Now().Add(30 * time.Second)
	extra := time.Time{}
	for time.Now().Before(deadline) {
		if len(out) >= want && extra.IsZero() {
			extra = time.Now().Add(time.Second)
		}
		if !extra.IsZero() && time.Now().After(extra) {
			break
		}
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		fs := cl.PollFetches(ctx)
		cancel()
		fs.EachRecord(func(r *kgo.Record) {
			var e event
			var k struct {
				Payload map[string]any `json:"payload"`
			}
			if err := json.Unmarshal(r.Key, &k); err != nil {
				h.t.Fatalf("key %s: %v", r.Key, err)
			}
			e.Key = k.Payload
			if r.Value != nil {
				var v struct {
					Schema  map[string]any `json:"schema"`
					Payload map[string]any `json:"payload"`
				}
				if err := json.Unmarshal(r.Value, &v); err != nil {
					h.t.Fatalf("value %s: %v", r.Value, err)
				}
				e.Value, e.Schema = v.Payload, v.Schema
			}
			out = append(out, e)
		})
	}
	if len(out) != want {
		h.t.Fatalf("topic %s: got %d records, want %d: %+v", topic, len(out), want, ops(out))
	}
	return out
}

func ops(es []event) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.op()
	}
	return out
}

func (h *harness) topic(table string) string { return h.prefix + "." + h.dbName + "." + table }

// TestChangeEventsAcrossInvocations streams inserts, updates, deletes (with
// tombstones), a multi-row transaction and an ALTER TABLE ADD COLUMN
// through four invocations, and checks every event arrives once, in order,
// with Debezium's envelope and the columns decoded.
func TestChangeEventsAcrossInvocations(t *testing.T) {
	h := newHarness(t, map[string]string{"max.batch.size": "2"})
	h.exec("CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(40), price DECIMAL(10,2), qty INT UNSIGNED, big BIGINT UNSIGNED, " +
		"flag BIT(1), kind ENUM('a','b','c'), tags SET('x','y','z'), d DATE, t TIME(3), dt DATETIME(6), dt0 DATETIME, ts TIMESTAMP(3) NULL, " +
		"doc JSON, raw BLOB, yr YEAR)")

	// First invocation: no offset yet; snapshot.mode=no_data commits the
	// current binlog end and reads nothing before it.
	h.exec("INSERT INTO items (id, name) VALUES (99, 'before the connector started')")
	res := h.mustRun()
	if res.Records != 0 {
		t.Fatalf("first run produced %d records; no_data must start at the binlog end", res.Records)
	}

	h.exec(
		"INSERT INTO items VALUES (1, 'one', 12.50, 4294967295, 18446744073709551615, b'1', 'b', 'x,z', '2024-02-29', '-12:34:56.789', "+
			"'2024-01-02 03:04:05.123456', '2024-01-02 03:04:05', '2024-01-02 03:04:05.120', '{\"k\": [1, 2]}', X'00FF10', 2024)",
		"UPDATE items SET name = 'uno', price = 13 WHERE id = 1",
	)
	// A multi-row transaction: 3 events, larger than max.batch.size=2,
	// must land in one page (never split).
	tx, err := h.db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"INSERT INTO items (id, name) VALUES (2, 'two')", "INSERT INTO items (id, name) VALUES (3, 'three')", "DELETE FROM items WHERE id = 2"} {
		if _, err := tx.Exec(s); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	h.logs.pageSizes()
	res = h.mustRun()
	// c, u | c, c, d, tombstone: the transaction's 4 events in one page
	// although max.batch.size is 2.
	sizes := h.logs.pageSizes()
	if res.Records != 6 || !slices.Contains(sizes, 4) {
		t.Fatalf("second run: records %d in pages of %v; want 6, the transaction's 4 in one page", res.Records, sizes)
	}

	// Third invocation: a column added mid-stream, then rows using it.
	h.exec("DELETE FROM items WHERE id = 3",
		"ALTER TABLE items ADD COLUMN note VARCHAR(20) DEFAULT 'n/a'",
		"INSERT INTO items (id, name, note) VALUES (4, 'four', 'added')")
	res = h.mustRun()
	if res.Records != 3 {
		t.Fatalf("third run: records %d, want 3 (d, tombstone, c)", res.Records)
	}
	// Fourth invocation: nothing new, nothing re-sent.
	if res = h.mustRun(); res.Records != 0 {
		t.Fatalf("fourth run re-sent %d records", res.Records)
	}

	evs := h.consume(h.topic("items"), 9)
	want := []string{"c", "u", "c", "c", "d", "tombstone", "d", "tombstone", "c"}
	if got := ops(evs); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("ops = %v, want %v", got, want)
	}
	ins := evs[0].after()
	wantVals := map[string]any{
		"id": 1.0, "name": "one", "price": "BOI=", // 1250 unscaled, base64
		"qty": 4294967295.0, "big": -1.0, "flag": true, "kind": "b", "tags": "x,z",
		"d": 19782.0, "t": -45296789000.0, "dt": 1704164645123456.0, "dt0": 1704164645000.0,
		"ts": "2024-01-02T03:04:05.120Z", "doc": `{"k": [1, 2]}`, "raw": "AP8Q", "yr": 2024.0,
	}
	for k, v := range wantVals {
		if fmt.Sprint(ins[k]) != fmt.Sprint(v) {
			t.Errorf("after.%s = %v (%T), want %v", k, ins[k], ins[k], v)
		}
	}
	if evs[0].Key["id"] != 1.0 || evs[0].before() != nil {
		t.Errorf("insert key %v before %v", evs[0].Key, evs[0].before())
	}
	src := evs[0].Value["source"].(map[string]any)
	for k, v := range map[string]any{"connector": "mariadb", "name": h.prefix, "db": h.dbName, "table": "items", "server_id": 1.0, "snapshot": "false", "row": 0.0} {
		if fmt.Sprint(src[k]) != fmt.Sprint(v) {
			t.Errorf("source.%s = %v, want %v", k, src[k], v)
		}
	}
	if f, _ := src["file"].(string); !strings.HasPrefix(f, "binlog.") || src["pos"].(float64) < 4 || src["gtid"] == nil {
		t.Errorf("source position fields: file %v pos %v gtid %v", src["file"], src["pos"], src["gtid"])
	}
	if evs[0].Schema["name"] != h.topic("items")+".Envelope" {
		t.Errorf("value schema name %v", evs[0].Schema["name"])
	}
	upd := evs[1]
	if upd.before()["name"] != "one" || upd.after()["name"] != "uno" || upd.after()["price"] != "BRQ=" {
		t.Errorf("update before %v after %v", upd.before(), upd.after())
	}
	if evs[4].before()["id"] != 2.0 || evs[4].after() != nil || evs[5].Key["id"] != 2.0 {
		t.Errorf("delete %v / tombstone key %v", evs[4].Value, evs[5].Key)
	}
	if got := evs[8].after(); got["note"] != "added" || got["id"] != 4.0 {
		t.Errorf("after ADD COLUMN: %v", got)
	}
	// Three source.row values of one transaction's rows events; row 0 each
	// (one row per statement), same gtid across the transaction.
	g2, g3 := evs[2].Value["source"].(map[string]any)["gtid"], evs[4].Value["source"].(map[string]any)["gtid"]
	if g2 != g3 {
		t.Errorf("one transaction, two gtids: %v %v", g2, g3)
	}

	// The stored offset is a boundary at or past the last event.
	off, err := h.offsets.Get(context.Background(), h.prefix, partition(h.prefix))
	if err != nil {
		t.Fatal(err)
	}
	pos, ok, err := ParsePosition(off.Position)
	if err != nil || !ok || pos.GTIDs == "" {
		t.Fatalf("stored offset %s: %v", off.Position, err)
	}
}

// TestPurgedPositionFails stores a position the server does not have: the
// run fails permanently, the status is FAILED and the message names the
// recovery, snapshot.mode=when_needed.
func TestPurgedPositionFails(t *testing.T) {
	h := newHarness(t, nil)
	gone := Position{File: "binlog.999998", Pos: 4}
	if _, err := h.offsets.Put(context.Background(), h.prefix, partition(h.prefix), gone.Encode(), 0); err != nil {
		t.Fatal(err)
	}
	_, err := h.run()
	var pe *PurgedError
	if !errors.As(err, &pe) || !errclass.IsPermanent(err) {
		t.Fatalf("run error = %v; want a permanent *PurgedError", err)
	}
	st := h.status.last()
	if st.State != state.StateFailed || st.LastError == nil || !strings.Contains(st.LastError.Message, "snapshot.mode=when_needed") {
		t.Fatalf("status %s, last error %+v; want FAILED naming snapshot.mode=when_needed", st.State, st.LastError)
	}
}

// TestResumeAfterColdStart commits a position with one source, then resumes
// with a fresh one (a new function instance): every change after the
// committed position arrives once, none before it again.
func TestResumeAfterColdStart(t *testing.T) {
	h := newHarness(t, nil)
	h.exec("CREATE TABLE t (id BIGINT PRIMARY KEY, v VARCHAR(10))")
	h.mustRun()
	h.exec("INSERT INTO t VALUES (1, 'a')", "INSERT INTO t VALUES (2, 'b')")
	if res := h.mustRun(); res.Records != 2 {
		t.Fatalf("run 2: %d records, want 2", res.Records)
	}
	h.reopen()
	h.exec("UPDATE t SET v = 'c' WHERE id = 1")
	tx, err := h.db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"INSERT INTO t VALUES (3, 'x')", "DELETE FROM t WHERE id = 2"} {
		if _, err := tx.Exec(s); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if res := h.mustRun(); res.Records != 4 {
		t.Fatalf("run 3 after a cold start: %d records, want 4 (u, c, d, tombstone)", res.Records)
	}
	h.reopen()
	if res := h.mustRun(); res.Records != 0 {
		t.Fatalf("run 4 re-sent %d records", res.Records)
	}
	evs := h.consume(h.topic("t"), 6)
	if got := strings.Join(ops(evs), ","); got != "c,c,u,c,d,tombstone" {
		t.Fatalf("ops %s", got)
	}
	if evs[2].after()["v"] != "c" || evs[3].Key["id"] != 3.0 || evs[4].before()["id"] != 2.0 {
		t.Fatalf("events after resume: %+v %+v %+v", evs[2].Value, evs[3].Key, evs[4].Value)
	}
}

// TestColdStartDecodesWithStoredShapes adds a column while no invocation
// runs: the fresh source decodes the rows written before the ALTER with
// the shape stored in the offset and the rows after it with the new one.
func TestColdStartDecodesWithStoredShapes(t *testing.T) {
	h := newHarness(t, nil)
	h.exec("CREATE TABLE s (id INT PRIMARY KEY, a VARCHAR(5))")
	h.mustRun()
	h.exec("INSERT INTO s VALUES (1, 'old')", "ALTER TABLE s ADD COLUMN b INT NOT NULL DEFAULT 7 AFTER id", "INSERT INTO s VALUES (2, 5, 'new')")
	h.reopen()
	if res := h.mustRun(); res.Records != 2 {
		t.Fatalf("run 2: %d records, want 2", res.Records)
	}
	evs := h.consume(h.topic("s"), 2)
	first, second := evs[0].after(), evs[1].after()
	if fmt.Sprint(first) != "map[a:old id:1]" || fmt.Sprint(second) != "map[a:new b:5 id:2]" {
		t.Fatalf("decoded rows: %v then %v", first, second)
	}
}

// TestTwoPendingDDLsFailLoudly changes one table twice while no invocation
// runs: the rows between the two changes cannot be decoded with either the
// stored or the current shape, and the run fails permanently naming the
// table instead of producing wrong rows.
func TestTwoPendingDDLsFailLoudly(t *testing.T) {
	h := newHarness(t, nil)
	h.exec("CREATE TABLE p (id INT PRIMARY KEY)")
	h.mustRun()
	h.exec("ALTER TABLE p ADD COLUMN c1 INT", "INSERT INTO p VALUES (1, 1)", "ALTER TABLE p ADD COLUMN c2 INT", "INSERT INTO p VALUES (2, 2, 2)")
	h.reopen()
	_, err := h.run()
	if err == nil || !errclass.IsPermanent(err) || !strings.Contains(err.Error(), h.dbName+".p") {
		t.Fatalf("run error = %v; want a permanent error naming the table", err)
	}
	t.Logf("refused as expected: %v", err)
	if st := h.status.last(); st.State != state.StateFailed {
		t.Fatalf("status %s, want FAILED", st.State)
	}
}

// TestTransactionLongerThanAPage reads one 3000-row transaction with a page
// time far shorter than reading it takes: the page reads on to the
// transaction's end instead of cutting it, and the run delivers it whole.
func TestTransactionLongerThanAPage(t *testing.T) {
	h := newHarness(t, nil)
	h.exec("CREATE TABLE big (id INT PRIMARY KEY, v VARCHAR(20))")
	h.mustRun()
	h.src.PageTime = 20 * time.Millisecond
	h.exec("INSERT INTO big SELECT seq, CONCAT('row-', seq) FROM seq_1_to_3000")
	h.logs.pageSizes()
	res := h.mustRun()
	if sizes := h.logs.pageSizes(); res.Records != 3000 || !slices.Contains(sizes, 3000) {
		t.Fatalf("records %d in pages %v; want the 3000-row transaction in one page", res.Records, sizes)
	}
	if res := h.mustRun(); res.Records != 0 {
		t.Fatalf("next run re-sent %d records", res.Records)
	}
}

// TestInitialSnapshot reads two existing tables in chunks of 10 through
// the task (snapshot.mode=initial), as read events with
// source.snapshot=true, then streams the changes made afterwards.
func TestInitialSnapshot(t *testing.T) {
	h := newHarness(t, map[string]string{"snapshot.mode": "initial", "incremental.snapshot.chunk.size": "10"})
	h.exec("CREATE TABLE a (id INT PRIMARY KEY, v VARCHAR(10), e ENUM('x','y'), b BIT(1), ts TIMESTAMP(3) NULL, d DECIMAL(5,2))",
		"INSERT INTO a SELECT seq, CONCAT('v', seq), IF(seq % 2, 'x', 'y'), seq % 2, '2024-01-02 03:04:05.120', seq / 4 FROM seq_1_to_25",
		"CREATE TABLE b (k VARCHAR(5) PRIMARY KEY, n INT)", "INSERT INTO b VALUES ('p', 1), ('q', 2), ('r', 3)")
	res := h.mustRun()
	if res.Records != 28 {
		t.Fatalf("snapshot run: %d records, want 28", res.Records)
	}
	h.exec("UPDATE a SET v = 'changed' WHERE id = 3", "DELETE FROM b WHERE k = 'q'")
	if res := h.mustRun(); res.Records != 3 {
		t.Fatalf("run 2: %d records, want 3 (u, d, tombstone)", res.Records)
	}
	evs := h.consume(h.topic("a"), 26)
	for i, e := range evs[:25] {
		src := e.Value["source"].(map[string]any)
		if e.op() != "r" || e.after()["id"] != float64(i+1) || src["snapshot"] == "false" {
			t.Fatalf("event %d: op %s after %v snapshot %v; want read events in key order", i, e.op(), e.after(), src["snapshot"])
		}
	}
	if got := fmt.Sprint(evs[1].after()); got != "map[b:false d:Mg== e:y id:2 ts:2024-01-02T03:04:05.120Z v:v2]" {
		t.Errorf("snapshot row 2 = %s", got)
	}
	if evs[25].op() != "u" || evs[25].after()["v"] != "changed" {
		t.Errorf("after the snapshot: %s %v", evs[25].op(), evs[25].after())
	}
	if got := strings.Join(ops(h.consume(h.topic("b"), 5)), ","); got != "r,r,r,d,tombstone" {
		t.Errorf("table b: %s", got)
	}
}

// TestSnapshotConsistentWithChanges interleaves writes with the snapshot's
// chunks (page by page, as separate invocations would): replaying every
// event in order gives exactly the table's final content.
func TestSnapshotConsistentWithChanges(t *testing.T) {
	h := newHarness(t, map[string]string{"snapshot.mode": "initial", "incremental.snapshot.chunk.size": "10"})
	h.exec("CREATE TABLE c (id INT PRIMARY KEY, v VARCHAR(10))", "INSERT INTO c SELECT seq, 'orig' FROM seq_1_to_30")
	ctx := context.Background()
	p := partition(h.prefix)
	var pos connectors.Position
	state := map[int32]string{}
	writes := [][]string{
		nil,
		{"UPDATE c SET v = 'upd' WHERE id = 15", "DELETE FROM c WHERE id = 20", "INSERT INTO c VALUES (31, 'new')"},
		{"UPDATE c SET v = 'upd2' WHERE id = 5", "UPDATE c SET v = 'upd3' WHERE id = 25"},
	}
	for i := 0; i < 50; i++ {
		if i < len(writes) {
			h.exec(writes[i]...)
		}
		page, err := h.src.ReadPage(ctx, p, pos)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range page.Records {
			if r.Value == nil {
				continue
			}
			env := r.Value.(*connect.StructValue)
			op, _ := env.Get("op")
			if op == "d" {
				before, _ := env.Get("before")
				id, _ := before.(*connect.StructValue).Get("id")
				delete(state, id.(int32))
				continue
			}
			after, _ := env.Get("after")
			id, _ := after.(*connect.StructValue).Get("id")
			v, _ := after.(*connect.StructValue).Get("v")
			state[id.(int32)] = v.(string)
		}
		pos = page.Next
		snap, _, _ := ParsePosition(pos)
		if !page.More && snap.Snapshot == nil && i >= len(writes) {
			break
		}
	}
	rows, err := h.db.Query("SELECT id, v FROM c")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	want := map[int32]string{}
	for rows.Next() {
		var id int32
		var v string
		if err := rows.Scan(&id, &v); err != nil {
			t.Fatal(err)
		}
		want[id] = v
	}
	if fmt.Sprint(state) != fmt.Sprint(want) {
		t.Fatalf("replayed events give\n%v\nthe table holds\n%v", state, want)
	}
}

// TestSnapshotRefusesTableWithoutKey: a captured table without a primary
// key cannot be read in key order; the first run fails naming it.
func TestSnapshotRefusesTableWithoutKey(t *testing.T) {
	h := newHarness(t, map[string]string{"snapshot.mode": "initial"})
	h.exec("CREATE TABLE nokey (v INT)")
	_, err := h.run()
	if err == nil || !errclass.IsPermanent(err) || !strings.Contains(err.Error(), h.dbName+".nokey has no primary key") {
		t.Fatalf("run error = %v; want a permanent error naming the table", err)
	}
}

// TestStartPositions checks where a connector without an offset starts:
// no_data at the server's current binlog end, never at the oldest binlog
// file's first event.
func TestStartPositions(t *testing.T) {
	ctx := context.Background()
	for _, mode := range []SnapshotMode{SnapshotNoData, SnapshotNever} {
		t.Run(string(mode), func(t *testing.T) {
			h := newHarness(t, map[string]string{"snapshot.mode": string(mode)})
			before, err := h.src.masterStatus(ctx)
			if err != nil {
				t.Fatal(err)
			}
			page, err := h.src.ReadPage(ctx, partition(h.prefix), nil)
			if err != nil {
				t.Fatal(err)
			}
			pos, ok, err := ParsePosition(page.Next)
			if err != nil || !ok || len(page.Records) != 0 || !page.More {
				t.Fatalf("first page: %+v %v", page, err)
			}
			switch mode {
			case SnapshotNoData:
				if pos.before(before.File, before.Pos) {
					t.Fatalf("no_data starts at %s:%d, before the binlog end %s:%d", pos.File, pos.Pos, before.File, before.Pos)
				}
			case SnapshotNever:
				files, err := h.src.binaryLogs(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if pos.File != files[0] || pos.Pos != 4 {
					t.Fatalf("never starts at %s:%d, want %s:4", pos.File, pos.Pos, files[0])
				}
			}
		})
	}
}

// TestMoreColumnTypes decodes the remaining common types from the real
// binlog.
func TestMoreColumnTypes(t *testing.T) {
	h := newHarness(t, map[string]string{"decimal.handling.mode": "string", "bigint.unsigned.handling.mode": "precise"})
	h.exec("CREATE TABLE ty (id TINYINT PRIMARY KEY, s SMALLINT UNSIGNED, m MEDIUMINT, f FLOAT, d DOUBLE, bits BIT(10), " +
		"tx TEXT, bin BINARY(2), ch CHAR(3), dec2 DECIMAL(6,3), ub BIGINT UNSIGNED, nul INT NULL)")
	h.mustRun()
	h.exec("INSERT INTO ty VALUES (-5, 65535, -8388608, 1.5, 2.25, b'1000000001', 'long text', X'0102', 'abc', -1.5, 18446744073709551615, NULL)")
	h.mustRun()
	got := h.consume(h.topic("ty"), 1)[0].after()
	want := map[string]any{"id": -5.0, "s": 65535.0, "m": -8388608.0, "f": 1.5, "d": 2.25, "bits": "AQI=", "tx": "long text",
		"bin": "AQI=", "ch": "abc", "dec2": "-1.500", "ub": "AP//////////", "nul": nil}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("after = %v\nwant    %v", got, want)
	}
}
