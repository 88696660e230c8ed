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
	files, err := config.LoadDir(dir)
	if err != nil {
		return Pipeline{}, fmt.Errorf("demo: pipeline %s: %w", dir, err)
	}
	var p Pipeline
	var errs []error
	var sources, mysqlSinks, ddbSinks int
	for _, f := range files {
		p.Connectors = append(p.Connectors, f.Name)
		props, err := config.Resolve(ctx, f.Config, prov)
		if err != nil {
			errs = append(errs, fmt.Errorf("connector %q: %w", f.Name, err))
			continue
		}
		kind, class, err := config.ConnectorKind(props[config.KeyConnectorClass])
		if err != nil {
			errs = append(errs, fmt.Errorf("connector %q: %w", f.Name, err))
			continue
		}
		switch {
		case kind == config.Source && class == mysql.SourceClass:
			sources++
			s, err := sourceInfo(f.Name, props)
			if err != nil {
				errs = append(errs, fmt.Errorf("connector %q: %w", f.Name, err))
			}
			p.Source = s
		case kind == config.Sink && (class == mysql.SinkClass || class == dynamodb.Class):
			s, err := sinkInfo(f.Name, class, props)
			if err != nil {
				errs = append(errs, fmt.Errorf("connector %q: %w", f.Name, err))
			}
			if class == mysql.SinkClass {
				mysqlSinks++
				p.MySQLSink = s
			} else {
				ddbSinks++
				p.DynamoSink = s
			}
			p.SinkConfigs = append(p.SinkConfigs, s)
		default:
			errs = append(errs, fmt.Errorf("connector %q: class %s is not part of the demo", f.Name, class))
		}
	}
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
