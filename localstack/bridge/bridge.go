package bridge

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/serverless-kafka-connect/slkc/events"
	"github.com/serverless-kafka-connect/slkc/shared/connect"
)

// item is one fetched record with its event form and JSON size.
type item struct {
	rec *kgo.Record
	kr  events.KafkaRecord
	// js is kr as JSON, encoded when the record is polled (concurrently
	// with the invoke in flight) so that building an event after an invoke
	// only concatenates: the next event is ready as soon as the partition
	// is. It adds about the JSON size of the buffered records to the
	// bridge's memory, which poll limits by that same size (bufferLimits)
	// up to one poll's overshoot, plus the records of the batches in flight.
	js   []byte
	size int
}

// lastInvoke remembers the last failed invoke for the on-failure record.
type lastInvoke struct {
	requestID     string
	status        int
	functionError string
}

// Stats counts what a bridge did since it started.
type Stats struct {
	Batches     int   // batches dispatched (each then invoked, retried or split as needed)
	Invocations int   // invokes made (including retries and halves)
	Delivered   int64 // records the function accepted
	Failed      int64 // records sent to the on-failure destination (or skipped without one)
	Retries     int
	Bisections  int
	// Committed is the next offset committed per "topic-partition".
	Committed map[string]int64
}

// Bridge runs one Mapping. Create it with New and call Run once.
type Bridge struct {
	m      Mapping
	inv    Invoker
	log    *slog.Logger
	client *kgo.Client
	reg    *registryMode // schema registry mode, or nil

	// commitMu serialises offset commits of concurrent batches.
	commitMu sync.Mutex

	mu    sync.Mutex
	stats Stats
	// parts holds the assigned partitions with their buffered records;
	// a partition not in it is not assigned and its records are dropped.
	parts    map[string]*partQueue
	buffered int // records in all queues
	bufBytes int // event JSON bytes in all queues
	inflight int // batches being processed
	flights  map[*flight]struct{}
	wake     chan struct{} // records arrived or a batch ended (capacity 1)
	room     chan struct{} // a queue shrank (capacity 1)
}

// partQueue is one assigned partition: records polled but not yet
// invoked, and whether a batch holding its records is in flight.
type partQueue struct {
	key   string
	items []item
	bytes int
	// first is when the oldest buffered record arrived (the start of its
	// batching window); served is when the partition last went into a
	// batch (the least recently served ready partition goes first).
	first, served time.Time
	// next is the offset after the last record buffered or invoked;
	// anything below it is a re-fetch and is dropped.
	next int64
	busy bool
}

// flight is one batch being processed by its own goroutine.
type flight struct {
	keys   []string
	items  []item
	cancel context.CancelFunc
	done   chan struct{}
}

// New validates m (after defaults) and returns a bridge that invokes through
// inv. logger nil means slog.Default().
func New(m Mapping, inv Invoker, logger *slog.Logger) (*Bridge, error) {
	m = m.withDefaults()
	if err := m.validate(); err != nil {
		return nil, err
	}
	if inv == nil {
		return nil, fmt.Errorf("bridge: mapping for %q: no invoker", m.FunctionName)
	}
	if logger == nil {
		logger = slog.Default()
	}
	b := &Bridge{m: m, inv: inv, log: logger.With("function", m.FunctionName, "group", m.ConsumerGroup),
		stats: Stats{Committed: map[string]int64{}}, parts: map[string]*partQueue{}, flights: map[*flight]struct{}{},
		wake: make(chan struct{}, 1), room: make(chan struct{}, 1)}
	if m.SchemaRegistry != nil {
		var err error
		if b.reg, err = newRegistryMode(*m.SchemaRegistry, b.log); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// Mapping returns the mapping with defaults applied.
func (b *Bridge) Mapping() Mapping { return b.m }

// Stats returns a copy of the counters.
func (b *Bridge) Stats() Stats {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.stats
	s.Committed = make(map[string]int64, len(b.stats.Committed))
	for k, v := range b.stats.Committed {
		s.Committed[k] = v
	}
	return s
}

// Run consumes until ctx is done, then leaves the group and returns nil.
// Records of a batch that was not resolved when ctx ended stay uncommitted
// and are delivered again by the next run. An error is returned only when
// the Kafka client cannot be created.
//
// One goroutine polls Kafka into a queue per partition; the dispatcher
// turns queued records of partitions with no batch in flight into batches,
// at most Mapping.Concurrency at a time, each processed (invoked, retried,
// committed) by its own goroutine.
func (b *Bridge) Run(ctx context.Context) error {
	start := kgo.NewOffset().AtStart()
	if b.m.StartingPosition == Latest {
		start = kgo.NewOffset().AtEnd()
	}
	opts := []kgo.Opt{
		kgo.SeedBrokers(strings.Split(b.m.Bootstrap, ",")...),
		kgo.ConsumerGroup(b.m.ConsumerGroup),
		kgo.ConsumeTopics(b.m.Topics...),
		kgo.ConsumeResetOffset(start),
		kgo.DisableAutoCommit(),
		kgo.OnPartitionsAssigned(b.onAssigned),
		kgo.OnPartitionsRevoked(b.onRevoked),
		kgo.OnPartitionsLost(b.onRevoked),
	}
	cl, err := kgo.NewClient(append(opts, b.m.KafkaOpts...)...)
	if err != nil {
		return fmt.Errorf("bridge: kafka client for %q: %w", b.m.FunctionName, err)
	}
	b.mu.Lock()
	b.client = cl
	b.mu.Unlock()
	defer func() {
		b.mu.Lock()
		b.client = nil
		b.mu.Unlock()
		cl.Close()
	}()
	b.log.Info("kafka event source mapping started", "topics", b.m.Topics, "batch_size", b.m.BatchSize,
		"window", b.m.MaxBatchingWindow, "starting_position", b.m.StartingPosition, "concurrency", b.m.Concurrency)

	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		b.poll(ctx, cl)
	}()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for ctx.Err() == nil {
		batches, wakeAt := b.plan(time.Now())
		for _, fl := range batches {
			wg.Add(1)
			go func() {
				defer wg.Done()
				b.runFlight(ctx, fl)
			}()
		}
		if len(batches) > 0 {
			continue // more slots may be free and more partitions ready
		}
		var tick <-chan time.Time
		if !wakeAt.IsZero() {
			timer.Reset(time.Until(wakeAt))
			tick = timer.C
		}
		select {
		case <-ctx.Done():
		case <-b.wake:
		case <-tick:
		}
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
	}
	wg.Wait()
	return nil
}

// bufferLimits bound what the poller buffers ahead of the batches: two full
// batches per concurrent slot, by count and by payload size.
func (b *Bridge) bufferLimits() (records, bytes int) {
	return 2 * b.m.BatchSize * b.m.Concurrency, 2 * MaxPayloadBytes * b.m.Concurrency
}

// poll fetches records into the partition queues until ctx ends, pausing
// while the queues are full.
func (b *Bridge) poll(ctx context.Context, cl *kgo.Client) {
	maxRecs, maxBytes := b.bufferLimits()
	for ctx.Err() == nil {
		b.mu.Lock()
		full := b.buffered >= maxRecs || b.bufBytes >= maxBytes
		b.mu.Unlock()
		if full {
			select {
			case <-ctx.Done():
				return
			case <-b.room:
			}
			continue
		}
		fetches := cl.PollRecords(ctx, b.m.BatchSize)
		if ctx.Err() != nil || fetches.IsClientClosed() {
			return
		}
		fetches.EachError(func(t string, p int32, err error) {
			if !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled) {
				b.log.Warn("fetch error", "topic", t, "partition", p, "err", err)
			}
		})
		if recs := fetches.Records(); len(recs) > 0 {
			b.enqueue(recs)
		}
	}
}

// enqueue appends polled records to their partition queues, dropping those
// of partitions no longer assigned and re-fetched offsets.
func (b *Bridge) enqueue(recs []*kgo.Record) {
	now := time.Now()
	items := make([]item, len(recs))
	for i, r := range recs {
		items[i] = b.newItem(r)
	}
	b.mu.Lock()
	for _, it := range items {
		pq := b.parts[events.TopicPartition(it.kr.Topic, it.kr.Partition)]
		if pq == nil || it.kr.Offset < pq.next {
			continue
		}
		if len(pq.items) == 0 {
			pq.first = now
		}
		pq.items = append(pq.items, it)
		pq.bytes += it.size
		pq.next = it.kr.Offset + 1
		b.buffered++
		b.bufBytes += it.size
	}
	b.mu.Unlock()
	signal(b.wake)
}

func signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// plan starts as many batches as free slots and ready partitions allow and
// returns them, with the time the next partition's batching window ends
// (zero when none is waiting).
//
// A partition is ready when it has records, no batch in flight, and its
// batching window has passed (or is zero), or when the idle partitions
// together hold a full batch. Ready partitions, least recently served
// first, are spread round-robin over the free slots; each batch then takes
// records partition by partition, in offset order, up to BatchSize and the
// payload limit. Records left over stay queued for the next batch.
func (b *Bridge) plan(now time.Time) ([]*flight, time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	free := b.m.Concurrency - b.inflight
	var idle []*partQueue
	total := 0
	for _, pq := range b.parts {
		if !pq.busy && len(pq.items) > 0 {
			idle = append(idle, pq)
			total += len(pq.items)
		}
	}
	var ready []*partQueue
	var wakeAt time.Time
	for _, pq := range idle {
		end := pq.first.Add(b.m.MaxBatchingWindow)
		if b.m.MaxBatchingWindow <= 0 || total >= b.m.BatchSize || !now.Before(end) {
			ready = append(ready, pq)
		} else if wakeAt.IsZero() || end.Before(wakeAt) {
			wakeAt = end
		}
	}
	if free <= 0 || len(ready) == 0 {
		return nil, wakeAt
	}
	sort.Slice(ready, func(i, j int) bool {
		if !ready[i].served.Equal(ready[j].served) {
			return ready[i].served.Before(ready[j].served)
		}
		return ready[i].key < ready[j].key
	})
	n := min(free, len(ready))
	groups := make([][]*partQueue, n)
	for i, pq := range ready {
		groups[i%n] = append(groups[i%n], pq)
	}
	var out []*flight
	for _, g := range groups {
		fl := &flight{done: make(chan struct{})}
		size := eventOverhead
	fill:
		for _, pq := range g {
			took := 0
			for _, it := range pq.items {
				if len(fl.items) >= b.m.BatchSize || (len(fl.items) > 0 && size+it.size > MaxPayloadBytes) {
					break
				}
				fl.items = append(fl.items, it)
				size += it.size
				pq.bytes -= it.size
				b.bufBytes -= it.size
				took++
			}
			if took > 0 {
				pq.items = append(pq.items[:0:0], pq.items[took:]...)
				b.buffered -= took
				pq.busy, pq.served = true, now
				fl.keys = append(fl.keys, pq.key)
			}
			if took == 0 || len(pq.items) > 0 {
				break fill // the batch is full
			}
		}
		if len(fl.items) > 0 {
			b.inflight++
			b.flights[fl] = struct{}{}
			out = append(out, fl)
		}
	}
	if len(out) > 0 {
		signal(b.room)
	}
	return out, wakeAt
}

// runFlight processes one batch, then frees its partitions and its slot.
func (b *Bridge) runFlight(ctx context.Context, fl *flight) {
	ctx, fl.cancel = context.WithCancel(ctx)
	defer func() {
		fl.cancel()
		b.mu.Lock()
		for _, k := range fl.keys {
			if pq := b.parts[k]; pq != nil {
				pq.busy = false
			}
		}
		b.inflight--
		delete(b.flights, fl)
		b.mu.Unlock()
		close(fl.done)
		signal(b.wake)
	}()
	b.mu.Lock()
	b.stats.Batches++
	before := b.stats
	b.mu.Unlock()
	start := time.Now()
	if err := b.process(ctx, fl.items); err != nil && ctx.Err() == nil {
		b.log.Error("batch processing stopped", "err", err)
	}
	after := b.Stats()
	b.log.Info("batch done", "records", len(fl.items), "partitions", fl.keys, "first", fl.items[0].kr.Where(),
		"delivered", after.Delivered-before.Delivered, "failed", after.Failed-before.Failed,
		"invocations", after.Invocations-before.Invocations, "took_ms", time.Since(start).Milliseconds())
}

// ErrNotRunning is returned by Lag when Run is not running.
var ErrNotRunning = errors.New("bridge: not running")

// Lag returns, per "topic-partition" of the mapping's topics, how many
// records are not committed yet: the log end offset minus the committed
// offset (minus zero when the group has committed nothing there). It works
// only while Run runs.
func (b *Bridge) Lag(ctx context.Context) (map[string]int64, error) {
	b.mu.Lock()
	cl := b.client
	b.mu.Unlock()
	if cl == nil {
		return nil, ErrNotRunning
	}
	// Not closed: closing a kadm client closes the consumer's client.
	ends, err := kadm.NewClient(cl).ListEndOffsets(ctx, b.m.Topics...)
	if err != nil {
		return nil, fmt.Errorf("bridge: end offsets of %v: %w", b.m.Topics, err)
	}
	committed := b.Stats().Committed
	out := map[string]int64{}
	var errs []error
	ends.Each(func(o kadm.ListedOffset) {
		if o.Err != nil {
			errs = append(errs, fmt.Errorf("%s-%d: %w", o.Topic, o.Partition, o.Err))
			return
		}
		k := events.TopicPartition(o.Topic, o.Partition)
		out[k] = max(o.Offset-committed[k], 0)
	})
	if err := errors.Join(errs...); err != nil {
		return out, fmt.Errorf("bridge: end offsets: %w", err)
	}
	return out, nil
}

func (b *Bridge) onAssigned(_ context.Context, _ *kgo.Client, assigned map[string][]int32) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for t, ps := range assigned {
		for _, p := range ps {
			k := events.TopicPartition(t, p)
			if b.parts[k] == nil {
				b.parts[k] = &partQueue{key: k, next: -1}
			}
		}
	}
}

// onRevoked drops the queues of partitions taken away (by a rebalance, a
// lost session or leaving the group). A batch in flight with their records
// is cancelled: what it did not commit is delivered again to the new owner
// (at least once), and waiting for a batch that may retry forever would
// stall the group's rebalance.
func (b *Bridge) onRevoked(_ context.Context, _ *kgo.Client, lost map[string][]int32) {
	b.mu.Lock()
	gone := map[string]bool{}
	for t, ps := range lost {
		for _, p := range ps {
			k := events.TopicPartition(t, p)
			gone[k] = true
			if pq := b.parts[k]; pq != nil {
				b.buffered -= len(pq.items)
				b.bufBytes -= pq.bytes
				delete(b.parts, k)
			}
		}
	}
	var wait []*flight
	for fl := range b.flights {
		for _, k := range fl.keys {
			if gone[k] {
				wait = append(wait, fl)
				break
			}
		}
	}
	b.mu.Unlock()
	signal(b.room)
	for _, fl := range wait {
		if fl.cancel != nil {
			fl.cancel()
		}
		<-fl.done
	}
	if len(wait) > 0 {
		b.log.Warn("partitions revoked with batches in flight; their uncommitted records are delivered again", "partitions", len(gone), "batches", len(wait))
	}
}

// eventOverhead approximates the JSON around the records: the envelope plus,
// per partition group, the key and brackets.
const eventOverhead = 256

func (b *Bridge) newItem(r *kgo.Record) item {
	hs := make([]connect.Header, 0, len(r.Headers))
	for _, h := range r.Headers {
		hs = append(hs, connect.Header{Key: h.Key, Value: h.Value})
	}
	tsType := events.TimestampCreateTime
	switch r.Attrs.TimestampType() {
	case 1:
		tsType = events.TimestampLogAppendTime
	case -1:
		tsType = events.TimestampNone
	}
	kr := events.NewKafkaRecord(r.Topic, r.Partition, r.Offset, r.Timestamp, tsType, r.Key, r.Value, hs)
	if b.reg != nil {
		b.reg.apply(&kr, r.Key, r.Value)
	}
	js, _ := json.Marshal(kr)
	return item{rec: r, kr: kr, js: js, size: len(js) + 1 + len(r.Topic) + 16}
}

// buildEvent groups items into the Kafka event and returns it with its
// JSON, the bytes json.Marshal of the event gives, assembled from the
// records' JSON encoded at poll time.
func (b *Bridge) buildEvent(items []item) ([]byte, *events.KafkaEvent, error) {
	ev := &events.KafkaEvent{EventSource: b.m.EventSource, BootstrapServers: b.m.Bootstrap, Records: map[string][]events.KafkaRecord{}}
	if b.m.EventSource == SourceMSK {
		ev.EventSourceARN = b.m.EventSourceARN
	}
	// The envelope with no records ends in `"records":{}}`; the groups go
	// between those braces, keys sorted as encoding/json sorts map keys.
	head, err := json.Marshal(ev)
	if err != nil {
		return nil, nil, fmt.Errorf("bridge: encode kafka event: %w", err)
	}
	groups := map[string][][]byte{}
	size := len(head)
	for _, it := range items {
		if it.js == nil {
			if it.js, err = json.Marshal(it.kr); err != nil {
				return nil, nil, fmt.Errorf("bridge: encode kafka record %s: %w", it.kr.Where(), err)
			}
		}
		ev.Add(it.kr)
		k := events.TopicPartition(it.kr.Topic, it.kr.Partition)
		groups[k] = append(groups[k], it.js)
		size += len(it.js) + 1
	}
	keys := make([]string, 0, len(groups))
	for k := range groups {
		keys = append(keys, k)
		size += len(k) + 8
	}
	sort.Strings(keys)
	out := make([]byte, 0, size)
	out = append(out, head[:len(head)-2]...)
	for i, k := range keys {
		if i > 0 {
			out = append(out, ',')
		}
		kjs, err := json.Marshal(k)
		if err != nil {
			return nil, nil, fmt.Errorf("bridge: encode kafka event: %w", err)
		}
		out = append(append(out, kjs...), ':', '[')
		for j, js := range groups[k] {
			if j > 0 {
				out = append(out, ',')
			}
			out = append(out, js...)
		}
		out = append(out, ']')
	}
	return append(out, '}', '}'), ev, nil
}

// tracker knows which records of a top-level batch are resolved, to commit
// the longest resolved prefix of every partition.
type tracker struct {
	offsets map[string][]int64 // per topic-partition, in order
	done    map[string]map[int64]bool
	epoch   map[string]int32
	topic   map[string]string
	part    map[string]int32
}

func newTracker(items []item) *tracker {
	t := &tracker{offsets: map[string][]int64{}, done: map[string]map[int64]bool{},
		epoch: map[string]int32{}, topic: map[string]string{}, part: map[string]int32{}}
	for _, it := range items {
		k := events.TopicPartition(it.kr.Topic, it.kr.Partition)
		t.offsets[k] = append(t.offsets[k], it.kr.Offset)
		if t.done[k] == nil {
			t.done[k] = map[int64]bool{}
		}
		t.epoch[k] = it.rec.LeaderEpoch
		t.topic[k], t.part[k] = it.kr.Topic, it.kr.Partition
	}
	return t
}

func (t *tracker) markDone(items []item) {
	for _, it := range items {
		t.done[events.TopicPartition(it.kr.Topic, it.kr.Partition)][it.kr.Offset] = true
	}
}

// commitPoints returns, per partition with a resolved prefix, the next offset.
func (t *tracker) commitPoints() map[string]int64 {
	out := map[string]int64{}
	for k, offs := range t.offsets {
		next := int64(-1)
		for _, o := range offs {
			if !t.done[k][o] {
				break
			}
			next = o + 1
		}
		if next >= 0 {
			out[k] = next
		}
	}
	return out
}

// commit commits every resolved prefix that moved forward.
func (b *Bridge) commit(ctx context.Context, t *tracker) error {
	points := t.commitPoints()
	req := map[string]map[int32]kgo.EpochOffset{}
	b.commitMu.Lock()
	defer b.commitMu.Unlock()
	b.mu.Lock()
	for k, next := range points {
		if prev, ok := b.stats.Committed[k]; ok && prev >= next {
			continue
		}
		if b.parts[k] == nil {
			continue // revoked: the new owner commits it
		}
		if req[t.topic[k]] == nil {
			req[t.topic[k]] = map[int32]kgo.EpochOffset{}
		}
		req[t.topic[k]][t.part[k]] = kgo.EpochOffset{Epoch: t.epoch[k], Offset: next}
	}
	b.mu.Unlock()
	if len(req) == 0 {
		return nil
	}
	var rerr error
	b.client.CommitOffsetsSync(ctx, req, func(_ *kgo.Client, _ *kmsg.OffsetCommitRequest, resp *kmsg.OffsetCommitResponse, err error) {
		if err != nil {
			rerr = err
			return
		}
		for _, tp := range resp.Topics {
			for _, p := range tp.Partitions {
				if err := kerr.ErrorForCode(p.ErrorCode); err != nil && rerr == nil {
					rerr = fmt.Errorf("%s-%d: %w", tp.Topic, p.Partition, err)
				}
			}
		}
	})
	if rerr != nil {
		return fmt.Errorf("bridge: commit offsets %v: %w", points, rerr)
	}
	b.mu.Lock()
	for topic, ps := range req {
		for p, eo := range ps {
			b.stats.Committed[events.TopicPartition(topic, p)] = eo.Offset
		}
	}
	b.mu.Unlock()
	b.log.Debug("offsets committed", "offsets", points)
	return nil
}

// process resolves a top-level batch and commits as parts resolve. It
// returns ctx's error when stopped before the batch was resolved.
func (b *Bridge) process(ctx context.Context, items []item) error {
	t := newTracker(items)
	resolved := func(its []item) {
		t.markDone(its)
		// A failed commit is retried with the next resolution; offsets only
		// lag, so records may be delivered again but never skipped.
		if err := b.commit(ctx, t); err != nil {
			b.log.Warn("commit failed", "err", err)
		}
	}
	if err := b.resolve(ctx, items, 0, resolved); err != nil {
		return err
	}
	for ctx.Err() == nil {
		err := b.commit(ctx, t)
		if err == nil {
			return nil
		}
		b.log.Warn("commit failed, retrying", "err", err)
		if !sleep(ctx, b.m.RetryBackoff) {
			break
		}
	}
	return ctx.Err()
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// resolve invokes with items until they are all delivered or handed to the
// on-failure destination, calling done for each resolved part. attempts is
// the number of failed invokes so far for these records.
func (b *Bridge) resolve(ctx context.Context, items []item, attempts int, done func([]item)) error {
	invokes := attempts
	var last lastInvoke
	for len(items) > 0 {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if b.m.MaximumRecordAge > 0 {
			var old, fresh []item
			cutoff := time.Now().Add(-b.m.MaximumRecordAge)
			for _, it := range items {
				if it.rec.Timestamp.Before(cutoff) {
					old = append(old, it)
				} else {
					fresh = append(fresh, it)
				}
			}
			if len(old) > 0 {
				if err := b.fail(ctx, old, ConditionRecordAge, invokes, last); err != nil {
					return err
				}
				done(old)
				items = fresh
				continue
			}
		}
		payload, ev, err := b.buildEvent(items)
		if err != nil {
			return err
		}
		invokes++
		b.mu.Lock()
		b.stats.Invocations++
		b.mu.Unlock()
		res, ierr := b.inv.Invoke(ctx, b.m.FunctionName, payload)
		if ierr != nil && ctx.Err() != nil {
			return ctx.Err()
		}
		last = lastInvoke{requestID: res.RequestID, status: res.StatusCode, functionError: res.FunctionError}
		failed := items
		var reason string
		switch {
		case ierr != nil:
			reason = ierr.Error()
			last.functionError = "InvokeError"
		case res.FunctionError != "":
			reason = res.FunctionError + ": " + truncate(string(res.Payload), 300)
		default:
			ok, rest, why := b.partial(items, ev, res.Payload)
			if len(ok) > 0 {
				b.mu.Lock()
				b.stats.Delivered += int64(len(ok))
				b.mu.Unlock()
				done(ok)
			}
			if len(rest) == 0 {
				return nil
			}
			failed, reason = rest, why
			last.functionError = "PartialBatchFailure"
		}
		b.log.Warn("batch failed", "records", len(failed), "first", failed[0].kr.Where(),
			"attempt", attempts+1, "request_id", res.RequestID, "reason", reason)
		if b.m.BisectBatchOnError && len(failed) > 1 {
			b.mu.Lock()
			b.stats.Bisections++
			b.mu.Unlock()
			half := len(failed) / 2
			if err := b.resolve(ctx, failed[:half], attempts, done); err != nil {
				return err
			}
			if err := b.resolve(ctx, failed[half:], attempts, done); err != nil {
				return err
			}
			return nil
		}
		attempts++
		if limit := b.m.retryLimit(); limit >= 0 && attempts > limit {
			if err := b.fail(ctx, failed, ConditionRetriesExhausted, invokes, last); err != nil {
				return err
			}
			done(failed)
			return nil
		}
		b.mu.Lock()
		b.stats.Retries++
		b.mu.Unlock()
		items = failed
		if !sleep(ctx, b.m.backoff(attempts)) {
			return ctx.Err()
		}
	}
	return nil
}

// partial splits a successful invoke's items by the partial batch response:
// ok records are done, rest must be re-delivered (from the lowest reported
// offset of each reported partition on). Without ReportBatchItemFailures,
// or with an empty or null response, everything is ok. A response that is
// not a batch response or names a record outside the batch fails it all.
func (b *Bridge) partial(items []item, ev *events.KafkaEvent, payload []byte) (ok, rest []item, why string) {
	if !b.m.ReportBatchItemFailures {
		return items, nil, ""
	}
	trimmed := strings.TrimSpace(string(payload))
	if trimmed == "" || trimmed == "null" || trimmed == "{}" {
		return items, nil, ""
	}
	var resp events.KafkaBatchResponse
	if err := json.Unmarshal(payload, &resp); err != nil {
		return nil, items, "invalid partial batch response: " + err.Error()
	}
	if err := resp.CheckAgainst(ev); err != nil {
		return nil, items, "invalid partial batch response: " + err.Error()
	}
	resume := resp.ResumeOffsets()
	for _, it := range items {
		if from, reported := resume[events.TopicPartition(it.kr.Topic, it.kr.Partition)]; reported && it.kr.Offset >= from {
			rest = append(rest, it)
		} else {
			ok = append(ok, it)
		}
	}
	return ok, rest, fmt.Sprintf("partial batch response: resume at %v", resume)
}

// fail hands items to the on-failure destination, retrying the send until
// it succeeds or ctx ends, so nothing is committed past records that were
// not recorded.
func (b *Bridge) fail(ctx context.Context, items []item, condition string, invokes int, last lastInvoke) error {
	fr := newFailureRecord(b.m, items, condition, invokes, last)
	b.mu.Lock()
	b.stats.Failed += int64(len(items))
	b.mu.Unlock()
	if b.m.OnFailure == nil {
		b.log.Error("records discarded (no on-failure destination)", "condition", condition,
			"records", len(items), "ranges", fr.KafkaBatchInfo.RecordsInfo)
		return nil
	}
	for {
		err := b.m.OnFailure.Send(ctx, fr)
		if err == nil {
			b.log.Warn("records sent to on-failure destination", "condition", condition,
				"records", len(items), "ranges", fr.KafkaBatchInfo.RecordsInfo)
			return nil
		}
		b.log.Error("on-failure destination send failed, retrying", "err", err)
		if !sleep(ctx, b.m.RetryBackoff) {
			return ctx.Err()
		}
	}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
