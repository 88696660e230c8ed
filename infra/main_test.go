package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
)

const (
	sampleCluster   = "arn:aws:kafka:eu-west-1:123456789012:cluster/shop/0a1b2c3d-1111-2222-3333-444455556666-2"
	shopSecret      = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:slkc/shop-db-AbCdEf"
	warehouseSecret = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:slkc/warehouse-db-123456"
	unusedSecret    = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:other-654321"
	demoSecret      = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:slkc/demo/mysql-AbCdEf"
)

// buildDir stands in for ../build when the functions are not built.
func buildDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, fn := range []string{"source-poller", "sink-handler", "control-api"} {
		if err := os.MkdirAll(filepath.Join(dir, fn), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, fn, "bootstrap"), []byte("#!/bin/sh\n# "+fn+"\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

type resource struct {
	Type       string
	Properties map[string]any
	Metadata   map[string]any
}

func TestSampleApp(t *testing.T) {
	app := awscdk.NewApp(&awscdk.AppProps{Context: &map[string]any{
		// Set by the cdk CLI; SAM reads the asset paths it enables.
		"aws:cdk:enable-asset-metadata": true,
		"env":                           "test", "pipelineDir": "testdata/pipeline", "buildDir": buildDir(t),
		"kafkaMode": "msk", "mskClusterArn": sampleCluster,
		"secretArns": strings.Join([]string{shopSecret, warehouseSecret, unusedSecret}, ","),
	}})
	p, err := build(app)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Sources) != 2 || len(p.Sinks) != 2 {
		t.Fatalf("%d sources and %d sinks, want 2 and 2", len(p.Sources), len(p.Sinks))
	}
	if got := *p.Stack.StackName(); got != "slkc-test" {
		t.Errorf("stack name %q", got)
	}
	raw, _ := json.Marshal(assertions.Template_FromStack(p.Stack, nil).ToJSON())
	var doc struct{ Resources map[string]resource }
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	for _, r := range doc.Resources {
		counts[r.Type]++
	}
	for typ, want := range map[string]int{
		// 4 connectors and the control API (function URL with AWS_IAM auth);
		// one schedule for orders-source, one per task for customers-source
		// (tasks.max 2).
		"AWS::Lambda::Function": 5, "AWS::Lambda::Url": 1, "AWS::Events::Rule": 3, "AWS::Lambda::EventSourceMapping": 2,
		"AWS::DynamoDB::Table": 3, "AWS::CloudWatch::Dashboard": 1, "AWS::SQS::Queue": 3,
		// sources 4 alarms each; orders-mysql-sink 5 + dead letter (it has an
		// on-failure queue: tolerance all with finite retries); customers 4.
		"AWS::Logs::LogGroup": 5, "AWS::IAM::Role": 5, "AWS::CloudWatch::Alarm": 2*4 + 5 + 1 + 4, "AWS::Logs::MetricFilter": 0,
		"AWS::SecretsManager::Secret": 0, "AWS::IAM::ManagedPolicy": 0,
	} {
		if counts[typ] != want {
			t.Errorf("%d %s, want %d", counts[typ], typ, want)
		}
	}
	t.Logf("sample app: %d resources %v", len(doc.Resources), counts)
	// 4 on-failure queues; the sinks' MSK mappings need the VPC ENI statement;
	// the sources produce to topic.prefix* topics.
	if got, want := mustJSON(checkNagSuppressions(t, doc.Resources)), `{"AwsSolutions-IAM5":4,"AwsSolutions-SQS3":3}`; got != want {
		t.Errorf("cdk_nag suppressions per rule %s, want %s", got, want)
	}

	// Per function: schedule or mapping, and the secrets it may read.
	roleSecrets := secretsByRole(doc.Resources)
	got := map[string][]string{} // connector name -> secrets
	schedules := map[string]string{}
	for id, r := range doc.Resources {
		if r.Type != "AWS::Lambda::Function" {
			continue
		}
		env := r.Properties["Environment"].(map[string]any)["Variables"].(map[string]any)
		if _, ok := env["SLKC_CONNECTOR_CONFIG"]; !ok {
			continue // the control API (TestControlAPI in stack/)
		}
		var cfg struct{ Name string }
		if err := json.Unmarshal([]byte(env["SLKC_CONNECTOR_CONFIG"].(string)), &cfg); err != nil {
			t.Fatalf("function %s: SLKC_CONNECTOR_CONFIG: %v", id, err)
		}
		role := r.Properties["Role"].(map[string]any)["Fn::GetAtt"].([]any)[0].(string)
		s := roleSecrets[role]
		sort.Strings(s)
		got[cfg.Name] = s
		if r.Metadata["aws:asset:path"] == nil {
			t.Errorf("function %s: no aws:asset:path metadata (sam local invoke)", cfg.Name)
		}
		for _, rule := range doc.Resources {
			if rule.Type != "AWS::Events::Rule" {
				continue
			}
			tg := rule.Properties["Targets"].([]any)[0].(map[string]any)["Arn"].(map[string]any)["Fn::GetAtt"].([]any)[0]
			if tg == id {
				schedules[cfg.Name] = rule.Properties["ScheduleExpression"].(string)
			}
		}
	}
	want := map[string][]string{
		"orders-source": {shopSecret}, "customers-source": {shopSecret},
		"orders-mysql-sink": {warehouseSecret}, "customers-dynamodb-sink": nil,
	}
	for name, w := range want {
		if strings.Join(got[name], ",") != strings.Join(w, ",") {
			t.Errorf("%s reads secrets %v, want %v", name, got[name], w)
		}
	}
	if schedules["orders-source"] != "rate(1 minute)" || schedules["customers-source"] != "rate(5 minutes)" {
		t.Errorf("schedules = %v", schedules)
	}
	// The control API reads orders-mysql-sink's dead letter queue (the web
	// UI's DLQ browser), and only that topic (customers-dynamodb-sink has none).
	var dlqRead []any
	for _, r := range doc.Resources {
		pd, _ := r.Properties["PolicyDocument"].(map[string]any)
		sts, _ := pd["Statement"].([]any)
		for _, s := range sts {
			if m := s.(map[string]any); m["Sid"] == "MskDlqRead" {
				dlqRead = append(dlqRead, m["Action"], m["Resource"])
			}
		}
	}
	if got, want := mustJSON(dlqRead), mustJSON([]any{[]string{"kafka-cluster:DescribeTopic", "kafka-cluster:ReadData"},
		strings.Replace(sampleCluster, ":cluster/", ":topic/", 1) + "/dlq-orders-mysql-sink"}); got != want {
		t.Errorf("MskDlqRead statements %s, want %s", got, want)
	}
}

func TestSampleAppErrors(t *testing.T) {
	tests := []struct {
		name string
		ctx  map[string]any
		want []string
	}{
		{"missing secret ARNs", map[string]any{"mskClusterArn": sampleCluster, "secretArns": warehouseSecret},
			[]string{"orders-source", "customers-source", "slkc/shop-db"}},
		{"functions not built", map[string]any{"mskClusterArn": sampleCluster, "secretArns": shopSecret + "," + warehouseSecret, "buildDir": "/nonexistent"},
			[]string{"make build"}},
		{"bad context", map[string]any{"kafkaMode": "zookeeper"}, []string{`mode "zookeeper"`}},
		{"demo pipeline with an ${env:...} password", map[string]any{"pipelineDir": "DEMO with env password", "kafkaMode": "self-managed",
			"bootstrapServers": "kafka-1:9092", "functionEnv": "SLKC_DEMO_MYSQL_URL=u,SLKC_DEMO_MYSQL_PASSWORD=w", "secretArns": demoSecret},
			[]string{"connector orders-source", `key "connection.password"`, "${env:SLKC_DEMO_MYSQL_PASSWORD}", "secretsmanager"}},
		{"demo pipeline without functionEnv", map[string]any{"pipelineDir": "../connectors/pipeline", "kafkaMode": "msk", "mskClusterArn": sampleCluster, "secretArns": demoSecret},
			[]string{"connector orders-source", `key "connection.url"`, "SLKC_DEMO_MYSQL_URL has no value", "connector orders-dynamodb-sink", "SLKC_KAFKA_BOOTSTRAP has no value"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := map[string]any{"pipelineDir": "testdata/pipeline", "buildDir": buildDir(t)}
			for k, v := range tt.ctx {
				ctx[k] = v
			}
			if ctx["pipelineDir"] == "DEMO with env password" {
				ctx["pipelineDir"] = demoPipelineWith(t, secretPasswordRef, envPasswordRef)
			}
			_, err := build(awscdk.NewApp(&awscdk.AppProps{Context: &ctx}))
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

const (
	envPasswordRef    = "${env:SLKC_DEMO_MYSQL_PASSWORD}"
	secretPasswordRef = "${secretsmanager:slkc/demo/mysql:password}"
)

// demoPipelineWith copies ../connectors/pipeline/*.json into a temporary
// folder, replacing old with new (to test the form the files no longer use).
func demoPipelineWith(t *testing.T, old, new string) string {
	t.Helper()
	paths, err := filepath.Glob("../connectors/pipeline/*.json")
	if err != nil || len(paths) == 0 {
		t.Fatalf("demo pipeline: %v %v", paths, err)
	}
	dir := t.TempDir()
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(p)), []byte(strings.ReplaceAll(string(b), old, new)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestDemoPipeline synthesizes the real demo pipeline (connectors/pipeline) as
// `make infra-lint` does: self-managed Kafka in a VPC, ${env:...} values from
// functionEnv, the bootstrap servers from context, the password from Secrets Manager.
func TestDemoPipeline(t *testing.T) {
	app := awscdk.NewApp(&awscdk.AppProps{Context: &map[string]any{
		"env": "demo", "pipelineDir": "../connectors/pipeline", "buildDir": buildDir(t),
		"kafkaMode": "self-managed", "bootstrapServers": "kafka-1.demo.internal:9092,kafka-2.demo.internal:9092",
		"subnetIds": "subnet-0aaaaaaaaaaaaaaa1,subnet-0bbbbbbbbbbbbbbb2", "securityGroupIds": "sg-0aaaaaaaaaaaaaaa1",
		"functionEnv": "SLKC_DEMO_MYSQL_URL=jdbc:mysql://demo-db.internal:3306/slkc_demo",
		"secretArns":  demoSecret,
	}})
	p, err := build(app)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Sources) != 1 || len(p.Sinks) != 2 {
		t.Fatalf("%d sources and %d sinks, want 1 and 2", len(p.Sources), len(p.Sinks))
	}
	raw, _ := json.Marshal(assertions.Template_FromStack(p.Stack, nil).ToJSON())
	var doc struct{ Resources map[string]resource }
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	for _, r := range doc.Resources {
		counts[r.Type]++
	}
	for typ, want := range map[string]int{
		"AWS::Lambda::Function": 4, "AWS::Lambda::Url": 1, "AWS::Events::Rule": 1, "AWS::Lambda::EventSourceMapping": 2,
		"AWS::CloudWatch::Alarm": 4 + 5 + 5, "AWS::Logs::MetricFilter": 0, "AWS::CloudWatch::Dashboard": 1,
	} {
		if counts[typ] != want {
			t.Errorf("%d %s, want %d", counts[typ], typ, want)
		}
	}
	t.Logf("demo pipeline: %d resources %v", len(doc.Resources), counts)
	// 1 on-failure queue (the source's; the sinks retry without limit, so
	// they have none), 4 functions in the VPC (3 connectors and the control
	// API); no MSK topic grants.
	if got, want := mustJSON(checkNagSuppressions(t, doc.Resources)), `{"AwsSolutions-IAM5":4,"AwsSolutions-SQS3":1}`; got != want {
		t.Errorf("cdk_nag suppressions per rule %s, want %s", got, want)
	}

	roleSecrets := secretsByRole(doc.Resources)
	const bootstrap = "kafka-1.demo.internal:9092,kafka-2.demo.internal:9092"
	url := "jdbc:mysql://demo-db.internal:3306/slkc_demo"
	want := map[string]map[string]any{
		"orders-source":        {"SLKC_DEMO_MYSQL_URL": url, "SLKC_KAFKA_BOOTSTRAP": bootstrap, "SLKC_POLL_LOOP_MS": "60000"},
		"orders-mysql-sink":    {"SLKC_DEMO_MYSQL_URL": url, "SLKC_KAFKA_BOOTSTRAP": bootstrap},
		"orders-dynamodb-sink": {"SLKC_KAFKA_BOOTSTRAP": bootstrap},
	}
	for id, r := range doc.Resources {
		if r.Type != "AWS::Lambda::Function" {
			continue
		}
		env := r.Properties["Environment"].(map[string]any)["Variables"].(map[string]any)
		if _, ok := env["SLKC_CONNECTOR_CONFIG"]; !ok {
			continue // the control API (TestControlAPI in stack/)
		}
		var cfg struct {
			Name   string
			Config map[string]string
		}
		if err := json.Unmarshal([]byte(env["SLKC_CONNECTOR_CONFIG"].(string)), &cfg); err != nil {
			t.Fatalf("function %s: %v", id, err)
		}
		// The worker file reaches every function; the function merges it.
		var worker map[string]string
		if err := json.Unmarshal([]byte(fmt.Sprint(env["SLKC_WORKER_CONFIG"])), &worker); err != nil || worker["bootstrap.servers"] != "${env:SLKC_KAFKA_BOOTSTRAP}" {
			t.Errorf("%s: SLKC_WORKER_CONFIG = %v (%v), want the demo worker file", cfg.Name, env["SLKC_WORKER_CONFIG"], err)
		}
		if pw, ok := cfg.Config["connection.password"]; ok && pw != secretPasswordRef {
			t.Errorf("%s: connection.password %q, want the Secrets Manager reference", cfg.Name, pw)
		}
		got := map[string]any{}
		for k, v := range env {
			if !strings.HasPrefix(k, "SLKC_") || k == "SLKC_CONNECTOR_CONFIG" || k == "SLKC_WORKER_CONFIG" || strings.HasSuffix(k, "_TABLE") {
				continue
			}
			got[k] = v
		}
		if w, _ := json.Marshal(want[cfg.Name]); string(w) != mustJSON(got) {
			t.Errorf("%s: variables %s, want %s", cfg.Name, mustJSON(got), w)
		}
		if r.Properties["VpcConfig"] == nil {
			t.Errorf("%s: not in the VPC", cfg.Name)
		}
		role := r.Properties["Role"].(map[string]any)["Fn::GetAtt"].([]any)[0].(string)
		wantSecrets := []string{demoSecret}
		if cfg.Name == "orders-dynamodb-sink" {
			wantSecrets = nil
		}
		if got := roleSecrets[role]; strings.Join(got, ",") != strings.Join(wantSecrets, ",") {
			t.Errorf("%s reads secrets %v, want %v", cfg.Name, got, wantSecrets)
		}
	}
}

func mustJSON(v any) string { b, _ := json.Marshal(v); return string(b) }

// secretsByRole returns, per role logical id, the secrets its policies let it read.
func secretsByRole(resources map[string]resource) map[string][]string {
	roleSecrets := map[string][]string{}
	for _, r := range resources {
		if r.Type != "AWS::IAM::Policy" {
			continue
		}
		roles, _ := r.Properties["Roles"].([]any)
		role := roles[0].(map[string]any)["Ref"].(string)
		sts, _ := r.Properties["PolicyDocument"].(map[string]any)["Statement"].([]any)
		for _, s := range sts {
			m := s.(map[string]any)
			if m["Action"] == "secretsmanager:GetSecretValue" {
				switch res := m["Resource"].(type) {
				case string:
					roleSecrets[role] = append(roleSecrets[role], res)
				case []any:
					for _, x := range res {
						roleSecrets[role] = append(roleSecrets[role], x.(string))
					}
				}
			}
		}
	}
	return roleSecrets
}
