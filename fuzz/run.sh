#!/usr/bin/env bash
# A bounded fuzz run: each target for SECONDS (default 25; six targets, under 3 minutes in all).
# Needs cargo-fuzz (`cargo install cargo-fuzz`); runs on the stable toolchain by letting it accept
# the sanitizer flags (RUSTC_BOOTSTRAP=1). A crash leaves its input under fuzz/artifacts/: add it
# as a regression test before fixing.
set -euo pipefail
cd "$(dirname "$0")"
seconds="${SECONDS_PER_TARGET:-25}"
for target in csv_reader jsonl_reader model_loader date_parser settings_parser name_normaliser; do
  echo "== $target ($seconds s)"
  RUSTC_BOOTSTRAP=1 cargo fuzz run "$target" -- -max_total_time="$seconds" -rss_limit_mb=4096
done
