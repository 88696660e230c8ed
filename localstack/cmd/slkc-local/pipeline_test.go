package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/serverless-kafka-connect/slkc/localstack/bridge"
	"github.com/serverless-kafka-connect/slkc/shared/config"
)

func writePipeline(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

const sourceJSON = `{"name":"orders.source","config":{"connector.class":"io.confluent.connect.jdbc.JdbcSourceConnector",
 "poll.interval.ms":"${env:POLL_MS}","aws.lambda.timeout.seconds":"30"}}`

const sinkJSON = `{"name":"orders-sink","config":{"connector.class":"io.slkc.connect.mysql.MySqlSinkConnector",
 "topics":"orders, refunds","bootstrap.servers":"127.0.0.1:9092","aws.lambda.batch.size":"500","errors.tolerance":"all",
 "aws.lambda.maximum.retry.attempts":"3","aws.lambda.maximum.batching.window.seconds":"0",
 "aws.lambda.bisect.batch.on.error":"true","aws.lambda.memory.mb":"512"}}`

func TestLoadPipeline(t *testing.T) {
	dir := writePipeline(t, map[string]string{"a.json": sourceJSON, "b.json": sinkJSON})
	plans, err := loadPipeline(context.Background(), options{PipelineDir: dir, BuildDir: "/b", Region: "eu-west-1",
		SinkConcurrency: 7, Env: map[string]string{"POLL_MS": "250", "AWS_ENDPOINT_URL_DYNAMODB": "http://x"}, OnFailureDir: "/of"})
	if err != nil {
		t.Fatal(err)
	}
	if len(plans) != 2 {
		t.Fatalf("plans = %d, want 2", len(plans))
	}
	src, sink := plans[0], plans[1]
	if src.Kind != config.Source || src.Spec.Name != "orders-source" || src.Spec.Bootstrap != "/b/source-poller/bootstrap" ||
		src.PollInterval != 250*time.Millisecond || src.Spec.Timeout != 30*time.Second || src.Spec.Concurrency != 1 ||
		src.Spec.MemoryMB != 256 || src.Spec.Region != "eu-west-1" {
		t.Errorf("source plan = %+v", src)
	}
	if src.Spec.Env[config.EnvConnectorConfig] != sourceJSON || src.Spec.Env["AWS_ENDPOINT_URL_DYNAMODB"] != "http://x" ||
		src.Spec.Env["SLKC_OFFSETS_TABLE"] != "slkc-offsets" {
		t.Errorf("source env = %v", src.Spec.Env)
	}
	want := bridge.Mapping{FunctionName: "orders-sink", Topics: []string{"orders", "refunds"}, Bootstrap: "127.0.0.1:9092",
		ConsumerGroup: "connect-orders-sink", BatchSize: 500, StartingPosition: "TRIM_HORIZON", MaximumRetryAttempts: 3,
		BisectBatchOnError: true, ReportBatchItemFailures: true, EventSource: bridge.SourceSelfManaged}
	got := sink.Mapping
	got.FunctionARN = ""
	if len(sink.Mapping.KafkaOpts) != 0 {
		t.Errorf("PLAINTEXT sink got %d extra Kafka options, want none", len(sink.Mapping.KafkaOpts))
	}
	if sink.Kind != config.Sink || sink.Spec.Concurrency != 7 || sink.Spec.MemoryMB != 512 || sink.Spec.Timeout != time.Minute ||
		sink.Spec.Bootstrap != "/b/sink-handler/bootstrap" || strings.Join(got.Topics, ",") != "orders,refunds" {
		t.Errorf("sink plan = %+v", sink)
	}
	got.Topics, want.Topics = nil, nil
	if got.FunctionName != want.FunctionName || got.Bootstrap != want.Bootstrap || got.ConsumerGroup != want.ConsumerGroup ||
		got.BatchSize != want.BatchSize || got.StartingPosition != want.StartingPosition || got.MaximumRetryAttempts != 3 ||
		!got.BisectBatchOnError || !got.ReportBatchItemFailures || got.MaxBatchingWindow != 0 || got.MaximumRecordAge != 0 ||
		got.Concurrency != 7 {
		t.Errorf("mapping = %+v, want %+v", got, want)
	}
	// errors.tolerance=all with a retry limit: batches may be discarded, so
	// they go to an on-failure destination, as the SQS queue on AWS.
	if fd, ok := got.OnFailure.(*bridge.FileDestination); !ok || fd.Path != "/of/orders-sink.jsonl" {
		t.Errorf("OnFailure = %#v, want a file destination /of/orders-sink.jsonl", got.OnFailure)
	}
}

func TestLoadPipelineErrors(t *testing.T) {
	cases := []struct {
		name, file, want string
	}{
		{"unknown class", `{"name":"x","config":{"connector.class":"com.Foo"}}`, "unknown connector.class"},
		{"bad poll interval", `{"name":"x","config":{"connector.class":"io.slkc.connect.mysql.MySqlSourceConnector","poll.interval.ms":"soon"}}`, "poll.interval.ms"},
		{"sink without topics", `{"name":"x","config":{"connector.class":"io.slkc.connect.mysql.MySqlSinkConnector","bootstrap.servers":"h:1"}}`, "topics is empty"},
		{"bad lambda key", `{"name":"x","config":{"connector.class":"io.slkc.connect.mysql.MySqlSinkConnector","topics":"t","bootstrap.servers":"h:1","aws.lambda.batch.size":"0"}}`, "aws.lambda.batch.size"},
		{"bad sasl", `{"name":"x","config":{"connector.class":"io.slkc.connect.mysql.MySqlSinkConnector","topics":"t","bootstrap.servers":"h:1","security.protocol":"SASL_SSL"}}`, "sasl.mechanism"},
		{"retry limit with errors.tolerance=none", `{"name":"x","config":{"connector.class":"io.slkc.connect.mysql.MySqlSinkConnector","topics":"t","bootstrap.servers":"h:1","aws.lambda.maximum.retry.attempts":"3"}}`,
			"aws.lambda.maximum.retry.attempts"},
		{"record age with errors.tolerance=none", `{"name":"x","config":{"connector.class":"io.slkc.connect.mysql.MySqlSinkConnector","topics":"t","bootstrap.servers":"h:1","errors.tolerance":"none","aws.lambda.maximum.record.age.seconds":"600"}}`,
			"errors.tolerance=none must be -1"},
		{"unset env ref", `{"name":"x","config":{"connector.class":"io.slkc.connect.mysql.MySqlSinkConnector","topics":"t","bootstrap.servers":"${env:SLKC_TEST_UNSET_VAR}"}}`, "SLKC_TEST_UNSET_VAR"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := writePipeline(t, map[string]string{"c.json": tc.file})
			_, err := loadPipeline(context.Background(), options{PipelineDir: dir, BuildDir: "b", Region: "us-east-1", SinkConcurrency: 1})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("loadPipeline = %v, want error containing %q", err, tc.want)
			}
		})
	}
}

func TestReadEnvFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "env")
	text := "# comment\n\nexport A=1\nB = \"two words\"\nC='x=y'\n"
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := readEnvFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if got["A"] != "1" || got["B"] != "two words" || got["C"] != "x=y" || len(got) != 3 {
		t.Errorf("env = %v", got)
	}
	if err := os.WriteFile(p, []byte("novalue\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := readEnvFile(p); err == nil || !strings.Contains(err.Error(), ":1:") {
		t.Errorf("bad line error = %v, want the line number", err)
	}
}

func TestLoadPipelineSinkKafkaAuth(t *testing.T) {
	dir := writePipeline(t, map[string]string{"s.json": `{"name":"s","config":{"connector.class":"io.slkc.connect.mysql.MySqlSinkConnector",
		"topics":"t","bootstrap.servers":"h:9096","security.protocol":"SASL_SSL","sasl.mechanism":"SCRAM-SHA-512",
		"sasl.username":"u","sasl.password":"${env:KPASS}"}}`})
	plans, err := loadPipeline(context.Background(), options{PipelineDir: dir, BuildDir: "b", Region: "us-east-1",
		SinkConcurrency: 1, Env: map[string]string{"KPASS": "secret"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(plans[0].Mapping.KafkaOpts) == 0 {
		t.Error("SASL_SSL sink has no Kafka auth options for the bridge")
	}
	if plans[0].Mapping.OnFailure != nil {
		t.Errorf("errors.tolerance=none sink has an on-failure destination %#v; it must never give up on a record", plans[0].Mapping.OnFailure)
	}
}

// A worker file gives every connector its bootstrap servers: the runner's
// bridge uses them, and the function gets the file to merge itself.
func TestLoadPipelineWorkerFile(t *testing.T) {
	const worker = `{"bootstrap.servers":"${env:BROKERS}","value.converter":"org.apache.kafka.connect.json.JsonConverter"}`
	sink := `{"name":"s","config":{"connector.class":"io.slkc.connect.mysql.MySqlSinkConnector","topics":"t"}}`
	dir := writePipeline(t, map[string]string{"s.json": sink, config.WorkerFileName: worker})
	plans, err := loadPipeline(context.Background(), options{PipelineDir: dir, BuildDir: "/b", SinkConcurrency: 1,
		Env: map[string]string{"BROKERS": "10.0.0.1:9092"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(plans) != 1 || plans[0].Mapping.Bootstrap != "10.0.0.1:9092" {
		t.Fatalf("plans = %+v, want one sink reading 10.0.0.1:9092", plans)
	}
	if env := plans[0].Spec.Env; env[config.EnvWorkerConfig] != worker || env[config.EnvConnectorConfig] != sink {
		t.Errorf("function env = %v, want the connector and worker files", env)
	}
	dir = writePipeline(t, map[string]string{"s.json": sink, config.WorkerFileName: `{"topics":"x"}`})
	if _, err := loadPipeline(context.Background(), options{PipelineDir: dir}); err == nil ||
		!strings.Contains(err.Error(), `worker.json: key "topics": not a worker setting`) {
		t.Errorf("bad worker file: %v", err)
	}
}

// A sink with aws.lambda.schema.registry.uri gets the bridge's schema
// registry mode, as the deployed mapping gets SchemaRegistryConfig.
func TestLoadPipelineSinkSchemaRegistry(t *testing.T) {
	dir := writePipeline(t, map[string]string{"s.json": `{"name":"s","config":{"connector.class":"io.slkc.connect.mysql.MySqlSinkConnector",
		"topics":"t","bootstrap.servers":"h:9092","aws.lambda.schema.registry.uri":"http://127.0.0.1:8081/apis/ccompat/v7",
		"aws.lambda.event.record.format":"SOURCE","aws.lambda.schema.validation.attributes":"KEY,VALUE",
		"value.converter":"io.confluent.connect.avro.AvroConverter","value.converter.schema.registry.url":"http://127.0.0.1:8081/apis/ccompat/v7"}}`})
	plans, err := loadPipeline(context.Background(), options{PipelineDir: dir, BuildDir: "b", Region: "us-east-1", SinkConcurrency: 1})
	if err != nil {
		t.Fatal(err)
	}
	got := plans[0].Mapping.SchemaRegistry
	if got == nil || got.URI != "http://127.0.0.1:8081/apis/ccompat/v7" || got.EventRecordFormat != "SOURCE" || strings.Join(got.Attributes, ",") != "KEY,VALUE" {
		t.Fatalf("SchemaRegistry = %+v", got)
	}
}
