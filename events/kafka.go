// Package events holds the payloads the functions accept and return: the
// Kafka event that Lambda's event source mapping sends for Amazon MSK and
// self-managed Kafka, the EventBridge scheduled event, and the Kafka partial
// batch response. The testdata folder has JSON fixtures usable with
// `sam local invoke -e`.
package events

// Event sources as they appear in the Kafka event's eventSource field.
const (
	SourceMSK         = "aws:kafka"
	SourceSelfManaged = "SelfManagedKafka"
)

// KafkaEvent is the event Lambda's Kafka event source mapping sends. Records
// are grouped by "topic-partition" (e.g. "orders-0"); within a group they are
// in offset order. EventSourceARN is set for MSK only.
//
// Shape checked against AWS's example events:
// https://docs.aws.amazon.com/lambda/latest/dg/with-msk.html (eventSource
// "aws:kafka", eventSourceArn, bootstrapServers, records keyed "mytopic-0")
// and https://docs.aws.amazon.com/lambda/latest/dg/with-kafka.html
// (eventSource "SelfManagedKafka", no eventSourceArn). testdata/msk.json and
// testdata/self-managed.json follow them.
type KafkaEvent struct {
	EventSource      string                   `json:"eventSource"`
	EventSourceARN   string                   `json:"eventSourceArn,omitempty"`
	BootstrapServers string                   `json:"bootstrapServers,omitempty"`
	Records          map[string][]KafkaRecord `json:"records"`
}

// KafkaRecord is one record of a KafkaEvent. Key and Value are base64 text;
// nil means the field was absent or null (a null key, or a tombstone value).
// Lambda leaves the field out rather than writing null: the MSK filtering
// example record has no "key" at all
// (https://docs.aws.amazon.com/lambda/latest/dg/with-msk-filtering.html), so
// both are read as nil and written absent. timestampType is the Kafka
// TimestampType name (CREATE_TIME, LOG_APPEND_TIME); Timestamp is epoch ms.
// Headers keep Kafka's order; each element maps one header key to its value
// as an array of byte values.
type KafkaRecord struct {
	Topic         string         `json:"topic"`
	Partition     int32          `json:"partition"`
	Offset        int64          `json:"offset"`
	Timestamp     int64          `json:"timestamp"`
	TimestampType string         `json:"timestampType"`
	Key           *string        `json:"key,omitempty"`
	Value         *string        `json:"value,omitempty"`
	Headers       []KafkaHeaders `json:"headers"`
	// KeySchemaMetadata and ValueSchemaMetadata are present only when the
	// event source mapping has a schema registry configured (provisioned
	// mode): Lambda then validates the key and/or value against the
	// registry and adds what it found. With EventRecordFormat JSON the
	// key/value is base64 of the JSON Lambda decoded from the registry
	// format; with SOURCE it is the bytes as produced. See "Using schema
	// registries with Kafka event sources in Lambda"
	// (https://docs.aws.amazon.com/lambda/latest/dg/services-consume-kafka-events.html)
	// and testdata/schema-registry.json.
	KeySchemaMetadata   *SchemaMetadata `json:"keySchemaMetadata,omitempty"`
	ValueSchemaMetadata *SchemaMetadata `json:"valueSchemaMetadata,omitempty"`
}

// Values of a schema registry mapping's EventRecordFormat: what Lambda
// puts in a validated key or value. JSON is the record as a JSON object
// (decoded from Avro, Protobuf or JSON Schema with the registry's schema);
// SOURCE is the bytes as produced. See AWS::Lambda::EventSourceMapping
// SchemaRegistryConfig
// (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-lambda-eventsourcemapping-schemaregistryconfig.html).
const (
	EventRecordFormatJSON   = "JSON"
	EventRecordFormatSource = "SOURCE"
)

// SchemaMetadata is a record's keySchemaMetadata or valueSchemaMetadata:
// the registry data format the key or value was validated as (e.g. "AVRO",
// "PROTOBUF", "JSON") and the registry's schema id, which Lambda writes as
// a string.
type SchemaMetadata struct {
	DataFormat string `json:"dataFormat"`
	SchemaID   string `json:"schemaId"`
}

// KafkaHeaders is one element of a record's headers array: a single header
// key mapped to its value bytes, written by AWS as a JSON array of numbers
// (a record without headers has "headers": []). Repeated header keys appear
// as separate elements, keeping Kafka's order.
type KafkaHeaders map[string]ByteArray

// ByteArray is a []byte that marshals as a JSON array of numbers (0-255)
// instead of base64 text, matching how Lambda encodes Kafka header values.
// It also reads the signed form (-128..-1) Lambda emits for bytes >= 0x80;
// see UnmarshalJSON.
type ByteArray []byte
