# Sourced by the bench scripts: creates the venv "$venv" with pinned Splink and its peers.
# shellcheck shell=bash

# Versions verified together (splink 5.0.0 with duckdb 2.0.1).
reqs=(
  "splink==5.0.0"
  "duckdb==2.0.1"
  "sqlglot==30.30.0"
  "pyarrow==26.0.1"
  "recordlinkage==0.16"
  "pandas==2.3.3"
  "numpy==2.4.6"
  # Name and address lists for bench/febrl_like.py, the generator written apart from listlink's.
  "faker==40.63.0"
)

if [[ ! -x "$venv/bin/python" ]]; then
  echo "[bench] creating venv $venv" >&2
  "${BENCH_PYTHON:-python3}" -m venv "$venv"
fi
stamp="$venv/.listlink-bench-reqs"
if [[ "$(cat "$stamp" 2>/dev/null || true)" != "${reqs[*]}" ]]; then
  echo "[bench] installing ${reqs[*]}" >&2
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "${reqs[@]}"
  printf '%s' "${reqs[*]}" >"$stamp"
fi

