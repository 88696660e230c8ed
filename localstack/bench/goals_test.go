package main

import (
	"strings"
	"testing"
)

// TestGoals checks that each goal divides the figures it names, says
// whether its target is met, and is skipped (not reported as 0) when a
// figure is missing from the run.
func TestGoals(t *testing.T) {
	b := &bench{rep: &Report{},
		upsert:      map[string]float64{"200B": 100_000, "1KB": 50_000},
		scan:        map[string]float64{"200B": 800_000},
		produceJSON: map[string]float64{"200B": 250_000},
		// A raw produce in the Java producer's 16 KB batches: 0.6 of the
		// 1 MB one, and the 16 KB binary's best is 0.8 of it.
		produceJSONJavaBatch: map[string]float64{"200B": 150_000},
		loopBeside:           map[string]float64{"200B": 150_000},
		binary: map[string]float64{"sink-handler MySQL": 85_000, "sink-handler MySQL 1KB": 30_000, "source-poller MySQL": 120_000,
			"source-poller MySQL " + javaBatchLabel: 120_000},
		pairs: map[string][]pair{
			// The best of each side gives 85,000 / 100,000 = 0.85;
			// the pairs' median is 0.75.
			"sink-handler MySQL":     {{85_000, 100_000}, {60_000, 80_000}, {70_000, 100_000}},
			"sink-handler MySQL 1KB": {{30_000, 50_000}, {28_000, 28_000}},
			pairPath:                 {{50_000, 100_000}, {45_000, 70_000}},
			sourcePollerLabel:        {{120_000, 150_000}, {100_000, 140_000}},
			// min(scan, produce) beside each run: 0.8, 0.25, 0.9 (the
			// ceilings measured once would give 120,000 / 250,000 = 0.48);
			// and 0.4, 0.3 with 16 KB batches, not a goal.
			minCeilingKey(sourcePollerLabel):                        {{120_000, 150_000}, {100_000, 400_000}, {90_000, 100_000}},
			minCeilingKey(sourcePollerLabel + " " + javaBatchLabel): {{100_000, 250_000}, {90_000, 300_000}},
			// The pipeline beside each run: 0.4 and 0.5 of min(scan,
			// produce), and the default binary 0.6 and 0.8 of it.
			pipelineOverMin:                {{100_000, 250_000}, {150_000, 300_000}},
			pipelineKey(sourcePollerLabel): {{60_000, 100_000}, {120_000, 150_000}},
		},
		e2eRate: 20_000, pathRate: 50_000, bridgeRSS: 101,
	}
	b.addGoals()
	want := map[string]struct {
		value float64
		met   bool
	}{
		"sink-handler binary / raw upsert 200B":                                         {0.75, false},
		"sink-handler binary / raw upsert 1KB":                                          {(0.6 + 1) / 2, true},
		"full local path (bridge -> sink-handler -> MySQL) / raw upsert, concurrency 1": {(0.5 + 45.0/70) / 2, false},
		"source-poller binary / in-process loop":                                        {(0.8 + 100.0/140) / 2, false},
		"source-poller binary / min(SELECT scan, produce of the same bytes)":            {0.8, true},
		"bridge peak RSS, concurrency 1, 6 MB events":                                   {101, true},
	}
	if len(b.rep.Figures) != len(want) {
		t.Fatalf("%d goal figures, want %d: %+v", len(b.rep.Figures), len(want), b.rep.Figures)
	}
	for _, f := range b.rep.Figures {
		w, ok := want[f.Name]
		if !ok {
			t.Errorf("unexpected goal %q", f.Name)
			continue
		}
		if f.Section != "goals" || f.Value < w.value-1e-9 || f.Value > w.value+1e-9 {
			t.Errorf("%s = %v in %q, want %v in goals", f.Name, f.Value, f.Section, w.value)
		}
		if met := strings.HasPrefix(f.Note, "met"); met != w.met {
			t.Errorf("%s: note %q, want met=%v", f.Name, f.Note, w.met)
		}
	}
	if n := b.rep.Figures[0].Note; !strings.Contains(n, "median of 3 runs") || !strings.Contains(n, "0.75 (60,000 / 80,000)") ||
		!strings.Contains(n, "best of each side 85,000 / 100,000") {
		t.Errorf("the 200B goal's note does not list its pairs and the best of each side: %q", n)
	}

	for _, f := range b.rep.Figures {
		if f.Name == "source-poller binary / min(SELECT scan, produce of the same bytes)" &&
			(!strings.Contains(f.Note, "together with no conversion reach 0.45 of min(scan, produce) (median of 2)") ||
				!strings.Contains(f.Note, "this binary 0.70 of that pipeline")) {
			t.Errorf("the min(scan, produce) goal's note does not give the pipeline's ratios: %q", f.Note)
		}
		if f.Name == "source-poller binary / min(SELECT scan, produce of the same bytes)" &&
			!strings.Contains(f.Note, "the binary up to its default producer.override.batch.size of 1000000 B") {
			t.Errorf("the min(scan, produce) goal's note does not give the default batch size: %q", f.Note)
		}
	}

	// The 16 KB run: a process figure beside the goals, not a goal.
	b.rep = &Report{}
	b.addJavaBatchRatio()
	if len(b.rep.Figures) != 1 {
		t.Fatalf("addJavaBatchRatio reported %d figures, want 1", len(b.rep.Figures))
	}
	if f := b.rep.Figures[0]; f.Section != "process" || f.Value < 0.35-1e-9 || f.Value > 0.35+1e-9 ||
		!strings.Contains(f.Note, "in 16384 B batches, measured once earlier, reached 150,000 rows/s (0.60 of the same with 1 MB batches), and this binary's best is 0.80 of that") {
		t.Errorf("16 KB figure %+v; want 0.35 in process, comparing the raw produce in 16 KB batches", f)
	}

	b = &bench{rep: &Report{}, upsert: map[string]float64{"200B": 100_000}, scan: map[string]float64{}, produceJSON: map[string]float64{},
		loopBeside: map[string]float64{}, binary: map[string]float64{"sink-handler MySQL": 85_000}}
	b.addGoals()
	b.addJavaBatchRatio()
	if len(b.rep.Figures) != 0 || len(b.rep.Skipped) != 6 {
		t.Errorf("with no figures measured: %d goals reported, %d skipped; want 0 and 6", len(b.rep.Figures), len(b.rep.Skipped))
	}
}

// TestPairedRatio: the median of the pairs' ratios, odd and even counts,
// in any run order, and pairs with a side missing left out.
func TestPairedRatio(t *testing.T) {
	for _, c := range []struct {
		ps   []pair
		want float64
	}{
		{nil, 0},
		{[]pair{{0, 100}}, 0},
		{[]pair{{90, 100}}, 0.9},
		{[]pair{{90, 100}, {50, 100}, {70, 100}}, 0.7},
		{[]pair{{90, 100}, {60, 100}, {0, 100}, {80, 100}, {70, 100}}, 0.75},
		{[]pair{{40, 50}, {30, 100}}, 0.55},
	} {
		if got := pairedRatio(c.ps); got < c.want-1e-9 || got > c.want+1e-9 {
			t.Errorf("pairedRatio(%v) = %v, want %v", c.ps, got, c.want)
		}
	}
}

// TestBridgeBound: the documented formula at concurrency 1 (README "Bridge
// prefetch and memory") and the note that flags a figure above it.
func TestBridgeBound(t *testing.T) {
	if got := bridgeMemoryBound(1); got != 146 {
		t.Errorf("bound at c = 1: %.1f MiB, want 3 × 7 × 6 + 20 = 146 (the README's figure)", got)
	}
	if n := bridgeBoundNote(bridgeMemoryBound(1) + 1); !strings.Contains(n, "ABOVE") {
		t.Errorf("a peak RSS above the bound is not flagged: %q", n)
	}
	if n := bridgeBoundNote(100); strings.Contains(n, "ABOVE") {
		t.Errorf("a peak RSS under the bound is flagged: %q", n)
	}
}
