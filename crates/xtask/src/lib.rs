//! Checks of the workspace's shape, run by `cargo test --workspace`
//! (`tests/layout.rs`): no circle of imports between the modules of a
//! crate, and no two public types of the workspace with one name. The
//! binary `api-check` (run by `.ci/run`) checks that the library faces
//! expose no third-party type except the documented ones.
#![forbid(unsafe_code)]

pub mod api;
pub mod layout;
pub mod lexer;
