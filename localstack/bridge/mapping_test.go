package bridge

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestMappingValidation(t *testing.T) {
	ok := Mapping{FunctionName: "f", Topics: []string{"t"}, Bootstrap: "127.0.0.1:9092"}
	cases := []struct {
		name   string
		mutate func(*Mapping)
		want   string // empty: valid
	}{
		{"defaults are valid", func(*Mapping) {}, ""},
		{"no function", func(m *Mapping) { m.FunctionName = "" }, "FunctionName is empty"},
		{"no topics", func(m *Mapping) { m.Topics = nil }, "Topics is empty"},
		{"batch too large", func(m *Mapping) { m.BatchSize = 10001 }, "BatchSize 10001"},
		{"bad position", func(m *Mapping) { m.StartingPosition = "AT_TIMESTAMP" }, "StartingPosition"},
		{"bad retries", func(m *Mapping) { m.MaximumRetryAttempts = -2 }, "MaximumRetryAttempts -2"},
		{"bad source", func(m *Mapping) { m.EventSource = "aws:sqs" }, "EventSource"},
		{"negative concurrency", func(m *Mapping) { m.Concurrency = -1 }, "Concurrency -1"},
		{"concurrency too high", func(m *Mapping) { m.Concurrency = 1001 }, "Concurrency 1001"},
		{"loop destination", func(m *Mapping) { m.OnFailure = &TopicDestination{Topic: "t"} }, "also a source topic"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := ok
			tc.mutate(&m)
			_, err := New(m, &fakeFunction{}, nil)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("New = %v, want valid", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("New = %v, want error containing %q", err, tc.want)
			}
		})
	}
}

func TestMappingDefaultsAndRetryCap(t *testing.T) {
	m := Mapping{FunctionName: "f", MaximumRetryAttempts: -1}.withDefaults()
	if m.BatchSize != 100 || m.ConsumerGroup != "connect-f" || m.StartingPosition != TrimHorizon || m.EventSource != SourceSelfManaged ||
		m.Concurrency != 1 {
		t.Errorf("defaults = %+v", m)
	}
	if m.retryLimit() != -1 {
		t.Errorf("retry limit without destination = %d, want -1", m.retryLimit())
	}
	m.OnFailure = FuncDestination(nil)
	if m.retryLimit() != RetryCapWithDestination {
		t.Errorf("retry limit with destination = %d, want %d", m.retryLimit(), RetryCapWithDestination)
	}
}

func TestBackoffDoublesAndIsBounded(t *testing.T) {
	m := Mapping{FunctionName: "f", RetryBackoff: 100 * time.Millisecond, MaxRetryBackoff: time.Second}.withDefaults()
	want := []time.Duration{100, 200, 400, 800, 1000, 1000}
	for i, w := range want {
		if got := m.backoff(i + 1); got != w*time.Millisecond {
			t.Errorf("backoff(%d) = %v, want %v", i+1, got, w*time.Millisecond)
		}
	}
	if got := m.backoff(1000); got != time.Second {
		t.Errorf("backoff(1000) = %v, want the bound", got)
	}
	d := Mapping{FunctionName: "f"}.withDefaults()
	if d.RetryBackoff != 500*time.Millisecond || d.MaxRetryBackoff != 30*time.Second {
		t.Errorf("default backoff %v..%v, want 500ms..30s", d.RetryBackoff, d.MaxRetryBackoff)
	}
	if b := (Mapping{FunctionName: "f", RetryBackoff: time.Minute}).withDefaults(); b.MaxRetryBackoff != time.Minute {
		t.Errorf("MaxRetryBackoff below RetryBackoff not raised: %v", b.MaxRetryBackoff)
	}
}

func TestFileDestinationAppendsJSONLines(t *testing.T) {
	d := &FileDestination{Path: filepath.Join(t.TempDir(), "sub", "sink.jsonl")}
	for i, cond := range []string{ConditionRetriesExhausted, ConditionRecordAge} {
		fr := FailureRecord{Version: "1.0", RequestContext: FailureRequestContext{Condition: cond, ApproximateInvokeCount: i + 1},
			KafkaBatchInfo: KafkaBatchInfo{BatchSize: 1, RecordsInfo: map[string]RecordsInfo{"t-0": {FirstRecordOffset: "7", LastRecordOffset: "7"}}}}
		if err := d.Send(context.Background(), fr); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(d.Path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d lines, want 2: %s", len(lines), b)
	}
	var got FailureRecord
	if err := json.Unmarshal([]byte(lines[1]), &got); err != nil {
		t.Fatal(err)
	}
	if got.RequestContext.Condition != ConditionRecordAge || got.KafkaBatchInfo.RecordsInfo["t-0"].FirstRecordOffset != "7" {
		t.Errorf("second line = %+v", got)
	}
}
