// Package dynamodb is the DynamoDB destination: it writes sink records as
// items, keyed like Confluent's DynamoDB sink connector (aws.dynamodb.pk.hash
// and aws.dynamodb.pk.sort record references), with puts and deletes through
// BatchWriteItem, or conditional writes that keep only newer versions so a
// replay never overwrites newer data.
package dynamodb

import (
	"errors"
	"fmt"
	"strconv"
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
	KeyTopics          = "topics"
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

// Keys lists every key ParseConfig reads, for the config layer's
// unknown-key check.
var Keys = []string{
	KeyTopics, KeyTableNameFormat, KeyPKHash, KeyPKSort, KeyEndpoint, KeyRegion, KeyMaxRetryTime,
	KeyDeleteEnabled, KeyWriteMode, KeyVersionField, KeyBatchSize, KeyConcurrency,
}

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
	Topics []string
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

// ParseConfig reads the sink keys from props. All problems are returned
// together with errors.Join, each naming the key, the value and what is
// allowed. Unknown keys are left to the config layer (see Keys).
func ParseConfig(props map[string]string) (Config, error) {
	cfg, errs := parseConfig(props)
	if len(errs) > 0 {
		return Config{}, fmt.Errorf("dynamodb sink config: %w", errors.Join(errs...))
	}
	return cfg, nil
}

// parseConfig does the work of ParseConfig, returning every problem as a
// *config.KeyError.
func parseConfig(props map[string]string) (Config, []error) {
	var errs []error
	bad := func(key, val, allowed string) {
		errs = append(errs, config.Errorf(key, val, "allowed %s", allowed))
	}
	cfg := Config{
		Topics:          splitList(props[KeyTopics]),
		TableNameFormat: "${topic}",
		Endpoint:        strings.TrimSpace(props[KeyEndpoint]),
		Region:          strings.TrimSpace(props[KeyRegion]),
		MaxRetryTime:    10 * time.Second,
		WriteMode:       WriteModePut,
		BatchSize:       maxBatchWriteItems,
		Concurrency:     8,
	}
	if v, ok := props[KeyTableNameFormat]; ok {
		if err := validTableName(strings.ReplaceAll(v, "${topic}", "topic")); err != nil {
			bad(KeyTableNameFormat, v, "a DynamoDB table name (3-255 of a-z A-Z 0-9 _ - .), optionally containing ${topic}")
		} else {
			cfg.TableNameFormat = v
		}
	}
	hash := "partition"
	if v, ok := props[KeyPKHash]; ok {
		hash = strings.TrimSpace(v)
	}
	if r, err := ParseKeyRef(hash); err != nil {
		bad(KeyPKHash, hash, "partition, offset, key, key.<field path>, value.<field path>, each optionally followed by :<attribute name> ("+err.Error()+")")
	} else {
		cfg.Hash = r
	}
	sort := "offset"
	if v, ok := props[KeyPKSort]; ok {
		sort = strings.TrimSpace(v)
	}
	if sort != "" {
		if r, err := ParseKeyRef(sort); err != nil {
			bad(KeyPKSort, sort, "empty (no sort key), partition, offset, key, key.<field path>, value.<field path>, optionally followed by :<attribute name> ("+err.Error()+")")
		} else {
			cfg.Sort = &r
			if r.Attribute == cfg.Hash.Attribute {
				bad(KeyPKSort, sort, fmt.Sprintf("an attribute name different from the hash key %q", cfg.Hash.Attribute))
			}
		}
	}
	if v := strings.TrimSpace(props[KeyDeleteEnabled]); v != "" {
		switch {
		case strings.EqualFold(v, "true"):
			cfg.DeleteEnabled = true
		case strings.EqualFold(v, "false"):
		default:
			bad(KeyDeleteEnabled, v, "true, false")
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
	if v, ok := props[KeyWriteMode]; ok {
		switch m := WriteMode(strings.ToLower(strings.TrimSpace(v))); m {
		case WriteModePut, WriteModeConditional:
			cfg.WriteMode = m
		default:
			bad(KeyWriteMode, v, "put, conditional")
		}
	}
	cfg.VersionField = strings.TrimSpace(props[KeyVersionField])
	if cfg.VersionField != "" && cfg.WriteMode != WriteModeConditional {
		errs = append(errs, config.Errorf(KeyVersionField, cfg.VersionField, "needs %s=conditional", KeyWriteMode))
	}
	parseInt := func(key string, min, max int, dst *int) {
		v := strings.TrimSpace(props[key])
		if v == "" {
			return
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < min || n > max {
			bad(key, v, fmt.Sprintf("an integer from %d to %d", min, max))
			return
		}
		*dst = n
	}
	parseInt(KeyBatchSize, 1, maxBatchWriteItems, &cfg.BatchSize)
	parseInt(KeyConcurrency, 1, 64, &cfg.Concurrency)
	secs := int(cfg.MaxRetryTime / time.Second)
	parseInt(KeyMaxRetryTime, 0, 3600, &secs)
	cfg.MaxRetryTime = time.Duration(secs) * time.Second
	if v := strings.TrimSpace(props[config.KeyIdentifiersPermissive]); v != "" {
		cfg.PermissiveIdentifiers = strings.EqualFold(v, "true")
		if !cfg.PermissiveIdentifiers && !strings.EqualFold(v, "false") {
			bad(config.KeyIdentifiersPermissive, v, "true, false")
		}
	}
	if !cfg.PermissiveIdentifiers {
		check := func(key, name string) {
			if err := ident.Check(name); err != nil {
				errs = append(errs, config.Errorf(key, props[key], "attribute name: %v", err))
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

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
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
		_, errs := parseConfig(propsFromValues(v))
		return errs
	})
	return d
}

func propsFromValues(v config.Values) map[string]string {
	props := map[string]string{}
	for _, k := range append(Keys[:len(Keys):len(Keys)], config.KeyIdentifiersPermissive) {
		if v.Defined(k) && v.Has(k) {
			props[k] = v.Text(k)
		}
	}
	return props
}

// ConfigFromValues builds the typed config from values parsed by a Def
// that includes ConfigDef.
func ConfigFromValues(v config.Values) (Config, error) {
	if !v.Defined(KeyPKHash) {
		return Config{}, errors.New("dynamodb sink config: values were not parsed with ConfigDef")
	}
	cfg, errs := parseConfig(propsFromValues(v))
	if len(errs) > 0 {
		return Config{}, fmt.Errorf("dynamodb sink config: %w", errors.Join(errs...))
	}
	return cfg, nil
}
