# Sourced by tests/run.sh and bench/run.sh from the repository root: the
# pinned tools, installed into .tools/ on first use, and the services they start.
# shellcheck shell=bash

MOTO_VERSION=5.2.5
# The deploy tools: SAM CLI with the translator and cfn-lint pinned beside it
# (cfn-lint no longer brings the translator itself), and checkov.
SAM_CLI_VERSION=1.170.0
SAM_TRANSLATOR_VERSION=1.115.0
CFN_LINT_VERSION=1.58.0
CHECKOV_VERSION=3.3.30
CARGO_LAMBDA_VERSION=1.9.2
SCHEMATHESIS_VERSION=4.32.5
AXE_CORE_VERSION=4.14.1
# A third-party OpenID Connect provider the reviewers' sign-in is tested against.
OIDC_PROVIDER_MOCK_VERSION=0.4.8
# A third-party JOSE implementation the signed consent records are checked with.
JWCRYPTO_VERSION=1.5.6
TOOLS=${CONSENT_TOOLS_DIR:-$PWD/.tools}

need() {
  command -v "$1" >/dev/null 2>&1 || { echo "$(basename "$0"): '$1' is missing. $2" >&2; exit 1; }
}

# Each Python tool, pinned, in a virtual environment of its own, made with
# $venv_python (python3 unless set).
python_tool() { # dir command requirement…
  local dir=$1 command=$2
  shift 2
  if [ ! -x "$dir/bin/$command" ]; then
    echo "== installing $* into $dir"
    rm -rf "$dir"
    "${venv_python:-python3}" -m venv "$dir" || { echo "$(basename "$0"): python3 cannot make a virtual environment; install its venv module (Debian: apt-get install python3-venv)" >&2; exit 1; }
    "$dir/bin/pip" install --quiet --disable-pip-version-check "$@" || { rm -rf "$dir"; echo "$(basename "$0"): pip could not install $*" >&2; exit 1; }
  fi
}

# Debian packages, installed when their commands are missing (as root).
debian_packages() { # why package… -- command…
  local why=$1 packages=() missing=0
  shift
  while [ "$1" != -- ]; do packages+=("$1"); shift; done
  shift
  for command in "$@"; do command -v "$command" >/dev/null 2>&1 || missing=1; done
  [ "$missing" = 0 ] && return
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "== installing ${packages[*]} (Debian): $why"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${packages[@]}" >/dev/null
  else
    echo "$(basename "$0"): $* missing: $why. Install Debian's ${packages[*]} (sudo apt-get install ${packages[*]})" >&2
    exit 1
  fi
}

moto_tool() { # sets venv
  venv="$TOOLS/moto-$MOTO_VERSION"
  python_tool "$venv" moto_server "moto[server]==$MOTO_VERSION"
}

jwcrypto_tool() { # sets jwcrypto
  jwcrypto="$TOOLS/jwcrypto-$JWCRYPTO_VERSION"
  # A library without a command: its marker is the module importing.
  "$jwcrypto/bin/python" -c 'import jwcrypto' 2>/dev/null || rm -rf "$jwcrypto"
  python_tool "$jwcrypto" python "jwcrypto==$JWCRYPTO_VERSION"
}

cargo_lambda_tool() { # sets cargo_lambda
  cargo_lambda="$TOOLS/cargo-lambda-$CARGO_LAMBDA_VERSION"
  python_tool "$cargo_lambda" cargo-lambda "cargo-lambda==$CARGO_LAMBDA_VERSION"
}

# A CPython 3.13 where the machine has one (pyenv's included), else python3.
python313() { # sets python
  local candidate
  python=python3
  for candidate in python3.13 "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.13*/bin/python3; do
    if "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 13))' 2>/dev/null; then
      python=$candidate
      break
    fi
  done
}

# schemathesis on CPython 3.11 now and then dies inside Hypothesis with
# "SystemError: AST constructor recursion depth mismatch" (a CPython bug, not
# a finding); on 3.13 it does not.
schemathesis_tool() { # sets schemathesis
  python313
  schemathesis="$TOOLS/schemathesis-$SCHEMATHESIS_VERSION-py$("$python" -c 'import sys; print("%d%d" % sys.version_info[:2])')"
  venv_python=$python python_tool "$schemathesis" schemathesis "schemathesis==$SCHEMATHESIS_VERSION"
}

# oidc-provider-mock needs CPython 3.12 or newer.
oidc_provider_tool() { # sets oidc_provider
  python313
  "$python" -c 'import sys; sys.exit(sys.version_info < (3, 12))' || {
    echo "$(basename "$0"): oidc-provider-mock (the OpenID Connect provider the sign-in is tested against) needs CPython 3.12 or newer; $python is older. Install one (pyenv install 3.13, or Debian's python3.13) and run this again." >&2
    exit 1
  }
  oidc_provider="$TOOLS/oidc-provider-mock-$OIDC_PROVIDER_MOCK_VERSION"
  venv_python=$python python_tool "$oidc_provider" oidc-provider-mock "oidc-provider-mock==$OIDC_PROVIDER_MOCK_VERSION"
}

sam_tool() { # sets sam
  sam="$TOOLS/sam-$SAM_CLI_VERSION-translator-$SAM_TRANSLATOR_VERSION-cfn-lint-$CFN_LINT_VERSION"
  python_tool "$sam" sam "aws-sam-cli==$SAM_CLI_VERSION" \
    "aws-sam-translator==$SAM_TRANSLATOR_VERSION" "cfn-lint==$CFN_LINT_VERSION"
  export SAM_CLI_TELEMETRY=0
}

# axe-core, the accessibility engine the page tests run in the browser.
axe_core_tool() { # sets axe_core (its axe.min.js)
  local dir="$TOOLS/axe-core-$AXE_CORE_VERSION"
  axe_core="$dir/node_modules/axe-core/axe.min.js"
  if [ ! -f "$axe_core" ]; then
    echo "== installing axe-core@$AXE_CORE_VERSION into $dir"
    rm -rf "$dir"
    npm install --prefix "$dir" --no-audit --no-fund --silent "axe-core@$AXE_CORE_VERSION" || { rm -rf "$dir"; echo "$(basename "$0"): npm could not install axe-core@$AXE_CORE_VERSION" >&2; exit 1; }
  fi
}

checkov_tool() { # sets checkov
  checkov="$TOOLS/checkov-$CHECKOV_VERSION"
  python_tool "$checkov" checkov "checkov==$CHECKOV_VERSION"
}

# Services started in the background, stopped by stop_services (set a trap).
service_pids=()
stop_services() {
  for pid in "${service_pids[@]}"; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
}

free_port() {
  "$venv/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
start_moto() { # name; sets MOTO_ENDPOINT
  local port
  port=$(free_port)
  "$venv/bin/python" tests/moto_serial.py 127.0.0.1 "$port" >"$TOOLS/moto-$1.log" 2>&1 &
  service_pids+=($!)
  MOTO_ENDPOINT="http://127.0.0.1:$port"
}
wait_url() {
  "$venv/bin/python" - "$1" <<'PY'
import sys, time, urllib.request
for _ in range(100):
    try:
        urllib.request.urlopen(sys.argv[1], timeout=1)
        sys.exit(0)
    except Exception:
        time.sleep(0.1)
sys.exit("nothing answers on " + sys.argv[1] + "; see the logs in .tools/")
PY
}
