#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod aliases;
mod cert_json;
pub mod codes;
pub mod dialect;
pub mod driver;
pub mod grants;
pub mod groups;
pub mod imports;
pub mod ops;
pub mod records;
pub mod schema;
pub mod value;

pub use dialect::{Dialect, Queries};
pub use driver::{Access, Answer, Conn, Driver, Fail, Statement, Work};
pub use value::{Constraint, DbError, DriverFailure, Row, Value, Violation, describe};

/// What [`impl_store_ports!`] names; not an API.
#[doc(hidden)]
pub mod __private {
    pub use kms_core::ports;
    pub use kms_crypto::{PinVerifier, WrappedMasterKey};
}

/// Implements every store port of kms-core (keystores, master keys, key
/// tags, key aliases, grants, PIN verifiers, certificates, root-key rotation) for `$store`, a
/// type of the invoking crate that implements [`Driver`], with [`ops`].
#[macro_export]
macro_rules! impl_store_ports {
    ($store:ty) => {
        const _: () = {
            use std::sync::Arc;
            use $crate::__private::ports::*;
            use $crate::__private::{PinVerifier, WrappedMasterKey};
            use $crate::ops;

            impl KeystoreStore for $store {
                fn insert_keystore(&self, r: &KeystoreRecord) -> Result<(), InsertKeystoreError> {
                    ops::insert_keystore(self, r)
                }
                fn get_keystore(&self, d: &str, k: &str) -> PortResult<Option<KeystoreRecord>> {
                    ops::get_keystore(self, d, k)
                }
                fn list_keystores(
                    &self,
                    d: &str,
                    offset: u64,
                    limit: u64,
                ) -> PortResult<(u64, Vec<KeystoreRecord>)> {
                    ops::list_keystores(self, d, offset, limit)
                }
                fn set_keystore_state(
                    &self,
                    d: &str,
                    k: &str,
                    s: KeystoreState,
                ) -> PortResult<bool> {
                    ops::set_keystore_state(self, d, k, s)
                }
                fn delete_keystore(&self, d: &str, k: &str) -> PortResult<DeleteKeystoreOutcome> {
                    ops::delete_keystore(self, d, k)
                }
                fn record_root_key_check(
                    &self,
                    k: &str,
                    check: &[u8; ROOT_KEY_CHECK_LEN],
                ) -> PortResult<[u8; ROOT_KEY_CHECK_LEN]> {
                    ops::record_root_key_check(self, k, check)
                }
                fn forget_root_key_check(&self, k: &str) -> PortResult<()> {
                    ops::forget_root_key_check(self, k)
                }
            }

            impl MasterKeyStore for $store {
                fn insert_key(&self, r: &KeyRecord, m: &KeyMaterial) -> Result<(), InsertKeyError> {
                    ops::insert_key(self, r, m)
                }
                fn get_key(&self, p: &str, k: &str) -> PortResult<Option<Arc<KeyRecord>>> {
                    ops::get_key(self, p, k)
                }
                fn get_key_material(&self, k: &str, version: u32) -> PortResult<Option<Vec<u8>>> {
                    ops::get_key_material(self, k, version)
                }
                fn set_key_state(
                    &self,
                    p: &str,
                    k: &str,
                    s: KeyState,
                    deletion_time: Option<Timestamp>,
                ) -> PortResult<bool> {
                    ops::set_key_state(self, p, k, s, deletion_time)
                }
                fn count_keys_in_keystore(&self, k: &str) -> PortResult<u64> {
                    ops::count_keys_in_keystore(self, k)
                }
                fn list_keys(
                    &self,
                    p: &str,
                    q: &KeyListQuery,
                ) -> PortResult<(u64, Vec<KeyRecord>)> {
                    ops::list_keys(self, p, q)
                }
                fn update_key_alias(
                    &self,
                    p: &str,
                    k: &str,
                    a: &str,
                ) -> Result<(), UpdateKeyAliasError> {
                    ops::update_key_alias(self, p, k, a)
                }
                fn update_key_description(&self, p: &str, k: &str, d: &str) -> PortResult<bool> {
                    ops::update_key_description(self, p, k, d)
                }
                fn purge_deleted_keys(&self, at: Timestamp) -> PortResult<u64> {
                    ops::purge_deleted_keys(self, at)
                }
                fn set_key_rotation(
                    &self,
                    p: &str,
                    k: &str,
                    enabled: Option<bool>,
                    interval_days: Option<u32>,
                    start: Option<Timestamp>,
                ) -> PortResult<bool> {
                    ops::set_key_rotation(self, p, k, enabled, interval_days, start)
                }
                fn rotate_key(
                    &self,
                    p: &str,
                    k: &str,
                    m: &WrappedMasterKey,
                    version: u32,
                    at: Timestamp,
                ) -> Result<(), RotateKeyError> {
                    ops::rotate_key(self, p, k, m, version, at)
                }
                fn keys_due_for_rotation(
                    &self,
                    at: Timestamp,
                    limit: u64,
                ) -> PortResult<Vec<DueRotation>> {
                    ops::keys_due_for_rotation(self, at, limit)
                }
                fn insert_import_token(&self, t: &ImportTokenRecord) -> PortResult<()> {
                    $crate::imports::insert_import_token(self, t)
                }
                fn get_import_token(&self, id: &str) -> PortResult<Option<ImportTokenRecord>> {
                    $crate::imports::get_import_token(self, id)
                }
                fn purge_import_tokens(&self, at: Timestamp) -> PortResult<u64> {
                    $crate::imports::purge_import_tokens(self, at)
                }
                fn import_fingerprint(&self, p: &str, k: &str) -> PortResult<Option<Vec<u8>>> {
                    $crate::imports::import_fingerprint(self, p, k)
                }
                fn import_key_material(
                    &self,
                    p: &str,
                    k: &str,
                    m: &KeyMaterial,
                    fingerprint: &[u8],
                    expiry: Option<Timestamp>,
                ) -> Result<(), ImportMaterialError> {
                    $crate::imports::import_key_material(self, p, k, m, fingerprint, expiry)
                }
                fn delete_key_material(
                    &self,
                    p: &str,
                    k: &str,
                    expired_at: Option<Timestamp>,
                ) -> PortResult<bool> {
                    $crate::imports::delete_key_material(self, p, k, expired_at)
                }
                fn key_group(&self, k: &str) -> PortResult<Vec<GroupMember>> {
                    $crate::groups::key_group(self, k)
                }
                fn insert_replica(
                    &self,
                    source: &GroupMember,
                    r: &KeyRecord,
                    versions: &[WrappedMasterKey],
                    replica: &GroupMember,
                ) -> Result<(), InsertReplicaError> {
                    $crate::groups::insert_replica(self, source, r, versions, replica)
                }
                fn set_group_primary(&self, k: &str) -> PortResult<bool> {
                    $crate::groups::set_group_primary(self, k)
                }
            }

            impl KeyTagStore for $store {
                fn update_key_tags(
                    &self,
                    p: &str,
                    k: &str,
                    upsert: &[KeyTag],
                    remove: &[String],
                    max_tags: usize,
                ) -> Result<(), TagWriteError> {
                    ops::update_key_tags(self, p, k, upsert, remove, max_tags)
                }
                fn get_key_tags(&self, p: &str, k: &str) -> PortResult<Option<Vec<KeyTag>>> {
                    ops::get_key_tags(self, p, k)
                }
                fn list_project_tags(
                    &self,
                    p: &str,
                    live_at: Timestamp,
                ) -> PortResult<Vec<(String, Vec<String>)>> {
                    ops::list_project_tags(self, p, live_at)
                }
                fn list_keys_by_tags(
                    &self,
                    p: &str,
                    tags: &[TagFilter],
                    alias_contains: Option<&str>,
                    q: &KeyListQuery,
                ) -> PortResult<TaggedKeys> {
                    ops::list_keys_by_tags(self, p, tags, alias_contains, q)
                }
            }

            impl KeyAliasStore for $store {
                fn insert_alias(
                    &self,
                    a: &AliasRecord,
                    max_per_key: usize,
                ) -> Result<(), AliasWriteError> {
                    $crate::aliases::insert_alias(self, a, max_per_key)
                }
                fn associate_alias(
                    &self,
                    p: &str,
                    a: &str,
                    k: &str,
                    max_per_key: usize,
                    at: Timestamp,
                ) -> Result<AliasRecord, AliasWriteError> {
                    $crate::aliases::associate_alias(self, p, a, k, max_per_key, at)
                }
                fn delete_aliases(
                    &self,
                    p: &str,
                    k: Option<&str>,
                    aliases: &[String],
                ) -> Result<(), AliasWriteError> {
                    $crate::aliases::delete_aliases(self, p, k, aliases)
                }
                fn get_alias(&self, p: &str, a: &str) -> PortResult<Option<AliasRecord>> {
                    $crate::aliases::get_alias(self, p, a)
                }
                fn list_aliases(
                    &self,
                    p: &str,
                    k: Option<&str>,
                    after: Option<&str>,
                    limit: u64,
                    live_at: Timestamp,
                ) -> PortResult<Vec<AliasRecord>> {
                    $crate::aliases::list_aliases(self, p, k, after, limit, live_at)
                }
            }

            impl PinVerifierStore for $store {
                fn insert_pin_verifier(&self, d: &str, k: &str, v: &PinVerifier) -> PortResult<()> {
                    ops::insert_pin_verifier(self, d, k, v)
                }
                fn has_pin_verifier(&self, d: &str, k: &str, v: &PinVerifier) -> PortResult<bool> {
                    ops::has_pin_verifier(self, d, k, v)
                }
            }

            impl CertificateStore for $store {
                fn insert_certificate(
                    &self,
                    c: &StoredCertificate,
                ) -> Result<(), CertificateWriteError> {
                    ops::insert_certificate(self, c)
                }
                fn get_certificate(
                    &self,
                    p: &str,
                    id: &str,
                ) -> PortResult<Option<StoredCertificate>> {
                    ops::get_certificate(self, p, id)
                }
                fn list_certificates(
                    &self,
                    p: &str,
                    f: &CertificateFilter,
                    offset: u64,
                    limit: u64,
                ) -> PortResult<(u64, Vec<StoredCertificate>)> {
                    ops::list_certificates(self, p, f, offset, limit)
                }
                fn update_certificate(
                    &self,
                    c: &StoredCertificate,
                ) -> Result<(), CertificateWriteError> {
                    ops::update_certificate(self, c)
                }
                fn delete_certificate(&self, p: &str, id: &str) -> PortResult<bool> {
                    ops::delete_certificate(self, p, id)
                }
            }

            impl KeyGrantStore for $store {
                fn insert_grant(
                    &self,
                    g: &GrantRecord,
                    max_per_key: u64,
                ) -> Result<(), InsertGrantError> {
                    $crate::grants::insert_grant(self, g, max_per_key)
                }
                fn grants_of_key(&self, k: &str) -> PortResult<Vec<GrantRecord>> {
                    $crate::grants::grants_of_key(self, k)
                }
                fn list_grants(
                    &self,
                    p: &str,
                    k: &str,
                    offset: u64,
                    limit: u64,
                ) -> PortResult<(u64, Vec<GrantRecord>)> {
                    $crate::grants::list_grants(self, p, k, offset, limit)
                }
                fn list_retirable_grants(
                    &self,
                    principal: &str,
                    offset: u64,
                    limit: u64,
                ) -> PortResult<(u64, Vec<GrantRecord>)> {
                    $crate::grants::list_retirable_grants(self, principal, offset, limit)
                }
                fn delete_grant(&self, k: &str, g: &str) -> PortResult<bool> {
                    $crate::grants::delete_grant(self, k, g)
                }
                fn most_grants_on_a_key(&self, p: &str) -> PortResult<u64> {
                    $crate::grants::most_grants_on_a_key(self, p)
                }
            }

            impl RootRotationStore for $store {
                fn root_key_state(&self) -> PortResult<RootKeyState> {
                    ops::root_key_state(self)
                }
                fn record_root_fingerprint(
                    &self,
                    f: &[u8; ROOT_FINGERPRINT_LEN],
                ) -> PortResult<RootKeyState> {
                    ops::record_root_fingerprint(self, f)
                }
                fn all_keystores(&self) -> PortResult<Vec<KeystoreRecord>> {
                    ops::all_keystores(self)
                }
                fn carried_pin_keys(&self) -> PortResult<Vec<CarriedPinKeys>> {
                    ops::carried_pin_keys(self)
                }
                fn begin_root_rotation(
                    &self,
                    from: &[u8; ROOT_FINGERPRINT_LEN],
                    to: &RootRotationTarget,
                    pin_keys: &[CarriedPinKeys],
                ) -> PortResult<bool> {
                    ops::begin_root_rotation(self, from, to, pin_keys)
                }
                fn unmoved_root_bound(
                    &self,
                    g: u32,
                    limit: usize,
                ) -> PortResult<Vec<RootBoundRow>> {
                    ops::unmoved_root_bound(self, g, limit)
                }
                fn store_rewrapped(&self, g: u32, rows: &[Rewrapped]) -> PortResult<usize> {
                    ops::store_rewrapped(self, g, rows)
                }
                fn finish_root_rotation(&self, to: &RootRotationTarget) -> PortResult<bool> {
                    ops::finish_root_rotation(self, to)
                }
            }
        };
    };
}
