//! Credential extraction and the cross-site cookie rule on arbitrary requests. The body (and how
//! the input is read) is `tollgate::fuzzing::credential`, so that
//! `tests/integration/fuzz_corpus.rs` replays this target's seed corpus through the same
//! function on stable Rust.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = tollgate::fuzzing::credential(data);
});
