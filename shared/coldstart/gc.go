package coldstart

import (
	"fmt"
	"log/slog"
	"runtime/debug"
	"strconv"
)

// The garbage collector settings Main gives a function whose environment
// sets neither GOGC nor GOMEMLIMIT.
//
// A Lambda function's memory is reserved and billed whatever the process
// uses, while its CPU is a share proportional to that memory, so CPU spent
// collecting is the scarce resource. Go's defaults (GOGC=100, no limit)
// collect whenever the heap doubles: a sink invoke decoding a 6 MB event
// from a small live heap runs several collections. Measured on the
// sink-handler binary (make bench, -only sink), GCPercent 200 with a
// memory limit cuts its CPU per record by about a quarter.
//
// Collecting only at the limit (GOGC off, the eighth round's setting) runs
// fewer collections but grows the heap of every new instance to the
// limit, and each new page costs a page fault: 0.42 faults per record
// against 0.10 in the sink-handler's first 22 invokes. Where faults are
// dear (2-37 µs each on this VM within one day) that cost more CPU than
// the collections it saved (README "Page faults and the collector, and
// paired goals, ninth round"). (The payload buffer that aws-lambda-go
// keeps in a sync.Pool was lost when its loop resumed on another P, not by
// these collections; oneProcBetweenInvokes keeps the loop on one P between
// invokes.)
const (
	// GCPercent is the GOGC value Main sets.
	GCPercent = 200
	// MemoryLimitShare is the share of the function's memory
	// (AWS_LAMBDA_FUNCTION_MEMORY_SIZE) Main sets as the Go runtime's soft
	// memory limit, so a heap allowed to grow by GCPercent is collected
	// before it outgrows the function; the rest is headroom for what the
	// limit does not count (the binary's text, kernel buffers).
	MemoryLimitShare = 0.8
)

// gcSettings returns the GC percent and memory limit (bytes) Main sets
// for a function with environment getenv; ok is false when it sets
// nothing: GOGC or GOMEMLIMIT is set (the runtime applied them already),
// or AWS_LAMBDA_FUNCTION_MEMORY_SIZE is missing or not a positive number
// of MB. reason says which.
func gcSettings(getenv func(string) string) (percent int, limit int64, ok bool, reason string) {
	for _, k := range []string{"GOGC", "GOMEMLIMIT"} {
		if getenv(k) != "" {
			return 0, 0, false, k + " is set in the environment"
		}
	}
	mb, err := strconv.Atoi(getenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE"))
	if err != nil || mb <= 0 {
		return 0, 0, false, fmt.Sprintf("AWS_LAMBDA_FUNCTION_MEMORY_SIZE %q is not a positive number of MB", getenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE"))
	}
	// Lambda's MB are MiB: the sandbox's memory limit is mb << 20 bytes.
	return GCPercent, int64(float64(int64(mb)<<20) * MemoryLimitShare), true, ""
}

// tuneGC applies gcSettings and logs what the collector runs with.
func tuneGC(getenv func(string) string, log *slog.Logger) {
	percent, limit, ok, reason := gcSettings(getenv)
	if !ok {
		log.Info("go gc settings left as they are", "reason", reason)
		return
	}
	debug.SetGCPercent(percent)
	debug.SetMemoryLimit(limit)
	log.Info("go gc settings", "gogc", percent, "memory_limit_mib", limit>>20,
		"function_memory_mb", getenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE"))
}
