#!/usr/bin/env bash
# venv.sh: install (once, cached) AWS Lambda Powertools for Python, AWS's own
# implementation of the Kafka partial batch response, into a virtualenv
# under ~/.cache/slkc and print its python. Used by the events package's
# differential test of the partial batch response.
set -euo pipefail
VERSION=3.37.0
CACHE_DIR="${SLKC_CACHE_DIR:-$HOME/.cache/slkc}"
VENV="$CACHE_DIR/venv-powertools"
STAMP="$VENV/.installed-$VERSION"
if [[ ! -f "$STAMP" ]]; then
  command -v python3 >/dev/null || { echo "venv.sh: python3 not found" >&2; exit 1; }
  rm -rf "$VENV"
  python3 -m venv "$VENV" >&2
  "$VENV/bin/pip" install -q --disable-pip-version-check "aws-lambda-powertools==$VERSION" >&2
  touch "$STAMP"
fi
echo "$VENV/bin/python"
