package main

import (
	"bufio"
	"bytes"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// settle readies the machine for the next step: it waits until the Kafka
// log dir kafkaDir (when not empty) holds no deleted topic's files,
// collects the bench process's garbage and returns its free memory to the
// OS, writes the page cache's dirty pages out (sync(2)), and waits until
// the stack's processes (pids) are idle. It returns how many bytes were
// dirty or under writeback before the sync, how many deleted partitions
// it waited for, how long the services took to go idle, and how long it
// all took. Kafka frees a deleted topic's files on a timer
// (log.segment.delete.delay.ms, 1 s in the local stack), writes its log
// through the page cache, which the kernel writes out in the background,
// and the services do work of their own after a load (the broker's
// collector, say): without settling, a step shares the machine with the
// work the steps before it left (the broker's system time doubled while a
// dropped topic's files were freed, and single sink-handler invokes took
// 220 ms against a p99 of 68 ms alone).
//
// The sync is cheap only when little is dirty: on the development VM,
// writing out the GB a source run had left in a kept topic slowed the
// page-cache writes of the next several seconds (a raw produce of 1M
// records ran at 300k rows/s instead of 700k), so every step that writes
// a GB to Kafka drops its topic when it ends (dropTopic).
func settle(kafkaDir string, pids []int) (dirty int64, deleted int, idle, took time.Duration) {
	start := time.Now()
	if kafkaDir != "" {
		deleted = waitDeletions(kafkaDir, 30*time.Second)
	}
	// The bench process's own garbage of the last step (an in-process
	// source loop's records, say), collected and returned to the OS now
	// rather than by the runtime during the next step.
	debug.FreeOSMemory()
	dirty = dirtyBytes()
	syscall.Sync()
	idle = waitIdle(pids, idleTicks, idleWindow, 15*time.Second)
	return dirty, deleted, idle, time.Since(start)
}

// idleWindow and idleTicks define idle for waitIdle: at most 5 clock ticks
// (USER_HZ, 100 a second on Linux) of CPU in 250 ms, a fifth of a core.
const (
	idleWindow = 250 * time.Millisecond
	idleTicks  = 5
)

// waitIdle waits, up to max, until the processes pids together used at
// most ticks clock ticks of CPU (user and system, /proc/<pid>/stat) over
// one window, and returns how long it waited. Processes it cannot read
// count as idle.
func waitIdle(pids []int, ticks int64, window, max time.Duration) time.Duration {
	start := time.Now()
	if len(pids) == 0 {
		return 0
	}
	for prev := cpuTicks(pids); time.Since(start) < max; {
		time.Sleep(window)
		cur := cpuTicks(pids)
		if cur-prev <= ticks {
			break
		}
		prev = cur
	}
	return time.Since(start)
}

// cpuTicks sums the user and system CPU clock ticks of the processes pids
// (fields 14 and 15 of /proc/<pid>/stat).
func cpuTicks(pids []int) int64 {
	var n int64
	for _, pid := range pids {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil {
			continue
		}
		n += parseStatTicks(b)
	}
	return n
}

// parseStatTicks returns utime plus stime of a /proc/<pid>/stat text. The
// command name (field 2) is in parentheses and may hold spaces, so fields
// are counted after its closing parenthesis.
func parseStatTicks(stat []byte) int64 {
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return 0
	}
	f := bytes.Fields(stat[i+1:]) // f[0] is field 3 (state)
	if len(f) < 13 {
		return 0
	}
	u, err1 := strconv.ParseInt(string(f[11]), 10, 64)
	s, err2 := strconv.ParseInt(string(f[12]), 10, 64)
	if err1 != nil || err2 != nil {
		return 0
	}
	return u + s
}

// waitDeletions waits, up to max, until dir holds no entry whose name
// ends in "-delete" (a partition of a deleted topic that Kafka has not
// freed yet), and returns how many there were at first.
func waitDeletions(dir string, max time.Duration) int {
	return waitGone(dir, func(name string) bool { return strings.HasSuffix(name, "-delete") }, max)
}

// waitGone waits, up to max, until dir holds no entry whose name matches,
// and returns how many there were at first (0 when dir cannot be read).
func waitGone(dir string, match func(name string) bool, max time.Duration) int {
	count := func() int {
		es, err := os.ReadDir(dir)
		if err != nil {
			return 0
		}
		n := 0
		for _, e := range es {
			if match(e.Name()) {
				n++
			}
		}
		return n
	}
	first := count()
	for n, deadline := first, time.Now().Add(max); n > 0 && time.Now().Before(deadline); n = count() {
		time.Sleep(20 * time.Millisecond)
	}
	return first
}

// waitRenamed waits, up to max, until dir holds no partition directory of
// topic ("<topic>-<partition>") and returns how many there were at first.
// The broker answers a topic deletion before it renames the partitions'
// directories to "-delete" ones; until then waitDeletions does not see
// them, and settle would write the deleted topic's log out.
func waitRenamed(dir, topic string, max time.Duration) int {
	return waitGone(dir, func(name string) bool { return isPartitionDir(name, topic) }, max)
}

// isPartitionDir reports whether name is a partition directory of topic:
// the topic, a dash and the partition number.
func isPartitionDir(name, topic string) bool {
	p, ok := strings.CutPrefix(name, topic+"-")
	if !ok || p == "" {
		return false
	}
	for _, c := range p {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// dirtyBytes is Dirty plus Writeback of /proc/meminfo, in bytes (0 when it
// cannot be read).
func dirtyBytes() int64 {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0
	}
	return parseDirty(b)
}

// parseDirty sums the Dirty and Writeback lines ("Dirty:  1176 kB") of a
// /proc/meminfo text, in bytes.
func parseDirty(meminfo []byte) int64 {
	var n int64
	sc := bufio.NewScanner(bytes.NewReader(meminfo))
	for sc.Scan() {
		f := bytes.Fields(sc.Bytes())
		if len(f) < 2 || (string(f[0]) != "Dirty:" && string(f[0]) != "Writeback:") {
			continue
		}
		kb, err := strconv.ParseInt(string(f[1]), 10, 64)
		if err == nil {
			n += kb << 10
		}
	}
	return n
}

// reclaimed is the bytes the kernel has taken back from the page cache and
// anonymous memory so far, by kswapd and by allocating processes themselves
// (pgsteal_kswapd plus pgsteal_direct of /proc/vmstat, 4 KiB pages); 0 when
// it cannot be read.
func reclaimed() int64 {
	b, err := os.ReadFile("/proc/vmstat")
	if err != nil {
		return 0
	}
	var n int64
	for line := range bytes.SplitSeq(b, []byte("\n")) {
		f := bytes.Fields(line)
		if len(f) == 2 && (string(f[0]) == "pgsteal_kswapd" || string(f[0]) == "pgsteal_direct") {
			if v, err := strconv.ParseInt(string(f[1]), 10, 64); err == nil {
				n += v << 12
			}
		}
	}
	return n
}
