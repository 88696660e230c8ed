package demo

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// A freshly started broker answers group requests with
// COORDINATOR_NOT_AVAILABLE until __consumer_offsets is loaded; the demo's
// clean-up must ride that out (bounded), and still fail on other errors.
func TestDeleteGroupsRetriesCoordinatorNotAvailable(t *testing.T) {
	tests := []struct {
		name     string
		failures int32 // DeleteGroups requests answered with the error
		code     error
		wantErr  error
	}{
		{name: "no failure", failures: 0},
		{name: "coordinator loading for a while", failures: 2, code: kerr.CoordinatorNotAvailable},
		{name: "coordinator never comes", failures: 1000, code: kerr.CoordinatorNotAvailable, wantErr: kerr.CoordinatorNotAvailable},
		{name: "not retriable", failures: 1, code: kerr.GroupAuthorizationFailed, wantErr: kerr.GroupAuthorizationFailed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := kfake.NewCluster(kfake.NumBrokers(1))
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			defer func(n int) { kafkaAttempts = n }(kafkaAttempts)
			kafkaAttempts = 4
			var seen atomic.Int32
			c.ControlKey(kmsg.DeleteGroups.Int16(), func(req kmsg.Request) (kmsg.Response, error, bool) {
				c.KeepControl()
				if seen.Add(1) > tt.failures {
					return nil, nil, false
				}
				r := req.(*kmsg.DeleteGroupsRequest)
				resp := r.ResponseKind().(*kmsg.DeleteGroupsResponse)
				for _, g := range r.Groups {
					rg := kmsg.NewDeleteGroupsResponseGroup()
					rg.Group = g
					rg.ErrorCode = tt.code.(*kerr.Error).Code
					resp.Groups = append(resp.Groups, rg)
				}
				return resp, nil, true
			})
			// The client's own retries would hide the outer loop; keep them short.
			cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...), kgo.RetryTimeout(50*time.Millisecond), kgo.RequestRetries(0))
			if err != nil {
				t.Fatal(err)
			}
			defer cl.Close()
			err = deleteGroups(context.Background(), kadm.NewClient(cl), []string{"connect-a", "connect-b"})
			switch {
			case tt.wantErr == nil && err != nil:
				t.Fatalf("deleteGroups: %v", err)
			case tt.wantErr != nil && !errors.Is(err, tt.wantErr):
				t.Fatalf("deleteGroups err = %v, want %v", err, tt.wantErr)
			}
			if tt.wantErr == nil && seen.Load() != tt.failures+1 {
				t.Errorf("DeleteGroups requests = %d, want %d", seen.Load(), tt.failures+1)
			}
		})
	}
}
