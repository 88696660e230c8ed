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
	"regexp"
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
	defaultPollMillis = 5000 // Confluent JDBC source default for poll.interval.ms
	// WorkerFile is the pipeline's worker file (shared/config.WorkerFileName).
	WorkerFile         = "worker.json"
	maxEnvironmentSize = 4096 // Lambda's limit for all environment variables together
)

// Deployment holds the aws.lambda.* keys of one connector with defaults applied.
type Deployment struct {
	MemoryMB                 int    // aws.lambda.memory.mb, default 256 (128..10240)
	TimeoutSeconds           int    // aws.lambda.timeout.seconds, default 60 (1..900)
	ReservedConcurrency      int    // aws.lambda.reserved.concurrency; source default 1, sink 0 = not reserved
	BatchSize                int    // aws.lambda.batch.size, default 100 (1..10000), sinks only
	MaxBatchingWindowSeconds int    // aws.lambda.maximum.batching.window.seconds, default 1 (0..300)
	StartingPosition         string // aws.lambda.starting.position, TRIM_HORIZON (default) or LATEST
	ConsumerGroupID          string // aws.lambda.consumer.group.id, default connect-<name>
	MaxRetryAttempts         int    // aws.lambda.maximum.retry.attempts, -1 (infinite, default) or 0..10000
	MaxRecordAgeSeconds      int    // aws.lambda.maximum.record.age.seconds, -1 (default) or 60..604800
	BisectBatchOnError       bool   // aws.lambda.bisect.batch.on.error, default false
	ReportBatchItemFailures  bool   // aws.lambda.report.batch.item.failures, default true
	DeadlineMarginMillis     int    // aws.lambda.deadline.margin.ms, default 5000 (source)

	// SchemaRegistryURI, EventRecordFormat, ValidateKey and ValidateValue
	// (sinks) are the mapping's SchemaRegistryConfig:
	// aws.lambda.schema.registry.uri (a Confluent-compatible registry URL;
	// empty: no registry), aws.lambda.event.record.format (JSON or SOURCE,
	// required with the URI) and aws.lambda.schema.validation.attributes
	// (KEY and/or VALUE, default VALUE). A registry needs provisioned mode;
	// see https://docs.aws.amazon.com/lambda/latest/dg/services-consume-kafka-events.html
	SchemaRegistryURI          string
	EventRecordFormat          string
	ValidateKey, ValidateValue bool

	// ErrorsTolerance is errors.tolerance (ToleranceNone, the Kafka Connect
	// default, or ToleranceAll). It decides whether the mapping may ever
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
}

// Values of errors.tolerance.
const (
	ToleranceNone = "none"
	ToleranceAll  = "all"
)

// Keys this package reads besides aws.lambda.*.
const (
	keyErrorsTolerance = "errors.tolerance"
	keyMaxRetries      = "aws.lambda.maximum.retry.attempts"
	keyMaxRecordAge    = "aws.lambda.maximum.record.age.seconds"
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
	if c.Kind == KindSource {
		if _, err := c.pollInterval(); err != nil {
			errs = append(errs, fmt.Errorf("pipeline: %s: %w", file, err))
		}
	}
	return c, errors.Join(errs...)
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

type intKey struct {
	key      string
	dst      *int
	min, max int
	minusOne bool // -1 is allowed in addition to min..max
}

func parseDeployment(c Connector) (Deployment, error) {
	d := Deployment{
		MemoryMB:                 256,
		TimeoutSeconds:           60,
		BatchSize:                100,
		MaxBatchingWindowSeconds: 1,
		StartingPosition:         "TRIM_HORIZON",
		ConsumerGroupID:          "connect-" + c.Name,
		MaxRetryAttempts:         -1,
		MaxRecordAgeSeconds:      -1,
		ReportBatchItemFailures:  true,
		DeadlineMarginMillis:     5000,
		ErrorsTolerance:          ToleranceNone,
	}
	if c.Kind == KindSource {
		d.ReservedConcurrency = 1
	}
	ints := []intKey{
		{"aws.lambda.memory.mb", &d.MemoryMB, 128, 10240, false},
		{"aws.lambda.timeout.seconds", &d.TimeoutSeconds, 1, 900, false},
		{"aws.lambda.reserved.concurrency", &d.ReservedConcurrency, 1, 1000, false},
		{"aws.lambda.batch.size", &d.BatchSize, 1, 10000, false},
		{"aws.lambda.maximum.batching.window.seconds", &d.MaxBatchingWindowSeconds, 0, 300, false},
		{keyMaxRetries, &d.MaxRetryAttempts, 0, 10000, true},
		{keyMaxRecordAge, &d.MaxRecordAgeSeconds, 60, 604800, true},
		{"aws.lambda.deadline.margin.ms", &d.DeadlineMarginMillis, 0, 900000, false},
	}
	known := map[string]bool{
		"aws.lambda.starting.position": true, "aws.lambda.consumer.group.id": true,
		"aws.lambda.bisect.batch.on.error": true, "aws.lambda.report.batch.item.failures": true,
		keySchemaRegistryURI: true, keyEventRecordFormat: true, keySchemaValidation: true,
	}
	errs := d.parseSchemaRegistry(c)
	for _, k := range ints {
		known[k.key] = true
		s, ok := c.Config[k.key]
		if !ok {
			continue
		}
		n, err := strconv.Atoi(strings.TrimSpace(s))
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("key %s: value %q is not an integer", k.key, s))
		case k.minusOne && n == -1:
			*k.dst = n
		case n < k.min || n > k.max:
			allowed := fmt.Sprintf("%d..%d", k.min, k.max)
			if k.minusOne {
				allowed = "-1 or " + allowed
			}
			errs = append(errs, fmt.Errorf("key %s: value %d is out of range, allowed %s", k.key, n, allowed))
		default:
			*k.dst = n
		}
	}
	if s, ok := c.Config["aws.lambda.starting.position"]; ok {
		switch p := strings.ToUpper(strings.TrimSpace(s)); p {
		case "TRIM_HORIZON", "LATEST":
			d.StartingPosition = p
		default:
			errs = append(errs, fmt.Errorf("key aws.lambda.starting.position: value %q, allowed TRIM_HORIZON or LATEST", s))
		}
	}
	if s, ok := c.Config["aws.lambda.consumer.group.id"]; ok {
		d.ConsumerGroupID = s
	}
	if d.ConsumerGroupID == "" || len(d.ConsumerGroupID) > 200 {
		errs = append(errs, fmt.Errorf("key aws.lambda.consumer.group.id: value %q must be 1..200 characters", d.ConsumerGroupID))
	}
	for key, dst := range map[string]*bool{
		"aws.lambda.bisect.batch.on.error":      &d.BisectBatchOnError,
		"aws.lambda.report.batch.item.failures": &d.ReportBatchItemFailures,
	} {
		if s, ok := c.Config[key]; ok {
			b, err := strconv.ParseBool(strings.TrimSpace(s))
			if err != nil {
				errs = append(errs, fmt.Errorf("key %s: value %q, allowed true or false", key, s))
				continue
			}
			*dst = b
		}
	}
	var unknown []string
	for k := range c.Config {
		if strings.HasPrefix(k, "aws.lambda.") && !known[k] {
			unknown = append(unknown, k)
		}
	}
	sort.Strings(unknown)
	for _, k := range unknown {
		errs = append(errs, fmt.Errorf("key %s is not a known deployment key", k))
	}
	if s, ok := c.Config[keyErrorsTolerance]; ok {
		switch t := strings.TrimSpace(s); t {
		case ToleranceNone, ToleranceAll:
			d.ErrorsTolerance = t
		default:
			errs = append(errs, fmt.Errorf("key %s: value %q, allowed %s or %s", keyErrorsTolerance, s, ToleranceNone, ToleranceAll))
		}
	}
	if c.Kind == KindSink {
		errs = append(errs, d.deriveSinkErrorHandling()...)
	}
	if c.Kind == KindSource && d.DeadlineMarginMillis >= d.TimeoutSeconds*1000 {
		errs = append(errs, fmt.Errorf("key aws.lambda.deadline.margin.ms: %d must be below the timeout (%d s)", d.DeadlineMarginMillis, d.TimeoutSeconds))
	}
	return d, errors.Join(errs...)
}

// deriveSinkErrorHandling sets OnFailureDestination and ProvisionedPollers
// and refuses limits that would let Lambda skip records under
// errors.tolerance=none: Kafka Connect stops the task on the failing record
// there, so the mapping must retry it for ever (MaximumRetryAttempts and
// MaximumRecordAgeInSeconds -1) and have no on-failure destination.
func (d *Deployment) deriveSinkErrorHandling() []error {
	limited := d.MaxRetryAttempts != -1 || d.MaxRecordAgeSeconds != -1
	var errs []error
	if d.ErrorsTolerance == ToleranceNone {
		if d.MaxRetryAttempts != -1 {
			errs = append(errs, fmt.Errorf("key %s: value %d with %s=%s: Lambda would discard the batch after the retries, skipping the failing record; "+
				"use -1 (retry until it succeeds, as Kafka Connect stops the task), or %s=%s with a dead letter topic",
				keyMaxRetries, d.MaxRetryAttempts, keyErrorsTolerance, ToleranceNone, keyErrorsTolerance, ToleranceAll))
		}
		if d.MaxRecordAgeSeconds != -1 {
			errs = append(errs, fmt.Errorf("key %s: value %d with %s=%s: Lambda would discard records older than that, skipping them; "+
				"use -1, or %s=%s with a dead letter topic",
				keyMaxRecordAge, d.MaxRecordAgeSeconds, keyErrorsTolerance, ToleranceNone, keyErrorsTolerance, ToleranceAll))
		}
		limited = false
	}
	d.OnFailureDestination = limited
	// A schema registry exists only in provisioned mode.
	d.ProvisionedPollers = limited || d.ReportBatchItemFailures || d.BisectBatchOnError || d.SchemaRegistryURI != ""
	return errs
}

// Schema registry keys of a sink's mapping.
const (
	keySchemaRegistryURI = "aws.lambda.schema.registry.uri"
	keyEventRecordFormat = "aws.lambda.event.record.format"
	keySchemaValidation  = "aws.lambda.schema.validation.attributes"
)

// parseSchemaRegistry reads the schema registry keys into d.
func (d *Deployment) parseSchemaRegistry(c Connector) []error {
	uri, hasURI := c.Config[keySchemaRegistryURI]
	format, hasFormat := c.Config[keyEventRecordFormat]
	attrs, hasAttrs := c.Config[keySchemaValidation]
	if !hasURI && !hasFormat && !hasAttrs {
		return nil
	}
	if c.Kind != KindSink {
		return []error{fmt.Errorf("keys %s, %s and %s configure a sink's event source mapping; %s is a source", keySchemaRegistryURI, keyEventRecordFormat, keySchemaValidation, c.Name)}
	}
	var errs []error
	uri, format = strings.TrimSpace(uri), strings.TrimSpace(format)
	switch {
	case !hasURI:
		errs = append(errs, fmt.Errorf("keys %s and %s need %s", keyEventRecordFormat, keySchemaValidation, keySchemaRegistryURI))
	case !schemaRegistryURI.MatchString(uri) || len(uri) > 10000:
		errs = append(errs, fmt.Errorf("key %s: value %q, allowed an http:// or https:// URL of a Confluent-compatible schema registry", keySchemaRegistryURI, uri))
	default:
		d.SchemaRegistryURI = uri
	}
	switch format {
	case "JSON", "SOURCE":
		d.EventRecordFormat = format
	default:
		if hasFormat || hasURI {
			errs = append(errs, fmt.Errorf("key %s: value %q, allowed JSON or SOURCE (required with %s)", keyEventRecordFormat, format, keySchemaRegistryURI))
		}
	}
	d.ValidateValue = !hasAttrs
	if hasAttrs {
		for _, a := range strings.Split(attrs, ",") {
			switch a = strings.TrimSpace(a); a {
			case "KEY":
				d.ValidateKey = true
			case "VALUE":
				d.ValidateValue = true
			default:
				errs = append(errs, fmt.Errorf("key %s: item %q, allowed KEY and/or VALUE", keySchemaValidation, a))
			}
		}
	}
	return errs
}

// schemaRegistryURI is a registry URL within KafkaSchemaRegistryConfig's
// SchemaRegistryURI pattern
// (https://docs.aws.amazon.com/lambda/latest/api/API_KafkaSchemaRegistryConfig.html).
var schemaRegistryURI = regexp.MustCompile(`^https?://[a-zA-Z0-9-/*:_+=.@]+$`)

// PollInterval is poll.interval.ms (default 5000 ms, the JDBC source default).
func (c Connector) PollInterval() time.Duration {
	d, _ := c.pollInterval()
	return d
}

func (c Connector) pollInterval() (time.Duration, error) {
	s, ok := c.Config["poll.interval.ms"]
	if !ok {
		return defaultPollMillis * time.Millisecond, nil
	}
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || n < 1 {
		return defaultPollMillis * time.Millisecond, fmt.Errorf("key poll.interval.ms: value %q must be a positive integer", s)
	}
	return time.Duration(n) * time.Millisecond, nil
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

// TopicPrefix returns topic.prefix (source connectors).
func (c Connector) TopicPrefix() string { return c.Config["topic.prefix"] }

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
