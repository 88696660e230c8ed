package mysql

import (
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/serverless-kafka-connect/slkc/shared/config"
)

// Sink configuration keys, named as in the Confluent JDBC sink connector.
const (
	SinkKeyConnectionURL      = "connection.url"
	SinkKeyConnectionUser     = "connection.user"
	SinkKeyConnectionPassword = "connection.password"
	SinkKeyInsertMode         = "insert.mode"
	SinkKeyPKMode             = "pk.mode"
	SinkKeyPKFields           = "pk.fields"
	SinkKeyDeleteEnabled      = "delete.enabled"
	SinkKeyTableNameFormat    = "table.name.format"
	SinkKeyFieldsWhitelist    = "fields.whitelist"
	SinkKeyAutoCreate         = "auto.create"
	SinkKeyAutoEvolve         = "auto.evolve"
	SinkKeyBatchSize          = "batch.size"
	SinkKeyDBTimezone         = "db.timezone"
	SinkKeyMaxRetries         = "max.retries"
	SinkKeyRetryBackoffMS     = "retry.backoff.ms"
)

// InsertMode is insert.mode.
type InsertMode string

// The insert modes of the JDBC sink.
const (
	// InsertModeInsert writes plain INSERTs; a duplicate key is a
	// per-record error, so replays fail, except with pk.mode=kafka, where
	// an existing row with the same coordinates is the same record
	// delivered again and is kept without error.
	InsertModeInsert InsertMode = "insert"
	// InsertModeUpsert writes INSERT ... ON DUPLICATE KEY UPDATE that only
	// inserts the record's key or updates the row with that key; a record
	// whose other unique values are held by another row is a per-record
	// data error (see keyGuard).
	InsertModeUpsert InsertMode = "upsert"
	// InsertModeUpdate writes UPDATE ... WHERE pk; missing rows are not
	// created.
	InsertModeUpdate InsertMode = "update"
)

// PKMode is pk.mode.
type PKMode string

// The primary key modes of the JDBC sink.
const (
	PKModeNone        PKMode = "none"
	PKModeKafka       PKMode = "kafka"
	PKModeRecordKey   PKMode = "record_key"
	PKModeRecordValue PKMode = "record_value"
)

// Default column names for pk.mode=kafka, as the JDBC sink names them.
var defaultKafkaPKFields = []string{"__connect_topic", "__connect_partition", "__connect_offset"}

// SinkConfig is the parsed configuration of the MySQL sink. Build it with
// ParseSinkConfig; the zero value is not valid.
type SinkConfig struct {
	// Conn is connection.url / connection.user / connection.password /
	// db.timezone.
	Conn ConnConfig
	// InsertMode defaults to insert.
	InsertMode InsertMode
	// PKMode defaults to none.
	PKMode PKMode
	// PKFields is pk.fields; meaning depends on PKMode (see the JDBC docs):
	// kafka: empty or exactly 3 column names for topic, partition, offset;
	// record_key: the key field(s), exactly one for a primitive key, empty
	// for all fields of a struct key; record_value: the value fields, empty
	// for all.
	PKFields []string
	// DeleteEnabled turns tombstones into DELETEs; requires
	// pk.mode=record_key. Default false, in which case tombstones are
	// skipped (counted in the batch log line), as the JDBC sink does.
	DeleteEnabled bool
	// TableNameFormat is table.name.format, default "${topic}".
	TableNameFormat string
	// FieldsWhitelist limits the value fields written; empty means all.
	FieldsWhitelist []string
	// AutoCreate creates missing tables from the record schema.
	AutoCreate bool
	// AutoEvolve adds missing columns with ALTER TABLE.
	AutoEvolve bool
	// BatchSize caps the rows of one multi-row statement, default 3000.
	BatchSize int
	// MaxRetries and RetryBackoff are max.retries (default 10) and
	// retry.backoff.ms (default 3000), as in the JDBC sink: a batch whose
	// write failed retriably (deadlock, lock wait timeout, lost
	// connection) is written again up to MaxRetries times, RetryBackoff
	// apart, inside the invocation. Write itself does not retry; the sink
	// function hands both to sinktask.Retry.
	MaxRetries   int
	RetryBackoff time.Duration
	// PermissiveIdentifiers is identifiers.permissive: table and column
	// names from records and config are checked with
	// ValidateIdentPermissive instead of ValidateIdent. Default false.
	PermissiveIdentifiers bool

	// tables remembers tableName's last result; nil (a SinkConfig not
	// built by ParseSinkConfig or SinkConfigFromValues) computes every
	// name.
	tables *tableCache
}

// tableCache is the last table name tableName gave: the records of a
// batch come grouped by topic, so one entry saves applying the format and
// validating the name for every record. The entry names the format and
// identifiers.permissive it was made with, so a changed copy of the
// config never reads a name made for another.
type tableCache struct {
	last atomic.Pointer[tableEntry]
}

type tableEntry struct {
	format, topic, name string
	permissive          bool
}

// ParseSinkConfig builds a SinkConfig from the sink's own keys in props
// (and identifiers.permissive), for tests and tools; other keys are ignored
// here (the sink function parses the whole config, framework keys
// included, through the connector registry, which refuses unknown keys).
// All problems are reported together with errors.Join, each naming the
// key, the value and what is allowed.
func ParseSinkConfig(props map[string]string) (SinkConfig, error) {
	vals, err := SinkConfigDef().WithFrameworkKey(config.Sink, config.KeyIdentifiersPermissive).ParseOwn(props)
	if err != nil {
		return SinkConfig{}, fmt.Errorf("mysql sink config: %w", err)
	}
	return SinkConfigFromValues(vals)
}

// sinkFromValues fills the typed config from values parsed with
// SinkConfigDef, which applied every key's type, default and range; what
// is left here are the rules across keys and the checks that need more
// than one value (URL parameters, time zone, identifiers).
func sinkFromValues(v config.Values) (SinkConfig, []error) {
	var errs []error
	bad := func(key, val, allowed string) {
		errs = append(errs, config.Errorf(key, val, "allowed %s", allowed))
	}
	cfg := SinkConfig{
		tables: &tableCache{},
		Conn: ConnConfig{
			URL:      v.String(SinkKeyConnectionURL),
			User:     v.String(SinkKeyConnectionUser),
			Password: v.Password(SinkKeyConnectionPassword).Value(),
			Attempts: v.Int(KeyConnectionAttempts),
			Backoff:  time.Duration(v.Long(KeyConnectionBackoffMS)) * time.Millisecond,
		},
		InsertMode:      InsertMode(strings.ToLower(v.String(SinkKeyInsertMode))),
		PKMode:          PKMode(strings.ToLower(v.String(SinkKeyPKMode))),
		PKFields:        v.List(SinkKeyPKFields),
		DeleteEnabled:   v.Bool(SinkKeyDeleteEnabled),
		TableNameFormat: v.String(SinkKeyTableNameFormat),
		FieldsWhitelist: v.List(SinkKeyFieldsWhitelist),
		AutoCreate:      v.Bool(SinkKeyAutoCreate),
		AutoEvolve:      v.Bool(SinkKeyAutoEvolve),
		BatchSize:       v.Int(SinkKeyBatchSize),
		MaxRetries:      v.Int(SinkKeyMaxRetries),
		RetryBackoff:    time.Duration(v.Int(SinkKeyRetryBackoffMS)) * time.Millisecond,
	}
	if v.Defined(config.KeyIdentifiersPermissive) {
		cfg.PermissiveIdentifiers = v.Bool(config.KeyIdentifiersPermissive)
	}
	if dc, err := cfg.Conn.DriverConfig(); err != nil {
		// The URL may hold a password: DriverConfig's message redacts it.
		errs = append(errs, config.Errorf(SinkKeyConnectionURL, "", "%v", err))
	} else {
		for k := range dc.Params {
			if strings.EqualFold(k, "sql_mode") {
				errs = append(errs, config.Errorf(SinkKeyConnectionURL, "", "parameter %s is not allowed: the sink sets sql_mode=%s on its sessions, so a value that does not fit its column fails its record instead of being truncated; remove %s", k, SinkSQLMode, k))
			}
		}
	}
	if f := cfg.TableNameFormat; !strings.Contains(f, "${topic}") {
		if _, err := quoteQualified(f, cfg.PermissiveIdentifiers); err != nil {
			bad(SinkKeyTableNameFormat, f, "a valid table name ("+err.Error()+")")
		}
	}
	if loc, err := time.LoadLocation(v.String(SinkKeyDBTimezone)); err != nil {
		bad(SinkKeyDBTimezone, v.String(SinkKeyDBTimezone), "an IANA time zone name such as UTC or Europe/Berlin")
	} else {
		cfg.Conn.Timezone = loc
	}
	for _, f := range append(append([]string{}, cfg.PKFields...), cfg.FieldsWhitelist...) {
		if err := cfg.validateIdent(f); err != nil {
			key := SinkKeyPKFields
			if !slices.Contains(cfg.PKFields, f) {
				key = SinkKeyFieldsWhitelist
			}
			errs = append(errs, config.Errorf(key, v.Text(key), "field name %q: %v", f, err))
		}
	}
	if cfg.DeleteEnabled && cfg.PKMode != PKModeRecordKey {
		errs = append(errs, config.Errorf(SinkKeyDeleteEnabled, "true", "delete.enabled=true requires %s=record_key, got %s", SinkKeyPKMode, cfg.PKMode))
	}
	if cfg.PKMode == PKModeKafka && len(cfg.PKFields) != 0 && len(cfg.PKFields) != 3 {
		bad(SinkKeyPKFields, v.Text(SinkKeyPKFields), "empty (default __connect_topic,__connect_partition,__connect_offset) or exactly 3 column names with pk.mode=kafka")
	}
	if cfg.PKMode == PKModeNone && len(cfg.PKFields) != 0 {
		bad(SinkKeyPKFields, v.Text(SinkKeyPKFields), "empty with pk.mode=none")
	}
	if cfg.PKMode == PKModeNone && cfg.InsertMode != InsertModeInsert {
		errs = append(errs, config.Errorf(SinkKeyInsertMode, string(cfg.InsertMode), "%s=%s requires a primary key: set %s to kafka, record_key or record_value", SinkKeyInsertMode, cfg.InsertMode, SinkKeyPKMode))
	}
	if cfg.PKMode == PKModeKafka && len(cfg.PKFields) == 0 {
		cfg.PKFields = append([]string(nil), defaultKafkaPKFields...)
	}
	return cfg, errs
}

// tableName applies table.name.format to a topic and validates the result.
// A table derived from a topic stays in the connection's database unless
// the format itself names one ("db.${topic}"): a '.' in the topic would
// otherwise pick the database (topic "otherdb.users" writing into otherdb),
// so such a topic is refused; route it to a plain name with RegexRouter.
func (c *SinkConfig) tableName(topic string) (string, error) {
	if c.tables != nil {
		if e := c.tables.last.Load(); e != nil && e.topic == topic && e.format == c.TableNameFormat && e.permissive == c.PermissiveIdentifiers {
			return e.name, nil
		}
	}
	name, err := c.makeTableName(topic)
	if err == nil && c.tables != nil {
		// The topic is cloned: the caller's string may live in a buffer
		// that is reused.
		c.tables.last.Store(&tableEntry{format: c.TableNameFormat, topic: strings.Clone(topic), name: name, permissive: c.PermissiveIdentifiers})
	}
	return name, err
}

// makeTableName is tableName without the cache.
func (c *SinkConfig) makeTableName(topic string) (string, error) {
	if strings.Contains(c.TableNameFormat, "${topic}") && strings.Contains(topic, ".") {
		return "", fmt.Errorf("%s %q with topic %q: the '.' in the topic would name a database other than the connection's; "+
			"name the table with %s (e.g. a RegexRouter transform to a name without '.', or the database written out in the format)",
			SinkKeyTableNameFormat, c.TableNameFormat, topic, SinkKeyTableNameFormat)
	}
	name := strings.ReplaceAll(c.TableNameFormat, "${topic}", topic)
	if _, err := quoteQualified(name, c.PermissiveIdentifiers); err != nil {
		return "", fmt.Errorf("%s %q with topic %q gives an invalid table name: %w", SinkKeyTableNameFormat, c.TableNameFormat, topic, err)
	}
	return name, nil
}

// validateIdent is ValidateIdent, or ValidateIdentPermissive with
// identifiers.permissive=true.
func (c *SinkConfig) validateIdent(name string) error {
	return validateIdent(name, c.PermissiveIdentifiers)
}
