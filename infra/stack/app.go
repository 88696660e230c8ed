package stack

import (
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/serverless-kafka-connect/slkc/infra/pipeline"
)

// PipelineStackProps configures NewPipelineStack; Settings come from context
// (see SettingsFromContext).
type PipelineStackProps struct {
	StackProps awscdk.StackProps
	Settings   Settings
	// Connectors are the parsed connector files (pipeline.Load).
	Connectors []pipeline.Connector
}

// Pipeline is the stack of one stage with everything it holds.
type Pipeline struct {
	Stack     awscdk.Stack
	Tables    *StateTables
	Sources   []*SourceConnector
	Sinks     []*SinkConnector
	Dashboard awscloudwatch.Dashboard
	// Control serves the Kafka Connect REST API over the connectors.
	Control *ControlAPI
}

// NewPipelineStack creates one stack for a stage: the state tables, a
// SourceConnector or SinkConnector per connector file, and one dashboard.
// All connector problems (missing secret ARNs, bad Kafka settings, missing
// bootstrap, ${env:...} references without a functionEnv value or in a
// password key) are reported together. A functionEnv variable that no config
// references is a synth warning.
func NewPipelineStack(scope constructs.Construct, id string, props *PipelineStackProps) (*Pipeline, error) {
	st := props.Settings
	if len(props.Connectors) == 0 {
		return nil, fmt.Errorf("pipeline stack %s: no connectors", id)
	}
	if err := st.Kafka.Validate(); err != nil {
		return nil, fmt.Errorf("pipeline stack %s: %w", id, err)
	}
	sp := props.StackProps
	if sp.Description == nil {
		sp.Description = jsii.String("serverless Kafka Connect pipeline, stage " + st.Stage)
	}
	stack := awscdk.NewStack(scope, jsii.String(id), &sp)
	awscdk.Tags_Of(stack).Add(jsii.String("slkc:stage"), jsii.String(st.Stage), nil)
	p := &Pipeline{Stack: stack}
	tables, err := NewStateTables(stack, "State", nil)
	if err != nil {
		return nil, err
	}
	p.Tables = tables
	var action awscloudwatch.IAlarmAction
	if st.AlarmTopicARN != "" {
		action = awscloudwatchactions.NewSnsAction(awssns.Topic_FromTopicArn(stack, jsii.String("AlarmTopic"), jsii.String(st.AlarmTopicARN)))
	}
	var (
		errs    []error
		widgets []awscloudwatch.IWidget
		// for the control API: connectors by name, the Kafka secrets of the
		// first sink (whose Kafka settings the API uses)
		sources      = map[string]*SourceConnector{}
		sinks        = map[string]*SinkConnector{}
		kafkaSecrets []string
	)
	for _, c := range props.Connectors {
		secrets, err := pipeline.ResolveSecretARNs(c.SecretRefs(), st.SecretARNs)
		if err != nil {
			errs = append(errs, fmt.Errorf("connector %s (%s): %w", c.Name, c.File, err))
			continue
		}
		cid := constructID(c.Name)
		switch c.Kind {
		case pipeline.KindSource:
			s, err := NewSourceConnector(stack, cid, &SourceConnectorProps{
				Connector: c, AssetPath: filepath.Join(st.BuildDir, "source-poller"), Tables: tables,
				Kafka: &st.Kafka, Network: st.Network, SecretARNs: secrets,
				LogRetention: st.LogRetention, AlarmAction: action, FunctionEnv: st.FunctionEnv,
			})
			if err != nil {
				errs = append(errs, err)
				continue
			}
			awscdk.Tags_Of(s.Construct).Add(jsii.String("slkc:connector"), jsii.String(c.Name), nil)
			p.Sources = append(p.Sources, s)
			sources[c.Name] = s
			widgets = append(widgets, s.Widgets...)
		case pipeline.KindSink:
			s, err := NewSinkConnector(stack, cid, &SinkConnectorProps{
				Connector: c, AssetPath: filepath.Join(st.BuildDir, "sink-handler"), Tables: tables,
				Kafka: st.Kafka, Network: st.Network, SecretARNs: secrets,
				LogRetention: st.LogRetention, AlarmAction: action,
				MinimumPollers: st.MinimumPollers, MaximumPollers: st.MaximumPollers,
				FunctionEnv: st.FunctionEnv,
			})
			if err != nil {
				errs = append(errs, err)
				continue
			}
			awscdk.Tags_Of(s.Construct).Add(jsii.String("slkc:connector"), jsii.String(c.Name), nil)
			p.Sinks = append(p.Sinks, s)
			sinks[c.Name] = s
			if len(sinks) == 1 {
				kafkaSecrets, _ = pipeline.ResolveSecretARNs(kafkaSecretRefs(c), st.SecretARNs)
			}
			widgets = append(widgets, s.Widgets...)
		}
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("pipeline stack %s: %w", id, errors.Join(errs...))
	}
	ctl, err := NewControlAPI(stack, "Control", &ControlAPIProps{
		AssetPath: filepath.Join(st.BuildDir, "control-api"), Tables: tables, Sources: sources, Sinks: sinks,
		Kafka: st.Kafka, Network: st.Network, SecretARNs: kafkaSecrets, LogRetention: st.LogRetention,
	})
	if err != nil {
		return nil, fmt.Errorf("pipeline stack %s: %w", id, err)
	}
	p.Control = ctl
	warnUnusedEnv(stack, st.FunctionEnv, props.Connectors)
	p.Dashboard, _ = NewDashboard(stack, "Dashboard", &DashboardProps{Widgets: widgets})
	return p, nil
}

// kafkaSecretRefs are the secrets a sink's Kafka client settings refer to
// (a SASL password); the control API reads them to reach the cluster.
func kafkaSecretRefs(c pipeline.Connector) []pipeline.SecretRef {
	k := c
	k.Config = map[string]string{}
	for _, key := range []string{"bootstrap.servers", "security.protocol", "sasl.mechanism", "sasl.username", "sasl.password"} {
		if v, ok := c.Config[key]; ok {
			k.Config[key] = v
		}
	}
	return k.SecretRefs()
}

// warnUnusedEnv adds a synth warning for each functionEnv variable that no
// config references (a typo, or a connector that was removed): such a value
// is set on no function.
func warnUnusedEnv(stack awscdk.Stack, values map[string]string, conns []pipeline.Connector) {
	used := map[string]bool{}
	for _, c := range conns {
		for _, r := range c.EnvRefs() {
			used[r.Var] = true
		}
	}
	names := make([]string, 0, len(values))
	for k := range values {
		if !used[k] {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	for _, k := range names {
		awscdk.Annotations_Of(stack).AddWarningV2(jsii.String("slkc:unused-function-env-"+k),
			jsii.String("context functionEnv: "+k+" is not referenced by any connector config (${env:"+k+"}); it is set on no function"))
	}
}

// constructID makes a connector name usable as a construct id ('/' is the
// path separator).
func constructID(name string) string { return strings.ReplaceAll(name, "/", "-") }

var retentionByDays = map[int]awslogs.RetentionDays{
	1: awslogs.RetentionDays_ONE_DAY, 3: awslogs.RetentionDays_THREE_DAYS, 5: awslogs.RetentionDays_FIVE_DAYS,
	7: awslogs.RetentionDays_ONE_WEEK, 14: awslogs.RetentionDays_TWO_WEEKS, 30: awslogs.RetentionDays_ONE_MONTH,
	60: awslogs.RetentionDays_TWO_MONTHS, 90: awslogs.RetentionDays_THREE_MONTHS, 120: awslogs.RetentionDays_FOUR_MONTHS,
	150: awslogs.RetentionDays_FIVE_MONTHS, 180: awslogs.RetentionDays_SIX_MONTHS, 365: awslogs.RetentionDays_ONE_YEAR,
	400: awslogs.RetentionDays_THIRTEEN_MONTHS, 545: awslogs.RetentionDays_EIGHTEEN_MONTHS, 731: awslogs.RetentionDays_TWO_YEARS,
	1096: awslogs.RetentionDays_THREE_YEARS, 1827: awslogs.RetentionDays_FIVE_YEARS, 2192: awslogs.RetentionDays_SIX_YEARS,
	2557: awslogs.RetentionDays_SEVEN_YEARS, 2922: awslogs.RetentionDays_EIGHT_YEARS, 3288: awslogs.RetentionDays_NINE_YEARS,
	3653: awslogs.RetentionDays_TEN_YEARS,
}

// LogRetentionDays maps a day count to a CloudWatch Logs retention value; 0 = DefaultLogRetention.
func LogRetentionDays(days int) (awslogs.RetentionDays, error) {
	if days == 0 {
		return DefaultLogRetention, nil
	}
	if r, ok := retentionByDays[days]; ok {
		return r, nil
	}
	return "", fmt.Errorf("log retention %d days is not a CloudWatch Logs value (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653)", days)
}
