// Package backoff holds the one context-aware wait that every retry loop in
// the project uses (MySQL connection retries, sink write retries, DynamoDB
// unprocessed items, Kafka admin retries).
package backoff

import (
	"context"
	"time"
)

// Sleep waits d, or until ctx is done, in which case it returns ctx.Err().
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
