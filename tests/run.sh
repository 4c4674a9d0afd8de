#!/usr/bin/env bash
# The whole test suite: formatting, lints, then every test of the workspace.
# Usage: tests/run.sh [extra cargo test arguments]
set -euo pipefail
cd "$(dirname "$0")/.."

need() {
  command -v "$1" >/dev/null 2>&1 || { echo "tests/run.sh: '$1' is missing. $2" >&2; exit 1; }
}
need cargo "Install Rust with rustup (https://rustup.rs), then run this again."
cargo fmt --version >/dev/null 2>&1 || { echo "tests/run.sh: rustfmt is missing: rustup component add rustfmt" >&2; exit 1; }
cargo clippy --version >/dev/null 2>&1 || { echo "tests/run.sh: clippy is missing: rustup component add clippy" >&2; exit 1; }

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings
echo "== cargo test"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
cargo test --workspace --locked "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
# One closing line for the whole run: the sum of every test binary's result.
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($i ~ /^passed/) p += $(i-1); if ($i ~ /^failed/) f += $(i-1) } }
     END { printf "%d passed, %d failed\n", p, f }' "$log"
exit "$status"
