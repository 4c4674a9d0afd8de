#!/usr/bin/env bash
# The whole test suite: formatting, lints, `sam validate --lint` and
# `sam build` (every function for arm64, as a user deploys it), then every
# test of the workspace with local moto servers standing in for DynamoDB and
# SES, headless Chromium, and the deploy tools (the SAM translator, cfn-lint,
# checkov), and schemathesis against consent-local's OpenAPI document.
# Work that waits on the network or on moto runs beside work that needs the
# CPU: the lints beside the tools' installation, schemathesis beside the tests.
# Usage: tests/run.sh [extra cargo test arguments]
set -euo pipefail
cd "$(dirname "$0")/.."

# Pinned tool versions, need(), python_tool(), free_port(), start_moto(), wait_url().
. tests/tools.sh
need cargo "Install Rust with rustup (https://rustup.rs), then run this again."
need python3 "Install Python 3 (3.9 or newer, with the venv module): moto, which stands in for DynamoDB and SES, is a Python program."
cargo fmt --version >/dev/null 2>&1 || { echo "tests/run.sh: rustfmt is missing: rustup component add rustfmt" >&2; exit 1; }
cargo clippy --version >/dev/null 2>&1 || { echo "tests/run.sh: clippy is missing: rustup component add clippy" >&2; exit 1; }

# A fresh clone builds each crate once: incremental caches would only take disk.
if [ "${CI:-}" = true ]; then export CARGO_INCREMENTAL=0; fi
mkdir -p "$TOOLS"
log=$(mktemp)
trap 'stop_services; rm -f "$log"' EXIT

echo "== disk: $(df -h --output=avail . | tail -1 | tr -d ' ') free"
echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy (beside the tools' installation; its output follows them)"
cargo clippy --workspace --all-targets --locked --color never -- -D warnings >"$TOOLS/clippy.log" 2>&1 &
clippy=$!
service_pids+=("$clippy")

moto_tool
sam_tool
checkov_tool
cargo_lambda_tool
schemathesis_tool
oidc_provider_tool
# For tests/tests/sign_in.rs, which starts the provider as it needs it.
export CONSENT_OIDC_PROVIDER_MOCK="$oidc_provider/bin/oidc-provider-mock"
jwcrypto_tool
# For tests/tests/records.rs: a third-party JOSE library checks the records.
export CONSENT_JOSE_PYTHON="$jwcrypto/bin/python"
# For tests/tests/deploy.rs.
export CONSENT_SAM_PYTHON="$sam/bin/python" CONSENT_CFN_LINT="$sam/bin/cfn-lint" CONSENT_CHECKOV="$checkov/bin/checkov"
# Debian's Chromium and its WebDriver, for the pages in a real browser, and
# npm for axe-core, which checks each page's accessibility there.
debian_packages "the pages are tested in a real browser" chromium chromium-driver -- chromium chromedriver
debian_packages "axe-core, which checks the pages' accessibility, is installed with npm" npm -- npm
axe_core_tool
export CONSENT_AXE_CORE="$axe_core"

if wait "$clippy"; then
  grep -v '^\s*\(Checking\|Compiling\|Fresh\)' "$TOOLS/clippy.log" || true
else
  cat "$TOOLS/clippy.log"
  echo "cargo clippy: FAILED" >&2
  exit 1
fi
# Each crate with features as it is built alone: a Lambda function's crate
# with only its own (as a build of that one function compiles it), the AWS
# adapters and the runtime with none. Functions whose runtime features are
# the same are checked together: cargo resolves them alike. A feature a
# crate forgot shows only here.
echo "== cargo clippy, each function crate with only its own features, the shared crates without"
declare -A by_features=()
for manifest in functions/*/Cargo.toml; do
  [ "$manifest" = functions/local/Cargo.toml ] && continue
  package=$(sed -n 's/^name = "\(.*\)"$/\1/p' "$manifest" | head -1)
  features=$(sed -n 's/^consent-runtime = .*features = \(\[.*\]\).*/\1/p' "$manifest")
  by_features[$features]+=" -p $package"
done
for packages in "${by_features[@]}" "-p consent-aws" "-p consent-runtime"; do
  # shellcheck disable=SC2086 # the -p flags split as words
  cargo clippy $packages --all-targets --locked --quiet -- -D warnings
done

echo "== sam validate --lint"
"$sam/bin/sam" validate --lint --region eu-west-1
# As infra/README.md has users build: functions/Makefile builds all sixteen
# bootstraps in one cargo invocation (cargo-lambda, arm64, release).
echo "== sam build (every function, arm64)"
rm -rf .aws-sam/build
PATH="$cargo_lambda/bin:$PATH" "$sam/bin/sam" build
"$sam/bin/python" tests/deploy/check_build.py template.yaml .aws-sam/build
# CI keeps the checked bootstraps but not the arm64 build behind them (GBs).
if [ "${CI:-}" = true ]; then rm -rf target/aarch64-unknown-linux-gnu target/lambda; fi
echo "== disk: $(df -h --output=avail . | tail -1 | tr -d ' ') free before cargo test"
echo "== cargo test --no-run"
cargo test --workspace --locked --no-run "$@"

# The services the tests talk to, stopped again on any exit: two moto servers
# (one request at a time, see tests/moto_serial.py), one for DynamoDB and one
# for SES (reading back SES's messages dumps the whole server, so DynamoDB's
# tables stay out of it), and chromedriver.
start_moto dynamodb
export CONSENT_MOTO_ENDPOINT="$MOTO_ENDPOINT"
start_moto ses
export CONSENT_MOTO_SES_ENDPOINT="$MOTO_ENDPOINT"
wait_url "$CONSENT_MOTO_ENDPOINT/moto-api/"
wait_url "$CONSENT_MOTO_SES_ENDPOINT/moto-api/"
echo "== moto $MOTO_VERSION: DynamoDB on $CONSENT_MOTO_ENDPOINT, SES on $CONSENT_MOTO_SES_ENDPOINT"
driver_port=$(free_port)
chromedriver --port="$driver_port" >"$TOOLS/chromedriver.log" 2>&1 &
service_pids+=($!)
export CONSENT_CHROMEDRIVER="http://127.0.0.1:$driver_port"
wait_url "$CONSENT_CHROMEDRIVER/status"
echo "== chromedriver on $CONSENT_CHROMEDRIVER ($(chromium --version 2>/dev/null))"

# Schemathesis against the OpenAPI document consent-local serves (on its
# embedded store: no moto), every operation, with a valid admin token and
# with none, beside the tests, which mostly wait on moto. Its results count
# in the closing line as one test per run.
cargo build --locked -p consent-local --quiet
st_port=$(free_port)
st_outbox=$(mktemp -d)
target/debug/consent-local --port "$st_port" --outbox "$st_outbox" --events "$st_outbox/events.ndjson" --record-key "$st_outbox/record-key.json" >"$TOOLS/consent-local-schemathesis.log" 2>&1 &
service_pids+=($!)
wait_url "http://127.0.0.1:$st_port/health"
admin_token=$(target/debug/consent-local token --tenant partner-fabrikam --user st-admin --email st-admin@fabrikam.example --admin)
schemathesis_run() { # name, then extra schemathesis arguments
  local name=$1
  shift
  if (cd tests/schemathesis && "$schemathesis/bin/schemathesis" run "http://127.0.0.1:$st_port/openapi.json" \
        --checks all --max-examples "${CONSENT_SCHEMATHESIS_EXAMPLES:-100}" --workers 2 --no-color "$@"); then
    echo "test result: ok. 1 passed; 0 failed (schemathesis, $name)"
  else
    echo "test result: FAILED. 0 passed; 1 failed (schemathesis, $name)"
  fi
}
echo "== schemathesis $SCHEMATHESIS_VERSION against consent-local (beside cargo test; its output follows the tests')"
(
  schemathesis_run "with an admin token" --header "Authorization: Bearer $admin_token"
  schemathesis_run "without a token"
) >"$TOOLS/schemathesis.log" 2>&1 &
schemathesis=$!
service_pids+=("$schemathesis")

echo "== cargo test"
set +e
cargo test --workspace --locked "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
wait "$schemathesis"
set -e
echo "== schemathesis $SCHEMATHESIS_VERSION: the output of both runs"
cat "$TOOLS/schemathesis.log"
grep '^test result:' "$TOOLS/schemathesis.log" >>"$log"
if grep -q '^test result: FAILED' "$TOOLS/schemathesis.log"; then
  echo "schemathesis: FAILED" >&2
  status=1
fi
rm -rf "$st_outbox"

# One closing line for the whole run: the sum of every test binary's result.
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($i ~ /^passed/) p += $(i-1); if ($i ~ /^failed/) f += $(i-1) } }
     END { printf "%d passed, %d failed\n", p, f }' "$log"
exit "$status"
