package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
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

// scanTable streams the whole of table with go-sql-driver into RawBytes
// (no conversion) and hands each row to each, whose slices are valid until
// it returns.
func scanTable(ctx context.Context, db *sql.DB, table string, each func(raw []sql.RawBytes)) error {
	rs, err := db.QueryContext(ctx, "SELECT id, ts, cust, amount, name, note FROM "+table)
	if err != nil {
		return fmt.Errorf("bench: scanning %s: %w", table, err)
	}
	defer rs.Close()
	raw := make([]sql.RawBytes, 6)
	ptrs := make([]any, 6)
	for i := range raw {
		ptrs[i] = &raw[i]
	}
	for rs.Next() {
		if err := rs.Scan(ptrs...); err != nil {
			return fmt.Errorf("bench: scanning %s: %w", table, err)
		}
		each(raw)
	}
	if err := rs.Err(); err != nil {
		return fmt.Errorf("bench: scanning %s: %w", table, err)
	}
	return nil
}

// scanCeiling streams the whole table with scanTable, recording each row's
// wire size in d.Sizes.
func scanCeiling(ctx context.Context, db *sql.DB, d *dataset) (scanResult, error) {
	start := time.Now()
	d.Sizes = d.Sizes[:0]
	var res scanResult
	err := scanTable(ctx, db, d.Table, func(raw []sql.RawBytes) {
		n := 0
		for _, b := range raw {
			n += len(b)
		}
		d.Sizes = append(d.Sizes, int32(n))
		res.Bytes += int64(n)
		res.Rows++
	})
	if err != nil {
		return res, err
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

// rawProducer is the plain franz-go producer of the produce ceilings:
// idempotent, acks=all (franz-go's defaults), async with the default
// buffering and batches of up to about 1 MB (franz-go's default
// ProducerBatchMaxBytes), no compression, values cut from one buffer of
// random bytes. With a key size, every record has a key of its own of
// that size, so records spread over the partitions by the hash of their
// keys as a source's keyed records do; without, records have no key and
// franz-go's sticky partitioner fills one partition's batch at a time.
type rawProducer struct {
	cl       *kgo.Client
	pc       *produceCounter
	topic    string
	payload  []byte
	keySize  int32
	keys     []byte // the free end of the block keys are cut from
	firstErr atomic.Pointer[error]
	wg       sync.WaitGroup
	res      produceResult
}

// newRawProducer connects to bootstrap and loads topic's metadata with one
// record, so the clock a caller starts after it measures produce only;
// values are at most maxSize bytes, and keys keySize bytes (0: no keys).
// opts come after the defaults (a batch size, say).
func newRawProducer(ctx context.Context, bootstrap, topic string, maxSize, keySize int32, opts ...kgo.Opt) (*rawProducer, error) {
	pc := &produceCounter{}
	// No compression, as shared/kafka's clients (Kafka's default
	// compression.type=none); the payload is random bytes anyway.
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(bootstrap), kgo.DefaultProduceTopic(topic), kgo.WithHooks(pc),
		kgo.RequiredAcks(kgo.AllISRAcks()), kgo.ProducerBatchCompression(kgo.NoCompression())}, opts...)...)
	if err != nil {
		return nil, fmt.Errorf("bench: producer for %s: %w", topic, err)
	}
	if err := cl.ProduceSync(ctx, &kgo.Record{Value: []byte("warm-up")}).FirstErr(); err != nil {
		cl.Close()
		return nil, fmt.Errorf("bench: warm-up produce to %s: %w", topic, err)
	}
	pc.requests.Store(0)
	p := &rawProducer{cl: cl, pc: pc, topic: topic, payload: make([]byte, max(maxSize, keySize, 1)), keySize: max(keySize, 0)}
	_, _ = rand.Read(p.payload)
	return p, nil
}

// keyBlock is the size of the blocks keys are cut from.
const keyBlock = 1 << 20

// nextKey returns a key of keySize bytes that no other record of this
// producer has: random bytes led by the record's number.
func (p *rawProducer) nextKey() []byte {
	n := int(p.keySize)
	if len(p.keys) < n {
		p.keys = make([]byte, max(keyBlock, n))
	}
	k := p.keys[:n:n]
	p.keys = p.keys[n:]
	copy(k, p.payload)
	var num [8]byte
	binary.BigEndian.PutUint64(num[:], uint64(p.res.Records))
	copy(k, num[8-min(n, 8):])
	return k
}

// send produces one record of size bytes (and a key, with a key size); it
// blocks while franz-go's buffer is full.
func (p *rawProducer) send(ctx context.Context, size int32) {
	r := &kgo.Record{Value: p.payload[:size]}
	if p.keySize > 0 {
		r.Key = p.nextKey()
	}
	p.res.Records++
	p.res.Bytes += int64(size) + int64(len(r.Key))
	p.wg.Add(1)
	p.cl.Produce(ctx, r, func(_ *kgo.Record, err error) {
		if err != nil {
			p.firstErr.CompareAndSwap(nil, &err)
		}
		p.wg.Done()
	})
}

// finish flushes, waits for every record's ack and closes the client; the
// result has the records, bytes and produce requests, not the time.
func (p *rawProducer) finish(ctx context.Context) (produceResult, error) {
	defer p.cl.Close()
	if err := p.cl.Flush(ctx); err != nil {
		return produceResult{}, fmt.Errorf("bench: flushing to %s: %w", p.topic, err)
	}
	p.wg.Wait()
	if e := p.firstErr.Load(); e != nil {
		return produceResult{}, fmt.Errorf("bench: producing to %s: %w", p.topic, *e)
	}
	p.res.Requests = int(p.pc.requests.Load())
	return p.res, nil
}

// produceCeiling produces len(sizes) records with values of the given sizes
// to topic with a rawProducer (with opts), each with a key of its own of
// keySize bytes (0: no keys).
func produceCeiling(ctx context.Context, bootstrap, topic string, sizes []int32, keySize int32, opts ...kgo.Opt) (produceResult, error) {
	var maxSize int32 // newRawProducer makes it at least 1
	if len(sizes) > 0 {
		maxSize = slices.Max(sizes)
	}
	p, err := newRawProducer(ctx, bootstrap, topic, maxSize, keySize, opts...)
	if err != nil {
		return produceResult{}, err
	}
	start := time.Now()
	for _, s := range sizes {
		p.send(ctx, s)
	}
	res, err := p.finish(ctx)
	res.Elapsed = time.Since(start)
	return res, err
}

// pipelineCeiling streams the whole of d.Table as scanCeiling does and,
// for each row as it is read, produces a record of the shape's sizes (the
// records' JSON key and value sizes) as produceCeiling does: the scan and
// the produce running together, with no conversion between them. A source
// that reads these rows one scan at a time and produces records of that
// shape with these two clients does this work and more (conversion,
// offsets), so this is the rate it can hope for on the same cores; the two
// ceilings, each measured alone, share none of the cores' load.
func pipelineCeiling(ctx context.Context, db *sql.DB, d *dataset, bootstrap, topic string, shape recordShape) (produceResult, error) {
	size := int32(shape.Value)
	p, err := newRawProducer(ctx, bootstrap, topic, size, int32(shape.Key))
	if err != nil {
		return produceResult{}, err
	}
	start := time.Now()
	if err := scanTable(ctx, db, d.Table, func([]sql.RawBytes) { p.send(ctx, size) }); err != nil {
		_, _ = p.finish(ctx) // closes the client; the scan's error is the one to report
		return produceResult{}, err
	}
	res, err := p.finish(ctx)
	res.Elapsed = time.Since(start)
	return res, err
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
