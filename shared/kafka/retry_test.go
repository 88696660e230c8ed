package kafka

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"
)

func TestRetry(t *testing.T) {
	perm := errors.New("permanent")
	tests := []struct {
		name      string
		attempts  int
		errs      []error // returned by successive calls; nil after the list
		wantCalls int
		wantErr   error
	}{
		{name: "success at once", attempts: 5, wantCalls: 1},
		{name: "retriable then success", attempts: 5, errs: []error{kerr.CoordinatorNotAvailable, fmt.Errorf("wrapped: %w", kerr.NotCoordinator)}, wantCalls: 3},
		{name: "not retriable stops at once", attempts: 5, errs: []error{perm}, wantCalls: 1, wantErr: perm},
		{name: "non-retriable Kafka code stops at once", attempts: 5, errs: []error{kerr.GroupAuthorizationFailed}, wantCalls: 1, wantErr: kerr.GroupAuthorizationFailed},
		{name: "bounded", attempts: 2, errs: []error{kerr.CoordinatorNotAvailable, kerr.CoordinatorNotAvailable, kerr.CoordinatorNotAvailable}, wantCalls: 2, wantErr: kerr.CoordinatorNotAvailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls := 0
			err := Retry(context.Background(), tt.attempts, func(context.Context) error {
				calls++
				if calls <= len(tt.errs) {
					return tt.errs[calls-1]
				}
				return nil
			})
			if calls != tt.wantCalls {
				t.Errorf("calls = %d, want %d", calls, tt.wantCalls)
			}
			if tt.wantErr == nil && err != nil || tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("err = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

func TestRetryStopsWithContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	calls := 0
	err := Retry(ctx, 100, func(context.Context) error {
		calls++
		cancel()
		return kerr.CoordinatorNotAvailable
	})
	if calls != 1 || !errors.Is(err, kerr.CoordinatorNotAvailable) {
		t.Fatalf("calls = %d, err = %v; want 1 call and the Kafka error", calls, err)
	}
}
