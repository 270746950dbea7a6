//! Records, ids and helpers the cases share.

#[allow(clippy::wildcard_imports, unused_imports)]
use crate::*;

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
        material_expiry: None,
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
        record: ApigCertificate {
            id: id.clone(),
            name: name.to_owned(),
            project_id: project.to_owned(),
            scope: CertificateScope::Global,
            common_name: format!("{name}.example.com"),
            san: vec![format!("{name}.example.com"), "10.0.0.1".to_owned()],
            version: 3,
            organization: vec!["Org".to_owned()],
            organizational_unit: vec!["Unit".to_owned(), "Other unit".to_owned()],
            locality: vec!["City".to_owned()],
            state: vec!["State".to_owned()],
            country: vec!["CN".to_owned()],
            not_before: at("2024-01-01T00:00:00Z"),
            not_after: at("2034-01-01T00:00:00Z"),
            serial_number: format!("{}", 1_000_000 + n),
            issuer: vec!["Issuer Org".to_owned()],
            signature_algorithm: "SHA256-RSA".to_owned(),
            create_time: at("2024-06-01T00:00:00Z"),
            update_time: at("2024-06-02T00:00:00Z"),
            has_trusted_root_ca: true,
            algorithm_type: Some(KeyFamily::Rsa),
        },
        cert_pem: format!("-----BEGIN CERTIFICATE-----\n{id}\n-----END CERTIFICATE-----\n"),
        sealed_private_key: sealed_private_key(project, &id, "key"),
        trusted_root_ca: Some(
            "-----BEGIN CERTIFICATE-----\nroot\n-----END CERTIFICATE-----\n".to_owned(),
        ),
    }
}

/// The time RFC 3339 `text` (UTC, whole seconds) names.
///
/// # Panics
/// On any other text.
#[must_use]
pub fn at(text: &str) -> Timestamp {
    kms_core::parse_rfc3339(text).unwrap_or_else(|| panic!("not an RFC 3339 UTC time: {text}"))
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
    c.record.scope = CertificateScope::resolve(Some("instance"), Some(instance))
        .unwrap_or_else(|e| panic!("instance id {instance}: {e}"));
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
pub(crate) fn ok<T, E: fmt::Debug>(r: Result<T, E>, what: &str) -> T {
    match r {
        Ok(v) => v,
        Err(e) => panic!("{what}: unexpected error {e:?}"),
    }
}

pub(crate) fn ids_of_keystores(list: &[KeystoreRecord]) -> Vec<String> {
    list.iter().map(|k| k.keystore_id.clone()).collect()
}

pub(crate) fn ids_of_certs(list: &[StoredCertificate]) -> Vec<String> {
    list.iter().map(|c| c.record.id.clone()).collect()
}

pub(crate) fn cert_ids(ns: &[usize]) -> Vec<String> {
    ns.iter().map(|n| id(*n).replace('-', "")).collect()
}

/// Runs `f(i)` for `i in 0..RACE_THREADS` on threads released together.
pub(crate) fn race<T: Send>(f: impl Fn(usize) -> T + Sync) -> Vec<T> {
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

pub(crate) fn one_winner<E: PartialEq + fmt::Debug>(
    results: &[Result<(), E>],
    loser: &E,
    rule: &str,
) {
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
