package main

// ceilingFirst reports whether a pair's ceiling runs before its figure
// in repetition rep (0-based): in even ones, and after it in odd ones. The
// two go back to back, and each side follows the other's writes as often:
// a run that follows a write-heavy one pays for part of its work (dirty
// pages, the buffer pool, deleted tables), and with a fixed order that
// cost fell on one side only.
func ceilingFirst(rep int) bool { return rep%2 == 0 }

// sourceStep is one run of the source-poller block: the in-process loop
// or the binary in configuration Config (0 the default one, paired with
// the loop), repetition Rep.
type sourceStep struct {
	Loop   bool // the in-process loop; otherwise the binary
	Warmup bool // the loop's unmeasured run before the pairs
	Config int
	Rep    int
}

// sourceSchedule orders the source-poller block: the loop's warm-up run,
// then reps pairs of the default binary and the loop (its ceiling) in the
// order of ceilingFirst, then reps runs of each other configuration
// (configs in all). Two things kept the pairs
// from being even in the ninth round:
//   - the first run after the sink-handler binaries paid for the state
//     they left (the first pair's ratio was 0.77–0.88 in four of five full
//     runs), so the warm-up takes that run;
//   - each default run came right after a 1 MB-batch run, which writes the
//     same rows to Kafka in half the time and leaves their writeback to
//     the next run, and the loop always went second; now no other run
//     comes between or before the pairs.
func sourceSchedule(reps, configs int) []sourceStep {
	steps := []sourceStep{{Loop: true, Warmup: true}}
	for rep := 0; rep < reps; rep++ {
		pair := []sourceStep{{Rep: rep}, {Loop: true, Rep: rep}}
		if ceilingFirst(rep) {
			pair[0], pair[1] = pair[1], pair[0]
		}
		steps = append(steps, pair...)
	}
	for c := 1; c < configs; c++ {
		for rep := 0; rep < reps; rep++ {
			steps = append(steps, sourceStep{Config: c, Rep: rep})
		}
	}
	return steps
}
