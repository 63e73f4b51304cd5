#!/usr/bin/env bash
# The PostgreSQL store beside SQLite (issue 18), at small scale:
#  1. single-provider updates per second through the Store trait (examples/store_writes.rs:
#     If-Match version checked in the transaction, row + history entry + feed seq, NOTIFY on
#     PostgreSQL), with 1 and 4 writer threads;
#  2. start-up of `caremap serve` on COUNT generated providers (process start → 200 from
#     /readyz), RUNS times each.
# PostgreSQL runs as a private cluster (initdb into a temporary folder, as nobody when run as
# root; unix socket only) with its default durability (fsync on, synchronous_commit on), as
# SQLite runs with synchronous=FULL. Everything started is stopped at the end.
# Parameters: COUNT=100000 UPDATES=2000 RUNS=3 KEEP_TMP=1
set -euo pipefail

COUNT=${COUNT:-100000}
UPDATES=${UPDATES:-2000}
RUNS=${RUNS:-3}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN=$ROOT/target/release/caremap
WRITES=$ROOT/target/release/examples/store_writes

log() { printf '[%s] %s\n' "$(date +%T)" "$*" >&2; }
die() { log "FAILED: $*"; exit 1; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }

PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -x "$PG_BIN/initdb" ] || die "PostgreSQL not found (apt-get install postgresql)"
log "building the release binary and the write benchmark"
(cd "$ROOT" && cargo build --release --locked --bin caremap --example store_writes)

TMP=$(mktemp -d /tmp/caremap-pgbench.XXXXXX)
chmod 755 "$TMP"
if [ "$(id -u)" = 0 ]; then chown nobody "$TMP"; AS=(runuser -u nobody --); else AS=(); fi
PORT=5432
SERVER_PID=""
cleanup() {
  [ -z "$SERVER_PID" ] || kill "$SERVER_PID" 2>/dev/null || true
  "${AS[@]}" "$PG_BIN/pg_ctl" -D "$TMP/data" -m fast -w stop >/dev/null 2>&1 || true
  [ -n "${KEEP_TMP:-}" ] || rm -rf "$TMP"
}
trap cleanup EXIT
"${AS[@]}" "$PG_BIN/initdb" -D "$TMP/data" -U caremap --auth=trust -E UTF8 --locale=C.UTF-8 >"$TMP/initdb.log" 2>&1 ||
  { cat "$TMP/initdb.log" >&2; die initdb; }
"${AS[@]}" "$PG_BIN/pg_ctl" -D "$TMP/data" -o "-c listen_addresses='' -k $TMP -p $PORT" -l "$TMP/postgres.log" -w start >/dev/null
url() { echo "postgresql:///$1?host=$TMP&port=$PORT&user=caremap"; }
for db in writes start; do "${AS[@]}" "$PG_BIN/createdb" -h "$TMP" -p "$PORT" -U caremap "$db"; done

log "single-provider updates: $UPDATES per run"
WRITE_RESULTS=()
for threads in 1 4; do
  for db in "$TMP/writes.db" "$(url writes)"; do
    line=$("$WRITES" "$db" "$UPDATES" "$threads")
    log "$line"
    WRITE_RESULTS+=("$line")
  done
done

log "generating $COUNT providers into SQLite and PostgreSQL"
"$BIN" gen --count "$COUNT" --seed 1 --db "$TMP/start.db" >/dev/null
"$BIN" gen --count "$COUNT" --seed 1 --db "$(url start)" >/dev/null
mkdir -p "$TMP/no-data"

startup() { # DB → seconds from process start to 200 from /readyz
  local t base=""
  t=$(now)
  "$BIN" serve --addr 127.0.0.1:0 --db "$1" --data "$TMP/no-data" --web "$ROOT/web" >"$TMP/serve.out" 2>"$TMP/serve.err" &
  SERVER_PID=$!
  for _ in $(seq 1 6000); do
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$TMP/serve.err" >&2; die "caremap serve exited"; }
    [ -n "$base" ] || base=$(grep -o 'http://[0-9.]*:[0-9]*' "$TMP/serve.out" || true)
    if [ -n "$base" ] && curl -fs -o /dev/null "$base/readyz"; then break; fi
    sleep 0.01
  done
  curl -fs "$base/readyz" | grep -q "\"providers\":$COUNT" || die "not ready with $COUNT providers"
  since "$t"
  kill "$SERVER_PID"
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
}
STARTUP_RESULTS=()
for name in sqlite postgres; do
  db=$TMP/start.db
  [ "$name" = sqlite ] || db=$(url start)
  times=()
  for _ in $(seq 1 "$RUNS"); do times+=("$(startup "$db")"); done
  log "start-up on $name with $COUNT providers: ${times[*]} s"
  STARTUP_RESULTS+=("$name: ${times[*]} s")
done

echo "== caremap store benchmark ($(date -u +%FT%TZ), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), PostgreSQL $("$PG_BIN/postgres" --version | awk '{ print $3 }'))"
printf '%s\n' "${WRITE_RESULTS[@]}" | sed "s|$TMP|\$TMP|g"
echo "start-up with $COUNT providers (process start → 200 from /readyz):"
printf '  %s\n' "${STARTUP_RESULTS[@]}"
