package convert

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/twmb/avro"

	"github.com/serverless-kafka-connect/slkc/shared/connect"
	"github.com/serverless-kafka-connect/slkc/shared/errclass"
	"github.com/serverless-kafka-connect/slkc/shared/registry"
)

// AvroConverterClass is Confluent's Avro converter, backed by a schema
// registry that speaks Confluent's REST API.
const AvroConverterClass = "io.confluent.connect.avro.AvroConverter"

// The subject name strategies, by their Confluent class names.
const (
	TopicNameStrategy       = "io.confluent.kafka.serializers.subject.TopicNameStrategy"
	RecordNameStrategy      = "io.confluent.kafka.serializers.subject.RecordNameStrategy"
	TopicRecordNameStrategy = "io.confluent.kafka.serializers.subject.TopicRecordNameStrategy"
)

// AvroConverter property names (without the key.converter./value.converter.
// prefix).
const (
	avroKeyURL            = "schema.registry.url"
	avroKeyAuthSource     = "basic.auth.credentials.source"
	avroKeyUserInfo       = "basic.auth.user.info"
	avroKeyAutoRegister   = "auto.register.schemas"
	avroKeyUseLatest      = "use.latest.version"
	avroKeyKeyStrategy    = "key.subject.name.strategy"
	avroKeyValueStrategy  = "value.subject.name.strategy"
	avroKeyRequestTimeout = "schema.registry.request.timeout.ms"
)

// avroMagic is the first byte of Confluent's wire format, followed by the
// schema id as a 4-byte big-endian integer and the Avro binary data.
const avroMagic = 0

// avroCacheSize bounds each of the converter's schema caches.
const avroCacheSize = 1000

// avroConverter is io.confluent.connect.avro.AvroConverter.
type avroConverter struct {
	reg          *registry.Client
	isKey        bool
	autoRegister bool
	useLatest    bool
	strategy     string
	timeout      time.Duration

	mu     sync.Mutex
	bySch  map[*connect.Schema]*avroWriteSchema // translated schemas by identity
	byText map[string]*avroWriteSchema          // and by Avro text
	reads  map[int]*avroReadSchema              // reader schemas by id
	latest map[string]*avroLatest               // use.latest.version, by subject
	ids    map[subjectText]int                  // schema ids by subject and Avro text
}

type subjectText struct{ subject, text string }

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
	allowed := map[string]string{}
	for _, k := range []string{avroKeyURL, avroKeyAuthSource, avroKeyUserInfo, avroKeyAutoRegister,
		avroKeyUseLatest, avroKeyKeyStrategy, avroKeyValueStrategy, avroKeyRequestTimeout} {
		allowed[k] = ""
	}
	if err := checkProps(props, allowed); err != nil {
		return nil, err
	}
	c := &avroConverter{isKey: isKey, autoRegister: true, strategy: TopicNameStrategy, timeout: 30 * time.Second,
		bySch: map[*connect.Schema]*avroWriteSchema{}, byText: map[string]*avroWriteSchema{},
		reads: map[int]*avroReadSchema{}, latest: map[string]*avroLatest{}, ids: map[subjectText]int{}}
	var errs []error
	cfg := registry.Config{}
	raw := strings.TrimSpace(props[avroKeyURL])
	if raw == "" {
		errs = append(errs, &ConfigError{Key: avroKeyURL, Value: raw, Allowed: "one or more comma-separated http:// or https:// URLs (required)"})
	}
	var urlUser *url.Userinfo
	for _, u := range strings.Split(raw, ",") {
		u = strings.TrimSpace(u)
		if u == "" {
			continue
		}
		p, err := url.Parse(u)
		if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
			errs = append(errs, &ConfigError{Key: avroKeyURL, Value: u, Allowed: "http:// or https:// URLs"})
			continue
		}
		if p.User != nil {
			urlUser = p.User
			p.User = nil
		}
		cfg.URLs = append(cfg.URLs, p.String())
	}
	switch src := strings.ToUpper(strings.TrimSpace(props[avroKeyAuthSource])); src {
	case "", "URL":
		if urlUser != nil {
			cfg.Username = urlUser.Username()
			cfg.Password, _ = urlUser.Password()
		}
		if props[avroKeyUserInfo] != "" {
			errs = append(errs, &ConfigError{Key: avroKeyUserInfo, Value: "(hidden)", Allowed: "only with " + avroKeyAuthSource + "=USER_INFO"})
		}
	case "USER_INFO":
		user, pass, ok := strings.Cut(props[avroKeyUserInfo], ":")
		if !ok || user == "" {
			errs = append(errs, &ConfigError{Key: avroKeyUserInfo, Value: "(hidden)", Allowed: "user:password (required with " + avroKeyAuthSource + "=USER_INFO)"})
		}
		cfg.Username, cfg.Password = user, pass
	default:
		errs = append(errs, &ConfigError{Key: avroKeyAuthSource, Value: props[avroKeyAuthSource], Allowed: "URL or USER_INFO"})
	}
	for k, dst := range map[string]*bool{avroKeyAutoRegister: &c.autoRegister, avroKeyUseLatest: &c.useLatest} {
		v, ok := props[k]
		if !ok {
			continue
		}
		switch strings.ToLower(strings.TrimSpace(v)) {
		case "true":
			*dst = true
		case "false":
			*dst = false
		default:
			errs = append(errs, &ConfigError{Key: k, Value: v, Allowed: "true or false"})
		}
	}
	strategies := []string{TopicNameStrategy, RecordNameStrategy, TopicRecordNameStrategy}
	for _, k := range []string{avroKeyKeyStrategy, avroKeyValueStrategy} {
		v, ok := props[k]
		if !ok {
			continue
		}
		v = strings.TrimSpace(v)
		valid := false
		for _, s := range strategies {
			valid = valid || v == s
		}
		if !valid {
			errs = append(errs, &ConfigError{Key: k, Value: v, Allowed: strings.Join(strategies, ", ")})
			continue
		}
		if (k == avroKeyKeyStrategy) == isKey {
			c.strategy = v
		}
	}
	if v, ok := props[avroKeyRequestTimeout]; ok {
		ms, err := parsePositiveInt(v)
		if err != nil {
			errs = append(errs, &ConfigError{Key: avroKeyRequestTimeout, Value: v, Allowed: "a positive number of milliseconds"})
		}
		c.timeout = time.Duration(ms) * time.Millisecond
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	cfg.Timeout = c.timeout
	reg, err := registry.New(cfg)
	if err != nil {
		return nil, err
	}
	c.reg = reg
	return c, nil
}

func parsePositiveInt(s string) (int64, error) {
	var n int64
	if _, err := fmt.Sscan(strings.TrimSpace(s), &n); err != nil || n <= 0 {
		return 0, errors.New("not a positive integer")
	}
	return n, nil
}

// ctx bounds one converter call: the Converter interface has no context,
// so each registry round trip gets the request timeout.
func (c *avroConverter) ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), c.timeout)
}

// FromConnect writes value in Confluent's wire format under the schema id
// the registry gives for the translated schema: registered under the
// strategy's subject when auto.register.schemas (the default), looked up
// there otherwise, or the subject's latest schema with use.latest.version.
func (c *avroConverter) FromConnect(topic string, schema *connect.Schema, value any) ([]byte, error) {
	if value == nil && (schema == nil || schema.Optional || schema.Default == nil) {
		return nil, nil
	}
	ws, err := c.writeSchema(schema)
	if err != nil {
		return nil, errclass.Data(fmt.Errorf("AvroConverter: %w", err))
	}
	subject := c.subject(topic, ws)
	generic, err := ws.root.encode(value)
	if err != nil {
		return nil, errclass.Data(fmt.Errorf("AvroConverter: topic %q: %w", topic, err))
	}
	var id int
	if c.useLatest && !c.autoRegister {
		l, err := c.latestFor(subject)
		if err != nil {
			return nil, fmt.Errorf("AvroConverter: %w", err)
		}
		if l.text != ws.text {
			return c.rewrite(l, ws, generic, subject)
		}
		id = l.id
	} else if id, err = c.schemaID(subject, ws.text); err != nil {
		return nil, fmt.Errorf("AvroConverter: %w", err)
	}
	out := binary.BigEndian.AppendUint32([]byte{avroMagic}, uint32(id))
	out, err = ws.codec.AppendEncode(out, generic)
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
	out := binary.BigEndian.AppendUint32([]byte{avroMagic}, uint32(l.id))
	if out, err = l.codec.AppendEncode(out, asLatest); err != nil {
		return nil, errclass.Data(fmt.Errorf("AvroConverter: writing with the latest schema (id %d) of subject %q: %w", l.id, subject, err))
	}
	return out, nil
}

// schemaID is the id of text under subject: registered there
// (auto.register.schemas) or looked up; known ids cost no registry call.
func (c *avroConverter) schemaID(subject, text string) (int, error) {
	k := subjectText{subject, text}
	c.mu.Lock()
	id, ok := c.ids[k]
	c.mu.Unlock()
	if ok {
		return id, nil
	}
	ctx, cancel := c.ctx()
	defer cancel()
	if c.autoRegister {
		var err error
		if id, err = c.reg.Register(ctx, subject, text); err != nil {
			return 0, err
		}
	} else {
		v, err := c.reg.Lookup(ctx, subject, text)
		if err != nil {
			return 0, err
		}
		id = v.ID
	}
	c.mu.Lock()
	if len(c.ids) >= avroCacheSize {
		clear(c.ids)
	}
	c.ids[k] = id
	c.mu.Unlock()
	return id, nil
}

func (c *avroConverter) latestFor(subject string) (*avroLatest, error) {
	c.mu.Lock()
	l, ok := c.latest[subject]
	c.mu.Unlock()
	if ok {
		return l, nil
	}
	ctx, cancel := c.ctx()
	defer cancel()
	got, err := c.reg.LatestVersion(ctx, subject)
	if err != nil {
		return nil, err
	}
	codec, err := avroCodec([]byte(got.Schema))
	if err != nil {
		return nil, errclass.Data(fmt.Errorf("latest schema (id %d) of subject %q is not valid Avro: %w", got.ID, subject, err))
	}
	l = &avroLatest{id: got.ID, text: got.Schema, codec: codec, resolved: map[string]*avro.Schema{}}
	c.mu.Lock()
	c.latest[subject] = l
	c.mu.Unlock()
	return l, nil
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
		if len(c.byText) >= avroCacheSize {
			clear(c.byText)
		}
		c.byText[ws.text] = ws
	}
	if len(c.bySch) >= avroCacheSize {
		clear(c.bySch)
	}
	c.bySch[s] = ws
	return ws, nil
}

// subject names the registry subject for a record of topic.
func (c *avroConverter) subject(topic string, ws *avroWriteSchema) string {
	switch c.strategy {
	case RecordNameStrategy:
		return ws.name
	case TopicRecordNameStrategy:
		return topic + "-" + ws.name
	}
	if c.isKey {
		return topic + "-key"
	}
	return topic + "-value"
}

// ToConnect reads Confluent's wire format: the schema is fetched by id
// (once) and mapped to Connect as AvroData does. Data that does not start
// with the magic byte, an unknown id or data that does not fit its schema
// is a permanent error; an unreachable registry is retryable.
func (c *avroConverter) ToConnect(topic string, data []byte) (*connect.Schema, any, error) {
	if len(data) == 0 {
		return nil, nil, nil
	}
	if len(data) < 5 || data[0] != avroMagic {
		return nil, nil, errclass.Data(fmt.Errorf("AvroConverter: topic %q: data is not in Confluent's Avro wire format: unknown magic byte %d (want 0 then a 4-byte schema id), %d bytes", topic, data[0], len(data)))
	}
	id := int(binary.BigEndian.Uint32(data[1:5]))
	rs, err := c.readSchema(id)
	if err != nil {
		return nil, nil, fmt.Errorf("AvroConverter: topic %q: %w", topic, err)
	}
	var generic any
	rest, err := rs.codec.Decode(data[5:], &generic, avro.TaggedUnions())
	if err != nil {
		return nil, nil, errclass.Data(fmt.Errorf("AvroConverter: topic %q: data does not fit schema id %d: %w", topic, id, err))
	}
	if len(rest) > 0 {
		return nil, nil, errclass.Data(fmt.Errorf("AvroConverter: topic %q: %d bytes left after the record of schema id %d", topic, len(rest), id))
	}
	v, err := rs.root.toConnect(generic)
	if err != nil {
		return nil, nil, errclass.Data(fmt.Errorf("AvroConverter: topic %q: schema id %d: %w", topic, id, err))
	}
	return rs.root.conn, v, nil
}

func (c *avroConverter) readSchema(id int) (*avroReadSchema, error) {
	c.mu.Lock()
	rs, ok := c.reads[id]
	c.mu.Unlock()
	if ok {
		return rs, nil
	}
	ctx, cancel := c.ctx()
	defer cancel()
	got, err := c.reg.SchemaByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if rs, err = newAvroReadSchema(got.Text, got.Refs...); err != nil {
		return nil, errclass.Data(fmt.Errorf("schema id %d: %w", id, err))
	}
	c.mu.Lock()
	if len(c.reads) >= avroCacheSize {
		clear(c.reads)
	}
	c.reads[id] = rs
	c.mu.Unlock()
	return rs, nil
}
