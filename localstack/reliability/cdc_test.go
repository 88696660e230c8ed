package reliability

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	gomysql "github.com/go-sql-driver/mysql"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/serverless-kafka-connect/slkc/connectors/binlog"
	"github.com/serverless-kafka-connect/slkc/shared/sourcetask"
	"github.com/serverless-kafka-connect/slkc/shared/state"
	"github.com/serverless-kafka-connect/slkc/shared/testenv"
)

// cdcRig is one binlog CDC pipeline on the real stack: its own database
// with a table of counters (each transaction adds 1 to the counter v of
// two or three keys, so every change of a key carries the next version),
// a Kafka topic, offsets (streamed) and leases tables, a settable clock.
type cdcRig struct {
	env       *testenv.Env
	db        *sql.DB
	dbName    string
	prefix    string
	topic     string
	seeds     []string
	ddb       state.API
	offTable  string
	leaseTab  string
	clock     *clock
	connector string
	batch     int
	keys      int
	txns      atomic.Int64
	props     map[string]string
}

func newCDCRig(t *testing.T, rng *mrand.Rand) *cdcRig {
	t.Helper()
	env := testenv.New(t)
	db, name := env.MySQLDatabase(t)
	r := &cdcRig{env: env, db: db, dbName: name, clock: newClock(), batch: 4 + rng.IntN(8), keys: 5 + rng.IntN(5),
		connector: "rel-cdc-" + strconv.FormatUint(rng.Uint64()%1e6, 10)}
	if _, err := db.Exec("CREATE TABLE acct (id INT PRIMARY KEY, v INT NOT NULL)"); err != nil {
		t.Fatal(err)
	}
	r.prefix = testenv.UniqueName(t, "relcdc", 60)
	r.topic = r.prefix + "." + name + ".acct"
	r.seeds, r.ddb, r.offTable, r.leaseTab = rigStores(t, env, r.topic)
	dc, err := gomysql.ParseDSN(env.MySQLDSN(""))
	if err != nil {
		t.Fatal(err)
	}
	host, port, _ := strings.Cut(dc.Addr, ":")
	var sid [4]byte
	_, _ = rand.Read(sid[:])
	r.props = map[string]string{
		"connector.class": binlog.MariaDBClass, "database.hostname": host, "database.port": port,
		"database.user": dc.User, "database.password": dc.Passwd,
		"database.server.id": fmt.Sprint(200000 + binary.BigEndian.Uint32(sid[:])%1_000_000_000),
		"topic.prefix":       r.prefix, "database.include.list": name, "snapshot.mode": "no_data",
		"include.schema.changes": "false", "max.batch.size": strconv.Itoa(r.batch),
	}
	// The first run stores the start position before any change.
	if res, err := r.run(t, &invocation{reqID: "start"}); err != nil || res.Records != 0 {
		t.Fatalf("first run: %+v %v", res, err)
	}
	return r
}

// txn commits one transaction: inserts missing keys at version 1, else
// adds 1 to two or three keys' counters.
func (r *cdcRig) txn(t *testing.T, rng *mrand.Rand) {
	t.Helper()
	tx, err := r.db.Begin()
	if err != nil {
		t.Error(err)
		return
	}
	n := 2 + rng.IntN(2)
	start := rng.IntN(r.keys)
	for i := range n {
		k := (start + i) % r.keys // distinct keys, in a fixed order per transaction
		if _, err := tx.Exec("INSERT INTO acct VALUES (?, 1) ON DUPLICATE KEY UPDATE v = v + 1", k); err != nil {
			_ = tx.Rollback()
			t.Error(err)
			return
		}
	}
	if err := tx.Commit(); err != nil {
		t.Error(err)
		return
	}
	r.txns.Add(1)
}

// write commits n transactions.
func (r *cdcRig) write(t *testing.T, rng *mrand.Rand, n int) {
	t.Helper()
	for range n {
		r.txn(t, rng)
	}
}

// startWriter commits transactions from another goroutine until stopped.
func (r *cdcRig) startWriter(t *testing.T, seed uint64) (stop func()) {
	rng := NewRand(seed)
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; i < writerRounds; i++ {
			select {
			case <-done:
				return
			default:
			}
			r.txn(t, rng)
			time.Sleep(time.Duration(rng.IntN(15)) * time.Millisecond)
		}
	}()
	return func() { close(done); wg.Wait() }
}

// run is one scheduled invocation with a fresh binlog source (a cold
// Lambda), through the fault hooks of invocation.
func (r *cdcRig) run(t *testing.T, inv *invocation) (sourcetask.Result, error) {
	t.Helper()
	cfg, err := binlog.ParseConfig(r.props)
	if err != nil {
		t.Fatal(err)
	}
	src, err := binlog.OpenSource(cfg, quietLogger())
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	src.PageTime = 2 * time.Second
	return runTask(t, inv, src, r.connector, r.seeds, r.ddb, r.leaseTab, r.offTable, r.clock)
}

// cdcEvent is one change event as consumed.
type cdcEvent struct {
	key, v int
	gtid   string
	op     string
}

// finish runs until caught up, then checks the topic against the table
// and returns the duplicates (events delivered more than once):
//   - no loss: every version 1..v of every key's final counter arrived;
//   - order per key: the first arrivals of a key's versions are 1, 2, 3...;
//   - redelivery only of whole transactions: every delivery of a
//     transaction after its first carries all of its changes (a replay
//     starts at a committed transaction boundary);
//   - every offset version the offsets table ever held is after the one
//     before it in binlog order.
func (r *cdcRig) finish(t *testing.T) int {
	t.Helper()
	r.clock.Advance(2 * time.Minute)
	for i := 0; ; i++ {
		res, err := r.run(t, &invocation{reqID: fmt.Sprintf("finish-%d", i)})
		if err != nil {
			t.Fatalf("finishing run %d: %v", i, err)
		}
		if res.Records == 0 {
			break
		}
		if i > 20 {
			t.Fatal("the finishing runs never caught up")
		}
	}
	final := map[int]int{}
	rows, err := r.db.Query("SELECT id, v FROM acct")
	if err != nil {
		t.Fatal(err)
	}
	changes := 0
	for rows.Next() {
		var k, v int
		if err := rows.Scan(&k, &v); err != nil {
			t.Fatal(err)
		}
		final[k] = v
		changes += v
	}
	rows.Close()
	recs := consumeAll(t, r.seeds, r.topic, changes, 20*time.Second)
	var evs []cdcEvent
	for _, rec := range recs {
		var k struct {
			Payload struct{ ID int } `json:"payload"`
		}
		var v struct {
			Payload struct {
				After  *struct{ V int }      `json:"after"`
				Op     string                `json:"op"`
				Source struct{ GTID string } `json:"source"`
			} `json:"payload"`
		}
		if json.Unmarshal(rec.Key, &k) != nil || json.Unmarshal(rec.Value, &v) != nil || v.Payload.After == nil {
			t.Fatalf("unexpected record %s = %s", rec.Key, rec.Value)
		}
		evs = append(evs, cdcEvent{key: k.Payload.ID, v: v.Payload.After.V, gtid: v.Payload.Source.GTID, op: v.Payload.Op})
	}
	dups, err := checkCDC(evs, final)
	if err != nil {
		t.Error(err)
	}
	checkBinlogOffsets(t, offsetHistory(t, r.env, r.offTable))
	return dups
}

// checkCDC applies finish's invariants to events in topic order.
func checkCDC(evs []cdcEvent, final map[int]int) (int, error) {
	next := map[int]int{} // key → next version expected first
	seen := map[string]bool{}
	txnChanges := map[string]map[string]bool{} // gtid → its changes (first delivery may be cut short)
	for _, e := range evs {
		id := fmt.Sprintf("%d@%d", e.key, e.v)
		if txnChanges[e.gtid] == nil {
			txnChanges[e.gtid] = map[string]bool{}
		}
		txnChanges[e.gtid][id] = true
		if seen[id] {
			continue
		}
		seen[id] = true
		if want := next[e.key] + 1; e.v != want {
			return 0, fmt.Errorf("key %d: version %d arrived first where %d was due (lost or reordered)", e.key, e.v, want)
		}
		next[e.key] = e.v
	}
	for k, v := range final {
		if next[k] != v {
			return 0, fmt.Errorf("key %d: the table has version %d, the topic reached %d (lost)", k, v, next[k])
		}
	}
	// Re-deliveries: a run of consecutive events of one transaction seen
	// before must hold the whole transaction.
	delivered := map[string]int{}
	for i := 0; i < len(evs); {
		j := i
		run := map[string]bool{}
		for j < len(evs) && evs[j].gtid == evs[i].gtid {
			run[fmt.Sprintf("%d@%d", evs[j].key, evs[j].v)] = true
			j++
		}
		g := evs[i].gtid
		if delivered[g] > 0 && len(run) != len(txnChanges[g]) {
			return 0, fmt.Errorf("transaction %s re-delivered in part (%d of %d changes): a replay did not start at a transaction boundary",
				g, len(run), len(txnChanges[g]))
		}
		delivered[g]++
		i = j
	}
	return len(evs) - len(seen), nil
}

// checkBinlogOffsets fails t when a stored binlog position is before the
// one stored before it.
func checkBinlogOffsets(t *testing.T, history []offsetVersion) {
	t.Helper()
	var prev binlog.Position
	for i, h := range history {
		p, ok, err := binlog.ParsePosition(h.Position)
		if err != nil || !ok {
			t.Errorf("offset version %d: %s: %v", h.Version, h.Position, err)
			continue
		}
		if i > 0 && (p.File < prev.File || p.File == prev.File && p.Pos < prev.Pos) {
			t.Errorf("offset version %d moved backwards: %s:%d after %s:%d", h.Version, p.File, p.Pos, prev.File, prev.Pos)
		}
		prev = p
	}
}

// runCDC runs body runs() times on a fresh rig; figures go to case
// "cdc/<fault>".
func runCDC(t *testing.T, fault string, body func(t *testing.T, rng *mrand.Rand, r *cdcRig) Figures) {
	t.Helper()
	seed := testSeed(t)
	for run := 0; run < runs(); run++ {
		runCase(t, "cdc/"+fault, fmt.Sprintf("run%02d", run), NewRand(seed+uint64(run)+7777), func(t *testing.T, rng *mrand.Rand) Figures {
			return body(t, rng, newCDCRig(t, rng))
		})
	}
}

// TestCDCKilledMidTransaction kills an invocation while it produces a page
// (half of the page's events sent, so a transaction is cut in two on the
// topic) or after the produce and before the offset write, while a writer
// commits multi-key transactions; the next invocations resume from the
// last committed transaction boundary.
func TestCDCKilledMidTransaction(t *testing.T) {
	runCDC(t, "killed-mid-transaction", func(t *testing.T, rng *mrand.Rand, r *cdcRig) Figures {
		r.write(t, rng, 10+rng.IntN(20))
		page := 1 + rng.IntN(3)
		half := rng.IntN(2) == 0
		stop := r.startWriter(t, rng.Uint64())
		_, err := r.run(t, &invocation{reqID: "killed", produce: func(call, n int) (int, error) {
			if call == page {
				if half {
					return n / 2, errCrash
				}
				return n, errCrash
			}
			return n, nil
		}})
		stop()
		if !errors.Is(err, errCrash) {
			t.Fatalf("the killed invocation (page %d) returned %v", page, err)
		}
		return Figures{Duplicates: r.finish(t)}
	})
}

// TestCDCBrokerDown makes the broker refuse produces from a random page on
// (kfake's control hook): the run fails retryably without committing;
// once the broker is back the next runs deliver everything.
func TestCDCBrokerDown(t *testing.T) {
	runCDC(t, "broker-down", func(t *testing.T, rng *mrand.Rand, r *cdcRig) Figures {
		seeds, down := stoppableBroker(t, r.topic)
		r.seeds = seeds
		r.write(t, rng, 10+rng.IntN(20))
		page := 1 + rng.IntN(3)
		_, err := r.run(t, &invocation{reqID: "broker-down", timeout: 6 * time.Second, produce: onPage(page, func() { down.Store(true) })})
		failedRetryably(t, err, fmt.Sprintf("the broker down from page %d", page))
		down.Store(false)
		return Figures{Duplicates: r.finish(t)}
	})
}

// TestCDCBinlogRotation rotates the binlog (FLUSH BINARY LOGS) between
// and during invocations while a writer commits: nothing is lost across
// the file change, and the stored position moves to the new file.
func TestCDCBinlogRotation(t *testing.T) {
	runCDC(t, "binlog-rotation", func(t *testing.T, rng *mrand.Rand, r *cdcRig) Figures {
		r.write(t, rng, 5+rng.IntN(10))
		if _, err := r.db.Exec("FLUSH BINARY LOGS"); err != nil {
			t.Fatal(err)
		}
		stop := r.startWriter(t, rng.Uint64())
		_, err := r.run(t, &invocation{reqID: "rotating", produce: onPage(1+rng.IntN(2), func() {
			if _, err := r.db.Exec("FLUSH BINARY LOGS"); err != nil {
				t.Error(err)
			}
		})})
		stop()
		if err != nil {
			t.Fatalf("run across a rotation: %v", err)
		}
		return Figures{Duplicates: r.finish(t)}
	})
}

// TestCDCTenConcurrentInvocations starts ten invocations at once: exactly
// one works (the lease), the rest skip, and nothing is delivered twice.
func TestCDCTenConcurrentInvocations(t *testing.T) {
	runCDC(t, "ten-concurrent-invocations", func(t *testing.T, rng *mrand.Rand, r *cdcRig) Figures {
		r.write(t, rng, 10+rng.IntN(20))
		tenAtOnce(t, func(i int) (sourcetask.Result, error) {
			return r.run(t, &invocation{reqID: fmt.Sprintf("concurrent-%d", i),
				produce: func(call, n int) (int, error) { time.Sleep(200 * time.Millisecond); return n, nil }})
		})
		dups := r.finish(t)
		if dups != 0 {
			t.Errorf("%d duplicates with one worker and no fault", dups)
		}
		return Figures{Duplicates: dups}
	})
}

// TestCDCStaleInvocationResumesLate: invocation A stalls mid-run holding
// its lease; three hours later (settable clock) B takes the expired lease
// and runs to the end; then A wakes and tries to commit: refused
// (superseded), the offset never moves backwards, nothing is lost.
func TestCDCStaleInvocationResumesLate(t *testing.T) {
	runCDC(t, "stale-invocation-resumes-late", func(t *testing.T, rng *mrand.Rand, r *cdcRig) Figures {
		r.write(t, rng, 15+rng.IntN(20))
		resumeA := stallRun(t, 1, r.run)
		r.clock.Advance(3 * time.Hour)
		r.write(t, rng, 3)
		if res, err := r.run(t, &invocation{reqID: "B"}); err != nil || res.Skipped {
			t.Fatalf("B after A's lease expired: %+v, %v", res, err)
		}
		aRes, aErr := resumeA()
		if !errors.Is(aErr, state.ErrLeaseLost) || !aRes.Superseded {
			t.Errorf("stale A after B: %+v, err %v; want superseded (ErrLeaseLost)", aRes, aErr)
		}
		return Figures{Duplicates: r.finish(t)}
	})
}

// TestCDCChecksCatchPlantedFaults feeds checkCDC event streams with a
// planted fault: each is reported; the clean stream and a whole-
// transaction replay pass.
func TestCDCChecksCatchPlantedFaults(t *testing.T) {
	ev := func(key, v int, gtid string) cdcEvent { return cdcEvent{key: key, v: v, gtid: gtid, op: "u"} }
	clean := []cdcEvent{ev(1, 1, "g1"), ev(2, 1, "g1"), ev(1, 2, "g2"), ev(2, 2, "g2"), ev(1, 3, "g3")}
	final := map[int]int{1: 3, 2: 2}
	cases := []struct {
		name    string
		evs     []cdcEvent
		wantErr string
		dups    int
	}{
		{"clean", clean, "", 0},
		{"whole transaction replayed", append(append([]cdcEvent{}, clean[:4]...), clean[2], clean[3], clean[4]), "", 2},
		{"cut first delivery, then whole", []cdcEvent{clean[0], clean[1], clean[2], clean[2], clean[3], clean[4]}, "", 1},
		{"lost change", []cdcEvent{clean[0], clean[1], clean[2], clean[3]}, "lost", 0},
		{"reordered", []cdcEvent{clean[0], clean[1], clean[4], clean[2], clean[3]}, "reordered", 0},
		{"partial replay", append(append([]cdcEvent{}, clean...), clean[3]), "re-delivered in part", 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dups, err := checkCDC(tc.evs, final)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("error %v", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("error %v, want one saying %q", err, tc.wantErr)
			case tc.wantErr == "" && dups != tc.dups:
				t.Fatalf("%d duplicates, want %d", dups, tc.dups)
			}
		})
	}
}

// faults wraps an invocation's producer, offset store and lease store
// with its injected faults: the produce hook, a crash after an offset
// write, and a lease left unreleased after a crash.
func (inv *invocation) faults(cl *kgo.Client, offsets *state.OffsetStore, leases *state.LeaseStore) (*hookProducer, *recOffsets, *crashLeases) {
	prod := &hookProducer{inner: cl}
	if inv.produce != nil {
		prod.hook = func(call, n int) (int, error) {
			send, err := inv.produce(call, n)
			if errors.Is(err, errCrash) {
				inv.crashed.Store(true)
			}
			return send, err
		}
	}
	offs := &recOffsets{inner: offsets}
	if inv.crashAfterPut > 0 {
		offs.crashAfter = func(put int) bool {
			if put == inv.crashAfterPut {
				inv.crashed.Store(true)
				return true
			}
			return false
		}
	}
	return prod, offs, &crashLeases{inner: leases, crashed: inv.crashed.Load}
}

// tenAtOnce starts ten invocations at once (run(i) is invocation i) and
// fails t unless each returned without error and exactly one worked (the
// others skipped: the lease).
func tenAtOnce(t *testing.T, run func(i int) (sourcetask.Result, error)) {
	t.Helper()
	start := make(chan struct{})
	var wg sync.WaitGroup
	results := make([]sourcetask.Result, 10)
	errs := make([]error, 10)
	for i := range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			results[i], errs[i] = run(i)
		}()
	}
	close(start)
	wg.Wait()
	worked := 0
	for i := range results {
		if errs[i] != nil {
			t.Errorf("invocation %d: %v", i, errs[i])
		}
		if !results[i].Skipped {
			worked++
		}
	}
	if worked != 1 {
		t.Errorf("%d of 10 concurrent invocations worked; want exactly 1", worked)
	}
}

// stallRun starts invocation A-stale (a minute's timeout) of run, which
// stalls while producing page, and returns once it has stalled; it fails t
// when A finishes first. resume lets A go on and returns A's outcome.
func stallRun(t *testing.T, page int, run func(*testing.T, *invocation) (sourcetask.Result, error)) (resume func() (sourcetask.Result, error)) {
	t.Helper()
	stalled, wake := make(chan struct{}), make(chan struct{})
	type out struct {
		res sourcetask.Result
		err error
	}
	aDone := make(chan out, 1)
	go func() {
		res, err := run(t, &invocation{reqID: "A-stale", timeout: time.Minute, produce: onPage(page, func() {
			close(stalled)
			<-wake
		})})
		aDone <- out{res, err}
	}()
	select {
	case <-stalled:
	case o := <-aDone:
		t.Fatalf("A finished before stalling: %+v %v", o.res, o.err)
	}
	return func() (sourcetask.Result, error) {
		close(wake)
		a := <-aDone
		return a.res, a.err
	}
}

// stoppableBroker is a kfake broker with topic whose produces fail, as a
// stopped broker's do, while down is set; it returns its seed addresses.
func stoppableBroker(t *testing.T, topic string) ([]string, *atomic.Bool) {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, topic))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	down := &atomic.Bool{}
	c.ControlKey(int16(kmsg.Produce), func(kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		if down.Load() {
			return nil, errors.New("broker stopped"), true
		}
		return nil, nil, false
	})
	return c.ListenAddrs(), down
}

// rigStores creates a rig's topic (one partition, deleted at cleanup), its
// streamed offsets table and its leases table, and returns the Kafka
// seeds, the DynamoDB client and the table names.
func rigStores(t *testing.T, env *testenv.Env, topic string) ([]string, state.API, string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	resp, err := env.KafkaAdmin(t).CreateTopic(ctx, 1, 1, nil, topic)
	if err == nil {
		err = resp.Err
	}
	if err != nil {
		t.Fatalf("create topic %s: %v", topic, err)
	}
	env.DeleteTopicAtCleanup(t, topic)
	return env.Seeds(), env.Dynamo(t), streamedOffsetsTable(t, env), env.DynamoTable(t, state.LeasesTableInput("leases"))
}
