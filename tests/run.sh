#!/usr/bin/env bash
# The whole test suite: formatting, lints, the template (cfn-lint), the
# Lambda builds (cargo-lambda, arm64), then every test of the workspace with
# local moto servers standing in for DynamoDB and SES.
# Usage: tests/run.sh [extra cargo test arguments]
set -euo pipefail
cd "$(dirname "$0")/.."

MOTO_VERSION=5.2.5
CFN_LINT_VERSION=1.58.0
CARGO_LAMBDA_VERSION=1.9.2
TOOLS=${CONSENT_TOOLS_DIR:-$PWD/.tools}

need() {
  command -v "$1" >/dev/null 2>&1 || { echo "tests/run.sh: '$1' is missing. $2" >&2; exit 1; }
}
need cargo "Install Rust with rustup (https://rustup.rs), then run this again."
need python3 "Install Python 3 (3.9 or newer, with the venv module): moto, which stands in for DynamoDB and SES, is a Python program."
cargo fmt --version >/dev/null 2>&1 || { echo "tests/run.sh: rustfmt is missing: rustup component add rustfmt" >&2; exit 1; }
cargo clippy --version >/dev/null 2>&1 || { echo "tests/run.sh: clippy is missing: rustup component add clippy" >&2; exit 1; }

# Each Python tool, pinned, in a virtual environment of its own.
python_tool() { # dir requirement command
  if [ ! -x "$1/bin/$3" ]; then
    echo "== installing $2 into $1"
    rm -rf "$1"
    python3 -m venv "$1" || { echo "tests/run.sh: python3 cannot make a virtual environment; install its venv module (Debian: apt-get install python3-venv)" >&2; exit 1; }
    "$1/bin/pip" install --quiet --disable-pip-version-check "$2"
  fi
}
venv="$TOOLS/moto-$MOTO_VERSION"
python_tool "$venv" "moto[server]==$MOTO_VERSION" moto_server
cfn_lint="$TOOLS/cfn-lint-$CFN_LINT_VERSION"
python_tool "$cfn_lint" "cfn-lint==$CFN_LINT_VERSION" cfn-lint
cargo_lambda="$TOOLS/cargo-lambda-$CARGO_LAMBDA_VERSION"
python_tool "$cargo_lambda" "cargo-lambda==$CARGO_LAMBDA_VERSION" cargo-lambda

# Two moto servers: one for DynamoDB, one for SES (reading back SES's
# messages dumps the whole server, so DynamoDB's tables stay out of it).
moto_pids=()
stop_moto() {
  for pid in "${moto_pids[@]}"; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
}
log=$(mktemp)
trap 'stop_moto; rm -f "$log"' EXIT

start_moto() { # name -> prints the endpoint
  local port
  port=$("$venv/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  "$venv/bin/moto_server" -H 127.0.0.1 -p "$port" >"$TOOLS/moto-$1.log" 2>&1 &
  moto_pids+=($!)
  MOTO_ENDPOINT="http://127.0.0.1:$port"
}
wait_moto() {
  "$venv/bin/python" - "$1" <<'PY'
import sys, time, urllib.request
for _ in range(100):
    try:
        urllib.request.urlopen(sys.argv[1] + "/moto-api/", timeout=1)
        sys.exit(0)
    except Exception:
        time.sleep(0.1)
sys.exit("moto did not start on " + sys.argv[1] + "; see .tools/moto-*.log")
PY
}
start_moto dynamodb
export CONSENT_MOTO_ENDPOINT="$MOTO_ENDPOINT"
start_moto ses
export CONSENT_MOTO_SES_ENDPOINT="$MOTO_ENDPOINT"
wait_moto "$CONSENT_MOTO_ENDPOINT"
wait_moto "$CONSENT_MOTO_SES_ENDPOINT"
echo "== moto $MOTO_VERSION: DynamoDB on $CONSENT_MOTO_ENDPOINT, SES on $CONSENT_MOTO_SES_ENDPOINT"

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cfn-lint template.yaml"
"$cfn_lint/bin/cfn-lint" template.yaml
echo "== cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings
echo "== cargo lambda build --release --arm64 (every function)"
# One build per function: features are not unified across functions, so each
# links only the SDK crates it uses.
for dir in functions/*/; do
  name=$(basename "$dir")
  [ "$name" = local ] && continue
  PATH="$cargo_lambda/bin:$PATH" cargo lambda build --release --arm64 --locked -p "$name"
done
for dir in functions/*/; do
  name=$(basename "$dir")
  [ "$name" = local ] || [ -s "target/lambda/$name/bootstrap" ] || { echo "tests/run.sh: no bootstrap for $name" >&2; exit 1; }
done
echo "== cargo test"
set +e
cargo test --workspace --locked "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
# One closing line for the whole run: the sum of every test binary's result.
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($i ~ /^passed/) p += $(i-1); if ($i ~ /^failed/) f += $(i-1) } }
     END { printf "%d passed, %d failed\n", p, f }' "$log"
exit "$status"
