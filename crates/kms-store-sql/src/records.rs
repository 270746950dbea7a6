//! Rows to kms-core's records and records to statement parameters, with
//! the stored codes of enumerated fields from [`crate::codes`].

use kms_core::ports::{
    CarriedPinKeys, KeyRecord, KeyRotation, KeystoreRecord, PortError, PortResult,
    ROOT_FINGERPRINT_LEN, RootBoundItem, RootBoundRow, RootKeyState, RootRotationTarget,
    StoredCertificate, Timestamp,
};
use kms_crypto::Ciphertext;
use kms_model::KeystoreRef;

use crate::codes;
use crate::value::{Row, Value};

fn corrupt(what: &'static str) -> impl FnOnce(std::num::TryFromIntError) -> PortError {
    move |_| PortError::corrupt(what)
}

fn version(v: i64) -> PortResult<u32> {
    u32::try_from(v).map_err(corrupt("bad key version in database"))
}

/// A keystore from a row of [`crate::dialect::KEYSTORE_COLUMNS`].
///
/// # Errors
/// [`kms_core::ports::PortErrorKind::Corrupt`]: a column of the wrong type
/// or an unknown type or state.
pub fn keystore(r: &Row) -> PortResult<KeystoreRecord> {
    let ty = r.text(3)?;
    Ok(KeystoreRecord {
        keystore_id: r.text(0)?,
        domain_id: r.text(1)?,
        alias: r.text(2)?,
        keystore_type: codes::keystore_type(&ty)?,
        cluster_id: r.opt_text(4)?,
        state: codes::keystore_state(&r.text(5)?)?,
        create_time: Timestamp(r.int(6)?),
    })
}

/// The parameters of [`crate::Queries::insert_keystore`].
#[must_use]
pub fn keystore_params(k: &KeystoreRecord) -> Vec<Value> {
    vec![
        k.keystore_id.as_str().into(),
        k.domain_id.as_str().into(),
        k.alias.as_str().into(),
        codes::keystore_type_code(k.keystore_type).into(),
        k.cluster_id.as_deref().into(),
        codes::keystore_state_code(k.state).into(),
        k.create_time.0.into(),
    ]
}

/// A key from a row of [`crate::dialect::KEY_COLUMNS`].
///
/// # Errors
/// [`kms_core::ports::PortErrorKind::Corrupt`]: a column of the wrong type,
/// out of range, or an unknown state, spec, usage or origin.
pub fn key(r: &Row) -> PortResult<KeyRecord> {
    Ok(KeyRecord {
        key_id: r.text(0)?,
        domain_id: r.text(1)?,
        project_id: r.text(2)?,
        alias: r.text(3)?,
        description: r.text(4)?,
        keystore_id: r.text(5)?,
        state: codes::key_state(&r.text(6)?)?,
        current_version: version(r.int(7)?)?,
        create_time: Timestamp(r.int(8)?),
        deletion_time: r.opt_int(9)?.map(Timestamp),
        rotation: KeyRotation {
            enabled: r.flag(10)?,
            interval_days: u32::try_from(r.int(11)?)
                .map_err(corrupt("bad rotation interval in database"))?,
            last_rotation_time: r.opt_int(12)?.map(Timestamp),
            rotations: u32::try_from(r.int(13)?)
                .map_err(corrupt("bad rotation count in database"))?,
            interval_start: r.opt_int(17)?.map(Timestamp),
        },
        spec: codes::spec(&r.text(14)?)?,
        usage: codes::usage(&r.text(15)?)?,
        origin: codes::origin(&r.text(16)?)?,
        material_expiry: r.opt_int(18)?.map(Timestamp),
    })
}

/// The parameters of [`crate::Queries::insert_key`].
#[must_use]
pub fn key_params(k: &KeyRecord) -> Vec<Value> {
    let dedicated = KeystoreRef::is_dedicated_id(&k.keystore_id).then_some(&k.keystore_id);
    vec![
        (&k.key_id).into(),
        (&k.domain_id).into(),
        (&k.project_id).into(),
        (&k.alias).into(),
        (&k.description).into(),
        (&k.keystore_id).into(),
        dedicated.into(),
        codes::key_state_code(k.state).into(),
        k.current_version.into(),
        k.create_time.0.into(),
        k.deletion_time.map(|t| t.0).into(),
        k.rotation.enabled.into(),
        k.rotation.interval_days.into(),
        k.rotation.last_rotation_time.map(|t| t.0).into(),
        k.rotation.rotations.into(),
        codes::spec_code(k.spec).into(),
        codes::usage_code(k.usage).into(),
        codes::origin_code(k.origin).into(),
        k.rotation.interval_start.map(|t| t.0).into(),
        k.material_expiry.map(|t| t.0).into(),
    ]
}

/// A certificate from a row of [`crate::dialect::CERT_COLUMNS`].
///
/// # Errors
/// [`kms_core::ports::PortErrorKind::Corrupt`]: a bad record or sealed
/// key, or a legacy clear private key not sealed yet.
pub fn certificate(r: &Row) -> PortResult<StoredCertificate> {
    let record = crate::cert_json::decode(&r.text(0)?)?;
    // NULL only in a SQLite schema-1 row whose clear key was not sealed
    // yet: the host runs `seal_legacy_private_keys` before serving.
    let sealed = r
        .opt_bytes(2)?
        .ok_or_else(|| PortError::corrupt("certificate private key not sealed (legacy row)"))?;
    let sealed_private_key = Ciphertext::from_bytes(&sealed)
        .map_err(|e| PortError::corrupt("bad sealed private key in database").with_source(e))?;
    Ok(StoredCertificate {
        record,
        cert_pem: r.text(1)?,
        sealed_private_key,
        trusted_root_ca: r.opt_text(3)?,
    })
}

/// The parameters `?1..=?12` of [`crate::Queries::insert_cert`] and
/// [`crate::Queries::update_cert`], in column order: id, project_id,
/// scope_type, instance_id, name, common_name, signature_algorithm,
/// algorithm_type, record_json, cert_pem, sealed_private_key,
/// trusted_root_ca.
///
/// # Errors
/// As [`crate::codes::key_family_code`]; the record does not serialise.
pub fn certificate_params(cert: &StoredCertificate) -> PortResult<Vec<Value>> {
    let r = &cert.record;
    let json = crate::cert_json::encode(r)?;
    let (scope_type, instance_id) = codes::certificate_scope_codes(&r.scope);
    let algorithm_type = r.algorithm_type.map(codes::key_family_code).transpose()?;
    Ok(vec![
        (&r.id).into(),
        (&r.project_id).into(),
        scope_type.into(),
        instance_id.into(),
        (&r.name).into(),
        (&r.common_name).into(),
        (&r.signature_algorithm).into(),
        algorithm_type.unwrap_or("").into(),
        json.into(),
        (&cert.cert_pem).into(),
        cert.sealed_private_key.as_bytes().into(),
        cert.trusted_root_ca.as_deref().into(),
    ])
}

fn fingerprint(v: Vec<u8>) -> PortResult<[u8; ROOT_FINGERPRINT_LEN]> {
    v.try_into()
        .map_err(|_| PortError::corrupt("bad root key fingerprint in database"))
}

fn generation(v: i64) -> PortResult<u32> {
    u32::try_from(v).map_err(corrupt("bad root key generation in database"))
}

/// The root key's state from the row of [`crate::Queries::root_state`]
/// (none: nothing recorded yet).
///
/// # Errors
/// [`kms_core::ports::PortErrorKind::Corrupt`]: a bad fingerprint or
/// generation, or half a rotation recorded.
pub fn root_state(row: Option<&Row>) -> PortResult<RootKeyState> {
    let Some(r) = row else {
        return Ok(RootKeyState::default());
    };
    let rotation = match (r.opt_bytes(2)?, r.opt_int(3)?) {
        (Some(f), Some(g)) => Some(RootRotationTarget {
            fingerprint: fingerprint(f)?,
            generation: generation(g)?,
        }),
        (None, None) => None,
        _ => return Err(PortError::corrupt("half-recorded root key rotation")),
    };
    Ok(RootKeyState {
        fingerprint: r.opt_bytes(0)?.map(fingerprint).transpose()?,
        generation: generation(r.opt_int(1)?.unwrap_or(0))?,
        rotation,
    })
}

/// A PIN-key set carried by a rotation, from `keystore_id, wrapped`.
///
/// # Errors
/// [`kms_core::ports::PortErrorKind::Corrupt`]: a column of the wrong type.
pub fn carried(r: &Row) -> PortResult<CarriedPinKeys> {
    Ok(CarriedPinKeys {
        keystore_id: r.text(0)?,
        wrapped: r.bytes(1)?,
    })
}

/// A key version still under the old root key, from a row of
/// [`crate::Queries::unmoved_material`].
///
/// # Errors
/// [`kms_core::ports::PortErrorKind::Corrupt`]: a bad version or spec.
pub fn unmoved_material(r: &Row) -> PortResult<RootBoundRow> {
    Ok(RootBoundRow {
        item: RootBoundItem::KeyMaterial {
            key_id: r.text(0)?,
            version: version(r.int(1)?)?,
            keystore_id: r.text(2)?,
            spec: codes::spec(&r.text(3)?)?,
        },
        bytes: r.bytes(4)?,
    })
}

/// A certificate private key still under the old root key, from a row of
/// [`crate::Queries::unmoved_certs`].
///
/// # Errors
/// [`kms_core::ports::PortErrorKind::Corrupt`]: a column of the wrong type.
pub fn unmoved_cert(r: &Row) -> PortResult<RootBoundRow> {
    Ok(RootBoundRow {
        item: RootBoundItem::CertificatePrivateKey {
            project_id: r.text(0)?,
            certificate_id: r.text(1)?,
        },
        bytes: r.bytes(2)?,
    })
}

/// `(tag key, tag value)` rows, ordered by tag key, grouped into each tag
/// key's values.
#[must_use]
pub fn group_tags(rows: Vec<(String, String)>) -> Vec<(String, Vec<String>)> {
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    for (k, v) in rows {
        match out.last_mut() {
            Some((last, values)) if *last == k => values.push(v),
            _ => out.push((k, vec![v])),
        }
    }
    out
}
