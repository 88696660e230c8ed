package stack

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/serverless-kafka-connect/slkc/infra/pipeline"
)

// Connector metrics are the CloudWatch embedded metric format lines the
// functions write to stdout (shared/emf), which CloudWatch Logs turns into
// metrics without a metric filter or API call: namespace MetricsNamespace,
// one dimension MetricsDimension = the connector name.
//
// Sink (shared/sinktask, one line per invocation): MetricRecordsWritten,
// MetricRecordsDeadLettered, MetricRecordsFailed (records that will be
// delivered again), MetricBatchSize. Source (shared/sourcetask, one line per
// run): Pages, Records, Skipped, StoppedByDeadline, Failed, DurationMs.
const (
	MetricsNamespace          = "ServerlessKafkaConnect"
	MetricsDimension          = "Connector"
	MetricRecordsWritten      = "RecordsWritten"
	MetricRecordsDeadLettered = "RecordsDeadLettered"
	MetricRecordsFailed       = "RecordsFailed"
	MetricBatchSize           = "BatchSize"
	MetricSourceRecords       = "Records"
	MetricSourcePages         = "Pages"
	MetricSourceSkipped       = "Skipped"
	MetricStoppedByDeadline   = "StoppedByDeadline"
	MetricSourceFailed        = "Failed"
	MetricSourceDurationMs    = "DurationMs"
)

// DefaultLagThreshold is the OffsetLag (records) above which a sink's lag alarm fires.
const DefaultLagThreshold = 10000

// BacklogPeriods is how many consecutive periods every source run must have
// stopped at its time budget with rows left before the backlog alarm fires.
const BacklogPeriods = 3

var fiveMinutes = awscdk.Duration_Minutes(jsii.Number(5))

// connectorMetric is one of a connector's EMF metrics.
func connectorMetric(connector, name, statistic string, period awscdk.Duration) awscloudwatch.Metric {
	return awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
		Namespace:     jsii.String(MetricsNamespace),
		MetricName:    jsii.String(name),
		DimensionsMap: &map[string]*string{MetricsDimension: jsii.String(connector)},
		Statistic:     jsii.String(statistic),
		Period:        period,
	})
}

// monitoring builds a connector's alarms and dashboard widgets.
type monitoring struct {
	c       constructs.Construct
	name    string
	action  awscloudwatch.IAlarmAction
	alarms  []awscloudwatch.Alarm
	widgets []awscloudwatch.IWidget
}

// alarm adds an alarm on metric >= threshold for periods consecutive periods.
func (m *monitoring) alarm(id, what string, metric awscloudwatch.IMetric, threshold float64, periods int) {
	a := awscloudwatch.NewAlarm(m.c, jsii.String(id), &awscloudwatch.AlarmProps{
		Metric:             metric,
		Threshold:          jsii.Number(threshold),
		EvaluationPeriods:  jsii.Number(float64(periods)),
		DatapointsToAlarm:  jsii.Number(float64(periods)),
		ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
		// No data is no run or no batch: nothing failed.
		TreatMissingData: awscloudwatch.TreatMissingData_NOT_BREACHING,
		AlarmDescription: jsii.String("slkc connector " + m.name + ": " + what),
	})
	if m.action != nil {
		a.AddAlarmAction(m.action)
	}
	m.alarms = append(m.alarms, a)
}

func (m *monitoring) graph(title string, left, right []awscloudwatch.IMetric) {
	p := &awscloudwatch.GraphWidgetProps{Title: jsii.String(m.name + ": " + title), Left: &left, Width: jsii.Number(12)}
	if len(right) > 0 {
		p.Right = &right
	}
	m.widgets = append(m.widgets, awscloudwatch.NewGraphWidget(p))
}

// newMonitoring creates alarms on errors, throttles and the on-failure queue
// depth (queue may be nil: no on-failure destination), and the invocation
// and duration widgets.
func newMonitoring(c constructs.Construct, name string, fn awslambda.Function, queue awssqs.Queue, action awscloudwatch.IAlarmAction) *monitoring {
	m := &monitoring{c: c, name: name, action: action}
	sum := &awscloudwatch.MetricOptions{Period: fiveMinutes, Statistic: jsii.String("Sum")}
	errors := fn.MetricErrors(sum)
	throttles := fn.MetricThrottles(sum)
	m.alarm("ErrorsAlarm", "function errors", errors, 1, 1)
	m.alarm("ThrottlesAlarm", "function throttles", throttles, 1, 1)
	var right []awscloudwatch.IMetric
	if queue != nil {
		depth := queue.MetricApproximateNumberOfMessagesVisible(&awscloudwatch.MetricOptions{Period: fiveMinutes, Statistic: jsii.String("Maximum")})
		m.alarm("FailedEventsAlarm", "events in the on-failure queue (failed invocations or batches that were not processed)", depth, 1, 1)
		right = append(right, depth)
	}
	m.graph("invocations", []awscloudwatch.IMetric{fn.MetricInvocations(sum), errors, throttles}, right)
	m.graph("duration", []awscloudwatch.IMetric{
		fn.MetricDuration(&awscloudwatch.MetricOptions{Period: fiveMinutes, Statistic: jsii.String("p99")}),
		fn.MetricDuration(&awscloudwatch.MetricOptions{Period: fiveMinutes, Statistic: jsii.String("Maximum")}),
	}, nil)
	return m
}

// addSink adds a sink's alarms and widgets: OffsetLag (the mapping's
// consumer lag), RecordsFailed (records reported back for redelivery; with
// ReportBatchItemFailures these are not function errors, so nothing else
// shows them; with errors.tolerance=none a permanent error keeps it above
// zero for as long as the partition is stopped), and, when dlqTopic is set,
// RecordsDeadLettered.
func (m *monitoring) addSink(lag awscloudwatch.IMetric, lagThreshold float64, dlqTopic, tolerance string) {
	m.alarm("LagAlarm", "consumer offset lag (records not yet processed)", lag, lagThreshold, 1)
	written := connectorMetric(m.name, MetricRecordsWritten, "Sum", fiveMinutes)
	dead := connectorMetric(m.name, MetricRecordsDeadLettered, "Sum", fiveMinutes)
	failed := connectorMetric(m.name, MetricRecordsFailed, "Sum", fiveMinutes)
	what := "records that failed and will be delivered again (retryable errors, or the whole batch when the invocation failed)"
	if tolerance == pipeline.ToleranceNone {
		what += "; with errors.tolerance=none a permanent error stops its partition on the record (status FAILED with the trace) until the record is fixed"
	}
	m.alarm("FailedRecordsAlarm", what, failed, 1, 1)
	if dlqTopic != "" {
		m.alarm("DeadLetterAlarm", "records sent to dead letter topic "+dlqTopic, dead, 1, 1)
	}
	m.graph("records", []awscloudwatch.IMetric{written, dead, failed}, []awscloudwatch.IMetric{lag})
	m.graph("batch size", []awscloudwatch.IMetric{
		connectorMetric(m.name, MetricBatchSize, "Average", fiveMinutes),
		connectorMetric(m.name, MetricBatchSize, "Maximum", fiveMinutes),
	}, nil)
}

// addSource adds a source's backlog alarm and widgets. A run sets
// StoppedByDeadline when its time budget ended it before every partition was
// drained; when that holds for BacklogPeriods periods in a row (period: the
// schedule, at least five minutes) the table grows faster than it is read.
func (m *monitoring) addSource(scheduleMinutes int) {
	period := awscdk.Duration_Minutes(jsii.Number(float64(min(max(5, scheduleMinutes), 24*60/BacklogPeriods))))
	stopped := connectorMetric(m.name, MetricStoppedByDeadline, "Sum", period)
	m.alarm("BacklogAlarm", "every run stopped at its time budget with rows left (source falling behind)", stopped, 1, BacklogPeriods)
	m.graph("records", []awscloudwatch.IMetric{
		connectorMetric(m.name, MetricSourceRecords, "Sum", fiveMinutes),
		connectorMetric(m.name, MetricSourcePages, "Sum", fiveMinutes),
	}, []awscloudwatch.IMetric{connectorMetric(m.name, MetricSourceDurationMs, "Maximum", fiveMinutes)})
	m.graph("runs", []awscloudwatch.IMetric{
		connectorMetric(m.name, MetricStoppedByDeadline, "Sum", fiveMinutes),
		connectorMetric(m.name, MetricSourceSkipped, "Sum", fiveMinutes),
		connectorMetric(m.name, MetricSourceFailed, "Sum", fiveMinutes),
	}, nil)
}

// DashboardProps configures NewDashboard.
type DashboardProps struct {
	Name    string                  // dashboard name; empty lets CloudFormation choose
	Widgets []awscloudwatch.IWidget // laid out two per row; four per connector from SourceConnector/SinkConnector
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
