//! One conformance suite for every adapter of kms-core's store ports.
//!
//! Each public `fn(&dyn Fn() -> StoreSet)` checks one rule of the port
//! docs in `kms_core::ports` against a fresh [`StoreSet`] (or several: the
//! factory is called once per case, and again per round of a race). The
//! rules checked are the ones the docs state: round trips of every record
//! field, keystore alias unique per domain, one keystore per cluster,
//! delete-keystore-only-if-empty, key alias unique per project, a dedicated
//! keystore must exist for a key insert, key material per version, PIN
//! verifiers per domain and keystore, certificate name unique per project
//! and scope, update/delete/list with filters and paging, not-found
//! answers, tenancy isolation, and 8-thread races where a rule is atomic.
//!
//! [`run_all`] runs every case in [`CASES`] and reports every failure at
//! once; [`run_all_with_known_divergences`] does the same but expects the
//! listed cases to fail (and fails if one of them starts passing), so a
//! known divergence stays visible instead of being skipped.
//!
//! The assertions panic with a message naming the rule, as a test does.
#![forbid(unsafe_code)]

use std::any::Any;
use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Barrier};
use std::thread;

use kms_core::ports::{
    CarriedPinKeys, ROOT_FINGERPRINT_LEN, Rewrapped, RootBoundItem, RootBoundRow, RootKeyState,
    RootRotationStore, RootRotationTarget,
};
use kms_core::ports::{
    CertificateFilter, CertificateStore, CertificateWriteError, ClusterDirectory, ClusterInfo,
    DeleteKeystoreOutcome, IdGenerator, InsertKeyError, InsertKeystoreError, KeyListQuery,
    KeyMaterial, KeyOrigin, KeyRecord, KeyRotation, KeyState, KeystoreRecord, KeystoreState,
    KeystoreStore, MasterKeyStore, PinVerifierStore, RotateKeyError, StoredCertificate, Timestamp,
    UpdateKeyAliasError,
};
use kms_core::ports::{KeyTagStore, TagFilter, TagWriteError};
use kms_crypto::{MasterKey, PIN_VERIFIER_LEN, PinVerifier, RootKey, WrappedMasterKey};
use kms_model::{CertificateRecord, CmkSpec, KeyUsage, KeystoreType};
use rand_chacha::rand_core::SeedableRng;

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
    /// PIN verifiers.
    pub pins: Arc<dyn PinVerifierStore>,
    /// APIG certificates.
    pub certificates: Arc<dyn CertificateStore>,
    guard: Option<Box<dyn Any + Send>>,
}

impl fmt::Debug for StoreSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoreSet")
            .field("keystores", &self.keystores)
            .field("keys", &self.keys)
            .field("key_tags", &self.key_tags)
            .field("pins", &self.pins)
            .field("certificates", &self.certificates)
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
            pins: store.clone(),
            certificates: store,
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
    key_tags_update_and_get,
    key_tags_limit_is_atomic,
    list_keys_by_tags_filters,
    purge_deleted_keys_frees_alias_and_keystore,
    list_project_tags_groups_values,
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

fn message(panic: &(dyn Any + Send)) -> String {
    panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_else(|| "non-string panic".to_owned())
}

// ---------------------------------------------------------------- fixtures

/// A domain of the suite.
pub const DOMAIN: &str = "domain-a";
/// Another domain, which must see nothing of [`DOMAIN`].
pub const OTHER_DOMAIN: &str = "domain-b";
/// A project of the suite.
pub const PROJECT: &str = "project-a";
/// Another project, which must see nothing of [`PROJECT`].
pub const OTHER_PROJECT: &str = "project-b";

/// Threads of each race.
pub const RACE_THREADS: usize = 8;

/// The `n`th resource id, in the 8-4-4-4-12 layout.
#[must_use]
pub fn id(n: usize) -> String {
    format!("{n:08x}-0000-4000-8000-000000000000")
}

/// An enabled DHSM keystore `id(n)` created at `1_700_000_000_000 + n` ms.
#[must_use]
pub fn keystore(n: usize, domain: &str, alias: &str, cluster: Option<&str>) -> KeystoreRecord {
    KeystoreRecord {
        keystore_id: id(n),
        domain_id: domain.to_owned(),
        alias: alias.to_owned(),
        keystore_type: KeystoreType::Dhsm,
        cluster_id: cluster.map(str::to_owned),
        state: KeystoreState::Enabled,
        create_time: Timestamp(1_700_000_000_000 + i64::try_from(n).unwrap_or(0)),
    }
}

/// An enabled version-1 key `id(n)` of [`DOMAIN`] in `project`.
#[must_use]
pub fn key(n: usize, project: &str, alias: &str, keystore_id: &str) -> KeyRecord {
    KeyRecord {
        key_id: id(n),
        domain_id: DOMAIN.to_owned(),
        project_id: project.to_owned(),
        alias: alias.to_owned(),
        description: format!("key {n}"),
        keystore_id: keystore_id.to_owned(),
        state: KeyState::Enabled,
        current_version: 1,
        create_time: Timestamp(1_700_000_000_000 + i64::try_from(n).unwrap_or(0)),
        deletion_time: None,
        rotation: KeyRotation::default(),
        spec: CmkSpec::Aes256,
        usage: KeyUsage::EncryptDecrypt,
        origin: KeyOrigin::Kms,
    }
}

/// Material of version `version` of `key_id` wrapped under a fixed root
/// key; `seed` varies the key bytes, so different seeds give different
/// material.
///
/// # Panics
/// Never for a well-formed key id (kms-crypto rejects nothing else here).
#[must_use]
pub fn wrapped(key_id: &str, version: u32, seed: u8) -> WrappedMasterKey {
    let root = RootKey::from_bytes(&[1u8; 32]).unwrap_or_else(|e| panic!("root key: {e}"));
    let mk = MasterKey::from_bytes(key_id, version, &[seed; 32])
        .unwrap_or_else(|e| panic!("master key: {e}"));
    root.wrap_master_key(&mk)
        .unwrap_or_else(|e| panic!("wrap master key: {e}"))
}

/// A global certificate `id(n)` of `project` with every field set.
#[must_use]
pub fn certificate(n: usize, project: &str, name: &str) -> StoredCertificate {
    let id = id(n).replace('-', "");
    StoredCertificate {
        record: CertificateRecord {
            id: id.clone(),
            name: name.to_owned(),
            r#type: Some("global".to_owned()),
            instance_id: Some("common".to_owned()),
            project_id: Some(project.to_owned()),
            common_name: format!("{name}.example.com"),
            san: vec![format!("{name}.example.com"), "10.0.0.1".to_owned()],
            version: 3,
            organization: vec!["Org".to_owned()],
            organizational_unit: vec!["Unit".to_owned(), "Other unit".to_owned()],
            locality: vec!["City".to_owned()],
            state: vec!["State".to_owned()],
            country: vec!["CN".to_owned()],
            not_before: "2024-01-01T00:00:00Z".to_owned(),
            not_after: "2034-01-01T00:00:00Z".to_owned(),
            serial_number: format!("{}", 1_000_000 + n),
            issuer: vec!["Issuer Org".to_owned()],
            signature_algorithm: "SHA256-RSA".to_owned(),
            create_time: "2024-06-01T00:00:00Z".to_owned(),
            update_time: "2024-06-02T00:00:00Z".to_owned(),
            is_has_trusted_root_ca: Some(true),
            algorithm_type: Some("RSA".to_owned()),
        },
        cert_pem: format!("-----BEGIN CERTIFICATE-----\n{id}\n-----END CERTIFICATE-----\n"),
        sealed_private_key: sealed_private_key(project, &id, "key"),
        trusted_root_ca: Some(
            "-----BEGIN CERTIFICATE-----\nroot\n-----END CERTIFICATE-----\n".to_owned(),
        ),
    }
}

/// A private key (`text`) sealed for `project` and certificate `id` the way
/// kms-core seals it (software root keys over a fixed secret).
///
/// # Panics
/// Never (fixed, valid inputs).
#[must_use]
pub fn sealed_private_key(project: &str, id: &str, text: &str) -> kms_crypto::Ciphertext {
    use kms_core::ports::RootKeyProvider;
    let roots = kms_core::software::SoftwareRootKeys::new(&[7u8; 32])
        .unwrap_or_else(|e| panic!("root keys: {e}"));
    let entropy = kms_core::software::ChaChaEntropy::from_seed([3u8; 32]);
    let scope =
        kms_crypto::PrivateKeyScope::new(project, id).unwrap_or_else(|e| panic!("scope: {e}"));
    roots
        .seal_private_key(&scope, &entropy, text.as_bytes())
        .unwrap_or_else(|e| panic!("seal: {e}"))
}

/// [`certificate`] scoped to gateway `instance`.
#[must_use]
pub fn instance_certificate(
    n: usize,
    project: &str,
    name: &str,
    instance: &str,
) -> StoredCertificate {
    let mut c = certificate(n, project, name);
    c.record.r#type = Some("instance".to_owned());
    c.record.instance_id = Some(instance.to_owned());
    c
}

/// A PIN verifier of `seed` bytes.
///
/// # Panics
/// Never (the length is right).
#[must_use]
pub fn verifier(seed: u8) -> PinVerifier {
    PinVerifier::from_bytes(&[seed; PIN_VERIFIER_LEN]).unwrap_or_else(|e| panic!("verifier: {e}"))
}

#[track_caller]
fn ok<T, E: fmt::Debug>(r: Result<T, E>, what: &str) -> T {
    match r {
        Ok(v) => v,
        Err(e) => panic!("{what}: unexpected error {e:?}"),
    }
}

fn ids_of_keystores(list: &[KeystoreRecord]) -> Vec<String> {
    list.iter().map(|k| k.keystore_id.clone()).collect()
}

fn ids_of_certs(list: &[StoredCertificate]) -> Vec<String> {
    list.iter().map(|c| c.record.id.clone()).collect()
}

fn cert_ids(ns: &[usize]) -> Vec<String> {
    ns.iter().map(|n| id(*n).replace('-', "")).collect()
}

/// Runs `f(i)` for `i in 0..RACE_THREADS` on threads released together.
fn race<T: Send>(f: impl Fn(usize) -> T + Sync) -> Vec<T> {
    let barrier = Barrier::new(RACE_THREADS);
    thread::scope(|s| {
        let handles: Vec<_> = (0..RACE_THREADS)
            .map(|i| {
                let (f, barrier) = (&f, &barrier);
                s.spawn(move || {
                    barrier.wait();
                    f(i)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    })
}

fn one_winner<E: PartialEq + fmt::Debug>(results: &[Result<(), E>], loser: &E, rule: &str) {
    let winners = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(
        winners, 1,
        "{rule}: {RACE_THREADS} racing writers must have exactly one winner, got {results:?}"
    );
    for r in results {
        if let Err(e) = r {
            assert_eq!(e, loser, "{rule}: every loser must get {loser:?}");
        }
    }
}

// ---------------------------------------------------------------- keystores

/// Every field of a keystore comes back as inserted, for every keystore
/// type, both states, with and without a cluster.
pub fn keystore_round_trip(new: &dyn Fn() -> StoreSet) {
    let s = new();
    let records = [
        KeystoreRecord {
            keystore_type: KeystoreType::Default,
            state: KeystoreState::Enabled,
            ..keystore(1, DOMAIN, "ks-default", None)
        },
        KeystoreRecord {
            keystore_type: KeystoreType::Dhsm,
            state: KeystoreState::Disabled,
            ..keystore(2, DOMAIN, "ks-dhsm", Some("cluster-dhsm"))
        },
        KeystoreRecord {
            keystore_type: KeystoreType::Cdms,
            create_time: Timestamp(1_800_000_000_123),
            ..keystore(3, DOMAIN, "ks_cdms-Ünïcode", Some("cluster-cdms"))
        },
    ];
    for r in &records {
        ok(s.keystores.insert_keystore(r), "insert keystore");
    }
    for r in &records {
        assert_eq!(
            ok(s.keystores.get_keystore(DOMAIN, &r.keystore_id), "get"),
            Some(r.clone()),
            "get_keystore must return every field as inserted"
        );
    }
    let (total, page) = ok(s.keystores.list_keystores(DOMAIN, 0, 10), "list");
    assert_eq!(total, 3, "list_keystores total");
    assert_eq!(
        page,
        records.to_vec(),
        "list_keystores must return every field"
    );
}

/// Unknown keystores: `None`, an empty list, `false`, `NotFound`.
pub fn keystore_not_found(new: &dyn Fn() -> StoreSet) {
    let s = new();
    let ks = &*s.keystores;
    assert_eq!(ok(ks.get_keystore(DOMAIN, &id(1)), "get"), None);
    assert_eq!(ok(ks.list_keystores(DOMAIN, 0, 10), "list"), (0, vec![]));
    assert!(
        !ok(
            ks.set_keystore_state(DOMAIN, &id(1), KeystoreState::Disabled),
            "set state"
        ),
        "set_keystore_state of an unknown keystore must be false"
    );
    assert_eq!(
        ok(ks.delete_keystore(DOMAIN, &id(1)), "delete"),
        DeleteKeystoreOutcome::NotFound
    );
    ok(
        ks.insert_keystore(&keystore(1, DOMAIN, "a", None)),
        "insert",
    );
    assert_eq!(
        ok(ks.get_keystore(DOMAIN, &id(2)), "get"),
        None,
        "another id"
    );
}

/// "Inserts only if its alias is free within its domain": a taken alias
/// is `AliasTaken` and inserts nothing; the same alias in another domain
/// is free.
pub fn keystore_alias_unique_per_domain(new: &dyn Fn() -> StoreSet) {
    let s = new();
    let ks = &*s.keystores;
    ok(
        ks.insert_keystore(&keystore(1, DOMAIN, "alias", None)),
        "first",
    );
    assert_eq!(
        ks.insert_keystore(&keystore(2, DOMAIN, "alias", None)),
        Err(InsertKeystoreError::AliasTaken),
        "same alias, same domain"
    );
    assert_eq!(
        ok(ks.get_keystore(DOMAIN, &id(2)), "get"),
        None,
        "a refused insert must insert nothing"
    );
    assert_eq!(ok(ks.list_keystores(DOMAIN, 0, 10), "list").0, 1);
    ok(
        ks.insert_keystore(&keystore(3, OTHER_DOMAIN, "alias", None)),
        "the same alias in another domain is free",
    );
}

/// "Its cluster (when present) backs no keystore": a cluster backs at most
/// one keystore across every domain; keystores without a cluster do not
/// collide.
pub fn keystore_cluster_unique_across_domains(new: &dyn Fn() -> StoreSet) {
    let s = new();
    let ks = &*s.keystores;
    ok(
        ks.insert_keystore(&keystore(1, DOMAIN, "a", Some("cluster-1"))),
        "first",
    );
    assert_eq!(
        ks.insert_keystore(&keystore(2, OTHER_DOMAIN, "b", Some("cluster-1"))),
        Err(InsertKeystoreError::ClusterTaken),
        "a cluster backs one keystore, whatever the domain"
    );
    assert_eq!(ok(ks.get_keystore(OTHER_DOMAIN, &id(2)), "get"), None);
    assert_eq!(
        ks.insert_keystore(&keystore(3, DOMAIN, "c", Some("cluster-1"))),
        Err(InsertKeystoreError::ClusterTaken),
        "same domain, other alias"
    );
    for n in 4..7 {
        ok(
            ks.insert_keystore(&keystore(n, DOMAIN, &format!("none-{n}"), None)),
            "keystores without a cluster do not collide",
        );
    }
    ok(
        ks.insert_keystore(&keystore(7, DOMAIN, "d", Some("cluster-2"))),
        "another cluster is free",
    );
    assert_eq!(ok(ks.list_keystores(DOMAIN, 0, 10), "list").0, 5);
}

/// A keystore whose alias **and** cluster are both taken is refused with
/// one of the two answers (the port docs do not rank them) and inserts
/// nothing.
pub fn keystore_insert_breaking_both_rules_inserts_nothing(new: &dyn Fn() -> StoreSet) {
    let s = new();
    let ks = &*s.keystores;
    ok(
        ks.insert_keystore(&keystore(1, DOMAIN, "a", Some("c"))),
        "first",
    );
    let r = ks.insert_keystore(&keystore(2, DOMAIN, "a", Some("c")));
    assert!(
        matches!(
            r,
            Err(InsertKeystoreError::AliasTaken | InsertKeystoreError::ClusterTaken)
        ),
        "alias and cluster taken: got {r:?}"
    );
    assert_eq!(ok(ks.list_keystores(DOMAIN, 0, 10), "list").0, 1);
}

/// Enabled -> Disabled -> Enabled, each visible through get and list with
/// every other field unchanged; setting the current state again is `true`.
pub fn keystore_state_transitions(new: &dyn Fn() -> StoreSet) {
    let s = new();
    let ks = &*s.keystores;
    let rec = keystore(1, DOMAIN, "a", Some("c"));
    ok(ks.insert_keystore(&rec), "insert");
    for state in [
        KeystoreState::Disabled,
        KeystoreState::Disabled,
        KeystoreState::Enabled,
    ] {
        assert!(
            ok(ks.set_keystore_state(DOMAIN, &id(1), state), "set state"),
            "set_keystore_state of an existing keystore must be true ({state:?})"
        );
        let want = KeystoreRecord {
            state,
            ..rec.clone()
        };
        assert_eq!(
            ok(ks.get_keystore(DOMAIN, &id(1)), "get"),
            Some(want.clone())
        );
        assert_eq!(ok(ks.list_keystores(DOMAIN, 0, 10), "list").1, vec![want]);
    }
}

/// Pages of keystores: the total is the domain's count whatever the page;
/// offset and limit cut the oldest-first order; past the end is empty.
pub fn keystore_list_paging(new: &dyn Fn() -> StoreSet) {
    let s = new();
    let ks = &*s.keystores;
    for n in 0..5 {
        ok(
            ks.insert_keystore(&keystore(n, DOMAIN, &format!("k{n}"), None)),
            "insert",
        );
    }
    for n in 10..12 {
        ok(
            ks.insert_keystore(&keystore(n, OTHER_DOMAIN, &format!("k{n}"), None)),
            "insert",
        );
    }
    let page = |offset, limit| {
        let (total, page) = ok(ks.list_keystores(DOMAIN, offset, limit), "list");
        (total, ids_of_keystores(&page))
    };
    let ids = |ns: &[usize]| ns.iter().map(|n| id(*n)).collect::<Vec<_>>();
    assert_eq!(page(0, 2), (5, ids(&[0, 1])), "first page");
    assert_eq!(page(2, 2), (5, ids(&[2, 3])), "second page");
    assert_eq!(page(4, 2), (5, ids(&[4])), "last, short page");
    assert_eq!(page(5, 2), (5, vec![]), "offset at the end");
    assert_eq!(page(u64::MAX, 2), (5, vec![]), "huge offset");
    assert_eq!(page(0, 0), (5, vec![]), "limit 0");
    assert_eq!(page(0, u64::MAX), (5, ids(&[0, 1, 2, 3, 4])), "huge limit");
    assert_eq!(page(1, u64::MAX), (5, ids(&[1, 2, 3, 4])));
}

/// "Oldest first": keystores inserted out of `create_time` order are
/// listed by `create_time`, not by insertion.
pub fn keystore_list_oldest_first_by_create_time(new: &dyn Fn() -> StoreSet) {
    let s = new();
    let ks = &*s.keystores;
    for (n, t) in [(1, 300), (2, 100), (3, 200)] {
        ok(
            ks.insert_keystore(&KeystoreRecord {
                create_time: Timestamp(t),
                ..keystore(n, DOMAIN, &format!("k{n}"), None)
            }),
            "insert",
        );
    }
    let (_, page) = ok(ks.list_keystores(DOMAIN, 0, 10), "list");
    assert_eq!(
        ids_of_keystores(&page),
        vec![id(2), id(3), id(1)],
        "list_keystores must be oldest first (by create_time)"
    );
    let (_, page) = ok(ks.list_keystores(DOMAIN, 1, 1), "list");
    assert_eq!(
        ids_of_keystores(&page),
        vec![id(3)],
        "paging follows the same order"
    );
}

/// Another domain sees nothing of a keystore and cannot change or delete it.
pub fn keystore_tenancy(new: &dyn Fn() -> StoreSet) {
    let s = new();
    let ks = &*s.keystores;
    let rec = keystore(1, DOMAIN, "a", Some("c"));
    ok(ks.insert_keystore(&rec), "insert");
    assert_eq!(ok(ks.get_keystore(OTHER_DOMAIN, &id(1)), "get"), None);
    assert_eq!(
        ok(ks.list_keystores(OTHER_DOMAIN, 0, 10), "list"),
        (0, vec![])
    );
    assert!(
        !ok(
            ks.set_keystore_state(OTHER_DOMAIN, &id(1), KeystoreState::Disabled),
            "set"
        ),
        "another domain cannot change the state"
    );
    assert_eq!(
        ok(ks.delete_keystore(OTHER_DOMAIN, &id(1)), "delete"),
        DeleteKeystoreOutcome::NotFound,
        "another domain cannot delete"
    );
    assert_eq!(
        ok(ks.get_keystore(DOMAIN, &id(1)), "get"),
        Some(rec),
        "the owner's keystore is untouched"
    );
}

/// `Deleted` frees the alias and the cluster; a second delete is
/// `NotFound`; a keystore holding a key (of any project) is `HasKeys` and
/// stays as it was.
pub fn delete_keystore_outcomes(new: &dyn Fn() -> StoreSet) {
    let s = new();
    let ks = &*s.keystores;
    ok(
        ks.insert_keystore(&keystore(1, DOMAIN, "a", Some("c"))),
        "insert",
    );
    assert_eq!(
        ok(ks.delete_keystore(DOMAIN, &id(1)), "delete"),
        DeleteKeystoreOutcome::Deleted
    );
    assert_eq!(ok(ks.get_keystore(DOMAIN, &id(1)), "get"), None);
    assert_eq!(
        ok(ks.delete_keystore(DOMAIN, &id(1)), "delete again"),
        DeleteKeystoreOutcome::NotFound
    );
    let rec = keystore(2, DOMAIN, "a", Some("c"));
    ok(
        ks.insert_keystore(&rec),
        "a deleted keystore's alias and cluster are free again",
    );
    let k = key(3, OTHER_PROJECT, "k", &id(2));
    ok(
        s.keys
            .insert_key(&k, &KeyMaterial::from(wrapped(&id(3), 1, 3))),
        "key in the keystore",
    );
    assert_eq!(
        ok(ks.delete_keystore(DOMAIN, &id(2)), "delete"),
        DeleteKeystoreOutcome::HasKeys,
        "a keystore holding a key (of any project) is not deleted"
    );
    assert_eq!(ok(ks.get_keystore(DOMAIN, &id(2)), "get"), Some(rec));
    assert_eq!(
        ok(s.keys.get_key(OTHER_PROJECT, &id(3)), "get key").as_deref(),
        Some(&k)
    );
}

/// A dedicated keystore's root-key check value is recorded by the first
/// caller only (later ones learn the recorded value), per keystore,
/// without a keystore row; forgotten, the next value is recorded.
pub fn root_key_check_recorded_once(new: &dyn Fn() -> StoreSet) {
    let s = new();
    let ks = &*s.keystores;
    let (a, b) = ([1u8; 32], [2u8; 32]);
    assert_eq!(ok(ks.record_root_key_check(&id(1), &a), "record"), a);
    assert_eq!(
        ok(ks.record_root_key_check(&id(1), &b), "record another"),
        a,
        "the first value stays recorded"
    );
    assert_eq!(
        ok(ks.record_root_key_check(&id(2), &b), "other keystore"),
        b
    );
    ok(ks.forget_root_key_check(&id(1)), "forget");
    ok(ks.forget_root_key_check(&id(1)), "forget again");
    assert_eq!(
        ok(ks.record_root_key_check(&id(1), &b), "record after forget"),
        b
    );
    assert_eq!(ok(ks.record_root_key_check(&id(2), &a), "still"), b);
}

/// "For a dedicated keystore, the keystore still exists": a key into an
/// unknown or deleted keystore is `KeystoreGone` and stores nothing; the
/// default and shared keystores `0`, `1`, `2` need no keystore record.
pub fn insert_key_needs_existing_dedicated_keystore(new: &dyn Fn() -> StoreSet) {
    let s = new();
    assert_eq!(
        s.keys.insert_key(
            &key(1, PROJECT, "a", &id(99)),
            &KeyMaterial::from(wrapped(&id(1), 1, 1))
        ),
        Err(InsertKeyError::KeystoreGone),
        "unknown dedicated keystore"
    );
    assert_eq!(ok(s.keys.get_key(PROJECT, &id(1)), "get"), None);
    assert_eq!(ok(s.keys.get_key_material(&id(1), 1), "material"), None);
    for (n, shared) in [(2, "0"), (3, "1"), (4, "2")] {
        ok(
            s.keys.insert_key(
                &key(n, PROJECT, &format!("shared-{shared}"), shared),
                &KeyMaterial::from(wrapped(&id(n), 1, 1)),
            ),
            "keys in the default and shared keystores need no keystore record",
        );
    }
    ok(
        s.keystores
            .insert_keystore(&keystore(5, DOMAIN, "ks", None)),
        "keystore",
    );
    assert_eq!(
        ok(s.keystores.delete_keystore(DOMAIN, &id(5)), "delete"),
        DeleteKeystoreOutcome::Deleted
    );
    assert_eq!(
        s.keys.insert_key(
            &key(6, PROJECT, "b", &id(5)),
            &KeyMaterial::from(wrapped(&id(6), 1, 1))
        ),
        Err(InsertKeyError::KeystoreGone),
        "deleted dedicated keystore"
    );
    assert_eq!(ok(s.keys.count_keys_in_keystore(&id(5)), "count"), 0);
}

/// `count_keys_in_keystore` counts the keys of every project in one
/// keystore, and no other keystore's.
pub fn count_keys_in_keystore_counts_every_project(new: &dyn Fn() -> StoreSet) {
    let s = new();
    for n in [1, 2] {
        ok(
            s.keystores
                .insert_keystore(&keystore(n, DOMAIN, &format!("ks{n}"), None)),
            "keystore",
        );
    }
    assert_eq!(ok(s.keys.count_keys_in_keystore(&id(1)), "count"), 0);
    for (n, project, ks) in [(10, PROJECT, 1), (11, OTHER_PROJECT, 1), (12, PROJECT, 2)] {
        ok(
            s.keys.insert_key(
                &key(n, project, &format!("k{n}"), &id(ks)),
                &KeyMaterial::from(wrapped(&id(n), 1, 1)),
            ),
            "key",
        );
    }
    ok(
        s.keys.insert_key(
            &key(13, PROJECT, "k13", "0"),
            &KeyMaterial::from(wrapped(&id(13), 1, 1)),
        ),
        "key",
    );
    assert_eq!(ok(s.keys.count_keys_in_keystore(&id(1)), "count"), 2);
    assert_eq!(ok(s.keys.count_keys_in_keystore(&id(2)), "count"), 1);
    assert_eq!(ok(s.keys.count_keys_in_keystore(&id(3)), "count"), 0);
    assert_eq!(ok(s.keys.count_keys_in_keystore("0"), "count"), 1);
}

// ---------------------------------------------------------------- keys

/// Every field of a key comes back as inserted (by get_key and list_keys),
/// for every state, with and without a deletion time, for several
/// versions, for both origins.
pub fn key_round_trip(new: &dyn Fn() -> StoreSet) {
    let s = new();
    ok(
        s.keystores
            .insert_keystore(&keystore(100, DOMAIN, "ks", None)),
        "keystore",
    );
    let records = [
        key(1, PROJECT, "plain", "0"),
        KeyRecord {
            domain_id: OTHER_DOMAIN.to_owned(),
            description: "Beschreibung ✓ with \"quotes\" and 'apostrophes'".to_owned(),
            state: KeyState::Disabled,
            current_version: 7,
            create_time: Timestamp(-5),
            origin: KeyOrigin::External,
            ..key(2, PROJECT, "disabled", "1")
        },
        KeyRecord {
            state: KeyState::PendingDeletion,
            deletion_time: Some(Timestamp(1_900_000_000_000)),
            current_version: u32::MAX,
            description: String::new(),
            ..key(3, OTHER_PROJECT, "pending", &id(100))
        },
    ];
    for r in &records {
        ok(
            s.keys.insert_key(
                r,
                &KeyMaterial::from(wrapped(&r.key_id, r.current_version, 9)),
            ),
            "insert key",
        );
    }
    for r in &records {
        assert_eq!(
            ok(s.keys.get_key(&r.project_id, &r.key_id), "get").as_deref(),
            Some(r),
            "get_key must return every field as inserted"
        );
    }
    // list_keys reads the same columns: every field, origin included.
    let (total, listed) = ok(
        s.keys.list_keys(PROJECT, &query(None, 0, 0, 10)),
        "list_keys",
    );
    assert_eq!(total, 2);
    assert_eq!(
        listed,
        [records[1].clone(), records[0].clone()],
        "oldest first, as inserted"
    );
}

/// A key pair: its spec and usage round-trip, its version-1 material is the
/// variable-length sealed private key, byte for byte, and list_keys filters
/// by spec.
pub fn key_pair_round_trip_and_spec_filter(new: &dyn Fn() -> StoreSet) {
    let s = new();
    let aes = key(1, PROJECT, "aes", "0");
    ok(
        s.keys
            .insert_key(&aes, &KeyMaterial::from(wrapped(&aes.key_id, 1, 1))),
        "insert aes",
    );
    let mut pairs = Vec::new();
    for (n, spec) in [
        (2, CmkSpec::Rsa2048),
        (3, CmkSpec::EcP256),
        (4, CmkSpec::Rsa2048),
    ] {
        let k = KeyRecord {
            spec,
            usage: KeyUsage::SignVerify,
            ..key(n, PROJECT, &format!("pair-{n}"), "0")
        };
        // A real sealed private key (about 1.3 KiB for RSA-2048).
        let pair = kms_crypto::SigningKey::generate(
            match spec {
                CmkSpec::EcP256 => kms_crypto::SigningKeySpec::EcP256,
                _ => kms_crypto::SigningKeySpec::Rsa2048,
            },
            &mut rand_chacha::ChaCha20Rng::from_seed([n as u8; 32]),
        )
        .unwrap_or_else(|e| panic!("key pair: {e}"));
        let root = RootKey::from_bytes(&[1u8; 32]).unwrap_or_else(|e| panic!("root key: {e}"));
        let sealed = root
            .seal_signing_key(
                &mut rand_chacha::ChaCha20Rng::from_seed([0; 32]),
                &k.key_id,
                &pair,
            )
            .unwrap_or_else(|e| panic!("seal: {e}"));
        ok(
            s.keys
                .insert_key(&k, &KeyMaterial::SealedKeyPair(sealed.clone())),
            "insert key pair",
        );
        assert_eq!(
            ok(s.keys.get_key(PROJECT, &k.key_id), "get").as_deref(),
            Some(&k),
            "a key pair's spec and usage must round-trip"
        );
        assert_eq!(
            ok(s.keys.get_key_material(&k.key_id, 1), "material").as_deref(),
            Some(sealed.as_bytes()),
            "a key pair's sealed private key must round-trip byte for byte"
        );
        pairs.push(k.key_id);
    }
    let only = |spec| {
        let q = KeyListQuery {
            spec,
            ..query(None, 0, 0, 100)
        };
        let (total, page) = ok(s.keys.list_keys(PROJECT, &q), "list");
        assert_eq!(total, page.len() as u64, "total of a spec filter");
        key_ids(&page)
    };
    assert_eq!(only(None).len(), 4, "no spec filter: every key");
    assert_eq!(
        only(Some(CmkSpec::Aes256)),
        vec![aes.key_id.clone()],
        "AES_256 only"
    );
    assert_eq!(
        only(Some(CmkSpec::Rsa2048)),
        vec![pairs[0].clone(), pairs[2].clone()],
        "RSA_2048 only"
    );
    assert_eq!(
        only(Some(CmkSpec::EcP256)),
        vec![pairs[1].clone()],
        "EC_P256 only"
    );
    assert!(only(Some(CmkSpec::Rsa4096)).is_empty(), "no RSA_4096 key");
}

/// Unknown keys: `None`, no material, `false`.
pub fn key_not_found(new: &dyn Fn() -> StoreSet) {
    let s = new();
    assert_eq!(ok(s.keys.get_key(PROJECT, &id(1)), "get"), None);
    assert_eq!(ok(s.keys.get_key_material(&id(1), 1), "material"), None);
    assert!(
        !ok(
            s.keys
                .set_key_state(PROJECT, &id(1), KeyState::Disabled, None),
            "set state"
        ),
        "set_key_state of an unknown key must be false"
    );
    assert_eq!(ok(s.keys.count_keys_in_keystore(&id(1)), "count"), 0);
}

/// The material is stored under the key's `current_version`, byte for
/// byte, and under no other version; it survives state changes.
pub fn key_material_per_version(new: &dyn Fn() -> StoreSet) {
    let s = new();
    let a = KeyRecord {
        current_version: 3,
        ..key(1, PROJECT, "a", "0")
    };
    let wa = wrapped(&id(1), 3, 1);
    let wb = wrapped(&id(2), 1, 2);
    ok(
        s.keys.insert_key(&a, &KeyMaterial::from(wa.clone())),
        "insert a",
    );
    ok(
        s.keys
            .insert_key(&key(2, PROJECT, "b", "0"), &KeyMaterial::from(wb.clone())),
        "insert b",
    );
    assert_eq!(
        ok(s.keys.get_key_material(&id(1), 3), "material").as_deref(),
        Some(wa.as_bytes()),
        "material of the current version, byte for byte"
    );
    for v in [0, 1, 2, 4, u32::MAX] {
        assert_eq!(
            ok(s.keys.get_key_material(&id(1), v), "material"),
            None,
            "no material under version {v}"
        );
    }
    assert_eq!(
        ok(s.keys.get_key_material(&id(2), 1), "material").as_deref(),
        Some(wb.as_bytes())
    );
    ok(
        s.keys
            .set_key_state(PROJECT, &id(1), KeyState::Disabled, None),
        "disable",
    );
    assert_eq!(
        ok(s.keys.get_key_material(&id(1), 3), "material").as_deref(),
        Some(wa.as_bytes()),
        "state changes keep the material"
    );
}

/// "Only if its alias is free within the project": a taken alias is
/// `AliasTaken` (whatever the keystore) and stores neither the key nor its
/// material; another project may use the alias.
pub fn key_alias_unique_per_project(new: &dyn Fn() -> StoreSet) {
    let s = new();
    ok(
        s.keys.insert_key(
            &key(1, PROJECT, "alias", "0"),
            &KeyMaterial::from(wrapped(&id(1), 1, 1)),
        ),
        "first",
    );
    assert_eq!(
        s.keys.insert_key(
            &key(2, PROJECT, "alias", "1"),
            &KeyMaterial::from(wrapped(&id(2), 1, 2))
        ),
        Err(InsertKeyError::AliasTaken),
        "same alias, same project, other keystore"
    );
    assert_eq!(ok(s.keys.get_key(PROJECT, &id(2)), "get"), None);
    assert_eq!(
        ok(s.keys.get_key_material(&id(2), 1), "material"),
        None,
        "a refused insert stores no material"
    );
    ok(
        s.keys.insert_key(
            &KeyRecord {
                domain_id: OTHER_DOMAIN.to_owned(),
                ..key(3, OTHER_PROJECT, "alias", "0")
            },
            &KeyMaterial::from(wrapped(&id(3), 1, 3)),
        ),
        "the same alias in another project is free",
    );
}

/// A key whose alias is taken **and** whose keystore is gone is refused
/// with one of the two answers and stores nothing.
pub fn key_insert_breaking_both_rules_inserts_nothing(new: &dyn Fn() -> StoreSet) {
    let s = new();
    ok(
        s.keys.insert_key(
            &key(1, PROJECT, "alias", "0"),
            &KeyMaterial::from(wrapped(&id(1), 1, 1)),
        ),
        "first",
    );
    let r = s.keys.insert_key(
        &key(2, PROJECT, "alias", &id(99)),
        &KeyMaterial::from(wrapped(&id(2), 1, 2)),
    );
    assert!(
        matches!(
            r,
            Err(InsertKeyError::AliasTaken | InsertKeyError::KeystoreGone)
        ),
        "alias taken and keystore gone: got {r:?}"
    );
    assert_eq!(ok(s.keys.get_key(PROJECT, &id(2)), "get"), None);
    assert_eq!(ok(s.keys.get_key_material(&id(2), 1), "material"), None);
}

/// Enabled -> Disabled -> PendingDeletion(t) -> Disabled -> Enabled: the
/// state and the deletion time are both replaced (cancelling clears it),
/// every other field is unchanged.
pub fn key_state_transitions(new: &dyn Fn() -> StoreSet) {
    let s = new();
    let rec = key(1, PROJECT, "a", "0");
    ok(
        s.keys
            .insert_key(&rec, &KeyMaterial::from(wrapped(&id(1), 1, 1))),
        "insert",
    );
    for (state, deletion) in [
        (KeyState::Disabled, None),
        (
            KeyState::PendingDeletion,
            Some(Timestamp(1_800_000_000_000)),
        ),
        (KeyState::Disabled, None),
        (KeyState::Enabled, None),
        (KeyState::Enabled, None),
    ] {
        assert!(
            ok(
                s.keys.set_key_state(PROJECT, &id(1), state, deletion),
                "set state"
            ),
            "set_key_state of an existing key must be true ({state:?})"
        );
        let want = KeyRecord {
            state,
            deletion_time: deletion,
            ..rec.clone()
        };
        assert_eq!(
            ok(s.keys.get_key(PROJECT, &id(1)), "get").as_deref(),
            Some(&want),
            "after set_key_state({state:?}, {deletion:?})"
        );
    }
}

/// A key created with origin `external` is stored with no version: state
/// `5`, `current_version` 0, no material; it lists under its state, can be
/// scheduled for deletion and return to waiting, and takes its alias.
pub fn key_awaiting_import(new: &dyn Fn() -> StoreSet) {
    let s = new();
    let rec = KeyRecord {
        state: KeyState::PendingImport,
        current_version: 0,
        origin: KeyOrigin::External,
        ..key(1, PROJECT, "byok", "0")
    };
    ok(
        s.keys.insert_key(&rec, &KeyMaterial::AwaitingImport),
        "insert",
    );
    assert_eq!(
        ok(s.keys.get_key(PROJECT, &id(1)), "get").as_deref(),
        Some(&rec)
    );
    for version in [0, 1] {
        assert_eq!(
            ok(s.keys.get_key_material(&id(1), version), "material"),
            None,
            "a key awaiting import has no version {version}"
        );
    }
    let (total, page) = ok(
        s.keys
            .list_keys(PROJECT, &query(Some(KeyState::PendingImport), 0, 0, 10)),
        "list pending import",
    );
    assert_eq!((total, key_ids(&page)), (1, vec![id(1)]));
    let (total, _) = ok(
        s.keys
            .list_keys(PROJECT, &query(Some(KeyState::Enabled), 0, 0, 10)),
        "list enabled",
    );
    assert_eq!(total, 0);
    let deletion = Some(Timestamp(1_800_000_000_000));
    for (state, deletion) in [
        (KeyState::PendingDeletion, deletion),
        (KeyState::PendingImport, None),
    ] {
        assert!(ok(
            s.keys.set_key_state(PROJECT, &id(1), state, deletion),
            "set state"
        ));
        assert_eq!(
            ok(s.keys.get_key(PROJECT, &id(1)), "get").map(|k| (k.state, k.deletion_time)),
            Some((state, deletion))
        );
    }
    assert_eq!(
        s.keys.insert_key(
            &key(2, PROJECT, "byok", "0"),
            &KeyMaterial::from(wrapped(&id(2), 1, 2))
        ),
        Err(InsertKeyError::AliasTaken),
        "the waiting key holds its alias"
    );
}

/// Another project sees nothing of a key and cannot change its state.
pub fn key_tenancy(new: &dyn Fn() -> StoreSet) {
    let s = new();
    let rec = key(1, PROJECT, "a", "0");
    ok(
        s.keys
            .insert_key(&rec, &KeyMaterial::from(wrapped(&id(1), 1, 1))),
        "insert",
    );
    assert_eq!(
        ok(s.keys.get_key(OTHER_PROJECT, &id(1)), "get"),
        None,
        "another project's key is None"
    );
    assert!(
        !ok(
            s.keys.set_key_state(
                OTHER_PROJECT,
                &id(1),
                KeyState::PendingDeletion,
                Some(Timestamp(1))
            ),
            "set"
        ),
        "another project cannot change the state"
    );
    assert_eq!(
        ok(s.keys.get_key(PROJECT, &id(1)), "get").as_deref(),
        Some(&rec),
        "the owner's key is untouched"
    );
}

// ---------------------------------------------------------------- PIN verifiers

/// A verifier is recorded for one domain and one keystore; recording it
/// twice is harmless; several verifiers coexist.
pub fn pin_verifier_per_domain_and_keystore(new: &dyn Fn() -> StoreSet) {
    let s = new();
    let p = &*s.pins;
    let (v, w) = (verifier(3), verifier(4));
    let has = |d: &str, k: &str, x: &PinVerifier| ok(p.has_pin_verifier(d, k, x), "has");
    assert!(!has(DOMAIN, "1", &v), "nothing recorded yet");
    ok(p.insert_pin_verifier(DOMAIN, "1", &v), "insert");
    ok(
        p.insert_pin_verifier(DOMAIN, "1", &v),
        "recording the same verifier again is not an error",
    );
    assert!(has(DOMAIN, "1", &v));
    assert!(!has(DOMAIN, "2", &v), "another keystore");
    assert!(!has(OTHER_DOMAIN, "1", &v), "another domain");
    assert!(!has(DOMAIN, "1", &w), "another verifier");
    ok(p.insert_pin_verifier(DOMAIN, "1", &w), "insert");
    assert!(has(DOMAIN, "1", &v) && has(DOMAIN, "1", &w), "both kept");
    ok(p.insert_pin_verifier(OTHER_DOMAIN, &id(1), &v), "insert");
    assert!(has(OTHER_DOMAIN, &id(1), &v));
    assert!(!has(DOMAIN, &id(1), &v));
}

// ---------------------------------------------------------------- certificates

/// Every field of a certificate (record, PEMs, trusted root) comes back as
/// inserted, global and instance-scoped, with and without optional parts.
pub fn certificate_round_trip(new: &dyn Fn() -> StoreSet) {
    let s = new();
    let full = certificate(1, PROJECT, "full_cert");
    let mut sparse = instance_certificate(2, PROJECT, "sparse_cert", "inst-1");
    sparse.trusted_root_ca = None;
    sparse.record.is_has_trusted_root_ca = Some(false);
    sparse.record.algorithm_type = None;
    sparse.record.san = vec![];
    sparse.record.organization = vec![];
    sparse.record.version = 1;
    sparse.record.signature_algorithm = "0".to_owned();
    for c in [&full, &sparse] {
        ok(s.certificates.insert_certificate(c), "insert");
    }
    for c in [&full, &sparse] {
        assert_eq!(
            ok(s.certificates.get_certificate(PROJECT, &c.record.id), "get"),
            Some(c.clone()),
            "get_certificate must return every field as inserted"
        );
    }
    let (total, page) = ok(
        s.certificates
            .list_certificates(PROJECT, &CertificateFilter::default(), 0, 10),
        "list",
    );
    assert_eq!(total, 2);
    assert_eq!(
        page,
        vec![full, sparse],
        "list_certificates must return every field"
    );
}

/// Unknown certificates: `None`, `false`, `NotFound`, an empty list.
pub fn certificate_not_found(new: &dyn Fn() -> StoreSet) {
    let s = new();
    let c = &*s.certificates;
    let cert = certificate(1, PROJECT, "name_a");
    assert_eq!(ok(c.get_certificate(PROJECT, &cert.record.id), "get"), None);
    assert!(!ok(
        c.delete_certificate(PROJECT, &cert.record.id),
        "delete"
    ));
    assert_eq!(
        c.update_certificate(&cert),
        Err(CertificateWriteError::NotFound)
    );
    assert_eq!(
        ok(c.get_certificate(PROJECT, &cert.record.id), "get"),
        None,
        "an update of an unknown certificate inserts nothing"
    );
    assert_eq!(
        ok(
            c.list_certificates(PROJECT, &CertificateFilter::default(), 0, 10),
            "list"
        ),
        (0, vec![])
    );
}

/// "Only if the name is free within the project and scope": scope is
/// `(type, instance_id)`; another scope or project is free.
pub fn certificate_name_unique_per_project_and_scope(new: &dyn Fn() -> StoreSet) {
    let s = new();
    let c = &*s.certificates;
    ok(
        c.insert_certificate(&certificate(1, PROJECT, "name_x")),
        "first",
    );
    let dup = certificate(2, PROJECT, "name_x");
    assert_eq!(
        c.insert_certificate(&dup),
        Err(CertificateWriteError::NameTaken),
        "same name, project and scope"
    );
    assert_eq!(
        ok(c.get_certificate(PROJECT, &dup.record.id), "get"),
        None,
        "a refused insert must insert nothing"
    );
    ok(
        c.insert_certificate(&instance_certificate(3, PROJECT, "name_x", "inst-1")),
        "instance scope is another scope",
    );
    ok(
        c.insert_certificate(&instance_certificate(4, PROJECT, "name_x", "inst-2")),
        "another instance is another scope",
    );
    assert_eq!(
        c.insert_certificate(&instance_certificate(5, PROJECT, "name_x", "inst-1")),
        Err(CertificateWriteError::NameTaken),
        "same instance scope"
    );
    ok(
        c.insert_certificate(&certificate(6, OTHER_PROJECT, "name_x")),
        "another project",
    );
    ok(
        c.insert_certificate(&certificate(7, PROJECT, "name_y")),
        "another name",
    );
    let all = CertificateFilter::default();
    assert_eq!(ok(c.list_certificates(PROJECT, &all, 0, 10), "list").0, 4);
}

/// Update replaces every field; keeping its own name is fine; a name taken
/// in the (new) scope is `NameTaken` and changes nothing; moving scope
/// frees the name check; an unknown id or another project's is `NotFound`.
pub fn certificate_update(new: &dyn Fn() -> StoreSet) {
    let s = new();
    let c = &*s.certificates;
    let a = certificate(1, PROJECT, "alpha");
    let b = certificate(2, PROJECT, "beta");
    ok(c.insert_certificate(&a), "a");
    ok(c.insert_certificate(&b), "b");
    let get = |id: &str| ok(c.get_certificate(PROJECT, id), "get");

    let mut a2 = certificate(1, PROJECT, "gamma");
    a2.record.common_name = "new.example.net".to_owned();
    a2.record.san = vec!["new.example.net".to_owned()];
    a2.record.signature_algorithm = "ECDSA-SHA256".to_owned();
    a2.record.algorithm_type = Some("ECC".to_owned());
    a2.record.not_after = "2040-01-01T00:00:00Z".to_owned();
    a2.record.update_time = "2025-01-01T00:00:00Z".to_owned();
    a2.record.is_has_trusted_root_ca = Some(false);
    a2.cert_pem = "new cert pem".to_owned();
    a2.sealed_private_key = sealed_private_key(PROJECT, &a.record.id, "new key");
    a2.trusted_root_ca = None;
    ok(c.update_certificate(&a2), "update every field");
    assert_eq!(
        get(&a.record.id),
        Some(a2.clone()),
        "update replaces every field"
    );

    let mut a3 = a2.clone();
    a3.record.update_time = "2025-02-01T00:00:00Z".to_owned();
    ok(c.update_certificate(&a3), "keeping its own name");
    assert_eq!(get(&a.record.id), Some(a3.clone()));

    let mut taken = a3.clone();
    taken.record.name = "beta".to_owned();
    taken.cert_pem = "must not be written".to_owned();
    assert_eq!(
        c.update_certificate(&taken),
        Err(CertificateWriteError::NameTaken),
        "renaming to a name taken in the scope"
    );
    assert_eq!(
        get(&a.record.id),
        Some(a3.clone()),
        "a refused update changes nothing"
    );
    assert_eq!(get(&b.record.id), Some(b.clone()));

    let mut moved = instance_certificate(1, PROJECT, "beta", "inst-1");
    moved.record.update_time = "2025-03-01T00:00:00Z".to_owned();
    ok(
        c.update_certificate(&moved),
        "the name is free in the new scope",
    );
    assert_eq!(get(&a.record.id), Some(moved.clone()));
    ok(
        c.insert_certificate(&certificate(3, PROJECT, "gamma")),
        "the old name is free again",
    );

    let foreign = certificate(1, OTHER_PROJECT, "delta");
    assert_eq!(
        c.update_certificate(&foreign),
        Err(CertificateWriteError::NotFound),
        "another project's certificate"
    );
    assert_eq!(get(&a.record.id), Some(moved));
    assert_eq!(
        ok(c.get_certificate(OTHER_PROJECT, &foreign.record.id), "get"),
        None
    );

    let missing = certificate(99, PROJECT, "epsilon");
    assert_eq!(
        c.update_certificate(&missing),
        Err(CertificateWriteError::NotFound),
        "unknown id"
    );
    assert_eq!(get(&missing.record.id), None, "an update inserts nothing");
}

/// An update of an id that does not exist is `NotFound` even when its name
/// is taken: there is nothing to rename. (The port docs list both errors
/// without ranking them; this case pins the order the SQL adapter gives,
/// one `UPDATE ... WHERE id`, so callers see a 404 for a missing resource.)
pub fn certificate_update_of_missing_id_is_not_found_even_if_name_taken(
    new: &dyn Fn() -> StoreSet,
) {
    let s = new();
    let c = &*s.certificates;
    ok(
        c.insert_certificate(&certificate(1, PROJECT, "taken_name")),
        "insert",
    );
    assert_eq!(
        c.update_certificate(&certificate(2, PROJECT, "taken_name")),
        Err(CertificateWriteError::NotFound),
        "update of a missing id with a taken name"
    );
}

/// Delete is `true` once, then `false`; another project's delete is
/// `false` and leaves the certificate; a deleted name is free again.
pub fn certificate_delete(new: &dyn Fn() -> StoreSet) {
    let s = new();
    let c = &*s.certificates;
    let a = certificate(1, PROJECT, "alpha");
    ok(c.insert_certificate(&a), "insert");
    let id = a.record.id.as_str();
    assert!(
        !ok(c.delete_certificate(OTHER_PROJECT, id), "delete"),
        "another project cannot delete"
    );
    assert_eq!(ok(c.get_certificate(PROJECT, id), "get"), Some(a.clone()));
    assert!(ok(c.delete_certificate(PROJECT, id), "delete"));
    assert_eq!(ok(c.get_certificate(PROJECT, id), "get"), None);
    assert!(
        !ok(c.delete_certificate(PROJECT, id), "delete"),
        "second delete"
    );
    ok(
        c.insert_certificate(&certificate(2, PROJECT, "alpha")),
        "a deleted certificate's name is free again",
    );
}

/// Filters: `name` and `common_name` by substring, the rest exact; they
/// combine; `total` counts the matches, not the page.
pub fn certificate_list_filters(new: &dyn Fn() -> StoreSet) {
    let s = new();
    let c = &*s.certificates;
    let one = certificate(1, PROJECT, "alpha_one");
    let mut two = certificate(2, PROJECT, "beta_two");
    two.record.common_name = "beta.example.org".to_owned();
    two.record.signature_algorithm = "ECDSA-SHA256".to_owned();
    two.record.algorithm_type = Some("ECC".to_owned());
    let mut three = instance_certificate(3, PROJECT, "alpha_three", "inst-1");
    three.record.common_name = "gamma.example.com".to_owned();
    let mut four = instance_certificate(4, PROJECT, "delta_four", "inst-2");
    four.record.common_name = "delta.example.net".to_owned();
    four.record.signature_algorithm = "SHA384-RSA".to_owned();
    four.record.algorithm_type = Some("SM2".to_owned());
    for x in [&one, &two, &three, &four] {
        ok(c.insert_certificate(x), "insert");
    }
    ok(
        c.insert_certificate(&certificate(5, OTHER_PROJECT, "alpha_other")),
        "insert",
    );
    let list = |f: CertificateFilter, offset, limit| {
        let (total, page) = ok(c.list_certificates(PROJECT, &f, offset, limit), "list");
        (total, ids_of_certs(&page))
    };
    let f = CertificateFilter::default;
    let all = |ns: &[usize]| (ns.len() as u64, cert_ids(ns));
    assert_eq!(list(f(), 0, 10), all(&[1, 2, 3, 4]), "no filter");
    let checks: [(&str, CertificateFilter, &[usize]); 12] = [
        (
            "name substring",
            CertificateFilter {
                name: Some("alpha".into()),
                ..f()
            },
            &[1, 3],
        ),
        (
            "name substring in the middle",
            CertificateFilter {
                name: Some("a_t".into()),
                ..f()
            },
            &[2, 3],
        ),
        (
            "common_name substring",
            CertificateFilter {
                common_name: Some("example.com".into()),
                ..f()
            },
            &[1, 3],
        ),
        (
            "signature_algorithm exact",
            CertificateFilter {
                signature_algorithm: Some("SHA256-RSA".into()),
                ..f()
            },
            &[1, 3],
        ),
        (
            "signature_algorithm is not a substring match",
            CertificateFilter {
                signature_algorithm: Some("SHA256".into()),
                ..f()
            },
            &[],
        ),
        (
            "type",
            CertificateFilter {
                r#type: Some("instance".into()),
                ..f()
            },
            &[3, 4],
        ),
        (
            "type global",
            CertificateFilter {
                r#type: Some("global".into()),
                ..f()
            },
            &[1, 2],
        ),
        (
            "instance_id exact",
            CertificateFilter {
                instance_id: Some("inst-1".into()),
                ..f()
            },
            &[3],
        ),
        (
            "instance_id is not a substring match",
            CertificateFilter {
                instance_id: Some("inst".into()),
                ..f()
            },
            &[],
        ),
        (
            "algorithm_type exact",
            CertificateFilter {
                algorithm_type: Some("RSA".into()),
                ..f()
            },
            &[1, 3],
        ),
        (
            "combined",
            CertificateFilter {
                name: Some("alpha".into()),
                r#type: Some("instance".into()),
                algorithm_type: Some("RSA".into()),
                ..f()
            },
            &[3],
        ),
        (
            "nothing matches",
            CertificateFilter {
                name: Some("zzz".into()),
                ..f()
            },
            &[],
        ),
    ];
    for (what, filter, want) in checks {
        assert_eq!(list(filter, 0, 10), all(want), "filter: {what}");
    }
    let alpha = CertificateFilter {
        name: Some("alpha".into()),
        ..f()
    };
    assert_eq!(
        list(alpha.clone(), 1, 1),
        (2, cert_ids(&[3])),
        "a page of the matches; total counts every match"
    );
    assert_eq!(list(alpha, 2, 1), (2, vec![]), "past the matches");
}

/// Pages of certificates: oldest (first inserted) first, the total is the
/// project's count whatever the page; an update keeps the position.
pub fn certificate_list_paging(new: &dyn Fn() -> StoreSet) {
    let s = new();
    let c = &*s.certificates;
    for n in 0..5 {
        ok(
            c.insert_certificate(&certificate(n, PROJECT, &format!("cert_{n}"))),
            "insert",
        );
    }
    ok(
        c.insert_certificate(&certificate(9, OTHER_PROJECT, "cert_9")),
        "insert",
    );
    let page = |offset, limit| {
        let (total, page) = ok(
            c.list_certificates(PROJECT, &CertificateFilter::default(), offset, limit),
            "list",
        );
        (total, ids_of_certs(&page))
    };
    assert_eq!(page(0, 2), (5, cert_ids(&[0, 1])), "first page");
    assert_eq!(page(2, 2), (5, cert_ids(&[2, 3])), "second page");
    assert_eq!(page(4, 2), (5, cert_ids(&[4])), "last, short page");
    assert_eq!(page(5, 2), (5, vec![]), "offset at the end");
    assert_eq!(page(u64::MAX, 2), (5, vec![]), "huge offset");
    assert_eq!(page(0, 0), (5, vec![]), "limit 0");
    assert_eq!(
        page(0, u64::MAX),
        (5, cert_ids(&[0, 1, 2, 3, 4])),
        "huge limit"
    );
    let mut renamed = certificate(0, PROJECT, "renamed_0");
    renamed.record.update_time = "2030-01-01T00:00:00Z".to_owned();
    ok(c.update_certificate(&renamed), "update");
    assert_eq!(
        page(0, 1),
        (5, cert_ids(&[0])),
        "an updated certificate keeps its place"
    );
}

/// Another project sees nothing of a certificate and cannot change it.
pub fn certificate_tenancy(new: &dyn Fn() -> StoreSet) {
    let s = new();
    let c = &*s.certificates;
    let a = certificate(1, PROJECT, "alpha");
    ok(c.insert_certificate(&a), "insert");
    let id = a.record.id.as_str();
    assert_eq!(ok(c.get_certificate(OTHER_PROJECT, id), "get"), None);
    assert_eq!(
        ok(
            c.list_certificates(OTHER_PROJECT, &CertificateFilter::default(), 0, 10),
            "list"
        ),
        (0, vec![])
    );
    assert_eq!(
        c.update_certificate(&certificate(1, OTHER_PROJECT, "alpha")),
        Err(CertificateWriteError::NotFound)
    );
    assert!(!ok(c.delete_certificate(OTHER_PROJECT, id), "delete"));
    assert_eq!(
        ok(c.get_certificate(PROJECT, id), "get"),
        Some(a),
        "untouched"
    );
}

// ---------------------------------------------------------------- ids

/// An insert reusing an existing id (with a free alias or name) must not
/// replace or duplicate the stored record or its material; any error is
/// acceptable. Not stated in the port docs (ids come fresh from the
/// `IdGenerator`), but an adapter that overwrites would silently lose a
/// CMK's material on an id collision.
pub fn existing_id_is_never_overwritten(new: &dyn Fn() -> StoreSet) {
    let s = new();
    let ks = keystore(1, DOMAIN, "first", None);
    ok(s.keystores.insert_keystore(&ks), "keystore");
    let again = s
        .keystores
        .insert_keystore(&keystore(1, DOMAIN, "second", None));
    assert!(
        again.is_err(),
        "a keystore with an existing id must be refused"
    );
    assert_eq!(
        ok(s.keystores.list_keystores(DOMAIN, 0, 10), "list"),
        (1, vec![ks])
    );

    let k = key(2, PROJECT, "first", "0");
    let w = wrapped(&id(2), 1, 1);
    ok(s.keys.insert_key(&k, &KeyMaterial::from(w.clone())), "key");
    let again = s.keys.insert_key(
        &key(2, PROJECT, "second", "0"),
        &KeyMaterial::from(wrapped(&id(2), 1, 2)),
    );
    assert!(again.is_err(), "a key with an existing id must be refused");
    assert_eq!(
        ok(s.keys.get_key(PROJECT, &id(2)), "get").as_deref(),
        Some(&k),
        "the first key is kept"
    );
    assert_eq!(
        ok(s.keys.get_key_material(&id(2), 1), "material").as_deref(),
        Some(w.as_bytes()),
        "the first key's material is kept"
    );

    let c = certificate(3, PROJECT, "first");
    ok(s.certificates.insert_certificate(&c), "certificate");
    let again = s
        .certificates
        .insert_certificate(&certificate(3, PROJECT, "second"));
    assert!(
        again.is_err(),
        "a certificate with an existing id must be refused"
    );
    assert_eq!(
        ok(
            s.certificates
                .list_certificates(PROJECT, &CertificateFilter::default(), 0, 10),
            "list"
        ),
        (1, vec![c])
    );
}

// ---------------------------------------------------------------- races

/// 8 threads insert keystores with one alias in one domain: one wins, the
/// others get `AliasTaken`, one keystore exists.
pub fn race_keystore_alias(new: &dyn Fn() -> StoreSet) {
    let s = new();
    let ks = &*s.keystores;
    let results = race(|i| ks.insert_keystore(&keystore(i, DOMAIN, "same", None)));
    one_winner(&results, &InsertKeystoreError::AliasTaken, "keystore alias");
    assert_eq!(ok(ks.list_keystores(DOMAIN, 0, 100), "list").0, 1);
}

/// 8 threads insert keystores (of different domains) on one cluster: one
/// wins, the others get `ClusterTaken`.
pub fn race_keystore_cluster(new: &dyn Fn() -> StoreSet) {
    let s = new();
    let ks = &*s.keystores;
    let results = race(|i| {
        let domain = if i % 2 == 0 { DOMAIN } else { OTHER_DOMAIN };
        ks.insert_keystore(&keystore(i, domain, &format!("a{i}"), Some("cluster")))
    });
    one_winner(&results, &InsertKeystoreError::ClusterTaken, "cluster");
    let total = ok(ks.list_keystores(DOMAIN, 0, 100), "list").0
        + ok(ks.list_keystores(OTHER_DOMAIN, 0, 100), "list").0;
    assert_eq!(total, 1, "one keystore on the cluster");
}

/// 8 threads insert keys with one alias in one project: one wins, the
/// others get `AliasTaken` and leave no material behind.
pub fn race_key_alias(new: &dyn Fn() -> StoreSet) {
    let s = new();
    let keys = &*s.keys;
    let results = race(|i| {
        keys.insert_key(
            &key(i, PROJECT, "same", "0"),
            &KeyMaterial::from(wrapped(&id(i), 1, 1)),
        )
    });
    one_winner(&results, &InsertKeyError::AliasTaken, "key alias");
    for (i, r) in results.iter().enumerate() {
        let stored = ok(keys.get_key(PROJECT, &id(i)), "get").is_some();
        let material = ok(keys.get_key_material(&id(i), 1), "material").is_some();
        assert_eq!(
            (stored, material),
            (r.is_ok(), r.is_ok()),
            "only the winner is stored, with its material"
        );
    }
}

/// 8 threads insert certificates with one name in one scope: one wins.
pub fn race_certificate_name(new: &dyn Fn() -> StoreSet) {
    let s = new();
    let c = &*s.certificates;
    let results = race(|i| c.insert_certificate(&certificate(i, PROJECT, "same_name")));
    one_winner(
        &results,
        &CertificateWriteError::NameTaken,
        "certificate name",
    );
    let all = CertificateFilter::default();
    assert_eq!(ok(c.list_certificates(PROJECT, &all, 0, 100), "list").0, 1);
}

/// 8 threads rename 8 certificates to one name: one wins, exactly one
/// certificate has the name.
pub fn race_certificate_rename(new: &dyn Fn() -> StoreSet) {
    let s = new();
    let c = &*s.certificates;
    for i in 0..RACE_THREADS {
        ok(
            c.insert_certificate(&certificate(i, PROJECT, &format!("cert_{i}"))),
            "insert",
        );
    }
    let results = race(|i| c.update_certificate(&certificate(i, PROJECT, "same_name")));
    one_winner(
        &results,
        &CertificateWriteError::NameTaken,
        "certificate rename",
    );
    let (total, page) = ok(
        c.list_certificates(PROJECT, &CertificateFilter::default(), 0, 100),
        "list",
    );
    assert_eq!(total as usize, RACE_THREADS, "renames delete nothing");
    assert_eq!(
        page.iter().filter(|x| x.record.name == "same_name").count(),
        1,
        "exactly one certificate has the name"
    );
}

/// One thread deletes a dedicated keystore while 7 insert keys into it,
/// 10 rounds: either the delete wins (and every insert is
/// `KeystoreGone`) or a key exists and so does the keystore. Never a key
/// in a deleted keystore.
pub fn race_delete_keystore_against_key_insert(new: &dyn Fn() -> StoreSet) {
    for round in 0..10 {
        let s = new();
        let ks_id = id(1000 + round);
        ok(
            s.keystores.insert_keystore(&KeystoreRecord {
                keystore_id: ks_id.clone(),
                ..keystore(0, DOMAIN, "ks", None)
            }),
            "keystore",
        );
        let results = race(|i| {
            if i == 0 {
                Err(ok(s.keystores.delete_keystore(DOMAIN, &ks_id), "delete"))
            } else {
                Ok(s.keys.insert_key(
                    &key(i, PROJECT, &format!("a{i}"), &ks_id),
                    &KeyMaterial::from(wrapped(&id(i), 1, 1)),
                ))
            }
        });
        let deleted = results
            .iter()
            .any(|r| matches!(r, Err(DeleteKeystoreOutcome::Deleted)));
        let keys = ok(s.keys.count_keys_in_keystore(&ks_id), "count");
        if deleted {
            assert_eq!(
                keys, 0,
                "round {round}: keystore deleted while holding keys"
            );
            for r in results.iter().flatten() {
                assert_eq!(
                    *r,
                    Err(InsertKeyError::KeystoreGone),
                    "round {round}: an insert after the delete"
                );
            }
        } else {
            assert!(
                results
                    .iter()
                    .any(|r| matches!(r, Err(DeleteKeystoreOutcome::HasKeys))),
                "round {round}: the delete must report HasKeys, got {results:?}"
            );
            assert!(keys > 0, "round {round}: HasKeys without a key");
            assert!(
                ok(s.keystores.get_keystore(DOMAIN, &ks_id), "get").is_some(),
                "round {round}: keystore gone although the delete said HasKeys"
            );
            for r in results.iter().flatten() {
                assert_eq!(*r, Ok(()), "round {round}: the keystore stayed");
            }
        }
    }
}

// ---------------------------------------------------------------- other ports

/// A [`ClusterDirectory`] returns every cluster it knows, whoever owns it,
/// field for field, and `None` for an unknown id.
pub fn cluster_directory_lookup(dir: &dyn ClusterDirectory, known: &[ClusterInfo]) {
    for c in known {
        assert_eq!(
            ok(dir.get_cluster(&c.cluster_id), "get_cluster"),
            Some(c.clone()),
            "get_cluster must return the cluster"
        );
    }
    assert_eq!(
        ok(dir.get_cluster("no-such-cluster"), "get_cluster"),
        None,
        "unknown cluster"
    );
}

fn is_resource_id(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    groups.len() == 5
        && groups.iter().zip([8, 4, 4, 4, 12]).all(|(g, n)| {
            g.len() == n
                && g.bytes()
                    .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase())
        })
}

/// An [`IdGenerator`] gives ids of the form
/// `^[0-9a-z]{8}-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{12}$`, all
/// distinct, also when 8 threads draw 100 each at once.
pub fn id_generator_format_and_uniqueness(ids: &dyn IdGenerator) {
    let drawn = race(|_| {
        (0..100)
            .map(|_| ok(ids.new_id(), "new_id"))
            .collect::<Vec<_>>()
    });
    let mut all: Vec<String> = drawn.into_iter().flatten().collect();
    for i in &all {
        assert!(is_resource_id(i), "id {i:?} is not 8-4-4-4-12 of [0-9a-z]");
    }
    let n = all.len();
    all.sort();
    all.dedup();
    assert_eq!(all.len(), n, "ids must be distinct");
}

// ---------------------------------------------------------------- key management

fn key_ids(list: &[KeyRecord]) -> Vec<String> {
    list.iter().map(|k| k.key_id.clone()).collect()
}

fn query(state: Option<KeyState>, live_at: i64, offset: u64, limit: u64) -> KeyListQuery {
    KeyListQuery {
        state,
        spec: None,
        live_at: Timestamp(live_at),
        offset,
        limit,
    }
}

/// list_keys: the project's keys only, oldest first (create time, then
/// key id), the state filter, offset and limit, the total of all matching
/// keys, and keys pending deletion whose deletion time is at or before
/// `live_at` neither listed nor counted (those later still are).
pub fn key_list_filters_paging_and_expiry(new: &dyn Fn() -> StoreSet) {
    let s = new();
    let t = 1_700_000_000_000;
    // Inserted out of order; ids 3 and 4 share a create time.
    for (n, ct) in [(4, t + 5), (1, t + 9), (3, t + 5), (2, t + 1)] {
        let k = KeyRecord {
            create_time: Timestamp(ct),
            ..key(n, PROJECT, &format!("k{n}"), "0")
        };
        ok(
            s.keys
                .insert_key(&k, &KeyMaterial::from(wrapped(&id(n), 1, 1))),
            "insert",
        );
    }
    ok(
        s.keys.insert_key(
            &key(9, OTHER_PROJECT, "other", "0"),
            &KeyMaterial::from(wrapped(&id(9), 1, 1)),
        ),
        "insert other project",
    );
    let (total, page) = ok(s.keys.list_keys(PROJECT, &query(None, t, 0, 100)), "list");
    assert_eq!(total, 4, "only the project's keys are counted");
    assert_eq!(
        key_ids(&page),
        vec![id(2), id(3), id(4), id(1)],
        "oldest first, ties by key id"
    );
    assert_eq!(
        page[0],
        KeyRecord {
            create_time: Timestamp(t + 1),
            ..key(2, PROJECT, "k2", "0")
        },
        "every field round-trips"
    );
    let (total, page) = ok(s.keys.list_keys(PROJECT, &query(None, t, 1, 2)), "page");
    assert_eq!((total, key_ids(&page)), (4, vec![id(3), id(4)]));
    let (_, page) = ok(
        s.keys.list_keys(PROJECT, &query(None, t, 4, 2)),
        "past the end",
    );
    assert!(page.is_empty());
    ok(
        s.keys
            .set_key_state(PROJECT, &id(3), KeyState::Disabled, None),
        "disable",
    );
    ok(
        s.keys.set_key_state(
            PROJECT,
            &id(4),
            KeyState::PendingDeletion,
            Some(Timestamp(t + 100)),
        ),
        "schedule deletion",
    );
    let (total, page) = ok(
        s.keys
            .list_keys(PROJECT, &query(Some(KeyState::Disabled), t, 0, 100)),
        "disabled",
    );
    assert_eq!((total, key_ids(&page)), (1, vec![id(3)]));
    let (total, _) = ok(
        s.keys.list_keys(
            PROJECT,
            &query(Some(KeyState::PendingDeletion), t + 99, 0, 100),
        ),
        "pending before its time",
    );
    assert_eq!(total, 1, "a key pending deletion is listed until its time");
    for at in [t + 100, t + 101] {
        let (total, page) = ok(s.keys.list_keys(PROJECT, &query(None, at, 0, 100)), "gone");
        assert_eq!(
            (total, key_ids(&page)),
            (3, vec![id(2), id(3), id(1)]),
            "a key whose deletion time has come is gone"
        );
    }
    let (total, _) = ok(
        s.keys.list_keys(OTHER_PROJECT, &query(None, t, 0, 100)),
        "other project",
    );
    assert_eq!(total, 1);
}

/// update_key_alias: renames within the project, keeps every other field,
/// refuses an alias another key of the project has (changing nothing),
/// accepts the key's own alias and an alias taken in another project only,
/// and is not-found for an unknown key or another project's key.
pub fn key_alias_update(new: &dyn Fn() -> StoreSet) {
    let s = new();
    ok(
        s.keys.insert_key(
            &key(1, PROJECT, "one", "0"),
            &KeyMaterial::from(wrapped(&id(1), 1, 1)),
        ),
        "insert",
    );
    ok(
        s.keys.insert_key(
            &key(2, PROJECT, "two", "0"),
            &KeyMaterial::from(wrapped(&id(2), 1, 2)),
        ),
        "insert",
    );
    ok(
        s.keys.insert_key(
            &key(3, OTHER_PROJECT, "elsewhere", "0"),
            &KeyMaterial::from(wrapped(&id(3), 1, 3)),
        ),
        "insert",
    );
    ok(s.keys.update_key_alias(PROJECT, &id(1), "uno"), "rename");
    let got = ok(s.keys.get_key(PROJECT, &id(1)), "get").unwrap_or_else(|| panic!("key 1 gone"));
    assert_eq!(*got, key(1, PROJECT, "uno", "0"), "only the alias changed");
    assert_eq!(
        s.keys.update_key_alias(PROJECT, &id(1), "two"),
        Err(UpdateKeyAliasError::AliasTaken)
    );
    let got = ok(s.keys.get_key(PROJECT, &id(1)), "get").unwrap_or_else(|| panic!("key 1 gone"));
    assert_eq!(got.alias, "uno", "a refused rename changes nothing");
    ok(s.keys.update_key_alias(PROJECT, &id(1), "uno"), "own alias");
    ok(
        s.keys.update_key_alias(PROJECT, &id(1), "elsewhere"),
        "an alias of another project is free",
    );
    ok(
        s.keys.insert_key(
            &key(4, PROJECT, "uno", "0"),
            &KeyMaterial::from(wrapped(&id(4), 1, 4)),
        ),
        "the old alias is free again",
    );
    assert_eq!(
        s.keys.update_key_alias(PROJECT, &id(99), "x"),
        Err(UpdateKeyAliasError::NotFound)
    );
    assert_eq!(
        s.keys.update_key_alias(PROJECT, &id(3), "x"),
        Err(UpdateKeyAliasError::NotFound),
        "another project's key is not found"
    );
}

/// update_key_description: sets the description only, within the project.
pub fn key_description_update(new: &dyn Fn() -> StoreSet) {
    let s = new();
    ok(
        s.keys.insert_key(
            &key(1, PROJECT, "one", "0"),
            &KeyMaterial::from(wrapped(&id(1), 1, 1)),
        ),
        "insert",
    );
    assert!(ok(
        s.keys
            .update_key_description(PROJECT, &id(1), "new words \u{e9}"),
        "describe"
    ));
    let got = ok(s.keys.get_key(PROJECT, &id(1)), "get").unwrap_or_else(|| panic!("key 1 gone"));
    assert_eq!(
        *got,
        KeyRecord {
            description: "new words \u{e9}".to_owned(),
            ..key(1, PROJECT, "one", "0")
        }
    );
    assert!(ok(
        s.keys.update_key_description(PROJECT, &id(1), ""),
        "empty"
    ));
    assert!(!ok(
        s.keys.update_key_description(OTHER_PROJECT, &id(1), "x"),
        "other project"
    ));
    assert!(!ok(
        s.keys.update_key_description(PROJECT, &id(2), "x"),
        "unknown"
    ));
}

/// 8 threads rename 8 keys to one alias: exactly one wins.
pub fn race_key_alias_update(new: &dyn Fn() -> StoreSet) {
    let s = new();
    let keys = &*s.keys;
    for i in 0..RACE_THREADS {
        ok(
            keys.insert_key(
                &key(i, PROJECT, &format!("k{i}"), "0"),
                &KeyMaterial::from(wrapped(&id(i), 1, 1)),
            ),
            "insert",
        );
    }
    let results = race(|i| keys.update_key_alias(PROJECT, &id(i), "same"));
    one_winner(
        &results,
        &UpdateKeyAliasError::AliasTaken,
        "key alias update",
    );
    let (_, all) = ok(keys.list_keys(PROJECT, &query(None, 0, 0, 100)), "list");
    assert_eq!(all.iter().filter(|k| k.alias == "same").count(), 1);
}

// ---------------------------------------------------------------- rotation

/// A key is inserted with its rotation record as given (round trip), and
/// set_key_rotation changes the flag and the interval independently,
/// within the project only.
pub fn key_rotation_policy(new: &dyn Fn() -> StoreSet) {
    let s = new();
    let rec = KeyRecord {
        rotation: KeyRotation {
            enabled: true,
            interval_days: 90,
            last_rotation_time: Some(Timestamp(1_700_000_000_123)),
            rotations: 4,
        },
        current_version: 5,
        ..key(1, PROJECT, "a", "0")
    };
    ok(
        s.keys
            .insert_key(&rec, &KeyMaterial::from(wrapped(&id(1), 5, 1))),
        "insert",
    );
    let got = |s: &StoreSet| {
        ok(s.keys.get_key(PROJECT, &id(1)), "get").unwrap_or_else(|| panic!("key 1 gone"))
    };
    assert_eq!(*got(&s), rec, "the rotation record round-trips");
    assert!(ok(
        s.keys.set_key_rotation(PROJECT, &id(1), Some(false), None),
        "disable"
    ));
    assert_eq!(
        got(&s).rotation,
        KeyRotation {
            enabled: false,
            ..rec.rotation
        }
    );
    assert!(ok(
        s.keys.set_key_rotation(PROJECT, &id(1), None, Some(30)),
        "interval"
    ));
    assert_eq!(
        got(&s).rotation,
        KeyRotation {
            enabled: false,
            interval_days: 30,
            ..rec.rotation
        }
    );
    assert!(ok(
        s.keys
            .set_key_rotation(PROJECT, &id(1), Some(true), Some(365)),
        "both"
    ));
    assert_eq!(
        got(&s).rotation,
        KeyRotation {
            enabled: true,
            interval_days: 365,
            ..rec.rotation
        }
    );
    assert!(!ok(
        s.keys
            .set_key_rotation(OTHER_PROJECT, &id(1), Some(false), None),
        "other project"
    ));
    assert!(!ok(
        s.keys.set_key_rotation(PROJECT, &id(2), Some(false), None),
        "unknown"
    ));
    let (_, listed) = ok(s.keys.list_keys(PROJECT, &query(None, 0, 0, 10)), "list");
    assert_eq!(
        listed[0].rotation,
        got(&s).rotation,
        "list reads the rotation too"
    );
}

/// rotate_key stores the new version's material, makes it current, stamps
/// the time and counts; every older version's material stays; a rotation
/// from a version that is no longer current changes nothing; an unknown
/// key or another project's key is not found.
pub fn key_rotation_versions(new: &dyn Fn() -> StoreSet) {
    let s = new();
    let w1 = wrapped(&id(1), 1, 1);
    let w2 = wrapped(&id(1), 2, 2);
    let w3 = wrapped(&id(1), 3, 3);
    ok(
        s.keys
            .insert_key(&key(1, PROJECT, "a", "0"), &KeyMaterial::from(w1.clone())),
        "insert",
    );
    ok(
        s.keys
            .rotate_key(PROJECT, &id(1), &w2, 2, Timestamp(1_700_000_001_000)),
        "rotate to 2",
    );
    let k = ok(s.keys.get_key(PROJECT, &id(1)), "get").unwrap_or_else(|| panic!("gone"));
    assert_eq!(k.current_version, 2);
    assert_eq!(k.rotation.rotations, 1);
    assert_eq!(
        k.rotation.last_rotation_time,
        Some(Timestamp(1_700_000_001_000))
    );
    assert_eq!(
        s.keys
            .rotate_key(PROJECT, &id(1), &wrapped(&id(1), 2, 9), 2, Timestamp(1)),
        Err(RotateKeyError::VersionChanged),
        "a rotation from version 1 again"
    );
    assert_eq!(
        s.keys.rotate_key(PROJECT, &id(1), &w3, 4, Timestamp(1)),
        Err(RotateKeyError::VersionChanged),
        "a version that skips one"
    );
    ok(
        s.keys
            .rotate_key(PROJECT, &id(1), &w3, 3, Timestamp(1_700_000_002_000)),
        "rotate to 3",
    );
    for (v, w) in [(1, &w1), (2, &w2), (3, &w3)] {
        assert_eq!(
            ok(s.keys.get_key_material(&id(1), v), "material").as_deref(),
            Some(w.as_bytes()),
            "version {v} kept byte for byte"
        );
    }
    let k = ok(s.keys.get_key(PROJECT, &id(1)), "get").unwrap_or_else(|| panic!("gone"));
    assert_eq!((k.current_version, k.rotation.rotations), (3, 2));
    assert_eq!(
        s.keys
            .rotate_key(OTHER_PROJECT, &id(1), &w3, 4, Timestamp(1)),
        Err(RotateKeyError::NotFound)
    );
    assert_eq!(
        s.keys.rotate_key(PROJECT, &id(7), &w3, 2, Timestamp(1)),
        Err(RotateKeyError::NotFound)
    );
    assert_eq!(ok(s.keys.get_key_material(&id(1), 4), "material"), None);
}

/// 8 threads rotate one key from version 1: exactly one new version.
pub fn race_rotate_key(new: &dyn Fn() -> StoreSet) {
    let s = new();
    let keys = &*s.keys;
    ok(
        keys.insert_key(
            &key(1, PROJECT, "a", "0"),
            &KeyMaterial::from(wrapped(&id(1), 1, 1)),
        ),
        "insert",
    );
    let results = race(|i| {
        let seed = u8::try_from(i).unwrap_or(0).wrapping_add(10);
        keys.rotate_key(PROJECT, &id(1), &wrapped(&id(1), 2, seed), 2, Timestamp(1))
    });
    one_winner(&results, &RotateKeyError::VersionChanged, "key rotation");
    let k = ok(keys.get_key(PROJECT, &id(1)), "get").unwrap_or_else(|| panic!("gone"));
    assert_eq!((k.current_version, k.rotation.rotations), (2, 1));
    let winner = results.iter().position(Result::is_ok).unwrap_or(0);
    let seed = u8::try_from(winner).unwrap_or(0).wrapping_add(10);
    assert_eq!(
        ok(keys.get_key_material(&id(1), 2), "material").as_deref(),
        Some(wrapped(&id(1), 2, seed).as_bytes()),
        "the winner's material is the stored version 2"
    );
}

// ---------------------------------------------------------------- tags

fn tag(k: &str, v: &str) -> (String, String) {
    (k.to_owned(), v.to_owned())
}

/// update_key_tags creates, replaces (same tag key) and removes tags
/// (absent ones ignored); get_key_tags returns them sorted by tag key;
/// both are confined to the project; a key with no tags has an empty list.
pub fn key_tags_update_and_get(new: &dyn Fn() -> StoreSet) {
    let s = new();
    ok(
        s.keys.insert_key(
            &key(1, PROJECT, "a", "0"),
            &KeyMaterial::from(wrapped(&id(1), 1, 1)),
        ),
        "insert",
    );
    assert_eq!(
        ok(s.key_tags.get_key_tags(PROJECT, &id(1)), "get"),
        Some(vec![])
    );
    ok(
        s.key_tags.update_key_tags(
            PROJECT,
            &id(1),
            &[tag("team", "x"), tag("env", "prod"), tag("empty", "")],
            &[],
            10,
        ),
        "create",
    );
    assert_eq!(
        ok(s.key_tags.get_key_tags(PROJECT, &id(1)), "get"),
        Some(vec![tag("empty", ""), tag("env", "prod"), tag("team", "x")])
    );
    ok(
        s.key_tags.update_key_tags(
            PROJECT,
            &id(1),
            &[tag("env", "dev")],
            &["team".to_owned(), "absent".to_owned()],
            10,
        ),
        "replace and remove",
    );
    assert_eq!(
        ok(s.key_tags.get_key_tags(PROJECT, &id(1)), "get"),
        Some(vec![tag("empty", ""), tag("env", "dev")])
    );
    assert_eq!(
        ok(s.key_tags.get_key_tags(OTHER_PROJECT, &id(1)), "get"),
        None
    );
    assert_eq!(ok(s.key_tags.get_key_tags(PROJECT, &id(2)), "get"), None);
    assert_eq!(
        s.key_tags
            .update_key_tags(OTHER_PROJECT, &id(1), &[tag("k", "v")], &[], 10),
        Err(TagWriteError::NotFound)
    );
    assert_eq!(
        s.key_tags
            .update_key_tags(PROJECT, &id(2), &[tag("k", "v")], &[], 10),
        Err(TagWriteError::NotFound)
    );
}

/// A write that would leave more than `max_tags` tags changes nothing;
/// replacing values at the limit is fine.
pub fn key_tags_limit_is_atomic(new: &dyn Fn() -> StoreSet) {
    let s = new();
    ok(
        s.keys.insert_key(
            &key(1, PROJECT, "a", "0"),
            &KeyMaterial::from(wrapped(&id(1), 1, 1)),
        ),
        "insert",
    );
    let three = [tag("a", "1"), tag("b", "2"), tag("c", "3")];
    ok(
        s.key_tags.update_key_tags(PROJECT, &id(1), &three, &[], 3),
        "at the limit",
    );
    assert_eq!(
        s.key_tags
            .update_key_tags(PROJECT, &id(1), &[tag("a", "9"), tag("d", "4")], &[], 3),
        Err(TagWriteError::TooMany)
    );
    assert_eq!(
        ok(s.key_tags.get_key_tags(PROJECT, &id(1)), "get"),
        Some(three.to_vec()),
        "a refused write changes nothing, not even the replaced value"
    );
    ok(
        s.key_tags
            .update_key_tags(PROJECT, &id(1), &[tag("a", "9")], &[], 3),
        "replacing at the limit",
    );
    ok(
        s.key_tags
            .update_key_tags(PROJECT, &id(1), &[tag("d", "4")], &["b".to_owned()], 3),
        "adding one while removing one",
    );
    assert_eq!(
        ok(s.key_tags.get_key_tags(PROJECT, &id(1)), "get"),
        Some(vec![tag("a", "9"), tag("c", "3"), tag("d", "4")])
    );
}

/// list_keys_by_tags: every filter must match (AND), a filter's values
/// are alternatives (OR), no values means any value; the alias substring;
/// oldest first with each key's tags; paging and total; the project only;
/// keys gone at `live_at` excluded.
pub fn list_keys_by_tags_filters(new: &dyn Fn() -> StoreSet) {
    let s = new();
    let t = 1_700_000_000_000;
    for (n, alias, tags) in [
        (1, "app-one", vec![tag("env", "prod"), tag("team", "a")]),
        (2, "app-two", vec![tag("env", "dev"), tag("team", "a")]),
        (3, "db", vec![tag("env", "prod")]),
        (4, "app-three", vec![]),
    ] {
        ok(
            s.keys.insert_key(
                &key(n, PROJECT, alias, "0"),
                &KeyMaterial::from(wrapped(&id(n), 1, 1)),
            ),
            "insert",
        );
        ok(
            s.key_tags.update_key_tags(PROJECT, &id(n), &tags, &[], 10),
            "tag",
        );
    }
    ok(
        s.keys.insert_key(
            &key(9, OTHER_PROJECT, "app-x", "0"),
            &KeyMaterial::from(wrapped(&id(9), 1, 1)),
        ),
        "insert other",
    );
    ok(
        s.key_tags
            .update_key_tags(OTHER_PROJECT, &id(9), &[tag("env", "prod")], &[], 10),
        "tag other",
    );
    let f = |k: &str, vs: &[&str]| TagFilter {
        key: k.to_owned(),
        values: vs.iter().map(|v| (*v).to_owned()).collect(),
    };
    let run = |tags: &[TagFilter], alias: Option<&str>, offset: u64, limit: u64| {
        let (total, page) = ok(
            s.key_tags
                .list_keys_by_tags(PROJECT, tags, alias, &query(None, t, offset, limit)),
            "list by tags",
        );
        (
            total,
            page.iter()
                .map(|(k, _)| k.key_id.clone())
                .collect::<Vec<_>>(),
        )
    };
    assert_eq!(
        run(&[], None, 0, 100),
        (4, vec![id(1), id(2), id(3), id(4)])
    );
    assert_eq!(
        run(&[f("env", &["prod"])], None, 0, 100),
        (2, vec![id(1), id(3)])
    );
    assert_eq!(
        run(&[f("env", &["prod", "dev"])], None, 0, 100),
        (3, vec![id(1), id(2), id(3)])
    );
    assert_eq!(
        run(&[f("team", &[])], None, 0, 100),
        (2, vec![id(1), id(2)])
    );
    assert_eq!(
        run(&[f("env", &["prod"]), f("team", &[])], None, 0, 100),
        (1, vec![id(1)])
    );
    assert_eq!(run(&[f("env", &["none"])], None, 0, 100), (0, vec![]));
    assert_eq!(
        run(&[], Some("app"), 0, 100),
        (3, vec![id(1), id(2), id(4)])
    );
    assert_eq!(run(&[], Some("%"), 0, 100), (0, vec![]), "no wildcard");
    assert_eq!(run(&[], None, 1, 2), (4, vec![id(2), id(3)]));
    let (_, page) = ok(
        s.key_tags
            .list_keys_by_tags(PROJECT, &[f("env", &["prod"])], None, &query(None, t, 0, 1)),
        "page",
    );
    assert_eq!(page[0].0, key(1, PROJECT, "app-one", "0"));
    assert_eq!(page[0].1, vec![tag("env", "prod"), tag("team", "a")]);
    ok(
        s.keys.set_key_state(
            PROJECT,
            &id(1),
            KeyState::PendingDeletion,
            Some(Timestamp(t + 10)),
        ),
        "schedule",
    );
    let (total, _) = ok(
        s.key_tags.list_keys_by_tags(
            PROJECT,
            &[f("env", &["prod"])],
            None,
            &query(None, t + 10, 0, 100),
        ),
        "after deletion time",
    );
    assert_eq!(total, 1, "a gone key is not listed");
}

/// purge_deleted_keys deletes exactly the keys pending deletion whose
/// deletion time is at or before the instant (any project), with their
/// material and tags, freeing their aliases and their dedicated keystore.
pub fn purge_deleted_keys_frees_alias_and_keystore(new: &dyn Fn() -> StoreSet) {
    let s = new();
    let t = 1_700_000_000_000;
    ok(
        s.keystores
            .insert_keystore(&keystore(50, DOMAIN, "ks", None)),
        "keystore",
    );
    ok(
        s.keys.insert_key(
            &key(1, PROJECT, "doomed", &id(50)),
            &KeyMaterial::from(wrapped(&id(1), 1, 1)),
        ),
        "insert",
    );
    ok(
        s.keys.insert_key(
            &key(2, OTHER_PROJECT, "later", "0"),
            &KeyMaterial::from(wrapped(&id(2), 1, 2)),
        ),
        "insert",
    );
    ok(
        s.keys.insert_key(
            &key(3, PROJECT, "kept", "0"),
            &KeyMaterial::from(wrapped(&id(3), 1, 3)),
        ),
        "insert",
    );
    ok(
        s.key_tags
            .update_key_tags(PROJECT, &id(1), &[tag("k", "v")], &[], 10),
        "tag",
    );
    for (n, project, at) in [(1, PROJECT, t), (2, OTHER_PROJECT, t + 1)] {
        ok(
            s.keys.set_key_state(
                project,
                &id(n),
                KeyState::PendingDeletion,
                Some(Timestamp(at)),
            ),
            "schedule",
        );
    }
    assert_eq!(ok(s.keys.purge_deleted_keys(Timestamp(t - 1)), "early"), 0);
    assert_eq!(ok(s.keys.purge_deleted_keys(Timestamp(t)), "purge"), 1);
    assert_eq!(ok(s.keys.get_key(PROJECT, &id(1)), "get"), None);
    assert_eq!(ok(s.keys.get_key_material(&id(1), 1), "material"), None);
    assert!(
        ok(s.keys.get_key(OTHER_PROJECT, &id(2)), "get").is_some(),
        "not yet due"
    );
    assert!(
        ok(s.keys.get_key(PROJECT, &id(3)), "get").is_some(),
        "not pending"
    );
    ok(
        s.keys.insert_key(
            &key(4, PROJECT, "doomed", "0"),
            &KeyMaterial::from(wrapped(&id(4), 1, 4)),
        ),
        "the alias is free again",
    );
    assert_eq!(
        ok(
            s.keystores.delete_keystore(DOMAIN, &id(50)),
            "delete keystore"
        ),
        DeleteKeystoreOutcome::Deleted,
        "the keystore holds no key any more"
    );
    assert_eq!(ok(s.keys.purge_deleted_keys(Timestamp(t + 1)), "purge"), 1);
    assert_eq!(ok(s.keys.get_key(OTHER_PROJECT, &id(2)), "get"), None);
}

/// list_project_tags: the project's tag keys, sorted, each with its
/// distinct values, sorted; other projects' and gone keys' tags excluded.
pub fn list_project_tags_groups_values(new: &dyn Fn() -> StoreSet) {
    let s = new();
    let t = 1_700_000_000_000;
    for (n, project, tags) in [
        (1, PROJECT, vec![tag("env", "prod"), tag("team", "a")]),
        (2, PROJECT, vec![tag("env", "dev"), tag("team", "a")]),
        (3, PROJECT, vec![tag("old", "x")]),
        (4, OTHER_PROJECT, vec![tag("secret", "y")]),
    ] {
        ok(
            s.keys.insert_key(
                &key(n, project, &format!("k{n}"), "0"),
                &KeyMaterial::from(wrapped(&id(n), 1, 1)),
            ),
            "insert",
        );
        ok(
            s.key_tags.update_key_tags(project, &id(n), &tags, &[], 10),
            "tag",
        );
    }
    ok(
        s.keys.set_key_state(
            PROJECT,
            &id(3),
            KeyState::PendingDeletion,
            Some(Timestamp(t)),
        ),
        "schedule",
    );
    let strs = |v: &[&str]| v.iter().map(|x| (*x).to_owned()).collect::<Vec<_>>();
    assert_eq!(
        ok(
            s.key_tags.list_project_tags(PROJECT, Timestamp(t - 1)),
            "before"
        ),
        vec![
            ("env".to_owned(), strs(&["dev", "prod"])),
            ("old".to_owned(), strs(&["x"])),
            ("team".to_owned(), strs(&["a"])),
        ]
    );
    assert_eq!(
        ok(s.key_tags.list_project_tags(PROJECT, Timestamp(t)), "after"),
        vec![
            ("env".to_owned(), strs(&["dev", "prod"])),
            ("team".to_owned(), strs(&["a"])),
        ],
        "a gone key's tags are not listed"
    );
    assert_eq!(
        ok(
            s.key_tags.list_project_tags("nobody", Timestamp(t)),
            "empty"
        ),
        vec![]
    );
}

// ---------------------------------------------------------------- root-key rotation

/// A store set with the [`RootRotationStore`] view of the same storage
/// (an adapter that supports root-key rotation).
pub struct RotationSet {
    /// The store ports.
    pub stores: StoreSet,
    /// Root-key rotation, over the same storage.
    pub rotation: Arc<dyn RootRotationStore>,
}

impl fmt::Debug for RotationSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RotationSet")
            .field("stores", &self.stores)
            .finish_non_exhaustive()
    }
}

impl RotationSet {
    /// One store implementing every store port and [`RootRotationStore`].
    #[must_use]
    pub fn shared<S>(store: S) -> Self
    where
        S: KeystoreStore
            + MasterKeyStore
            + KeyTagStore
            + PinVerifierStore
            + CertificateStore
            + RootRotationStore
            + 'static,
    {
        let store = Arc::new(store);
        Self {
            stores: StoreSet {
                keystores: store.clone(),
                keys: store.clone(),
                key_tags: store.clone(),
                pins: store.clone(),
                certificates: store.clone(),
                guard: None,
            },
            rotation: store,
        }
    }

    /// Keeps `guard` alive as long as the set.
    #[must_use]
    pub fn with_guard(mut self, guard: impl Any + Send) -> Self {
        self.stores = self.stores.with_guard(guard);
        self
    }
}

/// One case of the root-key rotation suite.
#[derive(Clone, Copy)]
pub struct RotationCase {
    /// The case's name: the name of its function.
    pub name: &'static str,
    /// The case.
    pub run: fn(&dyn Fn() -> RotationSet),
}

impl fmt::Debug for RotationCase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name)
    }
}

macro_rules! rotation_cases {
    ($($name:ident),* $(,)?) => {
        /// Every case of the root-key rotation suite.
        pub const ROTATION_CASES: &[RotationCase] =
            &[$(RotationCase { name: stringify!($name), run: $name }),*];
    };
}

rotation_cases![
    root_fingerprint_recorded_once,
    root_rotation_begins_once_and_carries_pin_keys,
    root_rotation_moves_rows_by_batch_and_finishes,
    root_rotation_batch_writes_only_unchanged_rows,
    root_rotation_sees_rows_written_after_it_began,
];

/// Runs every case of [`ROTATION_CASES`] and panics listing every failure.
pub fn run_rotation_cases(new: &dyn Fn() -> RotationSet) {
    let mut failures = Vec::new();
    for case in ROTATION_CASES {
        if let Err(panic) = catch_unwind(AssertUnwindSafe(|| (case.run)(new))) {
            failures.push(format!("{}: {}", case.name, message(&*panic)));
        }
    }
    assert!(
        failures.is_empty(),
        "{} root-rotation conformance case(s) failed:\n  {}",
        failures.len(),
        failures.join("\n  ")
    );
}

const FP_A: [u8; ROOT_FINGERPRINT_LEN] = [0xa1; ROOT_FINGERPRINT_LEN];
const FP_B: [u8; ROOT_FINGERPRINT_LEN] = [0xb2; ROOT_FINGERPRINT_LEN];

fn target_b() -> RootRotationTarget {
    RootRotationTarget {
        fingerprint: FP_B,
        generation: 1,
    }
}

/// Two keys (one with two versions), one certificate: four root-bound rows.
fn populate(set: &RotationSet) {
    let s = &set.stores;
    ok(
        s.keystores
            .insert_keystore(&keystore(1, DOMAIN, "ks", None)),
        "insert keystore",
    );
    ok(
        s.keys.insert_key(
            &key(10, PROJECT, "a", "0"),
            &KeyMaterial::Wrapped(wrapped(&id(10), 1, 1)),
        ),
        "insert key a",
    );
    ok(
        s.keys.rotate_key(
            PROJECT,
            &id(10),
            &wrapped(&id(10), 2, 2),
            2,
            Timestamp(1_800_000_000_000),
        ),
        "rotate key a",
    );
    ok(
        s.keys.insert_key(
            &key(11, PROJECT, "b", &id(1)),
            &KeyMaterial::Wrapped(wrapped(&id(11), 1, 3)),
        ),
        "insert key b",
    );
    ok(
        s.certificates
            .insert_certificate(&certificate(20, PROJECT, "c")),
        "insert certificate",
    );
}

fn all_unmoved(set: &RotationSet, generation: u32) -> Vec<RootBoundRow> {
    ok(
        set.rotation.unmoved_root_bound(generation, 1000),
        "unmoved rows",
    )
}

fn moved(rows: &[RootBoundRow]) -> Vec<Rewrapped> {
    rows.iter()
        .map(|r| {
            let new = match &r.item {
                RootBoundItem::KeyMaterial {
                    key_id, version, ..
                } => wrapped(key_id, *version, 99).as_bytes().to_vec(),
                RootBoundItem::CertificatePrivateKey {
                    project_id,
                    certificate_id,
                } => sealed_private_key(project_id, certificate_id, "moved").into_bytes(),
            };
            Rewrapped {
                item: r.item.clone(),
                old: r.bytes.clone(),
                new,
            }
        })
        .collect()
}

/// A fingerprint is recorded only when none is; the state reports it.
pub fn root_fingerprint_recorded_once(new: &dyn Fn() -> RotationSet) {
    let set = new();
    let r = &set.rotation;
    assert_eq!(
        ok(r.root_key_state(), "state"),
        RootKeyState::default(),
        "a new store records no root key"
    );
    let s = ok(r.record_root_fingerprint(&FP_A), "record A");
    assert_eq!(
        s.fingerprint,
        Some(FP_A),
        "the first fingerprint is recorded"
    );
    let s = ok(r.record_root_fingerprint(&FP_B), "record B");
    assert_eq!(s.fingerprint, Some(FP_A), "a recorded fingerprint is kept");
    assert_eq!(s.generation, 0);
    assert_eq!(s.rotation, None);
}

/// A rotation begins only from the recorded root key and only once, with
/// the carried PIN keys replaced in the same step.
pub fn root_rotation_begins_once_and_carries_pin_keys(new: &dyn Fn() -> RotationSet) {
    let set = new();
    let r = &set.rotation;
    let carried = |ks: &str, b: u8| CarriedPinKeys {
        keystore_id: ks.to_owned(),
        wrapped: vec![b; 88],
    };
    assert!(
        !ok(r.begin_root_rotation(&FP_A, &target_b(), &[]), "begin"),
        "no rotation begins before a root key is recorded"
    );
    ok(r.record_root_fingerprint(&FP_A), "record A");
    assert!(
        !ok(r.begin_root_rotation(&FP_B, &target_b(), &[]), "begin"),
        "no rotation begins from another root key than the recorded one"
    );
    assert!(
        ok(
            r.begin_root_rotation(&FP_A, &target_b(), &[carried("1", 1), carried("2", 2)]),
            "begin"
        ),
        "a rotation begins from the recorded root key"
    );
    let s = ok(r.root_key_state(), "state");
    assert_eq!(s.rotation, Some(target_b()));
    assert_eq!(s.fingerprint, Some(FP_A), "the old root key stays recorded");
    assert!(
        !ok(
            r.begin_root_rotation(&FP_A, &target_b(), &[carried("1", 9)]),
            "begin again"
        ),
        "a second rotation does not begin while one is under way"
    );
    let mut got = ok(r.carried_pin_keys(), "carried");
    got.sort_by(|a, b| a.keystore_id.cmp(&b.keystore_id));
    assert_eq!(got, vec![carried("1", 1), carried("2", 2)]);
    let ks = ok(r.all_keystores(), "all keystores");
    assert!(ks.is_empty(), "no keystore yet: {ks:?}");
    ok(
        set.stores
            .keystores
            .insert_keystore(&keystore(1, "other-domain", "x", None)),
        "insert",
    );
    ok(
        set.stores
            .keystores
            .insert_keystore(&keystore(2, DOMAIN, "y", None)),
        "insert",
    );
    assert_eq!(
        ids_of_keystores(&ok(r.all_keystores(), "all keystores")),
        vec![id(1), id(2)],
        "every domain's keystores are listed"
    );
}

/// Rows come in stable batches until each is written with the mark; the
/// rotation finishes only when none is left, and only the one under way.
pub fn root_rotation_moves_rows_by_batch_and_finishes(new: &dyn Fn() -> RotationSet) {
    let set = new();
    populate(&set);
    let r = &set.rotation;
    ok(r.record_root_fingerprint(&FP_A), "record A");
    assert!(ok(r.begin_root_rotation(&FP_A, &target_b(), &[]), "begin"));
    let all = all_unmoved(&set, 1);
    assert_eq!(
        all.len(),
        4,
        "three key versions and one certificate: {all:?}"
    );
    assert!(all.iter().any(|row| row.item
        == RootBoundItem::KeyMaterial {
            key_id: id(11),
            version: 1,
            keystore_id: id(1),
            spec: CmkSpec::Aes256,
        }
        && row.bytes == wrapped(&id(11), 1, 3).as_bytes()));
    assert_eq!(
        ok(r.unmoved_root_bound(1, 3), "batch"),
        all[..3].to_vec(),
        "a batch is the first rows of a stable order"
    );
    let first = ok(r.unmoved_root_bound(1, 2), "first batch");
    assert_eq!(ok(r.store_rewrapped(1, &moved(&first)), "write"), 2);
    assert!(
        !ok(r.finish_root_rotation(&target_b()), "finish"),
        "no finish while rows are left"
    );
    let rest = all_unmoved(&set, 1);
    assert_eq!(rest.len(), 2, "the written rows are marked: {rest:?}");
    assert!(rest.iter().all(|x| !first.contains(x)));
    assert_eq!(ok(r.store_rewrapped(1, &moved(&rest)), "write"), 2);
    assert!(all_unmoved(&set, 1).is_empty());
    assert!(
        !ok(
            r.finish_root_rotation(&RootRotationTarget {
                fingerprint: FP_A,
                generation: 1
            }),
            "finish other"
        ),
        "only the rotation under way finishes"
    );
    assert!(ok(r.finish_root_rotation(&target_b()), "finish"));
    assert_eq!(
        ok(r.root_key_state(), "state"),
        RootKeyState {
            fingerprint: Some(FP_B),
            generation: 1,
            rotation: None,
        }
    );
    assert_eq!(
        ok(set.stores.keys.get_key_material(&id(10), 2), "material"),
        Some(wrapped(&id(10), 2, 99).as_bytes().to_vec()),
        "the new bytes are stored"
    );
    let cert = ok(
        set.stores
            .certificates
            .get_certificate(PROJECT, &id(20).replace('-', "")),
        "certificate",
    );
    assert_eq!(
        cert.map(|c| c.sealed_private_key),
        Some(sealed_private_key(
            PROJECT,
            &id(20).replace('-', ""),
            "moved"
        ))
    );
    assert_eq!(
        all_unmoved(&set, 2).len(),
        4,
        "a later rotation sees every row again"
    );
}

/// A batch writes a row only if its bytes are still the ones read.
pub fn root_rotation_batch_writes_only_unchanged_rows(new: &dyn Fn() -> RotationSet) {
    let set = new();
    populate(&set);
    let r = &set.rotation;
    let mut batch = moved(&all_unmoved(&set, 1));
    for b in &mut batch {
        b.old = vec![0u8; b.old.len()];
    }
    assert_eq!(
        ok(r.store_rewrapped(1, &batch), "write stale"),
        0,
        "rows changed since they were read are not written"
    );
    assert_eq!(all_unmoved(&set, 1).len(), 4);
    assert_eq!(
        ok(set.stores.keys.get_key_material(&id(10), 1), "material"),
        Some(wrapped(&id(10), 1, 1).as_bytes().to_vec())
    );
}

/// A row written after the rotation began is among the unmoved.
pub fn root_rotation_sees_rows_written_after_it_began(new: &dyn Fn() -> RotationSet) {
    let set = new();
    populate(&set);
    let r = &set.rotation;
    ok(r.record_root_fingerprint(&FP_A), "record A");
    assert!(ok(r.begin_root_rotation(&FP_A, &target_b(), &[]), "begin"));
    let rows = all_unmoved(&set, 1);
    assert_eq!(ok(r.store_rewrapped(1, &moved(&rows)), "write"), 4);
    ok(
        set.stores.keys.insert_key(
            &key(12, PROJECT, "late", "0"),
            &KeyMaterial::Wrapped(wrapped(&id(12), 1, 5)),
        ),
        "insert late key",
    );
    let late = all_unmoved(&set, 1);
    assert_eq!(late.len(), 1, "{late:?}");
    assert!(!ok(r.finish_root_rotation(&target_b()), "finish"));
    assert_eq!(ok(r.store_rewrapped(1, &moved(&late)), "write"), 1);
    assert!(ok(r.finish_root_rotation(&target_b()), "finish"));
}
