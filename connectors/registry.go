package connectors

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/serverless-kafka-connect/slkc/shared/config"
	"github.com/serverless-kafka-connect/slkc/shared/errclass"
)

// Plugin is one connector class as the registry knows it: everything the
// functions, the control API, the CDK app, error classification and the
// generated references need, so none of them names a class. A connector
// package declares its Plugins and registers them in an init function; the
// package connectors/all imports every connector package, one line each.
type Plugin struct {
	// Class is the canonical connector.class.
	Class string
	// Aliases are other connector.class values that mean this connector
	// (the names users know from Confluent's connectors, ...).
	Aliases []string
	// Kind is config.Source or config.Sink.
	Kind config.Kind
	// Def returns a new Def of the connector's own keys: the framework keys
	// (config.FrameworkDef) are merged in by whoever parses.
	Def func() *config.Def
	// NewSource (sources) builds the typed config from values parsed with
	// Def merged into the framework keys and returns the opener of the
	// source, called once the rest of the function is built. Its error is a
	// bad config.
	NewSource func(vals config.Values, log *slog.Logger) (func() (Source, error), error)
	// NewSink (sinks) builds the destination from parsed values, with the
	// retry policy the connector owns.
	NewSink func(ctx context.Context, vals config.Values) (Destination, Retry, error)
	// Classify, when set, classifies the errors of the system the connector
	// talks to; Register hands it to errclass.
	Classify errclass.Classifier
	// ParsePosition (sources), when set, checks a stored offset in the
	// connector's encoding (the control API's PATCH offsets) and returns
	// it canonically; nil for an empty position.
	ParsePosition func(offset []byte) (Position, error)
	// CheckPartition (sources with ParsePosition) checks that a source
	// partition given to the control API's PATCH offsets is one the
	// connector writes; the error starts with the field it names
	// ("partition...").
	CheckPartition func(p Partition) error
	// DynamoDBTables, when set, names the DynamoDB tables the connector
	// writes for topics given its config values as written (references
	// unresolved): the CDK app grants the function write access to exactly
	// these. The error names a bad key.
	DynamoDBTables func(props map[string]string, topics []string) ([]string, error)
	// Tasks (sources) is true when the source splits its tables over
	// tasks.max tasks, each its own invocation; otherwise tasks.max above 1
	// is refused with TasksReason (CheckTasks).
	Tasks bool
	// TasksReason says why a source without Tasks takes only one task.
	TasksReason string
	// Heads (sources), when set, opens a reader of the heads of the
	// source's tables (how far each has got, for the control plane's
	// "behind" gap) with the connector's config, references resolved. The
	// control plane keeps one reader per connector and closes it. A plugin
	// without Heads has no table heads to show.
	Heads func(props map[string]string) (HeadReader, error)
	// PositionHead (sources with Heads) returns a committed position in the
	// terms of a TableHead, the other side of the gap.
	PositionHead func(pos Position) (TableHead, error)
	// Topics (sources), when set, returns the topics the source writes to
	// as far as its config as written (references unresolved) tells, for
	// the control API's GET /connectors/{name}/topics. A source without
	// it, or whose topics are found only at run time, reports none.
	Topics func(props map[string]string) []string
	// TopicPrefix (sources), when set, returns the prefix every topic the
	// source writes starts with, given its config as written: the CDK app
	// grants the function produce access to the topics matching it. A
	// source without it (or an empty prefix) is granted every topic of
	// the cluster.
	TopicPrefix func(props map[string]string) string
}

// TableHead is how far a source's table has got, in the terms of the
// source's positions: the largest incrementing column value and the
// largest timestamp (epoch milliseconds). A nil field is one the source's
// config does not use, or an empty table.
type TableHead struct {
	Incrementing *int64 `json:"incrementing,omitempty"`
	Timestamp    *int64 `json:"timestamp,omitempty"`
}

// HeadReader reads the heads of one connector's tables (Plugin.Heads).
type HeadReader interface {
	// Head reads the head of the table of a source partition (one the
	// source commits offsets for); a partition with no table to compare
	// with is an error saying so. Names are validated before any query is
	// built.
	Head(ctx context.Context, p Partition) (TableHead, error)
	// Close releases the reader's connections.
	Close() error
}

// CheckTasks refuses tasks.max=n above 1 for a plugin that runs one task,
// naming the key, the value and the plugin's reason. Sinks are checked by
// the framework's sink definition (one event source mapping).
func (p Plugin) CheckTasks(n int) error {
	if n == 1 || p.Tasks || p.Kind != config.Source {
		return nil
	}
	reason := p.TasksReason
	if reason == "" {
		reason = "it runs one task"
	}
	return config.Errorf(config.KeyTasksMax, strconv.Itoa(n), "%s takes only 1: %s", p.Class, reason)
}

// Retry is the part of a sink's retry policy the connector owns (the JDBC
// sink's max.retries and retry.backoff.ms); zero means the framework's
// errors.retry.* settings alone.
type Retry struct {
	MaxRetries int
	Backoff    time.Duration
}

var (
	mu      sync.RWMutex
	plugins = map[string]Plugin{} // by canonical class
	seen    = map[uintptr]bool{}  // classifiers already given to errclass
)

// Register adds p to the registry, makes its class names known to the
// config parser (config.RegisterClass) and its classifier to errclass.
// Call it from the connector package's init. It panics on an incomplete
// Plugin or a class registered twice: both are programming errors found by
// any test that imports the package.
func Register(p Plugin) {
	switch {
	case p.Class == "" || p.Def == nil:
		panic("connectors: Register needs Class and Def")
	case p.Kind == config.Source && p.NewSource == nil, p.Kind == config.Sink && p.NewSink == nil:
		panic(fmt.Sprintf("connectors: %s: a %s needs its constructor", p.Class, p.Kind))
	case p.Kind != config.Source && p.Kind != config.Sink:
		panic(fmt.Sprintf("connectors: %s: Kind must be config.Source or config.Sink", p.Class))
	}
	mu.Lock()
	defer mu.Unlock()
	if _, dup := plugins[p.Class]; dup {
		panic(fmt.Sprintf("connectors: %s registered twice", p.Class))
	}
	config.RegisterClass(p.Kind, p.Class, p.Aliases...)
	plugins[p.Class] = p
	if p.Classify != nil {
		if ptr := reflect.ValueOf(p.Classify).Pointer(); !seen[ptr] {
			seen[ptr] = true
			errclass.Register(p.Classify)
		}
	}
}

// Lookup returns the plugin of a connector.class value, canonical or alias.
// The error lists the registered classes.
func Lookup(class string) (Plugin, error) {
	_, canon, err := config.ConnectorKind(class)
	if err != nil {
		return Plugin{}, err
	}
	mu.RLock()
	defer mu.RUnlock()
	p, ok := plugins[canon]
	if !ok { // registered with config only (tests of shared/config)
		return Plugin{}, fmt.Errorf("connectors: %s=%q has no registered connector", config.KeyConnectorClass, class)
	}
	return p, nil
}

// Plugins returns every registered plugin, sorted by class.
func Plugins() []Plugin {
	mu.RLock()
	defer mu.RUnlock()
	out := make([]Plugin, 0, len(plugins))
	for _, c := range slices.Sorted(maps.Keys(plugins)) {
		out = append(out, plugins[c])
	}
	return out
}

// ClassesOf returns the canonical classes of the registered plugins of
// kind, sorted, for messages naming what a function runs.
func ClassesOf(kind config.Kind) []string {
	var out []string
	for _, p := range Plugins() {
		if p.Kind == kind {
			out = append(out, p.Class)
		}
	}
	return out
}

// FullDef returns every key p accepts: the framework keys of its kind with
// its own merged in.
func (p Plugin) FullDef() *config.Def { return config.FrameworkDef(p.Kind).Merge(p.Def()) }

// Reference renders the generated config reference (REFERENCE.md) of a
// connector package's plugins: one section per plugin, headed by its kind,
// class and aliases, with every key it accepts (framework keys included).
// by names the test that keeps the file current.
func Reference(title, by string, ps ...Plugin) string {
	sections := make([]config.ReferenceSection, 0, len(ps))
	for _, p := range ps {
		kind := p.Kind.String()
		h := strings.ToUpper(kind[:1]) + kind[1:] + " (`" + p.Class + "`"
		if len(p.Aliases) > 0 {
			word := "alias"
			if len(p.Aliases) > 1 {
				word = "aliases"
			}
			h += ", " + word + " `" + strings.Join(p.Aliases, "`, `") + "`"
		}
		sections = append(sections, config.ReferenceSection{Heading: h + ")", Def: p.FullDef()})
	}
	return config.Reference(title, by, sections...)
}
