package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/twmb/franz-go/pkg/kgo"
)

// scanResult is the raw SELECT ceiling.
type scanResult struct {
	Rows    int
	Bytes   int64
	Elapsed time.Duration
}

// scanCeiling streams the whole table with go-sql-driver into RawBytes
// (no conversion), recording each row's wire size in d.Sizes.
func scanCeiling(ctx context.Context, db *sql.DB, d *dataset) (scanResult, error) {
	start := time.Now()
	rs, err := db.QueryContext(ctx, "SELECT id, ts, cust, amount, name, note FROM "+d.Table)
	if err != nil {
		return scanResult{}, fmt.Errorf("bench: scanning %s: %w", d.Table, err)
	}
	defer rs.Close()
	raw := make([]sql.RawBytes, 6)
	ptrs := make([]any, 6)
	for i := range raw {
		ptrs[i] = &raw[i]
	}
	d.Sizes = d.Sizes[:0]
	var res scanResult
	for rs.Next() {
		if err := rs.Scan(ptrs...); err != nil {
			return res, fmt.Errorf("bench: scanning %s: %w", d.Table, err)
		}
		n := 0
		for _, b := range raw {
			n += len(b)
		}
		d.Sizes = append(d.Sizes, int32(n))
		res.Bytes += int64(n)
		res.Rows++
	}
	if err := rs.Err(); err != nil {
		return res, fmt.Errorf("bench: scanning %s: %w", d.Table, err)
	}
	res.Elapsed = time.Since(start)
	if res.Rows > 0 {
		d.MeanBytes = float64(res.Bytes) / float64(res.Rows)
	}
	return res, nil
}

// produceResult is a raw produce run.
type produceResult struct {
	Records, Requests int
	Bytes             int64
	Elapsed           time.Duration
}

// produceCeiling produces len(sizes) records with values of the given sizes
// (random bytes) to topic with a plain franz-go client: idempotent, acks=all
// (franz-go's defaults), async with the default buffering, then Flush.
func produceCeiling(ctx context.Context, bootstrap, topic string, sizes []int32) (produceResult, error) {
	pc := &produceCounter{}
	// No compression, as shared/kafka's clients (Kafka's default
	// compression.type=none); the payload is random bytes anyway.
	cl, err := kgo.NewClient(kgo.SeedBrokers(bootstrap), kgo.DefaultProduceTopic(topic), kgo.WithHooks(pc),
		kgo.RequiredAcks(kgo.AllISRAcks()), kgo.ProducerBatchCompression(kgo.NoCompression()))
	if err != nil {
		return produceResult{}, fmt.Errorf("bench: producer for %s: %w", topic, err)
	}
	defer cl.Close()
	maxSize := int32(1)
	for _, s := range sizes {
		maxSize = max(maxSize, s)
	}
	payload := make([]byte, maxSize)
	_, _ = rand.Read(payload)
	// Connect and load metadata before the clock starts.
	if err := cl.ProduceSync(ctx, &kgo.Record{Value: []byte("warm-up")}).FirstErr(); err != nil {
		return produceResult{}, fmt.Errorf("bench: warm-up produce to %s: %w", topic, err)
	}
	pc.requests.Store(0)
	var firstErr atomic.Pointer[error]
	var wg sync.WaitGroup
	start := time.Now()
	var total int64
	for _, s := range sizes {
		total += int64(s)
		wg.Add(1)
		cl.Produce(ctx, &kgo.Record{Value: payload[:s]}, func(_ *kgo.Record, err error) {
			if err != nil {
				firstErr.CompareAndSwap(nil, &err)
			}
			wg.Done()
		})
	}
	if err := cl.Flush(ctx); err != nil {
		return produceResult{}, fmt.Errorf("bench: flushing to %s: %w", topic, err)
	}
	wg.Wait()
	el := time.Since(start)
	if p := firstErr.Load(); p != nil {
		return produceResult{}, fmt.Errorf("bench: producing to %s: %w", topic, *p)
	}
	return produceResult{Records: len(sizes), Requests: int(pc.requests.Load()), Bytes: total, Elapsed: el}, nil
}

// writeResult is a batch-write run (raw ceiling or our sink).
type writeResult struct {
	Records int
	Batches int
	Elapsed time.Duration
	// Requests counts DynamoDB requests by operation (DynamoDB only).
	Requests map[string]int
	CPU      time.Duration
}

// upsertCeiling writes rows into table in transactions of batch rows, each
// made of multi-row INSERT ... ON DUPLICATE KEY UPDATE statements of at most
// stmtRows rows (prepared, binary protocol).
func upsertCeiling(ctx context.Context, db *sql.DB, table string, rows []row, batch, stmtRows int) (writeResult, error) {
	stmtFor := func(n int) string {
		var b strings.Builder
		b.WriteString("INSERT INTO " + table + " (id, ts, cust, amount, name, note) VALUES ")
		for i := 0; i < n; i++ {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString("(?,?,?,?,?,?)")
		}
		b.WriteString(" ON DUPLICATE KEY UPDATE ts=VALUES(ts), cust=VALUES(cust), amount=VALUES(amount), name=VALUES(name), note=VALUES(note)")
		return b.String()
	}
	var res writeResult
	cpu0 := cpuTime()
	start := time.Now()
	args := make([]any, 0, batch*6)
	for lo := 0; lo < len(rows); lo += batch {
		part := rows[lo:min(lo+batch, len(rows))]
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return res, fmt.Errorf("bench: upsert into %s: begin: %w", table, err)
		}
		for so := 0; so < len(part); so += stmtRows {
			sp := part[so:min(so+stmtRows, len(part))]
			args = args[:0]
			for _, r := range sp {
				args = append(args, r.ID, r.TS, r.Cust, r.Amount, r.Name, r.Note)
			}
			if _, err := tx.ExecContext(ctx, stmtFor(len(sp)), args...); err != nil {
				_ = tx.Rollback()
				return res, fmt.Errorf("bench: upsert into %s, rows %d..%d: %w", table, lo+so, lo+so+len(sp), err)
			}
		}
		if err := tx.Commit(); err != nil {
			return res, fmt.Errorf("bench: upsert into %s: commit: %w", table, err)
		}
		res.Batches++
		res.Records += len(part)
	}
	res.Elapsed = time.Since(start)
	res.CPU = cpuTime() - cpu0
	return res, nil
}

// item is the DynamoDB item of a row, marshalled by hand (no reflection).
func item(r row) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		"id":     &types.AttributeValueMemberN{Value: strconv.FormatInt(r.ID, 10)},
		"ts":     &types.AttributeValueMemberN{Value: strconv.FormatInt(r.TS.UnixMilli(), 10)},
		"cust":   &types.AttributeValueMemberN{Value: strconv.FormatInt(int64(r.Cust), 10)},
		"amount": &types.AttributeValueMemberN{Value: r.Amount},
		"name":   &types.AttributeValueMemberS{Value: r.Name},
		"note":   &types.AttributeValueMemberS{Value: r.Note},
	}
}

// batchWriteCeiling writes rows as items with BatchWriteItem, 25 per
// request, workers requests in flight, retrying unprocessed items. The
// requests are built before the clock starts: the ceiling is the service's
// rate, not marshalling.
func batchWriteCeiling(ctx context.Context, client *dynamodb.Client, ct *countingTransport, table string, rows []row, workers int) (writeResult, error) {
	var all [][]types.WriteRequest
	for lo := 0; lo < len(rows); lo += 25 {
		part := rows[lo:min(lo+25, len(rows))]
		wr := make([]types.WriteRequest, len(part))
		for i, r := range part {
			wr[i] = types.WriteRequest{PutRequest: &types.PutRequest{Item: item(r)}}
		}
		all = append(all, wr)
	}
	reqs := make(chan []types.WriteRequest, len(all))
	for _, wr := range all {
		reqs <- wr
	}
	close(reqs)
	var firstErr atomic.Pointer[error]
	var wg sync.WaitGroup
	before := ct.Snapshot()
	cpu0 := cpuTime()
	start := time.Now()
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for wr := range reqs {
				for attempt := 0; len(wr) > 0; attempt++ {
					out, err := client.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{table: wr}})
					if err == nil && attempt > 20 {
						err = errors.New("unprocessed items after 20 attempts")
					}
					if err != nil {
						firstErr.CompareAndSwap(nil, &err)
						break
					}
					wr = out.UnprocessedItems[table]
					if len(wr) > 0 {
						time.Sleep(time.Duration(attempt+1) * 10 * time.Millisecond)
					}
				}
			}
		}()
	}
	wg.Wait()
	if p := firstErr.Load(); p != nil {
		return writeResult{}, fmt.Errorf("bench: BatchWriteItem into %s: %w", table, *p)
	}
	return writeResult{Records: len(rows), Batches: len(all), Elapsed: time.Since(start), CPU: cpuTime() - cpu0,
		Requests: diffCounts(before, ct.Snapshot())}, nil
}
