#!/usr/bin/env bash
# Writes the clkhash test vectors of crates/listlink-pprl/tests/fixtures/ from the PyPI package
# (pinned below), in a venv of its own. The tests then compare against them offline.
#
#   bench/pprl_fixtures.sh
#
# Environment: PPRL_VENV (default ~/.cache/listlink-bench/pprl-venv), BENCH_PYTHON (python3).
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
"$venv/bin/python" bench/pprl_fixtures.py --out crates/listlink-pprl/tests/fixtures "$@"
