"""Checks that `sam build` made an arm64 bootstrap for every function of a
template, and that the aws-lc it built was told to leave out its CPU-jitter
entropy source (which makes the first TLS handshake of a cold start wait
about 60 ms; .cargo/config.toml sets AWS_LC_SYS_NO_JITTER_ENTROPY).
Usage: check_build.py TEMPLATE BUILD_DIR"""

import glob
import os
import struct
import sys

from samtranslator.yaml_helper import yaml_parse

AARCH64 = 183  # ELF e_machine
# What aws-lc-sys's build script prints when it leaves jitter entropy out.
NO_JITTER_SEEN = "Environment Variable found 'AWS_LC_SYS_NO_JITTER_ENTROPY': '1'"


def jitter_problem():
    target = os.environ.get("CARGO_TARGET_DIR", "target")
    outputs = glob.glob(f"{target}/aarch64-unknown-linux-gnu/release/build/aws-lc-sys-*/output")
    if not outputs:
        return f"no aws-lc-sys build under {target}/aarch64-unknown-linux-gnu: cannot tell how aws-lc was built"
    newest = max(outputs, key=os.path.getmtime)
    with open(newest, encoding="utf-8", errors="replace") as f:
        if NO_JITTER_SEEN not in f.read():
            return f"{newest}: aws-lc was built with jitter entropy (is AWS_LC_SYS_NO_JITTER_ENTROPY of .cargo/config.toml lost?)"
    return None


def main():
    template_path, build_dir = sys.argv[1:3]
    with open(template_path, encoding="utf-8") as f:
        template = yaml_parse(f.read())
    functions = [n for n, r in template["Resources"].items() if r.get("Type") == "AWS::Serverless::Function"]
    problems = []
    for name in functions:
        path = f"{build_dir}/{name}/bootstrap"
        try:
            with open(path, "rb") as f:
                binary = f.read()
        except OSError as e:
            problems.append(f"{name}: no bootstrap ({e})")
            continue
        if binary[:4] != b"\x7fELF" or struct.unpack_from("<H", binary, 18)[0] != AARCH64:
            problems.append(f"{name}: {path} is not an arm64 executable")
    problem = jitter_problem()
    if problem:
        problems.append(problem)
    if problems:
        sys.exit("sam build did not make what a deploy needs:\n" + "\n".join(problems))
    print(f"sam build: an arm64 bootstrap for each of the {len(functions)} functions, aws-lc without jitter entropy")


if __name__ == "__main__":
    main()
