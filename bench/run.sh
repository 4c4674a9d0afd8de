#!/usr/bin/env bash
# The benchmark command. Builds every function (native, for timing; arm64
# zips, for size), the hello-world lambda_runtime baselines (hello-lambda;
# hello-http and hello-tls, which make one HTTP or HTTPS request during
# init) and a bare hyper server with the same release profile, starts moto,
# and prints the tables of bench/README.md. The report is also written to
# target/bench/report.md. The CPU-share mode sets a cgroup CPU quota, which
# needs root (without it, the run says so and leaves those columns empty).
# Four functions are also built two other ways and timed beside the
# deployed build ("Builds compared"): statically linked against musl with
# packed relative relocations (zig, from cargo-lambda's package, compiles
# the C code; rust-lld links), and with the SDK's default provider chains
# linked in, as they were before. CONSENT_BENCH_BUILDS=label=DIR,… adds
# builds of your own (DIR holds NAME and NAME.zip).
# Usage: bench/run.sh    (CONSENT_BENCH_RUNS, CONSENT_BENCH_WRK_SECONDS tune it)
set -euo pipefail
cd "$(dirname "$0")/.."

. tests/tools.sh
need cargo "Install Rust with rustup (https://rustup.rs), then run this again."
need rustup "The builds compared need the musl targets, which rustup installs: install Rust with rustup (https://rustup.rs)."
need python3 "Install Python 3 (with the venv module): moto, which stands in for AWS, is a Python program."
moto_tool
cargo_lambda_tool
debian_packages "the throughput figures are measured with wrk" wrk -- wrk
trap stop_services EXIT

# A Lambda zip as cargo lambda makes it: the binary as `bootstrap`, executable.
zip_bootstrap() { # binary zip
  python3 - "$1" "$2" <<'PY'
import sys, zipfile
binary, out = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
    info = zipfile.ZipInfo("bootstrap")
    info.external_attr = 0o100755 << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    with open(binary, "rb") as f:
        z.writestr(info, f.read())
PY
}

functions=()
for dir in functions/*/; do
  name=$(basename "$dir")
  [ "$name" = local ] || functions+=("$name")
done

compared=(access-check event-publisher review-decision create-request)
compared_packages=()
for name in "${compared[@]}"; do compared_packages+=(-p "$name"); done
builds=target/bench/builds
rm -rf "$builds"
mkdir -p "$builds/musl-relr" "$builds/with-chains"

echo "== building ${compared[*]} statically against musl, with packed relative relocations (x86_64 and arm64)"
rustup target add x86_64-unknown-linux-musl aarch64-unknown-linux-musl >/dev/null
lld="$(rustc --print sysroot)/lib/rustlib/$(rustc -vV | sed -n 's/^host: //p')/bin/rust-lld"
musl_flags="-C linker-flavor=ld.lld -C link-arg=-zpack-relative-relocs"
ZIG="$cargo_lambda/bin/python-zig" \
  CC_x86_64_unknown_linux_musl="$PWD/bench/zig-cc" CC_aarch64_unknown_linux_musl="$PWD/bench/zig-cc" \
  CARGO_TARGET_X86_64_UNKNOWN_LINUX_MUSL_LINKER="$lld" CARGO_TARGET_AARCH64_UNKNOWN_LINUX_MUSL_LINKER="$lld" \
  CARGO_TARGET_X86_64_UNKNOWN_LINUX_MUSL_RUSTFLAGS="$musl_flags" \
  CARGO_TARGET_AARCH64_UNKNOWN_LINUX_MUSL_RUSTFLAGS="$musl_flags" \
  cargo build --release --locked --quiet --target x86_64-unknown-linux-musl \
  --target aarch64-unknown-linux-musl "${compared_packages[@]}"
for name in "${compared[@]}"; do
  cp "target/x86_64-unknown-linux-musl/release/$name" "$builds/musl-relr/$name"
  zip_bootstrap "target/aarch64-unknown-linux-musl/release/$name" "$builds/musl-relr/$name.zip"
done

echo "== building ${compared[*]} with the default provider chains linked (x86_64 and arm64)"
cargo build --release --locked --quiet --features consent-aws/default-chain "${compared_packages[@]}"
PATH="$cargo_lambda/bin:$PATH" cargo lambda build --release --arm64 --locked --quiet \
  --features consent-aws/default-chain --lambda-dir "$builds/with-chains-lambda" \
  --output-format Zip "${compared_packages[@]}" >/dev/null
for name in "${compared[@]}"; do
  cp "target/release/$name" "$builds/with-chains/$name"
  cp "$builds/with-chains-lambda/$name/bootstrap.zip" "$builds/with-chains/$name.zip"
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
CONSENT_BENCH_BUILDS="musl-relr=$builds/musl-relr,with-chains=$builds/with-chains${CONSENT_BENCH_BUILDS:+,$CONSENT_BENCH_BUILDS}" \
  target/release/consent-bench | tee target/bench/report.md
