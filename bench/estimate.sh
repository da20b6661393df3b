#!/usr/bin/env bash
# Multiple systems estimation bench: LCMCR's time for 10,000 iterations on the UK 2013 six-list
# table (limit 10 s on 2 cores), the exhaustive log-linear search's time, and interval coverage
# on independent lists with known N over 1,000 seeds.
#
#   bench/estimate.sh [PATH/mse_dev.json]     # default ../shared/data/mse_dev.json
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
cargo run --quiet --release -p listlink-estimate --example estimate_bench -- "${1:-$root/../shared/data/mse_dev.json}"
