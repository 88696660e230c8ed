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
// from a small live heap runs several collections. Main therefore turns
// the proportional collector off and lets the soft memory limit alone
// decide: the heap grows to the limit, is collected there, and the next
// invokes start again from a small live heap. Near the limit the collector
// behaves as it would with any GOGC (the limit caps every heap goal), so
// the function's peak memory is bounded as before; it is just reached
// routinely. Measured on the sink-handler binary (make bench, -only sink;
// README "Garbage collection at the memory limit, and a streamed write
// tried, eighth round"): less CPU per record than GOGC=200 with the same
// limit in 11 of 12 comparisons over six alternated pairs of runs
// (GOGC=200 had cut a quarter from Go's defaults).
// (The payload buffer that aws-lambda-go keeps in a sync.Pool was lost
// when its loop resumed on another P, not by these collections;
// oneProcBetweenInvokes keeps the loop on one P between invokes.)
const (
	// GCPercent is the GOGC value Main sets: off, so only the memory
	// limit triggers a collection.
	GCPercent = -1
	// MemoryLimitShare is the share of the function's memory
	// (AWS_LAMBDA_FUNCTION_MEMORY_SIZE) Main sets as the Go runtime's soft
	// memory limit, at which the heap is collected; the rest is headroom
	// for what the limit does not count (the binary's text, kernel
	// buffers).
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
