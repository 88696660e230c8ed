package runtime

import (
	"os"
	"sync/atomic"
	"time"
)

// logPipe is the read end of a child's stdout or stderr. It tracks whether
// the line copier is waiting in Read, so that the end of an invocation can
// wait until every line the function wrote before answering has been
// copied and attributed to that invocation (the function writes its log
// lines, then posts its response: the bytes are already in the pipe, but
// the copier may not have read them yet).
type logPipe struct {
	f       *os.File
	waiting atomic.Bool
	reads   atomic.Uint64
}

func (p *logPipe) Read(b []byte) (int, error) {
	p.waiting.Store(true)
	n, err := p.f.Read(b)
	p.reads.Add(1)
	p.waiting.Store(false)
	return n, err
}

// drainLogs waits, at most max, until every pipe is empty and its copier is
// back in Read with no read completed in between (so no line is still
// being handled).
func drainLogs(pipes []*logPipe, max time.Duration) {
	deadline := time.Now().Add(max)
	for time.Now().Before(deadline) {
		quiet := true
		before := make([]uint64, len(pipes))
		for i, p := range pipes {
			before[i] = p.reads.Load()
			if !p.waiting.Load() || pipeUnread(p.f) > 0 {
				quiet = false
			}
		}
		time.Sleep(time.Millisecond)
		if !quiet {
			continue
		}
		for i, p := range pipes {
			if p.reads.Load() != before[i] || !p.waiting.Load() {
				quiet = false
			}
		}
		if quiet {
			return
		}
	}
}
