// Command sink-handler is the Lambda function of a sink connector: Lambda's
// Kafka event source mapping (MSK or self-managed Kafka) invokes it with a
// batch of records and it writes them to the connector's destination
// (MySQL or DynamoDB), answering with the Kafka partial batch response.
//
// Wiring only: at init it reads the connector config from
// SLKC_CONNECTOR_CONFIG (the JSON text) or SLKC_CONNECTOR_CONFIG_FILE (its
// path), resolves ${env:...} and ${secretsmanager:...} references, parses
// and validates everything, and builds the destination, converters,
// transforms, dead-letter producer and status store once. Any problem makes
// the process exit before the runtime loop starts, so Lambda reports an init
// error naming it. The handler is sinktask.Task.Handle.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	awsddb "github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/serverless-kafka-connect/slkc/connectors"
	"github.com/serverless-kafka-connect/slkc/connectors/dynamodb"
	"github.com/serverless-kafka-connect/slkc/connectors/mysql"
	"github.com/serverless-kafka-connect/slkc/shared/config"
	"github.com/serverless-kafka-connect/slkc/shared/convert"
	"github.com/serverless-kafka-connect/slkc/shared/dlq"
	"github.com/serverless-kafka-connect/slkc/shared/kafka"
	"github.com/serverless-kafka-connect/slkc/shared/sinktask"
	"github.com/serverless-kafka-connect/slkc/shared/state"
	"github.com/serverless-kafka-connect/slkc/shared/transform"
)

// initTimeout bounds init work that talks to services (Secrets Manager,
// dead-letter topic creation); Lambda's init phase lasts at most 10 s.
const initTimeout = 8 * time.Second

func main() {
	log := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	slog.SetDefault(log)
	ctx, cancel := context.WithTimeout(context.Background(), initTimeout)
	app, err := setup(ctx, os.Getenv, log)
	cancel()
	if err != nil {
		log.Error("sink-handler init failed", "error", err.Error())
		os.Exit(1)
	}
	log.Info("sink-handler ready", "connector", app.task.Name, "class", app.class)
	lambda.StartWithOptions(app.task.Handle, lambda.WithEnableSIGTERM(app.close))
}

// app is everything built at init.
type app struct {
	task    *sinktask.Task
	class   string
	closers []func()
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
	if kind != config.Sink {
		return nil, fmt.Errorf("connector %q: %s=%q is a %s connector; sink-handler runs sink connectors (%s, %s)",
			f.Name, config.KeyConnectorClass, props[config.KeyConnectorClass], kind, config.MySQLSinkClass, config.DynamoDBSinkClass)
	}
	var ownKeys []string
	switch class {
	case config.MySQLSinkClass:
		ownKeys = mysql.SinkKeys
	case config.DynamoDBSinkClass:
		ownKeys = dynamodb.Keys
	default:
		return nil, fmt.Errorf("connector %q: %s=%q has no sink implementation", f.Name, config.KeyConnectorClass, class)
	}
	_, fw, err := config.ParseConnector(props, connectorDef(ownKeys))
	if err != nil {
		return nil, fmt.Errorf("connector %q: invalid config: %w", f.Name, err)
	}

	a := &app{class: class}
	defer func() {
		if err != nil {
			a.close()
		}
	}()
	task := &sinktask.Task{
		Name:                    fw.Name,
		Tolerance:               fw.Errors.Tolerance,
		ReportBatchItemFailures: fw.Lambda.ReportBatchItemFailures,
		KeyConverterClass:       fw.KeyConverter.Class,
		ValueConverterClass:     fw.ValueConverter.Class,
		ConnectorClass:          class,
		LogErrors:               fw.Errors.LogEnable,
		LogIncludeMessages:      fw.Errors.LogIncludeMessages,
		Logger:                  log,
	}
	if task.KeyConverter, err = convert.New(fw.KeyConverter.Class, fw.KeyConverter.Props, true); err != nil {
		return nil, fmt.Errorf("connector %q: %s: %w", f.Name, config.KeyKeyConverter, err)
	}
	if task.ValueConverter, err = convert.New(fw.ValueConverter.Class, fw.ValueConverter.Props, false); err != nil {
		return nil, fmt.Errorf("connector %q: %s: %w", f.Name, config.KeyValueConverter, err)
	}
	if len(fw.Transforms.Aliases) > 0 {
		chain, err := transform.NewChain(fw.Transforms.Aliases, fw.Transforms.Props)
		if err != nil {
			return nil, fmt.Errorf("connector %q: %s: %w", f.Name, config.KeyTransforms, err)
		}
		task.Transforms = chain
		var types []string
		for _, alias := range fw.Transforms.Aliases {
			types = append(types, fw.Transforms.Props[alias]["type"])
		}
		task.TransformClass = strings.Join(types, ",")
	}

	awsCfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("connector %q: loading AWS config: %w", f.Name, err)
	}
	task.Status = state.NewStatusStore(awsddb.NewFromConfig(awsCfg), state.TablesFromEnv().Status)

	if task.Destination, err = destination(ctx, class, props); err != nil {
		return nil, fmt.Errorf("connector %q: %w", f.Name, err)
	}
	a.closers = append(a.closers, func() { _ = task.Destination.Close() })

	if fw.Errors.DLQTopic != "" {
		rep, closeDLQ, err := deadLetterQueue(ctx, fw, log)
		if err != nil {
			return nil, fmt.Errorf("connector %q: %w", f.Name, err)
		}
		a.closers = append(a.closers, closeDLQ)
		task.DLQ = rep
	}
	if err := task.Validate(); err != nil {
		return nil, err
	}
	a.task = task
	return a, nil
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

// connectorDef defines a sink's own keys (as text; the connector's parser
// validates them) on top of the framework keys, so unknown keys are
// rejected. Keys the framework already defines (topics) keep its
// definition.
func connectorDef(keys []string) *config.Def {
	fw := config.FrameworkDef(config.Sink)
	d := config.NewDef()
	for _, k := range keys {
		if _, ok := fw.Key(k); ok {
			continue
		}
		typ := config.String
		if strings.Contains(k, "password") {
			typ = config.Password
		}
		d.Define(config.Key{Name: k, Type: typ})
	}
	return d
}

func destination(ctx context.Context, class string, props map[string]string) (connectors.Destination, error) {
	switch class {
	case config.MySQLSinkClass:
		cfg, err := mysql.ParseSinkConfig(props)
		if err != nil {
			return nil, fmt.Errorf("invalid MySQL sink config: %w", err)
		}
		return mysql.OpenSink(cfg)
	case config.DynamoDBSinkClass:
		cfg, err := dynamodb.ParseConfig(props)
		if err != nil {
			return nil, fmt.Errorf("invalid DynamoDB sink config: %w", err)
		}
		cl, err := dynamodb.NewClient(ctx, cfg)
		if err != nil {
			return nil, err
		}
		return dynamodb.NewSink(cfg, cl)
	}
	return nil, fmt.Errorf("no sink for connector class %q", class)
}

// deadLetterQueue builds the dead-letter producer and creates the topic when
// missing, as Kafka Connect does when a sink task starts.
func deadLetterQueue(ctx context.Context, fw *config.Framework, log *slog.Logger) (*dlq.Reporter, func(), error) {
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
		ClientID:         "connector-dlq-producer-" + fw.Name + "-0",
	}, kgo.WithLogger(kgoLogger{log}))
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", config.KeyDLQTopic, err)
	}
	rep := &dlq.Reporter{Client: cl, Topic: fw.Errors.DLQTopic, Connector: fw.Name, ContextHeaders: fw.Errors.ContextHeaders, Logger: log}
	if err := rep.EnsureTopic(ctx, kadm.NewClient(cl), fw.Errors.DLQReplicationFactor); err != nil {
		cl.Close()
		return nil, nil, fmt.Errorf("%s: %w", config.KeyDLQTopic, err)
	}
	return rep, cl.Close, nil
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
