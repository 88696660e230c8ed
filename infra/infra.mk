# infra/infra.mk: CDK app targets, included by the root Makefile (paths are
# relative to the repository root). Tools install once into $(INFRA_CACHE)
# (idempotent, version-stamped), outside any Go module folder so `go list ./...`
# never walks into node_modules.
#
#   make infra-tools   install the cdk CLI and cdk-nag (npm), cfn-lint + checkov and SAM CLI (PyPI venvs)
#   make infra-test    Go assertion tests of infra/, then infra-lint
#   make synth         cdk synth (offline) into infra/cdk.out; builds the functions first
#                      (without INFRA_CONTEXT: the sample, and the demo pipeline into infra/cdk.out/demo)
#   make infra-lint    synth the sample and the demo pipeline, run cdk-nag, cfn-lint, checkov and sam validate on both
#   make infra-nag     synth the sample and the demo pipeline, run cdk-nag's AwsSolutions pack on both
#   make deploy        cdk deploy with your AWS credentials (set INFRA_CONTEXT)
#   make deploy-local  cdklocal deploy against LocalStack (Docker users)
#   make destroy       cdk destroy (state tables and log groups are retained)
#
# INFRA_CONTEXT holds the stage's context flags, e.g.
#   make deploy INFRA_CONTEXT="-c env=prod -c mskClusterArn=arn:aws:kafka:... -c secretArns=arn:...,arn:... \
#                              -c subnetIds=subnet-a,subnet-b -c securityGroupIds=sg-1"
# Configs with ${env:NAME} references need -c functionEnv=NAME=value,... (see infra/README.md).
# (all keys: stack.Settings in infra/stack/settings.go). Without it, synth uses the sample pipeline.

INFRA_CACHE        ?= $(HOME)/.cache/slkc
CDK_CLI_VERSION    := 2.1148.1
CFN_LINT_VERSION   := 1.58.0
CHECKOV_VERSION    := 3.3.30
SAM_CLI_VERSION    := 1.170.0
# cdk-nag's AwsSolutions pack runs from Node (infra/nag: the Go binding is not
# on the Go module proxy); infra/nag/package.json pins it with the aws-cdk-lib
# version of the Go app. The install is redone when package.json changes.
CDK_NAG_VERSION    := 3.0.2
INFRA_NAG_DIR      := $(INFRA_CACHE)/nag-$(CDK_NAG_VERSION)
INFRA_NAG_STAMP    := $(INFRA_NAG_DIR)/.installed
INFRA_CDK_DIR      := $(INFRA_CACHE)/cdk-$(CDK_CLI_VERSION)
INFRA_CDK          := $(INFRA_CDK_DIR)/node_modules/.bin/cdk
INFRA_CDKLOCAL_DIR := $(INFRA_CACHE)/cdklocal-$(CDK_CLI_VERSION)
INFRA_VENV         := $(INFRA_CACHE)/venv-infra
INFRA_VENV_STAMP   := $(INFRA_VENV)/.cfn-lint-$(CFN_LINT_VERSION)-checkov-$(CHECKOV_VERSION)
# SAM CLI pins its own cfn-lint, so it lives in a venv of its own.
INFRA_SAM_VENV     := $(INFRA_CACHE)/venv-sam
INFRA_SAM_STAMP    := $(INFRA_SAM_VENV)/.sam-$(SAM_CLI_VERSION)
INFRA_OUT          := infra/cdk.out
INFRA_BUILD        ?= $(CURDIR)/build
INFRA_FUNCTIONS    := source-poller sink-handler control-api
INFRA_CONTEXT      ?=
# The sample pipeline (2 sources, 2 sinks) with example ARNs: what CI synthesizes and lints.
INFRA_SAMPLE_CONTEXT := -c env=sample -c pipelineDir=testdata/pipeline -c kafkaMode=msk \
  -c mskClusterArn=arn:aws:kafka:eu-west-1:123456789012:cluster/shop/0a1b2c3d-1111-2222-3333-444455556666-2 \
  -c secretArns=arn:aws:secretsmanager:eu-west-1:123456789012:secret:slkc/shop-db-AbCdEf,arn:aws:secretsmanager:eu-west-1:123456789012:secret:slkc/warehouse-db-123456
# The demo pipeline (connectors/pipeline: 1 source, 2 sinks) as a stage on
# self-managed Kafka in a VPC: its ${env:...} values come from functionEnv,
# SLKC_KAFKA_BOOTSTRAP from bootstrapServers, the MySQL user and password from
# the secret slkc/demo/mysql. Paths are relative to infra/.
INFRA_DEMO_PIPELINE ?= ../connectors/pipeline
INFRA_DEMO_CONTEXT := -c env=demo -c pipelineDir=$(INFRA_DEMO_PIPELINE) -c kafkaMode=self-managed \
  -c bootstrapServers=kafka-1.demo.internal:9092,kafka-2.demo.internal:9092 \
  -c subnetIds=subnet-0aaaaaaaaaaaaaaa1,subnet-0bbbbbbbbbbbbbbb2 -c securityGroupIds=sg-0aaaaaaaaaaaaaaa1 \
  -c functionEnv=SLKC_DEMO_MYSQL_URL=jdbc:mysql://demo-db.internal:3306/slkc_demo \
  -c secretArns=arn:aws:secretsmanager:eu-west-1:123456789012:secret:slkc/demo/mysql-AbCdEf
INFRA_DEMO_OUT := $(INFRA_OUT)/demo
INFRA_ENV := CDK_DISABLE_CLI_TELEMETRY=true JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION=1
INFRA_CDK_FLAGS := --no-notices --no-color

$(INFRA_CDK):
	@command -v npm >/dev/null || { echo "infra: npm (Node.js 20+) is required for the cdk CLI"; exit 1; }
	@mkdir -p $(INFRA_CDK_DIR)
	npm install --prefix $(INFRA_CDK_DIR) --no-audit --no-fund --no-save aws-cdk@$(CDK_CLI_VERSION)
	@test -x $@

$(INFRA_NAG_STAMP): infra/nag/package.json
	@command -v npm >/dev/null || { echo "infra: npm (Node.js 20+) is required for cdk-nag"; exit 1; }
	@grep -q '"cdk-nag": "$(CDK_NAG_VERSION)"' $< || { echo "infra: $< does not pin cdk-nag $(CDK_NAG_VERSION)"; exit 1; }
	@mkdir -p $(INFRA_NAG_DIR)
	cp $< $(INFRA_NAG_DIR)/package.json
	cd $(INFRA_NAG_DIR) && npm install --no-audit --no-fund --omit=dev --loglevel=error
	@touch $@

$(INFRA_VENV_STAMP):
	@test -x $(INFRA_VENV)/bin/pip || python3 -m venv $(INFRA_VENV)
	$(INFRA_VENV)/bin/pip install -q cfn-lint==$(CFN_LINT_VERSION) checkov==$(CHECKOV_VERSION)
	@touch $@

$(INFRA_SAM_STAMP):
	@test -x $(INFRA_SAM_VENV)/bin/pip || python3 -m venv $(INFRA_SAM_VENV)
	$(INFRA_SAM_VENV)/bin/pip install -q aws-sam-cli==$(SAM_CLI_VERSION)
	@touch $@

.PHONY: infra-tools
infra-tools: $(INFRA_CDK) $(INFRA_VENV_STAMP) $(INFRA_SAM_STAMP) $(INFRA_NAG_STAMP) ## install the cdk CLI, cfn-lint, checkov, SAM CLI and cdk-nag (cached)

.PHONY: infra-test
infra-test: ## CDK assertion tests (infra/ module) and template checks (cfn-lint, checkov)
	cd infra && go vet ./... && go test $(or $(GO_TEST_FLAGS),-count=1) ./...
	@$(MAKE) --no-print-directory infra-lint

# $(call infra_synth,BUILD_DIR,CONTEXT,OUT) synthesizes CONTEXT with the
# functions in BUILD_DIR into infra/OUT; prints the synth time and the
# template's resource count.
define infra_synth
	@for fn in $(INFRA_FUNCTIONS); do test -f $(1)/$$fn/bootstrap || { echo "infra: $(1)/$$fn/bootstrap missing: run make build"; exit 1; }; done
	@rm -rf infra/$(3)
	@start=$$(date +%s.%N); \
	  cd infra && $(INFRA_ENV) $(INFRA_CDK) synth --quiet $(INFRA_CDK_FLAGS) -o $(3) -c buildDir=$(1) $(2) || exit 1; \
	  end=$$(date +%s.%N); \
	  for t in $(3)/*.template.json; do \
	    n=$$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["Resources"]))' $$t); \
	    printf 'infra: synthesized %s: %s resources in %.1fs\n' $$t $$n $$(echo "$$end - $$start" | bc); \
	  done
endef

.PHONY: synth
synth: build infra-tools ## cdk synth (offline) into infra/cdk.out (INFRA_CONTEXT, or the sample and the demo pipeline)
	$(call infra_synth,$(INFRA_BUILD),$(or $(INFRA_CONTEXT),$(INFRA_SAMPLE_CONTEXT)),cdk.out)
ifeq ($(INFRA_CONTEXT),)
	$(call infra_synth,$(INFRA_BUILD),$(INFRA_DEMO_CONTEXT),cdk.out/demo)
endif

# The sample and demo templates for the checkers; placeholder bootstraps stand
# in for functions that are not built (the template does not depend on their content).
.PHONY: infra-synth-sample
infra-synth-sample: infra-tools
	@set -e; dir=$(INFRA_BUILD); \
	  for fn in $(INFRA_FUNCTIONS); do test -f $$dir/$$fn/bootstrap || dir=$(INFRA_CACHE)/placeholder-build; done; \
	  if [ $$dir != $(INFRA_BUILD) ]; then \
	    echo "infra: functions not built, using placeholder bootstraps in $$dir"; \
	    for fn in $(INFRA_FUNCTIONS); do mkdir -p $$dir/$$fn; printf '#!/bin/sh\necho placeholder %s\n' $$fn > $$dir/$$fn/bootstrap; chmod +x $$dir/$$fn/bootstrap; done; \
	  fi; \
	  $(MAKE) --no-print-directory infra-synth-dir INFRA_SYNTH_BUILD=$$dir

.PHONY: infra-synth-dir
infra-synth-dir:
	$(call infra_synth,$(INFRA_SYNTH_BUILD),$(INFRA_SAMPLE_CONTEXT),cdk.out)
	$(call infra_synth,$(INFRA_SYNTH_BUILD),$(INFRA_DEMO_CONTEXT),cdk.out/demo)

INFRA_TEMPLATES = $(wildcard $(INFRA_OUT)/*.template.json $(INFRA_DEMO_OUT)/*.template.json)

# cdk-nag AwsSolutions on the sample and demo templates: fails on any error or
# warning not suppressed with a reason in the resource's Metadata.cdk_nag.
.PHONY: infra-nag
infra-nag: infra-synth-sample $(INFRA_NAG_STAMP) ## cdk-nag's AwsSolutions pack on the sample and demo templates
	NODE_PATH=$(INFRA_NAG_DIR)/node_modules node infra/nag/nag.js $(INFRA_TEMPLATES)
	@echo "infra: cdk-nag suppressions and their reasons are in each resource's Metadata.cdk_nag.rules_to_suppress"

.PHONY: infra-lint
infra-lint: infra-synth-sample infra-nag ## cfn-lint, checkov, cdk-nag and sam validate on the sample and demo templates (zero unexplained findings)
	$(INFRA_VENV)/bin/cfn-lint $(INFRA_TEMPLATES)
	$(INFRA_VENV)/bin/checkov --quiet --compact --skip-download --framework cloudformation \
	  $(foreach t,$(INFRA_TEMPLATES),-f $(t)) || { echo "infra: checkov findings above"; exit 1; }
	@echo "infra: suppressed checks and their reasons are in each resource's Metadata.checkov.skip"
	@# SAM reads the functions' aws:asset:path metadata, so `sam local invoke -t` runs the synthesized template.
	set -o pipefail; for t in $(INFRA_TEMPLATES); do \
	  ( cd $$(dirname $$t) && SAM_CLI_TELEMETRY=0 $(INFRA_SAM_VENV)/bin/sam validate --lint --region us-east-1 -t $$(basename $$t) ) 2>&1 | { grep -v 'not officially supported\|cdk doctor' || true; }; \
	done

.PHONY: deploy
deploy: build infra-tools ## cdk deploy with your AWS credentials (INFRA_CONTEXT="-c env=... -c mskClusterArn=...")
	@test -n "$(INFRA_CONTEXT)" || { echo 'infra: set INFRA_CONTEXT="-c env=STAGE -c mskClusterArn=... -c secretArns=..." (see infra/infra.mk)'; exit 1; }
	cd infra && $(INFRA_ENV) $(INFRA_CDK) deploy $(INFRA_CDK_FLAGS) --require-approval broadening -c buildDir=$(INFRA_BUILD) $(INFRA_CONTEXT)

.PHONY: deploy-local
deploy-local: build infra-tools ## cdklocal deploy against LocalStack on :4566 (needs Docker and LocalStack running)
	@test -x $(INFRA_CDKLOCAL_DIR)/node_modules/.bin/cdklocal || \
	  npm install --prefix $(INFRA_CDKLOCAL_DIR) --no-audit --no-fund --no-save aws-cdk@$(CDK_CLI_VERSION) aws-cdk-local
	cd infra && $(INFRA_ENV) AWS_REGION=$${AWS_REGION:-us-east-1} $(INFRA_CDKLOCAL_DIR)/node_modules/.bin/cdklocal bootstrap $(INFRA_CDK_FLAGS) -c buildDir=$(INFRA_BUILD) $(or $(INFRA_CONTEXT),$(INFRA_SAMPLE_CONTEXT))
	cd infra && $(INFRA_ENV) AWS_REGION=$${AWS_REGION:-us-east-1} $(INFRA_CDKLOCAL_DIR)/node_modules/.bin/cdklocal deploy $(INFRA_CDK_FLAGS) --require-approval never -c buildDir=$(INFRA_BUILD) $(or $(INFRA_CONTEXT),$(INFRA_SAMPLE_CONTEXT))

.PHONY: destroy
destroy: infra-tools ## cdk destroy the stage's stack (INFRA_CONTEXT); tables and log groups are retained
	@test -n "$(INFRA_CONTEXT)" || { echo 'infra: set INFRA_CONTEXT to the stage to destroy'; exit 1; }
	cd infra && $(INFRA_ENV) $(INFRA_CDK) destroy $(INFRA_CDK_FLAGS) -c buildDir=$(INFRA_BUILD) $(INFRA_CONTEXT)
