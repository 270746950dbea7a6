//! Seeding through the core: fixed ids, imported material (a DEK made
//! under it opens after a restart, on a fresh store and by kms-crypto
//! alone), idempotence, conflicts naming the field, the API's validation
//! codes, states, rotation, tags, keystores, certificates and the audit.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::sync::Arc;

use kms_core::memory::{self, ManualClock, VecAudit};
use kms_core::ports::{Caller, ClusterInfo, Ports, Timestamp};
use kms_core::{
    CoreConfig, ImportedKeyMaterial, Kms, SeedCertificate, SeedError, SeedKey, SeedKeyState,
    SeedKeystore, SeedOutcome,
};
use kms_crypto::{Ciphertext, DekContext, MasterKey};
use kms_model::{
    CertificateForm, CreateDatakeyRequestBody, CreateKeyRequestBody, CreateKeyStoreRequestBody,
    DecryptDatakeyRequestBody, ErrorCode, KeystoreType, LooseString, OperateKeyRequestBody,
    RotateOnDemandRequestBody, TagItem, UpdateKeyRotationIntervalRequestBody,
};
use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

const NOW: i64 = 1_767_225_600_000; // 2026-01-01T00:00:00Z
const DAY: i64 = 86_400_000;
const KEY_ID: &str = "5eed0000-0000-4000-8000-000000000001";
const OTHER_ID: &str = "5eed0000-0000-4000-8000-000000000002";
const KEYSTORE_ID: &str = "5eed0000-0000-4000-8000-0000000000c5";
const CERT_ID: &str = "5eed00000000400080000000000000ce";
const MATERIAL: [u8; 32] = [
    0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff,
    0x0f, 0x1e, 0x2d, 0x3c, 0x4b, 0x5a, 0x69, 0x78, 0x87, 0x96, 0xa5, 0xb4, 0xc3, 0xd2, 0xe1, 0xf0,
];

struct Fixture {
    kms: Kms,
    ports: Ports,
    clock: Arc<ManualClock>,
    audit: Arc<VecAudit>,
    ca_pem: String,
}

fn ca() -> (String, [u8; 32]) {
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(vec![]).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let cert = params.self_signed(&key).unwrap();
    let fp: [u8; 32] = Sha256::digest(cert.der()).into();
    (cert.pem(), fp)
}

/// A fresh core over fresh in-memory storage under `root_secret`.
fn fixture_with(root_secret: [u8; 32]) -> Fixture {
    let (ca_pem, fp) = ca();
    let clock = Arc::new(ManualClock::new(Timestamp(NOW)));
    let audit = Arc::new(VecAudit::default());
    let ports = memory::ports(
        &root_secret,
        [3u8; 32],
        clock.clone(),
        vec![ClusterInfo {
            cluster_id: "hsm-a".into(),
            domain_id: "dom-a".into(),
            cluster_type: KeystoreType::Dhsm,
            ca_fingerprint: Some(fp),
        }],
        audit.clone(),
    )
    .unwrap();
    Fixture {
        kms: Kms::new(ports.clone(), CoreConfig::default()),
        ports,
        clock,
        audit,
        ca_pem,
    }
}

fn fixture() -> Fixture {
    fixture_with([9u8; 32])
}

impl Fixture {
    /// The same storage seen by a new core (empty caches): a restart.
    fn restarted(&self) -> Kms {
        Kms::new(self.ports.clone(), CoreConfig::default())
    }
}

fn a() -> Caller {
    Caller::new("dom-a", "proj-a")
}

fn material(bytes: &[u8]) -> Option<ImportedKeyMaterial> {
    Some(ImportedKeyMaterial::new(Zeroizing::new(bytes.to_vec())))
}

fn seeded(alias: &str) -> SeedKey {
    SeedKey {
        key_id: KEY_ID.into(),
        key: CreateKeyRequestBody {
            key_alias: alias.into(),
            ..Default::default()
        },
        ..Default::default()
    }
}

fn with_material(alias: &str) -> SeedKey {
    SeedKey {
        key_material: material(&MATERIAL),
        ..seeded(alias)
    }
}

fn describe(kms: &Kms, id: &str) -> kms_model::KeyDetails {
    kms.wire()
        .describe_key(
            &a(),
            &OperateKeyRequestBody {
                key_id: id.into(),
                sequence: None,
            },
        )
        .unwrap()
        .key_info
}

fn rejected(r: Result<SeedOutcome, SeedError>, code: ErrorCode) -> String {
    match r {
        Err(SeedError::Rejected(e)) => {
            assert_eq!(e.code(), code, "{e}");
            e.to_string()
        }
        other => panic!("expected {code}, got {other:?}"),
    }
}

fn conflict(r: Result<SeedOutcome, SeedError>, field: &str) -> String {
    match r {
        Err(e @ SeedError::Conflict { field: f, .. }) => {
            assert_eq!(f, field, "{e}");
            e.to_string()
        }
        other => panic!("expected a conflict on {field}, got {other:?}"),
    }
}

fn new_dek(kms: &Kms, key_id: &str) -> kms_model::CreateDatakeyResponseBody {
    kms.wire()
        .create_datakey(
            &a(),
            &CreateDatakeyRequestBody {
                key_id: key_id.into(),
                datakey_length: Some("256".into()),
                additional_authenticated_data: Some("seeded".into()),
                ..Default::default()
            },
        )
        .unwrap()
}

fn decrypt(kms: &Kms, key_id: &str, cipher_text: &str) -> String {
    kms.wire()
        .decrypt_datakey(
            &a(),
            &DecryptDatakeyRequestBody {
                key_id: key_id.into(),
                cipher_text: cipher_text.into(),
                datakey_cipher_length: "32".into(),
                additional_authenticated_data: Some("seeded".into()),
                ..Default::default()
            },
        )
        .unwrap()
        .data_key
        .expose()
        .clone()
}

#[test]
fn a_seeded_key_has_its_fixed_id_and_a_dek_under_known_material_opens_everywhere() {
    let f = fixture();
    assert_eq!(
        f.kms.seed_key(&a(), &with_material("app-key")).unwrap(),
        SeedOutcome::Created
    );
    let d = describe(&f.kms, KEY_ID);
    assert_eq!(d.key_alias, "app-key");
    assert_eq!(d.key_spec, "AES_256");
    assert_eq!(d.key_state, "2");
    let made = new_dek(&f.kms, KEY_ID);
    let plain = decrypt(&f.kms, KEY_ID, &made.cipher_text);
    assert!(
        made.plain_text.expose().starts_with(&plain),
        "DEK || SHA-256(DEK)"
    );

    // After a restart (same storage, caches empty) the seed changes
    // nothing and the DEK opens.
    let again = f.restarted();
    assert_eq!(
        again.seed_key(&a(), &with_material("app-key")).unwrap(),
        SeedOutcome::Unchanged
    );
    assert_eq!(describe(&again, KEY_ID), d);
    assert_eq!(decrypt(&again, KEY_ID, &made.cipher_text), plain);

    // A fresh store under another root key, seeded from the same entry,
    // opens the same ciphertext: what a CI fixture relies on.
    let other = fixture_with([4u8; 32]);
    other.kms.seed_key(&a(), &with_material("app-key")).unwrap();
    assert_eq!(decrypt(&other.kms, KEY_ID, &made.cipher_text), plain);

    // And so does kms-crypto alone, from the material and the context:
    // the ciphertext format is an independent computation.
    let mk = MasterKey::from_bytes(KEY_ID, 1, &MATERIAL).unwrap();
    let blob = Ciphertext::from_hex(&made.cipher_text).unwrap();
    let dek = mk
        .unwrap_dek(
            blob.as_bytes(),
            &DekContext::new("proj-a", b"seeded").unwrap(),
        )
        .unwrap();
    assert_eq!(dek.to_hex().to_uppercase(), plain.to_uppercase());
}

#[test]
fn a_key_seeded_with_material_has_origin_external_and_does_not_rotate() {
    let f = fixture();
    f.kms.seed_key(&a(), &with_material("imported")).unwrap();
    let d = describe(&f.kms, KEY_ID);
    assert_eq!(d.origin, "external");
    let op = OperateKeyRequestBody {
        key_id: KEY_ID.into(),
        sequence: None,
    };
    for (what, r) in [
        (
            "enable-key-rotation",
            f.kms.wire().enable_key_rotation(&a(), &op),
        ),
        (
            "update-key-rotation-interval",
            f.kms.wire().update_key_rotation_interval(
                &a(),
                &UpdateKeyRotationIntervalRequestBody {
                    key_id: KEY_ID.into(),
                    rotation_interval: LooseString("90".into()),
                    sequence: None,
                },
            ),
        ),
        (
            "rotate-on-demand",
            f.kms
                .wire()
                .rotate_on_demand(
                    &a(),
                    &RotateOnDemandRequestBody {
                        key_id: KEY_ID.into(),
                    },
                )
                .map(|_| ()),
        ),
    ] {
        let e = r.expect_err(what);
        assert_eq!(
            e.code(),
            ErrorCode::KmsExternalKeyNotRotatable,
            "{what}: {e}"
        );
        assert_eq!(e.code().as_str(), "KMS.0312");
        assert_eq!(e.code().status(), 400);
    }
    // Nothing rotated: still version 1, rotation off.
    let status = f.kms.wire().get_key_rotation_status(&a(), &op).unwrap();
    assert!(!status.key_rotation_enabled);
    assert_eq!(status.number_of_rotations, 0);
    // The origin survives a restart (it is stored, not derived).
    assert_eq!(describe(&f.restarted(), KEY_ID).origin, "external");
    // Other material for the imported key is a conflict on the material.
    let mut other = MATERIAL;
    other[31] ^= 1;
    let s = SeedKey {
        key_material: material(&other),
        ..seeded("imported")
    };
    conflict(f.kms.seed_key(&a(), &s), "key_material");

    // A key seeded without material is generated here and rotates.
    let g = fixture();
    g.kms.seed_key(&a(), &seeded("generated")).unwrap();
    assert_eq!(describe(&g.kms, KEY_ID).origin, "kms");
    g.kms.wire().enable_key_rotation(&a(), &op).unwrap();
    // An entry without material for the imported key conflicts on the
    // origin: the file no longer says where the material came from.
    conflict(f.kms.seed_key(&a(), &seeded("imported")), "origin");
}

#[test]
fn a_key_without_material_gets_fresh_material_and_is_still_idempotent() {
    let f = fixture();
    assert_eq!(
        f.kms.seed_key(&a(), &seeded("gen-key")).unwrap(),
        SeedOutcome::Created
    );
    let made = new_dek(&f.kms, KEY_ID);
    let again = f.restarted();
    assert_eq!(
        again.seed_key(&a(), &seeded("gen-key")).unwrap(),
        SeedOutcome::Unchanged
    );
    decrypt(&again, KEY_ID, &made.cipher_text);
    // The material is not the (hypothetical) known one.
    let msg = conflict(
        again.seed_key(&a(), &with_material("gen-key")),
        "key_material",
    );
    assert!(!msg.contains("0011"), "{msg}");
}

#[test]
fn conflicts_name_the_differing_field() {
    let f = fixture();
    let full = || SeedKey {
        key: CreateKeyRequestBody {
            key_alias: "app-key".into(),
            key_description: Some("for CI".into()),
            ..Default::default()
        },
        key_state: Some(SeedKeyState::Disabled),
        key_rotation_enabled: Some(true),
        rotation_interval: Some(90),
        tags: Some(vec![TagItem {
            key: "env".into(),
            value: "ci".into(),
        }]),
        // Generated: a key given material does not rotate (its own test).
        ..seeded("app-key")
    };
    f.kms.seed_key(&a(), &full()).unwrap();
    assert_eq!(
        f.kms.seed_key(&a(), &full()).unwrap(),
        SeedOutcome::Unchanged
    );

    let msg = conflict(f.kms.seed_key(&a(), &seeded("renamed")), "key_alias");
    assert!(msg.contains("renamed") && msg.contains("app-key"), "{msg}");
    let mut s = full();
    s.key.key_description = Some("other".into());
    conflict(f.kms.seed_key(&a(), &s), "key_description");
    let mut s = full();
    s.key_state = Some(SeedKeyState::Enabled);
    let msg = conflict(f.kms.seed_key(&a(), &s), "key_state");
    assert!(msg.contains("disabled") && msg.contains("enabled"), "{msg}");
    let mut s = full();
    s.rotation_interval = Some(60);
    conflict(f.kms.seed_key(&a(), &s), "rotation_interval");
    let mut s = full();
    s.key_rotation_enabled = Some(false);
    conflict(f.kms.seed_key(&a(), &s), "key_rotation_enabled");
    let mut s = full();
    s.tags = Some(vec![]);
    let msg = conflict(f.kms.seed_key(&a(), &s), "tags");
    assert!(msg.contains("env=ci"), "{msg}");
    let mut s = full();
    let mut other = MATERIAL;
    other[0] ^= 0x80;
    s.key_material = material(&other);
    (s.key_rotation_enabled, s.rotation_interval) = (None, None);
    let msg = conflict(f.kms.seed_key(&a(), &s), "key_material");
    assert!(!msg.to_lowercase().contains("00112233"), "{msg}");
    let mut s = full();
    s.key.keystore_id = Some(LooseString(KEYSTORE_ID.into()));
    conflict(f.kms.seed_key(&a(), &s), "keystore_id");
    // Leaving the mutable attributes out is not a conflict: the API may
    // have changed them.
    assert_eq!(
        f.kms.seed_key(&a(), &seeded("app-key")).unwrap(),
        SeedOutcome::Unchanged
    );
    // Nothing was changed by the failed attempts.
    let d = describe(&f.kms, KEY_ID);
    assert_eq!(
        (
            d.key_alias.as_str(),
            d.key_state.as_str(),
            d.key_description.as_str()
        ),
        ("app-key", "3", "for CI")
    );
}

#[test]
fn entries_are_validated_with_the_api_codes_before_anything_is_written() {
    let f = fixture();
    let cases: Vec<(SeedKey, ErrorCode, &str)> = vec![
        (
            SeedKey {
                key_id: "5EED0000-0000-4000-8000-000000000001".into(),
                ..seeded("k")
            },
            ErrorCode::KmsInvalidKeyId,
            "key_id",
        ),
        (
            seeded("bad alias!"),
            ErrorCode::KmsInvalidKeyAlias,
            "key_alias",
        ),
        (
            SeedKey {
                key: CreateKeyRequestBody {
                    key_alias: "k".into(),
                    key_spec: Some("AES_512".into()),
                    ..Default::default()
                },
                ..seeded("k")
            },
            ErrorCode::KmsInvalidKeySpec,
            "key_spec",
        ),
        (
            SeedKey {
                key_material: material(&MATERIAL[..31]),
                ..seeded("k")
            },
            ErrorCode::KmsInvalidParameter,
            "key_material must be exactly 32 bytes",
        ),
        (
            SeedKey {
                key: CreateKeyRequestBody {
                    key_alias: "k".into(),
                    key_spec: Some("EC_P256".into()),
                    ..Default::default()
                },
                key_material: material(&MATERIAL),
                ..seeded("k")
            },
            ErrorCode::KmsInvalidParameter,
            "symmetric",
        ),
        (
            SeedKey {
                key_state: Some(SeedKeyState::PendingDeletion { pending_days: 3 }),
                ..seeded("k")
            },
            ErrorCode::KmsInvalidPendingDays,
            "pending_days",
        ),
        (
            SeedKey {
                rotation_interval: Some(10),
                ..seeded("k")
            },
            ErrorCode::KmsInvalidRotationInterval,
            "rotation_interval",
        ),
        (
            SeedKey {
                key: CreateKeyRequestBody {
                    key_alias: "k".into(),
                    key_spec: Some("EC_P256".into()),
                    ..Default::default()
                },
                key_rotation_enabled: Some(true),
                ..seeded("k")
            },
            ErrorCode::KmsAsymmetricUnsupported,
            "rotate",
        ),
        (
            SeedKey {
                key_rotation_enabled: Some(true),
                ..with_material("k")
            },
            ErrorCode::KmsExternalKeyNotRotatable,
            "origin external",
        ),
        (
            SeedKey {
                rotation_interval: Some(90),
                ..with_material("k")
            },
            ErrorCode::KmsExternalKeyNotRotatable,
            "origin external",
        ),
        (
            SeedKey {
                tags: Some(
                    (0..11)
                        .map(|i| TagItem {
                            key: format!("t{i}"),
                            value: String::new(),
                        })
                        .collect(),
                ),
                ..seeded("k")
            },
            ErrorCode::KmsInvalidTagListSize,
            "tags",
        ),
        (
            SeedKey {
                key: CreateKeyRequestBody {
                    key_alias: "k".into(),
                    keystore_id: Some(LooseString(KEYSTORE_ID.into())),
                    ..Default::default()
                },
                ..seeded("k")
            },
            ErrorCode::KmsKeystoreNotFound,
            KEYSTORE_ID,
        ),
    ];
    for (seed, code, needle) in cases {
        let msg = rejected(f.kms.seed_key(&a(), &seed), code);
        assert!(msg.contains(needle), "{msg} lacks {needle}");
    }
    let listed = f
        .kms
        .wire()
        .list_keys(&a(), &kms_model::ListKeysRequestBody::default())
        .unwrap();
    assert_eq!(listed.total, 0, "a rejected entry wrote nothing");
    // The audit names each attempt with the API's code.
    let events = f.audit.events();
    assert_eq!(events.len(), 13, "one event per entry, and list-keys");
    assert!(events[..12].iter().all(|e| e.action == "seed-key"));
    assert!(events.iter().any(|e| e.error_code == Some("KMS.1101")));
}

#[test]
fn aliases_are_unique_per_project_and_ids_across_projects() {
    let f = fixture();
    f.kms.seed_key(&a(), &seeded("shared-alias")).unwrap();
    let twin = SeedKey {
        key_id: OTHER_ID.into(),
        ..seeded("shared-alias")
    };
    let msg = rejected(f.kms.seed_key(&a(), &twin), ErrorCode::KmsDuplicateKeyAlias);
    assert!(msg.contains("shared-alias"), "{msg}");
    // The same id in another project is a conflict, not a second key.
    let b = Caller::new("dom-b", "proj-b");
    let msg = conflict(f.kms.seed_key(&b, &seeded("shared-alias")), "key_id");
    assert!(msg.contains("another project"), "{msg}");
    // Another project may use the alias with another id.
    assert_eq!(f.kms.seed_key(&b, &twin).unwrap(), SeedOutcome::Created);
}

#[test]
fn states_rotation_and_tags_are_what_the_api_reports() {
    let f = fixture();
    let seed = SeedKey {
        key_state: Some(SeedKeyState::PendingDeletion { pending_days: 7 }),
        key_rotation_enabled: Some(true),
        rotation_interval: Some(30),
        tags: Some(vec![
            TagItem {
                key: "team".into(),
                value: "payments".into(),
            },
            TagItem {
                key: "env".into(),
                value: "ci".into(),
            },
        ]),
        ..seeded("doomed")
    };
    f.kms.seed_key(&a(), &seed).unwrap();
    let d = describe(&f.kms, KEY_ID);
    assert_eq!(d.key_state, "4");
    assert_eq!(d.scheduled_deletion_date, (NOW + 7 * DAY).to_string());
    assert_eq!(d.key_rotation_enabled, "true");
    let op = OperateKeyRequestBody {
        key_id: KEY_ID.into(),
        sequence: None,
    };
    let r = f.kms.wire().get_key_rotation_status(&a(), &op).unwrap();
    assert_eq!(r.rotation_interval, 30);
    let tags = f.kms.wire().show_kms_tags(&a(), KEY_ID).unwrap();
    let pairs: Vec<(String, String)> = tags.tags.into_iter().map(|t| (t.key, t.value)).collect();
    assert_eq!(
        pairs,
        [
            ("env".into(), "ci".into()),
            ("team".into(), "payments".into())
        ]
    );
    // A day later: same file, nothing changes (the date is not compared).
    f.clock.set(Timestamp(NOW + DAY));
    assert_eq!(f.kms.seed_key(&a(), &seed).unwrap(), SeedOutcome::Unchanged);
    // Once the deletion has taken effect the key is gone, and the entry
    // creates it again.
    f.clock.set(Timestamp(NOW + 8 * DAY));
    assert_eq!(f.kms.seed_key(&a(), &seed).unwrap(), SeedOutcome::Created);
    assert_eq!(
        describe(&f.kms, KEY_ID).scheduled_deletion_date,
        (NOW + 15 * DAY).to_string()
    );
    // A disabled key refuses use as the API's would.
    let f = fixture();
    f.kms
        .seed_key(
            &a(),
            &SeedKey {
                key_state: Some(SeedKeyState::Disabled),
                ..seeded("off")
            },
        )
        .unwrap();
    let err = f
        .kms
        .wire()
        .create_datakey(
            &a(),
            &CreateDatakeyRequestBody {
                key_id: KEY_ID.into(),
                datakey_length: Some("256".into()),
                ..Default::default()
            },
        )
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::KmsKeyDisabled);
}

#[test]
fn keystores_are_seeded_with_fixed_ids_and_hold_seeded_keys() {
    let f = fixture();
    let ks = |alias: &str| SeedKeystore {
        keystore_id: KEYSTORE_ID.into(),
        keystore: CreateKeyStoreRequestBody {
            keystore_alias: alias.into(),
            hsm_cluster_id: Some("hsm-a".into()),
            hsm_ca_cert: Some(f.ca_pem.clone()),
            ..Default::default()
        },
        enabled: None,
    };
    assert_eq!(
        f.kms.seed_keystore(&a(), &ks("ci-store")).unwrap(),
        SeedOutcome::Created
    );
    let shown = f.kms.wire().show_keystore(&a(), KEYSTORE_ID).unwrap();
    assert_eq!(shown.keystore.keystore_alias, "ci-store");
    assert_eq!(shown.keystore.hsm_cluster_id, "hsm-a");
    assert_eq!(
        f.kms.seed_keystore(&a(), &ks("ci-store")).unwrap(),
        SeedOutcome::Unchanged
    );
    conflict(f.kms.seed_keystore(&a(), &ks("renamed")), "keystore_alias");
    let disabled = SeedKeystore {
        enabled: Some(false),
        ..ks("ci-store")
    };
    conflict(f.kms.seed_keystore(&a(), &disabled), "keystore_state");

    let key = SeedKey {
        key: CreateKeyRequestBody {
            key_alias: "in-store".into(),
            keystore_id: Some(LooseString(KEYSTORE_ID.into())),
            ..Default::default()
        },
        key_material: material(&MATERIAL),
        ..seeded("in-store")
    };
    f.kms.seed_key(&a(), &key).unwrap();
    assert_eq!(describe(&f.kms, KEY_ID).keystore_id, KEYSTORE_ID);
    let made = new_dek(&f.kms, KEY_ID);
    let again = f.restarted();
    assert_eq!(again.seed_key(&a(), &key).unwrap(), SeedOutcome::Unchanged);
    decrypt(&again, KEY_ID, &made.cipher_text);

    // create-keystore's rules: an unknown cluster, a malformed id.
    let mut bad = ks("x");
    bad.keystore.hsm_cluster_id = Some("nope".into());
    bad.keystore_id = OTHER_ID.into();
    rejected(
        f.kms.seed_keystore(&a(), &bad),
        ErrorCode::KmsClusterNotFound,
    );
    let mut bad = ks("x");
    bad.keystore_id = "ks-1".into();
    rejected(
        f.kms.seed_keystore(&a(), &bad),
        ErrorCode::KmsInvalidParameter,
    );
    let audit: Vec<&str> = f.audit.events().iter().map(|e| e.action).collect();
    assert!(audit.contains(&"seed-keystore") && audit.contains(&"seed-keystore-unchanged"));
}

fn leaf(name: &str) -> (String, String) {
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(vec![name.to_owned()]).unwrap();
    params.not_before = rcgen::date_time_ymd(2024, 1, 1);
    params.not_after = rcgen::date_time_ymd(2036, 1, 1);
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, name);
    let cert = params.self_signed(&key).unwrap();
    (cert.pem(), key.serialize_pem())
}

#[test]
fn certificates_are_seeded_with_fixed_ids_and_compared_by_content_and_key() {
    let f = fixture();
    let (cert, key) = leaf("seed.example");
    let seed = |name: &str, cert: &str, key: &str| SeedCertificate {
        id: CERT_ID.into(),
        form: CertificateForm {
            name: name.into(),
            cert_content: cert.into(),
            private_key: key.into(),
            ..Default::default()
        },
    };
    assert_eq!(
        f.kms
            .seed_certificate(&a(), &seed("ci_cert", &cert, &key))
            .unwrap(),
        SeedOutcome::Created
    );
    let shown = f.kms.wire().show_certificate(&a(), CERT_ID).unwrap();
    assert_eq!(shown.common_name, "seed.example");
    assert_eq!(
        f.kms
            .wire()
            .certificate_private_key(&a(), CERT_ID)
            .unwrap()
            .as_slice(),
        key.as_bytes()
    );
    assert_eq!(
        f.restarted()
            .seed_certificate(&a(), &seed("ci_cert", &cert, &key))
            .unwrap(),
        SeedOutcome::Unchanged
    );
    conflict(
        f.kms
            .seed_certificate(&a(), &seed("other_name", &cert, &key)),
        "name",
    );
    let (cert2, key2) = leaf("other.example");
    conflict(
        f.kms
            .seed_certificate(&a(), &seed("ci_cert", &cert2, &key2)),
        "cert_content",
    );
    let msg = conflict(
        f.kms.seed_certificate(&a(), &seed("ci_cert", &cert, &key2)),
        "private_key",
    );
    assert!(!msg.contains("PRIVATE KEY"), "{msg}");
    // create-certificate's rules: the key must match the certificate, the
    // id must be of the issued form.
    let mut bad = seed("ci_cert2", &cert, &key2);
    bad.id = CERT_ID.replace('0', "1");
    rejected(
        f.kms.seed_certificate(&a(), &bad),
        ErrorCode::ApigCertKeyMismatch,
    );
    let mut bad = seed("ci_cert2", &cert, &key);
    bad.id = "not-an-id".into();
    rejected(
        f.kms.seed_certificate(&a(), &bad),
        ErrorCode::ApigInvalidParameterValue,
    );
}

#[test]
fn every_entry_is_audited_and_material_never_shows() {
    let f = fixture();
    let seed = with_material("audited");
    f.kms.seed_key(&a(), &seed).unwrap();
    f.kms.seed_key(&a(), &seed).unwrap();
    let _ = f.kms.seed_key(&a(), &with_material("renamed"));
    let events = f.audit.events();
    let seen: Vec<(&str, Option<&str>, Option<&str>)> = events
        .iter()
        .map(|e| (e.action, e.resource.as_deref(), e.error_code))
        .collect();
    assert_eq!(
        seen,
        [
            ("seed-key", Some(KEY_ID), None),
            ("seed-key-unchanged", Some(KEY_ID), None),
            ("seed-key", Some(KEY_ID), Some("conflict")),
        ]
    );
    assert!(events.iter().all(|e| e.project_id == "proj-a"));
    let dbg = format!("{seed:?}");
    assert!(
        dbg.contains("ImportedKeyMaterial(<redacted>, 32 bytes)"),
        "{dbg}"
    );
    assert!(!dbg.contains("221"), "{dbg}");
    assert!(!format!("{events:?}").contains("0x11"));
}

/// An SM4 key seeded with known material makes SM4 blobs (`0x07`) that
/// kms-crypto alone opens from the material with the SM4 suite, and that
/// the same material under the AES suite does not.
#[test]
fn a_seeded_sm4_key_makes_sm4_blobs_under_its_material() {
    let f = fixture();
    let mut s = with_material("sm4-key");
    s.key.key_spec = Some("SM4".into());
    assert_eq!(f.kms.seed_key(&a(), &s).unwrap(), SeedOutcome::Created);
    assert_eq!(describe(&f.kms, KEY_ID).key_spec, "SM4");
    let made = new_dek(&f.kms, KEY_ID);
    assert_eq!(&made.cipher_text[..4], "0107");
    let plain = decrypt(&f.kms, KEY_ID, &made.cipher_text);
    let blob = Ciphertext::from_hex(&made.cipher_text).unwrap();
    let ctx = DekContext::new("proj-a", b"seeded").unwrap();
    let sm4 = MasterKey::from_bytes(KEY_ID, 1, &MATERIAL)
        .unwrap()
        .into_suite(kms_crypto::CipherSuite::Sm4Gcm)
        .unwrap();
    let dek = sm4.unwrap_dek(blob.as_bytes(), &ctx).unwrap();
    assert_eq!(dek.to_hex().to_uppercase(), plain.to_uppercase());
    let aes = MasterKey::from_bytes(KEY_ID, 1, &MATERIAL).unwrap();
    assert!(aes.unwrap_dek(blob.as_bytes(), &ctx).is_err());
    assert_eq!(
        f.restarted().seed_key(&a(), &s).unwrap(),
        SeedOutcome::Unchanged
    );
}
