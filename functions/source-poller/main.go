// Command source-poller is the Lambda function of a source connector: an
// EventBridge schedule (poll.interval.ms) invokes it, and each invocation
// runs one sourcetask.Task.Run — take the connector's lease, read bounded
// pages from the source, produce them to Kafka, commit offsets after the
// acknowledgements, stop before the deadline.
//
// Wiring only: at init it reads the connector config from
// SLKC_CONNECTOR_CONFIG (the JSON text) or SLKC_CONNECTOR_CONFIG_FILE (its
// path), resolves ${env:...} and ${secretsmanager:...} references, parses
// and validates everything, and builds the source, converters, transforms,
// Kafka producer and state stores once. Any problem makes the process exit
// before the runtime loop starts, so Lambda reports Runtime.InitError naming
// it. The handler accepts the scheduled event or any JSON (a manual invoke
// with {}), and answers with the run's summary.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/twmb/franz-go/pkg/kadm"

	"github.com/serverless-kafka-connect/slkc/connectors"
	_ "github.com/serverless-kafka-connect/slkc/connectors/all" // every connector's registration
	"github.com/serverless-kafka-connect/slkc/events"
	"github.com/serverless-kafka-connect/slkc/shared/coldstart"
	"github.com/serverless-kafka-connect/slkc/shared/config"
	"github.com/serverless-kafka-connect/slkc/shared/kafka"
	"github.com/serverless-kafka-connect/slkc/shared/sourcetask"
)

func main() { coldstart.Main("source-poller", setup) }

// app is everything built at init.
type app struct {
	task *sourcetask.Task
	loop pollLoop
	in   *coldstart.Init
}

// Handler is the Lambda handler.
func (a *app) Handler() any { return a.handle }

// Close releases the clients; called on SIGTERM (and by tests).
func (a *app) Close() { a.in.Close() }

// Response is the handler's answer: the run's summary.
type Response struct {
	Connector         string         `json:"connector"`
	Task              int            `json:"task"`
	RequestID         string         `json:"request_id"`
	Skipped           bool           `json:"skipped"`
	Pages             int            `json:"pages"`
	Records           int            `json:"records"`
	PerPartition      map[string]int `json:"per_partition,omitempty"`
	StoppedByDeadline bool           `json:"stopped_by_deadline"`
	// Superseded is true when another run took the lease over and this
	// one stopped at its refused offset write (the error says so too).
	Superseded bool `json:"superseded,omitempty"`
	// Runs counts the polls of this invocation (more than one only with
	// SLKC_POLL_LOOP_MS set).
	Runs int `json:"runs"`
}

// handle runs one poll of one task. The payload is the task's schedule
// input ({"task_id": N}, events.SourceTaskInput), or an EventBridge
// scheduled event or {} for task 0. An error fails the invocation: the
// status table already holds its class and message.
func (a *app) handle(ctx context.Context, payload json.RawMessage) (Response, error) {
	var in events.SourceTaskInput
	if len(payload) > 0 {
		if err := json.Unmarshal(payload, &in); err != nil {
			return Response{}, fmt.Errorf("source-poller: invocation payload is not JSON with an optional integer task_id: %w", err)
		}
	}
	reqID := ""
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		reqID = lc.AwsRequestID
	}
	if reqID == "" {
		// Outside Lambda (tests, ad-hoc runs) still give the lease a
		// unique owner.
		reqID = fmt.Sprintf("local-%d", time.Now().UnixNano())
	}
	res, err := a.loop.run(ctx, taskRunner{a.task, in.TaskID}, reqID)
	return Response{
		Connector: a.task.Name, Task: in.TaskID, RequestID: reqID, Skipped: res.Skipped, Pages: res.Pages, Records: res.Records,
		PerPartition: res.PerPartition, StoppedByDeadline: res.StoppedByDeadline, Superseded: res.Superseded, Runs: res.Runs,
	}, err
}

// setup builds the app from the environment. On error everything built so
// far is closed.
func setup(ctx context.Context, getenv func(string) string, log *slog.Logger) (_ *app, err error) {
	in, err := coldstart.Load(ctx, getenv, log)
	if err != nil {
		return nil, err
	}
	defer in.CloseOnError(&err)
	open, err := parseSource(in, log)
	if err != nil {
		return nil, err
	}
	if err := in.Build(ctx); err != nil {
		return nil, err
	}
	fw := in.Framework
	task := &sourcetask.Task{
		Name:           fw.Name,
		WorkerID:       coldstart.WorkerID(getenv, "source-poller"),
		Logger:         log,
		Metrics:        os.Stdout,
		DeadlineMargin: time.Duration(fw.Lambda.DeadlineMarginMs) * time.Millisecond,
		KeyConv:        in.KeyConverter,
		ValueConv:      in.ValueConverter,
		Offsets:        in.Stores.Offsets,
		Leases:         in.Stores.Leases,
		Status:         in.Stores.Status,
		ToleranceAll:   fw.Errors.Tolerance == config.ToleranceAll,
		LogErrors:      fw.Errors.LogEnable,
		Target:         in.Stores.Target,
		TasksMax:       fw.TasksMax,
	}
	if in.Transforms.Len() > 0 {
		task.Transforms = in.Transforms
	}

	src, err := open()
	if err != nil {
		return nil, in.Errorf("%w", err)
	}
	in.OnClose(func() { _ = src.Close() })
	task.Source = src

	// Kafka Connect's name for a source task's producer.
	prod, err := in.KafkaProducer(ctx, "connector-producer-"+fw.Name+"-0")
	if err != nil {
		return nil, in.Errorf("kafka producer: %w", err)
	}
	task.Producer = prod
	if tc := fw.TopicCreation; tc.Enabled {
		adm := kadm.NewClient(prod.Client)
		task.EnsureTopic = func(ctx context.Context, topic string) error {
			return kafka.EnsureTopics(ctx, adm, []string{topic}, tc.Partitions, tc.ReplicationFactor, tc.Configs)
		}
	}
	loop := pollLoop{
		Interval: time.Duration(fw.PollIntervalMs) * time.Millisecond,
		Margin:   task.DeadlineMargin,
	}
	if v := getenv(PollLoopEnv); v != "" {
		ms, perr := strconv.ParseInt(v, 10, 64)
		if perr != nil || ms < 0 {
			return nil, in.Errorf("%s=%q: want a number of milliseconds >= 0", PollLoopEnv, v)
		}
		loop.Window = time.Duration(ms) * time.Millisecond
	}
	log.Info("source-poller ready", "connector", task.Name, "class", in.Class, "poll_loop_ms", loop.Window.Milliseconds())
	return &app{task: task, loop: loop, in: in}, nil
}

// parseSource looks the connector's class up in the connectors registry,
// parses its keys with the connector's definitions and returns the opener
// of the source, called after Build.
func parseSource(in *coldstart.Init, log *slog.Logger) (func() (connectors.Source, error), error) {
	p, err := connectors.Lookup(in.Class)
	if err != nil {
		return nil, in.Errorf("%w", err)
	}
	if p.Kind != config.Source {
		return nil, in.Errorf("%s=%q is not a source connector; source-poller runs %s",
			config.KeyConnectorClass, in.Props[config.KeyConnectorClass], strings.Join(connectors.ClassesOf(config.Source), ", "))
	}
	vals, err := in.Parse(p.Def())
	if err != nil {
		return nil, err
	}
	if err := p.CheckTasks(in.Framework.TasksMax); err != nil {
		return nil, in.Errorf("%w", err)
	}
	open, err := p.NewSource(vals, log)
	if err != nil {
		return nil, in.Errorf("invalid config: %w", err)
	}
	return open, nil
}
