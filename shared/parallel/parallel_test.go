package parallel

import (
	"fmt"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
)

func TestParallelCoversEveryIndexOnce(t *testing.T) {
	for _, n := range []int{0, 1, 2, 7, 64, 65, 1000} {
		for _, w := range []int{1, 2, 3, 4} {
			t.Run(fmt.Sprintf("n%d/w%d", n, w), func(t *testing.T) {
				seen := make([]atomic.Int32, n)
				Chunks(n, w, func(lo, hi int) {
					if lo >= hi || lo < 0 || hi > n {
						t.Errorf("chunk [%d,%d) outside [0,%d)", lo, hi, n)
					}
					if w > 1 && hi-lo > MaxChunk {
						t.Errorf("chunk [%d,%d) longer than %d", lo, hi, MaxChunk)
					}
					for k := lo; k < hi; k++ {
						seen[k].Add(1)
					}
				})
				for k := range seen {
					if c := seen[k].Load(); c != 1 {
						t.Fatalf("index %d visited %d times", k, c)
					}
				}
			})
		}
	}
}

// TestParallelPanicReachesCaller: a converter that panics on a worker
// must panic the caller's goroutine (which the Lambda runtime reports as a
// handler's panic), not kill the process.
func TestParallelPanicReachesCaller(t *testing.T) {
	defer func() {
		v := recover()
		if v == nil || !strings.Contains(fmt.Sprint(v), "boom at 77") {
			t.Fatalf("recovered %v, want the worker's panic", v)
		}
	}()
	Chunks(100, 4, func(lo, hi int) {
		if lo <= 77 && 77 < hi {
			panic("boom at 77")
		}
	})
}

func TestWorkers(t *testing.T) {
	if got, want := Workers(), min(runtime.GOMAXPROCS(0), MaxWorkers); got != want || got < 1 || got > MaxWorkers {
		t.Fatalf("Workers() = %d, want %d", got, want)
	}
}
