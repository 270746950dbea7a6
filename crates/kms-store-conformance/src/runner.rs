//! The store set a case runs on, the case list and the runner.

#[allow(clippy::wildcard_imports, unused_imports)]
use crate::*;

// ---------------------------------------------------------------- the store set

/// The store ports under test. `keystores` and `keys` must be views of the
/// same storage: "delete a keystore only if it holds no key" and "insert a
/// key only if its keystore exists" span both traits.
pub struct StoreSet {
    /// Keystores.
    pub keystores: Arc<dyn KeystoreStore>,
    /// CMKs and their wrapped material.
    pub keys: Arc<dyn MasterKeyStore>,
    /// Tags of CMKs (a view of the same storage as `keys`).
    pub key_tags: Arc<dyn KeyTagStore>,
    /// Aliases of CMKs, the alias API's (a view of the same storage as
    /// `keys`).
    pub key_aliases: Arc<dyn KeyAliasStore>,
    /// PIN verifiers.
    pub pins: Arc<dyn PinVerifierStore>,
    /// APIG certificates.
    pub certificates: Arc<dyn CertificateStore>,
    /// Grants of CMKs (a view of the same storage as `keys`).
    pub grants: Arc<dyn KeyGrantStore>,
    pub(crate) guard: Option<Box<dyn Any + Send>>,
}

impl fmt::Debug for StoreSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoreSet")
            .field("keystores", &self.keystores)
            .field("keys", &self.keys)
            .field("key_tags", &self.key_tags)
            .field("key_aliases", &self.key_aliases)
            .field("pins", &self.pins)
            .field("certificates", &self.certificates)
            .field("grants", &self.grants)
            .finish_non_exhaustive()
    }
}

impl StoreSet {
    /// One store implementing every store port, shared by all four views.
    #[must_use]
    pub fn shared<S: kms_core::ports::Store + 'static>(store: S) -> Self {
        let store = Arc::new(store);
        Self {
            keystores: store.clone(),
            keys: store.clone(),
            key_tags: store.clone(),
            key_aliases: store.clone(),
            pins: store.clone(),
            certificates: store.clone(),
            grants: store,
            guard: None,
        }
    }

    /// Keeps `guard` (say, the temporary directory of a database file)
    /// alive as long as the set.
    #[must_use]
    pub fn with_guard(mut self, guard: impl Any + Send) -> Self {
        self.guard = Some(Box::new(guard));
        self
    }
}

// ---------------------------------------------------------------- running

/// One case of the suite.
#[derive(Clone, Copy)]
pub struct Case {
    /// The case's name: the name of its function.
    pub name: &'static str,
    /// The case.
    pub run: fn(&dyn Fn() -> StoreSet),
}

impl fmt::Debug for Case {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name)
    }
}

/// A case an adapter is known to fail, with why: [`run_all_with_known_divergences`]
/// expects it to fail and reports it.
#[derive(Clone, Copy, Debug)]
pub struct KnownDivergence {
    /// The case name, as in [`CASES`].
    pub case: &'static str,
    /// Why the adapter fails it.
    pub reason: &'static str,
}

macro_rules! cases {
    ($($name:ident),* $(,)?) => {
        /// Every case of the suite, in the order [`run_all`] runs them.
        pub const CASES: &[Case] = &[$(Case { name: stringify!($name), run: $name }),*];
    };
}

cases![
    keystore_round_trip,
    keystore_not_found,
    keystore_alias_unique_per_domain,
    keystore_cluster_unique_across_domains,
    keystore_insert_breaking_both_rules_inserts_nothing,
    keystore_state_transitions,
    keystore_list_paging,
    keystore_list_oldest_first_by_create_time,
    keystore_tenancy,
    delete_keystore_outcomes,
    root_key_check_recorded_once,
    insert_key_needs_existing_dedicated_keystore,
    count_keys_in_keystore_counts_every_project,
    key_round_trip,
    key_pair_round_trip_and_spec_filter,
    key_not_found,
    key_material_per_version,
    key_alias_unique_per_project,
    key_insert_breaking_both_rules_inserts_nothing,
    key_state_transitions,
    key_awaiting_import,
    key_tenancy,
    pin_verifier_per_domain_and_keystore,
    certificate_round_trip,
    certificate_not_found,
    certificate_name_unique_per_project_and_scope,
    certificate_update,
    certificate_update_of_missing_id_is_not_found_even_if_name_taken,
    certificate_delete,
    certificate_list_filters,
    certificate_list_paging,
    certificate_tenancy,
    existing_id_is_never_overwritten,
    race_keystore_alias,
    race_keystore_cluster,
    race_key_alias,
    race_certificate_name,
    race_certificate_rename,
    race_delete_keystore_against_key_insert,
    key_list_filters_paging_and_expiry,
    key_alias_update,
    key_description_update,
    race_key_alias_update,
    key_rotation_policy,
    key_rotation_versions,
    race_rotate_key,
    keys_due_for_rotation,
    key_tags_update_and_get,
    key_tags_limit_is_atomic,
    list_keys_by_tags_filters,
    purge_deleted_keys_frees_alias_and_keystore,
    list_project_tags_groups_values,
    grant_round_trip_and_tenancy,
    grant_listing_paging_and_retirable,
    grant_delete,
    grant_limit_is_atomic,
    grants_go_with_their_purged_key,
    most_grants_on_a_key_of_the_project,
    mac_and_agreement_keys_round_trip,
    alias_round_trip_and_unique_per_project,
    alias_limit_per_key,
    alias_associate_moves_it,
    alias_delete_all_or_none,
    alias_list_order_paging_filter_and_expiry,
    race_alias_insert,
    race_alias_limit,
    import_tokens_round_trip_and_purge,
    import_delete_and_reimport,
    race_import_key_material,
    groups_replicas_and_primary,
];

/// Runs every case of [`CASES`] on fresh stores from `new`, and panics
/// listing every case that failed.
pub fn run_all(new: &dyn Fn() -> StoreSet) {
    run_all_with_known_divergences(new, &[]);
}

/// [`run_all`], except that the `known` cases are expected to fail: each
/// is run, its failure is reported on stderr with the reason, and a known
/// case that passes (or a name that is no case) fails the run, so the list
/// cannot go stale.
pub fn run_all_with_known_divergences(new: &dyn Fn() -> StoreSet, known: &[KnownDivergence]) {
    let mut failures = Vec::new();
    for k in known {
        if !CASES.iter().any(|c| c.name == k.case) {
            failures.push(format!(
                "{}: listed as a known divergence but is no case",
                k.case
            ));
        }
    }
    for case in CASES {
        let outcome = catch_unwind(AssertUnwindSafe(|| (case.run)(new)));
        let expected_failure = known.iter().find(|k| k.case == case.name);
        match (outcome, expected_failure) {
            (Ok(()), None) => {}
            (Err(panic), None) => failures.push(format!("{}: {}", case.name, message(&*panic))),
            (Ok(()), Some(_)) => failures.push(format!(
                "{}: listed as a known divergence but passes; remove it from the list",
                case.name
            )),
            (Err(panic), Some(k)) => eprintln!(
                "known divergence {}: {} (fails with: {})",
                case.name,
                k.reason,
                message(&*panic)
            ),
        }
    }
    assert!(
        failures.is_empty(),
        "{} conformance case(s) failed:\n  {}",
        failures.len(),
        failures.join("\n  ")
    );
}

pub(crate) fn message(panic: &(dyn Any + Send)) -> String {
    panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_else(|| "non-string panic".to_owned())
}
