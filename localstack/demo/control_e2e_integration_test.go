package demo

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/serverless-kafka-connect/slkc/localstack/controlclient"
	"github.com/serverless-kafka-connect/slkc/shared/state"
)

// TestControlPlaneOnTheDemoPipeline runs the demo pipeline (isolated names)
// through slkc-local with its Kafka Connect REST API, and drives it with
// third-party clients: list and status; pausing the source stops rows from
// reaching the topic and resuming continues from its offset; pausing the
// MySQL sink stops the replica while the DynamoDB sink goes on, and resuming
// catches up; restart answers RESTARTING; altering the stopped source's
// offset replays exactly the rows after it.
func TestControlPlaneOnTheDemoPipeline(t *testing.T) {
	c, p := e2eSetup(t)
	controlclient.Python(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	const rows = 100
	run := prepareRun(ctx, t, c, p, rows)
	url, until := startControlRunner(ctx, t, c, run)
	drive := func(args ...string) json.RawMessage { return controlclient.MustDrive(t, url, args...) }
	src, mysqlSink := p.Source.Connector, p.MySQLSink.Connector

	until("initial load", func(s Snapshot) bool { return converged(s, rows) })
	var names []string
	if err := json.Unmarshal(drive("list"), &names); err != nil || len(names) != 3 {
		t.Fatalf("list = %v, %v; want the 3 demo connectors", names, err)
	}
	var st state.ConnectStatusBody
	_ = json.Unmarshal(drive("status", src), &st)
	if st.Connector.State != state.StateRunning || len(st.Tasks) != 1 || st.Tasks[0].State != state.StateRunning || st.Type != "source" {
		t.Errorf("source status = %+v", st)
	}

	// The offset after the initial load, to rewind to later.
	loaded := drive("offsets", src)

	// Pause the source: new rows do not reach the topic.
	drive("pause", src)
	time.Sleep(3 * time.Second) // a run that took the lease before the pause finishes
	before := until("snapshot", func(Snapshot) bool { return true })
	mut, err := NewMutator(c.MySQL, p.Source.Database, p.Source.Table, rows, 3)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := mut.Round(ctx, 0, 10, 0); err != nil {
		t.Fatal(err)
	}
	time.Sleep(6 * time.Second) // three poll intervals
	paused := until("snapshot", func(Snapshot) bool { return true })
	if paused.TopicRecords != before.TopicRecords {
		t.Fatalf("topic went from %d to %d records while the source was paused", before.TopicRecords, paused.TopicRecords)
	}
	_ = json.Unmarshal(drive("status", src), &st)
	if st.Connector.State != state.StatePaused {
		t.Errorf("paused source status = %+v", st)
	}

	// Pause the MySQL sink, resume the source: the topic and DynamoDB get
	// the 10 rows, the replica does not until its sink resumes.
	drive("pause", mysqlSink)
	drive("resume", src)
	s := until("source resumed, DynamoDB caught up", func(s Snapshot) bool { return s.TopicRecords == rows+10 && s.DynamoItems == rows+10 })
	if s.ReplicaRows != rows {
		t.Errorf("replica has %d rows while its sink is paused, want %d", s.ReplicaRows, rows)
	}
	drive("resume", mysqlSink)
	until("replica caught up", func(s Snapshot) bool { return converged(s, rows+10) })

	// Restart the source with its tasks: RESTARTING, and it runs now.
	var restarted state.ConnectStatusBody
	_ = json.Unmarshal(drive("restart", src, "true", "false"), &restarted)
	if restarted.Connector.State != "RESTARTING" || len(restarted.Tasks) != 1 || restarted.Tasks[0].State != "RESTARTING" {
		t.Errorf("restart = %+v, want connector and task RESTARTING", restarted)
	}

	// Offsets: stop, rewind the source to its offset after the initial
	// load, resume: exactly the 10 rows inserted since are produced again.
	drive("stop", src)
	time.Sleep(3 * time.Second)
	var offs struct {
		Offsets []struct {
			Partition map[string]string `json:"partition"`
			Offset    map[string]any    `json:"offset"`
		} `json:"offsets"`
	}
	if err := json.Unmarshal(drive("offsets", src), &offs); err != nil || len(offs.Offsets) != 1 || offs.Offsets[0].Offset["incrementing"] != float64(rows+10) {
		t.Fatalf("source offsets = %+v, %v; want incrementing %d", offs, err, rows+10)
	}
	if res := drive("patch-offsets", src, string(loaded)); !strings.Contains(string(res), "altered successfully") {
		t.Errorf("patch = %s", res)
	}
	before = until("snapshot", func(Snapshot) bool { return true })
	drive("resume", src)
	until("rewound rows replayed", func(s Snapshot) bool { return s.TopicRecords == before.TopicRecords+10 && converged(s, rows+10) })
}

// startControlRunner starts slkc-local on the prepared run with its control
// API on a free loopback port, waits until the API answers, and returns
// its URL and a wait for a pipeline condition (failing the test with the
// runner's log). The runner is stopped at the test's cleanup.
func startControlRunner(ctx context.Context, t *testing.T, c Config, run preparedRun) (string, func(string, func(Snapshot) bool) Snapshot) {
	t.Helper()
	addr, err := freeAddr()
	if err != nil {
		t.Fatal(err)
	}
	r, err := StartRunner(ctx, RunnerOptions{Binary: c.RunnerBinary, PipelineDir: c.PipelineDir, BuildDir: c.BuildDir,
		EnvFile: run.envFile, SecretsFile: run.secretsFile, Log: run.logFile, ControlAddr: addr})
	if err != nil {
		t.Fatalf("%v\n%s", err, tailFile(run.logPath, 20))
	}
	t.Cleanup(func() {
		if err := r.Stop(20 * time.Second); err != nil {
			t.Error(err)
		}
	})
	url := "http://" + addr
	w := &watcher{probe: run.probe, runner: r, out: logWriter{t}, every: time.Second, start: time.Now(), timeout: 2 * time.Minute, logPath: run.logPath}
	until := func(what string, done func(Snapshot) bool) Snapshot {
		t.Helper()
		s, err := w.until(ctx, what, done)
		if err != nil {
			t.Fatalf("%v\n%s", err, tailFile(run.logPath, 30))
		}
		return s
	}
	// The API may come up a moment after the Invoke API.
	deadline := time.Now().Add(30 * time.Second)
	for {
		res, err := http.Get(url + "/")
		if err == nil {
			_ = res.Body.Close()
			if res.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("control API at %s: %v\n%s", url, err, tailFile(run.logPath, 30))
		}
		time.Sleep(300 * time.Millisecond)
	}
	return url, until
}
