package main

import (
	"bufio"
	"bytes"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// settle waits until the Kafka log dir kafkaDir (when not empty) holds no
// deleted topic's files, then writes the page cache's dirty pages out
// (sync(2)). It returns how many bytes were dirty or under writeback
// before the sync, how many deleted partitions it waited for and how long
// it took. Kafka frees a deleted topic's files on a timer
// (log.segment.delete.delay.ms, 1 s in the local stack) and writes its log
// through the page cache, which the kernel writes out in the background:
// without it a step that follows a ceiling's produce of a GB shares the
// machine with that work (the broker's system time tripled while a dropped
// topic's files were freed, and single sink-handler invokes took 220 ms
// against a p99 of 68 ms alone).
func settle(kafkaDir string) (dirty int64, deleted int, took time.Duration) {
	start := time.Now()
	if kafkaDir != "" {
		deleted = waitDeletions(kafkaDir, 30*time.Second)
	}
	dirty = dirtyBytes()
	syscall.Sync()
	return dirty, deleted, time.Since(start)
}

// waitDeletions waits, up to max, until dir holds no entry whose name
// ends in "-delete" (a partition of a deleted topic that Kafka has not
// freed yet), and returns how many there were at first.
func waitDeletions(dir string, max time.Duration) int {
	pending := func() int {
		es, err := os.ReadDir(dir)
		if err != nil {
			return 0
		}
		n := 0
		for _, e := range es {
			if strings.HasSuffix(e.Name(), "-delete") {
				n++
			}
		}
		return n
	}
	first := pending()
	for n, deadline := first, time.Now().Add(max); n > 0 && time.Now().Before(deadline); n = pending() {
		time.Sleep(50 * time.Millisecond)
	}
	return first
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
