package mysql

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/serverless-kafka-connect/slkc/connectors"
	"github.com/serverless-kafka-connect/slkc/shared/config"
)

// Connector classes of the MySQL source and sink.
const (
	SourceClass = "io.slkc.connect.mysql.MySqlSourceConnector"
	SinkClass   = "io.slkc.connect.mysql.MySqlSinkConnector"
)

// SourcePlugin is the JDBC-style MySQL source as the connector registry
// knows it; the Confluent JDBC source's class is its alias.
var SourcePlugin = connectors.Plugin{
	Class:    SourceClass,
	Aliases:  []string{"io.confluent.connect.jdbc.JdbcSourceConnector"},
	Kind:     config.Source,
	Def:      SourceConfigDef,
	Classify: ClassifyError,
	Tasks:    true,
	NewSource: func(vals config.Values, _ *slog.Logger) (func() (connectors.Source, error), error) {
		cfg, err := SourceConfigFromValues(vals)
		if err != nil {
			return nil, err
		}
		return func() (connectors.Source, error) { return OpenSource(cfg) }, nil
	},
	ParsePosition: func(offset []byte) (connectors.Position, error) {
		sp, err := ParsePosition(offset)
		if err != nil || sp.IsZero() {
			return nil, err
		}
		return sp.Encode(), nil
	},
	CheckPartition: checkPartition,
	Heads:          OpenHeads,
	PositionHead:   positionHead,
	Topics:         sourceTopics,
	TopicPrefix:    func(props map[string]string) string { return props["topic.prefix"] },
}

// tableTopic is the topic of a table: topic.prefix followed by the
// table's name (without its database), as the JDBC source names it.
func tableTopic(prefix, table string) string {
	return prefix + table[strings.LastIndexByte(table, '.')+1:]
}

// sourceTopics is the source's Plugin.Topics: a topic per table of
// table.whitelist (or its alias table.include.list), topic.prefix alone in
// query mode, none when the tables are found in the database.
func sourceTopics(props map[string]string) []string {
	prefix := props["topic.prefix"]
	if strings.TrimSpace(props["query"]) != "" {
		return []string{prefix}
	}
	tables := config.SplitList(props["table.whitelist"])
	if len(tables) == 0 {
		tables = config.SplitList(props["table.include.list"])
	}
	var out []string
	for _, t := range tables {
		out = append(out, tableTopic(prefix, t))
	}
	return out
}

// SinkPlugin is the MySQL sink as the connector registry knows it; the
// Confluent JDBC sink's class is its alias.
var SinkPlugin = connectors.Plugin{
	Class:    SinkClass,
	Aliases:  []string{"io.confluent.connect.jdbc.JdbcSinkConnector"},
	Kind:     config.Sink,
	Def:      SinkConfigDef,
	Classify: ClassifyError,
	NewSink: func(_ context.Context, vals config.Values) (connectors.Destination, connectors.Retry, error) {
		cfg, err := SinkConfigFromValues(vals)
		if err != nil {
			return nil, connectors.Retry{}, fmt.Errorf("invalid MySQL sink config: %w", err)
		}
		s, err := OpenSink(cfg)
		if err != nil {
			return nil, connectors.Retry{}, err
		}
		return s, connectors.Retry{MaxRetries: cfg.MaxRetries, Backoff: cfg.RetryBackoff}, nil
	},
}

func init() {
	connectors.Register(SourcePlugin)
	connectors.Register(SinkPlugin)
}
