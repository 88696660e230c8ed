// Package scheduler does locally what an EventBridge schedule rule does: it
// invokes each source function at a fixed rate with the "Scheduled Event"
// JSON EventBridge sends
// (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-run-lambda-schedule.html),
// asynchronously (InvocationType Event), as EventBridge invokes Lambda
// (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async.html).
//
// Functions are reached only through an Invoker, so the same scheduler drives
// the local runner, `sam local start-lambda` or LocalStack.
package scheduler

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go"

	"github.com/serverless-kafka-connect/slkc/events"
)

// Invoker makes an asynchronous (Event) invoke of a function.
type Invoker interface {
	InvokeEvent(ctx context.Context, function string, payload []byte) error
}

// LambdaInvoker invokes through the Lambda Invoke API with an aws-sdk-go-v2
// client (point its BaseEndpoint at the runner, sam local or LocalStack).
//
// Older `sam local start-lambda` releases answer Event invokes with
// NotImplemented ("invocation-type: Event is not supported",
// https://github.com/aws/aws-sam-cli/issues/6900); the invoker then switches
// to RequestResponse for good, so the schedule still runs (each fire then
// waits for the function, and the scheduler skips ticks meanwhile).
type LambdaInvoker struct {
	Client *lambda.Client
	// Sync forces RequestResponse invokes from the start.
	Sync bool

	sync atomic.Bool
}

// InvokeEvent sends an InvocationType Event invoke (status 202 expected),
// or a RequestResponse invoke in sync mode (a function error is an error).
func (l *LambdaInvoker) InvokeEvent(ctx context.Context, function string, payload []byte) error {
	if l.Sync || l.sync.Load() {
		return l.invokeSync(ctx, function, payload)
	}
	out, err := l.Client.Invoke(ctx, &lambda.InvokeInput{
		FunctionName:   aws.String(function),
		InvocationType: types.InvocationTypeEvent,
		Payload:        payload,
	})
	if err != nil {
		var api smithy.APIError
		if errors.As(err, &api) && api.ErrorCode() == "NotImplemented" {
			if l.sync.CompareAndSwap(false, true) {
				slog.Warn("endpoint does not support Event invokes; scheduling with RequestResponse", "function", function, "err", err)
			}
			return l.invokeSync(ctx, function, payload)
		}
		return fmt.Errorf("scheduler: invoke %s: %w", function, err)
	}
	if out.StatusCode != 202 {
		return fmt.Errorf("scheduler: invoke %s: status %d, want 202", function, out.StatusCode)
	}
	return nil
}

func (l *LambdaInvoker) invokeSync(ctx context.Context, function string, payload []byte) error {
	out, err := l.Client.Invoke(ctx, &lambda.InvokeInput{
		FunctionName:   aws.String(function),
		InvocationType: types.InvocationTypeRequestResponse,
		Payload:        payload,
	})
	if err != nil {
		return fmt.Errorf("scheduler: invoke %s: %w", function, err)
	}
	if out.FunctionError != nil {
		return fmt.Errorf("scheduler: invoke %s: function error %s: %s", function, aws.ToString(out.FunctionError), out.Payload)
	}
	return nil
}

// Rule is one schedule: invoke Function every Interval.
type Rule struct {
	// Name is the rule name used in the event's resources ARN (default "slkc-<Function>").
	Name string
	// Function is the function name to invoke (required).
	Function string
	// Interval is the fixed rate (required, > 0); for a source connector it is poll.interval.ms.
	Interval time.Duration
	// Input, when set, is sent instead of the scheduled event, as an
	// EventBridge rule target's constant Input replaces the event (a source
	// task's {"task_id": N}, events.SourceTaskInput).
	Input json.RawMessage
}

// Scheduler fires rules. Set the exported fields before Run.
type Scheduler struct {
	Invoker Invoker
	Rules   []Rule
	// Region and Account fill the event and the rule ARN (defaults us-east-1, 000000000000).
	Region, Account string
	// Logger defaults to slog.Default().
	Logger *slog.Logger

	fired, skipped, failed atomic.Int64
}

// New returns a Scheduler for the rules.
func New(inv Invoker, rules ...Rule) *Scheduler {
	return &Scheduler{Invoker: inv, Rules: rules}
}

// Counts reports fires sent, ticks skipped because the previous fire of the
// same rule was still in flight, and fires that failed.
func (s *Scheduler) Counts() (fired, skipped, failed int64) {
	return s.fired.Load(), s.skipped.Load(), s.failed.Load()
}

// RuleARN returns arn:aws:events:<region>:<account>:rule/<name>.
func RuleARN(region, account, rule string) string {
	return fmt.Sprintf("arn:aws:events:%s:%s:rule/%s", region, account, rule)
}

// NewEvent builds the scheduled event EventBridge sends for a rule at t
// (truncated to the second, as EventBridge's time field is).
func NewEvent(region, account, rule string, t time.Time) events.ScheduledEvent {
	return events.ScheduledEvent{
		Version:    "0",
		ID:         newUUID(),
		DetailType: "Scheduled Event",
		Source:     "aws.events",
		Account:    account,
		Time:       t.UTC().Truncate(time.Second),
		Region:     region,
		Resources:  []string{RuleARN(region, account, rule)},
		Detail:     json.RawMessage(`{}`),
	}
}

// Run fires every rule at once and then at its fixed rate until ctx is done.
// A tick that comes while the previous fire of the same rule is still in
// flight is skipped and logged, so a slow endpoint never causes a burst of
// catch-up fires. Run returns nil when ctx is done, or an error for invalid rules.
func (s *Scheduler) Run(ctx context.Context) error {
	if s.Invoker == nil {
		return errors.New("scheduler: no invoker")
	}
	if s.Region == "" {
		s.Region = "us-east-1"
	}
	if s.Account == "" {
		s.Account = "000000000000"
	}
	if s.Logger == nil {
		s.Logger = slog.Default()
	}
	var errs []error
	for i, r := range s.Rules {
		if r.Function == "" {
			errs = append(errs, fmt.Errorf("scheduler: rule %d: function is empty", i))
		}
		if r.Interval <= 0 {
			errs = append(errs, fmt.Errorf("scheduler: rule %d (%s): interval %v must be > 0", i, r.Function, r.Interval))
		}
		if r.Name == "" {
			s.Rules[i].Name = "slkc-" + r.Function
		}
		if r.Input != nil && !json.Valid(r.Input) {
			errs = append(errs, fmt.Errorf("scheduler: rule %d (%s): input is not JSON: %q", i, r.Function, r.Input))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	var wg sync.WaitGroup
	for _, r := range s.Rules {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.runRule(ctx, r)
		}()
	}
	wg.Wait()
	return nil
}

func (s *Scheduler) runRule(ctx context.Context, r Rule) {
	var inFlight atomic.Bool
	var wg sync.WaitGroup
	defer wg.Wait()
	fire := func(t time.Time) {
		if !inFlight.CompareAndSwap(false, true) {
			s.skipped.Add(1)
			s.Logger.Warn("schedule tick skipped: previous invoke still in flight", "rule", r.Name, "function", r.Function, "tick", t)
			return
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer inFlight.Store(false)
			ev := NewEvent(s.Region, s.Account, r.Name, t)
			payload, err := json.Marshal(ev)
			if r.Input != nil {
				payload = r.Input
			}
			if err != nil {
				s.failed.Add(1)
				s.Logger.Error("scheduled event encoding failed", "rule", r.Name, "err", err)
				return
			}
			if err := s.Invoker.InvokeEvent(ctx, r.Function, payload); err != nil {
				s.failed.Add(1)
				s.Logger.Error("scheduled invoke failed", "rule", r.Name, "function", r.Function, "event_id", ev.ID, "err", err)
				return
			}
			s.fired.Add(1)
			s.Logger.Debug("scheduled invoke sent", "rule", r.Name, "function", r.Function, "event_id", ev.ID)
		}()
	}
	fire(time.Now())
	tick := time.NewTicker(r.Interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case t := <-tick.C:
			fire(t)
		}
	}
}

func newUUID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}
