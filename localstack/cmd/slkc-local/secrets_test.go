package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/serverless-kafka-connect/slkc/localstack/runtime"
)

// names lists the secrets of s as text, "" for nil.
func names(s *runtime.Secrets) string {
	if s == nil {
		return ""
	}
	return fmt.Sprint(s.Names())
}

func TestSecretsFileFlag(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.json")
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(good, []byte(`{"slkc/demo/mysql":{"password":"p"},"b":"x"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bad, []byte(`{"a":`), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name      string
		args      []string
		wantNames string // "" for no secrets
		wantErr   string
	}{
		{name: "no flag", args: nil},
		{name: "file", args: []string{"-secrets-file", good}, wantNames: "[b slkc/demo/mysql]"},
		{name: "missing file", args: []string{"-secrets-file", filepath.Join(dir, "none.json")}, wantErr: "secrets file"},
		{name: "invalid JSON", args: []string{"-secrets-file", bad}, wantErr: "bad.json"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rc, rerr := parseRun(tc.args, io.Discard)
			ic, ierr := parseInvoke(append([]string{"-function", "f"}, tc.args...), io.Discard)
			for cmd, got := range map[string]struct {
				names string
				err   error
			}{"run": {names(rc.Secrets), rerr}, "invoke": {names(ic.Secrets), ierr}} {
				if tc.wantErr != "" {
					if got.err == nil || !strings.Contains(got.err.Error(), tc.wantErr) {
						t.Errorf("%s: error %v, want one containing %q", cmd, got.err, tc.wantErr)
					}
					continue
				}
				if got.err != nil || got.names != tc.wantNames {
					t.Errorf("%s: secrets %q, error %v; want %q", cmd, got.names, got.err, tc.wantNames)
				}
			}
		})
	}
}

func TestLoadPipelineSinkKafkaAuthFromSecrets(t *testing.T) {
	dir := writePipeline(t, map[string]string{"s.json": `{"name":"s","config":{"connector.class":"io.slkc.connect.mysql.MySqlSinkConnector",
		"topics":"t","bootstrap.servers":"h:9096","security.protocol":"SASL_SSL","sasl.mechanism":"SCRAM-SHA-512",
		"sasl.username":"${secretsmanager:kafka/demo:username}","sasl.password":"${secretsmanager:kafka/demo:password}"}}`})
	secretsFile := filepath.Join(t.TempDir(), "s.json")
	if err := os.WriteFile(secretsFile, []byte(`{"kafka/demo":{"username":"u","password":"p"}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	sec, err := loadSecrets(secretsFile)
	if err != nil {
		t.Fatal(err)
	}
	o := options{PipelineDir: dir, BuildDir: "b", Region: "us-east-1", SinkConcurrency: 1, Secrets: sec}
	plans, err := loadPipeline(context.Background(), o)
	if err != nil {
		t.Fatalf("with the secrets file: %v", err)
	}
	if len(plans[0].Mapping.KafkaOpts) == 0 {
		t.Error("SASL_SSL sink has no Kafka auth options for the bridge")
	}
	o.Secrets = nil
	if _, err := loadPipeline(context.Background(), o); err == nil || !strings.Contains(err.Error(), "secretsmanager") {
		t.Errorf("without secrets: %v, want an error naming the secretsmanager reference", err)
	}
}

// TestRunServesSecretsToFunctions: `run -secrets-file` gives every function
// AWS_ENDPOINT_URL_SECRETS_MANAGER, and that endpoint answers the SDK.
func TestRunServesSecretsToFunctions(t *testing.T) {
	build := buildEcho(t)
	dir := writePipeline(t, map[string]string{"src.json": `{"name":"src","config":{"connector.class":"io.slkc.connect.mysql.MySqlSourceConnector","poll.interval.ms":"3600000"}}`})
	secretsFile := filepath.Join(t.TempDir(), "secrets.json")
	if err := os.WriteFile(secretsFile, []byte(`{"slkc/demo/mysql":{"username":"slkc","password":"slkc"}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	rc, err := parseRun([]string{"-pipeline", dir, "-build", build, "-addr", "127.0.0.1:0", "-secrets-file", secretsFile, "-status-every", "0", "-control-addr", ""}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	rc.Output = &lockedWriter{w: &bytes.Buffer{}}
	endpoint, _, _ := startRun(t, rc)

	out, err := lambdaClient(endpoint, "us-east-1").Invoke(context.Background(), &lambda.InvokeInput{
		FunctionName: aws.String("src"), Payload: []byte(`{"env":["AWS_ENDPOINT_URL_SECRETS_MANAGER"]}`)})
	if err != nil || out.FunctionError != nil {
		t.Fatalf("invoke: %v %s", err, out.Payload)
	}
	var resp struct{ Env map[string]string }
	if err := json.Unmarshal(out.Payload, &resp); err != nil || resp.Env["AWS_ENDPOINT_URL_SECRETS_MANAGER"] != endpoint {
		t.Fatalf("function env = %s, want AWS_ENDPOINT_URL_SECRETS_MANAGER=%s", out.Payload, endpoint)
	}
	sm := secretsmanager.New(secretsmanager.Options{BaseEndpoint: aws.String(endpoint), Region: "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("local", "local", "")})
	got, err := sm.GetSecretValue(context.Background(), &secretsmanager.GetSecretValueInput{SecretId: aws.String("slkc/demo/mysql")})
	if err != nil || aws.ToString(got.SecretString) != `{"username":"slkc","password":"slkc"}` {
		t.Errorf("GetSecretValue = %v, %v", got, err)
	}
}
