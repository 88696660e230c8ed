// Package connectapi serves Kafka Connect's REST API (the paths, JSON bodies
// and {"error_code":N,"message":"..."} errors of a Connect worker) over the
// serverless connectors: status and offsets from the DynamoDB state tables,
// sink offsets from the sinks' consumer groups, pause/resume/stop as a
// target state the functions honour, restart as clearing FAILED and invoking
// a source now.
//
// The Server holds narrow interfaces (state stores, a consumer-group admin,
// an event source mapping switch, an invoker), so the same handlers run in
// `slkc-local run` (127.0.0.1:8083) and in the control-api Lambda function
// behind a function URL with AWS_IAM auth. Connector configs are read-only
// here: they live in the pipeline folder and are deployed by `cdk deploy`.
package connectapi

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/serverless-kafka-connect/slkc/connectors"
	"github.com/serverless-kafka-connect/slkc/shared/config"
)

// Connector is one deployed connector as the API shows it.
type Connector struct {
	Name string
	// Kind is config.Source or config.Sink.
	Kind config.Kind
	// Class is the canonical connector.class.
	Class string
	// Config is the connector's config as written in its file: ${env:...}
	// and ${secretsmanager:...} references are shown, never their values.
	Config map[string]string
	// Topics are a sink's topics, or the topics a source writes to as its
	// plugin tells them from the config (Plugin.Topics; none otherwise).
	Topics []string
	// ConsumerGroup is a sink's consumer group (its event source mapping's).
	ConsumerGroup string
	// TopicGroups, when set, gives each topic its own consumer group: on
	// AWS a Kafka event source mapping reads one topic, so a sink of several
	// topics has one mapping, and one group, per topic.
	TopicGroups map[string]string
	// Function is the Lambda function that runs the connector.
	Function string
}

// Type returns "source" or "sink", as Connect's JSON names it.
func (c Connector) Type() string { return c.Kind.String() }

// TaskCount is the number of tasks the connector is deployed with: its
// tasks.max (one schedule per task for a source), 1 when unset or not a
// number (the functions refuse such a config at init). A source with fewer
// tables runs fewer; its status lists only those.
func (c Connector) TaskCount() int {
	n, err := strconv.Atoi(strings.TrimSpace(c.Config[config.KeyTasksMax]))
	if err != nil || n < 1 {
		return 1
	}
	return n
}

// FromFile builds a Connector from a parsed connector file. function is the
// connector's function name; the consumer group is aws.lambda.consumer.group.id
// or "connect-<name>", as the CDK app and slkc-local set it up.
func FromFile(f *config.File, function string) (Connector, error) {
	kind, class, err := config.ConnectorKind(f.Config[config.KeyConnectorClass])
	if err != nil {
		return Connector{}, fmt.Errorf("connector %q: %w", f.Name, err)
	}
	c := Connector{Name: f.Name, Kind: kind, Class: class, Config: maps.Clone(f.Config), Function: function}
	switch kind {
	case config.Sink:
		c.Topics = config.SplitList(f.Config[config.KeyTopics])
		c.ConsumerGroup = "connect-" + f.Name
		if g := strings.TrimSpace(f.Config[config.KeyLambdaConsumerGroupID]); g != "" {
			c.ConsumerGroup = g
		}
	case config.Source:
		if p, err := connectors.Lookup(class); err == nil && p.Topics != nil {
			c.Topics = p.Topics(f.Config)
		}
	}
	return c, nil
}

// checkSourceOffset checks one PATCH entry of a source connector with its
// plugin: the partition must be one the connector writes
// (Plugin.CheckPartition) and the offset a position the connector can read
// (Plugin.ParsePosition). It returns the position in the connector's own
// encoding (nil for a null offset); the error names the field.
func checkSourceOffset(c Connector, p connectors.Partition, offset []byte) (connectors.Position, error) {
	plugin, err := connectors.Lookup(c.Class)
	if err != nil || plugin.ParsePosition == nil || plugin.CheckPartition == nil {
		return nil, fmt.Errorf("offset: connector class %s has no offset format known to the control plane", c.Class)
	}
	if err := plugin.CheckPartition(p); err != nil {
		return nil, err
	}
	if offset == nil {
		return nil, nil
	}
	pos, err := plugin.ParsePosition(offset)
	if err != nil {
		return nil, fmt.Errorf("offset: %w", err)
	}
	return pos, nil
}

// groupOf returns the consumer group that reads topic.
func (c Connector) groupOf(topic string) string {
	if g := c.TopicGroups[topic]; g != "" {
		return g
	}
	return c.ConsumerGroup
}

// groups returns each consumer group of a sink with its topics.
func (c Connector) groups() map[string][]string {
	out := map[string][]string{}
	for _, t := range c.Topics {
		g := c.groupOf(t)
		out[g] = append(out[g], t)
	}
	return out
}

// names returns the connectors' names, sorted.
func names(cs map[string]Connector) []string { return slices.Sorted(maps.Keys(cs)) }
