#!/usr/bin/env bash
# Creates (once, cached) a virtualenv with the third-party Kafka Connect REST
# clients from PyPI that the control-plane tests use, and prints its python.
# Idempotent: a stamp holding the requirements' hash skips the install.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cache="${SLKC_CACHE:-$HOME/.cache/slkc}"
venv="$cache/venv-connect-clients"
req="$here/requirements.txt"
want="$(sha256sum "$req" | cut -d' ' -f1)"
stamp="$venv/.slkc-stamp"
if [[ ! -x "$venv/bin/python" || "$(cat "$stamp" 2>/dev/null)" != "$want" ]]; then
	mkdir -p "$cache"
	python3 -m venv "$venv" >&2
	"$venv/bin/pip" install -q --disable-pip-version-check -r "$req" >&2
	echo "$want" >"$stamp"
fi
echo "$venv/bin/python"
