package kafka

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/serverless-kafka-connect/slkc/shared/config"
)

// EnsureTopics creates those of topics that do not exist yet, each with the
// given partitions, replication factor and topic configs (e.g.
// "cleanup.policy": "compact"); -1 for partitions or replication means the
// broker's default. Existing topics are left exactly as they are, even when
// their settings differ. A topic created concurrently by someone else
// (TOPIC_ALREADY_EXISTS) counts as success. Errors name the topic.
func EnsureTopics(ctx context.Context, adm *kadm.Client, topics []string, partitions int32, replication int16, configs map[string]string) error {
	if len(topics) == 0 {
		return nil
	}
	var errs []error
	for _, t := range topics {
		if err := ValidateTopicName(t); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	details, err := adm.ListTopics(ctx, topics...)
	if err != nil {
		return fmt.Errorf("kafka: listing topics %v: %w", topics, err)
	}
	var missing []string
	seen := map[string]bool{}
	for _, t := range topics {
		if seen[t] {
			continue
		}
		seen[t] = true
		d, ok := details[t]
		switch {
		case !ok || errors.Is(d.Err, kerr.UnknownTopicOrPartition):
			missing = append(missing, t)
		case d.Err != nil:
			errs = append(errs, fmt.Errorf("kafka: describing topic %q: %w", t, d.Err))
		}
	}
	if len(errs) > 0 || len(missing) == 0 {
		return errors.Join(errs...)
	}
	var cfgs map[string]*string
	if len(configs) > 0 {
		cfgs = make(map[string]*string, len(configs))
		for k, v := range configs {
			cfgs[k] = kadm.StringPtr(v)
		}
	}
	resps, err := adm.CreateTopics(ctx, partitions, replication, cfgs, missing...)
	if err != nil {
		return fmt.Errorf("kafka: creating topics %v: %w", missing, err)
	}
	sort.Strings(missing)
	for _, t := range missing {
		r, ok := resps[t]
		switch {
		case !ok:
			errs = append(errs, fmt.Errorf("kafka: creating topic %q: no response from the broker", t))
		case r.Err == nil, errors.Is(r.Err, kerr.TopicAlreadyExists):
		default:
			msg := ""
			if r.ErrMessage != "" {
				msg = " (" + r.ErrMessage + ")"
			}
			errs = append(errs, fmt.Errorf("kafka: creating topic %q with %d partitions, replication %d%s: %w", t, partitions, replication, msg, r.Err))
		}
	}
	return errors.Join(errs...)
}

// WaitTopicsReady waits until every topic is in the cluster's metadata
// with a leader for each partition, asking a broker every 50 ms (directly:
// kadm's metadata cache could answer from before the topic existed) until
// ctx is done. A topic just created is not there at once (its metadata
// reaches the brokers asynchronously), and a produce in that window can run
// out of its client's retries with UNKNOWN_TOPIC_OR_PARTITION. The error
// names the topics that are not ready and why.
func WaitTopicsReady(ctx context.Context, cl *kgo.Client, topics ...string) error {
	for {
		notReady := topicsNotReady(ctx, cl, topics)
		if len(notReady) == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("kafka: topics not ready: %s: %w", strings.Join(notReady, "; "), ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// topicsNotReady lists the topics without every partition led, each with
// the reason.
func topicsNotReady(ctx context.Context, cl *kgo.Client, topics []string) []string {
	req := kmsg.NewPtrMetadataRequest()
	for _, t := range topics {
		rt := kmsg.NewMetadataRequestTopic()
		rt.Topic = kmsg.StringPtr(t)
		req.Topics = append(req.Topics, rt)
	}
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		return []string{fmt.Sprintf("metadata of %v: %v", topics, err)}
	}
	byName := make(map[string]kmsg.MetadataResponseTopic, len(resp.Topics))
	for _, t := range resp.Topics {
		if t.Topic != nil {
			byName[*t.Topic] = t
		}
	}
	var out []string
	for _, name := range topics {
		t, ok := byName[name]
		switch {
		case !ok:
			out = append(out, name+" is not in the metadata")
		case t.ErrorCode != 0:
			out = append(out, fmt.Sprintf("%s: %v", name, kerr.ErrorForCode(t.ErrorCode)))
		case len(t.Partitions) == 0:
			out = append(out, name+" has no partitions yet")
		default:
			for _, p := range t.Partitions {
				if p.Leader < 0 || p.ErrorCode != 0 {
					out = append(out, fmt.Sprintf("%s partition %d has no leader", name, p.Partition))
					break
				}
			}
		}
	}
	return out
}

// ValidateTopicName applies Kafka's topic name rules: 1 to 249 characters
// of ASCII letters, digits, '.', '_' and '-', and neither "." nor "..".
func ValidateTopicName(t string) error {
	switch {
	case t == "":
		return errors.New("kafka: topic name is empty")
	case t == "." || t == "..":
		return fmt.Errorf("kafka: topic name %q is not allowed", t)
	case len(t) > 249:
		return fmt.Errorf("kafka: topic name %q is longer than 249 characters", t)
	}
	for _, r := range t {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-'
		if !ok {
			return fmt.Errorf("kafka: topic name %q has %q; allowed are ASCII letters, digits, '.', '_' and '-'", t, r)
		}
	}
	return nil
}

// ExplainMissingTopic adds the fix to a produce error caused by a topic
// that does not exist (UNKNOWN_TOPIC_OR_PARTITION once the client gave up
// waiting for it): the broker does not create topics on produce
// (auto.create.topics.enable=false, the usual production setting) and the
// connector's topic creation is off. Other errors are returned unchanged.
func ExplainMissingTopic(topic string, err error) error {
	if !errors.Is(err, kerr.UnknownTopicOrPartition) {
		return err
	}
	return fmt.Errorf("kafka: topic %q does not exist and the broker does not create it on produce; create it, or set %s and %s (and optionally other %s* topic configs) so the connector creates it: %w",
		topic, config.KeyTopicCreationPartitions, config.KeyTopicCreationReplication, config.PrefixTopicCreationDefault, err)
}
