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
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	awsddb "github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/serverless-kafka-connect/slkc/connectors/mysql"
	"github.com/serverless-kafka-connect/slkc/shared/config"
	"github.com/serverless-kafka-connect/slkc/shared/convert"
	"github.com/serverless-kafka-connect/slkc/shared/kafka"
	"github.com/serverless-kafka-connect/slkc/shared/sourcetask"
	"github.com/serverless-kafka-connect/slkc/shared/state"
	"github.com/serverless-kafka-connect/slkc/shared/transform"
)

// initTimeout bounds init work that talks to services (Secrets Manager);
// Lambda's init phase lasts at most 10 s.
const initTimeout = 8 * time.Second

func main() {
	log := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	slog.SetDefault(log)
	ctx, cancel := context.WithTimeout(context.Background(), initTimeout)
	a, err := setup(ctx, os.Getenv, log)
	cancel()
	if err != nil {
		log.Error("source-poller init failed", "error", err.Error())
		os.Exit(1)
	}
	log.Info("source-poller ready", "connector", a.task.Name, "class", a.class)
	lambda.StartWithOptions(a.handle, lambda.WithEnableSIGTERM(a.close))
}

// app is everything built at init.
type app struct {
	task    *sourcetask.Task
	class   string
	log     *slog.Logger
	closers []func()
}

// Response is the handler's answer: the run's summary.
type Response struct {
	Connector         string         `json:"connector"`
	RequestID         string         `json:"request_id"`
	Skipped           bool           `json:"skipped"`
	Pages             int            `json:"pages"`
	Records           int            `json:"records"`
	PerPartition      map[string]int `json:"per_partition,omitempty"`
	StoppedByDeadline bool           `json:"stopped_by_deadline"`
}

// handle runs one poll. The payload (an EventBridge scheduled event, or {}
// for a manual invoke) carries nothing the run needs; it is only checked to
// be JSON. An error fails the invocation: the status table already holds
// its class and message.
func (a *app) handle(ctx context.Context, payload json.RawMessage) (Response, error) {
	if len(payload) > 0 && !json.Valid(payload) {
		return Response{}, errors.New("source-poller: invocation payload is not JSON")
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
	res, err := a.task.Run(ctx, reqID)
	return Response{
		Connector: a.task.Name, RequestID: reqID, Skipped: res.Skipped, Pages: res.Pages, Records: res.Records,
		PerPartition: res.PerPartition, StoppedByDeadline: res.StoppedByDeadline,
	}, err
}

// close releases the clients; called on SIGTERM (and by tests).
func (a *app) close() {
	for i := len(a.closers) - 1; i >= 0; i-- {
		a.closers[i]()
	}
}

// setup builds the app from the environment. On error everything built so
// far is closed.
func setup(ctx context.Context, getenv func(string) string, log *slog.Logger) (_ *app, err error) {
	f, err := config.LoadFromEnv(getenv)
	if err != nil {
		return nil, err
	}
	props, err := resolve(ctx, f.Config)
	if err != nil {
		return nil, fmt.Errorf("connector %q: %w", f.Name, err)
	}
	kind, class, err := config.ConnectorKind(props[config.KeyConnectorClass])
	if err != nil {
		return nil, fmt.Errorf("connector %q: %w", f.Name, err)
	}
	if kind != config.Source || class != config.MySQLSourceClass {
		return nil, fmt.Errorf("connector %q: %s=%q is not a source connector; source-poller runs %s",
			f.Name, config.KeyConnectorClass, props[config.KeyConnectorClass], config.MySQLSourceClass)
	}
	vals, fw, err := config.ParseConnector(props, mysql.SourceConfigDef())
	if err != nil {
		return nil, fmt.Errorf("connector %q: invalid config: %w", f.Name, err)
	}
	srcCfg, err := mysql.SourceConfigFromValues(vals)
	if err != nil {
		return nil, fmt.Errorf("connector %q: invalid config: %w", f.Name, err)
	}

	a := &app{class: class, log: log}
	defer func() {
		if err != nil {
			a.close()
		}
	}()
	task := &sourcetask.Task{
		Name:           fw.Name,
		WorkerID:       workerID(getenv),
		Logger:         log,
		Metrics:        os.Stdout,
		DeadlineMargin: time.Duration(fw.Lambda.DeadlineMarginMs) * time.Millisecond,
	}
	if task.KeyConv, err = convert.New(fw.KeyConverter.Class, converterProps(fw.KeyConverter), true); err != nil {
		return nil, fmt.Errorf("connector %q: %s: %w", f.Name, config.KeyKeyConverter, err)
	}
	if task.ValueConv, err = convert.New(fw.ValueConverter.Class, converterProps(fw.ValueConverter), false); err != nil {
		return nil, fmt.Errorf("connector %q: %s: %w", f.Name, config.KeyValueConverter, err)
	}
	if len(fw.Transforms.Aliases) > 0 {
		chain, err := transform.NewChain(fw.Transforms.Aliases, fw.Transforms.Props)
		if err != nil {
			return nil, fmt.Errorf("connector %q: %s: %w", f.Name, config.KeyTransforms, err)
		}
		task.Transforms = chain
	}

	awsCfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("connector %q: loading AWS config: %w", f.Name, err)
	}
	ddb := awsddb.NewFromConfig(awsCfg)
	tables := state.TablesFromEnv()
	task.Offsets = state.NewOffsetStore(ddb, tables.Offsets)
	task.Leases = state.NewLeaseStore(ddb, tables.Leases)
	task.Status = state.NewStatusStore(ddb, tables.Status)

	src, err := mysql.OpenSource(srcCfg)
	if err != nil {
		return nil, fmt.Errorf("connector %q: %w", f.Name, err)
	}
	a.closers = append(a.closers, func() { _ = src.Close() })
	task.Source = src

	cl, err := kafka.NewClient(ctx, kafka.Config{
		Bootstrap:        fw.Kafka.Bootstrap,
		SecurityProtocol: fw.Kafka.SecurityProtocol,
		SASLMechanism:    fw.Kafka.SASLMechanism,
		Username:         fw.Kafka.Username,
		Password:         fw.Kafka.Password.Value(),
		CALocation:       fw.Kafka.CALocation,
		CertLocation:     fw.Kafka.CertLocation,
		KeyLocation:      fw.Kafka.KeyLocation,
		Compression:      fw.Producer.Compression,
		LingerMs:         int(fw.Producer.LingerMs),
		BatchBytes:       int(fw.Producer.BatchBytes),
		// Kafka Connect's name for a source task's producer.
		ClientID: "connector-producer-" + fw.Name + "-0",
	}, kgo.WithLogger(kgoLogger{log}))
	if err != nil {
		return nil, fmt.Errorf("connector %q: kafka producer: %w", f.Name, err)
	}
	a.closers = append(a.closers, cl.Close)
	task.Producer = cl
	if tc := fw.TopicCreation; tc.Enabled {
		adm := kadm.NewClient(cl)
		task.EnsureTopic = func(ctx context.Context, topic string) error {
			return kafka.EnsureTopics(ctx, adm, []string{topic}, tc.Partitions, tc.ReplicationFactor, tc.Configs)
		}
	}
	a.task = task
	return a, nil
}

// workerID names this function in the status (worker_id).
func workerID(getenv func(string) string) string {
	if fn := getenv("AWS_LAMBDA_FUNCTION_NAME"); fn != "" {
		return fn
	}
	return "source-poller"
}

// converterProps drops schemas.enable for converters other than
// JsonConverter: the config layer always fills it in (default true), and
// Kafka Connect's other converters ignore it while convert.New rejects it.
func converterProps(c config.Converter) map[string]string {
	if c.Class == convert.JSONConverterClass {
		return c.Props
	}
	out := make(map[string]string, len(c.Props))
	for k, v := range c.Props {
		if k != "schemas.enable" {
			out[k] = v
		}
	}
	return out
}

// resolve replaces config provider references; Secrets Manager is only
// contacted when a value refers to it.
func resolve(ctx context.Context, props map[string]string) (map[string]string, error) {
	var p config.Providers
	for _, v := range props {
		if strings.Contains(v, "${"+config.ProviderSecretsManager+":") {
			awsCfg, err := awsconfig.LoadDefaultConfig(ctx)
			if err != nil {
				return nil, fmt.Errorf("loading AWS config for Secrets Manager: %w", err)
			}
			p.Secrets = secretsmanager.NewFromConfig(awsCfg)
			break
		}
	}
	return config.Resolve(ctx, props, p)
}

// kgoLogger forwards franz-go's warnings and errors to slog.
type kgoLogger struct{ l *slog.Logger }

func (k kgoLogger) Level() kgo.LogLevel { return kgo.LogLevelWarn }

func (k kgoLogger) Log(level kgo.LogLevel, msg string, keyvals ...any) {
	lvl := slog.LevelWarn
	if level == kgo.LogLevelError {
		lvl = slog.LevelError
	}
	k.l.Log(context.Background(), lvl, "kafka: "+msg, keyvals...)
}
