package kafka

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

func TestEnsureTopics(t *testing.T) {
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(5, "existing"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	tests := []struct {
		name      string
		topics    []string
		wantParts map[string]int // partitions each topic must have afterwards
		wantErr   string
	}{
		{name: "nothing to do", topics: nil},
		{name: "creates missing, keeps existing", topics: []string{"existing", "fresh", "fresh"}, wantParts: map[string]int{"existing": 5, "fresh": 2}},
		{name: "second call is a no-op", topics: []string{"fresh"}, wantParts: map[string]int{"fresh": 2}},
		{name: "empty name", topics: []string{""}, wantErr: "topic name is empty"},
		{name: "invalid name names the topic", topics: []string{"bad/name"}, wantErr: `"bad/name"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := EnsureTopics(ctx, adm, tt.topics, 2, 1, map[string]string{"cleanup.policy": "delete"})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("EnsureTopics() = %v, want error containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(tt.wantParts) == 0 {
				return
			}
			// A fresh client: kgo caches metadata, and the first client
			// saw the new topics as unknown moments ago.
			fresh, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...))
			if err != nil {
				t.Fatal(err)
			}
			defer fresh.Close()
			details, err := kadm.NewClient(fresh).ListTopics(ctx, tt.topics...)
			if err != nil {
				t.Fatal(err)
			}
			for topic, want := range tt.wantParts {
				if got := len(details[topic].Partitions); got != want {
					t.Errorf("topic %s has %d partitions, want %d", topic, got, want)
				}
			}
		})
	}
}

func TestValidateTopicName(t *testing.T) {
	tests := []struct {
		name, topic, want string
	}{
		{name: "plain", topic: "orders"},
		{name: "all allowed characters", topic: "A.b_c-9"},
		{name: "empty", topic: "", want: "empty"},
		{name: "dot", topic: ".", want: "not allowed"},
		{name: "dot dot", topic: "..", want: "not allowed"},
		{name: "too long", topic: strings.Repeat("a", 250), want: "longer than 249"},
		{name: "max length", topic: strings.Repeat("a", 249)},
		{name: "space", topic: "bad topic", want: `has ' '`},
		{name: "non-ascii", topic: "tópico", want: `has 'ó'`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateTopicName(tt.topic)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("ValidateTopicName(%q) = %v", tt.topic, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("ValidateTopicName(%q) = %v, want error containing %q", tt.topic, err, tt.want)
			}
		})
	}
}

func TestExplainMissingTopic(t *testing.T) {
	tests := []struct {
		name    string
		err     error
		explain bool
	}{
		{"unknown topic", fmt.Errorf("produce: %w", kerr.UnknownTopicOrPartition), true},
		{"other error", kerr.NotLeaderForPartition, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ExplainMissingTopic("orders", tt.err)
			if !errors.Is(got, tt.err) {
				t.Fatalf("cause lost: %v", got)
			}
			named := strings.Contains(got.Error(), `"orders"`) && strings.Contains(got.Error(), "topic.creation.default.partitions") &&
				strings.Contains(got.Error(), "topic.creation.default.replication.factor")
			if named != tt.explain {
				t.Errorf("ExplainMissingTopic = %q; want the fix named: %v", got, tt.explain)
			}
		})
	}
}
