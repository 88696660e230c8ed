package kafka

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/serverless-kafka-connect/slkc/shared/backoff"
)

// Retriable reports whether err carries a Kafka error code that the Kafka
// protocol marks retriable (COORDINATOR_NOT_AVAILABLE, NOT_COORDINATOR,
// LEADER_NOT_AVAILABLE, …). It looks through wrapping and through kadm's
// ShardErrors, so a request-level failure of an admin call counts too.
func Retriable(err error) bool {
	var ke *kerr.Error
	return errors.As(err, &ke) && ke.Retriable
}

// RetryBackoff is the first wait between attempts of Retry; each further
// wait doubles, up to RetryMaxBackoff.
const (
	RetryBackoff    = 100 * time.Millisecond
	RetryMaxBackoff = 2 * time.Second
)

// Retry calls fn until it returns nil or an error that is not Retriable, at
// most attempts times (at least once), waiting RetryBackoff, doubling up to
// RetryMaxBackoff, between attempts. It stops early when ctx ends. The error
// after the last attempt says how many attempts were made, and wraps the
// last error, so callers can still match its Kafka error code.
//
// Use it for admin and coordinator requests that a freshly started or
// re-electing broker answers with a retriable code for a short while; the
// produce and fetch paths have franz-go's own retries.
func Retry(ctx context.Context, attempts int, fn func(context.Context) error) error {
	if attempts < 1 {
		attempts = 1
	}
	wait := RetryBackoff
	var err error
	for i := 1; ; i++ {
		if err = fn(ctx); err == nil || !Retriable(err) {
			return err
		}
		if i >= attempts {
			return fmt.Errorf("still failing after %d attempts: %w", i, err)
		}
		if backoff.Sleep(ctx, wait) != nil {
			return fmt.Errorf("gave up after %d attempts (%v): %w", i, context.Cause(ctx), err)
		}
		wait = min(2*wait, RetryMaxBackoff)
	}
}
