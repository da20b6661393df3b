#!/usr/bin/env bash
# Scale benchmark: dedupe FEBRL-like lists of 10k, 100k, 1M and 10M records with listlink and
# Splink 5 (DuckDB) in the same run; prints one table and the listlink/Splink ratios.
#
#   bench/scale.sh                         # all sizes; Splink up to 1M
#   bench/scale.sh --sizes 10k,100k        # some sizes
#   bench/scale.sh --splink-max 10m        # try Splink at 10M too
#   bench/scale.sh --only listlink         # one tool
#
# Environment: BENCH_VENV, BENCH_DATA, BENCH_PYTHON, LISTLINK_BIN as for bench/febrl.sh.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
cd "$root"

venv="${BENCH_VENV:-$HOME/.cache/listlink-bench/venv}"
export BENCH_DATA="${BENCH_DATA:-$root/target/bench-data}"
# shellcheck source=bench/venv.sh
source "$here/venv.sh"

if [[ -n "${LISTLINK_BIN:-}" ]]; then
  echo "[scale] using LISTLINK_BIN=$LISTLINK_BIN (no build)" >&2
else
  echo "[scale] cargo build --release -p listlink" >&2
  cargo build --release -p listlink >&2
  LISTLINK_BIN="${CARGO_TARGET_DIR:-$root/target}/release/listlink"
fi
export LISTLINK_BIN
if [[ ! -x /usr/bin/time ]]; then
  echo "[scale] installing GNU time (peak memory)" >&2
  sudo apt-get install -y -qq time >&2 || apt-get install -y -qq time >&2
fi

exec "$venv/bin/python" "$here/scale.py" --venv-python "$venv/bin/python" "$@"
