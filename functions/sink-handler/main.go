// Command sink-handler is the Lambda function of a sink connector: Lambda's
// Kafka event source mapping (MSK or self-managed Kafka) invokes it with a
// batch of records and it writes them to the connector's destination (any
// sink in the connectors registry: MySQL, DynamoDB), answering with the Kafka partial batch response.
//
// Wiring only: at init it reads the connector config from
// SLKC_CONNECTOR_CONFIG (the JSON text) or SLKC_CONNECTOR_CONFIG_FILE (its
// path), resolves ${env:...} and ${secretsmanager:...} references, parses
// and validates everything, and builds the destination, converters,
// transforms, dead-letter producer and status store once. Any problem makes
// the process exit before the runtime loop starts, so Lambda reports an init
// error naming it. The handler is sinktask.Task.Handle; it writes one
// CloudWatch embedded metric format line per batch to stdout.
package main

import (
	"context"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"

	"github.com/serverless-kafka-connect/slkc/connectors"
	_ "github.com/serverless-kafka-connect/slkc/connectors/all" // every connector's registration
	"github.com/serverless-kafka-connect/slkc/shared/coldstart"
	"github.com/serverless-kafka-connect/slkc/shared/config"
	"github.com/serverless-kafka-connect/slkc/shared/dlq"
	"github.com/serverless-kafka-connect/slkc/shared/sinktask"
)

func main() { coldstart.Main("sink-handler", setup) }

// app is everything built at init.
type app struct {
	task *sinktask.Task
	in   *coldstart.Init
}

// Handler is the Lambda handler.
// *sinktask.Task is a lambda.Handler: it decodes the raw payload with
// events.DecodeKafkaEvent instead of encoding/json's reflection.
func (a *app) Handler() any { return a.task }

// Close releases the clients; called on SIGTERM (and by tests).
func (a *app) Close() { a.in.Close() }

// setup builds the app from the environment. On error everything built so
// far is closed.
func setup(ctx context.Context, getenv func(string) string, log *slog.Logger) (_ *app, err error) {
	in, err := coldstart.Load(ctx, getenv, log)
	if err != nil {
		return nil, err
	}
	defer in.CloseOnError(&err)
	p, err := connectors.Lookup(in.Class)
	if err != nil {
		return nil, in.Errorf("%w", err)
	}
	if p.Kind != config.Sink {
		return nil, in.Errorf("%s=%q is a %s connector; sink-handler runs sink connectors (%s)",
			config.KeyConnectorClass, in.Props[config.KeyConnectorClass], p.Kind, strings.Join(connectors.ClassesOf(config.Sink), ", "))
	}
	vals, err := in.Parse(p.Def())
	if err != nil {
		return nil, err
	}
	if err := in.Build(ctx); err != nil {
		return nil, err
	}
	fw := in.Framework
	task := &sinktask.Task{
		Name:                    fw.Name,
		WorkerID:                coldstart.WorkerID(getenv, "sink-handler"),
		Topics:                  fw.Topics,
		Tolerance:               fw.Errors.Tolerance,
		ReportBatchItemFailures: fw.Lambda.ReportBatchItemFailures,
		EventRecordFormat:       fw.Lambda.EventRecordFormat,
		KeyConverter:            in.KeyConverter,
		ValueConverter:          in.ValueConverter,
		HeaderConverter:         in.HeaderConverter,
		HeaderConverterClass:    fw.HeaderConverter.Class,
		KeyConverterClass:       fw.KeyConverter.Class,
		ValueConverterClass:     fw.ValueConverter.Class,
		ConnectorClass:          in.Class,
		LogErrors:               fw.Errors.LogEnable,
		LogIncludeMessages:      fw.Errors.LogIncludeMessages,
		Logger:                  log,
		Metrics:                 os.Stdout,
		Status:                  in.Stores.Status,
	}
	if in.Transforms.Len() > 0 {
		task.Transforms = in.Transforms
		var types []string
		for _, alias := range fw.Transforms.Aliases {
			types = append(types, fw.Transforms.Props[alias]["type"])
		}
		task.TransformClass = strings.Join(types, ",")
	}

	dest, retry, err := p.NewSink(ctx, vals)
	if err != nil {
		return nil, in.Errorf("%w", err)
	}
	task.Destination = dest
	task.Retry = sinktask.Retry{MaxRetries: retry.MaxRetries, Backoff: retry.Backoff}
	task.Retry.Timeout = time.Duration(fw.Errors.RetryTimeoutMs) * time.Millisecond // -1: no limit
	task.Retry.DelayMax = time.Duration(fw.Errors.RetryDelayMaxMs) * time.Millisecond
	in.OnClose(func() { _ = task.Destination.Close() })

	if fw.Errors.DLQTopic != "" {
		rep, err := deadLetterQueue(ctx, in, in.Logger)
		if err != nil {
			return nil, in.Errorf("%s: %w", config.KeyDLQTopic, err)
		}
		task.DLQ = rep
	}
	if err := task.Validate(); err != nil {
		return nil, err
	}
	log.Info("sink-handler ready", "connector", task.Name, "class", in.Class)
	return &app{task: task, in: in}, nil
}

// deadLetterQueue builds the dead-letter producer and creates the topic when
// missing, as Kafka Connect does when a sink task starts. The producer is
// closed by in.Close.
func deadLetterQueue(ctx context.Context, in *coldstart.Init, log *slog.Logger) (*dlq.Reporter, error) {
	fw := in.Framework
	prod, err := in.KafkaProducer(ctx, "connector-dlq-producer-"+fw.Name+"-0")
	if err != nil {
		return nil, err
	}
	rep := &dlq.Reporter{Client: prod, Topic: fw.Errors.DLQTopic, Connector: fw.Name, ContextHeaders: fw.Errors.ContextHeaders, Logger: log}
	if err := rep.EnsureTopic(ctx, kadm.NewClient(prod.Client), fw.Errors.DLQReplicationFactor); err != nil {
		return nil, err
	}
	return rep, nil
}
