package main

import "testing"

// TestSourceSchedule checks the order the source-poller block runs in:
// the warm-up first, every pair back to back with each side first as
// often, and the other configurations only after the last pair.
func TestSourceSchedule(t *testing.T) {
	for _, tc := range []struct{ reps, configs int }{{1, 2}, {3, 2}, {4, 2}, {3, 1}, {5, 3}} {
		steps := sourceSchedule(tc.reps, tc.configs)
		if want := 1 + tc.reps*(tc.configs+1); len(steps) != want {
			t.Fatalf("reps %d, configs %d: %d steps, want %d: %+v", tc.reps, tc.configs, len(steps), want, steps)
		}
		if !steps[0].Loop || !steps[0].Warmup {
			t.Fatalf("reps %d: first step %+v, want the loop's warm-up", tc.reps, steps[0])
		}
		loopFirst := 0
		for rep := 0; rep < tc.reps; rep++ {
			a, b := steps[1+2*rep], steps[2+2*rep]
			if a.Rep != rep || b.Rep != rep || a.Loop == b.Loop || a.Warmup || b.Warmup || a.Config != 0 || b.Config != 0 {
				t.Fatalf("reps %d: pair %d is %+v, %+v; want the loop and the default binary of that run", tc.reps, rep, a, b)
			}
			if a.Loop {
				loopFirst++
			}
		}
		if want := (tc.reps + 1) / 2; loopFirst != want {
			t.Errorf("reps %d: the loop goes first in %d pairs, want %d", tc.reps, loopFirst, want)
		}
		seen := map[[2]int]bool{}
		for _, st := range steps[1+2*tc.reps:] {
			if st.Loop || st.Config == 0 || st.Config >= tc.configs || seen[[2]int{st.Config, st.Rep}] {
				t.Fatalf("reps %d: after the pairs %+v; want each other configuration's runs once", tc.reps, st)
			}
			seen[[2]int{st.Config, st.Rep}] = true
		}
	}
}
