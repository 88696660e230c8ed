package stack

import (
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/jsii-runtime-go"
)

func TestSinkConnectorMSK(t *testing.T) {
	st := newTestStack()
	tables, _ := NewStateTables(st, "State", nil)
	conn := connector(t, `{"name":"orders-sink","config":{
		"connector.class":"io.slkc.connect.mysql.MySqlSinkConnector","topics":"orders,refunds",
		"errors.tolerance":"all","errors.deadletterqueue.topic.name":"dlq-orders",
		"aws.lambda.batch.size":"500","aws.lambda.maximum.batching.window.seconds":"5",
		"aws.lambda.maximum.retry.attempts":"10","aws.lambda.maximum.record.age.seconds":"3600",
		"aws.lambda.bisect.batch.on.error":"true","aws.lambda.consumer.group.id":"g",
		"aws.lambda.timeout.seconds":"30","aws.lambda.memory.mb":"1024"}}`)
	s, err := NewSinkConnector(st, "Sink", &SinkConnectorProps{
		Connector: conn, AssetPath: assetDir(t), Tables: tables,
		Kafka: Kafka{Mode: KafkaModeMSK, MSKClusterARN: testClusterARN}, LagThreshold: 500,
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Mappings) != 2 {
		t.Fatalf("%d mappings, want one per topic", len(s.Mappings))
	}
	if _, err := NewDashboard(st, "Dashboard", &DashboardProps{Widgets: s.Widgets}); err != nil {
		t.Fatal(err)
	}
	x := synth(t, st)
	p := props(x.one("AWS::Lambda::Function"))
	equal(t, "Runtime", p["Runtime"], "provided.al2023")
	equal(t, "Architectures", p["Architectures"], []any{"arm64"})
	equal(t, "Timeout", p["Timeout"], 30.0)
	equal(t, "MemorySize", p["MemorySize"], 1024.0)
	if p["ReservedConcurrentExecutions"] != nil {
		t.Errorf("sink reserved concurrency %v, want none by default", p["ReservedConcurrentExecutions"])
	}
	if x.count("AWS::Lambda::EventInvokeConfig") != 0 || x.count("AWS::Events::Rule") != 0 {
		t.Error("sink has async invoke config or schedule")
	}
	topics := map[string]string{}
	for _, m := range x.all("AWS::Lambda::EventSourceMapping") {
		mp := props(m)
		equal(t, "EventSourceArn", mp["EventSourceArn"], testClusterARN)
		equal(t, "BatchSize", mp["BatchSize"], 500.0)
		equal(t, "MaximumBatchingWindowInSeconds", mp["MaximumBatchingWindowInSeconds"], 5.0)
		equal(t, "StartingPosition", mp["StartingPosition"], "TRIM_HORIZON")
		equal(t, "MaximumRetryAttempts", mp["MaximumRetryAttempts"], 10.0)
		equal(t, "MaximumRecordAgeInSeconds", mp["MaximumRecordAgeInSeconds"], 3600.0)
		equal(t, "BisectBatchOnFunctionError", mp["BisectBatchOnFunctionError"], true)
		equal(t, "FunctionResponseTypes", mp["FunctionResponseTypes"], []any{"ReportBatchItemFailures"})
		equal(t, "ProvisionedPollerConfig", mp["ProvisionedPollerConfig"], map[string]any{"MinimumPollers": 1.0, "MaximumPollers": 3.0})
		if get(mp, "DestinationConfig", "OnFailure", "Destination", "Fn::GetAtt") == nil {
			t.Errorf("no on-failure destination: %v", mp["DestinationConfig"])
		}
		topic := strs(mp["Topics"])
		if len(topic) != 1 {
			t.Fatalf("Topics = %v", topic)
		}
		topics[topic[0]] = str(get(mp, "AmazonManagedKafkaEventSourceConfig", "ConsumerGroupId"))
	}
	equal(t, "topic -> consumer group", topics, map[string]string{"orders": "g-orders", "refunds": "g-refunds"})

	sts := x.statements()
	equal(t, "ReadData", resourceStrings(withAction(sts, "kafka-cluster:ReadData")), []string{testTopicARN + "orders", testTopicARN + "refunds"})
	equal(t, "AlterGroup", resourceStrings(withAction(sts, "kafka-cluster:AlterGroup")), []string{testGroupARN + "g-orders", testGroupARN + "g-refunds"})
	equal(t, "DescribeGroup", resourceStrings(withAction(sts, "kafka-cluster:DescribeGroup")), []string{testGroupARN + "g-orders", testGroupARN + "g-refunds"})
	equal(t, "DescribeTopic", resourceStrings(withAction(sts, "kafka-cluster:DescribeTopic")),
		[]string{testTopicARN + "dlq-orders", testTopicARN + "orders", testTopicARN + "refunds"})
	equal(t, "DescribeClusterDynamicConfiguration", resourceStrings(withAction(sts, "kafka-cluster:DescribeClusterDynamicConfiguration")), []string{testClusterARN})
	equal(t, "Connect", resourceStrings(withAction(sts, "kafka-cluster:Connect")), []string{testClusterARN, testClusterARN})
	equal(t, "DLQ WriteData", resourceStrings(withAction(sts, "kafka-cluster:WriteData")), []string{testTopicARN + "dlq-orders"})
	equal(t, "GetBootstrapBrokers", resourceStrings(withAction(sts, "kafka:GetBootstrapBrokers")), []string{testClusterARN})
	if len(withAction(sts, "ec2:CreateNetworkInterface")) != 1 {
		t.Error("MSK mapping needs ENI permissions on the role")
	}
	if n := len(withAction(sts, "dynamodb:PutItem")); n != 1 {
		t.Errorf("sink granted PutItem on %d tables, want 1 (status)", n)
	}
	if len(withAction(sts, "sqs:SendMessage")) != 1 {
		t.Error("no SendMessage grant for the on-failure queue")
	}

	var lag map[string]any
	for _, a := range x.all("AWS::CloudWatch::Alarm") {
		if props(a)["MetricName"] == "OffsetLag" {
			lag = props(a)
		}
	}
	if lag == nil {
		t.Fatal("no OffsetLag alarm")
	}
	equal(t, "lag namespace", lag["Namespace"], "AWS/Lambda")
	equal(t, "lag threshold", lag["Threshold"], 500.0)
	equal(t, "alarms", x.count("AWS::CloudWatch::Alarm"), 6)
	equal(t, "widgets", len(s.Widgets), 4)
	equal(t, "metric filters (EMF metrics need none)", x.count("AWS::Logs::MetricFilter"), 0)
	for metric, what := range map[string]string{"RecordsDeadLettered": "dead letter", "RecordsFailed": "failed records"} {
		a := alarmOn(t, x, metric)
		equal(t, what+" namespace", a["Namespace"], "ServerlessKafkaConnect")
		equal(t, what+" dimensions", a["Dimensions"], []any{map[string]any{"Name": "Connector", "Value": "orders-sink"}})
		equal(t, what+" statistic", a["Statistic"], "Sum")
		equal(t, what+" threshold", a["Threshold"], 1.0)
		equal(t, what+" missing data", a["TreatMissingData"], "notBreaching")
	}
	if !strings.Contains(str(alarmOn(t, x, "RecordsDeadLettered")["AlarmDescription"]), "dlq-orders") {
		t.Error("dead letter alarm description does not name the topic")
	}
	// The dashboard shows the EMF metrics too.
	dash := flatten(props(x.one("AWS::CloudWatch::Dashboard"))["DashboardBody"])
	for _, m := range []string{"RecordsWritten", "RecordsDeadLettered", "RecordsFailed", "BatchSize"} {
		if !strings.Contains(dash, `"ServerlessKafkaConnect","`+m+`","Connector","orders-sink"`) {
			t.Errorf("dashboard lacks %s of orders-sink: %s", m, dash)
		}
	}
	checkLeastPrivilege(t, x)
}

func TestSinkConnectorSelfManaged(t *testing.T) {
	st := newTestStack()
	tables, _ := NewStateTables(st, "State", nil)
	conn := connector(t, `{"name":"ddb","config":{
		"connector.class":"io.confluent.connect.aws.dynamodb.DynamoDbSinkConnector","topics":"customers",
		"table.name.format":"kc-${topic}","aws.lambda.starting.position":"LATEST",
		"aws.lambda.report.batch.item.failures":"false","aws.lambda.reserved.concurrency":"4"}}`)
	saslARN := "arn:aws:secretsmanager:eu-west-1:123456789012:secret:kafka-scram-Ab12Cd"
	caARN := "arn:aws:secretsmanager:eu-west-1:123456789012:secret:kafka-ca-Ef34Gh"
	_, err := NewSinkConnector(st, "Sink", &SinkConnectorProps{
		Connector: conn, AssetPath: assetDir(t), Tables: tables,
		Kafka: Kafka{Mode: KafkaModeSelfManaged, BootstrapServers: []string{"b1:9096", "b2:9096"},
			SASLSecretARN: saslARN, SASLMechanism: "SCRAM-SHA-256", RootCASecretARN: caARN},
		Network:        &Network{SubnetIDs: []string{"subnet-0aaaaaaaaaaaaaaa1"}, SecurityGroupIDs: []string{"sg-0aaaaaaaaaaaaaaa1", "sg-0bbbbbbbbbbbbbbb2"}},
		MinimumPollers: 2, MaximumPollers: 8,
	})
	if err != nil {
		t.Fatal(err)
	}
	x := synth(t, st)
	fn := props(x.one("AWS::Lambda::Function"))
	equal(t, "ReservedConcurrentExecutions", fn["ReservedConcurrentExecutions"], 4.0)
	equal(t, "VpcConfig.SubnetIds", get(fn, "VpcConfig", "SubnetIds"), []any{"subnet-0aaaaaaaaaaaaaaa1"})
	mp := props(x.one("AWS::Lambda::EventSourceMapping"))
	equal(t, "bootstrap servers", get(mp, "SelfManagedEventSource", "Endpoints", "KafkaBootstrapServers"), []any{"b1:9096", "b2:9096"})
	equal(t, "consumer group", get(mp, "SelfManagedKafkaEventSourceConfig", "ConsumerGroupId"), "connect-ddb")
	equal(t, "StartingPosition", mp["StartingPosition"], "LATEST")
	// No error handling control is used (report.batch.item.failures=false,
	// retries and record age unlimited, no bisect): on-demand mode, which
	// retries a failed batch whole until it succeeds and bills no pollers.
	for _, k := range []string{"ProvisionedPollerConfig", "FunctionResponseTypes", "MaximumRetryAttempts",
		"MaximumRecordAgeInSeconds", "BisectBatchOnFunctionError", "DestinationConfig"} {
		if mp[k] != nil {
			t.Errorf("%s = %v in on-demand mode", k, mp[k])
		}
	}
	equal(t, "queues", x.count("AWS::SQS::Queue"), 0)
	equal(t, "alarms without a DLQ topic or on-failure queue", x.count("AWS::CloudWatch::Alarm"), 4)
	if a := alarmOn(t, x, "RecordsFailed"); a == nil {
		t.Error("no RecordsFailed alarm")
	}
	access := map[string]string{}
	for _, a := range mp["SourceAccessConfigurations"].([]any) {
		access[str(get(a, "URI"))] = str(get(a, "Type"))
	}
	equal(t, "SourceAccessConfigurations", access, map[string]string{
		saslARN: "SASL_SCRAM_256_AUTH", caARN: "SERVER_ROOT_CA_CERTIFICATE",
		"subnet:subnet-0aaaaaaaaaaaaaaa1": "VPC_SUBNET", "security_group:sg-0aaaaaaaaaaaaaaa1": "VPC_SECURITY_GROUP", "security_group:sg-0bbbbbbbbbbbbbbb2": "VPC_SECURITY_GROUP",
	})
	sts := x.statements()
	equal(t, "ENI statements (VPC function and mapping share one)", len(withAction(sts, "ec2:CreateNetworkInterface")), 1)
	equal(t, "mapping secrets", resourceStrings(withAction(sts, "secretsmanager:GetSecretValue")), []string{caARN, saslARN})
	if len(withAction(sts, "kafka-cluster:Connect")) != 0 || len(withAction(sts, "kafka:GetBootstrapBrokers")) != 0 {
		t.Error("MSK grants in self-managed mode")
	}
	// DynamoDB sink: write access to the target table only.
	var target []statement
	for _, s := range withAction(sts, "dynamodb:BatchWriteItem") {
		for _, r := range s.Resources {
			if strings.Contains(flatten(r), ":table/kc-customers") {
				target = append(target, s)
			}
		}
	}
	if len(target) != 1 {
		t.Errorf("write grant on table kc-customers: %d statements, want 1", len(target))
	} else if len(withAction(target, "dynamodb:DeleteTable")) > 0 || len(withAction(target, "dynamodb:Scan")) > 0 {
		t.Errorf("target grant too broad: %v", target[0].Actions)
	}
	checkLeastPrivilege(t, x)
}

func TestSinkConnectorErrors(t *testing.T) {
	tests := []struct {
		name  string
		kafka Kafka
		minP  int
		maxP  int
		want  string
		extra string // more config keys
	}{
		{"no mode", Kafka{}, 0, 0, `mode ""`, ""},
		{"self-managed without servers", Kafka{Mode: KafkaModeSelfManaged}, 0, 0, "bootstrap servers", ""},
		{"SASL and mTLS", Kafka{Mode: KafkaModeSelfManaged, BootstrapServers: []string{"b:1"}, SASLSecretARN: "a", MTLSSecretARN: "b"}, 0, 0, "not both", ""},
		{"bad mechanism", Kafka{Mode: KafkaModeSelfManaged, BootstrapServers: []string{"b:1"}, SASLMechanism: "PLAIN"}, 0, 0, "SASL mechanism", ""},
		{"pollers", Kafka{Mode: KafkaModeMSK, MSKClusterARN: testClusterARN}, 5, 2, "pollers", ""},
		// IAM would read it as a pattern: WriteData and CreateTopic on dlq-<anything>.
		{"DLQ name with an IAM wildcard", Kafka{Mode: KafkaModeMSK, MSKClusterARN: testClusterARN}, 0, 0,
			`sink connector s: errors.deadletterqueue.topic.name "dlq-*": kafka: topic name "dlq-*" has '*'`,
			`,"errors.tolerance":"all","errors.deadletterqueue.topic.name":"dlq-*"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := newTestStack()
			tables, _ := NewStateTables(st, "State", nil)
			sink := `{"name":"s","config":{"connector.class":"io.slkc.connect.mysql.MySqlSinkConnector","topics":"t"` + tt.extra + `}}`
			_, err := NewSinkConnector(st, "X", &SinkConnectorProps{Connector: connector(t, sink), AssetPath: assetDir(t),
				Tables: tables, Kafka: tt.kafka, MinimumPollers: tt.minP, MaximumPollers: tt.maxP})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want containing %q", err, tt.want)
			}
		})
	}
}

// TestSinkErrorsTolerance checks what each errors.tolerance setting deploys:
// with none nothing is ever discarded (retries and record age -1, no
// on-failure destination, so Lambda retries the failing record for ever and
// its partition stops there) and an alarm fires on the failed records; with
// all, an on-failure destination exists only when a finite limit lets Lambda
// give up on a batch.
func TestSinkErrorsTolerance(t *testing.T) {
	tests := []struct {
		name        string
		config      string
		retries     float64
		recordAge   float64
		destination bool
	}{
		{"none (default)", ``, -1, -1, false},
		{"none with bisect", `,"errors.tolerance":"none","aws.lambda.bisect.batch.on.error":"true"`, -1, -1, false},
		{"all, unlimited: no destination (it would cap retries at 10)", `,"errors.tolerance":"all","errors.deadletterqueue.topic.name":"dlq"`, -1, -1, false},
		{"all with a retry limit", `,"errors.tolerance":"all","errors.deadletterqueue.topic.name":"dlq","aws.lambda.maximum.retry.attempts":"5"`, 5, -1, true},
		{"all with a record age", `,"errors.tolerance":"all","aws.lambda.maximum.record.age.seconds":"600"`, -1, 600, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := newTestStack()
			tables, _ := NewStateTables(st, "State", nil)
			action := awscloudwatchactions.NewSnsAction(awssns.NewTopic(st, jsii.String("Pager"), nil))
			conn := connector(t, `{"name":"s","config":{"connector.class":"io.slkc.connect.mysql.MySqlSinkConnector","topics":"t"`+tt.config+`}}`)
			if _, err := NewSinkConnector(st, "Sink", &SinkConnectorProps{Connector: conn, AssetPath: assetDir(t), Tables: tables,
				Kafka: Kafka{Mode: KafkaModeMSK, MSKClusterARN: testClusterARN}, AlarmAction: action}); err != nil {
				t.Fatal(err)
			}
			x := synth(t, st)
			mp := props(x.one("AWS::Lambda::EventSourceMapping"))
			equal(t, "MaximumRetryAttempts", mp["MaximumRetryAttempts"], tt.retries)
			equal(t, "MaximumRecordAgeInSeconds", mp["MaximumRecordAgeInSeconds"], tt.recordAge)
			equal(t, "FunctionResponseTypes", mp["FunctionResponseTypes"], []any{"ReportBatchItemFailures"})
			if mp["ProvisionedPollerConfig"] == nil {
				t.Error("no provisioned pollers: the error handling controls need them")
			}
			hasDest := get(mp, "DestinationConfig", "OnFailure", "Destination") != nil
			equal(t, "on-failure destination", hasDest, tt.destination)
			queues := 0
			if tt.destination {
				queues = 1
			}
			equal(t, "queues", x.count("AWS::SQS::Queue"), queues)
			if !tt.destination && len(withAction(x.statements(), "sqs:SendMessage")) != 0 {
				t.Error("SendMessage granted without a destination")
			}
			// The failed records alarm fires on the first record handed back
			// (a stopped partition reports its record on every retry) and
			// notifies the alarm action.
			a := alarmOn(t, x, "RecordsFailed")
			equal(t, "threshold", a["Threshold"], 1.0)
			equal(t, "comparison", a["ComparisonOperator"], "GreaterThanOrEqualToThreshold")
			equal(t, "periods", []any{a["EvaluationPeriods"], a["DatapointsToAlarm"]}, []any{1.0, 1.0})
			equal(t, "period", a["Period"], 300.0)
			if acts, _ := a["AlarmActions"].([]any); len(acts) != 1 {
				t.Errorf("AlarmActions = %v, want the pager topic", a["AlarmActions"])
			}
			stopped := strings.Contains(str(a["AlarmDescription"]), "errors.tolerance=none a permanent error stops its partition")
			equal(t, "description names the stopped partition", stopped, !strings.Contains(tt.config, `"all"`))
		})
	}
}

// TestSinkSchemaRegistry checks the mapping's SchemaRegistryConfig
// (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-lambda-eventsourcemapping-schemaregistryconfig.html)
// under the Kafka config property of each cluster kind, next to the
// consumer group, and that a registry makes the mapping provisioned even
// when no error handling control asks for it.
func TestSinkSchemaRegistry(t *testing.T) {
	tests := []struct {
		name       string
		kafka      Kafka
		property   string
		config     string
		wantConfig map[string]any
	}{
		{name: "MSK, JSON, default VALUE", kafka: Kafka{Mode: KafkaModeMSK, MSKClusterARN: testClusterARN},
			property: "AmazonManagedKafkaEventSourceConfig",
			config:   `"aws.lambda.schema.registry.uri":"https://registry.example.com:8081","aws.lambda.event.record.format":"JSON"`,
			wantConfig: map[string]any{"SchemaRegistryURI": "https://registry.example.com:8081", "EventRecordFormat": "JSON",
				"SchemaValidationConfigs": []any{map[string]any{"Attribute": "VALUE"}}}},
		{name: "self-managed, SOURCE, KEY and VALUE", kafka: Kafka{Mode: KafkaModeSelfManaged, BootstrapServers: []string{"b1:9092"}},
			property: "SelfManagedKafkaEventSourceConfig",
			config:   `"aws.lambda.schema.registry.uri":"http://10.0.0.5:8081","aws.lambda.event.record.format":"SOURCE","aws.lambda.schema.validation.attributes":"VALUE,KEY"`,
			wantConfig: map[string]any{"SchemaRegistryURI": "http://10.0.0.5:8081", "EventRecordFormat": "SOURCE",
				"SchemaValidationConfigs": []any{map[string]any{"Attribute": "KEY"}, map[string]any{"Attribute": "VALUE"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := newTestStack()
			tables, _ := NewStateTables(st, "State", nil)
			conn := connector(t, `{"name":"s","config":{"connector.class":"io.slkc.connect.mysql.MySqlSinkConnector","topics":"t",
				"aws.lambda.report.batch.item.failures":"false",`+tt.config+`}}`)
			if _, err := NewSinkConnector(st, "Sink", &SinkConnectorProps{Connector: conn, AssetPath: assetDir(t), Tables: tables, Kafka: tt.kafka}); err != nil {
				t.Fatal(err)
			}
			mp := props(synth(t, st).one("AWS::Lambda::EventSourceMapping"))
			equal(t, "SchemaRegistryConfig", get(mp, tt.property, "SchemaRegistryConfig"), tt.wantConfig)
			equal(t, "consumer group kept", get(mp, tt.property, "ConsumerGroupId"), "connect-s")
			if mp["ProvisionedPollerConfig"] == nil {
				t.Error("no provisioned pollers: a schema registry needs them")
			}
			if mp["FunctionResponseTypes"] != nil {
				t.Errorf("FunctionResponseTypes = %v with report.batch.item.failures=false", mp["FunctionResponseTypes"])
			}
		})
	}
	// Without the keys there is no SchemaRegistryConfig.
	st := newTestStack()
	tables, _ := NewStateTables(st, "State", nil)
	conn := connector(t, `{"name":"s","config":{"connector.class":"io.slkc.connect.mysql.MySqlSinkConnector","topics":"t"}}`)
	if _, err := NewSinkConnector(st, "Sink", &SinkConnectorProps{Connector: conn, AssetPath: assetDir(t), Tables: tables,
		Kafka: Kafka{Mode: KafkaModeMSK, MSKClusterARN: testClusterARN}}); err != nil {
		t.Fatal(err)
	}
	mp := props(synth(t, st).one("AWS::Lambda::EventSourceMapping"))
	if got := get(mp, "AmazonManagedKafkaEventSourceConfig", "SchemaRegistryConfig"); got != nil {
		t.Errorf("SchemaRegistryConfig = %v without a registry", got)
	}
}

// TestSinkConnectorPollerKeys: the connector's
// aws.lambda.provisioned.pollers.min/max become the mapping's
// ProvisionedPollerConfig, over the stack's context settings, and make the
// mapping provisioned even without the error handling controls.
func TestSinkConnectorPollerKeys(t *testing.T) {
	tests := []struct {
		name, keys string
		want       map[string]any
	}{
		{"both keys win over the stack", `"aws.lambda.provisioned.pollers.min":"4","aws.lambda.provisioned.pollers.max":"20"`,
			map[string]any{"MinimumPollers": 4.0, "MaximumPollers": 20.0}},
		{"max only, min from the stack", `"aws.lambda.provisioned.pollers.max":"12"`,
			map[string]any{"MinimumPollers": 2.0, "MaximumPollers": 12.0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := newTestStack()
			tables, _ := NewStateTables(st, "State", nil)
			conn := connector(t, `{"name":"s","config":{"connector.class":"io.slkc.connect.mysql.MySqlSinkConnector","topics":"t",
				"aws.lambda.report.batch.item.failures":"false",`+tt.keys+`}}`)
			if _, err := NewSinkConnector(st, "Sink", &SinkConnectorProps{Connector: conn, AssetPath: assetDir(t), Tables: tables,
				Kafka: Kafka{Mode: KafkaModeMSK, MSKClusterARN: testClusterARN}, MinimumPollers: 2, MaximumPollers: 8}); err != nil {
				t.Fatal(err)
			}
			mp := props(synth(t, st).one("AWS::Lambda::EventSourceMapping"))
			equal(t, "ProvisionedPollerConfig", mp["ProvisionedPollerConfig"], tt.want)
		})
	}
}
