package main

import (
	"strings"
	"testing"
)

// TestParseOnly checks the parts -only runs alone and that any other value
// is refused naming the allowed ones.
func TestParseOnly(t *testing.T) {
	tests := []struct {
		name, only string
		wantErr    bool
	}{
		{"everything", "", false},
		{"bridge", "bridge", false},
		{"e2e", "e2e", false},
		{"sink", "sink", false},
		{"source", "source", false},
		{"unknown part", "cdc", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o, err := parseFlags([]string{"-only", tc.only})
			if tc.wantErr {
				if err == nil || !strings.Contains(err.Error(), `"e2e"`) || !strings.Contains(err.Error(), tc.only) {
					t.Fatalf("-only %q: error %v, want one naming the value and the allowed parts", tc.only, err)
				}
				return
			}
			if err != nil || o.Only != tc.only {
				t.Fatalf("-only %q: %v, Only=%q", tc.only, err, o.Only)
			}
		})
	}
}

// TestParseFnEnv checks that -fn-env collects K=V pairs and refuses others.
func TestParseFnEnv(t *testing.T) {
	o, err := parseFlags([]string{"-fn-env", "GOGC=off", "-fn-env", "GOMEMLIMIT=200MiB"})
	if err != nil || o.FnEnv["GOGC"] != "off" || o.FnEnv["GOMEMLIMIT"] != "200MiB" || len(o.FnEnv) != 2 {
		t.Fatalf("FnEnv %v, err %v", o.FnEnv, err)
	}
	if _, err := parseFlags([]string{"-fn-env", "GOGC"}); err == nil || !strings.Contains(err.Error(), "GOGC") {
		t.Fatalf("-fn-env GOGC: error %v, want one naming the value", err)
	}
}

// TestParseProcessRecords checks that the sink-handler binaries get as many
// records as the raw upsert runs they are compared with unless told
// otherwise, and that a negative count is refused naming the flag.
func TestParseProcessRecords(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want int
	}{
		{nil, 100_000},
		{[]string{"-sink-records", "40000"}, 40_000},
		{[]string{"-sink-records", "40000", "-process-records", "20000"}, 20_000},
	} {
		o, err := parseFlags(tc.args)
		if err != nil || o.ProcessRecords != tc.want {
			t.Fatalf("%v: ProcessRecords %d, err %v; want %d", tc.args, o.ProcessRecords, err, tc.want)
		}
	}
	if _, err := parseFlags([]string{"-process-records", "-1"}); err == nil || !strings.Contains(err.Error(), "-process-records") {
		t.Fatalf("-process-records -1: error %v, want one naming the flag", err)
	}
}

// TestParseReps: three runs of each paired figure by default (README
// "Performance goals in one run": the goals' median then leaves one out),
// and no fewer than one.
func TestParseReps(t *testing.T) {
	o, err := parseFlags(nil)
	if err != nil || o.Reps != 3 {
		t.Fatalf("default -reps: %d (%v), want 3", o.Reps, err)
	}
	if _, err := parseFlags([]string{"-reps", "0"}); err == nil {
		t.Error("-reps 0 accepted")
	}
	if o.SourceReps != 5 {
		t.Errorf("default -source-reps: %d, want 5", o.SourceReps)
	}
	if _, err := parseFlags([]string{"-source-reps", "0"}); err == nil {
		t.Error("-source-reps 0 accepted")
	}
}
