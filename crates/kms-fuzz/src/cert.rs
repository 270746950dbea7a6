//! Fuzz targets of cert-parse (filled in by the cert-parse issue).

/// `(binary name, body)` for each cert-parse target.
pub const TARGETS: &[(&str, crate::FuzzFn)] = &[];
