#!/usr/bin/env bash
# The PostgreSQL store beside SQLite (issue 18). Steps (STEPS, any of them, in this order):
#  writes   single-provider updates per second through the Store trait (examples/store_writes.rs:
#           If-Match version checked in the transaction, row + history entry + feed seq, NOTIFY
#           on PostgreSQL), with 1 and 4 writer threads;
#  startup  start-up of `caremap serve` on COUNT generated providers (process start → 200 from
#           /readyz), RUNS times on SQLite, then on PostgreSQL;
#  reads    nearest-10 with wrk (benches/http_load.lua, the query points of http_load.sh) on a
#           release server over the same COUNT providers, SQLite and PostgreSQL taking turns
#           READ_ROUNDS times, so load from elsewhere on a shared machine falls on both;
#  lag      feed lag between two servers on one PostgreSQL database (examples/feed_lag.rs):
#           LAG_RATE staff updates a second to server A for LAG_SECONDS, each timed from A's
#           answer until server B serves it (B asked back to back); default --feed-poll-ms, so
#           NOTIFY is what delivers.
# PostgreSQL runs as a private cluster (initdb into a temporary folder, as nobody when run as
# root; unix socket only) with its default durability (fsync on, synchronous_commit on), as
# SQLite runs with synchronous=FULL. Everything started is stopped at the end.
# Parameters: STEPS="writes startup reads lag" COUNT=100000 UPDATES=2000 RUNS=3
#   READ_ROUNDS=3 READ_DURATION=10 READ_WARMUP=3 CONNECTIONS=16 THREADS=2 POINTS=10000
#   LAG_RATE=100 LAG_SECONDS=30 LAG_PROVIDERS=200 KEEP_TMP=1
# The 1 M start-up of the issue: COUNT=1000000 STEPS=startup bash benches/pg_store.sh
set -euo pipefail

STEPS=${STEPS:-writes startup reads lag}
COUNT=${COUNT:-100000}
UPDATES=${UPDATES:-2000}
RUNS=${RUNS:-3}
READ_ROUNDS=${READ_ROUNDS:-3}
READ_DURATION=${READ_DURATION:-10}
READ_WARMUP=${READ_WARMUP:-3}
CONNECTIONS=${CONNECTIONS:-16}
THREADS=${THREADS:-2}
POINTS=${POINTS:-10000}
LAG_RATE=${LAG_RATE:-100}
LAG_SECONDS=${LAG_SECONDS:-30}
LAG_PROVIDERS=${LAG_PROVIDERS:-200}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN=$ROOT/target/release/caremap
WRITES=$ROOT/target/release/examples/store_writes
FEED_LAG=$ROOT/target/release/examples/feed_lag
LUA=$ROOT/benches/http_load.lua

log() { printf '[%s] %s\n' "$(date +%T)" "$*" >&2; }
die() { log "FAILED: $*"; exit 1; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }
step() { case " $STEPS " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }
field() { grep -o "$2=[0-9.]*" <<<"$1" | cut -d= -f2; }

PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -x "$PG_BIN/initdb" ] || die "PostgreSQL not found (apt-get install postgresql)"
log "building the release binary and the benchmark programs"
(cd "$ROOT" && cargo build --release --locked --bin caremap --example store_writes --example feed_lag)

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
TMP=$(mktemp -d /tmp/caremap-pgbench.XXXXXX)
chmod 755 "$TMP"
if [ "$(id -u)" = 0 ]; then chown nobody "$TMP"; AS=(runuser -u nobody --); else AS=(); fi
PORT=5432
SERVER_PIDS=()
cleanup() {
  for pid in "${SERVER_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  "${AS[@]}" "$PG_BIN/pg_ctl" -D "$TMP/data" -m fast -w stop >/dev/null 2>&1 || true
  [ -n "${KEEP_TMP:-}" ] || rm -rf "$TMP"
}
trap cleanup EXIT
"${AS[@]}" "$PG_BIN/initdb" -D "$TMP/data" -U caremap --auth=trust -E UTF8 --locale=C.UTF-8 >"$TMP/initdb.log" 2>&1 ||
  { cat "$TMP/initdb.log" >&2; die initdb; }
"${AS[@]}" "$PG_BIN/pg_ctl" -D "$TMP/data" -o "-c listen_addresses='' -k $TMP -p $PORT" -l "$TMP/postgres.log" -w start >/dev/null
url() { echo "postgresql:///$1?host=$TMP&port=$PORT&user=caremap"; }
for db in writes start lag; do "${AS[@]}" "$PG_BIN/createdb" -h "$TMP" -p "$PORT" -U caremap "$db"; done
mkdir -p "$TMP/no-data"
PG_POSTMASTER=$(head -n 1 "$TMP/data/postmaster.pid")
pg_ticks() { awk '{ print $16 + $17 }' "/proc/$PG_POSTMASTER/stat"; } # its exited children's CPU
PG_IDLE_CHILDREN=$(pgrep -c -P "$PG_POSTMASTER" || true)

# start_server NAME DB DATA [ARGS…]: starts `caremap serve` in the background and returns once
# /readyz answers 200; sets SERVER_PID and BASE.
start_server() {
  local name=$1 db=$2 data=$3
  shift 3
  "$BIN" serve --addr 127.0.0.1:0 --db "$db" --data "$data" --web "$ROOT/web" "$@" \
    >"$TMP/$name.out" 2>"$TMP/$name.err" &
  SERVER_PID=$!
  SERVER_PIDS+=("$SERVER_PID")
  BASE=""
  for _ in $(seq 1 12000); do # up to 2 minutes
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$TMP/$name.err" >&2; die "caremap serve ($name) exited"; }
    [ -n "$BASE" ] || BASE=$(grep -o 'http://[0-9.]*:[0-9]*' "$TMP/$name.out" || true)
    if [ -n "$BASE" ] && curl -fs -o /dev/null "$BASE/readyz"; then return 0; fi
    sleep 0.01
  done
  die "caremap serve ($name) did not become ready"
}
stop_server() { # PID
  kill "$1"
  wait "$1" 2>/dev/null || true
  local rest=() pid
  for pid in "${SERVER_PIDS[@]}"; do [ "$pid" = "$1" ] || rest+=("$pid"); done
  SERVER_PIDS=("${rest[@]}")
}

WRITE_RESULTS=()
if step writes; then
  log "single-provider updates: $UPDATES per run"
  for threads in 1 4; do
    for db in "$TMP/writes.db" "$(url writes)"; do
      line=$("$WRITES" "$db" "$UPDATES" "$threads")
      log "$line"
      WRITE_RESULTS+=("$line")
    done
  done
fi

if step startup || step reads; then
  log "generating $COUNT providers into SQLite and PostgreSQL"
  t=$(now)
  "$BIN" gen --count "$COUNT" --seed 1 --db "$TMP/start.db" >/dev/null
  log "SQLite gen: $(since "$t") s"
  t=$(now)
  "$BIN" gen --count "$COUNT" --seed 1 --db "$(url start)" >/dev/null
  log "PostgreSQL gen: $(since "$t") s"
  # What autovacuum would do soon after such a load, done now so that it does not run during
  # (and its CPU time does not count in) the measured starts.
  "${AS[@]}" "$PG_BIN/vacuumdb" -q -h "$TMP" -p "$PORT" -U caremap --analyze start
fi

STARTUP_RESULTS=()
if step startup; then
  for name in sqlite postgres; do
    db=$TMP/start.db
    [ "$name" = sqlite ] || db=$(url start)
    times=() cpus=() phases=() pg_cpus=()
    for _ in $(seq 1 "$RUNS"); do
      pg_before=$(pg_ticks)
      t=$(now)
      start_server "start-$name" "$db" "$TMP/no-data"
      took=$(since "$t")
      # CPU seconds the server used to get there (user + system, all its threads): on a
      # shared machine the wall time also holds the waits for a core.
      cpus+=("$(awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$SERVER_PID/stat")")
      curl -fs "$BASE/readyz" | grep -q "\"providers\":$COUNT" || die "not ready with $COUNT providers"
      # "catalog built read_ms=… index_ms=…": reading the rows, then building the entries and trees.
      phases+=("$(sed 's/\x1b\[[0-9;]*m//g' "$TMP/start-$name.err" | grep 'catalog built' | grep -o '[a-z]*_ms=[0-9]*' | paste -sd' ' || true)")
      stop_server "$SERVER_PID"
      times+=("$took")
      # The PostgreSQL backends' CPU (the snapshot read, the follower's polls): a backend's
      # time is added to the postmaster's children's time when it exits, after the server.
      for _ in $(seq 1 100); do
        [ "$(pgrep -c -P "$PG_POSTMASTER" || true)" -le "$PG_IDLE_CHILDREN" ] && break
        sleep 0.05
      done
      pg_cpus+=("$(awk -v a="$pg_before" -v b="$(pg_ticks)" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.2f", (b - a) / hz }')")
    done
    log "start-up on $name with $COUNT providers: ${times[*]} s; CPU ${cpus[*]} s; PostgreSQL CPU ${pg_cpus[*]} s; ${phases[*]}"
    pg_cpu_text=""
    [ "$name" = sqlite ] || pg_cpu_text="; ${pg_cpus[*]} s CPU of PostgreSQL"
    STARTUP_RESULTS+=("$name: ${times[*]} s wall; ${cpus[*]} s CPU of caremap$pg_cpu_text; $(printf '(%s) ' "${phases[@]}")")
  done
fi

READ_RESULTS=()
if step reads; then
  # The query points of http_load.sh: provider locations at a fixed stride, each moved by up
  # to ±0.01° with a fixed seed.
  stride=$((COUNT > POINTS ? COUNT / POINTS : 1))
  sqlite3 "$TMP/start.db" "SELECT lon, lat FROM providers WHERE rowid % $stride = 0 ORDER BY rowid LIMIT $POINTS" |
    awk -F'|' 'BEGIN { srand(1) } { printf "%.6f %.6f\n", $1 + (rand() - 0.5) * 0.02, $2 + (rand() - 0.5) * 0.02 }' \
      >"$TMP/points.txt"
  [ -s "$TMP/points.txt" ] || die "no query points"
  TICKS_PER_S=$(getconf CLK_TCK)
  for round in $(seq 1 "$READ_ROUNDS"); do
    for name in sqlite postgres; do
      db=$TMP/start.db
      [ "$name" = sqlite ] || db=$(url start)
      start_server "read-$name" "$db" "$TMP/no-data"
      wrk -t"$THREADS" -c"$CONNECTIONS" -d"${READ_WARMUP}s" -s "$LUA" "$BASE" -- "$TMP/points.txt" nearest 10 >/dev/null
      before=$(awk '{ print $14 + $15 }' "/proc/$SERVER_PID/stat")
      wrk -t"$THREADS" -c"$CONNECTIONS" -d"${READ_DURATION}s" --timeout 10s -s "$LUA" "$BASE" -- "$TMP/points.txt" nearest 10 \
        >"$TMP/wrk-$name-$round.txt" 2>&1 || { cat "$TMP/wrk-$name-$round.txt" >&2; die "wrk"; }
      after=$(awk '{ print $14 + $15 }' "/proc/$SERVER_PID/stat")
      stop_server "$SERVER_PID"
      result=$(grep '^RESULT' "$TMP/wrk-$name-$round.txt") || die "wrk: no result"
      case $result in *" non2xx=0 errors=0"*) ;; *) die "wrk $name: errors: $result" ;; esac
      cpu=$(awk -v t=$((after - before)) -v hz="$TICKS_PER_S" -v n="$(field "$result" requests)" \
        'BEGIN { printf "%.1f", t / hz * 1e6 / n }')
      line="round $round $name: rps=$(field "$result" rps) p50_ms=$(field "$result" p50_ms) p99_ms=$(field "$result" p99_ms) cpu_us=$cpu load=$(cut -d' ' -f1 /proc/loadavg)"
      log "nearest-10 $line"
      READ_RESULTS+=("$line")
    done
  done
fi

LAG_RESULT=""
if step lag; then
  # Two servers on one database: A seeds the bundled sample (it starts first), B loads it.
  TOKEN=$("$BIN" user add --db "$(url lag)" --role editor bench | tail -n 1)
  start_server lag-a "$(url lag)" "$ROOT/data" --metrics public
  A_PID=$SERVER_PID A_BASE=$BASE
  start_server lag-b "$(url lag)" "$ROOT/data" --metrics public
  B_PID=$SERVER_PID B_BASE=$BASE
  log "feed lag: $LAG_RATE writes/s to A for $LAG_SECONDS s, watched on B"
  LAG_RESULT=$("$FEED_LAG" "$A_BASE" "$B_BASE" "$TOKEN" "$LAG_RATE" "$LAG_SECONDS" "$LAG_PROVIDERS") ||
    die "feed_lag: $LAG_RESULT"
  RECONNECTS=$(curl -fs "$B_BASE/metrics" | awk '/^caremap_store_reconnects/ { print $2 }')
  LAG_RESULT="$LAG_RESULT b_listener_reconnects=${RECONNECTS:-?} load=$(cut -d' ' -f1 /proc/loadavg)"
  log "$LAG_RESULT"
  stop_server "$B_PID"
  stop_server "$A_PID"
fi

echo "== caremap store benchmark ($(date -u +%FT%TZ), $(nproc) cores, load before $LOAD_BEFORE, after $(cut -d' ' -f1-3 /proc/loadavg), PostgreSQL $("$PG_BIN/postgres" --version | awk '{ print $3 }'), commit $(git -C "$ROOT" rev-parse --short HEAD))"
[ ${#WRITE_RESULTS[@]} = 0 ] || printf '%s\n' "${WRITE_RESULTS[@]}" | sed "s|$TMP|\$TMP|g"
if [ ${#STARTUP_RESULTS[@]} != 0 ]; then
  echo "start-up with $COUNT providers (process start → 200 from /readyz):"
  printf '  %s\n' "${STARTUP_RESULTS[@]}"
fi
if [ ${#READ_RESULTS[@]} != 0 ]; then
  echo "nearest-10 on $COUNT providers, wrk $CONNECTIONS connections, $THREADS threads, ${READ_DURATION} s after ${READ_WARMUP} s warm-up:"
  printf '  %s\n' "${READ_RESULTS[@]}"
fi
[ -z "$LAG_RESULT" ] || echo "feed lag: $LAG_RESULT"
