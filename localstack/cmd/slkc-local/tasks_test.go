package main

import (
	"context"
	"strings"
	"testing"
)

// TestSourceTasksSchedules: a source with tasks.max 3 runs up to 3
// invocations at once and gets one schedule per task whose input names
// the task; tasks.max 1 keeps the single plain schedule.
func TestSourceTasksSchedules(t *testing.T) {
	cases := []struct {
		name        string
		tasks       string
		wantConc    int
		wantInputs  []string
		wantErrText string
	}{
		{name: "single task", tasks: "", wantConc: 1, wantInputs: []string{""}},
		{name: "three tasks", tasks: `,"tasks.max":"3"`, wantConc: 3, wantInputs: []string{`{"task_id":0}`, `{"task_id":1}`, `{"task_id":2}`}},
		{name: "bad tasks.max", tasks: `,"tasks.max":"0"`, wantErrText: "tasks.max"},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			js := `{"name":"s","config":{"connector.class":"io.confluent.connect.jdbc.JdbcSourceConnector","poll.interval.ms":"1000"` + tt.tasks + `}}`
			plans, err := loadPipeline(context.Background(), options{PipelineDir: writePipeline(t, map[string]string{"s.json": js}), BuildDir: "/b", Region: "us-east-1"})
			if tt.wantErrText != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErrText) {
					t.Fatalf("error %v; want one naming %s", err, tt.wantErrText)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if plans[0].Spec.Concurrency != tt.wantConc {
				t.Errorf("concurrency %d, want %d", plans[0].Spec.Concurrency, tt.wantConc)
			}
			rules := scheduleRules(plans[0])
			if len(rules) != len(tt.wantInputs) {
				t.Fatalf("%d rules, want %d", len(rules), len(tt.wantInputs))
			}
			names := map[string]bool{}
			for i, r := range rules {
				if string(r.Input) != tt.wantInputs[i] || r.Function != "s" || names[r.Name] {
					t.Errorf("rule %d = %+v; want input %s, function s, a unique name", i, r, tt.wantInputs[i])
				}
				names[r.Name] = true
			}
		})
	}
}
