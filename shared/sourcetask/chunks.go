package sourcetask

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/serverless-kafka-connect/slkc/connectors"
	"github.com/serverless-kafka-connect/slkc/shared/state"
)

// Parallel initial load (connectors.Chunker).
//
// The first read of a partition (no stored offset) of a Source that
// implements connectors.Chunker asks it for chunks. When it returns some,
// the plan is committed as the partition's offset, {"initial_load":
// {"chunks": [...], "then": <position>}}, fenced by the same lease as any
// page, so the plan survives the invocation and every later run resumes
// the same chunks. The chunks are drained concurrently, each by the usual
// page loop with its own offset item (chunk partitions are keys of their
// own): produce a page, wait for its acknowledgements, commit its
// position. Each chunk holds at most two pages (one in flight, one read
// ahead), so memory is bounded by 2 × chunks × batch.max.rows, and each
// reads over one connection at a time. When every chunk is drained, the
// partition's offset moves to "then" (the key range's end when it was
// split) and incremental reads continue from there: nothing between the
// load and the incremental reads is skipped or read twice. A failing chunk
// cancels the others and fails the run; pages already committed stay
// committed, so the next run resumes every chunk from its last page.
//
// Concurrent invocations. With a KeyedLeaseStore every chunk is read under
// a chunk lease of its own (partitionLeaseKey of the chunk partition) and
// its offsets are fenced by it, so no chunk is read by two runs at once.
// Every task of the connector helps: after its own partitions a task lists
// the connector's offsets and reads the chunks of every stored plan whose
// lease is free (helpLoads), including a task with no table of its own.
// Within a run a task first reads, at once, the chunks that rendezvous
// hashing gives it among tasks.max tasks (TaskOf), and only then the
// others that are still free, so tasks that start together split a plan
// instead of the first one taking every chunk. A tasks.max 1 run takes no
// chunk lease: it reads under the connector's lease after checking that
// no other run holds the chunk's, and multi-task runs check the
// connector's lease after taking a chunk lease. A drained chunk's offset
// becomes chunkDone, so later runs skip it without a lease and the table's
// run can finish the load while helpers look at the plan. Only the run holding the
// table's partition lease moves its offset to "then", and only after it
// found every chunk drained in that same run (a chunk another run holds
// defers it to a later run); that commit is conditional on the table
// offset's version, so it happens once.

// loadKey is the position field that marks a partition's initial load
// plan; connectors must not use it in their own positions.
const loadKey = "initial_load"

// chunkDone is the offset of a drained chunk: runs after the one that
// drained it skip it without reading or taking its lease.
const chunkDone = `{"initial_load_chunk_done":true}`

type loadPlan struct {
	Chunks []connectors.Partition `json:"chunks"`
	Then   json.RawMessage        `json:"then"`
}

// parseLoad returns the plan stored in pos, if pos holds one.
func parseLoad(pos connectors.Position) (loadPlan, bool) {
	if len(pos) == 0 {
		return loadPlan{}, false
	}
	var w map[string]json.RawMessage
	if json.Unmarshal(pos, &w) != nil {
		return loadPlan{}, false
	}
	raw, ok := w[loadKey]
	if !ok {
		return loadPlan{}, false
	}
	var pl loadPlan
	if json.Unmarshal(raw, &pl) != nil || len(pl.Chunks) == 0 {
		return loadPlan{}, false
	}
	return pl, true
}

func (pl loadPlan) encode() (connectors.Position, error) {
	b, err := json.Marshal(map[string]loadPlan{loadKey: pl})
	return connectors.Position(b), err
}

// scope is what a run needs to take chunk leases and help other tasks'
// loads. A nil kl (a LeaseStore without keyed leases) fences every chunk
// with the run's lease and the run reads its plans' chunks alone.
type scope struct {
	kl    KeyedLeaseStore
	owner string
	// task and tasks place the run's preferred chunks (TaskOf(chunk,
	// tasks) == task).
	task, tasks int
	// loads marks the partitions whose plan this run has already worked on.
	loads map[string]bool
	// single is a tasks.max 1 run: it reads chunks under its own
	// (connector) lease after checking that no other run holds theirs.
	single bool
}

// offsetLister lists a connector's stored offsets; *state.OffsetStore
// satisfies it.
type offsetLister interface {
	List(ctx context.Context, connector string) (state.PartitionOffsets, error)
}

// readPartition drains p: through a parallel initial load when p has none
// committed yet and the Source splits it, else page by page.
func (t *Task) readPartition(ctx context.Context, log *slog.Logger, sc *scope, lease state.Lease, res *Result,
	p connectors.Partition, off state.Offset, estimate *time.Duration) (stop bool, err error) {
	ch, ok := t.Source.(connectors.Chunker)
	if !ok {
		return t.runPartition(ctx, log, lease, res, p, off, estimate)
	}
	plan, loading := parseLoad(off.Position)
	if !loading {
		if off.Version != 0 || off.Position != nil {
			return t.runPartition(ctx, log, lease, res, p, off, estimate)
		}
		chunks, then, err := ch.Chunks(ctx, p)
		if err != nil {
			return false, fmt.Errorf("sourcetask: connector %q: split the initial load of partition %s: %w", t.Name, p, err)
		}
		if len(chunks) == 0 {
			return t.runPartition(ctx, log, lease, res, p, off, estimate)
		}
		plan = loadPlan{Chunks: chunks, Then: json.RawMessage(then)}
		pos, err := plan.encode()
		if err != nil {
			return false, fmt.Errorf("sourcetask: connector %q: encode the initial load plan of partition %s: %w", t.Name, p, err)
		}
		v, err := t.Offsets.Commit(ctx, lease, p, pos, off.Version)
		if err != nil {
			return false, fmt.Errorf("sourcetask: connector %q: store the initial load plan of partition %s: %w", t.Name, p, leaseOrConflict(err))
		}
		off = state.Offset{Position: pos, Version: v}
		log.Info("initial load split into chunks", "partition", p.String(), "chunks", len(chunks), "then", string(then))
	}
	stop, complete, err := t.runChunks(ctx, log, sc, lease, res, p, plan, estimate)
	if err != nil || stop {
		return stop, err
	}
	if !complete {
		log.Info("initial load not finished: other runs are reading chunks; a later run finishes it", "partition", p.String())
		return false, nil
	}
	v, err := t.Offsets.Commit(ctx, lease, p, connectors.Position(plan.Then), off.Version)
	if err != nil {
		return false, fmt.Errorf("sourcetask: connector %q: finish the initial load of partition %s at %s: %w", t.Name, p, plan.Then, leaseOrConflict(err))
	}
	log.Info("initial load done; reading on incrementally", "partition", p.String(), "offset", string(plan.Then))
	return t.runPartition(ctx, log, lease, res, p, state.Offset{Position: connectors.Position(plan.Then), Version: v}, estimate)
}

// runChunks drains the chunks of plan: first, at once, those preferred by
// sc's task, then, at once, the others. complete reports that every chunk
// was found drained by this run (none held by another run).
func (t *Task) runChunks(ctx context.Context, log *slog.Logger, sc *scope, lease state.Lease, res *Result,
	p connectors.Partition, plan loadPlan, estimate *time.Duration) (stop, complete bool, err error) {
	if sc.loads != nil {
		sc.loads[p.String()] = true
	}
	var mine, others []int
	for i, c := range plan.Chunks {
		if sc.kl == nil || sc.single || TaskOf(c, sc.tasks) == sc.task {
			mine = append(mine, i)
		} else {
			others = append(others, i)
		}
	}
	complete = true
	for _, set := range [][]int{mine, others} {
		if len(set) == 0 {
			continue
		}
		s, held, err := t.runChunkSet(ctx, log, sc, lease, res, p, plan, set, estimate)
		if err != nil || s {
			return s, false, err
		}
		complete = complete && held == 0
	}
	return false, complete, nil
}

// runChunkSet drains the chunks set (indexes into plan.Chunks) at once.
// Each chunk gets its own Result, merged into res under p. held counts the
// chunks skipped because another run holds their lease.
func (t *Task) runChunkSet(ctx context.Context, log *slog.Logger, sc *scope, lease state.Lease, res *Result,
	p connectors.Partition, plan loadPlan, set []int, estimate *time.Duration) (stop bool, held int, err error) {
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type outcome struct {
		res  Result
		stop bool
		held bool
		err  error
		est  time.Duration
	}
	outs := make([]outcome, len(set))
	var wg sync.WaitGroup
	for j, i := range set {
		wg.Add(1)
		go func() {
			defer wg.Done()
			o := &outs[j]
			o.res.PerPartition = map[string]int{}
			o.est = *estimate
			var err error
			o.stop, o.held, err = t.readChunk(cctx, log, sc, lease, &o.res, plan.Chunks[i], &o.est)
			if err != nil {
				o.err = fmt.Errorf("chunk %d of %d: %w", i+1, len(plan.Chunks), err)
				cancel() // one failed chunk fails the load; the others stop at their next page
			}
		}()
	}
	wg.Wait()
	var first error
	for _, o := range outs {
		res.Pages += o.res.Pages
		res.Records += o.res.Records
		res.RecordsTolerated += o.res.RecordsTolerated
		res.PerPartition[p.String()] += o.res.Records
		*estimate = max(*estimate, o.est)
		stop = stop || o.stop
		if o.held {
			held++
		}
		// The error that failed the load, not the cancellations it caused.
		if o.err != nil && (first == nil || errors.Is(first, context.Canceled) && !errors.Is(o.err, context.Canceled)) {
			first = o.err
		}
	}
	res.ChunksHeld += held
	if stop {
		res.StoppedByDeadline = true
	}
	if first != nil {
		return false, held, fmt.Errorf("sourcetask: connector %q: initial load of partition %s: %w", t.Name, p, first)
	}
	return stop, held, nil
}

// readChunk drains chunk c and then sets its offset to chunkDone; a chunk
// already done is skipped at once. A multi-task run reads it under its own chunk
// lease, taken and then checked against the connector's lease (a tasks.max
// 1 run); a tasks.max 1 run reads it under lease after checking that no
// other run holds the chunk lease. held reports c skipped because another
// run has it. Without keyed leases c is read under lease.
func (t *Task) readChunk(ctx context.Context, log *slog.Logger, sc *scope, lease state.Lease, res *Result,
	c connectors.Partition, estimate *time.Duration) (stop, held bool, err error) {
	if off, err := t.Offsets.Get(ctx, t.Name, c); err != nil {
		return false, false, fmt.Errorf("sourcetask: connector %q: %w", t.Name, err)
	} else if string(off.Position) == chunkDone {
		return false, false, nil // done is final: no lease needed
	}
	key := partitionLeaseKey(t.Name, c)
	switch {
	case sc.kl == nil:
	case sc.single:
		if held, err := t.subLeaseHeld(ctx, log, sc.kl, key, "chunk "+c.String()); err != nil || held {
			return false, held, err
		}
	default:
		lease, err = sc.kl.AcquireKey(ctx, t.Name, key, sc.owner, t.leaseTTL(ctx))
		if err != nil {
			var h *state.LeaseHeldError
			if errors.As(err, &h) {
				log.Info("chunk lease held by another run; skipping the chunk this run", "chunk", c.String(),
					"holder", h.Holder, "lease_expires_at", h.ExpiresAt)
				return false, true, nil
			}
			return false, false, fmt.Errorf("sourcetask: connector %q: %w", t.Name, err)
		}
		defer func() {
			if errors.Is(err, state.ErrLeaseLost) {
				return // taken over: the lease is someone else's
			}
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
			defer cancel()
			if rerr := sc.kl.Release(rctx, lease); rerr != nil {
				log.Warn("chunk lease release failed; it expires on its own", "chunk", c.String(), "error", rerr.Error())
			}
		}()
		if single, err := t.singleTaskRunning(ctx, log, sc.kl); err != nil || single {
			return false, single, err
		}
	}
	// Read again: another run may have moved the chunk on before our lease.
	off, err := t.Offsets.Get(ctx, t.Name, c)
	if err != nil {
		return false, false, fmt.Errorf("sourcetask: connector %q: %w", t.Name, err)
	}
	if string(off.Position) == chunkDone {
		return false, false, nil
	}
	if stop, err = t.runPartition(ctx, log, lease, res, c, off, estimate); err != nil || stop {
		return stop, false, err
	}
	if off, err = t.Offsets.Get(ctx, t.Name, c); err == nil {
		_, err = t.Offsets.Commit(ctx, lease, c, connectors.Position(chunkDone), off.Version)
	}
	if err != nil {
		return false, false, fmt.Errorf("sourcetask: connector %q: mark chunk %s drained: %w", t.Name, c, leaseOrConflict(err))
	}
	return false, false, nil
}

// helpLoads reads the free chunks of every initial load plan stored for
// one of the connector's current partitions parts that this run has not
// worked on yet, whoever owns the table (see "Concurrent invocations"
// above). The plan of a table no longer listed is left alone.
func (t *Task) helpLoads(ctx context.Context, log *slog.Logger, sc *scope, parts []connectors.Partition, res *Result, estimate *time.Duration) error {
	lister, ok := t.Offsets.(offsetLister)
	if !ok || sc.kl == nil || sc.single {
		return nil
	}
	all, err := lister.List(ctx, t.Name)
	if err != nil {
		return fmt.Errorf("sourcetask: connector %q: look for initial loads to help with: %w", t.Name, err)
	}
	listed := make(map[string]bool, len(parts))
	for _, p := range parts {
		listed[p.String()] = true
	}
	for _, po := range all {
		plan, ok := parseLoad(po.Offset.Position)
		if !ok || sc.loads[po.Partition.String()] || !listed[po.Partition.String()] {
			continue
		}
		if !t.budgetLeft(ctx, *estimate) {
			res.StoppedByDeadline = true
			return nil
		}
		log.Info("helping with the initial load of another task's partition", "partition", po.Partition.String(), "chunks", len(plan.Chunks))
		if stop, _, err := t.runChunks(ctx, log, sc, state.Lease{}, res, po.Partition, plan, estimate); err != nil || stop {
			return err
		}
	}
	return nil
}

// leaseOrConflict keeps ErrLeaseLost as it is (the run stops superseded)
// and marks an offset conflict retryable.
func leaseOrConflict(err error) error {
	if errors.Is(err, state.ErrLeaseLost) {
		return err
	}
	return retryableConflict(err)
}
