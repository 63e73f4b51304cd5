#!/usr/bin/env bash
# Start-up of `caremap serve` on a large database (issue 19: "start-up with 1 M ≤ 1.5 s warm"):
# process start → first 200 from /readyz, the CPU the process had used by then, its RSS 2 s
# later, and the log's read and index phases. Builds give turns when several are named, so
# each is measured under the same conditions.
# Usage: benches/startup.sh [BIN…]   (default: this checkout's release build)
# Parameters: COUNT=1000000 RUNS=3 PORT=18383 DB=path (a database to reuse; generated otherwise)
#             DBS="path…" (a copy per build, when their schemas differ)
set -euo pipefail

COUNT=${COUNT:-1000000}
RUNS=${RUNS:-3}
PORT=${PORT:-18383}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
log() { printf '[%s] %s\n' "$(date +%T)" "$*" >&2; }

BINS=("$@")
if [ ${#BINS[@]} -eq 0 ]; then
  log "building the release binary"
  (cd "$ROOT" && cargo build --release --locked --bin caremap)
  BINS=("$ROOT/target/release/caremap")
fi
TMP=$(mktemp -d /tmp/caremap-startup.XXXXXX)
SERVER=""
cleanup() {
  [ -z "$SERVER" ] || kill "$SERVER" 2>/dev/null || true
  rm -rf "$TMP"
}
trap cleanup EXIT
DB=${DB:-}
if [ -z "$DB" ]; then
  DB=$TMP/bench.db
  log "generating $COUNT providers"
  "${BINS[0]}" gen --count "$COUNT" --seed 1 --db "$DB" >/dev/null
fi

# DBS: one database per build, in the order of the builds (a build with a newer schema
# migrates the database it opens, and an older build then refuses it).
read -r -a DBS_OF <<<"${DBS:-}"

for run in $(seq 1 "$RUNS"); do
  for i in "${!BINS[@]}"; do
    bin=${BINS[$i]}
    db=${DBS_OF[$i]:-$DB}
    started=$(date +%s.%N)
    "$bin" serve --addr "127.0.0.1:$PORT" --db "$db" --data "$ROOT/data" --web "$ROOT/web" >"$TMP/serve.log" 2>&1 &
    SERVER=$!
    until curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null; do
      if ! kill -0 "$SERVER" 2>/dev/null; then
        # e.g. a database a newer build has migrated (give each build its own copy, DBS=…)
        log "$bin exited before it was ready:"
        tail -5 "$TMP/serve.log" >&2
        exit 1
      fi
      sleep 0.02
    done
    ready=$(date +%s.%N)
    cpu=$(awk '{ printf "%.2f/%.2f", $14 / 100, $15 / 100 }' "/proc/$SERVER/stat")
    sleep 2
    rss=$(awk '/^VmRSS/ { printf "%.0f", $2 / 1024 }' "/proc/$SERVER/status")
    kill "$SERVER"
    wait "$SERVER" 2>/dev/null || true
    SERVER=""
    phases=$(grep -o 'read_ms=[0-9]* index_ms=[0-9]*' "$TMP/serve.log" || true)
    printf '%s run %d: start-up %s s, CPU user/sys %s s, RSS %s MiB, %s, load %s\n' "$bin" "$run" \
      "$(awk -v a="$started" -v b="$ready" 'BEGIN { printf "%.2f", b - a }')" "$cpu" "$rss" "$phases" \
      "$(cut -d' ' -f1 /proc/loadavg)"
  done
done
