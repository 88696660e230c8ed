package sinktask

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strconv"
	"sync"

	"github.com/serverless-kafka-connect/slkc/events"
	"github.com/serverless-kafka-connect/slkc/shared/config"
	"github.com/serverless-kafka-connect/slkc/shared/connect"
	"github.com/serverless-kafka-connect/slkc/shared/convert"
)

// Schema registry mode of Lambda's Kafka event source mapping
// (https://docs.aws.amazon.com/lambda/latest/dg/services-consume-kafka-events.html):
// a mapping with a SchemaRegistryConfig validates the key and/or value of
// each record against the registry and marks what it validated with
// keySchemaMetadata / valueSchemaMetadata. Task.EventRecordFormat says
// what such a field then holds:
//
//   - SOURCE: the bytes in their source format, from which Lambda "removes
//     all schema metadata, such as the schema ID" (AWS::Lambda::EventSourceMapping
//     SchemaRegistryConfig, EventRecordFormat:
//     https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-lambda-eventsourcemapping-schemaregistryconfig.html).
//     The metadata's dataFormat must be the one the configured converter
//     reads (AVRO for AvroConverter, PROTOBUF for ProtobufConverter, JSON
//     for JsonSchemaConverter); that converter gets the bytes framed again
//     in Confluent's wire format (magic byte 0, the schema id as 4 bytes
//     big-endian, the bytes), so it reads them as it reads the topic, which
//     needs a Confluent registry's numeric schemaId. ByteArrayConverter
//     takes the bytes as delivered, whatever the format. Any other pairing
//     is refused per record.
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
	convert.AvroConverterClass:       "AVRO",
	convert.ProtobufConverterClass:   "PROTOBUF",
	convert.JSONSchemaConverterClass: "JSON",
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
		default:
			id, err := strconv.ParseUint(meta.SchemaID, 10, 32)
			if err != nil {
				return nil, fmt.Errorf("%sSchemaMetadata schema id %q is not a Confluent registry's numeric id, which %s.converter %s needs", field, meta.SchemaID, field, class)
			}
			r := reframed{conv: conv}
			binary.BigEndian.PutUint32(r.header[1:], uint32(id))
			return r, nil
		}
		return conv, nil
	default:
		return nil, fmt.Errorf("%sSchemaMetadata says dataFormat %q (schema id %q): the event source mapping has a schema registry, but %s is not set (set it to the mapping's EventRecordFormat, %s or %s)",
			field, meta.DataFormat, meta.SchemaID, config.KeyLambdaEventRecordFormat, events.EventRecordFormatJSON, events.EventRecordFormatSource)
	}
}

// reframed hands conv the bytes behind Confluent's wire-format header.
type reframed struct {
	conv   Converter
	header [5]byte // magic byte 0, schema id big-endian
}

func (r reframed) ToConnect(topic string, data []byte) (*connect.Schema, any, error) {
	// AWS's text ("removes all schema metadata, such as the schema ID") is
	// read as: the header is gone. Bytes that still start with exactly
	// this record's header are passed as they are, so the sink reads both
	// readings of it right instead of failing every record on one of them.
	if len(data) >= len(r.header) && bytes.Equal(data[:len(r.header)], r.header[:]) {
		return r.conv.ToConnect(topic, data)
	}
	framed := make([]byte, 0, len(r.header)+len(data))
	framed = append(append(framed, r.header[:]...), data...)
	return r.conv.ToConnect(topic, framed)
}
