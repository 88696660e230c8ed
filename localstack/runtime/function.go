package runtime

import (
	"context"
	"fmt"
	"math"
	"sync"
	"time"
)

// Result is the outcome of one invoke.
type Result struct {
	// RequestID is the id the function saw in Lambda-Runtime-Aws-Request-Id.
	RequestID string
	// Payload is the function's response, or the error document
	// ({"errorMessage","errorType",...}) when FunctionError is set.
	Payload []byte
	// FunctionError is "Unhandled" when the invoke failed (function error,
	// timeout, crash or init error), empty on success; as in X-Amz-Function-Error.
	FunctionError string
	// ErrorType is the error document's errorType, e.g. Sandbox.Timedout.
	ErrorType string
	InvokeStat

	logs *tailBuffer
}

// LogTail returns the end (at most 4 KB) of the lines the process wrote
// since the invoke started. Lines may reach the runner shortly after the
// response, so callers wanting the full tail wait a moment first.
func (r Result) LogTail() string {
	if r.logs == nil {
		return ""
	}
	return r.logs.String()
}

// InvokeStat is what the REPORT line says about one invoke.
type InvokeStat struct {
	Start        time.Time
	Duration     time.Duration
	BilledMs     int64
	ColdStart    bool
	InitDuration time.Duration // zero for warm starts
	MaxMemoryMB  int64         // peak RSS of the process so far (VmHWM)
	MemoryMB     int
	Error        string // errorType when the invoke failed
}

// Stats summarises the invokes of one function since the runner started.
type Stats struct {
	Function    string
	Invocations int
	Errors      int
	Timeouts    int
	Crashes     int
	ColdStarts  int
	// Recent holds the last invokes, oldest first (at most 1000).
	Recent []InvokeStat
}

const recentStats = 1000

// function holds the processes of one FunctionSpec.
type function struct {
	runner *Runner
	spec   FunctionSpec
	sem    chan struct{} // one slot per concurrent invoke

	mu    sync.Mutex
	idle  []*instance
	all   map[*instance]struct{}
	stats Stats
}

func newFunction(r *Runner, spec FunctionSpec) *function {
	return &function{
		runner: r,
		spec:   spec,
		sem:    make(chan struct{}, spec.Concurrency),
		all:    map[*instance]struct{}{},
		stats:  Stats{Function: spec.Name},
	}
}

// acquire takes a concurrency slot and a live idle process, or starts one.
func (f *function) acquire(ctx context.Context) (*instance, bool, error) {
	select {
	case f.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, false, fmt.Errorf("function %s: waiting for a free slot: %w", f.spec.Name, ctx.Err())
	case <-f.runner.closing:
		return nil, false, errClosed
	}
	f.mu.Lock()
	for len(f.idle) > 0 {
		in := f.idle[len(f.idle)-1]
		f.idle = f.idle[:len(f.idle)-1]
		if in.alive() {
			f.mu.Unlock()
			return in, false, nil
		}
		delete(f.all, in)
	}
	f.mu.Unlock()
	in, err := startInstance(f)
	if err != nil {
		<-f.sem
		return nil, false, err
	}
	f.mu.Lock()
	f.all[in] = struct{}{}
	f.mu.Unlock()
	return in, true, nil
}

// release returns a healthy process to the pool and frees the slot.
func (f *function) release(in *instance, healthy bool) {
	f.mu.Lock()
	if healthy && in.alive() {
		f.idle = append(f.idle, in)
	} else {
		delete(f.all, in)
	}
	f.mu.Unlock()
	<-f.sem
}

// testHookAcquired runs right after invoke takes its process; tests set it
// to let the process exit at that point.
var testHookAcquired = func(in *instance, cold bool) {}

// invoke runs one synchronous invoke. The returned error is non-nil only
// when the invoke could not be attempted (runner closed, ctx done while
// waiting for a slot, process failed to start); failures of the function
// itself are in Result.
func (f *function) invoke(ctx context.Context, payload []byte) (Result, error) {
	in, cold, err := f.acquire(ctx)
	if err != nil {
		return Result{}, err
	}
	testHookAcquired(in, cold)
	inv := &invocation{
		id:      newRequestID(),
		payload: payload,
		result:  make(chan outcome, 1),
		logs:    &tailBuffer{},
	}
	res := Result{RequestID: inv.id}
	res.ColdStart = cold
	res.MemoryMB = f.spec.MemoryMB
	name := f.spec.Name

	healthy, released := true, false
	defer func() {
		if !released {
			f.release(in, healthy)
		}
	}()

	// Init phase, for a process started for this invoke: wait until the
	// runtime asks for its first event. A warm process asked long ago; if it
	// has exited since it was taken, the hand-over below starts afresh.
	if cold {
		initTimer := time.NewTimer(f.spec.InitTimeout)
		defer initTimer.Stop()
		select {
		case <-in.ready:
		case o := <-in.initErr:
			healthy = false
			in.kill(f.runner.KillGrace)
			return f.finish(in, inv, res, o, time.Now()), nil
		case <-in.exited:
			select {
			case <-in.ready:
				// It exited after asking for its event: the hand-over
				// below reports the exit.
			default:
				healthy = false
				return f.finish(in, inv, res, errorOutcome("Runtime.InitError",
					fmt.Sprintf("RequestId: %s Error: Runtime exited during init: %v", inv.id, exitText(in.exitErr))), time.Now()), nil
			}
		case <-initTimer.C:
			healthy = false
			in.kill(f.runner.KillGrace)
			return f.finish(in, inv, res, errorOutcome("Sandbox.Timedout",
				fmt.Sprintf("RequestId: %s Error: Init timed out after %.2f seconds", inv.id, f.spec.InitTimeout.Seconds())), time.Now()), nil
		case <-f.runner.closing:
			healthy = false
			return Result{}, errClosed
		}
		res.InitDuration = in.readyAt.Sub(in.started)
	}

	start := time.Now()
	res.Start = start
	inv.deadline = start.Add(f.spec.Timeout)
	inv.traceID = newTraceID(start)
	timer := time.NewTimer(f.spec.Timeout)
	defer timer.Stop()

	select {
	case in.next <- inv:
		f.runner.logLine(name, inv.id, fmt.Sprintf("START RequestId: %s Version: $LATEST", inv.id))
	case <-in.exited:
		if !cold {
			// A warm process died between invokes (aws-lambda-go exits after
			// reporting a panic). The event was never handed over, so start
			// afresh, as Lambda would.
			released = true
			f.release(in, false)
			return f.invoke(ctx, payload)
		}
		healthy = false
		return f.finish(in, inv, res, exitOutcome(inv.id, in.exitErr), start), nil
	case <-timer.C:
		healthy = false
		in.kill(f.runner.KillGrace)
		return f.finish(in, inv, res, timeoutOutcome(inv.id, f.spec.Timeout), start), nil
	}

	select {
	case o := <-inv.result:
		return f.finish(in, inv, res, o, start), nil
	case <-in.exited:
		healthy = false
		// The process may have posted its result just before exiting.
		select {
		case o := <-inv.result:
			return f.finish(in, inv, res, o, start), nil
		default:
		}
		return f.finish(in, inv, res, exitOutcome(inv.id, in.exitErr), start), nil
	case <-timer.C:
		healthy = false
		in.kill(f.runner.KillGrace)
		return f.finish(in, inv, res, timeoutOutcome(inv.id, f.spec.Timeout), start), nil
	}
}

func exitText(err error) string {
	if err == nil {
		return "exit status 0"
	}
	return err.Error()
}

func exitOutcome(id string, err error) outcome {
	return errorOutcome("Runtime.ExitError",
		fmt.Sprintf("RequestId: %s Error: Runtime exited with error: %s", id, exitText(err)))
}

func timeoutOutcome(id string, d time.Duration) outcome {
	return errorOutcome("Sandbox.Timedout",
		fmt.Sprintf("RequestId: %s Error: Task timed out after %.2f seconds", id, d.Seconds()))
}

// finish fills the result, records stats and writes END and REPORT lines.
func (f *function) finish(in *instance, inv *invocation, res Result, o outcome, start time.Time) Result {
	end := time.Now()
	if !in.alive() {
		// Let the last lines of a dead process reach the log before REPORT.
		in.waitIO(500 * time.Millisecond)
	}
	if !res.Start.IsZero() {
		res.Duration = end.Sub(start)
	} else {
		res.Start = start
	}
	res.BilledMs = int64(math.Ceil(float64(res.Duration) / float64(time.Millisecond)))
	if res.BilledMs < 1 && res.Duration > 0 {
		res.BilledMs = 1
	}
	res.MaxMemoryMB = (in.readVmHWM() + 1023) / 1024
	res.Payload = o.payload
	if o.errorType != "" {
		res.FunctionError = "Unhandled"
		res.ErrorType = o.errorType
		res.Error = o.errorType
	}
	res.logs = inv.logs

	f.mu.Lock()
	s := &f.stats
	s.Invocations++
	if res.FunctionError != "" {
		s.Errors++
	}
	switch res.ErrorType {
	case "Sandbox.Timedout":
		s.Timeouts++
	case "Runtime.ExitError":
		s.Crashes++
	}
	if res.ColdStart {
		s.ColdStarts++
	}
	s.Recent = append(s.Recent, res.InvokeStat)
	if len(s.Recent) > recentStats {
		s.Recent = append([]InvokeStat(nil), s.Recent[len(s.Recent)-recentStats:]...)
	}
	f.mu.Unlock()

	name := f.spec.Name
	f.runner.logLine(name, inv.id, fmt.Sprintf("END RequestId: %s", inv.id))
	report := fmt.Sprintf("REPORT RequestId: %s\tDuration: %.2f ms\tBilled Duration: %d ms\tMemory Size: %d MB\tMax Memory Used: %d MB",
		inv.id, float64(res.Duration)/float64(time.Millisecond), res.BilledMs, res.MemoryMB, res.MaxMemoryMB)
	if res.ColdStart {
		report += fmt.Sprintf("\tInit Duration: %.2f ms", float64(res.InitDuration)/float64(time.Millisecond))
	}
	if res.ErrorType != "" {
		report += "\tStatus: error\tError Type: " + res.ErrorType
	}
	f.runner.logLine(name, inv.id, report)
	return res
}

func (f *function) snapshot() Stats {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.stats
	s.Recent = append([]InvokeStat(nil), f.stats.Recent...)
	return s
}

// closeAll kills every process of the function.
func (f *function) closeAll(grace time.Duration) {
	f.mu.Lock()
	all := make([]*instance, 0, len(f.all))
	for in := range f.all {
		all = append(all, in)
	}
	f.mu.Unlock()
	var wg sync.WaitGroup
	for _, in := range all {
		wg.Add(1)
		go func() {
			defer wg.Done()
			in.kill(grace)
			in.waitIO(time.Second)
		}()
	}
	wg.Wait()
}
