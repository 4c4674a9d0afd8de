"""Checks that `sam build` made an arm64 bootstrap for every function of a
template, built without aws-lc's CPU-jitter entropy source (which makes the
first TLS handshake of a cold start wait about 60 ms; .cargo/config.toml
leaves it out). Usage: check_build.py TEMPLATE BUILD_DIR"""

import struct
import sys

from samtranslator.yaml_helper import yaml_parse

AARCH64 = 183  # ELF e_machine
# A message of aws-lc's entropy code that only builds with jitter entropy have.
JITTER_ENTROPY_MARK = b"opportunistic entropy fill failed"


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
        if JITTER_ENTROPY_MARK in binary:
            problems.append(
                f"{name}: {path} has aws-lc's jitter entropy (is AWS_LC_SYS_NO_JITTER_ENTROPY "
                "of .cargo/config.toml lost?)"
            )
    if problems:
        sys.exit("sam build did not build every function:\n" + "\n".join(problems))
    print(f"sam build: an arm64 bootstrap without jitter entropy for each of the {len(functions)} functions")


if __name__ == "__main__":
    main()
