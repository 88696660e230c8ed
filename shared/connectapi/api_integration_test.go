package connectapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/serverless-kafka-connect/slkc/connectors"
	"github.com/serverless-kafka-connect/slkc/connectors/mysql"
	"github.com/serverless-kafka-connect/slkc/localstack/controlclient"
	"github.com/serverless-kafka-connect/slkc/shared/config"
	"github.com/serverless-kafka-connect/slkc/shared/connectapi"
	"github.com/serverless-kafka-connect/slkc/shared/state"
	"github.com/serverless-kafka-connect/slkc/shared/testenv"
)

// stack is a Server on the real local stack: its own DynamoDB tables,
// a topic and a consumer group.
type stack struct {
	url     string
	srv     *connectapi.Server
	offsets *state.OffsetStore
	leases  *state.LeaseStore
	status  *state.StatusStore
	targets *state.TargetStore
	adm     *kadm.Client
	topic   string
	group   string
	seeds   []string
	invoked chan string
}

type recordingInvoker struct{ ch chan string }

func (r recordingInvoker) InvokeEvent(ctx context.Context, fn string, payload []byte) error {
	r.ch <- fn
	return nil
}

func newStack(t *testing.T) *stack {
	env := testenv.New(t)
	ddb := env.Dynamo(t)
	st := &stack{
		offsets: state.NewOffsetStore(ddb, env.DynamoTable(t, state.OffsetsTableInput(""))),
		leases:  state.NewLeaseStore(ddb, env.DynamoTable(t, state.LeasesTableInput(""))),
		adm:     env.KafkaAdmin(t),
		topic:   env.Topic(t, 2),
		group:   testenv.UniqueName(t, "g", 100),
		seeds:   env.Seeds(),
		invoked: make(chan string, 10),
	}
	statusTable := env.DynamoTable(t, state.StatusTableInput(""))
	st.status = state.NewStatusStore(ddb, statusTable)
	st.targets = state.NewTargetStore(ddb, statusTable)
	src, err := connectapi.FromFile(&config.File{Name: "orders-source", Config: map[string]string{
		"connector.class": "io.confluent.connect.jdbc.JdbcSourceConnector", "table.whitelist": "orders", "topic.prefix": "demo.",
		"connection.password": "${secretsmanager:slkc/demo/mysql:password}", "name": "orders-source",
	}}, "orders-source")
	if err != nil {
		t.Fatal(err)
	}
	snk, err := connectapi.FromFile(&config.File{Name: "orders-sink", Config: map[string]string{
		"connector.class": "io.confluent.connect.jdbc.JdbcSinkConnector", "topics": st.topic,
		"aws.lambda.consumer.group.id": st.group, "name": "orders-sink",
	}}, "orders-sink")
	if err != nil {
		t.Fatal(err)
	}
	st.srv = &connectapi.Server{
		Connectors: map[string]connectapi.Connector{src.Name: src, snk.Name: snk},
		Statuses:   st.status, Targets: st.targets, Offsets: st.offsets, Leases: st.leases,
		Groups:  connectapi.KafkaGroups{Admin: st.adm},
		Invoker: recordingInvoker{st.invoked},
		Logger:  slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	hs := httptest.NewServer(st.srv.Handler())
	t.Cleanup(hs.Close)
	st.url = hs.URL
	return st
}

func decode[T any](t *testing.T, raw json.RawMessage) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("decode %s: %v", raw, err)
	}
	return v
}

// TestThirdPartyClientLifecycle drives list, status, pause, resume, stop,
// restart and validate with kafka-connect-py and checks each action's effect
// in DynamoDB.
func TestThirdPartyClientLifecycle(t *testing.T) {
	st := newStack(t)
	ctx := context.Background()
	drive := func(args ...string) json.RawMessage { return controlclient.MustDrive(t, st.url, args...) }

	info := decode[map[string]string](t, drive("info"))
	if info["version"] != connectapi.Version || info["kafka_cluster_id"] == "" {
		t.Errorf("GET / = %v, want version %s and a cluster id", info, connectapi.Version)
	}
	if got := decode[[]string](t, drive("list")); strings.Join(got, ",") != "orders-sink,orders-source" {
		t.Errorf("list = %v", got)
	}
	// The poller wrote a FAILED status; the client sees it, restart clears it
	// and invokes the source now.
	if err := st.status.Put(ctx, state.Status{Connector: "orders-source", Task: "task-0", Type: "source", State: state.StateFailed,
		WorkerID: "orders-source", LastError: &state.ErrorInfo{Class: "java.sql.SQLException", Message: "boom"}}); err != nil {
		t.Fatal(err)
	}
	body := decode[state.ConnectStatusBody](t, drive("status", "orders-source"))
	if len(body.Tasks) != 1 || body.Tasks[0].State != state.StateFailed || !strings.Contains(body.Tasks[0].Trace, "boom") {
		t.Fatalf("status = %+v, want task 0 FAILED with the trace", body)
	}
	if failed := drive("list-state", "FAILED"); strings.Contains(string(failed), "orders-source") {
		// kafka-connect-py filters on the connector state, which stays RUNNING
		// when only a task failed (as in Connect).
		t.Errorf("list-state FAILED = %v, want the connector (RUNNING) absent", failed)
	}
	restarted := decode[state.ConnectStatusBody](t, drive("restart", "orders-source", "true", "true"))
	if len(restarted.Tasks) != 1 || restarted.Tasks[0].State != connectapi.StateRestarting {
		t.Errorf("restart body = %+v, want task 0 RESTARTING", restarted)
	}
	select {
	case fn := <-st.invoked:
		if fn != "orders-source" {
			t.Errorf("restart invoked %q", fn)
		}
	case <-time.After(5 * time.Second):
		t.Error("restart did not invoke the source")
	}
	body2 := decode[state.ConnectTaskState](t, drive("task-status", "orders-source", "0"))
	if body2.State != state.StateRunning {
		t.Errorf("task status after restart = %+v, want RUNNING", body2)
	}
	items, _ := st.status.Get(ctx, "orders-source")
	for _, it := range items {
		if it.Task == "task-0" && (it.State != state.StateRunning || it.LastError != nil) {
			t.Errorf("task-0 item after restart = %+v, want RUNNING without error", it)
		}
	}

	// Pause / resume / stop: the target state and who set it.
	drive("pause", "orders-source")
	ts, err := st.targets.Get(ctx, "orders-source")
	if err != nil || ts.State != state.StatePaused || ts.By != "local" || time.Since(ts.At) > time.Minute {
		t.Fatalf("target after pause = %+v, %v", ts, err)
	}
	body = decode[state.ConnectStatusBody](t, drive("status", "orders-source"))
	if body.Connector.State != state.StatePaused || body.Tasks[0].State != state.StatePaused {
		t.Errorf("status while paused = %+v", body)
	}
	drive("stop", "orders-source")
	body = decode[state.ConnectStatusBody](t, drive("status", "orders-source"))
	if body.Connector.State != state.StateStopped || len(body.Tasks) != 0 {
		t.Errorf("status while stopped = %+v, want STOPPED without tasks", body)
	}
	if tasks := decode[[]any](t, drive("tasks", "orders-source")); len(tasks) != 0 {
		t.Errorf("tasks while stopped = %v", tasks)
	}
	drive("resume", "orders-source")
	if ts, _ := st.targets.Get(ctx, "orders-source"); ts.State != state.StateRunning || len(ts.History) != 4 {
		t.Errorf("target after resume = %+v, want RUNNING with 4 recorded actions (restart, pause, stop, resume)", ts)
	}

	// Expanded list, topics, config (references shown, not resolved), plugins.
	exp := decode[map[string]map[string]json.RawMessage](t, drive("list", "info"))
	if _, ok := exp["orders-sink"]["info"]; !ok {
		t.Errorf("expand=info = %v", exp)
	}
	topics := decode[map[string]map[string][]string](t, drive("topics", "orders-source"))
	if got := topics["orders-source"]["topics"]; len(got) != 1 || got[0] != "demo.orders" {
		t.Errorf("topics = %v", topics)
	}
	cfg := decode[map[string]string](t, drive("config", "orders-source"))
	if cfg["connection.password"] != "${secretsmanager:slkc/demo/mysql:password}" {
		t.Errorf("config password = %q, want the reference", cfg["connection.password"])
	}
	plugins := decode[[]connectapi.PluginInfo](t, drive("plugins"))
	if len(plugins) < 3 {
		t.Errorf("plugins = %v", plugins)
	}
	v := decode[connectapi.ConfigInfos](t, drive("validate", "JdbcSourceConnector", `{"connector.class":"io.confluent.connect.jdbc.JdbcSourceConnector","mode":"sometimes","connection.url":"jdbc:mysql://h/db","topic.prefix":"x."}`))
	if v.ErrorCount == 0 || !hasError(v, "mode") {
		t.Errorf("validate = %d errors, want one on mode", v.ErrorCount)
	}

	// Errors come back through the client as Connect's bodies.
	if _, err := controlclient.Drive(t, st.url, "status", "nope"); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("status of unknown connector: %v, want 404", err)
	}
	if _, err := controlclient.Drive(t, st.url, "create", `{"name":"x","config":{}}`); err == nil || !strings.Contains(err.Error(), "403") {
		t.Errorf("create: %v, want 403", err)
	}
}

func compact(t *testing.T, raw json.RawMessage) string {
	t.Helper()
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func hasError(v connectapi.ConfigInfos, key string) bool {
	for _, c := range v.Configs {
		if c.Value.Name == key && len(c.Value.Errors) > 0 {
			return true
		}
	}
	return false
}

// TestThirdPartyClientSourceOffsets reads, alters and resets a source's
// offsets in DynamoDB with bkkt's client; changes need STOPPED and a free
// lease, and a bad offset changes nothing.
func TestThirdPartyClientSourceOffsets(t *testing.T) {
	st := newStack(t)
	ctx := context.Background()
	p := mysql.TablePartition("shop", "orders")
	if _, err := st.offsets.Put(ctx, "orders-source", p, connectors.Position(`{"incrementing":10}`), 0); err != nil {
		t.Fatal(err)
	}
	got := decode[connectapi.OffsetsBody](t, controlclient.MustDrive(t, st.url, "offsets", "orders-source"))
	if len(got.Offsets) != 1 || got.Offsets[0].Partition["table"] != "shop.orders" || compact(t, got.Offsets[0].Offset) != `{"incrementing":10}` {
		t.Fatalf("offsets = %+v", got)
	}
	patch := `{"offsets":[{"partition":{"protocol":"1","table":"shop.orders"},"offset":{"incrementing":3}}]}`
	if _, err := controlclient.Drive(t, st.url, "patch-offsets", "orders-source", patch); err == nil || !strings.Contains(err.Error(), "STOPPED") {
		t.Fatalf("patch while running: %v, want a 400 naming STOPPED", err)
	}
	controlclient.MustDrive(t, st.url, "stop", "orders-source")

	// A poller holds the lease: 409, nothing written.
	lease, err := st.leases.Acquire(ctx, "orders-source", "req-1", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := controlclient.Drive(t, st.url, "patch-offsets", "orders-source", patch); err == nil || !strings.Contains(err.Error(), "409") {
		t.Errorf("patch under a held lease: %v, want 409", err)
	}
	if err := st.leases.Release(ctx, lease); err != nil {
		t.Fatal(err)
	}
	// Wrong shapes: 400 naming the field; nothing half-applied.
	bad := `{"offsets":[{"partition":{"protocol":"1","table":"shop.orders"},"offset":{"incrementing":4}},{"partition":{"protocol":"1","table":"shop.orders"},"offset":{"incremental":4}}]}`
	if _, err := controlclient.Drive(t, st.url, "patch-offsets", "orders-source", bad); err == nil || !strings.Contains(err.Error(), "offsets[1].offset") {
		t.Errorf("patch with a typo: %v, want 400 naming offsets[1].offset", err)
	}
	if off, _ := st.offsets.Get(ctx, "orders-source", p); string(off.Position) != `{"incrementing":10}` {
		t.Errorf("offset after rejected patch = %s, want unchanged", off.Position)
	}
	res := decode[connectapi.Message](t, controlclient.MustDrive(t, st.url, "patch-offsets", "orders-source", patch))
	if !strings.Contains(res.Message, "altered successfully") {
		t.Errorf("patch message = %q", res.Message)
	}
	off, err := st.offsets.Get(ctx, "orders-source", p)
	if err != nil || string(off.Position) != `{"incrementing":3}` || off.Fence == 0 {
		t.Errorf("offset after patch = %+v, %v; want incrementing 3 written under the control lease", off, err)
	}
	// A stale poller (its lease released and since taken by the control
	// plane) cannot write over it.
	if _, err := st.offsets.Commit(ctx, lease, p, connectors.Position(`{"incrementing":11}`), off.Version); err == nil {
		t.Error("stale poller overwrote the altered offset")
	}
	controlclient.MustDrive(t, st.url, "reset-offsets", "orders-source")
	if got := decode[connectapi.OffsetsBody](t, controlclient.MustDrive(t, st.url, "offsets", "orders-source")); len(got.Offsets) != 0 {
		t.Errorf("offsets after reset = %+v, want none", got)
	}
	if off, _ := st.offsets.Get(ctx, "orders-source", p); off.Position != nil {
		t.Errorf("stored position after reset = %s, want from the beginning", off.Position)
	}
	ts, _ := st.targets.Get(ctx, "orders-source")
	if n := len(ts.History); n < 3 || ts.History[n-1].Action != "reset-offsets" || ts.History[n-2].Action != "alter-offsets" || ts.History[n-2].By != "local" {
		t.Errorf("history = %+v, want alter-offsets then reset-offsets by local", ts.History)
	}
}

// TestThirdPartyClientSinkOffsets reads, alters and resets a sink's
// consumer group offsets: only when STOPPED and the group is empty.
func TestThirdPartyClientSinkOffsets(t *testing.T) {
	st := newStack(t)
	ctx := context.Background()
	var offs kadm.Offsets
	offs.Add(kadm.Offset{Topic: st.topic, Partition: 0, At: 5, LeaderEpoch: -1})
	offs.Add(kadm.Offset{Topic: st.topic, Partition: 1, At: 7, LeaderEpoch: -1})
	if _, err := st.adm.CommitOffsets(ctx, st.group, offs); err != nil {
		t.Fatal(err)
	}
	got := decode[connectapi.OffsetsBody](t, controlclient.MustDrive(t, st.url, "offsets", "orders-sink"))
	want := fmt.Sprintf(`[{"partition":{"kafka_partition":0,"kafka_topic":%q},"offset":{"kafka_offset":5}},{"partition":{"kafka_partition":1,"kafka_topic":%q},"offset":{"kafka_offset":7}}]`, st.topic, st.topic)
	if b, _ := json.Marshal(got.Offsets); string(b) != want {
		t.Fatalf("offsets = %s\nwant %s", b, want)
	}
	controlclient.MustDrive(t, st.url, "stop", "orders-sink")

	// A member still in the group (a mapping not yet stopped): 409.
	member, err := kgo.NewClient(kgo.SeedBrokers(st.seeds...), kgo.ConsumerGroup(st.group), kgo.ConsumeTopics(st.topic))
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		pctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
		member.PollFetches(pctx)
		cancel()
		gs, err := st.adm.DescribeGroups(ctx, st.group)
		if err == nil && len(gs[st.group].Members) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("consumer did not join the group")
		}
	}
	if _, err := controlclient.Drive(t, st.url, "reset-offsets", "orders-sink"); err == nil || !strings.Contains(err.Error(), "409") {
		t.Errorf("reset with a member in the group: %v, want 409", err)
	}
	member.Close()
	if got := decode[connectapi.OffsetsBody](t, controlclient.MustDrive(t, st.url, "offsets", "orders-sink")); len(got.Offsets) != 2 {
		t.Errorf("offsets after the refused reset = %+v, want both kept", got)
	}

	for _, tc := range []struct{ name, body, want string }{
		{"unknown topic", `{"offsets":[{"partition":{"kafka_topic":"other","kafka_partition":0},"offset":{"kafka_offset":1}}]}`, "offsets[0].partition.kafka_topic"},
		{"partition out of range", fmt.Sprintf(`{"offsets":[{"partition":{"kafka_topic":%q,"kafka_partition":9},"offset":{"kafka_offset":1}}]}`, st.topic), "offsets[0].partition.kafka_partition"},
		{"negative offset", fmt.Sprintf(`{"offsets":[{"partition":{"kafka_topic":%q,"kafka_partition":0},"offset":{"kafka_offset":-1}}]}`, st.topic), "offsets[0].offset.kafka_offset"},
	} {
		if _, err := controlclient.Drive(t, st.url, "patch-offsets", "orders-sink", tc.body); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want 400 naming %s", tc.name, err, tc.want)
		}
	}
	patch := fmt.Sprintf(`{"offsets":[{"partition":{"kafka_topic":%q,"kafka_partition":0},"offset":{"kafka_offset":2}},{"partition":{"kafka_topic":%q,"kafka_partition":1},"offset":null}]}`, st.topic, st.topic)
	controlclient.MustDrive(t, st.url, "patch-offsets", "orders-sink", patch)
	fetched, err := st.adm.FetchOffsets(ctx, st.group)
	if err != nil {
		t.Fatal(err)
	}
	if o, _ := fetched.Lookup(st.topic, 0); o.At != 2 {
		t.Errorf("partition 0 at %d, want 2", o.At)
	}
	if o, ok := fetched.Lookup(st.topic, 1); ok && o.At >= 0 {
		t.Errorf("partition 1 at %d, want no committed offset", o.At)
	}
	controlclient.MustDrive(t, st.url, "reset-offsets", "orders-sink")
	if got := decode[connectapi.OffsetsBody](t, controlclient.MustDrive(t, st.url, "offsets", "orders-sink")); len(got.Offsets) != 0 {
		t.Errorf("offsets after reset = %+v", got)
	}
}

// TestErrorBodies checks status codes and Connect's error body shape.
func TestErrorBodies(t *testing.T) {
	st := newStack(t)
	for _, tc := range []struct {
		method, path, body string
		code               int
	}{
		{"GET", "/connectors/nope/status", "", 404},
		{"GET", "/nowhere", "", 404},
		{"DELETE", "/connectors/orders-source/status", "", 405},
		{"PUT", "/connectors/orders-source/config", "{}", 403},
		{"DELETE", "/connectors/orders-source", "", 403},
		{"GET", "/connectors/orders-source/tasks/1/status", "", 404},
		{"GET", "/connectors?expand=everything", "", 400},
		{"POST", "/connectors/orders-source/restart?includeTasks=maybe", "", 400},
		{"DELETE", "/connectors/orders-sink/offsets", "", 400},
		{"PATCH", "/connectors/orders-source/offsets", `{"offset":[]}`, 400},
		{"PATCH", "/connectors/orders-source/offsets", `{"offsets":[`, 400},
		{"PATCH", "/connectors/orders-source/offsets", `{"offsets":[{"partition":null,"offset":{}}]}`, 400},
		{"PUT", "/connector-plugins/NoSuchConnector/config/validate", "{}", 400},
		{"PUT", "/connector-plugins/JdbcSourceConnector/config/validate", `{"connector.class":"io.slkc.connect.mysql.MySqlSinkConnector"}`, 400},
		{"PUT", "/connector-plugins/JdbcSourceConnector/config/validate", `[1]`, 400},
	} {
		req, _ := http.NewRequest(tc.method, st.url+tc.path, strings.NewReader(tc.body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var e connectapi.Error
		err = json.NewDecoder(resp.Body).Decode(&e)
		resp.Body.Close()
		if resp.StatusCode != tc.code || err != nil || e.Code != tc.code || e.Message == "" {
			t.Errorf("%s %s = %d %+v (%v), want %d with {error_code, message}", tc.method, tc.path, resp.StatusCode, e, err, tc.code)
		}
	}
}

// TestShapesMatchKafkaDocs checks every response's keys and JSON types
// against the shapes in testdata/connect-doc-shapes.json (from Kafka's
// documentation of the Connect REST API and KIP-875).
func TestShapesMatchKafkaDocs(t *testing.T) {
	st := newStack(t)
	ctx := context.Background()
	if _, err := st.offsets.Put(ctx, "orders-source", mysql.TablePartition("shop", "orders"), connectors.Position(`{"incrementing":10}`), 0); err != nil {
		t.Fatal(err)
	}
	var offs kadm.Offsets
	offs.Add(kadm.Offset{Topic: st.topic, Partition: 0, At: 5, LeaderEpoch: -1})
	if _, err := st.adm.CommitOffsets(ctx, st.group, offs); err != nil {
		t.Fatal(err)
	}
	if err := st.status.Put(ctx, state.Status{Connector: "orders-source", Task: "task-0", Type: "source", State: state.StateFailed, WorkerID: "w",
		LastError: &state.ErrorInfo{Class: "E", Message: "m"}}); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile("testdata/connect-doc-shapes.json")
	if err != nil {
		t.Fatal(err)
	}
	var shapes map[string]json.RawMessage
	if err := json.Unmarshal(raw, &shapes); err != nil {
		t.Fatal(err)
	}
	for key, shape := range shapes {
		if strings.HasPrefix(key, "_") {
			continue
		}
		method, path, _ := strings.Cut(key, " ")
		body := ""
		if method == "PUT" {
			body = `{"connector.class":"io.confluent.connect.jdbc.JdbcSourceConnector","connection.password":"x"}`
		}
		req, _ := http.NewRequest(method, st.url+path, strings.NewReader(body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var got, want any
		err = json.NewDecoder(resp.Body).Decode(&got)
		resp.Body.Close()
		if err != nil {
			t.Errorf("%s: body is not JSON: %v", key, err)
			continue
		}
		_ = json.Unmarshal(shape, &want)
		for _, p := range shapeDiff(key, want, got) {
			t.Error(p)
		}
	}
}

// shapeDiff lists where got departs from the documented shape want.
func shapeDiff(at string, want, got any) []string {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return []string{fmt.Sprintf("%s: got %T, want an object", at, got)}
		}
		var out []string
		if v, ok := w["*"]; ok {
			for k, gv := range g {
				out = append(out, shapeDiff(at+"."+k, v, gv)...)
			}
			return out
		}
		for k, v := range w {
			name, optional := strings.CutSuffix(k, "?")
			gv, present := g[name]
			switch {
			case !present && !optional:
				out = append(out, fmt.Sprintf("%s: key %q missing", at, name))
			case present && !(optional && gv == nil):
				out = append(out, shapeDiff(at+"."+name, v, gv)...)
			}
		}
		for k := range g {
			_, a := w[k]
			_, b := w[k+"?"]
			if !a && !b {
				out = append(out, fmt.Sprintf("%s: key %q is not in Connect's shape", at, k))
			}
		}
		return out
	case []any:
		g, ok := got.([]any)
		if !ok {
			return []string{fmt.Sprintf("%s: got %T, want an array", at, got)}
		}
		var out []string
		for i, gv := range g {
			out = append(out, shapeDiff(fmt.Sprintf("%s[%d]", at, i), w[0], gv)...)
		}
		return out
	default:
		if fmt.Sprintf("%T", want) != fmt.Sprintf("%T", got) {
			return []string{fmt.Sprintf("%s: got %T %v, want %T", at, got, got, want)}
		}
	}
	return nil
}
