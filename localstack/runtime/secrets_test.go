package runtime

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/aws/smithy-go"

	"github.com/serverless-kafka-connect/slkc/shared/config"
)

func writeSecretsFile(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "secrets.json")
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadSecretsFile(t *testing.T) {
	cases := []struct {
		name    string
		text    string
		want    map[string]string
		wantErr string
	}{
		{name: "object and string values",
			text: `{"slkc/demo/mysql": {"username": "slkc", "password": "p@ss"}, "token": "abc"}`,
			want: map[string]string{"slkc/demo/mysql": `{"username":"slkc","password":"p@ss"}`, "token": "abc"}},
		{name: "not an object", text: `["a"]`, wantErr: "want a JSON object"},
		{name: "null value", text: `{"a":null}`, wantErr: `secret "a": value is null`},
		{name: "empty name", text: `{"":"x"}`, wantErr: "empty secret name"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, err := LoadSecretsFile(writeSecretsFile(t, tc.text))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("LoadSecretsFile = %v, want error containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range tc.want {
				if s.byName[k] != v {
					t.Errorf("secret %q = %q, want %q", k, s.byName[k], v)
				}
			}
			if len(s.byName) != len(tc.want) {
				t.Errorf("secrets = %v, want %v", s.byName, tc.want)
			}
		})
	}
	if _, err := LoadSecretsFile(filepath.Join(t.TempDir(), "missing.json")); err == nil || !strings.Contains(err.Error(), "secrets file") {
		t.Errorf("missing file: %v, want an error naming the secrets file", err)
	}
}

// secretsClient is an aws-sdk-go-v2 Secrets Manager client for the runner,
// configured the way a function's SDK picks up AWS_ENDPOINT_URL_SECRETS_MANAGER.
func secretsClient(r *Runner) *secretsmanager.Client {
	return secretsmanager.New(secretsmanager.Options{
		BaseEndpoint: aws.String(r.SecretsURL()),
		Region:       "eu-west-1",
		Credentials:  credentials.NewStaticCredentialsProvider("local", "local", ""),
	})
}

// TestSecretsManagerEndpoint calls the runner with the real SDK client:
// GetSecretValue by name, by ARN and by partial ARN, its errors, and
// ${secretsmanager:...} resolution through shared/config as a function does.
func TestSecretsManagerEndpoint(t *testing.T) {
	r, err := New(echoSpec("fn"))
	if err != nil {
		t.Fatal(err)
	}
	r.Secrets = NewSecrets(map[string]string{"slkc/demo/mysql": `{"username":"slkc","password":"s3cret"}`, "plain": "text"})
	r.Output = &syncBuffer{}
	if err := r.Start(context.Background(), "127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Close() })
	sm := secretsClient(r)
	ctx := context.Background()
	arn := r.Secrets.ARN("eu-west-1", "slkc/demo/mysql")

	ok := []struct {
		name, id, wantName, wantString string
	}{
		{"by name", "slkc/demo/mysql", "slkc/demo/mysql", `{"username":"slkc","password":"s3cret"}`},
		{"by ARN", arn, "slkc/demo/mysql", `{"username":"slkc","password":"s3cret"}`},
		{"by partial ARN", strings.TrimSuffix(arn, arn[len(arn)-7:]), "slkc/demo/mysql", `{"username":"slkc","password":"s3cret"}`},
		{"plain string", "plain", "plain", "text"},
	}
	for _, tc := range ok {
		t.Run(tc.name, func(t *testing.T) {
			out, err := sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(tc.id)})
			if err != nil {
				t.Fatalf("GetSecretValue(%s): %v", tc.id, err)
			}
			if aws.ToString(out.Name) != tc.wantName || aws.ToString(out.SecretString) != tc.wantString ||
				!strings.HasPrefix(aws.ToString(out.ARN), "arn:aws:secretsmanager:eu-west-1:000000000000:secret:"+tc.wantName+"-") ||
				len(out.VersionStages) != 1 || out.VersionStages[0] != "AWSCURRENT" || out.CreatedDate == nil {
				t.Errorf("GetSecretValue(%s) = name %q string %q arn %q stages %v", tc.id, aws.ToString(out.Name),
					aws.ToString(out.SecretString), aws.ToString(out.ARN), out.VersionStages)
			}
		})
	}

	t.Run("missing secret", func(t *testing.T) {
		_, err := sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("nope")})
		var nf *smtypes.ResourceNotFoundException
		if !errors.As(err, &nf) {
			t.Fatalf("GetSecretValue(nope) = %v, want ResourceNotFoundException", err)
		}
	})
	t.Run("other version stage", func(t *testing.T) {
		_, err := sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("plain"), VersionStage: aws.String("AWSPREVIOUS")})
		var nf *smtypes.ResourceNotFoundException
		if !errors.As(err, &nf) {
			t.Fatalf("GetSecretValue(AWSPREVIOUS) = %v, want ResourceNotFoundException", err)
		}
	})
	t.Run("other operation", func(t *testing.T) {
		_, err := sm.ListSecrets(ctx, &secretsmanager.ListSecretsInput{})
		var api smithy.APIError
		if !errors.As(err, &api) || api.ErrorCode() != "UnknownOperationException" {
			t.Fatalf("ListSecrets = %v, want UnknownOperationException", err)
		}
	})
	t.Run("config reference resolves", func(t *testing.T) {
		got, err := config.Resolve(ctx, map[string]string{
			"connection.user":     "${secretsmanager:slkc/demo/mysql:username}",
			"connection.password": "${secretsmanager:slkc/demo/mysql:password}",
		}, config.Providers{Secrets: sm})
		if err != nil || got["connection.user"] != "slkc" || got["connection.password"] != "s3cret" {
			t.Fatalf("Resolve = %v, %v; want slkc / s3cret", got, err)
		}
	})
	t.Run("function gets the endpoint", func(t *testing.T) {
		_, er := invokeEcho(t, r, "fn", `{"env":["AWS_ENDPOINT_URL_SECRETS_MANAGER","AWS_ACCESS_KEY_ID"]}`)
		if er.Env["AWS_ENDPOINT_URL_SECRETS_MANAGER"] != r.URL() || er.Env["AWS_ACCESS_KEY_ID"] == "" {
			t.Errorf("function env = %v, want AWS_ENDPOINT_URL_SECRETS_MANAGER=%s and credentials", er.Env, r.URL())
		}
	})
}

// TestNoSecretsEndpointByDefault: without Secrets the runner neither
// answers GetSecretValue nor points functions at itself.
func TestNoSecretsEndpointByDefault(t *testing.T) {
	t.Setenv("AWS_ENDPOINT_URL_SECRETS_MANAGER", "")
	r, _ := startRunner(t, echoSpec("fn"))
	req, _ := http.NewRequest(http.MethodPost, r.URL()+"/", strings.NewReader(`{"SecretId":"x"}`))
	req.Header.Set("X-Amz-Target", "secretsmanager.GetSecretValue")
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]string
	_ = json.NewDecoder(resp.Body).Decode(&body)
	if resp.StatusCode != http.StatusBadRequest || body["__type"] != "UnknownOperationException" {
		t.Errorf("status %d body %v, want 400 UnknownOperationException", resp.StatusCode, body)
	}
	_, er := invokeEcho(t, r, "fn", `{"env":["AWS_ENDPOINT_URL_SECRETS_MANAGER"]}`)
	if v := er.Env["AWS_ENDPOINT_URL_SECRETS_MANAGER"]; v != "" {
		t.Errorf("AWS_ENDPOINT_URL_SECRETS_MANAGER = %q without Secrets, want unset", v)
	}
}
