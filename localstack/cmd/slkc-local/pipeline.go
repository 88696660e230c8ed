package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/serverless-kafka-connect/slkc/events"
	"github.com/serverless-kafka-connect/slkc/localstack/bridge"
	"github.com/serverless-kafka-connect/slkc/localstack/runtime"
	"github.com/serverless-kafka-connect/slkc/localstack/scheduler"
	"github.com/serverless-kafka-connect/slkc/shared/config"
	"github.com/serverless-kafka-connect/slkc/shared/kafka"
)

// Function binaries inside the build folder, as the Makefile writes them.
const (
	sourceBinary = "source-poller/bootstrap"
	sinkBinary   = "sink-handler/bootstrap"
)

// plan is what the runner does for one connector file.
type plan struct {
	Connector string
	Kind      config.Kind
	Spec      runtime.FunctionSpec
	// PollInterval is the schedule of a source.
	PollInterval time.Duration
	// Tasks is a source's tasks.max: one schedule per task, each sending
	// its task id (scheduleRules).
	Tasks int
	// Mapping is the event source mapping of a sink (FunctionName, Topics,
	// Bootstrap and the aws.lambda.* settings).
	Mapping bridge.Mapping
}

// options are the inputs of loadPipeline.
type options struct {
	PipelineDir     string
	BuildDir        string
	Env             map[string]string // from -env-file; added to every function's environment
	Region          string
	SinkConcurrency int // local stand-in for "no reserved concurrency"
	// Secrets, from -secrets-file, resolve ${secretsmanager:...} in the keys
	// the runner itself reads (a sink's Kafka auth for the bridge); nil
	// makes such a reference an error.
	Secrets *runtime.Secrets
	// OnFailureDir holds <connector>.jsonl, the local stand-in for the SQS
	// on-failure destination of sinks that may discard a batch
	// (config.NeedsOnFailureDestination). Default build/on-failure.
	OnFailureDir string
}

var invalidFunctionChars = regexp.MustCompile(`[^A-Za-z0-9_-]`)

// functionName turns a connector name into a valid Lambda function name
// (letters, digits, - and _, at most 64 characters).
func functionName(connector string) string {
	n := invalidFunctionChars.ReplaceAllString(connector, "-")
	if len(n) > 64 {
		n = n[:64]
	}
	return n
}

// loadPipeline reads every connector file of the pipeline folder and plans
// its function. All problems are reported together.
func loadPipeline(ctx context.Context, o options) ([]plan, error) {
	files, err := config.LoadDir(o.PipelineDir)
	if err != nil {
		return nil, err
	}
	lookup := func(k string) (string, bool) {
		if v, ok := o.Env[k]; ok {
			return v, true
		}
		return os.LookupEnv(k)
	}
	var plans []plan
	var errs []error
	for _, f := range files {
		p, err := planConnector(ctx, o, f, lookup)
		if err != nil {
			errs = append(errs, fmt.Errorf("connector %q: %w", f.Name, err))
			continue
		}
		plans = append(plans, p)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return plans, nil
}

func planConnector(ctx context.Context, o options, f *config.File, lookup func(string) (string, bool)) (plan, error) {
	kind, _, err := config.ConnectorKind(f.Config[config.KeyConnectorClass])
	if err != nil {
		return plan{}, err
	}
	// Only the keys the runner itself needs are resolved here; the function
	// resolves the whole config (including secrets) at its own init.
	needed := map[string]string{}
	lambdaProps := map[string]string{}
	for k, v := range f.Config {
		switch {
		case strings.HasPrefix(k, "aws.lambda."):
			lambdaProps[k] = v
			needed[k] = v
		case k == config.KeyBootstrapServers, k == config.KeyTopics, k == config.KeyPollIntervalMs, k == config.KeyErrorsTolerance, k == config.KeyTasksMax:
			needed[k] = v
		}
	}
	// The bridge needs the sink's Kafka auth; it is resolved only when the
	// connector uses it, so PLAINTEXT pipelines never need Secrets Manager.
	secure := kind == config.Sink && !strings.EqualFold(strings.TrimSpace(f.Config[config.KeySecurityProtocol]), "PLAINTEXT") &&
		strings.TrimSpace(f.Config[config.KeySecurityProtocol]) != ""
	if secure {
		for _, k := range kafka.ClientKeys {
			if v, ok := f.Config[k]; ok {
				needed[k] = v
			}
		}
	}
	providers := config.Providers{LookupEnv: lookup}
	if o.Secrets != nil {
		providers.Secrets = o.Secrets
	}
	resolved, err := config.Resolve(ctx, needed, providers)
	if err != nil {
		return plan{}, err
	}
	for k := range lambdaProps {
		lambdaProps[k] = resolved[k]
	}
	lv, err := config.LambdaDef().Parse(lambdaProps)
	if err != nil {
		return plan{}, err
	}
	text, err := connectorText(o.PipelineDir, f.Name)
	if err != nil {
		return plan{}, err
	}
	env := map[string]string{
		config.EnvConnectorConfig: text,
		"SLKC_OFFSETS_TABLE":      "slkc-offsets",
		"SLKC_LEASES_TABLE":       "slkc-leases",
		"SLKC_STATUS_TABLE":       "slkc-status",
	}
	// The function merges the worker file itself at cold start, as in AWS.
	if b, err := os.ReadFile(filepath.Join(o.PipelineDir, config.WorkerFileName)); err == nil {
		env[config.EnvWorkerConfig] = string(b)
	} else if !errors.Is(err, os.ErrNotExist) {
		return plan{}, fmt.Errorf("read worker file: %w", err)
	}
	for k, v := range o.Env {
		env[k] = v
	}
	p := plan{Connector: f.Name, Kind: kind}
	p.Spec = runtime.FunctionSpec{
		Name:     functionName(f.Name),
		Env:      env,
		MemoryMB: lv.Int(config.KeyLambdaMemoryMB),
		Timeout:  time.Duration(lv.Int(config.KeyLambdaTimeoutSeconds)) * time.Second,
		Region:   o.Region,
	}
	reserved := -1
	if lv.Has(config.KeyLambdaReservedConcurrency) {
		reserved = lv.Int(config.KeyLambdaReservedConcurrency)
	}
	switch kind {
	case config.Source:
		p.Spec.Bootstrap = filepath.Join(o.BuildDir, sourceBinary)
		// The keys' one definitions: defaults and ranges.
		sv, err := config.NewDef().WithFrameworkKey(config.Source, config.KeyPollIntervalMs).
			WithFrameworkKey(config.Source, config.KeyTasksMax).ParseOwn(resolved)
		if err != nil {
			return plan{}, err
		}
		p.Tasks = sv.Int(config.KeyTasksMax)
		p.PollInterval = time.Duration(sv.Long(config.KeyPollIntervalMs)) * time.Millisecond
		if reserved < 0 {
			reserved = p.Tasks // one poller per task at a time
		}
	case config.Sink:
		p.Spec.Bootstrap = filepath.Join(o.BuildDir, sinkBinary)
		if reserved < 0 {
			reserved = o.SinkConcurrency
		}
		topics := config.SplitList(resolved[config.KeyTopics])
		if len(topics) == 0 {
			return plan{}, fmt.Errorf("%s is empty", config.KeyTopics)
		}
		bootstrap := strings.Join(config.SplitList(resolved[config.KeyBootstrapServers]), ",")
		if bootstrap == "" {
			return plan{}, fmt.Errorf("%s is empty", config.KeyBootstrapServers)
		}
		group := "connect-" + f.Name
		if lv.Has(config.KeyLambdaConsumerGroupID) {
			group = lv.String(config.KeyLambdaConsumerGroupID)
		}
		// As on AWS: with errors.tolerance=none the mapping never gives up
		// on a record (the function's own config check refuses the same).
		if errs := config.CheckToleranceLimits(strings.TrimSpace(resolved[config.KeyErrorsTolerance]),
			lv.Int(config.KeyLambdaMaxRetryAttempts), lv.Int(config.KeyLambdaMaxRecordAge)); len(errs) > 0 {
			return plan{}, errors.Join(errs...)
		}
		var onFailure bridge.Destination
		if config.NeedsOnFailureDestination(strings.TrimSpace(resolved[config.KeyErrorsTolerance]),
			lv.Int(config.KeyLambdaMaxRetryAttempts), lv.Int(config.KeyLambdaMaxRecordAge)) {
			dir := o.OnFailureDir
			if dir == "" {
				dir = filepath.Join("build", "on-failure")
			}
			onFailure = &bridge.FileDestination{Path: filepath.Join(dir, functionName(f.Name)+".jsonl")}
		}
		age := time.Duration(lv.Int(config.KeyLambdaMaxRecordAge)) * time.Second
		if age < 0 {
			age = 0
		}
		var kafkaOpts []kgo.Opt
		if secure {
			if kafkaOpts, err = kafka.ConfigFromProps(resolved).Opts(ctx); err != nil {
				return plan{}, err
			}
		}
		p.Mapping = bridge.Mapping{
			KafkaOpts:               kafkaOpts,
			FunctionName:            p.Spec.Name,
			Topics:                  topics,
			Bootstrap:               bootstrap,
			ConsumerGroup:           group,
			BatchSize:               lv.Int(config.KeyLambdaBatchSize),
			MaxBatchingWindow:       time.Duration(lv.Int(config.KeyLambdaBatchingWindow)) * time.Second,
			StartingPosition:        lv.String(config.KeyLambdaStartingPosition),
			MaximumRetryAttempts:    lv.Int(config.KeyLambdaMaxRetryAttempts),
			MaximumRecordAge:        age,
			BisectBatchOnError:      lv.Bool(config.KeyLambdaBisectOnError),
			ReportBatchItemFailures: lv.Bool(config.KeyLambdaReportItemFailures),
			OnFailure:               onFailure,
			EventSource:             bridge.SourceSelfManaged,
			FunctionARN:             fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", o.Region, runtime.AccountID, p.Spec.Name),
		}
		if lv.Has(config.KeyLambdaSchemaRegistryURI) {
			p.Mapping.SchemaRegistry = &bridge.SchemaRegistry{URI: lv.String(config.KeyLambdaSchemaRegistryURI),
				EventRecordFormat: lv.String(config.KeyLambdaEventRecordFormat), Attributes: lv.List(config.KeyLambdaSchemaValidation)}
		}
	}
	if reserved == 0 {
		return plan{}, fmt.Errorf("%s is 0: the function could never run", config.KeyLambdaReservedConcurrency)
	}
	p.Spec.Concurrency = reserved
	if kind == config.Sink {
		// Lambda's ESM runs partitions concurrently up to what the function may run.
		p.Mapping.Concurrency = reserved
	}
	return p, nil
}

// connectorText returns the JSON text of the file that defines the named
// connector, passed to the function as SLKC_CONNECTOR_CONFIG.
func connectorText(dir, name string) (string, error) {
	paths, err := config.ConnectorPaths(dir)
	if err != nil {
		return "", err
	}
	for _, p := range paths {
		f, err := config.Load(p)
		if err != nil || f.Name != name {
			continue
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return "", fmt.Errorf("read %s: %w", p, err)
		}
		return string(b), nil
	}
	return "", fmt.Errorf("no file in %s defines connector %q", dir, name)
}

// readEnvFile reads KEY=VALUE lines; blank lines and # comments are
// skipped, an optional "export " prefix and surrounding quotes are removed.
func readEnvFile(path string) (map[string]string, error) {
	out := map[string]string{}
	if path == "" {
		return out, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("env file: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		line = strings.TrimPrefix(line, "export ")
		k, v, ok := strings.Cut(line, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" {
			return nil, fmt.Errorf("env file %s:%d: want KEY=VALUE, got %q", path, n, line)
		}
		v = strings.TrimSpace(v)
		if len(v) >= 2 && (v[0] == '"' && v[len(v)-1] == '"' || v[0] == '\'' && v[len(v)-1] == '\'') {
			v = v[1 : len(v)-1]
		}
		out[k] = v
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("env file %s: %w", path, err)
	}
	return out, nil
}

// scheduleRules are a source's schedules: one rule with the plain
// scheduled event for a single task, else one rule per task whose input
// names the task ({"task_id": N}), as the CDK app deploys them, so the
// tasks run as concurrent invocations.
func scheduleRules(p plan) []scheduler.Rule {
	name := "slkc-" + p.Spec.Name + "-schedule"
	if p.Tasks <= 1 {
		return []scheduler.Rule{{Name: name, Function: p.Spec.Name, Interval: p.PollInterval}}
	}
	rules := make([]scheduler.Rule, 0, p.Tasks)
	for id := range p.Tasks {
		in, _ := json.Marshal(events.SourceTaskInput{TaskID: id}) // an int field always encodes
		rules = append(rules, scheduler.Rule{Name: fmt.Sprintf("%s-task-%d", name, id), Function: p.Spec.Name, Interval: p.PollInterval, Input: in})
	}
	return rules
}
