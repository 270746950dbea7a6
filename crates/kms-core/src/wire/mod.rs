//! The wire layer: the SDK's request bodies in, the SDK's response bodies
//! and [`ApiError`]s out, over the typed operations of [`Kms`].
//!
//! Each method validates its body with kms-model (a body that breaks a
//! rule is audited and answered without reaching the core), calls the
//! typed operation, and renders its result as the service's response. A
//! host that serves Huawei's HTTP contract calls these; an embedder that
//! wants a Rust API calls [`Kms`]'s typed operations directly.

use kms_model::{AliasName, ApiError, KeyAddressed, Operation, Service, WireRequest};

use crate::ports::Caller;

use crate::Kms;

/// A route's path key id, then its body, validated in that order (the
/// order the rules are checked in); the body's rules may read the parsed
/// path id (replicate-key's body `key_id` must be the path's).
pub(super) fn path_and_body<R>(
    key_id: &str,
    body: impl FnOnce(&kms_model::KeyId) -> kms_model::Result<R>,
) -> Result<(kms_model::KeyId, R), ApiError> {
    let id = kms_model::KeyId::parse(key_id).map_err(|e| e.to_kms())?;
    let parsed = body(&id).map_err(|e| e.to_kms())?;
    Ok((id, parsed))
}

mod aliases;
mod certificates;
mod data;
mod datakeys;
mod grants;
mod import;
mod keys;
mod keystores;
mod mac;
mod pairs;
mod pins;
mod quotas;
mod random;
mod regions;
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

impl Wire<'_> {
    /// `body` validated as `R` ([`WireRequest::from_body`]), a broken rule
    /// answered in `action`'s error shape (KMS or APIG) and audited as
    /// [`Wire::admit`] does.
    fn request<R: WireRequest>(
        &self,
        caller: &Caller,
        action: Operation,
        resource: Option<&str>,
        sequence: Option<&str>,
        body: &R::Body,
    ) -> Result<R, ApiError> {
        let parsed = R::from_body(body).map_err(|e| match action.service() {
            Service::Kms => e.to_kms(),
            Service::Apig => e.to_apig(),
        });
        self.admit(caller, action, resource, sequence, parsed)
    }

    /// [`Wire::request`] for an operation whose key id may name the key
    /// by one of its aliases (`alias/...`): each such value is resolved to
    /// the key id it names ([`Kms::resolve_alias`], the one place an alias
    /// becomes a key id) before the body is validated, so the operation,
    /// its audit line and its answer see the key id. An alias that is
    /// malformed (KMS.0205) or names nothing in the project (KMS.0207) is
    /// audited and answered here. A body without an alias is not copied.
    fn keyed_request<R: WireRequest>(
        &self,
        caller: &Caller,
        action: Operation,
        resource: Option<&str>,
        sequence: Option<&str>,
        body: &R::Body,
    ) -> Result<R, ApiError>
    where
        R::Body: KeyAddressed,
    {
        if !body
            .key_id_values()
            .into_iter()
            .flatten()
            .any(AliasName::is_alias_form)
        {
            return self.request::<R>(caller, action, resource, sequence, body);
        }
        let mut resolved = body.clone();
        for field in resolved.key_id_fields() {
            if !AliasName::is_alias_form(field) {
                continue;
            }
            let id = AliasName::parse_field("key_id", field)
                .map_err(|e| e.to_kms())
                .and_then(|name| Ok(self.kms.resolve_alias(caller, &name)?));
            let id = self.admit(caller, action, resource, sequence, id)?;
            *field = id.as_str().to_owned();
        }
        self.request::<R>(caller, action, resource, sequence, &resolved)
    }

    /// The validated request, or the rule it broke, audited as a failed
    /// `action` on `resource` (the body's own text) and answered: a
    /// request refused at the door is audited like any other.
    fn admit<R>(
        &self,
        caller: &Caller,
        action: Operation,
        resource: Option<&str>,
        sequence: Option<&str>,
        parsed: Result<R, ApiError>,
    ) -> Result<R, ApiError> {
        parsed.inspect_err(|e| {
            self.kms
                .record_audit(caller, action, resource, sequence, Some(e.code()));
        })
    }
}
