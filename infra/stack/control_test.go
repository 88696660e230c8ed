package stack

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
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
			"topics":"demo.orders,demo.refunds","aws.lambda.consumer.group.id":"g"}}`),
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
		if slices.Contains([]string{"ReadConnectorConfigs", "RestartSources", "SwitchSinkMappings", "MskConnect", "MskSinkTopics", "MskSinkGroups"}, s.Sid) {
			control = append(control, s)
		}
	}
	want := map[string][]string{
		"ReadConnectorConfigs": {"lambda:GetFunctionConfiguration"},
		"RestartSources":       {"lambda:InvokeFunction"},
		"SwitchSinkMappings":   {"lambda:GetEventSourceMapping", "lambda:UpdateEventSourceMapping"},
		"MskConnect":           {"kafka-cluster:Connect", "kafka-cluster:DescribeCluster"},
		"MskSinkTopics":        {"kafka-cluster:DescribeTopic"},
		"MskSinkGroups":        {"kafka-cluster:AlterGroup", "kafka-cluster:DeleteGroup", "kafka-cluster:DescribeGroup"},
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
