#!/usr/bin/env bash
# Soak test (not part of `make test`): a release caremap on a temporary database of synthetic
# providers, a mixed read/write load on loopback for a set time, and every 10 s a row with
# requests, errors, latencies and the server's resident memory; a summary at the end.
# Exits non-zero if any request failed or the server did not stop cleanly.
#
#   benches/soak.sh                    # 10 minutes, 100 000 providers, 16 readers, 2 writers
#   DURATION_S=3600 READERS=32 benches/soak.sh
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION_S=${DURATION_S:-600}
INTERVAL_S=${INTERVAL_S:-10}
PROVIDERS=${PROVIDERS:-100000}
READERS=${READERS:-16}
WRITERS=${WRITERS:-2}
POOL=${POOL:-50}

cargo build --release --locked --bin caremap --example soak
bin=target/release/caremap

work=$(mktemp -d)
server=""
cleanup() {
  if [ -n "$server" ] && kill -0 "$server" 2>/dev/null; then kill -TERM "$server"; wait "$server" || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

"$bin" gen --count "$PROVIDERS" --db "$work/soak.db" >/dev/null
CAREMAP_SOAK_TOKEN=$("$bin" user add --db "$work/soak.db" --role editor soak | tail -n 1)
export CAREMAP_SOAK_TOKEN

CAREMAP_LOG=warn "$bin" serve --addr 127.0.0.1:0 --db "$work/soak.db" --data data --web web \
  >"$work/stdout" 2>"$work/stderr" &
server=$!
for _ in $(seq 1 600); do
  grep -q "listening on" "$work/stdout" 2>/dev/null && break
  kill -0 "$server" 2>/dev/null || { cat "$work/stderr"; exit 1; }
  sleep 0.1
done
base=$(sed -n 's/^caremap listening on //p' "$work/stdout")

echo "caremap soak: $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) CPUs, $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo) RAM"
echo "settings: ${DURATION_S} s, ${PROVIDERS} providers, ${READERS} readers, ${WRITERS} writers (pool ${POOL} each), server pid ${server} at ${base}"
echo
status=0
target/release/examples/soak --base "$base" --pid "$server" --duration-s "$DURATION_S" --interval-s "$INTERVAL_S" \
  --readers "$READERS" --writers "$WRITERS" --pool "$POOL" || status=$?

kill -TERM "$server"
server_status=0
wait "$server" || server_status=$?
server=""
echo "server exit status after SIGTERM: $server_status"
if grep -q -E '"level":"(ERROR|WARN)"| (ERROR|WARN) ' "$work/stderr"; then
  echo "server warnings and errors:"; grep -E '(ERROR|WARN)' "$work/stderr" | head -20
fi
[ "$status" -eq 0 ] && [ "$server_status" -eq 0 ]
