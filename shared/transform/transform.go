// Package transform implements Kafka Connect single message transforms
// (SMTs): Debezium's ExtractNewRecordState, ReplaceField ($Key and $Value)
// and RegexRouter. A Chain is built once from the connector's
// "transforms" config and applied to every record in order, as a Kafka
// Connect worker does.
package transform

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/serverless-kafka-connect/slkc/shared/connect"
)

// Transform changes one record. Apply returns the new record and true, or
// false when the record is dropped (filtered out). Apply must not modify
// values reachable from its input; it builds new ones instead.
type Transform interface {
	Apply(r connect.Record) (connect.Record, bool, error)
}

// Transform type names accepted in transforms.<alias>.type.
const (
	ExtractNewRecordStateType = "io.debezium.transforms.ExtractNewRecordState"
	ReplaceFieldValueType     = "org.apache.kafka.connect.transforms.ReplaceField$Value"
	ReplaceFieldKeyType       = "org.apache.kafka.connect.transforms.ReplaceField$Key"
	RegexRouterType           = "org.apache.kafka.connect.transforms.RegexRouter"
)

// Types lists the supported transform types, sorted.
func Types() []string {
	t := []string{ExtractNewRecordStateType, ReplaceFieldValueType, ReplaceFieldKeyType, RegexRouterType}
	sort.Strings(t)
	return t
}

// Chain applies transforms in order. The zero Chain passes records through.
type Chain struct {
	steps []step
}

type step struct {
	alias string
	t     Transform
}

// Len returns the number of transforms in the chain.
func (c Chain) Len() int { return len(c.steps) }

// Apply runs every transform in order. It stops at the first one that drops
// the record (returning false) or fails; the error names the alias.
func (c Chain) Apply(r connect.Record) (connect.Record, bool, error) {
	for _, s := range c.steps {
		var (
			keep bool
			err  error
		)
		r, keep, err = s.t.Apply(r)
		if err != nil {
			return r, false, fmt.Errorf("transform %q on %s: %w", s.alias, r.Where(), err)
		}
		if !keep {
			return r, false, nil
		}
	}
	return r, true, nil
}

// ConfigError reports a bad transform property; Key is the full connector
// key, e.g. "transforms.unwrap.delete.handling.mode".
type ConfigError struct {
	Key   string
	Value string
	// Problem says what is wrong and what is allowed.
	Problem string
}

func (e *ConfigError) Error() string {
	if e.Value == "" {
		return fmt.Sprintf("%s: %s", e.Key, e.Problem)
	}
	return fmt.Sprintf("%s=%q: %s", e.Key, e.Value, e.Problem)
}

// NewChain builds the chain for the connector's "transforms" list. aliases
// is that list in order; props[alias] holds the alias's keys with the
// "transforms.<alias>." prefix removed, including "type". Every problem is
// reported (errors.Join of *ConfigError) with the full key name.
func NewChain(aliases []string, props map[string]map[string]string) (Chain, error) {
	var (
		errs  []error
		chain Chain
		seen  = map[string]bool{}
	)
	for _, alias := range aliases {
		alias = strings.TrimSpace(alias)
		if alias == "" {
			errs = append(errs, &ConfigError{Key: "transforms", Problem: "empty alias"})
			continue
		}
		if seen[alias] {
			errs = append(errs, &ConfigError{Key: "transforms", Value: alias, Problem: "alias listed twice"})
			continue
		}
		seen[alias] = true
		p := props[alias]
		prefix := "transforms." + alias + "."
		typ, ok := p["type"]
		if !ok || strings.TrimSpace(typ) == "" {
			errs = append(errs, &ConfigError{Key: prefix + "type", Problem: "missing; allowed: " + strings.Join(Types(), ", ")})
			continue
		}
		typ = strings.TrimSpace(typ)
		cfg := &config{prefix: prefix, props: p, used: map[string]bool{"type": true}}
		var t Transform
		switch typ {
		case ExtractNewRecordStateType:
			t = newExtractNewRecordState(cfg)
		case ReplaceFieldValueType:
			t = newReplaceField(cfg, false)
		case ReplaceFieldKeyType:
			t = newReplaceField(cfg, true)
		case RegexRouterType:
			t = newRegexRouter(cfg)
		default:
			errs = append(errs, &ConfigError{Key: prefix + "type", Value: typ, Problem: "unknown transform type; allowed: " + strings.Join(Types(), ", ")})
			continue
		}
		cfg.rejectUnused()
		if len(cfg.errs) > 0 {
			errs = append(errs, cfg.errs...)
			continue
		}
		chain.steps = append(chain.steps, step{alias: alias, t: t})
	}
	extra := make([]string, 0)
	for alias := range props {
		if !seen[alias] {
			extra = append(extra, alias)
		}
	}
	sort.Strings(extra)
	for _, alias := range extra {
		errs = append(errs, &ConfigError{Key: "transforms." + alias + ".*", Problem: "alias is not listed in transforms"})
	}
	if len(errs) > 0 {
		return Chain{}, errors.Join(errs...)
	}
	return chain, nil
}

// config reads one transform's properties and collects problems.
type config struct {
	prefix string
	props  map[string]string
	used   map[string]bool
	errs   []error
}

func (c *config) get(key string) (string, bool) {
	c.used[key] = true
	v, ok := c.props[key]
	return strings.TrimSpace(v), ok
}

func (c *config) fail(key, value, problem string) {
	c.errs = append(c.errs, &ConfigError{Key: c.prefix + key, Value: value, Problem: problem})
}

func (c *config) boolean(key string, def bool) bool {
	v, ok := c.get(key)
	if !ok {
		return def
	}
	switch strings.ToLower(v) {
	case "true":
		return true
	case "false":
		return false
	}
	c.fail(key, v, "allowed: true, false")
	return def
}

func (c *config) oneOf(key, def string, allowed ...string) string {
	v, ok := c.get(key)
	if !ok {
		return def
	}
	for _, a := range allowed {
		if strings.EqualFold(v, a) {
			return a
		}
	}
	c.fail(key, v, "allowed: "+strings.Join(allowed, ", "))
	return def
}

// list parses a Kafka LIST value: comma separated, blanks dropped.
func (c *config) list(key string) ([]string, bool) {
	v, ok := c.get(key)
	if !ok {
		return nil, false
	}
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out, true
}

func (c *config) rejectUnused() {
	keys := make([]string, 0, len(c.props))
	for k := range c.props {
		if !c.used[k] {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		problem := "unknown key for this transform type"
		switch k {
		case "predicate", "negate":
			problem = "predicates are not supported"
		case "add.headers", "add.headers.prefix", "drop.fields.header.name", "drop.fields.from.key",
			"drop.fields.keep.schema.compatible", "add.source.fields", "operation.header":
			problem = "Debezium option not supported by this implementation"
		}
		c.fail(k, c.props[k], problem)
	}
}

// copyStructSchema returns a struct schema with s's name, version, doc and
// parameters and the given fields (indexes renumbered). Like Kafka's
// SchemaUtil.copySchemaBasics it does not copy optionality or the default,
// so the result is a required struct, as Kafka's and Debezium's transforms
// produce.
func copyStructSchema(s *connect.Schema, fields []connect.Field) *connect.Schema {
	out := connect.NewStructSchema(s.Name, fields...)
	out.Version = s.Version
	out.Doc = s.Doc
	out.Parameters = s.Parameters
	return out
}
