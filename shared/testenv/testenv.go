// Package testenv gives integration tests isolated resources on the real
// services: a Kafka topic, a DynamoDB table and a MySQL database, each with a
// unique name and removed when the test ends.
//
// It is configured from the standard environment, so the same tests run
// against the no-Docker stack (localstack/stack.sh), the Docker compose stack
// or real AWS:
//
//	SLKC_KAFKA_BOOTSTRAP       Kafka bootstrap servers (default 127.0.0.1:9092)
//	AWS_ENDPOINT_URL_DYNAMODB  DynamoDB endpoint (default http://127.0.0.1:8000;
//	                           set SLKC_TEST_AWS=real to use AWS's own endpoint)
//	SLKC_MYSQL_DSN             go-sql-driver DSN without database
//	                           (default slkc:slkc@tcp(127.0.0.1:3306)/)
//	AWS_REGION                 default us-east-1
//
// When a service cannot be reached, a test is skipped, except when CI=true:
// then it fails with a message naming the service and how to start it.
// Under -short every test built on New is skipped without contacting anything.
package testenv

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	gomysql "github.com/go-sql-driver/mysql"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/serverless-kafka-connect/slkc/shared/kafka"
)

// Defaults match localstack/stack.sh and the compose file.
const (
	DefaultKafkaBootstrap = "127.0.0.1:9092"
	DefaultDynamoEndpoint = "http://127.0.0.1:8000"
	DefaultMySQLDSN       = "slkc:slkc@tcp(127.0.0.1:3306)/"
	DefaultRegion         = "us-east-1"
)

// howToStart is appended to every "service unreachable" message.
const howToStart = "start the local stack with `make local-up` (or point the variable at a running service)"

// Env is the test environment. Build it with New; it is safe for parallel tests.
type Env struct {
	bootstrap string
	ddbURL    string // "" means the SDK's own endpoint resolution (real AWS)
	mysqlDSN  string
	region    string
}

// New reads the environment. It does not contact any service; each accessor
// checks its own service on first use.
//
// Under `go test -short` (make test-unit) it skips the test: every test that
// needs a service goes through New, so the short run touches none.
func New(t testing.TB) *Env {
	t.Helper()
	if testing.Short() {
		t.Skip("integration test: needs the local stack; skipped under -short (make test-unit)")
	}
	e := &Env{
		bootstrap: getenv("SLKC_KAFKA_BOOTSTRAP", DefaultKafkaBootstrap),
		mysqlDSN:  getenv("SLKC_MYSQL_DSN", DefaultMySQLDSN),
		region:    getenv("AWS_REGION", DefaultRegion),
	}
	switch {
	case os.Getenv("AWS_ENDPOINT_URL_DYNAMODB") != "":
		e.ddbURL = os.Getenv("AWS_ENDPOINT_URL_DYNAMODB")
	case os.Getenv("AWS_ENDPOINT_URL") != "":
		e.ddbURL = os.Getenv("AWS_ENDPOINT_URL")
	case os.Getenv("SLKC_TEST_AWS") == "real":
		e.ddbURL = ""
	default:
		e.ddbURL = DefaultDynamoEndpoint
	}
	return e
}

func getenv(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

// InCI reports whether tests run under CI (CI=true), where an unreachable
// service fails a test instead of skipping it.
func InCI() bool {
	v := strings.ToLower(os.Getenv("CI"))
	return v == "true" || v == "1"
}

// unavailable skips the test, or fails it under CI, naming the service.
func unavailable(t testing.TB, service, variable, addr string, err error) {
	t.Helper()
	msg := fmt.Sprintf("%s is not reachable at %s (%s): %v; %s", service, addr, variable, err, howToStart)
	if InCI() {
		t.Fatalf("testenv: CI=true and %s", msg)
	}
	t.Skipf("testenv: %s", msg)
}

// probe runs check once per process and service, remembering the result, so
// a dead service costs one timeout per test binary rather than per test.
type probe struct {
	once sync.Once
	err  error
}

var probes sync.Map // key "service|addr" -> *probe

func reachable(key string, check func(ctx context.Context) error) error {
	p, _ := probes.LoadOrStore(key, &probe{})
	pr := p.(*probe)
	pr.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		pr.err = check(ctx)
	})
	return pr.err
}

// UniqueName returns a name built from the test name and a random suffix,
// using only [a-z0-9_-] and at most max characters.
func UniqueName(t testing.TB, prefix string, max int) string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	suffix := hex.EncodeToString(b[:])
	base := strings.ToLower(nameCleaner.ReplaceAllString(t.Name(), "_"))
	base = strings.Trim(base, "_")
	room := max - len(prefix) - len(suffix) - 2
	if room < 0 {
		room = 0
	}
	if len(base) > room {
		base = base[len(base)-room:]
	}
	return prefix + "_" + base + "_" + suffix
}

var nameCleaner = regexp.MustCompile(`[^A-Za-z0-9]+`)

// ---- Kafka ----

// Bootstrap returns the Kafka bootstrap servers as a comma-separated list.
func (e *Env) Bootstrap() string { return e.bootstrap }

// Seeds returns the bootstrap servers as a slice.
func (e *Env) Seeds() []string { return strings.Split(e.bootstrap, ",") }

func (e *Env) requireKafka(t testing.TB) {
	t.Helper()
	err := reachable("kafka|"+e.bootstrap, func(ctx context.Context) error {
		cl, err := kgo.NewClient(kgo.SeedBrokers(e.Seeds()...), kgo.DialTimeout(3*time.Second))
		if err != nil {
			return err
		}
		defer cl.Close()
		return cl.Ping(ctx)
	})
	if err != nil {
		unavailable(t, "Kafka", "SLKC_KAFKA_BOOTSTRAP", e.bootstrap, err)
	}
}

// Kafka returns a new franz-go client for the broker with opts appended,
// closed when the test ends.
func (e *Env) Kafka(t testing.TB, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	e.requireKafka(t)
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(e.Seeds()...)}, opts...)...)
	if err != nil {
		t.Fatalf("testenv: kafka client: %v", err)
	}
	t.Cleanup(cl.Close)
	return cl
}

// KafkaAdmin returns an admin client, closed when the test ends.
func (e *Env) KafkaAdmin(t testing.TB) *kadm.Client {
	t.Helper()
	return kadm.NewClient(e.Kafka(t))
}

// Topic creates a topic with a unique name and the given partition count
// (replication factor 1), and deletes it when the test ends.
func (e *Env) Topic(t testing.TB, partitions int32) string {
	t.Helper()
	cl := e.Kafka(t)
	adm := kadm.NewClient(cl)
	name := UniqueName(t, "t", 200)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	resp, err := adm.CreateTopic(ctx, partitions, 1, nil, name)
	if err == nil {
		err = resp.Err
	}
	if err != nil {
		t.Fatalf("testenv: create topic %s: %v", name, err)
	}
	e.DeleteTopicAtCleanup(t, name)
	if err := kafka.WaitTopicsReady(ctx, cl, name); err != nil {
		t.Fatalf("testenv: %v", err)
	}
	return name
}

// DeleteTopicAtCleanup deletes the named topic (if it exists) when the test
// ends; use it for topics the code under test creates itself.
func (e *Env) DeleteTopicAtCleanup(t testing.TB, name string) {
	t.Helper()
	t.Cleanup(func() {
		cl, err := kgo.NewClient(kgo.SeedBrokers(e.Seeds()...))
		if err != nil {
			return
		}
		defer cl.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		_, _ = kadm.NewClient(cl).DeleteTopics(ctx, name)
	})
}

// ---- DynamoDB ----

// DynamoEndpoint returns the DynamoDB endpoint URL, or "" for AWS's own.
func (e *Env) DynamoEndpoint() string { return e.ddbURL }

// Region returns the AWS region the tests use.
func (e *Env) Region() string { return e.region }

// AWSConfig returns an SDK config for the environment: static dummy
// credentials when talking to a local endpoint and none are set.
func (e *Env) AWSConfig(t testing.TB) aws.Config {
	t.Helper()
	opts := []func(*awsconfig.LoadOptions) error{awsconfig.WithRegion(e.region)}
	if e.ddbURL != "" && os.Getenv("AWS_ACCESS_KEY_ID") == "" && os.Getenv("AWS_PROFILE") == "" {
		opts = append(opts, awsconfig.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("local", "local", "")))
	}
	cfg, err := awsconfig.LoadDefaultConfig(context.Background(), opts...)
	if err != nil {
		t.Fatalf("testenv: aws config: %v", err)
	}
	return cfg
}

func (e *Env) dynamoClient(cfg aws.Config) *dynamodb.Client {
	return dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) {
		if e.ddbURL != "" {
			o.BaseEndpoint = aws.String(e.ddbURL)
		}
	})
}

// Dynamo returns a DynamoDB client for the environment after checking the
// service answers.
func (e *Env) Dynamo(t testing.TB) *dynamodb.Client {
	t.Helper()
	cl := e.dynamoClient(e.AWSConfig(t))
	err := reachable("dynamodb|"+e.ddbURL, func(ctx context.Context) error {
		_, err := cl.ListTables(ctx, &dynamodb.ListTablesInput{Limit: aws.Int32(1)})
		return err
	})
	if err != nil {
		addr := e.ddbURL
		if addr == "" {
			addr = "AWS"
		}
		unavailable(t, "DynamoDB", "AWS_ENDPOINT_URL_DYNAMODB", addr, err)
	}
	return cl
}

// DynamoTable creates the table described by in under a unique name (its
// TableName is overwritten; BillingMode defaults to PAY_PER_REQUEST), waits
// until it is active, deletes it when the test ends, and returns the name.
func (e *Env) DynamoTable(t testing.TB, in *dynamodb.CreateTableInput) string {
	t.Helper()
	cl := e.Dynamo(t)
	cp := *in
	name := UniqueName(t, "slkc", 255)
	cp.TableName = aws.String(name)
	if cp.BillingMode == "" && cp.ProvisionedThroughput == nil {
		cp.BillingMode = "PAY_PER_REQUEST"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if _, err := cl.CreateTable(ctx, &cp); err != nil {
		t.Fatalf("testenv: create DynamoDB table %s: %v", name, err)
	}
	if err := dynamodb.NewTableExistsWaiter(cl).Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)}, 2*time.Minute); err != nil {
		t.Fatalf("testenv: DynamoDB table %s not active: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_, _ = cl.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String(name)})
	})
	return name
}

// ---- MySQL ----

// MySQLDSN returns the DSN for database db (parseTime, UTC, utf8mb4,
// multiStatements off).
func (e *Env) MySQLDSN(db string) string {
	cfg, err := gomysql.ParseDSN(e.mysqlDSN)
	if err != nil {
		return e.mysqlDSN + db
	}
	cfg.DBName = db
	cfg.ParseTime = true
	cfg.Loc = time.UTC
	if cfg.Params == nil {
		cfg.Params = map[string]string{}
	}
	cfg.Params["time_zone"] = "'+00:00'"
	cfg.Collation = "utf8mb4_general_ci"
	return cfg.FormatDSN()
}

// MySQLDatabase creates a database with a unique name, returns a handle to
// it and its name, and drops it when the test ends.
func (e *Env) MySQLDatabase(t testing.TB) (*sql.DB, string) {
	t.Helper()
	admin, err := sql.Open("mysql", e.MySQLDSN(""))
	if err != nil {
		t.Fatalf("testenv: mysql DSN in SLKC_MYSQL_DSN: %v", err)
	}
	t.Cleanup(func() { _ = admin.Close() })
	if err := reachable("mysql|"+e.mysqlDSN, admin.PingContext); err != nil {
		unavailable(t, "MySQL/MariaDB", "SLKC_MYSQL_DSN", redactDSN(e.mysqlDSN), err)
	}
	name := UniqueName(t, "db", 64)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE `"+name+"` CHARACTER SET utf8mb4"); err != nil {
		t.Fatalf("testenv: create database %s: %v", name, err)
	}
	db, err := sql.Open("mysql", e.MySQLDSN(name))
	if err != nil {
		t.Fatalf("testenv: open %s: %v", name, err)
	}
	t.Cleanup(func() {
		_ = db.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_, _ = admin.ExecContext(ctx, "DROP DATABASE IF EXISTS `"+name+"`")
	})
	return db, name
}

func redactDSN(dsn string) string {
	if cfg, err := gomysql.ParseDSN(dsn); err == nil && cfg.Passwd != "" {
		cfg.Passwd = "xxxxx"
		return cfg.FormatDSN()
	}
	return dsn
}
