#!/usr/bin/env bash
# Makes the fixed test keys of the token vectors. Run once; the keys are committed, and
# regenerating them invalidates every signature in tokens.json (run the generator afterwards:
# `cargo run --example gen_vectors`). These keys are public test data: never trust them.
set -euo pipefail
cd "$(dirname "$0")"

openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out rsa-2048.pem
# Under the 2048-bit minimum. PKCS#1, because aws-lc-rs refuses to load it and the generator
# signs with jsonwebtoken's RustCrypto backend instead.
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 | openssl rsa -traditional -out rsa-1024.pem
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out p256.pem
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out p384.pem
openssl genpkey -algorithm ED25519 -out ed25519.pem
# The attacker's own keys: never in the served JWKS.
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out attacker-rsa-2048.pem
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out attacker-p256.pem
# The secret of the `oct` keys published in the JWKS (tollgate must ignore them).
openssl rand 32 | basenc --base64url | tr -d '=\n' > oct.b64u
