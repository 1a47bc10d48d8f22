#!/usr/bin/env bash
# Runs each cargo-fuzz target (fuzz/fuzz_targets/) for a short time on the nightly toolchain.
#
#   scripts/fuzz.sh                          # every target, 60 s each
#   FUZZ_SECONDS=600 scripts/fuzz.sh verify  # one target, longer
#
# Targets: credential (credential extraction), token (JWS parsing and claim checks), jwks (JWKS
# parsing), verify (the whole verify path of a real JwtProvider). Each target's body is a function
# in src/fuzzing.rs; tests/integration/fuzz_corpus.rs replays the seed corpora through them on
# stable Rust in every test run, so a broken target fails CI without nightly.
#
# On first use this installs a pinned cargo-fuzz into .tools/ (git-ignored). Each run starts from
# the committed seeds in fuzz/corpus/<target>/ (written by `cargo run --example gen_vectors`) and
# keeps what it discovers in fuzz/work/<target>/ (git-ignored), so the repository's corpus stays
# small. A crash or timeout is saved under fuzz/artifacts/<target>/ and the script fails: make
# the input a named vector in tests/vectors/gen_vectors.rs, fix the bug, regenerate.
set -euo pipefail
cd "$(dirname "$0")/.."

CARGO_FUZZ_VERSION=0.13.2
seconds=${FUZZ_SECONDS:-60}
if [ "$(.tools/bin/cargo-fuzz --version 2>/dev/null)" != "cargo-fuzz $CARGO_FUZZ_VERSION" ]; then
    cargo install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked --root .tools
fi
export PATH="$PWD/.tools/bin:$PATH"

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    targets=(credential token jwks verify)
fi

for target in "${targets[@]}"; do
    mkdir -p "fuzz/work/$target"
    log="fuzz/work/$target.log"
    echo "== $target: ${seconds}s (build and libFuzzer output in $log)"
    status=0
    cargo +nightly fuzz run "$target" "fuzz/work/$target" "fuzz/corpus/$target" -- \
        -max_total_time="$seconds" -print_final_stats=1 >"$log" 2>&1 || status=$?
    grep -E '^(Done|stat::number_of_executed_units|stat::average_exec_per_sec|stat::peak_rss_mb)' "$log" || true
    if [ "$status" -ne 0 ]; then
        tail -n 40 "$log" >&2
        echo "fuzz target $target failed (status $status): see $log and fuzz/artifacts/$target/" >&2
        exit 1
    fi
done
