// Command slkc-local runs a pipeline of connector functions on this machine,
// event-triggered like on AWS: the real bootstrap binaries run in a local
// Lambda runner, source functions are fired on their poll.interval.ms
// schedule with EventBridge's scheduled event, and sink functions are fed by
// a local emulation of Lambda's Kafka event source mapping.
//
//	slkc-local run -pipeline connectors/pipeline -build build [-env-file .env] [-addr 127.0.0.1:3001] [-secrets-file localstack/secrets.local.json]
//	slkc-local run ... -invoke-endpoint http://127.0.0.1:3001   # functions in sam local start-lambda or LocalStack
//	slkc-local invoke -function orders-sink -event events/testdata/msk.json [-endpoint URL]
//	slkc-local validate connectors/pipeline/orders-source.json   # Connect's config/validate response
//
// With -secrets-file the runner also serves those secrets as a local
// Secrets Manager and gives every function AWS_ENDPOINT_URL_SECRETS_MANAGER,
// so ${secretsmanager:NAME:KEY} in a connector config resolves as on AWS.
//
// run also serves the Kafka Connect REST API (shared/connectapi) on
// -control-addr, 127.0.0.1:8083 by default and loopback only: status,
// pause/resume/stop (a sink's bridge leaves its consumer group while paused
// or stopped, a source's runs skip), restart and KIP-875 offsets.
//
// SIGINT or SIGTERM stops everything gracefully: bridges finish or abandon
// their batch without committing it, then the functions get SIGTERM.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	_ "github.com/serverless-kafka-connect/slkc/connectors/all" // every connector's registration
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	logger := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	os.Exit(realMain(ctx, os.Args[1:], os.Stdout, os.Stderr, logger))
}

const usage = `usage:
  slkc-local run    [-pipeline DIR] [-build DIR] [-env-file FILE] [-secrets-file FILE] [-addr HOST:PORT] [-invoke-endpoint URL] [-control-addr 127.0.0.1:8083]
  slkc-local invoke -function NAME [-event FILE] [-endpoint URL] [-secrets-file FILE]
  slkc-local validate [-worker FILE] [-env-file FILE] [-secrets-file FILE] CONNECTOR.json
run "slkc-local <command> -h" for the flags of a command.
`

// realMain runs a command and returns the process exit status.
func realMain(ctx context.Context, args []string, stdout, stderr io.Writer, logger *slog.Logger) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "run":
		var rc runConfig
		if rc, err = parseRun(args[1:], stderr); err == nil {
			err = run(ctx, rc, logger)
		}
	case "invoke":
		var ic invokeConfig
		if ic, err = parseInvoke(args[1:], stderr); err == nil {
			err = invoke(ctx, ic, stdout, logger)
		}
	case "validate":
		var vc validateConfig
		if vc, err = parseValidate(args[1:], stderr); err == nil {
			err = validate(ctx, vc, stdout)
		}
	default:
		fmt.Fprintf(stderr, "unknown command %q\n%s", args[0], usage)
		return 2
	}
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errInvalid):
		return 1 // the problems are in the printed response
	default:
		fmt.Fprintln(stderr, "slkc-local:", err)
		return 1
	}
}
