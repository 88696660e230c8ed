package config

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// fakeSecrets serves SecretString values by id and counts calls.
type fakeSecrets struct {
	SecretsGetter
	mu      sync.Mutex
	secrets map[string]*string
	calls   map[string]int
}

func (f *fakeSecrets) GetSecretValue(_ context.Context, in *secretsmanager.GetSecretValueInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.calls == nil {
		f.calls = map[string]int{}
	}
	f.calls[*in.SecretId]++
	s, ok := f.secrets[*in.SecretId]
	if !ok {
		return nil, errors.New("ResourceNotFoundException: Secrets Manager can't find the specified secret")
	}
	return &secretsmanager.GetSecretValueOutput{SecretString: s}, nil
}

func ptr(s string) *string { return &s }

const arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:slkc/db-AbCdEf"

func newFake() *fakeSecrets {
	return &fakeSecrets{secrets: map[string]*string{
		"slkc/kafka":  ptr(`{"username":"svc","password":"s3cr3t-pw","port":3306,"tls":true,"obj":{"a":1}}`),
		arn:           ptr(`{"password":"arn-pw"}`),
		"plain":       ptr("just-a-token"),
		"binary-only": nil,
	}}
}

func TestResolve(t *testing.T) {
	env := map[string]string{"BOOT": "127.0.0.1:9092", "EMPTY": ""}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	cases := []struct {
		name string
		in   map[string]string
		want map[string]string
		errs []string // substrings, in order of appearance
	}{
		{"no references", map[string]string{"a": "x", "b": "$notref {x}"}, map[string]string{"a": "x", "b": "$notref {x}"}, nil},
		{"env", map[string]string{"bootstrap.servers": "${env:BOOT}", "e": "${env:EMPTY}"}, map[string]string{"bootstrap.servers": "127.0.0.1:9092", "e": ""}, nil},
		{"json key", map[string]string{"u": "${secretsmanager:slkc/kafka:username}", "p": "${secretsmanager:slkc/kafka:password}"}, map[string]string{"u": "svc", "p": "s3cr3t-pw"}, nil},
		{"number and bool fields", map[string]string{"port": "${secretsmanager:slkc/kafka:port}", "tls": "${secretsmanager:slkc/kafka:tls}"}, map[string]string{"port": "3306", "tls": "true"}, nil},
		{"whole secret", map[string]string{"t": "Bearer ${secretsmanager:plain}"}, map[string]string{"t": "Bearer just-a-token"}, nil},
		{"arn with key", map[string]string{"p": "${secretsmanager:" + arn + ":password}"}, map[string]string{"p": "arn-pw"}, nil},
		{"several references in one value", map[string]string{"url": "jdbc:mysql://${env:BOOT}/db?user=${secretsmanager:slkc/kafka:username}"}, map[string]string{"url": "jdbc:mysql://127.0.0.1:9092/db?user=svc"}, nil},
		{"unset env", map[string]string{"k": "${env:NOPE}"}, nil, []string{`config key "k": reference ${env:NOPE}: environment variable NOPE is not set`}},
		{"unknown provider", map[string]string{"k": "${file:/etc/x:y}"}, nil, []string{`config key "k"`, `unknown config provider "file"`}},
		{"missing json key lists keys but no values", map[string]string{"k": "${secretsmanager:slkc/kafka:pass}"}, nil, []string{`secret "slkc/kafka" has no key "pass" (keys: obj, password, port, tls, username)`}},
		{"object field", map[string]string{"k": "${secretsmanager:slkc/kafka:obj}"}, nil, []string{`key "obj": value is not a string`}},
		{"not json", map[string]string{"k": "${secretsmanager:plain:x}"}, nil, []string{`secret "plain" is not a JSON object`}},
		{"missing secret", map[string]string{"k": "${secretsmanager:nope}"}, nil, []string{`get secret "nope": ResourceNotFoundException`}},
		{"binary secret", map[string]string{"k": "${secretsmanager:binary-only}"}, nil, []string{`no SecretString`}},
		{"errors sorted by key and joined", map[string]string{"z": "${env:Z}", "a": "${env:A}", "m": "ok"}, nil, []string{`config key "a"`, `config key "z"`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := make(map[string]string)
			for k, v := range c.in {
				in[k] = v
			}
			got, err := Resolve(context.Background(), in, Providers{LookupEnv: lookup, Secrets: newFake()})
			if !reflect.DeepEqual(in, c.in) {
				t.Fatal("Resolve modified its input")
			}
			if len(c.errs) > 0 {
				if err == nil {
					t.Fatalf("err = nil, got %v", got)
				}
				msg := err.Error()
				last := -1
				for _, w := range c.errs {
					i := strings.Index(msg, w)
					if i < 0 || i < last {
						t.Fatalf("error %q lacks %q (in order)", msg, w)
					}
					last = i
				}
				for _, secret := range []string{"s3cr3t-pw", "just-a-token", "arn-pw", "svc"} {
					if strings.Contains(msg, secret) {
						t.Fatalf("error leaks secret value %q: %s", secret, msg)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Fatalf("got %v, want %v", got, c.want)
			}
		})
	}
}

func TestResolveCachesSecrets(t *testing.T) {
	f := newFake()
	_, err := Resolve(context.Background(), map[string]string{
		"sasl.username": "${secretsmanager:slkc/kafka:username}",
		"sasl.password": "${secretsmanager:slkc/kafka:password}",
		"x":             "${secretsmanager:slkc/kafka:port}-${secretsmanager:slkc/kafka:tls}",
	}, Providers{Secrets: f})
	if err != nil {
		t.Fatal(err)
	}
	if f.calls["slkc/kafka"] != 1 {
		t.Fatalf("GetSecretValue calls = %v, want 1", f.calls)
	}
}

func TestResolveWithoutSecretsClient(t *testing.T) {
	_, err := Resolve(context.Background(), map[string]string{"p": "${secretsmanager:s:k}"}, Providers{})
	if err == nil || !strings.Contains(err.Error(), "no Secrets Manager client") {
		t.Fatalf("err = %v", err)
	}
}

func TestResolveDefaultsToProcessEnv(t *testing.T) {
	t.Setenv("SLKC_CONFIG_TEST_VAR", "from-process")
	got, err := Resolve(context.Background(), map[string]string{"k": "${env:SLKC_CONFIG_TEST_VAR}"}, Providers{})
	if err != nil || got["k"] != "from-process" {
		t.Fatalf("got %v, %v", got, err)
	}
}
