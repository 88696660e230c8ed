package coldstart_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/serverless-kafka-connect/slkc/connectors/mysql"
	"github.com/serverless-kafka-connect/slkc/shared/coldstart"
	"github.com/serverless-kafka-connect/slkc/shared/coldstart/coldstarttest"
	"github.com/serverless-kafka-connect/slkc/shared/config"
)

const dynamoSink = `"connector.class":"io.confluent.connect.aws.dynamodb.DynamoDbSinkConnector","topics":"orders","bootstrap.servers":"127.0.0.1:1"`

// load runs Load on the connector "s" with the given config members.
func load(t *testing.T, fields string) (*coldstart.Init, error) {
	t.Helper()
	return coldstart.Load(context.Background(), coldstarttest.Env(coldstarttest.RawConfig("s", fields)), coldstarttest.Discard())
}

// parsed is Load and Parse(nil) on the connector "s", closed at cleanup.
func parsed(t *testing.T, fields string, log *slog.Logger) *coldstart.Init {
	t.Helper()
	in, err := coldstart.Load(context.Background(), coldstarttest.Env(coldstarttest.RawConfig("s", fields)), log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(in.Close)
	if _, err := in.Parse(nil); err != nil {
		t.Fatal(err)
	}
	return in
}

func TestLoadErrors(t *testing.T) {
	coldstarttest.FakeAWS(t)
	tests := []struct {
		name string
		env  map[string]string
		want []string
	}{
		{name: "no config", env: nil, want: []string{"SLKC_CONNECTOR_CONFIG", "SLKC_CONNECTOR_CONFIG_FILE"}},
		{name: "config file missing", env: map[string]string{"SLKC_CONNECTOR_CONFIG_FILE": "/nonexistent/c.json"}, want: []string{"/nonexistent/c.json"}},
		{name: "config not JSON", env: map[string]string{"SLKC_CONNECTOR_CONFIG": "{"}, want: []string{"SLKC_CONNECTOR_CONFIG"}},
		{name: "unknown class", env: coldstarttest.RawConfig("s", `"connector.class":"com.example.Nope"`), want: []string{`connector "s"`, "com.example.Nope"}},
		{name: "unset env reference", env: coldstarttest.RawConfig("s", dynamoSink+`,"table.name.format":"${env:SLKC_TEST_UNSET_VAR}"`),
			want: []string{`connector "s"`, "table.name.format", "SLKC_TEST_UNSET_VAR"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in, err := coldstart.Load(context.Background(), coldstarttest.Env(tt.env), nil)
			if err == nil {
				t.Fatalf("Load() = %+v, want an error", in)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Load() error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestLoadResolvesAndClassifies(t *testing.T) {
	coldstarttest.FakeAWS(t)
	t.Setenv("SLKC_TEST_URL", "slkc:slkc@tcp(127.0.0.1:1)/shop")
	getenv := coldstarttest.Env(coldstarttest.RawConfig("s", `"connector.class":"io.confluent.connect.jdbc.JdbcSinkConnector","connection.url":"${env:SLKC_TEST_URL}"`))
	in, err := coldstart.Load(context.Background(), getenv, nil)
	if err != nil {
		t.Fatal(err)
	}
	if in.Kind != config.Sink || in.Class != mysql.SinkClass {
		t.Errorf("kind, class = %v, %q; want sink, %q (alias resolved)", in.Kind, in.Class, mysql.SinkClass)
	}
	if got := in.Props["connection.url"]; got != "slkc:slkc@tcp(127.0.0.1:1)/shop" {
		t.Errorf("connection.url = %q, want the resolved value", got)
	}
	if got := in.File.Config["connection.url"]; got != "${env:SLKC_TEST_URL}" {
		t.Errorf("File keeps %q, want the reference as written", got)
	}
	if in.Logger != slog.Default() {
		t.Error("Logger is not slog.Default() when none is given")
	}
	if err := in.Errorf("%s: %w", "k", errors.New("bad")); err.Error() != `connector "s": k: bad` {
		t.Errorf("Errorf() = %q", err)
	}
}

// TestLoadSecretsManager resolves a ${secretsmanager:...} reference
// through the SDK against a fake Secrets Manager endpoint, the way the
// function reaches AWS_ENDPOINT_URL_SECRETS_MANAGER.
func TestLoadSecretsManager(t *testing.T) {
	var asked []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var in struct{ SecretId string }
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil || r.Header.Get("X-Amz-Target") != "secretsmanager.GetSecretValue" {
			http.Error(w, "unexpected request", http.StatusBadRequest)
			return
		}
		asked = append(asked, in.SecretId)
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		_ = json.NewEncoder(w).Encode(map[string]string{"Name": in.SecretId, "SecretString": `{"password":"s3cret"}`})
	}))
	defer srv.Close()
	coldstarttest.FakeAWS(t)
	t.Setenv("AWS_ENDPOINT_URL_SECRETS_MANAGER", srv.URL)

	in, err := load(t, `"connector.class":"io.slkc.connect.mysql.MySqlSinkConnector","connection.password":"${secretsmanager:prod/mysql:password}"`)
	if err != nil {
		t.Fatal(err)
	}
	if got := in.Props["connection.password"]; got != "s3cret" {
		t.Errorf("connection.password = %q, want the secret's field", got)
	}
	if !reflect.DeepEqual(asked, []string{"prod/mysql"}) {
		t.Errorf("secrets asked for = %v, want [prod/mysql]", asked)
	}
}

func TestParseAndBuild(t *testing.T) {
	coldstarttest.FakeAWS(t)
	t.Setenv("SLKC_STATUS_TABLE", "my-status")
	tests := []struct {
		name       string
		fields     string
		def        *config.Def
		wantErr    []string
		transforms int
	}{
		{name: "framework keys only", fields: dynamoSink, transforms: 0},
		{name: "connector keys merged", fields: dynamoSink + `,"table.name.format":"t"`,
			def: config.NewDef(config.Key{Name: "table.name.format", Type: config.String}), transforms: 0},
		{name: "transforms chain", fields: dynamoSink + `,"transforms":"r","transforms.r.type":"org.apache.kafka.connect.transforms.RegexRouter","transforms.r.regex":"a","transforms.r.replacement":"b"`,
			transforms: 1},
		{name: "unknown key", fields: dynamoSink + `,"table.name.format":"t"`, wantErr: []string{`connector "s": invalid config`, "table.name.format"}},
		{name: "bad key converter", fields: dynamoSink + `,"key.converter":"org.apache.kafka.connect.storage.StringConverter","key.converter.converter.encoding":"latin1"`,
			wantErr: []string{`connector "s": key.converter`}},
		{name: "bad transform", fields: dynamoSink + `,"transforms":"x","transforms.x.type":"com.example.Nope"`, wantErr: []string{`connector "s": transforms`, "com.example.Nope"}},
		{name: "predicate gates a transform", fields: dynamoSink + `,"transforms":"f","transforms.f.type":"org.apache.kafka.connect.transforms.Filter","transforms.f.predicate":"t","predicates":"t","predicates.t.type":"org.apache.kafka.connect.transforms.predicates.RecordIsTombstone"`,
			transforms: 1},
		{name: "undefined predicate", fields: dynamoSink + `,"transforms":"f","transforms.f.type":"org.apache.kafka.connect.transforms.Filter","transforms.f.predicate":"nope"`,
			wantErr: []string{"transforms.f.predicate", "no such predicate"}},
		{name: "bad predicate without transforms", fields: dynamoSink + `,"predicates":"p","predicates.p.type":"org.apache.kafka.connect.transforms.predicates.TopicNameMatches"`,
			wantErr: []string{"predicates.p.pattern", "missing"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in, err := load(t, tt.fields)
			if err != nil {
				t.Fatal(err)
			}
			if _, err = in.Parse(tt.def); err == nil {
				err = in.Build(context.Background())
			}
			if len(tt.wantErr) > 0 {
				if err == nil {
					t.Fatalf("Parse+Build succeeded, want an error containing %q", tt.wantErr)
				}
				for _, w := range tt.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q does not contain %q", err, w)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if in.Framework == nil || in.Framework.Name != "s" || in.KeyConverter == nil || in.ValueConverter == nil {
				t.Errorf("not built: framework %+v, converters %v %v", in.Framework, in.KeyConverter, in.ValueConverter)
			}
			if in.Transforms.Len() != tt.transforms {
				t.Errorf("transforms = %d, want %d", in.Transforms.Len(), tt.transforms)
			}
			if in.Stores.Offsets == nil || in.Stores.Leases == nil || in.Stores.Status == nil || in.AWS.Region != "us-east-1" {
				t.Errorf("stores %+v, AWS region %q; want all stores and us-east-1", in.Stores, in.AWS.Region)
			}
		})
	}
}

func TestCallOrder(t *testing.T) {
	coldstarttest.FakeAWS(t)
	in, err := load(t, dynamoSink)
	if err != nil {
		t.Fatal(err)
	}
	if err := in.Build(context.Background()); err == nil || !strings.Contains(err.Error(), "before Parse") {
		t.Errorf("Build before Parse = %v, want an error", err)
	}
	if _, err := in.KafkaProducer(context.Background(), "x"); err == nil || !strings.Contains(err.Error(), "before Parse") {
		t.Errorf("KafkaProducer before Parse = %v, want an error", err)
	}
}

// TestKafkaProducerClosedByClose checks that a producer from
// KafkaProducer is registered: after Close it refuses to produce. No
// broker is contacted.
func TestKafkaProducerClosedByClose(t *testing.T) {
	coldstarttest.FakeAWS(t)
	in := parsed(t, dynamoSink+`,"producer.override.compression.type":"zstd"`, nil)
	prod, err := in.KafkaProducer(context.Background(), "connector-dlq-producer-s-0")
	if err != nil {
		t.Fatal(err)
	}
	cl := prod.Client
	if id, _ := cl.OptValue(kgo.ClientID).(string); id != "connector-dlq-producer-s-0" {
		t.Errorf("client.id = %q", id)
	}
	in.Close()
	// Without Close the produce would wait for the missing broker.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err = cl.ProduceSync(ctx, &kgo.Record{Topic: "t"}).FirstErr()
	if !errors.Is(err, kgo.ErrClientClosed) {
		t.Errorf("produce after Close = %v, want ErrClientClosed", err)
	}
}

func TestKafkaProducerBadSettings(t *testing.T) {
	coldstarttest.FakeAWS(t)
	in := parsed(t, dynamoSink+`,"security.protocol":"SSL","ssl.ca.location":"/nonexistent/ca.pem"`, nil)
	if _, err := in.KafkaProducer(context.Background(), "x"); err == nil || !strings.Contains(err.Error(), "/nonexistent/ca.pem") {
		t.Errorf("KafkaProducer() = %v, want an error naming the CA file", err)
	}
}

func TestCloseReverseOrderOnce(t *testing.T) {
	coldstarttest.FakeAWS(t)
	in, err := load(t, dynamoSink)
	if err != nil {
		t.Fatal(err)
	}
	var got []int
	for i := range 3 {
		in.OnClose(func() { got = append(got, i) })
	}
	in.Close()
	in.Close()
	if !reflect.DeepEqual(got, []int{2, 1, 0}) {
		t.Errorf("closers ran %v, want [2 1 0] once", got)
	}
}

// TestKafkaLogs checks that franz-go's warnings and errors reach the
// logger given to Load at the matching level.
func TestKafkaLogs(t *testing.T) {
	coldstarttest.FakeAWS(t)
	var buf bytes.Buffer
	in := parsed(t, dynamoSink, slog.New(slog.NewJSONHandler(&buf, nil)))
	prod, err := in.KafkaProducer(context.Background(), "x")
	if err != nil {
		t.Fatal(err)
	}
	l := prod.Client.OptValue(kgo.WithLogger).(kgo.Logger)
	if l.Level() != kgo.LogLevelWarn {
		t.Errorf("level = %v, want warn", l.Level())
	}
	l.Log(kgo.LogLevelWarn, "w", "broker", 1)
	l.Log(kgo.LogLevelError, "e")
	var lines []struct {
		Level, Msg string
		Broker     int
	}
	dec := json.NewDecoder(&buf)
	for {
		var line struct {
			Level, Msg string
			Broker     int
		}
		if err := dec.Decode(&line); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		lines = append(lines, line)
	}
	want := []struct {
		Level, Msg string
		Broker     int
	}{{"WARN", "kafka: w", 1}, {"ERROR", "kafka: e", 0}}
	if !reflect.DeepEqual(lines, want) {
		t.Errorf("log lines = %+v, want %+v", lines, want)
	}
}

func TestCloseOnError(t *testing.T) {
	coldstarttest.FakeAWS(t)
	tests := []struct {
		name       string
		err        error
		wantClosed bool
	}{
		{name: "error closes", err: errors.New("boom"), wantClosed: true},
		{name: "success keeps", err: nil, wantClosed: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in, err := load(t, dynamoSink)
			if err != nil {
				t.Fatal(err)
			}
			closed := false
			in.OnClose(func() { closed = true })
			func() (err error) {
				defer in.CloseOnError(&err)
				return tt.err
			}()
			if closed != tt.wantClosed {
				t.Errorf("closed = %v, want %v", closed, tt.wantClosed)
			}
		})
	}
}

func TestWorkerID(t *testing.T) {
	env := map[string]string{"AWS_LAMBDA_FUNCTION_NAME": "orders-source"}
	if got := coldstart.WorkerID(func(k string) string { return env[k] }, "source-poller"); got != "orders-source" {
		t.Fatalf("WorkerID = %q, want the function name", got)
	}
	if got := coldstart.WorkerID(func(string) string { return "" }, "source-poller"); got != "source-poller" {
		t.Fatalf("WorkerID = %q, want the fallback", got)
	}
}

// TestLogsNameTheConnector: after Load, lines written through slog's
// default logger (connectors, the dead-letter reporter) and through
// Init.Logger (franz-go) carry the connector's configured name, never a
// fixed component string.
func TestLogsNameTheConnector(t *testing.T) {
	coldstarttest.FakeAWS(t)
	prev := slog.Default()
	t.Cleanup(func() { slog.SetDefault(prev) })
	var buf bytes.Buffer
	base := slog.New(slog.NewJSONHandler(&buf, nil))
	in, err := coldstart.Load(context.Background(), coldstarttest.Env(coldstarttest.RawConfig("orders-to-dynamo", dynamoSink)), base)
	if err != nil {
		t.Fatal(err)
	}
	slog.Default().Info("from a connector")
	in.Logger.Warn("from franz-go")
	base.Info("from a task")
	var got []map[string]any
	dec := json.NewDecoder(&buf)
	for {
		var line map[string]any
		if err := dec.Decode(&line); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		got = append(got, line)
	}
	if len(got) != 3 {
		t.Fatalf("%d lines, want 3: %v", len(got), got)
	}
	for _, line := range got[:2] {
		if line["connector"] != "orders-to-dynamo" {
			t.Errorf("line %v: connector = %v, want orders-to-dynamo", line["msg"], line["connector"])
		}
	}
	if _, ok := got[2]["connector"]; ok {
		t.Errorf("the logger passed to Load gained the attribute (tasks add it themselves, a second one would duplicate it): %v", got[2])
	}
}
