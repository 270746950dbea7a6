//! What a fuzz target is (its own module, so the target modules and the
//! crate root, which lists them, import it without a circle).

/// The signature every fuzz target body has.
pub type FuzzFn = fn(&[u8]);
