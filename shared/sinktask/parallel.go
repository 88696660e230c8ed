package sinktask

import (
	"sort"
	"sync/atomic"

	"github.com/serverless-kafka-connect/slkc/shared/parallel"
)

// workersFor returns how many goroutines (W) handle a batch of n records:
// 1 below parallel.MinRecords (or the test's parallelMin), else
// parallel.Workers() (or the test's workers).
func (t *Task) workersFor(n int) int {
	w := t.workers
	if w <= 0 {
		w = parallel.Workers()
	}
	least := t.parallelMin
	if least <= 0 {
		least = parallel.MinRecords
	}
	if n < least {
		return 1
	}
	return w
}

// flatIndex maps an index into the concatenation of several lists to the
// list and the index within it; starts[j] is where list j begins and
// starts[len-1] is the total.
type flatIndex []int

// find returns the list holding flat index k.
func (s flatIndex) find(k int) int {
	return sort.Search(len(s)-1, func(j int) bool { return s[j+1] > k })
}

// each calls fn for every flat index k in [lo, hi) with the list j holding
// it and its index i in that list, in ascending order.
func (s flatIndex) each(lo, hi int, fn func(k, j, i int)) {
	j := s.find(lo)
	for k := lo; k < hi; k++ {
		for k >= s[j+1] {
			j++
		}
		fn(k, j, k-s[j])
	}
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
