package demo

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/serverless-kafka-connect/slkc/connectors/dynamodb"
	"github.com/serverless-kafka-connect/slkc/connectors/mysql"
	"github.com/serverless-kafka-connect/slkc/shared/config"
)

// Pipeline is what the demo needs to know about the connector files: the
// names of everything it seeds, watches, cleans and verifies. It is derived
// from the files (one source of truth), never configured twice.
type Pipeline struct {
	Source      SourceInfo
	MySQLSink   SinkInfo
	DynamoSink  SinkInfo
	Connectors  []string // every connector name, in file order
	SinkConfigs []SinkInfo
}

// SourceInfo describes the MySQL source connector.
type SourceInfo struct {
	Connector string
	// Database and Table are the seeded table (table.whitelist, database of
	// connection.url when the entry is not qualified).
	Database, Table string
	// Topic is topic.prefix + table, as the JDBC source names it.
	Topic string
	// PollIntervalMs is poll.interval.ms (default 5000).
	PollIntervalMs int64
}

// SinkInfo describes one sink connector.
type SinkInfo struct {
	Connector string
	Class     string
	Topics    []string
	// Group is the event source mapping's consumer group:
	// aws.lambda.consumer.group.id, default connect-<name>.
	Group string
	// Database is the MySQL sink's database (empty for DynamoDB).
	Database string
	// Table is table.name.format applied to the first topic.
	Table string
	// DLQTopic is errors.deadletterqueue.topic.name (may be empty).
	DLQTopic string
}

// LoadPipeline reads the connector files of dir, resolving ${env:...} and
// ${secretsmanager:...} references through prov (a nil LookupEnv means the
// process environment). It
// expects exactly one MySQL source, one MySQL sink and one DynamoDB sink
// (the demo's shape) and reports every problem together.
func LoadPipeline(ctx context.Context, dir string, prov config.Providers) (Pipeline, error) {
	var p Pipeline
	var sources, mysqlSinks, ddbSinks int
	names, errs, err := eachConnector(ctx, dir, prov, func(name string, kind config.Kind, class string, props map[string]string) error {
		switch {
		case kind == config.Source && class == mysql.SourceClass:
			sources++
			s, err := sourceInfo(name, props)
			p.Source = s
			return err
		case kind == config.Sink && (class == mysql.SinkClass || class == dynamodb.Class):
			s, err := sinkInfo(name, class, props)
			if class == mysql.SinkClass {
				mysqlSinks++
				p.MySQLSink = s
			} else {
				ddbSinks++
				p.DynamoSink = s
			}
			p.SinkConfigs = append(p.SinkConfigs, s)
			return err
		}
		return fmt.Errorf("class %s is not part of the demo", class)
	})
	if err != nil {
		return Pipeline{}, err
	}
	p.Connectors = names
	for _, c := range []struct {
		what string
		n    int
	}{{"MySQL source", sources}, {"MySQL sink", mysqlSinks}, {"DynamoDB sink", ddbSinks}} {
		if c.n != 1 {
			errs = append(errs, fmt.Errorf("want exactly one %s connector, found %d", c.what, c.n))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return Pipeline{}, fmt.Errorf("demo: pipeline %s: %w", dir, err)
	}
	for _, s := range p.SinkConfigs {
		if len(s.Topics) != 1 || s.Topics[0] != p.Source.Topic {
			errs = append(errs, fmt.Errorf("sink %q reads %v, want the source's topic %q", s.Connector, s.Topics, p.Source.Topic))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return Pipeline{}, fmt.Errorf("demo: pipeline %s: %w", dir, err)
	}
	return p, nil
}

// eachConnector resolves the connector files of dir through prov and calls
// f with each connector's name, kind, class and resolved properties, in
// file order. It returns the names, and every problem of a connector
// (resolution, class, or f's error) naming it; err is a folder that
// cannot be read.
func eachConnector(ctx context.Context, dir string, prov config.Providers,
	f func(name string, kind config.Kind, class string, props map[string]string) error) (names []string, errs []error, err error) {
	files, err := config.LoadDir(dir)
	if err != nil {
		return nil, nil, fmt.Errorf("demo: pipeline %s: %w", dir, err)
	}
	for _, file := range files {
		names = append(names, file.Name)
		props, err := config.Resolve(ctx, file.Config, prov)
		if err != nil {
			errs = append(errs, fmt.Errorf("connector %q: %w", file.Name, err))
			continue
		}
		kind, class, err := config.ConnectorKind(props[config.KeyConnectorClass])
		if err == nil {
			err = f(file.Name, kind, class, props)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("connector %q: %w", file.Name, err))
		}
	}
	return names, errs, nil
}

func sourceInfo(name string, props map[string]string) (SourceInfo, error) {
	cfg, err := mysql.ParseSourceConfig(props)
	if err != nil {
		return SourceInfo{}, err
	}
	if len(cfg.Tables) != 1 {
		return SourceInfo{}, fmt.Errorf("table.whitelist %v: the demo seeds exactly one table", cfg.Tables)
	}
	dc, err := cfg.Conn.DriverConfig()
	if err != nil {
		return SourceInfo{}, err
	}
	db, table := dc.DBName, cfg.Tables[0]
	if d, t, ok := strings.Cut(table, "."); ok {
		db, table = d, t
	}
	return SourceInfo{
		Connector:      name,
		Database:       db,
		Table:          table,
		Topic:          cfg.TopicPrefix + table,
		PollIntervalMs: cfg.PollInterval.Milliseconds(),
	}, nil
}

func sinkInfo(name, class string, props map[string]string) (SinkInfo, error) {
	s := SinkInfo{
		Connector: name,
		Class:     class,
		Topics:    config.SplitList(props[config.KeyTopics]),
		Group:     "connect-" + name,
		DLQTopic:  strings.TrimSpace(props[config.KeyDLQTopic]),
	}
	if g := strings.TrimSpace(props[config.KeyLambdaConsumerGroupID]); g != "" {
		s.Group = g
	}
	if len(s.Topics) == 0 {
		return s, fmt.Errorf("%s is empty", config.KeyTopics)
	}
	format := strings.TrimSpace(props["table.name.format"])
	if format == "" {
		format = "${topic}"
	}
	s.Table = strings.ReplaceAll(format, "${topic}", s.Topics[0])
	if class == mysql.SinkClass {
		cfg, err := mysql.ParseSinkConfig(props)
		if err != nil {
			return s, err
		}
		dc, err := cfg.Conn.DriverConfig()
		if err != nil {
			return s, err
		}
		s.Database = dc.DBName
		if d, t, ok := strings.Cut(s.Table, "."); ok {
			s.Database, s.Table = d, t
		}
	}
	return s, nil
}
