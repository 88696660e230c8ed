package stack

import (
	"strings"
	"testing"

	"github.com/serverless-kafka-connect/slkc/infra/pipeline"
)

const sourceDoc = `{"name":"orders","config":{
	"connector.class":"io.slkc.connect.mysql.MySqlSourceConnector",
	"connection.password":"${secretsmanager:slkc/db:password}",
	"topic.prefix":"shop-","poll.interval.ms":"%POLL%",
	"aws.lambda.memory.mb":"512","aws.lambda.timeout.seconds":"%TIMEOUT%"%EXTRA%}}`

func sourceConnector(t *testing.T, poll, timeout, extra string) pipeline.Connector {
	return connector(t, strings.NewReplacer("%POLL%", poll, "%TIMEOUT%", timeout, "%EXTRA%", extra).Replace(sourceDoc))
}

func TestSourceConnector(t *testing.T) {
	tests := []struct {
		name         string
		poll         string
		timeout      string
		extra        string
		kafka        *Kafka
		network      *Network
		wantSchedule string
		wantReserved float64
	}{
		{name: "sub-minute interval rounds up to one minute, MSK IAM", poll: "5000", timeout: "120",
			kafka: &Kafka{Mode: KafkaModeMSK, MSKClusterARN: testClusterARN}, wantSchedule: "rate(1 minute)", wantReserved: 1},
		{name: "90 s interval rounds up to 2 minutes, in a VPC, self-managed", poll: "90000", timeout: "60",
			extra:        `,"aws.lambda.reserved.concurrency":"2"`,
			kafka:        &Kafka{Mode: KafkaModeSelfManaged, BootstrapServers: []string{"b1:9096"}},
			network:      &Network{SubnetIDs: []string{"subnet-01111111111111111", "subnet-02222222222222222"}, SecurityGroupIDs: []string{"sg-01111111111111111"}},
			wantSchedule: "rate(2 minutes)", wantReserved: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := newTestStack()
			tables, _ := NewStateTables(st, "State", nil)
			s, err := NewSourceConnector(st, "Orders", &SourceConnectorProps{
				Connector: sourceConnector(t, tt.poll, tt.timeout, tt.extra), AssetPath: assetDir(t),
				Tables: tables, Kafka: tt.kafka, Network: tt.network, SecretARNs: []string{testSecretARN},
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(s.Alarms) != 4 {
				t.Errorf("%d alarms, want 4 (errors, throttles, failed events, backlog)", len(s.Alarms))
			}
			if len(s.Widgets) != 4 {
				t.Errorf("%d widgets, want 4 (invocations, duration, records, runs)", len(s.Widgets))
			}
			if _, err := NewDashboard(st, "Dashboard", &DashboardProps{Widgets: s.Widgets}); err != nil {
				t.Fatal(err)
			}
			x := synth(t, st)
			dash := flatten(props(x.one("AWS::CloudWatch::Dashboard"))["DashboardBody"])
			for _, m := range []string{"Records", "Pages", "StoppedByDeadline", "Skipped", "Failed", "DurationMs"} {
				if !strings.Contains(dash, `"ServerlessKafkaConnect","`+m+`","Connector","orders"`) {
					t.Errorf("dashboard lacks %s of orders: %s", m, dash)
				}
			}
			fn := x.one("AWS::Lambda::Function")
			p := props(fn)
			equal(t, "Runtime", p["Runtime"], "provided.al2023")
			equal(t, "Architectures", p["Architectures"], []any{"arm64"})
			equal(t, "Handler", p["Handler"], "bootstrap")
			equal(t, "MemorySize", p["MemorySize"], 512.0)
			equal(t, "Timeout", p["Timeout"], map[string]float64{"60": 60, "120": 120}[tt.timeout])
			equal(t, "ReservedConcurrentExecutions", p["ReservedConcurrentExecutions"], tt.wantReserved)
			env := get(p, "Environment", "Variables").(map[string]any)
			if !strings.Contains(str(env["SLKC_CONNECTOR_CONFIG"]), `"name":"orders"`) {
				t.Errorf("SLKC_CONNECTOR_CONFIG = %v", env["SLKC_CONNECTOR_CONFIG"])
			}
			// A sub-minute interval is served by polling inside the invocation.
			wantLoop := map[string]any{"5000": "60000", "90000": "120000"}[tt.poll]
			equal(t, "SLKC_POLL_LOOP_MS", env["SLKC_POLL_LOOP_MS"], wantLoop)
			for _, k := range []string{"SLKC_OFFSETS_TABLE", "SLKC_LEASES_TABLE", "SLKC_STATUS_TABLE"} {
				if get(env, k, "Ref") == nil {
					t.Errorf("%s = %v, want a Ref to the table", k, env[k])
				}
			}
			if get(fn, "Metadata", "aws:asset:property") != "Code" || get(fn, "Metadata", "aws:asset:path") == nil {
				t.Errorf("asset metadata for sam local invoke missing: %v", fn["Metadata"])
			}
			if get(p, "LoggingConfig", "LogGroup", "Ref") == nil {
				t.Errorf("LoggingConfig.LogGroup = %v, want the construct's log group", get(p, "LoggingConfig"))
			}
			equal(t, "log retention", props(x.one("AWS::Logs::LogGroup"))["RetentionInDays"], 30.0)

			equal(t, "schedule", props(x.one("AWS::Events::Rule"))["ScheduleExpression"], tt.wantSchedule)
			target := props(x.one("AWS::Events::Rule"))["Targets"].([]any)[0]
			if get(target, "DeadLetterConfig", "Arn") == nil {
				t.Errorf("rule target has no dead-letter queue: %v", target)
			}
			inv := props(x.one("AWS::Lambda::EventInvokeConfig"))
			equal(t, "async retries", inv["MaximumRetryAttempts"], 2.0)
			if get(inv, "DestinationConfig", "OnFailure", "Destination", "Fn::GetAtt") == nil {
				t.Errorf("no on-failure destination: %v", inv)
			}
			q := props(x.one("AWS::SQS::Queue"))
			equal(t, "queue encryption", q["SqsManagedSseEnabled"], true)
			equal(t, "alarms", x.count("AWS::CloudWatch::Alarm"), 4)
			backlog := alarmOn(t, x, "StoppedByDeadline")
			equal(t, "backlog namespace", backlog["Namespace"], "ServerlessKafkaConnect")
			equal(t, "backlog dimensions", backlog["Dimensions"], []any{map[string]any{"Name": "Connector", "Value": "orders"}})
			equal(t, "backlog statistic", backlog["Statistic"], "Sum")
			equal(t, "backlog period (schedule, at least 5 minutes)", backlog["Period"], 300.0)
			equal(t, "backlog periods", []any{backlog["EvaluationPeriods"], backlog["DatapointsToAlarm"]}, []any{3.0, 3.0})

			sts := x.statements()
			equal(t, "secret grant", resourceStrings(withAction(sts, "secretsmanager:GetSecretValue")), []string{testSecretARN})
			for _, a := range []string{"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:GetItem"} {
				if n := len(withAction(sts, a)); n != 3 {
					t.Errorf("%s granted on %d tables, want 3", a, n)
				}
			}
			// The offset commit is one TransactWriteItems whose ConditionCheck
			// names the lease item: allowed on the leases table only.
			if n := len(withAction(sts, "dynamodb:ConditionCheckItem")); n != 1 {
				t.Errorf("dynamodb:ConditionCheckItem granted on %d tables, want 1 (the leases table)", n)
			}
			if len(withAction(sts, "dynamodb:Scan")) > 0 || len(withAction(sts, "dynamodb:GetRecords")) > 0 {
				t.Error("Scan or stream reads granted")
			}
			logs := withAction(sts, "logs:PutLogEvents")
			if len(logs) != 1 || get(logs[0].Resources[0], "Fn::GetAtt") == nil {
				t.Errorf("logs statement %+v, want the function's log group only", logs)
			}
			produce := resourceStrings(withAction(sts, "kafka-cluster:WriteData"))
			if tt.kafka.Mode == KafkaModeMSK {
				equal(t, "WriteData resources", produce, []string{testTopicARN + "shop-*"})
				equal(t, "Connect resources", resourceStrings(withAction(sts, "kafka-cluster:Connect")), []string{testClusterARN})
			} else if len(produce) > 0 {
				t.Errorf("kafka-cluster grants without MSK: %v", produce)
			}
			vpc := get(p, "VpcConfig")
			eni := withAction(sts, "ec2:CreateNetworkInterface")
			skips := checkovSkips(t, fn)
			if tt.network.Enabled() {
				equal(t, "VpcConfig", vpc, map[string]any{"SubnetIds": []any{"subnet-01111111111111111", "subnet-02222222222222222"}, "SecurityGroupIds": []any{"sg-01111111111111111"}})
				if len(eni) != 1 {
					t.Errorf("ENI statements %v, want 1", eni)
				}
				equal(t, "function checkov skips", skips, []string{"CKV_AWS_116", "CKV_AWS_173", "CKV_AWS_272"})
			} else {
				if vpc != nil || len(eni) != 0 {
					t.Errorf("VPC settings without a network: %v %v", vpc, eni)
				}
				equal(t, "function checkov skips", skips, []string{"CKV_AWS_116", "CKV_AWS_117", "CKV_AWS_173", "CKV_AWS_272"})
			}
			checkLeastPrivilege(t, x)
		})
	}
}

func TestSourceConnectorErrors(t *testing.T) {
	src := func(t *testing.T) pipeline.Connector { return sourceConnector(t, "1000", "60", "") }
	tests := []struct {
		name  string
		props func(t *testing.T, tables *StateTables) *SourceConnectorProps
		want  string
	}{
		{"sink connector", func(t *testing.T, tb *StateTables) *SourceConnectorProps {
			return &SourceConnectorProps{Connector: connector(t, `{"name":"s","config":{"connector.class":"io.slkc.connect.mysql.MySqlSinkConnector","topics":"t"}}`), AssetPath: assetDir(t), Tables: tb}
		}, `"s" is a sink connector`},
		{"missing bootstrap", func(t *testing.T, tb *StateTables) *SourceConnectorProps {
			return &SourceConnectorProps{Connector: src(t), AssetPath: t.TempDir(), Tables: tb}
		}, "make build"},
		{"no tables", func(t *testing.T, tb *StateTables) *SourceConnectorProps {
			return &SourceConnectorProps{Connector: src(t), AssetPath: assetDir(t)}
		}, "state tables are required"},
		{"bad cluster ARN", func(t *testing.T, tb *StateTables) *SourceConnectorProps {
			return &SourceConnectorProps{Connector: src(t), AssetPath: assetDir(t), Tables: tb, Kafka: &Kafka{Mode: KafkaModeMSK, MSKClusterARN: "arn:aws:kafka:eu-west-1:1:topic/x"}}
		}, "MSK cluster ARN"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := newTestStack()
			tables, _ := NewStateTables(st, "State", nil)
			_, err := NewSourceConnector(st, "X", tt.props(t, tables))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want containing %q", err, tt.want)
			}
		})
	}
}
