package reliability

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	gomysql "github.com/go-sql-driver/mysql"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/serverless-kafka-connect/slkc/connectors"
	"github.com/serverless-kafka-connect/slkc/connectors/mysql"
	"github.com/serverless-kafka-connect/slkc/shared/errclass"
	"github.com/serverless-kafka-connect/slkc/shared/sinktask"
	"github.com/serverless-kafka-connect/slkc/shared/sourcetask"
	"github.com/serverless-kafka-connect/slkc/shared/state"
	"github.com/serverless-kafka-connect/slkc/shared/testenv"
)

// sourceRig is one source pipeline on the real stack: a MariaDB table of
// rows, a Kafka topic, offsets (with a stream recording every version
// written) and leases tables on DynamoDB Local, and a settable clock for the
// leases. mode is the source mode (incrementing unless a test sets it).
type sourceRig struct {
	mode      mysql.Mode
	env       *testenv.Env
	db        *sql.DB
	dbName    string
	mysqlAddr string
	rows      int
	batch     int
	prefix    string
	topic     string
	seeds     []string
	ddb       state.API
	offTable  string
	leaseTab  string
	clock     *clock
	connector string
	invoked   atomic.Bool // an invocation has run
}

// writerRounds bounds each writer of startWriters, so an invocation
// reading while they write can catch up with them.
const writerRounds = 40

// rigDelay is timestamp.delay.interval.ms in the timestamp modes: longer
// than any writer statement, so no row commits below a bound already read.
const rigDelay = 3 * time.Second

// sourceModes are the incremental modes the matrix covers.
var sourceModes = []mysql.Mode{mysql.ModeIncrementing, mysql.ModeTimestamp, mysql.ModeTimestampIncrementing}

// modeOf picks run's mode, rotating through sourceModes from salt so that
// every case covers a different mode first.
func modeOf(run, salt int) mysql.Mode { return sourceModes[(run+salt)%len(sourceModes)] }

func newSourceRig(t *testing.T, rng *rand.Rand, rows int) *sourceRig {
	t.Helper()
	env := testenv.New(t)
	db, name := env.MySQLDatabase(t)
	r := &sourceRig{env: env, db: db, dbName: name, batch: 3 + rng.IntN(10), clock: newClock(), mode: mysql.ModeIncrementing,
		connector: "rel-source-" + strconv.FormatUint(rng.Uint64()%1e6, 10)}
	if _, err := db.Exec("CREATE TABLE orders (id INT AUTO_INCREMENT PRIMARY KEY, v VARCHAR(64) NOT NULL," +
		" ts DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6), KEY ts_id (ts, id))"); err != nil {
		t.Fatal(err)
	}
	r.insert(t, rows)
	dc, err := gomysql.ParseDSN(env.MySQLDSN(name))
	if err != nil {
		t.Fatal(err)
	}
	r.mysqlAddr = dc.Addr
	r.prefix = testenv.UniqueName(t, "rel", 120) + "_"
	r.topic = r.prefix + "orders"
	r.seeds, r.ddb, r.offTable, r.leaseTab = rigStores(t, env, r.topic)
	return r
}

// insert adds n rows to the source table. Before the first invocation
// they are timestamped older than rigDelay, so the first read sees them;
// after it they get the current time (an older one would be a backdated
// row, which the timestamp modes never read).
func (r *sourceRig) insert(t *testing.T, n int) {
	t.Helper()
	if n == 0 {
		return
	}
	vals := make([]string, n)
	args := make([]any, n)
	for i := range vals {
		vals[i] = "(?, NOW(6) - INTERVAL 10 SECOND)"
		if r.invoked.Load() {
			vals[i] = "(?, NOW(6))"
		}
		args[i] = fmt.Sprintf("row-%d-%d", r.rows+i+1, i*7919%1000)
	}
	if _, err := r.db.Exec("INSERT INTO orders (v, ts) VALUES "+strings.Join(vals, ","), args...); err != nil {
		t.Fatal(err)
	}
	r.rows += n
}

func (r *sourceRig) pages() int { return (r.rows + r.batch - 1) / r.batch }

// invocation describes one source-poller invocation and its faults.
type invocation struct {
	reqID     string
	mysqlAddr string    // "" means the rig's
	ddb       state.API // nil means the rig's
	timeout   time.Duration
	// produce, when set, decides per ProduceSync call what happens.
	produce func(call, n int) (int, error)
	// crashAfterPut crashes right after the given offset write (1-based).
	crashAfterPut int
	// crashed reports whether this invocation crashed (lease not released).
	crashed atomic.Bool
}

// run performs one invocation with a fresh source, producer and stores,
// like a cold Lambda.
func (r *sourceRig) run(t *testing.T, inv *invocation) (sourcetask.Result, error) {
	t.Helper()
	dc, err := gomysql.ParseDSN(r.env.MySQLDSN(r.dbName))
	if err != nil {
		t.Fatal(err)
	}
	dc.Addr = cmp.Or(inv.mysqlAddr, r.mysqlAddr)
	dc.Timeout = 2 * time.Second
	props := map[string]string{
		"connection.url": dc.FormatDSN(), "mode": string(r.mode), "table.whitelist": "orders", "topic.prefix": r.prefix,
		"batch.max.rows": strconv.Itoa(r.batch),
	}
	if r.mode != mysql.ModeTimestamp {
		props["incrementing.column.name"] = "id"
	}
	if r.mode != mysql.ModeIncrementing {
		props["timestamp.column.name"] = "ts"
		props["timestamp.delay.interval.ms"] = strconv.Itoa(int(rigDelay.Milliseconds()))
	}
	cfg, err := mysql.ParseSourceConfig(props)
	if err != nil {
		t.Fatal(err)
	}
	src, err := mysql.OpenSource(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	ddb := r.ddb
	if inv.ddb != nil {
		ddb = inv.ddb
	}
	r.invoked.Store(true)
	return runTask(t, inv, src, r.connector, r.seeds, ddb, r.leaseTab, r.offTable, r.clock)
}

// runTask is one invocation of src as a sourcetask.Task (a cold Lambda):
// its own Kafka client on seeds, the rig's offsets and leases tables on
// ddb with the lease clock c, every store and the producer going through
// inv's fault hooks.
func runTask(t *testing.T, inv *invocation, src connectors.Source, name string, seeds []string, ddb state.API, leaseTab, offTable string, c *clock) (sourcetask.Result, error) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(seeds...), kgo.RequestRetries(2), kgo.RetryTimeout(3*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	keyConv, valConv := jsonConverters(t)
	leases := state.NewLeaseStore(ddb, leaseTab)
	leases.Now = c.Now
	prod, offs, crashable := inv.faults(cl, state.NewOffsetStore(ddb, offTable), leases)
	task := &sourcetask.Task{
		Name: name, Source: src, Producer: prod, KeyConv: keyConv, ValueConv: valConv,
		Offsets: offs, Leases: crashable,
		WorkerID: "reliability", Logger: quietLogger(), LeaseTTL: time.Minute, DeadlineMargin: time.Second,
	}
	timeout := inv.timeout
	if timeout == 0 {
		timeout = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return task.Run(ctx, inv.reqID)
}

// afterCrash moves the lease clock past the TTL, as time passes before the
// next scheduled invocation finds the dead invocation's lease expired.
func (r *sourceRig) afterCrash() { r.clock.Advance(2 * time.Minute) }

// storedPosition reads the committed position.
func (r *sourceRig) storedPosition(t *testing.T) mysql.SourcePosition {
	t.Helper()
	off, err := state.NewOffsetStore(r.ddb, r.offTable).Get(context.Background(), r.connector, mysql.TablePartition(r.dbName, "orders"))
	if err != nil {
		t.Fatal(err)
	}
	pos, err := mysql.ParsePosition(off.Position)
	if err != nil {
		t.Fatalf("stored offset %s: %v", off.Position, err)
	}
	return pos
}

// lastRow returns the id and timestamp of the table's last row in the
// mode's read order.
func (r *sourceRig) lastRow(t *testing.T) (int64, time.Time) {
	t.Helper()
	order := "ts DESC, id DESC"
	if r.mode == mysql.ModeIncrementing {
		order = "id DESC"
	}
	var id int64
	var ts time.Time
	if err := r.db.QueryRow("SELECT id, ts FROM orders ORDER BY "+order+" LIMIT 1").Scan(&id, &ts); err != nil {
		t.Fatal(err)
	}
	return id, ts
}

// checkStoredOffset asserts the committed position is the table's last
// row: its id in incrementing mode, its (timestamp, id) otherwise.
func (r *sourceRig) checkStoredOffset(t *testing.T) {
	t.Helper()
	pos := r.storedPosition(t)
	id, ts := r.lastRow(t)
	var got int64 = -1
	switch {
	case r.mode == mysql.ModeTimestamp && len(pos.Key) == 1:
		_ = json.Unmarshal(pos.Key[0], &got)
	case pos.Incrementing != nil:
		got = *pos.Incrementing
	}
	at, _ := pos.Time()
	if got != id || (r.mode != mysql.ModeIncrementing && !at.Equal(ts)) {
		t.Errorf("stored position %+v (id %d, time %s); want the last row id %d at %s", pos, got, at, id, ts)
	}
}

// storedOffset reads the committed position's row id (the incrementing
// value, or the key in timestamp mode).
func (r *sourceRig) storedOffset(t *testing.T) int64 {
	t.Helper()
	pos := r.storedPosition(t)
	if r.mode == mysql.ModeTimestamp && len(pos.Key) == 1 {
		var k int64
		_ = json.Unmarshal(pos.Key[0], &k)
		return k
	}
	if pos.Incrementing == nil {
		t.Fatalf("stored position %+v has no row id", pos)
	}
	return *pos.Incrementing
}

// finish runs clean invocations until one completes and a later one finds
// nothing new (in the timestamp modes it first waits out rigDelay, so rows
// written last are readable), then checks the invariants: every row's last
// value on the topic; every offset version written, read back from the
// offsets table's stream, one step after the previous (none lost, none
// repeated) and never before it in read order; the stored offset is the
// last row; and the sink's copy of the topic equals the source table. It
// returns the duplicate records: deliveries of a row value already
// delivered, which the sink applied again without changing the copy.
func (r *sourceRig) finish(t *testing.T, seeds []string) int {
	t.Helper()
	var err error
	for i := 0; i < 3; i++ {
		if _, err = r.run(t, &invocation{reqID: fmt.Sprintf("clean-%d", i)}); err == nil {
			break
		}
		r.afterCrash()
	}
	if err != nil {
		t.Fatalf("clean invocation after the fault failed: %v", err)
	}
	if r.mode != mysql.ModeIncrementing {
		time.Sleep(rigDelay + 100*time.Millisecond)
	}
	idle := false
	for i := 0; i < 4 && !idle; i++ {
		res, err := r.run(t, &invocation{reqID: fmt.Sprintf("drain-%d", i)})
		if err != nil {
			t.Fatalf("drain invocation %d: %v", i, err)
		}
		idle = res.Records == 0
	}
	if !idle {
		t.Fatal("no invocation found the table drained")
	}
	checked, err := checkOffsetHistory(offsetHistory(t, r.env, r.offTable), r.mode)
	if err != nil {
		t.Error(err)
	} else if checked == 0 {
		t.Error("no offset version was written")
	}
	r.checkStoredOffset(t)
	if seeds == nil {
		seeds = r.seeds
	}
	want := tableDigest(t, r.db, "orders")
	recs := consumeAll(t, seeds, r.topic, len(want), 20*time.Second)
	dups, err := delivered(recs, want)
	if err != nil {
		t.Error(err)
	}
	r.sinkCopy(t, recs)
	return dups
}

// sinkCopy writes recs through the MySQL sink (upsert on id) in batches of
// 25, and asserts the copy equals the source table.
func (r *sourceRig) sinkCopy(t *testing.T, recs []*kgo.Record) {
	t.Helper()
	task, target := newSinkTask(t, r.env, "orders_copy", sinktask.ToleranceNone, nil)
	for i := 0; i < len(recs); i += 25 {
		// As the event source mapping does, a failed batch is delivered
		// again (the upsert is idempotent); the copy checks the records,
		// not the sink's luck on a loaded machine. A failure that stays
		// fails the test with the task's log.
		batch := recs[i:min(i+25, len(recs))]
		for attempt := 1; ; attempt++ {
			resp, err := task.Handle(context.Background(), kafkaEvent(batch))
			if err == nil && len(resp.BatchItemFailures) == 0 {
				break
			}
			if attempt == 3 {
				t.Fatalf("sink batch at %d, attempt %d: %+v, %v", i, attempt, resp.BatchItemFailures, err)
			}
			t.Logf("sink batch at %d, attempt %d: %+v, %v; delivering it again", i, attempt, resp.BatchItemFailures, err)
			time.Sleep(time.Second)
		}
	}
	want, got := tableDigest(t, r.db, "orders"), tableDigest(t, target, "orders_copy")
	if !equalStrings(want, got) {
		t.Errorf("sink target (%d rows) differs from the source table (%d rows); first differences: %v", len(got), len(want), firstDiff(got, want))
	}
}

// startWriters runs n writers on the table until the returned stop is
// called (stop waits for them) or each wrote writerRounds times: each
// inserts two rows and, in the timestamp modes, updates rows the writers
// inserted (a new value and, by ON UPDATE, a new timestamp, so a row
// already read is read again), every few milliseconds, each statement
// committing on its own, concurrently with the invocations. The rig's own
// rows are left alone, so a crash page chosen from them is always reached.
func (r *sourceRig) startWriters(t *testing.T, rng *rand.Rand, n int) (stop func()) {
	t.Helper()
	done := make(chan struct{})
	base := r.rows // ids above it are the writers' (single-row AUTO_INCREMENT steps)
	var wg sync.WaitGroup
	var errMu sync.Mutex
	var errs []error
	for w := range n {
		wr := NewRand(rng.Uint64())
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < writerRounds; i++ {
				select {
				case <-done:
					return
				case <-time.After(time.Duration(2+wr.IntN(15)) * time.Millisecond):
				}
				var err error
				if r.mode != mysql.ModeIncrementing && wr.IntN(2) == 0 {
					_, err = r.db.Exec("UPDATE orders SET v = ? WHERE id = ?", fmt.Sprintf("upd-%d-%d", w, i), base+1+wr.IntN(2*n*(i+1)))
				} else {
					_, err = r.db.Exec("INSERT INTO orders (v) VALUES (?), (?)", fmt.Sprintf("w%d-%d-a", w, i), fmt.Sprintf("w%d-%d-b", w, i))
				}
				if err != nil {
					errMu.Lock()
					errs = append(errs, err)
					errMu.Unlock()
					return
				}
			}
		}()
	}
	return func() {
		close(done)
		wg.Wait()
		for _, err := range errs {
			t.Errorf("writer: %v", err)
		}
	}
}

// faultPoints are where TestSourceCrashAtRandomPoints kills an invocation,
// in commit order. sent is how many of the crashing page's n records reach
// Kafka before the crash; nil means the crash comes right after the page's
// offset write instead.
var faultPoints = []struct {
	name string
	sent func(n int) int
}{
	{"before-produce", func(int) int { return 0 }},
	{"during-produce", func(n int) int { return n / 2 }},
	{"after-produce-before-offset", func(n int) int { return n }},
	{"after-offset-write", nil},
}

// TestSourceCrashAtRandomPoints kills a source invocation at a random page
// at one of the four points of the commit order while two writers insert
// (and, in the timestamp modes, update) rows, then lets the next scheduled
// invocations run: nothing is lost, no offset version moves backwards, and
// the sink's copy equals the source. Each point runs in every mode in turn
// (modeOf).
func TestSourceCrashAtRandomPoints(t *testing.T) {
	seed := testSeed(t)
	for run := 0; run < runs(); run++ {
		for pi, point := range faultPoints {
			rng := NewRand(seed + uint64(run*len(faultPoints)+pi))
			mode := modeOf(run, pi)
			sub := fmt.Sprintf("%s/%s/run%02d", point.name, mode, run)
			runCase(t, "source/"+string(mode)+"/crash-"+point.name, sub, rng, func(t *testing.T, rng *rand.Rand) Figures {
				r := newSourceRig(t, rng, 15+rng.IntN(40))
				r.mode = mode
				page := 1 + rng.IntN(r.pages())
				inv := &invocation{reqID: "crashing"}
				if point.sent == nil {
					inv.crashAfterPut = page
				} else {
					inv.produce = func(call, n int) (int, error) {
						if call == page {
							return point.sent(n), errCrash
						}
						return n, nil
					}
				}
				stop := r.startWriters(t, rng, 2)
				_, err := r.run(t, inv)
				if !errors.Is(err, errCrash) {
					stop()
					t.Fatalf("crashing invocation (page %d of %d, %d rows) returned %v; want the injected crash", page, r.pages(), r.rows, err)
				}
				r.afterCrash()
				_, err = r.run(t, &invocation{reqID: "while-writing"})
				stop()
				if err != nil {
					t.Fatalf("invocation while the writers write: %v", err)
				}
				r.insert(t, rng.IntN(5))
				dups := r.finish(t, nil)
				t.Logf("mode=%s rows=%d batch=%d crash at page %d: %d duplicates", mode, r.rows, r.batch, page, dups)
				return Figures{Duplicates: dups}
			})
		}
	}
}

// TestSourceConcurrentInvocations starts ten invocations at once (an
// EventBridge double delivery, async retries reusing one request id):
// exactly one works, the others skip, every row is on the topic exactly
// once and the offset history moves forward only.
func TestSourceConcurrentInvocations(t *testing.T) {
	runModes(t, "source/ten-concurrent-invocations", 0, func(t *testing.T, rng *rand.Rand, r *sourceRig) Figures {
		shared := rng.IntN(2) == 0
		tenAtOnce(t, func(i int) (sourcetask.Result, error) {
			req := fmt.Sprintf("concurrent-%d", i)
			if shared {
				req = "async-retry" // Lambda's retries reuse the request id
			}
			return r.run(t, &invocation{reqID: req,
				produce: func(call, n int) (int, error) { time.Sleep(200 * time.Millisecond); return n, nil }})
		})
		want := tableDigest(t, r.db, "orders")
		recs := consumeAll(t, r.seeds, r.topic, len(want), 20*time.Second)
		if dups, err := delivered(recs, want); err != nil || dups != 0 {
			t.Errorf("%d duplicates (%v) with one worker and no fault", dups, err)
		}
		if _, err := checkOffsetHistory(offsetHistory(t, r.env, r.offTable), r.mode); err != nil {
			t.Error(err)
		}
		return Figures{}
	})
}

// TestSourceStaleInvocationHoursLater: invocation A stalls mid-run holding
// its lease; three hours later (settable clock) B takes the expired lease
// and finishes; then A wakes up and tries to commit. A's commit is refused
// (its lease was superseded), the offset never moves backwards, and a duplicate delivery arriving
// later still finds nothing to do.
func TestSourceStaleInvocationHoursLater(t *testing.T) {
	runModes(t, "source/stale-invocation-hours-later", 1, func(t *testing.T, rng *rand.Rand, r *sourceRig) Figures {
		stallAt := 1 + rng.IntN(r.pages())
		resumeA := stallRun(t, stallAt, r.run)
		r.clock.Advance(3 * time.Hour)
		bRes, err := r.run(t, &invocation{reqID: "B"})
		if err != nil || bRes.Skipped {
			t.Fatalf("B after A's lease expired: %+v, %v; want a full run", bRes, err)
		}
		bOffset := r.storedOffset(t)
		aRes, aErr := resumeA()
		if aErr == nil || !errors.Is(aErr, state.ErrLeaseLost) || !aRes.Superseded {
			t.Errorf("stale A committed after B: %+v, err %v; want superseded (ErrLeaseLost)", aRes, aErr)
		} else if !errclass.IsRetryable(aErr) {
			t.Errorf("stale A's refused write is classified %v; want retryable", errclass.Classify(aErr))
		}
		if got := r.storedOffset(t); got != bOffset || got != int64(r.rows) {
			t.Errorf("offset after stale A = %d; B left %d, rows %d", got, bOffset, r.rows)
		}
		r.clock.Advance(5 * time.Hour)
		cRes, err := r.run(t, &invocation{reqID: "C-duplicate-delivery"})
		if err != nil || cRes.Records != 0 {
			t.Errorf("late duplicate delivery: %+v, %v; want nothing to do", cRes, err)
		}
		return Figures{Duplicates: r.finish(t, nil)}
	})
}

// TestSourceDynamoDBStopped cuts DynamoDB (a proxy the test controls in
// front of DynamoDB Local) after a random page was produced: the offset
// write fails, the run fails retryably, and once DynamoDB is back the next
// run completes with nothing lost.
func TestSourceDynamoDBStopped(t *testing.T) {
	runModes(t, "source/dynamodb-stopped", 2, func(t *testing.T, rng *rand.Rand, r *sourceRig) Figures {
		px := newProxy(t, HostPort(r.env.DynamoEndpoint()))
		ddb := dynamoVia(t, r.env, px, 2)
		page := 1 + rng.IntN(r.pages())
		_, err := r.run(t, &invocation{reqID: "ddb-cut", ddb: ddb, produce: onPage(page, px.Cut)})
		failedRetryably(t, err, fmt.Sprintf("DynamoDB cut after page %d of %d", page, r.pages()))
		px.Restore()
		r.afterCrash() // the lease could not be released while DynamoDB was away
		r.ddb = ddb
		return Figures{Duplicates: r.finish(t, nil)}
	})
}

// TestSourceMySQLConnectionDropped drops every MySQL connection (a proxy in
// front of MariaDB) after a random page that is not the last: the next read
// fails retryably; the next run completes with nothing lost.
func TestSourceMySQLConnectionDropped(t *testing.T) {
	runModes(t, "source/mysql-connection-dropped", 0, func(t *testing.T, rng *rand.Rand, r *sourceRig) Figures {
		px := newProxy(t, r.mysqlAddr)
		page := 1 + rng.IntN(r.pages()-1)
		_, err := r.run(t, &invocation{reqID: "mysql-cut", mysqlAddr: px.Addr(), produce: onPage(page, px.Cut)})
		failedRetryably(t, err, fmt.Sprintf("MySQL cut after page %d of %d", page, r.pages()))
		px.Restore()
		r.mysqlAddr = px.Addr()
		return Figures{Duplicates: r.finish(t, nil)}
	})
}

// TestSourceBrokerDown makes the Kafka broker refuse every produce request
// from a random page on (kfake's control hook closes the connection, as a
// stopped broker does): the run fails retryably at its deadline without
// committing; after the broker is back the next run completes with nothing
// lost. State and rows stay on the real DynamoDB Local and MariaDB.
func TestSourceBrokerDown(t *testing.T) {
	runModes(t, "source/broker-down", 1, func(t *testing.T, rng *rand.Rand, r *sourceRig) Figures {
		seeds, down := stoppableBroker(t, r.topic)
		r.seeds = seeds
		page := 1 + rng.IntN(r.pages())
		_, err := r.run(t, &invocation{reqID: "broker-down", timeout: 6 * time.Second, produce: onPage(page, func() { down.Store(true) })})
		failedRetryably(t, err, fmt.Sprintf("the broker down from page %d", page))
		down.Store(false)
		r.afterCrash()
		return Figures{Duplicates: r.finish(t, nil)}
	})
}

// runModes runs body runs() times, like runMatrix, each run on a fresh rig
// of 20 to 49 rows in mode modeOf(run, salt); the figures of a run go to
// case "source/<mode>/<fault>".
func runModes(t *testing.T, fault string, salt int, body func(t *testing.T, rng *rand.Rand, r *sourceRig) Figures) {
	t.Helper()
	seed := testSeed(t)
	fault = strings.TrimPrefix(fault, "source/")
	for run := 0; run < runs(); run++ {
		mode := modeOf(run, salt)
		runCase(t, "source/"+string(mode)+"/"+fault, fmt.Sprintf("%s/run%02d", mode, run), NewRand(seed+uint64(run)),
			func(t *testing.T, rng *rand.Rand) Figures {
				r := newSourceRig(t, rng, 20+rng.IntN(30))
				r.mode = mode
				return body(t, rng, r)
			})
	}
}
