#!/usr/bin/env bash
# Benchmark listlink against Splink 5 on FEBRL4 (link) and FEBRL3 (dedupe).
#
#   bench/febrl.sh                  # build listlink, run both tools
#   bench/febrl.sh --only splink    # Splink only (no cargo build)
#   bench/febrl.sh --only listlink  # listlink only
#   bench/febrl.sh --task febrl4    # one task (repeatable)
#
# Environment:
#   BENCH_VENV    venv to create/use   (default ~/.cache/listlink-bench/venv)
#   BENCH_DATA    output directory     (default target/bench-data)
#   BENCH_PYTHON  python for the venv  (default python3)
#   LISTLINK_BIN  use this binary and skip the cargo build
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
cd "$root"

venv="${BENCH_VENV:-$HOME/.cache/listlink-bench/venv}"
export BENCH_DATA="${BENCH_DATA:-$root/target/bench-data}"

# shellcheck source=bench/venv.sh
source "$here/venv.sh"

only=""
prev=""
for arg in "$@"; do
  case "$arg" in
    --only=*) only="${arg#--only=}" ;;
  esac
  if [[ "$prev" == "--only" ]]; then only="$arg"; fi
  prev="$arg"
done

if [[ "$only" != "splink" ]]; then
  if [[ -n "${LISTLINK_BIN:-}" ]]; then
    echo "[febrl] using LISTLINK_BIN=$LISTLINK_BIN (no build)" >&2
  else
    echo "[febrl] cargo build --release -p listlink" >&2
    cargo build --release -p listlink >&2
    LISTLINK_BIN="${CARGO_TARGET_DIR:-$root/target}/release/listlink"
  fi
  export LISTLINK_BIN
fi

exec "$venv/bin/python" "$here/febrl.py" "$@"
