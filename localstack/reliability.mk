# Reliability: the fault matrix and the fuzz targets (included by the Makefile).
#
#   make reliability                  the whole fault matrix, RELIABILITY_RUNS randomized runs per case
#   make reliability SLKC_SEED=42     replay the runs of a printed seed
#   make fuzz                         every Go fuzz target for FUZZTIME each, corpus kept
#   make fuzz FUZZ=FuzzQuoteIdent     only the matching targets (FUZZMINIMIZETIME bounds input minimization)
#
# `make test` runs the same matrix with SLKC_RELIABILITY_RUNS unset (a few
# runs per case); figures are printed as "RELIABILITY case=... runs=..." lines.

RELIABILITY_RUNS ?= 20
RELIABILITY_TIMEOUT ?= 40m
RELIABILITY_LOG ?= build/reliability.log
FUZZTIME ?= 20s
FUZZ ?= .
FUZZ_PARALLEL ?= 1
FUZZMINIMIZETIME ?= 5s
FUZZ_CACHE ?= $(CACHE_DIR)/fuzz

.PHONY: reliability
reliability: local-up ## fault matrix with RELIABILITY_RUNS randomized runs per case (SLKC_SEED=n replays)
	@mkdir -p $(dir $(RELIABILITY_LOG))
	@set -o pipefail; SLKC_RELIABILITY_RUNS=$(RELIABILITY_RUNS) \
	  go test -race -count=1 -timeout $(RELIABILITY_TIMEOUT) -v ./localstack/reliability/... 2>&1 | tee $(RELIABILITY_LOG) \
	  | grep -E '^(--- FAIL|FAIL|ok|PASS)|RELIABILITY|seed=' ; rc=$$?; \
	echo "figures:"; grep -ho 'RELIABILITY .*' $(RELIABILITY_LOG) | grep -v 'case=TOTAL' | sort -u; \
	grep -ho 'RELIABILITY case=TOTAL.*' $(RELIABILITY_LOG) | tail -1; \
	echo "full log: $(RELIABILITY_LOG)"; exit $$rc
	go test -race -count=1 -run 'TestHostileIdentifiersOnMariaDB|TestLexBackquoted' ./connectors/mysql/

.PHONY: fuzz
fuzz: ## run every Go fuzz target for FUZZTIME (default 20s) each; corpus kept in testdata/fuzz and $(FUZZ_CACHE)
	@mkdir -p $(FUZZ_CACHE)
	@set -e; targets=$$(grep -rl --include='*_test.go' '^func Fuzz' . | grep -v -e '/node_modules/' -e '^./infra/' | sort); \
	test -n "$$targets" || { echo "no fuzz targets found"; exit 1; }; \
	n=0; for f in $$targets; do \
	  pkg=./$$(dirname $${f#./}); \
	  for fn in $$(grep -ho '^func Fuzz[A-Za-z0-9_]*' $$f | sed 's/^func //'); do \
	    echo "$$fn" | grep -Eq -- '$(FUZZ)' || continue; \
	    echo "fuzz $$pkg $$fn for $(FUZZTIME)"; \
	    go test -run '^$$' -fuzz "^$$fn\$$" -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMINIMIZETIME) -parallel $(FUZZ_PARALLEL) $$pkg \
	      -args -test.fuzzcachedir=$(FUZZ_CACHE)/$$(echo $${pkg#./} | tr / _); \
	    n=$$((n+1)); \
	  done; \
	done; echo "fuzz: $$n targets passed (failing inputs would be saved under <package>/testdata/fuzz)"
