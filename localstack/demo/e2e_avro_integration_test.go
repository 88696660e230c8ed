package demo

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sr"

	avroharness "github.com/serverless-kafka-connect/slkc/localstack/harness/avro"
	"github.com/serverless-kafka-connect/slkc/shared/state"
	"github.com/serverless-kafka-connect/slkc/shared/testenv"
)

// TestEndToEndAvroThroughTheRunner is the demo with Avro end to end
// (connectors/pipeline-avro): the source writes Confluent's Avro wire format
// under schemas it registers in the real registry, both sinks read it, and
// the MySQL replica and the DynamoDB table converge to the source row by row.
func TestEndToEndAvroThroughTheRunner(t *testing.T) {
	url := testenv.SchemaRegistry(t)
	c, p := e2eSetupFrom(t, "pipeline-avro", map[string]string{"SLKC_SCHEMA_REGISTRY_URL": url})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	c.Rows, c.Rounds, c.UpdatesPerRound, c.InsertsPerRound, c.RoundEvery = 200, 2, 10, 5, time.Second
	sum, err := Run(ctx, c)
	if err != nil {
		t.Fatalf("demo run: %v", err)
	}
	if !sum.OK() || sum.Final.SourceRows != 210 || sum.Final.ReplicaRows != 210 || sum.Final.DynamoItems != 210 {
		t.Errorf("final state %+v, ok %v; want 210 rows everywhere", sum.Final, sum.OK())
	}

	// The topic holds Avro in Confluent's wire format, under the subjects
	// of TopicNameStrategy.
	cl := testenv.New(t).Kafka(t, kgo.ConsumeTopics(p.Source.Topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	fctx, fcancel := context.WithTimeout(ctx, 30*time.Second)
	defer fcancel()
	fs := cl.PollRecords(fctx, 1)
	if err := fs.Err0(); err != nil {
		t.Fatal(err)
	}
	rec := fs.Records()[0]
	for what, b := range map[string][]byte{"key": rec.Key, "value": rec.Value} {
		if len(b) < 5 || b[0] != 0 {
			t.Fatalf("record %s %x is not in Confluent's wire format", what, b)
		}
	}
	client, err := sr.NewClient(sr.URLs(url))
	if err != nil {
		t.Fatal(err)
	}
	for _, subject := range []string{p.Source.Topic + "-key", p.Source.Topic + "-value"} {
		got, err := client.SchemaByVersion(ctx, subject, -1)
		if err != nil {
			t.Fatalf("subject %s: %v", subject, err)
		}
		if id := int(binary.BigEndian.Uint32(rec.Value[1:5])); strings.HasSuffix(subject, "-value") && got.ID != id {
			t.Errorf("value carries schema id %d, the subject's latest is %d", id, got.ID)
		}
	}
}

// TestSinkReadsJavaAvroProducer: a plain Java application produces Avro
// records with Apicurio's serializer (Confluent wire format, a schema
// without any connect.* property, logical types); the real sink-handler,
// run by the local runner from Kafka, writes them into MySQL with
// auto.create, and every value arrives exactly.
func TestSinkReadsJavaAvroProducer(t *testing.T) {
	url := testenv.SchemaRegistry(t)
	env := testenv.New(t)
	topic := env.Topic(t, 1)
	db, dbName := env.MySQLDatabase(t)
	h := avroharness.Start(t, url)

	const schema = `{"type":"record","name":"Payment","namespace":"com.acme","fields":[
		{"name":"id","type":"long"},
		{"name":"customer","type":"string"},
		{"name":"amount","type":{"type":"bytes","logicalType":"decimal","precision":10,"scale":2}},
		{"name":"paid_at","type":{"type":"long","logicalType":"timestamp-millis"}},
		{"name":"note","type":["null","string"],"default":null}]}`
	const n = 25
	var records []string
	for i := 1; i <= n; i++ {
		// Avro's JSON encoding: bytes as ISO-8859-1 text, unions wrapped.
		unscaled := int64(i*100 + 5) // i.05
		note := `null`
		if i%2 == 0 {
			note = fmt.Sprintf(`{"string":"note %d ✓"}`, i)
		}
		records = append(records, fmt.Sprintf(`{"id":%d,"customer":"c%d","amount":%s,"paid_at":%d,"note":%s}`,
			i, i, isoBytes(unscaled), 1700000000000+int64(i)*1000, note))
	}
	start := time.Now()
	h.Produce(t, env.Bootstrap(), topic, schema, records...)
	t.Logf("Java produced %d records in %v", n, time.Since(start))

	buildDir, runner := binaries(t)
	pipeline := t.TempDir()
	sink := map[string]any{"name": "java-avro-sink-" + strings.ReplaceAll(topic, "_", "-"), "config": map[string]string{
		"connector.class":                     "io.confluent.connect.jdbc.JdbcSinkConnector",
		"topics":                              topic,
		"connection.url":                      "${env:SLKC_DEMO_MYSQL_URL}",
		"connection.user":                     "${secretsmanager:slkc/demo/mysql:username}",
		"connection.password":                 "${secretsmanager:slkc/demo/mysql:password}",
		"table.name.format":                   "payments",
		"insert.mode":                         "upsert",
		"pk.mode":                             "record_value",
		"pk.fields":                           "id",
		"auto.create":                         "true",
		"bootstrap.servers":                   "${env:SLKC_KAFKA_BOOTSTRAP}",
		"value.converter":                     "io.confluent.connect.avro.AvroConverter",
		"value.converter.schema.registry.url": "${env:SLKC_SCHEMA_REGISTRY_URL}",
		"aws.lambda.starting.position":        "TRIM_HORIZON",
	}}
	b, _ := json.MarshalIndent(sink, "", "  ")
	if err := os.WriteFile(filepath.Join(pipeline, "sink.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	fnEnv, err := MySQLEnv(env.MySQLDSN(""), dbName)
	if err != nil {
		t.Fatal(err)
	}
	secrets, err := MySQLSecrets(env.MySQLDSN(""))
	if err != nil {
		t.Fatal(err)
	}
	fnEnv["SLKC_KAFKA_BOOTSTRAP"] = env.Bootstrap()
	fnEnv["SLKC_SCHEMA_REGISTRY_URL"] = url
	fnEnv["SLKC_STATUS_TABLE"] = env.DynamoTable(t, state.StatusTableInput("x"))
	fnEnv["SLKC_OFFSETS_TABLE"] = env.DynamoTable(t, state.OffsetsTableInput("x"))
	fnEnv["SLKC_LEASES_TABLE"] = env.DynamoTable(t, state.LeasesTableInput("x"))
	if ep := env.DynamoEndpoint(); ep != "" {
		fnEnv["AWS_ENDPOINT_URL_DYNAMODB"] = ep
		fnEnv["AWS_ACCESS_KEY_ID"], fnEnv["AWS_SECRET_ACCESS_KEY"] = "local", "local"
	}
	work := t.TempDir()
	envFile, secretsFile, logPath := filepath.Join(work, "env"), filepath.Join(work, "secrets.json"), filepath.Join(work, "runner.log")
	if err := WriteEnvFile(envFile, fnEnv); err != nil {
		t.Fatal(err)
	}
	if err := WriteSecretsFile(secretsFile, secrets); err != nil {
		t.Fatal(err)
	}
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	r, err := StartRunner(ctx, RunnerOptions{Binary: runner, PipelineDir: pipeline, BuildDir: buildDir, EnvFile: envFile, SecretsFile: secretsFile, Log: logFile})
	if err != nil {
		t.Fatalf("%v\n%s", err, tailFile(logPath, 20))
	}
	defer func() {
		if err := r.Stop(20 * time.Second); err != nil {
			t.Error(err)
		}
	}()

	t.Logf("runner started after %v", time.Since(start))
	var count int
	for deadline := time.Now().Add(2 * time.Minute); ; time.Sleep(500 * time.Millisecond) {
		err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM payments").Scan(&count)
		if err == nil && count == n {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("payments has %d rows (%v), want %d\n%s", count, err, n, tailFile(logPath, 30))
		}
	}
	t.Logf("sink wrote %d rows after %v", n, time.Since(start))
	rows, err := db.QueryContext(ctx, "SELECT id, customer, CAST(amount AS CHAR), paid_at, note FROM payments ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	i := 0
	for rows.Next() {
		i++
		var (
			id            int64
			customer, amt string
			paidAt        time.Time
			note          *string
		)
		if err := rows.Scan(&id, &customer, &amt, &paidAt, &note); err != nil {
			t.Fatal(err)
		}
		wantNote := ""
		if i%2 == 0 {
			wantNote = fmt.Sprintf("note %d ✓", i)
		}
		gotNote := ""
		if note != nil {
			gotNote = *note
		}
		want := fmt.Sprintf("%d c%d %d.05 %d %q", i, i, i, 1700000000000+int64(i)*1000, wantNote)
		got := fmt.Sprintf("%d %s %s %d %q", id, customer, amt, paidAt.UnixMilli(), gotNote)
		if got != want {
			t.Errorf("row %d: got %s, want %s", i, got, want)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
}

// isoBytes writes the big-endian two's-complement bytes of a small
// positive n as Avro's JSON encoding has bytes: a string of code points
// 0-255.
func isoBytes(n int64) string {
	var b []byte
	for v := n; v > 0; v >>= 8 {
		b = append([]byte{byte(v)}, b...)
	}
	if len(b) == 0 || b[0]&0x80 != 0 {
		b = append([]byte{0}, b...)
	}
	r := make([]rune, len(b))
	for i, c := range b {
		r[i] = rune(c)
	}
	s, _ := json.Marshal(string(r))
	return string(s)
}
