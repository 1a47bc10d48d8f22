//! The design manual: why tollgate behaves as it does.
//!
//! - [`security`]: the threat model. Every attack tollgate is built to stop, its defence and
//!   default, and the tests that prove it. (The same text is `SECURITY.md` in the repository.)

#[doc = include_str!("../../SECURITY.md")]
pub mod security {}
