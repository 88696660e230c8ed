package main

import (
	"context"
	"encoding/base64"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/serverless-kafka-connect/slkc/shared/coldstart/coldstarttest"
	"github.com/serverless-kafka-connect/slkc/shared/convert"
	"github.com/serverless-kafka-connect/slkc/shared/sinktask"
)

// b64 is a Kafka event key or value: base64 text.
func b64(s string) *string { e := base64.StdEncoding.EncodeToString([]byte(s)); return &e }

// TestSetupErrors covers what sink-handler rejects on top of
// coldstart.Load's checks (config missing, unknown class, unresolved
// references), which shared/coldstart tests.
func TestSetupErrors(t *testing.T) {
	coldstarttest.FakeAWS(t)
	cfg := func(fields string) map[string]string { return coldstarttest.RawConfig("s", fields) }
	dyn := `"connector.class":"io.slkc.connect.dynamodb.DynamoDbSinkConnector","topics":"orders","bootstrap.servers":"127.0.0.1:1"`
	coldstarttest.SetupErrors(t, setup, []coldstarttest.ErrorCase{
		{Name: "source connector", Env: cfg(`"connector.class":"io.slkc.connect.mysql.MySqlSourceConnector"`), Want: []string{"is a source connector"}},
		{Name: "unknown key", Env: cfg(dyn + `,"tpoics":"x"`), Want: []string{"tpoics"}},
		{Name: "bad tolerance", Env: cfg(dyn + `,"errors.tolerance":"some"`), Want: []string{"errors.tolerance"}},
		{Name: "bad converter", Env: cfg(dyn + `,"value.converter":"com.example.AvroConverter"`), Want: []string{"value.converter"}},
		{Name: "unset env reference", Env: cfg(dyn + `,"aws.dynamodb.region":"${env:SLKC_TEST_UNSET_VAR}"`), Want: []string{"SLKC_TEST_UNSET_VAR"}},
		{Name: "mysql sink without url", Env: cfg(`"connector.class":"io.confluent.connect.jdbc.JdbcSinkConnector","topics":"orders","bootstrap.servers":"127.0.0.1:1"`), Want: []string{"connection.url"}},
		{Name: "bad transform", Env: cfg(dyn + `,"transforms":"x","transforms.x.type":"com.example.Nope"`), Want: []string{"transforms"}},
		{Name: "tasks.max above 1", Env: cfg(dyn + `,"tasks.max":"3"`), Want: []string{`"3" for config key "tasks.max"`, "sinks take only 1"}},
		{Name: "credentials in the config", Env: cfg(dyn + `,"aws.access.key.id":"AKIA"`), Want: []string{"aws.access.key.id", "execution role"}},
		{Name: "topics.regex", Env: cfg(dyn + `,"topics.regex":"o.*"`), Want: []string{"topics.regex", "fixed list of topics"}},
		// JDBC keys are known to the MySQL sink, with the values that match.
		{Name: "jdbc sink dialect", Env: cfg(`"connector.class":"io.confluent.connect.jdbc.JdbcSinkConnector","topics":"orders","bootstrap.servers":"127.0.0.1:1",` +
			`"connection.url":"jdbc:mysql://127.0.0.1:1/db","quote.sql.identifiers":"always","connection.attempts":"1","dialect.name":"SqlServerDatabaseDialect"`),
			Want: []string{`"SqlServerDatabaseDialect" for config key "dialect.name"`, "MySQL and MariaDB only"}},
	})
}

// TestSetupBuildsTask checks the wiring of a valid DynamoDB sink config
// without touching any service (no dead-letter topic, so no Kafka client).
func TestSetupBuildsTask(t *testing.T) {
	coldstarttest.FakeAWS(t)
	getenv := coldstarttest.Connector(t, "orders-to-dynamo", map[string]string{
		"connector.class": "io.confluent.connect.aws.dynamodb.DynamoDbSinkConnector", "topics": "orders",
		"bootstrap.servers": "127.0.0.1:1", "table.name.format": "orders", "errors.tolerance": "all",
		"transforms": "unwrap,route", "transforms.unwrap.type": "io.debezium.transforms.ExtractNewRecordState",
		"transforms.route.type":  "org.apache.kafka.connect.transforms.RegexRouter",
		"transforms.route.regex": "(.*)", "transforms.route.replacement": "$1",
	})
	a := coldstarttest.MustSetup(t, context.Background(), setup, getenv)
	task := a.task
	if task.Name != "orders-to-dynamo" || task.Tolerance != "all" || task.ConnectorClass != "io.slkc.connect.dynamodb.DynamoDbSinkConnector" {
		t.Errorf("task = name %q tolerance %q class %q", task.Name, task.Tolerance, task.ConnectorClass)
	}
	if len(task.Topics) != 1 || task.Topics[0] != "orders" {
		t.Errorf("Topics = %q, want [orders]: records of other topics must be refused", task.Topics)
	}
	if _, ok := a.Handler().(lambda.Handler); !ok {
		t.Errorf("handler is %T, want a lambda.Handler taking the raw Kafka event", a.Handler())
	}
	if task.TransformClass != "io.debezium.transforms.ExtractNewRecordState,org.apache.kafka.connect.transforms.RegexRouter" {
		t.Errorf("TransformClass = %q, want both transform types in order", task.TransformClass)
	}
	if task.Destination == nil || task.Transforms == nil || task.Status == nil || task.Metrics == nil || task.DLQ != nil {
		t.Errorf("task not wired as expected: %+v", task)
	}
}

// TestSetupRetryKeys: errors.retry.timeout, errors.retry.delay.max.ms and
// the MySQL sink's max.retries and retry.backoff.ms reach the task's retry
// policy (sinktask tests show the policy retries). No service is touched:
// the MySQL pool connects lazily.
func TestSetupRetryKeys(t *testing.T) {
	coldstarttest.FakeAWS(t)
	tests := []struct {
		name string
		cfg  map[string]string
		want sinktask.Retry
	}{
		{name: "dynamodb defaults: no retries", cfg: map[string]string{
			"connector.class": "io.confluent.connect.aws.dynamodb.DynamoDbSinkConnector", "topics": "orders", "bootstrap.servers": "127.0.0.1:1"},
			want: sinktask.Retry{DelayMax: time.Minute}},
		{name: "dynamodb errors.retry.*", cfg: map[string]string{
			"connector.class": "io.confluent.connect.aws.dynamodb.DynamoDbSinkConnector", "topics": "orders", "bootstrap.servers": "127.0.0.1:1",
			"errors.retry.timeout": "-1", "errors.retry.delay.max.ms": "1500"},
			want: sinktask.Retry{Timeout: -time.Millisecond, DelayMax: 1500 * time.Millisecond}},
		{name: "mysql defaults are the JDBC sink's", cfg: map[string]string{
			"connector.class": "io.confluent.connect.jdbc.JdbcSinkConnector", "topics": "orders", "bootstrap.servers": "127.0.0.1:1",
			"connection.url": "jdbc:mysql://127.0.0.1:1/db"},
			want: sinktask.Retry{MaxRetries: 10, Backoff: 3 * time.Second, DelayMax: time.Minute}},
		{name: "mysql max.retries, retry.backoff.ms and errors.retry.timeout", cfg: map[string]string{
			"connector.class": "io.confluent.connect.jdbc.JdbcSinkConnector", "topics": "orders", "bootstrap.servers": "127.0.0.1:1",
			"connection.url": "jdbc:mysql://127.0.0.1:1/db", "max.retries": "4", "retry.backoff.ms": "250",
			"errors.retry.timeout": "5000", "errors.retry.delay.max.ms": "1000"},
			want: sinktask.Retry{MaxRetries: 4, Backoff: 250 * time.Millisecond, Timeout: 5 * time.Second, DelayMax: time.Second}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := coldstarttest.MustSetup(t, context.Background(), setup, coldstarttest.Connector(t, "c", tt.cfg))
			got := a.task.Retry
			if got.MaxRetries != tt.want.MaxRetries || got.Backoff != tt.want.Backoff || got.Timeout != tt.want.Timeout || got.DelayMax != tt.want.DelayMax {
				t.Errorf("Retry = %+v, want %+v", got, tt.want)
			}
		})
	}
}

// TestSetupHeaderConverter: header.converter defaults to Kafka Connect's
// SimpleHeaderConverter and the configured one reaches the task.
func TestSetupHeaderConverter(t *testing.T) {
	coldstarttest.FakeAWS(t)
	base := map[string]string{"connector.class": "io.confluent.connect.aws.dynamodb.DynamoDbSinkConnector", "topics": "orders", "bootstrap.servers": "127.0.0.1:1"}
	a := coldstarttest.MustSetup(t, context.Background(), setup, coldstarttest.Connector(t, "c", base))
	if _, ok := a.task.HeaderConverter.(convert.SimpleHeaderConverter); !ok || a.task.HeaderConverterClass != convert.SimpleHeaderConverterClass {
		t.Errorf("default header converter %T %q, want SimpleHeaderConverter", a.task.HeaderConverter, a.task.HeaderConverterClass)
	}
	base["header.converter"] = "org.apache.kafka.connect.storage.StringConverter"
	a = coldstarttest.MustSetup(t, context.Background(), setup, coldstarttest.Connector(t, "c2", base))
	s, v, err := a.task.HeaderConverter.ToConnectHeader("orders", "h", []byte("42"))
	if err != nil || s.Type != "string" || v != "42" {
		t.Errorf("StringConverter header converter read 42 as %+v %#v %v, want the string", s, v, err)
	}
}
