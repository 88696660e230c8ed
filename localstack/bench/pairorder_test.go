package main

import (
	"strings"
	"testing"
)

// TestSourceSchedule checks the order the source-poller block runs in:
// the warm-up first; each default run between the loop and its
// min(scan, produce) ceilings, the loop first in every other run; the other
// configurations only after the last default run, each run next to its
// ceilings, on alternating sides.
func TestSourceSchedule(t *testing.T) {
	for _, tc := range []struct{ reps, configs int }{{1, 2}, {3, 2}, {4, 2}, {3, 1}, {5, 3}} {
		steps := sourceSchedule(tc.reps, tc.configs)
		if want := 1 + 3*tc.reps + 2*tc.reps*(tc.configs-1); len(steps) != want {
			t.Fatalf("reps %d, configs %d: %d steps, want %d: %+v", tc.reps, tc.configs, len(steps), want, steps)
		}
		if !steps[0].Loop || !steps[0].Warmup {
			t.Fatalf("reps %d: first step %+v, want the loop's warm-up", tc.reps, steps[0])
		}
		loopFirst := 0
		for rep := 0; rep < tc.reps; rep++ {
			a, bin, c := steps[1+3*rep], steps[2+3*rep], steps[3+3*rep]
			if bin != (sourceStep{Rep: rep}) || a.Rep != rep || c.Rep != rep || a.Config != 0 || c.Config != 0 ||
				a.Warmup || c.Warmup || a.Loop == c.Loop || a.Ceiling == c.Ceiling || a.Loop == a.Ceiling {
				t.Fatalf("reps %d: run %d is %+v, %+v, %+v; want the default binary between the loop and its ceilings", tc.reps, rep, a, bin, c)
			}
			if a.Loop {
				loopFirst++
			}
		}
		if want := (tc.reps + 1) / 2; loopFirst != want {
			t.Errorf("reps %d: the loop goes first in %d runs, want %d", tc.reps, loopFirst, want)
		}
		seen := map[[2]int]bool{}
		ceilFirst := 0
		rest := steps[1+3*tc.reps:]
		for i := 0; i < len(rest); i += 2 {
			a, c := rest[i], rest[i+1]
			bin, ceil := a, c
			if a.Ceiling {
				bin, ceil = c, a
				ceilFirst++
			}
			if bin.Loop || bin.Ceiling || bin.Config == 0 || bin.Config >= tc.configs || ceil.Loop || !ceil.Ceiling ||
				ceil.Config != bin.Config || ceil.Rep != bin.Rep || seen[[2]int{bin.Config, bin.Rep}] {
				t.Fatalf("reps %d: after the default runs %+v, %+v; want each other configuration's runs once, each next to its ceilings", tc.reps, a, c)
			}
			seen[[2]int{bin.Config, bin.Rep}] = true
		}
		if want := (tc.configs - 1) * ((tc.reps + 1) / 2); ceilFirst != want {
			t.Errorf("reps %d, configs %d: the ceilings go first %d times after the default runs, want %d", tc.reps, tc.configs, ceilFirst, want)
		}
	}
}

// TestMinSourceCeilingNeedsJSONSize: without the records' JSON size the
// produce ceiling beside a run would send empty records; it is refused.
func TestMinSourceCeilingNeedsJSONSize(t *testing.T) {
	b := &bench{jsonSize: map[string]recordShape{}}
	if _, err := b.minSourceCeiling(t.Context(), &dataset{Label: "200B"}, "beside run 1"); err == nil || !strings.Contains(err.Error(), "200B") {
		t.Fatalf("err %v, want one naming the data set", err)
	}
}
