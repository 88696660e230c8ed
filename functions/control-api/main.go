// Command control-api is the Lambda function that serves the Kafka Connect
// REST API (shared/connectapi) over the deployed connectors, behind a
// function URL with AWS_IAM auth: every request is SigV4-signed by an IAM
// principal allowed lambda:InvokeFunctionUrl, and that principal's ARN is
// recorded with every state change.
//
// Wiring only. At init it reads SLKC_CONTROL_CONNECTORS, a JSON array
// [{"name":..., "function":..., "mappings":[{"uuid","topic","group"}]}]
// written by the CDK app (a sink's event source mappings, one per topic), reads each connector's
// config from its function's SLKC_CONNECTOR_CONFIG (GetFunctionConfiguration),
// builds the state stores on SLKC_*_TABLE, and a Kafka admin client from
// the first sink's Kafka settings (bootstrap.servers, security.protocol,
// sasl.*, ssl.*; ${env:...} resolved from that sink's function environment,
// ${secretsmanager:...} from Secrets Manager) for consumer-group offsets.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	_ "github.com/serverless-kafka-connect/slkc/connectors/all" // every connector's registration
	"github.com/serverless-kafka-connect/slkc/shared/coldstart"
	"github.com/serverless-kafka-connect/slkc/shared/config"
	"github.com/serverless-kafka-connect/slkc/shared/connectapi"
	"github.com/serverless-kafka-connect/slkc/shared/kafka"
	"github.com/serverless-kafka-connect/slkc/shared/state"
)

// EnvConnectors names the variable listing the connectors.
const EnvConnectors = "SLKC_CONTROL_CONNECTORS"

func main() { coldstart.Main("control-api", setup) }

// entry is one element of SLKC_CONTROL_CONNECTORS.
type entry struct {
	Name     string `json:"name"`
	Function string `json:"function"`
	// Mappings are a sink's event source mappings, one per topic.
	Mappings []mapping `json:"mappings,omitempty"`
}

// mapping is one Kafka event source mapping of a sink.
type mapping struct {
	UUID  string `json:"uuid"`
	Topic string `json:"topic"`
	Group string `json:"group"`
}

type app struct {
	handler any
	kafka   *kgo.Client
}

func (a *app) Handler() any { return a.handler }

func (a *app) Close() {
	if a.kafka != nil {
		a.kafka.Close()
	}
}

// parseEntries decodes SLKC_CONTROL_CONNECTORS; every problem is reported.
func parseEntries(raw string) ([]entry, error) {
	if strings.TrimSpace(raw) == "" {
		return nil, fmt.Errorf("%s is not set", EnvConnectors)
	}
	var es []entry
	if err := json.Unmarshal([]byte(raw), &es); err != nil {
		return nil, fmt.Errorf("%s: want a JSON array of {\"name\",\"function\",\"mappings\":[{\"uuid\",\"topic\",\"group\"}]}: %w", EnvConnectors, err)
	}
	var errs []error
	seen := map[string]bool{}
	for i, e := range es {
		if e.Name == "" || e.Function == "" {
			errs = append(errs, fmt.Errorf("%s[%d]: name and function are required", EnvConnectors, i))
		}
		if seen[e.Name] {
			errs = append(errs, fmt.Errorf("%s[%d]: connector %q listed twice", EnvConnectors, i, e.Name))
		}
		seen[e.Name] = true
		for j, m := range e.Mappings {
			if m.UUID == "" || m.Topic == "" || m.Group == "" {
				errs = append(errs, fmt.Errorf("%s[%d].mappings[%d]: uuid, topic and group are required", EnvConnectors, i, j))
			}
		}
	}
	return es, errors.Join(errs...)
}

func setup(ctx context.Context, getenv func(string) string, log *slog.Logger) (*app, error) {
	entries, err := parseEntries(getenv(EnvConnectors))
	if err != nil {
		return nil, err
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("control-api: AWS config: %w", err)
	}
	lc := lambda.NewFromConfig(cfg)
	conns := map[string]connectapi.Connector{}
	uuids := map[string][]string{}
	// The first sink's Kafka settings and its function's environment, which
	// holds the values of its ${env:...} references.
	var kafkaProps, kafkaEnv map[string]string
	for _, e := range entries {
		out, err := lc.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(e.Function)})
		if err != nil {
			return nil, fmt.Errorf("control-api: connector %s: read function %s: %w", e.Name, e.Function, err)
		}
		var fnEnv map[string]string
		if out.Environment != nil {
			fnEnv = out.Environment.Variables
		}
		// The connector file merged with the folder's worker file, exactly
		// as the connector's own function reads them at cold start.
		f, err := config.LoadFromEnv(func(k string) string { return fnEnv[k] })
		if err != nil {
			return nil, fmt.Errorf("control-api: connector %s: config of function %s: %w", e.Name, e.Function, err)
		}
		c, err := connectapi.FromFile(f, e.Function)
		if err != nil {
			return nil, err
		}
		if c.Kind == config.Sink {
			if len(e.Mappings) == 0 {
				return nil, fmt.Errorf("control-api: sink %s: %s lists no event source mapping", e.Name, EnvConnectors)
			}
			c.TopicGroups = map[string]string{}
			c.Topics = nil
			for _, m := range e.Mappings {
				uuids[c.Name] = append(uuids[c.Name], m.UUID)
				c.TopicGroups[m.Topic] = m.Group
				c.Topics = append(c.Topics, m.Topic)
			}
			if kafkaProps == nil {
				kafkaProps, kafkaEnv = map[string]string{}, fnEnv
				for _, k := range kafka.ClientKeys {
					if v, ok := f.Config[k]; ok {
						kafkaProps[k] = v
					}
				}
			}
		}
		conns[c.Name] = c
	}
	a := &app{}
	var groups connectapi.Groups
	// records reads the sinks' dead letter queues for the web UI.
	var records connectapi.Records
	if kafkaProps != nil {
		resolved, err := config.Resolve(ctx, kafkaProps, config.Providers{LookupEnv: func(k string) (string, bool) {
			v, ok := kafkaEnv[k]
			return v, ok
		}, Secrets: secretsmanager.NewFromConfig(cfg)})
		if err != nil {
			return nil, fmt.Errorf("control-api: Kafka settings: %w", err)
		}
		opts, err := kafka.ConfigFromProps(resolved).Opts(ctx)
		if err != nil {
			return nil, fmt.Errorf("control-api: Kafka settings: %w", err)
		}
		if a.kafka, err = kgo.NewClient(opts...); err != nil {
			return nil, fmt.Errorf("control-api: Kafka client: %w", err)
		}
		groups = connectapi.KafkaGroups{Admin: kadm.NewClient(a.kafka)}
		records = connectapi.KafkaRecords{Opts: opts}
	}
	ddb := dynamodb.NewFromConfig(cfg)
	tables := state.TablesFromEnv()
	srv := &connectapi.Server{
		Connectors: conns,
		Statuses:   state.NewStatusStore(ddb, tables.Status),
		Targets:    state.NewTargetStore(ddb, tables.Status),
		Offsets:    state.NewOffsetStore(ddb, tables.Offsets),
		Leases:     state.NewLeaseStore(ddb, tables.Leases),
		Groups:     groups,
		Mappings:   connectapi.LambdaMappings{Client: lc, UUIDs: uuids},
		Invoker:    connectapi.LambdaInvoker{Client: lc},
		Records:    records,
		Principal:  connectapi.IAMPrincipal,
		Logger:     log,
		Commit:     getenv("SLKC_COMMIT"),
	}
	a.handler = connectapi.FunctionURLHandler(srv.Handler())
	log.Info("control-api ready", "connectors", len(conns), "sinks", len(uuids))
	return a, nil
}
