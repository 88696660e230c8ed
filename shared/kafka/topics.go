package kafka

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"

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
