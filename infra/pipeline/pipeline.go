// Package pipeline reads the connector configuration folder (one Kafka Connect
// JSON file per connector) for the CDK app.
//
// Connector classes, kinds and the connectors' own deployment needs come from
// the root module's connector registry (connectors/all), so the CDK app and
// the functions accept the same classes. It only reads what deployment needs
// (connector kind, the aws.lambda.* deployment keys,
// errors.tolerance, the poll interval, topics, the dead-letter topic,
// ${secretsmanager:...} references and the ${env:...} references whose
// variables the function needs).
// Every other key is left for the function to validate at cold start.
//
// The folder's worker file (worker.json, the counterpart of Kafka Connect's
// connect-distributed.properties) is read only for its text, passed to every
// function as SLKC_WORKER_CONFIG, and for its ${env:...} and
// ${secretsmanager:...} references. The function merges it into the
// connector config at cold start with the root module's rule
// (shared/config.ApplyWorker), so the merge rule lives in one place: none of
// the keys this package reads (aws.lambda.*, errors.tolerance, topics,
// poll.interval.ms) may be set in a worker file.
package pipeline

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/serverless-kafka-connect/slkc/connectors"
	_ "github.com/serverless-kafka-connect/slkc/connectors/all" // every connector's registration
	"github.com/serverless-kafka-connect/slkc/shared/config"
)

// Kind tells whether a connector is a source (polls a system into Kafka) or a
// sink (consumes Kafka through an event source mapping): the root module's
// config.Kind.
type Kind = config.Kind

// Connector kinds.
const (
	KindSource = config.Source
	KindSink   = config.Sink
)

const (
	// WorkerFile is the pipeline's worker file (shared/config.WorkerFileName).
	WorkerFile         = "worker.json"
	maxEnvironmentSize = 4096 // Lambda's limit for all environment variables together
)

// Deployment holds the aws.lambda.* keys of one connector with defaults applied.
type Deployment struct {
	// The aws.lambda.* keys of the same names, parsed with the root
	// module's definitions (config.LambdaDef: defaults and limits live
	// there and in the generated references). ReservedConcurrency is
	// 0 when none is reserved (the default for sinks; sources reserve 1);
	// ConsumerGroupID defaults to connect-<name>.
	MemoryMB                 int
	TimeoutSeconds           int
	ReservedConcurrency      int
	BatchSize                int
	MaxBatchingWindowSeconds int
	StartingPosition         string
	ConsumerGroupID          string
	MaxRetryAttempts         int
	MaxRecordAgeSeconds      int
	BisectBatchOnError       bool
	ReportBatchItemFailures  bool
	DeadlineMarginMillis     int
	// Tasks is tasks.max: a source whose plugin splits its tables
	// (Plugin.Tasks) gets one schedule per task and reserves one concurrent
	// poller per task by default; others take only 1.
	Tasks int

	// SchemaRegistryURI, EventRecordFormat, ValidateKey and ValidateValue
	// (sinks) are the mapping's SchemaRegistryConfig:
	// aws.lambda.schema.registry.uri (a Confluent-compatible registry URL;
	// empty: no registry), aws.lambda.event.record.format (JSON or SOURCE,
	// required with the URI) and aws.lambda.schema.validation.attributes
	// (KEY and/or VALUE). A registry needs provisioned mode;
	// see https://docs.aws.amazon.com/lambda/latest/dg/services-consume-kafka-events.html
	SchemaRegistryURI          string
	EventRecordFormat          string
	ValidateKey, ValidateValue bool

	// ErrorsTolerance is errors.tolerance (ToleranceNone or ToleranceAll). It decides whether the mapping may ever
	// give up on a record; see OnFailureDestination.
	ErrorsTolerance string
	// OnFailureDestination (sinks) is true when the event source mapping
	// can discard a batch: a finite MaxRetryAttempts or MaxRecordAgeSeconds,
	// which errors.tolerance=all allows and none refuses. The batch then goes
	// to an on-failure destination (an SQS queue with the batch's offsets)
	// instead of being dropped without a trace. Permanent per-record errors
	// never get there: with tolerance all the function sends them to the
	// dead-letter topic; the destination only catches retryable failures
	// that exhausted the retries or outlived the record age. With infinite
	// retries and no record age there is no destination, because Lambda caps
	// infinite retries at 10 as soon as a destination exists.
	OnFailureDestination bool
	// ProvisionedPollers (sinks) is true when the mapping uses one of
	// Lambda's Kafka error handling controls (ReportBatchItemFailures,
	// BisectBatchOnError, a finite retry limit or record age), which exist
	// only in provisioned mode. Without them the mapping runs in on-demand
	// mode, where a failed batch is retried whole until it succeeds, and
	// nothing is billed while it is idle.
	ProvisionedPollers bool
	// MinimumPollers and MaximumPollers (sinks) are
	// aws.lambda.provisioned.pollers.min and .max, the mapping's
	// ProvisionedPollerConfig; 0 means the stack's minimumPollers and
	// maximumPollers context settings.
	MinimumPollers, MaximumPollers int
}

// Values of errors.tolerance.
const (
	ToleranceNone = config.ToleranceNone
	ToleranceAll  = config.ToleranceAll
)

// Connector is one parsed connector file.
type Connector struct {
	File   string            // path of the file it came from
	Name   string            // "name" of the file
	Class  string            // canonical connector.class
	Kind   Kind              // source or sink
	Plugin connectors.Plugin // the connector as the registry knows it
	Config map[string]string // every config value as a string, as Kafka Connect keeps them
	Text   string            // the file text, compacted JSON; passed to the function as SLKC_CONNECTOR_CONFIG
	Deploy Deployment
	// Worker is the folder's worker file, nil when there is none; every
	// connector of the folder shares it.
	Worker *Worker
}

// Worker is the pipeline's worker file.
type Worker struct {
	File   string            // path of the worker file
	Config map[string]string // its settings as strings
	Text   string            // compacted JSON; passed to the function as SLKC_WORKER_CONFIG
}

// loadWorker reads dir's worker file; nil when there is none.
func loadWorker(dir string) (*Worker, error) {
	path := filepath.Join(dir, WorkerFile)
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("pipeline: read %s: %w", path, err)
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("pipeline: %s: parse JSON: want one flat object of settings: %w", path, err)
	}
	w := &Worker{File: path, Config: map[string]string{}}
	var errs []error
	for k, raw := range doc {
		v, err := scalar(raw)
		if err != nil {
			errs = append(errs, fmt.Errorf("pipeline: %s: key %q: %w", path, k, err))
			continue
		}
		w.Config[k] = v
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, data); err == nil {
		w.Text = compact.String()
	}
	return w, errors.Join(errs...)
}

// values returns the connector's config values followed by the worker's,
// for the reference scans.
func (c Connector) values() map[string][]string {
	out := map[string][]string{}
	for k, v := range c.Config {
		out[k] = append(out[k], v)
	}
	if c.Worker != nil {
		for k, v := range c.Worker.Config {
			out[k] = append(out[k], v)
		}
	}
	return out
}

// SecretRef is one ${secretsmanager:SECRET_ID[:JSON_KEY]} reference.
type SecretRef struct {
	ID  string // secret name or full ARN
	Key string // JSON key inside the secret value, empty for the whole value
}

// Load reads every *.json file in dir (sorted by name) and parses it. All
// problems are reported together; connector names must be unique.
func Load(dir string) ([]Connector, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, fmt.Errorf("pipeline: list %s: %w", dir, err)
	}
	paths = slices.DeleteFunc(paths, func(p string) bool { return filepath.Base(p) == WorkerFile })
	if len(paths) == 0 {
		return nil, fmt.Errorf("pipeline: no *.json connector files in %s", dir)
	}
	sort.Strings(paths)
	worker, err := loadWorker(dir)
	if err != nil {
		return nil, err
	}
	var (
		out   []Connector
		errs  []error
		names = map[string]string{}
	)
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			errs = append(errs, fmt.Errorf("pipeline: read %s: %w", p, err))
			continue
		}
		c, err := Parse(p, data)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if prev, dup := names[c.Name]; dup {
			errs = append(errs, fmt.Errorf("pipeline: %s: connector name %q already used by %s", p, c.Name, prev))
			continue
		}
		names[c.Name] = p
		c.Worker = worker
		out = append(out, c)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return out, nil
}

// Parse parses one connector file. file is only used in error messages.
func Parse(file string, data []byte) (Connector, error) {
	var doc struct {
		Name   string                     `json:"name"`
		Config map[string]json.RawMessage `json:"config"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		return Connector{}, fmt.Errorf("pipeline: %s: parse JSON: %w", file, err)
	}
	c := Connector{File: file, Name: doc.Name, Config: map[string]string{}}
	var errs []error
	for k, raw := range doc.Config {
		v, err := scalar(raw)
		if err != nil {
			errs = append(errs, fmt.Errorf("pipeline: %s: key %q: %w", file, k, err))
			continue
		}
		c.Config[k] = v
	}
	if c.Name == "" {
		c.Name = c.Config["name"]
	}
	if c.Name == "" {
		errs = append(errs, fmt.Errorf("pipeline: %s: missing \"name\"", file))
	}
	if n := c.Config["name"]; n != "" && n != c.Name {
		errs = append(errs, fmt.Errorf("pipeline: %s: config name %q differs from name %q", file, n, c.Name))
	}
	plugin, err := connectors.Lookup(c.Config[config.KeyConnectorClass])
	if err != nil {
		errs = append(errs, fmt.Errorf("pipeline: %s: %w", file, err))
	}
	c.Class, c.Kind, c.Plugin = plugin.Class, plugin.Kind, plugin
	var compact bytes.Buffer
	if err := json.Compact(&compact, data); err == nil {
		c.Text = compact.String()
	}
	if len(c.Text) > maxEnvironmentSize-512 {
		errs = append(errs, fmt.Errorf("pipeline: %s: file is %d bytes compacted; Lambda environment variables are limited to %d bytes in total",
			file, len(c.Text), maxEnvironmentSize))
	}
	d, err := parseDeployment(c)
	if err != nil {
		errs = append(errs, fmt.Errorf("pipeline: %s: %w", file, err))
	}
	c.Deploy = d
	if c.Kind == KindSink && len(c.Topics()) == 0 {
		errs = append(errs, fmt.Errorf("pipeline: %s: sink connector needs \"topics\"", file))
	}
	return c, errors.Join(errs...)
}

// checkTasks applies tasks.max at synth with the rules the functions apply
// at init: sinks take only 1, a source only when its plugin splits its
// tables (Plugin.CheckTasks), and a source's explicit reserved concurrency
// may not be below it.
func checkTasks(c Connector, v config.Values) []error {
	if c.Kind == KindSink {
		return config.CheckSinkTasks(v)
	}
	if err := c.Plugin.CheckTasks(v.Int(config.KeyTasksMax)); err != nil {
		return []error{err}
	}
	return config.CheckSourceConcurrency(v)
}

func scalar(raw json.RawMessage) (string, error) {
	var v any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return "", err
	}
	switch t := v.(type) {
	case string:
		return t, nil
	case json.Number:
		return t.String(), nil
	case bool:
		return strconv.FormatBool(t), nil
	case nil:
		return "", nil
	default:
		return "", fmt.Errorf("value must be a string, number or boolean, got %s", raw)
	}
}

// deploymentDef is the definition of every key parseDeployment reads: the
// root module's aws.lambda.* keys (config.LambdaDef), errors.tolerance and,
// for sources, poll.interval.ms, so the CDK app and the functions accept
// the same values with the same defaults and limits.
func deploymentDef(kind Kind) *config.Def {
	def := config.LambdaDef().WithFrameworkKey(kind, config.KeyErrorsTolerance).WithFrameworkKey(kind, config.KeyTasksMax)
	if kind == KindSource {
		def.WithFrameworkKey(kind, config.KeyPollIntervalMs)
	}
	return def
}

// deploymentProps picks the keys deploymentDef defines from the config,
// with every other aws.lambda.* key, so an unknown one is refused.
func deploymentProps(def *config.Def, cfg map[string]string) map[string]string {
	props := config.DefinedOnly(def, cfg)
	for k, v := range cfg {
		if strings.HasPrefix(k, "aws.lambda.") {
			props[k] = v
		}
	}
	return props
}

func parseDeployment(c Connector) (Deployment, error) {
	if c.Kind != KindSource && c.Kind != KindSink {
		return Deployment{}, nil // unknown class, reported by Parse
	}
	def := deploymentDef(c.Kind)
	v, err := def.Parse(deploymentProps(def, c.Config))
	if err != nil {
		return Deployment{}, err
	}
	d := Deployment{
		MemoryMB:                 v.Int(config.KeyLambdaMemoryMB),
		TimeoutSeconds:           v.Int(config.KeyLambdaTimeoutSeconds),
		BatchSize:                v.Int(config.KeyLambdaBatchSize),
		MaxBatchingWindowSeconds: v.Int(config.KeyLambdaBatchingWindow),
		StartingPosition:         v.String(config.KeyLambdaStartingPosition),
		ConsumerGroupID:          "connect-" + c.Name,
		MaxRetryAttempts:         v.Int(config.KeyLambdaMaxRetryAttempts),
		MaxRecordAgeSeconds:      v.Int(config.KeyLambdaMaxRecordAge),
		BisectBatchOnError:       v.Bool(config.KeyLambdaBisectOnError),
		ReportBatchItemFailures:  v.Bool(config.KeyLambdaReportItemFailures),
		DeadlineMarginMillis:     int(v.Long(config.KeyLambdaDeadlineMarginMs)),
		ErrorsTolerance:          v.String(config.KeyErrorsTolerance),
		SchemaRegistryURI:        v.String(config.KeyLambdaSchemaRegistryURI),
		EventRecordFormat:        v.String(config.KeyLambdaEventRecordFormat),
		MinimumPollers:           v.Int(config.KeyLambdaPollersMin),
		MaximumPollers:           v.Int(config.KeyLambdaPollersMax),
		Tasks:                    v.Int(config.KeyTasksMax),
	}
	if v.Has(config.KeyLambdaConsumerGroupID) {
		d.ConsumerGroupID = v.String(config.KeyLambdaConsumerGroupID)
	}
	// Unset: sources reserve one (one poller at a time), sinks none; -1:
	// none (0 here).
	if v.Has(config.KeyLambdaReservedConcurrency) {
		d.ReservedConcurrency = max(v.Int(config.KeyLambdaReservedConcurrency), 0)
	} else if c.Kind == KindSource {
		d.ReservedConcurrency = d.Tasks // one poller per task at a time
	}
	if d.SchemaRegistryURI != "" {
		for _, a := range v.List(config.KeyLambdaSchemaValidation) {
			d.ValidateKey = d.ValidateKey || strings.EqualFold(a, "KEY")
			d.ValidateValue = d.ValidateValue || strings.EqualFold(a, "VALUE")
		}
	}
	var errs []error
	if c.Kind == KindSource {
		for _, k := range []string{config.KeyLambdaSchemaRegistryURI, config.KeyLambdaEventRecordFormat, config.KeyLambdaSchemaValidation,
			config.KeyLambdaPollersMin, config.KeyLambdaPollersMax} {
			if v.Given(k) {
				errs = append(errs, config.Errorf(k, v.Text(k), "configures a sink's event source mapping; %s is a source", c.Name))
			}
		}
	}
	if c.Kind == KindSink {
		errs = append(errs, config.CheckToleranceLimits(d.ErrorsTolerance, d.MaxRetryAttempts, d.MaxRecordAgeSeconds)...)
		d.OnFailureDestination = config.NeedsOnFailureDestination(d.ErrorsTolerance, d.MaxRetryAttempts, d.MaxRecordAgeSeconds)
		// The error handling controls and a schema registry exist only in
		// provisioned mode; poller settings ask for it.
		d.ProvisionedPollers = d.OnFailureDestination || d.ReportBatchItemFailures || d.BisectBatchOnError ||
			d.SchemaRegistryURI != "" || d.MinimumPollers > 0 || d.MaximumPollers > 0
	}
	errs = append(errs, checkTasks(c, v)...)
	return d, errors.Join(errs...)
}

// PollInterval is poll.interval.ms, with the framework definition's default
// (config.SourceDef) when unset or unparsable (Parse reports a bad value).
func (c Connector) PollInterval() time.Duration {
	def := config.NewDef().WithFrameworkKey(KindSource, config.KeyPollIntervalMs)
	v, err := def.ParseOwn(c.Config)
	if err != nil {
		v, _ = def.Parse(map[string]string{})
	}
	return time.Duration(v.Long(config.KeyPollIntervalMs)) * time.Millisecond
}

// ScheduleMinutes is the schedule period in whole minutes: EventBridge's
// granularity is one minute, so poll.interval.ms is rounded up to a minute
// (at least 1). Each run drains the source until it has no more rows or the
// run's time budget is spent, so a shorter interval only means new rows are
// seen up to a minute later than poll.interval.ms asks.
func (c Connector) ScheduleMinutes() int {
	ms := c.PollInterval().Milliseconds()
	m := int((ms + 59999) / 60000)
	if m < 1 {
		m = 1
	}
	return m
}

// Topics returns the sink's topics (comma list in "topics"), trimmed, without empties.
func (c Connector) Topics() []string {
	var out []string
	for _, t := range strings.Split(c.Config["topics"], ",") {
		if t = strings.TrimSpace(t); t != "" {
			out = append(out, t)
		}
	}
	return out
}

// TopicPrefix returns the prefix of every topic a source writes, as its
// plugin tells it (Plugin.TopicPrefix); "" (every topic) when it does not.
func (c Connector) TopicPrefix() string {
	if c.Plugin.TopicPrefix == nil {
		return ""
	}
	return c.Plugin.TopicPrefix(c.Config)
}

// DLQTopic returns errors.deadletterqueue.topic.name, empty when not set.
func (c Connector) DLQTopic() string {
	return strings.TrimSpace(c.Config["errors.deadletterqueue.topic.name"])
}

// SecretRefs returns the distinct ${secretsmanager:...} references in all
// values, sorted by ID then key. A secret ID that is an ARN keeps its colons:
// ${secretsmanager:arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME:KEY}.
func (c Connector) SecretRefs() []SecretRef {
	seen := map[SecretRef]bool{}
	for _, vs := range c.values() {
		for _, v := range vs {
			seen = addSecretRefs(seen, v)
		}
	}
	out := make([]SecretRef, 0, len(seen))
	for r := range seen {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].ID != out[j].ID {
			return out[i].ID < out[j].ID
		}
		return out[i].Key < out[j].Key
	})
	return out
}

// addSecretRefs adds the ${secretsmanager:...} references in v to seen.
func addSecretRefs(seen map[SecretRef]bool, v string) map[SecretRef]bool {
	for {
		i := strings.Index(v, "${secretsmanager:")
		if i < 0 {
			break
		}
		rest := v[i+len("${secretsmanager:"):]
		j := strings.IndexByte(rest, '}')
		if j < 0 {
			break
		}
		seen[parseSecretRef(rest[:j])] = true
		v = rest[j+1:]
	}
	return seen
}

func parseSecretRef(s string) SecretRef {
	if strings.HasPrefix(s, "arn:") {
		parts := strings.SplitN(s, ":", 8)
		if len(parts) == 8 {
			return SecretRef{ID: strings.Join(parts[:7], ":"), Key: parts[7]}
		}
		return SecretRef{ID: s}
	}
	id, key, _ := strings.Cut(s, ":")
	return SecretRef{ID: id, Key: key}
}
