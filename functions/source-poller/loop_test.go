package main

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/serverless-kafka-connect/slkc/shared/sourcetask"
)

// scripted answers Run from a list, one result per call, and counts calls.
type scripted struct {
	results []sourcetask.Result
	errs    []error
	calls   int
}

func (s *scripted) Run(context.Context, string) (sourcetask.Result, error) {
	i := s.calls
	s.calls++
	if i >= len(s.results) {
		i = len(s.results) - 1
	}
	var err error
	if i < len(s.errs) {
		err = s.errs[i]
	}
	return s.results[i], err
}

func TestPollLoop(t *testing.T) {
	one := sourcetask.Result{Pages: 1, Records: 3, PerPartition: map[string]int{"t": 3}}
	cases := []struct {
		name     string
		loop     pollLoop
		deadline time.Duration
		runner   *scripted
		runs     int
		records  int
		err      bool
	}{
		{"no window: one run", pollLoop{Interval: time.Millisecond}, 0, &scripted{results: []sourcetask.Result{one}}, 1, 3, false},
		{"window of four intervals", pollLoop{Interval: 20 * time.Millisecond, Window: 70 * time.Millisecond}, 0, &scripted{results: []sourcetask.Result{one}}, 4, 12, false},
		{"lease held stops at once", pollLoop{Interval: time.Millisecond, Window: time.Second}, 0, &scripted{results: []sourcetask.Result{{Skipped: true}}}, 1, 0, false},
		{"error stops and is returned", pollLoop{Interval: time.Millisecond, Window: time.Second}, 0,
			&scripted{results: []sourcetask.Result{one, one}, errs: []error{nil, errors.New("broker down")}}, 2, 6, true},
		{"run cut by the deadline stops", pollLoop{Interval: time.Millisecond, Window: time.Second}, 0,
			&scripted{results: []sourcetask.Result{{Records: 5, StoppedByDeadline: true}}}, 1, 5, false},
		{"deadline margin ends the window early", pollLoop{Interval: 20 * time.Millisecond, Window: time.Minute, Margin: 50 * time.Millisecond}, 100 * time.Millisecond,
			&scripted{results: []sourcetask.Result{one}}, 3, 9, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			if tc.deadline > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tc.deadline)
				defer cancel()
			}
			res, err := tc.loop.run(ctx, tc.runner, "req")
			if (err != nil) != tc.err {
				t.Fatalf("err = %v, want error: %v", err, tc.err)
			}
			if res.Runs != tc.runs || tc.runner.calls != tc.runs || res.Records != tc.records {
				t.Fatalf("runs = %d (calls %d), records = %d; want %d runs, %d records", res.Runs, tc.runner.calls, res.Records, tc.runs, tc.records)
			}
			if tc.records > 0 && res.PerPartition["t"] != tc.records && !res.StoppedByDeadline {
				t.Fatalf("per partition = %v, want the runs summed", res.PerPartition)
			}
		})
	}
}
