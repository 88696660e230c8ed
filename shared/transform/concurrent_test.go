package transform

import (
	"fmt"
	"reflect"
	"sync"
	"testing"

	"github.com/serverless-kafka-connect/slkc/shared/convert"
)

// TestChainConcurrentUse: the sink transforms a big batch's records on
// several goroutines with one Chain (shared/sinktask), so every transform
// and predicate must be safe for concurrent use and give each record what
// it gives it alone. Every differential vector (each transform and
// predicate, curated and fuzzed configs) is run once on one goroutine,
// then on 4 goroutines at once with a fresh chain and fresh converters
// (cold plan caches, filled concurrently), each goroutine taking the
// records in a different order; run with -race.
func TestChainConcurrentUse(t *testing.T) {
	const workers = 4
	for _, v := range generateVectors() {
		want := runGo(v)
		if want.ConfigError != "" {
			continue
		}
		chain, err := runGoChain(v.Config)
		if err != nil {
			t.Fatalf("%s: %v", v.ID, err)
		}
		props := map[string]string{"schemas.enable": fmt.Sprint(v.Schemas)}
		kc, _ := convert.New(convert.JSONConverterClass, props, true)
		vc, _ := convert.New(convert.JSONConverterClass, props, false)
		got := make([][]vrecOut, workers)
		var wg sync.WaitGroup
		for w := range workers {
			got[w] = make([]vrecOut, len(v.Records))
			wg.Go(func() {
				for j := range v.Records {
					i := (j + w*len(v.Records)/workers) % len(v.Records)
					got[w][i] = runRecord(chain, kc, vc, v.Records[i])
				}
			})
		}
		wg.Wait()
		for w := range workers {
			if !reflect.DeepEqual(got[w], want.Results) {
				t.Errorf("%s: goroutine %d of %d: results differ from one goroutine's:\n%s", v.ID, w, workers,
					compare(v, want, vresult{ID: v.ID, Results: got[w]}))
			}
		}
	}
}
