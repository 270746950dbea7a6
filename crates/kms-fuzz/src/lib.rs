//! The body of every cargo-fuzz target, shared by the fuzz binaries in
//! `fuzz/` (nightly or `cargo fuzz run -s none`) and by the stable
//! corpus-replay test in `tests/replay.rs`.
//!
//! Each target is a plain `fn(&[u8])` that must never panic: it feeds the
//! bytes to a parser or validator and, where a round trip is defined, checks
//! it with `assert!` (a broken invariant is a crash, which is what a fuzzer
//! should find).
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod cert;
pub mod crypto;
pub mod model;
pub mod server;
pub mod store;
mod target;

pub use target::FuzzFn;

/// Every target, by its cargo-fuzz binary name.
pub fn targets() -> impl Iterator<Item = (&'static str, FuzzFn)> {
    model::TARGETS
        .iter()
        .chain(crypto::TARGETS)
        .chain(cert::TARGETS)
        .chain(server::TARGETS)
        .chain(store::TARGETS)
        .copied()
}
