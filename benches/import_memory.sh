#!/usr/bin/env bash
# Server memory across imports (issue 19: "≤ 600 MB after five 100 k-row imports, old bases
# released"): `caremap serve` on COUNT generated providers, then IMPORTS committed imports over
# HTTP of an invented MHLW CSV of ROWS offices (benches/mhlw_csv.awk), the first adding them, each
# next one changing every row (the telephone numbers alternate), so every import rebuilds the
# catalog's base. Prints RSS after start-up and after each import (the server idle for 2 s).
# Parameters: COUNT=1000000 ROWS=100000 IMPORTS=5 PORT=18282 KEEP_TMP=1, BIN=path (a binary to
# measure instead of building this checkout's release binary, e.g. to compare two commits).
set -euo pipefail

COUNT=${COUNT:-1000000}
ROWS=${ROWS:-100000}
IMPORTS=${IMPORTS:-5}
PORT=${PORT:-18282}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN=${BIN:-}
BASE=http://127.0.0.1:$PORT

log() { printf '[%s] %s\n' "$(date +%T)" "$*" >&2; }
rss_mib() { awk '/^VmRSS/ { printf "%.0f", $2 / 1024 }' "/proc/$1/status"; }
if [ -z "$BIN" ]; then
  log "building the release binary"
  (cd "$ROOT" && cargo build --release --locked --bin caremap)
  BIN=$ROOT/target/release/caremap
fi

TMP=$(mktemp -d /tmp/caremap-importmem.XXXXXX)
SERVER=""
cleanup() {
  [ -z "$SERVER" ] || kill "$SERVER" 2>/dev/null || true
  [ -n "${KEEP_TMP:-}" ] || rm -rf "$TMP"
}
trap cleanup EXIT
log "generating $COUNT providers"
"$BIN" gen --count "$COUNT" --seed 1 --db "$TMP/bench.db" >/dev/null
TOKEN=$("$BIN" user add --db "$TMP/bench.db" --role editor bench | tail -n 1)
stride=$(( COUNT > ROWS ? COUNT / ROWS : 1 ))
sqlite3 "$TMP/bench.db" "SELECT lon, lat FROM providers WHERE rowid % $stride = 1 ORDER BY rowid LIMIT $ROWS" |
  awk -F'|' 'BEGIN { srand(2) } { printf "%.6f %.6f\n", $1 + (rand() - 0.5) * 0.02, $2 + (rand() - 0.5) * 0.02 }' \
  >"$TMP/points.txt"
for v in 0 1; do
  mkdir -p "$TMP/v$v"
  awk -v first=9000000000 -v variant=$v -f "$ROOT/benches/mhlw_csv.awk" "$TMP/points.txt" >"$TMP/v$v/jigyosho_110.csv"
done

"$BIN" serve --addr "127.0.0.1:$PORT" --db "$TMP/bench.db" --data "$ROOT/data" --web "$ROOT/web" >"$TMP/serve.log" 2>&1 &
SERVER=$!
until curl -sf "$BASE/readyz" >/dev/null; do sleep 0.1; done
sleep 2
log "after start-up: RSS $(rss_mib "$SERVER") MiB"
for i in $(seq 1 "$IMPORTS"); do
  start=$(date +%s.%N)
  curl -fsS -o "$TMP/report.json" -H "Authorization: Bearer $TOKEN" \
    -F "file=@$TMP/v$((i % 2))/jigyosho_110.csv;filename=jigyosho_110.csv" \
    "$BASE/api/admin/imports?source=mhlw-care&dry_run=false"
  took=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
  sleep 2
  log "after import $i ($took s; $(grep -o '"\(added\|changed\)":[0-9]*' "$TMP/report.json" | tr '\n' ' ')): RSS $(rss_mib "$SERVER") MiB"
done
