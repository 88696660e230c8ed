package coldstart

import (
	"context"
	"runtime"

	"github.com/aws/aws-lambda-go/lambda"
)

// oneProcBetweenInvokes returns handler wrapped so that each invoke runs
// with the process's GOMAXPROCS and the runtime loop between invokes with
// one P, and sets GOMAXPROCS to one for the loop's first wait. It returns
// handler as it is when the process has one P, when concurrency (Lambda
// Managed Instances' AWS_LAMBDA_MAX_CONCURRENCY, as lambdacontext reads
// it) is above one, since concurrent loops have no time between invokes,
// and when handler is not a lambda.Handler: the typed JSON handlers get
// small events, and wrapping them would change the response's content
// type from aws-lambda-go's application/json to application/octet-stream.
//
// Why: aws-lambda-go reads each event into a bytes.Buffer from a
// sync.Pool and puts it back after the response. A pooled item sits in
// the P that put it, and the loop goroutine often resumes on the other P
// after waiting for the next event, so the Get misses and the buffer grows
// again from 512 bytes to the event's size: for a 5–6 MB sink event about
// 16 MB of zeroed memory and 8 MB of copies, 11–18 % of the sink-handler's
// CPU in its profiles. With one P between invokes, the Put and the next
// Get happen on the same P and find the buffer (TestPayloadBufferReused).
// The handler itself keeps every P: the sink decodes and converts on all
// of them.
//
// Setting GOMAXPROCS turns off the runtime's own updates of it when the
// CPU limit changes, which does not happen in a Lambda sandbox. Each
// change stops the world, and waits for a garbage collection in progress:
// 0.12 ms per invoke in all, measured in the sink-handler binary.
func oneProcBetweenInvokes(handler any, concurrency int) any {
	h, ok := handler.(lambda.Handler)
	procs := runtime.GOMAXPROCS(0)
	if !ok || procs == 1 || concurrency > 1 {
		return handler
	}
	runtime.GOMAXPROCS(1)
	return allProcsHandler{h: h, procs: procs}
}

// allProcsHandler runs h with procs Ps and sets one P again when h
// returns (or panics; aws-lambda-go recovers the panic and reports it).
type allProcsHandler struct {
	h     lambda.Handler
	procs int
}

// Invoke runs the wrapped handler with all of the process's Ps.
func (a allProcsHandler) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	runtime.GOMAXPROCS(a.procs)
	defer runtime.GOMAXPROCS(1)
	return a.h.Invoke(ctx, payload)
}
