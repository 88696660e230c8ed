package bridge

import (
	"context"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/serverless-kafka-connect/slkc/shared/testenv"
)

// TestGateDisablesAndResumes: while the flag is off no record is invoked and
// the consumer group is empty; switched on, a fresh bridge continues from the
// committed offset; an unreadable flag keeps the current state.
func TestGateDisablesAndResumes(t *testing.T) {
	env := testenv.New(t)
	topic := env.Topic(t, 1)
	cl, adm := env.Kafka(t), env.KafkaAdmin(t)
	m := baseMapping(env, t, topic)
	fn := &fakeFunction{}
	var on atomic.Bool
	var broken atomic.Bool
	on.Store(true)
	g, err := NewGate(m, fn, slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn})),
		func(ctx context.Context) (bool, error) {
			if broken.Load() {
				return false, context.DeadlineExceeded
			}
			return on.Load(), nil
		})
	if err != nil {
		t.Fatal(err)
	}
	g.Every = 50 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- g.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run = %v", err)
		}
	}()
	delivered := func() int {
		n := 0
		for _, c := range fn.snapshot() {
			n += c.count()
		}
		return n
	}
	produce(t, cl, topic, 5, small)
	waitFor(t, "5 committed", func() bool { return committed(t, adm, m.ConsumerGroup, topic) == 5 })

	// An unreadable flag does not stop a running mapping.
	broken.Store(true)
	produce(t, cl, topic, 2, small)
	waitFor(t, "7 committed with the flag unreadable", func() bool { return committed(t, adm, m.ConsumerGroup, topic) == 7 })
	broken.Store(false)

	on.Store(false)
	waitFor(t, "the group to empty", func() bool {
		gs, err := adm.DescribeGroups(context.Background(), m.ConsumerGroup)
		return err == nil && len(gs[m.ConsumerGroup].Members) == 0 && g.Current() == nil
	})
	produce(t, cl, topic, 5, small)
	time.Sleep(500 * time.Millisecond)
	if n := delivered(); n != 7 {
		t.Fatalf("delivered %d while disabled, want 7", n)
	}
	on.Store(true)
	waitFor(t, "12 committed after enabling", func() bool { return committed(t, adm, m.ConsumerGroup, topic) == 12 })
	if n := delivered(); n != 12 {
		t.Errorf("delivered %d in all, want 12 (no redelivery of committed records)", n)
	}
}
