#!/usr/bin/env bash
# Behaviour unchanged (issue 21's acceptance): two listlink binaries run on the same lists must
# write byte-identical pairs.csv, clusters.csv, found.csv and model.json (report.json holds
# timings and is not compared). Lists: the demo's generated cross-script lists (find and link),
# FEBRL3 (dedupe) and FEBRL4 (link) when they were exported by bench/febrl.sh, and a
# `generate --kind febrl` list of --records rows (default 1,000,000).
#
#   bench/identical.sh OLD_BINARY NEW_BINARY [--records N]
#
# Environment: BENCH_DATA (default target/bench-data): where the lists and outputs go.
set -euo pipefail
old="$1"; new="$2"; shift 2
records=1000000
if [[ "${1:-}" == "--records" ]]; then records="$2"; fi
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
data="${BENCH_DATA:-$root/target/bench-data}/identical"
mkdir -p "$data"

"$new" generate --kind crossscript --seed 7 --out "$data/demo" > /dev/null
[[ -f "$data/big/people.csv" && "$(wc -l < "$data/big/people.csv")" -gt "$records" ]] ||
  "$new" generate --kind febrl --records "$records" --seed 1 --out "$data/big" > /dev/null

febrl="${BENCH_DATA:-$root/target/bench-data}"
runs=(
  "demo-find|find --list $data/demo/consular.csv --roster $data/demo/roster.csv --as-of 2026-01-01"
  "demo-link|link $data/demo/consular.csv $data/demo/roster.csv --as-of 2026-01-01"
  "febrl-$records|dedupe $data/big/people.csv --settings $root/crates/listlink-core/tests/fixtures/febrl-settings.toml"
)
[[ -f "$febrl/febrl3.csv" ]] && runs+=("febrl3|dedupe $febrl/febrl3.csv")
[[ -f "$febrl/febrl4_a.csv" ]] && runs+=("febrl4|link $febrl/febrl4_a.csv $febrl/febrl4_b.csv")

status=0
printf '%-16s %-12s %s\n' "run" "file" "same"
for run in "${runs[@]}"; do
  name="${run%%|*}"; args="${run#*|}"
  for side in old new; do
    bin="$old"; [[ $side == new ]] && bin="$new"
    rm -rf "$data/out-$name-$side"
    # shellcheck disable=SC2086
    "$bin" $args --out "$data/out-$name-$side" > /dev/null 2>&1
  done
  for f in pairs.csv clusters.csv found.csv model.json; do
    a="$data/out-$name-old/$f"; b="$data/out-$name-new/$f"
    [[ -f "$a" || -f "$b" ]] || continue
    if cmp -s "$a" "$b"; then same=yes; else same=NO; status=1; fi
    printf '%-16s %-12s %s\n' "$name" "$f" "$same"
  done
done
exit "$status"
