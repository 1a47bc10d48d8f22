//! Compact JWS parsing and the registered-claim checks, on arbitrary bytes (signatures are not
//! verified here; the `verify` target does that).
#![no_main]

use libfuzzer_sys::fuzz_target;
use tollgate::fuzzing::parse_token;

/// A fixed "now" (2023-11-14) so runs are reproducible.
const NOW: u64 = 1_700_000_000;

fuzz_target!(|data: &[u8]| {
    let Ok(token) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(expires_at) = parse_token(token, NOW) {
        // An accepted token is unexpired (with the 60 s leeway).
        assert!(expires_at + 60 > NOW);
    }
});
