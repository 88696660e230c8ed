#!/usr/bin/env bash
# run.sh — runs Kafka Connect's own transforms on test vectors (stdin → stdout),
# see Harness.java. Resolves the jars of localstack/maven/connect-transforms-pom.xml
# and compiles the harness once; both are cached under $SLKC_CACHE_DIR
# (default ~/.cache/slkc) and redone only when the pom or the source changes.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../../.." && pwd)"
CACHE_DIR="${SLKC_CACHE_DIR:-$HOME/.cache/slkc}"
# Java 19 changed Float/Double.toString to the shortest form (JDK-4511638);
# shared/convert writes that form, so run Kafka's code on the newest JDK
# present (SLKC_HARNESS_JAVA_HOME overrides), falling back to java on PATH.
JHOME="${SLKC_HARNESS_JAVA_HOME:-}"
if [[ -z "$JHOME" ]]; then
  best=0
  for d in /usr/lib/jvm/*/; do
    [[ -x "$d/bin/javac" && -f "$d/release" ]] || continue
    v="$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$d/release")"
    if [[ -n "$v" && "$v" -gt "$best" ]]; then best="$v"; JHOME="${d%/}"; fi
  done
fi
JAVA=java JAVAC=javac
if [[ -n "$JHOME" ]]; then JAVA="$JHOME/bin/java" JAVAC="$JHOME/bin/javac"; fi
LIB="$("$ROOT/localstack/stack.sh" libs connect-transforms connect-transforms-pom.xml)"
OUT="$CACHE_DIR/transforms-harness"
SUM="$( (cat "$HERE/Harness.java" "$ROOT/localstack/maven/connect-transforms-pom.xml"; echo "$JAVAC") | sha256sum | cut -d' ' -f1)"
if [[ ! -f "$OUT/.stamp" || "$(cat "$OUT/.stamp")" != "$SUM" ]]; then
  command -v "$JAVAC" >/dev/null || { echo "run.sh: javac not found: install a JDK 17 (apt-get install -y openjdk-17-jdk-headless)" >&2; exit 1; }
  rm -rf "$OUT" && mkdir -p "$OUT"
  "$JAVAC" -nowarn -d "$OUT" -cp "$LIB/*" "$HERE/Harness.java" >&2
  echo "$SUM" >"$OUT/.stamp"
fi
exec "$JAVA" -Duser.timezone=UTC -Xshare:auto -XX:TieredStopAtLevel=1 -cp "$OUT:$LIB/*" Harness
