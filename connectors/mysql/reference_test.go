package mysql

import (
	"strings"
	"testing"

	"github.com/serverless-kafka-connect/slkc/connectors"
	"github.com/serverless-kafka-connect/slkc/shared/config"
)

// TestReferenceIsCurrent fails when the checked-in REFERENCE.md differs
// from what the key definitions generate; SLKC_UPDATE_REFERENCE=1
// regenerates it.
func TestReferenceIsCurrent(t *testing.T) {
	text := connectors.Reference("MySQL connectors", "`TestReferenceIsCurrent` (connectors/mysql/reference_test.go)", SourcePlugin, SinkPlugin)
	if err := config.CheckReference("REFERENCE.md", text); err != nil {
		t.Fatal(err)
	}
}

// jdbcQuickstartSource is a JDBC source config in the shape of the public
// quickstart and config reference, with only the connection values changed.
func jdbcQuickstartSource() map[string]string {
	return map[string]string{
		"name": "jdbc-quickstart", "connector.class": "io.confluent.connect.jdbc.JdbcSourceConnector", "tasks.max": "1",
		"connection.url": "jdbc:mysql://db:3306/shop", "connection.user": "app", "connection.password": "pw",
		"dialect.name": "MySqlDatabaseDialect", "quote.sql.identifiers": "always", "connection.attempts": "1",
		"connection.backoff.ms": "10000", "table.whitelist": "orders", "mode": "incrementing", "incrementing.column.name": "id",
		"topic.prefix": "mysql-", "poll.interval.ms": "5000", "table.poll.interval.ms": "60000", "batch.max.rows": "100",
		"timestamp.granularity": "connect_logical", "transaction.isolation.mode": "DEFAULT", "query.retry.attempts": "-1",
		"topic.creation.groups": "", "exactly.once.support": "requested", "transaction.boundary": "poll",
		"bootstrap.servers": "kafka:9092",
	}
}

func TestJDBCQuickstartKeys(t *testing.T) {
	if _, _, err := config.ParseConnector(jdbcQuickstartSource(), SourceConfigDef()); err != nil {
		t.Fatalf("the quickstart config is refused: %v", err)
	}
	four := jdbcQuickstartSource()
	four["tasks.max"] = "4"
	if _, fw, err := config.ParseConnector(four, SourceConfigDef()); err != nil || fw.TasksMax != 4 {
		t.Errorf("tasks.max=4 on the JDBC source: %v", err)
	}
	tests := []struct {
		name, key, value, want string
	}{
		{"tasks.max above the maximum", "tasks.max", "101", "no more than 100"},
		{"another dialect", "dialect.name", "PostgreSqlDatabaseDialect", "MySQL and MariaDB only"},
		{"unquoted identifiers", "quote.sql.identifiers", "never", "always quoted"},
		{"no connection attempt", "connection.attempts", "0", "at least 1"},
		{"negative connection backoff", "connection.backoff.ms", "-1", "at least 0"},
		{"nanosecond timestamps", "timestamp.granularity", "nanos_long", "logical Timestamp"},
		{"serializable", "transaction.isolation.mode", "SERIALIZABLE", "default isolation level"},
		{"bounded query retries", "query.retry.attempts", "3", "without limit"},
		{"exactly once required", "exactly.once.support", "required", "at-least-once"},
		{"connector transactions", "transaction.boundary", "connector", "no Kafka transactions"},
		{"offsets topic", "offsets.storage.topic", "offsets", "not supported: source offsets are kept in the DynamoDB offsets table"},
		{"topic creation groups", "topic.creation.groups", "compacted", "only the default group"},
		{"poll.max.batch.size", "poll.max.batch.size", "500", "not supported: use batch.max.rows"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := jdbcQuickstartSource()
			p[tc.key] = tc.value
			_, _, err := config.ParseConnector(p, SourceConfigDef())
			if err == nil || !strings.Contains(err.Error(), `"`+tc.value+`" for config key "`+tc.key+`"`) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error = %v, want it to name %s=%s and say %q", err, tc.key, tc.value, tc.want)
			}
		})
	}
	sink := map[string]string{"name": "s", "connector.class": "io.confluent.connect.jdbc.JdbcSinkConnector", "topics": "orders",
		"connection.url": "jdbc:mysql://db:3306/shop", "bootstrap.servers": "kafka:9092", "dialect.name": "MySqlDatabaseDialect",
		"quote.sql.identifiers": "always", "connection.attempts": "1", "connection.backoff.ms": "10000"}
	if _, _, err := config.ParseConnector(sink, SinkConfigDef()); err != nil {
		t.Fatalf("the sink config is refused: %v", err)
	}
	sink["mssql.use.merge.holdlock"] = "true"
	if _, _, err := config.ParseConnector(sink, SinkConfigDef()); err == nil || !strings.Contains(err.Error(), "SQL Server only") {
		t.Errorf("mssql.use.merge.holdlock: %v", err)
	}
}
