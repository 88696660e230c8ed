# `make demo-cdc`: change data capture end to end (connectors/pipeline-cdc):
# the binlog source (Debezium's MariaDbConnector) captures slkc_demo_cdc.items
# and our MySQL sink replicates its topic with ExtractNewRecordState and
# delete.enabled; the demo inserts, updates the same rows several times
# between two polls, deletes rows, verifies the replica against the source
# and counts the change events by op. It uses its own database, topics and
# connector names, so it shares nothing with `make demo`. Included by the
# root Makefile.
.PHONY: demo-cdc
demo-cdc: local-up build-local ## the CDC demo: binlog source -> Kafka -> MySQL sink, with repeated updates and deletes (DEMO_FLAGS=...)
	@mkdir -p build/bin
	@go build -o build/bin/slkc-local ./localstack/cmd/slkc-local
	@go build -o build/bin/slkc-demo ./localstack/cmd/demo
	@build/bin/slkc-demo -cdc -pipeline connectors/pipeline-cdc -database slkc_demo_cdc -workdir build/demo-cdc $(DEMO_FLAGS)
