# Benchmarks against the physical ceiling of the local stack (included by the
# Makefile with -include). `make bench` prints a table and writes
# build/bench/results.json, build/bench/results.txt and pprof profiles in
# build/bench/profiles. BENCH_FLAGS passes flags to the harness, e.g.
#   make bench BENCH_FLAGS='-rows200 200000 -sink-records 50000'
#   make bench BENCH_FLAGS=-big        # adds the 10M-row source scaling point
#   make bench-quick BENCH_FLAGS='-only bridge'   # the bridge's peak RSS alone
# `make bench-quick` is a small run (about a minute) to check the harness.
# `make bench-scale` runs only the tasks.max and parallel initial load
# figures (also part of `make bench` unless BENCH_FLAGS has -skip-scale).

BENCH_FLAGS ?=
BENCH_OUT ?= build/bench
BENCH_COUNT ?= 5

.PHONY: bench
bench: local-up build-local ## measure source, sinks, functions against raw ceilings (table + build/bench/results.json)
	@mkdir -p $(BENCH_OUT)
	@# linux/arm64 builds (what Lambda runs) only for their sizes; the local runs use build-local's.
	@set -e; for fn in $(FUNCTIONS); do \
	  GOOS=linux GOARCH=arm64 CGO_ENABLED=0 go build -tags lambda.norpc -trimpath -ldflags='-s -w' \
	    -o $(BENCH_OUT)/arm64/$$fn/bootstrap ./functions/$$fn; \
	done
	go build -o $(BENCH_OUT)/bench ./localstack/bench
	$(BENCH_OUT)/bench -out $(BENCH_OUT) -arm64 $(BENCH_OUT)/arm64 $(BENCH_FLAGS)

.PHONY: bench-quick
bench-quick: local-up build-local ## small bench run to check the harness (no profiles)
	@mkdir -p $(BENCH_OUT)
	go build -o $(BENCH_OUT)/bench ./localstack/bench
	$(BENCH_OUT)/bench -out $(BENCH_OUT)/quick -rows200 30000 -rows1k 10000 -sink-records 20000 -dynamo-records 4000 \
	  -cold-starts 3 -no-profiles -scale-tables 10 -scale-rows 2000 -scale-big-rows 50000 $(BENCH_FLAGS)

.PHONY: bench-scale
bench-scale: local-up ## tasks.max 1/4/10 over 100 tables × 20k rows and a chunked initial load (SLKC_BENCH_BIG_ROWS=5000000 for the issue's 5M rows)
	@mkdir -p $(BENCH_OUT)
	go build -o $(BENCH_OUT)/bench ./localstack/bench
	$(BENCH_OUT)/bench -out $(BENCH_OUT)/scale -scale $(BENCH_FLAGS)

.PHONY: bench-go
bench-go: ## Go micro-benchmarks of the inner loops (benchstat-readable, build/bench/gobench.txt)
	@mkdir -p $(BENCH_OUT)
	@# Log lines the code under test prints split benchmark lines; the awk
	@# glues each name back to its result so benchstat can read the file.
	set -o pipefail; go test -run '^$$' -bench . -benchmem -count $(BENCH_COUNT) ./shared/convert/ ./shared/sinktask/ ./connectors/dynamodb/ ./connectors/mysql/ 2>&1 \
	  | tee $(BENCH_OUT)/gobench.raw.txt \
	  | awk '/^Benchmark/ && / INFO /{sub(/\t.*/, ""); name=$$0; next} /^[0-9][0-9][0-9][0-9]\/[0-9][0-9]\/[0-9][0-9] /{next} name!="" && /^[ \t]+[0-9]+\t/{print name $$0; name=""; next} {print}' \
	  > $(BENCH_OUT)/gobench.txt
	@grep -E '^(Benchmark|ok|FAIL)' $(BENCH_OUT)/gobench.txt
