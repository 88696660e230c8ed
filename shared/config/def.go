package config

import (
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Type is the type of a config value, as in Kafka's ConfigDef.Type.
type Type int

// Value types. Durations in milliseconds are Long keys named *.ms.
const (
	String   Type = iota + 1 // any text
	Int                      // 32-bit integer
	Long                     // 64-bit integer
	Double                   // 64-bit float
	Bool                     // "true" or "false", any case
	List                     // comma-separated, items trimmed, "" is empty
	Password                 // text that is redacted in errors and logs
	Class                    // a Java-style class name, e.g. org.apache.kafka.connect.json.JsonConverter
)

// String returns the Kafka name of the type (STRING, INT, ...).
func (t Type) String() string {
	switch t {
	case String:
		return "STRING"
	case Int:
		return "INT"
	case Long:
		return "LONG"
	case Double:
		return "DOUBLE"
	case Bool:
		return "BOOLEAN"
	case List:
		return "LIST"
	case Password:
		return "PASSWORD"
	case Class:
		return "CLASS"
	}
	return "Type(" + strconv.Itoa(int(t)) + ")"
}

// Validator checks a value that already parsed as the key's type. The value
// is trimmed of surrounding spaces. Its error says what is allowed (e.g.
// "value must be at least 1"); Parse adds the key and the value.
type Validator func(value string) error

// Key defines one config key.
type Key struct {
	Name string
	Type Type
	// Default is used when the key is not set; nil means no default. Use
	// Default("...") to build one.
	Default *string
	// Required keys without a Default must be set.
	Required bool
	// Validator, when set, checks the value (and the default, at Define).
	Validator Validator
	Doc       string
	Group     string
	// Importance is Kafka ConfigDef's importance, shown by the validate
	// response; the zero value is High for required keys, Medium for the
	// others.
	Importance Importance
	// Status says how a key known from Kafka Connect or a connector's
	// public reference is supported; the zero value is Honoured. Reason
	// explains a Serverless meaning or a refusal, and what to do instead;
	// it is required for both (Define panics without it).
	Status Status
	Reason string
}

// Importance is a key's importance, as Kafka's ConfigDef.Importance.
type Importance int

// Importances; ImportanceAuto derives it from Required.
const (
	ImportanceAuto Importance = iota
	ImportanceLow
	ImportanceMedium
	ImportanceHigh
)

// ImportanceName returns the key's importance as Kafka names it: HIGH,
// MEDIUM or LOW.
func (k Key) ImportanceName() string {
	switch i := k.Importance; {
	case i == ImportanceHigh, i == ImportanceAuto && k.Required:
		return "HIGH"
	case i == ImportanceLow:
		return "LOW"
	}
	return "MEDIUM"
}

// Status is how a key is supported.
type Status int

// Statuses of a key, shown in the generated references.
const (
	// Honoured keys work as Kafka Connect and the connector document them.
	Honoured Status = iota
	// Serverless keys are accepted with the serverless meaning in Reason;
	// their Validator admits only the values that match what the functions
	// do, and its error says why.
	Serverless
	// Refused keys are refused whatever their value, with Reason.
	Refused
)

// String returns the status as the references show it.
func (s Status) String() string {
	switch s {
	case Honoured:
		return "honoured"
	case Serverless:
		return "serverless meaning"
	case Refused:
		return "refused"
	}
	return "Status(" + strconv.Itoa(int(s)) + ")"
}

// Default returns a pointer to v for Key.Default.
func Default(v string) *string { return &v }

// Def is a set of key definitions, like Kafka's ConfigDef. Build it with
// NewDef, Define, AllowPrefix and AddCheck at package init; Parse is safe for
// concurrent use once built.
type Def struct {
	keys     map[string]Key
	prefixes []string
	checks   []func(Values) []error
}

// NewDef returns a Def holding keys; see Define.
func NewDef(keys ...Key) *Def {
	d := &Def{keys: map[string]Key{}}
	return d.Define(keys...)
}

// Define adds keys and returns d. Defining a name twice, an unknown Type or
// a Default that fails its own type or Validator is a programming error and
// panics, as Kafka's ConfigDef throws.
func (d *Def) Define(keys ...Key) *Def {
	if d.keys == nil {
		d.keys = map[string]Key{}
	}
	for _, k := range keys {
		if k.Name == "" {
			panic("config: Define: key without a name")
		}
		if _, dup := d.keys[k.Name]; dup {
			panic(fmt.Sprintf("config: Define: key %q defined twice", k.Name))
		}
		if k.Type < String || k.Type > Class {
			panic(fmt.Sprintf("config: Define: key %q has invalid type %d", k.Name, k.Type))
		}
		if k.Status != Honoured && k.Reason == "" {
			panic(fmt.Sprintf("config: Define: key %q is %s without a Reason", k.Name, k.Status))
		}
		if k.Status == Refused && (k.Default != nil || k.Required) {
			panic(fmt.Sprintf("config: Define: refused key %q has a default or is required", k.Name))
		}
		if k.Default != nil {
			if err := checkValue(k, *k.Default); err != nil {
				panic(fmt.Sprintf("config: Define: key %q: default %q: %v", k.Name, *k.Default, err))
			}
		}
		d.keys[k.Name] = k
	}
	return d
}

// AllowPrefix accepts any key starting with prefix that is not itself
// defined (e.g. "transforms." or "key.converter."), without checking its
// value; the owner reads them with Values.WithPrefix and validates them.
// It returns d.
func (d *Def) AllowPrefix(prefix string) *Def {
	for _, p := range d.prefixes {
		if p == prefix {
			return d
		}
	}
	d.prefixes = append(d.prefixes, prefix)
	return d
}

// AddCheck adds a check across keys that runs after every key parsed
// without error; its errors join the others. Return *KeyError values so the
// errors sort by key. It returns d.
func (d *Def) AddCheck(check func(Values) []error) *Def {
	d.checks = append(d.checks, check)
	return d
}

// Merge returns a new Def with the keys, prefixes and checks of d and then
// other. A key defined in both takes other's definition, so a connector can
// change a framework default (e.g. aws.lambda.timeout.seconds). Neither d
// nor other changes.
func (d *Def) Merge(other *Def) *Def {
	out := &Def{keys: make(map[string]Key, len(d.keys)+len(other.keys))}
	for _, src := range []*Def{d, other} {
		for n, k := range src.keys {
			out.keys[n] = k
		}
		for _, p := range src.prefixes {
			out.AllowPrefix(p)
		}
		out.checks = append(out.checks, src.checks...)
	}
	return out
}

// DefinedOnly returns the entries of props whose key d defines, for tools that
// parse one part of a connector config (a connector's own keys) and leave
// the rest to the full parse.
func DefinedOnly(d *Def, props map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range props {
		if _, ok := d.keys[k]; ok {
			out[k] = v
		}
	}
	return out
}

// ParseOwn parses the entries of props that d defines and ignores the
// others: for tools reading a connector's own keys out of a whole
// connector config (the functions parse everything, refusing unknown keys).
func (d *Def) ParseOwn(props map[string]string) (Values, error) {
	return d.Parse(DefinedOnly(d, props))
}

// WithFrameworkKey returns d with the framework's definition of name for
// kind added (identifiers.permissive, say), for ParseOwn of a connector's
// keys that also read a framework key. It panics when the framework has no
// such key (a programming error).
func (d *Def) WithFrameworkKey(kind Kind, name string) *Def {
	k, ok := FrameworkDef(kind).Key(name)
	if !ok {
		panic(fmt.Sprintf("config: no framework key %q for %s connectors", name, kind))
	}
	return d.Define(k)
}

// Key returns the definition of name.
func (d *Def) Key(name string) (Key, bool) {
	k, ok := d.keys[name]
	return k, ok
}

// Keys returns all definitions sorted by group, then name; for docs and the
// CDK app.
func (d *Def) Keys() []Key {
	out := make([]Key, 0, len(d.keys))
	for _, k := range d.keys {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Group != out[j].Group {
			return out[i].Group < out[j].Group
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// Prefixes returns the allowed prefixes, sorted.
func (d *Def) Prefixes() []string {
	out := append([]string(nil), d.prefixes...)
	sort.Strings(out)
	return out
}

// KeyError is one problem with one key. Parse returns them joined.
type KeyError struct {
	Key string
	// Value is the offending value, "[hidden]" for Password keys, empty
	// when the key is missing or unknown.
	Value string
	Msg   string
}

func (e *KeyError) Error() string {
	if e.Value == "" {
		return fmt.Sprintf("config key %q: %s", e.Key, e.Msg)
	}
	return fmt.Sprintf("invalid value %q for config key %q: %s", e.Value, e.Key, e.Msg)
}

// Errorf returns a *KeyError for key; for checks added with AddCheck.
func Errorf(key, value, format string, args ...any) *KeyError {
	return &KeyError{Key: key, Value: value, Msg: fmt.Sprintf(format, args...)}
}

// Parse checks every key of props against d and returns the values with
// defaults applied. Unknown keys (not defined and not under an allowed
// prefix) are rejected with the closest defined name as a suggestion, each
// bad value names the key, the value and what is allowed, and required keys
// without a default must be set. All problems are returned together
// (errors.Join of *KeyError, sorted by key); cross-key checks run only when
// every key parsed. props is not kept.
func (d *Def) Parse(props map[string]string) (Values, error) {
	vals := Values{def: d, set: make(map[string]string, len(props)), given: map[string]bool{}, extra: map[string]string{}}
	var errs []*KeyError
	for name, raw := range props {
		k, ok := d.keys[name]
		if !ok {
			if d.prefixed(name) {
				vals.extra[name] = raw
				continue
			}
			msg := "unknown config key"
			if s := d.suggest(name); s != "" {
				msg += fmt.Sprintf("; did you mean %q?", s)
			}
			msg += d.overrideHint(name)
			errs = append(errs, &KeyError{Key: name, Msg: msg})
			continue
		}
		if k.Status == Refused {
			errs = append(errs, &KeyError{Key: name, Value: shown(k, raw), Msg: "not supported: " + k.Reason})
			continue
		}
		if err := checkValue(k, raw); err != nil {
			errs = append(errs, &KeyError{Key: name, Value: shown(k, raw), Msg: err.Error()})
			continue
		}
		vals.set[name] = strings.TrimSpace(raw)
		vals.given[name] = true
	}
	for name, k := range d.keys {
		if _, ok := props[name]; ok {
			continue
		}
		if k.Default != nil {
			vals.set[name] = *k.Default
			continue
		}
		if k.Required {
			msg := "missing required config key"
			if k.Doc != "" {
				msg += " (" + k.Doc + ")"
			}
			errs = append(errs, &KeyError{Key: name, Msg: msg})
		}
	}
	if len(errs) == 0 {
		for _, c := range d.checks {
			for _, err := range c(vals) {
				var ke *KeyError
				if !errors.As(err, &ke) {
					ke = &KeyError{Msg: err.Error()}
				}
				errs = append(errs, ke)
			}
		}
	}
	if len(errs) > 0 {
		sort.SliceStable(errs, func(i, j int) bool {
			if errs[i].Key != errs[j].Key {
				return errs[i].Key < errs[j].Key
			}
			return errs[i].Msg < errs[j].Msg
		})
		joined := make([]error, len(errs))
		for i, e := range errs {
			joined[i] = e
		}
		return Values{}, errors.Join(joined...)
	}
	return vals, nil
}

func (d *Def) prefixed(name string) bool {
	for _, p := range d.prefixes {
		if strings.HasPrefix(name, p) && len(name) > len(p) {
			return true
		}
	}
	return false
}

func shown(k Key, raw string) string {
	if k.Type == Password {
		return redacted
	}
	if len(raw) > 200 {
		return raw[:200] + "..."
	}
	return raw
}

var classPattern = regexp.MustCompile(`^[A-Za-z_$][A-Za-z0-9_$]*(\.[A-Za-z_$][A-Za-z0-9_$]*)*$`)

// checkValue parses raw as k's type and runs k's validator.
func checkValue(k Key, raw string) error {
	if err := checkType(k.Type, raw); err != nil {
		return err
	}
	if k.Validator != nil {
		if k.Type == Password || k.Type == String {
			return k.Validator(raw)
		}
		return k.Validator(strings.TrimSpace(raw))
	}
	return nil
}

// ParsesAs reports whether raw is a value of type t (before any validator),
// as Kafka's ConfigDef.parseType would accept it.
func ParsesAs(t Type, raw string) bool { return checkType(t, raw) == nil }

// checkType checks raw against t alone.
func checkType(t Type, raw string) error {
	v := strings.TrimSpace(raw)
	switch t {
	case Int:
		if _, err := strconv.ParseInt(v, 10, 32); err != nil {
			return fmt.Errorf("expected a 32-bit integer (INT)")
		}
	case Long:
		if _, err := strconv.ParseInt(v, 10, 64); err != nil {
			return fmt.Errorf("expected a 64-bit integer (LONG)")
		}
	case Double:
		if _, err := strconv.ParseFloat(v, 64); err != nil {
			return fmt.Errorf("expected a number (DOUBLE)")
		}
	case Bool:
		if !strings.EqualFold(v, "true") && !strings.EqualFold(v, "false") {
			return fmt.Errorf("expected true or false (BOOLEAN)")
		}
	case Class:
		if !classPattern.MatchString(v) {
			return fmt.Errorf("expected a class name such as org.apache.kafka.connect.json.JsonConverter (CLASS)")
		}
	}
	return nil
}

// suggest returns the defined key that name most likely misspells, or ""
// when none is a typo of it with the same meaning. A suggestion must be a
// typo-sized edit (optimal string alignment distance at most len(name)/10,
// at least 1) and in the same family (first dot-separated segments at most
// one edit apart), so table.poll.interval.ms is not steered to
// poll.interval.ms. Client overrides (producer.override.*,
// consumer.override.*, admin.override.*) get no suggestion: a close name
// there is a different Kafka client property (see overrideHint).
func (d *Def) suggest(name string) string {
	if overrideFamily(name) != "" {
		return ""
	}
	limit := max(1, len(name)/10)
	family, _, _ := strings.Cut(name, ".")
	best, bestDist := "", limit+1
	for k := range d.keys {
		if overrideFamily(k) != "" {
			continue
		}
		kf, _, _ := strings.Cut(k, ".")
		if editDistance(family, kf) > 1 {
			continue
		}
		dist := editDistance(name, k)
		if dist < bestDist || (dist == bestDist && k < best) {
			best, bestDist = k, dist
		}
	}
	return best
}

// overrideFamily returns the client override prefix of name
// ("producer.override." ...), "" when it has none.
func overrideFamily(name string) string {
	for _, p := range []string{"producer.override.", "consumer.override.", "admin.override."} {
		if strings.HasPrefix(name, p) {
			return p
		}
	}
	return ""
}

// overrideHint lists the client overrides d supports in name's family, for
// the error of an unknown override; "" when name is not one.
func (d *Def) overrideHint(name string) string {
	fam := overrideFamily(name)
	if fam == "" {
		return ""
	}
	var keys []string
	for k := range d.keys {
		if strings.HasPrefix(k, fam) {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		if why := overrideRefusal(name); why != "" {
			return fmt.Sprintf("; no %s* key is supported: %s", fam, why)
		}
		return fmt.Sprintf("; no %s* key is supported", fam)
	}
	sort.Strings(keys)
	return fmt.Sprintf("; the supported %s* keys are %s", fam, strings.Join(keys, ", "))
}

// editDistance is the optimal string alignment distance between a and b
// (bytes): insertions, deletions, substitutions and transpositions of
// adjacent bytes each cost 1.
func editDistance(a, b string) int {
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}

const redacted = "[hidden]"

// Secret is a Password value. It prints as [hidden] in fmt, slog and JSON;
// call Value for the text.
type Secret struct{ value string }

// NewSecret wraps v.
func NewSecret(v string) Secret { return Secret{value: v} }

// Value returns the secret text.
func (s Secret) Value() string { return s.value }

// IsZero reports whether the secret is empty.
func (s Secret) IsZero() bool { return s.value == "" }

// String returns "[hidden]".
func (s Secret) String() string { return redacted }

// GoString returns "[hidden]" so %#v does not leak either.
func (s Secret) GoString() string { return redacted }

// LogValue makes slog print "[hidden]".
func (s Secret) LogValue() slog.Value { return slog.StringValue(redacted) }

// MarshalJSON writes "[hidden]".
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + redacted + `"`), nil }

// Values are parsed config values with defaults applied. The typed getters
// panic when name is not defined in the Def (a programming error, as in
// Kafka's AbstractConfig); a defined key that is unset and has no default
// returns the zero value (see Has).
type Values struct {
	def   *Def
	set   map[string]string // defined keys: value or default
	given map[string]bool   // defined keys set in the props (not defaulted)
	extra map[string]string // keys accepted by an allowed prefix
}

func (v Values) get(name string, t ...Type) string {
	k, ok := v.def.keyOrNil(name)
	if !ok {
		panic(fmt.Sprintf("config: key %q is not defined", name))
	}
	if len(t) > 0 && k.Type != t[0] && !(t[0] == String && k.Type == Class) {
		panic(fmt.Sprintf("config: key %q is %s, not %s", name, k.Type, t[0]))
	}
	return v.set[name]
}

func (d *Def) keyOrNil(name string) (Key, bool) {
	if d == nil {
		return Key{}, false
	}
	k, ok := d.keys[name]
	return k, ok
}

// Defined reports whether name is defined in the Def the values came from.
func (v Values) Defined(name string) bool {
	_, ok := v.def.keyOrNil(name)
	return ok
}

// Has reports whether name has a value (set, or defaulted).
func (v Values) Has(name string) bool {
	_, ok := v.set[name]
	return ok
}

// Given reports whether name was set in the parsed props rather than
// defaulted, for rules about keys a user sets (a key that only means
// something in one mode, say).
func (v Values) Given(name string) bool { return v.given[name] }

// Text returns the value of any defined key as text, whatever its type
// (Password values redacted); for messages.
func (v Values) Text(name string) string {
	k, ok := v.def.keyOrNil(name)
	if !ok {
		panic(fmt.Sprintf("config: key %q is not defined", name))
	}
	if k.Type == Password {
		return redacted
	}
	return v.set[name]
}

// String returns a String or Class value.
func (v Values) String(name string) string { return v.get(name, String) }

// Int returns an Int value.
func (v Values) Int(name string) int {
	s := v.get(name, Int)
	n, _ := strconv.ParseInt(s, 10, 32)
	return int(n)
}

// Long returns a Long value.
func (v Values) Long(name string) int64 {
	n, _ := strconv.ParseInt(v.get(name, Long), 10, 64)
	return n
}

// Double returns a Double value.
func (v Values) Double(name string) float64 {
	f, _ := strconv.ParseFloat(v.get(name, Double), 64)
	return f
}

// Bool returns a Bool value.
func (v Values) Bool(name string) bool { return strings.EqualFold(v.get(name, Bool), "true") }

// List returns a List value split on commas with items trimmed; empty items
// are dropped and "" is an empty list.
func (v Values) List(name string) []string { return SplitList(v.get(name, List)) }

// Password returns a Password value.
func (v Values) Password(name string) Secret { return Secret{value: v.get(name, Password)} }

// WithPrefix returns the keys under prefix accepted through AllowPrefix
// (and any defined keys under it that are set), with prefix removed.
func (v Values) WithPrefix(prefix string) map[string]string {
	out := map[string]string{}
	for k, val := range v.extra {
		if strings.HasPrefix(k, prefix) {
			out[k[len(prefix):]] = val
		}
	}
	for k, val := range v.set {
		if strings.HasPrefix(k, prefix) && len(k) > len(prefix) {
			out[k[len(prefix):]] = val
		}
	}
	return out
}

// Redacted returns every value (defined and prefixed) with Password values
// replaced by "[hidden]", for logs and status.
func (v Values) Redacted() map[string]string {
	out := make(map[string]string, len(v.set)+len(v.extra))
	for k, val := range v.set {
		if v.def.keys[k].Type == Password {
			val = redacted
		}
		out[k] = val
	}
	for k, val := range v.extra {
		if looksSecret(k) {
			val = redacted
		}
		out[k] = val
	}
	return out
}

// LogValue logs the redacted values.
func (v Values) LogValue() slog.Value {
	r := v.Redacted()
	keys := slices.Sorted(maps.Keys(r))
	attrs := make([]slog.Attr, len(keys))
	for i, k := range keys {
		attrs[i] = slog.String(k, r[k])
	}
	return slog.GroupValue(attrs...)
}

func looksSecret(key string) bool {
	k := strings.ToLower(key)
	return strings.Contains(k, "password") || strings.Contains(k, "secret") || strings.Contains(k, "jaas")
}

// SplitList splits a comma-separated list, trimming items and dropping
// empty ones, like Kafka's LIST parsing.
func SplitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
