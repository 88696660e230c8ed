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

// loadKey is the position field that marks a partition's initial load
// plan; connectors must not use it in their own positions.
const loadKey = "initial_load"

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

// readPartition drains p: through a parallel initial load when p has none
// committed yet and the Source splits it, else page by page.
func (t *Task) readPartition(ctx context.Context, log *slog.Logger, lease state.Lease, res *Result,
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
	stop, err = t.runChunks(ctx, log, lease, res, p, plan, estimate)
	if err != nil || stop {
		return stop, err
	}
	v, err := t.Offsets.Commit(ctx, lease, p, connectors.Position(plan.Then), off.Version)
	if err != nil {
		return false, fmt.Errorf("sourcetask: connector %q: finish the initial load of partition %s at %s: %w", t.Name, p, plan.Then, leaseOrConflict(err))
	}
	log.Info("initial load done; reading on incrementally", "partition", p.String(), "offset", string(plan.Then))
	return t.runPartition(ctx, log, lease, res, p, state.Offset{Position: connectors.Position(plan.Then), Version: v}, estimate)
}

// runChunks drains every chunk of plan at once. Each chunk gets its own
// Result, merged into res under p.
func (t *Task) runChunks(ctx context.Context, log *slog.Logger, lease state.Lease, res *Result,
	p connectors.Partition, plan loadPlan, estimate *time.Duration) (stop bool, err error) {
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type outcome struct {
		res  Result
		stop bool
		err  error
		est  time.Duration
	}
	outs := make([]outcome, len(plan.Chunks))
	var wg sync.WaitGroup
	for i, c := range plan.Chunks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			o := &outs[i]
			o.res.PerPartition = map[string]int{}
			o.est = *estimate
			off, err := t.Offsets.Get(cctx, t.Name, c)
			if err == nil {
				o.stop, err = t.runPartition(cctx, log, lease, &o.res, c, off, &o.est)
			}
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
		// The error that failed the load, not the cancellations it caused.
		if o.err != nil && (first == nil || errors.Is(first, context.Canceled) && !errors.Is(o.err, context.Canceled)) {
			first = o.err
		}
	}
	if stop {
		res.StoppedByDeadline = true
	}
	if first != nil {
		return false, fmt.Errorf("sourcetask: connector %q: initial load of partition %s: %w", t.Name, p, first)
	}
	return stop, nil
}

// leaseOrConflict keeps ErrLeaseLost as it is (the run stops superseded)
// and marks an offset conflict retryable.
func leaseOrConflict(err error) error {
	if errors.Is(err, state.ErrLeaseLost) {
		return err
	}
	return retryableConflict(err)
}
