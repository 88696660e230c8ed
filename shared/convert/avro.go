package convert

import (
	"fmt"
	"sync"

	"github.com/twmb/avro"
	"github.com/twmb/franz-go/pkg/sr"

	"github.com/serverless-kafka-connect/slkc/shared/connect"
	"github.com/serverless-kafka-connect/slkc/shared/errclass"
	"github.com/serverless-kafka-connect/slkc/shared/registry"
)

// AvroConverterClass is Confluent's Avro converter, backed by a schema
// registry that speaks Confluent's REST API.
const AvroConverterClass = "io.confluent.connect.avro.AvroConverter"

// avroConverter is io.confluent.connect.avro.AvroConverter.
type avroConverter struct {
	*srBase

	mu     sync.Mutex
	bySch  map[*connect.Schema]*avroWriteSchema // translated schemas by identity
	byText map[string]*avroWriteSchema          // and by Avro text
	reads  srCache[int, *avroReadSchema]        // reader schemas by id
	latest map[int]*avroLatest                  // use.latest.version, by schema id
}

// avroLatest is the latest schema of a subject and, per writer schema
// text, the resolver that rewrites data into it.
type avroLatest struct {
	id       int
	text     string
	codec    *avro.Schema
	resolved map[string]*avro.Schema
}

// newAvro builds an AvroConverter from its properties; it contacts no
// registry (the first record does).
func newAvro(props map[string]string, isKey bool) (*avroConverter, error) {
	base, err := newSRBase("AvroConverter", sr.TypeAvro, props, isKey)
	if err != nil {
		return nil, err
	}
	return &avroConverter{srBase: base,
		bySch: map[*connect.Schema]*avroWriteSchema{}, byText: map[string]*avroWriteSchema{},
		latest: map[int]*avroLatest{}}, nil
}

// FromConnect writes value in Confluent's wire format under the schema id
// the registry gives for the translated schema: registered under the
// strategy's subject when auto.register.schemas (the default), looked up
// there otherwise, or the subject's latest schema with use.latest.version.
func (c *avroConverter) FromConnect(topic string, schema *connect.Schema, value any) ([]byte, error) {
	if writesNull(schema, value) {
		return nil, nil
	}
	ws, err := c.writeSchema(schema)
	if err != nil {
		return nil, errclass.Data(fmt.Errorf("AvroConverter: %w", err))
	}
	subject := c.subject(topic, ws.name)
	generic, err := ws.root.encode(value)
	if err != nil {
		return nil, errclass.Data(fmt.Errorf("AvroConverter: topic %q: %w", topic, err))
	}
	id, latest, same, err := c.writeID(subject, ws.text)
	if err != nil {
		return nil, fmt.Errorf("AvroConverter: %w", err)
	}
	if !same {
		l, err := c.latestCodec(latest, subject)
		if err != nil {
			return nil, fmt.Errorf("AvroConverter: %w", err)
		}
		return c.rewrite(l, ws, generic, subject)
	}
	out, err := ws.codec.AppendEncode(appendHeader(nil, id), generic)
	if err != nil {
		return nil, errclass.Data(fmt.Errorf("AvroConverter: topic %q: %w", topic, err))
	}
	return out, nil
}

// rewrite encodes generic under ws, then re-reads it as the latest schema
// of the subject and writes that: the data carries the latest schema's id,
// as Confluent's serializer does with use.latest.version. A latest schema
// that cannot read ws's data is a permanent error.
func (c *avroConverter) rewrite(l *avroLatest, ws *avroWriteSchema, generic any, subject string) ([]byte, error) {
	c.mu.Lock()
	res, ok := l.resolved[ws.text]
	c.mu.Unlock()
	if !ok {
		var err error
		if res, err = avro.Resolve(ws.codec, l.codec); err != nil {
			return nil, errclass.Data(fmt.Errorf("AvroConverter: latest schema (id %d) of subject %q cannot read this record's schema: %w", l.id, subject, err))
		}
		c.mu.Lock()
		l.resolved[ws.text] = res
		c.mu.Unlock()
	}
	b, err := ws.codec.Encode(generic)
	if err != nil {
		return nil, errclass.Data(fmt.Errorf("AvroConverter: %w", err))
	}
	var asLatest any
	if _, err := res.Decode(b, &asLatest, avro.TaggedUnions()); err != nil {
		return nil, errclass.Data(fmt.Errorf("AvroConverter: rewriting into the latest schema (id %d) of subject %q: %w", l.id, subject, err))
	}
	out, err := l.codec.AppendEncode(appendHeader(nil, l.id), asLatest)
	if err != nil {
		return nil, errclass.Data(fmt.Errorf("AvroConverter: writing with the latest schema (id %d) of subject %q: %w", l.id, subject, err))
	}
	return out, nil
}

// latestCodec compiles the subject's latest schema l once per id.
func (c *avroConverter) latestCodec(l registry.Latest, subject string) (*avroLatest, error) {
	c.mu.Lock()
	al, ok := c.latest[l.ID]
	c.mu.Unlock()
	if ok {
		return al, nil
	}
	codec, err := avroCodec([]byte(l.Schema))
	if err != nil {
		return nil, errclass.Data(fmt.Errorf("latest schema (id %d) of subject %q is not valid Avro: %w", l.ID, subject, err))
	}
	al = &avroLatest{id: l.ID, text: l.Schema, codec: codec, resolved: map[string]*avro.Schema{}}
	c.mu.Lock()
	if len(c.latest) >= srCacheSize {
		clear(c.latest)
	}
	c.latest[l.ID] = al
	c.mu.Unlock()
	return al, nil
}

// writeSchema translates s once per schema value and once per Avro text.
func (c *avroConverter) writeSchema(s *connect.Schema) (*avroWriteSchema, error) {
	c.mu.Lock()
	ws, ok := c.bySch[s]
	c.mu.Unlock()
	if ok {
		return ws, nil
	}
	ws, err := newAvroWriteSchema(s)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if prev, ok := c.byText[ws.text]; ok {
		ws = prev
	} else {
		if len(c.byText) >= srCacheSize {
			clear(c.byText)
		}
		c.byText[ws.text] = ws
	}
	if len(c.bySch) >= srCacheSize {
		clear(c.bySch)
	}
	c.bySch[s] = ws
	return ws, nil
}

// ToConnect reads Confluent's wire format: the schema is fetched by id
// (once) and mapped to Connect as AvroData does. Data that does not start
// with the magic byte, an unknown id or data that does not fit its schema
// is a permanent error; an unreachable registry is retryable.
func (c *avroConverter) ToConnect(topic string, data []byte) (*connect.Schema, any, error) {
	if len(data) == 0 {
		return nil, nil, nil
	}
	id, body, err := c.splitWire(topic, data)
	if err != nil {
		return nil, nil, err
	}
	rs, err := c.readSchema(id)
	if err != nil {
		return nil, nil, fmt.Errorf("AvroConverter: topic %q: %w", topic, err)
	}
	v, err := rs.read(body)
	if err != nil {
		return nil, nil, errclass.Data(fmt.Errorf("AvroConverter: topic %q: schema id %d: %w", topic, id, err))
	}
	return rs.root.conn, v, nil
}

// read decodes one Avro binary record of rs and maps it to Connect.
func (rs *avroReadSchema) read(body []byte) (any, error) {
	var generic any
	rest, err := rs.codec.Decode(body, &generic, avro.TaggedUnions())
	if err != nil {
		return nil, fmt.Errorf("data does not fit the schema: %w", err)
	}
	if len(rest) > 0 {
		return nil, fmt.Errorf("%d bytes left after the record", len(rest))
	}
	return rs.root.toConnect(generic)
}

func (c *avroConverter) readSchema(id int) (*avroReadSchema, error) {
	return readByID(c.srBase, &c.reads, id, func(got registry.Schema) (*avroReadSchema, error) {
		return newAvroReadSchema(got.Text, got.Refs...)
	})
}
