// Package sourcetask is the source connector's run loop, shared by the
// source-poller function and the local runner. One Run is one scheduled
// invocation: take the connector's lease, then for every partition read
// bounded pages, produce each page to Kafka, wait for every acknowledgement,
// and only then commit the page's position — fenced by the lease counter —
// to the offset store. It stops early enough to finish inside the
// invocation's deadline, so the next invocation resumes from the last
// committed page and at most one page is ever produced twice.
//
// Fencing: every Run takes the lease under an owner unique to that Run
// (Owner: request id, process id, run number), because Lambda's async
// retries reuse the request id. Every offset write is one DynamoDB
// transaction conditional on the lease still holding that owner and
// counter; a Run whose lease was taken over stops at its first refused
// write with an error matching state.ErrLeaseLost, producing nothing more.
//
// Delivery is at-least-once: a crash between the acknowledgements and the
// offset write re-sends that page on the next run.
package sourcetask

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/serverless-kafka-connect/slkc/connectors"
	"github.com/serverless-kafka-connect/slkc/shared/connect"
	"github.com/serverless-kafka-connect/slkc/shared/convert"
	"github.com/serverless-kafka-connect/slkc/shared/errclass"
	"github.com/serverless-kafka-connect/slkc/shared/kafka"
	"github.com/serverless-kafka-connect/slkc/shared/parallel"
	"github.com/serverless-kafka-connect/slkc/shared/state"
)

// Producer sends records and waits for their acknowledgements;
// *kgo.Client satisfies it.
type Producer interface {
	ProduceSync(ctx context.Context, rs ...*kgo.Record) kgo.ProduceResults
}

// AsyncProducer is a Producer that also hands a record over without
// waiting for its acknowledgement, calling promise once with its outcome
// (blocking while its buffer is full); records handed over one after
// another keep that order in their partition. *kgo.Client and
// shared/kafka's Producer satisfy it. With one, a Task hands each page
// read ahead over as soon as it is converted, behind the page in flight,
// so the producer does not run dry while a page's offset is committed.
type AsyncProducer interface {
	Producer
	Produce(ctx context.Context, r *kgo.Record, promise func(*kgo.Record, error))
}

// Converter serialises a key or value; shared/convert's converters satisfy
// it. It must be safe for concurrent use: the records of a big page are
// converted on several goroutines when convert.SideEffectFree says the
// converter has no effect beyond its result.
type Converter interface {
	FromConnect(topic string, schema *connect.Schema, value any) ([]byte, error)
}

// Transformer is a single message transform chain; transform.Chain
// satisfies it. Apply returns false to drop the record. It must be safe for
// concurrent use and have no effect beyond its result (transform.Chain's
// contract): a big page's records are transformed on several goroutines.
type Transformer interface {
	Apply(r connect.Record) (connect.Record, bool, error)
}

// OffsetStore is the part of *state.OffsetStore the loop uses. Commit must
// write only while lease is still the stored lease (else an error matching
// state.ErrLeaseLost) and the stored version is prevVersion (else
// state.ErrOffsetConflict).
type OffsetStore interface {
	Get(ctx context.Context, connector string, p connectors.Partition) (state.Offset, error)
	Commit(ctx context.Context, lease state.Lease, p connectors.Partition, pos connectors.Position, prevVersion int64) (int64, error)
}

// LeaseStore is the part of *state.LeaseStore the loop uses.
type LeaseStore interface {
	Acquire(ctx context.Context, connector, owner string, ttl time.Duration) (state.Lease, error)
	Release(ctx context.Context, lease state.Lease) error
}

// StatusStore is the part of *state.StatusStore the loop uses.
type StatusStore interface {
	Put(ctx context.Context, st state.Status) error
}

// Defaults for Task fields left zero.
const (
	DefaultDeadlineMargin = 5 * time.Second
	// DefaultLeaseTTL is used when the context has no deadline.
	DefaultLeaseTTL = 5 * time.Minute
	// StatusTask is the status item of task 0 (TaskName(0)), the only task
	// when TasksMax <= 1.
	StatusTask = "task-0"
)

// Task runs one source connector. Build it once at init; Run may be called
// repeatedly but not concurrently on the same Task (the lease guards
// against concurrency across processes).
type Task struct {
	// Name is the connector name: the offsets', lease's and status key.
	Name   string
	Source connectors.Source
	// Producer is usually the shared *kgo.Client.
	Producer Producer
	// KeyConv and ValueConv serialise record keys and values.
	KeyConv, ValueConv Converter
	// Transforms, when set, runs on every record before conversion (the
	// connector's SMT chain). A transform error is a permanent data error.
	Transforms Transformer
	// ToleranceAll is errors.tolerance=all: a record that a transform or a
	// converter cannot handle is skipped, as a Kafka Connect source task
	// skips it (sources have no dead-letter topic), and counted in
	// Result.RecordsTolerated, the status counter "tolerated" and the
	// RecordsTolerated metric; its offset is committed with the page. False
	// (errors.tolerance=none) fails the run at the record, committing
	// nothing of its page.
	ToleranceAll bool
	// LogErrors is errors.log.enable: one error line per tolerated record,
	// naming it and the error (with ToleranceAll; a failed run is logged
	// anyway).
	LogErrors bool
	// EnsureTopic, when set, is called once per topic for the Task's
	// lifetime before the first record goes to it (topic.creation.*); its
	// error stops the run before anything of the page is produced.
	EnsureTopic func(ctx context.Context, topic string) error
	Offsets     OffsetStore
	Leases      LeaseStore
	// Status may be nil to skip status writes.
	Status StatusStore
	// Target, when set, is read after the lease is taken: a PAUSED or
	// STOPPED connector skips its run (see pausedByTarget).
	Target TargetStates
	// WorkerID names where the task runs (e.g. the function name); shown
	// as worker_id in the status.
	WorkerID string
	// Now is the clock used for the time budget and status times; nil
	// means time.Now. The deadline itself comes from ctx.Deadline().
	Now func() time.Time
	// Logger receives one info line per page; nil means slog.Default().
	Logger *slog.Logger
	// DeadlineMargin is kept free before ctx's deadline for the offset
	// write, status and lease release; default DefaultDeadlineMargin.
	DeadlineMargin time.Duration
	// Metrics, when set, receives one CloudWatch embedded metric format
	// JSON line per Run (os.Stdout in Lambda); nil means no metrics.
	Metrics io.Writer
	// LeaseTTL is how long the lease is held; default: the time left until
	// ctx's deadline plus DeadlineMargin, or DefaultLeaseTTL without one.
	LeaseTTL time.Duration
	// TasksMax is tasks.max: the partitions are split over that many tasks
	// (fewer when there are fewer partitions), each run by RunTask with its
	// id. 0 or 1: one task that reads every partition under the connector's
	// lease. Above 1, Leases must also implement KeyedLeaseStore.
	TasksMax int

	mu      sync.Mutex
	ensured map[string]bool
	// blocks are the output blocks of acknowledged pages, for reuse.
	blocks blockPool
}

// Result summarises a Run.
type Result struct {
	// Skipped is true when another invocation held the lease; nothing was
	// read.
	Skipped bool
	// Pages is the number of committed pages; Records the records in them.
	Pages, Records int
	// PerPartition counts committed records by partition (canonical JSON).
	PerPartition map[string]int
	// StoppedByDeadline is true when the time budget ended the run before
	// every partition was drained.
	StoppedByDeadline bool
	// LeaseCounter is the fencing counter the run held (0 when skipped).
	LeaseCounter int64
	// Owner is the lease owner the run used (see Owner).
	Owner string
	// RecordsTolerated counts the records skipped under ToleranceAll
	// because a transform or converter failed on them.
	RecordsTolerated int
	// Superseded is true when another run took the lease over and this
	// run's offset write was refused; Run then returns an error matching
	// state.ErrLeaseLost.
	Superseded bool
	// Retired is true when the task has no partition under the current
	// assignment (fewer partitions than TasksMax); its status item is
	// marked retired.
	Retired bool
	// PartitionsHeld counts assigned partitions skipped because another
	// run still held their partition lease (a task that owned them before
	// the assignment or tasks.max changed, or one still finishing).
	PartitionsHeld int
	// ChunksHeld counts initial-load chunks skipped because another run
	// was reading them (see runChunks).
	ChunksHeld int
}

// processID tells apart the processes (Lambda execution environments) that
// run pollers; runSeq the runs inside one process.
var (
	processID = newProcessID()
	runSeq    atomic.Uint64
)

func newProcessID() string {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		// crypto/rand does not fail on supported platforms; a clock value
		// still keeps processes apart.
		return fmt.Sprintf("t%x", time.Now().UnixNano())
	}
	return hex.EncodeToString(b[:])
}

// Owner returns a lease owner unique to one run:
// "<requestID>/<process id>/<run number in this process>". The request id
// alone is not unique: Lambda's async retries and EventBridge's duplicate
// deliveries can run the same request id at the same time.
func Owner(requestID string) string {
	return fmt.Sprintf("%s/%s/%d", requestID, processID, runSeq.Add(1))
}

func (t *Task) now() time.Time {
	if t.Now != nil {
		return t.Now()
	}
	return time.Now()
}

func (t *Task) log() *slog.Logger {
	if t.Logger != nil {
		return t.Logger
	}
	return slog.Default()
}

func (t *Task) margin() time.Duration {
	if t.DeadlineMargin > 0 {
		return t.DeadlineMargin
	}
	return DefaultDeadlineMargin
}

func (t *Task) leaseTTL(ctx context.Context) time.Duration {
	if t.LeaseTTL > 0 {
		return t.LeaseTTL
	}
	if dl, ok := ctx.Deadline(); ok {
		if left := dl.Sub(t.now()); left > 0 {
			return left + t.margin()
		}
	}
	return DefaultLeaseTTL
}

// Run performs one invocation's work; requestID identifies the invocation
// in the status and logs, and the lease owner is Owner(requestID). Order:
// acquire the lease (held elsewhere → a skipped Result and nil error), list
// partitions, then per partition load
// the offset and loop read page → convert → produce and wait for all acks →
// commit offset, until the partition has no more rows or the time budget
// (ctx's deadline minus DeadlineMargin minus the longest page so far) is
// spent. Finally one status write and the lease release.
//
// After a partition's first commit, pages are pipelined one deep: page
// N+1 is read and converted while page N's acknowledgements are awaited.
// The commit order is unchanged: page N's offset is written only after all
// of page N's acks, before page N+1 is produced; a page read ahead when the
// run stops or fails is simply dropped (nothing of it was produced).
//
// Errors: a conversion error is permanent (errclass.Data) and names the
// partition, position and record; produce and store errors keep their
// vendor class. On any error the current page's offset is not written.
// ErrOffsetConflict (another poller moved the offset) ends the run with that
// error, classified retryable. ErrLeaseLost (another run took the lease
// over) ends the run at once with that error, classified retryable and
// Result.Superseded set; it writes no status and does not release (the
// status and lease belong to the new holder). Otherwise status is FAILED
// for permanent errors and RUNNING otherwise, with the last error attached.
func (t *Task) Run(ctx context.Context, requestID string) (Result, error) {
	return t.RunTask(ctx, requestID, 0)
}

// RunTask is Run for task taskID of a connector with TasksMax tasks (see
// tasks.go): with TasksMax <= 1 it is Run (taskID must be 0); otherwise the
// run takes the task's own lease, reads only the partitions assigned to
// taskID, each under a partition lease that fences its offset writes, and
// writes the status item "task-<taskID>".
func (t *Task) RunTask(ctx context.Context, requestID string, taskID int) (Result, error) {
	res := Result{PerPartition: map[string]int{}}
	start := t.now()
	owner := Owner(requestID)
	res.Owner = owner
	log := t.log().With("connector", t.Name, "request_id", requestID, "lease_owner", owner)
	multi := t.TasksMax > 1
	if multi {
		log = log.With("task", taskID)
	}
	kl, err := t.taskLeases(taskID)
	if err != nil {
		t.emitMetrics(log, start, res, err)
		return res, err
	}
	var lease state.Lease
	if multi {
		lease, err = kl.AcquireKey(ctx, t.Name, state.LeaseKey(t.Name, TaskName(taskID)), owner, t.leaseTTL(ctx))
	} else {
		lease, err = t.Leases.Acquire(ctx, t.Name, owner, t.leaseTTL(ctx))
	}
	if err != nil {
		var held *state.LeaseHeldError
		if errors.As(err, &held) {
			log.Info("lease held by another invocation; skipping run",
				"holder", held.Holder, "lease_expires_at", held.ExpiresAt, "lease_counter", held.Counter)
			res.Skipped = true
			t.emitMetrics(log, start, res, nil)
			return res, nil
		}
		err = fmt.Errorf("sourcetask: connector %q: %w", t.Name, err)
		t.emitMetrics(log, start, res, err)
		return res, err
	}
	res.LeaseCounter = lease.Counter
	defer func() {
		if res.Superseded && !multi {
			return // the lease is someone else's now
		}
		// The run's ctx may be nearly done; release must still go out.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		defer cancel()
		if err := t.Leases.Release(rctx, lease); err != nil {
			log.Warn("lease release failed; it expires on its own", "error", err.Error(), "lease_counter", lease.Counter)
		}
	}()

	if multi {
		if skip, err := t.singleTaskRunning(ctx, log, kl); skip || err != nil {
			res.Skipped = skip
			t.emitMetrics(log, start, res, err)
			return res, err
		}
	}
	if skip, err := t.pausedByTarget(ctx, log); skip || err != nil {
		res.Skipped = skip
		t.emitMetrics(log, start, res, err)
		return res, err
	}
	var runErr error
	if multi {
		runErr = t.runAssigned(ctx, log, kl, owner, taskID, &res)
	} else {
		runErr = t.run(ctx, log, lease, owner, &res)
	}
	if errors.Is(runErr, state.ErrLeaseLost) {
		res.Superseded = true
	} else {
		t.writeStatus(ctx, log, requestID, TaskName(taskID), start, &res, runErr)
	}
	level := slog.LevelInfo
	if runErr != nil {
		level = slog.LevelError
	}
	attrs := []any{"pages", res.Pages, "records", res.Records, "stopped_by_deadline", res.StoppedByDeadline,
		"lease_counter", lease.Counter, "superseded", res.Superseded, "duration_ms", t.now().Sub(start).Milliseconds()}
	if runErr != nil {
		attrs = append(attrs, "error", runErr.Error(), "error_class", errclass.Classify(runErr).String(), "exception", errclass.Name(runErr))
	}
	log.Log(ctx, level, "source run finished", attrs...)
	t.emitMetrics(log, start, res, runErr)
	return res, runErr
}

func (t *Task) emitMetrics(log *slog.Logger, start time.Time, res Result, runErr error) {
	if t.Metrics == nil {
		return
	}
	now := t.now()
	if err := writeEMF(t.Metrics, t.Name, now, res, now.Sub(start), runErr != nil); err != nil {
		log.Warn("metrics line not written", "error", err.Error())
	}
}

// budgetLeft reports whether one more page of about estimate fits before
// ctx's deadline minus the margin.
func (t *Task) budgetLeft(ctx context.Context, estimate time.Duration) bool {
	dl, ok := ctx.Deadline()
	if !ok {
		return ctx.Err() == nil
	}
	return ctx.Err() == nil && t.now().Add(t.margin()+estimate).Before(dl)
}

// run reads every partition (tasks.max 1) under the connector's lease.
// With a KeyedLeaseStore it first checks each partition's lease: a table
// that a run started under a higher tasks.max is still reading is skipped
// (Result.PartitionsHeld) until that lease is free, and multi-task runs
// check the connector's lease after taking a partition lease, so the two
// never read one table at once.
func (t *Task) run(ctx context.Context, log *slog.Logger, lease state.Lease, owner string, res *Result) error {
	parts, err := t.Source.Partitions(ctx)
	if err != nil {
		return fmt.Errorf("sourcetask: connector %q: list partitions: %w", t.Name, err)
	}
	kl, _ := t.Leases.(KeyedLeaseStore)
	sc := &scope{kl: kl, owner: owner, tasks: 1, single: true}
	var estimate time.Duration // longest page so far, from its read to its commit
	for _, p := range parts {
		if kl != nil {
			held, err := t.subLeaseHeld(ctx, log, kl, partitionLeaseKey(t.Name, p), "partition "+p.String())
			if err != nil {
				return err
			}
			if held {
				res.PartitionsHeld++
				continue
			}
		}
		off, err := t.Offsets.Get(ctx, t.Name, p)
		if err != nil {
			return fmt.Errorf("sourcetask: connector %q: %w", t.Name, err)
		}
		stop, err := t.readPartition(ctx, log, sc, lease, res, p, off, &estimate)
		if err != nil || stop {
			return err
		}
	}
	return nil
}

// pagePlan is one page read and converted, ready to produce.
type pagePlan struct {
	pos  connectors.Position // the position the page was read after
	page connectors.Page
	krs  []*kgo.Record
	// tolerated counts the records skipped under ToleranceAll.
	tolerated int
	start     time.Time     // when its read began
	done      chan error    // produce outcome; nil when there is nothing to produce
	async     AsyncProducer // the producer that takes its records one by one, or nil (Task.async)
	acks      *pageAcks     // its records' outcomes so far, when handed to async
	// blocks hold its records' encoded keys and values (AppendConverter);
	// they go back to the Task's pool once every record is acknowledged.
	blocks [][]byte
}

// failed reports a record of pl known to have failed already.
func (pl *pagePlan) failed() bool { return pl.acks != nil && pl.acks.failed() }

// stalled reports a page that claims more rows but returned none and did
// not move: following it would spin until the deadline.
func (pl *pagePlan) stalled() bool {
	return pl.page.More && len(pl.page.Records) == 0 && samePos(pl.page.Next, pl.pos)
}

// runPartition drains one partition. Pages are pipelined one deep: while
// page N's records are in flight, page N+1 is read and converted. Page N's
// offset is written only after every one of its acknowledgements, so
// offsets are written in page order and never past an unacknowledged
// record. With an AsyncProducer, page N+1 is handed over as soon as it is
// converted, behind page N's records, so the producer keeps sending while
// page N's offset is written; otherwise page N+1 is produced only after
// that write, as it is when either page has a record over the producer's
// batch size (see async). Either way a failure of page N leaves page N+1
// uncommitted (with an AsyncProducer its records may be in Kafka already,
// and the next run sends them again: at least once, as for any page whose
// commit failed), and the run returns only once page N+1's produce has
// ended.
// The partition's first page runs alone: its commit proves the lease's
// fence and the stored version before anything is read ahead. stop
// reports that the time budget ended the run.
func (t *Task) runPartition(ctx context.Context, log *slog.Logger, lease state.Lease, res *Result,
	p connectors.Partition, off state.Offset, estimate *time.Duration) (stop bool, err error) {
	pos, version := off.Position, off.Version
	var inflight *pagePlan
	committed := 0
	for {
		var next *pagePlan
		var readErr error
		if inflight == nil || (committed > 0 && inflight.page.More && !inflight.stalled()) {
			est := *estimate
			if inflight != nil {
				// The page in flight must finish too before the next one.
				est = max(est, t.now().Sub(inflight.start))
			}
			if t.budgetLeft(ctx, est) {
				next, readErr = t.preparePage(ctx, p, pos)
			} else {
				stop = true
				res.StoppedByDeadline = true
				log.Info("time budget spent; stopping before the next page", "partition", p.String(),
					"estimate_ms", est.Milliseconds(), "margin_ms", t.margin().Milliseconds())
			}
		}
		early := next != nil && inflight != nil && inflight.acks != nil && !inflight.failed() && next.async != nil
		if early {
			t.startProduce(ctx, next)
		}
		if inflight != nil {
			if version, err = t.finishPage(ctx, log, lease, res, p, inflight, version, estimate); err != nil {
				if early && next.done != nil {
					<-next.done // nothing of this run is left in flight
				}
				return false, err
			}
			committed++
			if inflight.stalled() {
				log.Warn("source returned an empty page without progress but more=true; moving to the next partition",
					"partition", p.String(), "offset", posString(inflight.pos))
				return false, nil
			}
			if !inflight.page.More {
				return false, nil
			}
		}
		if readErr != nil || stop {
			return stop, readErr
		}
		inflight = next
		if next == nil {
			// The first page is committed; read on with read-ahead.
			continue
		}
		if !early {
			t.startProduce(ctx, next)
		}
		pos = next.page.Next
	}
}

// preparePage reads the page after pos and converts its records.
func (t *Task) preparePage(ctx context.Context, p connectors.Partition, pos connectors.Position) (*pagePlan, error) {
	pl := &pagePlan{pos: pos, start: t.now()}
	page, err := t.Source.ReadPage(ctx, p, pos)
	if err != nil {
		return nil, fmt.Errorf("sourcetask: connector %q: read partition %s after position %s: %w", t.Name, p, posString(pos), err)
	}
	pl.page = page
	if pl.krs, pl.tolerated, pl.blocks, err = t.convertPage(ctx, p, pos, page.Records); err != nil {
		return nil, err
	}
	pl.async = t.async(pl.krs)
	return pl, nil
}

// startProduce sends pl's records in the background; finishPage waits.
// With an AsyncProducer the records are handed over before it returns, so
// a later call's records follow them.
func (t *Task) startProduce(ctx context.Context, pl *pagePlan) {
	if len(pl.krs) == 0 {
		return
	}
	pl.done = make(chan error, 1)
	if pl.async != nil {
		pl.acks = t.handOver(ctx, pl.async, pl.krs, pl.done)
		return
	}
	go func() { pl.done <- t.produceSync(ctx, pl.krs) }()
}

// batchLimited is a producer that sends a record over its batch size
// alone, through another client, once every record before it is
// acknowledged (shared/kafka's Producer).
type batchLimited interface {
	Oversized(r *kgo.Record) bool
}

// async returns the Producer as an AsyncProducer for krs, or nil: when it
// is not one, or when one of the records is over its batch size.
// Such a page goes through ProduceSync, which waits for the records before
// an oversized one in that call only, and it is produced only after the
// page before it is acknowledged; an oversized record handed over behind
// another goroutine's records would wait for all of them.
func (t *Task) async(krs []*kgo.Record) AsyncProducer {
	ap, ok := t.Producer.(AsyncProducer)
	if !ok {
		return nil
	}
	if bl, ok := t.Producer.(batchLimited); ok && slices.ContainsFunc(krs, bl.Oversized) {
		return nil
	}
	return ap
}

// handOver hands krs to ap in order and sends the outcome to done once
// every record is acknowledged or failed: nil, or the first error. Records
// after a failure already reported are not handed over. Like produceSync,
// it stops waiting at ctx's deadline minus half the margin. It returns the
// records' outcomes so far.
func (t *Task) handOver(ctx context.Context, ap AsyncProducer, krs []*kgo.Record, done chan<- error) *pageAcks {
	pctx, cancel := t.produceContext(ctx)
	acks := &pageAcks{done: make(chan error, 1)}
	acks.pending.Store(int64(len(krs)))
	promise := func(_ *kgo.Record, err error) { acks.settle(1, err) }
	for i, r := range krs {
		if acks.failed() {
			acks.settle(len(krs)-i, nil)
			break
		}
		ap.Produce(pctx, r, promise)
	}
	go func() {
		defer cancel()
		done <- waitAcks(pctx, acks.done)
	}()
	return acks
}

// waitAcks returns the outcome acked delivers, or an error once pctx ends
// first: an idempotent producer keeps retrying a request it is unsure
// about regardless of its context (see produceSync).
func waitAcks(pctx context.Context, acked <-chan error) error {
	select {
	case err := <-acked:
		return err
	case <-pctx.Done():
		return fmt.Errorf("waiting for acknowledgements: %w", pctx.Err())
	}
}

// pageAcks counts the acknowledgements a page still waits for and keeps
// its first error, sent to done when none is left. It takes no lock: it
// is called once per record, from franz-go's promise goroutine.
type pageAcks struct {
	pending atomic.Int64
	first   atomic.Pointer[error]
	done    chan error
}

// settle accounts for n records, failed with err when it is not nil. The
// error is stored before the count drops, so the call that takes it to
// zero sees every error of the page.
func (a *pageAcks) settle(n int, err error) {
	if err != nil {
		a.first.CompareAndSwap(nil, &err)
	}
	if a.pending.Add(-int64(n)) == 0 {
		var first error
		if p := a.first.Load(); p != nil {
			first = *p
		}
		a.done <- first
	}
}

// failed reports whether a record has failed so far.
func (a *pageAcks) failed() bool { return a.first.Load() != nil }

// produceContext bounds a page's produce at ctx's deadline minus half the
// margin (see produceSync).
func (t *Task) produceContext(ctx context.Context) (context.Context, context.CancelFunc) {
	if dl, ok := ctx.Deadline(); ok {
		return context.WithDeadline(ctx, dl.Add(-t.margin()/2))
	}
	return context.WithCancel(ctx)
}

// finishPage waits for every acknowledgement of pl, then commits its
// offset under the lease and accounts for it. It returns the new offset
// version.
func (t *Task) finishPage(ctx context.Context, log *slog.Logger, lease state.Lease, res *Result,
	p connectors.Partition, pl *pagePlan, version int64, estimate *time.Duration) (int64, error) {
	if pl.done != nil {
		if err := <-pl.done; err != nil {
			// Records may still be in the producer: their blocks are left
			// to the collector.
			return version, fmt.Errorf("sourcetask: connector %q: produce %d records of partition %s to topic %q: %w",
				t.Name, len(pl.krs), p, pl.krs[0].Topic, kafka.ExplainProduceError(t.Producer, pl.krs[0].Topic, err))
		}
	}
	// Every record is acknowledged: nothing refers to the blocks any more.
	t.blocks.put(pl.blocks)
	pl.blocks = nil
	if len(pl.page.Records) > 0 || version == 0 || !samePos(pl.page.Next, pl.pos) {
		var err error
		version, err = t.Offsets.Commit(ctx, lease, p, pl.page.Next, version)
		if errors.Is(err, state.ErrLeaseLost) {
			return version, errclass.Retryable(fmt.Errorf(
				"sourcetask: connector %q: superseded: another run took the lease over (ours had counter %d), so the offset %s of partition %s was not committed; this run stops and the holder re-sends the page: %w",
				t.Name, lease.Counter, posString(pl.page.Next), p, err))
		}
		if err != nil {
			return version, fmt.Errorf("sourcetask: connector %q: commit offset %s of partition %s: %w", t.Name, posString(pl.page.Next), p, retryableConflict(err))
		}
	}
	d := t.now().Sub(pl.start)
	*estimate = max(*estimate, d)
	res.Pages++
	res.Records += len(pl.page.Records)
	res.RecordsTolerated += pl.tolerated
	res.PerPartition[p.String()] += len(pl.page.Records)
	log.Info("page committed", "partition", p.String(), "records", len(pl.page.Records),
		"offset", posString(pl.page.Next), "offset_version", version, "more", pl.page.More, "duration_ms", d.Milliseconds())
	return version, nil
}

// retryableConflict marks an offset conflict retryable: another poller
// moved on, nothing is wrong with the data.
func retryableConflict(err error) error {
	if errors.Is(err, state.ErrOffsetConflict) {
		return errclass.Retryable(err)
	}
	return err
}

// convertPage applies the transforms and converts every record of a page,
// ensuring each destination topic exists before it is used. The Kafka
// records of a page share one backing array. A record a transform or
// converter fails on fails the page with a permanent data error naming it,
// or, under ToleranceAll, is skipped and counted in tolerated.
//
// A page of parallel.MinRecords records or more whose converters are
// side-effect free (convert.SideEffectFree) is transformed and converted
// on parallel.Workers() goroutines first; the pass that applies the
// outcomes in record order is the same either way, so the result, the
// error and the log lines are those of the one-goroutine loop. Otherwise
// each record is converted in that pass, and nothing after a failing
// record is converted (a schema registry converter registers schemas).
//
// Keys and values from an AppendConverter are encoded into blocks, one
// arena per goroutine; blocks lists them, to be reused once the page is
// acknowledged.
func (t *Task) convertPage(ctx context.Context, p connectors.Partition, pos connectors.Position, recs []connect.Record) (krs []*kgo.Record, tolerated int, blocks [][]byte, err error) {
	krs = make([]*kgo.Record, 0, len(recs))
	backing := make([]kgo.Record, len(recs))
	arenas := make([]*convert.Blocks, max(1, parallel.Workers()))
	for i := range arenas {
		arenas[i] = convert.NewBlocks(t.blocks.get)
	}
	defer func() {
		for _, a := range arenas {
			blocks = append(blocks, a.Used()...)
		}
	}()
	outcome := func(i int) recordOutcome { return t.convertRecord(p, pos, i, recs[i], &backing[i], arenas[0]) }
	if len(recs) >= parallel.MinRecords && convert.SideEffectFree(t.KeyConv) && convert.SideEffectFree(t.ValueConv) {
		outs := make([]recordOutcome, len(recs))
		parallel.WorkerChunks(len(recs), len(arenas), func(w, lo, hi int) {
			for i := lo; i < hi; i++ {
				outs[i] = t.convertRecord(p, pos, i, recs[i], &backing[i], arenas[w])
			}
		})
		outcome = func(i int) recordOutcome { return outs[i] }
	}
	for i := range recs {
		o := outcome(i)
		if o.err != nil {
			if t.tolerate(o.err) {
				tolerated++
				continue
			}
			return nil, 0, nil, errclass.Data(o.err)
		}
		if !o.keep {
			continue
		}
		kr := &backing[i]
		if err := t.ensureTopic(ctx, kr.Topic); err != nil {
			return nil, 0, nil, fmt.Errorf("sourcetask: connector %q: ensure topic %q: %w", t.Name, kr.Topic, err)
		}
		krs = append(krs, kr)
	}
	return krs, tolerated, nil, nil
}

// recordOutcome is what convertRecord made of a record: kept (converted
// into its Kafka record), dropped by a transform, or failed with err.
type recordOutcome struct {
	keep bool
	err  error
}

// convertRecord applies the transforms to record i of the page after pos
// and converts it into kr, encoding into bl where the converter can.
func (t *Task) convertRecord(p connectors.Partition, pos connectors.Position, i int, r connect.Record, kr *kgo.Record, bl *convert.Blocks) recordOutcome {
	if t.Transforms != nil {
		out, keep, err := t.Transforms.Apply(r)
		if err != nil {
			return recordOutcome{err: fmt.Errorf("sourcetask: connector %q: record %d of page after position %s of partition %s: %w",
				t.Name, i, posString(pos), p, err)}
		}
		if !keep {
			return recordOutcome{}
		}
		r = out
	}
	if err := t.toKafka(&r, kr, bl); err != nil {
		return recordOutcome{err: fmt.Errorf("sourcetask: connector %q: record %d of page after position %s of partition %s (topic %q): %w",
			t.Name, i, posString(pos), p, r.Topic, err)}
	}
	return recordOutcome{keep: true}
}

// tolerate reports whether a record's transform or conversion failure is
// skipped (errors.tolerance=all), logging it when errors.log.enable is set.
func (t *Task) tolerate(err error) bool {
	if !t.ToleranceAll {
		return false
	}
	if t.LogErrors {
		t.log().Error("record skipped (errors.tolerance=all)", "connector", t.Name, "error", err.Error())
	}
	return true
}

// produceSync waits for every acknowledgement, but never beyond ctx's
// deadline minus half the margin: an idempotent producer keeps retrying a
// request it is unsure about regardless of ctx, and the run must still
// write its status and release the lease. Records still in flight when it
// gives up are simply not committed; the next run re-sends them.
func (t *Task) produceSync(ctx context.Context, krs []*kgo.Record) error {
	pctx, cancel := t.produceContext(ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- t.Producer.ProduceSync(pctx, krs...).FirstErr() }()
	return waitAcks(pctx, done)
}

func (t *Task) ensureTopic(ctx context.Context, topic string) error {
	if t.EnsureTopic == nil {
		return nil
	}
	t.mu.Lock()
	done := t.ensured[topic]
	t.mu.Unlock()
	if done {
		return nil
	}
	if err := t.EnsureTopic(ctx, topic); err != nil {
		return err
	}
	t.mu.Lock()
	if t.ensured == nil {
		t.ensured = map[string]bool{}
	}
	t.ensured[topic] = true
	t.mu.Unlock()
	return nil
}

// toKafka fills kr with r converted by the key and value converters,
// encoding into bl where a converter is an AppendConverter.
func (t *Task) toKafka(r *connect.Record, kr *kgo.Record, bl *convert.Blocks) error {
	if r.Topic == "" {
		return errors.New("record has no topic")
	}
	kr.Topic, kr.Timestamp = r.Topic, r.Timestamp
	var err error
	if r.Key != nil || r.KeySchema != nil {
		if kr.Key, err = encode(t.KeyConv, bl, r.Topic, r.KeySchema, r.Key); err != nil {
			return fmt.Errorf("convert key: %w", err)
		}
	}
	if kr.Value, err = encode(t.ValueConv, bl, r.Topic, r.ValueSchema, r.Value); err != nil {
		return fmt.Errorf("convert value: %w", err)
	}
	if len(r.Headers) > 0 {
		kr.Headers = make([]kgo.RecordHeader, 0, len(r.Headers))
		for _, h := range r.Headers {
			kr.Headers = append(kr.Headers, kgo.RecordHeader{Key: h.Key, Value: h.Value})
		}
	}
	return nil
}

func posString(p connectors.Position) string {
	if p == nil {
		return "(beginning)"
	}
	return string(p)
}

func samePos(a, b connectors.Position) bool { return string(a) == string(b) }

// writeStatus writes the run's one status item; failures are logged, never
// returned (status is informational).
func (t *Task) writeStatus(ctx context.Context, log *slog.Logger, requestID, task string, start time.Time, res *Result, runErr error) {
	if t.Status == nil {
		return
	}
	st := state.Status{
		Connector: t.Name, Task: task, Type: state.TypeSource, State: state.StateRunning,
		WorkerID: t.WorkerID, RequestID: requestID, RunStart: start.UTC(), RunEnd: t.now().UTC(),
		Counters: map[string]int64{"pages": int64(res.Pages), "records": int64(res.Records), "tolerated": int64(res.RecordsTolerated)},
	}
	for p, n := range res.PerPartition {
		st.Counters["records:"+p] = int64(n)
	}
	if runErr != nil {
		if errclass.IsPermanent(runErr) {
			st.State = state.StateFailed
		}
		st.LastError = &state.ErrorInfo{Class: errclass.Name(runErr), Message: runErr.Error(), Trace: Trace(runErr), At: t.now().UTC()}
	}
	st.Retired = res.Retired
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer cancel()
	if err := t.Status.Put(sctx, st); err != nil {
		log.Warn("status write failed", "error", err.Error())
	}
}

// Trace renders err's chain one cause per line ("Caused by: <type>: <msg>"),
// Go's stand-in for a Java stack trace in status and DLQ headers.
func Trace(err error) string {
	out := ""
	for e := err; e != nil; e = errors.Unwrap(e) {
		line := fmt.Sprintf("%T: %s", e, e.Error())
		if out == "" {
			out = line
		} else {
			out += "\nCaused by: " + line
		}
	}
	return out
}
