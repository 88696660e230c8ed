package main

import (
	"strings"
	"testing"
	"time"
)

func TestParseStat(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    procStat
		wantErr bool
	}{
		{"plain", "1234 (bootstrap) S 99 1234 1234 0 -1 4194560 100 0 0 0 250 30 0 0 20 0 8 0 55 1000 200",
			procStat{PPID: 99, CPU: 280 * 10 * time.Millisecond, Sys: 30 * 10 * time.Millisecond, MinFlt: 100}, false},
		{"name with spaces and parens", "77 (a (b) c) R 5 77 77 0 -1 0 7 0 0 0 1 2 0 0",
			procStat{PPID: 5, CPU: 3 * 10 * time.Millisecond, Sys: 2 * 10 * time.Millisecond, MinFlt: 7}, false},
		{"no parens", "12 bootstrap S 1", procStat{}, true},
		{"short", "12 (x) S 1 2 3", procStat{}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseStat(tc.in)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tc.wantErr)
			}
			if got != tc.want {
				t.Errorf("parseStat = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestParseHWM(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want int64
	}{
		{"present", "Name:\tbootstrap\nVmPeak:\t  900 kB\nVmHWM:\t   23456 kB\nVmRSS:\t 2000 kB\n", 23456},
		{"absent", "Name:\tx\n", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := parseHWM(tc.in); got != tc.want {
				t.Errorf("parseHWM = %d, want %d", got, tc.want)
			}
		})
	}
}

// TestFnRunRate: a binary's rate is its records over the sum of its warm
// invokes' durations (the gaps between invokes are the bench's, not the
// function's), and the note of a best-of figure lists every run.
func TestFnRunRate(t *testing.T) {
	fr := fnRun{Records: 9000, Durations: []float64{40, 50}}
	if got := fr.busy(); got != 90*time.Millisecond {
		t.Errorf("busy = %v, want 90ms", got)
	}
	if got := fr.rate(); got != 100_000 {
		t.Errorf("rate = %v, want 100,000 records/s", got)
	}
	if got := bestOf([]string{"1", "2"}); got != "best of 1, 2 records/s" {
		t.Errorf("bestOf = %q", got)
	}
}

// TestKeepBest checks that the first run is kept, a faster one replaces it
// with the first run's cold starts, and a slower one does not.
func TestKeepBest(t *testing.T) {
	var best fnRun
	keepBest(&best, fnRun{Function: "a", Records: 100, Durations: []float64{10}, ColdWall: []float64{30}, ColdInit: []float64{20}}, true)
	keepBest(&best, fnRun{Function: "b", Records: 100, Durations: []float64{20}}, false)
	if best.Function != "a" {
		t.Fatalf("a slower run replaced the best: %+v", best)
	}
	keepBest(&best, fnRun{Function: "c", Records: 100, Durations: []float64{5}}, false)
	if best.Function != "c" || len(best.ColdWall) != 1 || best.ColdWall[0] != 30 || len(best.ColdInit) != 1 {
		t.Fatalf("a faster run: best %+v, want run c with the first run's cold starts", best)
	}
	// The ceiling measured beside a run goes with it.
	keepBest(&best, fnRun{Function: "d", Records: 100, Durations: []float64{2}, Beside: 70}, false)
	keepBest(&best, fnRun{Function: "e", Records: 100, Durations: []float64{3}, Beside: 90}, false)
	if best.Function != "d" || best.Beside != 70 {
		t.Fatalf("best %+v, want run d with its own ceiling 70", best)
	}
}

// TestProcessFigureDividesByItsOwnCeiling: a binary run measured beside a
// ceiling is reported against that ceiling, as its goal's pair is; one
// without is reported against the data set's ceiling figure.
func TestProcessFigureDividesByItsOwnCeiling(t *testing.T) {
	b := &bench{rep: &Report{}, upsert: map[string]float64{"200B": 200_000}, scan: map[string]float64{},
		produceJSON: map[string]float64{}, batchWrite: map[string]float64{}, binary: map[string]float64{}}
	run := fnRun{Records: 90_000, Invokes: 10, Durations: []float64{1000}}
	run.Beside = 100_000
	b.addProcess("sink-handler MySQL", "200B", run)
	b.addProcess("source-poller MySQL", "200B", run)
	run.Beside = 0
	b.addProcess("sink-handler MySQL again", "200B", run)
	got := map[string]Figure{}
	for _, f := range b.rep.Figures {
		got[f.Name] = f
	}
	if f := got["sink-handler MySQL throughput"]; f.Ceiling != 100_000 || f.CeilingName != "raw upsert beside this run" {
		t.Errorf("run with a ceiling beside it: ceiling %v %q, want the raw upsert 100000 beside it", f.Ceiling, f.CeilingName)
	}
	if f := got["source-poller MySQL throughput"]; f.Ceiling != 100_000 || !strings.HasPrefix(f.CeilingName, "min(scan, produce") {
		t.Errorf("source run with a ceiling beside it: ceiling %v %q, want min(scan, produce) 100000 beside it", f.Ceiling, f.CeilingName)
	}
	if f := got["sink-handler MySQL again throughput"]; f.Ceiling != 200_000 || f.CeilingName != "raw upsert" {
		t.Errorf("run without: ceiling %v %q, want the raw upsert figure 200000", f.Ceiling, f.CeilingName)
	}
}

// TestParseMachineBusy: the busy time is user, nice, system, irq and
// softirq of the first line; idle, iowait and steal are not.
func TestParseMachineBusy(t *testing.T) {
	got, err := parseMachineBusy("cpu  100 2 30 9000 50 4 5 70 0 0\ncpu0 50 1 15 4500 25 2 2 35 0 0\n")
	if want := (100 + 2 + 30 + 4 + 5) * 10 * time.Millisecond; err != nil || got != want {
		t.Errorf("parseMachineBusy = %v, %v; want %v", got, err, want)
	}
	for _, bad := range []string{"", "cpu0 1 2 3 4 5 6 7\n", "cpu 1 2 x 4 5 6 7\n", "cpu 1 2 3\n"} {
		if _, err := parseMachineBusy(bad); err == nil {
			t.Errorf("parseMachineBusy(%q) accepted", bad)
		}
	}
}
