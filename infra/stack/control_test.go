package stack

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
)

// TestControlAPI checks the function URL's auth and that the role holds
// only what the API does, on exactly the pipeline's resources.
func TestControlAPI(t *testing.T) {
	st := newTestStack()
	tables, _ := NewStateTables(st, "State", nil)
	kafka := Kafka{Mode: KafkaModeMSK, MSKClusterARN: testClusterARN}
	src, err := NewSourceConnector(st, "Src", &SourceConnectorProps{
		Connector: connector(t, `{"name":"orders-source","config":{"connector.class":"io.slkc.connect.mysql.MySqlSourceConnector",
			"connection.url":"jdbc:mysql://db:3306/shop","table.whitelist":"orders","mode":"incrementing","incrementing.column.name":"id",
			"topic.prefix":"demo.","bootstrap.servers":"b-1:9098","security.protocol":"SASL_SSL","sasl.mechanism":"AWS_MSK_IAM"}}`),
		AssetPath: assetDir(t), Tables: tables, Kafka: &kafka,
	})
	if err != nil {
		t.Fatal(err)
	}
	snk, err := NewSinkConnector(st, "Snk", &SinkConnectorProps{
		Connector: connector(t, `{"name":"orders-sink","config":{"connector.class":"io.slkc.connect.mysql.MySqlSinkConnector",
			"topics":"demo.orders,demo.refunds","aws.lambda.consumer.group.id":"g",
			"errors.tolerance":"all","errors.deadletterqueue.topic.name":"dlq-orders"}}`),
		AssetPath: assetDir(t), Tables: tables, Kafka: kafka,
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewControlAPI(st, "Control", &ControlAPIProps{
		AssetPath: assetDir(t), Tables: tables, Kafka: kafka,
		Sources: map[string]*SourceConnector{"orders-source": src}, Sinks: map[string]*SinkConnector{"orders-sink": snk},
	}); err != nil {
		t.Fatal(err)
	}
	x := synth(t, st)
	url := props(x.one("AWS::Lambda::Url"))
	equal(t, "AuthType", url["AuthType"], "AWS_IAM")
	for _, p := range x.all("AWS::Lambda::Permission") {
		if pp := props(p); pp["Action"] == "lambda:InvokeFunctionUrl" && pp["FunctionUrlAuthType"] != "AWS_IAM" {
			t.Errorf("function URL permission %v is not limited to AWS_IAM", pp)
		}
	}

	// The control function's environment lists both connectors with the
	// sink's two mappings (one per topic, group g-<topic>).
	var env map[string]any
	for _, f := range x.all("AWS::Lambda::Function") {
		if v, ok := get(props(f), "Environment", "Variables").(map[string]any); ok && v["SLKC_CONTROL_CONNECTORS"] != nil {
			env = v
		}
	}
	if env == nil {
		t.Fatal("no function has SLKC_CONTROL_CONNECTORS")
	}
	raw, _ := json.Marshal(env["SLKC_CONTROL_CONNECTORS"])
	for _, want := range []string{`orders-source`, `orders-sink`, `g-demo.orders`, `g-demo.refunds`, `demo.refunds`} {
		if !strings.Contains(string(raw), want) {
			t.Errorf("SLKC_CONTROL_CONNECTORS %s lacks %s", raw, want)
		}
	}

	// Least privilege: the control role's statements, by Sid.
	var control []statement
	for _, s := range x.statements() {
		if slices.Contains([]string{"ReadConnectorConfigs", "RestartSources", "SwitchSinkMappings", "MskConnect", "MskSinkTopics", "MskSinkGroups", "MskDlqRead"}, s.Sid) {
			control = append(control, s)
		}
	}
	want := map[string][]string{
		"ReadConnectorConfigs": {"lambda:GetFunctionConfiguration"},
		"RestartSources":       {"lambda:InvokeFunction"},
		"SwitchSinkMappings":   {"lambda:GetEventSourceMapping", "lambda:UpdateEventSourceMapping"},
		"MskConnect":           {"kafka-cluster:Connect", "kafka-cluster:DescribeCluster"},
		"MskSinkTopics":        {"kafka-cluster:DescribeTopic", "kafka-cluster:ReadData"},
		"MskSinkGroups":        {"kafka-cluster:AlterGroup", "kafka-cluster:DeleteGroup", "kafka-cluster:DescribeGroup"},
		"MskDlqRead":           {"kafka-cluster:DescribeTopic", "kafka-cluster:ReadData"},
	}
	if len(control) != len(want) {
		t.Fatalf("control statements %+v, want %d", control, len(want))
	}
	for _, s := range control {
		acts := slices.Sorted(slices.Values(s.Actions))
		if strings.Join(acts, ",") != strings.Join(want[s.Sid], ",") {
			t.Errorf("%s actions %v, want %v", s.Sid, acts, want[s.Sid])
		}
		for _, r := range s.Resources {
			if r == "*" || strings.HasSuffix(str(r), "*") {
				t.Errorf("%s has wildcard resource %v", s.Sid, r)
			}
		}
		switch s.Sid {
		case "RestartSources":
			if len(s.Resources) != 1 {
				t.Errorf("RestartSources on %v, want the source function only", s.Resources)
			}
		case "SwitchSinkMappings":
			if len(s.Resources) != 2 {
				t.Errorf("SwitchSinkMappings on %v, want the sink's two mappings", s.Resources)
			}
		case "MskSinkGroups":
			got := []string{str(s.Resources[0]), str(s.Resources[1])}
			if got[0] != testGroupARN+"g-demo.orders" || got[1] != testGroupARN+"g-demo.refunds" {
				t.Errorf("MskSinkGroups on %v, want the sink's groups", got)
			}
		}
	}
	// No action on the state tables beyond item reads and writes (and the
	// ConditionCheck of a fenced offset commit, on the leases table).
	for _, s := range x.statements() {
		for _, a := range s.Actions {
			if strings.HasPrefix(a, "dynamodb:") && !slices.Contains([]string{"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:UpdateItem", "dynamodb:ConditionCheckItem"}, a) {
				t.Errorf("statement %s grants %s", s.Sid, a)
			}
		}
	}
}

// TestControlAPIKafkaGrants checks the control role's Kafka grants per
// cluster auth: with MSK IAM auth exactly the reads of the lag view and the
// DLQ browser and the offset changes of the API, on the sinks' topics,
// groups and dead letter queues only, and no write; none without IAM auth.
func TestControlAPIKafkaGrants(t *testing.T) {
	msk := Kafka{Mode: KafkaModeMSK, MSKClusterARN: testClusterARN}
	selfManaged := Kafka{Mode: KafkaModeSelfManaged, BootstrapServers: []string{"b-1:9092"}}
	type sink struct{ name, topics, dlq string }
	tests := []struct {
		name  string
		kafka Kafka
		sinks []sink
		// want maps each kafka-cluster action of the control role to its
		// resources (suffixes of the topic, group or cluster ARN).
		want map[string][]string
	}{
		{
			name: "MSK, two sinks with their own DLQs", kafka: msk,
			sinks: []sink{{"a-sink", "orders,refunds", "dlq-a"}, {"b-sink", "customers", "dlq-b"}},
			want: map[string][]string{
				"kafka-cluster:Connect":         {testClusterARN},
				"kafka-cluster:DescribeCluster": {testClusterARN},
				"kafka-cluster:DescribeTopic": {testTopicARN + "customers", testTopicARN + "dlq-a", testTopicARN + "dlq-b",
					testTopicARN + "orders", testTopicARN + "refunds"},
				"kafka-cluster:ReadData": {testTopicARN + "customers", testTopicARN + "dlq-a", testTopicARN + "dlq-b",
					testTopicARN + "orders", testTopicARN + "refunds"},
				// One group per mapping: g-a-sink-<topic> for a-sink's two topics.
				"kafka-cluster:DescribeGroup": {testGroupARN + "g-a-sink-orders", testGroupARN + "g-a-sink-refunds", testGroupARN + "g-b-sink"},
				"kafka-cluster:AlterGroup":    {testGroupARN + "g-a-sink-orders", testGroupARN + "g-a-sink-refunds", testGroupARN + "g-b-sink"},
				"kafka-cluster:DeleteGroup":   {testGroupARN + "g-a-sink-orders", testGroupARN + "g-a-sink-refunds", testGroupARN + "g-b-sink"},
			},
		},
		{
			name: "MSK, a shared DLQ is granted once, a sink without one adds none", kafka: msk,
			sinks: []sink{{"a-sink", "orders", "dlq"}, {"b-sink", "customers", "dlq"}, {"c-sink", "refunds", ""}},
			want:  mskGrants([]string{"customers", "dlq", "orders", "refunds"}, []string{"g-a-sink", "g-b-sink", "g-c-sink"}),
		},
		{
			name: "MSK, no DLQ: no DLQ grant", kafka: msk,
			sinks: []sink{{"a-sink", "orders", ""}},
			want:  mskGrants([]string{"orders"}, []string{"g-a-sink"}),
		},
		{
			name: "MSK, a DLQ named by an ${env:...} reference, which the control API does not browse: no DLQ grant", kafka: msk,
			sinks: []sink{{"a-sink", "orders", "${env:SLKC_TEST_DLQ}"}},
			want:  mskGrants([]string{"orders"}, []string{"g-a-sink"}),
		},
		{
			name: "self-managed Kafka: no IAM auth, no kafka-cluster grant", kafka: selfManaged,
			sinks: []sink{{"a-sink", "orders", "dlq-a"}},
			want:  map[string][]string{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := newTestStack()
			tables, _ := NewStateTables(st, "State", nil)
			sinks := map[string]*SinkConnector{}
			for _, sk := range tt.sinks {
				dlq := ""
				if sk.dlq != "" {
					dlq = `,"errors.tolerance":"all","errors.deadletterqueue.topic.name":"` + sk.dlq + `"`
				}
				s, err := NewSinkConnector(st, "Snk"+sk.name, &SinkConnectorProps{
					Connector: connector(t, `{"name":"`+sk.name+`","config":{"connector.class":"io.slkc.connect.mysql.MySqlSinkConnector",
						"topics":"`+sk.topics+`","aws.lambda.consumer.group.id":"g-`+sk.name+`"`+dlq+`}}`),
					AssetPath: assetDir(t), Tables: tables, Kafka: tt.kafka, FunctionEnv: map[string]string{"SLKC_TEST_DLQ": "dlq-env"},
				})
				if err != nil {
					t.Fatal(err)
				}
				sinks[sk.name] = s
			}
			ctl, err := NewControlAPI(st, "Control", &ControlAPIProps{AssetPath: assetDir(t), Tables: tables, Kafka: tt.kafka, Sinks: sinks})
			if err != nil {
				t.Fatal(err)
			}
			x := synth(t, st)
			got := map[string][]string{}
			for _, s := range x.roleStatements(*st.GetLogicalId(ctl.Role.Node().DefaultChild().(awscdk.CfnElement))) {
				for _, a := range s.Actions {
					if strings.HasPrefix(a, "kafka-cluster:") || strings.HasPrefix(a, "kafka:") {
						got[a] = append(got[a], resourceStrings([]statement{s})...)
					}
				}
			}
			for a := range got {
				slices.Sort(got[a])
			}
			equal(t, "control role's Kafka grants", got, tt.want)
			// No write, no topic or cluster change, whatever the case.
			for a := range got {
				if !slices.Contains(controlReadOrOffsetActions, a) {
					t.Errorf("control role is granted %s", a)
				}
			}
		})
	}
}

// mskGrants is the control role's expected Kafka grants: the cluster, the
// topics (sinks' and DLQs') to describe and read, the groups.
func mskGrants(topics, groups []string) map[string][]string {
	prefixed := func(prefix string, names []string) []string {
		out := make([]string, len(names))
		for i, n := range names {
			out[i] = prefix + n
		}
		return out
	}
	return map[string][]string{
		"kafka-cluster:Connect": {testClusterARN}, "kafka-cluster:DescribeCluster": {testClusterARN},
		"kafka-cluster:DescribeTopic": prefixed(testTopicARN, topics), "kafka-cluster:ReadData": prefixed(testTopicARN, topics),
		"kafka-cluster:DescribeGroup": prefixed(testGroupARN, groups), "kafka-cluster:AlterGroup": prefixed(testGroupARN, groups),
		"kafka-cluster:DeleteGroup": prefixed(testGroupARN, groups),
	}
}

// controlReadOrOffsetActions are the only Kafka actions the control API may
// hold: reads, and the group changes of alter/reset offsets. Nothing in it
// writes or creates a topic (WriteData, WriteDataIdempotently, CreateTopic,
// AlterTopic, DeleteTopic, Alter*Configuration, AlterCluster,
// AlterTransactionalId).
var controlReadOrOffsetActions = []string{
	"kafka-cluster:Connect", "kafka-cluster:DescribeCluster", "kafka-cluster:DescribeTopic", "kafka-cluster:ReadData",
	"kafka-cluster:DescribeGroup", "kafka-cluster:AlterGroup", "kafka-cluster:DeleteGroup",
}
