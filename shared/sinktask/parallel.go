package sinktask

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"sort"
	"sync"
	"sync/atomic"
)

// maxWorkers caps the goroutines of the per-batch CPU phase (W): Lambda
// gives a function 2 vCPUs from 1,769 MB up to 6 at 10 GB, and the write
// that follows runs on one connection, so more workers than this only add
// scheduling.
const maxWorkers = 4

// defaultParallelMin is the number of records from which a batch's base64
// decode and conversion run on several goroutines; smaller batches run on
// the calling goroutine, where starting workers would cost more than they
// save. BenchmarkHandleWorkers measured the crossover: between 64 and 128
// records of 200-byte JsonConverter envelopes on 2 cores.
const defaultParallelMin = 128

// maxChunk is the most consecutive records one worker takes at a time:
// small enough to balance the work and to see a partition's stop soon,
// large enough that handing out chunks costs nothing.
const maxChunk = 64

// workersFor returns how many goroutines (W) handle a batch of n records:
// 1 below the threshold, else min(GOMAXPROCS, maxWorkers).
func (t *Task) workersFor(n int) int {
	w := t.workers
	if w <= 0 {
		w = min(runtime.GOMAXPROCS(0), maxWorkers)
	}
	least := t.parallelMin
	if least <= 0 {
		least = defaultParallelMin
	}
	if n < least {
		return 1
	}
	return w
}

// parallel calls fn for consecutive chunks [lo, hi) covering [0, n),
// handed out in ascending order, on w goroutines (the caller's among
// them), and returns when every chunk is done. With w <= 1 it is one call
// fn(0, n) on the caller's goroutine. A panic in fn is raised again on
// the caller's goroutine (so the Lambda runtime reports it as it reports
// a panic of the handler), with the worker's stack.
func parallel(n, w int, fn func(lo, hi int)) {
	if n == 0 {
		return
	}
	if w <= 1 || n == 1 {
		fn(0, n)
		return
	}
	chunk := max(1, min(maxChunk, n/(w*4)))
	var (
		next     atomic.Int64
		wg       sync.WaitGroup
		panicMu  sync.Mutex
		panicked error
	)
	work := func() {
		defer func() {
			if v := recover(); v != nil {
				panicMu.Lock()
				if panicked == nil {
					panicked = fmt.Errorf("sinktask: panic in a batch worker: %v\n%s", v, debug.Stack())
				}
				panicMu.Unlock()
			}
		}()
		for {
			lo := int(next.Add(int64(chunk))) - chunk
			if lo >= n {
				return
			}
			fn(lo, min(lo+chunk, n))
		}
	}
	for range w - 1 {
		wg.Go(work)
	}
	work()
	wg.Wait()
	if panicked != nil {
		panic(panicked)
	}
}

// flatIndex maps an index into the concatenation of several lists to the
// list and the index within it; starts[j] is where list j begins and
// starts[len-1] is the total.
type flatIndex []int

// find returns the list holding flat index k.
func (s flatIndex) find(k int) int {
	return sort.Search(len(s)-1, func(j int) bool { return s[j+1] > k })
}

// lowerTo sets a to v if v is lower.
func lowerTo(a *atomic.Int64, v int64) {
	for {
		cur := a.Load()
		if v >= cur || a.CompareAndSwap(cur, v) {
			return
		}
	}
}
