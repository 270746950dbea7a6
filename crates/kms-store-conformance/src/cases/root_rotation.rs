//! The root-key rotation store and its own runner.

#[allow(clippy::wildcard_imports, unused_imports)]
use crate::*;

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
            + KeyAliasStore
            + PinVerifierStore
            + CertificateStore
            + RootRotationStore
            + KeyGrantStore
            + 'static,
    {
        let store = Arc::new(store);
        Self {
            stores: StoreSet {
                keystores: store.clone(),
                keys: store.clone(),
                key_tags: store.clone(),
                key_aliases: store.clone(),
                pins: store.clone(),
                certificates: store.clone(),
                grants: store.clone(),
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

pub(crate) const FP_A: [u8; ROOT_FINGERPRINT_LEN] = [0xa1; ROOT_FINGERPRINT_LEN];
pub(crate) const FP_B: [u8; ROOT_FINGERPRINT_LEN] = [0xb2; ROOT_FINGERPRINT_LEN];

pub(crate) fn target_b() -> RootRotationTarget {
    RootRotationTarget {
        fingerprint: FP_B,
        generation: 1,
    }
}

/// Two keys (one with two versions), one certificate: four root-bound rows.
pub(crate) fn populate(set: &RotationSet) {
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

pub(crate) fn all_unmoved(set: &RotationSet, generation: u32) -> Vec<RootBoundRow> {
    ok(
        set.rotation.unmoved_root_bound(generation, 1000),
        "unmoved rows",
    )
}

pub(crate) fn moved(rows: &[RootBoundRow]) -> Vec<Rewrapped> {
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
