package mysql

import (
	"github.com/serverless-kafka-connect/slkc/shared/config"
)

// GroupJDBC is the docs group of the JDBC connector keys that have a
// serverless meaning here or are refused.
const GroupJDBC = "JDBC compatibility"

// Reasons of the JDBC compatibility keys; each is also the key's error.
const (
	reasonDialect      = "this connector speaks MySQL and MariaDB only (MySqlDatabaseDialect, detected from connection.url when empty)"
	reasonQuote        = "identifiers are always quoted with backquotes; never would build SQL from unquoted names"
	reasonGranularity  = "timestamps are Connect logical Timestamp values (millisecond precision)"
	reasonIsolation    = "queries run in the database's default isolation level (REPEATABLE READ in MySQL and MariaDB)"
	reasonQueryRetry   = "a failed query fails the invocation and the next scheduled poll retries it, without limit (-1)"
	reasonPollMaxBatch = "use batch.max.rows (rows per query and per produced page); a run drains the tables until the time budget (aws.lambda.timeout.seconds) is spent"
	reasonTablePoll    = "the table list is read at every poller run, so new and removed tables are seen at the next poll.interval.ms; the value has no further effect"
	reasonNumericPrec  = "deprecated in the JDBC connector; use numeric.mapping=precision_only"
	reasonHoldlock     = "SQL Server only"
)

// jdbcCompatKeys are the keys of the Confluent JDBC connectors' references
// that this connector does not implement as such: accepted only with the
// values that match what it does (Serverless) or refused. source selects
// the source's keys, else the sink's.
func jdbcCompatKeys(source bool) []config.Key {
	keys := []config.Key{
		{Name: "dialect.name", Type: config.String, Default: config.Default(""), Group: GroupJDBC, Status: config.Serverless,
			Reason: reasonDialect, Validator: config.Only(reasonDialect, "", "MySqlDatabaseDialect"),
			Doc: "JDBC dialect; empty or MySqlDatabaseDialect."},
		{Name: "quote.sql.identifiers", Type: config.String, Default: config.Default("always"), Group: GroupJDBC,
			Reason: reasonQuote, Validator: config.Only(reasonQuote, "always"),
			Doc: "Quote table and column names; always (the JDBC default)."},
	}
	keys = append(keys, connRetryKeys()...)
	if !source {
		return append(keys, config.Key{Name: "mssql.use.merge.holdlock", Type: config.Bool, Group: GroupJDBC,
			Status: config.Refused, Reason: reasonHoldlock, Doc: "SQL Server MERGE hint."})
	}
	return append(keys,
		config.Key{Name: "timestamp.granularity", Type: config.String, Default: config.Default("connect_logical"), Group: GroupJDBC,
			Status: config.Serverless, Reason: reasonGranularity, Validator: config.Only(reasonGranularity, "connect_logical"),
			Doc: "How timestamps are represented; only connect_logical (the JDBC default)."},
		config.Key{Name: "transaction.isolation.mode", Type: config.String, Default: config.Default("DEFAULT"), Group: GroupJDBC,
			Status: config.Serverless, Reason: reasonIsolation, Validator: config.Only(reasonIsolation, "DEFAULT"),
			Doc: "Isolation level of the source's queries; only DEFAULT."},
		config.Key{Name: "query.retry.attempts", Type: config.Int, Default: config.Default("-1"), Group: GroupJDBC,
			Status: config.Serverless, Reason: reasonQueryRetry, Validator: config.Only(reasonQueryRetry, "-1"),
			Doc: "Retries of a failed query; only -1 (without limit, across invocations)."},
		config.Key{Name: "table.poll.interval.ms", Type: config.Long, Default: config.Default("60000"), Group: GroupJDBC,
			Status: config.Serverless, Reason: reasonTablePoll, Validator: config.AtLeast(0),
			Doc: "How often the table list is refreshed, ms; accepted (at least 0), see the reason."},
		config.Key{Name: "poll.max.batch.size", Type: config.Int, Group: GroupJDBC, Status: config.Refused, Reason: reasonPollMaxBatch,
			Doc: "Records per poll."},
		config.Key{Name: "numeric.precision.mapping", Type: config.Bool, Group: GroupJDBC, Status: config.Refused, Reason: reasonNumericPrec,
			Doc: "Deprecated NUMERIC mapping switch."},
	)
}

// Keys of the connection retry, honoured by ConnConfig.connector.
const (
	KeyConnectionAttempts  = "connection.attempts"
	KeyConnectionBackoffMS = "connection.backoff.ms"
)

// connRetryKeys define connection.attempts and connection.backoff.ms, as
// in the JDBC source and sink connectors (defaults 3 and 10000).
func connRetryKeys() []config.Key {
	return []config.Key{
		{Name: KeyConnectionAttempts, Type: config.Int, Default: config.Default("3"), Group: GroupJDBC,
			Validator: config.Range(1, 1000),
			Doc: "Attempts to open each database connection; only connection-level failures (refused, reset, timeout, " +
				"too many connections, server shutting down) are retried, never a refused login (1045) or TLS failure, " +
				"and never past the invocation's deadline."},
		{Name: KeyConnectionBackoffMS, Type: config.Long, Default: config.Default("10000"), Group: GroupJDBC,
			Validator: config.Range(0, 900_000),
			Doc: "Wait between connection attempts, ms. A wait that would end after the invocation's deadline is not " +
				"started: the connection error is returned at once."},
	}
}
