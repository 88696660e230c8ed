package config

import (
	"fmt"
	"strconv"
	"strings"
)

// Only accepts the values (any letter case) that match what the functions
// do, for Serverless keys; the error names them and says why (why is the
// key's Reason).
func Only(why string, values ...string) Validator {
	return func(v string) error {
		for _, a := range values {
			if strings.EqualFold(strings.TrimSpace(v), a) {
				return nil
			}
		}
		shown := make([]string, len(values))
		for i, a := range values {
			shown[i] = fmt.Sprintf("%q", a)
		}
		return fmt.Errorf("only %s is supported: %s", strings.Join(shown, " or "), why)
	}
}

// Kafka Connect framework keys that have a serverless meaning or are
// refused; Define them with Only so the Reason is also the error.
const (
	KeyExactlyOnceSupport  = "exactly.once.support"
	KeyTransactionBoundary = "transaction.boundary"
	KeyOffsetsStorageTopic = "offsets.storage.topic"
	KeyTopicCreationGroups = "topic.creation.groups"
	KeyTopicsRegex         = "topics.regex"

	reasonTasksMax = "a JDBC-style source splits its tables over the tasks, each task one concurrent poller invocation on its own schedule and lease; " +
		"a sink is one event source mapping that already processes partitions in parallel, and a binlog source one ordered stream, so they take only 1"
	reasonExactlyOnce = "delivery is at-least-once (a source produces a page, then commits its offset in DynamoDB), " +
		"so a record may be produced again after a failure; the sinks write idempotently (upsert on the key, DynamoDB put). " +
		"requested is accepted with that meaning, required is refused"
	reasonTransactionBoundary = "no Kafka transactions are used (see exactly.once.support); each poll's records are produced, then its offset is committed"
	reasonOffsetsTopic        = "source offsets are kept in the DynamoDB offsets table (SLKC_OFFSETS_TABLE), not in a Kafka topic; remove the key"
	reasonTopicCreationGroups = "only the default group (topic.creation.default.*) is supported; leave topic.creation.groups empty and put the settings under topic.creation.default."
	reasonTopicsRegex         = "a Lambda event source mapping subscribes to a fixed list of topics; list them in topics"
)

func sourceCompatKeys() []Key {
	return []Key{
		{Name: KeyExactlyOnceSupport, Type: String, Default: Default("requested"), Group: GroupCommon, Status: Serverless,
			Reason: reasonExactlyOnce, Validator: Only(reasonExactlyOnce, "requested"),
			Doc: "Kafka Connect's source exactly-once support; only requested (at-least-once here)."},
		{Name: KeyTransactionBoundary, Type: String, Default: Default("poll"), Group: GroupCommon, Status: Serverless,
			Reason: reasonTransactionBoundary, Validator: Only(reasonTransactionBoundary, "poll"),
			Doc: "Kafka Connect's transaction boundary; only poll."},
		{Name: KeyOffsetsStorageTopic, Type: String, Group: GroupCommon, Status: Refused, Reason: reasonOffsetsTopic,
			Doc: "Kafka Connect's per-connector offsets topic."},
		{Name: KeyTopicCreationGroups, Type: List, Default: Default(""), Group: GroupTopicCreate, Status: Serverless,
			Reason: reasonTopicCreationGroups, Validator: Only(reasonTopicCreationGroups, ""),
			Doc: "Kafka Connect's extra topic creation groups; only the default group."},
	}
}

// MaxTasks is the highest tasks.max: one EventBridge rule per task, and a
// rule quota of 300 per event bus shared with other stacks.
const MaxTasks = 100

// CheckSinkTasks refuses tasks.max above 1 for sinks (the sink definition
// checks it; the CDK app applies it at synth).
func CheckSinkTasks(v Values) []error {
	if n := v.Int(KeyTasksMax); n != 1 {
		return []error{Errorf(KeyTasksMax, strconv.Itoa(n), "sinks take only 1: a sink is one event source mapping that already "+
			"processes partitions in parallel (set the concurrency with %s)", KeyLambdaReservedConcurrency)}
	}
	return nil
}

// CheckSourceConcurrency (the source definition and the CDK app) refuses a source's reserved concurrency below
// tasks.max: the tasks' invocations would be throttled behind each other.
func CheckSourceConcurrency(v Values) []error {
	if !v.Has(KeyLambdaReservedConcurrency) {
		return nil
	}
	n, tasks := v.Int(KeyLambdaReservedConcurrency), v.Int(KeyTasksMax)
	if n >= 0 && n < tasks {
		return []error{Errorf(KeyLambdaReservedConcurrency, strconv.Itoa(n), "is below %s=%d: every task is its own concurrent invocation; "+
			"set at least %d, -1 for none, or leave it unset (default %s)", KeyTasksMax, tasks, tasks, KeyTasksMax)}
	}
	return nil
}

func sinkCompatKeys() []Key {
	return []Key{
		{Name: KeyTopicsRegex, Type: String, Group: GroupCommon, Status: Refused, Reason: reasonTopicsRegex,
			Doc: "Kafka Connect's topic pattern for sinks."},
	}
}

// Client override families that no connector supports, and why.
const (
	prefixConsumerOverride = workerConsumer + overrideInfix
	prefixAdminOverride    = workerAdmin + overrideInfix

	reasonConsumerOverride = "a sink's records are consumed by its Lambda event source mapping, not by a Kafka consumer " +
		"the function configures, so consumer settings have no effect; set the mapping with the aws.lambda.* keys (" +
		KeyLambdaBatchSize + ", " + KeyLambdaBatchingWindow + ", " + KeyLambdaStartingPosition + ", " +
		KeyLambdaConsumerGroupID + ", " + KeyLambdaMaxRetryAttempts + ", " + KeyLambdaMaxRecordAge + ")"
	reasonAdminOverride = "the admin client (topic.creation.* topics, the dead letter queue topic) connects with " +
		"bootstrap.servers and the security keys, and its requests are bounded by the invocation's deadline; " +
		"per-client admin settings are not applied, remove the key"
)

// consumerOverrideMapping names the aws.lambda.* key that does the job of
// a common consumer property for a sink.
var consumerOverrideMapping = map[string]string{
	"max.poll.records":     KeyLambdaBatchSize,
	"fetch.max.wait.ms":    KeyLambdaBatchingWindow,
	"fetch.min.bytes":      KeyLambdaBatchingWindow,
	"auto.offset.reset":    KeyLambdaStartingPosition,
	"group.id":             KeyLambdaConsumerGroupID,
	"group.instance.id":    KeyLambdaConsumerGroupID,
	"max.poll.interval.ms": KeyLambdaTimeoutSeconds,
}

// overrideRefusal returns why name, a consumer.override.* or
// admin.override.* key, is refused ("" for any other key).
func overrideRefusal(name string) string {
	switch {
	case strings.HasPrefix(name, prefixConsumerOverride):
		if k, ok := consumerOverrideMapping[strings.TrimPrefix(name, prefixConsumerOverride)]; ok {
			return fmt.Sprintf("use %s instead: %s", k, reasonConsumerOverride)
		}
		return reasonConsumerOverride
	case strings.HasPrefix(name, prefixAdminOverride):
		return reasonAdminOverride
	}
	return ""
}
