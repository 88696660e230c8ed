"""Drives a Kafka Connect REST API with third-party clients from PyPI.

Usage: drive.py URL COMMAND [ARGS...]; prints one JSON document
{"result": ...} on success, or {"error": "..."} and exits 1.

kafka-connect-py (KafkaConnect) does everything it can: cluster info, list
(with expand and its state filter), get, config, status, tasks, task status,
topics, plugins, validate, pause, resume, stop, restart, task restart.
bkkt's ConnectClient reads and alters offsets (PATCH); neither client has
the KIP-875 reset, so reset-offsets sends DELETE with requests, the HTTP
library both clients are built on.
"""

import json
import sys

import requests
from connectctl.connect.client import ConnectClient
from kafka_connect import KafkaConnect


def main(argv):
    url, cmd, args = argv[1], argv[2], argv[3:]
    kc = KafkaConnect(url=url)
    if cmd == "info":
        return kc.get_cluster_info()
    if cmd == "list":
        return kc.list_connectors(expand=args[0] if args else None)
    if cmd == "list-state":
        return kc.list_connectors(state=args[0])
    if cmd == "get":
        return kc.get_connector(args[0])
    if cmd == "config":
        return kc.get_connector_config(args[0])
    if cmd == "status":
        return kc.get_connector_status(args[0])
    if cmd == "tasks":
        return kc.list_connector_tasks(args[0])
    if cmd == "task-status":
        return kc.get_connector_task_status(args[0], int(args[1]))
    if cmd == "topics":
        return kc.list_connector_topics(args[0])
    if cmd == "plugins":
        return kc.list_connector_plugins()
    if cmd == "validate":
        return kc.validate_connector_config(args[0], json.loads(args[1]))
    if cmd == "pause":
        return kc.pause_connector(args[0])
    if cmd == "resume":
        return kc.resume_connector(args[0])
    if cmd == "stop":
        return kc.stop_connector(args[0])
    if cmd == "restart":
        flags = [a == "true" for a in args[1:3]] + [False, False]
        return kc.restart_connector(args[0], include_tasks=flags[0], only_failed=flags[1])
    if cmd == "restart-task":
        return kc.restart_connector_task(args[0], int(args[1]))
    if cmd == "create":
        return kc.create_connector(json.loads(args[0]))
    if cmd == "offsets":
        return ConnectClient([url]).get_offsets(args[0])
    if cmd == "patch-offsets":
        return ConnectClient([url]).patch_offsets(args[0], json.loads(args[1]))
    if cmd == "reset-offsets":
        r = requests.delete(f"{url}/connectors/{args[0]}/offsets", timeout=30)
        r.raise_for_status()
        return r.json()
    raise SystemExit(f"unknown command {cmd}")


if __name__ == "__main__":
    try:
        print(json.dumps({"result": main(sys.argv)}))
    except Exception as e:  # the clients raise HTTPError or their own errors
        print(json.dumps({"error": f"{type(e).__name__}: {e}"}))
        sys.exit(1)
