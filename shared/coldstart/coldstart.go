// Package coldstart is the start-up wiring every Lambda function of the
// project shares: reading the connector config from the function's
// environment, resolving its provider references, parsing it, and building
// the parts every connector's task uses (converters, transforms chain, AWS
// config, state stores, Kafka clients), plus the process entry point that
// turns an init failure into Lambda's Runtime.InitError.
//
// A function's main is one line, coldstart.Main("name", setup), where setup
// is a SetupFunc returning the function's App (handler and Close). Inside
// setup the call order is (each step needs the one before):
//
//	in, err := coldstart.Load(ctx, getenv, log) // config file, ${env:..}/${secretsmanager:..}, class
//	vals, err := in.Parse(connectorDef)          // framework + connector keys; sets in.Framework
//	err = in.Build(ctx)                          // converters, transforms, AWS config, state stores
//	cl, err := in.KafkaProducer(ctx, clientID)   // as many as needed; each closed by in.Close
//	in.OnClose(source.Close)                     // the connector the function builds itself
//
// with defer in.CloseOnError(&err) right after Load, so any error releases
// what was built before it.
package coldstart

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	awsddb "github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/serverless-kafka-connect/slkc/shared/config"
	"github.com/serverless-kafka-connect/slkc/shared/convert"
	"github.com/serverless-kafka-connect/slkc/shared/kafka"
	"github.com/serverless-kafka-connect/slkc/shared/state"
	"github.com/serverless-kafka-connect/slkc/shared/transform"
)

// Init is what a function builds at cold start before its own connector.
// Fields are filled step by step: Load sets File, Props, Kind and Class;
// Parse sets Framework; Build sets the rest. It is not safe for concurrent
// use; it is meant to live for the init phase, and its Close for the
// process.
type Init struct {
	// File is the connector definition as read (references unresolved).
	File *config.File
	// Props is File.Config with every config provider reference resolved.
	Props map[string]string
	// Kind and Class are the connector's kind and canonical class
	// (aliases such as the Confluent JDBC names resolved).
	Kind  config.Kind
	Class string
	// Framework is the typed framework config; set by Parse.
	Framework *config.Framework
	// KeyConverter and ValueConverter are key.converter and
	// value.converter; set by Build.
	KeyConverter, ValueConverter convert.Converter
	// HeaderConverter is header.converter; set by Build.
	HeaderConverter convert.HeaderConverter
	// Transforms is the transforms chain; set by Build. Its Len is 0 when
	// the connector has no transforms.
	Transforms transform.Chain
	// AWS is the default AWS config (AWS_REGION, AWS_ENDPOINT_URL_*, the
	// default credential chain); set by Build.
	AWS aws.Config
	// Stores are the DynamoDB state stores on the tables named by
	// SLKC_OFFSETS_TABLE, SLKC_LEASES_TABLE and SLKC_STATUS_TABLE; set by
	// Build. Building them makes no call.
	Stores Stores
	// Logger is the function's logger with the attribute connector=<name>
	// (also slog's default after Load); franz-go's warnings and errors go
	// to it. Set by Load.
	Logger *slog.Logger

	awsLoaded bool
	closers   []func()
}

// Stores are the three state stores, sharing one DynamoDB client.
type Stores struct {
	Offsets *state.OffsetStore
	Leases  *state.LeaseStore
	Status  *state.StatusStore
	// Target holds the control plane's pause/stop flag (status table).
	Target *state.TargetStore
}

// Load reads the connector config from getenv (SLKC_CONNECTOR_CONFIG, the
// JSON text, or SLKC_CONNECTOR_CONFIG_FILE, its path), resolves its
// ${env:...} and ${secretsmanager:...} references (Secrets Manager is only
// contacted when a value refers to it) and maps connector.class to its kind
// and canonical class. Errors after the file is read name the connector.
//
// Every log line must say which connector wrote it, so Load sets Logger to
// log (nil means slog.Default()) with the attribute connector=<config
// name> and makes that logger slog's default: connectors, the dead-letter
// reporter and franz-go log through it. Callers that add the connector
// attribute themselves (the tasks) keep using log.
func Load(ctx context.Context, getenv func(string) string, log *slog.Logger) (*Init, error) {
	if log == nil {
		log = slog.Default()
	}
	f, err := config.LoadFromEnv(getenv)
	if err != nil {
		return nil, err
	}
	named := log.With("connector", f.Name)
	slog.SetDefault(named)
	in := &Init{File: f, Logger: named}
	if in.Props, err = in.resolve(ctx); err != nil {
		return nil, in.Errorf("%w", err)
	}
	if in.Kind, in.Class, err = config.ConnectorKind(in.Props[config.KeyConnectorClass]); err != nil {
		return nil, in.Errorf("%w", err)
	}
	return in, nil
}

// resolve replaces config provider references in File.Config.
func (in *Init) resolve(ctx context.Context) (map[string]string, error) {
	var p config.Providers
	for _, v := range in.File.Config {
		if strings.Contains(v, "${"+config.ProviderSecretsManager+":") {
			cfg, err := in.awsConfig(ctx)
			if err != nil {
				return nil, fmt.Errorf("loading AWS config for Secrets Manager: %w", err)
			}
			p.Secrets = secretsmanager.NewFromConfig(cfg)
			break
		}
	}
	return config.Resolve(ctx, in.File.Config, p)
}

// awsConfig loads the default AWS config once.
func (in *Init) awsConfig(ctx context.Context) (aws.Config, error) {
	if in.awsLoaded {
		return in.AWS, nil
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		return aws.Config{}, err
	}
	in.AWS, in.awsLoaded = cfg, true
	return cfg, nil
}

// Errorf returns an error prefixed with the connector's name, as every
// init error after Load reads: connector "orders": ....
func (in *Init) Errorf(format string, args ...any) error {
	return fmt.Errorf("connector %q: "+format, append([]any{in.File.Name}, args...)...)
}

// Parse validates Props against the framework keys of the connector's kind
// merged with def (the connector's own keys; nil means none), so unknown
// keys are rejected, and sets Framework. It returns the values of the
// connector's own keys. Errors list every bad key.
func (in *Init) Parse(def *config.Def) (config.Values, error) {
	vals, fw, err := config.ParseConnector(in.Props, def)
	if err != nil {
		return config.Values{}, in.Errorf("invalid config: %w", err)
	}
	in.Framework = fw
	return vals, nil
}

// Build makes, in this order, the key, value and header converters, the
// transforms chain, the AWS config and the state stores; the first failure
// is returned, naming the config key at fault. Call it after Parse. It
// talks to no service.
func (in *Init) Build(ctx context.Context) error {
	if in.Framework == nil {
		return in.Errorf("coldstart: Build called before Parse")
	}
	fw := in.Framework
	var err error
	if in.KeyConverter, err = convert.New(fw.KeyConverter.Class, fw.KeyConverter.Props, true); err != nil {
		return in.Errorf("%s: %w", config.KeyKeyConverter, err)
	}
	if in.ValueConverter, err = convert.New(fw.ValueConverter.Class, fw.ValueConverter.Props, false); err != nil {
		return in.Errorf("%s: %w", config.KeyValueConverter, err)
	}
	if in.HeaderConverter, err = convert.NewHeader(fw.HeaderConverter.Class, fw.HeaderConverter.Props); err != nil {
		return in.Errorf("%s: %w", config.KeyHeaderConverter, err)
	}
	if len(fw.Transforms.Aliases) > 0 || len(fw.Transforms.Predicates) > 0 {
		if in.Transforms, err = transform.NewChain(fw.Transforms); err != nil {
			return in.Errorf("%s: %w", config.KeyTransforms, err)
		}
	}
	cfg, err := in.awsConfig(ctx)
	if err != nil {
		return in.Errorf("loading AWS config: %w", err)
	}
	ddb := awsddb.NewFromConfig(cfg)
	tables := state.TablesFromEnv()
	in.Stores = Stores{
		Offsets: state.NewOffsetStore(ddb, tables.Offsets),
		Leases:  state.NewLeaseStore(ddb, tables.Leases),
		Status:  state.NewStatusStore(ddb, tables.Status),
		Target:  state.NewTargetStore(ddb, tables.Status),
	}
	return nil
}

// KafkaProducer builds a producer (kafka.Producer: franz-go clients) from
// the framework's Kafka client and producer.override.* settings with
// client.id clientID, logging to Logger, and registers its Close with
// OnClose. Call it after Parse. The clients connect lazily; errors are
// bad settings (TLS files, SASL).
func (in *Init) KafkaProducer(ctx context.Context, clientID string) (*kafka.Producer, error) {
	if in.Framework == nil {
		return nil, in.Errorf("coldstart: KafkaProducer called before Parse")
	}
	fw := in.Framework
	p, err := kafka.NewProducer(ctx, kafka.Config{
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
		ClientID:         clientID,
	}, kgo.WithLogger(kgoLogger{in.Logger}))
	if err != nil {
		return nil, err
	}
	in.OnClose(p.Close)
	return p, nil
}

// OnClose registers f to run on Close. Closers run in reverse order of
// registration, so a client is closed before what it was built from.
func (in *Init) OnClose(f func()) { in.closers = append(in.closers, f) }

// Close runs the registered closers, last registered first, and forgets
// them, so a second Close does nothing. Functions call it on SIGTERM, and
// on an init error to release what was built so far.
func (in *Init) Close() {
	for i := len(in.closers) - 1; i >= 0; i-- {
		in.closers[i]()
	}
	in.closers = nil
}

// CloseOnError calls Close when *err is non-nil. Deferred right after Load
// in a setup with a named error result, it releases everything built so far
// whichever step fails:
//
//	defer in.CloseOnError(&err)
func (in *Init) CloseOnError(err *error) {
	if *err != nil {
		in.Close()
	}
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

// WorkerID names the running function for the status's worker_id: the
// Lambda function name when Lambda (or the local runner) sets it, else
// fallback.
func WorkerID(getenv func(string) string, fallback string) string {
	if fn := getenv("AWS_LAMBDA_FUNCTION_NAME"); fn != "" {
		return fn
	}
	return fallback
}
