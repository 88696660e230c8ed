package mysql

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/serverless-kafka-connect/slkc/shared/config"
)

// GroupSource is the docs group of the MySQL source keys.
const GroupSource = "MySQL Source"

// SourceConfigDef returns the key definitions of the MySQL source connector
// (types, defaults, per-key validators, docs) plus a cross-key check that
// runs the rules across keys (query vs tables, mode needs
// timestamp.column.name, ...). poll.interval.ms is the framework's
// (config.SourceDef). Merge it into config.FrameworkDef(config.Source)
// (config.ParseConnector does) so unknown keys are rejected, then build the
// typed config with SourceConfigFromValues.
func SourceConfigDef() *config.Def {
	s, l := config.String, config.List
	d := config.NewDef(
		config.Key{Name: "connection.url", Type: s, Required: true, Validator: config.NonEmpty(), Group: GroupSource,
			Doc: "jdbc:mysql://host:port/db[?user=..&password=..] or a Go MySQL DSN user:pass@tcp(host:port)/db."},
		config.Key{Name: "connection.user", Type: s, Default: config.Default(""), Group: GroupSource,
			Doc: "User name; overrides the one in connection.url."},
		config.Key{Name: "connection.password", Type: config.Password, Default: config.Default(""), Group: GroupSource,
			Doc: "Password; overrides the one in connection.url. Use ${secretsmanager:id:key}."},
		config.Key{Name: "table.whitelist", Type: l, Default: config.Default(""), Group: GroupSource,
			Doc: "Tables to read (table or db.table). Default: every table of the database."},
		config.Key{Name: "table.include.list", Type: l, Default: config.Default(""), Group: GroupSource,
			Doc: "Alias of table.whitelist."},
		config.Key{Name: "table.blacklist", Type: l, Default: config.Default(""), Group: GroupSource,
			Doc: "Tables not to read; only without table.whitelist."},
		config.Key{Name: "table.exclude.list", Type: l, Default: config.Default(""), Group: GroupSource,
			Doc: "Alias of table.blacklist."},
		config.Key{Name: "query", Type: s, Default: config.Default(""), Group: GroupSource,
			Doc: "A SELECT to read instead of tables; wrapped as SELECT * FROM (query) AS q WHERE <keyset> ORDER BY .. LIMIT n."},
		config.Key{Name: "query.suffix", Type: s, Default: config.Default(""), Group: GroupSource,
			Doc: "Text appended to every generated query."},
		config.Key{Name: "mode", Type: s, Required: true, Group: GroupSource,
			Validator: config.OneOf(string(ModeBulk), string(ModeIncrementing), string(ModeTimestamp), string(ModeTimestampIncrementing)),
			Doc:       "bulk, incrementing, timestamp or timestamp+incrementing."},
		config.Key{Name: "incrementing.column.name", Type: s, Default: config.Default(""), Group: GroupSource,
			Doc: "Strictly increasing integer column. Default: the table's AUTO_INCREMENT column."},
		config.Key{Name: "timestamp.column.name", Type: l, Default: config.Default(""), Group: GroupSource,
			Doc: "DATETIME/TIMESTAMP column(s); several are read as COALESCE(a, b, ...)."},
		config.Key{Name: "timestamp.delay.interval.ms", Type: config.Long, Default: config.Default("0"), Validator: config.Range(0, math32()), Group: GroupSource,
			Doc: "Read only rows whose timestamp is older than the database clock minus this. Cover the longest transaction plus clock skew. Default 0."},
		config.Key{Name: "incrementing.gap.timeout.ms", Type: config.Long, Default: config.Default(strconv.Itoa(DefaultGapTimeoutMs)), Validator: config.Range(0, math32()), Group: GroupSource,
			Doc: "Incrementing mode on a table's AUTO_INCREMENT column (set it in no other mode): a page stops before a missing id (an insert not yet committed) until the gap is this old, then takes it for a rollback. 0 = never wait (JDBC behaviour)."},
		config.Key{Name: "timestamp.initial", Type: config.Long, Validator: config.AtLeast(-1), Group: GroupSource,
			Doc: "Epoch ms to start after when there is no offset; -1 = the database's current time. Default: from the beginning."},
		config.Key{Name: "batch.max.rows", Type: config.Int, Default: config.Default(strconv.Itoa(DefaultBatchMaxRows)), Validator: config.Range(1, MaxBatchMaxRows), Group: GroupSource,
			Doc: "Rows per page (one query, one offset write)."},
		config.Key{Name: KeyInitialLoadMaxParallelism, Type: config.Int, Default: config.Default("1"), Validator: config.Range(1, MaxInitialLoadParallelism), Group: GroupSource,
			Doc: "Mode incrementing on tables: the first read of a table (no offset yet) splits the incrementing column's range into at most this many chunks read at once, each over one connection with at most two pages in memory; afterwards reads continue incrementally from the range's end. The column must be the only column of a unique index. 1 = no chunking."},
		config.Key{Name: "topic.prefix", Type: s, Default: config.Default(""), Group: GroupSource,
			Doc: "Topic = prefix + table name; in query mode the topic is the prefix."},
		config.Key{Name: "validate.non.null", Type: config.Bool, Default: config.Default("true"), Group: GroupSource,
			Doc: "Refuse nullable incrementing/timestamp columns. Default true."},
		config.Key{Name: "numeric.mapping", Type: s, Default: config.Default(string(NumericNone)), Group: GroupSource,
			Validator: config.OneOfFold(string(NumericNone), string(NumericPrecisionOnly), string(NumericBestFit), string(NumericBestFitEagerDouble)),
			Doc:       "DECIMAL mapping: none (Decimal), precision_only, best_fit, best_fit_eager_double. Default none."},
		config.Key{Name: "db.timezone", Type: s, Default: config.Default("UTC"), Group: GroupSource,
			Doc: "Zone DATETIME values are in. Default UTC."},
		config.Key{Name: "bigint.unsigned.handling.mode", Type: s, Default: config.Default(string(UnsignedLong)), Group: GroupSource,
			Validator: config.OneOfFold(string(UnsignedLong), string(UnsignedPrecise)),
			Doc:       "BIGINT UNSIGNED as int64 (long; values above 2^63-1 fail) or Decimal(20,0) (precise). Default long."},
		config.Key{Name: "time.precision.mode", Type: s, Default: config.Default(string(TimeConnect)), Group: GroupSource,
			Validator: config.OneOfFold(string(TimeConnect), string(TimeAdaptiveMicros)),
			Doc:       "connect: DATETIME/TIMESTAMP as Timestamp and TIME as Time, milliseconds (digits beyond are dropped, as the JDBC connector). adaptive_time_microseconds: DATETIME/TIMESTAMP(4-6) as io.debezium.time.MicroTimestamp and TIME as io.debezium.time.MicroTime, int64 microseconds. Default connect."},
		config.Key{Name: "table.types", Type: l, Default: config.Default("TABLE"), Group: GroupSource,
			Validator: config.Each(config.OneOfFold("TABLE", "VIEW")),
			Doc:       "Table types listed when table.whitelist is empty: TABLE, VIEW. Default TABLE."},
		config.Key{Name: "catalog.pattern", Type: s, Default: config.Default(""), Group: GroupSource,
			Doc: "Accepted for JDBC compatibility; when set it must be the database of connection.url."},
		config.Key{Name: "schema.pattern", Type: s, Default: config.Default(""), Group: GroupSource, Status: config.Serverless,
			Reason: "MySQL has no schemas within a database, so any value selects the database of connection.url",
			Doc:    "Accepted for JDBC compatibility."},
	)
	d.Define(jdbcCompatKeys(true)...)
	d.AddCheck(func(v config.Values) []error {
		_, errs := sourceFromValues(v)
		return errs
	})
	return d
}

// SourceConfigFromValues builds the typed config from values parsed by a
// Def that includes SourceConfigDef (e.g. config.ParseConnector(props,
// SourceConfigDef())).
func SourceConfigFromValues(v config.Values) (SourceConfig, error) {
	if !v.Defined("mode") {
		return SourceConfig{}, errors.New("mysql source config: values were not parsed with SourceConfigDef")
	}
	cfg, errs := sourceFromValues(v)
	if len(errs) > 0 {
		return SourceConfig{}, fmt.Errorf("mysql source config: %w", errors.Join(errs...))
	}
	return cfg, nil
}
