//! One conformance suite for every adapter of kms-core's store ports
//! ([`KeystoreStore`], [`MasterKeyStore`], [`CertificateStore`],
//! [`PinVerifierStore`]): each rule the
//! ports' documentation states (round trips, uniqueness, atomic
//! conditional writes under 8-thread races, tenancy, paging) is one case in
//! [`cases`], and [`conformance_tests!`] turns them into one `#[test]` per
//! case for an adapter:
//!
//! ```ignore
//! struct Memory;
//! impl kms_store_conformance::StoreFactory for Memory {
//!     type Store = kms_core::memory::MemoryStore;
//!     fn make(&self) -> std::sync::Arc<Self::Store> {
//!         std::sync::Arc::new(kms_core::memory::MemoryStore::new())
//!     }
//! }
//! kms_store_conformance::conformance_tests!(Memory);
//! ```
//!
//! The in-memory store runs it in this crate's tests; kms-store-sqlite runs
//! it in its own.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

use std::sync::Arc;

use kms_core::ports::{CertificateStore, KeystoreStore, MasterKeyStore, PinVerifierStore};

pub mod cases;
pub mod fixtures;

/// Every store port on one value, as both adapters provide them.
pub trait Stores:
    KeystoreStore + MasterKeyStore + CertificateStore + PinVerifierStore + Send + Sync + 'static
{
}

impl<T> Stores for T where
    T: KeystoreStore + MasterKeyStore + CertificateStore + PinVerifierStore + Send + Sync + 'static
{
}

/// Makes a fresh, empty store for each case.
pub trait StoreFactory {
    /// The adapter under test.
    type Store: Stores;
    /// A new empty store (a new database file, a new schema, ...).
    fn make(&self) -> Arc<Self::Store>;
}

/// One `#[test]` per case of [`cases`] for the factory expression given.
#[macro_export]
macro_rules! conformance_tests {
    ($factory:expr) => {
        $crate::conformance_tests!(@cases $factory;
            keystore_round_trip_state_list_delete,
            keystore_alias_is_per_domain_and_cluster_is_global,
            race_on_keystore_alias_has_one_winner,
            race_on_cluster_has_one_winner,
            race_on_key_alias_has_one_winner,
            race_on_certificate_name_has_one_winner,
            race_delete_keystore_against_key_insert_never_orphans,
            key_round_trip_material_and_state,
            keystore_with_keys_cannot_be_deleted,
            pin_verifiers,
            certificate_round_trip_filter_update_delete,
            tenants_see_only_their_own,
            paging_is_stable,
        );
    };
    (@cases $factory:expr; $($case:ident),* $(,)?) => {
        $(
            #[test]
            fn $case() {
                $crate::cases::$case(&$factory);
            }
        )*
    };
}
