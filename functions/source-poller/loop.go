package main

import (
	"context"
	"time"

	"github.com/serverless-kafka-connect/slkc/shared/sourcetask"
)

// PollLoopEnv names the variable that turns on polling inside one
// invocation: the window in milliseconds during which the function keeps
// polling every poll.interval.ms. The CDK app sets it to the schedule period
// when poll.interval.ms is shorter than EventBridge's one-minute granularity;
// unset or 0 (the local runner, which fires at poll.interval.ms itself)
// means one run per invocation.
const PollLoopEnv = "SLKC_POLL_LOOP_MS"

// runner is what the loop drives; *sourcetask.Task satisfies it.
type runner interface {
	Run(ctx context.Context, requestID string) (sourcetask.Result, error)
}

// taskRunner runs one task of a Task.
type taskRunner struct {
	t  *sourcetask.Task
	id int
}

func (r taskRunner) Run(ctx context.Context, requestID string) (sourcetask.Result, error) {
	return r.t.RunTask(ctx, requestID, r.id)
}

// pollLoop repeats runs every Interval until Window has passed since the
// first one started, stopping early on an error, a held lease, a run cut
// short by the deadline, or when the next run could not start at least
// Margin before the deadline. Each run takes and releases the lease itself,
// so a run never overlaps another invocation's.
type pollLoop struct {
	Interval time.Duration
	Window   time.Duration
	Margin   time.Duration
	Now      func() time.Time
}

// loopResult sums the runs of one invocation.
type loopResult struct {
	Runs              int
	Skipped           bool
	Pages, Records    int
	PerPartition      map[string]int
	StoppedByDeadline bool
	Superseded        bool
}

func (l pollLoop) run(ctx context.Context, r runner, requestID string) (loopResult, error) {
	now := l.Now
	if now == nil {
		now = time.Now
	}
	start := now()
	var out loopResult
	for runStart := start; ; {
		res, err := r.Run(ctx, requestID)
		out.Runs++
		out.Pages += res.Pages
		out.Records += res.Records
		out.StoppedByDeadline = res.StoppedByDeadline
		out.Superseded = res.Superseded
		for k, v := range res.PerPartition {
			if out.PerPartition == nil {
				out.PerPartition = map[string]int{}
			}
			out.PerPartition[k] += v
		}
		if out.Runs == 1 {
			out.Skipped = res.Skipped
		}
		if err != nil || res.Skipped || res.StoppedByDeadline || l.Window <= 0 || l.Interval <= 0 {
			return out, err
		}
		next := runStart.Add(l.Interval)
		if !next.Before(start.Add(l.Window)) {
			return out, nil
		}
		if dl, ok := ctx.Deadline(); ok && !next.Add(l.Margin).Before(dl) {
			return out, nil
		}
		t := time.NewTimer(next.Sub(now()))
		select {
		case <-ctx.Done():
			t.Stop()
			return out, nil
		case <-t.C:
		}
		runStart = next
	}
}
