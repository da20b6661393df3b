#!/usr/bin/env bash
# Real names, names only (issue 22): 1,000 Hebrew-script names of real people looked up among the
# Latin names of the whole file (../shared/data/he_en_wikidata_dev.csv), and the reverse, on the
# file's tuning half and its reporting half (split by a hash of the id); listlink beside
# any_ascii + rapidfuzz token_sort_ratio and nomenklatura's logic-v2, run here on the same queries.
# Prints first-rank accuracy, precision / recall / F1 of `found`, calibration error with a
# reliability table, and blocking recall.
#
#   bench/realnames.sh                 # both halves, both directions, with the peers
#   bench/realnames.sh --half report   # (arguments go to bench/realnames.py)
#
# Environment: LISTLINK_BIN (a built binary; default: cargo build --release -p listlink),
# REALNAMES (the CSV; default ../shared/data/he_en_wikidata_dev.csv beside the repository),
# REALNAMES_VENV (the peers' venv; default target/realnames-venv).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
if [[ -z "${LISTLINK_BIN:-}" ]]; then
  cargo build --release -p listlink >&2
  LISTLINK_BIN="${CARGO_TARGET_DIR:-$root/target}/release/listlink"
fi
venv="${REALNAMES_VENV:-$root/target/realnames-venv}"
reqs=("rapidfuzz==3.14.6" "anyascii==0.3.3" "nomenklatura==4.17.4" "followthemoney==4.11.2")
if [[ ! -x "$venv/bin/python" ]]; then python3 -m venv "$venv"; fi
if [[ "$(cat "$venv/.reqs" 2>/dev/null || true)" != "${reqs[*]}" ]]; then
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "${reqs[@]}" >&2
  printf '%s' "${reqs[*]}" > "$venv/.reqs"
fi
exec "$venv/bin/python" bench/realnames.py --bin "$LISTLINK_BIN" --peers "$@"
