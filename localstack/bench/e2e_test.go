package main

import (
	"testing"
	"time"

	"github.com/serverless-kafka-connect/slkc/localstack/runtime"
)

// TestUse checks the split of a span into invokes, the wait before the
// first and the gaps between them, with invokes cut at the span's ends.
func TestUse(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	inv := func(startMs, durMs int) runtime.InvokeStat {
		return runtime.InvokeStat{Start: at(startMs), Duration: time.Duration(durMs) * time.Millisecond}
	}
	s := runtime.Stats{Recent: []runtime.InvokeStat{
		inv(-500, 100),  // before the span: ignored
		inv(-50, 100),   // cut to 50 ms
		inv(300, 100),   // gap 250 ms
		inv(420, 100),   // gap 20 ms
		inv(950, 100),   // gap 430 ms, cut to 50 ms
		inv(2000, 100)}} // after: ignored
	u := use(s, at(0), at(1000))
	want := spanUse{Busy: 300 * time.Millisecond, Invokes: 4, FirstStart: 0, Gaps: 700 * time.Millisecond}
	if u != want {
		t.Errorf("use = %+v, want %+v", u, want)
	}
	u = use(s, at(100), at(1000))
	if u.FirstStart != 200*time.Millisecond || u.Invokes != 3 {
		t.Errorf("from 100 ms: %+v, want the first invoke 200 ms in and 3 invokes", u)
	}
}
