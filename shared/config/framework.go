package config

import (
	"errors"
	"strconv"
	"strings"
	"sync"

	"github.com/serverless-kafka-connect/slkc/events"
)

// Framework config keys (Kafka Connect's names where Kafka Connect has one).
const (
	KeyName           = "name"
	KeyConnectorClass = "connector.class"
	KeyTasksMax       = "tasks.max"
	KeyTopics         = "topics"
	// KeyIdentifiersPermissive lets sinks use table, column and attribute
	// names that shared/ident refuses by default.
	KeyIdentifiersPermissive = "identifiers.permissive"
	KeyPollIntervalMs        = "poll.interval.ms"
	KeyKeyConverter          = "key.converter"
	KeyValueConverter        = "value.converter"
	KeyHeaderConverter       = "header.converter"
	KeyKeySchemas            = "key.converter.schemas.enable"
	KeyValueSchemas          = "value.converter.schemas.enable"
	KeyTransforms            = "transforms"
	KeyPredicates            = "predicates"

	KeyErrorsTolerance         = "errors.tolerance"
	KeyErrorsRetryTimeout      = "errors.retry.timeout"
	KeyErrorsRetryDelayMax     = "errors.retry.delay.max.ms"
	KeyDLQTopic                = "errors.deadletterqueue.topic.name"
	KeyDLQReplicationFactor    = "errors.deadletterqueue.topic.replication.factor"
	KeyDLQContextHeaders       = "errors.deadletterqueue.context.headers.enable"
	KeyErrorsLogEnable         = "errors.log.enable"
	KeyErrorsLogIncludeMessage = "errors.log.include.messages"

	KeyBootstrapServers  = "bootstrap.servers"
	KeySecurityProtocol  = "security.protocol"
	KeySASLMechanism     = "sasl.mechanism"
	KeySASLUsername      = "sasl.username"
	KeySASLPassword      = "sasl.password"
	KeySSLCALocation     = "ssl.ca.location"
	KeySSLCertLocation   = "ssl.certificate.location"
	KeySSLKeyLocation    = "ssl.key.location"
	KeyProducerCompress  = "producer.override.compression.type"
	KeyProducerLingerMs  = "producer.override.linger.ms"
	KeyProducerBatchSize = "producer.override.batch.size"

	KeyTopicCreationPartitions  = "topic.creation.default.partitions"
	KeyTopicCreationReplication = "topic.creation.default.replication.factor"

	KeyLambdaMemoryMB            = "aws.lambda.memory.mb"
	KeyLambdaTimeoutSeconds      = "aws.lambda.timeout.seconds"
	KeyLambdaReservedConcurrency = "aws.lambda.reserved.concurrency"
	KeyLambdaBatchSize           = "aws.lambda.batch.size"
	KeyLambdaBatchingWindow      = "aws.lambda.maximum.batching.window.seconds"
	KeyLambdaStartingPosition    = "aws.lambda.starting.position"
	KeyLambdaConsumerGroupID     = "aws.lambda.consumer.group.id"
	KeyLambdaMaxRetryAttempts    = "aws.lambda.maximum.retry.attempts"
	KeyLambdaMaxRecordAge        = "aws.lambda.maximum.record.age.seconds"
	KeyLambdaBisectOnError       = "aws.lambda.bisect.batch.on.error"
	KeyLambdaReportItemFailures  = "aws.lambda.report.batch.item.failures"
	KeyLambdaDeadlineMarginMs    = "aws.lambda.deadline.margin.ms"
	// KeyLambdaPollersMin and KeyLambdaPollersMax are a sink mapping's
	// ProvisionedPollerConfig (MinimumPollers, MaximumPollers).
	KeyLambdaPollersMin = "aws.lambda.provisioned.pollers.min"
	KeyLambdaPollersMax = "aws.lambda.provisioned.pollers.max"
	// Schema registry mode of the sink's event source mapping
	// (SchemaRegistryConfig, provisioned mode only):
	// https://docs.aws.amazon.com/lambda/latest/dg/services-consume-kafka-events.html
	KeyLambdaSchemaRegistryURI = "aws.lambda.schema.registry.uri"
	KeyLambdaEventRecordFormat = "aws.lambda.event.record.format"
	KeyLambdaSchemaValidation  = "aws.lambda.schema.validation.attributes"
)

// Prefixes accepted by the framework def; the keys under them are passed on
// (converter settings, transform settings, topic configs).
const (
	PrefixTransforms           = "transforms."
	PrefixPredicates           = "predicates."
	PrefixKeyConverter         = "key.converter."
	PrefixValueConverter       = "value.converter."
	PrefixHeaderConverter      = "header.converter."
	PrefixTopicCreationDefault = "topic.creation.default."
)

// Converter classes this project implements.
const (
	JsonConverter      = "org.apache.kafka.connect.json.JsonConverter"
	StringConverter    = "org.apache.kafka.connect.storage.StringConverter"
	ByteArrayConverter = "org.apache.kafka.connect.converters.ByteArrayConverter"
	AvroConverter      = "io.confluent.connect.avro.AvroConverter"
	// JsonSchemaConverter is Confluent's JSON Schema converter.
	JsonSchemaConverter = "io.confluent.connect.json.JsonSchemaConverter"
	// ProtobufConverter is Confluent's Protobuf converter.
	ProtobufConverter = "io.confluent.connect.protobuf.ProtobufConverter"
	// GlueAvroConverter is the AWS Glue Schema Registry's Avro converter.
	GlueAvroConverter = "com.amazonaws.services.schemaregistry.kafkaconnect.AWSKafkaAvroConverter"
	// SimpleHeaderConverter is Kafka Connect's default header.converter.
	SimpleHeaderConverter = "org.apache.kafka.connect.storage.SimpleHeaderConverter"
)

// Values of errors.tolerance.
const (
	ToleranceNone = "none"
	ToleranceAll  = "all"
)

// Framework keys' groups, for docs.
const (
	GroupCommon      = "Common"
	GroupTransforms  = "Transforms"
	GroupErrors      = "Error Handling"
	GroupKafka       = "Kafka Client"
	GroupProducer    = "Producer"
	GroupTopicCreate = "Topic Creation"
	GroupLambda      = "AWS Lambda"
)

var converterValidator = OneOf(JsonConverter, StringConverter, ByteArrayConverter, AvroConverter, JsonSchemaConverter, ProtobufConverter, GlueAvroConverter)

// CommonDef returns a new Def of the keys every connector accepts, without
// the aws.lambda.* deployment keys (LambdaDef) and the sink keys (SinkDef).
func CommonDef() *Def { return commonDef().Merge(&Def{}) }

// LambdaDef returns a new Def of the aws.lambda.* deployment keys. The
// functions accept and ignore most of them; the CDK app and the local runner
// read them through Framework.Lambda. Ranges follow Lambda's limits (see
// https://docs.aws.amazon.com/lambda/latest/dg/kafka-retry-configurations.html
// for retry attempts and record age).
func LambdaDef() *Def { return lambdaDef().Merge(&Def{}) }

// SinkDef returns a new Def of the keys only sinks accept: topics.
func SinkDef() *Def { return sinkDef().Merge(&Def{}) }

// SourceDef returns a new Def of the keys only sources accept:
// poll.interval.ms, which sets the poller's schedule.
func SourceDef() *Def { return sourceDef().Merge(&Def{}) }

// The definitions are built once (their validators compile regexps); the
// exported functions hand out copies so callers may extend them.
var (
	commonDef = sync.OnceValue(buildCommonDef)
	lambdaDef = sync.OnceValue(buildLambdaDef)
	sinkDef   = sync.OnceValue(buildSinkDef)
	sourceDef = sync.OnceValue(buildSourceDef)
)

func buildCommonDef() *Def {
	d := NewDef(
		Key{Name: KeyName, Type: String, Required: true, Validator: NonEmpty(), Group: GroupCommon,
			Doc: "Unique connector name; names the functions, the consumer group and the state rows."},
		Key{Name: KeyConnectorClass, Type: Class, Required: true, Group: GroupCommon,
			Validator: func(v string) error {
				if _, _, err := ConnectorKind(v); err != nil {
					return errors.New(strings.TrimPrefix(err.Error(), "config: "))
				}
				return nil
			},
			Doc: "Connector implementation; canonical io.slkc.* names or the Confluent aliases."},
		Key{Name: KeyTasksMax, Type: Int, Default: Default("1"), Validator: Range(1, MaxTasks), Group: GroupCommon,
			Status: Serverless, Reason: reasonTasksMax,
			Doc: "Maximum number of tasks, 1.." + strconv.Itoa(MaxTasks) + "; a JDBC-style source gets fewer when it has fewer tables. Default 1."},
		Key{Name: KeyKeyConverter, Importance: ImportanceLow, Type: Class, Default: Default(JsonConverter), Validator: converterValidator, Group: GroupCommon,
			Doc: "Converter for record keys. Default JsonConverter."},
		Key{Name: KeyValueConverter, Importance: ImportanceLow, Type: Class, Default: Default(JsonConverter), Validator: converterValidator, Group: GroupCommon,
			Doc: "Converter for record values. Default JsonConverter."},
		Key{Name: KeyHeaderConverter, Importance: ImportanceLow, Type: Class, Default: Default(SimpleHeaderConverter), Validator: OneOf(SimpleHeaderConverter, StringConverter, ByteArrayConverter, JsonConverter), Group: GroupCommon,
			Doc: "Converter for header values: sinks read each header into a Connect value with it (a failure is stage HEADER_CONVERTER). Default SimpleHeaderConverter, as Kafka Connect."},
		Key{Name: KeyKeySchemas, Type: Bool, Default: Default("true"), Group: GroupCommon,
			Doc: "JsonConverter: keys carry the {schema, payload} envelope. Default true."},
		Key{Name: KeyValueSchemas, Type: Bool, Default: Default("true"), Group: GroupCommon,
			Doc: "JsonConverter: values carry the {schema, payload} envelope. Default true."},
		Key{Name: KeyTransforms, Importance: ImportanceLow, Type: List, Default: Default(""), Group: GroupTransforms,
			Validator: Each(Regexp(`^[A-Za-z0-9_-]+$`)),
			Doc:       "Aliases of the transforms to apply, in order; each needs transforms.<alias>.type."},
		Key{Name: KeyPredicates, Importance: ImportanceLow, Type: List, Default: Default(""), Group: GroupTransforms,
			Validator: Each(Regexp(`^[A-Za-z0-9_-]+$`)),
			Doc:       "Aliases of the predicates that transforms.<alias>.predicate may name; each needs predicates.<alias>.type."},

		Key{Name: KeyErrorsTolerance, Type: String, Default: Default(ToleranceNone), Validator: OneOf(ToleranceNone, ToleranceAll), Group: GroupErrors,
			Doc: "none: a bad record fails the task; all: bad records are skipped (to the DLQ when set)."},
		Key{Name: KeyErrorsRetryTimeout, Type: Long, Default: Default("0"), Validator: AtLeast(-1), Group: GroupErrors,
			Doc: "Milliseconds to keep retrying an operation that failed retriably (sinks: the write), with exponential backoff from 300 ms; 0 no retries, -1 no limit (still within the invocation). Default 0."},
		Key{Name: KeyErrorsRetryDelayMax, Type: Long, Default: Default("60000"), Validator: AtLeast(1), Group: GroupErrors,
			Doc: "Maximum delay between two retries under errors.retry.timeout, ms. Default 60000."},
		Key{Name: KeyDLQTopic, Type: String, Default: Default(""), Group: GroupErrors,
			Doc: "Dead-letter topic for records that fail with errors.tolerance=all (sinks). Default none."},
		Key{Name: KeyDLQReplicationFactor, Type: Int, Default: Default("3"), Validator: RangeOrUnset(-1, 1, 32767), Group: GroupErrors,
			Doc: "Replication factor of the dead-letter topic when it is created; -1 broker default. Default 3."},
		Key{Name: KeyDLQContextHeaders, Type: Bool, Default: Default("false"), Group: GroupErrors,
			Doc: "Add __connect.errors.* headers to dead-letter records. Default false."},
		Key{Name: KeyErrorsLogEnable, Type: Bool, Default: Default("false"), Group: GroupErrors,
			Doc: "Log each failed operation. Default false."},
		Key{Name: KeyErrorsLogIncludeMessage, Type: Bool, Default: Default("false"), Group: GroupErrors,
			Doc: "Include record key/value/headers in error logs. Default false."},

		Key{Name: KeyBootstrapServers, Type: List, Required: true, Validator: All(NonEmpty(), Each(HostPort())), Group: GroupKafka,
			Doc: "Kafka brokers, host:port,host:port."},
		Key{Name: KeySecurityProtocol, Type: String, Default: Default("PLAINTEXT"), Validator: OneOfFold("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"), Group: GroupKafka,
			Doc: "PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL. Default PLAINTEXT."},
		Key{Name: KeySASLMechanism, Type: String, Default: Default(""), Validator: func(v string) error {
			if v == "" {
				return nil
			}
			return OneOfFold("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512", "AWS_MSK_IAM")(v)
		}, Group: GroupKafka, Doc: "PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 or AWS_MSK_IAM; required with SASL_* protocols."},
		Key{Name: KeySASLUsername, Type: String, Default: Default(""), Group: GroupKafka,
			Doc: "SASL username (PLAIN, SCRAM)."},
		Key{Name: KeySASLPassword, Type: Password, Default: Default(""), Group: GroupKafka,
			Doc: "SASL password (PLAIN, SCRAM); use ${secretsmanager:...}."},
		Key{Name: KeySSLCALocation, Type: String, Default: Default(""), Group: GroupKafka,
			Doc: "PEM file of CA certificates; empty uses the system roots."},
		Key{Name: KeySSLCertLocation, Type: String, Default: Default(""), Group: GroupKafka,
			Doc: "PEM client certificate for mutual TLS."},
		Key{Name: KeySSLKeyLocation, Type: String, Default: Default(""), Group: GroupKafka,
			Doc: "PEM client key for mutual TLS."},

		Key{Name: KeyProducerCompress, Type: String, Default: Default("none"), Validator: OneOf("none", "gzip", "snappy", "lz4", "zstd"), Group: GroupProducer,
			Doc: "Compression of produced batches. Default none."},
		Key{Name: KeyProducerLingerMs, Type: Long, Default: Default("5"), Validator: Range(0, 60000), Group: GroupProducer,
			Doc: "Producer linger, ms. Default 5 (Kafka 4 producer default)."},
		// 1,000,000, librdkafka's batch.size and about franz-go's default,
		// rather than the Java producer's 16,384: a request carries one
		// batch per partition, so 16 KB batches cost a request per ~16
		// records of 1 KB (see the README's "Default producer batch size").
		Key{Name: KeyProducerBatchSize, Type: Int, Default: Default("1000000"), Validator: Range(1, 1<<30), Group: GroupProducer,
			Doc: "Maximum bytes per produced partition batch. Default 1000000 (librdkafka's; Kafka's Java producer uses 16384); keep it under the topics' max.message.bytes."},

		Key{Name: KeyTopicCreationPartitions, Type: Int, Validator: RangeOrUnset(-1, 1, 1<<20), Group: GroupTopicCreate,
			Doc: "Partitions of topics the source creates; -1 broker default. Set with the replication factor to enable topic creation."},
		Key{Name: KeyTopicCreationReplication, Type: Int, Validator: RangeOrUnset(-1, 1, 32767), Group: GroupTopicCreate,
			Doc: "Replication factor of topics the source creates; -1 broker default."},
	)
	d.AllowPrefix(PrefixTransforms).AllowPrefix(PrefixPredicates).AllowPrefix(PrefixKeyConverter).AllowPrefix(PrefixValueConverter).
		AllowPrefix(PrefixHeaderConverter).AllowPrefix(PrefixTopicCreationDefault)
	d.AddCheck(checkTransforms).AddCheck(checkKafkaAuth).AddCheck(checkTopicCreation)
	return d
}

func buildLambdaDef() *Def {
	return NewDef(
		Key{Name: KeyLambdaMemoryMB, Type: Int, Default: Default("256"), Validator: Range(128, 10240), Group: GroupLambda,
			Doc: "Function memory, MB. Default 256."},
		Key{Name: KeyLambdaTimeoutSeconds, Type: Int, Default: Default("60"), Validator: Range(1, 900), Group: GroupLambda,
			Doc: "Function timeout, seconds. Default 60."},
		Key{Name: KeyLambdaReservedConcurrency, Type: Int, Validator: RangeOrUnset(-1, 1, 100000), Group: GroupLambda,
			Doc: "Reserved concurrency; -1 none. Default 1 for sources (one poller), none for sinks (their concurrency is bounded by the partitions and the pollers)."},
		Key{Name: KeyLambdaBatchSize, Type: Int, Default: Default("100"), Validator: Range(1, 10000), Group: GroupLambda,
			Doc: "Event source mapping BatchSize (sinks). Default 100."},
		Key{Name: KeyLambdaBatchingWindow, Type: Int, Default: Default("1"), Validator: Range(0, 300), Group: GroupLambda,
			Doc: "Event source mapping MaximumBatchingWindowInSeconds (sinks). Default 1."},
		Key{Name: KeyLambdaStartingPosition, Type: String, Default: Default("TRIM_HORIZON"), Validator: OneOf("TRIM_HORIZON", "LATEST"), Group: GroupLambda,
			Doc: "Where a new sink starts: TRIM_HORIZON or LATEST. Default TRIM_HORIZON."},
		Key{Name: KeyLambdaConsumerGroupID, Type: String, Validator: Regexp(`^[A-Za-z0-9._:-]{1,200}$`), Group: GroupLambda,
			Doc: "Sink consumer group. Default connect-<name>, as Kafka Connect names sink groups."},
		Key{Name: KeyLambdaMaxRetryAttempts, Type: Int, Default: Default("-1"), Validator: RangeOrUnset(-1, 0, 10000), Group: GroupLambda,
			Doc: "MaximumRetryAttempts: -1 (infinite) or 0..10000. Default -1."},
		Key{Name: KeyLambdaMaxRecordAge, Type: Int, Default: Default("-1"), Validator: RangeOrUnset(-1, 60, 604800), Group: GroupLambda,
			Doc: "MaximumRecordAgeInSeconds: -1 (infinite) or 60..604800. Default -1."},
		Key{Name: KeyLambdaBisectOnError, Type: Bool, Default: Default("false"), Group: GroupLambda,
			Doc: "BisectBatchOnFunctionError. Default false."},
		Key{Name: KeyLambdaReportItemFailures, Type: Bool, Default: Default("true"), Group: GroupLambda,
			Doc: "FunctionResponseTypes ReportBatchItemFailures. Default true."},
		// Limits of ProvisionedPollerConfig:
		// https://docs.aws.amazon.com/lambda/latest/api/API_ProvisionedPollerConfig.html
		Key{Name: KeyLambdaPollersMin, Type: Int, Validator: Range(1, 200), Group: GroupLambda,
			Doc: "Sinks: MinimumPollers of the event source mapping's provisioned mode (1..200); setting it or " + KeyLambdaPollersMax + " makes the mapping provisioned. Default: the CDK app's minimumPollers context (1)."},
		Key{Name: KeyLambdaPollersMax, Type: Int, Validator: Range(1, 2000), Group: GroupLambda,
			Doc: "Sinks: MaximumPollers of the provisioned mode (1..2000, at least the minimum). Default: the CDK app's maximumPollers context (3)."},
		Key{Name: KeyLambdaDeadlineMarginMs, Type: Long, Default: Default("5000"), Validator: Range(0, 900000), Group: GroupLambda,
			Doc: "Sources stop starting new pages this long before the function deadline, ms. Default 5000."},
		// Pattern and length of KafkaSchemaRegistryConfig.SchemaRegistryURI:
		// https://docs.aws.amazon.com/lambda/latest/api/API_KafkaSchemaRegistryConfig.html
		Key{Name: KeyLambdaSchemaRegistryURI, Type: String, Validator: All(Regexp(`^https?://[a-zA-Z0-9-/*:_+=.@]+$`), func(s string) error {
			if len(s) > 10000 {
				return errors.New("longer than 10000 characters")
			}
			return nil
		}), Group: GroupLambda,
			Doc: "Sinks: schema registry of the event source mapping (SchemaRegistryConfig.SchemaRegistryURI): the http:// or https:// URL of a Confluent-compatible registry, reached without authentication (no AccessConfigs; Glue registries are not supported). Makes the mapping provisioned. Requires " + KeyLambdaEventRecordFormat + ". Default none."},
		Key{Name: KeyLambdaEventRecordFormat, Type: String, Validator: OneOf(events.EventRecordFormatJSON, events.EventRecordFormatSource), Group: GroupLambda,
			Doc: "Sinks: SchemaRegistryConfig.EventRecordFormat, with " + KeyLambdaSchemaRegistryURI + ". JSON: validated fields arrive as JSON and are read as schemaless JSON (JsonConverter, schemas.enable=false); SOURCE: the bytes go through key.converter/value.converter (a registry converter of the metadata's dataFormat, given the bytes framed again with the schema id, or ByteArrayConverter). Default none."},
		Key{Name: KeyLambdaSchemaValidation, Type: List, Default: Default("VALUE"), Validator: All(NonEmpty(), Each(OneOf("KEY", "VALUE"))), Group: GroupLambda,
			Doc: "Sinks: SchemaRegistryConfig.SchemaValidationConfigs attributes (KEY, VALUE) the mapping validates against " + KeyLambdaSchemaRegistryURI + ". Default VALUE."},
	).AddCheck(func(v Values) []error {
		if v.Has(KeyLambdaSchemaRegistryURI) != v.Has(KeyLambdaEventRecordFormat) {
			if v.Has(KeyLambdaSchemaRegistryURI) {
				return []error{Errorf(KeyLambdaSchemaRegistryURI, v.Text(KeyLambdaSchemaRegistryURI), "needs %s (JSON or SOURCE)", KeyLambdaEventRecordFormat)}
			}
			return []error{Errorf(KeyLambdaEventRecordFormat, v.Text(KeyLambdaEventRecordFormat), "needs %s", KeyLambdaSchemaRegistryURI)}
		}
		if v.Has(KeyLambdaPollersMin) && v.Has(KeyLambdaPollersMax) && v.Int(KeyLambdaPollersMax) < v.Int(KeyLambdaPollersMin) {
			return []error{Errorf(KeyLambdaPollersMax, v.Text(KeyLambdaPollersMax), "must be at least %s (%d)", KeyLambdaPollersMin, v.Int(KeyLambdaPollersMin))}
		}
		if v.Long(KeyLambdaDeadlineMarginMs) >= int64(v.Int(KeyLambdaTimeoutSeconds))*1000 {
			return []error{Errorf(KeyLambdaDeadlineMarginMs, v.Text(KeyLambdaDeadlineMarginMs),
				"must be less than %s (%d s)", KeyLambdaTimeoutSeconds, v.Int(KeyLambdaTimeoutSeconds))}
		}
		return nil
	})
}

func buildSinkDef() *Def {
	return NewDef(Key{Name: KeyTopics, Type: List, Required: true, Group: GroupCommon,
		Validator: All(NonEmpty(), Each(Regexp(`^[A-Za-z0-9._-]{1,249}$`))),
		Doc:       "Topics to consume, comma-separated. Records of any other topic are refused (dead-lettered with errors.tolerance=all)."},
		Key{Name: KeyIdentifiersPermissive, Type: Bool, Default: Default("false"), Group: GroupCommon,
			Doc: "Allow table, column and attribute names (from records or config) with a backquote, ';', control characters or surrounding white space; refused by default. Default false."}).
		AddCheck(func(v Values) []error {
			dlq := v.String(KeyDLQTopic)
			for _, t := range v.List(KeyTopics) {
				if dlq != "" && t == dlq {
					return []error{Errorf(KeyDLQTopic, dlq, "must not be one of the consumed %s", KeyTopics)}
				}
			}
			return nil
		}).
		AddCheck(checkToleranceLimits).AddCheck(CheckSinkTasks).Define(sinkCompatKeys()...)
}

// checkToleranceLimits applies CheckToleranceLimits to a sink config.
func checkToleranceLimits(v Values) []error {
	return CheckToleranceLimits(v.String(KeyErrorsTolerance), v.Int(KeyLambdaMaxRetryAttempts), v.Int(KeyLambdaMaxRecordAge))
}

// CheckToleranceLimits refuses, with errors.tolerance=none, the event source
// mapping limits (aws.lambda.maximum.retry.attempts,
// aws.lambda.maximum.record.age.seconds other than -1) that let Lambda, and
// the local bridge, discard a failing batch: Kafka Connect stops the task on
// the failing record, so the mapping must retry it for ever. The sink's
// config check and the local runner use it; the CDK app applies the same
// rule at synth (infra/pipeline, a separate module).
func CheckToleranceLimits(tolerance string, maxRetryAttempts, maxRecordAgeSeconds int) []error {
	if tolerance != ToleranceNone && tolerance != "" {
		return nil
	}
	var errs []error
	for _, kv := range []struct {
		key string
		val int
	}{{KeyLambdaMaxRetryAttempts, maxRetryAttempts}, {KeyLambdaMaxRecordAge, maxRecordAgeSeconds}} {
		if kv.val != -1 {
			errs = append(errs, Errorf(kv.key, strconv.Itoa(kv.val), "with %s=%s must be -1: a limit lets the event source mapping discard the failing batch, skipping records; use %s=%s with a dead letter topic to move past bad records",
				KeyErrorsTolerance, ToleranceNone, KeyErrorsTolerance, ToleranceAll))
		}
	}
	return errs
}

// NeedsOnFailureDestination reports whether a sink's event source mapping
// may discard a batch, and so gets an on-failure destination: a finite
// retry limit or record age, which only errors.tolerance=all allows (see
// CheckToleranceLimits). The destination then receives the batches whose
// retryable failures exhausted the retries or outlived the record age;
// permanent per-record failures go to the dead-letter topic instead.
// Without a limit there is none: Lambda caps infinite retries at 10 as soon
// as a destination exists. The CDK app applies the same rule
// (infra/pipeline.Deployment.OnFailureDestination).
func NeedsOnFailureDestination(tolerance string, maxRetryAttempts, maxRecordAgeSeconds int) bool {
	return tolerance == ToleranceAll && (maxRetryAttempts != -1 || maxRecordAgeSeconds != -1)
}

func buildSourceDef() *Def {
	return NewDef(Key{Name: KeyPollIntervalMs, Type: Long, Default: Default("5000"), Validator: Range(100, 86_400_000), Group: GroupCommon,
		Doc: "How often the source polls, ms; the default is the JDBC source's."}).Define(sourceCompatKeys()...).
		AddCheck(CheckSourceConcurrency)
}

// FrameworkDef returns a new Def of every framework key for kind: CommonDef,
// LambdaDef and SinkDef or SourceDef. Merge the connector's own Def into it
// and Parse once.
func FrameworkDef(kind Kind) *Def {
	d := CommonDef().Merge(LambdaDef())
	switch kind {
	case Sink:
		d = d.Merge(sinkDef())
	case Source:
		d = d.Merge(sourceDef())
	}
	return d
}

func checkTransforms(v Values) []error {
	return append(checkAliases(v, KeyTransforms, PrefixTransforms, "transform"),
		checkAliases(v, KeyPredicates, PrefixPredicates, "predicate")...)
}

// checkAliases checks an alias list (transforms, predicates): no duplicates,
// a class name in <prefix><alias>.type, and no keys under prefix for an
// alias that is not listed.
func checkAliases(v Values, listKey, prefix, what string) []error {
	var errs []error
	aliases := v.List(listKey)
	seen := map[string]bool{}
	for _, a := range aliases {
		if seen[a] {
			errs = append(errs, Errorf(listKey, v.Text(listKey), "duplicate %s alias %q", what, a))
			continue
		}
		seen[a] = true
		typ := strings.TrimSpace(v.extra[prefix+a+".type"])
		if typ == "" {
			errs = append(errs, Errorf(prefix+a+".type", "", "missing: %s %q listed in %s needs a type", what, a, listKey))
		} else if !classPattern.MatchString(typ) {
			errs = append(errs, Errorf(prefix+a+".type", typ, "expected a class name (CLASS)"))
		}
	}
	for k := range v.extra {
		if !strings.HasPrefix(k, prefix) {
			continue
		}
		rest := k[len(prefix):]
		alias, _, ok := strings.Cut(rest, ".")
		if !ok || !seen[alias] {
			errs = append(errs, Errorf(k, "", "%s alias %q is not listed in %s", what, alias, listKey))
		}
	}
	return errs
}

func checkKafkaAuth(v Values) []error {
	proto := strings.ToUpper(v.String(KeySecurityProtocol))
	mech := strings.ToUpper(v.String(KeySASLMechanism))
	sasl := strings.HasPrefix(proto, "SASL_")
	var errs []error
	switch {
	case sasl && mech == "":
		errs = append(errs, Errorf(KeySASLMechanism, "", "required when %s is %s", KeySecurityProtocol, proto))
	case !sasl && mech != "":
		errs = append(errs, Errorf(KeySASLMechanism, mech, "only used with SASL_PLAINTEXT or SASL_SSL, but %s is %s", KeySecurityProtocol, proto))
	case mech == "AWS_MSK_IAM" && proto != "SASL_SSL":
		errs = append(errs, Errorf(KeySecurityProtocol, proto, "AWS_MSK_IAM needs SASL_SSL"))
	case sasl && mech != "AWS_MSK_IAM":
		if v.String(KeySASLUsername) == "" {
			errs = append(errs, Errorf(KeySASLUsername, "", "required for sasl.mechanism %s", mech))
		}
		if v.Password(KeySASLPassword).IsZero() {
			errs = append(errs, Errorf(KeySASLPassword, "", "required for sasl.mechanism %s", mech))
		}
	}
	if (v.String(KeySSLCertLocation) == "") != (v.String(KeySSLKeyLocation) == "") {
		errs = append(errs, Errorf(KeySSLKeyLocation, "", "%s and %s go together", KeySSLCertLocation, KeySSLKeyLocation))
	}
	return errs
}

func checkTopicCreation(v Values) []error {
	p, r := v.Has(KeyTopicCreationPartitions), v.Has(KeyTopicCreationReplication)
	if p != r {
		return []error{Errorf(KeyTopicCreationReplication, "", "%s and %s must be set together to enable topic creation", KeyTopicCreationPartitions, KeyTopicCreationReplication)}
	}
	if !p {
		for k := range v.extra {
			if strings.HasPrefix(k, PrefixTopicCreationDefault) {
				return []error{Errorf(k, "", "topic configs need %s and %s", KeyTopicCreationPartitions, KeyTopicCreationReplication)}
			}
		}
	}
	return nil
}
