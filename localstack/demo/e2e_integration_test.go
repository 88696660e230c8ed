package demo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/twmb/franz-go/pkg/kadm"

	"github.com/serverless-kafka-connect/slkc/shared/config"
	"github.com/serverless-kafka-connect/slkc/shared/state"
	"github.com/serverless-kafka-connect/slkc/shared/testenv"
)

const repoRoot = "../.."

// binaries builds this checkout's function binaries (dir/<fn>/bootstrap,
// the layout slkc-local's -build reads) and slkc-local itself, so the test
// never runs stale binaries from an earlier make.
func binaries(t *testing.T) (buildDir, runner string) {
	t.Helper()
	buildDir = testenv.BuildFunctions(t, "", "source-poller", "sink-handler")
	return buildDir, testenv.BuildCommand(t, filepath.Join(buildDir, "bin"), "./localstack/cmd/slkc-local")
}

// isolatedPipeline copies connectors/<folder> into a temporary folder,
// renaming the connectors (hence consumer groups and state keys), topics
// and the DynamoDB table with suffix so the test shares nothing with
// `make demo` or other tests.
func isolatedPipeline(t *testing.T, folder, suffix string) string {
	t.Helper()
	src := filepath.Join(repoRoot, "connectors", folder)
	paths, err := filepath.Glob(filepath.Join(src, "*.json"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("pipeline files in %s: %v", src, err)
	}
	dir := t.TempDir()
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if filepath.Base(p) == config.WorkerFileName { // shared settings, no names to isolate
			if err := os.WriteFile(filepath.Join(dir, filepath.Base(p)), b, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		var f struct {
			Name   string            `json:"name"`
			Config map[string]string `json:"config"`
		}
		if err := json.Unmarshal(b, &f); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		f.Name += "-" + suffix
		for k, v := range f.Config {
			switch k {
			case "topic.prefix", "topics", "errors.deadletterqueue.topic.name":
				f.Config[k] = "e2e-" + suffix + "-" + v
			case "database.server.id": // one replica id per test run
				f.Config[k] = fmt.Sprint(2_000_000 + time.Now().UnixNano()%1_000_000)
			case "table.name.format":
				if !strings.Contains(v, "replica") {
					f.Config[k] = "e2e-" + suffix + "-" + v
				}
			}
		}
		out, err := json.MarshalIndent(f, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(p)), out, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

type logWriter struct{ t *testing.T }

func (w logWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// TestEndToEndThroughTheRunner runs the demo's whole flow on isolated
// names: seed MySQL, run the pipeline through slkc-local (real bootstrap
// binaries, scheduled source, Kafka-triggered sinks), insert and update
// rows, and require both sinks to converge to the source row by row.
func TestEndToEndThroughTheRunner(t *testing.T) {
	c, p := e2eSetup(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	c.Rows, c.Rounds, c.UpdatesPerRound, c.InsertsPerRound, c.RoundEvery = 300, 3, 10, 5, time.Second
	sum, err := Run(ctx, c)
	if err != nil {
		t.Fatalf("demo run: %v", err)
	}
	if !sum.OK() || sum.Final.SourceRows != 315 || sum.Final.ReplicaRows != 315 || sum.Final.DynamoItems != 315 {
		t.Errorf("final state %+v, ok %v; want 315 rows everywhere", sum.Final, sum.OK())
	}
	if sum.Final.TopicRecords < 300+30+15 {
		t.Errorf("topic holds %d records, want at least %d (every version)", sum.Final.TopicRecords, 345)
	}
	if len(sum.Latency) != 2 {
		t.Errorf("latency for %d sinks, want 2 (%s)", len(sum.Latency), p.Source.Topic)
	}
	for name, l := range sum.Latency {
		if l.N != 45 {
			t.Errorf("%s: %d latency samples, want 45 (one per change)", name, l.N)
		}
	}
	if len(sum.Offsets.Offsets) != 1 || !strings.Contains(string(sum.Offsets.Offsets[0].Offset), `"incrementing":315`) {
		t.Errorf("source offsets %+v, want incrementing 315", sum.Offsets)
	}
	for _, st := range sum.Status {
		if st.Connector.State != state.StateRunning {
			t.Errorf("connector %s is %s, want RUNNING", st.Name, st.Connector.State)
		}
	}
}

// e2eSetup gives a test the demo's configuration on isolated names: its
// own database, topics, consumer groups, state tables and DynamoDB table,
// all removed at the end.
func e2eSetup(t *testing.T) (Config, Pipeline) {
	t.Helper()
	return e2eSetupFrom(t, "pipeline", nil)
}

// e2eSetupFrom is e2eSetup for the pipeline in connectors/<folder>, with
// extra environment for the functions.
func e2eSetupFrom(t *testing.T, folder string, extraEnv map[string]string) (Config, Pipeline) {
	t.Helper()
	c := e2eConfig(t, folder, extraEnv)
	p, err := LoadPipeline(context.Background(), c.PipelineDir, c.providers())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cleanupKafkaAndTable(testenv.New(t), t, p, c.Dynamo) })
	return c, p
}

// e2eConfig is the demo's Config for the pipeline in connectors/<folder>
// on isolated names (see e2eSetup), with extra environment for the
// functions.
func e2eConfig(t *testing.T, folder string, extraEnv map[string]string) Config {
	t.Helper()
	env := testenv.New(t)
	ddb := env.Dynamo(t)
	kafka := env.Kafka(t)
	_, dbName := env.MySQLDatabase(t)
	buildDir, runner := binaries(t)
	suffix := testenv.UniqueName(t, "", 20)
	suffix = strings.Trim(strings.ReplaceAll(suffix, "_", "-"), "-")
	pipeline := isolatedPipeline(t, folder, suffix)

	tables := state.Tables{
		Offsets: env.DynamoTable(t, state.OffsetsTableInput("x")),
		Leases:  env.DynamoTable(t, state.LeasesTableInput("x")),
		Status:  env.DynamoTable(t, state.StatusTableInput("x")),
	}
	mysqlDB, err := OpenMySQL(env.MySQLDSN(""))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = mysqlDB.Close() })
	fnEnv, err := MySQLEnv(env.MySQLDSN(""), dbName)
	if err != nil {
		t.Fatal(err)
	}
	secrets, err := MySQLSecrets(env.MySQLDSN(""))
	if err != nil {
		t.Fatal(err)
	}
	fnEnv["SLKC_KAFKA_BOOTSTRAP"] = env.Bootstrap()
	for k, v := range extraEnv {
		fnEnv[k] = v
	}
	if ep := env.DynamoEndpoint(); ep != "" {
		// The runner hands its own AWS_ENDPOINT_URL_* to the functions only
		// when set in its environment; make the local endpoint explicit.
		fnEnv["AWS_ENDPOINT_URL_DYNAMODB"] = ep
		fnEnv["AWS_ACCESS_KEY_ID"], fnEnv["AWS_SECRET_ACCESS_KEY"] = "local", "local"
	}
	c := Config{
		PipelineDir: pipeline, BuildDir: buildDir, RunnerBinary: runner, WorkDir: t.TempDir(),
		Env: fnEnv, Secrets: secrets, MySQL: mysqlDB, Dynamo: ddb, Kafka: kafka, Tables: tables,
		Timeout: 2 * time.Minute, Out: logWriter{t},
	}
	c.Defaults()
	return c
}

// TestRunnerRestartResumesFromCommittedOffsets stops the runner after the
// initial load, changes the source while nothing runs, and starts a new
// runner: the source must continue from its offset in DynamoDB (the topic
// gets exactly the new versions, no re-read of the table) and the sinks
// from their consumer groups' committed offsets, converging to the source.
func TestRunnerRestartResumesFromCommittedOffsets(t *testing.T) {
	c, p := e2eSetup(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	const rows = 200
	run := prepareRun(ctx, t, c, p, rows)
	logPath, probe := run.logPath, run.probe
	envFile, secretsFile, logFile := run.envFile, run.secretsFile, run.logFile
	startAndConverge := func(want int64) Snapshot {
		t.Helper()
		r, err := StartRunner(ctx, RunnerOptions{Binary: c.RunnerBinary, PipelineDir: c.PipelineDir, BuildDir: c.BuildDir, EnvFile: envFile, SecretsFile: secretsFile, Log: logFile})
		if err != nil {
			t.Fatalf("%v\n%s", err, tailFile(logPath, 20))
		}
		defer func() {
			if err := r.Stop(20 * time.Second); err != nil {
				t.Error(err)
			}
		}()
		w := &watcher{probe: probe, runner: r, out: logWriter{t}, every: time.Second, start: time.Now(), timeout: c.Timeout, logPath: logPath}
		s, err := w.until(ctx, "converge", func(s Snapshot) bool { return converged(s, want) })
		if err != nil {
			t.Fatalf("%v\n%s", err, tailFile(logPath, 20))
		}
		return s
	}

	first := startAndConverge(rows)
	if first.TopicRecords != rows {
		t.Fatalf("initial load wrote %d records, want %d", first.TopicRecords, rows)
	}

	// Change the source while no runner runs.
	mut, err := NewMutator(c.MySQL, p.Source.Database, p.Source.Table, rows, 3)
	if err != nil {
		t.Fatal(err)
	}
	changes, err := mut.Round(ctx, 10, 20, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(changes) != 30 {
		t.Fatalf("%d changes committed, want 30", len(changes))
	}

	second := startAndConverge(rows + 20)
	if second.TopicRecords != rows+30 {
		t.Errorf("after the restart the topic holds %d records, want %d: the source did not resume from its committed offset", second.TopicRecords, rows+30)
	}
	src, err := ReadMySQL(ctx, c.MySQL, p.Source.Database, p.Source.Table)
	if err != nil {
		t.Fatal(err)
	}
	replica, err := ReadMySQL(ctx, c.MySQL, p.MySQLSink.Database, p.MySQLSink.Table)
	if err != nil {
		t.Fatal(err)
	}
	items, err := ReadDynamo(ctx, c.Dynamo, p.DynamoSink.Table)
	if err != nil {
		t.Fatal(err)
	}
	for name, got := range map[string][]Order{"replica": replica, "dynamodb": items} {
		if ms := Compare(src, got); len(ms) > 0 {
			t.Errorf("%s differs from the source after the restart: %d differences, first %s", name, len(ms), ms[0])
		}
	}
}

// preparedRun is what a test needs to start the runner on a seeded source.
type preparedRun struct {
	envFile, secretsFile, logPath string
	logFile                       *os.File
	probe                         *Probe
	admin                         *kadm.Client
}

// prepareRun cleans the isolated names, creates the state and DynamoDB
// tables, seeds rows into the source table and writes the runner's env and
// secrets files.
func prepareRun(ctx context.Context, t *testing.T, c Config, p Pipeline, rows int) preparedRun {
	t.Helper()
	admin := kadm.NewClient(c.Kafka)
	if err := Clean(ctx, p, c.MySQL, c.Dynamo, admin, c.Tables); err != nil {
		t.Fatal(err)
	}
	if err := state.CreateTables(ctx, c.Dynamo, c.Tables); err != nil {
		t.Fatal(err)
	}
	if err := CreateOrdersTable(ctx, c.Dynamo, p.DynamoSink.Table); err != nil {
		t.Fatal(err)
	}
	if err := Seed(ctx, c.MySQL, p.Source.Database, p.Source.Table, rows, 3); err != nil {
		t.Fatal(err)
	}
	r := preparedRun{envFile: filepath.Join(c.WorkDir, "demo.env"), secretsFile: filepath.Join(c.WorkDir, "secrets.json"),
		logPath: filepath.Join(c.WorkDir, "runner.log"), admin: admin}
	env := map[string]string{"SLKC_OFFSETS_TABLE": c.Tables.Offsets, "SLKC_LEASES_TABLE": c.Tables.Leases, "SLKC_STATUS_TABLE": c.Tables.Status}
	for k, v := range c.Env {
		env[k] = v
	}
	if err := WriteEnvFile(r.envFile, env); err != nil {
		t.Fatal(err)
	}
	if err := WriteSecretsFile(r.secretsFile, c.Secrets); err != nil {
		t.Fatal(err)
	}
	var err error
	if r.logFile, err = os.Create(r.logPath); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.logFile.Close() })
	r.probe = &Probe{Pipeline: p, MySQL: c.MySQL, Dynamo: c.Dynamo, Admin: admin}
	return r
}

func cleanupKafkaAndTable(env *testenv.Env, t *testing.T, p Pipeline, ddb *dynamodb.Client) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	adm := kadm.NewClient(env.Kafka(t))
	topics := []string{p.Source.Topic}
	var groups []string
	for _, s := range p.SinkConfigs {
		groups = append(groups, s.Group)
		if s.DLQTopic != "" {
			topics = append(topics, s.DLQTopic)
		}
	}
	_, _ = adm.DeleteGroups(ctx, groups...)
	_, _ = adm.DeleteTopics(ctx, topics...)
	_, err := ddb.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String(p.DynamoSink.Table)})
	if err != nil && !strings.Contains(err.Error(), "ResourceNotFound") {
		t.Logf("delete %s: %v", p.DynamoSink.Table, errors.Unwrap(err))
	}
}
