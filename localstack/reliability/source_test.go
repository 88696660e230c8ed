package reliability

import (
	"cmp"
	"context"
	"database/sql"
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
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/serverless-kafka-connect/slkc/connectors/mysql"
	"github.com/serverless-kafka-connect/slkc/shared/errclass"
	"github.com/serverless-kafka-connect/slkc/shared/sinktask"
	"github.com/serverless-kafka-connect/slkc/shared/sourcetask"
	"github.com/serverless-kafka-connect/slkc/shared/state"
	"github.com/serverless-kafka-connect/slkc/shared/testenv"
)

// sourceRig is one source pipeline on the real stack: a MariaDB table of
// rows, a Kafka topic, offsets and leases tables on DynamoDB Local, and a
// settable clock for the leases.
type sourceRig struct {
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
	offsets   *offsetLog
	connector string
}

func newSourceRig(t *testing.T, rng *rand.Rand, rows int) *sourceRig {
	t.Helper()
	env := testenv.New(t)
	db, name := env.MySQLDatabase(t)
	r := &sourceRig{env: env, db: db, dbName: name, batch: 3 + rng.IntN(10), clock: newClock(), offsets: &offsetLog{},
		connector: "rel-source-" + strconv.FormatUint(rng.Uint64()%1e6, 10)}
	if _, err := db.Exec("CREATE TABLE orders (id INT AUTO_INCREMENT PRIMARY KEY, v VARCHAR(64) NOT NULL)"); err != nil {
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
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	resp, err := env.KafkaAdmin(t).CreateTopic(ctx, 1, 1, nil, r.topic)
	if err == nil {
		err = resp.Err
	}
	if err != nil {
		t.Fatalf("create topic %s: %v", r.topic, err)
	}
	env.DeleteTopicAtCleanup(t, r.topic)
	r.seeds = env.Seeds()
	r.ddb = env.Dynamo(t)
	r.offTable = env.DynamoTable(t, state.OffsetsTableInput("offsets"))
	r.leaseTab = env.DynamoTable(t, state.LeasesTableInput("leases"))
	return r
}

// insert adds n rows to the source table.
func (r *sourceRig) insert(t *testing.T, n int) {
	t.Helper()
	if n == 0 {
		return
	}
	vals := make([]string, n)
	args := make([]any, n)
	for i := range vals {
		vals[i] = "(?)"
		args[i] = fmt.Sprintf("row-%d-%d", r.rows+i+1, i*7919%1000)
	}
	if _, err := r.db.Exec("INSERT INTO orders (v) VALUES "+strings.Join(vals, ","), args...); err != nil {
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
	cfg, err := mysql.ParseSourceConfig(map[string]string{
		"connection.url": dc.FormatDSN(), "mode": "incrementing", "incrementing.column.name": "id",
		"table.whitelist": "orders", "topic.prefix": r.prefix, "batch.max.rows": strconv.Itoa(r.batch),
	})
	if err != nil {
		t.Fatal(err)
	}
	src, err := mysql.OpenSource(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	cl, err := kgo.NewClient(kgo.SeedBrokers(r.seeds...), kgo.RequestRetries(2), kgo.RetryTimeout(3*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ddb := r.ddb
	if inv.ddb != nil {
		ddb = inv.ddb
	}
	keyConv, valConv := jsonConverters(t)
	leases := state.NewLeaseStore(ddb, r.leaseTab)
	leases.Now = r.clock.Now
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
	offs := &recOffsets{inner: state.NewOffsetStore(ddb, r.offTable), log: r.offsets}
	if inv.crashAfterPut > 0 {
		offs.crashAfter = func(put int) bool {
			if put == inv.crashAfterPut {
				inv.crashed.Store(true)
				return true
			}
			return false
		}
	}
	task := &sourcetask.Task{
		Name: r.connector, Source: src, Producer: prod, KeyConv: keyConv, ValueConv: valConv,
		Offsets: offs, Leases: &crashLeases{inner: leases, crashed: inv.crashed.Load},
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

// storedOffset reads the committed incrementing offset.
func (r *sourceRig) storedOffset(t *testing.T) int64 {
	t.Helper()
	off, err := state.NewOffsetStore(r.ddb, r.offTable).Get(context.Background(), r.connector, mysql.TablePartition(r.dbName, "orders"))
	if err != nil {
		t.Fatal(err)
	}
	pos, err := mysql.ParsePosition(off.Position)
	if err != nil {
		t.Fatalf("stored offset %s: %v", off.Position, err)
	}
	if pos.Incrementing == nil {
		t.Fatalf("stored offset %s has no incrementing field", off.Position)
	}
	return *pos.Incrementing
}

// finish runs clean invocations until one completes, then checks the
// invariants: every row on the topic at least once, offsets never moved
// backwards, the stored offset is the last row, and the sink's copy of the
// topic equals the source table. It returns the duplicate deliveries (which
// the sink's upserts removed).
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
	res, err := r.run(t, &invocation{reqID: "idle"})
	if err != nil || res.Records != 0 {
		t.Fatalf("idle invocation: %d records, err %v; want 0, nil", res.Records, err)
	}
	r.offsets.checkMonotonic(t)
	if got := r.storedOffset(t); got != int64(r.rows) {
		t.Errorf("stored offset %d, want the last row id %d", got, r.rows)
	}
	if seeds == nil {
		seeds = r.seeds
	}
	recs := consumeAll(t, seeds, r.topic, r.rows, 20*time.Second)
	dups := checkDelivered(t, recs, r.rows)
	r.sinkCopy(t, recs)
	return dups
}

// sinkCopy writes recs through the MySQL sink (upsert on id) in random-size
// batches, and asserts the copy equals the source table.
func (r *sourceRig) sinkCopy(t *testing.T, recs []*kgo.Record) {
	t.Helper()
	task, target := newSinkTask(t, r.env, "orders_copy", sinktask.ToleranceNone, nil)
	for i := 0; i < len(recs); i += 25 {
		mustHandle(t, task, recs[i:min(i+25, len(recs))], fmt.Sprintf("sink batch at %d", i))
	}
	want, got := tableDigest(t, r.db, "orders"), tableDigest(t, target, "orders_copy")
	if !equalStrings(want, got) {
		t.Errorf("sink target (%d rows) differs from the source table (%d rows)", len(got), len(want))
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
// at one of the four points of the commit order, then lets the next
// scheduled invocations run: nothing is lost, offsets never move backwards,
// and the sink's copy equals the source.
func TestSourceCrashAtRandomPoints(t *testing.T) {
	seed := testSeed(t)
	for run := 0; run < runs(); run++ {
		for pi, point := range faultPoints {
			rng := NewRand(seed + uint64(run*len(faultPoints)+pi))
			sub := fmt.Sprintf("%s/run%02d", point.name, run)
			runCase(t, "source/crash-"+point.name, sub, rng, func(t *testing.T, rng *rand.Rand) Figures {
				r := newSourceRig(t, rng, 15+rng.IntN(40))
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
				_, err := r.run(t, inv)
				if !errors.Is(err, errCrash) {
					t.Fatalf("crashing invocation (page %d of %d, %d rows) returned %v; want the injected crash", page, r.pages(), r.rows, err)
				}
				r.afterCrash()
				r.insert(t, rng.IntN(5))
				dups := r.finish(t, nil)
				t.Logf("rows=%d batch=%d crash at page %d: %d duplicates", r.rows, r.batch, page, dups)
				return Figures{Duplicates: dups}
			})
		}
	}
}

// TestSourceConcurrentInvocations starts ten invocations at once (an
// EventBridge double delivery, async retries): exactly one works, the others
// skip, and every row is on the topic exactly once.
func TestSourceConcurrentInvocations(t *testing.T) {
	runMatrix(t, "source/ten-concurrent-invocations", runs(), func(t *testing.T, rng *rand.Rand) Figures {
		r := newSourceRig(t, rng, 10+rng.IntN(30))
		start := make(chan struct{})
		var wg sync.WaitGroup
		results := make([]sourcetask.Result, 10)
		errs := make([]error, 10)
		for i := range 10 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				results[i], errs[i] = r.run(t, &invocation{reqID: fmt.Sprintf("concurrent-%d", i),
					produce: func(call, n int) (int, error) { time.Sleep(200 * time.Millisecond); return n, nil }})
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
		recs := consumeAll(t, r.seeds, r.topic, r.rows, 20*time.Second)
		if dups := checkDelivered(t, recs, r.rows); dups != 0 {
			t.Errorf("%d duplicates with one worker and no fault", dups)
		}
		r.offsets.checkMonotonic(t)
		return Figures{}
	})
}

// TestSourceStaleInvocationHoursLater: invocation A stalls mid-run holding
// its lease; three hours later (settable clock) B takes the expired lease
// and finishes; then A wakes up and tries to commit. A's commit is refused
// (its lease was superseded), the offset never moves backwards, and a duplicate delivery arriving
// later still finds nothing to do.
func TestSourceStaleInvocationHoursLater(t *testing.T) {
	runMatrix(t, "source/stale-invocation-hours-later", runs(), func(t *testing.T, rng *rand.Rand) Figures {
		r := newSourceRig(t, rng, 10+rng.IntN(30))
		stallAt := 1 + rng.IntN(r.pages())
		stalled, wake := make(chan struct{}), make(chan struct{})
		type out struct {
			res sourcetask.Result
			err error
		}
		aDone := make(chan out, 1)
		go func() {
			res, err := r.run(t, &invocation{reqID: "A-stale", timeout: time.Minute, produce: onPage(stallAt, func() {
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
		r.clock.Advance(3 * time.Hour)
		bRes, err := r.run(t, &invocation{reqID: "B"})
		if err != nil || bRes.Skipped {
			t.Fatalf("B after A's lease expired: %+v, %v; want a full run", bRes, err)
		}
		bOffset := r.storedOffset(t)
		close(wake)
		a := <-aDone
		if a.err == nil || !errors.Is(a.err, state.ErrLeaseLost) || !a.res.Superseded {
			t.Errorf("stale A committed after B: %+v, err %v; want superseded (ErrLeaseLost)", a.res, a.err)
		} else if !errclass.IsRetryable(a.err) {
			t.Errorf("stale A's refused write is classified %v; want retryable", errclass.Classify(a.err))
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
	runMatrix(t, "source/dynamodb-stopped", runs(), func(t *testing.T, rng *rand.Rand) Figures {
		r := newSourceRig(t, rng, 10+rng.IntN(30))
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
	runMatrix(t, "source/mysql-connection-dropped", runs(), func(t *testing.T, rng *rand.Rand) Figures {
		r := newSourceRig(t, rng, 20+rng.IntN(30))
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
	runMatrix(t, "source/broker-down", runs(), func(t *testing.T, rng *rand.Rand) Figures {
		r := newSourceRig(t, rng, 10+rng.IntN(30))
		c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, r.topic))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		var down atomic.Bool
		c.ControlKey(int16(kmsg.Produce), func(kmsg.Request) (kmsg.Response, error, bool) {
			c.KeepControl()
			if down.Load() {
				return nil, errors.New("broker stopped"), true
			}
			return nil, nil, false
		})
		r.seeds = c.ListenAddrs()
		page := 1 + rng.IntN(r.pages())
		_, err = r.run(t, &invocation{reqID: "broker-down", timeout: 6 * time.Second, produce: onPage(page, func() { down.Store(true) })})
		failedRetryably(t, err, fmt.Sprintf("the broker down from page %d", page))
		down.Store(false)
		r.afterCrash()
		return Figures{Duplicates: r.finish(t, nil)}
	})
}
