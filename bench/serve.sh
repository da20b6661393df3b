#!/usr/bin/env bash
# `/api/match` of `listlink serve` under load (printed figures, not a timed test): one record per
# request against a store of FEBRL-like records (default 1M), from a load generator on loopback;
# prints p50 and p99 latency and requests per second. The issue's aim: p99 < 10 ms and
# ≥ 1,000 requests/s on 2 cores. yente (OpenSanctions' /match) publishes no latency figures that
# we found; none is printed beside ours.
#
#   bench/serve.sh                                  # 1M records, 200 requests, 2 clients
#   bench/serve.sh --records 100000 --requests 500  # a smaller store
#
# Environment: LISTLINK_BIN (a built binary; default: cargo build --release -p listlink),
# BENCH_DATA (where the list and the store go; default target/bench-data).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
cd "$root"

records=1000000
requests=200
clients=2
while [[ $# -gt 0 ]]; do
  case "$1" in
    --records) records="$2"; shift 2 ;;
    --requests) requests="$2"; shift 2 ;;
    --clients) clients="$2"; shift 2 ;;
    *) echo "usage: bench/serve.sh [--records N] [--requests N] [--clients N]" >&2; exit 1 ;;
  esac
done

if [[ -z "${LISTLINK_BIN:-}" ]]; then
  echo "[serve] cargo build --release -p listlink" >&2
  cargo build --release -p listlink >&2
  LISTLINK_BIN="${CARGO_TARGET_DIR:-$root/target}/release/listlink"
fi
data="${BENCH_DATA:-$root/target/bench-data}/serve-$records"
mkdir -p "$data"

[[ -f "$data/big/people.csv" ]] ||
  "$LISTLINK_BIN" generate --kind febrl --records "$records" --seed 1 --out "$data/big" > /dev/null
if [[ ! -f "$data/s.db" ]]; then
  echo "[serve] building the store of $records records (once; kept in $data)" >&2
  "$LISTLINK_BIN" add --store "$data/s.db" "$data/big/people.csv" --source day1 \
    --received 2026-03-01 --settings crates/listlink-core/tests/fixtures/febrl-settings.toml > "$data/add.log"
fi

"$LISTLINK_BIN" serve --store "$data/s.db" --bind 127.0.0.1:0 > "$data/serve.out" 2> /dev/null &
server=$!
trap 'kill "$server" 2> /dev/null || true' EXIT
started=$(date +%s.%N)
until grep -q "listening on" "$data/serve.out" 2> /dev/null; do
  kill -0 "$server" 2> /dev/null || { echo "[serve] the server did not start" >&2; exit 1; }
  sleep 0.2
done
addr=$(sed -n 's#listening on http://\(.*\)/#\1#p' "$data/serve.out")
echo "[serve] $records records loaded in $(echo "$(date +%s.%N) - $started" | bc) s; serving on $addr"

python3 "$here/serve.py" --addr "$addr" --list "$data/big/people.csv" --requests "$requests" --clients "$clients"
