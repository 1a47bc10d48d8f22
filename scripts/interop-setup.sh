#!/usr/bin/env bash
# Installs the identity-provider software the interop tests run against, into git-ignored
# folders of this checkout (nothing is installed system-wide):
#   .interop/venv          moto (AWS Cognito user pools; IAM and STS behind tests/interop/sts_wrapper.py)
#                          with its server, and boto3
#   .interop/node_modules  oidc-provider (a certified OpenID Connect provider)
#   .interop/cargo-lambda  cargo-lambda's Lambda emulator (`cargo lambda watch`), from PyPI
#   .interop/postgres      which PostgreSQL server binaries the tests run: the machine's own, or
#                          Debian's postgresql-15 unpacked there (scripts/postgres-setup.sh)
# Needs python3 (with venv) and npm, and network access to PyPI, npm and (without a PostgreSQL
# server on the machine) Debian's archive. Safe to re-run: a finished install is kept (delete
# .interop/ to start over).
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .interop

if [ ! -x .interop/venv/bin/python ] || ! .interop/venv/bin/python -c 'import moto.server, moto.iam, moto.sts, boto3, flask_cors' 2>/dev/null; then
    echo "interop-setup: installing moto[cognitoidp,server] and boto3 into .interop/venv"
    python3 -m venv .interop/venv
    .interop/venv/bin/pip install --quiet --disable-pip-version-check \
        'moto[cognitoidp,server]>=5,<6' 'boto3>=1.34'
fi

if [ ! -f .interop/node_modules/oidc-provider/package.json ]; then
    echo "interop-setup: installing oidc-provider into .interop/node_modules"
    (cd .interop && npm install --silent --no-audit --no-fund --prefix . 'oidc-provider@^9')
fi
# Only the emulator is needed (`watch`), not the cross-linker `cargo lambda build` uses, so
# its one dependency (ziglang) is left out.
if [ ! -x .interop/cargo-lambda/bin/cargo-lambda ]; then
    echo "interop-setup: installing cargo-lambda into .interop/cargo-lambda"
    python3 -m venv .interop/cargo-lambda
    .interop/cargo-lambda/bin/pip install --quiet --disable-pip-version-check --no-deps \
        'cargo-lambda==1.9.2'
fi
bash scripts/postgres-setup.sh
echo "interop-setup: ready (.interop/venv, .interop/node_modules, .interop/cargo-lambda, .interop/postgres)"
