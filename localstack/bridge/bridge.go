package bridge

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
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
	rec  *kgo.Record
	kr   events.KafkaRecord
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
	Batches     int   // top-level batches polled
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

	carry []item // polled but not yet batched (payload limit reached)

	mu      sync.Mutex
	revoked map[string]map[int32]bool
	stats   Stats
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
	return &Bridge{m: m, inv: inv, log: logger.With("function", m.FunctionName, "group", m.ConsumerGroup),
		stats: Stats{Committed: map[string]int64{}}}, nil
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
		kgo.BlockRebalanceOnPoll(),
		kgo.OnPartitionsRevoked(b.onLost),
		kgo.OnPartitionsLost(b.onLost),
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
		"window", b.m.MaxBatchingWindow, "starting_position", b.m.StartingPosition)
	for ctx.Err() == nil {
		batch := b.collect(ctx)
		if len(batch) > 0 {
			b.mu.Lock()
			b.stats.Batches++
			before := b.stats
			b.mu.Unlock()
			start := time.Now()
			if err := b.process(ctx, batch); err != nil && ctx.Err() == nil {
				b.log.Error("batch processing stopped", "err", err)
			}
			after := b.Stats()
			b.log.Info("batch done", "records", len(batch), "first", batch[0].kr.Where(),
				"delivered", after.Delivered-before.Delivered, "failed", after.Failed-before.Failed,
				"invocations", after.Invocations-before.Invocations, "took_ms", time.Since(start).Milliseconds())
		}
		cl.AllowRebalance()
	}
	return nil
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

func (b *Bridge) onLost(_ context.Context, _ *kgo.Client, lost map[string][]int32) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.revoked == nil {
		b.revoked = map[string]map[int32]bool{}
	}
	for t, ps := range lost {
		if b.revoked[t] == nil {
			b.revoked[t] = map[int32]bool{}
		}
		for _, p := range ps {
			b.revoked[t][p] = true
		}
	}
}

// takeCarry returns carried records of partitions still assigned.
func (b *Bridge) takeCarry() []item {
	b.mu.Lock()
	rev := b.revoked
	b.revoked = nil
	b.mu.Unlock()
	out := b.carry[:0:0]
	for _, it := range b.carry {
		if !rev[it.kr.Topic][it.kr.Partition] {
			out = append(out, it)
		}
	}
	b.carry = nil
	return out
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
	js, _ := json.Marshal(kr)
	return item{rec: r, kr: kr, size: len(js) + 1 + len(r.Topic) + 16}
}

// collect gathers the next batch: at most BatchSize records and
// MaxPayloadBytes of event JSON, waiting at most MaxBatchingWindow after the
// first record. It returns an empty batch when ctx ends.
func (b *Bridge) collect(ctx context.Context) []item {
	var batch []item
	size := eventOverhead
	for _, it := range b.takeCarry() {
		if len(b.carry) > 0 || len(batch) >= b.m.BatchSize || (len(batch) > 0 && size+it.size > MaxPayloadBytes) {
			b.carry = append(b.carry, it)
			continue
		}
		batch = append(batch, it)
		size += it.size
	}
	var windowEnd time.Time
	if len(batch) > 0 {
		windowEnd = time.Now().Add(b.m.MaxBatchingWindow)
	}
	for len(batch) < b.m.BatchSize && len(b.carry) == 0 {
		pctx, cancel := ctx, context.CancelFunc(func() {})
		if !windowEnd.IsZero() {
			if b.m.MaxBatchingWindow <= 0 {
				break
			}
			pctx, cancel = context.WithDeadline(ctx, windowEnd)
		}
		fetches := b.client.PollRecords(pctx, b.m.BatchSize-len(batch))
		expired := pctx.Err() != nil
		cancel()
		if ctx.Err() != nil {
			return nil
		}
		fetches.EachError(func(t string, p int32, err error) {
			if !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled) {
				b.log.Warn("fetch error", "topic", t, "partition", p, "err", err)
			}
		})
		for _, r := range fetches.Records() {
			it := b.newItem(r)
			if len(b.carry) > 0 || (len(batch) > 0 && size+it.size > MaxPayloadBytes) {
				b.carry = append(b.carry, it)
				continue
			}
			batch = append(batch, it)
			size += it.size
		}
		if len(batch) > 0 && windowEnd.IsZero() {
			windowEnd = time.Now().Add(b.m.MaxBatchingWindow)
		}
		if expired || fetches.IsClientClosed() {
			break
		}
	}
	return batch
}

// buildEvent groups items into the Kafka event.
func (b *Bridge) buildEvent(items []item) ([]byte, *events.KafkaEvent, error) {
	ev := &events.KafkaEvent{EventSource: b.m.EventSource, BootstrapServers: b.m.Bootstrap, Records: map[string][]events.KafkaRecord{}}
	if b.m.EventSource == SourceMSK {
		ev.EventSourceARN = b.m.EventSourceARN
	}
	for _, it := range items {
		ev.Add(it.kr)
	}
	js, err := json.Marshal(ev)
	if err != nil {
		return nil, nil, fmt.Errorf("bridge: encode kafka event: %w", err)
	}
	return js, ev, nil
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
	b.mu.Lock()
	for k, next := range points {
		if prev, ok := b.stats.Committed[k]; ok && prev >= next {
			continue
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
		if !sleep(ctx, b.m.RetryBackoff) {
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
