"""Encrypts and decrypts compact JWEs with joserfc, for the JWE interop tests.

Reads one JSON document from stdin and prints one JSON array on stdout:

    {"mode": "encrypt", "cases": [{"jwk": PUBLIC_JWK, "alg": A, "enc": E, "plaintext": TEXT}]}
        -> [{"jwe": COMPACT} | {"error": MESSAGE}, ...]
    {"mode": "decrypt", "cases": [{"jwk": PRIVATE_JWK, "alg": A, "enc": E, "jwe": COMPACT}]}
        -> [{"plaintext": TEXT} | {"error": MESSAGE}, ...]

Every case is run; a case that fails is reported in its slot, so the caller sees all of them.
Exit 0 when the document was read, 2 on bad usage or a missing package.
"""

import json
import sys

try:
    import joserfc
    from joserfc import jwe
    from joserfc.jwk import JWKRegistry
except ImportError as err:
    sys.exit(f"missing Python package ({err}); run: pip install -r interop/python/requirements.txt")


def encrypt(case):
    key = JWKRegistry.import_key(case["jwk"])
    header = {"alg": case["alg"], "enc": case["enc"]}
    token = jwe.encrypt_compact(
        header, case["plaintext"].encode(), key, algorithms=[case["alg"], case["enc"]]
    )
    return {"jwe": token}


def decrypt(case):
    key = JWKRegistry.import_key(case["jwk"])
    result = jwe.decrypt_compact(case["jwe"], key, algorithms=[case["alg"], case["enc"]])
    return {"plaintext": result.plaintext.decode()}


def main():
    try:
        doc = json.load(sys.stdin)
        run = {"encrypt": encrypt, "decrypt": decrypt}[doc["mode"]]
        cases = doc["cases"]
    except (ValueError, KeyError, TypeError) as err:
        sys.exit(f"usage: a JSON document with mode and cases on stdin ({err})")
    results = []
    for case in cases:
        try:
            results.append(run(case))
        except Exception as err:  # every failure is reported in its case's slot
            results.append({"error": f"{type(err).__name__}: {err}"})
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()
