#!/usr/bin/env bash
# The whole test suite: installs the interop identity providers (moto, oidc-provider) and the
# Lambda emulator (cargo-lambda) into .interop/ if needed, then runs every test with them
# required, so an interop test can never be silently skipped here. Plain
# `cargo test --all-features` runs the same suite but skips (and says so) the interop tests when
# .interop/ is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/interop-setup.sh
TOLLGATE_INTEROP=require cargo test --all-features "$@"
