package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/serverless-kafka-connect/slkc/localstack/bridge"
	"github.com/serverless-kafka-connect/slkc/localstack/runtime"
	"github.com/serverless-kafka-connect/slkc/localstack/scheduler"
	"github.com/serverless-kafka-connect/slkc/shared/config"
	"github.com/serverless-kafka-connect/slkc/shared/connectapi"
)

// lambdaClient returns an aws-sdk-go-v2 Lambda client for endpoint. Local
// endpoints accept any credentials; the environment's are used when set.
func lambdaClient(endpoint, region string) *lambda.Client {
	key, secret := os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY")
	if key == "" || secret == "" {
		key, secret = "local", "local"
	}
	return lambda.New(lambda.Options{
		BaseEndpoint: aws.String(endpoint),
		Region:       region,
		Credentials:  credentials.NewStaticCredentialsProvider(key, secret, ""),
	})
}

func defaultRegion() string {
	if r := os.Getenv("AWS_REGION"); r != "" {
		return r
	}
	return "us-east-1"
}

// runConfig is the parsed "run" command line.
type runConfig struct {
	options
	Addr           string
	InvokeEndpoint string
	// Template and FunctionNames map connectors to the function names of
	// the invoke endpoint (see remoteNames).
	Template      string
	FunctionNames map[string]string
	StatusEvery   time.Duration
	// ControlAddr is where the Kafka Connect REST API is served (loopback
	// only); empty: not served.
	ControlAddr string
	// controlDefault is true when -control-addr was not given: then a
	// control plane that cannot start (address in use, DynamoDB
	// unreachable) only costs a warning.
	controlDefault bool
	// controlReady, when set, receives the control API's URL (tests).
	controlReady func(url string, gates []*bridge.Gate)
	Output       io.Writer
	// ready, when set, receives the Invoke API endpoint and the bridges once
	// everything runs (tests).
	ready func(endpoint string, bridges []*bridge.Bridge)
}

func parseRun(args []string, stderr io.Writer) (runConfig, error) {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var rc runConfig
	var envFile, secretsFile string
	fs.StringVar(&rc.PipelineDir, "pipeline", "connectors/pipeline", "folder of connector JSON files")
	fs.StringVar(&rc.BuildDir, "build", "build", "folder with source-poller/bootstrap and sink-handler/bootstrap")
	fs.StringVar(&envFile, "env-file", "", "KEY=VALUE file added to every function's environment (and used for ${env:...})")
	fs.StringVar(&rc.Addr, "addr", "127.0.0.1:3001", "address of the local Invoke API")
	fs.StringVar(&rc.InvokeEndpoint, "invoke-endpoint", "", "use this Lambda endpoint (sam local start-lambda, LocalStack) instead of the local runner")
	fs.StringVar(&rc.Template, "template", "", "with -invoke-endpoint: synthesized template (infra/cdk.out/<Stack>.template.json) whose logical ids name the functions, as sam local start-lambda does")
	rc.FunctionNames = map[string]string{}
	fs.Var(nameFlag(rc.FunctionNames), "function-name", "with -invoke-endpoint: CONNECTOR=FUNCTION, the endpoint's name of a connector's function (repeatable)")
	fs.StringVar(&rc.Region, "region", defaultRegion(), "AWS region of the functions")
	fs.IntVar(&rc.SinkConcurrency, "sink-concurrency", 10, "processes per sink function when aws.lambda.reserved.concurrency is unset")
	fs.StringVar(&rc.ControlAddr, "control-addr", DefaultControlAddr, "serve the Kafka Connect REST API (status, pause/resume/stop, restart, offsets) here, loopback only; empty: do not serve it")
	fs.DurationVar(&rc.StatusEvery, "status-every", 10*time.Second, "how often to log progress (0: never)")
	fs.StringVar(&rc.OnFailureDir, "on-failure-dir", filepath.Join("build", "on-failure"), "folder of <connector>.jsonl: the on-failure destination of sinks with errors.tolerance=all and a retry limit or record age (SQS on AWS)")
	fs.StringVar(&secretsFile, "secrets-file", "", "JSON file {\"name\": value} served as a local Secrets Manager (GetSecretValue) to the functions, for ${secretsmanager:...} references")
	if err := fs.Parse(args); err != nil {
		return rc, err
	}
	rc.controlDefault = true
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "control-addr" {
			rc.controlDefault = false
		}
	})
	env, err := readEnvFile(envFile)
	if err != nil {
		return rc, err
	}
	rc.Env = env
	if rc.Secrets, err = loadSecrets(secretsFile); err != nil {
		return rc, err
	}
	return rc, nil
}

// run starts the runner (unless an endpoint is given), the scheduler for
// sources and a bridge per sink, and stops them all when ctx ends.
func run(ctx context.Context, rc runConfig, logger *slog.Logger) error {
	plans, err := loadPipeline(ctx, rc.options)
	if err != nil {
		return err
	}
	endpoint := rc.InvokeEndpoint
	var runner *runtime.Runner
	// The functions' EMF lines, for the web UI's charts.
	metrics := &connectapi.EMFMetrics{}
	if endpoint == "" {
		specs := make([]runtime.FunctionSpec, 0, len(plans))
		for _, p := range plans {
			specs = append(specs, p.Spec)
		}
		runner, err = runtime.New(specs...)
		if err != nil {
			return err
		}
		out := rc.Output
		if out == nil {
			out = os.Stderr
		}
		runner.Output = io.MultiWriter(out, metrics)
		runner.Logger = logger
		runner.Secrets = rc.Secrets
		if err := runner.Start(ctx, rc.Addr); err != nil {
			return err
		}
		defer runner.Close()
		endpoint = runner.URL()
	} else if rc.Secrets != nil {
		logger.Warn("-secrets-file is not served to functions behind -invoke-endpoint; create the secrets there (e.g. awslocal secretsmanager create-secret)",
			"endpoint", endpoint, "secrets", rc.Secrets.Names())
	}
	client := lambdaClient(endpoint, rc.Region)
	// The bridges invoke functions this process hosts in process
	// (RunnerInvoker: no HTTP copy of each payload of up to 6 MB); another
	// endpoint gets signed Invoke API requests.
	var sinkInvoker bridge.Invoker = bridge.LambdaInvoker{Client: client}
	if runner != nil {
		sinkInvoker = bridge.RunnerInvoker{Runner: runner}
	}
	if rc.InvokeEndpoint != "" {
		names, err := remoteNames(ctx, plans, rc.Template, rc.FunctionNames, client, logger)
		if err != nil {
			return err
		}
		for i := range plans {
			remote := names[plans[i].Spec.Name]
			logger.Info("connector function", "connector", plans[i].Connector, "function", remote)
			plans[i].Spec.Name = remote
			if plans[i].Kind == config.Sink {
				plans[i].Mapping.FunctionName = remote
				plans[i].Mapping.FunctionARN = fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", rc.Region, runtime.AccountID, remote)
			}
		}
	}

	invoker := &scheduler.LambdaInvoker{Client: client}
	var ctl *control
	if rc.ControlAddr != "" {
		ctl, err = newControl(ctx, rc, plans, invoker, logger)
		switch {
		case err != nil && rc.controlDefault:
			// Not asked for explicitly: the pipeline still runs.
			msg := "Kafka Connect REST API not served; set -control-addr to require it"
			if errors.Is(err, syscall.EADDRINUSE) {
				msg = "Kafka Connect REST API not served: its default address is in use (another slkc-local?); set -control-addr"
			}
			logger.Warn(msg, "addr", rc.ControlAddr, "err", err.Error())
		case err != nil:
			return err
		default:
			defer ctl.close()
			if runner != nil {
				ctl.api.Metrics = metrics
			}
		}
	}
	var rules []scheduler.Rule
	var bridges []*bridge.Bridge
	var gates []*bridge.Gate
	for _, p := range plans {
		switch p.Kind {
		case config.Source:
			rules = append(rules, scheduleRules(p)...)
		case config.Sink:
			if ctl != nil {
				// Pause and stop disable the mapping, as on AWS.
				g, err := bridge.NewGate(p.Mapping, sinkInvoker, logger, ctl.targetEnabled(p.Connector))
				if err != nil {
					return err
				}
				gates = append(gates, g)
				bridges = append(bridges, g.Current())
				continue
			}
			b, err := bridge.New(p.Mapping, sinkInvoker, logger)
			if err != nil {
				return err
			}
			bridges = append(bridges, b)
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	errc := make(chan error, len(bridges)+1)
	sched := scheduler.New(invoker, rules...)
	sched.Region, sched.Logger = rc.Region, logger
	if len(rules) > 0 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := sched.Run(ctx); err != nil {
				errc <- err
			}
		}()
	}
	runners := make([]interface{ Run(context.Context) error }, 0, len(bridges))
	if gates != nil {
		for _, g := range gates {
			runners = append(runners, g)
		}
	} else {
		for _, b := range bridges {
			runners = append(runners, b)
		}
	}
	for _, r := range runners {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := r.Run(ctx); err != nil {
				errc <- err
			}
		}()
	}
	logger.Info("pipeline running", "endpoint", endpoint, "sources", len(rules), "sinks", len(bridges))
	if ctl != nil {
		ctl.start(logger)
		if rc.controlReady != nil {
			rc.controlReady(ctl.URL(), gates)
		}
	}
	if rc.ready != nil {
		rc.ready(endpoint, bridges)
	}
	var tick <-chan time.Time
	if rc.StatusEvery > 0 {
		t := time.NewTicker(rc.StatusEvery)
		defer t.Stop()
		tick = t.C
	}
	var runErr error
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case err := <-errc:
			runErr = err
			break loop
		case <-tick:
			logStatus(logger, runner, sched, current(bridges, gates))
		}
	}
	cancel()
	wg.Wait()
	logStatus(logger, runner, sched, current(bridges, gates))
	logger.Info("pipeline stopped")
	return runErr
}

// current returns the running bridges: the gates' current ones (none for a
// disabled mapping), else the plain bridges.
func current(bridges []*bridge.Bridge, gates []*bridge.Gate) []*bridge.Bridge {
	if gates == nil {
		return bridges
	}
	var out []*bridge.Bridge
	for _, g := range gates {
		if b := g.Current(); b != nil {
			out = append(out, b)
		}
	}
	return out
}

// logStatus writes one progress line per function and bridge.
func logStatus(logger *slog.Logger, r *runtime.Runner, s *scheduler.Scheduler, bridges []*bridge.Bridge) {
	fired, skipped, failed := s.Counts()
	logger.Info("schedule", "fired", fired, "skipped", skipped, "failed", failed)
	for _, b := range bridges {
		st := b.Stats()
		attrs := []any{"function", b.Mapping().FunctionName, "batches", st.Batches, "invocations", st.Invocations,
			"delivered", st.Delivered, "failed", st.Failed, "retries", st.Retries, "committed", st.Committed}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		if lag, err := b.Lag(ctx); err == nil {
			total := int64(0)
			for _, n := range lag {
				total += n
			}
			attrs = append(attrs, "lag", total)
		}
		cancel()
		logger.Info("event source mapping", attrs...)
	}
	if r == nil {
		return
	}
	for _, name := range r.Functions() {
		st, _ := r.Stats(name)
		logger.Info("function", "name", name, "invocations", st.Invocations, "errors", st.Errors,
			"timeouts", st.Timeouts, "crashes", st.Crashes, "cold_starts", st.ColdStarts)
	}
}

// invokeConfig is the parsed "invoke" command line.
type invokeConfig struct {
	options
	Function  string
	EventFile string
	Endpoint  string
}

func parseInvoke(args []string, stderr io.Writer) (invokeConfig, error) {
	fs := flag.NewFlagSet("invoke", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var ic invokeConfig
	var envFile, secretsFile string
	fs.StringVar(&ic.Function, "function", "", "function (connector) name to invoke (required)")
	fs.StringVar(&ic.EventFile, "event", "", "event JSON file (default {})")
	fs.StringVar(&ic.Endpoint, "endpoint", "", "Invoke API endpoint of a running `slkc-local run`, sam local or LocalStack; empty: run the function once in-process")
	fs.StringVar(&ic.PipelineDir, "pipeline", "connectors/pipeline", "folder of connector JSON files (in-process mode)")
	fs.StringVar(&ic.BuildDir, "build", "build", "build folder (in-process mode)")
	fs.StringVar(&envFile, "env-file", "", "KEY=VALUE file for the function's environment (in-process mode)")
	fs.StringVar(&ic.Region, "region", defaultRegion(), "AWS region")
	fs.StringVar(&secretsFile, "secrets-file", "", "JSON file of secrets served as a local Secrets Manager (in-process mode)")
	if err := fs.Parse(args); err != nil {
		return ic, err
	}
	if ic.Function == "" {
		return ic, errors.New("invoke: -function is required")
	}
	env, err := readEnvFile(envFile)
	if err != nil {
		return ic, err
	}
	ic.Env = env
	ic.SinkConcurrency = 1
	if ic.Secrets, err = loadSecrets(secretsFile); err != nil {
		return ic, err
	}
	return ic, nil
}

// errFunction marks an invoke whose function failed (exit status 1).
var errFunction = errors.New("function error")

// invoke sends one RequestResponse invoke and writes the response to out.
func invoke(ctx context.Context, ic invokeConfig, out io.Writer, logger *slog.Logger) error {
	payload := []byte("{}")
	if ic.EventFile != "" {
		b, err := os.ReadFile(ic.EventFile)
		if err != nil {
			return fmt.Errorf("invoke: event: %w", err)
		}
		if !json.Valid(b) {
			return fmt.Errorf("invoke: event file %s is not valid JSON", ic.EventFile)
		}
		payload = b
	}
	endpoint := ic.Endpoint
	name := functionName(ic.Function)
	if endpoint == "" {
		plans, err := loadPipeline(ctx, ic.options)
		if err != nil {
			return err
		}
		var spec *runtime.FunctionSpec
		for _, p := range plans {
			if p.Spec.Name == name || p.Connector == ic.Function {
				spec = &p.Spec
			}
		}
		if spec == nil {
			return fmt.Errorf("invoke: no connector %q in %s", ic.Function, ic.PipelineDir)
		}
		r, err := runtime.New(*spec)
		if err != nil {
			return err
		}
		r.Logger = logger
		r.Secrets = ic.Secrets
		if err := r.Start(ctx, "127.0.0.1:0"); err != nil {
			return err
		}
		defer r.Close()
		endpoint = r.URL()
	}
	res, err := lambdaClient(endpoint, ic.Region).Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(name), Payload: payload})
	if err != nil {
		return fmt.Errorf("invoke %s at %s: %w", name, endpoint, err)
	}
	_, _ = out.Write(res.Payload)
	_, _ = io.WriteString(out, "\n")
	if res.FunctionError != nil {
		return fmt.Errorf("invoke %s: %w: %s", name, errFunction, aws.ToString(res.FunctionError))
	}
	return nil
}

// loadSecrets reads -secrets-file; an empty path means no local secrets.
func loadSecrets(path string) (*runtime.Secrets, error) {
	if path == "" {
		return nil, nil
	}
	return runtime.LoadSecretsFile(path)
}
