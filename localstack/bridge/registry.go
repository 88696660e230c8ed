package bridge

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/sr"

	"github.com/serverless-kafka-connect/slkc/events"
	"github.com/serverless-kafka-connect/slkc/shared/convert"
)

// SchemaRegistry is an event source mapping's schema registry mode
// (SchemaRegistryConfig, provisioned mode; see "Using schema registries
// with Kafka event sources in Lambda",
// https://docs.aws.amazon.com/lambda/latest/dg/services-consume-kafka-events.html,
// and AWS::Lambda::EventSourceMapping SchemaRegistryConfig). For each
// attribute it names, a key or value in Confluent's wire format (magic
// byte 0, 4-byte schema id) is looked up in the registry and delivered
// with keySchemaMetadata/valueSchemaMetadata: dataFormat (AVRO, PROTOBUF
// or JSON, the schema's type) and schemaId (the id, as text). With
// EventRecordFormat JSON the field holds the record as a standard JSON
// object (decoded with the registry's schema, as JsonConverter with
// schemas.enable=false and decimal.format=NUMERIC prints Connect data);
// with SOURCE it holds the
// bytes as produced with the schema id removed (the 5-byte header; a
// Protobuf record keeps its message indexes, which are part of the
// payload Confluent's deserializers read).
//
// AWS does not document what reaches the function when a field cannot be
// validated; the bridge delivers such a field as produced, without
// metadata, and logs why: bytes without the Confluent header, and fields
// the registry could not be asked about (unreachable) or did not know, so
// nothing is lost and the sink's own converter decides.
type SchemaRegistry struct {
	// URI is the registry's Confluent-compatible base URL (required).
	URI string
	// EventRecordFormat is events.EventRecordFormatJSON or
	// events.EventRecordFormatSource (required).
	EventRecordFormat string
	// Attributes are the fields validated: "KEY" and/or "VALUE" (default
	// VALUE).
	Attributes []string
}

func (s *SchemaRegistry) validate() error {
	if s.URI == "" {
		return fmt.Errorf("SchemaRegistry.URI is empty")
	}
	if s.EventRecordFormat != events.EventRecordFormatJSON && s.EventRecordFormat != events.EventRecordFormatSource {
		return fmt.Errorf("SchemaRegistry.EventRecordFormat %q: allowed %s or %s", s.EventRecordFormat, events.EventRecordFormatJSON, events.EventRecordFormatSource)
	}
	for _, a := range s.Attributes {
		if a != "KEY" && a != "VALUE" {
			return fmt.Errorf("SchemaRegistry.Attributes %q: allowed KEY, VALUE", a)
		}
	}
	return nil
}

// registryTimeout bounds one registry lookup at poll time.
const registryTimeout = 10 * time.Second

// registryMode applies a SchemaRegistry to records as they are polled.
type registryMode struct {
	cfg        SchemaRegistry
	key, value bool
	client     *sr.Client
	json       convert.Converter // schemaless JsonConverter, for EventRecordFormat JSON
	log        *slog.Logger

	mu      sync.Mutex
	formats map[int]sr.SchemaType               // schema type by id
	readers map[sr.SchemaType]convert.Converter // by schema type, for EventRecordFormat JSON
}

// readerClasses are the converters that read each schema type into
// Connect data.
var readerClasses = map[sr.SchemaType]string{
	sr.TypeAvro:     convert.AvroConverterClass,
	sr.TypeProtobuf: convert.ProtobufConverterClass,
	sr.TypeJSON:     convert.JSONSchemaConverterClass,
}

func newRegistryMode(cfg SchemaRegistry, log *slog.Logger) (*registryMode, error) {
	cl, err := sr.NewClient(sr.URLs(cfg.URI))
	if err != nil {
		return nil, fmt.Errorf("bridge: schema registry %s: %w", cfg.URI, err)
	}
	js, err := convert.New(convert.JSONConverterClass, map[string]string{"schemas.enable": "false", "decimal.format": "NUMERIC"}, false)
	if err != nil {
		return nil, err
	}
	m := &registryMode{cfg: cfg, client: cl, json: js, log: log, formats: map[int]sr.SchemaType{}, readers: map[sr.SchemaType]convert.Converter{}}
	if len(cfg.Attributes) == 0 {
		m.value = true
	}
	for _, a := range cfg.Attributes {
		m.key = m.key || a == "KEY"
		m.value = m.value || a == "VALUE"
	}
	return m, nil
}

// apply sets kr's key/value and schema metadata from the raw key and value.
func (m *registryMode) apply(kr *events.KafkaRecord, key, value []byte) {
	if m.key {
		kr.KeySchemaMetadata = m.field(kr, "key", key, &kr.Key)
	}
	if m.value {
		kr.ValueSchemaMetadata = m.field(kr, "value", value, &kr.Value)
	}
}

// field decodes one key or value; it returns nil metadata (and leaves
// *dst as produced) when the field cannot be validated.
func (m *registryMode) field(kr *events.KafkaRecord, name string, data []byte, dst **string) *events.SchemaMetadata {
	if len(data) == 0 {
		return nil
	}
	if len(data) < 5 || data[0] != 0 {
		m.log.Warn("schema registry mode: field is not in Confluent's wire format; delivered as produced", "record", kr.Where(), "field", name)
		return nil
	}
	id := int(binary.BigEndian.Uint32(data[1:5]))
	typ, err := m.format(id)
	if err != nil {
		m.log.Warn("schema registry mode: schema lookup failed; delivered as produced", "record", kr.Where(), "field", name, "schemaId", id, "err", err)
		return nil
	}
	out := data[5:]
	if m.cfg.EventRecordFormat == events.EventRecordFormatJSON {
		if out, err = m.toJSON(kr.Topic, typ, data, name == "key"); err != nil {
			m.log.Warn("schema registry mode: field does not fit its schema; delivered as produced", "record", kr.Where(), "field", name, "schemaId", id, "err", err)
			return nil
		}
	}
	enc := base64.StdEncoding.EncodeToString(out)
	*dst = &enc
	return &events.SchemaMetadata{DataFormat: typ.String(), SchemaID: strconv.Itoa(id)}
}

// format is the type of schema id, asked of the registry once.
func (m *registryMode) format(id int) (sr.SchemaType, error) {
	m.mu.Lock()
	typ, ok := m.formats[id]
	m.mu.Unlock()
	if ok {
		return typ, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), registryTimeout)
	defer cancel()
	s, err := m.client.SchemaByID(ctx, id)
	if err != nil {
		return 0, err
	}
	m.mu.Lock()
	m.formats[id] = s.Type
	m.mu.Unlock()
	return s.Type, nil
}

// toJSON reads a framed field with the converter of its schema type and
// prints the Connect data as schemaless JSON.
func (m *registryMode) toJSON(topic string, typ sr.SchemaType, data []byte, isKey bool) ([]byte, error) {
	m.mu.Lock()
	c, ok := m.readers[typ]
	m.mu.Unlock()
	if !ok {
		class, known := readerClasses[typ]
		if !known {
			return nil, fmt.Errorf("schema type %s has no reader", typ)
		}
		var err error
		if c, err = convert.New(class, map[string]string{"schema.registry.url": m.cfg.URI}, isKey); err != nil {
			return nil, err
		}
		m.mu.Lock()
		m.readers[typ] = c
		m.mu.Unlock()
	}
	s, v, err := c.ToConnect(topic, data)
	if err != nil {
		return nil, err
	}
	return m.json.FromConnect(topic, s, v)
}
