// Command demo is `make demo`: it seeds a MySQL orders table, runs the
// pipeline of connectors/pipeline through the local runner (the real
// function binaries, event-triggered), shows progress, applies later
// updates, prints a summary and exits 0 only when the MySQL replica and the
// DynamoDB table match the source row by row.
//
// It expects the local stack to run (make local-up) and the functions and
// the runner to be built (make build-local; go build -o build/bin/slkc-local
// ./localstack/cmd/slkc-local); `make demo` does all of that.
//
// Environment (the Makefile's defaults): SLKC_MYSQL_DSN (server DSN, no
// database), SLKC_KAFKA_BOOTSTRAP, AWS_ENDPOINT_URL_DYNAMODB, AWS_REGION,
// and optionally SLKC_DEMO_MYSQL_URL / _USER / _PASSWORD, which the
// pipeline files reference with ${env:...} (default: the server of
// SLKC_MYSQL_DSN, database slkc_demo).
//
// With -cdc it runs the change data capture variant instead (`make
// demo-cdc`, connectors/pipeline-cdc; demo.RunCDC): a binlog source and a
// MySQL sink, with inserts, repeated updates and deletes.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/serverless-kafka-connect/slkc/localstack/demo"
	"github.com/serverless-kafka-connect/slkc/shared/state"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(realMain(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

func realMain(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	slog.SetDefault(slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	var c demo.Config
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.PipelineDir, "pipeline", "connectors/pipeline", "folder of connector JSON files")
	fs.StringVar(&c.BuildDir, "build", "build", "folder with <function>/bootstrap")
	fs.StringVar(&c.RunnerBinary, "runner", "build/bin/slkc-local", "slkc-local binary")
	fs.StringVar(&c.WorkDir, "workdir", "build/demo", "where the env file and runner.log go")
	fs.IntVar(&c.Rows, "rows", 5000, "rows to seed")
	fs.IntVar(&c.Rounds, "rounds", 10, "rounds of later changes (one second each)")
	fs.IntVar(&c.UpdatesPerRound, "updates", 40, "updates per round")
	fs.IntVar(&c.InsertsPerRound, "inserts", 10, "inserts per round")
	fs.DurationVar(&c.Timeout, "timeout", 3*time.Minute, "bound of each wait for the sinks to converge")
	database := fs.String("database", "slkc_demo", "source database, when SLKC_DEMO_MYSQL_URL is unset")
	cdc := fs.Bool("cdc", false, "the change data capture variant (connectors/pipeline-cdc: binlog source, MySQL sink): inserts, repeated updates and deletes")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	c.Out = stdout
	if err := setup(ctx, &c, *database); err != nil {
		fmt.Fprintln(stderr, "demo:", err)
		return 1
	}
	defer c.Kafka.Close()
	defer c.MySQL.Close()
	run := func() error { _, err := demo.Run(ctx, c); return err }
	if *cdc {
		run = func() error { _, err := demo.RunCDC(ctx, c, demo.CDCScript{}); return err }
	}
	if err := run(); err != nil {
		if ctx.Err() != nil {
			fmt.Fprintln(stderr, "interrupted; the runner was stopped")
			return 130
		}
		fmt.Fprintln(stderr, "FAILED:", err)
		return 1
	}
	return 0
}

func getenv(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

// setup builds the clients and the functions' environment. The demo is
// local only: unset AWS variables get the local stack's values, so neither
// the demo nor the functions it starts can reach a real AWS account.
func setup(ctx context.Context, c *demo.Config, database string) error {
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL_DYNAMODB": "http://127.0.0.1:8000",
		"AWS_REGION":                "us-east-1",
		"AWS_ACCESS_KEY_ID":         "local",
		"AWS_SECRET_ACCESS_KEY":     "local",
	} {
		if os.Getenv(k) == "" {
			if err := os.Setenv(k, v); err != nil {
				return err
			}
		}
	}
	dsn := getenv("SLKC_MYSQL_DSN", "slkc:slkc@tcp(127.0.0.1:3306)/")
	var err error
	if c.Env, err = demo.MySQLEnv(dsn, database); err != nil {
		return fmt.Errorf("SLKC_MYSQL_DSN: %w", err)
	}
	if c.Secrets, err = demo.MySQLSecrets(dsn); err != nil {
		return fmt.Errorf("SLKC_MYSQL_DSN: %w", err)
	}
	for k := range c.Env {
		if v := os.Getenv(k); v != "" {
			c.Env[k] = v
		}
	}
	bootstrap := getenv("SLKC_KAFKA_BOOTSTRAP", "127.0.0.1:9092")
	c.Env["SLKC_KAFKA_BOOTSTRAP"] = bootstrap
	// Pipelines with registry-backed converters (connectors/pipeline-avro)
	// name the registry with ${env:SLKC_SCHEMA_REGISTRY_URL}.
	if u := os.Getenv("SLKC_SCHEMA_REGISTRY_URL"); u != "" {
		c.Env["SLKC_SCHEMA_REGISTRY_URL"] = u
	}
	c.Tables = state.TablesFromEnv()
	if c.MySQL, err = demo.OpenMySQL(dsn); err != nil {
		return fmt.Errorf("%w (is the local stack up? make local-up)", err)
	}

	awsCfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		return fmt.Errorf("aws config: %w", err)
	}
	c.Dynamo = dynamodb.NewFromConfig(awsCfg, func(o *dynamodb.Options) {
		// DynamoDB Local answers some errors with x-amz-crc32: 0, which the
		// SDK reports as a checksum warning on every such call.
		o.DisableValidateResponseChecksum = os.Getenv("AWS_ENDPOINT_URL_DYNAMODB") != ""
	})
	if _, err := c.Dynamo.ListTables(ctx, &dynamodb.ListTablesInput{}); err != nil {
		return fmt.Errorf("dynamodb at %s: %w (is the local stack up? make local-up)", os.Getenv("AWS_ENDPOINT_URL_DYNAMODB"), err)
	}

	c.Kafka, err = kgo.NewClient(kgo.SeedBrokers(strings.Split(bootstrap, ",")...))
	if err != nil {
		return fmt.Errorf("kafka: %w", err)
	}
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := c.Kafka.Ping(pctx); err != nil {
		c.Kafka.Close()
		return fmt.Errorf("kafka at %s: %w (is the local stack up? make local-up)", bootstrap, err)
	}
	return nil
}
