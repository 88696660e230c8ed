package sinktask

import (
	"fmt"
	"sync"

	"github.com/serverless-kafka-connect/slkc/events"
	"github.com/serverless-kafka-connect/slkc/shared/config"
	"github.com/serverless-kafka-connect/slkc/shared/convert"
)

// Schema registry mode of Lambda's Kafka event source mapping
// (https://docs.aws.amazon.com/lambda/latest/dg/services-consume-kafka-events.html):
// a mapping with a SchemaRegistryConfig validates the key and/or value of
// each record against the registry and marks what it validated with
// keySchemaMetadata / valueSchemaMetadata. Task.EventRecordFormat says
// what such a field then holds:
//
//   - SOURCE: the bytes as produced. They go through key.converter /
//     value.converter as without a registry. The metadata's dataFormat must
//     be the one that converter reads (AVRO for AvroConverter, PROTOBUF for
//     ProtobufConverter, JSON for JsonSchemaConverter); ByteArrayConverter
//     takes any. Any other pairing is refused per record.
//   - JSON: the JSON object Lambda decoded with the registry's schema. It is
//     read as Kafka Connect's JsonConverter with schemas.enable=false reads
//     plain JSON: a schemaless Connect value (objects become maps, numbers
//     int64 or float64), whatever key.converter / value.converter say.
//
// A field without metadata (not validated, e.g. SchemaValidationConfigs
// names only VALUE) always goes through its configured converter. A field
// with metadata while Task.EventRecordFormat is empty is refused per
// record: the connector was not deployed for a registry mapping.
//
// Refusals are permanent data errors at stage KEY_CONVERTER or
// VALUE_CONVERTER and follow errors.tolerance like any conversion failure.

// registryFormats maps a converter class to the dataFormat Lambda reports
// for the bytes it reads.
var registryFormats = map[string]string{
	convert.AvroConverterClass:                        "AVRO",
	"io.confluent.connect.protobuf.ProtobufConverter": "PROTOBUF",
	"io.confluent.connect.json.JsonSchemaConverter":   "JSON",
}

// lambdaJSON reads a key or value Lambda delivered as JSON
// (EventRecordFormat JSON): JsonConverter with schemas.enable=false.
var lambdaJSON = sync.OnceValues(func() (Converter, error) {
	return convert.New(convert.JSONConverterClass, map[string]string{"schemas.enable": "false"}, false)
})

// registryConverter returns the converter for a key or value (field) that
// carries meta, or an error saying why the connector cannot read it.
func (t *Task) registryConverter(field string, meta *events.SchemaMetadata, conv Converter, class string) (Converter, error) {
	if meta == nil {
		return conv, nil
	}
	switch t.EventRecordFormat {
	case events.EventRecordFormatJSON:
		return lambdaJSON()
	case events.EventRecordFormatSource:
		want, known := registryFormats[class]
		switch {
		case class == convert.ByteArrayConverterClass:
		case !known:
			return nil, fmt.Errorf("%sSchemaMetadata says dataFormat %q (schema id %q) with %s=%s, but %s.converter %s does not read schema registry data (use the registry converter for %s, ByteArrayConverter, or %s=%s)",
				field, meta.DataFormat, meta.SchemaID, config.KeyLambdaEventRecordFormat, events.EventRecordFormatSource, field, class, meta.DataFormat, config.KeyLambdaEventRecordFormat, events.EventRecordFormatJSON)
		case want != meta.DataFormat:
			return nil, fmt.Errorf("%sSchemaMetadata says dataFormat %q (schema id %q) but %s.converter %s reads %s",
				field, meta.DataFormat, meta.SchemaID, field, class, want)
		}
		return conv, nil
	default:
		return nil, fmt.Errorf("%sSchemaMetadata says dataFormat %q (schema id %q): the event source mapping has a schema registry, but %s is not set (set it to the mapping's EventRecordFormat, %s or %s)",
			field, meta.DataFormat, meta.SchemaID, config.KeyLambdaEventRecordFormat, events.EventRecordFormatJSON, events.EventRecordFormatSource)
	}
}
