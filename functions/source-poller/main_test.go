package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/serverless-kafka-connect/slkc/shared/sourcetask"
)

func envOf(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestSetupErrors(t *testing.T) {
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_ACCESS_KEY_ID", "local")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "local")
	cfg := func(extra string) map[string]string {
		return map[string]string{"SLKC_CONNECTOR_CONFIG": `{"name":"s","config":{` + extra + `}}`}
	}
	src := `"connector.class":"io.confluent.connect.jdbc.JdbcSourceConnector","bootstrap.servers":"127.0.0.1:1","connection.url":"slkc:slkc@tcp(127.0.0.1:1)/shop"`
	tests := []struct {
		name string
		env  map[string]string
		want []string
	}{
		{name: "no config", env: nil, want: []string{"SLKC_CONNECTOR_CONFIG", "SLKC_CONNECTOR_CONFIG_FILE"}},
		{name: "config file missing", env: map[string]string{"SLKC_CONNECTOR_CONFIG_FILE": "/nonexistent/c.json"}, want: []string{"/nonexistent/c.json"}},
		{name: "sink connector", env: cfg(`"connector.class":"io.slkc.connect.mysql.MySqlSinkConnector","topics":"t"`), want: []string{"is not a source connector"}},
		{name: "unknown class", env: cfg(`"connector.class":"com.example.Nope"`), want: []string{"com.example.Nope"}},
		{name: "missing mode", env: cfg(src), want: []string{"mode"}},
		{name: "unknown key", env: cfg(src + `,"mode":"incrementing","tabel.whitelist":"x"`), want: []string{"tabel.whitelist"}},
		{name: "bad mode", env: cfg(src + `,"mode":"sometimes"`), want: []string{"mode", "sometimes"}},
		{name: "bad converter", env: cfg(src + `,"mode":"incrementing","value.converter":"com.example.AvroConverter"`), want: []string{"value.converter"}},
		{name: "unset env reference", env: cfg(src + `,"mode":"incrementing","topic.prefix":"${env:SLKC_TEST_UNSET_VAR}"`), want: []string{"SLKC_TEST_UNSET_VAR"}},
		{name: "bad transform", env: cfg(src + `,"mode":"incrementing","transforms":"x","transforms.x.type":"com.example.Nope"`), want: []string{"transforms"}},
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := setup(context.Background(), envOf(tt.env), log)
			if err == nil {
				a.close()
				t.Fatal("setup succeeded; want error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

// TestSetupBuildsTask checks the wiring of a valid config without touching
// any service (the source and producer connect lazily).
func TestSetupBuildsTask(t *testing.T) {
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_ACCESS_KEY_ID", "local")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "local")
	conf := `{"name":"orders-source","config":{"connector.class":"io.slkc.connect.mysql.MySqlSourceConnector",
		"bootstrap.servers":"127.0.0.1:1","connection.url":"slkc:slkc@tcp(127.0.0.1:1)/shop","mode":"incrementing",
		"topic.prefix":"mysql-","aws.lambda.deadline.margin.ms":"7000",
		"topic.creation.default.partitions":"3","topic.creation.default.replication.factor":"1",
		"transforms":"route","transforms.route.type":"org.apache.kafka.connect.transforms.RegexRouter",
		"transforms.route.regex":"mysql-(.*)","transforms.route.replacement":"$1"}}`
	a, err := setup(context.Background(), envOf(map[string]string{"SLKC_CONNECTOR_CONFIG": conf, "AWS_LAMBDA_FUNCTION_NAME": "slkc-orders"}), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer a.close()
	task := a.task
	if task.Name != "orders-source" || task.WorkerID != "slkc-orders" || task.DeadlineMargin.Milliseconds() != 7000 {
		t.Errorf("task = name %q worker %q margin %s", task.Name, task.WorkerID, task.DeadlineMargin)
	}
	if task.Transforms == nil || task.EnsureTopic == nil || task.Source == nil || task.Producer == nil ||
		task.Offsets == nil || task.Leases == nil || task.Status == nil || task.KeyConv == nil || task.ValueConv == nil {
		t.Errorf("task not fully wired: %+v", task)
	}
}

func TestHandleRejectsNonJSON(t *testing.T) {
	a := &app{task: &sourcetask.Task{Name: "x"}}
	if _, err := a.handle(context.Background(), json.RawMessage(`{nope`)); err == nil || !strings.Contains(err.Error(), "not JSON") {
		t.Errorf("handle(non-JSON) = %v", err)
	}
}
