package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/serverless-kafka-connect/slkc/connectors"
	"github.com/serverless-kafka-connect/slkc/connectors/dynamodb"
	"github.com/serverless-kafka-connect/slkc/connectors/mysql"
	"github.com/serverless-kafka-connect/slkc/events"
	"github.com/serverless-kafka-connect/slkc/shared/config"
	"github.com/serverless-kafka-connect/slkc/shared/connect"
	"github.com/serverless-kafka-connect/slkc/shared/convert"
	"github.com/serverless-kafka-connect/slkc/shared/kafka"
	"github.com/serverless-kafka-connect/slkc/shared/sinktask"
	"github.com/serverless-kafka-connect/slkc/shared/sourcetask"
	"github.com/serverless-kafka-connect/slkc/shared/state"
)

// quiet discards the components' per-page/per-batch info lines so they do
// not drown the table; errors come back as return values.
var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// sourceResult is one sourcetask.Task.Run over a whole table.
type sourceResult struct {
	Records, Pages    int
	Elapsed, CPU      time.Duration
	ProduceRequests   int
	ProduceBytes      int64
	DynamoRequests    map[string]int
	StoppedByDeadline bool
}

// sourceConfig is the MySQL source config the harness runs with:
// incrementing mode on the primary key, pages of page rows.
func (e *env) sourceConfig(table, topicPrefix string, page int) (mysql.SourceConfig, error) {
	cfg, err := mysql.ParseSourceConfig(map[string]string{
		"connection.url":           e.DSN(false),
		"mode":                     "incrementing",
		"incrementing.column.name": "id",
		"table.whitelist":          table,
		"batch.max.rows":           fmt.Sprint(page),
		"topic.prefix":             topicPrefix,
	})
	if err != nil {
		return cfg, fmt.Errorf("bench: source config: %w", err)
	}
	return cfg, nil
}

// openSource opens the MySQL source on table with sourceConfig; the caller
// closes it.
func (e *env) openSource(table, topicPrefix string, page int) (*mysql.Source, error) {
	cfg, err := e.sourceConfig(table, topicPrefix, page)
	if err != nil {
		return nil, err
	}
	src, err := mysql.OpenSource(cfg)
	if err != nil {
		return nil, fmt.Errorf("bench: opening source: %w", err)
	}
	return src, nil
}

// stateTables creates the offsets, leases and status tables of one run.
func (e *env) stateTables(ctx context.Context, suffix string) (state.Tables, error) {
	t := state.Tables{
		Offsets: "slkc-bench-offsets-" + e.runID + "-" + suffix,
		Leases:  "slkc-bench-leases-" + e.runID + "-" + suffix,
		Status:  "slkc-bench-status-" + e.runID + "-" + suffix,
	}
	if err := state.CreateTables(ctx, e.ddb, t); err != nil {
		return t, fmt.Errorf("bench: creating state tables: %w", err)
	}
	e.trackTable(t.Offsets)
	e.trackTable(t.Leases)
	e.trackTable(t.Status)
	return t, nil
}

// runSource drives shared/sourcetask.Task (MySQL ReadPage -> JsonConverter
// -> produce, wait for acks -> fenced offset write) over the whole table,
// as one invocation of the source-poller would, and counts its requests.
func (e *env) runSource(ctx context.Context, d *dataset, page int, partitions int32, suffix string) (sourceResult, error) {
	prefix := "slkc-bench-" + e.runID + "-" + suffix + "-"
	topic, err := e.newTopic(ctx, prefix+d.Table, partitions)
	if err != nil {
		return sourceResult{}, err
	}
	// Nothing reads the records back: the topic goes when the run ends,
	// so that the next step neither writes its GB out (see settle) nor
	// keeps it on disk.
	defer e.dropTopic(ctx, topic)
	src, err := e.openSource(d.Table, prefix, page)
	if err != nil {
		return sourceResult{}, err
	}
	defer src.Close()
	tables, err := e.stateTables(ctx, suffix)
	if err != nil {
		return sourceResult{}, err
	}
	counting := state.NewCountingClient(e.ddb)
	pc := &produceCounter{}
	// The client the source-poller builds (shared/kafka: idempotent,
	// acks=all) with the producer settings it gets by default (compression
	// none, linger.ms 5, batch.size 1000000: see shared/config), plus the
	// request counter: the binary and this loop differ only in the process.
	_, fw, err := config.ParseConnector(map[string]string{config.KeyName: "bench-source", config.KeyConnectorClass: mysql.SourceClass, config.KeyBootstrapServers: e.bootstrap}, nil)
	if err != nil {
		return sourceResult{}, fmt.Errorf("bench: source producer defaults: %w", err)
	}
	cl, err := kafka.NewClient(ctx, kafka.Config{Bootstrap: []string{e.bootstrap}, Compression: fw.Producer.Compression,
		LingerMs: int(fw.Producer.LingerMs), BatchBytes: int(fw.Producer.BatchBytes)}, kgo.WithHooks(pc))
	if err != nil {
		return sourceResult{}, fmt.Errorf("bench: source producer: %w", err)
	}
	defer cl.Close()
	keyConv, valConv, err := jsonConverters()
	if err != nil {
		return sourceResult{}, err
	}
	task := &sourcetask.Task{
		Name: "bench-source-" + suffix, Source: src, Producer: cl, KeyConv: keyConv, ValueConv: valConv,
		Offsets: state.NewOffsetStore(counting, tables.Offsets), Leases: state.NewLeaseStore(counting, tables.Leases),
		Status: state.NewStatusStore(counting, tables.Status), WorkerID: "bench", Logger: quiet,
	}
	// A deadline far enough for the whole table; the task keeps its margin.
	rctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	cpu0 := cpuTime()
	start := time.Now()
	res, err := task.Run(rctx, "bench-"+suffix)
	el := time.Since(start)
	cpu := cpuTime() - cpu0
	if err != nil {
		return sourceResult{}, fmt.Errorf("bench: source run over %s: %w", d.Table, err)
	}
	return sourceResult{Records: res.Records, Pages: res.Pages, Elapsed: el, CPU: cpu,
		ProduceRequests: int(pc.requests.Load()), ProduceBytes: pc.bytes.Load(),
		DynamoRequests: counting.Counts(), StoppedByDeadline: res.StoppedByDeadline}, nil
}

// jsonConverters returns the key and value JsonConverters with
// schemas.enable=true, the source-poller's and sink-handler's defaults.
func jsonConverters() (key, value convert.Converter, err error) {
	props := map[string]string{"schemas.enable": "true"}
	if key, err = convert.New(convert.JSONConverterClass, props, true); err != nil {
		return nil, nil, fmt.Errorf("bench: key converter: %w", err)
	}
	if value, err = convert.New(convert.JSONConverterClass, props, false); err != nil {
		return nil, nil, fmt.Errorf("bench: value converter: %w", err)
	}
	return key, value, nil
}

// sinkData is the same rows as the sink receives them: converted to JSON by
// the source's converter and back by the sink's, so schemas and logical
// types are exactly what a sink decodes from Kafka.
type sinkData struct {
	Records []connect.Record
	Values  [][]byte // the JSON values, for Kafka events
	Keys    [][]byte // the JSON keys, as the source produces them
}

// recordShape is the mean JsonConverter key and value sizes of a data
// set's records, as the source produces them.
type recordShape struct{ Key, Value float64 }

// shape is the mean key and value sizes of sd's records.
func (sd sinkData) shape() recordShape {
	return recordShape{Key: meanSize(sd.Keys), Value: meanSize(sd.Values)}
}

// sinkRecords reads the first n rows through the MySQL source and round-trips
// them through JsonConverter (schemas.enable=true).
func (e *env) sinkRecords(ctx context.Context, d *dataset, n int, topic string) (sinkData, error) {
	src, err := e.openSource(d.Table, "unused-", 10000)
	if err != nil {
		return sinkData{}, err
	}
	defer src.Close()
	keyConv, conv, err := jsonConverters()
	if err != nil {
		return sinkData{}, err
	}
	part := mysql.TablePartition(e.dbName, d.Table)
	var out sinkData
	var pos connectors.Position
	for len(out.Records) < n {
		pg, err := src.ReadPage(ctx, part, pos)
		if err != nil {
			return sinkData{}, fmt.Errorf("bench: reading sink data from %s: %w", d.Table, err)
		}
		for _, r := range pg.Records {
			if len(out.Records) == n {
				break
			}
			b, err := conv.FromConnect(topic, r.ValueSchema, r.Value)
			if err != nil {
				return sinkData{}, fmt.Errorf("bench: encoding sink data: %w", err)
			}
			s, v, err := conv.ToConnect(topic, b)
			if err != nil {
				return sinkData{}, fmt.Errorf("bench: decoding sink data: %w", err)
			}
			k, err := keyConv.FromConnect(topic, r.KeySchema, r.Key)
			if err != nil {
				return sinkData{}, fmt.Errorf("bench: encoding sink data keys: %w", err)
			}
			out.Values, out.Keys = append(out.Values, b), append(out.Keys, k)
			out.Records = append(out.Records, connect.Record{Topic: topic, Partition: 0, Offset: int64(len(out.Records)),
				Timestamp: r.Timestamp, ValueSchema: s, Value: v})
		}
		pos = pg.Next
		if !pg.More {
			break
		}
	}
	if len(out.Records) < n {
		return out, fmt.Errorf("bench: table %s has %d rows, want %d for the sink", d.Table, len(out.Records), n)
	}
	return out, nil
}

// writeBatches calls dst.Write with batches of batch records.
func writeBatches(ctx context.Context, dst connectors.Destination, recs []connect.Record, batch int, ct *countingTransport) (writeResult, error) {
	var before map[string]int
	if ct != nil {
		before = ct.Snapshot()
	}
	var res writeResult
	cpu0 := cpuTime()
	start := time.Now()
	for lo := 0; lo < len(recs); lo += batch {
		part := recs[lo:min(lo+batch, len(recs))]
		if err := dst.Write(ctx, part); err != nil {
			return res, fmt.Errorf("bench: sink write of records %d..%d: %w", lo, lo+len(part), err)
		}
		res.Batches++
		res.Records += len(part)
	}
	res.Elapsed = time.Since(start)
	res.CPU = cpuTime() - cpu0
	if ct != nil {
		res.Requests = diffCounts(before, ct.Snapshot())
	}
	return res, nil
}

// mysqlSinkProps is the MySQL sink config: upsert keyed by the value's id.
func (e *env) mysqlSinkProps(topic, table string) map[string]string {
	return map[string]string{
		"connection.url": e.DSN(false), "topics": topic, "insert.mode": "upsert",
		"pk.mode": "record_value", "pk.fields": "id", "table.name.format": table,
	}
}

// mysqlSink opens connectors/mysql's sink writing topic into table.
func (e *env) mysqlSink(topic, table string) (*mysql.Sink, error) {
	cfg, err := mysql.ParseSinkConfig(e.mysqlSinkProps(topic, table))
	if err != nil {
		return nil, fmt.Errorf("bench: MySQL sink config: %w", err)
	}
	s, err := mysql.OpenSink(cfg)
	if err != nil {
		return nil, fmt.Errorf("bench: opening MySQL sink: %w", err)
	}
	return s, nil
}

// freshMySQLSink creates table with the data sets' schema (tableDDL) and
// opens the MySQL sink on it; the caller closes the sink.
func (e *env) freshMySQLSink(ctx context.Context, topic, table string) (*mysql.Sink, error) {
	if _, err := e.db.ExecContext(ctx, fmt.Sprintf(tableDDL, table)); err != nil {
		return nil, fmt.Errorf("bench: creating %s: %w", table, err)
	}
	return e.mysqlSink(topic, table)
}

// dynamoSinkProps is the DynamoDB sink config: put mode, hash key value.id.
func dynamoSinkProps(topic, table string) map[string]string {
	return map[string]string{
		"topics": topic, "table.name.format": table, "aws.dynamodb.pk.hash": "value.id", "aws.dynamodb.pk.sort": "",
	}
}

// dynamoSink builds connectors/dynamodb's sink on the counting client.
func (e *env) dynamoSink(topic, table string) (*dynamodb.Sink, error) {
	cfg, err := dynamodb.ParseConfig(dynamoSinkProps(topic, table))
	if err != nil {
		return nil, fmt.Errorf("bench: DynamoDB sink config: %w", err)
	}
	s, err := dynamodb.NewSink(cfg, e.ddb)
	if err != nil {
		return nil, fmt.Errorf("bench: DynamoDB sink: %w", err)
	}
	return s, nil
}

// pageTimes reads pages pages of page rows starting after each of the given
// ids with ReadPage alone (no produce), returning the mean time per page
// for each start.
func (e *env) pageTimes(ctx context.Context, table string, page, pages int, starts []int64) ([]time.Duration, error) {
	src, err := e.openSource(table, "unused-", page)
	if err != nil {
		return nil, err
	}
	defer src.Close()
	part := mysql.TablePartition(e.dbName, table)
	// Warm up: metadata and prepared statements.
	if _, err := src.ReadPage(ctx, part, nil); err != nil {
		return nil, fmt.Errorf("bench: reading %s: %w", table, err)
	}
	var out []time.Duration
	for _, s := range starts {
		var pos connectors.Position
		if s > 0 {
			id := s
			pos = mysql.SourcePosition{Incrementing: &id}.Encode()
		}
		start := time.Now()
		n := 0
		for i := 0; i < pages; i++ {
			pg, err := src.ReadPage(ctx, part, pos)
			if err != nil {
				return nil, fmt.Errorf("bench: reading %s after %d: %w", table, s, err)
			}
			n++
			pos = pg.Next
			if !pg.More {
				break
			}
		}
		out = append(out, time.Since(start)/time.Duration(n))
	}
	return out, nil
}

// handleResult is the sink-handler's in-process path over a set of events.
type handleResult struct {
	Records, Events int
	Elapsed, CPU    time.Duration
}

// runHandle times what sink-handler does per invocation, in this process:
// decode the event JSON (aws-lambda-go does that in the function), then
// shared/sinktask.Task.Handle (base64, JsonConverter, Destination.Write,
// partial batch response) into dst. Status writes are off (nil store).
func runHandle(ctx context.Context, dst connectors.Destination, payloads [][]byte, records int) (handleResult, error) {
	keyConv, valConv, err := jsonConverters()
	if err != nil {
		return handleResult{}, err
	}
	task := &sinktask.Task{Name: "bench-handle", Destination: dst, KeyConverter: keyConv, ValueConverter: valConv,
		ReportBatchItemFailures: true, Logger: quiet}
	if err := task.Validate(); err != nil {
		return handleResult{}, fmt.Errorf("bench: sink task: %w", err)
	}
	cpu0 := cpuTime()
	start := time.Now()
	for i, p := range payloads {
		// Invoke is what the function's runtime calls: raw payload in,
		// partial batch response out.
		out, err := task.Invoke(ctx, p)
		if err != nil {
			return handleResult{}, fmt.Errorf("bench: Invoke of event %d: %w", i, err)
		}
		var resp events.KafkaBatchResponse
		if err := json.Unmarshal(out, &resp); err != nil {
			return handleResult{}, fmt.Errorf("bench: response of event %d: %w", i, err)
		}
		if len(resp.BatchItemFailures) > 0 {
			return handleResult{}, fmt.Errorf("bench: Handle of event %d reported %d failures", i, len(resp.BatchItemFailures))
		}
	}
	return handleResult{Records: records, Events: len(payloads), Elapsed: time.Since(start), CPU: cpuTime() - cpu0}, nil
}
