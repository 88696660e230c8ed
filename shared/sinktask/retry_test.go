package sinktask

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/serverless-kafka-connect/slkc/connectors"
	"github.com/serverless-kafka-connect/slkc/events"
	"github.com/serverless-kafka-connect/slkc/shared/connect"
)

func TestRetryDelay(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	bg := context.Background()
	type step struct {
		attempt int
		now     time.Duration // since the first attempt
		want    time.Duration // 0: no retry
	}
	tests := []struct {
		name  string
		p     Retry
		ctx   func() (context.Context, context.CancelFunc)
		steps []step
	}{
		{name: "zero value never retries", steps: []step{{1, 0, 0}}},
		{name: "max.retries with retry.backoff.ms, then no more", p: Retry{MaxRetries: 2, Backoff: 3 * time.Second},
			steps: []step{{1, 0, 3 * time.Second}, {2, 4 * time.Second, 3 * time.Second}, {3, 8 * time.Second, 0}}},
		{name: "errors.retry.timeout: exponential from 300 ms capped by delay.max", p: Retry{Timeout: time.Minute, DelayMax: time.Second},
			steps: []step{{1, 0, 300 * time.Millisecond}, {2, time.Second, 600 * time.Millisecond}, {3, 2 * time.Second, time.Second}, {9, 10 * time.Second, time.Second}}},
		{name: "errors.retry.timeout bounds the total time", p: Retry{Timeout: 2 * time.Second, DelayMax: time.Minute},
			steps: []step{{1, 0, 300 * time.Millisecond}, {4, 1900 * time.Millisecond, 100 * time.Millisecond}, {5, 2 * time.Second, 0}}},
		{name: "errors.retry.timeout=-1 retries without a limit", p: Retry{Timeout: -1, DelayMax: 60 * time.Second},
			steps: []step{{1, 0, 300 * time.Millisecond}, {50, 24 * time.Hour, 60 * time.Second}}},
		{name: "connector retries first, then the framework's", p: Retry{MaxRetries: 1, Backoff: 10 * time.Millisecond, Timeout: time.Minute, DelayMax: time.Minute},
			steps: []step{{1, 0, 10 * time.Millisecond}, {2, time.Second, 300 * time.Millisecond}, {3, 2 * time.Second, 600 * time.Millisecond}}},
		{name: "no retry that would run into the invocation deadline", p: Retry{MaxRetries: 5, Backoff: 3 * time.Second},
			ctx: func() (context.Context, context.CancelFunc) {
				return context.WithDeadline(bg, t0.Add(5*time.Second))
			},
			steps: []step{{1, 0, 3 * time.Second}, {2, 2 * time.Second, 0}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := bg
			if tt.ctx != nil {
				var cancel context.CancelFunc
				ctx, cancel = tt.ctx()
				defer cancel()
			}
			for _, s := range tt.steps {
				got, ok := tt.p.delay(ctx, s.attempt, t0, t0.Add(s.now), time.Second)
				if ok != (s.want != 0) || got != s.want {
					t.Errorf("attempt %d at +%v: delay %v, %v; want %v", s.attempt, s.now, got, ok, s.want)
				}
			}
		})
	}
}

// flaky fails the first n Writes: retriably as a whole, or (perRecord) only
// for the records whose value is in bad.
type flaky struct {
	fakeDest
	n   int
	bad map[string]bool
}

func (d *flaky) Write(ctx context.Context, recs []connect.Record) error {
	_ = d.fakeDest.Write(ctx, recs)
	if len(d.calls) > d.n {
		return nil
	}
	if d.bad == nil {
		return retryable
	}
	be := connectors.NewBatchError()
	for i, r := range recs {
		if s, _ := r.Value.(string); d.bad[s] {
			be.Fail(i, retryable)
		}
	}
	return be
}

// TestHandleRetriesRetriableWrites: with a retry policy, a retriable write
// failure is written again inside the invocation (only the failed
// partitions, from their failed record on) and nothing is reported; without
// one the partition goes back to Lambda.
func TestHandleRetriesRetriableWrites(t *testing.T) {
	ev := func() events.KafkaEvent {
		return event(rec("orders", 0, 10, "a"), rec("orders", 0, 11, "b"), rec("orders", 0, 12, "c"), rec("orders", 1, 5, "x"))
	}
	tests := []struct {
		name       string
		retry      Retry
		fails      int
		bad        map[string]bool
		wantCalls  [][]string
		wantSleeps []time.Duration
		wantResp   int
		wantCount  map[string]int64
	}{
		{name: "no policy: the partition goes back to Lambda", fails: 1, bad: map[string]bool{"b": true},
			wantCalls: [][]string{{"orders/0@10=a", "orders/0@11=b", "orders/0@12=c", "orders/1@5=x"}},
			wantResp:  1, wantCount: map[string]int64{"failed": 2}},
		{name: "max.retries: the failed partition is written again from its failed record", retry: Retry{MaxRetries: 3, Backoff: 3 * time.Second},
			fails: 2, bad: map[string]bool{"b": true},
			wantCalls: [][]string{
				{"orders/0@10=a", "orders/0@11=b", "orders/0@12=c", "orders/1@5=x"},
				{"orders/0@11=b", "orders/0@12=c"},
				{"orders/0@11=b", "orders/0@12=c"},
			},
			wantSleeps: []time.Duration{3 * time.Second, 3 * time.Second},
			wantCount:  map[string]int64{"written": 4, "failed": 0}},
		{name: "max.retries exhausted", retry: Retry{MaxRetries: 1, Backoff: time.Millisecond}, fails: 5, bad: map[string]bool{"b": true},
			wantCalls:  [][]string{{"orders/0@10=a", "orders/0@11=b", "orders/0@12=c", "orders/1@5=x"}, {"orders/0@11=b", "orders/0@12=c"}},
			wantSleeps: []time.Duration{time.Millisecond}, wantResp: 1, wantCount: map[string]int64{"written": 3, "failed": 2}},
		{name: "errors.retry.timeout: whole-batch failure retried with backoff", retry: Retry{Timeout: time.Hour, DelayMax: time.Hour}, fails: 2,
			wantCalls: [][]string{
				{"orders/0@10=a", "orders/0@11=b", "orders/0@12=c", "orders/1@5=x"},
				{"orders/0@10=a", "orders/0@11=b", "orders/0@12=c", "orders/1@5=x"},
				{"orders/0@10=a", "orders/0@11=b", "orders/0@12=c", "orders/1@5=x"},
			},
			wantSleeps: []time.Duration{300 * time.Millisecond, 600 * time.Millisecond},
			wantCount:  map[string]int64{"written": 4, "failed": 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dest := &flaky{n: tt.fails, bad: tt.bad}
			var sleeps []time.Duration
			tt.retry.Sleep = func(_ context.Context, d time.Duration) error { sleeps = append(sleeps, d); return nil }
			st := &fakeStatus{}
			task := &Task{Name: "s", Destination: dest, KeyConverter: stringConv{}, ValueConverter: stringConv{},
				Retry: tt.retry, Status: st, ReportBatchItemFailures: true}
			resp, err := task.Handle(context.Background(), ev())
			if err != nil {
				t.Fatal(err)
			}
			var calls [][]string
			for _, c := range dest.calls {
				calls = append(calls, values(c))
			}
			if !reflect.DeepEqual(calls, tt.wantCalls) {
				t.Errorf("writes %v\nwant %v", calls, tt.wantCalls)
			}
			if !reflect.DeepEqual(sleeps, tt.wantSleeps) {
				t.Errorf("sleeps %v, want %v", sleeps, tt.wantSleeps)
			}
			if len(resp.BatchItemFailures) != tt.wantResp {
				t.Errorf("response %+v, want %d failures", resp.BatchItemFailures, tt.wantResp)
			}
			for k, v := range tt.wantCount {
				if got := st.got[0].Counters[k]; got != v {
					t.Errorf("counter %s = %d, want %d", k, got, v)
				}
			}
		})
	}
}
