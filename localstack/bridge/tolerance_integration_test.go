package bridge

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/serverless-kafka-connect/slkc/localstack/runtime"
	"github.com/serverless-kafka-connect/slkc/shared/state"
	"github.com/serverless-kafka-connect/slkc/shared/testenv"
)

// TestToleranceNoneStopsPartition runs the real sink-handler (MySQL sink,
// errors.tolerance=none, partial batch response) behind the bridge with the
// mapping errors.tolerance=none deploys: retries -1, no record age, no
// on-failure destination. A record the converter cannot read stops its
// partition on that record: the bridge retries it for ever (with bounded
// backoff), never commits past it, discards nothing, while the other
// partition is written and committed; the connector's status is FAILED with
// the record named and the trace kept.
func TestToleranceNoneStopsPartition(t *testing.T) {
	env := testenv.New(t)
	topic := env.Topic(t, 2)
	db, dbName := env.MySQLDatabase(t)
	statusTable := env.DynamoTable(t, state.StatusTableInput("x"))
	bin := testenv.BuildFunctions(t, "", "sink-handler")

	const name = "none-sink"
	cfg, err := json.Marshal(map[string]any{"name": name, "config": map[string]string{
		"connector.class":   "io.slkc.connect.mysql.MySqlSinkConnector",
		"topics":            topic,
		"bootstrap.servers": env.Bootstrap(),
		"connection.url":    env.MySQLDSN(dbName),
		"table.name.format": "orders",
		"auto.create":       "true",
		"pk.mode":           "kafka",
		"key.converter":     "org.apache.kafka.connect.storage.StringConverter",
		"value.converter":   "org.apache.kafka.connect.json.JsonConverter",
		"errors.tolerance":  "none",
	}})
	if err != nil {
		t.Fatal(err)
	}
	fnEnv := map[string]string{"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local", "AWS_REGION": env.Region(),
		"SLKC_STATUS_TABLE": statusTable, "SLKC_CONNECTOR_CONFIG": string(cfg)}
	if ep := env.DynamoEndpoint(); ep != "" {
		fnEnv["AWS_ENDPOINT_URL_DYNAMODB"] = ep
	}
	_, client := startRunner(t, runtime.FunctionSpec{Name: name, Bootstrap: bin + "/sink-handler/bootstrap", Timeout: 30 * time.Second, Env: fnEnv})

	// Partition 0: offsets 0..4 with a poison value at 2; partition 1: 0..4, all good.
	value := func(n int) []byte {
		return fmt.Appendf(nil, `{"schema":{"type":"struct","fields":[{"field":"n","type":"int32"}]},"payload":{"n":%d}}`, n)
	}
	var recs []*kgo.Record
	for p := int32(0); p < 2; p++ {
		for i := range 5 {
			v := value(int(p)*100 + i)
			if p == 0 && i == 2 {
				v = []byte("this is not JSON")
			}
			recs = append(recs, &kgo.Record{Topic: topic, Partition: p, Key: fmt.Appendf(nil, "k%d", i), Value: v})
		}
	}
	if err := env.Kafka(t, kgo.RecordPartitioner(kgo.ManualPartitioner())).ProduceSync(context.Background(), recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}

	m := Mapping{FunctionName: name, Topics: []string{topic}, Bootstrap: env.Bootstrap(),
		ConsumerGroup: testenv.UniqueName(t, "g", 100), BatchSize: 100, MaximumRetryAttempts: -1,
		ReportBatchItemFailures: true, Concurrency: 2,
		RetryBackoff: 20 * time.Millisecond, MaxRetryBackoff: 200 * time.Millisecond}
	b, stop := runBridge(t, m, client)
	adm := env.KafkaAdmin(t)
	waitFor(t, "partition 1 committed to 5", func() bool { return committedAt(t, adm, m.ConsumerGroup, topic, 1) == 5 })
	waitFor(t, "partition 0 committed up to the poison record", func() bool { return committedAt(t, adm, m.ConsumerGroup, topic, 0) == 2 })
	// It keeps retrying (the backoff is bounded) and never moves past it.
	retries := b.Stats().Retries
	waitFor(t, "five more retries of the poison record", func() bool { return b.Stats().Retries >= retries+5 })
	if got := committedAt(t, adm, m.ConsumerGroup, topic, 0); got != 2 {
		t.Fatalf("partition 0 committed to %d, want 2 (the poison record's offset)", got)
	}
	stop()
	if s := b.Stats(); s.Failed != 0 {
		t.Errorf("%d records discarded or sent to an on-failure destination, want 0", s.Failed)
	}

	// Partition 0 stops before the poison record; partition 1 is all there.
	rows, err := db.Query("SELECT __connect_partition, __connect_offset FROM orders ORDER BY 1, 2")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		var p, o int
		if err := rows.Scan(&p, &o); err != nil {
			t.Fatal(err)
		}
		got = append(got, fmt.Sprintf("%d@%d", p, o))
	}
	if want := "0@0 0@1 1@0 1@1 1@2 1@3 1@4"; strings.Join(got, " ") != want {
		t.Errorf("rows %v, want %s", got, want)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	sts, err := state.NewStatusStore(env.Dynamo(t), statusTable).Get(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	poison := fmt.Sprintf("%s/0@2", topic)
	found := false
	for _, st := range sts {
		if st.State == state.StateFailed && st.LastError != nil && strings.Contains(st.LastError.Message, poison) && st.LastError.Trace != "" {
			found = true
		}
	}
	if !found {
		t.Errorf("status %+v: want FAILED naming %s with a trace", sts, poison)
	}
}
