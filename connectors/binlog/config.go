// Package binlog is a change-data-capture source: it reads the MySQL or
// MariaDB binary log (ROW format) with go-mysql-org/go-mysql's replication
// package and turns row events into Debezium-format change events (key =
// primary key struct, value = envelope with before, after, source, op,
// ts_ms, plus a tombstone after each delete).
//
// It plugs into the framework like every other source: one partition
// ({"server": topic.prefix}, as Debezium names it), and a position that is
// always a transaction boundary, so shared/sourcetask commits an offset only
// after every record of the whole transaction is acknowledged. Each
// scheduled invocation resumes from the committed binlog file and position.
//
// It takes Debezium's MySQL/MariaDB connector keys; the ones it does not
// implement are refused, naming the key.
package binlog

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/serverless-kafka-connect/slkc/shared/config"
)

// Connector classes, Debezium's names.
const (
	MySQLClass   = "io.debezium.connector.mysql.MySqlConnector"
	MariaDBClass = "io.debezium.connector.mariadb.MariaDbConnector"
)

// SnapshotMode is Debezium's snapshot.mode.
type SnapshotMode string

// Snapshot modes this connector implements.
const (
	// SnapshotNoData reads no existing rows: the first run starts at the
	// current end of the binlog.
	SnapshotNoData SnapshotMode = "no_data"
	// SnapshotNever reads no existing rows and streams from the oldest
	// binlog file the server still has.
	SnapshotNever SnapshotMode = "never"
	// SnapshotInitial reads every captured table in chunks, consistent
	// with the binlog, then streams (MariaDB only; see snapshot.go).
	SnapshotInitial SnapshotMode = "initial"
	// SnapshotWhenNeeded is initial, and also snapshots again when the
	// stored position is no longer on the server (see whenneeded.go).
	SnapshotWhenNeeded SnapshotMode = "when_needed"
)

// Debezium's other snapshot modes: refused as not yet supported.
var unsupportedSnapshotModes = []string{"initial_only", "always", "recovery",
	"schema_only", "schema_only_recovery", "configuration_based", "custom"}

// DecimalMode is decimal.handling.mode.
type DecimalMode string

// Decimal handling modes.
const (
	DecimalPrecise DecimalMode = "precise"
	DecimalString  DecimalMode = "string"
	DecimalDouble  DecimalMode = "double"
)

// TimeMode is time.precision.mode.
type TimeMode string

// Time precision modes (Debezium's MySQL connector knows these two).
const (
	TimeAdaptiveMicros TimeMode = "adaptive_time_microseconds"
	TimeConnect        TimeMode = "connect"
)

// UnsignedMode is bigint.unsigned.handling.mode.
type UnsignedMode string

// BIGINT UNSIGNED handling modes.
const (
	UnsignedLong    UnsignedMode = "long"
	UnsignedPrecise UnsignedMode = "precise"
)

// Defaults.
const (
	DefaultPort         = 3306
	DefaultMaxBatchSize = 2048
	MaxMaxBatchSize     = 100_000
	DefaultChunkSize    = 1024
)

// Config is the typed connector config; build it with ConfigFromValues
// (or ParseConfig in tests).
type Config struct {
	// Class is the canonical connector.class (MySQLClass or MariaDBClass);
	// it names the connector in source.connector ("mysql" / "mariadb").
	Class    string
	Host     string
	Port     int
	User     string
	Password config.Secret
	// ServerID is the replica server id this connector registers with
	// (database.server.id); unique among the server's replicas.
	ServerID    uint32
	TopicPrefix string

	DatabaseInclude, DatabaseExclude []*regexp.Regexp
	TableInclude, TableExclude       []*regexp.Regexp
	ColumnExclude                    []*regexp.Regexp

	SnapshotMode       SnapshotMode
	TombstonesOnDelete bool
	DecimalMode        DecimalMode
	TimeMode           TimeMode
	UnsignedMode       UnsignedMode
	// MaxBatchSize bounds the change events of one page (max.batch.size);
	// a page never splits a transaction, so one large transaction may
	// exceed it.
	MaxBatchSize int
	// ChunkSize is the rows per snapshot chunk
	// (incremental.snapshot.chunk.size).
	ChunkSize int

	// SignalTable is signal.data.collection as "db.table" ("" = none);
	// see signal.go.
	SignalTable string
	// IncludeSchemaChanges sends a schema change event per DDL statement
	// to the topic named topic.prefix (schemachange.go).
	IncludeSchemaChanges bool
}

// Group is the docs group of the keys.
const Group = "Change data capture (binlog)"

// keys of ConfigDef in one place: name, type, default (nil = none),
// required, validator, doc.
func keys() []config.Key {
	s, l, b := config.String, config.List, config.Bool
	return []config.Key{
		{Name: "database.hostname", Type: s, Required: true, Validator: config.NonEmpty(), Group: Group,
			Doc: "Host name or IP of the MySQL/MariaDB server."},
		{Name: "database.port", Type: config.Int, Default: config.Default(fmt.Sprint(DefaultPort)), Validator: config.Range(1, 65535), Group: Group,
			Doc: "Port. Default 3306."},
		{Name: "database.user", Type: s, Required: true, Validator: config.NonEmpty(), Group: Group,
			Doc: "User with REPLICATION SLAVE, REPLICATION CLIENT and SELECT."},
		{Name: "database.password", Type: config.Password, Default: config.Default(""), Group: Group,
			Doc: "Password; use ${secretsmanager:id:key}."},
		{Name: "database.server.id", Type: config.Long, Required: true, Validator: config.Range(1, 1<<32-1), Group: Group,
			Doc: "Replica server id, unique among the server's replicas (1..4294967295)."},
		{Name: "topic.prefix", Type: s, Required: true, Validator: config.Regexp(`^[A-Za-z0-9._-]+$`), Group: Group,
			Doc: "Logical server name: topics are <topic.prefix>.<db>.<table>."},
		{Name: "database.include.list", Type: l, Default: config.Default(""), Group: Group,
			Doc: "Regular expressions matching whole database names to capture. Default: all but the system databases."},
		{Name: "database.exclude.list", Type: l, Default: config.Default(""), Group: Group,
			Doc: "Regular expressions matching whole database names not to capture; not with database.include.list."},
		{Name: "table.include.list", Type: l, Default: config.Default(""), Group: Group,
			Doc: "Regular expressions matching whole db.table names to capture."},
		{Name: "table.exclude.list", Type: l, Default: config.Default(""), Group: Group,
			Doc: "Regular expressions matching whole db.table names not to capture; not with table.include.list."},
		{Name: "column.exclude.list", Type: l, Default: config.Default(""), Group: Group,
			Doc: "Regular expressions matching whole db.table.column names left out of before/after."},
		{Name: "snapshot.mode", Type: s, Group: Group, Validator: snapshotModeValidator,
			Doc: "initial (chunked snapshot of every captured table, then the stream; MariaDB only), when_needed (initial, and again when the stored position was purged; MariaDB only), no_data (start at the current binlog end) or never (start at the oldest binlog). Required."},
		{Name: "include.schema.changes", Type: b, Default: config.Default("true"), Group: Group,
			Doc: "Send a schema change event for each DDL statement of a captured database to the topic named topic.prefix. Default true."},
		{Name: "tombstones.on.delete", Type: b, Default: config.Default("true"), Group: Group,
			Doc: "Send a tombstone (null value) after each delete event. Default true."},
		{Name: "decimal.handling.mode", Type: s, Default: config.Default(string(DecimalPrecise)), Group: Group,
			Validator: config.OneOf(string(DecimalPrecise), string(DecimalString), string(DecimalDouble)),
			Doc:       "DECIMAL as Connect Decimal (precise), string or double. Default precise."},
		{Name: "time.precision.mode", Type: s, Default: config.Default(string(TimeAdaptiveMicros)), Group: Group,
			Validator: config.OneOf(string(TimeAdaptiveMicros), string(TimeConnect)),
			Doc:       "adaptive_time_microseconds (io.debezium.time.*) or connect (Kafka Connect's Date/Time/Timestamp). Default adaptive_time_microseconds."},
		{Name: "bigint.unsigned.handling.mode", Type: s, Default: config.Default(string(UnsignedLong)), Group: Group,
			Validator: config.OneOf(string(UnsignedLong), string(UnsignedPrecise)),
			Doc:       "BIGINT UNSIGNED as int64 (long) or Decimal with scale 0 (precise). Default long."},
		{Name: "incremental.snapshot.chunk.size", Type: config.Int, Default: config.Default(fmt.Sprint(DefaultChunkSize)), Validator: config.Range(1, MaxMaxBatchSize), Group: Group,
			Doc: "Rows per snapshot chunk (snapshot.mode=initial): one consistent read per chunk. Default 1024."},
		{Name: "signal.data.collection", Type: s, Default: config.Default(""), Validator: config.Regexp(`^$|^[^.\s]+\.[^.\s]+$`), Group: Group,
			Doc: "The signal table as db.table: an execute-snapshot row inserted into it starts an ad hoc incremental snapshot of the tables it names (MariaDB only). Default none."},
		{Name: "max.batch.size", Type: config.Int, Default: config.Default(fmt.Sprint(DefaultMaxBatchSize)), Validator: config.Range(1, MaxMaxBatchSize), Group: Group,
			Doc: "Change events per page (one offset commit); a transaction is never split. Default 2048."},
	}
}

// ConfigDef returns the key definitions plus a cross-key check running
// fromValues's rules. Merge it into the framework's Def (coldstart's Parse
// does), then build the typed config with ConfigFromValues.
func ConfigDef() *config.Def {
	d := config.NewDef(keys()...)
	d.AddCheck(func(v config.Values) []error {
		_, errs := fromValues(v)
		return errs
	})
	return d
}

// ConfigFromValues builds the typed config from values parsed by a Def that
// includes ConfigDef.
func ConfigFromValues(v config.Values) (Config, error) {
	if !v.Defined("database.server.id") {
		return Config{}, errors.New("binlog config: values were not parsed with binlog.ConfigDef")
	}
	cfg, errs := fromValues(v)
	if len(errs) > 0 {
		return Config{}, fmt.Errorf("binlog config: %w", errors.Join(errs...))
	}
	return cfg, nil
}

// ParseConfig parses the connector's own keys (and connector.class) from
// props, for tests and tools; every problem is reported, joined. Unknown
// keys are refused by ConfigDef in the framework parse, not here.
func ParseConfig(props map[string]string) (Config, error) {
	vals, err := ConfigDef().Define(config.Key{Name: config.KeyConnectorClass, Type: config.Class, Required: true}).Parse(props)
	if err != nil {
		return Config{}, fmt.Errorf("binlog config: %w", err)
	}
	return ConfigFromValues(vals)
}

// fromValues fills the typed config from values parsed with ConfigDef,
// which applied every key's type, default, range and allowed values; what
// is left here are the rules across keys and the checks that need more
// than one value (the class, the filters' regular expressions, a
// snapshot.mode to be set).
func fromValues(v config.Values) (Config, []error) {
	var errs []error
	cfg := Config{
		Host:                 v.String("database.hostname"),
		Port:                 v.Int("database.port"),
		User:                 v.String("database.user"),
		Password:             v.Password("database.password"),
		ServerID:             uint32(v.Long("database.server.id")),
		TopicPrefix:          v.String("topic.prefix"),
		TombstonesOnDelete:   v.Bool("tombstones.on.delete"),
		DecimalMode:          DecimalMode(v.String("decimal.handling.mode")),
		TimeMode:             TimeMode(v.String("time.precision.mode")),
		UnsignedMode:         UnsignedMode(v.String("bigint.unsigned.handling.mode")),
		MaxBatchSize:         v.Int("max.batch.size"),
		ChunkSize:            v.Int("incremental.snapshot.chunk.size"),
		IncludeSchemaChanges: v.Bool("include.schema.changes"),
		SignalTable:          v.String("signal.data.collection"),
	}
	class := v.String(config.KeyConnectorClass)
	switch _, canon, _ := config.ConnectorKind(class); canon {
	case MySQLClass, MariaDBClass:
		cfg.Class = canon
	default:
		errs = append(errs, config.Errorf(config.KeyConnectorClass, class, "the binlog connector runs %s or %s", MySQLClass, MariaDBClass))
	}

	lists := []struct {
		key string
		dst *[]*regexp.Regexp
	}{
		{"database.include.list", &cfg.DatabaseInclude}, {"database.exclude.list", &cfg.DatabaseExclude},
		{"table.include.list", &cfg.TableInclude}, {"table.exclude.list", &cfg.TableExclude},
		{"column.exclude.list", &cfg.ColumnExclude},
	}
	for _, li := range lists {
		for _, item := range v.List(li.key) {
			re, err := regexp.Compile(`(?i)^(?:` + item + `)$`)
			if err != nil {
				errs = append(errs, config.Errorf(li.key, v.Text(li.key), "item %q is not a regular expression: %v", item, err))
				continue
			}
			*li.dst = append(*li.dst, re)
		}
	}
	if len(cfg.DatabaseInclude) > 0 && len(cfg.DatabaseExclude) > 0 {
		errs = append(errs, config.Errorf("database.exclude.list", v.Text("database.exclude.list"), "set database.include.list or database.exclude.list, not both"))
	}
	if len(cfg.TableInclude) > 0 && len(cfg.TableExclude) > 0 {
		errs = append(errs, config.Errorf("table.exclude.list", v.Text("table.exclude.list"), "set table.include.list or table.exclude.list, not both"))
	}

	if !v.Has("snapshot.mode") {
		errs = append(errs, config.Errorf("snapshot.mode", "", "required: set %s or %s (MariaDB), %s or %s", SnapshotInitial, SnapshotWhenNeeded, SnapshotNoData, SnapshotNever))
	} else {
		cfg.SnapshotMode = SnapshotMode(v.String("snapshot.mode"))
	}
	return cfg, errs
}

// snapshotModeValidator accepts the implemented snapshot modes and names
// Debezium's others as not yet supported.
func snapshotModeValidator(mode string) error {
	switch {
	case mode == string(SnapshotNoData) || mode == string(SnapshotNever) || mode == string(SnapshotInitial) || mode == string(SnapshotWhenNeeded):
		return nil
	case contains(unsupportedSnapshotModes, mode):
		return fmt.Errorf("not yet supported; supported: %s, %s, %s, %s", SnapshotInitial, SnapshotWhenNeeded, SnapshotNoData, SnapshotNever)
	}
	return fmt.Errorf("unknown; supported: %s, %s, %s, %s", SnapshotInitial, SnapshotWhenNeeded, SnapshotNoData, SnapshotNever)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// systemDatabases are never captured, as Debezium's table.ignore.builtin.
var systemDatabases = map[string]bool{"mysql": true, "information_schema": true, "performance_schema": true, "sys": true}

// CapturesDatabase reports whether db passes the database filters.
func (c *Config) CapturesDatabase(db string) bool {
	if systemDatabases[strings.ToLower(db)] {
		return false
	}
	if len(c.DatabaseInclude) > 0 {
		return anyMatch(c.DatabaseInclude, db)
	}
	return !anyMatch(c.DatabaseExclude, db)
}

// CapturesTable reports whether db.table passes the database and table
// filters.
func (c *Config) CapturesTable(db, table string) bool {
	if !c.CapturesDatabase(db) {
		return false
	}
	name := db + "." + table
	if len(c.TableInclude) > 0 {
		return anyMatch(c.TableInclude, name)
	}
	return !anyMatch(c.TableExclude, name)
}

// excludesColumn reports whether db.table.column is in column.exclude.list.
func (c *Config) excludesColumn(db, table, column string) bool {
	return anyMatch(c.ColumnExclude, db+"."+table+"."+column)
}

func anyMatch(res []*regexp.Regexp, s string) bool {
	for _, re := range res {
		if re.MatchString(s) {
			return true
		}
	}
	return false
}

// connectorName is source.connector: "mysql" or "mariadb".
func (c *Config) connectorName() string {
	if c.Class == MariaDBClass {
		return "mariadb"
	}
	return "mysql"
}
