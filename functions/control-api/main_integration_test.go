package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/serverless-kafka-connect/slkc/shared/coldstart/coldstarttest"
	"github.com/serverless-kafka-connect/slkc/shared/state"
	"github.com/serverless-kafka-connect/slkc/shared/testenv"
)

// fakeLambda serves the Lambda API calls control-api makes:
// GetFunctionConfiguration, Get/UpdateEventSourceMapping and Invoke.
type fakeLambda struct {
	mu       sync.Mutex
	env      map[string]map[string]string // function -> environment
	enabled  map[string]bool              // mapping UUID -> Enabled
	invoked  []string
	requests []string
}

func (f *fakeLambda) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests = append(f.requests, r.Method+" "+r.URL.Path)
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	switch {
	case len(parts) == 4 && parts[1] == "functions" && parts[3] == "configuration":
		env, ok := f.env[parts[2]]
		if !ok {
			w.Header().Set("X-Amzn-Errortype", "ResourceNotFoundException")
			w.WriteHeader(404)
			_, _ = w.Write([]byte(`{"Type":"User","message":"Function not found"}`))
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"FunctionName": parts[2], "Environment": map[string]any{"Variables": env}})
	case len(parts) == 3 && parts[1] == "event-source-mappings":
		if r.Method == "PUT" {
			var in struct{ Enabled *bool }
			_ = json.NewDecoder(r.Body).Decode(&in)
			if in.Enabled != nil {
				f.enabled[parts[2]] = *in.Enabled
			}
		}
		st := "Enabled"
		if !f.enabled[parts[2]] {
			st = "Disabled"
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"UUID": parts[2], "State": st})
	case len(parts) == 4 && parts[3] == "invocations":
		f.invoked = append(f.invoked, parts[2])
		w.WriteHeader(202)
	default:
		w.WriteHeader(404)
	}
}

// TestIntegrationControlAPI builds the function as on AWS (connector configs
// read with GetFunctionConfiguration, the sink's ${env:...} bootstrap from
// its function's environment) against DynamoDB Local and Kafka, and serves
// function URL events: pause switches the sink's mapping off and records
// the caller's principal; a request without one is refused.
func TestIntegrationControlAPI(t *testing.T) {
	env := coldstarttest.LocalEnv(t)
	tables := coldstarttest.StateTables(t, env)
	topic := env.Topic(t, 1)
	group := testenv.UniqueName(t, "g", 100)
	fake := &fakeLambda{enabled: map[string]bool{"uuid-1": true}, env: map[string]map[string]string{
		"src-fn": {"SLKC_CONNECTOR_CONFIG": `{"name":"src","config":{"connector.class":"io.confluent.connect.jdbc.JdbcSourceConnector","table.whitelist":"orders","topic.prefix":"x."}}`},
		"snk-fn": {
			// bootstrap.servers comes from the worker file, as in the demo
			// pipeline: the control API merges it as the function does.
			"SLKC_CONNECTOR_CONFIG": fmt.Sprintf(`{"name":"snk","config":{"connector.class":"io.confluent.connect.jdbc.JdbcSinkConnector","topics":%q}}`, topic),
			"SLKC_WORKER_CONFIG":    `{"bootstrap.servers":"${env:SLKC_KAFKA_BOOTSTRAP}"}`,
			"SLKC_KAFKA_BOOTSTRAP":  env.Bootstrap(),
		},
	}}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	t.Setenv("AWS_ENDPOINT_URL_LAMBDA", srv.URL)
	getenv := coldstarttest.Env(map[string]string{EnvConnectors: fmt.Sprintf(
		`[{"name":"src","function":"src-fn"},{"name":"snk","function":"snk-fn","mappings":[{"uuid":"uuid-1","topic":%q,"group":%q}]}]`, topic, group)})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	a := coldstarttest.MustSetup(t, ctx, setup, getenv)
	handle := a.Handler().(func(context.Context, events.LambdaFunctionURLRequest) (events.LambdaFunctionURLResponse, error))
	const arn = "arn:aws:iam::123456789012:role/operator"
	call := func(method, path, principal string) events.LambdaFunctionURLResponse {
		t.Helper()
		ev := events.LambdaFunctionURLRequest{Version: "2.0", RawPath: path}
		ev.RequestContext.HTTP.Method = method
		if principal != "" {
			ev.RequestContext.Authorizer = &events.LambdaFunctionURLRequestContextAuthorizerDescription{
				IAM: &events.LambdaFunctionURLRequestContextAuthorizerIAMDescription{UserARN: principal}}
		}
		res, err := handle(ctx, ev)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}

	if res := call("GET", "/connectors", arn); res.StatusCode != 200 || res.Body != "[\"snk\",\"src\"]\n" {
		t.Errorf("GET /connectors = %d %q", res.StatusCode, res.Body)
	}
	if res := call("PUT", "/connectors/snk/pause", ""); res.StatusCode != 403 {
		t.Errorf("unsigned pause = %d, want 403", res.StatusCode)
	}
	if res := call("PUT", "/connectors/snk/stop", arn); res.StatusCode != 204 {
		t.Fatalf("stop = %d %s", res.StatusCode, res.Body)
	}
	fake.mu.Lock()
	enabled := fake.enabled["uuid-1"]
	fake.mu.Unlock()
	if enabled {
		t.Error("stop left the event source mapping enabled")
	}
	ts, err := state.NewTargetStore(env.Dynamo(t), tables.Status).Get(ctx, "snk")
	if err != nil || ts.State != state.StateStopped || ts.By != arn {
		t.Errorf("target = %+v, %v; want STOPPED by %s", ts, err, arn)
	}
	// The sink's consumer group offsets, through Kafka: none yet, then reset.
	if res := call("GET", "/connectors/snk/offsets", arn); res.StatusCode != 200 || !strings.Contains(res.Body, `"offsets":[]`) {
		t.Errorf("offsets = %d %s", res.StatusCode, res.Body)
	}
	if res := call("DELETE", "/connectors/snk/offsets", arn); res.StatusCode != 200 {
		t.Errorf("reset = %d %s", res.StatusCode, res.Body)
	}
	if res := call("POST", "/connectors/src/restart", arn); res.StatusCode != 204 {
		t.Errorf("restart = %d %s", res.StatusCode, res.Body)
	}
	fake.mu.Lock()
	defer fake.mu.Unlock()
	if len(fake.invoked) != 1 || fake.invoked[0] != "src-fn" {
		t.Errorf("invoked %v, want src-fn once", fake.invoked)
	}
}
