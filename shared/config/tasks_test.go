package config

import (
	"strings"
	"testing"
)

// TestTasksMax: sources take 1..MaxTasks tasks and reserve one concurrent
// poller per task by default; sinks take only 1; a reserved concurrency
// below tasks.max is refused naming both keys.
func TestTasksMax(t *testing.T) {
	cases := []struct {
		name         string
		sink         bool
		props        map[string]string
		wantErr      string // substring; "" means accepted
		wantReserved int
	}{
		{name: "source default", props: map[string]string{}, wantReserved: 1},
		{name: "source 4 tasks reserves 4", props: map[string]string{KeyTasksMax: "4"}, wantReserved: 4},
		{name: "source explicit no reservation", props: map[string]string{KeyTasksMax: "4", KeyLambdaReservedConcurrency: "-1"}, wantReserved: -1},
		{name: "source reservation above tasks", props: map[string]string{KeyTasksMax: "4", KeyLambdaReservedConcurrency: "6"}, wantReserved: 6},
		{name: "source reservation below tasks", props: map[string]string{KeyTasksMax: "4", KeyLambdaReservedConcurrency: "2"},
			wantErr: `invalid value "2" for config key "aws.lambda.reserved.concurrency": is below tasks.max=4`},
		{name: "source above max", props: map[string]string{KeyTasksMax: "101"}, wantErr: `invalid value "101" for config key "tasks.max"`},
		{name: "source zero", props: map[string]string{KeyTasksMax: "0"}, wantErr: `config key "tasks.max"`},
		{name: "sink 2 tasks", sink: true, props: map[string]string{KeyTasksMax: "2"},
			wantErr: `invalid value "2" for config key "tasks.max": sinks take only 1`},
		{name: "sink 1 task", sink: true, props: map[string]string{KeyTasksMax: "1"}, wantReserved: -1},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			p, kind := sourceProps(), Source
			if tt.sink {
				p, kind = sinkProps(), Sink
			}
			for k, v := range tt.props {
				p[k] = v
			}
			v, err := FrameworkDef(kind).Parse(p)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v; want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			fw, err := ParseFramework(v)
			if err != nil {
				t.Fatal(err)
			}
			if fw.Lambda.ReservedConcurrency != tt.wantReserved {
				t.Errorf("reserved concurrency %d, want %d", fw.Lambda.ReservedConcurrency, tt.wantReserved)
			}
		})
	}
}
