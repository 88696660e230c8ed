#!/usr/bin/env bash
# run.sh — prints Kafka Connect's config/validate answer for the ConfigDef and
# config on stdin (see Harness.java). Uses the Kafka jars of
# localstack/maven/kafka-pom.xml (connect-runtime is among them) and compiles
# the harness once; both are cached under $SLKC_CACHE_DIR (default
# ~/.cache/slkc) and redone only when the pom or the source changes.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../../.." && pwd)"
CACHE_DIR="${SLKC_CACHE_DIR:-$HOME/.cache/slkc}"
JAVA=java JAVAC=javac
if [[ -n "${SLKC_HARNESS_JAVA_HOME:-}" ]]; then JAVA="$SLKC_HARNESS_JAVA_HOME/bin/java" JAVAC="$SLKC_HARNESS_JAVA_HOME/bin/javac"; fi
LIB="$("$ROOT/localstack/stack.sh" libs kafka kafka-pom.xml)"
OUT="$CACHE_DIR/validate-harness"
SUM="$( (cat "$HERE/Harness.java" "$ROOT/localstack/maven/kafka-pom.xml"; echo "$JAVAC") | sha256sum | cut -d' ' -f1)"
if [[ ! -f "$OUT/.stamp" || "$(cat "$OUT/.stamp")" != "$SUM" ]]; then
  command -v "$JAVAC" >/dev/null || { echo "run.sh: javac not found: install a JDK 17 (apt-get install -y openjdk-17-jdk-headless)" >&2; exit 1; }
  rm -rf "$OUT" && mkdir -p "$OUT"
  "$JAVAC" -nowarn -d "$OUT" -cp "$LIB/*" "$HERE/Harness.java" >&2
  echo "$SUM" >"$OUT/.stamp"
fi
exec "$JAVA" -Xshare:auto -XX:TieredStopAtLevel=1 -cp "$OUT:$LIB/*" Harness
