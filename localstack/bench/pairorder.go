package main

// ceilingFirst reports whether a pair's ceiling runs before its figure
// in repetition rep (0-based): in even ones, and after it in odd ones. The
// two go back to back, and each side follows the other's writes as often:
// a run that follows a write-heavy one pays for part of its work (dirty
// pages, the buffer pool, deleted tables), and with a fixed order that
// cost fell on one side only.
func ceilingFirst(rep int) bool { return rep%2 == 0 }

// sourceStep is one run of the source-poller block: the binary in
// configuration Config (0 the default one), the ceilings beside that run
// (minSourceCeiling), or the in-process loop (the default
// configuration's other ceiling), for repetition Rep.
type sourceStep struct {
	Loop    bool // the in-process loop
	Warmup  bool // the loop's unmeasured run before the pairs
	Ceiling bool // the SELECT scan and the produce at JSON size, alone and together
	Config  int
	Rep     int
}

// sourceSchedule orders the source-poller block: the loop's warm-up run,
// then reps runs of the default binary, each between the loop and its
// min(scan, produce) ceilings with the loop first as ceilingFirst says,
// then reps runs of each other configuration (configs in all), each beside
// its min(scan, produce) ceilings in the same order. Two things kept the
// ninth round's pairs from being even:
//   - the first run after the sink-handler binaries paid for the state
//     they left (the first pair's ratio was 0.77–0.88 in four of five full
//     runs), so the warm-up takes that run;
//   - each default run came right after a 1 MB-batch run, which writes the
//     same rows to Kafka in half the time and leaves their writeback to
//     the next run, and the loop always went second; now no other run
//     comes between or before the default runs' pairs.
func sourceSchedule(reps, configs int) []sourceStep {
	steps := []sourceStep{{Loop: true, Warmup: true}}
	for rep := 0; rep < reps; rep++ {
		run := []sourceStep{{Loop: true, Rep: rep}, {Rep: rep}, {Ceiling: true, Rep: rep}}
		if !ceilingFirst(rep) {
			run[0], run[2] = run[2], run[0]
		}
		steps = append(steps, run...)
	}
	for c := 1; c < configs; c++ {
		for rep := 0; rep < reps; rep++ {
			run := []sourceStep{{Ceiling: true, Config: c, Rep: rep}, {Config: c, Rep: rep}}
			if !ceilingFirst(rep) {
				run[0], run[1] = run[1], run[0]
			}
			steps = append(steps, run...)
		}
	}
	return steps
}
