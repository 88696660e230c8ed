# `make demo`: the README's first command. Included by the root Makefile.
# Brings up the real local stack, builds the functions and the local runner,
# then runs localstack/cmd/demo (seed MySQL, run source -> Kafka -> MySQL and
# DynamoDB sinks through slkc-local, show progress, summary, verify).
DEMO_FLAGS ?=

.PHONY: demo
demo: local-up build-local ## run the whole pipeline locally on sample data and verify the sinks (DEMO_FLAGS=-rows 20000 ...)
	@mkdir -p build/bin
	@go build -o build/bin/slkc-local ./localstack/cmd/slkc-local
	@go build -o build/bin/slkc-demo ./localstack/cmd/demo
	@build/bin/slkc-demo $(DEMO_FLAGS)
