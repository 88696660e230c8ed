package scheduler

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
)

type call struct {
	function string
	payload  []byte
}

// fakeInvoker records calls; each call blocks for delay.
type fakeInvoker struct {
	delay    time.Duration
	mu       sync.Mutex
	calls    []call
	inFlight atomic.Int32
	maxIn    atomic.Int32
}

func (f *fakeInvoker) InvokeEvent(ctx context.Context, function string, payload []byte) error {
	n := f.inFlight.Add(1)
	defer f.inFlight.Add(-1)
	for {
		m := f.maxIn.Load()
		if n <= m || f.maxIn.CompareAndSwap(m, n) {
			break
		}
	}
	time.Sleep(f.delay)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, call{function, payload})
	return nil
}

func (f *fakeInvoker) snapshot() []call {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]call(nil), f.calls...)
}

func TestFiresScheduledEvents(t *testing.T) {
	inv := &fakeInvoker{}
	s := New(inv, Rule{Function: "orders-source", Interval: 20 * time.Millisecond}, Rule{Name: "r2", Function: "other", Interval: time.Hour})
	s.Region = "eu-central-1"
	s.Account = "123456789012"
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
	defer cancel()
	if err := s.Run(ctx); err != nil {
		t.Fatal(err)
	}
	calls := inv.snapshot()
	per := map[string]int{}
	ids := map[string]bool{}
	for _, c := range calls {
		per[c.function]++
		var ev map[string]any
		if err := json.Unmarshal(c.payload, &ev); err != nil {
			t.Fatalf("payload %s: %v", c.payload, err)
		}
		rule := "slkc-orders-source"
		if c.function == "other" {
			rule = "r2"
		}
		want := map[string]any{
			"version": "0", "detail-type": "Scheduled Event", "source": "aws.events",
			"account": "123456789012", "region": "eu-central-1",
		}
		for k, v := range want {
			if ev[k] != v {
				t.Errorf("%s = %v, want %v", k, ev[k], v)
			}
		}
		res, _ := ev["resources"].([]any)
		if len(res) != 1 || res[0] != "arn:aws:events:eu-central-1:123456789012:rule/"+rule {
			t.Errorf("resources = %v, want the rule ARN of %s", ev["resources"], rule)
		}
		if d, ok := ev["detail"].(map[string]any); !ok || len(d) != 0 {
			t.Errorf("detail = %v, want {}", ev["detail"])
		}
		ts, _ := ev["time"].(string)
		if _, err := time.Parse(time.RFC3339, ts); err != nil || !strings.HasSuffix(ts, "Z") {
			t.Errorf("time %q is not RFC3339 UTC", ts)
		}
		id, _ := ev["id"].(string)
		if len(id) != 36 || ids[id] {
			t.Errorf("id %q is not a fresh UUID", id)
		}
		ids[id] = true
	}
	// Timing on a loaded machine varies; assert repeated firing, not precision.
	if per["orders-source"] < 2 || per["orders-source"] > 9 {
		t.Errorf("orders-source fired %d times in 150ms at 20ms, want several (about 7)", per["orders-source"])
	}
	if per["other"] != 1 {
		t.Errorf("hourly rule fired %d times, want 1 (at start)", per["other"])
	}
	if fired, _, _ := s.Counts(); int(fired) != len(calls) {
		t.Errorf("Counts fired = %d, want %d", fired, len(calls))
	}
}

func TestSkipsTicksWhileInFlight(t *testing.T) {
	inv := &fakeInvoker{delay: 100 * time.Millisecond}
	s := New(inv, Rule{Function: "slow", Interval: 10 * time.Millisecond})
	ctx, cancel := context.WithTimeout(context.Background(), 250*time.Millisecond)
	defer cancel()
	if err := s.Run(ctx); err != nil {
		t.Fatal(err)
	}
	if m := inv.maxIn.Load(); m != 1 {
		t.Errorf("max concurrent fires = %d, want 1", m)
	}
	fired, skipped, _ := s.Counts()
	if skipped == 0 {
		t.Errorf("skipped = 0, want ticks skipped while the slow invoke runs")
	}
	if fired < 1 || fired > 3 {
		t.Errorf("fired = %d, want 1..3 in 250ms with 100ms invokes", fired)
	}
}

func TestRejectsInvalidRules(t *testing.T) {
	cases := []struct {
		name string
		rule Rule
		want string
	}{
		{"no function", Rule{Interval: time.Second}, "function is empty"},
		{"zero interval", Rule{Function: "f"}, "must be > 0"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := New(&fakeInvoker{}, tc.rule).Run(context.Background())
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Run = %v, want error containing %q", err, tc.want)
			}
		})
	}
}

func TestLambdaInvokerSendsEventInvocation(t *testing.T) {
	type seen struct{ path, typ, body string }
	got := make(chan seen, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- seen{r.URL.Path, r.Header.Get("X-Amz-Invocation-Type"), string(b)}
		w.WriteHeader(http.StatusAccepted)
	}))
	defer srv.Close()
	c := lambda.New(lambda.Options{BaseEndpoint: aws.String(srv.URL), Region: "us-east-1", Credentials: aws.AnonymousCredentials{}})
	if err := (&LambdaInvoker{Client: c}).InvokeEvent(context.Background(), "src", []byte(`{"a":1}`)); err != nil {
		t.Fatal(err)
	}
	s := <-got
	if s.path != "/2015-03-31/functions/src/invocations" || s.typ != "Event" || s.body != `{"a":1}` {
		t.Errorf("request = %+v, want an Event invoke of src", s)
	}
}

func TestLambdaInvokerFallsBackToRequestResponse(t *testing.T) {
	var types []string
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		typ := r.Header.Get("X-Amz-Invocation-Type")
		mu.Lock()
		types = append(types, typ)
		mu.Unlock()
		if typ == "Event" { // what older sam local start-lambda answers
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("X-Amzn-ErrorType", "NotImplemented")
			w.WriteHeader(http.StatusNotImplemented)
			_, _ = io.WriteString(w, `{"Type":"LocalService","message":"invocation-type: Event is not supported. RequestResponse is only supported."}`)
			return
		}
		w.WriteHeader(http.StatusOK)
		_, _ = io.WriteString(w, `{}`)
	}))
	defer srv.Close()
	c := lambda.New(lambda.Options{BaseEndpoint: aws.String(srv.URL), Region: "us-east-1", Credentials: aws.AnonymousCredentials{},
		RetryMaxAttempts: 1})
	inv := &LambdaInvoker{Client: c}
	for i := range 2 {
		if err := inv.InvokeEvent(context.Background(), "src", []byte(`{}`)); err != nil {
			t.Fatalf("invoke %d: %v", i, err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if strings.Join(types, ",") != "Event,RequestResponse,RequestResponse" {
		t.Errorf("invocation types = %v, want one Event then RequestResponse only", types)
	}
}

// TestRuleInputAndConcurrentTasks: rules with an Input send it instead of
// the scheduled event, and the rules of one function's tasks are in flight
// at the same time (one rule per source task, each with its task id).
func TestRuleInputAndConcurrentTasks(t *testing.T) {
	inv := &fakeInvoker{delay: 60 * time.Millisecond}
	var rules []Rule
	for id := range 3 {
		rules = append(rules, Rule{Name: "src-task-" + string(rune('0'+id)), Function: "src", Interval: time.Hour,
			Input: json.RawMessage(`{"task_id":` + string(rune('0'+id)) + `}`)})
	}
	s := New(inv, rules...)
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
	defer cancel()
	if err := s.Run(ctx); err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, c := range inv.snapshot() {
		got[string(c.payload)] = true
	}
	for _, want := range []string{`{"task_id":0}`, `{"task_id":1}`, `{"task_id":2}`} {
		if !got[want] {
			t.Errorf("no invoke with payload %s; got %v", want, got)
		}
	}
	if inv.maxIn.Load() != 3 {
		t.Errorf("at most %d invokes in flight; want the 3 tasks at once", inv.maxIn.Load())
	}
	bad := New(inv, Rule{Function: "src", Interval: time.Second, Input: json.RawMessage(`{`)})
	if err := bad.Run(context.Background()); err == nil || !strings.Contains(err.Error(), "input is not JSON") {
		t.Errorf("Run with a bad input: %v", err)
	}
}
