//! Fuzz targets of kms-model.

/// `(binary name, body)` for each kms-model target.
pub const TARGETS: &[(&str, crate::FuzzFn)] = &[];
