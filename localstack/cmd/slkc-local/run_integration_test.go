package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/serverless-kafka-connect/slkc/localstack/bridge"
	"github.com/serverless-kafka-connect/slkc/localstack/runtime"
	"github.com/serverless-kafka-connect/slkc/shared/testenv"
)

// buildEcho builds the runtime package's echo test function as both
// function binaries of a build folder.
func buildEcho(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	bin := filepath.Join(dir, "source-poller", "bootstrap")
	cmd := exec.Command("go", "build", "-tags", "lambda.norpc", "-o", bin, "../../runtime/testdata/echo")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build echo: %v\n%s", err, out)
	}
	if err := os.MkdirAll(filepath.Join(dir, "sink-handler"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(bin, filepath.Join(dir, "sink-handler", "bootstrap")); err != nil {
		t.Fatal(err)
	}
	return dir
}

func stats(t *testing.T, endpoint, fn string) runtime.Stats {
	t.Helper()
	resp, err := http.Get(endpoint + "/2015-03-31/functions/" + fn + "/stats")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var s runtime.Stats
	if err := json.NewDecoder(resp.Body).Decode(&s); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestRunPipelineEndToEnd(t *testing.T) {
	env := testenv.New(t)
	topic := env.Topic(t, 2)
	build := buildEcho(t)
	src := `{"name":"src","config":{"connector.class":"io.slkc.connect.mysql.MySqlSourceConnector","poll.interval.ms":"100"}}`
	sink := fmt.Sprintf(`{"name":"snk","config":{"connector.class":"io.slkc.connect.mysql.MySqlSinkConnector","topics":%q,
		"bootstrap.servers":"${env:TEST_BOOTSTRAP}","aws.lambda.maximum.batching.window.seconds":"0",
		"aws.lambda.consumer.group.id":%q}}`, topic, testenv.UniqueName(t, "g", 100))
	dir := writePipeline(t, map[string]string{"src.json": src, "snk.json": sink})

	rc := runConfig{options: options{PipelineDir: dir, BuildDir: build, Region: "us-east-1", SinkConcurrency: 2,
		Env: map[string]string{"TEST_BOOTSTRAP": env.Bootstrap()}}, Addr: "127.0.0.1:0", Output: &lockedWriter{w: &bytes.Buffer{}}}
	cl := env.Kafka(t)
	adm := env.KafkaAdmin(t)
	group := strings.Split(strings.Split(sink, `"aws.lambda.consumer.group.id":"`)[1], `"`)[0]
	produceN := func(from, n int) {
		for i := from; i < from+n; i++ {
			r := &kgo.Record{Topic: topic, Partition: int32(i % 2), Value: fmt.Appendf(nil, `{"i":%d}`, i)}
			if err := cl.ProduceSync(context.Background(), r).FirstErr(); err != nil {
				t.Fatal(err)
			}
		}
	}
	waitCommitted := func(want int64) {
		deadline := time.Now().Add(60 * time.Second)
		for {
			offs, err := adm.FetchOffsets(context.Background(), group)
			total := int64(0)
			if err == nil {
				for _, p := range []int32{0, 1} {
					if o, ok := offs.Lookup(topic, p); ok {
						total += o.At
					}
				}
			}
			if total == want {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("committed %d of %d records", total, want)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}

	// First run: the pipeline delivers and commits everything.
	endpoint, bridges, stop := startRun(t, rc)
	produceN(0, 20)
	waitCommitted(20)
	if s := stats(t, endpoint, "snk"); s.Invocations == 0 || s.Errors != 0 {
		t.Errorf("sink stats = %+v, want invocations without errors", s)
	}
	time.Sleep(300 * time.Millisecond)
	if s := stats(t, endpoint, "src"); s.Invocations < 2 || s.Errors != 0 {
		t.Errorf("source stats = %+v, want several scheduled invocations", s)
	}
	if d := bridges[0].Stats().Delivered; d != 20 {
		t.Errorf("first run delivered %d, want 20", d)
	}
	stop()

	// Restart: the new runner resumes from the committed offsets, so only
	// the records produced while it was down are delivered.
	produceN(20, 6)
	_, bridges, stop = startRun(t, rc)
	waitCommitted(26)
	time.Sleep(300 * time.Millisecond)
	if d := bridges[0].Stats().Delivered; d != 6 {
		t.Errorf("second run delivered %d, want only the 6 new records", d)
	}
	stop()
}

// startRun runs the pipeline until the returned stop is called.
func startRun(t *testing.T, rc runConfig) (string, []*bridge.Bridge, func()) {
	t.Helper()
	type started struct {
		endpoint string
		bridges  []*bridge.Bridge
	}
	ready := make(chan started, 1)
	rc.ready = func(ep string, bs []*bridge.Bridge) { ready <- started{ep, bs} }
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, rc, slog.New(slog.NewTextHandler(io.Discard, nil))) }()
	var s started
	select {
	case s = <-ready:
	case err := <-done:
		cancel()
		t.Fatalf("run ended early: %v", err)
	case <-time.After(30 * time.Second):
		cancel()
		t.Fatal("run did not start")
	}
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("run = %v, want nil after cancel", err)
			}
		case <-time.After(30 * time.Second):
			t.Fatal("run did not stop after cancel")
		}
	}
	t.Cleanup(stop)
	return s.endpoint, s.bridges, stop
}

func TestInvokeInProcess(t *testing.T) {
	build := buildEcho(t)
	dir := writePipeline(t, map[string]string{"src.json": `{"name":"src","config":{"connector.class":"io.slkc.connect.mysql.MySqlSourceConnector"}}`})
	ev := filepath.Join(t.TempDir(), "ev.json")
	if err := os.WriteFile(ev, []byte(`{"echo":"scheduled","env":["SLKC_CONNECTOR_CONFIG"]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&errOut, nil))
	code := realMain(context.Background(), []string{"invoke", "-function", "src", "-event", ev, "-pipeline", dir, "-build", build}, &out, &errOut, logger)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	if !strings.Contains(out.String(), `"echo":"scheduled"`) || !strings.Contains(out.String(), `MySqlSourceConnector`) {
		t.Errorf("output = %s, want the echo with the connector config in env", out.String())
	}
	if err := os.WriteFile(ev, []byte(`{"fail":"nope"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	code = realMain(context.Background(), []string{"invoke", "-function", "src", "-event", ev, "-pipeline", dir, "-build", build}, &out, &errOut, logger)
	if code != 1 || !strings.Contains(out.String(), `"errorMessage":"nope"`) {
		t.Errorf("failing invoke: exit %d output %s, want 1 and the error document", code, out.String())
	}
}
