package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/serverless-kafka-connect/slkc/localstack/bridge"
	"github.com/serverless-kafka-connect/slkc/localstack/controlclient"
	"github.com/serverless-kafka-connect/slkc/shared/state"
	"github.com/serverless-kafka-connect/slkc/shared/testenv"
)

func TestCheckLoopback(t *testing.T) {
	for _, tc := range []struct {
		addr string
		ok   bool
	}{
		{"127.0.0.1:8083", true}, {"[::1]:8083", true}, {"localhost:8083", true},
		{"0.0.0.0:8083", false}, {":8083", false}, {"10.0.0.1:8083", false}, {"8083", false},
	} {
		if err := checkLoopback(tc.addr); (err == nil) != tc.ok {
			t.Errorf("checkLoopback(%q) = %v, want ok=%v", tc.addr, err, tc.ok)
		}
	}
}

// TestControlPauseResumeAndOffsets runs a sink through slkc-local with the
// control API on, and drives it with a third-party client: records stop
// flowing on pause (the consumer leaves its group), resume continues from
// the committed offsets, and altered or reset offsets are where the next
// run starts.
func TestControlPauseResumeAndOffsets(t *testing.T) {
	env := testenv.New(t)
	controlclient.Python(t)
	topic := env.Topic(t, 2)
	group := testenv.UniqueName(t, "g", 100)
	build := buildEcho(t)
	sink := fmt.Sprintf(`{"name":"snk","config":{"connector.class":"io.slkc.connect.mysql.MySqlSinkConnector","topics":%q,
		"bootstrap.servers":"${env:TEST_BOOTSTRAP}","aws.lambda.maximum.batching.window.seconds":"0",
		"aws.lambda.consumer.group.id":%q}}`, topic, group)
	dir := writePipeline(t, map[string]string{"snk.json": sink})
	ddb := env.Dynamo(t)
	statusTable := env.DynamoTable(t, state.StatusTableInput(""))
	rc := runConfig{options: options{PipelineDir: dir, BuildDir: build, Region: "us-east-1", SinkConcurrency: 2,
		Env: map[string]string{"TEST_BOOTSTRAP": env.Bootstrap(),
			"SLKC_STATUS_TABLE":  statusTable,
			"SLKC_OFFSETS_TABLE": env.DynamoTable(t, state.OffsetsTableInput("")),
			"SLKC_LEASES_TABLE":  env.DynamoTable(t, state.LeasesTableInput("")),
		}}, Addr: "127.0.0.1:0", ControlAddr: "127.0.0.1:0", Output: &lockedWriter{w: &bytes.Buffer{}}}
	type started struct {
		url   string
		gates []*bridge.Gate
	}
	ready := make(chan started, 1)
	rc.controlReady = func(url string, gates []*bridge.Gate) { ready <- started{url, gates} }
	_, _, stop := startRun(t, rc)
	var s started
	select {
	case s = <-ready:
	case <-time.After(10 * time.Second):
		t.Fatal("control API did not start")
	}
	defer stop()
	gate := s.gates[0]
	drive := func(args ...string) { controlclient.MustDrive(t, s.url, args...) }

	cl := env.Kafka(t, kgo.RecordPartitioner(kgo.ManualPartitioner()))
	adm := env.KafkaAdmin(t)
	ctx := context.Background()
	produceN := func(from, n int) {
		for i := from; i < from+n; i++ {
			r := &kgo.Record{Topic: topic, Partition: int32(i % 2), Value: fmt.Appendf(nil, `{"i":%d}`, i)}
			if err := cl.ProduceSync(ctx, r).FirstErr(); err != nil {
				t.Fatal(err)
			}
		}
	}
	committed := func() int64 {
		offs, err := adm.FetchOffsets(ctx, group)
		total := int64(0)
		if err == nil {
			for _, p := range []int32{0, 1} {
				if o, ok := offs.Lookup(topic, p); ok && o.At > 0 {
					total += o.At
				}
			}
		}
		return total
	}
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(60 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s", what)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	groupEmpty := func() bool {
		gs, err := adm.DescribeGroups(ctx, group)
		return err == nil && len(gs[group].Members) == 0
	}
	delivered := func() int64 {
		if b := gate.Current(); b != nil {
			return b.Stats().Delivered
		}
		return -1
	}

	produceN(0, 10)
	waitFor("10 committed", func() bool { return committed() == 10 })

	// Pause: the mapping is disabled, the group empties, nothing more flows.
	drive("pause", "snk")
	waitFor("the paused consumer to leave its group", groupEmpty)
	produceN(10, 10)
	time.Sleep(2 * time.Second)
	if c := committed(); c != 10 {
		t.Fatalf("committed %d while paused, want 10", c)
	}
	if st := controlclient.MustDrive(t, s.url, "status", "snk"); !strings.Contains(string(st), `"PAUSED"`) {
		t.Errorf("status while paused = %s", st)
	}
	// Resume: a fresh consumer continues from the committed offsets.
	drive("resume", "snk")
	waitFor("20 committed after resume", func() bool { return committed() == 20 })
	waitFor("10 delivered after resume", func() bool { return delivered() == 10 })
	time.Sleep(500 * time.Millisecond)
	if d := delivered(); d != 10 {
		t.Errorf("resume delivered %d records, want only the 10 produced while paused", d)
	}

	// Alter: replay partition 0 from offset 0; only its 10 records come again.
	drive("stop", "snk")
	waitFor("the stopped consumer to leave its group", groupEmpty)
	drive("patch-offsets", "snk", fmt.Sprintf(`{"offsets":[{"partition":{"kafka_topic":%q,"kafka_partition":0},"offset":{"kafka_offset":0}}]}`, topic))
	if c := committed(); c != 10 {
		t.Fatalf("committed %d after altering partition 0 to 0, want 10", c)
	}
	drive("resume", "snk")
	waitFor("10 replayed", func() bool { return delivered() == 10 && committed() == 20 })

	// Reset: the group is deleted, the next run starts at TRIM_HORIZON.
	drive("stop", "snk")
	waitFor("the stopped consumer to leave its group", groupEmpty)
	drive("reset-offsets", "snk")
	if c := committed(); c != 0 {
		t.Fatalf("committed %d after reset, want 0", c)
	}
	drive("resume", "snk")
	waitFor("all 20 replayed after reset", func() bool { return delivered() == 20 && committed() == 20 })

	// Every action is recorded with who and when.
	ts, err := state.NewTargetStore(ddb, statusTable).Get(ctx, "snk")
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, a := range ts.History {
		if a.By != "local" || a.At.IsZero() {
			t.Errorf("action %+v lacks who or when", a)
		}
		actions = append(actions, a.Action)
	}
	if got, want := strings.Join(actions, ","), "pause,resume,stop,alter-offsets,resume,stop,reset-offsets,resume"; got != want {
		t.Errorf("history = %s, want %s", got, want)
	}
}

// TestControlAddrInUse: a taken address is an EADDRINUSE error, which run
// only downgrades to a warning for the default address.
func TestControlAddrInUse(t *testing.T) {
	env := testenv.New(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	rc := runConfig{options: options{PipelineDir: writePipeline(t, map[string]string{"src.json": `{"name":"src","config":{"connector.class":"io.slkc.connect.mysql.MySqlSourceConnector"}}`}),
		Region: "us-east-1", Env: map[string]string{"SLKC_STATUS_TABLE": env.DynamoTable(t, state.StatusTableInput("")),
			"SLKC_OFFSETS_TABLE": env.DynamoTable(t, state.OffsetsTableInput("")), "SLKC_LEASES_TABLE": env.DynamoTable(t, state.LeasesTableInput(""))}},
		ControlAddr: l.Addr().String()}
	_, err = newControl(context.Background(), rc, nil, nil, nil)
	if !errors.Is(err, syscall.EADDRINUSE) {
		t.Fatalf("newControl on a taken address = %v, want EADDRINUSE", err)
	}
	if err := checkLoopback("0.0.0.0:8083"); err == nil || !strings.Contains(err.Error(), "loopback") {
		t.Errorf("checkLoopback(0.0.0.0) = %v", err)
	}
}

// TestDefaultControlFailureOnlyWarns: without an explicit -control-addr a
// control plane that cannot start (here DynamoDB is unreachable) leaves
// the pipeline running; an explicit one makes run fail.
func TestDefaultControlFailureOnlyWarns(t *testing.T) {
	t.Setenv("AWS_ENDPOINT_URL_DYNAMODB", "http://127.0.0.1:1")
	build := buildEcho(t)
	dir := writePipeline(t, map[string]string{"src.json": `{"name":"src","config":{"connector.class":"io.slkc.connect.mysql.MySqlSourceConnector","poll.interval.ms":"3600000"}}`})
	rc := runConfig{options: options{PipelineDir: dir, BuildDir: build, Region: "us-east-1", SinkConcurrency: 1},
		Addr: "127.0.0.1:0", ControlAddr: "127.0.0.1:0", controlDefault: true, Output: &lockedWriter{w: &bytes.Buffer{}}}
	_, _, stop := startRun(t, rc) // fails the test if run ends early
	stop()

	rc.controlDefault = false
	err := run(context.Background(), rc, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err == nil || !strings.Contains(err.Error(), "control") {
		t.Errorf("run with an explicit -control-addr and no DynamoDB = %v, want the control plane's error", err)
	}
}
