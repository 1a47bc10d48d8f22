//! Compact JWS parsing and the registered-claim checks on arbitrary bytes. The body is
//! `tollgate::fuzzing::token`, so that `tests/integration/fuzz_corpus.rs` replays this target's
//! seed corpus through the same function on stable Rust.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = tollgate::fuzzing::token(data);
});
