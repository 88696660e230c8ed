package dynamodb

import (
	"context"
	"fmt"
	"slices"

	"github.com/serverless-kafka-connect/slkc/connectors"
	"github.com/serverless-kafka-connect/slkc/shared/config"
)

// Class is the DynamoDB sink's connector class.
const Class = "io.slkc.connect.dynamodb.DynamoDbSinkConnector"

// Plugin is the DynamoDB sink as the connector registry knows it; the
// Confluent DynamoDB sink's class is its alias. It owns no retry policy:
// Write retries throttling and unprocessed items itself
// (aws.dynamodb.max.retry.time.seconds), and AWS errors are classified by
// errclass.
var Plugin = connectors.Plugin{
	Class:   Class,
	Aliases: []string{"io.confluent.connect.aws.dynamodb.DynamoDbSinkConnector"},
	Kind:    config.Sink,
	Def:     ConfigDef,
	NewSink: func(ctx context.Context, vals config.Values) (connectors.Destination, connectors.Retry, error) {
		cfg, err := ConfigFromValues(vals)
		if err != nil {
			return nil, connectors.Retry{}, fmt.Errorf("invalid DynamoDB sink config: %w", err)
		}
		cl, err := NewClient(ctx, cfg)
		if err != nil {
			return nil, connectors.Retry{}, err
		}
		s, err := NewSink(cfg, cl)
		if err != nil {
			return nil, connectors.Retry{}, err
		}
		return s, connectors.Retry{}, nil
	},
	DynamoDBTables: func(props map[string]string, topics []string) ([]string, error) {
		only := map[string]string{}
		if v, ok := props[KeyTableNameFormat]; ok {
			only[KeyTableNameFormat] = v
		}
		cfg, err := ParseConfig(only)
		if err != nil {
			return nil, err
		}
		var out []string
		for _, t := range topics {
			name, err := cfg.tableName(t)
			if err != nil {
				return nil, err
			}
			if !slices.Contains(out, name) {
				out = append(out, name)
			}
		}
		return out, nil
	},
}

func init() { connectors.Register(Plugin) }
