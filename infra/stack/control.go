package stack

import (
	"fmt"
	"maps"
	"slices"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/serverless-kafka-connect/slkc/shared/config"
)

// ControlAPIProps configures NewControlAPI.
type ControlAPIProps struct {
	// AssetPath is the folder holding the built control-api bootstrap
	// (build/control-api). Required.
	AssetPath string
	// Tables are the state tables (required).
	Tables *StateTables
	// Sources and Sinks are the connectors the API serves, by connector name.
	Sources map[string]*SourceConnector
	Sinks   map[string]*SinkConnector
	// Kafka is the sinks' cluster: the API reads and changes their
	// consumer groups' offsets.
	Kafka Kafka
	// Network places the function in a VPC (needed to reach private brokers).
	Network *Network
	// SecretARNs the function may read: those the sinks' Kafka settings
	// reference (SASL passwords).
	SecretARNs   []string
	LogRetention awslogs.RetentionDays
}

// ControlAPI is the Kafka Connect REST API (functions/control-api) behind a
// function URL with AWS_IAM auth: callers need lambda:InvokeFunctionUrl on
// it and sign with SigV4; there is no unauthenticated endpoint.
//
// Its role gets only what the API does: the state tables' item reads and
// writes (no Scan, no table management), GetFunctionConfiguration on the
// connectors' functions (to read their configs), InvokeFunction on the
// sources (restart), Get/UpdateEventSourceMapping on the sinks' mappings
// (pause, resume, stop), and on MSK (IAM auth) the Kafka reads and offset
// changes of grantMSKControl.
type ControlAPI struct {
	constructs.Construct
	Function awslambda.Function
	Role     awsiam.Role
	URL      awslambda.FunctionUrl
}

// controlActions are the state-table actions the API uses per table.
var controlActions = map[string][]string{
	"status":  {"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query"},
	"offsets": {"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query"},
	// ConditionCheckItem: an offsets change is one TransactWriteItems whose
	// ConditionCheck names the control plane's lease (state.OffsetStore.Commit).
	"leases": {"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:ConditionCheckItem"},
}

// NewControlAPI creates the function, its function URL and its grants.
func NewControlAPI(scope constructs.Construct, id string, props *ControlAPIProps) (*ControlAPI, error) {
	if err := checkAsset(props.AssetPath); err != nil {
		return nil, fmt.Errorf("control API: %w", err)
	}
	if props.Tables == nil {
		return nil, fmt.Errorf("control API: state tables are required")
	}
	c := constructs.NewConstruct(scope, jsii.String(id))
	a := &ControlAPI{Construct: c}
	a.Role = awsiam.NewRole(c, jsii.String("Role"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil),
		Description: jsii.String("Execution role of the Kafka Connect REST API (control plane)"),
	})
	retention := props.LogRetention
	if retention == "" {
		retention = DefaultLogRetention
	}
	logs := awslogs.NewLogGroup(c, jsii.String("Logs"), &awslogs.LogGroupProps{Retention: retention, RemovalPolicy: awscdk.RemovalPolicy_RETAIN})
	suppress(logs.Node().DefaultChild(),
		skip{"CKV_AWS_158", "CloudWatch Logs encrypts log data at rest by default; the control API logs actions and principals, no secrets."})
	logs.GrantWrite(a.Role)

	// SLKC_CONTROL_CONNECTORS, as functions/control-api reads it:
	// [{"name","function","mappings":[{"uuid","topic","group"}]}].
	entries := []interface{}{}
	var fnARNs, sourceARNs, mappingARNs, topics, groups []string
	for _, name := range slices.Sorted(maps.Keys(props.Sources)) {
		fn := props.Sources[name].Function
		entries = append(entries, map[string]interface{}{"name": name, "function": fn.FunctionName()})
		fnARNs = append(fnARNs, *fn.FunctionArn())
		sourceARNs = append(sourceARNs, *fn.FunctionArn())
	}
	for _, name := range slices.Sorted(maps.Keys(props.Sinks)) {
		s := props.Sinks[name]
		var ms []interface{}
		for i, m := range s.Mappings {
			ms = append(ms, map[string]interface{}{"uuid": m.EventSourceMappingId(), "topic": s.Topics[i], "group": s.Groups[i]})
			mappingARNs = append(mappingARNs, *m.EventSourceMappingArn())
		}
		topics, groups = append(topics, s.Topics...), append(groups, s.Groups...)
		entries = append(entries, map[string]interface{}{"name": name, "function": s.Function.FunctionName(), "mappings": ms})
		fnARNs = append(fnARNs, *s.Function.FunctionArn())
	}
	stack := awscdk.Stack_Of(c)
	env := map[string]*string{
		"SLKC_CONTROL_CONNECTORS": stack.ToJsonString(entries, nil),
	}
	for k, v := range props.Tables.Env() {
		env[k] = v
	}
	fnProps := &awslambda.FunctionProps{
		Description:   jsii.String("Kafka Connect REST API over the pipeline's connectors (function URL, AWS_IAM)"),
		Runtime:       awslambda.Runtime_PROVIDED_AL2023(),
		Architecture:  awslambda.Architecture_ARM_64(),
		Handler:       jsii.String("bootstrap"),
		Code:          awslambda.Code_FromAsset(jsii.String(props.AssetPath), nil),
		MemorySize:    jsii.Number(256),
		Timeout:       awscdk.Duration_Seconds(jsii.Number(30)),
		Environment:   &env,
		Role:          a.Role,
		LogGroup:      logs,
		LoggingFormat: awslambda.LoggingFormat_JSON,
	}
	a.Function = awslambda.NewFunction(c, jsii.String("Function"), fnProps)
	cfn := a.Function.Node().DefaultChild().(awslambda.CfnFunction)
	skips := []skip{
		{"CKV_AWS_116", "The control API is invoked synchronously through its function URL; there are no asynchronous invocations to dead-letter."},
		{"CKV_AWS_173", "Environment variables hold connector names, function names, mapping UUIDs and table names, no secrets."},
		{"CKV_AWS_272", "Code signing needs a signing profile that is account specific; the bootstrap is built reproducibly from this repository (-trimpath) and deployed through CloudFormation."},
		{"CKV_AWS_115", "Operator requests are rare; concurrency is bounded by the account's and needs no reservation."},
	}
	if props.Network.Enabled() {
		cfn.SetVpcConfig(&awslambda.CfnFunction_VpcConfigProperty{
			SubnetIds:        jsii.Strings(props.Network.SubnetIDs...),
			SecurityGroupIds: jsii.Strings(props.Network.SecurityGroupIDs...),
		})
		addVPCAccess(a.Role)
	} else {
		skips = append(skips, skip{"CKV_AWS_117", "No VPC was given in context (subnetIds/securityGroupIds), so the function reaches Kafka through endpoints that are reachable without one."})
	}
	suppress(cfn, skips...)
	cfn.AddMetadata(jsii.String("cfn-lint"), map[string]any{"config": map[string]any{"ignore_checks": []string{"W3005"}}})

	a.URL = a.Function.AddFunctionUrl(&awslambda.FunctionUrlOptions{AuthType: awslambda.FunctionUrlAuthType_AWS_IAM})
	awscdk.NewCfnOutput(c, jsii.String("Url"), &awscdk.CfnOutputProps{
		Value:       a.URL.Url(),
		Description: jsii.String("Kafka Connect REST API (SigV4, service lambda): slkc -url <this> status <connector>"),
	})

	for name, t := range map[string]interface {
		Grant(awsiam.IGrantable, ...*string) awsiam.Grant
	}{"status": props.Tables.Status, "offsets": props.Tables.Offsets, "leases": props.Tables.Leases} {
		t.Grant(a.Role, *jsii.Strings(controlActions[name]...)...)
	}
	if len(fnARNs) > 0 {
		a.Role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid: jsii.String("ReadConnectorConfigs"), Actions: jsii.Strings("lambda:GetFunctionConfiguration"), Resources: jsii.Strings(fnARNs...),
		}))
	}
	if len(sourceARNs) > 0 {
		a.Role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid: jsii.String("RestartSources"), Actions: jsii.Strings("lambda:InvokeFunction"), Resources: jsii.Strings(sourceARNs...),
		}))
	}
	if len(mappingARNs) > 0 {
		a.Role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String("SwitchSinkMappings"),
			Actions:   jsii.Strings("lambda:GetEventSourceMapping", "lambda:UpdateEventSourceMapping"),
			Resources: jsii.Strings(mappingARNs...),
		}))
	}
	if len(groups) > 0 && props.Kafka.Mode == KafkaModeMSK {
		var dlqs []string
		for _, name := range slices.Sorted(maps.Keys(props.Sinks)) {
			if t := props.Sinks[name].DLQTopic; t != "" && !slices.Contains(dlqs, t) {
				dlqs = append(dlqs, t)
			}
		}
		if err := grantMSKControl(a.Role, props.Kafka.MSKClusterARN, topics, groups, dlqs); err != nil {
			return nil, fmt.Errorf("control API: %w", err)
		}
	}
	if len(props.SecretARNs) > 0 {
		a.Role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid: jsii.String("ReadKafkaSecrets"), Actions: jsii.Strings("secretsmanager:GetSecretValue"), Resources: jsii.Strings(props.SecretARNs...),
		}))
	}
	return a, nil
}

// grantMSKControl gives the control API's role, on an MSK cluster with IAM
// auth, what its Kafka calls need and nothing more:
//
//   - Connect and DescribeCluster on the cluster;
//   - MskSinkTopics: DescribeTopic on the sinks' topics (metadata, and
//     ListOffsets for the lag view's end offsets) and ReadData, because
//     Kafka authorizes OffsetCommit and OffsetDelete (alter and reset
//     offsets) with READ on every topic they name; the API fetches no
//     record of these topics;
//   - MskSinkGroups: DescribeGroup (OffsetFetch of the lag view, the
//     group's state), AlterGroup (READ GROUP: OffsetCommit) and DeleteGroup
//     on the sinks' consumer groups;
//   - MskDlqRead: DescribeTopic and ReadData on the sinks' dead letter queue
//     topics (errors.deadletterqueue.topic.name), for the web UI's DLQ
//     browser, which reads with ListOffsets and Fetch of assigned partitions:
//     no consumer group, nothing committed, so no group grant.
//
// Nothing writes a topic or creates one. A DLQ topic that is a ${...}
// reference gets no grant: the control API does not resolve it and refuses
// to browse it (literalTopic).
func grantMSKControl(role awsiam.Role, clusterARN string, topics, groups, dlqs []string) error {
	cl, err := parseMSKClusterARN(clusterARN)
	if err != nil {
		return err
	}
	arns := func(names []string, arn func(string) string) []string {
		out := make([]string, len(names))
		for i, n := range names {
			out[i] = arn(n)
		}
		return out
	}
	var dlqARNs []string
	for _, t := range dlqs {
		literal, err := literalTopic(config.KeyDLQTopic, t)
		if err != nil {
			return err
		}
		if literal {
			dlqARNs = append(dlqARNs, cl.topicARN(t))
		}
	}
	add := func(sid string, actions, resources []string) {
		role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid: jsii.String(sid), Actions: jsii.Strings(actions...), Resources: jsii.Strings(resources...),
		}))
	}
	add("MskConnect", []string{"kafka-cluster:Connect", "kafka-cluster:DescribeCluster"}, []string{cl.arn})
	add("MskSinkTopics", []string{"kafka-cluster:DescribeTopic", "kafka-cluster:ReadData"}, arns(topics, cl.topicARN))
	add("MskSinkGroups", []string{"kafka-cluster:DescribeGroup", "kafka-cluster:AlterGroup", "kafka-cluster:DeleteGroup"}, arns(groups, cl.groupARN))
	if len(dlqARNs) > 0 {
		add("MskDlqRead", []string{"kafka-cluster:DescribeTopic", "kafka-cluster:ReadData"}, dlqARNs)
	}
	return nil
}
