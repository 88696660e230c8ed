package main

import (
	"fmt"
	"os"
	"path/filepath"
	goruntime "runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// cpuTime returns this process's user+system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// clockTick is USER_HZ, the unit of utime/stime in /proc/<pid>/stat; 100 on
// every Linux architecture Go supports.
const clockTick = 10 * time.Millisecond

// procStat is what the harness reads from /proc/<pid>/stat and status.
type procStat struct {
	PPID int
	CPU  time.Duration // utime + stime
	Sys  time.Duration // stime, the kernel's share of CPU
	// MinFlt counts minor page faults: memory the process touches for
	// the first time since the kernel mapped it (or got it back).
	MinFlt int64
	// HWM is VmHWM, the peak resident set size.
	HWMKB int64
}

// parseStat parses the content of /proc/<pid>/stat. The command name is in
// parentheses and may contain spaces, so fields are counted after the last ')'.
func parseStat(s string) (procStat, error) {
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return procStat{}, fmt.Errorf("bench: malformed stat %q", s)
	}
	f := strings.Fields(s[i+1:])
	// f[0] is field 3 (state); ppid is field 4, minflt 10, utime 14,
	// stime 15.
	if len(f) < 13 {
		return procStat{}, fmt.Errorf("bench: short stat %q", s)
	}
	ppid, err1 := strconv.Atoi(f[1])
	flt, err2 := strconv.ParseInt(f[7], 10, 64)
	ut, err3 := strconv.ParseInt(f[11], 10, 64)
	st, err4 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil || err3 != nil || err4 != nil {
		return procStat{}, fmt.Errorf("bench: malformed stat %q", s)
	}
	return procStat{PPID: ppid, CPU: time.Duration(ut+st) * clockTick, Sys: time.Duration(st) * clockTick, MinFlt: flt}, nil
}

// parseHWM returns VmHWM in kB from the content of /proc/<pid>/status.
func parseHWM(s string) int64 {
	for _, line := range strings.Split(s, "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			f := strings.Fields(rest)
			if len(f) > 0 {
				n, _ := strconv.ParseInt(f[0], 10, 64)
				return n
			}
		}
	}
	return 0
}

// readProc reads the stat and VmHWM of pid.
func readProc(pid int) (procStat, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return procStat{}, err
	}
	ps, err := parseStat(string(b))
	if err != nil {
		return ps, err
	}
	if st, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid)); err == nil {
		ps.HWMKB = parseHWM(string(st))
	}
	return ps, nil
}

// childrenRunning returns the pids of this process's children whose
// executable is exe.
func childrenRunning(exe string) []int {
	abs, _ := filepath.Abs(exe)
	ents, _ := os.ReadDir("/proc")
	me := os.Getpid()
	var out []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		ps, err := readProc(pid)
		if err != nil || ps.PPID != me {
			continue
		}
		if link, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid)); err == nil && (link == abs || link == exe) {
			out = append(out, pid)
		}
	}
	return out
}

// parseMachineBusy returns the CPU time all CPUs spent on work (user,
// nice, system, irq and softirq; not idle, iowait or the time stolen by
// the host) from the content of /proc/stat.
func parseMachineBusy(s string) (time.Duration, error) {
	line, _, _ := strings.Cut(s, "\n")
	f := strings.Fields(line)
	if len(f) < 8 || f[0] != "cpu" {
		return 0, fmt.Errorf("bench: /proc/stat does not start with the cpu line: %q", line)
	}
	var ticks int64
	for _, i := range []int{1, 2, 3, 6, 7} { // user nice system irq softirq
		n, err := strconv.ParseInt(f[i], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("bench: malformed /proc/stat cpu line %q", line)
		}
		ticks += n
	}
	return time.Duration(ticks) * clockTick, nil
}

// machineSpan measures how busy the whole machine was over a stretch:
// every process, the broker and MariaDB included.
type machineSpan struct {
	start time.Time
	busy  time.Duration
	err   error
}

// startMachineSpan starts a span now.
func startMachineSpan() machineSpan {
	s := machineSpan{start: time.Now()}
	s.busy, s.err = machineBusy()
	return s
}

// machineBusy reads parseMachineBusy from /proc/stat.
func machineBusy() (time.Duration, error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, err
	}
	return parseMachineBusy(string(b))
}

// cores is how many cores the machine kept busy on average since the
// span started, 0 when /proc/stat could not be read.
func (s machineSpan) cores() float64 {
	now, err := machineBusy()
	wall := time.Since(s.start)
	if s.err != nil || err != nil || wall <= 0 {
		return 0
	}
	return float64(now-s.busy) / float64(wall)
}

func goarch() string { return goruntime.GOOS + "/" + goruntime.GOARCH }
