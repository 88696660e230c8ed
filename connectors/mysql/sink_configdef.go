package mysql

import (
	"errors"
	"fmt"

	"github.com/serverless-kafka-connect/slkc/shared/config"
)

// GroupSink is the docs group of the MySQL sink keys.
const GroupSink = "MySQL Sink"

// SinkConfigDef returns the key definitions of the MySQL sink (types,
// defaults, per-key validators, docs) plus a cross-key check running
// ParseSinkConfig's rules (delete.enabled needs pk.mode=record_key, ...).
// topics is a framework key (config.SinkDef) and is not defined here.
// Merge it into config.FrameworkDef(config.Sink), or pass it to
// config.ParseConnector, then build the typed config with
// SinkConfigFromValues.
func SinkConfigDef() *config.Def {
	s, b := config.String, config.Bool
	d := config.NewDef(
		config.Key{Name: SinkKeyConnectionURL, Type: s, Required: true, Validator: config.NonEmpty(), Group: GroupSink,
			Doc: "jdbc:mysql://host:port/db[?user=..&password=..] or a Go MySQL DSN user:pass@tcp(host:port)/db."},
		config.Key{Name: SinkKeyConnectionUser, Type: s, Default: config.Default(""), Group: GroupSink,
			Doc: "User name; overrides the one in connection.url."},
		config.Key{Name: SinkKeyConnectionPassword, Type: config.Password, Default: config.Default(""), Group: GroupSink,
			Doc: "Password; overrides the one in connection.url. Use ${secretsmanager:id:key}."},
		config.Key{Name: SinkKeyInsertMode, Type: s, Default: config.Default(string(InsertModeInsert)), Group: GroupSink,
			Validator: config.OneOfFold(string(InsertModeInsert), string(InsertModeUpsert), string(InsertModeUpdate)),
			Doc:       "insert (plain INSERT), upsert (INSERT .. ON DUPLICATE KEY UPDATE of the row with the record's key only: a record whose other unique values another row holds fails; idempotent) or update (UPDATE .. WHERE pk). Default insert."},
		config.Key{Name: SinkKeyPKMode, Type: s, Default: config.Default(string(PKModeNone)), Group: GroupSink,
			Validator: config.OneOfFold(string(PKModeNone), string(PKModeKafka), string(PKModeRecordKey), string(PKModeRecordValue)),
			Doc:       "none, kafka (__connect_topic/__connect_partition/__connect_offset), record_key or record_value. Default none."},
		config.Key{Name: SinkKeyPKFields, Type: config.List, Default: config.Default(""), Group: GroupSink,
			Doc: "Primary key columns; meaning depends on pk.mode as in the JDBC sink (one name for a primitive record key)."},
		config.Key{Name: SinkKeyDeleteEnabled, Type: b, Default: config.Default("false"), Group: GroupSink,
			Doc: "Turn tombstones into DELETE; needs pk.mode=record_key. When false tombstones are skipped. Default false."},
		config.Key{Name: SinkKeyTableNameFormat, Type: s, Default: config.Default("${topic}"), Validator: config.NonEmpty(), Group: GroupSink,
			Doc: "Destination table; ${topic} is replaced by the topic. May be db.table. Default ${topic}."},
		config.Key{Name: SinkKeyFieldsWhitelist, Type: config.List, Default: config.Default(""), Group: GroupSink,
			Doc: "Value fields to write; empty writes all."},
		config.Key{Name: SinkKeyAutoCreate, Type: b, Default: config.Default("false"), Group: GroupSink,
			Doc: "CREATE TABLE from the record schema when the table is missing. Default false."},
		config.Key{Name: SinkKeyAutoEvolve, Type: b, Default: config.Default("false"), Group: GroupSink,
			Doc: "ALTER TABLE ADD COLUMN for new optional fields (or fields with a default). Default false."},
		config.Key{Name: SinkKeyBatchSize, Type: config.Int, Default: config.Default("3000"), Validator: config.Range(1, 1_000_000), Group: GroupSink,
			Doc: "Maximum rows per multi-row statement (also bounded by 65535 placeholders, and by about 192 KiB of values, which keeps go-sql-driver reusing its packet buffer). Default 3000."},
		config.Key{Name: SinkKeyDBTimezone, Type: s, Default: config.Default("UTC"), Group: GroupSink,
			Doc: "Zone DATETIME values are written in. Default UTC."},
		config.Key{Name: SinkKeyMaxRetries, Type: config.Int, Default: config.Default("10"), Validator: config.Range(0, 1_000_000), Group: GroupSink,
			Doc: "Accepted for JDBC compatibility; retries happen by re-invocation."},
		config.Key{Name: SinkKeyRetryBackoffMS, Type: config.Int, Default: config.Default("3000"), Validator: config.Range(0, 86_400_000), Group: GroupSink,
			Doc: "Accepted for JDBC compatibility; retries happen by re-invocation."},
	)
	d.Define(jdbcCompatKeys(false)...)
	d.AddCheck(func(v config.Values) []error {
		_, errs := sinkFromValues(v)
		return errs
	})
	return d
}

// SinkConfigFromValues builds the typed config from values parsed by a Def
// that includes SinkConfigDef (e.g. config.ParseConnector(props,
// SinkConfigDef())).
func SinkConfigFromValues(v config.Values) (SinkConfig, error) {
	if !v.Defined(SinkKeyInsertMode) {
		return SinkConfig{}, errors.New("mysql sink config: values were not parsed with SinkConfigDef")
	}
	cfg, errs := sinkFromValues(v)
	if len(errs) > 0 {
		return SinkConfig{}, fmt.Errorf("mysql sink config: %w", errors.Join(errs...))
	}
	return cfg, nil
}
