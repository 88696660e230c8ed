package main

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	gomysql "github.com/go-sql-driver/mysql"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/serverless-kafka-connect/slkc/shared/kafka"
)

// env holds the connections to the local stack and the names this run
// created, so cleanup can remove them.
type env struct {
	runID     string
	bootstrap string
	mysqlBase *gomysql.Config
	dbName    string
	db        *sql.DB // the run's database, parseTime=true, UTC
	admin     *kadm.Client
	adminCl   *kgo.Client
	ddb       *dynamodb.Client
	ddbCount  *countingTransport
	mu        sync.Mutex
	topics    []string // to delete at the end
	made      int      // topics made so far, for unique names (topicSeq)
	tables    []string
	// fnEnv is added to every function process's environment (-fn-env),
	// e.g. GOGC=100 to compare against the functions' own GC setting.
	fnEnv map[string]string
	// keep leaves measured MySQL tables in place (-keep).
	keep bool
	// kafkaDir is the local stack's Kafka log dir, where settle waits for
	// deleted topics' files to go; empty when the broker is not the local
	// stack's (kafkaLogDir).
	kafkaDir string
	// stackPids are the local stack's service processes (Kafka, MariaDB,
	// DynamoDB Local), which settle waits to go idle; empty when they are
	// not the local stack's (stackPIDs).
	stackPids []int
}

// localDir is the local stack's folder: $SLKC_LOCAL_DIR, default .local
// (as localstack/stack.sh).
func localDir() string { return getenv("SLKC_LOCAL_DIR", ".local") }

// stackPIDs reads the local stack's PID files, <localDir>/pids/<service>.pid,
// skipping those it cannot read.
func stackPIDs() []int {
	var pids []int
	for _, svc := range []string{"kafka", "mariadb", "dynamodb"} {
		b, err := os.ReadFile(filepath.Join(localDir(), "pids", svc+".pid"))
		if err != nil {
			continue
		}
		if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
			pids = append(pids, pid)
		}
	}
	return pids
}

// kafkaLogDir is the local stack's Kafka log dir, <localDir>/kafka/data,
// or "" when it does not exist.
func kafkaLogDir() string {
	dir := filepath.Join(localDir(), "kafka", "data")
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return ""
	}
	return dir
}

func getenv(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

// newEnv connects to the services named by SLKC_KAFKA_BOOTSTRAP,
// SLKC_MYSQL_DSN and AWS_ENDPOINT_URL_DYNAMODB (defaults: the local stack on
// 127.0.0.1) and creates the run's database. Once that exists the env is
// returned even with an error, so the caller's close removes it.
func newEnv(ctx context.Context, runID string) (*env, error) {
	e := &env{runID: runID, bootstrap: getenv("SLKC_KAFKA_BOOTSTRAP", "127.0.0.1:9092"), kafkaDir: kafkaLogDir(), stackPids: stackPIDs()}
	for _, kv := range [][2]string{{"AWS_REGION", "us-east-1"}, {"AWS_ACCESS_KEY_ID", "local"}, {"AWS_SECRET_ACCESS_KEY", "local"},
		{"AWS_ENDPOINT_URL_DYNAMODB", "http://127.0.0.1:8000"}} {
		if os.Getenv(kv[0]) == "" {
			os.Setenv(kv[0], kv[1])
		}
	}
	base, err := gomysql.ParseDSN(getenv("SLKC_MYSQL_DSN", "slkc:slkc@tcp(127.0.0.1:3306)/"))
	if err != nil {
		return nil, fmt.Errorf("bench: parsing SLKC_MYSQL_DSN: %w", err)
	}
	e.mysqlBase = base
	e.dbName = "slkc_bench_" + strings.ReplaceAll(runID, "-", "_")
	root, err := sql.Open("mysql", base.FormatDSN())
	if err != nil {
		return nil, fmt.Errorf("bench: opening MySQL: %w", err)
	}
	defer root.Close()
	if _, err := root.ExecContext(ctx, "CREATE DATABASE "+e.dbName); err != nil {
		return nil, fmt.Errorf("bench: creating database %s: %w", e.dbName, err)
	}
	if e.db, err = sql.Open("mysql", e.DSN(true)); err != nil {
		return nil, fmt.Errorf("bench: opening database %s: %w", e.dbName, err)
	}
	// From here on e is returned with any error so close drops the database.
	e.db.SetMaxOpenConns(8)
	e.db.SetMaxIdleConns(8)

	e.adminCl, err = kgo.NewClient(kgo.SeedBrokers(e.bootstrap))
	if err != nil {
		return e, fmt.Errorf("bench: Kafka admin client: %w", err)
	}
	e.admin = kadm.NewClient(e.adminCl)

	e.ddbCount = &countingTransport{}
	e.ddb, err = newDynamo(ctx, e.ddbCount)
	if err != nil {
		return e, err
	}
	return e, nil
}

// DSN returns the go-sql-driver DSN of the run's database.
func (e *env) DSN(parseTime bool) string {
	c := e.mysqlBase.Clone()
	c.DBName = e.dbName
	c.ParseTime = parseTime
	c.Loc = time.UTC
	c.MaxAllowedPacket = 0 // ask the server
	if c.Params == nil {
		c.Params = map[string]string{}
	}
	return c.FormatDSN()
}

// newDynamo builds a DynamoDB client on the SDK's default chain (which reads
// AWS_ENDPOINT_URL_DYNAMODB) whose requests are counted by ct.
func newDynamo(ctx context.Context, ct *countingTransport) (*dynamodb.Client, error) {
	cfg, err := awsconfig.LoadDefaultConfig(ctx, awsconfig.WithRetryMaxAttempts(10),
		awsconfig.WithHTTPClient(awshttp.NewBuildableClient().WithTransportOptions(func(t *http.Transport) {
			t.MaxIdleConnsPerHost = 64
		})))
	if err != nil {
		return nil, fmt.Errorf("bench: AWS config: %w", err)
	}
	ct.base = cfg.HTTPClient
	// DynamoDB Local answers some requests with a CRC32 header the SDK
	// rejects (a warning per response); the check adds nothing here.
	return dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) {
		o.HTTPClient = ct
		o.DisableValidateResponseChecksum = true
	}), nil
}

// countingTransport counts DynamoDB requests per operation (X-Amz-Target)
// on their way to the SDK's HTTP client.
type countingTransport struct {
	base aws.HTTPClient
	mu   sync.Mutex
	ops  map[string]int
}

// Do counts and forwards.
func (c *countingTransport) Do(r *http.Request) (*http.Response, error) {
	op := r.Header.Get("X-Amz-Target")
	if i := strings.LastIndexByte(op, '.'); i >= 0 {
		op = op[i+1:]
	}
	c.mu.Lock()
	if c.ops == nil {
		c.ops = map[string]int{}
	}
	c.ops[op]++
	c.mu.Unlock()
	return c.base.Do(r)
}

// Snapshot returns a copy of the counts so far.
func (c *countingTransport) Snapshot() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]int, len(c.ops))
	for k, v := range c.ops {
		out[k] = v
	}
	return out
}

// diffCounts returns after-before per key, dropping zeros.
func diffCounts(before, after map[string]int) map[string]int {
	out := map[string]int{}
	for k, v := range after {
		if d := v - before[k]; d != 0 {
			out[k] = d
		}
	}
	return out
}

func sumCounts(m map[string]int, keys ...string) int {
	n := 0
	for _, k := range keys {
		n += m[k]
	}
	return n
}

// produceCounter counts Produce requests (API key 0) written to brokers.
type produceCounter struct {
	requests atomic.Int64
	bytes    atomic.Int64
}

// OnBrokerWrite implements kgo.HookBrokerWrite.
func (c *produceCounter) OnBrokerWrite(_ kgo.BrokerMetadata, key int16, n int, _, _ time.Duration, err error) {
	if key == 0 && err == nil {
		c.requests.Add(1)
		c.bytes.Add(int64(n))
	}
}

// newTopic creates a fresh topic of the run.
func (e *env) newTopic(ctx context.Context, name string, partitions int32) (string, error) {
	resp, err := e.admin.CreateTopic(ctx, partitions, 1, nil, name)
	if err == nil {
		err = resp.Err
	}
	if err != nil {
		return "", fmt.Errorf("bench: creating topic %s: %w", name, err)
	}
	e.mu.Lock()
	e.topics = append(e.topics, name)
	e.made++
	e.mu.Unlock()
	// A new topic's partitions need a moment to get a leader; producing
	// before that measures metadata retries, not the broker.
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := kafka.WaitTopicsReady(wctx, e.adminCl, name); err != nil {
		return "", fmt.Errorf("bench: %w", err)
	}
	return name, nil
}

// topicSeq is the number of topics made so far: a suffix no earlier
// topic name of the run has, even after dropTopic.
func (e *env) topicSeq() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.made
}

// dropTopic deletes topic now, once no figure needs it any more: the raw
// ceilings write a million records of up to a kilobyte each time, and a
// full make bench would otherwise hold tens of GB in Kafka until its end
// (beside the binlog of its MariaDB writes, which once filled the disk).
// With -keep it does nothing; a topic it fails to delete stays listed for
// close.
func (e *env) dropTopic(ctx context.Context, topic string) {
	if e.keep {
		return
	}
	resp, err := e.admin.DeleteTopics(ctx, topic)
	if err == nil {
		err = resp.Error()
	}
	if err != nil {
		progress.Warn("bench: deleting a topic no longer needed; left for the end of the run", "topic", topic, "error", err)
		return
	}
	e.mu.Lock()
	e.topics = slices.DeleteFunc(e.topics, func(t string) bool { return t == topic })
	e.mu.Unlock()
	if e.kafkaDir != "" {
		// Until the broker renames them, the next settle would write
		// the partitions' log out instead of waiting for it to go.
		waitRenamed(e.kafkaDir, topic, 30*time.Second)
	}
}

// newTable creates a DynamoDB table with a numeric hash key "id" and waits
// until it is active.
func (e *env) newTable(ctx context.Context, name string) (string, error) {
	return name, e.createTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String(name),
		BillingMode:          types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("id"), AttributeType: types.ScalarAttributeTypeN}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("id"), KeyType: types.KeyTypeHash}},
	})
}

func (e *env) createTable(ctx context.Context, in *dynamodb.CreateTableInput) error {
	if _, err := e.ddb.CreateTable(ctx, in); err != nil {
		return fmt.Errorf("bench: creating DynamoDB table %s: %w", aws.ToString(in.TableName), err)
	}
	e.mu.Lock()
	e.tables = append(e.tables, aws.ToString(in.TableName))
	e.mu.Unlock()
	w := dynamodb.NewTableExistsWaiter(e.ddb)
	if err := w.Wait(ctx, &dynamodb.DescribeTableInput{TableName: in.TableName}, time.Minute); err != nil {
		return fmt.Errorf("bench: waiting for DynamoDB table %s: %w", aws.ToString(in.TableName), err)
	}
	return nil
}

// dropMeasured drops a MySQL table of the run's database once its figure
// is taken (unless -keep). The local stack's buffer pool is 256 MB: the
// raw-upsert and sink tables of one run hold several times that, and left
// in place their dirty pages are flushed and evicted during the next
// timed runs, which then measure that flushing. A failed drop is only
// logged (close drops the database anyway).
func (e *env) dropMeasured(ctx context.Context, tables ...string) {
	if e.keep {
		return
	}
	for _, t := range tables {
		if _, err := e.db.ExecContext(ctx, "DROP TABLE IF EXISTS "+t); err != nil {
			slog.Warn("bench: dropping a measured table", "table", t, "error", err)
		}
	}
}

// trackTable records a table created elsewhere (state.CreateTables) for cleanup.
func (e *env) trackTable(name string) {
	e.mu.Lock()
	e.tables = append(e.tables, name)
	e.mu.Unlock()
}

// close removes everything the run created; errors are only reported.
func (e *env) close(ctx context.Context, keep bool) []error {
	var errs []error
	if !keep {
		if e.db != nil {
			if _, err := e.db.ExecContext(ctx, "DROP DATABASE "+e.dbName); err != nil {
				errs = append(errs, err)
			}
		}
		if len(e.topics) > 0 && e.admin != nil {
			if _, err := e.admin.DeleteTopics(ctx, e.topics...); err != nil {
				errs = append(errs, err)
			}
		}
		for _, t := range e.tables {
			if e.ddb == nil {
				break
			}
			if _, err := e.ddb.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String(t)}); err != nil {
				errs = append(errs, err)
			}
		}
	}
	if e.db != nil {
		e.db.Close()
	}
	if e.adminCl != nil {
		e.adminCl.Close()
	}
	return errs
}
