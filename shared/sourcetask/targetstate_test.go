package sourcetask

import (
	"context"
	"errors"
	"testing"

	"github.com/serverless-kafka-connect/slkc/shared/state"
)

// fixedTarget is a TargetStates that always answers st (or err).
type fixedTarget struct {
	st  state.TargetState
	err error
}

func (f fixedTarget) Get(ctx context.Context, connector string) (state.TargetState, error) {
	return f.st, f.err
}

func TestRunHonoursTargetState(t *testing.T) {
	for _, tc := range []struct {
		name        string
		target      fixedTarget
		wantSkipped bool
		wantErr     bool
		wantRecords int
	}{
		{"running", fixedTarget{st: state.TargetState{State: state.StateRunning}}, false, false, 3},
		{"no item", fixedTarget{}, false, false, 3},
		{"paused", fixedTarget{st: state.TargetState{State: state.StatePaused, By: "arn:aws:iam::1:user/ops"}}, true, false, 0},
		{"stopped", fixedTarget{st: state.TargetState{State: state.StateStopped}}, true, false, 0},
		{"unreadable", fixedTarget{err: errors.New("throttled")}, false, true, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, 3, 10, "shop.a")
			h.task.Target = tc.target
			res, err := h.task.Run(context.Background(), "req-1")
			if (err != nil) != tc.wantErr || res.Skipped != tc.wantSkipped || res.Records != tc.wantRecords {
				t.Errorf("Run = %+v, %v; want skipped=%v records=%d err=%v", res, err, tc.wantSkipped, tc.wantRecords, tc.wantErr)
			}
			// The lease is always given back, and a skipped run reads nothing.
			if h.leases.released != 1 {
				t.Errorf("lease released %d times, want 1", h.leases.released)
			}
			if tc.wantSkipped && h.src.reads != 0 {
				t.Errorf("paused run read %d pages", h.src.reads)
			}
		})
	}
}
