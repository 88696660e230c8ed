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
		upsert:         map[string]float64{"200B": 100_000, "1KB": 50_000},
		scan:           map[string]float64{"200B": 800_000},
		produceJSON:    map[string]float64{"200B": 250_000},
		loopBeside:     map[string]float64{"200B": 150_000},
		loopBesideRuns: map[string][]string{"200B": {"140,000", "150,000"}},
		binary: map[string]float64{"sink-handler MySQL": 85_000, "sink-handler MySQL 1KB": 30_000, "source-poller MySQL": 120_000,
			"source-poller MySQL " + bigBatchLabel: 200_000},
		e2eRate: 20_000, pathRate: 50_000, bridgeRSS: 101,
	}
	b.addGoals()
	want := map[string]struct {
		value float64
		met   bool
	}{
		"sink-handler binary / raw upsert 200B":                                                     {0.85, true},
		"sink-handler binary / raw upsert 1KB":                                                      {0.6, false},
		"full local path (bridge -> sink-handler -> MySQL) / raw upsert, concurrency 1":             {0.5, false},
		"source-poller binary / in-process loop":                                                    {0.8, false},
		"source-poller binary / min(SELECT scan, produce of the same bytes)":                        {0.48, false},
		"bridge peak RSS, concurrency 1, 6 MB events":                                               {101, true},
		"source-poller binary, " + bigBatchLabel + " / min(SELECT scan, produce of the same bytes)": {0.8, true},
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
		if f.Name == "source-poller binary / in-process loop" && !strings.Contains(f.Note, "loop best of 140,000, 150,000") {
			t.Errorf("%s: note %q does not name the loop's runs", f.Name, f.Note)
		}
	}

	b = &bench{rep: &Report{}, upsert: map[string]float64{"200B": 100_000}, scan: map[string]float64{}, produceJSON: map[string]float64{},
		loopBeside: map[string]float64{}, binary: map[string]float64{}}
	b.addGoals()
	if len(b.rep.Figures) != 0 || len(b.rep.Skipped) != 7 {
		t.Errorf("with no figures measured: %d goals reported, %d skipped; want 0 and 7", len(b.rep.Figures), len(b.rep.Skipped))
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
