//! The wire layer: the SDK's request bodies in, the SDK's response bodies
//! and [`ApiError`]s out, over the typed operations of [`Kms`].
//!
//! Each method validates its body with kms-model (a body that breaks a
//! rule is audited and answered without reaching the core), calls the
//! typed operation, and renders its result as the service's response. A
//! host that serves Huawei's HTTP contract calls these; an embedder that
//! wants a Rust API calls [`Kms`]'s typed operations directly.

use kms_model::ApiError;

use crate::Kms;

mod certificates;
mod data;
mod datakeys;
mod keys;
mod keystores;
mod pins;
mod random;
mod rotation;
mod signing;
mod tags;

/// The wire face of a [`Kms`]: see the module documentation.
#[derive(Clone, Copy, Debug)]
pub struct Wire<'a> {
    kms: &'a Kms,
}

impl Kms {
    /// This service's wire face: the SDK's bodies in and out.
    #[must_use]
    pub fn wire(&self) -> Wire<'_> {
        Wire { kms: self }
    }
}

impl Wire<'_> {
    /// The service under this face.
    #[must_use]
    pub fn kms(&self) -> &Kms {
        self.kms
    }
}

/// Keeps `ApiError` named in this module for the families' imports.
#[allow(dead_code)]
type WireResult<T> = Result<T, ApiError>;
