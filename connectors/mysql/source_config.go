package mysql

import (
	"errors"
	"fmt"
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
	DefaultBatchMaxRows   = 100
	MaxBatchMaxRows       = 100_000
	DefaultPollIntervalMs = 5000
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
	// PollInterval is poll.interval.ms (default 5000); the scheduler uses it.
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

// sourceKeys lists every key ParseSourceConfig understands, with its doc.
// Other keys are left to the framework's config layer, which rejects
// unknown ones.
var sourceKeys = []struct{ name, doc string }{
	{"connection.url", "jdbc:mysql://host:port/db or a Go MySQL DSN (required)"},
	{"connection.user", "user name, overrides the URL's"},
	{"connection.password", "password, overrides the URL's"},
	{"table.whitelist", "comma list of tables (table or db.table) to read; default all"},
	{"table.include.list", "alias of table.whitelist"},
	{"table.blacklist", "comma list of tables not to read"},
	{"table.exclude.list", "alias of table.blacklist"},
	{"query", "SELECT to read instead of tables"},
	{"query.suffix", "text appended to every generated query"},
	{"mode", "bulk | incrementing | timestamp | timestamp+incrementing (required)"},
	{"incrementing.column.name", "strictly increasing column; default the AUTO_INCREMENT column"},
	{"timestamp.column.name", "comma list of timestamp columns, read as COALESCE"},
	{"timestamp.delay.interval.ms", "only read rows with a timestamp older than now minus this (default 0)"},
	{"incrementing.gap.timeout.ms", "incrementing mode: wait this long for a missing id to commit before reading past it (default 30000; 0 = never wait)"},
	{"timestamp.initial", "epoch ms to start after when no offset exists; -1 = current time"},
	{"batch.max.rows", "rows per page (default 100, 1..100000)"},
	{KeyInitialLoadMaxParallelism, "chunks read at once by a table's first load (default 1: no chunking)"},
	{"poll.interval.ms", "schedule interval (default 5000)"},
	{"topic.prefix", "topic name prefix"},
	{"validate.non.null", "refuse nullable incrementing/timestamp columns (default true)"},
	{"numeric.mapping", "none | precision_only | best_fit | best_fit_eager_double (default none)"},
	{"db.timezone", "zone of DATETIME values (default UTC)"},
	{"bigint.unsigned.handling.mode", "long | precise (default long)"},
	{"time.precision.mode", "connect | adaptive_time_microseconds (default connect)"},
	{"table.types", "comma list of TABLE, VIEW (default TABLE)"},
	{"catalog.pattern", "accepted for JDBC compatibility; must match the database"},
	{"schema.pattern", "accepted for JDBC compatibility; ignored by MySQL"},
}

// SourceKeys returns the names of the keys ParseSourceConfig reads, for
// the framework's unknown-key check.
func SourceKeys() []string {
	out := make([]string, len(sourceKeys))
	for i, k := range sourceKeys {
		out[i] = k.name
	}
	return out
}

// ParseSourceConfig builds a SourceConfig from connector properties,
// applying defaults. It reports every problem at once (errors.Join), each
// naming the key, the value and what is allowed. Keys it does not know are
// ignored here; the framework's config layer rejects unknown keys.
func ParseSourceConfig(props map[string]string) (SourceConfig, error) {
	cfg, errs := parseSource(props)
	if len(errs) > 0 {
		return SourceConfig{}, fmt.Errorf("mysql source config: %w", errors.Join(errs...))
	}
	return cfg, nil
}

// parseSource does ParseSourceConfig's work, returning each problem as a
// *config.KeyError.
func parseSource(props map[string]string) (SourceConfig, []error) {
	var errs []error
	bad := func(key, val, allowed string) {
		if key == "connection.password" {
			val = "[hidden]"
		}
		errs = append(errs, config.Errorf(key, val, "%s", allowed))
	}
	get := func(k string) string { return strings.TrimSpace(props[k]) }
	cfg := SourceConfig{
		BatchMaxRows:    DefaultBatchMaxRows,
		PollInterval:    DefaultPollIntervalMs * time.Millisecond,
		ValidateNonNull: true,
		Types:           TypeOptions{NumericMapping: NumericNone, Unsigned: UnsignedLong, TimePrecision: TimeConnect},
		TableTypes:      []string{"TABLE"},
	}

	cfg.Conn.URL = get("connection.url")
	cfg.Conn.User = props["connection.user"]
	cfg.Conn.Password = props["connection.password"]
	if tz := get("db.timezone"); tz != "" {
		loc, err := time.LoadLocation(tz)
		if err != nil {
			bad("db.timezone", tz, "an IANA time zone name such as UTC or Europe/Paris")
		}
		cfg.Conn.Timezone = loc
	} else {
		cfg.Conn.Timezone = time.UTC
	}
	var retryErrs []error
	cfg.Conn.Attempts, cfg.Conn.Backoff, retryErrs = parseConnRetry(props)
	errs = append(errs, retryErrs...)
	if cfg.Conn.URL == "" {
		bad("connection.url", "", "required: jdbc:mysql://host:port/db or user:pass@tcp(host:port)/db")
	} else if _, err := cfg.Conn.DriverConfig(); err != nil {
		errs = append(errs, &config.KeyError{Key: "connection.url", Msg: err.Error()})
	}

	cfg.Tables = aliasList(props, "table.whitelist", "table.include.list", bad)
	cfg.Exclude = aliasList(props, "table.blacklist", "table.exclude.list", bad)
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
		bad("table.blacklist", get("table.blacklist")+get("table.exclude.list"), "must be empty when table.whitelist is set")
	}
	cfg.Query = get("query")
	cfg.QuerySuffix = get("query.suffix")
	if cfg.Query != "" && (len(cfg.Tables) > 0 || len(cfg.Exclude) > 0) {
		bad("query", cfg.Query, "must be empty when table.whitelist or table.blacklist is set (read a query or tables, not both)")
	}

	switch m := Mode(get("mode")); m {
	case ModeBulk, ModeIncrementing, ModeTimestamp, ModeTimestampIncrementing:
		cfg.Mode = m
	default:
		bad("mode", string(m), "required: bulk, incrementing, timestamp or timestamp+incrementing")
	}
	cfg.IncrementingColumn = get("incrementing.column.name")
	if cfg.IncrementingColumn != "" {
		if err := ValidateIdent(cfg.IncrementingColumn); err != nil {
			bad("incrementing.column.name", cfg.IncrementingColumn, err.Error())
		}
	}
	if v := get("timestamp.column.name"); v != "" {
		cfg.TimestampColumns = splitList(v)
		for _, c := range cfg.TimestampColumns {
			if err := ValidateIdent(c); err != nil {
				bad("timestamp.column.name", v, err.Error())
			}
		}
	}
	if (cfg.Mode == ModeTimestamp || cfg.Mode == ModeTimestampIncrementing) && len(cfg.TimestampColumns) == 0 {
		bad("timestamp.column.name", "", "required when mode is "+string(cfg.Mode))
	}
	if cfg.Query != "" && (cfg.Mode == ModeIncrementing || cfg.Mode == ModeTimestampIncrementing) && cfg.IncrementingColumn == "" {
		bad("incrementing.column.name", "", "required in query mode with mode "+string(cfg.Mode)+" (no table to detect AUTO_INCREMENT from)")
	}

	if n, ok := intKey(props, "timestamp.delay.interval.ms", 0, 0, math32(), bad, "an integer number of milliseconds >= 0"); ok {
		cfg.TimestampDelay = time.Duration(n) * time.Millisecond
	}
	if n, ok := intKey(props, "incrementing.gap.timeout.ms", DefaultGapTimeoutMs, 0, math32(), bad, "an integer number of milliseconds >= 0"); ok {
		cfg.GapTimeout = time.Duration(n) * time.Millisecond
	}
	if v := get("incrementing.gap.timeout.ms"); v != "" && (cfg.Mode != ModeIncrementing || cfg.Query != "") && cfg.Mode != "" {
		bad("incrementing.gap.timeout.ms", v, "only in mode incrementing on tables (gaps are told by the table's AUTO_INCREMENT column); remove it")
	}
	if v := get("timestamp.initial"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < -1 {
			bad("timestamp.initial", v, "epoch milliseconds >= 0, or -1 for the current time")
		} else {
			cfg.TimestampInitial = &n
		}
	}
	if n, ok := intKey(props, "batch.max.rows", DefaultBatchMaxRows, 1, MaxBatchMaxRows, bad, fmt.Sprintf("an integer from 1 to %d", MaxBatchMaxRows)); ok {
		cfg.BatchMaxRows = int(n)
	}
	if n, ok := intKey(props, KeyInitialLoadMaxParallelism, 1, 1, MaxInitialLoadParallelism, bad, fmt.Sprintf("an integer from 1 to %d", MaxInitialLoadParallelism)); ok {
		cfg.InitialLoadParallelism = int(n)
		if n > 1 && cfg.Mode != "" && (cfg.Mode != ModeIncrementing || cfg.Query != "") {
			bad(KeyInitialLoadMaxParallelism, strconv.FormatInt(n, 10), "above 1 only in mode incrementing on tables: the chunks split the incrementing column's key range; set 1")
		}
	}
	if n, ok := intKey(props, "poll.interval.ms", DefaultPollIntervalMs, 1, math32(), bad, "an integer number of milliseconds >= 1"); ok {
		cfg.PollInterval = time.Duration(n) * time.Millisecond
	}
	cfg.TopicPrefix = get("topic.prefix")
	if cfg.Query != "" && cfg.TopicPrefix == "" {
		bad("topic.prefix", "", "required in query mode: it is the topic name")
	}
	switch v := strings.ToLower(get("validate.non.null")); v {
	case "", "true":
	case "false":
		cfg.ValidateNonNull = false
	default:
		bad("validate.non.null", v, "true or false")
	}
	switch v := NumericMapping(strings.ToLower(get("numeric.mapping"))); v {
	case "":
	case NumericNone, NumericPrecisionOnly, NumericBestFit, NumericBestFitEagerDouble:
		cfg.Types.NumericMapping = v
	default:
		bad("numeric.mapping", string(v), "none, precision_only, best_fit or best_fit_eager_double")
	}
	switch v := UnsignedMode(strings.ToLower(get("bigint.unsigned.handling.mode"))); v {
	case "":
	case UnsignedLong, UnsignedPrecise:
		cfg.Types.Unsigned = v
	default:
		bad("bigint.unsigned.handling.mode", string(v), "long or precise")
	}
	switch v := TimePrecisionMode(strings.ToLower(get("time.precision.mode"))); v {
	case "":
	case TimeConnect, TimeAdaptiveMicros:
		cfg.Types.TimePrecision = v
	default:
		bad("time.precision.mode", string(v), "connect or adaptive_time_microseconds")
	}
	if v := get("table.types"); v != "" {
		cfg.TableTypes = nil
		for _, t := range splitList(v) {
			switch u := strings.ToUpper(t); u {
			case "TABLE", "VIEW":
				cfg.TableTypes = append(cfg.TableTypes, u)
			default:
				bad("table.types", v, "a comma list of TABLE and VIEW")
			}
		}
	}
	cfg.CatalogPattern = get("catalog.pattern")
	cfg.SchemaPattern = get("schema.pattern")
	if cfg.CatalogPattern != "" && cfg.Conn.URL != "" {
		if dc, err := cfg.Conn.DriverConfig(); err == nil && cfg.CatalogPattern != dc.DBName {
			bad("catalog.pattern", cfg.CatalogPattern, "the database of connection.url ("+dc.DBName+"); reading several databases is not supported")
		}
	}
	return cfg, errs
}

func math32() int64 { return 1<<31 - 1 }

// intKey parses an integer key within [lo, hi]; def when absent.
func intKey(props map[string]string, key string, def, lo, hi int64, bad func(k, v, a string), allowed string) (int64, bool) {
	v := strings.TrimSpace(props[key])
	if v == "" {
		return def, true
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < lo || n > hi {
		bad(key, v, allowed)
		return 0, false
	}
	return n, true
}

// aliasList reads a comma list under a key and its alias; both set with
// different values is an error.
func aliasList(props map[string]string, key, alias string, bad func(k, v, a string)) []string {
	a, b := strings.TrimSpace(props[key]), strings.TrimSpace(props[alias])
	if a != "" && b != "" && a != b {
		bad(alias, b, "must be empty or equal to "+key+" (they are aliases)")
	}
	if a == "" {
		a = b
	}
	return splitList(a)
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
