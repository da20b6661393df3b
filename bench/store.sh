#!/usr/bin/env bash
# The roster that lives, at scale (printed figures, not a timed test): a store of 1M FEBRL-like
# records built by one `add` (its time printed), then a 1,000-record list added to it (aim
# ≤ 5 s) and 1,000 people looked up with `find --store` (aim ≤ 2 s).
#
#   bench/store.sh                    # 1M records
#   bench/store.sh --records 100000   # a smaller store
#
# Environment: LISTLINK_BIN (a built binary; default: cargo build --release -p listlink),
# BENCH_DATA (where lists and the store go; default target/bench-data/store).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
cd "$root"

records=1000000
if [[ "${1:-}" == "--records" ]]; then records="$2"; fi

if [[ -z "${LISTLINK_BIN:-}" ]]; then
  echo "[store] cargo build --release -p listlink" >&2
  cargo build --release -p listlink >&2
  LISTLINK_BIN="${CARGO_TARGET_DIR:-$root/target}/release/listlink"
fi
data="${BENCH_DATA:-$root/target/bench-data}/store"
mkdir -p "$data"

seconds() { local s=$(date +%s.%N); "$@" > "$data/last.log" 2>&1 || { cat "$data/last.log" >&2; exit 1; }; echo "$(date +%s.%N) - $s" | bc; }

[[ -f "$data/big/people.csv" && "$(wc -l < "$data/big/people.csv")" -gt "$records" ]] ||
  "$LISTLINK_BIN" generate --kind febrl --records "$records" --seed 1 --out "$data/big" > /dev/null
"$LISTLINK_BIN" generate --kind febrl --records 1000 --seed 2 --out "$data/day2" > /dev/null
"$LISTLINK_BIN" generate --kind febrl --records 1000 --seed 3 --out "$data/query" > /dev/null

rm -f "$data/s.db" "$data/s.db-wal" "$data/s.db-shm"
build=$(seconds "$LISTLINK_BIN" add --store "$data/s.db" "$data/big/people.csv" --source day1 --received 2026-03-01 --settings crates/listlink-core/tests/fixtures/febrl-settings.toml)
echo "[store] build the store ($records records, trains the model):"; tail -n 6 "$data/last.log"
add=$(seconds "$LISTLINK_BIN" add --store "$data/s.db" "$data/day2/people.csv" --source day2 --received 2026-03-02)
echo "[store] add 1,000 records:"; tail -n 6 "$data/last.log"
rm -rf "$data/found"
find=$(seconds "$LISTLINK_BIN" find --store "$data/s.db" --list "$data/query/people.csv" --out "$data/found")
echo "[store] find --store of 1,000 people:"; tail -n 3 "$data/last.log"
roster=$(seconds "$LISTLINK_BIN" roster --store "$data/s.db" --out "$data/roster")

printf '\n%-44s %10s %10s\n' "step ($(nproc) cores)" "seconds" "aim"
printf '%-44s %10.2f %10s\n' "build the store: add $records records" "$build" "-"
printf '%-44s %10.2f %10s\n' "add 1,000 records to it" "$add" "5"
printf '%-44s %10.2f %10s\n' "find --store of 1,000 people" "$find" "2"
printf '%-44s %10.2f %10s\n' "roster (roster, history, changes)" "$roster" "-"
ls -l "$data/s.db" | awk '{printf "store file: %.0f MB\n", $5/1e6}'
