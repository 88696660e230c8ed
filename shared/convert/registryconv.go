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

	"github.com/twmb/franz-go/pkg/sr"

	"github.com/serverless-kafka-connect/slkc/shared/connect"
	"github.com/serverless-kafka-connect/slkc/shared/errclass"
	"github.com/serverless-kafka-connect/slkc/shared/registry"
)

// The subject name strategies, by their Confluent class names.
const (
	TopicNameStrategy       = "io.confluent.kafka.serializers.subject.TopicNameStrategy"
	RecordNameStrategy      = "io.confluent.kafka.serializers.subject.RecordNameStrategy"
	TopicRecordNameStrategy = "io.confluent.kafka.serializers.subject.TopicRecordNameStrategy"
)

// Property names every schema registry converter (Avro, JSON Schema,
// Protobuf) accepts, without the key.converter./value.converter. prefix.
const (
	srKeyURL            = "schema.registry.url"
	srKeyAuthSource     = "basic.auth.credentials.source"
	srKeyUserInfo       = "basic.auth.user.info"
	srKeyAutoRegister   = "auto.register.schemas"
	srKeyUseLatest      = "use.latest.version"
	srKeyKeyStrategy    = "key.subject.name.strategy"
	srKeyValueStrategy  = "value.subject.name.strategy"
	srKeyRequestTimeout = "schema.registry.request.timeout.ms"
)

// srKeys lists the properties srBase parses.
var srKeys = []string{srKeyURL, srKeyAuthSource, srKeyUserInfo, srKeyAutoRegister,
	srKeyUseLatest, srKeyKeyStrategy, srKeyValueStrategy, srKeyRequestTimeout}

// srMagic is the first byte of Confluent's wire format, followed by the
// schema id as a 4-byte big-endian integer and the serialized data.
const srMagic = 0

// srCacheSize bounds each of a converter's schema caches.
const srCacheSize = 1000

// srBase is what the schema registry converters share: the registry
// client built from the common keys, the subject name strategy, schema ids
// by subject and schema text, and Confluent's 5-byte wire format header.
type srBase struct {
	name         string // the converter's short name, for errors
	reg          *registry.Client
	isKey        bool
	autoRegister bool
	useLatest    bool
	strategy     string
	timeout      time.Duration

	ids srCache[subjectText, int] // schema ids by subject and schema text
}

type subjectText struct{ subject, text string }

// newSRBase parses the common registry keys out of props; every key of
// props must be one of them or of extra (the converter's own). It contacts
// no registry.
func newSRBase(name string, typ sr.SchemaType, props map[string]string, isKey bool, extra ...string) (*srBase, error) {
	allowed := map[string]string{}
	for _, k := range append(append([]string(nil), srKeys...), extra...) {
		allowed[k] = ""
	}
	if err := checkProps(props, allowed); err != nil {
		return nil, err
	}
	b := &srBase{name: name, isKey: isKey, autoRegister: true, strategy: TopicNameStrategy,
		timeout: 30 * time.Second}
	var errs []error
	cfg := registry.Config{Type: typ}
	raw := strings.TrimSpace(props[srKeyURL])
	if raw == "" {
		errs = append(errs, &ConfigError{Key: srKeyURL, Value: raw, Allowed: "one or more comma-separated http:// or https:// URLs (required)"})
	}
	var urlUser *url.Userinfo
	for _, u := range strings.Split(raw, ",") {
		u = strings.TrimSpace(u)
		if u == "" {
			continue
		}
		p, err := url.Parse(u)
		if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
			errs = append(errs, &ConfigError{Key: srKeyURL, Value: u, Allowed: "http:// or https:// URLs"})
			continue
		}
		if p.User != nil {
			urlUser = p.User
			p.User = nil
		}
		cfg.URLs = append(cfg.URLs, p.String())
	}
	switch src := strings.ToUpper(strings.TrimSpace(props[srKeyAuthSource])); src {
	case "", "URL":
		if urlUser != nil {
			cfg.Username = urlUser.Username()
			cfg.Password, _ = urlUser.Password()
		}
		if props[srKeyUserInfo] != "" {
			errs = append(errs, &ConfigError{Key: srKeyUserInfo, Value: "(hidden)", Allowed: "only with " + srKeyAuthSource + "=USER_INFO"})
		}
	case "USER_INFO":
		user, pass, ok := strings.Cut(props[srKeyUserInfo], ":")
		if !ok || user == "" {
			errs = append(errs, &ConfigError{Key: srKeyUserInfo, Value: "(hidden)", Allowed: "user:password (required with " + srKeyAuthSource + "=USER_INFO)"})
		}
		cfg.Username, cfg.Password = user, pass
	default:
		errs = append(errs, &ConfigError{Key: srKeyAuthSource, Value: props[srKeyAuthSource], Allowed: "URL or USER_INFO"})
	}
	for k, dst := range map[string]*bool{srKeyAutoRegister: &b.autoRegister, srKeyUseLatest: &b.useLatest} {
		if err := parseBoolProp(props, k, dst); err != nil {
			errs = append(errs, err)
		}
	}
	strategies := []string{TopicNameStrategy, RecordNameStrategy, TopicRecordNameStrategy}
	for _, k := range []string{srKeyKeyStrategy, srKeyValueStrategy} {
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
		if (k == srKeyKeyStrategy) == isKey {
			b.strategy = v
		}
	}
	if v, ok := props[srKeyRequestTimeout]; ok {
		ms, err := parsePositiveInt(v)
		if err != nil {
			errs = append(errs, &ConfigError{Key: srKeyRequestTimeout, Value: v, Allowed: "a positive number of milliseconds"})
		}
		b.timeout = time.Duration(ms) * time.Millisecond
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	cfg.Timeout = b.timeout
	reg, err := registry.New(cfg)
	if err != nil {
		return nil, err
	}
	b.reg = reg
	return b, nil
}

// parseBoolProp sets *dst from props[k] when present ("true"/"false",
// case-insensitive).
func parseBoolProp(props map[string]string, k string, dst *bool) error {
	v, ok := props[k]
	if !ok {
		return nil
	}
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "true":
		*dst = true
	case "false":
		*dst = false
	default:
		return &ConfigError{Key: k, Value: v, Allowed: "true or false"}
	}
	return nil
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
func (b *srBase) ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), b.timeout)
}

// subject names the registry subject for a record of topic whose schema
// has the given record name (RecordNameStrategy, TopicRecordNameStrategy).
func (b *srBase) subject(topic, recordName string) string {
	switch b.strategy {
	case RecordNameStrategy:
		return recordName
	case TopicRecordNameStrategy:
		return topic + "-" + recordName
	}
	if b.isKey {
		return topic + "-key"
	}
	return topic + "-value"
}

// schemaID is the id of text (with its references) under subject:
// registered there (auto.register.schemas) or looked up; known ids cost no
// registry call.
func (b *srBase) schemaID(subject, text string, refs ...sr.SchemaReference) (int, error) {
	k := subjectText{subject, text}
	if id, ok := b.ids.get(k); ok {
		return id, nil
	}
	var id int
	ctx, cancel := b.ctx()
	defer cancel()
	if b.autoRegister {
		var err error
		if id, err = b.reg.Register(ctx, subject, text, refs...); err != nil {
			return 0, err
		}
	} else {
		v, err := b.reg.Lookup(ctx, subject, text, refs...)
		if err != nil {
			return 0, err
		}
		id = v.ID
	}
	b.ids.put(k, id)
	return id, nil
}

// writeID is the schema id a record is written with: the subject's latest
// schema with use.latest.version and auto.register.schemas=false (when it
// is the record's own schema text; ok is false when it is not, and latest
// is then the subject's latest schema for the caller to rewrite into),
// otherwise text's id under subject.
func (b *srBase) writeID(subject, text string, refs ...sr.SchemaReference) (id int, latest registry.Latest, ok bool, err error) {
	if b.useLatest && !b.autoRegister {
		ctx, cancel := b.ctx()
		defer cancel()
		l, err := b.reg.LatestVersion(ctx, subject)
		if err != nil {
			return 0, l, false, err
		}
		return l.ID, l, l.Schema == text, nil
	}
	id, err = b.schemaID(subject, text, refs...)
	return id, registry.Latest{}, err == nil, err
}

// reference registers (or looks up) text under subject, its reference
// name, and returns the reference to it.
func (b *srBase) reference(subject, text string) (sr.SchemaReference, error) {
	if _, err := b.schemaID(subject, text); err != nil {
		return sr.SchemaReference{}, err
	}
	ctx, cancel := b.ctx()
	defer cancel()
	v, err := b.reg.Lookup(ctx, subject, text)
	if err != nil {
		return sr.SchemaReference{}, err
	}
	return sr.SchemaReference{Name: subject, Subject: subject, Version: v.Version}, nil
}

// writesNull reports whether a registry converter writes value of schema
// as a null record (no bytes, no header): a nil value that has no schema,
// is optional or has no default to write instead.
func writesNull(schema *connect.Schema, value any) bool {
	return value == nil && (schema == nil || schema.Optional || schema.Default == nil)
}

// appendHeader appends Confluent's wire format header for schema id to dst.
func appendHeader(dst []byte, id int) []byte {
	return binary.BigEndian.AppendUint32(append(dst, srMagic), uint32(id))
}

// splitWire splits Confluent's wire format into the schema id and the
// body; data without the magic byte and a 4-byte id is a permanent error.
func (b *srBase) splitWire(topic string, data []byte) (int, []byte, error) {
	if len(data) < 5 || data[0] != srMagic {
		first := -1
		if len(data) > 0 {
			first = int(data[0])
		}
		return 0, nil, errclass.Data(fmt.Errorf("%s: topic %q: data is not in Confluent's wire format: unknown magic byte %d (want 0 then a 4-byte schema id), %d bytes", b.name, topic, first, len(data)))
	}
	return int(binary.BigEndian.Uint32(data[1:5])), data[5:], nil
}

// schemaByID fetches the registered schema with id (cached by the client).
func (b *srBase) schemaByID(id int) (registry.Schema, error) {
	ctx, cancel := b.ctx()
	defer cancel()
	return b.reg.SchemaByID(ctx, id)
}

// readByID is the translation of schema id, made by translate from the
// registered schema once and cached in cache. An unreachable registry is
// returned as the client gives it; a schema translate refuses is a
// permanent error naming the id.
func readByID[V any](b *srBase, cache *srCache[int, V], id int, translate func(registry.Schema) (V, error)) (V, error) {
	if v, ok := cache.get(id); ok {
		return v, nil
	}
	got, err := b.schemaByID(id)
	if err != nil {
		var zero V
		return zero, err
	}
	v, err := translate(got)
	if err != nil {
		var zero V
		return zero, errclass.Data(fmt.Errorf("schema id %d: %w", id, err))
	}
	cache.put(id, v)
	return v, nil
}

// srCache is a bounded cache of translated schemas, safe for concurrent
// use; at srCacheSize entries it starts over.
type srCache[K comparable, V any] struct {
	mu sync.Mutex
	m  map[K]V
}

func (c *srCache[K, V]) get(k K) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.m[k]
	return v, ok
}

func (c *srCache[K, V]) put(k K, v V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= srCacheSize {
		c.m = map[K]V{}
	}
	c.m[k] = v
}
