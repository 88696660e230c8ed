package sinktask

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/serverless-kafka-connect/slkc/connectors"
	"github.com/serverless-kafka-connect/slkc/events"
	"github.com/serverless-kafka-connect/slkc/shared/connect"
	"github.com/serverless-kafka-connect/slkc/shared/dlq"
	"github.com/serverless-kafka-connect/slkc/shared/errclass"
	"github.com/serverless-kafka-connect/slkc/shared/parallel"
	"github.com/serverless-kafka-connect/slkc/shared/state"
)

// run is the bookkeeping of one Handle call.
type run struct {
	parts []*partState
	// batch is what goes to Destination.Write; owner[i] is batch[i]'s
	// partition and origin[i] its raw record.
	batch  []connect.Record
	owner  []*partState
	origin []dlq.Raw
	// failed are permanent failures eligible for the dead-letter queue.
	failed []failure

	written, filtered, deadLettered, skipped int
}

type partState struct {
	*group
	// stopAt is the offset the partition must be retried from; stopped
	// reports whether it is set, stopErr says why.
	stopped   bool
	stopAt    int64
	stopErr   error
	stopStage string
	// prep* is the stop as prepare left it (conversion failures), restored
	// before a write is retried.
	prepStopped bool
	prepStopAt  int64
	prepErr     error
	prepStage   string
}

// stop marks p to be retried from offset (the lowest offset wins); stage is
// where the record failed.
func (p *partState) stop(offset int64, stage string, err error) {
	if !p.stopped || offset < p.stopAt {
		p.stopped, p.stopAt, p.stopErr, p.stopStage = true, offset, err, stage
	}
}

// before reports whether offset is before p's stop (so it counts as handled).
func (p *partState) before(offset int64) bool { return !p.stopped || offset < p.stopAt }

type failure struct {
	part *partState
	f    dlq.Failed
}

// Handle processes one Kafka event; see the package comment for the rules.
// It returns a non-nil error when the invocation must fail (Lambda then
// retries the whole batch), otherwise the partial batch response, whose
// BatchItemFailures is empty when every record was handled.
func (t *Task) Handle(ctx context.Context, ev events.KafkaEvent) (events.KafkaBatchResponse, error) {
	start := t.now()
	parts, err := decodeEvent(ev, t.workersFor)
	if err != nil {
		t.putStatus(ctx, start, nil, err, true)
		t.writeMetrics(ctx, batchMetrics{size: eventSize(ev), failed: eventSize(ev)})
		t.log().ErrorContext(ctx, "malformed Kafka event", "connector", t.Name, "error", err)
		return events.KafkaBatchResponse{}, err
	}
	r := &run{}
	for _, p := range parts {
		r.parts = append(r.parts, &partState{group: p})
	}
	t.prepare(r)
	wholeErr := t.write(ctx, r)
	resp, err := t.finish(ctx, r, wholeErr)
	t.putStatus(ctx, start, r, err, err != nil && errclass.IsPermanent(err))
	t.writeMetrics(ctx, r.metrics(err))
	return resp, err
}

// prepare converts and transforms the records of every partition and
// builds the write batch of the survivors. A permanent failure is queued
// for the dead-letter queue (tolerance all) or stops the partition
// (tolerance none).
//
// The records are converted first, on workersFor(n) goroutines, each into
// its own slot; a worker skips the records after the first record of
// their partition known to stop it, which the bookkeeping never reads.
// The bookkeeping then walks the outcomes in batch order on the calling
// goroutine, as if each record had just been converted, so the result
// does not depend on the number of goroutines.
func (t *Task) prepare(r *run) {
	starts := flatIndex{0}
	topicErrs := make([]error, len(r.parts))
	for j, p := range r.parts {
		starts = append(starts, starts[j]+len(p.raws))
		topicErrs[j] = t.checkTopic(p.topic)
	}
	n := starts[len(r.parts)]
	// recs[k] is record k's Connect record; the batch is built in place
	// over recs (batch index <= k), so it costs no second slice.
	recs := make([]connect.Record, n)
	outs := make([]outcome, n)
	// stopIdx[j] is the index of the first record known to stop
	// partition j (math.MaxInt64 while none is).
	stopIdx := make([]atomic.Int64, len(r.parts))
	for j := range stopIdx {
		stopIdx[j].Store(math.MaxInt64)
	}
	parallel.Chunks(n, t.workersFor(n), func(lo, hi int) {
		starts.each(lo, hi, func(k, j, i int) {
			if int64(i) > stopIdx[j].Load() {
				return
			}
			o := &outs[k]
			recs[k], *o = t.outcome(r.parts[j].group, topicErrs[j], i)
			if t.stops(*o) {
				lowerTo(&stopIdx[j], int64(i))
			}
		})
	})
	r.batch, r.owner, r.origin = recs[:0], make([]*partState, 0, n), make([]dlq.Raw, 0, n)
	for j, p := range r.parts {
		for i, raw := range p.raws {
			k := starts[j] + i
			o := outs[k]
			if !o.done {
				// A worker skipped a record before its partition's stop.
				panic(fmt.Sprintf("sinktask: record %s/%d@%d was not converted", raw.Topic, raw.Partition, raw.Offset))
			}
			if o.err != nil {
				if t.stops(o) {
					p.stop(raw.Offset, o.stage, fmt.Errorf("%s: %w", o.stage, o.err))
					break
				}
				r.failed = append(r.failed, failure{part: p, f: dlq.Failed{Original: raw, Stage: o.stage, Class: t.stageClass(o.stage), Err: o.err}})
				continue
			}
			if !o.keep {
				r.filtered++
				continue
			}
			r.batch = append(r.batch, recs[k])
			r.owner = append(r.owner, p)
			r.origin = append(r.origin, raw)
		}
	}
	clear(recs[len(r.batch):]) // drop what the batch does not hold
}

// outcome is what converting one record gave, apart from its Connect
// record.
type outcome struct {
	// done says the record was converted (workers skip the records after
	// a partition's stop).
	done bool
	// keep is false when a transform dropped the record.
	keep bool
	// err is why the record failed at stage; consume says the stage is
	// KAFKA_CONSUME (the record could not be read or is of a foreign
	// topic).
	err     error
	stage   string
	consume bool
}

// stops reports whether o stops its partition: any failure with
// errors.tolerance=none; with all, a retryable conversion failure (a
// schema registry that cannot be reached), retried rather than
// dead-lettered.
func (t *Task) stops(o outcome) bool {
	if o.err == nil {
		return false
	}
	return !t.tolerateAll() || (!o.consume && errclass.IsRetryable(o.err))
}

// outcome converts record i of g; topicErr is checkTopic's verdict on g's
// topic. It touches nothing but its result, so it runs on any goroutine.
func (t *Task) outcome(g *group, topicErr error, i int) (connect.Record, outcome) {
	raw := g.raws[i]
	var consumeErr error
	switch {
	case topicErr != nil:
		consumeErr = fmt.Errorf("%s/%d@%d: %w", raw.Topic, raw.Partition, raw.Offset, topicErr)
	case g.bad != nil && g.bad[i] != nil:
		consumeErr = g.bad[i]
	}
	if consumeErr != nil {
		return connect.Record{}, outcome{done: true, err: errclass.Data(consumeErr), stage: dlq.StageKafkaConsume, consume: true}
	}
	rec, keep, stage, err := t.convert(raw, g.metaAt(i))
	if err != nil {
		return connect.Record{}, outcome{done: true, err: err, stage: stage}
	}
	return rec, outcome{done: true, keep: keep}
}

// checkTopic refuses a topic the connector does not consume: Lambda's
// event source mapping only delivers the configured topics, so a record of
// another topic is a misrouted or forged event, and writing it could reach
// a table no one configured.
func (t *Task) checkTopic(topic string) error {
	if t.Topics == nil || slices.Contains(t.Topics, topic) {
		return nil
	}
	return fmt.Errorf("topic %q is not one of the connector's topics [%s]", topic, strings.Join(t.Topics, ","))
}

// convert builds the Connect record of raw. Errors are marked as permanent
// data errors (DataException) unless the converter classified them.
func (t *Task) convert(raw dlq.Raw, meta schemaMeta) (connect.Record, bool, string, error) {
	rec := connect.Record{
		Topic:         raw.Topic,
		Partition:     raw.Partition,
		Offset:        raw.Offset,
		Timestamp:     raw.Timestamp,
		TimestampType: raw.TimestampType,
	}
	var err error
	if len(raw.Headers) > 0 {
		rec.Headers = make([]connect.Header, len(raw.Headers))
		for i, h := range raw.Headers {
			rec.Headers[i] = connect.Header{Key: h.Key, Value: h.Value}
			if t.HeaderConverter == nil {
				continue
			}
			if rec.Headers[i].Schema, rec.Headers[i].Data, err = t.HeaderConverter.ToConnectHeader(raw.Topic, h.Key, h.Value); err != nil {
				return rec, false, dlq.StageHeaderConvert, asData(fmt.Errorf("converting header %q of %s/%d@%d: %w", h.Key, raw.Topic, raw.Partition, raw.Offset, err))
			}
		}
	}
	if raw.Key != nil {
		conv, err := t.registryConverter("key", meta.key, t.KeyConverter, t.KeyConverterClass)
		if err == nil {
			rec.KeySchema, rec.Key, err = conv.ToConnect(raw.Topic, raw.Key)
		}
		if err != nil {
			return rec, false, dlq.StageKeyConverter, asData(fmt.Errorf("converting key of %s/%d@%d: %w", raw.Topic, raw.Partition, raw.Offset, err))
		}
	}
	if raw.Value != nil {
		conv, err := t.registryConverter("value", meta.value, t.ValueConverter, t.ValueConverterClass)
		if err == nil {
			rec.ValueSchema, rec.Value, err = conv.ToConnect(raw.Topic, raw.Value)
		}
		if err != nil {
			return rec, false, dlq.StageValueConverter, asData(fmt.Errorf("converting value of %s/%d@%d: %w", raw.Topic, raw.Partition, raw.Offset, err))
		}
	}
	if t.Transforms == nil {
		return rec, true, "", nil
	}
	out, keep, err := t.Transforms.Apply(rec)
	if err != nil {
		return rec, false, dlq.StageTransformation, asData(fmt.Errorf("transforming %s/%d@%d: %w", raw.Topic, raw.Partition, raw.Offset, err))
	}
	return out, keep, "", nil
}

// asData marks err as a permanent data error unless it already carries a
// class: conversion and transform failures repeat on every attempt.
func asData(err error) error {
	var ce *errclass.Error
	if errors.As(err, &ce) {
		return err
	}
	return errclass.Data(err)
}

func (t *Task) stageClass(stage string) string {
	switch stage {
	case dlq.StageKeyConverter:
		return t.KeyConverterClass
	case dlq.StageValueConverter:
		return t.ValueConverterClass
	case dlq.StageHeaderConvert:
		return t.HeaderConverterClass
	case dlq.StageTransformation:
		return t.TransformClass
	default:
		return t.ConnectorClass
	}
}

// write calls Destination.Write with the batch and applies its outcome to
// r. Partitions that stopped on a retriable failure are written again from
// their stop, as the retry policy (Task.Retry) allows. It returns the
// whole-batch error of the last attempt, if Write failed as a whole.
func (t *Task) write(ctx context.Context, r *run) error {
	if len(r.batch) == 0 {
		return nil
	}
	for _, p := range r.parts {
		p.prepStopped, p.prepStopAt, p.prepErr, p.prepStage = p.stopped, p.stopAt, p.stopErr, p.stopStage
	}
	var idx []int // batch indexes of this attempt; nil: the whole batch
	first := t.now()
	for attempt := 1; ; attempt++ {
		began := t.now()
		failedIdx, wholeErr := t.writeOnce(ctx, r, idx)
		retry := t.retriable(r)
		if len(retry) == 0 {
			return wholeErr
		}
		delay, ok := t.Retry.delay(ctx, attempt, first, t.now(), t.now().Sub(began))
		if !ok {
			return wholeErr
		}
		t.log().WarnContext(ctx, "retrying write after a retriable failure", "connector", t.Name,
			"attempt", attempt, "delay_ms", delay.Milliseconds(), "partitions", len(retry), "error", retry[0].stopErr.Error())
		if err := t.Retry.sleep(ctx, delay); err != nil {
			return wholeErr
		}
		idx = t.resetForRetry(r, retry, failedIdx)
	}
}

// writeOnce writes the batch records at idx (all when idx is nil) and
// applies the outcome: per-record permanent failures are queued for the
// dead-letter queue (tolerance all) or stop their partition, retriable ones
// stop their partition. It returns the batch indexes Write reported as
// failed and the whole-batch error, if any.
func (t *Task) writeOnce(ctx context.Context, r *run, idx []int) (map[int]bool, error) {
	batch := r.batch
	if idx != nil {
		batch = make([]connect.Record, len(idx))
		for i, bi := range idx {
			batch[i] = r.batch[bi]
		}
	}
	at := func(i int) int {
		if idx == nil {
			return i
		}
		return idx[i]
	}
	err := t.Destination.Write(ctx, batch)
	if err == nil {
		r.written += len(batch)
		return nil, nil
	}
	var be *connectors.BatchError
	if errors.As(err, &be) && len(be.Failed) > 0 && indexesValid(be, len(batch)) {
		r.written += len(batch) - len(be.Failed)
		failedIdx := make(map[int]bool, len(be.Failed))
		// In batch order, so the dead letters and log lines come in the
		// same order on every run.
		for _, i := range slices.Sorted(maps.Keys(be.Failed)) {
			ferr := be.Failed[i]
			bi := at(i)
			failedIdx[bi] = true
			p, raw := r.owner[bi], r.origin[bi]
			ferr = fmt.Errorf("writing %s/%d@%d: %w", raw.Topic, raw.Partition, raw.Offset, ferr)
			if t.classify(ferr) == errclass.ClassPermanent && t.tolerateAll() {
				r.failed = append(r.failed, failure{part: p, f: dlq.Failed{Original: raw, Stage: dlq.StageTaskPut, Class: t.ConnectorClass, Err: ferr}})
				continue
			}
			p.stop(raw.Offset, dlq.StageTaskPut, ferr)
		}
		return failedIdx, nil
	}
	if be != nil && len(be.Failed) > 0 {
		err = fmt.Errorf("destination reported failures at indexes outside the batch of %d records: %w", len(batch), err)
	}
	// Nothing may be assumed written: each partition in the batch restarts
	// at its first record in the batch (stop keeps the lowest offset, so a
	// partition already stopped later by a conversion failure moves back).
	werr := fmt.Errorf("writing batch of %d records: %w", len(batch), err)
	failedIdx := make(map[int]bool, len(batch))
	for i := range batch {
		bi := at(i)
		failedIdx[bi] = true
		r.owner[bi].stop(r.origin[bi].Offset, dlq.StageTaskPut, werr)
	}
	return failedIdx, werr
}

// retriable returns the partitions that stopped on a retriable write
// failure. Every such partition is written again together, so after an
// attempt no other partition holds one.
func (t *Task) retriable(r *run) []*partState {
	var out []*partState
	for _, p := range r.parts {
		if p.stopped && p.stopStage == dlq.StageTaskPut && t.classify(p.stopErr) == errclass.ClassRetryable {
			out = append(out, p)
		}
	}
	return out
}

// resetForRetry puts the partitions back to their state after prepare and
// returns the batch indexes to write again: each partition's records from
// its stop on, in batch order. What the last attempt counted for those
// records (written, dead letters) is taken back; the new attempt counts it
// again.
func (t *Task) resetForRetry(r *run, retry []*partState, failedIdx map[int]bool) []int {
	from := make(map[*partState]int64, len(retry))
	for _, p := range retry {
		from[p] = p.stopAt
		p.stopped, p.stopAt, p.stopErr, p.stopStage = p.prepStopped, p.prepStopAt, p.prepErr, p.prepStage
	}
	var idx []int
	for bi, p := range r.owner {
		if at, ok := from[p]; ok && r.origin[bi].Offset >= at {
			idx = append(idx, bi)
			if !failedIdx[bi] {
				r.written--
			}
		}
	}
	kept := r.failed[:0]
	for _, f := range r.failed {
		if at, ok := from[f.part]; ok && f.f.Stage == dlq.StageTaskPut && f.f.Original.Offset >= at {
			continue
		}
		kept = append(kept, f)
	}
	r.failed = kept
	return idx
}

func indexesValid(be *connectors.BatchError, n int) bool {
	for i := range be.Failed {
		if i < 0 || i >= n {
			return false
		}
	}
	return true
}

// finish sends the dead letters and builds the response or the error.
func (t *Task) finish(ctx context.Context, r *run, wholeErr error) (events.KafkaBatchResponse, error) {
	t.logFailures(ctx, r)
	var letters []dlq.Failed
	for _, f := range r.failed {
		// A failure at or after its partition's stop is delivered again;
		// dead-lettering it now would duplicate it.
		if f.part.before(f.f.Original.Offset) {
			letters = append(letters, f.f)
		}
	}
	if len(letters) > 0 {
		if t.DLQ == nil {
			r.skipped = len(letters)
			t.log().ErrorContext(ctx, "errors.tolerance=all without a dead letter queue: skipping records",
				"connector", t.Name, "records", positions(letters), "first_error", letters[0].Err.Error())
		} else if err := t.DLQ.Report(ctx, letters); err != nil {
			err = fmt.Errorf("sinktask: connector %q: dead letter queue: %w", t.Name, err)
			t.log().ErrorContext(ctx, "sink batch failed", "connector", t.Name, "error", err)
			return events.KafkaBatchResponse{}, err
		} else {
			r.deadLettered = len(letters)
		}
	}
	var stops []*partState
	for _, p := range r.parts {
		if p.stopped {
			stops = append(stops, p)
		}
	}
	resp := events.KafkaBatchResponse{BatchItemFailures: []events.KafkaBatchItemFailure{}}
	if len(stops) == 0 {
		t.logBatch(ctx, r, nil)
		return resp, nil
	}
	var errs []error
	for _, p := range stops {
		errs = append(errs, fmt.Errorf("%s/%d@%d: %w", p.topic, p.partition, p.stopAt, p.stopErr))
	}
	failErr := fmt.Errorf("sinktask: connector %q: %d partition(s) must be retried: %w", t.Name, len(stops), errors.Join(errs...))
	if wholeErr != nil && !t.ReportBatchItemFailures {
		// Keep the destination's error (and its class) at the top.
		failErr = fmt.Errorf("sinktask: connector %q: %w", t.Name, wholeErr)
	}
	if !t.ReportBatchItemFailures {
		t.logBatch(ctx, r, failErr)
		return events.KafkaBatchResponse{}, failErr
	}
	for _, p := range stops {
		resp.BatchItemFailures = append(resp.BatchItemFailures, events.KafkaBatchItemFailure{
			ItemIdentifier: events.KafkaItemIdentifier{Topic: p.topic, Partition: p.partition, Offset: p.stopAt},
		})
	}
	t.logBatch(ctx, r, failErr)
	return resp, nil
}

// logFailures writes Kafka Connect's LogReporter line for every failed
// record when errors.log.enable is set: the tolerated failures and the
// record each stopped partition stopped at.
func (t *Task) logFailures(ctx context.Context, r *run) {
	if !t.LogErrors {
		return
	}
	logOne := func(raw dlq.Raw, stage, class string, err error) {
		attrs := []any{"connector", t.Name, "topic", raw.Topic, "partition", raw.Partition, "offset", raw.Offset, "error", err.Error()}
		if t.LogIncludeMessages {
			attrs = append(attrs, "key", string(raw.Key), "value", string(raw.Value))
		}
		t.log().ErrorContext(ctx, fmt.Sprintf("Error encountered in task %s-0. Executing stage '%s' with class '%s', where consumed record is {topic='%s', partition=%d, offset=%d}.",
			t.Name, stage, class, raw.Topic, raw.Partition, raw.Offset), attrs...)
	}
	for _, f := range r.failed {
		logOne(f.f.Original, f.f.Stage, f.f.Class, f.f.Err)
	}
	for _, p := range r.parts {
		if !p.stopped {
			continue
		}
		for _, raw := range p.raws {
			if raw.Offset == p.stopAt {
				logOne(raw, p.stopStage, t.stageClass(p.stopStage), p.stopErr)
				break
			}
		}
	}
}

func positions(fs []dlq.Failed) string {
	ps := make([]string, len(fs))
	for i, f := range fs {
		ps[i] = fmt.Sprintf("%s/%d@%d", f.Original.Topic, f.Original.Partition, f.Original.Offset)
	}
	return strings.Join(ps, ",")
}

func (r *run) records() int {
	n := 0
	for _, p := range r.parts {
		n += len(p.raws)
	}
	return n
}

// failedCount is the number of records that will be delivered again.
func (r *run) failedCount() int {
	n := 0
	for _, p := range r.parts {
		for _, raw := range p.raws {
			if !p.before(raw.Offset) {
				n++
			}
		}
	}
	return n
}

func (t *Task) logBatch(ctx context.Context, r *run, err error) {
	attrs := []any{"connector", t.Name, "partitions", len(r.parts), "records", r.records(),
		"written", r.written, "filtered", r.filtered, "dead_lettered", r.deadLettered,
		"skipped", r.skipped, "retry", r.failedCount()}
	if err != nil {
		t.log().WarnContext(ctx, "sink batch partially failed", append(attrs, "error", err.Error())...)
		return
	}
	t.log().InfoContext(ctx, "sink batch", attrs...)
}

// putStatus writes the status item; r is nil when the event was malformed.
func (t *Task) putStatus(ctx context.Context, start time.Time, r *run, err error, failed bool) {
	if t.Status == nil {
		return
	}
	st := state.Status{
		Connector: t.Name,
		Task:      TaskID,
		WorkerID:  t.WorkerID,
		Type:      state.TypeSink,
		State:     state.StateRunning,
		RunStart:  start,
		RunEnd:    t.now(),
	}
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		st.RequestID = lc.AwsRequestID
	}
	if r != nil {
		failedRecords := r.failedCount()
		if err != nil {
			failedRecords = r.records() // the whole batch comes again
		}
		st.Counters = map[string]int64{
			"records":       int64(r.records()),
			"written":       int64(r.written),
			"filtered":      int64(r.filtered),
			"dead_lettered": int64(r.deadLettered),
			"skipped":       int64(r.skipped),
			"failed":        int64(failedRecords),
		}
		if err == nil {
			st.HighWatermarks = map[string]int64{}
			for _, p := range r.parts {
				for _, raw := range p.raws {
					if p.before(raw.Offset) {
						st.HighWatermarks[p.key] = raw.Offset
					}
				}
			}
		}
		if err == nil {
			for _, p := range r.parts {
				if p.stopped {
					// Kafka Connect fails the task on a permanent error
					// with errors.tolerance=none; the partition stays
					// stuck until the record is fixed or ages out.
					failed = failed || errclass.IsPermanent(p.stopErr)
					if err == nil {
						err = fmt.Errorf("%s/%d@%d: %w", p.topic, p.partition, p.stopAt, p.stopErr)
					}
				}
			}
		}
	}
	if failed {
		st.State = state.StateFailed
	}
	if err != nil {
		st.LastError = &state.ErrorInfo{Class: errclass.Name(err), Message: err.Error(), Trace: dlq.Trace(err), At: st.RunEnd}
	}
	if perr := t.Status.Put(ctx, st); perr != nil {
		t.log().WarnContext(ctx, "writing sink status failed", "connector", t.Name, "error", perr)
	}
}
