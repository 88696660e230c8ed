package main

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"

	"github.com/serverless-kafka-connect/slkc/shared/testenv"
)

// TestDropTopic runs on the real stack: a topic the bench no longer needs
// is deleted at once and leaves the list close deletes; under -keep it
// stays; names made after a drop never repeat one made before.
func TestDropTopic(t *testing.T) {
	testenv.New(t) // the stack must be up (a failure under CI=true)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	e, err := newEnv(ctx, fmt.Sprintf("droptest-%d", time.Now().UnixNano()%1_000_000))
	if err != nil {
		t.Fatal(err)
	}
	defer e.close(context.Background(), false)
	name := func() string { return fmt.Sprintf("slkc-bench-%s-drop-%d", e.runID, e.topicSeq()) }
	dropped, err := e.newTopic(ctx, name(), 1)
	if err != nil {
		t.Fatal(err)
	}
	kept, err := e.newTopic(ctx, name(), 1)
	if err != nil {
		t.Fatal(err)
	}
	if kept == dropped {
		t.Fatalf("two topics named %s", kept)
	}
	e.dropTopic(ctx, dropped)
	if slices.Contains(e.topics, dropped) || !slices.Contains(e.topics, kept) {
		t.Errorf("topics to delete at the end %v; want %s only", e.topics, kept)
	}
	if again := name(); again == dropped || again == kept {
		t.Errorf("the next name %s repeats one made before", again)
	}
	if ts := waitTopicGone(ctx, t, e, dropped); !ts.Has(kept) {
		t.Errorf("%s was deleted too", kept)
	}
	e.keep = true
	e.dropTopic(ctx, kept)
	if ts, err := e.admin.ListTopics(ctx); err != nil || !ts.Has(kept) || !slices.Contains(e.topics, kept) {
		t.Errorf("under -keep %s was deleted (%v)", kept, err)
	}
	e.keep = false
}

// TestRunSourceDropsItsTopic runs the in-process source loop on the real
// stack over a small table: it reads every row, and its topic is deleted
// when it returns, so that no later step writes the run's log out.
func TestRunSourceDropsItsTopic(t *testing.T) {
	testenv.New(t) // the stack must be up (a failure under CI=true)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	e, err := newEnv(ctx, fmt.Sprintf("srcdrop-%d", time.Now().UnixNano()%1_000_000))
	if err != nil {
		t.Fatal(err)
	}
	defer e.close(context.Background(), false)
	d := &dataset{Label: "200B", Table: "r_drop", Rows: 500, RowBytes: 200}
	if _, err := seed(ctx, e.db, d); err != nil {
		t.Fatal(err)
	}
	sr, err := e.runSource(ctx, d, 100, 2, "droptest")
	if err != nil {
		t.Fatal(err)
	}
	if sr.Records != d.Rows {
		t.Fatalf("the run read %d rows; want %d", sr.Records, d.Rows)
	}
	topic := "slkc-bench-" + e.runID + "-droptest-" + d.Table
	if slices.Contains(e.topics, topic) {
		t.Errorf("%s is still listed for the end of the run", topic)
	}
	waitTopicGone(ctx, t, e, topic)
}

// waitTopicGone waits up to 30 s until the broker no longer lists topic
// and returns the topics it lists then; it fails the test after that.
func waitTopicGone(ctx context.Context, t *testing.T, e *env, topic string) kadm.TopicDetails {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		ts, err := e.admin.ListTopics(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !ts.Has(topic) {
			return ts
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s still listed by the broker after 30 s", topic)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
