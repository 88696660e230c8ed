package config

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"sort"
	"strings"
)

// WorkerFileName is the pipeline's worker file, the serverless counterpart
// of Kafka Connect's connect-distributed.properties: a flat JSON object of
// the Kafka client and converter settings every connector of the pipeline
// folder inherits. LoadDir reads it beside the connector files (it is not a
// connector); the local runner and the CDK app pass its text to every
// function as EnvWorkerConfig, and LoadFromEnv merges it (ApplyWorker).
const WorkerFileName = "worker.json"

// Environment variables a function reads the worker settings from.
const (
	// EnvWorkerConfig holds the worker file's JSON text.
	EnvWorkerConfig = "SLKC_WORKER_CONFIG"
	// EnvWorkerConfigFile holds the path of the worker file.
	EnvWorkerConfigFile = "SLKC_WORKER_CONFIG_FILE"
)

// Worker key families. Exact keys and prefixes a worker file may hold;
// every other key is refused.
var (
	workerKeys     = []string{KeyBootstrapServers, KeySecurityProtocol, KeyKeyConverter, KeyValueConverter, KeyHeaderConverter}
	workerPrefixes = []string{"sasl.", "ssl.", PrefixKeyConverter, PrefixValueConverter, PrefixHeaderConverter,
		workerProducer, workerConsumer, workerAdmin}
)

// Client prefixes of a worker file and what they become in a connector,
// as in Kafka Connect: a worker's producer.X is the default of a
// connector's producer.override.X.
const (
	workerProducer = "producer."
	workerConsumer = "consumer."
	workerAdmin    = "admin."
	overrideInfix  = "override."
)

// Worker is a parsed worker file.
type Worker struct {
	// Source names the file (or variable) in errors.
	Source string
	Config map[string]string
}

// ParseWorker reads a worker file: one flat JSON object of string, number
// or boolean values. It refuses every key outside the worker families
// (bootstrap.servers, security.protocol, sasl.*, ssl.*, key.converter,
// value.converter, header.converter and their "."-prefixed properties,
// producer.*, consumer.*, admin.*), naming source and the key, all at once.
// Values are checked when a connector parses the merged config.
func ParseWorker(source string, data []byte) (*Worker, error) {
	top, err := readObjectText(data)
	if err != nil {
		return nil, fmt.Errorf("worker file %s: %w", source, err)
	}
	if len(top.objects) > 0 {
		return nil, fmt.Errorf("worker file %s: key %q: value is an object; a worker file is one flat object of settings", source, firstKey(top.objects))
	}
	var errs []error
	for _, k := range slices.Sorted(maps.Keys(top.values)) {
		if err := workerKeyError(k); err != "" {
			errs = append(errs, fmt.Errorf("worker file %s: key %q: %s", source, k, err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return &Worker{Source: source, Config: top.values}, nil
}

// workerKeyError says why k may not be in a worker file, "" when it may.
func workerKeyError(k string) string {
	if slices.Contains(workerKeys, k) {
		return ""
	}
	for _, p := range []string{workerProducer, workerConsumer, workerAdmin} {
		if strings.HasPrefix(k, p+overrideInfix) {
			return fmt.Sprintf("%s%s* is a connector key; in a worker file write %s%s", p, overrideInfix, p, strings.TrimPrefix(k, p+overrideInfix))
		}
	}
	for _, p := range workerPrefixes {
		if strings.HasPrefix(k, p) && len(k) > len(p) {
			return ""
		}
	}
	return fmt.Sprintf("not a worker setting; a worker file holds %s, %s*, producer.*, consumer.* and admin.*; put connector keys in the connector's file",
		strings.Join(workerKeys, ", "), strings.Join(workerPrefixes[:5], "*, "))
}

// LoadWorker reads the worker file at path; a missing file is no worker
// (nil, nil).
func LoadWorker(path string) (*Worker, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return ParseWorker(path, data)
}

// ApplyWorker merges w into f.Config with Kafka Connect's precedence: a
// key the connector sets wins; a worker producer.X, consumer.X or admin.X
// becomes the connector's producer.override.X, consumer.override.X or
// admin.override.X unless that is set; consumer.* applies to sinks only
// (sources do not consume). A connector that sets its own key.converter,
// value.converter or header.converter takes none of the worker's
// properties of that converter, as Connect configures a connector's
// converter from the connector's properties only. A worker setting that
// becomes a key the connector kind does not define is refused, naming the
// worker file and key. nil w changes nothing.
func ApplyWorker(w *Worker, f *File) error {
	if w == nil {
		return nil
	}
	kind, _, err := ConnectorKind(f.Config[KeyConnectorClass])
	if err != nil {
		return nil // the connector is refused for its class where it is parsed
	}
	def := FrameworkDef(kind)
	var errs []error
	keys := make([]string, 0, len(w.Config))
	for k := range w.Config {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	own := maps.Clone(f.Config)
	for _, k := range keys {
		target, skip := workerTarget(k, kind, own)
		if skip {
			continue
		}
		if _, ok := def.Key(target); !ok && !def.prefixed(target) {
			as := ""
			if target != k {
				as = fmt.Sprintf(" (as %s)", target)
			}
			why := ""
			if r := overrideRefusal(target); r != "" {
				why = ": " + r
			}
			errs = append(errs, fmt.Errorf("worker file %s: key %q%s is not supported for %s connectors%s", w.Source, k, as, kind, why))
			continue
		}
		if _, set := f.Config[target]; !set {
			f.Config[target] = w.Config[k]
		}
	}
	return errors.Join(errs...)
}

// workerTarget maps a worker key to the connector key it defaults; skip is
// true when it does not apply to this connector.
func workerTarget(k string, kind Kind, conn map[string]string) (target string, skip bool) {
	for _, p := range []string{PrefixKeyConverter, PrefixValueConverter, PrefixHeaderConverter} {
		if strings.HasPrefix(k, p) {
			if _, own := conn[strings.TrimSuffix(p, ".")]; own {
				return "", true
			}
			return k, false
		}
	}
	switch {
	case strings.HasPrefix(k, workerConsumer):
		if kind != Sink {
			return "", true
		}
		return workerConsumer + overrideInfix + k[len(workerConsumer):], false
	case strings.HasPrefix(k, workerProducer):
		return workerProducer + overrideInfix + k[len(workerProducer):], false
	case strings.HasPrefix(k, workerAdmin):
		return workerAdmin + overrideInfix + k[len(workerAdmin):], false
	}
	return k, false
}
