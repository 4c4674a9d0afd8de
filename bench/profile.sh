#!/usr/bin/env bash
# Where a function's CPU goes: builds the functions named (all by default)
# and the baselines with their symbols (the `profiling` profile), starts
# each once as deployed (TLS, one event) and once serving
# CONSENT_BENCH_WARM_EVENTS events (default 100) under valgrind's callgrind
# against the benchmark's fake runtime and stand-in AWS, and writes each
# profile (target/bench/profiles/NAME.cold.1.callgrind, NAME.warm.1...)
# with its inclusive summary beside it (.txt). Instruction counts are
# exact and repeatable, whatever else the machine does.
# Usage: bench/profile.sh [FUNCTION ...]
set -euo pipefail
cd "$(dirname "$0")/.."

. tests/tools.sh
need cargo "Install Rust with rustup (https://rustup.rs), then run this again."
need python3 "Install Python 3 (with the venv module): moto, which stands in for AWS, is a Python program."
debian_packages "profiles are taken with valgrind's callgrind" valgrind -- valgrind
moto_tool
trap stop_services EXIT

functions=("$@")
if [ ${#functions[@]} -eq 0 ]; then
  for dir in functions/*/; do
    name=$(basename "$dir")
    [ "$name" = local ] || functions+=("$name")
  done
fi
packages=(-p hello-lambda)
for name in "${functions[@]}"; do packages+=(-p "$name"); done
echo "== building ${functions[*]} and the baselines (profiling profile: release with symbols)"
cargo build --profile profiling --locked --quiet "${packages[@]}"
cargo build --release --locked --quiet -p consent-bench

profiles=target/bench/profiles
rm -rf "$profiles"
mkdir -p "$profiles"
start_moto bench
export CONSENT_MOTO_ENDPOINT="$MOTO_ENDPOINT"
wait_url "$CONSENT_MOTO_ENDPOINT/moto-api/"
IFS=, CONSENT_BENCH_FUNCTIONS="${functions[*]}"
export CONSENT_BENCH_FUNCTIONS
unset IFS
CONSENT_BENCH_SECTIONS=cold CONSENT_BENCH_RUNS=1 \
  CONSENT_BENCH_WARM_EVENTS="${CONSENT_BENCH_WARM_EVENTS:-100}" \
  CONSENT_BENCH_BINARIES=target/profiling CONSENT_BENCH_PROFILE="$profiles" \
  target/release/consent-bench

for profile in "$profiles"/*.1.callgrind; do
  callgrind_annotate --inclusive=yes --threshold=99 "$profile" >"${profile%.callgrind}.txt"
  echo "== $(basename "$profile"): $(grep -m1 'PROGRAM TOTALS' "${profile%.callgrind}.txt")"
done
echo "Summaries: $profiles/*.txt (callgrind_annotate --inclusive=yes); open a profile with kcachegrind for its call graph."
