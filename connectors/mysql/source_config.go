package mysql

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/serverless-kafka-connect/slkc/shared/config"
)

// Mode is the source's mode key: how a table is read incrementally.
type Mode string

// mode values, as the JDBC source connector names them.
const (
	// ModeBulk reads the whole table on every run (keyset-paged by primary
	// key; a run cut off mid-table resumes where it stopped).
	ModeBulk Mode = "bulk"
	// ModeIncrementing reads rows whose incrementing column is above the
	// last one read: new rows only.
	ModeIncrementing Mode = "incrementing"
	// ModeTimestamp reads rows whose timestamp column moved past the last
	// one read: new and updated rows.
	ModeTimestamp Mode = "timestamp"
	// ModeTimestampIncrementing orders by timestamp then incrementing column.
	ModeTimestampIncrementing Mode = "timestamp+incrementing"
)

// Limits and defaults of the source keys.
const (
	DefaultBatchMaxRows = 100
	MaxBatchMaxRows     = 100_000
	// DefaultGapTimeoutMs is incrementing.gap.timeout.ms's default: how
	// long a page waits for a missing id to commit before taking it for a
	// rollback. It covers ordinary transactions; raise it to the longest
	// transaction that inserts into the table.
	DefaultGapTimeoutMs = 30_000
	// KeyInitialLoadMaxParallelism caps the chunks of a parallel initial
	// load (see Source.Chunks); MaxInitialLoadParallelism is its highest
	// value, each chunk one open connection.
	KeyInitialLoadMaxParallelism = "initial.load.max.parallelism"
	MaxInitialLoadParallelism    = 32
)

// SourceConfig is the typed configuration of the MySQL source connector,
// parsed and validated once by ParseSourceConfig.
type SourceConfig struct {
	// Conn is connection.url, connection.user, connection.password and
	// db.timezone.
	Conn ConnConfig
	// Tables is table.whitelist (alias table.include.list): "table" or
	// "db.table" names. Empty means every table of the database of
	// connection.url (minus Exclude) whose type is in TableTypes.
	Tables []string
	// Exclude is table.blacklist (alias table.exclude.list).
	Exclude []string
	// Query is query: a SELECT read instead of tables; QuerySuffix is
	// query.suffix, appended after the generated WHERE/ORDER BY/LIMIT.
	Query       string
	QuerySuffix string
	// Mode is mode (required).
	Mode Mode
	// IncrementingColumn is incrementing.column.name; empty means the
	// table's AUTO_INCREMENT column.
	IncrementingColumn string
	// TimestampColumns is timestamp.column.name (comma list; several
	// columns are read as COALESCE(a, b, ...)).
	TimestampColumns []string
	// TimestampDelay is timestamp.delay.interval.ms (default 0).
	TimestampDelay time.Duration
	// InitialLoadParallelism is initial.load.max.parallelism (default 1:
	// no chunking): the first read of a table is split into at most this
	// many key-range chunks read at once.
	InitialLoadParallelism int
	// GapTimeout is incrementing.gap.timeout.ms (default
	// DefaultGapTimeoutMs; 0 disables gap waiting, as the JDBC connector).
	GapTimeout time.Duration
	// TimestampInitial is timestamp.initial: epoch ms to start after when
	// there is no offset; nil means from the beginning; -1 means the
	// database's current time at the first read.
	TimestampInitial *int64
	// BatchMaxRows is batch.max.rows: rows per page (default 100, 1..100000).
	BatchMaxRows int
	// PollInterval is the framework's poll.interval.ms (config.SourceDef);
	// the scheduler uses it.
	PollInterval time.Duration
	// TopicPrefix is topic.prefix: topic = prefix + table name, or the
	// prefix alone in query mode.
	TopicPrefix string
	// ValidateNonNull is validate.non.null (default true): refuse
	// incrementing/timestamp columns that are nullable.
	ValidateNonNull bool
	// Types is numeric.mapping (default none) and
	// bigint.unsigned.handling.mode (default long).
	Types TypeOptions
	// TableTypes is table.types (default TABLE; TABLE and VIEW allowed).
	TableTypes []string
	// CatalogPattern and SchemaPattern are accepted for JDBC compatibility;
	// catalog.pattern, when set, must name the database of connection.url.
	CatalogPattern string
	SchemaPattern  string
}

// ParseSourceConfig builds a SourceConfig from the source's own keys in
// props (poll.interval.ms included), for tests and tools; other keys are
// ignored here (the functions parse the whole config, framework keys
// included, through the connector registry, which refuses unknown keys).
// Every problem is reported at once (errors.Join), each naming the key,
// the value and what is allowed.
func ParseSourceConfig(props map[string]string) (SourceConfig, error) {
	vals, err := SourceConfigDef().WithFrameworkKey(config.Source, config.KeyPollIntervalMs).ParseOwn(props)
	if err != nil {
		return SourceConfig{}, fmt.Errorf("mysql source config: %w", err)
	}
	return SourceConfigFromValues(vals)
}

// sourceFromValues fills the typed config from values parsed with
// SourceConfigDef, which applied every key's type, default and range; what
// is left here are the rules across keys and the checks that need more than
// one value (time zone, DSN, identifiers).
func sourceFromValues(v config.Values) (SourceConfig, []error) {
	var errs []error
	bad := func(key, val, allowed string) {
		errs = append(errs, config.Errorf(key, val, "%s", allowed))
	}
	ms := func(k string) time.Duration { return time.Duration(v.Long(k)) * time.Millisecond }
	cfg := SourceConfig{
		Query:              v.String("query"),
		QuerySuffix:        v.String("query.suffix"),
		Mode:               Mode(v.String("mode")),
		IncrementingColumn: v.String("incrementing.column.name"),
		TimestampColumns:   v.List("timestamp.column.name"),
		TimestampDelay:     ms("timestamp.delay.interval.ms"),
		GapTimeout:         ms("incrementing.gap.timeout.ms"),
		BatchMaxRows:       v.Int("batch.max.rows"),
		TopicPrefix:        v.String("topic.prefix"),
		ValidateNonNull:    v.Bool("validate.non.null"),
		Types: TypeOptions{
			NumericMapping: NumericMapping(strings.ToLower(v.String("numeric.mapping"))),
			Unsigned:       UnsignedMode(strings.ToLower(v.String("bigint.unsigned.handling.mode"))),
			TimePrecision:  TimePrecisionMode(strings.ToLower(v.String("time.precision.mode"))),
		},
		CatalogPattern: v.String("catalog.pattern"),
		SchemaPattern:  v.String("schema.pattern"),
	}
	if v.Defined(config.KeyPollIntervalMs) {
		cfg.PollInterval = ms(config.KeyPollIntervalMs)
	}
	for _, t := range v.List("table.types") {
		cfg.TableTypes = append(cfg.TableTypes, strings.ToUpper(t))
	}
	if v.Given("timestamp.initial") {
		n := v.Long("timestamp.initial")
		cfg.TimestampInitial = &n
	}
	cfg.InitialLoadParallelism = v.Int(KeyInitialLoadMaxParallelism)

	cfg.Conn.URL = v.String("connection.url")
	cfg.Conn.User = v.String("connection.user")
	cfg.Conn.Password = v.Password("connection.password").Value()
	loc, err := time.LoadLocation(v.String("db.timezone"))
	if err != nil {
		bad("db.timezone", v.String("db.timezone"), "an IANA time zone name such as UTC or Europe/Paris")
	}
	cfg.Conn.Timezone = loc
	cfg.Conn.Attempts = v.Int(KeyConnectionAttempts)
	cfg.Conn.Backoff = ms(KeyConnectionBackoffMS)
	if _, err := cfg.Conn.DriverConfig(); err != nil {
		errs = append(errs, &config.KeyError{Key: "connection.url", Msg: err.Error()})
	}

	cfg.Tables = aliasList(v, "table.whitelist", "table.include.list", bad)
	cfg.Exclude = aliasList(v, "table.blacklist", "table.exclude.list", bad)
	for _, key := range []struct {
		name string
		list []string
	}{{"table.whitelist", cfg.Tables}, {"table.blacklist", cfg.Exclude}} {
		for _, t := range key.list {
			if _, err := QuoteQualified(t); err != nil {
				bad(key.name, t, "table names as table or db.table: "+err.Error())
			}
		}
	}
	if len(cfg.Tables) > 0 && len(cfg.Exclude) > 0 {
		bad("table.blacklist", v.Text("table.blacklist")+v.Text("table.exclude.list"), "must be empty when table.whitelist is set")
	}
	if cfg.Query != "" && (len(cfg.Tables) > 0 || len(cfg.Exclude) > 0) {
		bad("query", cfg.Query, "must be empty when table.whitelist or table.blacklist is set (read a query or tables, not both)")
	}
	if cfg.IncrementingColumn != "" {
		if err := ValidateIdent(cfg.IncrementingColumn); err != nil {
			bad("incrementing.column.name", cfg.IncrementingColumn, err.Error())
		}
	}
	for _, c := range cfg.TimestampColumns {
		if err := ValidateIdent(c); err != nil {
			bad("timestamp.column.name", v.Text("timestamp.column.name"), err.Error())
		}
	}
	if (cfg.Mode == ModeTimestamp || cfg.Mode == ModeTimestampIncrementing) && len(cfg.TimestampColumns) == 0 {
		bad("timestamp.column.name", "", "required when mode is "+string(cfg.Mode))
	}
	if cfg.Query != "" && (cfg.Mode == ModeIncrementing || cfg.Mode == ModeTimestampIncrementing) && cfg.IncrementingColumn == "" {
		bad("incrementing.column.name", "", "required in query mode with mode "+string(cfg.Mode)+" (no table to detect AUTO_INCREMENT from)")
	}
	if v.Given("incrementing.gap.timeout.ms") && (cfg.Mode != ModeIncrementing || cfg.Query != "") {
		bad("incrementing.gap.timeout.ms", v.Text("incrementing.gap.timeout.ms"), "only in mode incrementing on tables (gaps are told by the table's AUTO_INCREMENT column); remove it")
	}
	if n := cfg.InitialLoadParallelism; n > 1 && cfg.Mode != "" && (cfg.Mode != ModeIncrementing || cfg.Query != "") {
		bad(KeyInitialLoadMaxParallelism, strconv.Itoa(n), "above 1 only in mode incrementing on tables: the chunks split the incrementing column's key range; set 1")
	}
	if cfg.Query != "" && cfg.TopicPrefix == "" {
		bad("topic.prefix", "", "required in query mode: it is the topic name")
	}
	if cfg.CatalogPattern != "" {
		if dc, err := cfg.Conn.DriverConfig(); err == nil && cfg.CatalogPattern != dc.DBName {
			bad("catalog.pattern", cfg.CatalogPattern, "the database of connection.url ("+dc.DBName+"); reading several databases is not supported")
		}
	}
	return cfg, errs
}

func math32() int64 { return 1<<31 - 1 }

// aliasList reads a list under a key and its alias; both set with
// different values is an error.
func aliasList(v config.Values, key, alias string, bad func(k, v, a string)) []string {
	a, b := v.List(key), v.List(alias)
	if len(a) > 0 && len(b) > 0 && !slices.Equal(a, b) {
		bad(alias, v.Text(alias), "must be empty or equal to "+key+" (they are aliases)")
	}
	if len(a) == 0 {
		a = b
	}
	return a
}
