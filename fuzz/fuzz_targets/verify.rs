//! The whole verify path of a real `JwtProvider` over the vector JWKS, on arbitrary bytes. The
//! body is `tollgate::fuzzing::verify`, so that `tests/integration/fuzz_corpus.rs` replays this
//! target's seed corpus through the same function on stable Rust.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = tollgate::fuzzing::verify(data);
});
