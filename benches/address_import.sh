#!/usr/bin/env bash
# Address import at a prefecture's scale (issue 15): `caremap import --source abr` of invented
# アドレス・ベース・レジストリ files in the published layouts (benches/abr_csv.awk: CITIES × 250 町字,
# 200 住居 each, 2 000 000 住居 for CITIES=40; 150 MB), the whole path a staff member runs:
# decoding, CSV parsing, PROJ conversion from JGD2011 (rep_srid 6668) to WGS84, and the write in
# one SQLite transaction. Into a new database, then again into the same database (the import
# replaces the points of its cities). Prints wall time and peak memory of each run.
# Parameters: CITIES=40 RUNS=2 KEEP_TMP=1
set -euo pipefail

CITIES=${CITIES:-40}
RUNS=${RUNS:-2}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN=$ROOT/target/release/caremap

log() { printf '[%s] %s\n' "$(date +%T)" "$*" >&2; }
[ -x /usr/bin/time ] || { log "installing GNU time"; apt-get install -y -qq time >/dev/null; }
log "building the release binary"
(cd "$ROOT" && cargo build --release --locked --bin caremap)

TMP=$(mktemp -d /tmp/caremap-abr.XXXXXX)
cleanup() { [ -n "${KEEP_TMP:-}" ] || rm -rf "$TMP"; }
trap cleanup EXIT
log "generating $CITIES cities of ABR files"
awk -v cities="$CITIES" -v out="$TMP" -f "$ROOT/benches/abr_csv.awk"
FILES=("$TMP/mt_town_bench.csv" "$TMP/mt_town_pos_bench.csv" "$TMP/mt_rsdtdsp_rsdt_pos_bench.csv")
log "$(wc -l "${FILES[@]}" | tail -n 1 | awk '{print $1}') lines, $(du -cm "${FILES[@]}" | tail -n 1 | cut -f1) MB"

"$BIN" gen --count 1000 --seed 1 --db "$TMP/bench.db" >/dev/null
for run in $(seq 1 "$RUNS"); do
  /usr/bin/time -f "%e s wall, %U s user, %S s sys, %M KB max RSS" -o "$TMP/time.txt" \
    "$BIN" import --db "$TMP/bench.db" --source abr "${FILES[@]}" >"$TMP/report.txt"
  log "run $run: $(cat "$TMP/time.txt"); $(grep -E '住居 [0-9]' "$TMP/report.txt" | cut -c1-60 | tr '\n' ' ')"
done
