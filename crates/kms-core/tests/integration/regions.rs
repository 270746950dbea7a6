//! Multi-region keys through the core with in-memory adapters:
//! replicate-key (material copied, every version; the replica opens the
//! primary's data and DEK ciphertexts and the primary the replica's),
//! describe-key's `multi_region_key_type` and `realm`, update-primary-region,
//! the rules and codes, and no rotation for a group.

use kms_core::memory;
use kms_core::ports::Caller;
use kms_core::{CoreConfig, Kms, ProjectRef, RegionConfig};
use kms_model::{
    ApiError, CreateDatakeyRequestBody, CreateKeyRequestBody, DecryptDataRequestBody,
    DecryptDatakeyRequestBody, EncryptDataRequestBody, OperateKeyRequestBody,
    ReplicateKeyRequestBody, RotateOnDemandRequestBody, TagItem, UpdatePrimaryRegionRequestBody,
};

const HOME: &str = "local-1";
const SOUTH: &str = "cn-south-1";
const EAST: &str = "cn-east-3";

fn project(project_id: &str, domain_id: &str) -> ProjectRef {
    ProjectRef {
        project_id: project_id.into(),
        domain_id: domain_id.into(),
    }
}

/// Home region `local-1` (project p1 of dom-a named), `cn-south-1` (p2 of
/// dom-a, p3 of dom-b), `cn-east-3` (p4 of dom-a).
fn kms() -> Kms {
    Kms::new(
        memory::test_ports([8u8; 32]).unwrap(),
        CoreConfig {
            regions: vec![
                RegionConfig {
                    region_id: HOME.into(),
                    projects: vec![project("p1", "dom-a")],
                },
                RegionConfig {
                    region_id: SOUTH.into(),
                    projects: vec![project("p2", "dom-a"), project("p3", "dom-b")],
                },
                RegionConfig {
                    region_id: EAST.into(),
                    projects: vec![project("p4", "dom-a")],
                },
            ],
            ..CoreConfig::default()
        },
    )
}

fn p(n: u8) -> Caller {
    match n {
        3 => Caller::new("dom-b", "p3"),
        n => Caller::new("dom-a", format!("p{n}")),
    }
}

fn code<T: std::fmt::Debug>(r: Result<T, ApiError>) -> &'static str {
    r.expect_err("expected an error").code().as_str()
}

fn create(k: &Kms, c: &Caller, alias: &str, spec: Option<&str>) -> String {
    k.wire()
        .create_key(
            c,
            &CreateKeyRequestBody {
                key_alias: alias.into(),
                key_spec: spec.map(Into::into),
                ..Default::default()
            },
        )
        .unwrap()
        .key_info
        .key_id
}

fn replicate(
    k: &Kms,
    c: &Caller,
    key_id: &str,
    region: &str,
    project: &str,
    alias: &str,
) -> Result<kms_model::ReplicateKeyResponseBody, ApiError> {
    k.wire().replicate_key(
        c,
        key_id,
        &ReplicateKeyRequestBody {
            replica_region: region.into(),
            replica_project_id: project.into(),
            key_alias: alias.into(),
            ..Default::default()
        },
    )
}

fn encrypt(k: &Kms, c: &Caller, key_id: &str, aad: Option<&str>) -> String {
    k.wire()
        .encrypt_data(
            c,
            &EncryptDataRequestBody {
                key_id: key_id.into(),
                plain_text: "across regions".into(),
                additional_authenticated_data: aad.map(Into::into),
                ..Default::default()
            },
        )
        .unwrap()
        .cipher_text
}

fn decrypt(
    k: &Kms,
    c: &Caller,
    ct: &str,
    key_id: Option<&str>,
    aad: Option<&str>,
) -> Result<(String, String), ApiError> {
    k.wire()
        .decrypt_data(
            c,
            &DecryptDataRequestBody {
                cipher_text: ct.into(),
                key_id: key_id.map(Into::into),
                additional_authenticated_data: aad.map(Into::into),
                ..Default::default()
            },
        )
        .map(|r| (r.key_id, r.plain_text.expose().clone()))
}

fn role(k: &Kms, c: &Caller, key_id: &str) -> (Option<String>, String) {
    let d = k
        .wire()
        .describe_key(
            c,
            &OperateKeyRequestBody {
                key_id: key_id.into(),
                sequence: None,
            },
        )
        .unwrap()
        .key_info;
    (d.multi_region_key_type, d.realm)
}

#[test]
fn a_replica_opens_the_primarys_ciphertexts_and_back() {
    let k = kms();
    let primary = create(&k, &p(1), "mrk", None);
    let ct = encrypt(&k, &p(1), &primary, Some("ctx"));
    let dek = k
        .wire()
        .create_datakey(
            &p(1),
            &CreateDatakeyRequestBody {
                key_id: primary.clone(),
                datakey_length: Some("256".into()),
                ..Default::default()
            },
        )
        .unwrap();
    let made = k
        .wire()
        .replicate_key(
            &p(1),
            &primary,
            &ReplicateKeyRequestBody {
                key_id: Some(primary.clone()),
                replica_region: SOUTH.into(),
                replica_project_id: "p2".into(),
                key_alias: "mrk-south".into(),
                key_description: Some("replica".into()),
                tags: Some(vec![TagItem {
                    key: "env".into(),
                    value: "dr".into(),
                }]),
                ..Default::default()
            },
        )
        .unwrap();
    assert_ne!(made.key_id, primary);
    assert_eq!(
        (made.domain_id.as_str(), made.region.as_str()),
        ("dom-a", SOUTH)
    );
    let replica = made.key_id;
    // describe-key: each in its own project and region, with its role.
    assert_eq!(
        role(&k, &p(1), &primary),
        (Some("PRIMARY".into()), HOME.into())
    );
    assert_eq!(
        role(&k, &p(2), &replica),
        (Some("REPLICA".into()), SOUTH.into())
    );
    let tags = k.wire().show_kms_tags(&p(2), &replica).unwrap().tags;
    assert_eq!(
        (tags[0].key.as_str(), tags[0].value.as_str()),
        ("env", "dr")
    );
    // The replica opens the primary's data ciphertext (named by its own id
    // or by none), with the AAD it was bound to and no other.
    assert_eq!(
        decrypt(&k, &p(2), &ct, None, Some("ctx")).unwrap(),
        (replica.clone(), "across regions".to_owned())
    );
    assert_eq!(
        decrypt(&k, &p(2), &ct, Some(&replica), Some("ctx"))
            .unwrap()
            .0,
        replica
    );
    assert_eq!(
        code(decrypt(&k, &p(2), &ct, None, Some("other"))),
        "KMS.2201"
    );
    // ... and its DEK ciphertext, naming its own key.
    let opened = k
        .wire()
        .decrypt_datakey(
            &p(2),
            &DecryptDatakeyRequestBody {
                key_id: replica.clone(),
                cipher_text: dek.cipher_text.clone(),
                datakey_cipher_length: "32".into(),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(opened.data_key.expose(), dek.plain_text.expose());
    // The primary opens what the replica sealed.
    let back = encrypt(&k, &p(2), &replica, None);
    assert_eq!(
        decrypt(&k, &p(1), &back, None, None).unwrap(),
        (primary.clone(), "across regions".to_owned())
    );
    // Another account's project in the same region has no member: no.
    assert_eq!(code(decrypt(&k, &p(3), &ct, None, Some("ctx"))), "KMS.0207");
    // A second replica in another region opens the same ciphertexts.
    let east = replicate(&k, &p(1), &primary, EAST, "p4", "mrk-east")
        .unwrap()
        .key_id;
    assert_eq!(decrypt(&k, &p(4), &ct, None, Some("ctx")).unwrap().0, east);
    assert_eq!(decrypt(&k, &p(4), &back, None, None).unwrap().0, east);
}

#[test]
fn every_version_is_copied() {
    let k = kms();
    let key = create(&k, &p(1), "versions", Some("SM4"));
    let v1 = encrypt(&k, &p(1), &key, None);
    k.wire()
        .rotate_on_demand(
            &p(1),
            &RotateOnDemandRequestBody {
                key_id: key.clone(),
            },
        )
        .unwrap();
    let v2 = encrypt(&k, &p(1), &key, None);
    let replica = replicate(&k, &p(1), &key, SOUTH, "p2", "v").unwrap().key_id;
    for ct in [&v1, &v2] {
        assert_eq!(decrypt(&k, &p(2), ct, None, None).unwrap().0, replica);
    }
}

#[test]
fn rules_and_codes() {
    let k = kms();
    let key = create(&k, &p(1), "src", None);
    // The body's key_id, when given, must be the path's (a bad key_id:
    // KMS.0205).
    let other = create(&k, &p(1), "other", None);
    let r = k.wire().replicate_key(
        &p(1),
        &key,
        &ReplicateKeyRequestBody {
            key_id: Some(other.clone()),
            replica_region: SOUTH.into(),
            replica_project_id: "p2".into(),
            key_alias: "x".into(),
            ..Default::default()
        },
    );
    assert_eq!(code(r), "KMS.0205");
    // Regions: not served, the key's own; a project not of this account in
    // that region, or of none.
    assert_eq!(
        code(replicate(&k, &p(1), &key, "eu-west-0", "p2", "x")),
        "KMS.0308"
    );
    assert_eq!(
        code(replicate(&k, &p(1), &key, HOME, "p1", "x")),
        "KMS.0308"
    );
    assert_eq!(
        code(replicate(&k, &p(1), &key, SOUTH, "p3", "x")),
        "KMS.0308"
    );
    assert_eq!(
        code(replicate(&k, &p(1), &key, SOUTH, "p4", "x")),
        "KMS.0308"
    );
    assert_eq!(
        code(replicate(&k, &p(1), &key, "Bad Region", "p2", "x")),
        "KMS.0308"
    );
    assert_eq!(
        code(replicate(&k, &p(1), "not-a-key", SOUTH, "p2", "x")),
        "KMS.0205"
    );
    // Unknown key; another project's key.
    assert_eq!(
        code(replicate(
            &k,
            &p(1),
            "00000000-0000-4000-8000-000000000000",
            SOUTH,
            "p2",
            "x"
        )),
        "KMS.0207"
    );
    assert_eq!(
        code(replicate(&k, &p(2), &key, EAST, "p4", "x")),
        "KMS.0207"
    );
    // The alias is unique in the replica's project.
    create(&k, &p(2), "taken", None);
    assert_eq!(
        code(replicate(&k, &p(1), &key, SOUTH, "p2", "taken")),
        "KMS.1104"
    );
    // Only symmetric default-keystore keys, rotation off.
    // (A signing key answers as for any encryption operation.)
    let rsa = create(&k, &p(1), "rsa", Some("RSA_2048"));
    assert_eq!(
        code(replicate(&k, &p(1), &rsa, SOUTH, "p2", "x")),
        "KMS.0335"
    );
    let rsa_enc = k
        .wire()
        .create_key(
            &p(1),
            &CreateKeyRequestBody {
                key_alias: "rsa-enc".into(),
                key_spec: Some("RSA_2048".into()),
                key_usage: Some("ENCRYPT_DECRYPT".into()),
                ..Default::default()
            },
        )
        .unwrap()
        .key_info
        .key_id;
    assert_eq!(
        code(replicate(&k, &p(1), &rsa_enc, SOUTH, "p2", "x")),
        "KMS.0308"
    );
    let rotating = create(&k, &p(1), "rotating", None);
    k.wire()
        .enable_key_rotation(
            &p(1),
            &OperateKeyRequestBody {
                key_id: rotating.clone(),
                sequence: None,
            },
        )
        .unwrap();
    assert_eq!(
        code(replicate(&k, &p(1), &rotating, SOUTH, "p2", "x")),
        "KMS.0308"
    );
    // One member per region; a replica is not replicated.
    let replica = replicate(&k, &p(1), &key, SOUTH, "p2", "ok")
        .unwrap()
        .key_id;
    assert_eq!(
        code(replicate(&k, &p(1), &key, SOUTH, "p2", "again")),
        "KMS.0308"
    );
    assert_eq!(
        code(replicate(&k, &p(2), &replica, EAST, "p4", "x")),
        "KMS.0308"
    );
    // A group does not rotate: on demand, or turned on, on either member.
    let rotate = |c: &Caller, id: &str| {
        k.wire()
            .rotate_on_demand(c, &RotateOnDemandRequestBody { key_id: id.into() })
    };
    assert_eq!(code(rotate(&p(1), &key)), "KMS.0308");
    assert_eq!(code(rotate(&p(2), &replica)), "KMS.0308");
    let enable = k.wire().enable_key_rotation(
        &p(2),
        &OperateKeyRequestBody {
            key_id: replica.clone(),
            sequence: None,
        },
    );
    assert_eq!(code(enable), "KMS.0308");
    // A disabled key is not replicated.
    k.wire()
        .disable_key(
            &p(1),
            &OperateKeyRequestBody {
                key_id: other.clone(),
                sequence: None,
            },
        )
        .unwrap();
    assert_eq!(
        code(replicate(&k, &p(1), &other, SOUTH, "p2", "y")),
        "KMS.0209"
    );
}

#[test]
fn the_primary_region_moves() {
    let k = kms();
    let key = create(&k, &p(1), "moving", None);
    let update = |c: &Caller, id: &str, region: &str| {
        k.wire().update_primary_region(
            c,
            id,
            &UpdatePrimaryRegionRequestBody {
                key_id: None,
                primary_region: region.into(),
            },
        )
    };
    // A key in no group.
    assert_eq!(code(update(&p(1), &key, SOUTH)), "KMS.0308");
    let south = replicate(&k, &p(1), &key, SOUTH, "p2", "moving")
        .unwrap()
        .key_id;
    // Through a replica; to a region the group has no member in.
    assert_eq!(code(update(&p(2), &south, SOUTH)), "KMS.0308");
    assert_eq!(code(update(&p(1), &key, EAST)), "KMS.0308");
    assert_eq!(code(update(&p(1), &key, "BAD")), "KMS.0308");
    let moved = update(&p(1), &key, SOUTH).unwrap();
    assert_eq!(
        (moved.key_id.as_str(), moved.primary_region.as_str()),
        (key.as_str(), SOUTH)
    );
    assert_eq!(role(&k, &p(1), &key).0.as_deref(), Some("REPLICA"));
    assert_eq!(role(&k, &p(2), &south).0.as_deref(), Some("PRIMARY"));
    // The new primary replicates; the old one no longer does.
    assert_eq!(
        code(replicate(&k, &p(1), &key, EAST, "p4", "e")),
        "KMS.0308"
    );
    let east = replicate(&k, &p(2), &south, EAST, "p4", "e")
        .unwrap()
        .key_id;
    let ct = encrypt(&k, &p(1), &key, None);
    assert_eq!(decrypt(&k, &p(4), &ct, None, None).unwrap().0, east);
    // Naming its own region again: nothing to do.
    assert_eq!(update(&p(2), &south, SOUTH).unwrap().primary_region, SOUTH);
}

#[test]
fn the_regions_served_are_listed() {
    let k = kms();
    assert_eq!(
        k.wire()
            .list_support_regions(&p(1), None, None)
            .unwrap()
            .regions,
        [HOME, SOUTH, EAST]
    );
    // Terraform pages by `limit` and `offset` until a page is empty.
    let page = |offset: &str, limit: &str| {
        k.wire()
            .list_support_regions(&p(1), Some(offset), Some(limit))
            .map(|r| r.regions)
    };
    assert_eq!(page("0", "2").unwrap(), [HOME, SOUTH]);
    assert_eq!(page("2", "2").unwrap(), [EAST]);
    assert_eq!(page("3", "50").unwrap(), Vec::<String>::new());
    assert_eq!(code(page("0", "0")), "KMS.1601");
    assert_eq!(code(page("-1", "5")), "KMS.1603");
}
