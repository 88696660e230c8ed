# Serverless Kafka Connect — the front door. `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

ARCH ?= arm64
FUNCTIONS := $(notdir $(patsubst %/,%,$(dir $(wildcard functions/*/main.go))))
GO_TEST_FLAGS ?= -race -count=1 -timeout 15m
STACK := localstack/stack.sh
CACHE_DIR ?= $(HOME)/.cache/slkc
STATICCHECK_VERSION := v0.8.2
# ST1005 is off: many error messages begin with a Kafka Connect type or a
# field name ("Decimal: ...", "Topics is empty"), spelled as users see them.
STATICCHECK_CHECKS := inherit,-ST1005

# Tests and local runs talk to the real local stack on loopback.
export SLKC_KAFKA_BOOTSTRAP ?= 127.0.0.1:9092
export AWS_ENDPOINT_URL_DYNAMODB ?= http://127.0.0.1:8000
export SLKC_MYSQL_DSN ?= slkc:slkc@tcp(127.0.0.1:3306)/
export AWS_REGION ?= us-east-1
export AWS_ACCESS_KEY_ID ?= local
export AWS_SECRET_ACCESS_KEY ?= local

.PHONY: help
help: ## list the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

.PHONY: build
build: ## build every function to build/<fn>/bootstrap and build/<fn>.zip (ARCH=arm64|amd64)
	@set -e; for fn in $(FUNCTIONS); do \
	  echo "build $$fn (linux/$(ARCH))"; \
	  GOOS=linux GOARCH=$(ARCH) CGO_ENABLED=0 go build -tags lambda.norpc -trimpath -ldflags='-s -w' \
	    -o build/$$fn/bootstrap ./functions/$$fn; \
	  rm -f build/$$fn.zip; (cd build/$$fn && zip -q -X ../$$fn.zip bootstrap); \
	done

.PHONY: build-local
build-local: ## build the functions for this machine's architecture (used by the local runner)
	@$(MAKE) --no-print-directory build ARCH=$$(go env GOARCH)

.PHONY: local-up
local-up: ## install (cached) and start Kafka, DynamoDB Local and MariaDB on 127.0.0.1
	@$(STACK) up

.PHONY: local-status
local-status: ## report the health of each local service
	@$(STACK) status

.PHONY: local-down
local-down: ## stop the local services this project started
	@$(STACK) down

.PHONY: local-clean
local-clean: ## stop the local services and delete their data and logs
	@$(STACK) clean

.PHONY: test
test: local-up ## unit, integration (real local stack) and infra checks
	go test $(GO_TEST_FLAGS) ./...
	@$(MAKE) --no-print-directory test-infra

.PHONY: ui-screenshots
ui-screenshots: local-up ## regenerate the web UI screenshots in docs/ui (the browser test on the demo pipeline)
	SLKC_UPDATE_SCREENSHOTS=1 go test -count=1 -run TestWebUIOnTheDemoPipeline ./localstack/demo

.PHONY: test-unit
test-unit: ## unit tests only: touch no service (the service addresses point at a closed port, so any use fails)
	env SLKC_KAFKA_BOOTSTRAP=127.0.0.1:1 AWS_ENDPOINT_URL_DYNAMODB=http://127.0.0.1:1 AWS_ENDPOINT_URL=http://127.0.0.1:1 \
	  'SLKC_MYSQL_DSN=nobody:none@tcp(127.0.0.1:1)/' CI=true go test -short -count=1 ./...

.PHONY: test-infra
test-infra:
	@localstack/check-compose.sh
	@if [ -f infra/infra.mk ]; then $(MAKE) --no-print-directory infra-test; else echo "infra: nothing to check yet"; fi

.PHONY: lint
lint: ## gofmt check, go vet and staticcheck
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	go vet ./...
	@mkdir -p $(CACHE_DIR)/bin
	@test -x $(CACHE_DIR)/bin/staticcheck-$(STATICCHECK_VERSION) || \
	  (GOBIN=$(CACHE_DIR)/bin go install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) && \
	   mv $(CACHE_DIR)/bin/staticcheck $(CACHE_DIR)/bin/staticcheck-$(STATICCHECK_VERSION))
	$(CACHE_DIR)/bin/staticcheck-$(STATICCHECK_VERSION) -checks "$(STATICCHECK_CHECKS)" ./...

-include infra/infra.mk
-include localstack/demo.mk
-include localstack/bench.mk
-include localstack/reliability.mk
-include localstack/avro.mk
-include localstack/cdc.mk
