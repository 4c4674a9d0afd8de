#!/usr/bin/env bash
# Runs each fuzz target for a fixed time (seconds, default 60) and fails on
# the first crash. Installs a pinned cargo-fuzz into .tools/ on the way.
# Usage: fuzz/run.sh [seconds] [target…]   (targets: link_token request_body)
#
# cargo fuzz needs nightly-only compiler flags; RUSTC_BOOTSTRAP lets the
# stable toolchain accept them, so no second toolchain is needed.
set -euo pipefail
cd "$(dirname "$0")/.."

CARGO_FUZZ_VERSION=0.13.2
TOOLS=${CONSENT_TOOLS_DIR:-$PWD/.tools}
seconds=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(link_token request_body)

cargo_fuzz="$TOOLS/cargo-fuzz-$CARGO_FUZZ_VERSION"
if [ ! -x "$cargo_fuzz/bin/cargo-fuzz" ]; then
  echo "== installing cargo-fuzz $CARGO_FUZZ_VERSION into $cargo_fuzz"
  cargo install --locked --quiet "cargo-fuzz@$CARGO_FUZZ_VERSION" --root "$cargo_fuzz"
fi
export RUSTC_BOOTSTRAP=1
for target in "${targets[@]}"; do
  echo "== fuzzing $target for ${seconds}s"
  mkdir -p "fuzz/corpus/$target" target/fuzz
  # The working corpus grows in fuzz/corpus (not committed); fuzz/seeds holds
  # a few valid inputs, so the run reaches the success paths from the start.
  status=0
  "$cargo_fuzz/bin/cargo-fuzz" run --target-dir target/fuzz "$target" \
    "fuzz/corpus/$target" "fuzz/seeds/$target" -- \
    -max_total_time="$seconds" -print_final_stats=1 >"target/fuzz/$target.log" 2>&1 || status=$?
  grep -E '^(Done|stat::(number_of_executed_units|average_exec_per_sec|new_units_added|peak_rss_mb))|panicked|SUMMARY' \
    "target/fuzz/$target.log" || true
  [ "$status" -eq 0 ] || { echo "fuzz/run.sh: $target failed; see target/fuzz/$target.log and fuzz/artifacts/$target/" >&2; exit 1; }
done
echo "== every target ran ${seconds}s without a crash"
