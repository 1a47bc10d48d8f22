//! JWKS parsing on arbitrary bytes: never a panic. The body is `tollgate::fuzzing::jwks`, so
//! that `tests/integration/fuzz_corpus.rs` replays this target's seed corpus through the same
//! function on stable Rust.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = tollgate::fuzzing::jwks(data);
});
