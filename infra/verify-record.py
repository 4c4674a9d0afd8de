#!/usr/bin/env python3
"""Checks a downloaded consent record with a general JOSE library (jwcrypto)
and nothing of this service's code: every record's ES256 signature against
the published key set, the sequence, the chain of `prev` hashes (base64url
SHA-256 of the previous record's compact serialization), and the signed
head, which names the last record at the time of download.

    pip install jwcrypto
    curl -o keys.json https://<service>/.well-known/consent-record-keys.json
    python3 verify-record.py consent-record-<id>.json keys.json

Prints each record and exits 0 when the record is intact; else prints each
problem and where it is, and exits 1.
"""

import base64
import hashlib
import json
import sys

from jwcrypto import jwk, jws


def b64_sha256(text):
    digest = hashlib.sha256(text.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def opened(token, keys):
    """The payload of `token` if a key of `keys` signed it with ES256."""
    signed = jws.JWS()
    signed.deserialize(token)
    kid = signed.jose_header.get("kid")
    key = keys.get_key(kid)
    if key is None:
        raise ValueError(f"signed with key {kid!r}, which the key set does not hold")
    signed.verify(key, alg="ES256")
    return json.loads(signed.payload)


def check(record, key_set):
    keys = jwk.JWKSet.from_json(json.dumps(key_set))
    problems, previous, seq = [], None, 0
    for n, token in enumerate(record["records"], 1):
        try:
            payload = opened(token, keys)
        except Exception as e:  # any failure to open is a finding, not a crash
            problems.append(f"record {n}: {e or 'its signature does not verify'}")
            previous = None
            continue
        print(f"{payload['seq']:>3}. {payload['at']} {payload['kind']}; status {payload['status']}")
        if payload["seq"] != seq + 1:
            problems.append(f"record {n}: numbered {payload['seq']}, where {seq + 1} follows")
        want = b64_sha256(previous) if previous else None
        if payload.get("prev") != want:
            problems.append(f"record {n}: does not name the hash of the record before it")
        seq, previous = payload["seq"], token
    try:
        head = opened(record["head"], keys)
    except Exception as e:
        problems.append(f"the head: {e or 'its signature does not verify'}")
    else:
        if head["seq"] > seq:
            problems.append(f"the head names record {head['seq']} as the last; the file ends at {seq}: cut short")
        elif previous is None or head["hash"] != b64_sha256(previous):
            problems.append("the head names another last record than the file's")
    return problems


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: verify-record.py RECORD.json KEYS.json")
    with open(sys.argv[1]) as f:
        record = json.load(f)
    with open(sys.argv[2]) as f:
        key_set = json.load(f)
    problems = check(record, key_set)
    for problem in problems:
        print(f"PROBLEM: {problem}")
    if problems:
        sys.exit(1)
    print(f"Intact: {len(record['records'])} records, complete up to the signed head.")


if __name__ == "__main__":
    main()
