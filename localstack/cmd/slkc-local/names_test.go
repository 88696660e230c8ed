package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/serverless-kafka-connect/slkc/localstack/runtime"
)

// testPlans are two planned functions: a source and a sink.
func testPlans() []plan {
	return []plan{
		{Connector: "orders.source", Spec: specNamed("orders-source")},
		{Connector: "orders-sink", Spec: specNamed("orders-sink")},
	}
}

func TestRemoteNames(t *testing.T) {
	cfg := func(name string) string { return `{"name":"` + name + `","config":{}}` }
	template := map[string]any{"Resources": map[string]any{
		"orderssourceFunctionBF4FF7BA": map[string]any{"Type": "AWS::Lambda::Function",
			"Properties": map[string]any{"Environment": map[string]any{"Variables": map[string]any{"SLKC_CONNECTOR_CONFIG": cfg("orders.source")}}}},
		"orderssinkFunction01": map[string]any{"Type": "AWS::Lambda::Function",
			"Properties": map[string]any{"Environment": map[string]any{"Variables": map[string]any{"SLKC_CONNECTOR_CONFIG": cfg("orders-sink")}}}},
		"Other": map[string]any{"Type": "AWS::SQS::Queue"},
	}}
	tb, _ := json.Marshal(template)
	tpl := filepath.Join(t.TempDir(), "stack.template.json")
	if err := os.WriteFile(tpl, tb, 0o644); err != nil {
		t.Fatal(err)
	}
	// A Lambda endpoint that lists functions with their environment, as LocalStack does.
	listing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || !strings.HasPrefix(r.URL.Path, "/2015-03-31/functions") {
			http.Error(w, "unexpected "+r.URL.Path, http.StatusNotFound)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"Functions": []any{
			map[string]any{"FunctionName": "slkc-sample-orderssink-AbC123", "Environment": map[string]any{"Variables": map[string]string{"SLKC_CONNECTOR_CONFIG": cfg("orders-sink")}}},
			map[string]any{"FunctionName": "unrelated"},
		}})
	}))
	defer listing.Close()
	// An endpoint without ListFunctions, as sam local start-lambda.
	noListing := httptest.NewServer(http.NotFoundHandler())
	defer noListing.Close()

	cases := []struct {
		name      string
		endpoint  string
		template  string
		overrides map[string]string
		want      map[string]string
		wantErr   string
	}{
		{name: "template logical ids", endpoint: noListing.URL, template: tpl,
			want: map[string]string{"orders-source": "orderssourceFunctionBF4FF7BA", "orders-sink": "orderssinkFunction01"}},
		{name: "listed functions", endpoint: listing.URL,
			want: map[string]string{"orders-source": "orders-source", "orders-sink": "slkc-sample-orderssink-AbC123"}},
		{name: "no listing falls back to local names", endpoint: noListing.URL,
			want: map[string]string{"orders-source": "orders-source", "orders-sink": "orders-sink"}},
		{name: "override by connector name wins", endpoint: listing.URL, overrides: map[string]string{"orders.source": "src-fn", "orders-sink": "snk-fn"},
			want: map[string]string{"orders-source": "src-fn", "orders-sink": "snk-fn"}},
		{name: "override of an unknown connector", endpoint: noListing.URL, overrides: map[string]string{"nope": "x"}, wantErr: `no connector "nope"`},
		{name: "missing template", endpoint: noListing.URL, template: filepath.Join(t.TempDir(), "none.json"), wantErr: "template"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := remoteNames(context.Background(), testPlans(), tc.template, tc.overrides, lambdaClient(tc.endpoint, "us-east-1"),
				slog.New(slog.NewTextHandler(io.Discard, nil)))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("remoteNames = %v, %v; want error containing %q", got, err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range tc.want {
				if got[k] != v {
					t.Errorf("%s -> %q, want %q (all: %v)", k, got[k], v, got)
				}
			}
		})
	}
}

func TestFunctionNameFlag(t *testing.T) {
	rc, err := parseRun([]string{"-function-name", "a=fn-a", "-function-name", "b = fn-b"}, io.Discard)
	if err != nil || rc.FunctionNames["a"] != "fn-a" || rc.FunctionNames["b"] != "fn-b" {
		t.Errorf("parseRun = %v, %v", rc.FunctionNames, err)
	}
	if _, err := parseRun([]string{"-function-name", "novalue"}, io.Discard); err == nil || !strings.Contains(err.Error(), "CONNECTOR=FUNCTION") {
		t.Errorf("bad -function-name: %v", err)
	}
}

func specNamed(name string) runtime.FunctionSpec { return runtime.FunctionSpec{Name: name} }
