package state

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/serverless-kafka-connect/slkc/shared/testenv"
)

func TestTargetStoreOnDynamoDB(t *testing.T) {
	env := testenv.New(t)
	ts := NewTargetStore(env.Dynamo(t), env.DynamoTable(t, StatusTableInput("")))
	ctx := context.Background()

	got, err := ts.Get(ctx, "c")
	if err != nil || got.State != StateRunning || !got.Runs() || got.Version != 0 {
		t.Fatalf("Get without item = %+v, %v; want RUNNING version 0", got, err)
	}
	if _, err := ts.Set(ctx, "c", "SLEEPING", "pause", "me"); err == nil {
		t.Error("Set accepted SLEEPING")
	}
	if _, err := ts.Set(ctx, "c", StatePaused, "pause", "arn:aws:iam::1:user/a"); err != nil {
		t.Fatal(err)
	}
	got, _ = ts.Get(ctx, "c")
	if got.State != StatePaused || got.Runs() || got.By != "arn:aws:iam::1:user/a" || got.At.IsZero() || got.Version != 1 {
		t.Errorf("after pause = %+v", got)
	}

	// Concurrent writers: none is lost (optimistic locking with retries).
	var wg sync.WaitGroup
	errs := make(chan error, 5)
	for i := range 5 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- ts.Record(ctx, "c", "restart", fmt.Sprintf("w%d", i), "")
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("concurrent Record: %v", err)
		}
	}
	got, _ = ts.Get(ctx, "c")
	if len(got.History) != 6 || got.State != StatePaused {
		t.Errorf("history after 1 pause and 5 concurrent restarts = %d entries, state %s", len(got.History), got.State)
	}

	// The history keeps the newest TargetHistoryMax actions.
	for i := range TargetHistoryMax {
		if err := ts.Record(ctx, "c", "alter-offsets", "me", fmt.Sprint(i)); err != nil {
			t.Fatal(err)
		}
	}
	got, _ = ts.Get(ctx, "c")
	if len(got.History) != TargetHistoryMax || got.History[TargetHistoryMax-1].Detail != fmt.Sprint(TargetHistoryMax-1) || got.History[0].Detail != "0" {
		t.Errorf("history = %d entries, first %+v, last %+v", len(got.History), got.History[0], got.History[len(got.History)-1])
	}
	// The target state item is never shown as a task.
	items, err := NewStatusStore(env.Dynamo(t), ts.table).Get(ctx, "c")
	if err != nil || len(items) != 1 {
		t.Fatalf("status items = %v, %v", items, err)
	}
	if body := RenderConnectStatus("c", items); len(body.Tasks) != 0 || body.Connector.State != StateUnassigned {
		t.Errorf("status with only a target state = %+v", body)
	}
}
