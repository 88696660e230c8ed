package main

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// runValidate runs "slkc-local validate args..." and returns the exit
// status, stdout and stderr.
func runValidate(t *testing.T, args ...string) (int, []byte, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := realMain(context.Background(), append([]string{"validate"}, args...), &out, &errOut, slog.New(slog.DiscardHandler))
	return code, out.Bytes(), errOut.String()
}

func writeFile(t *testing.T, dir, name, text string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestValidateShape: the output has exactly the fields of Kafka Connect's
// ConfigInfos JSON (PUT /connector-plugins/{type}/config/validate), at
// every level, and lists every key of the connector's definitions.
func TestValidateShape(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "worker.json", `{"bootstrap.servers":"127.0.0.1:9092"}`)
	path := writeFile(t, dir, "src.json", `{"name":"src","config":{"connector.class":"io.confluent.connect.jdbc.JdbcSourceConnector",
		"connection.url":"jdbc:mysql://db:3306/shop","mode":"incrementing","table.whitelist":"orders","topic.prefix":"shop-",
		"connection.password":"s3cret"}}`)
	code, out, errOut := runValidate(t, path)
	if code != 0 {
		t.Fatalf("exit %d: %s%s", code, errOut, out)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(out, &raw); err != nil {
		t.Fatal(err)
	}
	if got := sortedKeys(raw); !slices.Equal(got, []string{"configs", "error_count", "groups", "name"}) {
		t.Errorf("top-level fields %q", got)
	}
	var configs []map[string]map[string]json.RawMessage
	if err := json.Unmarshal(raw["configs"], &configs); err != nil {
		t.Fatal(err)
	}
	seen, importance := map[string]string{}, map[string]string{}
	for _, c := range configs {
		if got := sortedKeys(c["definition"]); !slices.Equal(got, []string{"default_value", "dependents", "display_name", "documentation", "group", "importance", "name", "order", "required", "type", "width"}) {
			t.Fatalf("definition fields %q", got)
		}
		if got := sortedKeys(c["value"]); !slices.Equal(got, []string{"errors", "name", "recommended_values", "value", "visible"}) {
			t.Fatalf("value fields %q", got)
		}
		var name, value, imp string
		_ = json.Unmarshal(c["definition"]["name"], &name)
		_ = json.Unmarshal(c["value"]["value"], &value)
		_ = json.Unmarshal(c["definition"]["importance"], &imp)
		seen[name], importance[name] = value, imp
	}
	// Importances from the definitions: Connect's for its keys, HIGH for
	// a required key without its own.
	for key, want := range map[string]string{"name": "HIGH", "key.converter": "LOW", "mode": "HIGH", "batch.max.rows": "MEDIUM"} {
		if importance[key] != want {
			t.Errorf("%s importance %q, want %q", key, importance[key], want)
		}
	}
	for key, want := range map[string]string{
		"bootstrap.servers":           "127.0.0.1:9092", // from the worker file
		"connection.password":         "[hidden]",
		"incrementing.gap.timeout.ms": "30000", // the definition's default
		"mode":                        "incrementing",
	} {
		if seen[key] != want {
			t.Errorf("%s = %q, want %q", key, seen[key], want)
		}
	}
}

// TestValidateReportsEveryProblem: every problem at once, each on its key,
// error_count counting them, exit status 1.
func TestValidateReportsEveryProblem(t *testing.T) {
	dir := t.TempDir()
	path := writeFile(t, dir, "src.json", `{"name":"src","config":{"connector.class":"io.confluent.connect.jdbc.JdbcSourceConnector",
		"bootstrap.servers":"127.0.0.1:9092","connection.url":"jdbc:mysql://db:3306/shop","mode":"sometimes",
		"batch.max.rows":"0","tasks.max":"101","table.whitlist":"orders"}}`)
	code, out, _ := runValidate(t, path)
	if code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	var v struct {
		ErrorCount int `json:"error_count"`
		Configs    []struct {
			Value struct {
				Name   string   `json:"name"`
				Errors []string `json:"errors"`
			} `json:"value"`
		} `json:"configs"`
	}
	if err := json.Unmarshal(out, &v); err != nil {
		t.Fatal(err)
	}
	errs := map[string][]string{}
	for _, c := range v.Configs {
		if len(c.Value.Errors) > 0 {
			errs[c.Value.Name] = c.Value.Errors
		}
	}
	want := map[string]string{"mode": `"sometimes"`, "batch.max.rows": "at least 1", "tasks.max": "no more than 100", "table.whitlist": `did you mean "table.whitelist"`}
	for key, frag := range want {
		if len(errs[key]) != 1 || !strings.Contains(errs[key][0], frag) {
			t.Errorf("%s errors = %q, want one containing %q", key, errs[key], frag)
		}
	}
	if v.ErrorCount != len(want) || len(errs) != len(want) {
		t.Errorf("error_count %d, keys with errors %v; want %d", v.ErrorCount, errs, len(want))
	}
}

func TestValidateRefusals(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name, file, want string
	}{
		{"unknown class", `{"name":"x","config":{"connector.class":"com.example.Nope"}}`, "com.example.Nope"},
		{"unresolved reference", `{"name":"x","config":{"connector.class":"io.slkc.connect.mysql.MySqlSinkConnector","connection.url":"${env:SLKC_TEST_UNSET_VAR}"}}`,
			`config key "connection.url": reference ${env:SLKC_TEST_UNSET_VAR}`},
		{"no class", `{"name":"x","config":{"topics":"t"}}`, "connector.class is missing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errOut := runValidate(t, writeFile(t, dir, "c.json", tt.file))
			if code != 1 || !strings.Contains(errOut, tt.want) {
				t.Errorf("exit %d, stderr %q; want 1 and %q", code, errOut, tt.want)
			}
		})
	}
	if code, _, _ := runValidate(t); code != 1 {
		t.Errorf("no file: exit %d, want 1", code)
	}
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
