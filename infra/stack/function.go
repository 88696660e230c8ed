package stack

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambdadestinations"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/serverless-kafka-connect/slkc/infra/pipeline"
)

// DefaultLogRetention is used when props leave LogRetention empty.
const DefaultLogRetention = awslogs.RetentionDays_ONE_MONTH

// stateTableActions are what shared/state's stores call (its API interface):
// conditional puts and updates (optimistic locking, fencing, leases), reads
// and queries by connector. No Scan, no batch or stream reads, no table
// management (CreateTables is for local runs; here CloudFormation owns tables).
var stateTableActions = []string{
	"dynamodb:GetItem", "dynamodb:Query", "dynamodb:PutItem", "dynamodb:UpdateItem",
}

// functionParts is what both connector kinds build the same way: an execution
// role without managed policies, a log group with retention, a function from
// the bootstrap asset, and an encrypted on-failure queue.
type functionParts struct {
	role     awsiam.Role
	logGroup awslogs.LogGroup
	fn       awslambda.Function
	queue    awssqs.Queue
}

type functionSpec struct {
	connector   pipeline.Connector
	assetPath   string
	description string
	tables      *StateTables
	// stateTables are the tables this function may read and write.
	stateTables []awsdynamodb.Table
	// fenceTables (sources: the leases table) may also be named in a
	// ConditionCheck of a TransactWriteItems: every offset write checks that
	// the writer still holds the lease in the same transaction.
	fenceTables  []awsdynamodb.Table
	network      *Network
	secretARNs   []string
	logRetention awslogs.RetentionDays
	// asyncOnFailure (sources): failed asynchronous invocations (after Lambda's
	// two retries) go to the on-failure queue.
	asyncOnFailure bool
	// failureQueue creates the encrypted on-failure queue (sources always;
	// sinks only when the event source mapping has an on-failure destination).
	failureQueue bool
	// functionEnv are the values available for the config's ${env:NAME}
	// references; bootstrapServers defaults a variable used in
	// bootstrap.servers (self-managed Kafka). See pipeline.EnvResolver.
	functionEnv      map[string]string
	bootstrapServers string
	// extraEnv are settings the construct itself gives the function (e.g.
	// the source's poll loop window).
	extraEnv map[string]string
}

// checkAsset fails early, with the command to run, when the function is not built.
func checkAsset(path string) error {
	if path == "" {
		return fmt.Errorf("asset path is empty: set it to a folder holding the built bootstrap, e.g. ../build/source-poller")
	}
	st, err := os.Stat(filepath.Join(path, "bootstrap"))
	if err != nil {
		return fmt.Errorf("asset %s: %w (run `make build` first)", path, err)
	}
	if st.IsDir() {
		return fmt.Errorf("asset %s: bootstrap is a folder, want the executable", path)
	}
	return nil
}

func newFunctionParts(c constructs.Construct, s functionSpec) (*functionParts, error) {
	if err := checkAsset(s.assetPath); err != nil {
		return nil, fmt.Errorf("connector %s: %w", s.connector.Name, err)
	}
	if s.tables == nil {
		return nil, fmt.Errorf("connector %s: state tables are required", s.connector.Name)
	}
	refEnv, err := pipeline.EnvResolver{Values: s.functionEnv, BootstrapServers: s.bootstrapServers, Preset: presetEnv()}.Resolve(s.connector)
	if err != nil {
		return nil, err
	}
	if err := checkEnvSize(s.connector, refEnv); err != nil {
		return nil, err
	}
	retention := s.logRetention
	if retention == "" {
		retention = DefaultLogRetention
	}
	p := &functionParts{}
	p.role = awsiam.NewRole(c, jsii.String("Role"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil),
		Description: jsii.String("Execution role of connector " + s.connector.Name),
	})
	p.logGroup = awslogs.NewLogGroup(c, jsii.String("Logs"), &awslogs.LogGroupProps{
		Retention:     retention,
		RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
	})
	suppress(p.logGroup.Node().DefaultChild(),
		skip{"CKV_AWS_158", "CloudWatch Logs encrypts log data at rest by default; logs carry no secrets (the functions log record counts and errors, never record contents above debug)."})
	// Replaces the AWSLambdaBasicExecutionRole managed policy: write to this
	// function's own log group only. The resource is the log group ARN, whose
	// ":*" suffix covers the log streams Lambda creates in it.
	p.logGroup.GrantWrite(p.role)

	if s.failureQueue || s.asyncOnFailure {
		p.queue = awssqs.NewQueue(c, jsii.String("OnFailure"), &awssqs.QueueProps{
			Encryption:      awssqs.QueueEncryption_SQS_MANAGED,
			EnforceSSL:      jsii.Bool(true),
			RetentionPeriod: awscdk.Duration_Days(jsii.Number(14)),
		})
		suppress(p.queue.Node().DefaultChild(),
			skip{"CKV_AWS_27", "Encrypted at rest with SQS managed SSE (SqsManagedSseEnabled), which checkov does not recognise; a KMS AWS managed key (alias/aws/sqs) cannot be used as EventBridge's dead-letter queue, whose key policy cannot be edited."})
		suppressNag(p.queue.Node().DefaultChild(),
			nagRule{"AwsSolutions-SQS3", "This queue is itself the dead-letter destination: Lambda's on-failure destination for async invokes, the schedule target's dead-letter queue, or the Kafka event source mapping's on-failure destination (cdk-nag only recognises SQS redrive policies). Nothing consumes it, so a queue behind it would never receive a message; the failed-events alarm watches it and messages are kept 14 days."})
	}

	env := map[string]*string{"SLKC_CONNECTOR_CONFIG": jsii.String(s.connector.Text)}
	if w := s.connector.Worker; w != nil {
		env["SLKC_WORKER_CONFIG"] = jsii.String(w.Text)
	}
	for k, v := range s.tables.Env() {
		env[k] = v
	}
	// Only the variables this config references: another connector's
	// values (database URLs, users) stay out of this function.
	for k, v := range refEnv {
		env[k] = jsii.String(v)
	}
	for k, v := range s.extraEnv {
		env[k] = jsii.String(v)
	}
	d := s.connector.Deploy
	props := &awslambda.FunctionProps{
		Description:  jsii.String(s.description),
		Runtime:      awslambda.Runtime_PROVIDED_AL2023(),
		Architecture: awslambda.Architecture_ARM_64(),
		Handler:      jsii.String("bootstrap"),
		Code:         awslambda.Code_FromAsset(jsii.String(s.assetPath), nil),
		MemorySize:   jsii.Number(float64(d.MemoryMB)),
		Timeout:      awscdk.Duration_Seconds(jsii.Number(float64(d.TimeoutSeconds))),
		Environment:  &env,
		Role:         p.role,
		LogGroup:     p.logGroup,
		// JSON logs: the functions already write slog JSON lines and EMF metrics.
		LoggingFormat: awslambda.LoggingFormat_JSON,
	}
	if d.ReservedConcurrency > 0 {
		props.ReservedConcurrentExecutions = jsii.Number(float64(d.ReservedConcurrency))
	}
	if s.asyncOnFailure {
		props.OnFailure = awslambdadestinations.NewSqsDestination(p.queue)
		// Retries are safe: the lease stops overlapping runs and offsets only move forward.
		props.RetryAttempts = jsii.Number(2)
	}
	p.fn = awslambda.NewFunction(c, jsii.String("Function"), props)

	cfn := p.fn.Node().DefaultChild().(awslambda.CfnFunction)
	skips := []skip{
		{"CKV_AWS_116", "Failed asynchronous invocations go to an on-failure destination (encrypted SQS queue, EventInvokeConfig); sinks are invoked synchronously by the event source mapping, which retries failed batches (and, when it may discard one, sends it to its own on-failure destination); a legacy DeadLetterConfig would duplicate it."},
		{"CKV_AWS_173", "Environment variables hold no secrets: passwords are ${secretsmanager:...} references resolved at init, and synth rejects ${env:...} in password and secret keys; they are encrypted at rest with the Lambda service key."},
		{"CKV_AWS_272", "Code signing needs a signing profile that is account specific; the bootstrap is built reproducibly from this repository (-trimpath) and deployed through CloudFormation."},
	}
	if s.network.Enabled() {
		cfn.SetVpcConfig(&awslambda.CfnFunction_VpcConfigProperty{
			SubnetIds:        jsii.Strings(s.network.SubnetIDs...),
			SecurityGroupIds: jsii.Strings(s.network.SecurityGroupIDs...),
		})
		addVPCAccess(p.role)
	} else {
		skips = append(skips, skip{"CKV_AWS_117", "No VPC was given in context (subnetIds/securityGroupIds), so the function reaches Kafka and databases through endpoints that are reachable without one (TLS). Set the context to place it in a VPC, which private MSK brokers and databases need."})
	}
	if d.ReservedConcurrency == 0 {
		skips = append(skips, skip{"CKV_AWS_115", "Sink concurrency is bounded by the Kafka event source mapping (at most one concurrent invocation per partition and the provisioned pollers' maximum); set aws.lambda.reserved.concurrency to reserve more."})
	}
	suppress(cfn, skips...)
	// cfn-lint W3005 (DependsOn on the role is redundant with the GetAtt):
	// CDK adds the DependsOn on purpose, together with the one on the role's
	// default policy, so the function is only created once its permissions exist.
	cfn.AddMetadata(jsii.String("cfn-lint"), map[string]any{"config": map[string]any{"ignore_checks": []string{"W3005"}}})

	for _, t := range s.stateTables {
		// Not GrantReadWriteData: it would add Scan, batch and stream actions.
		t.Grant(p.role, *jsii.Strings(stateTableActions...)...)
	}
	for _, t := range s.fenceTables {
		t.Grant(p.role, jsii.String("dynamodb:ConditionCheckItem"))
	}
	if len(s.secretARNs) > 0 {
		p.role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String("ReadConnectorSecrets"),
			Actions:   jsii.Strings("secretsmanager:GetSecretValue"),
			Resources: jsii.Strings(s.secretARNs...),
		}))
	}
	return p, nil
}

// tableNameAllowance is what the three SLKC_*_TABLE variables may take of
// Lambda's 4 KB environment: names are CloudFormation generated, unknown at
// synth, and well below this (stack name + logical id + suffix).
const tableNameAllowance = 512

// checkEnvSize keeps the function's variables within Lambda's 4 KB limit
// (keys and values together), so a deploy does not fail late.
func checkEnvSize(c pipeline.Connector, refEnv map[string]string) error {
	n := len("SLKC_CONNECTOR_CONFIG") + len(c.Text) + tableNameAllowance
	if c.Worker != nil {
		n += len("SLKC_WORKER_CONFIG") + len(c.Worker.Text)
	}
	for k, v := range refEnv {
		n += len(k) + len(v)
	}
	if n > lambdaEnvLimit {
		return fmt.Errorf("connector %s (%s): environment would be about %d bytes (config %d bytes, worker file, ${env:...} values, table names); Lambda allows %d",
			c.Name, c.File, n, len(c.Text), lambdaEnvLimit)
	}
	return nil
}

// lambdaEnvLimit is Lambda's limit for all environment variables together.
const lambdaEnvLimit = 4096

// addVPCAccess replaces the AWSLambdaVPCAccessExecutionRole managed policy
// (also needed by a self-managed Kafka or MSK event source mapping, which
// creates its pollers' network interfaces in the VPC with the function's role).
func addVPCAccess(role awsiam.Role) {
	// Resource "*": ec2:Describe* do not support resource-level permissions, and
	// Lambda creates and deletes its Hyperplane network interfaces under names
	// and IDs unknown before deployment.
	role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid: jsii.String("LambdaVpcNetworkInterfaces"),
		Actions: jsii.Strings(
			"ec2:CreateNetworkInterface",
			"ec2:DescribeNetworkInterfaces",
			"ec2:DescribeSubnets",
			"ec2:DescribeSecurityGroups",
			"ec2:DescribeVpcs",
			"ec2:DeleteNetworkInterface",
			"ec2:AssignPrivateIpAddresses",
			"ec2:UnassignPrivateIpAddresses",
		),
		Resources: jsii.Strings("*"),
	}))
	if pol := role.Node().TryFindChild(jsii.String("DefaultPolicy")); pol != nil {
		suppress(pol.Node().DefaultChild(),
			skip{"CKV_AWS_111", "ec2 network interface actions for Lambda VPC access: ec2:Describe* have no resource-level permissions and ENI IDs are created by Lambda at run time."},
			skip{"CKV_AWS_356", "Same statement: ec2 network interface actions for Lambda VPC access cannot be scoped to ARNs known at deploy time."})
		suppressNag(pol.Node().DefaultChild(),
			nagRule{"AwsSolutions-IAM5[Resource::*]", "Only the LambdaVpcNetworkInterfaces statement has resource *: the ec2 network interface actions that Lambda VPC access and Kafka event source mappings in a VPC need (the AWSLambdaVPCAccessExecutionRole actions, without the managed policy). ec2:Describe* have no resource-level permissions and Lambda creates the interfaces at run time. Other statements are checked by the infra tests to name their resources."})
	}
}
