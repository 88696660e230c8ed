package stack

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/serverless-kafka-connect/slkc/infra/pipeline"
)

// SourceConnectorProps configures NewSourceConnector.
type SourceConnectorProps struct {
	// Connector is the parsed connector file (Kind must be pipeline.KindSource).
	Connector pipeline.Connector
	// AssetPath is the folder holding the built source-poller bootstrap
	// (build/source-poller). Required; it must contain "bootstrap".
	AssetPath string
	// Tables are the shared state tables; a source reads and writes all three
	// (offsets, its lease, its status).
	Tables *StateTables
	// Kafka, when in MSK mode, adds kafka-cluster grants for producing to the
	// connector's topics with IAM auth. Nil or self-managed: no Kafka IAM grants.
	Kafka *Kafka
	// Network places the function in a VPC. Nil: no VPC.
	Network *Network
	// SecretARNs the function may read (secretsmanager:GetSecretValue): the
	// resolved ${secretsmanager:...} references of the connector.
	SecretARNs []string
	// LogRetention defaults to DefaultLogRetention (one month).
	LogRetention awslogs.RetentionDays
	// AlarmAction is added to every alarm when set (e.g. an SNS topic action).
	AlarmAction awscloudwatch.IAlarmAction
	// FunctionEnv holds values for the config's ${env:NAME} references; the
	// function gets exactly the variables it references (pipeline.EnvResolver).
	// In self-managed Kafka mode a variable used in bootstrap.servers defaults
	// to Kafka.BootstrapServers. A missing value, or a reference in a password
	// or secret key, is an error.
	FunctionEnv map[string]string
}

// SourceConnector is a source connector's poller function run on a schedule.
//
// Schedule: an EventBridge rule with rate(N minutes), N = poll.interval.ms
// rounded up to whole minutes (minimum 1) because EventBridge's granularity is
// one minute. Each run drains every partition (bounded pages, offsets
// committed after each page) until the source has no more rows or the time
// budget (the timeout minus aws.lambda.deadline.margin.ms) is spent. When
// poll.interval.ms is shorter than the schedule period, the function gets
// SLKC_POLL_LOOP_MS = the period and polls again every poll.interval.ms
// inside the invocation until the period or its time budget ends, so new
// rows are seen at the configured interval; such a connector also gets a
// synth warning, since the function then runs for most of each period.
//
// Tasks (tasks.max, JDBC-style sources): one rule per task, each with the
// constant input {"task_id": N} (events.SourceTaskInput), so every task is
// its own asynchronous invocation with its own retries and dead-letter
// queue, and no function invokes another (see the README's "Source tasks").
// One rule with the plain scheduled event when tasks.max is 1.
//
// Reserved concurrency (aws.lambda.reserved.concurrency, default tasks.max)
// and the leases in the leases table keep one poller per task. Failed asynchronous
// invocations (after two retries) and undeliverable schedule events go to an
// encrypted SQS queue that an alarm watches.
type SourceConnector struct {
	constructs.Construct
	Function     awslambda.Function
	Role         awsiam.Role
	LogGroup     awslogs.LogGroup
	FailureQueue awssqs.Queue
	// Rule is the schedule of task 0; Rules holds every task's schedule.
	Rule   awsevents.Rule
	Rules  []awsevents.Rule
	Alarms []awscloudwatch.Alarm
	// Widgets are the connector's dashboard widgets (see NewDashboard).
	Widgets []awscloudwatch.IWidget
}

// pollLoopEnv is functions/source-poller's PollLoopEnv: the window in
// milliseconds during which one invocation keeps polling.
const pollLoopEnv = "SLKC_POLL_LOOP_MS"

// NewSourceConnector creates the function, its schedule, grants and alarms.
// Errors name the connector: wrong kind, missing bootstrap, bad Kafka settings.
func NewSourceConnector(scope constructs.Construct, id string, props *SourceConnectorProps) (*SourceConnector, error) {
	if props == nil {
		return nil, fmt.Errorf("source connector %s: props are required", id)
	}
	conn := props.Connector
	if conn.Kind != pipeline.KindSource {
		return nil, fmt.Errorf("source connector %s: connector %q is a %s connector", id, conn.Name, conn.Kind)
	}
	var msk *mskCluster
	if props.Kafka != nil {
		if err := props.Kafka.Validate(); err != nil {
			return nil, fmt.Errorf("source connector %s: %w", conn.Name, err)
		}
		if props.Kafka.Mode == KafkaModeMSK {
			cl, _ := parseMSKClusterARN(props.Kafka.MSKClusterARN)
			msk = &cl
		}
	}
	// EventBridge cannot fire more often than once a minute: a shorter
	// poll.interval.ms is served by the poller itself, which keeps polling
	// every poll.interval.ms for one schedule period (stopping before its
	// deadline; each poll takes and releases the lease).
	extraEnv := map[string]string{}
	if period := int64(conn.ScheduleMinutes()) * 60000; conn.PollInterval().Milliseconds() < period {
		extraEnv[pollLoopEnv] = fmt.Sprint(period)
	}
	c := constructs.NewConstruct(scope, jsii.String(id))
	parts, err := newFunctionParts(c, functionSpec{
		extraEnv:       extraEnv,
		connector:      conn,
		assetPath:      props.AssetPath,
		description:    "slkc source connector " + conn.Name + " (" + conn.Class + ")",
		tables:         props.Tables,
		stateTables:    tablesOrNil(props.Tables, func(t *StateTables) []awsdynamodb.Table { return []awsdynamodb.Table{t.Offsets, t.Leases, t.Status} }),
		fenceTables:    tablesOrNil(props.Tables, func(t *StateTables) []awsdynamodb.Table { return []awsdynamodb.Table{t.Leases} }),
		network:        props.Network,
		secretARNs:     props.SecretARNs,
		logRetention:   props.LogRetention,
		asyncOnFailure: true,
		functionEnv:    props.FunctionEnv,
		bootstrapServers: func() string {
			if props.Kafka != nil {
				return props.Kafka.selfManagedBootstrap()
			}
			return ""
		}(),
	})
	if err != nil {
		return nil, err
	}
	s := &SourceConnector{Construct: c, Function: parts.fn, Role: parts.role, LogGroup: parts.logGroup, FailureQueue: parts.queue}

	if msk != nil {
		// Trailing "*": a topic name prefix pattern. The topics start with the
		// plugin's topic prefix (Plugin.TopicPrefix); the rest is decided at run
		// time (the JDBC source's table names, from table.whitelist and the database).
		pattern := conn.TopicPrefix() + "*"
		grantMSKProducer(parts.role, *msk, "Source", pattern)
		suppressNag(parts.role.Node().FindChild(jsii.String("DefaultPolicy")).Node().DefaultChild(), nagRule{
			"AwsSolutions-IAM5[Resource::" + msk.topicARN(pattern) + "]",
			"A source names its topics at run time (topic.prefix + table name, from table.whitelist and the database), so it may describe, create and produce to the topics matching its topic.prefix on this one cluster (every topic of the cluster when topic.prefix is empty); it gets no consume, alter or delete actions.",
		})
	}

	minutes := conn.ScheduleMinutes()
	if ms := conn.PollInterval().Milliseconds(); ms < 60000 {
		awscdk.Annotations_Of(c).AddWarningV2(jsii.String("slkc:poll-interval-below-schedule"), jsii.String(fmt.Sprintf(
			"connector %s: poll.interval.ms=%d is below EventBridge's one-minute granularity; the schedule fires once a minute and the poller polls every poll.interval.ms inside each invocation (SLKC_POLL_LOOP_MS), running for most of the minute",
			conn.Name, ms)))
	}
	tasks := max(conn.Deploy.Tasks, 1)
	for id := range tasks {
		ruleID, desc := "Schedule", fmt.Sprintf("Polls connector %s; poll.interval.ms=%d, at least once a minute",
			conn.Name, conn.PollInterval().Milliseconds())
		target := &awseventstargets.LambdaFunctionProps{DeadLetterQueue: parts.queue, RetryAttempts: jsii.Number(2)}
		if tasks > 1 {
			ruleID, desc = fmt.Sprintf("ScheduleTask%d", id), fmt.Sprintf("Polls task %d of %d of connector %s; poll.interval.ms=%d, at least once a minute",
				id, tasks, conn.Name, conn.PollInterval().Milliseconds())
			target.Event = awsevents.RuleTargetInput_FromObject(map[string]any{"task_id": id})
		}
		s.Rules = append(s.Rules, awsevents.NewRule(c, jsii.String(ruleID), &awsevents.RuleProps{
			Description: jsii.String(desc),
			Schedule:    awsevents.Schedule_Rate(awscdk.Duration_Minutes(jsii.Number(float64(minutes)))),
			Targets:     &[]awsevents.IRuleTarget{awseventstargets.NewLambdaFunction(parts.fn, target)},
		}))
	}
	s.Rule = s.Rules[0]
	mon := newMonitoring(c, conn.Name, parts.fn, parts.queue, props.AlarmAction)
	mon.addSource(minutes)
	s.Alarms, s.Widgets = mon.alarms, mon.widgets
	return s, nil
}

// grantMSKProducer lets a role produce to topics matching topicPattern with MSK
// IAM auth (idempotent producer, topic creation for topic.creation.*). sid
// prefixes the statement ids so they stay unique in the role's policy.
func grantMSKProducer(role awsiam.Role, cl mskCluster, sid, topicPattern string) {
	role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String(sid + "MskConnectProduce"),
		Actions:   jsii.Strings("kafka-cluster:Connect", "kafka-cluster:WriteDataIdempotently"),
		Resources: jsii.Strings(cl.arn),
	}))
	role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid: jsii.String(sid + "MskProduceTopics"),
		Actions: jsii.Strings("kafka-cluster:DescribeTopic", "kafka-cluster:WriteData", "kafka-cluster:CreateTopic",
			"kafka-cluster:DescribeTopicDynamicConfiguration"),
		Resources: jsii.Strings(cl.topicARN(topicPattern)),
	}))
}
