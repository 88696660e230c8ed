package sourcetask

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/serverless-kafka-connect/slkc/shared/convert"
	"github.com/serverless-kafka-connect/slkc/shared/state"
	"github.com/serverless-kafka-connect/slkc/shared/testenv"
)

// TestPauseResumeOnRealStack pauses a source through its target state in
// DynamoDB Local: runs while paused produce nothing to the real broker and
// keep the offset; after resume the next run continues from that offset.
func TestPauseResumeOnRealStack(t *testing.T) {
	env := testenv.New(t)
	topic := env.Topic(t, 1)
	offsets, leases, status, _ := dynamoStores(t, env)
	statusTable := env.DynamoTable(t, state.StatusTableInput(""))
	targets := state.NewTargetStore(env.Dynamo(t), statusTable)
	conv, err := convert.New(convert.StringConverterClass, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	src := &fakeSource{tables: []string{"shop.orders"}, rows: 10, pageSize: 4, topic: topic, badRow: -1}
	logger, _ := logBuffer()
	task := &Task{Name: "paused-source", Source: src, Producer: env.Kafka(t), KeyConv: conv, ValueConv: conv,
		Offsets: offsets, Leases: leases, Status: status, Target: targets, WorkerID: "w", Logger: logger}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	run := func(wantSkipped bool, wantRecords int) {
		t.Helper()
		res, err := task.Run(ctx, fmt.Sprintf("req-%d", time.Now().UnixNano()))
		if err != nil || res.Skipped != wantSkipped || res.Records != wantRecords {
			t.Fatalf("Run = %+v, %v; want skipped=%v records=%d", res, err, wantSkipped, wantRecords)
		}
	}
	run(false, 10)
	if _, err := targets.Set(ctx, "paused-source", state.StatePaused, "pause", "test"); err != nil {
		t.Fatal(err)
	}
	src.mu.Lock()
	src.rows = 15
	src.mu.Unlock()
	run(true, 0)
	if _, err := targets.Set(ctx, "paused-source", state.StateStopped, "stop", "test"); err != nil {
		t.Fatal(err)
	}
	run(true, 0)
	if off, _ := offsets.Get(ctx, "paused-source", src.mustPartition(0)); string(off.Position) != `{"i":10}` {
		t.Errorf("offset while paused = %s, want {\"i\":10}", off.Position)
	}
	if _, err := targets.Set(ctx, "paused-source", state.StateRunning, "resume", "test"); err != nil {
		t.Fatal(err)
	}
	run(false, 5)
	recs := consumeAll(t, env.Seeds(), topic, 15)
	for i, r := range recs {
		if want := fmt.Sprintf("shop.orders-%d", i); string(r.Value) != want {
			t.Errorf("record %d = %s, want %s (no gap, no repeat)", i, r.Value, want)
		}
	}
}
