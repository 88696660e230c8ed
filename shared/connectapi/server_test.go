package connectapi

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/serverless-kafka-connect/slkc/connectors/mysql"
	"github.com/serverless-kafka-connect/slkc/shared/config"
	"github.com/serverless-kafka-connect/slkc/shared/state"
)

// memTargets is an in-memory Targets; failSet makes Set fail.
type memTargets struct {
	mu      sync.Mutex
	m       map[string]state.TargetState
	failSet error
}

func (f *memTargets) Get(ctx context.Context, c string) (state.TargetState, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	t := f.m[c]
	if t.State == "" {
		t.State = state.StateRunning
	}
	return t, nil
}

func (f *memTargets) Set(ctx context.Context, c, st, action, by string) (state.TargetState, error) {
	if f.failSet != nil {
		return state.TargetState{}, f.failSet
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	t := f.m[c]
	t.State, t.By = st, by
	t.History = append(t.History, state.TargetAction{Action: action, By: by})
	f.m[c] = t
	return t, nil
}

func (f *memTargets) Record(ctx context.Context, c, action, by, detail string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	t := f.m[c]
	t.History = append(t.History, state.TargetAction{Action: action, By: by, Detail: detail})
	f.m[c] = t
	return nil
}

type memStatuses struct{ items []state.Status }

func (m *memStatuses) Get(ctx context.Context, c string) ([]state.Status, error) { return m.items, nil }
func (m *memStatuses) Put(ctx context.Context, st state.Status) error {
	for i := range m.items {
		if m.items[i].Task == st.Task {
			m.items[i] = st
		}
	}
	return nil
}

// fakeLambda records mapping updates; states answers GetEventSourceMapping.
type fakeLambda struct {
	LambdaAPI
	updates []bool
	state   string
}

func (f *fakeLambda) UpdateEventSourceMapping(ctx context.Context, in *lambda.UpdateEventSourceMappingInput, _ ...func(*lambda.Options)) (*lambda.UpdateEventSourceMappingOutput, error) {
	f.updates = append(f.updates, *in.Enabled)
	return &lambda.UpdateEventSourceMappingOutput{}, nil
}

func (f *fakeLambda) GetEventSourceMapping(ctx context.Context, in *lambda.GetEventSourceMappingInput, _ ...func(*lambda.Options)) (*lambda.GetEventSourceMappingOutput, error) {
	return &lambda.GetEventSourceMappingOutput{State: &f.state}, nil
}

func newTestServer(t *testing.T) (*Server, *memTargets, *fakeLambda) {
	t.Helper()
	snk, err := FromFile(&config.File{Name: "snk", Config: map[string]string{"connector.class": mysql.SinkClass, "topics": "t1"}}, "snk-fn")
	if err != nil {
		t.Fatal(err)
	}
	targets := &memTargets{m: map[string]state.TargetState{}}
	fl := &fakeLambda{state: "Enabled"}
	s := &Server{
		Connectors: map[string]Connector{"snk": snk},
		Statuses:   &memStatuses{items: []state.Status{{Connector: "snk", Task: "task-0", Type: "sink", State: state.StateRunning}}},
		Targets:    targets,
		Mappings:   LambdaMappings{Client: fl, UUIDs: map[string][]string{"snk": {"uuid-1"}}},
		Principal:  IAMPrincipal,
		Logger:     slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	return s, targets, fl
}

func urlEvent(method, path, arn string) events.LambdaFunctionURLRequest {
	ev := events.LambdaFunctionURLRequest{Version: "2.0", RawPath: path}
	ev.RequestContext.HTTP.Method = method
	if arn != "" {
		ev.RequestContext.Authorizer = &events.LambdaFunctionURLRequestContextAuthorizerDescription{
			IAM: &events.LambdaFunctionURLRequestContextAuthorizerIAMDescription{UserARN: arn},
		}
	}
	return ev
}

// TestFunctionURLPauseRecordsPrincipal: on AWS, pause disables the sink's
// event source mapping and records the caller's IAM principal; a request
// without one is refused before any handler runs.
func TestFunctionURLPauseRecordsPrincipal(t *testing.T) {
	s, targets, fl := newTestServer(t)
	h := FunctionURLHandler(s.Handler())
	const arn = "arn:aws:iam::123456789012:role/ops"
	res, err := h(context.Background(), urlEvent("PUT", "/connectors/snk/pause", arn))
	if err != nil || res.StatusCode != http.StatusAccepted {
		t.Fatalf("pause = %d %s, %v", res.StatusCode, res.Body, err)
	}
	if len(fl.updates) != 1 || fl.updates[0] {
		t.Errorf("mapping updates = %v, want one Enabled=false", fl.updates)
	}
	if ts, _ := targets.Get(context.Background(), "snk"); ts.State != state.StatePaused || ts.By != arn {
		t.Errorf("target = %+v, want PAUSED by %s", ts, arn)
	}
	res, _ = h(context.Background(), urlEvent("PUT", "/connectors/snk/resume", ""))
	if res.StatusCode != http.StatusForbidden || len(fl.updates) != 1 {
		t.Errorf("unsigned resume = %d %s (updates %v), want 403 and no change", res.StatusCode, res.Body, fl.updates)
	}
	res, _ = h(context.Background(), urlEvent("GET", "/connectors/snk/status", arn))
	var body state.ConnectStatusBody
	if err := json.Unmarshal([]byte(res.Body), &body); err != nil || body.Connector.State != state.StatePaused {
		t.Errorf("status = %s, want PAUSED", res.Body)
	}
}

// TestPauseRollsBackMappingWhenTargetWriteFails: nothing is half-applied.
func TestPauseRollsBackMappingWhenTargetWriteFails(t *testing.T) {
	s, targets, fl := newTestServer(t)
	targets.failSet = errors.New("throttled")
	s.Principal = nil
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, httptest.NewRequest("PUT", "/connectors/snk/stop", nil))
	if rec.Code != http.StatusInternalServerError || !strings.Contains(rec.Body.String(), `"error_code":500`) {
		t.Errorf("stop = %d %s, want 500 with an error body", rec.Code, rec.Body)
	}
	if len(fl.updates) != 2 || fl.updates[0] || !fl.updates[1] {
		t.Errorf("mapping updates = %v, want disable then re-enable", fl.updates)
	}
}

// TestSinkOffsetsNeedDisabledMapping: while Lambda is still disabling the
// mapping an offsets change is a 409, before anything is written.
func TestSinkOffsetsNeedDisabledMapping(t *testing.T) {
	s, targets, fl := newTestServer(t)
	targets.m["snk"] = state.TargetState{State: state.StateStopped}
	fl.state = "Disabling"
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, httptest.NewRequest("DELETE", "/connectors/snk/offsets", nil))
	if rec.Code != http.StatusConflict || !strings.Contains(rec.Body.String(), "still being disabled") {
		t.Errorf("reset = %d %s, want 409", rec.Code, rec.Body)
	}
}

func TestKnownPath(t *testing.T) {
	for path, want := range map[string]bool{
		"/": true, "/connectors": true, "/connectors/a": true, "/connectors/a/status": true,
		"/connectors/a/tasks/0/status": true, "/connector-plugins/X/config/validate": true,
		"/nowhere": false, "/connectors/a/b/c": false,
	} {
		if got := knownPath(path); got != want {
			t.Errorf("knownPath(%q) = %v, want %v", path, got, want)
		}
	}
}

func TestValidateUnknownClassInBody(t *testing.T) {
	s, _, _ := newTestServer(t)
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, httptest.NewRequest("PUT", "/connector-plugins/JdbcSinkConnector/config/validate", strings.NewReader(`{"connector.class":"com.example.Nope"}`)))
	var v ConfigInfos
	if err := json.Unmarshal(rec.Body.Bytes(), &v); rec.Code != http.StatusOK || err != nil {
		t.Fatalf("validate = %d %s", rec.Code, rec.Body)
	}
	for _, c := range v.Configs {
		if c.Value.Name == config.KeyConnectorClass && (len(c.Value.Errors) == 0 || !strings.Contains(c.Value.Errors[0], "com.example.Nope")) {
			t.Errorf("connector.class errors = %v, want the unknown class named", c.Value.Errors)
		}
	}
	if v.ErrorCount == 0 {
		t.Error("error_count 0 for an unknown class")
	}
}

func TestValidateShape(t *testing.T) {
	v := validateProps("JdbcSinkConnector", mysql.SinkClass, map[string]string{
		"connector.class": mysql.SinkClass, "topics": "t", "connection.url": "jdbc:mysql://h/db", "name": "x", "bootstrap.servers": "b:9092",
		"insert.mode": "sometimes", "no.such.key": "1", "connection.password": "secret",
	})
	errs := map[string]int{}
	for _, c := range v.Configs {
		errs[c.Value.Name] = len(c.Value.Errors)
		if c.Value.Name == "connection.password" && (c.Value.Value == nil || *c.Value.Value != "[hidden]") {
			t.Errorf("password value shown: %v", c.Value.Value)
		}
	}
	if v.ErrorCount != 2 || errs["insert.mode"] != 1 || errs["no.such.key"] != 1 {
		t.Errorf("error_count %d, per key %v; want insert.mode and no.such.key", v.ErrorCount, errs)
	}
}
