package coldstart

import (
	"context"
	"io"
	"log/slog"
	"os"
	"runtime/pprof"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

// InitTimeout bounds a function's setup (Secrets Manager, dead-letter
// topic creation): Lambda's init phase lasts at most 10 s, and an error
// reported before that names the cause instead of a bare timeout.
const InitTimeout = 8 * time.Second

// App is a function built at cold start.
type App interface {
	// Handler is the Lambda handler: any signature
	// lambda.StartWithOptions accepts, usually a method value.
	Handler() any
	// Close releases what the app holds; called on SIGTERM.
	Close()
}

// SetupFunc builds a function's App from its environment (getenv) at cold
// start, logging to log. On error it must already have released
// everything it built (Init.Close does that).
type SetupFunc[A App] func(ctx context.Context, getenv func(string) string, log *slog.Logger) (A, error)

// Main is a function's whole main: it makes slog's default logger JSON on
// stdout (one object a line, as CloudWatch Logs parses it), runs setup with
// os.Getenv under InitTimeout, and on error logs "<name> init failed" and
// exits with status 1 before the runtime loop starts, so Lambda reports
// Runtime.InitError. Otherwise it never returns: it starts the Lambda
// runtime loop with the app's handler, calling its Close on SIGTERM.
// Before setup it sets the garbage collector for the function's memory
// (see GCPercent) unless GOGC or GOMEMLIMIT is set. A lambda.Handler's
// invokes run with all of the process's Ps, the runtime loop between them
// with one, so that aws-lambda-go finds its pooled payload buffer
// (oneProcBetweenInvokes).
//
// With CPUProfileEnv set to a file path (the local bench sets it to profile
// the real process), the process writes a CPU profile there from start to
// SIGTERM.
func Main[A App](name string, setup SetupFunc[A]) {
	stop := startCPUProfile(os.Getenv(CPUProfileEnv))
	app, ok := run(name, setup, os.Getenv, os.Stdout)
	if !ok {
		stop()
		os.Exit(1)
	}
	lambda.StartWithOptions(oneProcBetweenInvokes(app.Handler(), lambdacontext.MaxConcurrency()), lambda.WithEnableSIGTERM(app.Close, stop))
}

// CPUProfileEnv names the variable holding the path Main writes a CPU
// profile to (unset: no profile).
const CPUProfileEnv = "SLKC_CPU_PROFILE"

// startCPUProfile starts a CPU profile into path and returns what ends
// it; with path empty, or when the file cannot be created, it logs why and
// returns a no-op.
func startCPUProfile(path string) func() {
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err == nil {
		if err = pprof.StartCPUProfile(f); err != nil {
			f.Close()
		}
	}
	if err != nil {
		slog.Error("cpu profile not written", "env", CPUProfileEnv, "path", path, "error", err.Error())
		return func() {}
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}
}

// run is Main up to the runtime loop; ok is false when setup failed.
func run[A App](name string, setup SetupFunc[A], getenv func(string) string, logs io.Writer) (app A, ok bool) {
	log := slog.New(slog.NewJSONHandler(logs, nil))
	slog.SetDefault(log)
	tuneGC(getenv, log)
	ctx, cancel := context.WithTimeout(context.Background(), InitTimeout)
	defer cancel()
	app, err := setup(ctx, getenv, log)
	if err != nil {
		log.Error(name+" init failed", "error", err.Error())
		return app, false
	}
	return app, true
}
