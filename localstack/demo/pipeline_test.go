package demo

import (
	"context"
	"github.com/serverless-kafka-connect/slkc/localstack/runtime"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/serverless-kafka-connect/slkc/connectors"
	"github.com/serverless-kafka-connect/slkc/connectors/dynamodb"
	"github.com/serverless-kafka-connect/slkc/connectors/mysql"
	"github.com/serverless-kafka-connect/slkc/shared/config"
)

// demoEnv resolves the pipeline's ${env:...} references in tests.
var demoEnv = map[string]string{
	"SLKC_KAFKA_BOOTSTRAP": "127.0.0.1:9092",
	"SLKC_DEMO_MYSQL_URL":  "jdbc:mysql://127.0.0.1:3306/slkc_demo",
	// connectors/pipeline-cdc's binlog source
	"SLKC_DEMO_MYSQL_HOST":     "127.0.0.1",
	"SLKC_DEMO_MYSQL_PORT":     "3306",
	"SLKC_DEMO_MYSQL_DATABASE": "slkc_demo",
}

// demoSecrets resolves the pipeline's ${secretsmanager:...} references.
var demoSecrets = map[string]string{MySQLSecretName: `{"username":"slkc","password":"slkc"}`}

func lookupIn(env map[string]string) config.Providers {
	return config.Providers{
		LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok },
		Secrets:   runtime.NewSecrets(demoSecrets),
	}
}

const pipelineDir = "../../connectors/pipeline"

func TestLoadPipelineOfTheRepository(t *testing.T) {
	p, err := LoadPipeline(context.Background(), pipelineDir, lookupIn(demoEnv))
	if err != nil {
		t.Fatal(err)
	}
	want := Pipeline{
		Source:     SourceInfo{Connector: "orders-source", Database: "slkc_demo", Table: "orders", Topic: "demo.orders", PollIntervalMs: 2000},
		MySQLSink:  SinkInfo{Connector: "orders-mysql-sink", Class: mysql.SinkClass, Topics: []string{"demo.orders"}, Group: "connect-orders-mysql-sink", Database: "slkc_demo", Table: "orders_replica", DLQTopic: "demo.orders.dlq"},
		DynamoSink: SinkInfo{Connector: "orders-dynamodb-sink", Class: dynamodb.Class, Topics: []string{"demo.orders"}, Group: "connect-orders-dynamodb-sink", Table: "slkc-demo-orders", DLQTopic: "demo.orders.dynamodb.dlq"},
	}
	if p.Source != want.Source {
		t.Errorf("source = %+v, want %+v", p.Source, want.Source)
	}
	for _, c := range []struct{ got, want SinkInfo }{{p.MySQLSink, want.MySQLSink}, {p.DynamoSink, want.DynamoSink}} {
		if c.got.Connector != c.want.Connector || c.got.Class != c.want.Class || strings.Join(c.got.Topics, ",") != strings.Join(c.want.Topics, ",") ||
			c.got.Group != c.want.Group || c.got.Database != c.want.Database || c.got.Table != c.want.Table || c.got.DLQTopic != c.want.DLQTopic {
			t.Errorf("sink = %+v, want %+v", c.got, c.want)
		}
	}
	if len(p.Connectors) != 3 || len(p.SinkConfigs) != 2 {
		t.Errorf("connectors %v, sinks %d; want 3 and 2", p.Connectors, len(p.SinkConfigs))
	}
}

// The pipeline files must pass the same validation the functions run at
// init (framework keys, connector keys, cross-key rules), so a typo fails
// here rather than as a Runtime.StartError in the demo.
func TestPipelineFilesValidate(t *testing.T) {
	var files []*config.File
	for _, dir := range []string{pipelineDir, cdcPipelineDir} {
		fs, err := config.LoadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, fs...)
	}
	for _, f := range files {
		t.Run(f.Name, func(t *testing.T) {
			props, err := config.Resolve(context.Background(), f.Config, lookupIn(demoEnv))
			if err != nil {
				t.Fatal(err)
			}
			// The same parse the functions run at cold start: the
			// connector's definitions from the registry.
			plugin, err := connectors.Lookup(props[config.KeyConnectorClass])
			if err != nil {
				t.Fatal(err)
			}
			if _, _, err := config.ParseConnector(props, plugin.Def()); err != nil {
				t.Fatal(err)
			}
			// Local Kafka has one broker: a replication factor above 1 would
			// make the dead-letter topic's creation fail.
			if v, ok := props[config.KeyDLQTopic]; ok && v != "" {
				if rf := props[config.KeyDLQReplicationFactor]; rf != "1" {
					t.Errorf("%s = %q, want 1 for the single-broker local stack", config.KeyDLQReplicationFactor, rf)
				}
			}
			for _, k := range []string{"connection.password", "database.password"} {
				if pw, ok := f.Config[k]; ok && !strings.HasPrefix(pw, "${") {
					t.Errorf("%s is a literal; use ${env:...} locally or ${secretsmanager:...} in AWS", k)
				}
			}
		})
	}
}

func TestLoadPipelineErrors(t *testing.T) {
	read := func(name string) string { return readFile(t, pipelineDir, name) }
	source, mysqlSink, ddbSink := read("orders-source.json"), read("orders-mysql-sink.json"), read("orders-dynamodb-sink.json")
	tests := []struct {
		name  string
		files map[string]string
		env   map[string]string
		want  string
	}{
		{"missing dynamodb sink", map[string]string{"a.json": source, "b.json": mysqlSink}, demoEnv, "want exactly one DynamoDB sink connector, found 0"},
		{"unset env reference", map[string]string{"a.json": source, "b.json": mysqlSink, "c.json": ddbSink}, map[string]string{}, "SLKC_DEMO_MYSQL_URL"},
		{"sink reads another topic", map[string]string{"a.json": source, "b.json": mysqlSink,
			"c.json": strings.Replace(ddbSink, `"topics": "demo.orders"`, `"topics": "other"`, 1)}, demoEnv, `reads [other], want the source's topic "demo.orders"`},
		{"two sources", map[string]string{"a.json": source, "b.json": mysqlSink, "c.json": ddbSink,
			"d.json": strings.Replace(source, `"name": "orders-source"`, `"name": "orders-source-2"`, 1)}, demoEnv, "want exactly one MySQL source connector, found 2"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadPipeline(context.Background(), writeFiles(t, tc.files), lookupIn(tc.env))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

// readFile returns the text of dir/name.
func readFile(t *testing.T, dir, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// writeFiles writes files (name to text) into a new temporary folder.
func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for n, text := range files {
		if err := os.WriteFile(filepath.Join(dir, n), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}
