#!/usr/bin/env bash
# Cross-script find benchmark on the project's generated lists: pairwise precision / recall / F1 per
# script pairing at one global threshold, blocking recall, seconds and records prepared per second,
# beside a plain any_ascii + Jaro-Winkler baseline run in the same script.
#
#   bench/crossscript.sh                         # 300 x ~5,000, seeds 7 11 23, with the baseline
#   bench/crossscript.sh --large                 # also 3,000 x ~100,000 (timing; no baseline)
#   bench/crossscript.sh --mixed-origins         # people of several origins (Hebrew, Arabic, Western, ...)
#
# Environment: BENCH_VENV (default ~/.cache/listlink-bench/venv), LISTLINK_BIN (skip the build).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
venv="${BENCH_VENV:-$HOME/.cache/listlink-bench/venv}"
if [[ ! -x "$venv/bin/python" ]]; then
  python3 -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check "anyascii==0.3.2" "rapidfuzz==3.14.1"
if [[ -z "${LISTLINK_BIN:-}" ]]; then
  cargo build --release -p listlink >&2
  export LISTLINK_BIN="$root/target/release/listlink"
fi
mixed=()
large=""
for arg in "$@"; do
  case "$arg" in
    --mixed-origins) mixed=(--mixed-origins) ;;
    --large) large=1 ;;
  esac
done
"$venv/bin/python" bench/crossscript.py --baseline --seed 7 --seed 11 --seed 23 "${mixed[@]}" \
  ${mixed:+--out target/bench-data/crossscript-mixed}
if [[ -n "$large" ]]; then
  "$venv/bin/python" bench/crossscript.py --seed 5 --consular 3000 --roster-only 100000 --out target/bench-data/crossscript-large
fi
