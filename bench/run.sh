#!/usr/bin/env bash
# The benchmark command. Builds every function (native, for timing; arm64
# zips, for size), the hello-world lambda_runtime baselines (hello-lambda;
# hello-http and hello-tls, which make one HTTP or HTTPS request during
# init) and a bare hyper server with the same release profile, starts moto,
# and prints the tables of bench/README.md. The report is also written to
# target/bench/report.md. The CPU-share mode sets a cgroup CPU quota, which
# needs root (without it, the run says so and leaves those columns empty).
# Usage: bench/run.sh    (CONSENT_BENCH_RUNS, CONSENT_BENCH_WRK_SECONDS tune it)
set -euo pipefail
cd "$(dirname "$0")/.."

. tests/tools.sh
need cargo "Install Rust with rustup (https://rustup.rs), then run this again."
need python3 "Install Python 3 (with the venv module): moto, which stands in for AWS, is a Python program."
moto_tool
cargo_lambda_tool
debian_packages "the throughput figures are measured with wrk" wrk -- wrk
trap stop_services EXIT

functions=()
for dir in functions/*/; do
  name=$(basename "$dir")
  [ "$name" = local ] || functions+=("$name")
done

# As sam build builds them (functions/Makefile): every function in one
# invocation; hello-lambda apart, as it shares none of their code.
echo "== building ${#functions[@]} functions and hello-lambda (release, natively for timing and as arm64 zips for size)"
packages=()
for name in "${functions[@]}"; do packages+=(-p "$name"); done
for build in "${packages[*]}" "-p hello-lambda"; do
  # shellcheck disable=SC2086 # each build's -p flags split as words
  cargo build --release --locked --quiet $build
  # shellcheck disable=SC2086
  PATH="$cargo_lambda/bin:$PATH" cargo lambda build --release --arm64 --locked --quiet \
    --output-format Zip $build >/dev/null
done
cargo build --release --locked --quiet -p consent-local -p consent-bench

start_moto bench
export CONSENT_MOTO_ENDPOINT="$MOTO_ENDPOINT"
wait_url "$CONSENT_MOTO_ENDPOINT/moto-api/"
mkdir -p target/bench
target/release/consent-bench | tee target/bench/report.md
