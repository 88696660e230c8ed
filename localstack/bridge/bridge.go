package bridge

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	simd "github.com/segmentio/asm/base64"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/serverless-kafka-connect/slkc/events"
	"github.com/serverless-kafka-connect/slkc/shared/connect"
)

// item is one fetched record: where it is and its event form as JSON.
// The polled kgo.Record is not kept, so the fetch buffer it points into is
// freed once every record of the fetch has been encoded.
type item struct {
	topic     string
	partition int32
	tp        string // events.TopicPartition(topic, partition), made once
	offset    int64
	ts        time.Time // the record's timestamp (MaximumRecordAge)
	epoch     int32     // the record's leader epoch, committed with its offset
	// js is the record's events.KafkaRecord as JSON, encoded when the
	// record is polled (concurrently with the invoke in flight), so that
	// building an event only concatenates. It is the only copy of the
	// record the bridge keeps.
	js   []byte
	size int // js plus the event's JSON around it, counted against MaxPayloadBytes
}

// key is the item's "topic-partition".
func (it item) key() string { return it.tp }

// where names the record in logs, as events.KafkaRecord.Where does.
func (it item) where() string {
	return events.KafkaRecord{Topic: it.topic, Partition: it.partition, Offset: it.offset}.Where()
}

// record decodes the record's event form back from its JSON (for the
// on-failure destination, the only place the whole record is needed again).
func (it item) record() (events.KafkaRecord, error) {
	var kr events.KafkaRecord
	if err := json.Unmarshal(it.js, &kr); err != nil {
		return kr, fmt.Errorf("bridge: record %s: decoding its event JSON: %w", it.where(), err)
	}
	return kr, nil
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
	// Staged counts the batches that ran as the successor staged while
	// the batch before them was invoked (their event built ahead).
	Staged int
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
	inflight int // slots busy: a batch running, perhaps with its successor staged
	flights  map[*flight]struct{}
	wake     chan struct{} // records arrived or a batch ended (capacity 1)
	room     chan struct{} // a queue shrank (capacity 1)
	// bufs are event buffers given back after their invoke, reused for
	// the next events instead of allocating 6 MB each time.
	bufs [][]byte
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
	// owner is the batch (running or staged) holding this partition's
	// records; nil when none does. A partition has one owner at a time,
	// which keeps its records in order across batches.
	owner *flight
}

// flight is one batch being processed by its own goroutine. A batch that
// is running can have a successor staged (next): records of its own
// partitions and of idle ones, taken from the queues in the same order
// as when a slot frees, with its event built while this batch's invoke
// runs. The successor runs in the same slot right after this batch is
// resolved and committed, and is put back into the queues when this batch
// ends any other way, so nothing of it is invoked or committed early.
type flight struct {
	keys    []string
	items   []item
	cancel  context.CancelFunc
	revoked bool // a partition of it was revoked: cancel as soon as it runs
	// committing: resolved, its offsets being committed while its slot
	// runs the next batch; nothing is staged after it.
	committing bool
	done       chan struct{} // closed when it is committed or given up
	next       *flight
	ev         *built // the event prepared ahead (staged batches); nil until then
}

// built is an event assembled for items; ready is closed once payload or
// err is set. released says no invoke holds the buffer any more, so it
// may be reused.
type built struct {
	items    []item
	ready    chan struct{}
	payload  []byte
	err      error
	released bool
}

// sameItems reports whether a and b are the same records (the same part
// of the same batch).
func sameItems(a, b []item) bool {
	return len(a) == len(b) && (len(a) == 0 || &a[0] == &b[0])
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
		// One event's worth per fetch (Kafka's default is 50 MB), which
		// bounds the raw records buffered in the client (bridge memory).
		kgo.FetchMaxBytes(MaxPayloadBytes),
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
		batches, staged, wakeAt := b.plan(time.Now())
		for _, fl := range staged {
			go b.prepare(fl.ev)
		}
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

// bufferLimits bound what the poller buffers ahead of the batches: one
// full batch per concurrent slot, by count and by payload size, beyond the
// batch each slot runs and the one it has staged.
func (b *Bridge) bufferLimits() (records, bytes int) {
	return b.m.BatchSize * b.m.Concurrency, MaxPayloadBytes * b.m.Concurrency
}

// poll fetches records into the partition queues until ctx ends, pausing
// while the queues are full. Each poll asks for no more records than the
// room left, in count and (at the size of the records polled last) in
// bytes, so the queues overshoot their limit by about one record.
func (b *Bridge) poll(ctx context.Context, cl *kgo.Client) {
	maxRecs, maxBytes := b.bufferLimits()
	avg := 0 // event bytes per record polled last
	for ctx.Err() == nil {
		b.mu.Lock()
		full := b.buffered >= maxRecs || b.bufBytes >= maxBytes
		n := maxRecs - b.buffered
		if avg > 0 {
			n = min(n, max(1, (maxBytes-b.bufBytes)/avg))
		}
		b.mu.Unlock()
		if full {
			select {
			case <-ctx.Done():
				return
			case <-b.room:
			}
			continue
		}
		fetches := cl.PollRecords(ctx, n)
		if ctx.Err() != nil || fetches.IsClientClosed() {
			return
		}
		fetches.EachError(func(t string, p int32, err error) {
			if !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled) {
				b.log.Warn("fetch error", "topic", t, "partition", p, "err", err)
			}
		})
		if recs := fetches.Records(); len(recs) > 0 {
			avg = b.enqueue(recs)
		}
	}
}

// enqueue appends polled records to their partition queues, dropping those
// of partitions no longer assigned and re-fetched offsets. It returns the
// records' mean event size.
func (b *Bridge) enqueue(recs []*kgo.Record) int {
	now := time.Now()
	items := make([]item, len(recs))
	total := 0
	for i, r := range recs {
		items[i] = b.newItem(r)
		total += items[i].size
	}
	b.mu.Lock()
	for _, it := range items {
		pq := b.parts[it.key()]
		if pq == nil || it.offset < pq.next {
			continue
		}
		if len(pq.items) == 0 {
			pq.first = now
		}
		pq.items = append(pq.items, it)
		pq.bytes += it.size
		pq.next = it.offset + 1
		b.buffered++
		b.bufBytes += it.size
	}
	b.mu.Unlock()
	signal(b.wake)
	return total/len(recs) + 1
}

func signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// plan starts as many batches as free slots and ready partitions allow and
// returns them, with the batches it staged as successors of running ones
// and the time the next partition's batching window ends (zero when none
// is waiting).
//
// A partition is ready when it has records, no batch in flight, and its
// batching window has passed (or is zero), or when the idle partitions
// together hold a full batch (BatchSize records or a full payload). Ready partitions, least recently served
// first, are spread round-robin over the free slots; each batch then takes
// records partition by partition, in offset order, up to BatchSize and the
// payload limit. Records left over stay queued for the next batch.
//
// A running batch without a successor gets one staged when its own
// partitions and the idle ones, least recently served first, hold a full
// batch: exactly the batch its slot would take when it frees, taken now so
// that its event is built during the invoke. A batch that would not be
// full is left to be planned when the slot frees, with whatever arrived by
// then.
func (b *Bridge) plan(now time.Time) (start, staged []*flight, wakeAt time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	free := b.m.Concurrency - b.inflight
	var idle []*partQueue
	for _, pq := range b.parts {
		if pq.owner == nil && len(pq.items) > 0 {
			idle = append(idle, pq)
		}
	}
	// A full batch (BatchSize records or the payload limit) does not wait
	// for the window: with records of ~1 KB the limit is 6 MB of event,
	// far fewer records than BatchSize, and the poller buffers no more.
	full := b.m.MaxBatchingWindow > 0 && b.fills(idle)
	var ready []*partQueue
	for _, pq := range idle {
		end := pq.first.Add(b.m.MaxBatchingWindow)
		if b.m.MaxBatchingWindow <= 0 || full || !now.Before(end) {
			ready = append(ready, pq)
		} else if wakeAt.IsZero() || end.Before(wakeAt) {
			wakeAt = end
		}
	}
	if free > 0 && len(ready) > 0 {
		byService(ready)
		n := min(free, len(ready))
		groups := make([][]*partQueue, n)
		for i, pq := range ready {
			groups[i%n] = append(groups[i%n], pq)
		}
		for _, g := range groups {
			if fl := b.take(g, now); fl != nil {
				b.inflight++
				b.flights[fl] = struct{}{}
				start = append(start, fl)
			}
		}
	}
	for fl := range b.flights {
		if fl.next != nil || fl.revoked || fl.committing {
			continue
		}
		var cands []*partQueue
		for _, pq := range b.parts {
			if len(pq.items) > 0 && (pq.owner == nil || pq.owner == fl) {
				cands = append(cands, pq)
			}
		}
		byService(cands)
		if !b.fills(cands) {
			continue
		}
		if nx := b.take(cands, now); nx != nil {
			nx.ev = &built{items: nx.items, ready: make(chan struct{}), payload: b.takeBuf()}
			fl.next = nx
			staged = append(staged, nx)
		}
	}
	if len(start) > 0 || len(staged) > 0 {
		signal(b.room)
	}
	return start, staged, wakeAt
}

// byService orders partitions least recently served first (then by name).
func byService(qs []*partQueue) {
	sort.Slice(qs, func(i, j int) bool {
		if !qs[i].served.Equal(qs[j].served) {
			return qs[i].served.Before(qs[j].served)
		}
		return qs[i].key < qs[j].key
	})
}

// fills reports whether the queued records of qs, in that order, fill a
// batch: BatchSize records, or more than the payload limit holds.
func (b *Bridge) fills(qs []*partQueue) bool {
	n, size := 0, eventOverhead
	for _, pq := range qs {
		for _, it := range pq.items {
			if n >= b.m.BatchSize || (n > 0 && size+it.size > MaxPayloadBytes) {
				return true
			}
			n++
			size += it.size
		}
	}
	return n >= b.m.BatchSize
}

// take moves records of qs, partition by partition in offset order, into a
// new batch up to BatchSize and the payload limit, and makes the batch the
// owner of the partitions it took from. It returns nil when it took nothing.
// b.mu is held.
func (b *Bridge) take(qs []*partQueue, now time.Time) *flight {
	fl := &flight{done: make(chan struct{})}
	size := eventOverhead
	for _, pq := range qs {
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
			pq.owner, pq.served = fl, now
			fl.keys = append(fl.keys, pq.key)
		}
		if took == 0 || len(pq.items) > 0 {
			break // the batch is full
		}
	}
	if len(fl.items) == 0 {
		return nil
	}
	return fl
}

// unstage puts a staged batch's records back at the head of their queues
// (of the partitions still assigned) and hands the partitions it owned back
// to prev, the batch before it, while prev still runs (nil once it ended).
// b.mu is held.
func (b *Bridge) unstage(fl, prev *flight) {
	if fl.ev != nil && fl.ev.ready != nil {
		<-fl.ev.ready // its build rewrites the items' js (buildEvent); prepare takes no lock
	}
	byKey := map[string][]item{}
	for _, it := range fl.items {
		byKey[it.key()] = append(byKey[it.key()], it)
	}
	now := time.Now()
	for k, its := range byKey {
		pq := b.parts[k]
		if pq == nil {
			continue // revoked: the new owner reads them from the committed offset
		}
		if len(pq.items) == 0 {
			pq.first = now
		}
		pq.items = append(its, pq.items...)
		for _, it := range its {
			pq.bytes += it.size
			b.bufBytes += it.size
		}
		b.buffered += len(its)
		if pq.owner == fl {
			pq.owner = nil
			if prev != nil && slices.Contains(prev.keys, k) {
				pq.owner = prev
			}
		}
	}
}

// prepare builds a staged batch's event into the buffer plan gave it (run
// while the batch before it is being invoked).
func (b *Bridge) prepare(ev *built) {
	ev.payload, ev.err = b.buildEvent(ev.items, ev.payload)
	ev.released = true
	close(ev.ready)
}

// getBuf returns an event buffer given back earlier, or nil.
func (b *Bridge) getBuf() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.takeBuf()
}

// takeBuf is getBuf with b.mu held.
func (b *Bridge) takeBuf() []byte {
	if n := len(b.bufs); n > 0 {
		buf := b.bufs[n-1]
		b.bufs = b.bufs[:n-1]
		return buf[:0]
	}
	return nil
}

// putBuf keeps an event no invoke holds any more for reuse, at most two per
// slot (the running and the staged event).
func (b *Bridge) putBuf(ev *built) {
	if ev == nil || ev.ready == nil {
		return
	}
	select {
	case <-ev.ready:
	default:
		return // still being built (its batch stopped before waiting for it)
	}
	if !ev.released || ev.payload == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.bufs) < 2*b.m.Concurrency {
		b.bufs = append(b.bufs, ev.payload)
	}
	ev.payload = nil
}

// runFlight processes one batch, then the batch staged after it in its
// slot, and so on, and frees the slot when none is staged. It returns once
// every batch it ran is committed or given up.
func (b *Bridge) runFlight(ctx context.Context, fl *flight) {
	var commits sync.WaitGroup
	for fl != nil {
		fl = b.runOne(ctx, fl, &commits)
	}
	commits.Wait()
}

// runOne processes one batch and frees its partitions. It returns the batch
// staged after it when this one was resolved; otherwise the staged batch
// goes back to the queues and the slot is freed. The resolved batch's
// offsets are committed in the background (tracked by commits) while the
// next batch runs: the broker's commit takes milliseconds (Kafka 4's group
// coordinator lingers 5 ms by default) that would otherwise idle the
// function between invokes. Commits stay in order and never go back (see
// commit), so a crash or a revoke at any point redelivers what is not
// committed, never skips it.
func (b *Bridge) runOne(ctx context.Context, fl *flight, commits *sync.WaitGroup) *flight {
	ctx, cancel := context.WithCancel(ctx)
	b.mu.Lock()
	fl.cancel = cancel
	if fl.revoked {
		cancel()
	}
	b.stats.Batches++
	if fl.ev != nil && fl.ev.ready != nil {
		b.stats.Staged++
	}
	before := b.stats
	b.mu.Unlock()
	start := time.Now()
	t, err := b.process(ctx, fl)
	if err != nil && ctx.Err() == nil {
		b.log.Error("batch processing stopped", "err", err)
	}
	after := b.Stats()
	b.log.Info("batch done", "records", len(fl.items), "partitions", fl.keys, "first", fl.items[0].where(),
		"delivered", after.Delivered-before.Delivered, "failed", after.Failed-before.Failed,
		"invocations", after.Invocations-before.Invocations, "took_ms", time.Since(start).Milliseconds())
	b.putBuf(fl.ev)
	b.mu.Lock()
	next := fl.next
	fl.next = nil
	for _, k := range fl.keys {
		if pq := b.parts[k]; pq != nil && pq.owner == fl {
			pq.owner = nil
		}
	}
	resolved := err == nil && ctx.Err() == nil
	if next != nil && !resolved {
		b.unstage(next, nil)
		next = nil
	}
	if next != nil {
		b.flights[next] = struct{}{}
	} else {
		b.inflight--
	}
	fl.committing = resolved
	if resolved {
		// The commit needs only t: drop the records and the event so that
		// a batch being committed holds no memory while its slot runs the
		// next one (the bridge's memory bound counts the running, staged
		// and queued batches only).
		fl.items, fl.ev = nil, nil
	} else {
		delete(b.flights, fl)
	}
	b.mu.Unlock()
	if !resolved {
		cancel()
		close(fl.done)
	} else {
		commits.Add(1)
		go func() {
			defer commits.Done()
			b.commitResolved(ctx, t)
			b.mu.Lock()
			delete(b.flights, fl)
			b.mu.Unlock()
			cancel()
			close(fl.done)
		}()
	}
	signal(b.wake)
	return next
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
	holds := func(fl *flight) bool {
		for _, k := range fl.keys {
			if gone[k] {
				return true
			}
		}
		return false
	}
	var wait []*flight
	for fl := range b.flights {
		if holds(fl) {
			fl.revoked = true
			if fl.cancel != nil {
				fl.cancel()
			}
			wait = append(wait, fl)
		} else if fl.next != nil && holds(fl.next) {
			// Not run: what it took from partitions still assigned goes back.
			b.unstage(fl.next, fl)
			fl.next = nil
		}
	}
	b.mu.Unlock()
	signal(b.room)
	for _, fl := range wait {
		<-fl.done
	}
	if len(wait) > 0 {
		b.log.Warn("partitions revoked with batches in flight; their uncommitted records are delivered again", "partitions", len(gone), "batches", len(wait))
	}
}

// eventOverhead approximates the JSON around the records: the envelope plus,
// per partition group, the key and brackets.
const eventOverhead = 256

// timestampType is the event's name of r's timestamp type.
func timestampType(r *kgo.Record) string {
	switch r.Attrs.TimestampType() {
	case 1:
		return events.TimestampLogAppendTime
	case -1:
		return events.TimestampNone
	}
	return events.TimestampCreateTime
}

// kafkaRecord is r in the event's form.
func kafkaRecord(r *kgo.Record) events.KafkaRecord {
	hs := make([]connect.Header, 0, len(r.Headers))
	for _, h := range r.Headers {
		hs = append(hs, connect.Header{Key: h.Key, Value: h.Value})
	}
	return events.NewKafkaRecord(r.Topic, r.Partition, r.Offset, r.Timestamp, timestampType(r), r.Key, r.Value, hs)
}

func (b *Bridge) newItem(r *kgo.Record) item {
	var js []byte
	if b.reg == nil {
		js = appendRecordJSON(nil, r)
	}
	if js == nil {
		kr := kafkaRecord(r)
		if b.reg != nil { // the event source mapping's schema registry mode
			b.reg.apply(&kr, r.Key, r.Value)
		}
		js, _ = json.Marshal(kr) // strings, numbers and byte arrays only: cannot fail
	}
	return item{topic: r.Topic, partition: r.Partition, tp: events.TopicPartition(r.Topic, r.Partition), offset: r.Offset, ts: r.Timestamp, epoch: r.LeaderEpoch,
		js: js, size: len(js) + 1 + len(r.Topic) + 16}
}

// appendRecordJSON appends to buf the bytes json.Marshal gives for
// kafkaRecord(r), for the common record: no headers and a topic of the
// characters Kafka allows in names (which JSON needs not escape). It
// returns nil for any other record. It writes the base64 key and value
// straight into the record's JSON: encoding them to strings and then
// json.Marshal checking every byte of them for escapes was a third of the
// bridge's CPU with 1 KB records.
func appendRecordJSON(buf []byte, r *kgo.Record) []byte {
	if len(r.Headers) > 0 || r.Topic == "" {
		return nil
	}
	for i := 0; i < len(r.Topic); i++ {
		c := r.Topic[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-') {
			return nil
		}
	}
	tsType := timestampType(r)
	n := 120 + len(r.Topic) + len(tsType) + base64.StdEncoding.EncodedLen(len(r.Key)) + base64.StdEncoding.EncodedLen(len(r.Value))
	if buf == nil {
		buf = make([]byte, 0, n)
	}
	buf = append(buf, `{"topic":"`...)
	buf = append(buf, r.Topic...)
	buf = append(buf, `","partition":`...)
	buf = strconv.AppendInt(buf, int64(r.Partition), 10)
	buf = append(buf, `,"offset":`...)
	buf = strconv.AppendInt(buf, r.Offset, 10)
	buf = append(buf, `,"timestamp":`...)
	buf = strconv.AppendInt(buf, r.Timestamp.UnixMilli(), 10)
	buf = append(buf, `,"timestampType":"`...)
	buf = append(buf, tsType...)
	buf = append(buf, '"')
	if r.Key != nil {
		buf = appendBase64(append(buf, `,"key":"`...), r.Key)
		buf = append(buf, '"')
	}
	if r.Value != nil {
		buf = appendBase64(append(buf, `,"value":"`...), r.Value)
		buf = append(buf, '"')
	}
	return append(buf, `,"headers":[]}`...)
}

// appendBase64 is base64.StdEncoding.AppendEncode through segmentio/asm's
// vector encoder (AVX2 on amd64, NEON on arm64, encoding/base64 on other
// machines): the same bytes, several times faster on a record's value.
func appendBase64(dst, src []byte) []byte {
	n := base64.StdEncoding.EncodedLen(len(src))
	dst = slices.Grow(dst, n)
	simd.StdEncoding.Encode(dst[len(dst):len(dst)+n], src)
	return dst[:len(dst)+n]
}

// buildEvent appends to buf (which may be nil) the Kafka event holding
// items, grouped by partition: the bytes json.Marshal of the
// events.KafkaEvent gives, assembled from the records' JSON encoded at
// poll time. Each item's js then points at its copy inside the event, so a
// batch's records are held once, not twice: the event must not be reused
// while its items are.
func (b *Bridge) buildEvent(items []item, buf []byte) ([]byte, error) {
	ev := &events.KafkaEvent{EventSource: b.m.EventSource, BootstrapServers: b.m.Bootstrap, Records: map[string][]events.KafkaRecord{}}
	if b.m.EventSource == SourceMSK {
		ev.EventSourceARN = b.m.EventSourceARN
	}
	// The envelope with no records ends in `"records":{}}`; the groups go
	// between those braces, keys sorted as encoding/json sorts map keys.
	head, err := json.Marshal(ev)
	if err != nil {
		return nil, fmt.Errorf("bridge: encode kafka event: %w", err)
	}
	groups := map[string][]int{} // indexes into items
	size := len(head)
	for i, it := range items {
		k := it.key()
		groups[k] = append(groups[k], i)
		size += len(it.js) + 1
	}
	keys := make([]string, 0, len(groups))
	kjs := make(map[string][]byte, len(groups))
	for k := range groups {
		keys = append(keys, k)
		if kjs[k], err = json.Marshal(k); err != nil {
			return nil, fmt.Errorf("bridge: encode kafka event: %w", err)
		}
		size += len(kjs[k]) + 3
	}
	sort.Strings(keys)
	out := buf[:0]
	if cap(out) < size {
		out = make([]byte, 0, size)
	}
	out = append(out, head[:len(head)-2]...)
	for i, k := range keys {
		if i > 0 {
			out = append(out, ',')
		}
		out = append(append(out, kjs[k]...), ':', '[')
		for j, at := range groups[k] {
			if j > 0 {
				out = append(out, ',')
			}
			p := len(out)
			out = append(out, items[at].js...)
			items[at].js = out[p:len(out):len(out)]
		}
		out = append(out, ']')
	}
	return append(out, '}', '}'), nil
}

// index is the event of items with only what CheckAgainst reads: each
// record's topic, partition and offset.
func index(items []item) *events.KafkaEvent {
	ev := &events.KafkaEvent{Records: map[string][]events.KafkaRecord{}}
	for _, it := range items {
		ev.Add(events.KafkaRecord{Topic: it.topic, Partition: it.partition, Offset: it.offset})
	}
	return ev
}

// tracker knows which records of a top-level batch are resolved, to commit
// the longest resolved prefix of every partition.
type tracker struct {
	parts   map[string]*partTrack // per topic-partition
	pending int                   // records not resolved yet
}

// partTrack is one partition's records of a batch: their offsets, in
// order as the batch holds them, and which are resolved.
type partTrack struct {
	topic     string
	partition int32
	epoch     int32 // the leader epoch of its last record
	offsets   []int64
	done      []bool
}

func newTracker(items []item) *tracker {
	t := &tracker{parts: map[string]*partTrack{}, pending: len(items)}
	var pt *partTrack
	for _, it := range items {
		if pt == nil || pt.topic != it.topic || pt.partition != it.partition {
			if pt = t.parts[it.tp]; pt == nil {
				pt = &partTrack{topic: it.topic, partition: it.partition}
				t.parts[it.tp] = pt
			}
		}
		pt.offsets = append(pt.offsets, it.offset)
		pt.epoch = it.epoch
	}
	for _, pt := range t.parts {
		pt.done = make([]bool, len(pt.offsets))
	}
	return t
}

// markDone marks items resolved (each once).
func (t *tracker) markDone(items []item) {
	var pt *partTrack
	for _, it := range items {
		if pt == nil || pt.topic != it.topic || pt.partition != it.partition {
			pt = t.parts[it.tp]
		}
		i, found := slices.BinarySearch(pt.offsets, it.offset)
		if found && !pt.done[i] {
			pt.done[i] = true
			t.pending--
		}
	}
}

// commitPoints returns, per partition with a resolved prefix, the next offset.
func (t *tracker) commitPoints() map[string]int64 {
	out := map[string]int64{}
	for k, pt := range t.parts {
		n := 0
		for n < len(pt.done) && pt.done[n] {
			n++
		}
		if n > 0 {
			out[k] = pt.offsets[n-1] + 1
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
		pt := t.parts[k]
		if req[pt.topic] == nil {
			req[pt.topic] = map[int32]kgo.EpochOffset{}
		}
		req[pt.topic][pt.partition] = kgo.EpochOffset{Epoch: pt.epoch, Offset: next}
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

// process resolves a top-level batch, committing the parts that resolve
// before the rest (a partial batch response, then retries of the rest). It
// returns the batch's tracker once every record is resolved, for
// commitResolved; ctx's error when stopped before that.
func (b *Bridge) process(ctx context.Context, fl *flight) (*tracker, error) {
	if fl.ev != nil && fl.ev.ready != nil {
		// A staged batch: its build points the items into the event.
		select {
		case <-fl.ev.ready:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	items := fl.items
	t := newTracker(items)
	resolved := func(its []item) {
		t.markDone(its)
		if t.pending == 0 {
			return // the last part: committed by commitResolved
		}
		// A failed commit is retried with the next resolution; offsets only
		// lag, so records may be delivered again but never skipped.
		if err := b.commit(ctx, t); err != nil {
			b.log.Warn("commit failed", "err", err)
		}
	}
	if fl.ev == nil {
		fl.ev = &built{items: items}
	}
	if err := b.resolve(ctx, items, 0, resolved, fl.ev); err != nil {
		return nil, err
	}
	return t, ctx.Err()
}

// commitResolved commits a resolved batch's offsets, retrying until it
// succeeds or ctx ends (the bridge stops, or a partition of the batch is
// revoked: then its records are delivered again, to the new owner).
func (b *Bridge) commitResolved(ctx context.Context, t *tracker) {
	for ctx.Err() == nil {
		err := b.commit(ctx, t)
		if err == nil {
			return
		}
		b.log.Warn("commit failed, retrying", "err", err)
		if !sleep(ctx, b.m.RetryBackoff) {
			return
		}
	}
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
// the number of failed invokes so far for these records. ev is the event of
// the whole batch, built ahead (ready set) or to be built into (ready nil);
// it is invoked as long as the records to invoke are all of the batch.
func (b *Bridge) resolve(ctx context.Context, items []item, attempts int, done func([]item), ev *built) error {
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
				if it.ts.Before(cutoff) {
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
		var payload []byte
		if ev != nil && sameItems(ev.items, items) {
			if ev.ready == nil {
				ev.ready = make(chan struct{})
				ev.payload, ev.err = b.buildEvent(items, b.getBuf())
				ev.released = true
				close(ev.ready)
			}
			select {
			case <-ev.ready:
			case <-ctx.Done():
				return ctx.Err()
			}
			if ev.err != nil {
				return ev.err
			}
			payload = ev.payload
		} else {
			var err error
			if payload, err = b.buildEvent(items, nil); err != nil {
				return err
			}
		}
		invokes++
		b.mu.Lock()
		b.stats.Invocations++
		b.mu.Unlock()
		if ev != nil {
			ev.released = false
		}
		res, ierr := b.inv.Invoke(ctx, b.m.FunctionName, payload)
		if ev != nil && ierr == nil {
			// The invoke is complete: the transport no longer reads the
			// payload (after a transport error it still may).
			ev.released = true
		}
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
			ok, rest, why := b.partial(items, res.Payload)
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
		b.log.Warn("batch failed", "records", len(failed), "first", failed[0].where(),
			"attempt", attempts+1, "request_id", res.RequestID, "reason", reason)
		if b.m.BisectBatchOnError && len(failed) > 1 {
			b.mu.Lock()
			b.stats.Bisections++
			b.mu.Unlock()
			half := len(failed) / 2
			if err := b.resolve(ctx, failed[:half], attempts, done, nil); err != nil {
				return err
			}
			if err := b.resolve(ctx, failed[half:], attempts, done, nil); err != nil {
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
func (b *Bridge) partial(items []item, payload []byte) (ok, rest []item, why string) {
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
	if len(resp.BatchItemFailures) == 0 {
		return items, nil, "" // the usual answer: no index of the batch needed
	}
	if err := resp.CheckAgainst(index(items)); err != nil {
		return nil, items, "invalid partial batch response: " + err.Error()
	}
	resume := resp.ResumeOffsets()
	for _, it := range items {
		if from, reported := resume[it.key()]; reported && it.offset >= from {
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
	fr, err := newFailureRecord(b.m, items, condition, invokes, last)
	if err != nil {
		return err
	}
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
