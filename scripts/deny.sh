#!/usr/bin/env bash
# Supply-chain checks with cargo-deny, policy in deny.toml: licenses, bans (including duplicate
# versions) and sources. Run by .ci/run.
#
# On first use this installs a pinned cargo-deny into .tools/ (git-ignored): that needs crates.io
# once and takes a few minutes to build. The checks themselves run offline, after `cargo fetch`
# has downloaded the locked crates of every platform.
#
# Not run here: `cargo deny check advisories`, which downloads the RustSec advisory database from
# GitHub. Run it where the network allows, e.g. in your own CI:
#     .tools/bin/cargo-deny check advisories
set -euo pipefail
cd "$(dirname "$0")/.."

CARGO_DENY_VERSION=0.20.2
bin=.tools/bin/cargo-deny
if [ "$("$bin" --version 2>/dev/null)" != "cargo-deny $CARGO_DENY_VERSION" ]; then
    cargo install cargo-deny --version "$CARGO_DENY_VERSION" --locked --root .tools
fi
# The checks read every locked crate's manifest, including crates for platforms no build here
# downloads (windows-sys, …): fetch them all first, so a new machine needs no earlier run.
cargo fetch --locked
"$bin" --offline check licenses bans sources
