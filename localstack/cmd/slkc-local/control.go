package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/serverless-kafka-connect/slkc/localstack/scheduler"
	"github.com/serverless-kafka-connect/slkc/shared/config"
	"github.com/serverless-kafka-connect/slkc/shared/connectapi"
	"github.com/serverless-kafka-connect/slkc/shared/state"
)

// DefaultControlAddr is where `slkc-local run` serves the Kafka Connect
// REST API, Connect's own default port, on loopback only.
const DefaultControlAddr = "127.0.0.1:8083"

// DefaultLocalDynamo is the local stack's DynamoDB, used when neither
// AWS_ENDPOINT_URL_DYNAMODB nor AWS_ENDPOINT_URL is set.
const DefaultLocalDynamo = "http://127.0.0.1:8000"

// checkLoopback refuses a control address that is not on loopback: the
// local API has no authentication.
func checkLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("-control-addr %q: %w", addr, err)
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("-control-addr %q: the local control API has no authentication and binds loopback only (127.0.0.1, ::1 or localhost)", addr)
	}
	return nil
}

// localTables are the state tables the local functions use: the defaults,
// overridden by -env-file (as planConnector does for the functions).
func localTables(env map[string]string) state.Tables {
	t := state.Tables{Offsets: state.DefaultOffsetsTable, Leases: state.DefaultLeasesTable, Status: state.DefaultStatusTable}
	for k, p := range map[string]*string{"SLKC_OFFSETS_TABLE": &t.Offsets, "SLKC_LEASES_TABLE": &t.Leases, "SLKC_STATUS_TABLE": &t.Status} {
		if v := env[k]; v != "" {
			*p = v
		}
	}
	return t
}

// localDynamo returns a DynamoDB client from the standard environment
// (AWS_ENDPOINT_URL_DYNAMODB, AWS_REGION); local endpoints accept any
// credentials.
func localDynamo(ctx context.Context, region string) (*dynamodb.Client, error) {
	opts := []func(*awsconfig.LoadOptions) error{awsconfig.WithRegion(region)}
	if os.Getenv("AWS_ACCESS_KEY_ID") == "" {
		opts = append(opts, awsconfig.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("local", "local", "")))
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("control: AWS config: %w", err)
	}
	return dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) {
		// Without an endpoint in the environment, the local stack's.
		if os.Getenv("AWS_ENDPOINT_URL_DYNAMODB") == "" && os.Getenv("AWS_ENDPOINT_URL") == "" {
			o.BaseEndpoint = aws.String(DefaultLocalDynamo)
		}
	}), nil
}

// control is the local control plane: the API server and what it needs.
type control struct {
	srv     *http.Server
	ln      net.Listener
	targets *state.TargetStore
	kafka   *kgo.Client
	heads   *connectapi.PluginHeads
	api     *connectapi.Server
}

// targetEnabled is a gate's Enabled flag: the connector's target state.
func (c *control) targetEnabled(connector string) func(ctx context.Context) (bool, error) {
	return func(ctx context.Context) (bool, error) {
		ts, err := c.targets.Get(ctx, connector)
		if err != nil {
			return false, err
		}
		return ts.Runs(), nil
	}
}

// newControl builds the local control plane over the pipeline's plans and
// listens on addr (loopback only). Serve it with start.
func newControl(ctx context.Context, rc runConfig, plans []plan, lambdaInvoker scheduler.Invoker, logger *slog.Logger) (*control, error) {
	if err := checkLoopback(rc.ControlAddr); err != nil {
		return nil, err
	}
	ddb, err := localDynamo(ctx, rc.Region)
	if err != nil {
		return nil, err
	}
	tables := localTables(rc.Env)
	if err := state.CreateTables(ctx, ddb, tables); err != nil {
		return nil, fmt.Errorf("control: %w", err)
	}
	files, err := config.LoadDir(rc.PipelineDir)
	if err != nil {
		return nil, err
	}
	byName := map[string]*config.File{}
	for _, f := range files {
		byName[f.Name] = f
	}
	conns := map[string]connectapi.Connector{}
	bootstrap := os.Getenv("SLKC_KAFKA_BOOTSTRAP")
	var kopts []kgo.Opt
	for _, p := range plans {
		f := byName[p.Connector]
		if f == nil {
			return nil, fmt.Errorf("control: connector %q has no file in %s", p.Connector, rc.PipelineDir)
		}
		c, err := connectapi.FromFile(f, p.Spec.Name)
		if err != nil {
			return nil, err
		}
		if p.Kind == config.Sink {
			// The resolved values the bridge uses.
			c.Topics, c.ConsumerGroup = p.Mapping.Topics, p.Mapping.ConsumerGroup
			if bootstrap == "" || kopts == nil {
				bootstrap, kopts = p.Mapping.Bootstrap, p.Mapping.KafkaOpts
			}
		}
		conns[c.Name] = c
	}
	if bootstrap == "" {
		bootstrap = "127.0.0.1:9092"
	}
	kc, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(strings.Split(bootstrap, ",")...)}, kopts...)...)
	if err != nil {
		return nil, fmt.Errorf("control: kafka admin client: %w", err)
	}
	ln, err := net.Listen("tcp", rc.ControlAddr)
	if err != nil {
		kc.Close()
		return nil, fmt.Errorf("control: listen on %s: %w", rc.ControlAddr, err)
	}
	// The web UI's source lag reads each source's table with the same
	// settings its function resolves (the -env-file, the environment and
	// the -secrets-file).
	prov := config.Providers{LookupEnv: func(k string) (string, bool) {
		if v, ok := rc.Env[k]; ok {
			return v, true
		}
		return os.LookupEnv(k)
	}}
	if rc.Secrets != nil {
		prov.Secrets = rc.Secrets
	}
	heads := &connectapi.PluginHeads{Resolve: func(ctx context.Context, props map[string]string) (map[string]string, error) {
		return config.Resolve(ctx, props, prov)
	}}
	c := &control{ln: ln, targets: state.NewTargetStore(ddb, tables.Status), kafka: kc, heads: heads}
	api := &connectapi.Server{
		Connectors: conns,
		Statuses:   state.NewStatusStore(ddb, tables.Status),
		Targets:    c.targets,
		Offsets:    state.NewOffsetStore(ddb, tables.Offsets),
		Leases:     state.NewLeaseStore(ddb, tables.Leases),
		Groups:     connectapi.KafkaGroups{Admin: kadm.NewClient(kc)},
		Invoker:    lambdaInvoker,
		Heads:      heads,
		Records:    connectapi.KafkaRecords{Opts: append([]kgo.Opt{kgo.SeedBrokers(strings.Split(bootstrap, ",")...)}, kopts...)},
		Logger:     logger,
		Commit:     "slkc-local",
	}
	c.api = api
	c.srv = &http.Server{Handler: connectapi.LoopbackHost(api.Handler()), ReadHeaderTimeout: 10 * time.Second}
	return c, nil
}

// URL is the API's base URL.
func (c *control) URL() string { return "http://" + c.ln.Addr().String() }

// start serves until close.
func (c *control) start(logger *slog.Logger) {
	go func() {
		if err := c.srv.Serve(c.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Error("control API stopped", "err", err)
		}
	}()
	logger.Info("Kafka Connect REST API listening", "url", c.URL())
}

func (c *control) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = c.srv.Shutdown(ctx)
	c.kafka.Close()
	_ = c.heads.Close()
}
