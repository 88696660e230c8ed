// Package transform implements Kafka Connect single message transforms
// (SMTs) and predicates with Kafka's config keys and semantics: the 16 of
// org.apache.kafka.connect.transforms (each $Key/$Value variant), the 3 of
// org.apache.kafka.connect.transforms.predicates, and Debezium's
// ExtractNewRecordState. A Chain is built once at cold start from the
// connector's "transforms" and "predicates" config and applied to every
// record in order, on the source path (before produce) and the sink path
// (before write) alike. diff_test.go proves the output byte-identical to
// Kafka's own transforms.
package transform

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	connconfig "github.com/serverless-kafka-connect/slkc/shared/config"
	"github.com/serverless-kafka-connect/slkc/shared/connect"
)

// Transform changes one record. Apply returns the new record and true, or
// false when the record is dropped (filtered out). Apply must not modify
// values reachable from its input; it builds new ones instead. It must be
// safe for concurrent use and its result may depend only on the record:
// the sink converts a big batch's records on several goroutines (see
// shared/sinktask). State built at construction is read-only; caches of
// plans per schema are planCache (a sync.Map).
type Transform interface {
	Apply(r connect.Record) (connect.Record, bool, error)
}

// Predicate decides whether a transform applies to a record
// (org.apache.kafka.connect.transforms.predicates.Predicate). It must be
// safe for concurrent use, as Transform.
type Predicate interface {
	Test(r connect.Record) bool
}

// Chain applies transforms in order. The zero Chain passes records through.
type Chain struct {
	steps []step
}

type step struct {
	alias  string
	t      Transform
	pred   Predicate // nil: always applies
	negate bool
}

// Len returns the number of transforms in the chain.
func (c Chain) Len() int { return len(c.steps) }

// Apply runs every transform in order (safe for concurrent use), skipping one whose predicate does not
// match (or matches, with negate=true), as Kafka Connect's TransformationChain
// does. It stops at the first transform that drops the record (returning
// false) or fails; the error names the alias and the record.
func (c Chain) Apply(r connect.Record) (connect.Record, bool, error) {
	for _, s := range c.steps {
		if s.pred != nil && s.pred.Test(r) == s.negate {
			continue
		}
		in := r
		out, keep, err := s.t.Apply(r)
		if err != nil {
			return in, false, fmt.Errorf("transform %q on %s: %w", s.alias, in.Where(), err)
		}
		if !keep {
			return out, false, nil
		}
		r = out
	}
	return r, true, nil
}

// ConfigError reports a bad transform or predicate property; Key is the full
// connector key, e.g. "transforms.unwrap.delete.handling.mode".
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

// NewChain builds the chain for the connector's "transforms" and
// "predicates" lists (see config.Transforms: each alias's keys with the
// "transforms.<alias>." or "predicates.<alias>." prefix removed, including
// "type"). A transform's "predicate" must name a listed predicate; "negate"
// (default false) needs one. Every problem is reported (errors.Join of
// *ConfigError) with the full key name.
func NewChain(spec connconfig.Transforms) (Chain, error) {
	var (
		errs  []error
		chain Chain
	)
	preds := map[string]Predicate{}
	predAliases, predErrs := aliasList(connconfig.KeyPredicates, spec.Predicates, spec.PredicateProps)
	errs = append(errs, predErrs...)
	for _, alias := range predAliases {
		cfg, ctor, err := lookup(connconfig.PrefixPredicates+alias+".", spec.PredicateProps[alias], predicateTypes)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		p := ctor(cfg)
		if cfg.rejectUnused(); len(cfg.errs) > 0 {
			errs = append(errs, cfg.errs...)
			continue
		}
		preds[alias] = p
	}
	aliases, aliasErrs := aliasList(connconfig.KeyTransforms, spec.Aliases, spec.Props)
	errs = append(errs, aliasErrs...)
	for _, alias := range aliases {
		cfg, ctor, err := lookup(connconfig.PrefixTransforms+alias+".", spec.Props[alias], transformTypes)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		cfg.kind = spec.Kind
		st := step{alias: alias, t: ctor(cfg)}
		if name, ok := cfg.get("predicate"); ok {
			if st.pred = preds[name]; st.pred == nil && !slices.Contains(predAliases, name) {
				cfg.fail("predicate", name, "no such predicate; list it in predicates (listed: "+strings.Join(predAliases, ", ")+")")
			}
		}
		if v, set := cfg.props["negate"]; set {
			st.negate = cfg.boolean("negate", false)
			if _, ok := cfg.props["predicate"]; !ok {
				cfg.fail("negate", v, "only used with predicate")
			}
		}
		if cfg.rejectUnused(); len(cfg.errs) > 0 {
			errs = append(errs, cfg.errs...)
			continue
		}
		chain.steps = append(chain.steps, st)
	}
	if len(errs) > 0 {
		return Chain{}, errors.Join(errs...)
	}
	return chain, nil
}

// aliasList trims the aliases, reporting empty and repeated ones and props
// of aliases that are not listed.
func aliasList(listKey string, list []string, props map[string]map[string]string) ([]string, []error) {
	var (
		errs []error
		out  []string
		seen = map[string]bool{}
	)
	for _, alias := range list {
		alias = strings.TrimSpace(alias)
		if alias == "" {
			errs = append(errs, &ConfigError{Key: listKey, Problem: "empty alias"})
			continue
		}
		if seen[alias] {
			errs = append(errs, &ConfigError{Key: listKey, Value: alias, Problem: "alias listed twice"})
			continue
		}
		seen[alias] = true
		out = append(out, alias)
	}
	for _, alias := range slices.Sorted(maps.Keys(props)) {
		if !seen[alias] {
			errs = append(errs, &ConfigError{Key: listKey + "." + alias + ".*", Problem: "alias is not listed in " + listKey})
		}
	}
	return out, errs
}

// lookup finds the constructor for props["type"] in types.
func lookup[T any](prefix string, props map[string]string, types map[string]func(*config) T) (*config, func(*config) T, error) {
	allowed := strings.Join(slices.Sorted(maps.Keys(types)), ", ")
	typ, ok := props["type"]
	if !ok || strings.TrimSpace(typ) == "" {
		return nil, nil, &ConfigError{Key: prefix + "type", Problem: "missing; allowed: " + allowed}
	}
	typ = strings.TrimSpace(typ)
	ctor, ok := types[typ]
	if !ok {
		return nil, nil, &ConfigError{Key: prefix + "type", Value: typ, Problem: "unknown type; allowed: " + allowed}
	}
	return &config{prefix: prefix, props: props, used: map[string]bool{"type": true}}, ctor, nil
}

// config reads one transform's properties and collects problems.
type config struct {
	kind   connconfig.Kind // 0 when unknown (tests)
	prefix string
	props  map[string]string
	used   map[string]bool
	errs   []error
}

// get reads a key, trimmed as Kafka's ConfigDef trims STRING and LIST
// values (String.trim: characters up to U+0020).
func (c *config) get(key string) (string, bool) {
	c.used[key] = true
	v, ok := c.props[key]
	return strings.TrimFunc(v, func(r rune) bool { return r <= ' ' }), ok
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
		problem := "unknown key for this type"
		switch k {
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
