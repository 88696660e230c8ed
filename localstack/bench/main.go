// Command bench measures the connectors against the physical ceiling of the
// local stack in one run and prints a table plus the same figures as JSON.
//
// Every throughput figure comes with its ceiling, measured in the same run on
// the same data, because absolute times drift on shared machines while the
// ratio holds:
//
//   - ceilings: raw go-sql-driver SELECT scan, raw franz-go produce (acks=all,
//     idempotent) of the same bytes, raw multi-row INSERT ... ON DUPLICATE
//     KEY UPDATE, raw BatchWriteItem (25 items, concurrent workers);
//   - our components on the same rows: shared/sourcetask over the MySQL
//     source, connectors/mysql and connectors/dynamodb sink writes, with
//     DynamoDB and Kafka requests counted;
//   - the real function binaries in localstack/runtime: cold start, peak
//     RSS, binary size, CPU time per record and the Lambda cost it implies;
//   - scaling: source time per page by table size, sink throughput by batch.
//
// Run it with `make bench` (see localstack/bench.mk); -h lists the flags.
// It needs the local stack (localstack/stack.sh up) and, for the process
// figures, the binaries of `make build-local`. Everything it creates
// (database, topics, tables) is removed at the end unless -keep is set.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	goruntime "runtime"
	"strings"
	"syscall"
	"time"
)

// options are the command-line flags.
type options struct {
	Rows200, Rows1K  int
	SinkRecords      int
	DynamoRecords    int
	ProcessRecords   int
	Page             int
	Partitions       int
	Workers          int
	ColdStarts       int
	MemoryMB         int
	ScalePage        int
	Reps             int
	SourceReps       int
	SkipE2E          bool
	E2ERows, E2ERate int
	E2EFor, E2EPoll  time.Duration
	E2EWindow        time.Duration
	PathWindow       time.Duration
	Big              bool
	BuildDir, OutDir string
	Arm64Dir         string
	Keep, NoProfiles bool
	NoSync           bool
	SkipProcess      bool
	// Scale figures (scale.go): ScaleOnly runs only them, SkipScale none.
	ScaleOnly, SkipScale   bool
	ScaleTables, ScaleRows int
	ScaleTasks             string
	ScaleBigRows           int
	ScaleChunks            int
	CDCRows                int
	SkipCDC                bool
	Only                   string
	FnEnv                  map[string]string
}

func parseFlags(args []string) (options, error) {
	var o options
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.IntVar(&o.Rows200, "rows200", 1_000_000, "rows of the 200-byte table (source run and scan/produce ceilings)")
	fs.IntVar(&o.Rows1K, "rows1k", 200_000, "rows of the 1 KB table")
	fs.IntVar(&o.SinkRecords, "sink-records", 100_000, "records written to MySQL by the sink and the raw upsert (in 10k batches)")
	fs.IntVar(&o.DynamoRecords, "dynamo-records", 20_000, "records written to DynamoDB by the sink and the raw BatchWriteItem")
	fs.IntVar(&o.ProcessRecords, "process-records", 0, "records sent through each sink-handler binary (its first full event warms the process and is not counted); 0: as many as -sink-records, the rows of each raw upsert run the binary is compared with")
	fs.IntVar(&o.Page, "page", 10_000, "source page size (batch.max.rows)")
	fs.IntVar(&o.Partitions, "partitions", 4, "partitions of every topic")
	fs.IntVar(&o.Workers, "workers", 8, "concurrent BatchWriteItem requests of the raw ceiling (the sink's default concurrency)")
	fs.IntVar(&o.ColdStarts, "cold-starts", 10, "cold starts per function")
	fs.IntVar(&o.MemoryMB, "memory-mb", 256, "Lambda memory size for the cost estimate (aws.lambda.memory.mb default)")
	fs.IntVar(&o.Reps, "reps", 3, "runs of each sink, sink ceiling, MySQL sink-handler binary (each beside a raw upsert) and of the sink path (fresh tables, topics and offsets each); the best is reported, and the goals take the median of the runs' ratios to their ceilings beside them")
	fs.IntVar(&o.SourceReps, "source-reps", 5, "runs of the source-poller binary in each configuration (fresh topics and offsets each), each run of the default configuration paired with a run of the in-process source loop; the best is reported, and the goal takes the median of the pairs' ratios")
	fs.BoolVar(&o.SkipE2E, "skip-e2e", false, "skip the end-to-end pipeline run")
	fs.IntVar(&o.E2ERows, "e2e-rows", 100_000, "rows inserted at once for the end-to-end throughput")
	fs.IntVar(&o.E2ERate, "e2e-rate", 1000, "rows/s trickled for the end-to-end latency")
	fs.DurationVar(&o.E2EFor, "e2e-for", 10*time.Second, "how long rows are trickled")
	fs.DurationVar(&o.E2EPoll, "e2e-poll", time.Second, "poll.interval.ms of the end-to-end source")
	fs.DurationVar(&o.E2EWindow, "e2e-window", 500*time.Millisecond, "maximum batching window of the end-to-end bridge (Lambda's Kafka default 500 ms)")
	fs.DurationVar(&o.PathWindow, "path-window", 0, "maximum batching window of the sink path's bridge (0: the backlog's last, partial batch does not wait for a window, which would measure that wait rather than throughput)")
	fs.IntVar(&o.ScalePage, "scale-page", 1000, "page size of the source scaling figures")
	fs.BoolVar(&o.Big, "big", false, "also seed a 10M-row table for the source scaling figure (takes several minutes)")
	fs.StringVar(&o.BuildDir, "build", "build", "folder of the function binaries (<fn>/bootstrap)")
	fs.StringVar(&o.Arm64Dir, "arm64", "", "folder of linux/arm64 builds (<fn>/bootstrap) whose sizes are reported too (what Lambda runs)")
	fs.StringVar(&o.OutDir, "out", "build/bench", "folder for results.json, results.txt and the profiles")
	fs.BoolVar(&o.Keep, "keep", false, "keep the database, topics and tables for inspection")
	fs.BoolVar(&o.NoProfiles, "no-profiles", false, "skip the pprof captures")
	fs.BoolVar(&o.NoSync, "no-sync", false, "do not settle before each step: wait for deleted topics' files to go, write out the page cache's dirty pages (sync) and wait for the stack's services to go idle")
	fs.BoolVar(&o.SkipProcess, "skip-process", false, "skip the function-binary figures")
	fs.BoolVar(&o.ScaleOnly, "scale", false, "run only the scale figures (tasks.max and the parallel initial load)")
	fs.BoolVar(&o.SkipScale, "skip-scale", false, "skip the scale figures")
	fs.IntVar(&o.ScaleTables, "scale-tables", 100, "tables of the tasks.max figures")
	fs.IntVar(&o.ScaleRows, "scale-rows", 20_000, "rows per table of the tasks.max figures")
	fs.StringVar(&o.ScaleTasks, "scale-tasks", "1,4,10", "tasks.max values of the tasks.max figures")
	fs.IntVar(&o.ScaleBigRows, "scale-big-rows", scaleBigRowsDefault(), "rows of the initial-load table (default "+EnvScaleBigRows+", else 1000000; the issue's figure is 5000000)")
	fs.IntVar(&o.ScaleChunks, "scale-chunks", 8, "initial.load.max.parallelism of the chunked initial load")
	fs.IntVar(&o.CDCRows, "cdc-rows", 100_000, "row changes the binlog CDC source reads under a steady write load")
	fs.BoolVar(&o.SkipCDC, "skip-cdc", false, "skip the binlog CDC figure")
	fs.StringVar(&o.Only, "only", "", `run one part alone: "bridge" (the bridge's peak RSS), "e2e" (the raw upsert ceiling of the 200 B rows and the end-to-end run, profiled unless -no-profiles), "sink" (the raw upsert ceilings and the MySQL sink-handler binary) or "source" (the scan and produce ceilings of the 200 B rows, the in-process source loop and the source-poller binary)`)
	fs.Func("fn-env", "K=V added to every function process's environment (repeatable), e.g. -fn-env GOGC=100", func(kv string) error {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return fmt.Errorf("want K=V, got %q", kv)
		}
		if o.FnEnv == nil {
			o.FnEnv = map[string]string{}
		}
		o.FnEnv[k] = v
		return nil
	})
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if _, err := parseTasks(o.ScaleTasks); err != nil {
		return o, err
	}
	if o.ScaleTables < 1 || o.ScaleRows < 1 || o.ScaleBigRows < 1 || o.ScaleChunks < 2 || o.ScaleChunks > 32 {
		return o, fmt.Errorf("-scale-tables, -scale-rows and -scale-big-rows must be positive and -scale-chunks 2..32")
	}
	if o.ProcessRecords < 0 {
		return o, fmt.Errorf("-process-records %d: want 0 (as many as -sink-records) or more", o.ProcessRecords)
	}
	if o.ProcessRecords == 0 {
		o.ProcessRecords = o.SinkRecords
	}
	if o.Rows200 < o.SinkRecords || o.Rows200 < o.DynamoRecords || o.Rows200 < o.ProcessRecords {
		return o, fmt.Errorf("-rows200 (%d) must be at least -sink-records, -dynamo-records and -process-records", o.Rows200)
	}
	if o.Only != "" && o.Only != "bridge" && o.Only != "e2e" && o.Only != "sink" && o.Only != "source" {
		return o, fmt.Errorf(`-only %q: want "bridge", "e2e", "sink", "source" or nothing (everything)`, o.Only)
	}
	if o.Reps < 1 {
		return o, fmt.Errorf("-reps %d: want at least 1", o.Reps)
	}
	if o.SourceReps < 1 {
		return o, fmt.Errorf("-source-reps %d: want at least 1", o.SourceReps)
	}
	if o.Page < 1 || o.Page > 100_000 {
		return o, fmt.Errorf("-page %d: want 1..100000 (batch.max.rows)", o.Page)
	}
	return o, nil
}

func main() {
	if spec := os.Getenv(bridgeChildEnv); spec != "" {
		os.Exit(bridgeChild(spec))
	}
	// The components log one info line per page or batch; only their
	// warnings and errors are shown next to the harness's progress.
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	o, err := parseFlags(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	rep, err := run(ctx, o)
	if rep != nil {
		RenderTable(os.Stdout, rep.Figures, rep.Skipped)
		var txt strings.Builder
		RenderTable(&txt, rep.Figures, rep.Skipped)
		for _, name := range sortedKeys(rep.Profiles) {
			fmt.Fprintf(&txt, "\n== profile %s ==\n%s\n", name, rep.Profiles[name])
		}
		_ = os.MkdirAll(o.OutDir, 0o755)
		if werr := os.WriteFile(filepath.Join(o.OutDir, "results.txt"), []byte(txt.String()), 0o644); werr != nil {
			fmt.Fprintln(os.Stderr, "bench:", werr)
		}
		if werr := rep.WriteJSON(filepath.Join(o.OutDir, "results.json")); werr != nil {
			fmt.Fprintln(os.Stderr, "bench:", werr)
		} else {
			fmt.Printf("\nwrote %s and %s\n", filepath.Join(o.OutDir, "results.json"), filepath.Join(o.OutDir, "results.txt"))
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, o options) (*Report, error) {
	runID := time.Now().UTC().Format("0102-150405")
	host, _ := os.Hostname()
	rep := &Report{Started: time.Now().UTC(), Profiles: map[string]string{},
		Host: map[string]string{"hostname": host, "goos": goruntime.GOOS, "goarch": goruntime.GOARCH,
			"cpus": fmt.Sprint(goruntime.NumCPU()), "go": goruntime.Version()},
		Params: map[string]any{"rows_200b": o.Rows200, "rows_1kb": o.Rows1K, "sink_records": o.SinkRecords,
			"dynamo_records": o.DynamoRecords, "process_records": o.ProcessRecords, "page": o.Page,
			"partitions": o.Partitions, "dynamo_workers": o.Workers, "cold_starts": o.ColdStarts,
			"memory_mb": o.MemoryMB, "reps": o.Reps, "source_reps": o.SourceReps, "e2e_rows": o.E2ERows, "e2e_rate": o.E2ERate, "e2e_for": o.E2EFor.String(), "e2e_poll": o.E2EPoll.String(), "e2e_window": o.E2EWindow.String(), "path_window": o.PathWindow.String(), "scale_page": o.ScalePage, "big": o.Big,
			"scale_tables": o.ScaleTables, "scale_rows": o.ScaleRows, "scale_tasks": o.ScaleTasks, "scale_big_rows": o.ScaleBigRows, "scale_chunks": o.ScaleChunks,
			"cdc_rows": o.CDCRows, "fn_env": o.FnEnv}}
	defer func() { rep.Finished = time.Now().UTC() }()
	e, err := newEnv(ctx, runID)
	if e != nil {
		defer func() {
			cctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			for _, err := range e.close(cctx, o.Keep) {
				slog.Warn("cleanup", "error", err)
			}
		}()
	}
	if err != nil {
		return rep, err
	}
	e.fnEnv = o.FnEnv
	e.keep = o.Keep
	b := &bench{o: o, e: e, rep: rep}
	if o.ScaleOnly {
		return rep, b.scale(ctx)
	}
	return rep, b.all(ctx)
}

// progress is the harness's own step log.
var progress = slog.New(slog.NewTextHandler(os.Stderr, nil))

func sortedKeys(m map[string]string) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	for i := range ks {
		for j := i + 1; j < len(ks); j++ {
			if ks[j] < ks[i] {
				ks[i], ks[j] = ks[j], ks[i]
			}
		}
	}
	return ks
}
