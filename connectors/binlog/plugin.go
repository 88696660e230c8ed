package binlog

import (
	"log/slog"

	"github.com/serverless-kafka-connect/slkc/connectors"
	"github.com/serverless-kafka-connect/slkc/connectors/mysql"
	"github.com/serverless-kafka-connect/slkc/shared/config"
)

// MySQLPlugin and MariaDBPlugin are the binlog change-data-capture source
// under Debezium's class names, as the connector registry knows them. The
// server's errors are the MySQL driver's, classified as the MySQL
// connectors classify them.
var (
	MySQLPlugin   = plugin(MySQLClass)
	MariaDBPlugin = plugin(MariaDBClass)
)

func plugin(class string) connectors.Plugin {
	return connectors.Plugin{
		Class:       class,
		Kind:        config.Source,
		Def:         ConfigDef,
		Classify:    mysql.ClassifyError,
		TasksReason: "the binlog is one ordered stream read by one reader, as Debezium's MySQL connector runs one task",
		// Topics are topic.prefix (schema changes) and <topic.prefix>.<db>.<table>.
		TopicPrefix: func(props map[string]string) string { return props["topic.prefix"] },
		NewSource: func(vals config.Values, log *slog.Logger) (func() (connectors.Source, error), error) {
			cfg, err := ConfigFromValues(vals)
			if err != nil {
				return nil, err
			}
			return func() (connectors.Source, error) { return OpenSource(cfg, log) }, nil
		},
	}
}

func init() {
	connectors.Register(MySQLPlugin)
	connectors.Register(MariaDBPlugin)
}
