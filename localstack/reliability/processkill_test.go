package reliability

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/serverless-kafka-connect/slkc/connectors/mysql"
	"github.com/serverless-kafka-connect/slkc/localstack/runtime"
	"github.com/serverless-kafka-connect/slkc/shared/state"
	"github.com/serverless-kafka-connect/slkc/shared/testenv"
)

// killRows is the size of the source table at the start of a run;
// killBatch its page size (batch.max.rows).
const (
	killRows  = 3000
	killBatch = 100
	// killMaxInvokes bounds a run; after killDrainAfter invokes the run
	// switches to a function with a generous timeout so a loaded machine
	// cannot keep it from ever finishing.
	killMaxInvokes = 80
	killDrainAfter = 50
)

// TestSourceFunctionKilledByRuntime runs the real source-poller binary
// under the local Lambda runtime with per-invoke timeouts drawn at random
// (150-900 ms). The function keeps its own deadline (it stops early, or
// fails with its context), so left alone the runtime never needs to kill
// it; the test therefore stops the process (SIGSTOP) at a random moment of
// some invokes, and the runtime's timeout then kills it (SIGTERM, SIGKILL
// 1 ms later) exactly where it stood: while reading, while producing,
// between the acknowledgements and the offset write, or after it. Between
// invokes more rows are sometimes inserted. Each run goes on until an
// invoke completes normally with 0 records, then checks: every row id is
// on the topic at least once, the stored offset is the last id, the offsets
// read after every invoke never decreased, and at least one invoke was
// killed with Sandbox.Timedout (as the runtime's stats also count).
// Duplicates on the topic go to the tally.
func TestSourceFunctionKilledByRuntime(t *testing.T) {
	testenv.New(t) // skip (or fail in CI) before building when the stack is down
	bin := filepath.Join(testenv.BuildFunctions(t, "", "source-poller"), "source-poller", "bootstrap")
	scheduled, err := os.ReadFile(filepath.Join("..", "..", "events", "testdata", "scheduled.json"))
	if err != nil {
		t.Fatalf("scheduled event fixture: %v", err)
	}
	var kills, invokes int
	runMatrix(t, "source/killed-by-runtime", runs(), func(t *testing.T, rng *rand.Rand) Figures {
		k, n, dups := killedByRuntimeRun(t, rng, bin, scheduled)
		kills += k
		invokes += n
		return Figures{Duplicates: dups}
	})
	t.Logf("source/killed-by-runtime: %d invokes, %d killed by the runtime", invokes, kills)
}

// pollerResponse is the part of source-poller's response the test reads.
type pollerResponse struct {
	Connector string `json:"connector"`
	Skipped   bool   `json:"skipped"`
	Records   int    `json:"records"`
}

// killedByRuntimeRun is one run of TestSourceFunctionKilledByRuntime. It
// returns the invokes killed by the runtime, all invokes, and the duplicate
// deliveries on the topic.
func killedByRuntimeRun(t *testing.T, rng *rand.Rand, bin string, scheduled []byte) (kills, invokes, dups int) {
	env := testenv.New(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	db, dbName := env.MySQLDatabase(t)
	if _, err := db.ExecContext(ctx, "CREATE TABLE orders (id INT AUTO_INCREMENT PRIMARY KEY, v VARCHAR(64) NOT NULL)"); err != nil {
		t.Fatal(err)
	}
	rows := insertOrders(t, db, 0, killRows)

	tables := state.Tables{
		Offsets: streamedOffsetsTable(t, env),
		Leases:  env.DynamoTable(t, state.LeasesTableInput("x")),
		Status:  env.DynamoTable(t, state.StatusTableInput("x")),
	}
	prefix := testenv.UniqueName(t, "relk", 100) + "_"
	topic := prefix + "orders"
	env.DeleteTopicAtCleanup(t, topic)
	connector := "rel-kill-" + strconv.FormatUint(rng.Uint64()%1e6, 10)
	margin := 1 + rng.IntN(100)

	cfg, err := json.Marshal(map[string]any{"name": connector, "config": map[string]string{
		"connector.class":                   "io.slkc.connect.mysql.MySqlSourceConnector",
		"bootstrap.servers":                 env.Bootstrap(),
		"connection.url":                    env.MySQLDSN(dbName),
		"mode":                              "incrementing",
		"incrementing.column.name":          "id",
		"table.whitelist":                   "orders",
		"batch.max.rows":                    strconv.Itoa(killBatch),
		"topic.prefix":                      prefix,
		"topic.creation.default.partitions": "1",
		"topic.creation.default.replication.factor": "1",
		"value.converter":                "org.apache.kafka.connect.json.JsonConverter",
		"value.converter.schemas.enable": "true",
		"poll.interval.ms":               "5000",
		"aws.lambda.deadline.margin.ms":  strconv.Itoa(margin),
	}})
	if err != nil {
		t.Fatal(err)
	}
	fnEnv := map[string]string{
		"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local",
		"SLKC_OFFSETS_TABLE": tables.Offsets, "SLKC_LEASES_TABLE": tables.Leases, "SLKC_STATUS_TABLE": tables.Status,
		"SLKC_CONNECTOR_CONFIG": string(cfg),
	}
	if ep := env.DynamoEndpoint(); ep != "" {
		fnEnv["AWS_ENDPOINT_URL_DYNAMODB"] = ep
	}

	// The runtime's Timeout is per function, so the run hosts the same
	// connector as several functions, each with its own random timeout,
	// and picks one at random per invoke. Only one invoke runs at a time,
	// so they never race (the lease would skip a second one anyway).
	var specs []runtime.FunctionSpec
	for i := range 6 {
		specs = append(specs, runtime.FunctionSpec{Name: fmt.Sprintf("src-%d", i), Bootstrap: bin, Env: fnEnv,
			Timeout: time.Duration(150+rng.IntN(751)) * time.Millisecond, InitTimeout: 30 * time.Second})
	}
	drain := runtime.FunctionSpec{Name: "src-drain", Bootstrap: bin, Env: fnEnv, Timeout: 30 * time.Second, InitTimeout: 30 * time.Second}
	runner, err := runtime.New(append(specs, drain)...)
	if err != nil {
		t.Fatal(err)
	}
	watch := &startWatch{out: io.Discard, started: make(chan struct{}, 16)}
	if os.Getenv("SLKC_RELIABILITY_LOGS") != "" {
		watch.out = &tWriter{t: t}
	}
	runner.Output = watch
	runner.KillGrace = time.Millisecond
	if err := runner.Start(ctx, "127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = runner.Close() })
	timeouts := make([]string, len(specs))
	for i, s := range specs {
		timeouts[i] = s.Timeout.String()
	}
	t.Logf("timeouts %v, deadline margin %d ms, connector %s", timeouts, margin, connector)

	store := state.NewOffsetStore(env.Dynamo(t), tables.Offsets)
	partition := mysql.TablePartition(dbName, "orders")
	offsets := &offsetLog{}
	var otherErrors []string
	frozen := 0
	done := false
	for invokes < killMaxInvokes && !done {
		if invokes > 0 && invokes < killDrainAfter/2 && rng.IntN(4) == 0 {
			rows = insertOrders(t, db, rows, 1+rng.IntN(2*killBatch))
		}
		spec := specs[rng.IntN(len(specs))]
		if invokes >= killDrainAfter {
			spec = drain
		}
		// Until the first kill every invoke is frozen early in its run
		// (the first quarter of its timeout), so every run proves the
		// fault; after that half the invokes are, anywhere in the timeout.
		freezeAt := time.Duration(-1)
		switch {
		case spec.Name == drain.Name:
		case kills == 0:
			freezeAt = time.Duration(rng.Int64N(int64(spec.Timeout / 4)))
		case rng.IntN(2) == 0:
			freezeAt = time.Duration(rng.Int64N(int64(spec.Timeout)))
		}
		res, froze, err := invokeFreezing(ctx, runner, watch, spec.Name, scheduled, freezeAt)
		if err != nil {
			t.Fatalf("invoke %d (%s): %v", invokes+1, spec.Name, err)
		}
		invokes++
		if froze && res.ErrorType == "Sandbox.Timedout" {
			frozen++
		}
		switch {
		case res.ErrorType == "Sandbox.Timedout":
			kills++
		case res.FunctionError != "":
			// A run may fail on its own close to the deadline (its context
			// ends mid-produce); that is allowed, as long as the invariants
			// below hold.
			otherErrors = append(otherErrors, res.ErrorType+": "+string(res.Payload))
		default:
			var resp pollerResponse
			if err := json.Unmarshal(res.Payload, &resp); err != nil {
				t.Fatalf("invoke %d response %s: %v", invokes, res.Payload, err)
			}
			if resp.Connector != connector {
				t.Fatalf("invoke %d ran connector %q, want %q", invokes, resp.Connector, connector)
			}
			done = !resp.Skipped && resp.Records == 0
			if done && kills == 0 && invokes < killDrainAfter {
				// Nothing was killed yet: give the next invoke work to be
				// killed in.
				done = false
				rows = insertOrders(t, db, rows, killBatch+rng.IntN(2*killBatch))
			}
		}
		off, err := store.Get(ctx, connector, partition)
		if err != nil {
			t.Fatal(err)
		}
		if off.Position != nil {
			offsets.add(off.Position)
		}
	}
	t.Logf("%d invokes: %d killed by the runtime (%d of them frozen first), %d failed otherwise, %d rows", invokes, kills, frozen, len(otherErrors), rows)
	if len(otherErrors) > 0 {
		t.Logf("other failures: %s", strings.Join(otherErrors, "; "))
	}
	if !done {
		t.Fatalf("no invoke completed with 0 records in %d invokes", invokes)
	}
	if kills == 0 {
		t.Errorf("no invoke was killed by the runtime: the fault never happened")
	}
	statTimeouts := 0
	for _, s := range append(specs, drain) {
		st, _ := runner.Stats(s.Name)
		statTimeouts += st.Timeouts
	}
	if statTimeouts != kills {
		t.Errorf("runtime stats count %d timeouts, the invokes saw %d", statTimeouts, kills)
	}
	offsets.checkMonotonic(t)
	// Every version the killed and the surviving processes wrote, read back
	// from the table's stream: one step at a time, never backwards.
	if n, err := checkOffsetHistory(offsetHistory(t, env, tables.Offsets), mysql.ModeIncrementing); err != nil {
		t.Error(err)
	} else if n == 0 {
		t.Error("no offset version was written")
	}

	off, err := store.Get(ctx, connector, partition)
	if err != nil {
		t.Fatal(err)
	}
	pos, err := mysql.ParsePosition(off.Position)
	if err != nil || pos.Incrementing == nil {
		t.Fatalf("stored offset %s: want an incrementing offset (%v)", off.Position, err)
	}
	if *pos.Incrementing != int64(rows) {
		t.Errorf("stored offset %d, want the max id %d", *pos.Incrementing, rows)
	}

	recs := consumeAll(t, env.Seeds(), topic, rows, 30*time.Second)
	dups = checkDelivered(t, recs, rows)
	t.Logf("%d records on %s for %d rows: %d duplicates", len(recs), topic, rows, dups)
	return kills, invokes, dups
}

// insertOrders appends n rows to orders, whose ids are have+1..have+n, and
// returns have+n.
func insertOrders(t *testing.T, db *sql.DB, have, n int) int {
	t.Helper()
	vals := make([]string, n)
	args := make([]any, n)
	for i := range vals {
		vals[i] = "(?)"
		args[i] = fmt.Sprintf("row-%d", have+i+1)
	}
	if _, err := db.Exec("INSERT INTO orders (v) VALUES "+strings.Join(vals, ","), args...); err != nil {
		t.Fatalf("insert %d rows: %v", n, err)
	}
	return have + n
}

// tWriter sends the runner's output (function logs, START/END/REPORT) to
// t.Log when SLKC_RELIABILITY_LOGS is set.
type tWriter struct {
	mu sync.Mutex
	t  *testing.T
}

func (w *tWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// startWatch is the runner's output: it passes every line on to out and
// signals started when the runtime hands an event to a process (its START
// line), the moment the invoke's timeout starts to run.
type startWatch struct {
	out     io.Writer
	started chan struct{}
}

func (w *startWatch) Write(p []byte) (int, error) {
	if strings.Contains(string(p), "] START RequestId: ") {
		select {
		case w.started <- struct{}{}:
		default:
		}
	}
	return w.out.Write(p)
}

// invokeFreezing invokes function name; when freezeAt >= 0 it stops the
// function's process with SIGSTOP freezeAt after the runtime handed it the
// event. A stopped process does nothing more (it cannot even see its own
// deadline coming), so the runtime's timeout kills it exactly where it
// stood: the state left behind is that of a SIGKILL at a random point of
// the run. froze reports whether the process was stopped; one stopped
// after it had already answered is continued again.
func invokeFreezing(ctx context.Context, r *runtime.Runner, w *startWatch, name string, payload []byte, freezeAt time.Duration) (res runtime.Result, froze bool, err error) {
	for len(w.started) > 0 {
		<-w.started
	}
	type outcome struct {
		res runtime.Result
		err error
	}
	done := make(chan outcome, 1)
	go func() {
		res, err := r.Invoke(ctx, name, payload)
		done <- outcome{res, err}
	}()
	if freezeAt < 0 {
		o := <-done
		return o.res, false, o.err
	}
	select {
	case <-w.started:
	case o := <-done:
		return o.res, false, o.err
	}
	pid := 0
	select {
	case <-time.After(freezeAt):
		if pid = functionPID(name); pid > 0 && syscall.Kill(pid, syscall.SIGSTOP) != nil {
			pid = 0
		}
	case o := <-done:
		return o.res, false, o.err
	}
	o := <-done
	if pid > 0 && o.res.ErrorType != "Sandbox.Timedout" {
		_ = syscall.Kill(pid, syscall.SIGCONT)
	}
	return o.res, pid > 0, o.err
}

// functionPID finds the live process of function name among this test
// process's children (the runtime sets AWS_LAMBDA_FUNCTION_NAME), or 0.
func functionPID(name string) int {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return 0
	}
	want := "\x00AWS_LAMBDA_FUNCTION_NAME=" + name + "\x00"
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// Fields after the command name: state, ppid, ...
		f := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
		if len(f) < 2 || f[1] != strconv.Itoa(os.Getpid()) || f[0] == "Z" {
			continue
		}
		env, err := os.ReadFile(filepath.Join("/proc", e.Name(), "environ"))
		if err == nil && strings.Contains("\x00"+string(env), want) {
			return pid
		}
	}
	return 0
}
