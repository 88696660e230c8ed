package stack

import (
	"fmt"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambdaeventsources"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/serverless-kafka-connect/slkc/infra/pipeline"
	"github.com/serverless-kafka-connect/slkc/shared/config"
)

// Provisioned poller defaults of a sink's event source mapping.
const (
	DefaultMinimumPollers = 1
	DefaultMaximumPollers = 3
)

// SinkConnectorProps configures NewSinkConnector.
type SinkConnectorProps struct {
	// Connector is the parsed connector file (Kind must be pipeline.KindSink).
	Connector pipeline.Connector
	// AssetPath is the folder holding the built sink-handler bootstrap
	// (build/sink-handler). Required; it must contain "bootstrap".
	AssetPath string
	// Tables are the shared state tables; a sink only writes its status (its
	// offsets are the consumer group's, committed by the event source mapping).
	Tables *StateTables
	// Kafka is required: the event source mapping's cluster and auth.
	Kafka Kafka
	// Network places the function, and a self-managed mapping's pollers, in a VPC.
	Network *Network
	// SecretARNs the function may read: its resolved ${secretsmanager:...} references.
	SecretARNs []string
	// LogRetention defaults to DefaultLogRetention (one month).
	LogRetention awslogs.RetentionDays
	// AlarmAction is added to every alarm when set.
	AlarmAction awscloudwatch.IAlarmAction
	// LagThreshold is the OffsetLag alarm threshold in records; default DefaultLagThreshold.
	LagThreshold float64
	// MinimumPollers and MaximumPollers size the mapping's provisioned mode
	// (defaults 1 and 3), used only when the connector needs Lambda's Kafka
	// error handling controls (retry attempts, record age, bisect, partial
	// batch response), which exist only in provisioned mode; see
	// pipeline.Deployment.ProvisionedPollers. The minimum pollers are billed
	// around the clock.
	MinimumPollers, MaximumPollers int
	// FunctionEnv holds values for the config's ${env:NAME} references, as
	// SourceConnectorProps.FunctionEnv.
	FunctionEnv map[string]string
}

// SinkConnector is a sink connector's function fed by one Kafka event source
// mapping per topic (a Lambda Kafka mapping reads exactly one topic).
//
// The mapping carries the aws.lambda.* settings: batch size, batching window,
// starting position, consumer group (aws.lambda.consumer.group.id, default
// connect-<name>; with several topics each mapping uses <group>-<topic>,
// because Lambda needs a distinct group per mapping), and, in provisioned
// mode (pipeline.Deployment.ProvisionedPollers), retry attempts, maximum
// record age, bisect on error and ReportBatchItemFailures. An on-failure
// destination (encrypted SQS queue) exists only when the mapping may discard
// a batch (pipeline.Deployment.OnFailureDestination: errors.tolerance=all
// with a finite retry limit or record age). With errors.tolerance=none the
// mapping retries a failing record for ever (MaximumRetryAttempts and
// MaximumRecordAgeInSeconds -1, no destination), so its partition stops
// there, as a Kafka Connect task stops, and the FailedRecordsAlarm fires.
//
// Alarms: errors, throttles, on-failure queue depth (with a destination), OffsetLag (the mapping's
// consumer lag), RecordsFailed (records handed back for redelivery) and, with
// errors.deadletterqueue.topic.name, RecordsDeadLettered; the last two are
// the function's embedded metric format metrics (MetricsNamespace, dimension
// Connector).
type SinkConnector struct {
	constructs.Construct
	Function     awslambda.Function
	Role         awsiam.Role
	LogGroup     awslogs.LogGroup
	FailureQueue awssqs.Queue
	Mappings     []awslambda.EventSourceMapping
	Alarms       []awscloudwatch.Alarm
	Widgets      []awscloudwatch.IWidget

	// Topics and Groups are each mapping's topic and consumer group.
	Topics, Groups []string
	// DLQTopic is errors.deadletterqueue.topic.name, empty without one.
	DLQTopic string
}

// NewSinkConnector creates the function, its mappings, grants and alarms.
func NewSinkConnector(scope constructs.Construct, id string, props *SinkConnectorProps) (*SinkConnector, error) {
	if props == nil {
		return nil, fmt.Errorf("sink connector %s: props are required", id)
	}
	conn := props.Connector
	if conn.Kind != pipeline.KindSink {
		return nil, fmt.Errorf("sink connector %s: connector %q is a %s connector", id, conn.Name, conn.Kind)
	}
	if err := props.Kafka.Validate(); err != nil {
		return nil, fmt.Errorf("sink connector %s: %w", conn.Name, err)
	}
	topics := conn.Topics()
	if len(topics) == 0 {
		return nil, fmt.Errorf("sink connector %s: no topics", conn.Name)
	}
	// The connector's aws.lambda.provisioned.pollers.* keys win over the
	// stack's context settings.
	minP, maxP := props.MinimumPollers, props.MaximumPollers
	if conn.Deploy.MinimumPollers > 0 {
		minP = conn.Deploy.MinimumPollers
	}
	if conn.Deploy.MaximumPollers > 0 {
		maxP = conn.Deploy.MaximumPollers
	}
	if minP == 0 {
		minP = DefaultMinimumPollers
	}
	if maxP == 0 {
		maxP = max(DefaultMaximumPollers, minP)
	}
	if minP < 1 || minP > 200 || maxP < minP || maxP > 2000 {
		return nil, fmt.Errorf("sink connector %s: pollers min %d max %d, allowed 1 <= min <= 200, min <= max <= 2000", conn.Name, minP, maxP)
	}
	c := constructs.NewConstruct(scope, jsii.String(id))
	parts, err := newFunctionParts(c, functionSpec{
		connector:        conn,
		assetPath:        props.AssetPath,
		description:      "slkc sink connector " + conn.Name + " (" + conn.Class + ")",
		tables:           props.Tables,
		stateTables:      tablesOrNil(props.Tables, func(t *StateTables) []awsdynamodb.Table { return []awsdynamodb.Table{t.Status} }),
		network:          props.Network,
		secretARNs:       props.SecretARNs,
		logRetention:     props.LogRetention,
		functionEnv:      props.FunctionEnv,
		bootstrapServers: props.Kafka.selfManagedBootstrap(),
		failureQueue:     conn.Deploy.OnFailureDestination,
	})
	if err != nil {
		return nil, err
	}
	s := &SinkConnector{Construct: c, Function: parts.fn, Role: parts.role, LogGroup: parts.logGroup, FailureQueue: parts.queue,
		DLQTopic: conn.DLQTopic()}
	role, k := parts.role, props.Kafka
	d := conn.Deploy

	groups := make([]string, len(topics))
	for i, t := range topics {
		groups[i] = d.ConsumerGroupID
		if len(topics) > 1 {
			groups[i] = d.ConsumerGroupID + "-" + t
		}
	}

	var access []*awslambda.SourceAccessConfiguration
	switch k.Mode {
	case KafkaModeMSK:
		cl, _ := parseMSKClusterARN(k.MSKClusterARN)
		role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String("MskEventSourceCluster"),
			Actions:   jsii.Strings("kafka:DescribeClusterV2", "kafka:GetBootstrapBrokers", "kafka-cluster:Connect", "kafka-cluster:DescribeClusterDynamicConfiguration"),
			Resources: jsii.Strings(cl.arn),
		}))
		topicARNs := make([]string, len(topics))
		groupARNs := make([]string, len(topics))
		for i, t := range topics {
			topicARNs[i], groupARNs[i] = cl.topicARN(t), cl.groupARN(groups[i])
		}
		role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String("MskEventSourceTopics"),
			Actions:   jsii.Strings("kafka-cluster:DescribeTopic", "kafka-cluster:ReadData"),
			Resources: jsii.Strings(topicARNs...),
		}))
		role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String("MskEventSourceGroups"),
			Actions:   jsii.Strings("kafka-cluster:DescribeGroup", "kafka-cluster:AlterGroup"),
			Resources: jsii.Strings(groupARNs...),
		}))
		if dlq := conn.DLQTopic(); dlq != "" {
			if _, err := literalTopic(config.KeyDLQTopic, dlq); err != nil {
				return nil, fmt.Errorf("sink connector %s: %w", conn.Name, err)
			}
			grantMSKProducer(role, cl, "Dlq", dlq)
		}
		// The MSK mapping's pollers create network interfaces in the cluster's
		// VPC with the function's role, whether or not the function is in a VPC.
		if !props.Network.Enabled() {
			addVPCAccess(role)
		}
	case KafkaModeSelfManaged:
		var secrets []string
		if k.SASLSecretARN != "" {
			typ := awslambda.SourceAccessConfigurationType_SASL_SCRAM_512_AUTH()
			if k.SASLMechanism == "SCRAM-SHA-256" {
				typ = awslambda.SourceAccessConfigurationType_SASL_SCRAM_256_AUTH()
			}
			access = append(access, &awslambda.SourceAccessConfiguration{Type: typ, Uri: jsii.String(k.SASLSecretARN)})
			secrets = append(secrets, k.SASLSecretARN)
		}
		if k.MTLSSecretARN != "" {
			access = append(access, &awslambda.SourceAccessConfiguration{Type: awslambda.SourceAccessConfigurationType_CLIENT_CERTIFICATE_TLS_AUTH(), Uri: jsii.String(k.MTLSSecretARN)})
			secrets = append(secrets, k.MTLSSecretARN)
		}
		if k.RootCASecretARN != "" {
			access = append(access, &awslambda.SourceAccessConfiguration{Type: awslambda.SourceAccessConfigurationType_SERVER_ROOT_CA_CERTIFICATE(), Uri: jsii.String(k.RootCASecretARN)})
			secrets = append(secrets, k.RootCASecretARN)
		}
		if props.Network.Enabled() {
			for _, sn := range props.Network.SubnetIDs {
				access = append(access, &awslambda.SourceAccessConfiguration{Type: awslambda.SourceAccessConfigurationType_VPC_SUBNET(), Uri: jsii.String("subnet:" + sn)})
			}
			for _, sg := range props.Network.SecurityGroupIDs {
				access = append(access, &awslambda.SourceAccessConfiguration{Type: awslambda.SourceAccessConfigurationType_VPC_SECURITY_GROUP(), Uri: jsii.String("security_group:" + sg)})
			}
		}
		if len(secrets) > 0 {
			role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Sid:       jsii.String("KafkaEventSourceSecrets"),
				Actions:   jsii.Strings("secretsmanager:GetSecretValue"),
				Resources: jsii.Strings(secrets...),
			}))
		}
	}

	if tables := conn.Plugin.DynamoDBTables; tables != nil {
		names, err := tables(conn.Config, topics)
		if err != nil {
			return nil, fmt.Errorf("sink connector %s: %w", conn.Name, err)
		}
		for _, name := range names {
			tbl := awsdynamodb.Table_FromTableName(c, jsii.String("Target"+sanitizeID(name)), jsii.String(name))
			tbl.GrantWriteData(role)
		}
	}

	for i, t := range topics {
		opts := &awslambda.EventSourceMappingProps{
			Target:               parts.fn,
			KafkaTopic:           jsii.String(t),
			KafkaConsumerGroupId: jsii.String(groups[i]),
			BatchSize:            jsii.Number(float64(d.BatchSize)),
			MaxBatchingWindow:    awscdk.Duration_Seconds(jsii.Number(float64(d.MaxBatchingWindowSeconds))),
			StartingPosition:     awslambda.StartingPosition(d.StartingPosition),
		}
		if d.ProvisionedPollers {
			// The error handling controls exist only in provisioned mode.
			opts.BisectBatchOnError = jsii.Bool(d.BisectBatchOnError)
			opts.ReportBatchItemFailures = jsii.Bool(d.ReportBatchItemFailures)
			opts.ProvisionedPollerConfig = &awslambda.ProvisionedPollerConfig{
				MinimumPollers: jsii.Number(float64(minP)),
				MaximumPollers: jsii.Number(float64(maxP)),
			}
			if d.MaxRetryAttempts >= 0 {
				opts.RetryAttempts = jsii.Number(float64(d.MaxRetryAttempts))
			}
			if d.MaxRecordAgeSeconds > 0 {
				opts.MaxRecordAge = awscdk.Duration_Seconds(jsii.Number(float64(d.MaxRecordAgeSeconds)))
			}
		}
		if d.OnFailureDestination {
			opts.OnFailure = awslambdaeventsources.NewSqsDlq(parts.queue)
		}
		if k.Mode == KafkaModeMSK {
			opts.EventSourceArn = jsii.String(k.MSKClusterARN)
		} else {
			opts.KafkaBootstrapServers = jsii.Strings(k.BootstrapServers...)
			if len(access) > 0 {
				opts.SourceAccessConfigurations = &access
			}
		}
		m := awslambda.NewEventSourceMapping(c, jsii.String(fmt.Sprintf("Mapping%d", i)), opts)
		if d.ProvisionedPollers {
			// -1 (retry until success, no age limit) cannot be expressed in
			// the L2 construct. It is written out, not left to Lambda's
			// default, so the template states that nothing is discarded.
			cfn := m.Node().DefaultChild().(awslambda.CfnEventSourceMapping)
			if d.MaxRetryAttempts == -1 {
				cfn.AddPropertyOverride(jsii.String("MaximumRetryAttempts"), -1)
			}
			if d.MaxRecordAgeSeconds == -1 {
				cfn.AddPropertyOverride(jsii.String("MaximumRecordAgeInSeconds"), -1)
			}
			if d.SchemaRegistryURI != "" {
				cfn.AddPropertyOverride(jsii.String(kafkaConfigProperty(k.Mode)+".SchemaRegistryConfig"), schemaRegistryConfig(d))
			}
		}
		// The mapping is validated against the role's permissions on creation.
		m.Node().AddDependency(role)
		s.Mappings = append(s.Mappings, m)
		s.Topics, s.Groups = append(s.Topics, t), append(s.Groups, groups[i])
	}

	threshold := props.LagThreshold
	if threshold == 0 {
		threshold = DefaultLagThreshold
	}
	lag := awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
		Namespace:     jsii.String("AWS/Lambda"),
		MetricName:    jsii.String("OffsetLag"),
		DimensionsMap: &map[string]*string{"FunctionName": parts.fn.FunctionName()},
		Statistic:     jsii.String("Maximum"),
		Period:        fiveMinutes,
	})
	mon := newMonitoring(c, conn.Name, parts.fn, parts.queue, props.AlarmAction)
	mon.addSink(lag, threshold, conn.DLQTopic(), d.ErrorsTolerance)
	s.Alarms, s.Widgets = mon.alarms, mon.widgets
	return s, nil
}

// kafkaConfigProperty is the mapping property that holds the Kafka
// settings (consumer group, schema registry) for the cluster kind.
func kafkaConfigProperty(mode string) string {
	if mode == KafkaModeMSK {
		return "AmazonManagedKafkaEventSourceConfig"
	}
	return "SelfManagedKafkaEventSourceConfig"
}

// schemaRegistryConfig is the mapping's SchemaRegistryConfig
// (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-lambda-eventsourcemapping-schemaregistryconfig.html)
// from aws.lambda.schema.registry.uri, aws.lambda.event.record.format and
// aws.lambda.schema.validation.attributes. No AccessConfigs: the registry
// is reached without authentication.
func schemaRegistryConfig(d pipeline.Deployment) map[string]any {
	var validation []map[string]any
	if d.ValidateKey {
		validation = append(validation, map[string]any{"Attribute": "KEY"})
	}
	if d.ValidateValue {
		validation = append(validation, map[string]any{"Attribute": "VALUE"})
	}
	return map[string]any{
		"SchemaRegistryURI":       d.SchemaRegistryURI,
		"EventRecordFormat":       d.EventRecordFormat,
		"SchemaValidationConfigs": validation,
	}
}

// sanitizeID keeps letters and digits for a construct id.
func sanitizeID(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}
