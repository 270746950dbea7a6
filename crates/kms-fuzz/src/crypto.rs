//! Fuzz targets of kms-crypto (filled in by the kms-crypto issue).

/// `(binary name, body)` for each kms-crypto target.
pub const TARGETS: &[(&str, crate::FuzzFn)] = &[];
