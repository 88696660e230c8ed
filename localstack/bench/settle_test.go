package main

import (
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"
)

// TestParseDirty sums the Dirty and Writeback lines of /proc/meminfo and
// nothing else (WritebackTmp and the other lines are not the page cache's
// pending writes).
func TestParseDirty(t *testing.T) {
	meminfo := []byte("MemTotal:       24576000 kB\nDirty:              1176 kB\nWriteback:            24 kB\nAnonPages:      1000000 kB\nWritebackTmp:          8 kB\n")
	if got, want := parseDirty(meminfo), int64(1176+24)<<10; got != want {
		t.Errorf("parseDirty = %d, want %d", got, want)
	}
	if got := parseDirty([]byte("Dirty: x kB\n")); got != 0 {
		t.Errorf("parseDirty of an unreadable count = %d, want 0", got)
	}
}

// TestWaitDeletions waits while a "-delete" partition dir is there and
// returns once it goes; other entries do not hold it up, and it gives up
// after its bound when one never goes.
func TestWaitDeletions(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"orders-0", "t-1.abc123-delete", "t-2.abc123-delete"} {
		if err := os.Mkdir(filepath.Join(dir, name), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	go func() {
		time.Sleep(200 * time.Millisecond)
		_ = os.Remove(filepath.Join(dir, "t-1.abc123-delete"))
		_ = os.Remove(filepath.Join(dir, "t-2.abc123-delete"))
	}()
	start := time.Now()
	if n := waitDeletions(dir, 10*time.Second); n != 2 {
		t.Errorf("waitDeletions = %d, want the 2 pending at first", n)
	}
	if took := time.Since(start); took < 200*time.Millisecond || took > 5*time.Second {
		t.Errorf("waitDeletions returned after %v; want once the dirs went, after 200 ms", took)
	}

	if err := os.Mkdir(filepath.Join(dir, "stuck-0.x-delete"), 0o700); err != nil {
		t.Fatal(err)
	}
	start = time.Now()
	if n := waitDeletions(dir, 150*time.Millisecond); n != 1 || time.Since(start) < 150*time.Millisecond {
		t.Errorf("with a dir that stays: %d pending, returned after %v; want 1, after the 150 ms bound", n, time.Since(start))
	}
	if n := waitDeletions(filepath.Join(dir, "missing"), time.Second); n != 0 {
		t.Errorf("missing dir: %d pending, want 0", n)
	}
}

// TestParseStatTicks reads utime and stime (fields 14 and 15) after the
// command name, which may hold spaces and parentheses.
func TestParseStatTicks(t *testing.T) {
	stat := []byte("4242 (java (kafka) x) S 1 4242 4242 0 -1 4194560 1000 0 0 0 1500 320 0 0 20 0 90 0 100 5000000 20000")
	if got := parseStatTicks(stat); got != 1500+320 {
		t.Errorf("parseStatTicks = %d, want %d", got, 1500+320)
	}
	if got := parseStatTicks([]byte("4242 (short) S 1")); got != 0 {
		t.Errorf("parseStatTicks of a short line = %d, want 0", got)
	}
}

// TestWaitIdle returns at once for an idle process, waits while one
// burns CPU, and gives up after its bound.
func TestWaitIdle(t *testing.T) {
	// The test process itself: busy while a goroutine spins.
	self := []int{os.Getpid()}
	var stop atomic.Bool
	var spins atomic.Int64
	go func() {
		for !stop.Load() {
			spins.Add(1)
		}
	}()
	// Busy: more than 2 ticks (a tenth of a core) in each 200 ms window.
	if waited := waitIdle(self, 2, 200*time.Millisecond, 600*time.Millisecond); waited < 600*time.Millisecond {
		t.Errorf("waitIdle returned after %v while the process spun; want the 600 ms bound", waited)
	}
	stop.Store(true)
	time.Sleep(50 * time.Millisecond)
	if waited := waitIdle(self, 2, 200*time.Millisecond, 5*time.Second); waited > 3*time.Second {
		t.Errorf("waitIdle took %v once the process was idle", waited)
	}
	if waited := waitIdle(nil, 2, 100*time.Millisecond, 5*time.Second); waited != 0 {
		t.Errorf("waitIdle with no processes took %v", waited)
	}
}

// TestWaitRenamed: waitRenamed waits for the partition directories of the
// deleted topic only (not a "-delete" one, not another topic's whose name
// starts the same), and gives up after its bound.
func TestWaitRenamed(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"orders-0", "orders-1", "orders-0.abc-delete", "orders-eu-0", "other-0"} {
		if err := os.Mkdir(filepath.Join(dir, name), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	go func() {
		time.Sleep(200 * time.Millisecond)
		_ = os.Rename(filepath.Join(dir, "orders-1"), filepath.Join(dir, "orders-1.abc-delete"))
		_ = os.Remove(filepath.Join(dir, "orders-0"))
	}()
	start := time.Now()
	if n := waitRenamed(dir, "orders", 10*time.Second); n != 2 {
		t.Errorf("waitRenamed = %d, want the 2 partitions of orders", n)
	}
	if took := time.Since(start); took < 200*time.Millisecond || took > 5*time.Second {
		t.Errorf("waitRenamed returned after %v; want once both were renamed, after 200 ms", took)
	}
	start = time.Now()
	if n := waitRenamed(dir, "other", 150*time.Millisecond); n != 1 || time.Since(start) < 150*time.Millisecond {
		t.Errorf("with a dir that stays: %d, returned after %v; want 1, after the 150 ms bound", n, time.Since(start))
	}
	for name, want := range map[string]bool{"orders-12": true, "orders-": false, "orders-1.x-delete": false, "orders-eu-0": false, "orders": false} {
		if got := isPartitionDir(name, "orders"); got != want {
			t.Errorf("isPartitionDir(%q, orders) = %v, want %v", name, got, want)
		}
	}
}
