package reliability

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	gomysql "github.com/go-sql-driver/mysql"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/serverless-kafka-connect/slkc/connectors"
	"github.com/serverless-kafka-connect/slkc/connectors/mysql"
	"github.com/serverless-kafka-connect/slkc/events"
	"github.com/serverless-kafka-connect/slkc/shared/connect"
	"github.com/serverless-kafka-connect/slkc/shared/convert"
	"github.com/serverless-kafka-connect/slkc/shared/dlq"
	"github.com/serverless-kafka-connect/slkc/shared/errclass"
	"github.com/serverless-kafka-connect/slkc/shared/sinktask"
	"github.com/serverless-kafka-connect/slkc/shared/testenv"
)

// countingDest counts the record effects that reached the destination
// (written more than once = a duplicate the idempotent upsert absorbed) and
// can inject a fault into a chosen Write call.
type countingDest struct {
	inner connectors.Destination
	mu    sync.Mutex
	calls int
	// applied counts records the destination reported written.
	applied int
	// fault, when set, runs before Write call number call (1-based); it
	// may write a prefix itself and returns the error to report instead
	// of writing, or nil to write normally.
	fault func(ctx context.Context, call int, recs []connect.Record) (written int, err error)
}

func (d *countingDest) Write(ctx context.Context, recs []connect.Record) error {
	d.mu.Lock()
	d.calls++
	call := d.calls
	d.mu.Unlock()
	if d.fault != nil {
		if n, err := d.fault(ctx, call, recs); err != nil {
			d.mu.Lock()
			d.applied += n
			d.mu.Unlock()
			return err
		}
	}
	err := d.inner.Write(ctx, recs)
	n := len(recs)
	var be *connectors.BatchError
	switch {
	case err == nil:
	case errors.As(err, &be):
		n -= len(be.Failed)
	default:
		n = 0
	}
	d.mu.Lock()
	d.applied += n
	d.mu.Unlock()
	return err
}

func (d *countingDest) Close() error { return d.inner.Close() }

// sinkOpts configures newSinkTask.
type sinkOpts struct {
	// addr reaches MariaDB (a proxy); "" is the real address.
	addr string
	// params are extra session variables on the sink's connections.
	params map[string]string
	dlq    sinktask.DeadLetterQueue
	rbif   bool
	fault  func(ctx context.Context, call int, recs []connect.Record) (int, error)
	db     *sql.DB // target database handle to reuse, with dbName
	dbName string
	// insertMode is insert.mode; "" means upsert.
	insertMode string
	// pkMode is pk.mode; "" means record_value on the value's id.
	pkMode string
}

// newSinkTask builds the MySQL sink (upsert on the value's id, auto.create)
// behind the sink task, writing to table in a new database, with the real
// JsonConverter. It returns the task, its counting destination and the
// target database.
func newSinkTaskOpts(t *testing.T, env *testenv.Env, table, tolerance string, o sinkOpts) (*sinktask.Task, *countingDest, *sql.DB, string) {
	t.Helper()
	db, name := o.db, o.dbName
	if db == nil {
		db, name = env.MySQLDatabase(t)
	}
	dc, err := gomysql.ParseDSN(env.MySQLDSN(name))
	if err != nil {
		t.Fatal(err)
	}
	if o.addr != "" {
		dc.Addr = o.addr
	}
	dc.Timeout = 2 * time.Second
	for k, v := range o.params {
		dc.Params[k] = v
	}
	mode := o.insertMode
	if mode == "" {
		mode = "upsert"
	}
	props := map[string]string{
		"connection.url": dc.FormatDSN(), "topics": "orders", "insert.mode": mode, "pk.mode": "record_value",
		"pk.fields": "id", "auto.create": "true", "table.name.format": table,
	}
	if o.pkMode != "" {
		props["pk.mode"] = o.pkMode
		if o.pkMode == "none" {
			delete(props, "pk.fields")
		}
	}
	cfg, err := mysql.ParseSinkConfig(props)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := gomysql.NewConnector(dc)
	if err != nil {
		t.Fatal(err)
	}
	sdb := sql.OpenDB(conn)
	t.Cleanup(func() { _ = sdb.Close() })
	sink, err := mysql.NewSink(cfg, sdb)
	if err != nil {
		t.Fatal(err)
	}
	dest := &countingDest{inner: sink, fault: o.fault}
	keyConv, valConv := jsonConverters(t)
	task := &sinktask.Task{Name: "rel-sink", Destination: dest, KeyConverter: keyConv, ValueConverter: valConv,
		KeyConverterClass: convert.JSONConverterClass, ValueConverterClass: convert.JSONConverterClass,
		ConnectorClass: "io.slkc.connect.mysql.MySqlSinkConnector",
		Tolerance:      tolerance, DLQ: o.dlq, ReportBatchItemFailures: o.rbif, Logger: taskLogger(t)}
	if err := task.Validate(); err != nil {
		t.Fatal(err)
	}
	return task, dest, db, name
}

// newSinkTask is newSinkTaskOpts with partial batch responses on and no
// faults; used by the source cases to copy a topic.
func newSinkTask(t *testing.T, env *testenv.Env, table, tolerance string, q sinktask.DeadLetterQueue) (*sinktask.Task, *sql.DB) {
	task, _, db, _ := newSinkTaskOpts(t, env, table, tolerance, sinkOpts{dlq: q, rbif: true})
	return task, db
}

// genBatch makes n records over parts partitions of topic: JsonConverter
// envelopes {id, v} with ids disjoint per partition and some ids updated
// later in the same partition (the later value must win). poison lists
// indexes whose value is not JSON. It returns the records and the
// expected table digest (poison records excluded).
func genBatch(rng *rand.Rand, topic string, n, parts, valueSize int, poison map[int]bool) ([]*kgo.Record, []string) {
	offsets := make([]int64, parts)
	latest := map[int64]string{}
	var recs []*kgo.Record
	pad := strings.Repeat("x", max(0, valueSize))
	for i := range n {
		p := int32(rng.IntN(parts))
		id := int64(p)*1_000_000 + int64(rng.IntN(max(1, n*3/4))) + 1
		v := fmt.Sprintf("v%d-%d-%s", i, rng.IntN(1000), pad)
		val := []byte(fmt.Sprintf(`{"schema":{"type":"struct","name":"orders","optional":false,"fields":[`+
			`{"field":"id","type":"int64","optional":false},{"field":"v","type":"string","optional":false}]},`+
			`"payload":{"id":%d,"v":%q}}`, id, v))
		if poison[i] {
			val = []byte(`{"schema": not json ` + strconv.Itoa(i))
		} else {
			latest[id] = v
		}
		recs = append(recs, &kgo.Record{Topic: topic, Partition: p, Offset: offsets[p], Value: val,
			Timestamp: time.UnixMilli(1_700_000_000_000 + int64(i)), Headers: []kgo.RecordHeader{{Key: "trace", Value: []byte(strconv.Itoa(i))}}})
		offsets[p]++
	}
	want := make([]string, 0, len(latest))
	for id, v := range latest {
		want = append(want, fmt.Sprintf("%d=%s", id, v))
	}
	sort.Strings(want)
	return recs, want
}

// esm delivers recs to task the way the Kafka event source mapping does:
// in batches of at most batch records, per partition in order; a failed
// invocation is retried whole; a partial batch response makes the named
// partitions resume at the named offsets. It stops after maxCalls
// invocations and returns the records still undelivered per partition
// ("topic-partition" -> first pending offset).
type esm struct {
	task     *sinktask.Task
	batch    int
	maxCalls int
	// beforeCall runs before each invocation (to cut or restore a
	// service).
	beforeCall func(call int)
	calls      int
	errs       []error
	failures   []events.KafkaBatchItemFailure
}

func (e *esm) deliver(t *testing.T, recs []*kgo.Record) map[string]int64 {
	t.Helper()
	byPart := map[int32][]*kgo.Record{}
	var parts []int32
	for _, r := range recs {
		if _, ok := byPart[r.Partition]; !ok {
			parts = append(parts, r.Partition)
		}
		byPart[r.Partition] = append(byPart[r.Partition], r)
	}
	sort.Slice(parts, func(i, j int) bool { return parts[i] < parts[j] })
	for e.calls < e.maxCalls {
		var ev []*kgo.Record
		for _, p := range parts {
			ev = append(ev, byPart[p][:min(len(byPart[p]), e.batch)]...)
		}
		if len(ev) == 0 {
			return nil
		}
		e.calls++
		if e.beforeCall != nil {
			e.beforeCall(e.calls)
		}
		resp, err := e.task.Handle(context.Background(), kafkaEvent(ev))
		if err != nil {
			e.errs = append(e.errs, err)
			continue
		}
		e.failures = append(e.failures, resp.BatchItemFailures...)
		resume := map[int32]int64{}
		for _, f := range resp.BatchItemFailures {
			resume[f.ItemIdentifier.Partition] = f.ItemIdentifier.Offset
		}
		for _, p := range parts {
			sent := byPart[p][:min(len(byPart[p]), e.batch)]
			if len(sent) == 0 {
				continue
			}
			next := sent[len(sent)-1].Offset + 1
			if off, ok := resume[p]; ok {
				next = off
			}
			i := 0
			for i < len(byPart[p]) && byPart[p][i].Offset < next {
				i++
			}
			byPart[p] = byPart[p][i:]
		}
	}
	pending := map[string]int64{}
	for _, p := range parts {
		if len(byPart[p]) > 0 {
			pending[fmt.Sprintf("%s-%d", byPart[p][0].Topic, p)] = byPart[p][0].Offset
		}
	}
	return pending
}

// checkTarget compares the target table with want.
func checkTarget(t *testing.T, db *sql.DB, table string, want []string) {
	t.Helper()
	checkDigest(t, "target "+table, tableDigest(t, db, table), want)
}

func firstDiff(got, want []string) string {
	g := map[string]bool{}
	for _, s := range got {
		g[s] = true
	}
	w := map[string]bool{}
	for _, s := range want {
		w[s] = true
	}
	var out []string
	for _, s := range want {
		if !g[s] && len(out) < 3 {
			out = append(out, "missing "+trunc(s))
		}
	}
	for _, s := range got {
		if !w[s] && len(out) < 6 {
			out = append(out, "unexpected "+trunc(s))
		}
	}
	return strings.Join(out, "; ")
}

func trunc(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}

// TestSinkKilledMidBatch: the function dies in the middle of writing a
// batch, after a random prefix of it reached MySQL; the event source
// mapping redelivers the batch; the target equals the expected state.
func TestSinkKilledMidBatch(t *testing.T) {
	runMatrix(t, "sink/killed-mid-batch", runs(), func(t *testing.T, rng *rand.Rand) Figures {
		env := testenv.New(t)
		recs, want := genBatch(rng, "orders", 50+rng.IntN(150), 1+rng.IntN(3), 20, nil)
		killAt := 1 + rng.IntN(2)
		var dest *countingDest
		fault := func(ctx context.Context, call int, batch []connect.Record) (int, error) {
			if call != killAt {
				return 0, nil
			}
			k := rng.IntN(len(batch) + 1)
			if k > 0 {
				if err := dest.inner.Write(ctx, batch[:k]); err != nil {
					t.Errorf("writing the prefix before the kill: %v", err)
				}
			}
			return k, errCrash
		}
		task, d, db, _ := newSinkTaskOpts(t, env, "orders_copy", sinktask.ToleranceNone, sinkOpts{rbif: rng.IntN(2) == 0, fault: fault})
		dest = d
		e := &esm{task: task, batch: 10 + rng.IntN(60), maxCalls: 200}
		e.deliverAll(t, recs)
		if len(e.errs)+len(e.failures) == 0 && killAt <= e.calls {
			t.Errorf("the kill at write %d did not fail the invocation", killAt)
		}
		checkTarget(t, db, "orders_copy", want)
		return Figures{Duplicates: max(0, dest.applied-len(recs))}
	})
}

// TestSinkMySQLUnavailable: MySQL is unreachable (the test's proxy cut)
// for a random number of invocations, then back: the failed invocations
// are retryable and the target ends equal to the expected state.
func TestSinkMySQLUnavailable(t *testing.T) {
	runMatrix(t, "sink/mysql-unavailable-then-back", runs(), func(t *testing.T, rng *rand.Rand) Figures {
		env := testenv.New(t)
		db, name := env.MySQLDatabase(t)
		dc, _ := gomysql.ParseDSN(env.MySQLDSN(name))
		px := newProxy(t, dc.Addr)
		recs, want := genBatch(rng, "orders", 40+rng.IntN(100), 2, 20, nil)
		task, dest, _, _ := newSinkTaskOpts(t, env, "orders_copy", sinktask.ToleranceNone, sinkOpts{addr: px.Addr(), db: db, dbName: name})
		deliverThroughOutage(t, rng, task, px, recs, "MySQL")
		checkTarget(t, db, "orders_copy", want)
		return Figures{Duplicates: max(0, dest.applied-len(recs))}
	})
}

// TestSinkLockWaitTimeoutAndDeadlock: another connection holds a row lock
// on the target (real InnoDB lock, innodb_lock_wait_timeout=1 on the
// sink's sessions), so the sink hits error 1205; and an injected deadlock
// (1213) fails another write. Both are retried and the target ends right.
func TestSinkLockWaitTimeoutAndDeadlock(t *testing.T) {
	runMatrix(t, "sink/lock-wait-timeout-and-deadlock", runs(), func(t *testing.T, rng *rand.Rand) Figures {
		env := testenv.New(t)
		first, _ := genBatch(rng, "orders", 30, 1, 10, nil)
		// Write call 1 is the first batch, 2 the one against the held
		// lock; the deadlock hits one of the redeliveries.
		deadlockAt := 3 + rng.IntN(3)
		task, dest, db, _ := newSinkTaskOpts(t, env, "orders_copy", sinktask.ToleranceNone, sinkOpts{
			rbif: true, params: map[string]string{"innodb_lock_wait_timeout": "1"},
			fault: func(ctx context.Context, call int, _ []connect.Record) (int, error) {
				if call == deadlockAt {
					return 0, fmt.Errorf("mysql sink: upsert: %w", &gomysql.MySQLError{Number: 1213, Message: "Deadlock found when trying to get lock; try restarting transaction"})
				}
				return 0, nil
			}})
		// Create the table and rows, then lock every row from another connection.
		mustHandle(t, task, first, "first batch")
		lockTx, err := db.BeginTx(context.Background(), nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := lockTx.Exec("SELECT * FROM orders_copy FOR UPDATE"); err != nil {
			t.Fatal(err)
		}
		recs, _ := genBatch(rng, "orders", 60, 1, 10, nil)
		want := expectedOf(append(append([]*kgo.Record(nil), first...), recs...))
		resp, err := task.Handle(context.Background(), kafkaEvent(recs))
		var me *gomysql.MySQLError
		switch {
		case err != nil && errors.As(err, &me) && me.Number == 1205:
		case err == nil && len(resp.BatchItemFailures) == 1:
		default:
			t.Errorf("write against a held lock: %+v, %v; want a lock wait timeout to retry", resp, err)
		}
		if err != nil && !errclass.IsRetryable(err) {
			t.Errorf("lock wait timeout classified %v: %v", errclass.Classify(err), err)
		}
		if err := lockTx.Rollback(); err != nil {
			t.Fatal(err)
		}
		e := &esm{task: task, batch: 7 + rng.IntN(20), maxCalls: 100}
		e.deliverAll(t, recs)
		sawDeadlock := len(e.failures) > 0
		for _, err := range e.errs {
			if errors.As(err, &me) && me.Number == 1213 {
				sawDeadlock = true
				if !errclass.IsRetryable(err) {
					t.Errorf("deadlock classified %v", errclass.Classify(err))
				}
			}
		}
		if !sawDeadlock {
			t.Errorf("the injected deadlock at write %d was not reported", deadlockAt)
		}
		checkTarget(t, db, "orders_copy", want)
		return Figures{Duplicates: max(0, dest.applied-len(first)-len(recs))}
	})
}

// TestSinkReplayThreeTimes delivers the same batch three times: the target
// is identical after each delivery.
func TestSinkReplayThreeTimes(t *testing.T) {
	runMatrix(t, "sink/same-batch-three-times", runs(), func(t *testing.T, rng *rand.Rand) Figures {
		env := testenv.New(t)
		recs, want := genBatch(rng, "orders", 50+rng.IntN(200), 1+rng.IntN(4), 30, nil)
		task, dest, db, _ := newSinkTaskOpts(t, env, "orders_copy", sinktask.ToleranceNone, sinkOpts{rbif: true})
		for i := range 3 {
			mustHandle(t, task, recs, fmt.Sprintf("delivery %d", i+1))
			checkTarget(t, db, "orders_copy", want)
		}
		dups := dest.applied - len(recs)
		if dups != 2*len(recs) {
			t.Errorf("%d duplicate effects, want %d (two replays)", dups, 2*len(recs))
		}
		return Figures{Duplicates: max(0, dups)}
	})
}

// TestSinkPoisonToleranceNone puts a poison record (value not JSON) in one
// partition: the failure names its topic/partition/offset (partial batch
// response or error), every record before it and every other partition is
// written, and the other partitions keep flowing in later batches while the
// poison partition stays stuck at the poison record.
func TestSinkPoisonToleranceNone(t *testing.T) {
	runMatrix(t, "sink/poison-tolerance-none", runs(), func(t *testing.T, rng *rand.Rand) Figures {
		env := testenv.New(t)
		n := 60 + rng.IntN(100)
		poisonIdx := rng.IntN(n)
		recs, _ := genBatch(rng, "orders", n, 3, 10, map[int]bool{poisonIdx: true})
		poison := recs[poisonIdx]
		for _, rbif := range []bool{true, false} {
			t.Run(fmt.Sprintf("reportBatchItemFailures=%v", rbif), func(t *testing.T) {
				task, _, db, _ := newSinkTaskOpts(t, env, "orders_copy", sinktask.ToleranceNone, sinkOpts{rbif: rbif})
				resp, err := task.Handle(context.Background(), kafkaEvent(recs))
				where := fmt.Sprintf("%s/%d@%d", poison.Topic, poison.Partition, poison.Offset)
				if rbif {
					if err != nil {
						t.Fatalf("Handle: %v", err)
					}
					want := []events.KafkaBatchItemFailure{{ItemIdentifier: events.KafkaItemIdentifier{Topic: poison.Topic, Partition: poison.Partition, Offset: poison.Offset}}}
					if fmt.Sprint(resp.BatchItemFailures) != fmt.Sprint(want) {
						t.Errorf("batchItemFailures %+v, want exactly the poison record %s", resp.BatchItemFailures, where)
					}
				} else if err == nil || !strings.Contains(err.Error(), where) {
					t.Errorf("Handle error %v does not name the poison record %s", err, where)
				} else if !errclass.IsPermanent(err) {
					t.Errorf("poison failure classified %v", errclass.Classify(err))
				}
				// With partial batch responses, the healthy partitions and
				// the poison partition's prefix are written; keep feeding.
				if !rbif {
					return
				}
				expect := expectedExcept(recs, poison)
				checkTarget(t, db, "orders_copy", expect)
				e := &esm{task: task, batch: 20, maxCalls: 30}
				pending := e.deliver(t, recs)
				stuck := fmt.Sprintf("%s-%d", poison.Topic, poison.Partition)
				if len(pending) != 1 || pending[stuck] != poison.Offset {
					t.Errorf("pending after redeliveries %v; want only %s stuck at %d", pending, stuck, poison.Offset)
				}
				checkTarget(t, db, "orders_copy", expect)
			})
		}
		return Figures{}
	})
}

// expectedOf is the target digest after recs are applied in order
// (records without a readable id are skipped).
func expectedOf(recs []*kgo.Record) []string {
	return expectedExcept(recs, &kgo.Record{Partition: -1})
}

// expectedExcept is the target digest when every record is written except
// poison's partition from poison's offset on.
func expectedExcept(recs []*kgo.Record, poison *kgo.Record) []string {
	latest := map[int64]string{}
	for _, r := range recs {
		if r.Partition == poison.Partition && r.Offset >= poison.Offset {
			continue
		}
		id, err := payloadID(r.Value)
		if err != nil {
			continue
		}
		latest[id] = payloadV(r.Value)
	}
	out := make([]string, 0, len(latest))
	for id, v := range latest {
		out = append(out, fmt.Sprintf("%d=%s", id, v))
	}
	sort.Strings(out)
	return out
}

// TestSinkPoisonToleranceAll sends random poison records to a real
// dead-letter topic with the __connect.errors.* headers; the healthy
// records are written and none is lost.
func TestSinkPoisonToleranceAll(t *testing.T) {
	runMatrix(t, "sink/poison-tolerance-all-dlq", runs(), func(t *testing.T, rng *rand.Rand) Figures {
		env := testenv.New(t)
		dlqTopic := env.Topic(t, 1)
		rep := &dlq.Reporter{Client: env.Kafka(t), Topic: dlqTopic, Connector: "rel-sink", ContextHeaders: true, Logger: quietLogger()}
		n := 50 + rng.IntN(100)
		poison := map[int]bool{}
		for range 1 + rng.IntN(5) {
			poison[rng.IntN(n)] = true
		}
		recs, want := genBatch(rng, "orders", n, 3, 10, poison)
		task, _, db, _ := newSinkTaskOpts(t, env, "orders_copy", sinktask.ToleranceAll, sinkOpts{rbif: true, dlq: rep})
		e := &esm{task: task, batch: 10 + rng.IntN(40), maxCalls: 100}
		if pending := e.deliver(t, recs); len(pending) > 0 || len(e.errs) > 0 {
			t.Fatalf("pending %v, errors %v", pending, e.errs)
		}
		checkTarget(t, db, "orders_copy", want)
		got := consumeAll(t, env.Seeds(), dlqTopic, len(poison), 20*time.Second)
		if len(got) != len(poison) {
			t.Fatalf("%d dead letters, want %d", len(got), len(poison))
		}
		wantPos := map[string]bool{}
		for i := range poison {
			wantPos[fmt.Sprintf("%d/%d", recs[i].Partition, recs[i].Offset)] = true
		}
		for _, r := range got {
			h := map[string]string{}
			for _, x := range r.Headers {
				h[x.Key] = string(x.Value)
			}
			pos := h[dlq.HeaderPartition] + "/" + h[dlq.HeaderOffset]
			if !wantPos[pos] || h[dlq.HeaderTopic] != "orders" || h[dlq.HeaderStage] != dlq.StageValueConverter ||
				h[dlq.HeaderConnectorName] != "rel-sink" || h[dlq.HeaderExceptionMessage] == "" || h["trace"] == "" {
				t.Errorf("dead letter with headers %v: not one of the poison records %v with full context", h, wantPos)
			}
			delete(wantPos, pos)
		}
		return Figures{DeadLettered: len(got)}
	})
}

// TestSinkLargeBatch writes one batch of 10,000 records (~6 MB of values)
// and replays it: the target holds exactly the expected rows.
func TestSinkLargeBatch(t *testing.T) {
	runMatrix(t, "sink/10000-records-6MB", min(runs(), 3), func(t *testing.T, rng *rand.Rand) Figures {
		env := testenv.New(t)
		recs, want := genBatch(rng, "orders", 10_000, 4, 400, nil)
		size := 0
		for _, r := range recs {
			size += len(r.Value)
		}
		if size < 5_500_000 {
			t.Fatalf("batch is %d bytes, want ~6 MB", size)
		}
		task, dest, db, _ := newSinkTaskOpts(t, env, "orders_copy", sinktask.ToleranceNone, sinkOpts{rbif: true})
		start := time.Now()
		for i := range 2 {
			mustHandle(t, task, recs, fmt.Sprintf("delivery %d", i+1))
		}
		t.Logf("10,000 records, %d bytes, delivered twice in %s", size, time.Since(start).Round(time.Millisecond))
		checkTarget(t, db, "orders_copy", want)
		return Figures{Duplicates: max(0, dest.applied-len(recs))}
	})
}
