package mysql

import "github.com/serverless-kafka-connect/slkc/shared/config"

// GroupJDBC is the docs group of the JDBC connector keys that have a
// serverless meaning here or are refused.
const GroupJDBC = "JDBC compatibility"

// Reasons of the JDBC compatibility keys; each is also the key's error.
const (
	reasonDialect  = "this connector speaks MySQL and MariaDB only (MySqlDatabaseDialect, detected from connection.url when empty)"
	reasonQuote    = "identifiers are always quoted with backquotes; never would build SQL from unquoted names"
	reasonAttempts = "a function makes one connection attempt per invocation; a failed connection fails the invocation and " +
		"the next scheduled poll (source) or the event source mapping's retry (sink) tries again"
	reasonBackoff = "no effect: with one connection attempt per invocation (connection.attempts) there is no wait between attempts " +
		"inside an invocation; the retry period is poll.interval.ms (source) or the event source mapping's (sink)"
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
		{Name: "connection.attempts", Type: config.Int, Default: config.Default("1"), Group: GroupJDBC, Status: config.Serverless,
			Reason: reasonAttempts, Validator: config.Only(reasonAttempts, "1"),
			Doc: "Connection attempts per invocation; only 1 (JDBC default 3: the platform retries instead)."},
		{Name: "connection.backoff.ms", Type: config.Long, Default: config.Default("10000"), Group: GroupJDBC, Status: config.Serverless,
			Reason: reasonBackoff, Validator: config.AtLeast(0),
			Doc: "Wait between connection attempts, ms; accepted (at least 0) with no effect, see the reason."},
	}
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

// SinkCompatDef returns the JDBC sink keys that SinkKeys leave out because
// they have a serverless meaning or are refused (jdbcCompatKeys); the sink
// function merges it into its definition.
func SinkCompatDef() *config.Def { return config.NewDef(jdbcCompatKeys(false)...) }
