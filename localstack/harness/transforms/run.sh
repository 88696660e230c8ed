#!/usr/bin/env bash
# run.sh — runs Kafka Connect's own transforms on test vectors (stdin → stdout),
# see Harness.java. Resolves the jars of localstack/maven/connect-transforms-pom.xml
# and compiles the harness once; both are cached under $SLKC_CACHE_DIR
# (default ~/.cache/slkc) and redone only when the pom or the source changes.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../../.." && pwd)"
CACHE_DIR="${SLKC_CACHE_DIR:-$HOME/.cache/slkc}"
LIB="$("$ROOT/localstack/stack.sh" libs connect-transforms connect-transforms-pom.xml)"
OUT="$CACHE_DIR/transforms-harness"
SUM="$(cat "$HERE/Harness.java" "$ROOT/localstack/maven/connect-transforms-pom.xml" | sha256sum | cut -d' ' -f1)"
if [[ ! -f "$OUT/.stamp" || "$(cat "$OUT/.stamp")" != "$SUM" ]]; then
  command -v javac >/dev/null || { echo "run.sh: javac not found: install a JDK 17 (apt-get install -y openjdk-17-jdk-headless)" >&2; exit 1; }
  rm -rf "$OUT" && mkdir -p "$OUT"
  javac -nowarn -d "$OUT" -cp "$LIB/*" "$HERE/Harness.java" >&2
  echo "$SUM" >"$OUT/.stamp"
fi
exec java -Xshare:auto -XX:TieredStopAtLevel=1 -cp "$OUT:$LIB/*" Harness
