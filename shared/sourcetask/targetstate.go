package sourcetask

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/serverless-kafka-connect/slkc/shared/state"
)

// TargetStates reads a connector's target state, set through the control
// plane (PUT /connectors/{name}/pause, /stop, /resume); *state.TargetStore
// satisfies it.
type TargetStates interface {
	Get(ctx context.Context, connector string) (state.TargetState, error)
}

// pausedByTarget is checked right after the lease is taken, so a pause or
// stop written before this run took the lease always stops it, and the
// control plane can alter offsets under its own lease without racing a
// poller. It reports whether the run must skip; an unreadable target state
// fails the run (retried by the next schedule) rather than running a
// connector someone may have stopped.
func (t *Task) pausedByTarget(ctx context.Context, log *slog.Logger) (bool, error) {
	if t.Target == nil {
		return false, nil
	}
	ts, err := t.Target.Get(ctx, t.Name)
	if err != nil {
		return false, fmt.Errorf("sourcetask: connector %q: %w", t.Name, err)
	}
	if ts.Runs() {
		return false, nil
	}
	log.Info("connector is "+ts.State+"; skipping run", "target_state", ts.State, "target_by", ts.By, "target_at", ts.At)
	return true, nil
}
