package connectapi

import (
	"context"
	"errors"
	"fmt"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
)

// KafkaGroups implements Groups with franz-go's admin client.
type KafkaGroups struct {
	Admin *kadm.Client
}

var _ Groups = KafkaGroups{}

// ClusterID returns the cluster id from a metadata request.
func (k KafkaGroups) ClusterID(ctx context.Context) (string, error) {
	m, err := k.Admin.Metadata(ctx)
	if err != nil {
		return "", fmt.Errorf("connectapi: kafka metadata: %w", err)
	}
	return m.Cluster, nil
}

// Committed returns the group's committed offsets on topics (none for a
// group that never committed).
func (k KafkaGroups) Committed(ctx context.Context, group string, topics []string) (map[TopicPartition]int64, error) {
	res, err := k.Admin.FetchOffsetsForTopics(ctx, group, topics...)
	if err != nil {
		return nil, fmt.Errorf("connectapi: fetch offsets of group %s: %w", group, err)
	}
	if err := res.Error(); err != nil {
		return nil, fmt.Errorf("connectapi: fetch offsets of group %s: %w", group, err)
	}
	out := map[TopicPartition]int64{}
	res.Each(func(o kadm.OffsetResponse) {
		if o.At >= 0 {
			out[TopicPartition{Topic: o.Topic, Partition: o.Partition}] = o.At
		}
	})
	return out, nil
}

// State describes the group.
func (k KafkaGroups) State(ctx context.Context, group string) (string, int, error) {
	gs, err := k.Admin.DescribeGroups(ctx, group)
	if err != nil {
		return "", 0, fmt.Errorf("connectapi: describe group %s: %w", group, err)
	}
	g, ok := gs[group]
	if !ok {
		return "Dead", 0, nil
	}
	if errors.Is(g.Err, kerr.GroupIDNotFound) {
		return "Dead", 0, nil // never created, or deleted: no members
	}
	if g.Err != nil {
		return "", 0, fmt.Errorf("connectapi: describe group %s: %w", group, g.Err)
	}
	return g.State, len(g.Members), nil
}

// Partitions returns each topic's partition count (0 when it does not exist).
func (k KafkaGroups) Partitions(ctx context.Context, topics []string) (map[string]int32, error) {
	td, err := k.Admin.ListTopics(ctx, topics...)
	if err != nil {
		return nil, fmt.Errorf("connectapi: list topics: %w", err)
	}
	out := make(map[string]int32, len(topics))
	for _, t := range topics {
		if d, ok := td[t]; ok && d.Err == nil {
			out[t] = int32(len(d.Partitions))
		}
	}
	return out, nil
}

// Commit commits offsets for the group (an admin commit, allowed while the
// group is empty).
func (k KafkaGroups) Commit(ctx context.Context, group string, offsets map[TopicPartition]int64) error {
	var os kadm.Offsets
	for tp, at := range offsets {
		os.Add(kadm.Offset{Topic: tp.Topic, Partition: tp.Partition, At: at, LeaderEpoch: -1})
	}
	res, err := k.Admin.CommitOffsets(ctx, group, os)
	if err == nil {
		err = res.Error()
	}
	if err != nil {
		return fmt.Errorf("connectapi: commit offsets of group %s: %w", group, err)
	}
	return nil
}

// DeleteOffsets removes the group's committed offsets of tps.
func (k KafkaGroups) DeleteOffsets(ctx context.Context, group string, tps []TopicPartition) error {
	set := kadm.TopicsSet{}
	for _, tp := range tps {
		set.Add(tp.Topic, tp.Partition)
	}
	res, err := k.Admin.DeleteOffsets(ctx, group, set)
	if err == nil {
		err = res.Error()
	}
	if errors.Is(err, kerr.GroupIDNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("connectapi: delete offsets of group %s: %w", group, err)
	}
	return nil
}

// Delete deletes the group; a group that does not exist is no error.
func (k KafkaGroups) Delete(ctx context.Context, group string) error {
	res, err := k.Admin.DeleteGroup(ctx, group)
	if err == nil {
		err = res.Err
	}
	if errors.Is(err, kerr.GroupIDNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("connectapi: delete group %s: %w", group, err)
	}
	return nil
}
