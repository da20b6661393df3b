#!/usr/bin/env bash
# Linking without sharing names: listlink beside clkhash 0.18 and anonlink 0.15 on FEBRL4 (CLKs
# byte for byte, encode records/s, F1 at Dice 0.75, comparisons/s), XOR-folding's cost in F1, and
# the project's cross-script lists through encodings against plaintext `link`. Prints one table.
#
#   bench/pprl.sh                      # build listlink (release), everything
#   bench/pprl.sh --only febrl         # or --only crossscript
#   bench/pprl.sh --seed 7             # cross-script seeds (default 7 11 23)
#
# Environment: PPRL_VENV (default ~/.cache/listlink-bench/pprl-venv), BENCH_DATA
# (default target/bench-data), LISTLINK_BIN (use this binary, skip the build).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
venv="${PPRL_VENV:-$HOME/.cache/listlink-bench/pprl-venv}"
reqs=("clkhash==0.18.3" "anonlink==0.15.3" "recordlinkage==0.16" "pandas==2.3.3" "numpy==2.4.6")
if [[ ! -x "$venv/bin/python" ]]; then
  "${BENCH_PYTHON:-python3}" -m venv "$venv"
fi
stamp="$venv/.listlink-pprl-reqs"
if [[ "$(cat "$stamp" 2>/dev/null || true)" != "${reqs[*]}" ]]; then
  echo "[pprl] installing ${reqs[*]}" >&2
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "${reqs[@]}"
  printf '%s' "${reqs[*]}" >"$stamp"
fi
if [[ -z "${LISTLINK_BIN:-}" ]]; then
  echo "[pprl] cargo build --release -p listlink" >&2
  cargo build --release -p listlink >&2
  LISTLINK_BIN="${CARGO_TARGET_DIR:-$root/target}/release/listlink"
fi
export LISTLINK_BIN
exec "$venv/bin/python" bench/pprl.py "$@"
