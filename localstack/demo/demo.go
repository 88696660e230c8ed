// Package demo runs the project's end-to-end demonstration (`make demo`):
// it seeds a MySQL orders table, starts the pipeline of connectors/pipeline
// through the local runner (slkc-local run, hosting the real bootstrap
// binaries as child processes), shows the rows moving from MySQL through
// Kafka into a MySQL replica and a DynamoDB table, applies later updates
// and inserts while timing their arrival, and ends with a summary (rows at
// each stage, consumer lag, latency percentiles, source offsets and
// connector status read from DynamoDB) and a row-by-row verification of
// both sinks against the source.
//
// Call order: LoadPipeline (names), then Run, which prepares (cleans the
// previous run's topics, groups, state rows and tables; seeds), starts the
// runner, waits for convergence and always stops the runner before
// returning. Every wait is bounded by Config.Timeout.
package demo

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/serverless-kafka-connect/slkc/localstack/runtime"
	"github.com/serverless-kafka-connect/slkc/shared/config"
	slkckafka "github.com/serverless-kafka-connect/slkc/shared/kafka"
	"github.com/serverless-kafka-connect/slkc/shared/state"
)

// Config is the demo's input. Zero values get the defaults documented on
// each field (see Defaults).
type Config struct {
	// PipelineDir holds the connector JSON files (default connectors/pipeline).
	PipelineDir string
	// BuildDir holds source-poller/bootstrap and sink-handler/bootstrap (default build).
	BuildDir string
	// RunnerBinary is the slkc-local executable (default build/bin/slkc-local).
	RunnerBinary string
	// WorkDir receives the env file and runner.log (default build/demo).
	WorkDir string
	// Env is given to the functions (through the runner's -env-file) and
	// resolves ${env:...} in the pipeline files; the process environment
	// is the fallback for resolution.
	Env map[string]string
	// Secrets are served to the functions by the runner's local Secrets
	// Manager (-secrets-file) and resolve ${secretsmanager:...} in the
	// pipeline files: secret name to secret string.
	Secrets map[string]string
	// MySQL is the demo's own connection to the server (any default
	// database; parseTime=true). Dynamo and Kafka are its other clients.
	MySQL  *sql.DB
	Dynamo *dynamodb.Client
	Kafka  *kgo.Client
	// Tables are the state tables (also passed to the functions).
	Tables state.Tables
	// Rows seeded (default 5000); Rounds of later changes (default 10),
	// each UpdatesPerRound updates (default 40) and InsertsPerRound
	// inserts (default 10), committed one at a time, evenly spread over
	// RoundEvery (default 1 s).
	Rows, Rounds, UpdatesPerRound, InsertsPerRound int
	RoundEvery                                     time.Duration
	// Timeout bounds each wait for the sinks to converge (default 3 min).
	Timeout time.Duration
	// Seed makes the generated data repeatable (default 1).
	Seed uint64
	// Out receives the progress lines and the summary (default os.Stdout).
	Out io.Writer
	// ProgressEvery is the progress line interval (default 1 s).
	ProgressEvery time.Duration
}

// Defaults fills the zero fields of c.
func (c *Config) Defaults() {
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	def(&c.PipelineDir, "connectors/pipeline")
	def(&c.BuildDir, "build")
	def(&c.RunnerBinary, filepath.Join("build", "bin", "slkc-local"))
	def(&c.WorkDir, filepath.Join("build", "demo"))
	defInt := func(n *int, v int) {
		if *n == 0 {
			*n = v
		}
	}
	defInt(&c.Rows, 5000)
	defInt(&c.Rounds, 10)
	defInt(&c.UpdatesPerRound, 40)
	defInt(&c.InsertsPerRound, 10)
	if c.RoundEvery == 0 {
		c.RoundEvery = time.Second
	}
	if c.Timeout == 0 {
		c.Timeout = 3 * time.Minute
	}
	if c.Seed == 0 {
		c.Seed = 1
	}
	if c.Out == nil {
		c.Out = os.Stdout
	}
	if c.ProgressEvery == 0 {
		c.ProgressEvery = time.Second
	}
	if c.Tables == (state.Tables{}) {
		c.Tables = state.Tables{Offsets: state.DefaultOffsetsTable, Leases: state.DefaultLeasesTable, Status: state.DefaultStatusTable}
	}
}

// providers resolves the pipeline's references the way the functions
// will: Env (then the process environment) and Secrets.
func (c *Config) providers() config.Providers {
	return config.Providers{
		LookupEnv: func(k string) (string, bool) {
			if v, ok := c.Env[k]; ok {
				return v, true
			}
			return os.LookupEnv(k)
		},
		Secrets: runtime.NewSecrets(c.Secrets),
	}
}

// ErrMismatch is returned (wrapped) by Run when a sink does not match the
// source after convergence; the summary lists the differences.
var ErrMismatch = errors.New("the sinks do not match the source")

// Run executes the demo. It returns the summary (also rendered to Out)
// and nil only when both sinks match the source row by row. The runner is
// stopped (SIGTERM) before Run returns, whatever happens.
func Run(ctx context.Context, c Config) (Summary, error) {
	c.Defaults()
	sum := Summary{}
	start := time.Now()
	phase := func(name string, since time.Time) { sum.Phases = append(sum.Phases, Phase{name, time.Since(since)}) }
	// mu guards the counters of sum written by the mutation goroutine and
	// serializes writes to c.Out.
	var mu sync.Mutex
	out := c.Out
	c.Out = writerFunc(func(b []byte) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		return out.Write(b)
	})
	say := func(format string, args ...any) {
		fmt.Fprintf(c.Out, "[%5.1fs] "+format+"\n", append([]any{time.Since(start).Seconds()}, args...)...)
	}

	p, err := LoadPipeline(ctx, c.PipelineDir, c.providers())
	if err != nil {
		return sum, err
	}
	sum.Pipeline, sum.PollIntervalMs = p, p.Source.PollIntervalMs
	sum.Seeded = c.Rows
	say("pipeline %s: %s (%s) -> topic %s -> %s (MySQL %s.%s), %s (DynamoDB %s)", c.PipelineDir,
		p.Source.Connector, p.Source.Database+"."+p.Source.Table, p.Source.Topic,
		p.MySQLSink.Connector, p.MySQLSink.Database, p.MySQLSink.Table, p.DynamoSink.Connector, p.DynamoSink.Table)

	t := time.Now()
	admin := kadm.NewClient(c.Kafka)
	if err := Clean(ctx, p, c.MySQL, c.Dynamo, admin, c.Tables); err != nil {
		return sum, err
	}
	if err := state.CreateTables(ctx, c.Dynamo, c.Tables); err != nil {
		return sum, fmt.Errorf("demo: state tables: %w", err)
	}
	if err := CreateOrdersTable(ctx, c.Dynamo, p.DynamoSink.Table); err != nil {
		return sum, err
	}
	say("cleaned the previous run; state tables %s, %s, %s and DynamoDB table %s ready", c.Tables.Offsets, c.Tables.Leases, c.Tables.Status, p.DynamoSink.Table)
	if err := Seed(ctx, c.MySQL, p.Source.Database, p.Source.Table, c.Rows, c.Seed); err != nil {
		return sum, err
	}
	say("seeded %s.%s with %d rows", p.Source.Database, p.Source.Table, c.Rows)
	phase("prepare (clean, tables, seed)", t)

	t = time.Now()
	runner, logPath, stopRunner, err := startRunner(ctx, c, say)
	if err != nil {
		return sum, err
	}
	defer stopRunner()

	probe := &Probe{Pipeline: p, MySQL: c.MySQL, Dynamo: c.Dynamo, Admin: admin}
	w := &watcher{probe: probe, runner: runner, out: c.Out, every: c.ProgressEvery, start: start, timeout: c.Timeout, logPath: logPath}
	if _, err := w.until(ctx, "initial load", func(s Snapshot) bool { return converged(s, int64(c.Rows)) }); err != nil {
		return sum, err
	}
	say("initial load converged: %d rows in both sinks", c.Rows)
	phase("initial load (source -> Kafka -> sinks)", t)

	t = time.Now()
	mysqlTracker := NewTracker(p.MySQLSink.Connector, MySQLLookup(c.MySQL, p.MySQLSink.Database, p.MySQLSink.Table), 100*time.Millisecond)
	ddbTracker := NewTracker(p.DynamoSink.Connector, DynamoLookup(c.Dynamo, p.DynamoSink.Table), 100*time.Millisecond)
	tctx, stopTrackers := context.WithCancel(ctx)
	defer stopTrackers()
	go mysqlTracker.Run(tctx)
	go ddbTracker.Run(tctx)
	mut, err := NewMutator(c.MySQL, p.Source.Database, p.Source.Table, int64(c.Rows), c.Seed)
	if err != nil {
		return sum, err
	}
	// The changes are committed in the background so the progress line
	// keeps coming once a second while they happen.
	var mutErr error
	var mutDone sync.WaitGroup
	mctx, stopWaiting := context.WithCancel(ctx)
	defer stopWaiting()
	mutDone.Add(1)
	go func() {
		defer mutDone.Done()
		gap := c.RoundEvery / time.Duration(max(1, c.UpdatesPerRound+c.InsertsPerRound))
		for r := range c.Rounds {
			changes, err := mut.Round(ctx, c.UpdatesPerRound, c.InsertsPerRound, gap)
			mysqlTracker.Add(changes...)
			ddbTracker.Add(changes...)
			var ups, ins int
			for _, ch := range changes {
				if ch.Insert {
					ins++
				} else {
					ups++
				}
			}
			mu.Lock()
			sum.Updates += ups
			sum.Inserts += ins
			mu.Unlock()
			if err != nil {
				mutErr = err
				stopWaiting()
				return
			}
			say("round %d/%d: committed %d updates (amount, status) and %d inserts, one every %s", r+1, c.Rounds, ups, ins, gap)
		}
	}()
	mutationsDone := func() bool {
		mu.Lock()
		defer mu.Unlock()
		return sum.Updates+sum.Inserts == c.Rounds*(c.UpdatesPerRound+c.InsertsPerRound)
	}
	_, err = w.until(mctx, "later changes", func(s Snapshot) bool {
		if !mutationsDone() {
			return false
		}
		mu.Lock()
		want := int64(c.Rows + sum.Inserts)
		mu.Unlock()
		return converged(s, want) && mysqlTracker.Pending() == 0 && ddbTracker.Pending() == 0
	})
	if err != nil {
		stopTrackers()
		mutDone.Wait()
		if mutErr != nil {
			return sum, mutErr
		}
		return sum, fmt.Errorf("%w (changes not seen yet: %s %d, %s %d)", err,
			mysqlTracker.Sink, mysqlTracker.Pending(), ddbTracker.Sink, ddbTracker.Pending())
	}
	mutDone.Wait()
	stopTrackers()
	sum.Latency = map[string]Percentiles{
		mysqlTracker.Sink: ComputePercentiles(mysqlTracker.Samples()),
		ddbTracker.Sink:   ComputePercentiles(ddbTracker.Samples()),
	}
	phase("later changes (updates + inserts)", t)

	t = time.Now()
	if sum.Final, err = probe.Snapshot(ctx); err != nil {
		return sum, err
	}
	sum.Final.Elapsed = time.Since(start)
	if err := verify(ctx, &sum, c, p); err != nil {
		return sum, err
	}
	if err := readState(ctx, &sum, c, p); err != nil {
		return sum, err
	}
	phase("verify and read state", t)
	if err := sum.Render(c.Out); err != nil {
		return sum, err
	}
	if !sum.OK() {
		return sum, fmt.Errorf("demo: %w", ErrMismatch)
	}
	return sum, nil
}

// startRunner writes the functions' environment (the state tables and
// c.Env) and secrets files into c.WorkDir and starts the runner on
// c.PipelineDir, its output and the functions' in c.WorkDir/runner.log,
// and says where it listens. The caller defers stop, which stops the
// runner (saying any error) and then closes the log.
func startRunner(ctx context.Context, c Config, say func(format string, args ...any)) (r *Runner, logPath string, stop func(), err error) {
	if err := os.MkdirAll(c.WorkDir, 0o755); err != nil {
		return nil, "", nil, fmt.Errorf("demo: work dir: %w", err)
	}
	env := map[string]string{
		"SLKC_OFFSETS_TABLE": c.Tables.Offsets,
		"SLKC_LEASES_TABLE":  c.Tables.Leases,
		"SLKC_STATUS_TABLE":  c.Tables.Status,
	}
	for k, v := range c.Env {
		env[k] = v
	}
	envFile := filepath.Join(c.WorkDir, "demo.env")
	if err := WriteEnvFile(envFile, env); err != nil {
		return nil, "", nil, err
	}
	secretsFile := filepath.Join(c.WorkDir, "secrets.json")
	if err := WriteSecretsFile(secretsFile, c.Secrets); err != nil {
		return nil, "", nil, err
	}
	logPath = filepath.Join(c.WorkDir, "runner.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, "", nil, fmt.Errorf("demo: runner log: %w", err)
	}
	r, err = StartRunner(ctx, RunnerOptions{Binary: c.RunnerBinary, PipelineDir: c.PipelineDir, BuildDir: c.BuildDir, EnvFile: envFile, SecretsFile: secretsFile, Log: logFile})
	if err != nil {
		_ = logFile.Close()
		return nil, "", nil, fmt.Errorf("%w\nlast lines of %s:\n%s", err, logPath, tailFile(logPath, 15))
	}
	say("runner %s listening on %s (functions' logs: %s)", c.RunnerBinary, r.Addr, logPath)
	stop = func() {
		if err := r.Stop(20 * time.Second); err != nil {
			say("%v", err)
		}
		_ = logFile.Close()
	}
	return r, logPath, stop, nil
}

// converged: every stage holds want rows and no sink lags.
func converged(s Snapshot, want int64) bool {
	if s.SourceRows != want || s.ReplicaRows != want || s.DynamoItems != want || s.TopicRecords < want {
		return false
	}
	for _, l := range s.Lag {
		if l != 0 {
			return false
		}
	}
	return len(s.Lag) > 0
}

func sleep(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}

// watcher prints progress lines until a condition holds.
type watcher struct {
	probe   *Probe
	runner  *Runner
	out     io.Writer
	every   time.Duration
	start   time.Time
	timeout time.Duration
	logPath string
}

func (w *watcher) until(ctx context.Context, what string, done func(Snapshot) bool) (Snapshot, error) {
	deadline := time.Now().Add(w.timeout)
	var last Snapshot
	for {
		s, err := w.probe.Snapshot(ctx)
		s.Elapsed = time.Since(w.start)
		last = s
		line := s.Line(w.probe.Pipeline)
		if err != nil {
			line += " (probe: " + err.Error() + ")"
		}
		fmt.Fprintln(w.out, line)
		if err == nil && done(s) {
			return s, nil
		}
		select {
		case <-ctx.Done():
			return last, fmt.Errorf("demo: %s: %w", what, ctx.Err())
		case <-w.runner.Done():
			return last, fmt.Errorf("demo: %s: the runner exited (%v); last lines of %s:\n%s", what, w.runner.Err(), w.logPath, tailFile(w.logPath, 15))
		case <-time.After(w.every):
		}
		if time.Now().After(deadline) {
			return last, fmt.Errorf("demo: %s: the sinks did not converge within %s; last state: %s; see %s",
				what, w.timeout, last.Line(w.probe.Pipeline), w.logPath)
		}
	}
}

// verify compares both sinks with the source.
func verify(ctx context.Context, sum *Summary, c Config, p Pipeline) error {
	src, err := ReadMySQL(ctx, c.MySQL, p.Source.Database, p.Source.Table)
	if err != nil {
		return err
	}
	replica, err := ReadMySQL(ctx, c.MySQL, p.MySQLSink.Database, p.MySQLSink.Table)
	if err != nil {
		return err
	}
	items, err := ReadDynamo(ctx, c.Dynamo, p.DynamoSink.Table)
	if err != nil {
		return err
	}
	sum.Mismatches = map[string][]Mismatch{
		p.MySQLSink.Connector:  Compare(src, replica),
		p.DynamoSink.Connector: Compare(src, items),
	}
	sum.Verified = []string{p.MySQLSink.Connector, p.DynamoSink.Connector}
	return nil
}

// readState reads the source offsets and every connector's status.
func readState(ctx context.Context, sum *Summary, c Config, p Pipeline) error {
	offsets, err := state.NewOffsetStore(c.Dynamo, c.Tables.Offsets).List(ctx, p.Source.Connector)
	if err != nil {
		return err
	}
	sum.Offsets = offsets.Connect()
	ss := state.NewStatusStore(c.Dynamo, c.Tables.Status)
	for _, name := range p.Connectors {
		st, err := ss.ConnectStatus(ctx, name)
		if err != nil {
			return err
		}
		sum.Status = append(sum.Status, st)
	}
	return nil
}

// CreateOrdersTable creates the DynamoDB sink's table (hash key "id", a
// number: the record key's id field) unless it exists, and waits until it
// is active.
func CreateOrdersTable(ctx context.Context, api *dynamodb.Client, table string) error {
	_, err := api.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String(table),
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("id"), AttributeType: types.ScalarAttributeTypeN}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("id"), KeyType: types.KeyTypeHash}},
		BillingMode:          types.BillingModePayPerRequest,
	})
	var inUse *types.ResourceInUseException
	if err != nil && !errors.As(err, &inUse) {
		return fmt.Errorf("demo: create DynamoDB table %s: %w", table, err)
	}
	if err := dynamodb.NewTableExistsWaiter(api).Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)}, time.Minute); err != nil {
		return fmt.Errorf("demo: wait for DynamoDB table %s: %w", table, err)
	}
	return nil
}

// Clean removes what a previous run left, so every run starts from zero:
// the topic and dead-letter topics (waiting until Kafka forgot them), the
// sinks' consumer groups, the connectors' offsets, leases and status
// items, the DynamoDB sink table and the MySQL database (Seed recreates
// it). Things that do not exist are fine.
func Clean(ctx context.Context, p Pipeline, db *sql.DB, ddb *dynamodb.Client, admin *kadm.Client, t state.Tables) error {
	topics := []string{p.Source.Topic}
	for _, s := range p.SinkConfigs {
		if s.DLQTopic != "" {
			topics = append(topics, s.DLQTopic)
		}
	}
	groups := make([]string, 0, len(p.SinkConfigs))
	for _, s := range p.SinkConfigs {
		groups = append(groups, s.Group)
	}
	if err := deleteGroups(ctx, admin, groups); err != nil {
		return err
	}
	if err := deleteTopics(ctx, admin, topics); err != nil {
		return err
	}
	if err := cleanState(ctx, ddb, t, p.Connectors); err != nil {
		return err
	}
	_, err := ddb.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String(p.DynamoSink.Table)})
	var nf *types.ResourceNotFoundException
	if err != nil && !errors.As(err, &nf) {
		return fmt.Errorf("demo: delete DynamoDB table %s: %w", p.DynamoSink.Table, err)
	}
	if err == nil {
		if err := dynamodb.NewTableNotExistsWaiter(ddb).Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(p.DynamoSink.Table)}, time.Minute); err != nil {
			return fmt.Errorf("demo: wait for deletion of DynamoDB table %s: %w", p.DynamoSink.Table, err)
		}
	}
	return nil
}

// kafkaAttempts bounds the retries of admin requests that a freshly started
// broker answers with a retriable code (COORDINATOR_NOT_AVAILABLE while
// __consumer_offsets is being created); about 20 s with kafka.Retry's backoff,
// on top of the client's own retries. A variable so tests can shorten it.
var kafkaAttempts = 15

// deleteGroups deletes the sinks' consumer groups; a group that does not
// exist is fine, retriable errors are retried (bounded), and any other error
// names the group.
func deleteGroups(ctx context.Context, admin *kadm.Client, groups []string) error {
	return slkckafka.Retry(ctx, kafkaAttempts, func(ctx context.Context) error {
		res, err := admin.DeleteGroups(ctx, groups...)
		if err != nil {
			return fmt.Errorf("demo: delete consumer groups %v: %w", groups, err)
		}
		for _, r := range res {
			if r.Err != nil && !errors.Is(r.Err, kerr.GroupIDNotFound) {
				return fmt.Errorf("demo: delete consumer group %s: %w (is a runner from another run still consuming?)", r.Group, r.Err)
			}
		}
		return nil
	})
}

func deleteTopics(ctx context.Context, admin *kadm.Client, topics []string) error {
	err := slkckafka.Retry(ctx, kafkaAttempts, func(ctx context.Context) error {
		res, err := admin.DeleteTopics(ctx, topics...)
		if err != nil {
			return fmt.Errorf("demo: delete topics %v: %w", topics, err)
		}
		for _, r := range res {
			if r.Err != nil && !errors.Is(r.Err, kerr.UnknownTopicOrPartition) {
				return fmt.Errorf("demo: delete topic %s: %w", r.Topic, r.Err)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	// Deletion is asynchronous; the source must not recreate a topic Kafka
	// is still removing.
	deadline := time.Now().Add(30 * time.Second)
	for {
		listed, err := admin.ListTopics(ctx, topics...)
		if err != nil {
			return fmt.Errorf("demo: list topics %v: %w", topics, err)
		}
		left := 0
		for _, d := range listed {
			if d.Err == nil {
				left++
			}
		}
		if left == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("demo: topics %v still exist 30s after deletion", topics)
		}
		if err := sleep(ctx, 200*time.Millisecond); err != nil {
			return err
		}
	}
}

// cleanState deletes every offsets, leases and status item of connectors.
func cleanState(ctx context.Context, ddb *dynamodb.Client, t state.Tables, connectors []string) error {
	for _, c := range connectors {
		for _, tbl := range []struct{ name, sk string }{{t.Offsets, "partition"}, {t.Status, "task"}, {t.Leases, ""}} {
			if err := deleteConnectorItems(ctx, ddb, tbl.name, tbl.sk, c); err != nil {
				return err
			}
		}
	}
	return nil
}

func deleteConnectorItems(ctx context.Context, ddb *dynamodb.Client, table, sortKey, connector string) error {
	key := func(item map[string]types.AttributeValue) map[string]types.AttributeValue {
		k := map[string]types.AttributeValue{"connector": &types.AttributeValueMemberS{Value: connector}}
		if sortKey != "" {
			k[sortKey] = item[sortKey]
		}
		return k
	}
	var items []map[string]types.AttributeValue
	if sortKey == "" {
		items = []map[string]types.AttributeValue{{}}
	} else {
		var start map[string]types.AttributeValue
		for {
			res, err := ddb.Query(ctx, &dynamodb.QueryInput{
				TableName:                 aws.String(table),
				KeyConditionExpression:    aws.String("#c = :c"),
				ExpressionAttributeNames:  map[string]string{"#c": "connector"},
				ExpressionAttributeValues: map[string]types.AttributeValue{":c": &types.AttributeValueMemberS{Value: connector}},
				ExclusiveStartKey:         start,
			})
			var nf *types.ResourceNotFoundException
			if errors.As(err, &nf) {
				return nil
			}
			if err != nil {
				return fmt.Errorf("demo: list items of connector %s in %s: %w", connector, table, err)
			}
			items = append(items, res.Items...)
			if len(res.LastEvaluatedKey) == 0 {
				break
			}
			start = res.LastEvaluatedKey
		}
	}
	for _, it := range items {
		_, err := ddb.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(table), Key: key(it)})
		var nf *types.ResourceNotFoundException
		if errors.As(err, &nf) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("demo: delete state item of connector %s in %s: %w", connector, table, err)
		}
	}
	return nil
}

// tailFile returns the last n lines of a file (for error messages; a read
// error is returned as the text).
func tailFile(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(b []byte) (int, error) { return f(b) }
