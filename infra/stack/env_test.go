package stack

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"

	"github.com/serverless-kafka-connect/slkc/infra/pipeline"
)

// envSource is a source whose connection and Kafka settings come from ${env:...}.
const envSource = `{"name":"orders-source","config":{
	"connector.class":"io.confluent.connect.jdbc.JdbcSourceConnector",
	"connection.url":"${env:DB_URL}","connection.user":"${env:DB_USER}",
	"connection.password":"${secretsmanager:slkc/db:password}",
	"bootstrap.servers":"${env:SLKC_KAFKA_BOOTSTRAP}","topic.prefix":"shop-",
	"table.whitelist":"${env:AWS_REGION}-orders","poll.interval.ms":"60000"}}`

var selfManaged = Kafka{Mode: KafkaModeSelfManaged, BootstrapServers: []string{"b1:9096", "b2:9096"}}

// functionVariables synthesizes one connector and returns its function's
// environment variables without the app's own (config text, table names).
func functionVariables(t *testing.T, kind pipeline.Kind, doc string, kafka Kafka, values map[string]string) (map[string]any, error) {
	t.Helper()
	st := newTestStack()
	tables, _ := NewStateTables(st, "State", nil)
	c := connector(t, doc)
	var err error
	if kind == pipeline.KindSource {
		_, err = NewSourceConnector(st, "C", &SourceConnectorProps{Connector: c, AssetPath: assetDir(t), Tables: tables,
			Kafka: &kafka, SecretARNs: []string{testSecretARN}, FunctionEnv: values})
	} else {
		_, err = NewSinkConnector(st, "C", &SinkConnectorProps{Connector: c, AssetPath: assetDir(t), Tables: tables,
			Kafka: kafka, FunctionEnv: values})
	}
	if err != nil {
		return nil, err
	}
	env, _ := get(props(synth(t, st).one("AWS::Lambda::Function")), "Environment", "Variables").(map[string]any)
	if str(env["SLKC_CONNECTOR_CONFIG"]) != c.Text {
		t.Errorf("SLKC_CONNECTOR_CONFIG = %v, want the file text", env["SLKC_CONNECTOR_CONFIG"])
	}
	for k := range appEnv {
		delete(env, k)
	}
	return env, nil
}

func TestFunctionEnv(t *testing.T) {
	sink := `{"name":"orders-sink","config":{"connector.class":"io.slkc.connect.mysql.MySqlSinkConnector","topics":"orders",
		"connection.url":"jdbc:mysql://${env:DB_HOST}:3306/${env:DB_NAME}","bootstrap.servers":"${env:SLKC_KAFKA_BOOTSTRAP}"}}`
	tests := []struct {
		name   string
		kind   pipeline.Kind
		doc    string
		kafka  Kafka
		values map[string]string
		want   map[string]any
	}{
		{
			name: "source: referenced variables only; bootstrap from self-managed servers; AWS_REGION left to Lambda",
			kind: pipeline.KindSource, doc: envSource, kafka: selfManaged,
			values: map[string]string{"DB_URL": "jdbc:mysql://db:3306/shop", "DB_USER": "slkc", "OTHER_CONNECTORS_VAR": "x"},
			want:   map[string]any{"DB_URL": "jdbc:mysql://db:3306/shop", "DB_USER": "slkc", "SLKC_KAFKA_BOOTSTRAP": "b1:9096,b2:9096"},
		},
		{
			name: "source: an explicit bootstrap value wins over the default",
			kind: pipeline.KindSource, doc: envSource, kafka: selfManaged,
			values: map[string]string{"DB_URL": "u", "DB_USER": "v", "SLKC_KAFKA_BOOTSTRAP": "tls-1:9094"},
			want:   map[string]any{"DB_URL": "u", "DB_USER": "v", "SLKC_KAFKA_BOOTSTRAP": "tls-1:9094"},
		},
		{
			name: "sink with MSK: several references in one value, bootstrap given",
			kind: pipeline.KindSink, doc: sink, kafka: Kafka{Mode: KafkaModeMSK, MSKClusterARN: testClusterARN},
			values: map[string]string{"DB_HOST": "warehouse", "DB_NAME": "wh", "SLKC_KAFKA_BOOTSTRAP": "b-1.msk:9098"},
			want:   map[string]any{"DB_HOST": "warehouse", "DB_NAME": "wh", "SLKC_KAFKA_BOOTSTRAP": "b-1.msk:9098"},
		},
		{
			name: "no references, no variables",
			kind: pipeline.KindSink, doc: `{"name":"s","config":{"connector.class":"io.slkc.connect.dynamodb.DynamoDbSinkConnector","topics":"orders"}}`,
			kafka: selfManaged, values: map[string]string{"DB_URL": "u"}, want: map[string]any{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := functionVariables(t, tt.kind, tt.doc, tt.kafka, tt.values)
			if err != nil {
				t.Fatal(err)
			}
			equal(t, "variables", got, tt.want)
		})
	}
}

func TestFunctionEnvErrors(t *testing.T) {
	doc := func(kv string) string {
		return `{"name":"orders-source","config":{"connector.class":"io.slkc.connect.mysql.MySqlSourceConnector","topic.prefix":"p-",` + kv + `}}`
	}
	tests := []struct {
		name   string
		kind   pipeline.Kind
		doc    string
		kafka  Kafka
		values map[string]string
		want   []string
	}{
		{"missing value", pipeline.KindSource, envSource, selfManaged, map[string]string{"DB_URL": "u"},
			[]string{"connector orders-source", `key "connection.user"`, "${env:DB_USER}", "functionEnv=DB_USER="}},
		{"password from the environment", pipeline.KindSource, doc(`"connection.password":"${env:DB_PASSWORD}"`), selfManaged,
			map[string]string{"DB_PASSWORD": "p"},
			[]string{"connector orders-source", `key "connection.password"`, "${env:DB_PASSWORD}", "${secretsmanager:SECRET_ID:JSON_KEY}"}},
		{"sasl.password", pipeline.KindSource, doc(`"sasl.password":"pre-${env:PW}"`), selfManaged, map[string]string{"PW": "p"},
			[]string{`key "sasl.password"`, "${env:PW}", "password or secret key"}},
		{"any *.password", pipeline.KindSource, doc(`"ssl.key.password":"${env:KP}"`), selfManaged, map[string]string{"KP": "p"},
			[]string{`key "ssl.key.password"`}},
		{"MSK bootstrap has no default", pipeline.KindSource, doc(`"bootstrap.servers":"${env:SLKC_KAFKA_BOOTSTRAP}"`),
			Kafka{Mode: KafkaModeMSK, MSKClusterARN: testClusterARN}, nil,
			[]string{`key "bootstrap.servers"`, "SLKC_KAFKA_BOOTSTRAP has no value", "get-bootstrap-brokers"}},
		{"bootstrap default is for bootstrap.servers only", pipeline.KindSource, doc(`"connection.url":"${env:SLKC_KAFKA_BOOTSTRAP}"`),
			selfManaged, nil, []string{`key "connection.url"`, "SLKC_KAFKA_BOOTSTRAP has no value"}},
		{"value for a Lambda variable", pipeline.KindSource, doc(`"table.whitelist":"${env:AWS_REGION}"`), selfManaged,
			map[string]string{"AWS_REGION": "eu-west-1"}, []string{"AWS_REGION is set by Lambda or the app"}},
		{"name Lambda rejects", pipeline.KindSource, doc(`"table.whitelist":"${env:my-table}"`), selfManaged,
			map[string]string{"my-table": "t"}, []string{`"my-table"`, "letter followed by"}},
		{"one-letter name (Lambda wants two or more)", pipeline.KindSource, doc(`"table.whitelist":"${env:T}"`), selfManaged,
			map[string]string{"T": "t"}, []string{`name "T"`}},
		{"environment over 4 KB", pipeline.KindSource, doc(`"table.whitelist":"${env:BIG}"`), selfManaged,
			map[string]string{"BIG": strings.Repeat("t", 4000)}, []string{"connector orders-source", "Lambda allows 4096"}},
		{"all problems together", pipeline.KindSource, doc(`"connection.password":"${env:PW}","connection.url":"${env:URL}","connection.user":"${env:USR}"`),
			selfManaged, nil, []string{`key "connection.password"`, "URL has no value", "USR has no value"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := functionVariables(t, tt.kind, tt.doc, tt.kafka, tt.values)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

func TestFunctionEnvFromContext(t *testing.T) {
	tests := []struct {
		name    string
		in      any
		want    map[string]string
		wantErr []string
	}{
		{"none", nil, map[string]string{}, nil},
		{"pairs, names trimmed", "AA=1, BB=x=y", map[string]string{"AA": "1", "BB": "x=y"}, nil},
		{"pairs; a comma part without NAME= continues the value",
			"SLKC_KAFKA_BOOTSTRAP=b1:9092,b2:9092,DB_URL=jdbc:mysql://h:3306/d?useSSL=true,DB_USER=slkc",
			map[string]string{"SLKC_KAFKA_BOOTSTRAP": "b1:9092,b2:9092", "DB_URL": "jdbc:mysql://h:3306/d?useSSL=true", "DB_USER": "slkc"}, nil},
		{"JSON string", `{"AA":"1,BB=2","NN":5}`, map[string]string{"AA": "1,BB=2", "NN": "5"}, nil},
		{"cdk.json object", map[string]any{"AA": "x", "TT": true}, map[string]string{"AA": "x", "TT": "true"}, nil},
		{"bad entries", "junk,AA=1,AA=2", nil, []string{`"junk": want NAME=value`, "AA: given twice"}},
		{"reserved and app names", map[string]any{"AWS_REGION": "x", "SLKC_OFFSETS_TABLE": "t", "ok_name": "v"}, nil,
			[]string{"AWS_REGION is set by the Lambda runtime", "SLKC_OFFSETS_TABLE is set by the app"}},
		{"not a string value", map[string]any{"AA": []any{"x"}}, nil, []string{"AA: value must be a string"}},
		{"bad JSON", `{"A":`, nil, []string{"JSON object"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := FunctionEnvFromContext(tt.in)
			if len(tt.wantErr) > 0 {
				if err == nil {
					t.Fatalf("no error, got %v", got)
				}
				for _, w := range tt.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q lacks %q", err, w)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			equal(t, "functionEnv", got, tt.want)
		})
	}
}

func TestPipelineWarnings(t *testing.T) {
	app := awscdk.NewApp(nil)
	settings, err := SettingsFromContext(func(k string) any {
		return map[string]any{"kafkaMode": "self-managed", "bootstrapServers": "b1:9096", "functionEnv": "DB_URL=u,DB_USER=v,TYPO_VAR=x", "secretArns": testSecretARN}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	settings.BuildDir = t.TempDir()
	for _, fn := range []string{"source-poller", "control-api"} {
		if err := os.Mkdir(filepath.Join(settings.BuildDir, fn), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(settings.BuildDir, fn, "bootstrap"), []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	fast := strings.Replace(envSource, `"poll.interval.ms":"60000"`, `"poll.interval.ms":"2000"`, 1)
	p, err := NewPipelineStack(app, "slkc-test", &PipelineStackProps{Settings: settings, Connectors: []pipeline.Connector{connector(t, fast)}})
	if err != nil {
		t.Fatal(err)
	}
	var msgs []string
	for _, c := range *p.Stack.Node().FindAll(constructs.ConstructOrder_PREORDER) {
		for _, m := range *c.Node().Metadata() {
			if *m.Type == "aws:cdk:warning" {
				b, _ := json.Marshal(m.Data)
				msgs = append(msgs, string(b))
			}
		}
	}
	all := strings.Join(msgs, "\n")
	for _, want := range []string{"TYPO_VAR is not referenced", "poll.interval.ms=2000 is below"} {
		if !strings.Contains(all, want) {
			t.Errorf("warnings %s lack %q", all, want)
		}
	}
	if strings.Contains(all, "DB_URL") {
		t.Errorf("warning for a used variable: %s", all)
	}
}
