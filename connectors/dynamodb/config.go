// Package dynamodb is the DynamoDB destination: it writes sink records as
// items, keyed like Confluent's DynamoDB sink connector (aws.dynamodb.pk.hash
// and aws.dynamodb.pk.sort record references), with puts and deletes through
// BatchWriteItem, or conditional writes that keep only newer versions so a
// replay never overwrites newer data.
package dynamodb

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/serverless-kafka-connect/slkc/shared/config"
	"github.com/serverless-kafka-connect/slkc/shared/ident"
)

// Configuration keys. The key-reference keys and
// aws.dynamodb.max.retry.time.seconds are those of Confluent's DynamoDB
// sink connector; delete.enabled and table.name.format those of the JDBC
// sink.
const (
	KeyTableNameFormat = "table.name.format"
	KeyPKHash          = "aws.dynamodb.pk.hash"
	KeyPKSort          = "aws.dynamodb.pk.sort"
	KeyEndpoint        = "aws.dynamodb.endpoint"
	KeyRegion          = "aws.dynamodb.region"
	KeyMaxRetryTime    = "aws.dynamodb.max.retry.time.seconds"
	KeyDeleteEnabled   = "delete.enabled"
	KeyWriteMode       = "write.mode"
	KeyVersionField    = "version.field"
	KeyBatchSize       = "batch.size"
	KeyConcurrency     = "aws.dynamodb.write.concurrency"
)

// WriteMode is write.mode.
type WriteMode string

const (
	// WriteModePut writes with BatchWriteItem: the last write wins.
	WriteModePut WriteMode = "put"
	// WriteModeConditional writes each item with a condition that the stored
	// version is older (see Config.VersionField), so replays and
	// out-of-order redeliveries never overwrite newer data.
	WriteModeConditional WriteMode = "conditional"
)

// OffsetVersionAttribute is the attribute conditional mode stores the Kafka
// offset in when no version.field is set.
const OffsetVersionAttribute = "__kafka_offset"

// maxBatchWriteItems is DynamoDB's limit of items per BatchWriteItem.
const maxBatchWriteItems = 25

// Config is the parsed DynamoDB sink configuration; build it with
// ParseConfig.
type Config struct {
	// TableNameFormat is table.name.format, default "${topic}".
	TableNameFormat string
	// Hash and Sort say where the item key comes from
	// (aws.dynamodb.pk.hash default "partition", aws.dynamodb.pk.sort
	// default "offset"; an empty sort means the table has no sort key).
	Hash KeyRef
	Sort *KeyRef
	// Endpoint and Region override the SDK's resolution (AWS_REGION,
	// AWS_ENDPOINT_URL_DYNAMODB, ...) when set.
	Endpoint string
	Region   string
	// MaxRetryTime bounds retries of unprocessed or throttled items inside
	// one Write (also bounded by the ctx deadline). Default 10 s.
	MaxRetryTime time.Duration
	// DeleteEnabled turns tombstones into DeleteItem; it needs the key to
	// come from the record key (key or key.<field> references). Default
	// false: tombstones are skipped and counted in the batch log line.
	DeleteEnabled bool
	// WriteMode defaults to put.
	WriteMode WriteMode
	// VersionField is the numeric value field compared in conditional
	// mode; empty means the Kafka offset, stored in OffsetVersionAttribute
	// (offsets are comparable because a key stays in one partition).
	VersionField string
	// BatchSize is the number of items per BatchWriteItem request, 1..25,
	// default 25.
	BatchSize int
	// Concurrency is the number of requests in flight, default 8.
	Concurrency int
	// PermissiveIdentifiers is identifiers.permissive: attribute names
	// from records and config skip shared/ident's default check (a
	// backquote, ';', control characters, surrounding white space).
	PermissiveIdentifiers bool
}

// ParseConfig builds a Config from the sink's own keys in props (and
// identifiers.permissive), for tests and tools; other keys are ignored here
// (the sink function parses the whole config, framework keys included,
// through the connector registry, which refuses unknown keys). All problems
// are returned together with errors.Join, each naming the key, the value
// and what is allowed.
func ParseConfig(props map[string]string) (Config, error) {
	vals, err := ConfigDef().WithFrameworkKey(config.Sink, config.KeyIdentifiersPermissive).ParseOwn(props)
	if err != nil {
		return Config{}, fmt.Errorf("dynamodb sink config: %w", err)
	}
	return ConfigFromValues(vals)
}

// configFromValues fills the typed config from values parsed with
// ConfigDef, which applied every key's type, default and range; what is
// left here are the key references, table names and the rules across keys.
func configFromValues(v config.Values) (Config, []error) {
	var errs []error
	bad := func(key, val, allowed string) {
		errs = append(errs, config.Errorf(key, val, "allowed %s", allowed))
	}
	cfg := Config{
		TableNameFormat: v.String(KeyTableNameFormat),
		Endpoint:        v.String(KeyEndpoint),
		Region:          v.String(KeyRegion),
		MaxRetryTime:    time.Duration(v.Int(KeyMaxRetryTime)) * time.Second,
		DeleteEnabled:   v.Bool(KeyDeleteEnabled),
		WriteMode:       WriteMode(strings.ToLower(v.String(KeyWriteMode))),
		VersionField:    v.String(KeyVersionField),
		BatchSize:       v.Int(KeyBatchSize),
		Concurrency:     v.Int(KeyConcurrency),
	}
	if v.Defined(config.KeyIdentifiersPermissive) {
		cfg.PermissiveIdentifiers = v.Bool(config.KeyIdentifiersPermissive)
	}
	if err := validTableName(strings.ReplaceAll(cfg.TableNameFormat, "${topic}", "topic")); err != nil {
		bad(KeyTableNameFormat, cfg.TableNameFormat, "a DynamoDB table name (3-255 of a-z A-Z 0-9 _ - .), optionally containing ${topic}")
	}
	hash := v.String(KeyPKHash)
	if r, err := ParseKeyRef(hash); err != nil {
		bad(KeyPKHash, hash, "partition, offset, key, key.<field path>, value.<field path>, each optionally followed by :<attribute name> ("+err.Error()+")")
	} else {
		cfg.Hash = r
	}
	if sort := v.String(KeyPKSort); sort != "" {
		if r, err := ParseKeyRef(sort); err != nil {
			bad(KeyPKSort, sort, "empty (no sort key), partition, offset, key, key.<field path>, value.<field path>, optionally followed by :<attribute name> ("+err.Error()+")")
		} else {
			cfg.Sort = &r
			if r.Attribute == cfg.Hash.Attribute {
				bad(KeyPKSort, sort, fmt.Sprintf("an attribute name different from the hash key %q", cfg.Hash.Attribute))
			}
		}
	}
	if cfg.DeleteEnabled {
		for _, r := range cfg.keyRefs() {
			if r.Source != SourceKey {
				errs = append(errs, config.Errorf(KeyDeleteEnabled, "true", "delete.enabled=true needs the item key from the record key, but %q comes from %s: use key or key.<field> in %s and %s",
					r.String(), r.Source, KeyPKHash, KeyPKSort))
			}
		}
	}
	if cfg.VersionField != "" && cfg.WriteMode != WriteModeConditional {
		errs = append(errs, config.Errorf(KeyVersionField, cfg.VersionField, "needs %s=conditional", KeyWriteMode))
	}
	if !cfg.PermissiveIdentifiers {
		check := func(key, name string) {
			if err := ident.Check(name); err != nil {
				errs = append(errs, config.Errorf(key, v.Text(key), "attribute name: %v", err))
			}
		}
		check(KeyPKHash, cfg.Hash.Attribute)
		if cfg.Sort != nil {
			check(KeyPKSort, cfg.Sort.Attribute)
		}
		if cfg.VersionField != "" {
			check(KeyVersionField, cfg.VersionField)
		}
	}
	return cfg, errs
}

func (c *Config) keyRefs() []KeyRef {
	if c.Sort == nil {
		return []KeyRef{c.Hash}
	}
	return []KeyRef{c.Hash, *c.Sort}
}

// tableName applies table.name.format to a topic.
func (c *Config) tableName(topic string) (string, error) {
	name := strings.ReplaceAll(c.TableNameFormat, "${topic}", topic)
	if err := validTableName(name); err != nil {
		return "", fmt.Errorf("%s %q with topic %q: %w", KeyTableNameFormat, c.TableNameFormat, topic, err)
	}
	return name, nil
}

// validTableName checks DynamoDB's table naming rules.
func validTableName(name string) error {
	if len(name) < 3 || len(name) > 255 {
		return fmt.Errorf("table name %q must be 3 to 255 characters", name)
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-' || r == '.') {
			return fmt.Errorf("table name %q has %q; allowed a-z A-Z 0-9 _ - .", name, r)
		}
	}
	return nil
}

// GroupSink is the docs group of the DynamoDB sink keys.
const GroupSink = "DynamoDB Sink"

// ConfigDef returns the key definitions of the DynamoDB sink (with the
// refused keys of CompatDef) plus a cross-key check running ParseConfig's rules. topics is a framework key
// (config.SinkDef) and is not defined here. Merge it into
// config.FrameworkDef(config.Sink), or pass it to config.ParseConnector,
// then build the typed config with ConfigFromValues.
func ConfigDef() *config.Def {
	s := config.String
	d := config.NewDef(
		config.Key{Name: KeyTableNameFormat, Type: s, Default: config.Default("${topic}"), Validator: config.NonEmpty(), Group: GroupSink,
			Doc: "Destination table; ${topic} is replaced by the topic. Default ${topic}."},
		config.Key{Name: KeyPKHash, Type: s, Default: config.Default("partition"), Validator: config.NonEmpty(), Group: GroupSink,
			Doc: "Hash key: partition, offset, key, key.<path> or value.<path>, optionally :<attribute>. Default partition."},
		config.Key{Name: KeyPKSort, Type: s, Default: config.Default("offset"), Group: GroupSink,
			Doc: "Sort key, same forms as aws.dynamodb.pk.hash; empty for a table without a sort key. Default offset."},
		config.Key{Name: KeyEndpoint, Type: s, Default: config.Default(""), Group: GroupSink,
			Doc: "Endpoint URL override; default from the SDK (AWS_ENDPOINT_URL_DYNAMODB, ...)."},
		config.Key{Name: KeyRegion, Type: s, Default: config.Default(""), Group: GroupSink,
			Doc: "Region override; default from the SDK (AWS_REGION)."},
		config.Key{Name: KeyMaxRetryTime, Type: config.Int, Default: config.Default("10"), Validator: config.Range(0, 3600), Group: GroupSink,
			Doc: "Seconds to keep retrying unprocessed or throttled items within one batch (also bounded by the function deadline). Default 10."},
		config.Key{Name: KeyDeleteEnabled, Type: config.Bool, Default: config.Default("false"), Group: GroupSink,
			Doc: "Turn tombstones into DeleteItem; needs key references from the record key. Default false (tombstones skipped)."},
		config.Key{Name: KeyWriteMode, Type: s, Default: config.Default(string(WriteModePut)), Group: GroupSink,
			Validator: config.OneOfFold(string(WriteModePut), string(WriteModeConditional)),
			Doc:       "put (BatchWriteItem, last write wins) or conditional (only newer versions are written). Default put."},
		config.Key{Name: KeyVersionField, Type: s, Default: config.Default(""), Group: GroupSink,
			Doc: "Numeric value field compared in conditional mode; empty compares Kafka offsets (attribute __kafka_offset)."},
		config.Key{Name: KeyBatchSize, Type: config.Int, Default: config.Default("25"), Validator: config.Range(1, maxBatchWriteItems), Group: GroupSink,
			Doc: "Items per BatchWriteItem request, 1..25. Default 25."},
		config.Key{Name: KeyConcurrency, Type: config.Int, Default: config.Default("8"), Validator: config.Range(1, 64), Group: GroupSink,
			Doc: "Requests in flight per batch. Default 8."},
	)
	d.Define(CompatDef().Keys()...)
	d.AddCheck(func(v config.Values) []error {
		_, errs := configFromValues(v)
		return errs
	})
	return d
}

// ConfigFromValues builds the typed config from values parsed by a Def
// that includes ConfigDef.
func ConfigFromValues(v config.Values) (Config, error) {
	if !v.Defined(KeyPKHash) {
		return Config{}, errors.New("dynamodb sink config: values were not parsed with ConfigDef")
	}
	cfg, errs := configFromValues(v)
	if len(errs) > 0 {
		return Config{}, fmt.Errorf("dynamodb sink config: %w", errors.Join(errs...))
	}
	return cfg, nil
}
