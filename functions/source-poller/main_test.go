package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/serverless-kafka-connect/slkc/shared/coldstart/coldstarttest"
	"github.com/serverless-kafka-connect/slkc/shared/sourcetask"
)

// TestSetupErrors covers what source-poller rejects on top of
// coldstart.Load's checks (config missing, unknown class, unresolved
// references), which shared/coldstart tests.
func TestSetupErrors(t *testing.T) {
	coldstarttest.FakeAWS(t)
	cfg := func(fields string) map[string]string { return coldstarttest.RawConfig("s", fields) }
	src := `"connector.class":"io.confluent.connect.jdbc.JdbcSourceConnector","bootstrap.servers":"127.0.0.1:1","connection.url":"slkc:slkc@tcp(127.0.0.1:1)/shop"`
	cdc := `"connector.class":"io.debezium.connector.mariadb.MariaDbConnector","bootstrap.servers":"127.0.0.1:1","database.hostname":"127.0.0.1",` +
		`"database.port":"1","database.user":"u","database.server.id":"77","topic.prefix":"shop","include.schema.changes":"false"`
	coldstarttest.SetupErrors(t, setup, []coldstarttest.ErrorCase{
		{Name: "sink connector", Env: cfg(`"connector.class":"io.slkc.connect.mysql.MySqlSinkConnector","topics":"t"`), Want: []string{"is not a source connector"}},
		{Name: "missing mode", Env: cfg(src), Want: []string{"mode"}},
		{Name: "unknown key", Env: cfg(src + `,"mode":"incrementing","tabel.whitelist":"x"`), Want: []string{"tabel.whitelist"}},
		{Name: "bad mode", Env: cfg(src + `,"mode":"sometimes"`), Want: []string{"mode", "sometimes"}},
		{Name: "bad converter", Env: cfg(src + `,"mode":"incrementing","value.converter":"com.example.AvroConverter"`), Want: []string{"value.converter"}},
		{Name: "unset env reference", Env: cfg(src + `,"mode":"incrementing","topic.prefix":"${env:SLKC_TEST_UNSET_VAR}"`), Want: []string{"SLKC_TEST_UNSET_VAR"}},
		{Name: "bad poll loop", Env: withEnv(cfg(src+`,"mode":"incrementing"`), PollLoopEnv, "soon"), Want: []string{PollLoopEnv, "soon"}},
		{Name: "bad transform", Env: cfg(src + `,"mode":"incrementing","transforms":"x","transforms.x.type":"com.example.Nope"`), Want: []string{"transforms"}},
		// The binlog CDC source under Debezium's class names.
		{Name: "cdc snapshot always", Env: cfg(cdc + `,"snapshot.mode":"always"`), Want: []string{"snapshot.mode", "not yet supported"}},
		{Name: "cdc unsupported debezium key", Env: cfg(cdc + `,"snapshot.mode":"no_data","binary.handling.mode":"hex"`), Want: []string{"binary.handling.mode"}},
		{Name: "cdc server unreachable", Env: cfg(cdc + `,"snapshot.mode":"no_data"`), Want: []string{"binlog: connect to 127.0.0.1:1"}},
		{Name: "cdc with tasks", Env: cfg(cdc + `,"snapshot.mode":"no_data","tasks.max":"2"`), Want: []string{`"tasks.max"`, `"2"`, "takes only 1"}},
		{Name: "cdc mysql class", Env: cfg(strings.Replace(cdc, "mariadb.MariaDbConnector", "mysql.MySqlConnector", 1)), Want: []string{"snapshot.mode", "required"}},
	})
}

// TestSetupBuildsTask checks the wiring of a valid config without touching
// any service (the source and producer connect lazily).
func TestSetupBuildsTask(t *testing.T) {
	coldstarttest.FakeAWS(t)
	getenv := coldstarttest.Connector(t, "orders-source", map[string]string{
		"connector.class":   "io.slkc.connect.mysql.MySqlSourceConnector",
		"bootstrap.servers": "127.0.0.1:1", "connection.url": "slkc:slkc@tcp(127.0.0.1:1)/shop", "mode": "incrementing",
		"topic.prefix": "mysql-", "aws.lambda.deadline.margin.ms": "7000",
		"topic.creation.default.partitions": "3", "topic.creation.default.replication.factor": "1",
		"transforms": "route", "transforms.route.type": "org.apache.kafka.connect.transforms.RegexRouter",
		"transforms.route.regex": "mysql-(.*)", "transforms.route.replacement": "$1",
	})
	env := func(k string) string {
		switch k {
		case "AWS_LAMBDA_FUNCTION_NAME":
			return "slkc-orders"
		case PollLoopEnv:
			return "60000"
		}
		return getenv(k)
	}
	a := coldstarttest.MustSetup(t, context.Background(), setup, env)
	if a.loop.Window.Milliseconds() != 60000 || a.loop.Interval.Milliseconds() != 5000 || a.loop.Margin.Milliseconds() != 7000 {
		t.Errorf("poll loop = %+v, want a 60 s window every 5 s (the default poll.interval.ms) with a 7 s margin", a.loop)
	}
	task := a.task
	if task.Name != "orders-source" || task.WorkerID != "slkc-orders" || task.DeadlineMargin.Milliseconds() != 7000 {
		t.Errorf("task = name %q worker %q margin %s", task.Name, task.WorkerID, task.DeadlineMargin)
	}
	if task.Transforms == nil || task.EnsureTopic == nil || task.Source == nil || task.Producer == nil ||
		task.Offsets == nil || task.Leases == nil || task.Status == nil || task.KeyConv == nil || task.ValueConv == nil || task.Metrics == nil {
		t.Errorf("task not fully wired: %+v", task)
	}
}

func TestSetupWithoutTransforms(t *testing.T) {
	coldstarttest.FakeAWS(t)
	getenv := coldstarttest.Connector(t, "orders-source", map[string]string{
		"connector.class":   "io.slkc.connect.mysql.MySqlSourceConnector",
		"bootstrap.servers": "127.0.0.1:1", "connection.url": "slkc:slkc@tcp(127.0.0.1:1)/shop", "mode": "incrementing",
	})
	task := coldstarttest.MustSetup(t, context.Background(), setup, getenv).task
	if task.Transforms != nil || task.EnsureTopic != nil || task.WorkerID != "source-poller" {
		t.Errorf("task = transforms %v, ensure topic set %v, worker %q; want none, false, source-poller", task.Transforms, task.EnsureTopic != nil, task.WorkerID)
	}
}

func TestHandleRejectsNonJSON(t *testing.T) {
	a := &app{task: &sourcetask.Task{Name: "x"}}
	handle, ok := a.Handler().(func(context.Context, json.RawMessage) (Response, error))
	if !ok {
		t.Fatalf("handler is %T, want the JSON payload handler", a.Handler())
	}
	if _, err := handle(context.Background(), json.RawMessage(`{nope`)); err == nil || !strings.Contains(err.Error(), "not JSON") {
		t.Errorf("handle(non-JSON) = %v", err)
	}
}

// withEnv returns env with k set to v.
func withEnv(env map[string]string, k, v string) map[string]string {
	env[k] = v
	return env
}
