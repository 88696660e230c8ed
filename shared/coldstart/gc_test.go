package coldstart

import (
	"bytes"
	"io"
	"log/slog"
	"math"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
)

func TestGCSettings(t *testing.T) {
	tests := []struct {
		name        string
		env         map[string]string
		wantOK      bool
		wantLimit   int64
		wantMention string
	}{
		{name: "256 MB function", env: map[string]string{"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256"}, wantOK: true, wantLimit: 256 << 20 * 8 / 10},
		{name: "10 GB function", env: map[string]string{"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "10240"}, wantOK: true, wantLimit: 10240 << 20 * 8 / 10},
		{name: "GOGC set", env: map[string]string{"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256", "GOGC": "100"}, wantMention: "GOGC"},
		{name: "GOMEMLIMIT set", env: map[string]string{"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256", "GOMEMLIMIT": "100MiB"}, wantMention: "GOMEMLIMIT"},
		{name: "not on Lambda", env: map[string]string{}, wantMention: "AWS_LAMBDA_FUNCTION_MEMORY_SIZE"},
		{name: "memory not a number", env: map[string]string{"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "lots"}, wantMention: `"lots"`},
		{name: "memory zero", env: map[string]string{"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "0"}, wantMention: `"0"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			percent, limit, ok, reason := gcSettings(func(k string) string { return tt.env[k] })
			if ok != tt.wantOK {
				t.Fatalf("ok = %v (%s), want %v", ok, reason, tt.wantOK)
			}
			if !ok {
				if !strings.Contains(reason, tt.wantMention) {
					t.Errorf("reason %q does not name %s", reason, tt.wantMention)
				}
				return
			}
			if percent != GCPercent || limit != tt.wantLimit {
				t.Errorf("got GOGC %d, limit %d; want %d, %d", percent, limit, GCPercent, tt.wantLimit)
			}
		})
	}
}

// TestTuneGCApplies checks that the settings reach the runtime and that a
// process with GOGC set keeps its own.
func TestTuneGCApplies(t *testing.T) {
	restoreGCAfter(t)
	var logs bytes.Buffer
	tuneGC(func(k string) string { return map[string]string{"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128"}[k] }, slog.New(slog.NewJSONHandler(&logs, nil)))
	if got := debug.SetGCPercent(-1); got != GCPercent {
		t.Errorf("GC percent %d, want %d", got, GCPercent)
	}
	debug.SetGCPercent(100)
	if got := debug.SetMemoryLimit(-1); got != 128<<20*8/10 {
		t.Errorf("memory limit %d, want %d", got, 128<<20*8/10)
	}
	if !strings.Contains(logs.String(), `"memory_limit_mib":102`) {
		t.Errorf("log %s does not state the limit", logs.String())
	}

	debug.SetMemoryLimit(1 << 40)
	logs.Reset()
	tuneGC(func(k string) string {
		return map[string]string{"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128", "GOGC": "50"}[k]
	}, slog.New(slog.NewJSONHandler(&logs, nil)))
	if got := debug.SetGCPercent(-1); got != 100 {
		t.Errorf("GOGC set: GC percent changed to %d", got)
	}
	if got := debug.SetMemoryLimit(-1); got != 1<<40 {
		t.Errorf("GOGC set: memory limit changed to %d", got)
	}
	if !strings.Contains(logs.String(), "GOGC is set") {
		t.Errorf("log %s does not say why nothing was set", logs.String())
	}
}

// TestGCBoundsTheTouchedHeap checks what the settings are for: garbage
// from a small live heap is collected at a few times that heap, so the
// process keeps reusing the same pages instead of growing its heap towards
// the memory limit. Every page a heap grows into costs a page fault, and on
// the VM measured (README "Page faults and the collector, and paired
// goals, ninth round") those cost 2-37 µs each within one day. With GOGC
// off and the same limit (the eighth round's setting) the heap here grows
// by the whole 200 MiB, with no collection.
//
// The firm check is that the garbage is collected several times. The
// growth bound only tells it apart from GOGC off: on an idle machine the
// heap grows by about 56 MiB, but on a loaded one the collector's
// concurrent phases let it run past its goal (151 MiB with 3 collections
// in one CI run, where the bound of 100 MiB failed).
func TestGCBoundsTheTouchedHeap(t *testing.T) {
	restoreGCAfter(t)
	runtime.GC() // start from this process's live heap
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	// A function whose limit is some 250 MiB above what the process holds
	// from the OS now.
	mb := int((ms.Sys>>20)+250) * 10 / 8
	tuneGC(func(k string) string {
		return map[string]string{"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": strconv.Itoa(mb)}[k]
	}, slog.New(slog.NewJSONHandler(io.Discard, nil)))

	heapSys0, gcs0 := ms.HeapSys, ms.NumGC
	for range 200 {
		sink = make([]byte, 1<<20)
	}
	runtime.ReadMemStats(&ms)
	grown, gcs := int64(ms.HeapSys)-int64(heapSys0), ms.NumGC-gcs0
	if gcs < 2 {
		t.Errorf("200 MiB of garbage was collected %d times (the heap grew by %d MiB), want at least 2", gcs, grown>>20)
	}
	// About 56 MiB with GOGC=200 on an idle machine (1 MiB objects take
	// whole spans, freed at the next sweep).
	if grown > 180<<20 {
		t.Errorf("200 MiB of garbage grew the heap by %d MiB (%d collections), want under 180", grown>>20, gcs)
	}
}

// sink keeps the test's garbage from being optimised away.
var sink []byte

// restoreGCAfter sets Go's defaults (GOGC 100, no limit) for the test and
// puts the process's settings back after it.
func restoreGCAfter(t *testing.T) {
	prevPercent := debug.SetGCPercent(100)
	prevLimit := debug.SetMemoryLimit(math.MaxInt64)
	t.Cleanup(func() {
		debug.SetGCPercent(prevPercent)
		debug.SetMemoryLimit(prevLimit)
	})
}
