"""Kafka partial batch responses as AWS Lambda Powertools for Python builds them.

Reads a JSON list of cases from stdin, each {"event": <Lambda Kafka event>,
"fail": [[topic, partition, offset], ...]}, runs Powertools' BatchProcessor
(EventType.Kafka) over the event with a record handler that fails exactly the
listed records, and writes the list of responses as JSON to stdout.
"""
import json
import sys

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)


def respond(case):
    fail = {(t, p, o) for t, p, o in case["fail"]}

    def handler(record):
        if (record.topic, record.partition, record.offset) in fail:
            raise ValueError("planted failure")

    processor = BatchProcessor(event_type=EventType.Kafka, raise_on_entire_batch_failure=False)
    return process_partial_response(
        event=case["event"], record_handler=handler, processor=processor, context=None
    )


json.dump([respond(c) for c in json.load(sys.stdin)], sys.stdout)
