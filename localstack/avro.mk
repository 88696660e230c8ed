# `make demo-avro`: the demo pipeline with Avro and a schema registry end to
# end (connectors/pipeline-avro: AvroConverter for keys and values). Starts
# the project's Apicurio Registry (localstack/stack.sh registry-up, left
# running; `localstack/stack.sh registry-down` stops it) next to the local
# stack. It uses its own database, topics, tables and connector names, so it
# shares nothing with `make demo`. Included by the root Makefile.
.PHONY: demo-avro registry-up registry-down
demo-avro: local-up build-local ## the demo with AvroConverter and Apicurio Registry end to end (DEMO_FLAGS=...)
	@mkdir -p build/bin
	@go build -o build/bin/slkc-local ./localstack/cmd/slkc-local
	@go build -o build/bin/slkc-demo ./localstack/cmd/demo
	@url="$$(localstack/stack.sh registry-up)" && SLKC_SCHEMA_REGISTRY_URL="$$url" build/bin/slkc-demo \
		-pipeline connectors/pipeline-avro -database slkc_demo_avro -workdir build/demo-avro $(DEMO_FLAGS)

registry-up: ## start Apicurio Registry (Confluent-compatible API) on 127.0.0.1:8081; prints its URL
	@localstack/stack.sh registry-up

registry-down: ## stop Apicurio Registry
	@localstack/stack.sh registry-down
