package main

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
)

func envOf(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestSetupErrors(t *testing.T) {
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_ACCESS_KEY_ID", "local")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "local")
	cfg := func(extra string) map[string]string {
		return map[string]string{"SLKC_CONNECTOR_CONFIG": `{"name":"s","config":{` + extra + `}}`}
	}
	dyn := `"connector.class":"io.slkc.connect.dynamodb.DynamoDbSinkConnector","topics":"orders","bootstrap.servers":"127.0.0.1:1"`
	tests := []struct {
		name string
		env  map[string]string
		want []string
	}{
		{name: "no config", env: nil, want: []string{"SLKC_CONNECTOR_CONFIG", "SLKC_CONNECTOR_CONFIG_FILE"}},
		{name: "config file missing", env: map[string]string{"SLKC_CONNECTOR_CONFIG_FILE": "/nonexistent/c.json"}, want: []string{"/nonexistent/c.json"}},
		{name: "source connector", env: cfg(`"connector.class":"io.slkc.connect.mysql.MySqlSourceConnector"`), want: []string{"is a source connector"}},
		{name: "unknown class", env: cfg(`"connector.class":"com.example.Nope"`), want: []string{"com.example.Nope"}},
		{name: "unknown key", env: cfg(dyn + `,"tpoics":"x"`), want: []string{"tpoics"}},
		{name: "bad tolerance", env: cfg(dyn + `,"errors.tolerance":"some"`), want: []string{"errors.tolerance"}},
		{name: "bad converter", env: cfg(dyn + `,"value.converter":"com.example.AvroConverter"`), want: []string{"value.converter"}},
		{name: "unset env reference", env: cfg(dyn + `,"aws.dynamodb.region":"${env:SLKC_TEST_UNSET_VAR}"`), want: []string{"SLKC_TEST_UNSET_VAR"}},
		{name: "mysql sink without url", env: cfg(`"connector.class":"io.confluent.connect.jdbc.JdbcSinkConnector","topics":"orders","bootstrap.servers":"127.0.0.1:1"`), want: []string{"connection.url"}},
		{name: "bad transform", env: cfg(dyn + `,"transforms":"x","transforms.x.type":"com.example.Nope"`), want: []string{"transforms"}},
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := setup(context.Background(), envOf(tt.env), log)
			if err == nil {
				a.close()
				t.Fatalf("setup() succeeded, want an error containing %q", tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("setup() = %q, want it to contain %q", err, w)
				}
			}
		})
	}
}

func TestConnectorDefKeepsFrameworkTopics(t *testing.T) {
	d := connectorDef([]string{"topics", "connection.password", "table.name.format"})
	if _, ok := d.Key("topics"); ok {
		t.Error("connector def redefines topics; the framework's list definition must win")
	}
	if k, ok := d.Key("connection.password"); !ok || k.Type.String() != "PASSWORD" {
		t.Errorf("connection.password = %+v, want a PASSWORD key", k)
	}
}
