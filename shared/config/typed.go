package config

import (
	"fmt"
	"strings"
)

// Converter is a key or value converter: its class and its settings (the
// keys under key.converter. / value.converter. without the prefix,
// including schemas.enable).
type Converter struct {
	Class string
	Props map[string]string
}

// Transforms are the configured SMTs in order. Props[alias] holds the keys
// under transforms.<alias>. without that prefix, including "type" (and
// "predicate"/"negate"). Predicates and PredicateProps are the same for the
// "predicates" list and predicates.<alias>. keys. Kind is the connector's
// (some transform keys only work on sink records).
type Transforms struct {
	Aliases        []string
	Props          map[string]map[string]string
	Predicates     []string
	PredicateProps map[string]map[string]string
	Kind           Kind
}

// Errors is Kafka Connect's error handling config.
type Errors struct {
	Tolerance            string // ToleranceNone or ToleranceAll
	RetryTimeoutMs       int64
	RetryDelayMaxMs      int64
	DLQTopic             string // empty: no dead-letter queue
	DLQReplicationFactor int16
	ContextHeaders       bool
	LogEnable            bool
	LogIncludeMessages   bool
}

// Kafka is the Kafka client config.
type Kafka struct {
	Bootstrap        []string
	SecurityProtocol string // upper case
	SASLMechanism    string // upper case; empty without SASL
	Username         string
	Password         Secret
	CALocation       string
	CertLocation     string
	KeyLocation      string
}

// Producer holds the producer.override.* settings.
type Producer struct {
	Compression string
	LingerMs    int64
	BatchBytes  int32
}

// TopicCreation says how a source creates its topics; Enabled only when
// both the partitions and the replication factor are set. -1 means the
// broker default.
type TopicCreation struct {
	Enabled           bool
	Partitions        int32
	ReplicationFactor int16
	Configs           map[string]string // topic.creation.default.<topic config>
}

// Lambda holds the aws.lambda.* deployment settings.
type Lambda struct {
	MemoryMB                 int
	TimeoutSeconds           int
	ReservedConcurrency      int // -1: none reserved
	BatchSize                int
	MaxBatchingWindowSeconds int
	StartingPosition         string
	ConsumerGroupID          string
	MaximumRetryAttempts     int
	MaximumRecordAgeSeconds  int
	BisectBatchOnError       bool
	ReportBatchItemFailures  bool
	DeadlineMarginMs         int64
	// SchemaRegistryURI, EventRecordFormat and SchemaValidation are the
	// sink mapping's schema registry (empty URI: none).
	SchemaRegistryURI string
	EventRecordFormat string
	SchemaValidation  []string
}

// Framework is the typed framework part of a connector config.
type Framework struct {
	Name           string
	Class          string // canonical class (aliases resolved)
	Kind           Kind
	TasksMax       int
	Topics         []string // sinks only
	PollIntervalMs int64    // sources only
	KeyConverter   Converter
	ValueConverter Converter
	// HeaderConverter is header.converter with its header.converter.*
	// settings (JsonConverter: schemas.enable defaults to true).
	HeaderConverter Converter
	Transforms      Transforms
	Errors          Errors
	Kafka           Kafka
	Producer        Producer
	TopicCreation   TopicCreation
	Lambda          Lambda
}

// ParseFramework builds the typed framework config from values parsed by a
// Def that includes FrameworkDef. It fails when the values lack the
// framework keys (parsed by another Def). Defaults that depend on other
// keys are applied here: reserved concurrency 1 for sources (one poller at
// a time) and none for sinks, consumer group "connect-<name>".
func ParseFramework(v Values) (*Framework, error) {
	for _, k := range []string{KeyName, KeyConnectorClass, KeyBootstrapServers, KeyLambdaMemoryMB} {
		if !v.Defined(k) {
			return nil, fmt.Errorf("config: ParseFramework: values were not parsed with FrameworkDef (no key %q)", k)
		}
	}
	kind, class, err := ConnectorKind(v.String(KeyConnectorClass))
	if err != nil {
		return nil, err
	}
	f := &Framework{
		Name:     v.String(KeyName),
		Class:    class,
		Kind:     kind,
		TasksMax: v.Int(KeyTasksMax),
		KeyConverter: Converter{Class: v.String(KeyKeyConverter),
			Props: withSchemas(v.String(KeyKeyConverter), v.WithPrefix(PrefixKeyConverter), v.Text(KeyKeySchemas))},
		ValueConverter: Converter{Class: v.String(KeyValueConverter),
			Props: withSchemas(v.String(KeyValueConverter), v.WithPrefix(PrefixValueConverter), v.Text(KeyValueSchemas))},
		HeaderConverter: Converter{Class: v.String(KeyHeaderConverter), Props: v.WithPrefix(PrefixHeaderConverter)},
		Errors: Errors{
			Tolerance:            v.String(KeyErrorsTolerance),
			RetryTimeoutMs:       v.Long(KeyErrorsRetryTimeout),
			RetryDelayMaxMs:      v.Long(KeyErrorsRetryDelayMax),
			DLQTopic:             v.String(KeyDLQTopic),
			DLQReplicationFactor: int16(v.Int(KeyDLQReplicationFactor)),
			ContextHeaders:       v.Bool(KeyDLQContextHeaders),
			LogEnable:            v.Bool(KeyErrorsLogEnable),
			LogIncludeMessages:   v.Bool(KeyErrorsLogIncludeMessage),
		},
		Kafka: Kafka{
			Bootstrap:        v.List(KeyBootstrapServers),
			SecurityProtocol: strings.ToUpper(v.String(KeySecurityProtocol)),
			SASLMechanism:    strings.ToUpper(v.String(KeySASLMechanism)),
			Username:         v.String(KeySASLUsername),
			Password:         v.Password(KeySASLPassword),
			CALocation:       v.String(KeySSLCALocation),
			CertLocation:     v.String(KeySSLCertLocation),
			KeyLocation:      v.String(KeySSLKeyLocation),
		},
		Producer: producerOf(v),
		Lambda: Lambda{
			MemoryMB:                 v.Int(KeyLambdaMemoryMB),
			TimeoutSeconds:           v.Int(KeyLambdaTimeoutSeconds),
			ReservedConcurrency:      -1,
			BatchSize:                v.Int(KeyLambdaBatchSize),
			MaxBatchingWindowSeconds: v.Int(KeyLambdaBatchingWindow),
			StartingPosition:         v.String(KeyLambdaStartingPosition),
			ConsumerGroupID:          "connect-" + v.String(KeyName),
			MaximumRetryAttempts:     v.Int(KeyLambdaMaxRetryAttempts),
			MaximumRecordAgeSeconds:  v.Int(KeyLambdaMaxRecordAge),
			BisectBatchOnError:       v.Bool(KeyLambdaBisectOnError),
			ReportBatchItemFailures:  v.Bool(KeyLambdaReportItemFailures),
			DeadlineMarginMs:         v.Long(KeyLambdaDeadlineMarginMs),
			SchemaRegistryURI:        v.String(KeyLambdaSchemaRegistryURI),
			EventRecordFormat:        v.String(KeyLambdaEventRecordFormat),
			SchemaValidation:         v.List(KeyLambdaSchemaValidation),
		},
	}
	if v.Has(KeyLambdaReservedConcurrency) {
		f.Lambda.ReservedConcurrency = v.Int(KeyLambdaReservedConcurrency)
	} else if kind == Source {
		f.Lambda.ReservedConcurrency = max(1, f.TasksMax) // one poller per task
	}
	if v.Has(KeyLambdaConsumerGroupID) {
		f.Lambda.ConsumerGroupID = v.String(KeyLambdaConsumerGroupID)
	}
	if v.Defined(KeyTopics) {
		f.Topics = v.List(KeyTopics)
	}
	if v.Defined(KeyPollIntervalMs) {
		f.PollIntervalMs = v.Long(KeyPollIntervalMs)
	}
	f.Transforms = Transforms{Aliases: v.List(KeyTransforms), Props: map[string]map[string]string{}}
	for _, a := range f.Transforms.Aliases {
		f.Transforms.Props[a] = v.WithPrefix(PrefixTransforms + a + ".")
	}
	f.Transforms.Kind = kind
	f.Transforms.Predicates = v.List(KeyPredicates)
	f.Transforms.PredicateProps = map[string]map[string]string{}
	for _, a := range f.Transforms.Predicates {
		f.Transforms.PredicateProps[a] = v.WithPrefix(PrefixPredicates + a + ".")
	}
	if v.Has(KeyTopicCreationPartitions) && v.Has(KeyTopicCreationReplication) {
		cfgs := v.WithPrefix(PrefixTopicCreationDefault)
		delete(cfgs, "partitions")
		delete(cfgs, "replication.factor")
		f.TopicCreation = TopicCreation{
			Enabled:           true,
			Partitions:        int32(v.Int(KeyTopicCreationPartitions)),
			ReplicationFactor: int16(v.Int(KeyTopicCreationReplication)),
			Configs:           cfgs,
		}
	}
	return f, nil
}

// withSchemas fills in schemas.enable for JsonConverter only: Kafka
// Connect's other converters have no such setting and ignore it, so it is
// dropped for them rather than handed to a converter that would reject it.
func withSchemas(class string, props map[string]string, schemas string) map[string]string {
	delete(props, "schemas.enable")
	if class == "org.apache.kafka.connect.json.JsonConverter" {
		props["schemas.enable"] = strings.ToLower(schemas)
	}
	return props
}

// ParseConnector is the cold-start shortcut: it resolves nothing, maps
// connector.class to its kind, merges FrameworkDef(kind) with connector (may
// be nil) and parses props once, returning the values for the connector's
// own keys and the typed framework config. Errors are Parse's joined
// *KeyError list, or the unknown-class error.
func ParseConnector(props map[string]string, connector *Def) (Values, *Framework, error) {
	kind, _, err := ConnectorKind(props[KeyConnectorClass])
	if err != nil {
		if _, ok := props[KeyConnectorClass]; !ok {
			err = &KeyError{Key: KeyConnectorClass, Msg: "missing required config key"}
		}
		return Values{}, nil, err
	}
	def := FrameworkDef(kind)
	if connector != nil {
		def = def.Merge(connector)
	}
	vals, err := def.Parse(props)
	if err != nil {
		return Values{}, nil, err
	}
	fw, err := ParseFramework(vals)
	if err != nil {
		return Values{}, nil, err
	}
	return vals, fw, nil
}

// producerOf reads the producer.override.* keys of v.
func producerOf(v Values) Producer {
	return Producer{
		Compression: v.String(KeyProducerCompress),
		LingerMs:    v.Long(KeyProducerLingerMs),
		BatchBytes:  int32(v.Int(KeyProducerBatchSize)),
	}
}

// DefaultProducer is the Producer of a connector that sets none of the
// producer.override.* keys: their defaults, read from their definitions.
func DefaultProducer() Producer {
	d := &Def{}
	for _, k := range CommonDef().Keys() {
		if k.Group == GroupProducer {
			d.Define(k)
		}
	}
	v, err := d.Parse(nil)
	if err != nil {
		panic(fmt.Sprintf("config: the producer keys' defaults do not parse: %v", err))
	}
	return producerOf(v)
}
