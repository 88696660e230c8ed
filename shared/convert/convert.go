// Package convert implements Kafka Connect converters: the byte formats that
// keys and values take on a Kafka topic. JsonConverter is byte-compatible with
// Apache Kafka's org.apache.kafka.connect.json.JsonConverter (the
// {"schema":...,"payload":...} envelope, logical types, Jackson number and
// string formatting), so a real Kafka Connect worker reads what our sources
// write and our sinks read what a worker or Debezium writes.
//
// Build a converter once at init with New, then call FromConnect (source side)
// or ToConnect (sink side) for every record. Converters are safe for
// concurrent use.
package convert

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/serverless-kafka-connect/slkc/shared/connect"
)

// Converter turns Connect data into bytes for Kafka and back.
type Converter interface {
	// FromConnect serialises value (described by schema, which may be nil
	// for schemaless data). A nil schema with a nil value returns nil bytes
	// (a tombstone). Errors name the offending field path.
	FromConnect(topic string, schema *connect.Schema, value any) ([]byte, error)
	// ToConnect parses data. Nil or empty data returns a nil schema and a
	// nil value (a tombstone). The returned schema may be shared between
	// calls (it is cached) and must not be modified.
	ToConnect(topic string, data []byte) (*connect.Schema, any, error)
}

// SideEffectFree reports whether c's FromConnect has no effect beyond its
// result: it registers no schema and calls no service. That holds for
// JsonConverter, StringConverter, ByteArrayConverter and the number
// converters, so a caller may serialise records concurrently, and some it
// then does not need, without anyone seeing it. The schema registry
// converters register schemas (auto.register.schemas) and are not
// side-effect free, nor is anything that is not one of this package's
// converters (c may be any value, such as a caller's narrower interface).
func SideEffectFree(c any) bool {
	switch c.(type) {
	case *jsonConverter, stringConverter, byteArrayConverter, numberConverter:
		return true
	}
	return false
}

// Converter class names accepted by New.
const (
	JSONConverterClass      = "org.apache.kafka.connect.json.JsonConverter"
	StringConverterClass    = "org.apache.kafka.connect.storage.StringConverter"
	ByteArrayConverterClass = "org.apache.kafka.connect.converters.ByteArrayConverter"
	IntegerConverterClass   = "org.apache.kafka.connect.converters.IntegerConverter"
	LongConverterClass      = "org.apache.kafka.connect.converters.LongConverter"
	DoubleConverterClass    = "org.apache.kafka.connect.converters.DoubleConverter"
	// AvroConverterClass, JSONSchemaConverterClass, ProtobufConverterClass
	// and GlueAvroConverterClass are defined with their converters.
)

// Classes lists the converter classes New accepts, sorted.
func Classes() []string {
	c := []string{JSONConverterClass, StringConverterClass, ByteArrayConverterClass,
		IntegerConverterClass, LongConverterClass, DoubleConverterClass, AvroConverterClass,
		JSONSchemaConverterClass, ProtobufConverterClass, GlueAvroConverterClass}
	sort.Strings(c)
	return c
}

// ConfigError reports a converter property that is unknown or has a bad
// value. Key is the property without the "key.converter."/"value.converter."
// prefix; the caller adds it.
type ConfigError struct {
	Key     string
	Value   string
	Allowed string
}

func (e *ConfigError) Error() string {
	return fmt.Sprintf("%s=%q is invalid: allowed %s", e.Key, e.Value, e.Allowed)
}

// New builds the converter named by class. props holds the converter's own
// properties with the "key.converter."/"value.converter." prefix removed.
//
// JsonConverter accepts schemas.enable (default true), decimal.format
// (BASE64, the default, or NUMERIC; case-insensitive), schemas.cache.size
// (default 1000), replace.null.with.default (default true) and
// converter.type (key|value). StringConverter accepts converter.encoding (only
// UTF-8) and converter.type. AvroConverter accepts schema.registry.url
// (required), basic.auth.credentials.source (URL or USER_INFO),
// basic.auth.user.info, auto.register.schemas (default true),
// use.latest.version (default false), key.subject.name.strategy and
// value.subject.name.strategy (TopicNameStrategy, the default,
// RecordNameStrategy, TopicRecordNameStrategy) and
// schema.registry.request.timeout.ms (default 30000); JsonSchemaConverter
// and ProtobufConverter accept the same keys. AWSKafkaAvroConverter (AWS
// Glue Schema Registry) accepts region, endpoint, registry.name (default
// default-registry), schemaName (default the topic),
// schemaAutoRegistrationEnabled (default false), compression (NONE or
// ZLIB), compatibility (default BACKWARD), description, dataFormat (AVRO)
// and avroRecordType (GENERIC_RECORD). The others accept
// converter.type only.
//
// An unknown class returns an error listing the supported classes; an unknown
// property or bad value returns a *ConfigError naming it.
func New(class string, props map[string]string, isKey bool) (Converter, error) {
	var (
		c   Converter
		err error
	)
	switch class {
	case JSONConverterClass:
		c, err = newJSON(props, isKey)
	case StringConverterClass:
		err = checkProps(props, map[string]string{"converter.encoding": "UTF-8 (case-insensitive)"})
		if err == nil {
			if enc, ok := props["converter.encoding"]; ok && !strings.EqualFold(enc, "UTF-8") && !strings.EqualFold(enc, "UTF8") {
				err = &ConfigError{Key: "converter.encoding", Value: enc, Allowed: "UTF-8"}
			}
		}
		c = stringConverter{}
	case ByteArrayConverterClass:
		err = checkProps(props, nil)
		c = byteArrayConverter{}
	case IntegerConverterClass:
		err = checkProps(props, nil)
		c = numberConverter{kind: connect.Int32}
	case LongConverterClass:
		err = checkProps(props, nil)
		c = numberConverter{kind: connect.Int64}
	case DoubleConverterClass:
		err = checkProps(props, nil)
		c = numberConverter{kind: connect.Float64}
	case AvroConverterClass:
		c, err = newAvro(props, isKey)
	case JSONSchemaConverterClass:
		c, err = newJSONSchema(props, isKey)
	case ProtobufConverterClass:
		c, err = newProtobuf(props, isKey)
	case GlueAvroConverterClass:
		c, err = newGlueAvro(props, isKey)
	default:
		return nil, fmt.Errorf("convert: unknown converter class %q: supported classes are %s", class, strings.Join(Classes(), ", "))
	}
	if err != nil {
		return nil, fmt.Errorf("convert: %s: %w", class, err)
	}
	if err := checkConverterType(props, isKey); err != nil {
		return nil, fmt.Errorf("convert: %s: %w", class, err)
	}
	return c, nil
}

// checkProps rejects keys outside allowed (converter.type is always allowed).
func checkProps(props map[string]string, allowed map[string]string) error {
	keys := slices.Sorted(maps.Keys(props))
	for _, k := range keys {
		if k == "converter.type" {
			continue
		}
		if _, ok := allowed[k]; !ok {
			names := []string{"converter.type"}
			for a := range allowed {
				names = append(names, a)
			}
			sort.Strings(names)
			return &ConfigError{Key: k, Value: props[k], Allowed: "keys: " + strings.Join(names, ", ")}
		}
	}
	return nil
}

func checkConverterType(props map[string]string, isKey bool) error {
	v, ok := props["converter.type"]
	if !ok {
		return nil
	}
	want := "value"
	if isKey {
		want = "key"
	}
	if !strings.EqualFold(v, want) {
		return &ConfigError{Key: "converter.type", Value: v, Allowed: want}
	}
	return nil
}
