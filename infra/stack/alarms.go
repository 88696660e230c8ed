package stack

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// Dead-letter metric: a metric filter on a sink's log group counts the
// records of shared/dlq's "records sent to dead letter queue" lines, by topic.
const (
	DeadLetterNamespace  = "slkc"
	DeadLetterMetricName = "DeadLetterRecords"
	deadLetterLogMessage = "records sent to dead letter queue"
)

// DefaultLagThreshold is the OffsetLag (records) above which a sink's lag alarm fires.
const DefaultLagThreshold = 10000

var fiveMinutes = awscdk.Duration_Minutes(jsii.Number(5))

// monitoring builds a connector's alarms and dashboard widgets.
type monitoring struct {
	alarms  []awscloudwatch.Alarm
	widgets []awscloudwatch.IWidget
}

// newMonitoring creates alarms on errors, throttles and the on-failure queue
// depth, plus a lag alarm when lag is set (sinks: OffsetLag of the mapping).
func newMonitoring(c constructs.Construct, name string, fn awslambda.Function, queue awssqs.Queue,
	lag awscloudwatch.IMetric, lagThreshold float64, action awscloudwatch.IAlarmAction) *monitoring {
	m := &monitoring{}
	add := func(id, what string, metric awscloudwatch.IMetric, threshold float64) {
		a := awscloudwatch.NewAlarm(c, jsii.String(id), &awscloudwatch.AlarmProps{
			Metric:             metric,
			Threshold:          jsii.Number(threshold),
			EvaluationPeriods:  jsii.Number(1),
			ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
			TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
			AlarmDescription:   jsii.String("slkc connector " + name + ": " + what),
		})
		if action != nil {
			a.AddAlarmAction(action)
		}
		m.alarms = append(m.alarms, a)
	}
	sum := &awscloudwatch.MetricOptions{Period: fiveMinutes, Statistic: jsii.String("Sum")}
	errors := fn.MetricErrors(sum)
	throttles := fn.MetricThrottles(sum)
	depth := queue.MetricApproximateNumberOfMessagesVisible(&awscloudwatch.MetricOptions{Period: fiveMinutes, Statistic: jsii.String("Maximum")})
	add("ErrorsAlarm", "function errors", errors, 1)
	add("ThrottlesAlarm", "function throttles", throttles, 1)
	add("FailedEventsAlarm", "events in the on-failure queue (failed invocations or batches that were not processed)", depth, 1)
	right := []awscloudwatch.IMetric{depth}
	if lag != nil {
		add("LagAlarm", "consumer offset lag (records not yet processed)", lag, lagThreshold)
		right = append(right, lag)
	}
	m.widgets = []awscloudwatch.IWidget{
		awscloudwatch.NewGraphWidget(&awscloudwatch.GraphWidgetProps{
			Title: jsii.String(name + ": invocations"),
			Left: &[]awscloudwatch.IMetric{
				fn.MetricInvocations(sum), errors, throttles,
			},
			Right: &right,
			Width: jsii.Number(12),
		}),
		awscloudwatch.NewGraphWidget(&awscloudwatch.GraphWidgetProps{
			Title: jsii.String(name + ": duration"),
			Left: &[]awscloudwatch.IMetric{
				fn.MetricDuration(&awscloudwatch.MetricOptions{Period: fiveMinutes, Statistic: jsii.String("p99")}),
				fn.MetricDuration(&awscloudwatch.MetricOptions{Period: fiveMinutes, Statistic: jsii.String("Maximum")}),
			},
			Width: jsii.Number(12),
		}),
	}
	return m
}

// addDeadLetterAlarm counts dead-lettered records from the function's JSON
// log lines and alarms on any.
func (m *monitoring) addDeadLetterAlarm(c constructs.Construct, name string, logs awslogs.LogGroup, topic string, action awscloudwatch.IAlarmAction) {
	logs.AddMetricFilter(jsii.String("DeadLetterRecords"), &awslogs.MetricFilterOptions{
		FilterPattern:   awslogs.FilterPattern_StringValue(jsii.String("$.msg"), jsii.String("="), jsii.String(deadLetterLogMessage)),
		MetricNamespace: jsii.String(DeadLetterNamespace),
		MetricName:      jsii.String(DeadLetterMetricName),
		MetricValue:     jsii.String("$.records"),
		Dimensions:      &map[string]*string{"DeadLetterTopic": jsii.String("$.topic")},
	})
	metric := awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
		Namespace:     jsii.String(DeadLetterNamespace),
		MetricName:    jsii.String(DeadLetterMetricName),
		DimensionsMap: &map[string]*string{"DeadLetterTopic": jsii.String(topic)},
		Statistic:     jsii.String("Sum"),
		Period:        fiveMinutes,
	})
	a := awscloudwatch.NewAlarm(c, jsii.String("DeadLetterAlarm"), &awscloudwatch.AlarmProps{
		Metric:             metric,
		Threshold:          jsii.Number(1),
		EvaluationPeriods:  jsii.Number(1),
		ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
		TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
		AlarmDescription:   jsii.String("slkc connector " + name + ": records sent to dead letter topic " + topic),
	})
	if action != nil {
		a.AddAlarmAction(action)
	}
	m.alarms = append(m.alarms, a)
	m.widgets = append(m.widgets, awscloudwatch.NewGraphWidget(&awscloudwatch.GraphWidgetProps{
		Title: jsii.String(name + ": dead-lettered records"),
		Left:  &[]awscloudwatch.IMetric{metric},
		Width: jsii.Number(12),
	}))
}

// DashboardProps configures NewDashboard.
type DashboardProps struct {
	Name    string                  // dashboard name; empty lets CloudFormation choose
	Widgets []awscloudwatch.IWidget // rows of widgets, two per connector from SourceConnector/SinkConnector
}

// NewDashboard creates the pipeline's one CloudWatch dashboard.
func NewDashboard(scope constructs.Construct, id string, props *DashboardProps) (awscloudwatch.Dashboard, error) {
	p := &awscloudwatch.DashboardProps{}
	if props.Name != "" {
		p.DashboardName = jsii.String(props.Name)
	}
	d := awscloudwatch.NewDashboard(scope, jsii.String(id), p)
	for i := 0; i < len(props.Widgets); i += 2 {
		row := props.Widgets[i:min(i+2, len(props.Widgets))]
		d.AddWidgets(row...)
	}
	return d, nil
}
