package main

import (
	"os"
	"path/filepath"
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
