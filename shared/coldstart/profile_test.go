package coldstart

import (
	"os"
	"path/filepath"
	"testing"
)

// TestStartCPUProfile checks that a path makes a CPU profile written when
// the returned stop runs, and that no path or a path that cannot be
// created leaves nothing to stop.
func TestStartCPUProfile(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name, path string
		written    bool
	}{
		{"path", filepath.Join(dir, "cpu.pprof"), true},
		{"unset", "", false},
		{"uncreatable", filepath.Join(dir, "missing", "cpu.pprof"), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			stop := startCPUProfile(tc.path)
			stop()
			st, err := os.Stat(tc.path)
			if tc.written != (err == nil && st.Size() > 0) {
				t.Errorf("profile at %q: stat %v, %v; want written=%v", tc.path, st, err, tc.written)
			}
		})
	}
}
