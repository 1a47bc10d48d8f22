//! JWKS parsing on arbitrary bytes: never a panic, whatever the document holds.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tollgate::fuzzing::parse_jwks;

fuzz_target!(|data: &[u8]| {
    let _ = parse_jwks(data);
});
