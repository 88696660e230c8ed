package sinktask

import (
	"context"
	"time"

	"github.com/serverless-kafka-connect/slkc/shared/backoff"
)

// RetryDelayMin is the first delay of errors.retry.timeout's exponential
// backoff, as Kafka Connect's RetryWithToleranceOperator (RETRIES_DELAY_MIN_MS,
// 300 ms), doubling per attempt up to Retry.DelayMax.
const RetryDelayMin = 300 * time.Millisecond

// Retry is how often a write that failed retriably (errclass: a deadlock, a
// lost connection, throttling) is tried again inside one invocation before
// its partition is handed back to Lambda for redelivery. The zero value
// never retries.
//
// Two policies add up, as they do for a JDBC sink in Kafka Connect:
//
//   - MaxRetries and Backoff are the connector's own (the JDBC sink's
//     max.retries and retry.backoff.ms): the first MaxRetries retries wait
//     Backoff each.
//   - Timeout and DelayMax are the framework's errors.retry.timeout and
//     errors.retry.delay.max.ms: after the connector's retries, retries go on
//     while less than Timeout has passed since the first attempt (Timeout <
//     0: without a limit), waiting RetryDelayMin, then twice that, and so on,
//     each delay at most DelayMax and never past the Timeout.
//
// Every retry must also fit the invocation: it is not started when the
// delay plus the duration of the last attempt would reach ctx's deadline.
// Kafka Connect applies errors.retry.timeout to converters and transforms;
// here they are deterministic (they never fail retriably), so the write is
// the operation it governs.
type Retry struct {
	MaxRetries int
	Backoff    time.Duration
	Timeout    time.Duration
	DelayMax   time.Duration
	// Sleep waits d or until ctx ends (then it returns ctx's error); nil
	// means a timer. Tests replace it.
	Sleep func(ctx context.Context, d time.Duration) error
}

// delay returns how long to wait before retry number attempt (1 for the
// first retry), given when the first attempt started, the time now and how
// long the last attempt took; ok is false when the policy or ctx's
// deadline allows no more retries.
func (p Retry) delay(ctx context.Context, attempt int, first, now time.Time, last time.Duration) (time.Duration, bool) {
	var d time.Duration
	switch {
	case attempt <= p.MaxRetries:
		d = p.Backoff
	case p.Timeout != 0:
		d = RetryDelayMin
		for n := attempt - p.MaxRetries; n > 1 && d < p.DelayMax; n-- {
			d *= 2
		}
		if p.DelayMax > 0 && d > p.DelayMax {
			d = p.DelayMax
		}
		if p.Timeout > 0 {
			left := first.Add(p.Timeout).Sub(now)
			if left <= 0 {
				return 0, false
			}
			d = min(d, left)
		}
	default:
		return 0, false
	}
	if dl, ok := ctx.Deadline(); ok && !now.Add(d+last).Before(dl) {
		return 0, false
	}
	return d, true
}

func (p Retry) sleep(ctx context.Context, d time.Duration) error {
	if p.Sleep != nil {
		return p.Sleep(ctx, d)
	}
	return backoff.Sleep(ctx, d)
}
