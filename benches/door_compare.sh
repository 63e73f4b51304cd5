#!/usr/bin/env bash
# Before/after comparison of two caremap binaries in one run (issue 14: "benchmarks no worse"):
# nearest-10 over HTTP (wrk, benches/http_load.lua) and the latency of single staff writes
# (sequential PUTs with If-Match, each answered after its change is committed with
# synchronous=FULL and applied to the catalog). The binaries take turns, ROUNDS times, on
# copies of one generated database, so load from elsewhere on a shared machine falls on both.
#
# Usage: BEFORE=/path/to/old/caremap AFTER=target/release/caremap bash benches/door_compare.sh
# Parameters (environment):
#   COUNT=100000   synthetic providers (`caremap gen`)
#   DURATION=5     seconds of each wrk run (after a 2 s warm-up)
#   CONNECTIONS=16 wrk connections (2 threads)
#   WRITES=200     sequential writes per round
#   ROUNDS=2       turns of each binary
# Needs wrk, curl, sqlite3. Traffic goes only to 127.0.0.1.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BEFORE=${BEFORE:?set BEFORE to the binary built at the branch point}
AFTER=${AFTER:-$ROOT/target/release/caremap}
COUNT=${COUNT:-100000}
DURATION=${DURATION:-5}
CONNECTIONS=${CONNECTIONS:-16}
WRITES=${WRITES:-200}
ROUNDS=${ROUNDS:-2}

log() { printf '[%s] %s\n' "$(date +%T)" "$*" >&2; }
TMP=$(mktemp -d /tmp/caremap-door-bench.XXXXXX)
SERVER_PID=""
cleanup() {
  set +e
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
  rm -rf "$TMP"
}
trap cleanup EXIT

log "generating $COUNT providers; load average $(cut -d' ' -f1-3 /proc/loadavg)"
"$BEFORE" gen --count "$COUNT" --seed 1 --db "$TMP/base.db" >/dev/null
sqlite3 "$TMP/base.db" "SELECT lon, lat FROM providers WHERE rowid % $((COUNT / 2000 > 0 ? COUNT / 2000 : 1)) = 0 LIMIT 2000" |
  awk -F'|' 'BEGIN { srand(1) } { printf "%.6f %.6f\n", $1 + (rand() - 0.5) * 0.02, $2 + (rand() - 0.5) * 0.02 }' >"$TMP/points.txt"
mkdir -p "$TMP/no-data"

body() { # body ACCEPTING: one provider's Feature, 受入可否 set to ACCEPTING
  printf '{"type":"Feature","geometry":{"type":"Point","coordinates":[139.9029,35.8563]},"properties":{"kind":"care","name":"ベンチ訪問看護","services":["130"],"accepting":%s}}' "$1"
}

# run LABEL BINARY: one turn; prints the columns of the header below.
run() {
  local label=$1 bin=$2 db=$TMP/$1.db base="" token
  cp "$TMP/base.db" "$db"
  token=$("$bin" user add --db "$db" --role editor bench | tail -n 1)
  "$bin" serve --addr 127.0.0.1:0 --db "$db" --data "$TMP/no-data" --web "$ROOT/web" >"$TMP/serve.out" 2>"$TMP/serve.err" &
  SERVER_PID=$!
  for _ in $(seq 1 3000); do
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$TMP/serve.err" >&2; log "$label: caremap serve exited"; exit 1; }
    # Read again each time: a read while the line was being written may have cut the port short.
    base=$(grep -o 'http://[0-9.]*:[0-9]*' "$TMP/serve.out" | head -n 1 || true)
    if [ -n "$base" ] && curl -fs -o /dev/null "$base/readyz"; then break; fi
    sleep 0.02
  done
  curl -fs -o /dev/null "$base/readyz" || { cat "$TMP/serve.err" >&2; log "$label: not ready"; exit 1; }
  wrk -t2 -c"$CONNECTIONS" -d2s -s "$ROOT/benches/http_load.lua" "$base" -- "$TMP/points.txt" nearest 10 >/dev/null
  local result ticks
  ticks=$(awk '{ print $14 + $15 }' "/proc/$SERVER_PID/stat")
  result=$(wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" -s "$ROOT/benches/http_load.lua" "$base" -- "$TMP/points.txt" nearest 10 | grep '^RESULT')
  case $result in *" non2xx=0 errors=0"*) ;; *) log "wrk: $result"; exit 1 ;; esac
  # The server's CPU time per request (user + system), which load from elsewhere on a shared
  # machine disturbs far less than requests/s.
  local cpu_us
  cpu_us=$(awk -v t0="$ticks" -v hz="$(getconf CLK_TCK)" -v n="$(grep -o 'requests=[0-9]*' <<<"$result" | cut -d= -f2)" \
    '{ printf "%.1f", ($14 + $15 - t0) / hz * 1e6 / n }' "/proc/$SERVER_PID/stat")
  local auth="Authorization: Bearer $token" id version=1 i
  id=$(curl -fs -X POST "$base/api/admin/providers" -H "$auth" -H 'Content-Type: application/geo+json' -d "$(body true)" | jq -r .id)
  : >"$TMP/writes.txt"
  for i in $(seq 1 "$WRITES"); do
    curl -fs -o /dev/null -w '%{time_total}\n' -X PUT "$base/api/admin/providers/$id" -H "$auth" \
      -H "If-Match: \"$version\"" -H 'Content-Type: application/geo+json' \
      -d "$(body "$([ $((i % 2)) = 1 ] && echo false || echo true)")" >>"$TMP/writes.txt"
    version=$((version + 1))
  done
  kill "$SERVER_PID"
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
  local writes
  writes=$(sort -n "$TMP/writes.txt" | awk '{ v[NR] = $1 * 1000; s += $1 * 1000 } END {
    printf "%.2f %.2f %.2f", v[int(NR * 0.5 + 0.5)], v[int(NR * 0.99 + 0.5)], s / NR }')
  echo "$label $(grep -o 'rps=[0-9]*' <<<"$result" | cut -d= -f2) $(grep -o 'p50_ms=[0-9.]*' <<<"$result" | cut -d= -f2) $(grep -o 'p99_ms=[0-9.]*' <<<"$result" | cut -d= -f2) $cpu_us $writes"
}

echo "label nearest10_rps nearest10_p50_ms nearest10_p99_ms nearest10_server_cpu_us write_p50_ms write_p99_ms write_mean_ms"
for r in $(seq 1 "$ROUNDS"); do
  log "round $r: before"
  run "before-$r" "$BEFORE"
  log "round $r: after"
  run "after-$r" "$AFTER"
done
log "load average $(cut -d' ' -f1-3 /proc/loadavg)"
