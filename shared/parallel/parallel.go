// Package parallel runs the per-record CPU work of a batch (decoding,
// conversion, transforms) on the function's vCPUs: Lambda gives a function
// 2 vCPUs from 1,769 MB up to 6 at 10 GB, and Go sizes GOMAXPROCS from the
// cgroup's CPU limit. The callers keep their bookkeeping sequential over
// results computed in parallel, so the outcome is the sequential one.
package parallel

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"
)

// MaxWorkers caps the goroutines of a batch's CPU phase: the I/O that
// follows (a write on one connection, a produce) does not go faster with
// more, so more workers than this only add scheduling.
const MaxWorkers = 4

// MinRecords is the batch size from which the per-record work runs on
// several goroutines; smaller batches run on the calling goroutine, where
// starting workers would cost more than they save. The sink's
// BenchmarkHandleWorkers (shared/sinktask) measured the crossover between
// 64 and 128 records of 200-byte JsonConverter envelopes on 2 cores.
const MinRecords = 128

// MaxChunk is the most consecutive records one worker takes at a time:
// small enough to balance the work and to see a stop soon, large enough
// that handing out chunks costs nothing.
const MaxChunk = 64

// Workers returns the goroutines a big batch is worth: min(GOMAXPROCS,
// MaxWorkers).
func Workers() int { return min(runtime.GOMAXPROCS(0), MaxWorkers) }

// Chunks calls fn for consecutive chunks [lo, hi) covering [0, n),
// handed out in ascending order, on w goroutines (the caller's among
// them), and returns when every chunk is done. With w <= 1 it is one call
// fn(0, n) on the caller's goroutine. A panic in fn is raised again on
// the caller's goroutine (so the Lambda runtime reports it as it reports
// a panic of the handler), with the worker's stack.
func Chunks(n, w int, fn func(lo, hi int)) {
	WorkerChunks(n, w, func(_, lo, hi int) { fn(lo, hi) })
}

// WorkerChunks is Chunks telling fn which of the w goroutines runs the
// chunk (0 to w-1, 0 being the caller's), so that state a worker keeps
// across its chunks (an output buffer) needs no lock.
func WorkerChunks(n, w int, fn func(worker, lo, hi int)) {
	if n == 0 {
		return
	}
	if w <= 1 || n == 1 {
		fn(0, 0, n)
		return
	}
	chunk := max(1, min(MaxChunk, n/(w*4)))
	var (
		next     atomic.Int64
		wg       sync.WaitGroup
		panicMu  sync.Mutex
		panicked error
	)
	work := func(worker int) {
		defer func() {
			if v := recover(); v != nil {
				panicMu.Lock()
				if panicked == nil {
					panicked = fmt.Errorf("parallel: panic in a worker: %v\n%s", v, debug.Stack())
				}
				panicMu.Unlock()
			}
		}()
		for {
			lo := int(next.Add(int64(chunk))) - chunk
			if lo >= n {
				return
			}
			fn(worker, lo, min(lo+chunk, n))
		}
	}
	for i := range w - 1 {
		wg.Go(func() { work(i + 1) })
	}
	work(0)
	wg.Wait()
	if panicked != nil {
		panic(panicked)
	}
}
