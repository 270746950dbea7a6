//! Seeding: keystores, keys and certificates with ids fixed by the host
//! (and, for a symmetric key, material the host gives: such a key's origin
//! is `external`, as if its material had been imported, so it does not
//! rotate), created from a
//! declarative file the host reads at start (the core reads no file).
//!
//! Each entry is validated with the API's own rules (the same kms-model
//! validators, the same wire errors) before anything is written, then:
//! - absent from storage: created, in the state the entry states, in as
//!   few writes as the ports allow (the record in its final state with its
//!   material, then its tags);
//! - present: compared. Immutable attributes (spec, usage, keystore,
//!   origin, given material) and the alias are always compared; the mutable ones
//!   (description, state, rotation, tags) when the entry states them, so
//!   what the API changes on a key the entry leaves open is not a
//!   conflict. Equal: nothing is written ([`SeedOutcome::Unchanged`]);
//!   different: [`SeedError::Conflict`], naming the field.
//!
//! Every call is audited (`seed-key`, `seed-keystore`, `seed-certificate`
//! when it created, the same with `-unchanged` when it found the entry in
//! place; a conflict has the error code `conflict`).

use crate::error::CoreError;
use std::fmt;

use kms_crypto::MasterKey;
use kms_model::{
    BatchCreateKmsTagsRequestBody, BatchKmsTagsRequest, CertificateForm, CertificateRequest,
    CreateKeyRequest, CreateKeyRequestBody, CreateKeyStoreRequestBody, CreateKeystoreRequest,
    ErrorCode, KeyId, KeystoreId, LooseString, MAX_TAGS_PER_KEY, Rule, TagItem,
    UpdateKeyRotationIntervalRequest, UpdateKeyRotationIntervalRequestBody, ValidationError,
};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use super::keys::{is_gone, signing_spec};
use super::rotation::{external_not_rotatable, not_rotatable};
use super::{Kms, Res, apig_internal, kms_internal};
use crate::ports::{
    AuditEvent, Caller, CertificateWriteError, KeyOrigin, KeyRecord, KeyRotation, KeyState, KeyTag,
    KeystoreRecord, KeystoreState, TagWriteError,
};

/// Symmetric key material a host imports for a seeded key (origin
/// `EXTERNAL` semantics: the host knows the key). Zeroized on drop, not
/// `Clone`, `Debug` shows only its length.
pub struct ImportedKeyMaterial(Zeroizing<Vec<u8>>);

impl ImportedKeyMaterial {
    /// Material the host holds (for `AES_256`, 32 bytes; checked against
    /// the key spec by the seed operation).
    #[must_use]
    pub fn new(bytes: Zeroizing<Vec<u8>>) -> Self {
        Self(bytes)
    }

    /// Its length in bytes.
    #[must_use]
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether it is empty (it is then refused).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for ImportedKeyMaterial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ImportedKeyMaterial(<redacted>, {} bytes)", self.0.len())
    }
}

/// The state a seeded key is created in (the API's states).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SeedKeyState {
    /// `2`: usable.
    Enabled,
    /// `3`: disabled.
    Disabled,
    /// `4`: scheduled for deletion `pending_days` (7..=1096) after the key
    /// is created. Only the state is compared on a later start, not the
    /// date.
    PendingDeletion {
        /// Days until the deletion takes effect.
        pending_days: u64,
    },
}

impl SeedKeyState {
    const fn key_state(self) -> KeyState {
        match self {
            Self::Enabled => KeyState::Enabled,
            Self::Disabled => KeyState::Disabled,
            Self::PendingDeletion { .. } => KeyState::PendingDeletion,
        }
    }
}

/// A CMK to seed in the caller's project. The create-key fields are the
/// API's body and are validated as create-key validates it; `None` fields
/// take the API's defaults when the key is created and are not compared
/// with an existing key.
#[derive(Debug, Default)]
pub struct SeedKey {
    /// The fixed key id, in the form the API issues
    /// (`^[0-9a-z]{8}-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{12}$`).
    pub key_id: String,
    /// Alias, spec, usage, description and keystore, as create-key takes
    /// them (`origin` and `sequence` as create-key checks them).
    pub key: CreateKeyRequestBody,
    /// Version 1's material, for a symmetric key (`None`: generated).
    pub key_material: Option<ImportedKeyMaterial>,
    /// State (default enabled).
    pub key_state: Option<SeedKeyState>,
    /// `key_rotation_enabled` (default false).
    pub key_rotation_enabled: Option<bool>,
    /// `rotation_interval` in days, 30..=365 (default 365).
    pub rotation_interval: Option<u64>,
    /// The key's tags, as batch-kms-tags validates them (at most 10,
    /// distinct tag keys). `Some(vec![])`: compared as "no tags".
    pub tags: Option<Vec<TagItem>>,
}

/// A dedicated keystore to seed in the caller's domain.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SeedKeystore {
    /// The fixed keystore id (the form of a key id).
    pub keystore_id: String,
    /// Alias, type, cluster and CA certificate, as create-keystore takes
    /// and checks them.
    pub keystore: CreateKeyStoreRequestBody,
    /// `Some(false)`: disabled; default enabled, compared only when given.
    pub enabled: Option<bool>,
}

/// An APIG certificate to seed in the caller's project.
#[derive(Clone, Debug)]
pub struct SeedCertificate {
    /// The fixed id, in the form the API issues (`^[0-9a-z]{32}$`).
    pub id: String,
    /// The certificate form, as create-certificate takes and checks it.
    pub form: CertificateForm,
}

/// What a seed operation did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SeedOutcome {
    /// The resource was created.
    Created,
    /// The resource was already there as the entry states it: nothing
    /// was written.
    Unchanged,
}

/// A seed entry that fails kms-model's validation.
impl From<kms_model::ApiError> for SeedError {
    fn from(e: kms_model::ApiError) -> Self {
        Self::Rejected(e.into())
    }
}

/// Why an entry was not seeded.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SeedError {
    /// The entry breaks a rule of the API (the same code and detail
    /// create-key, create-keystore, batch-kms-tags, ... would answer), or
    /// storage failed (the error's cause says how).
    #[error(transparent)]
    Rejected(#[from] CoreError),
    /// A resource with this id (or, for `project`, this key id in another
    /// project) exists and differs from the entry.
    #[error("conflicts with what exists: {field} is {found}, the entry says {expected}")]
    Conflict {
        /// The differing field, as the entry names it.
        field: &'static str,
        /// What the entry says.
        expected: String,
        /// What exists (never key material).
        found: String,
    },
}

impl SeedError {
    /// The audit trail's error code: the wire code, or `conflict`.
    fn audit_code(&self) -> &'static str {
        match self {
            Self::Rejected(e) => e.code().as_str(),
            Self::Conflict { .. } => "conflict",
        }
    }
}

/// A conflict on `field` unless `expected == found`.
fn same(field: &'static str, expected: &str, found: &str) -> Result<(), SeedError> {
    if expected == found {
        Ok(())
    } else {
        Err(SeedError::Conflict {
            field,
            expected: expected.to_owned(),
            found: found.to_owned(),
        })
    }
}

fn state_word(s: KeyState) -> &'static str {
    match s {
        KeyState::Enabled => "enabled",
        KeyState::Disabled => "disabled",
        KeyState::PendingDeletion => "pending_deletion",
        KeyState::PendingImport => "pending_import",
    }
}

fn keystore_state_word(s: KeystoreState) -> &'static str {
    match s {
        KeystoreState::Enabled => "enabled",
        KeystoreState::Disabled => "disabled",
    }
}

fn tags_text(tags: &[KeyTag]) -> String {
    let items: Vec<String> = tags.iter().map(|(k, v)| format!("{k}={v}")).collect();
    format!("{{{}}}", items.join(", "))
}

/// A certificate id as create-certificate issues them: 32 of `[0-9a-z]`
/// (APIG.2012 otherwise).
fn certificate_id(id: &str) -> Res<&str> {
    const PATTERN: &str = "^[0-9a-z]{32}$";
    let b = id.as_bytes();
    if b.len() != 32 {
        return Err(
            ValidationError::new("id", Rule::ExactLength { expected: 32 })
                .to_apig()
                .into(),
        );
    }
    if let Some(at) = b
        .iter()
        .position(|c| !(c.is_ascii_digit() || c.is_ascii_lowercase()))
    {
        return Err(ValidationError::new(
            "id",
            Rule::InvalidCharacter {
                at,
                pattern: PATTERN,
            },
        )
        .to_apig()
        .into());
    }
    Ok(id)
}

/// A seeded key, validated: everything a create or a comparison needs.
struct KeyPlan {
    id: KeyId,
    req: CreateKeyRequest,
    /// `Some` when the entry states a description.
    description: Option<String>,
    master: Option<MasterKey>,
    state: Option<SeedKeyState>,
    rotation_enabled: Option<bool>,
    rotation_interval: Option<u32>,
    /// Sorted by tag key.
    tags: Option<Vec<KeyTag>>,
}

impl KeyPlan {
    /// Given material makes the key's origin external, as key import would.
    fn origin(&self) -> KeyOrigin {
        if self.master.is_some() {
            KeyOrigin::External
        } else {
            KeyOrigin::Kms
        }
    }
}

impl Kms {
    fn audit_seed(
        &self,
        caller: &Caller,
        actions: (&'static str, &'static str),
        resource: &str,
        result: &Result<SeedOutcome, SeedError>,
    ) {
        let action = match result {
            Ok(SeedOutcome::Unchanged) => actions.1,
            Ok(SeedOutcome::Created) | Err(_) => actions.0,
        };
        self.ports.audit.record(&AuditEvent {
            time: self.ports.clock.now(),
            domain_id: &caller.domain_id,
            project_id: &caller.project_id,
            action,
            resource: Some(resource),
            sequence: None,
            error_code: result.as_ref().err().map(SeedError::audit_code),
        });
    }

    /// Seeds a CMK with a fixed id in the caller's project: created as the
    /// entry states it (with the given material as version 1 for a
    /// symmetric key), or found already as it states it. See the module
    /// documentation for what is compared.
    ///
    /// # Errors
    /// [`SeedError::Rejected`] with the API's error when the entry breaks
    /// a rule: the key id (KMS.0205), create-key's rules (alias KMS.1101,
    /// spec KMS.1902, usage, description, keystore KMS.6007/KMS.6008), the
    /// material (KMS.0308: symmetric keys only, exactly the spec's length),
    /// `pending_days` 7..=1096 and `rotation_interval` 30..=365
    /// (KMS.0308), rotation of a key pair (KMS.0308) or of a key given
    /// material (KMS.0312: its origin is external), the tags (KMS.0308),
    /// an alias held by another key (KMS.1104). [`SeedError::Conflict`]
    /// when a key with this id exists and differs, or the id is another
    /// project's key.
    pub fn seed_key(&self, caller: &Caller, seed: &SeedKey) -> Result<SeedOutcome, SeedError> {
        let result = self.seed_key_unaudited(caller, seed);
        self.audit_seed(
            caller,
            ("seed-key", "seed-key-unchanged"),
            &seed.key_id,
            &result,
        );
        result
    }

    fn plan_key(seed: &SeedKey) -> Res<KeyPlan> {
        let id = KeyId::parse(&seed.key_id).map_err(|e| e.to_kms())?;
        let req = CreateKeyRequest::from_body(&seed.key).map_err(|e| e.to_kms())?;
        let master = match (&seed.key_material, signing_spec(req.key_spec)) {
            (None, _) => None,
            (Some(m), None) => Some(MasterKey::from_bytes(id.as_str(), 1, &m.0).map_err(|e| {
                match e {
                    kms_crypto::Error::InvalidKeyLength { expected, .. } => {
                        ValidationError::new("key_material", Rule::ExactLength { expected })
                            .to_kms()
                            .into()
                    }
                    other => kms_internal(other),
                }
            })?),
            (Some(_), Some(_)) => {
                return Err(ValidationError::new(
                    "key_material",
                    Rule::Unsupported("only symmetric keys take imported material"),
                )
                .to_kms()
                .into());
            }
        };
        if let Some(SeedKeyState::PendingDeletion { pending_days: days }) = seed.key_state {
            kms_model::PendingDays::new(days).map_err(|e| e.to_kms())?;
        }
        let rotates = seed.key_rotation_enabled == Some(true) || seed.rotation_interval.is_some();
        if rotates && req.key_spec.is_asymmetric() {
            return Err(not_rotatable(id.as_str(), req.key_spec));
        }
        if rotates && master.is_some() {
            return Err(external_not_rotatable(id.as_str()));
        }
        let rotation_interval = seed
            .rotation_interval
            .map(|days| {
                UpdateKeyRotationIntervalRequest::from_body(&UpdateKeyRotationIntervalRequestBody {
                    key_id: id.as_str().to_owned(),
                    rotation_interval: LooseString(days.to_string()),
                    sequence: None,
                })
                .map(|r| r.rotation_interval)
                .map_err(|e| e.to_kms())
            })
            .transpose()?;
        let tags = match &seed.tags {
            None => None,
            Some(t) if t.is_empty() => Some(Vec::new()),
            Some(t) => {
                let r = BatchKmsTagsRequest::from_body(&BatchCreateKmsTagsRequestBody {
                    tags: t.clone(),
                    action: "create".to_owned(),
                    sequence: None,
                })
                .map_err(|e| e.to_kms())?;
                let mut tags: Vec<KeyTag> = r
                    .tags
                    .iter()
                    .map(|(k, v)| (k.as_str().to_owned(), v.as_str().to_owned()))
                    .collect();
                tags.sort();
                Some(tags)
            }
        };
        Ok(KeyPlan {
            id,
            description: seed
                .key
                .key_description
                .as_ref()
                .map(|_| req.key_description.clone()),
            req,
            master,
            state: seed.key_state,
            rotation_enabled: seed.key_rotation_enabled,
            rotation_interval,
            tags,
        })
    }

    fn seed_key_unaudited(
        &self,
        caller: &Caller,
        seed: &SeedKey,
    ) -> Result<SeedOutcome, SeedError> {
        let plan = Self::plan_key(seed)?;
        if let Some(existing) = self.existing_key(caller, &plan.id)? {
            self.compare_key(caller, &existing, &plan)?;
            return Ok(SeedOutcome::Unchanged);
        }
        let key_id = plan.id.as_str();
        let keystore_id = self.usable_keystore(caller, &plan.req.keystore)?;
        let now = self.ports.clock.now();
        let state = plan.state.unwrap_or(SeedKeyState::Enabled);
        let deletion_time = match state {
            SeedKeyState::PendingDeletion { pending_days } => {
                let days = kms_model::PendingDays::new(pending_days).map_err(|e| e.to_kms())?;
                Some(self.deletion_time(days))
            }
            SeedKeyState::Enabled | SeedKeyState::Disabled => None,
        };
        let record = KeyRecord {
            key_id: key_id.to_owned(),
            domain_id: caller.domain_id.clone(),
            project_id: caller.project_id.clone(),
            alias: plan.req.key_alias.as_str().to_owned(),
            description: plan.req.key_description.clone(),
            keystore_id,
            state: state.key_state(),
            current_version: 1,
            create_time: now,
            deletion_time,
            rotation: KeyRotation {
                enabled: plan.rotation_enabled.unwrap_or(false),
                interval_days: plan
                    .rotation_interval
                    .unwrap_or(KeyRotation::DEFAULT_INTERVAL_DAYS),
                // A seeded key's interval counts from its creation.
                interval_start: plan.rotation_enabled.unwrap_or(false).then_some(now),
                ..KeyRotation::default()
            },
            spec: plan.req.key_spec,
            usage: plan.req.key_usage,
            origin: plan.origin(),
            material_expiry: None,
        };
        let (material, master) =
            self.new_key_material(&record.keystore_id, key_id, record.spec, plan.master)?;
        if let Err(e) = self.insert_new_key(&record, &material, master) {
            // Another process seeding the same file may have won the race:
            // then the key is there, and compared like any existing key.
            return match self.existing_key(caller, &plan.id)? {
                Some(k) => {
                    let plan = Self::plan_key(seed)?;
                    self.compare_key(caller, &k, &plan)?;
                    Ok(SeedOutcome::Unchanged)
                }
                _ => Err(e.into()),
            };
        }
        if let Some(tags) = plan.tags.as_deref().filter(|t| !t.is_empty()) {
            let written = self.ports.key_tags.update_key_tags(
                &caller.project_id,
                key_id,
                tags,
                &[],
                MAX_TAGS_PER_KEY,
            );
            match written {
                Ok(()) => {}
                Err(TagWriteError::NotFound) => {
                    return Err(CoreError::new(ErrorCode::KmsKeyNotFound, key_id.to_owned()).into());
                }
                Err(TagWriteError::TooMany) => {
                    return Err(CoreError::new(ErrorCode::KmsTooManyTags, key_id.to_owned()).into());
                }
                Err(e) => return Err(kms_internal(e).into()),
            }
        }
        Ok(SeedOutcome::Created)
    }

    /// The caller's key with this id, unless gone (then purged, so the id
    /// and alias are free again); a conflict when another project holds
    /// the id (key ids are unique across projects).
    fn existing_key(
        &self,
        caller: &Caller,
        id: &KeyId,
    ) -> Result<Option<std::sync::Arc<KeyRecord>>, SeedError> {
        let key = self
            .ports
            .keys
            .get_key(&caller.project_id, id.as_str())
            .map_err(kms_internal)?;
        if let Some(k) = key {
            if !is_gone(&k, self.ports.clock.now()) {
                return Ok(Some(k));
            }
            self.purge_gone_keys()?;
            self.forget_key(id.as_str());
        }
        // Material is stored by key id alone: any version 1 left is
        // another project's key.
        let elsewhere = self
            .ports
            .keys
            .get_key_material(id.as_str(), 1)
            .map_err(kms_internal)?
            .is_some();
        if elsewhere {
            return Err(SeedError::Conflict {
                field: "key_id",
                expected: format!("a key of project {}", caller.project_id),
                found: "a key of another project".to_owned(),
            });
        }
        Ok(None)
    }

    fn compare_key(&self, caller: &Caller, k: &KeyRecord, plan: &KeyPlan) -> Result<(), SeedError> {
        let req = &plan.req;
        same("key_alias", req.key_alias.as_str(), &k.alias)?;
        same("key_spec", req.key_spec.as_str(), k.spec.as_str())?;
        same("key_usage", req.key_usage.as_str(), k.usage.as_str())?;
        same("keystore_id", req.keystore.as_str(), &k.keystore_id)?;
        if let Some(d) = &plan.description {
            same("key_description", d, &k.description)?;
        }
        if let Some(s) = plan.state {
            same("key_state", state_word(s.key_state()), state_word(k.state))?;
        }
        if let Some(enabled) = plan.rotation_enabled {
            same(
                "key_rotation_enabled",
                &enabled.to_string(),
                &k.rotation.enabled.to_string(),
            )?;
        }
        if let Some(days) = plan.rotation_interval {
            same(
                "rotation_interval",
                &days.to_string(),
                &k.rotation.interval_days.to_string(),
            )?;
        }
        if let Some(tags) = &plan.tags {
            let mut stored = self
                .ports
                .key_tags
                .get_key_tags(&caller.project_id, &k.key_id)
                .map_err(kms_internal)?
                .unwrap_or_default();
            stored.sort();
            same("tags", &tags_text(tags), &tags_text(&stored))?;
        }
        if let Some(given) = &plan.master {
            let stored = self.master_key(k, 1)?;
            if !bool::from(stored.ct_eq(given)) {
                return Err(SeedError::Conflict {
                    field: "key_material",
                    expected: "the entry's material".to_owned(),
                    found: "other material (version 1)".to_owned(),
                });
            }
        }
        // After the material: a generated key named with material differs
        // there first; a key seeded with material, named without, here.
        same("origin", plan.origin().as_str(), k.origin.as_str())?;
        Ok(())
    }

    /// Seeds a dedicated keystore with a fixed id in the caller's domain:
    /// created (its root key provisioned) as create-keystore would, in the
    /// state the entry states, or found already as it states it (alias,
    /// type and cluster always compared, the state when given).
    ///
    /// # Errors
    /// [`SeedError::Rejected`] with create-keystore's errors (alias,
    /// type, cluster KMS.6002/KMS.6003/KMS.6006, CA certificate
    /// KMS.6004/KMS.6005, alias taken KMS.6001) or a malformed id
    /// (KMS.0308); [`SeedError::Conflict`] when a keystore with this id
    /// exists and differs.
    pub fn seed_keystore(
        &self,
        caller: &Caller,
        seed: &SeedKeystore,
    ) -> Result<SeedOutcome, SeedError> {
        let result = self.seed_keystore_unaudited(caller, seed);
        self.audit_seed(
            caller,
            ("seed-keystore", "seed-keystore-unchanged"),
            &seed.keystore_id,
            &result,
        );
        result
    }

    fn seed_keystore_unaudited(
        &self,
        caller: &Caller,
        seed: &SeedKeystore,
    ) -> Result<SeedOutcome, SeedError> {
        let id =
            KeystoreId::parse_field("keystore_id", &seed.keystore_id).map_err(|e| e.to_kms())?;
        let req = CreateKeystoreRequest::from_body(&seed.keystore).map_err(|e| e.to_kms())?;
        let state = seed.enabled.map(|on| {
            if on {
                KeystoreState::Enabled
            } else {
                KeystoreState::Disabled
            }
        });
        let existing = self
            .ports
            .keystores
            .get_keystore(&caller.domain_id, id.as_str())
            .map_err(kms_internal)?;
        if let Some(ks) = existing {
            same("keystore_alias", req.keystore_alias.as_str(), &ks.alias)?;
            same(
                "keystore_type",
                req.keystore_type.as_str(),
                ks.keystore_type.as_str(),
            )?;
            same(
                "cluster_id",
                req.cluster_id.as_ref().map_or("", |c| c.as_str()),
                ks.cluster_id.as_deref().unwrap_or(""),
            )?;
            if let Some(s) = state {
                same(
                    "keystore_state",
                    keystore_state_word(s),
                    keystore_state_word(ks.state),
                )?;
            }
            return Ok(SeedOutcome::Unchanged);
        }
        self.check_keystore_cluster(caller, &req)?;
        let record = KeystoreRecord {
            keystore_id: id.as_str().to_owned(),
            domain_id: caller.domain_id.clone(),
            alias: req.keystore_alias.as_str().to_owned(),
            keystore_type: req.keystore_type,
            cluster_id: req.cluster_id.map(|c| c.as_str().to_owned()),
            state: state.unwrap_or(KeystoreState::Enabled),
            create_time: self.ports.clock.now(),
        };
        self.insert_new_keystore(&record)?;
        Ok(SeedOutcome::Created)
    }

    /// Seeds an APIG certificate with a fixed id in the caller's project:
    /// checked and stored as create-certificate would (its private key
    /// sealed), or found already as the entry states it (name, scope,
    /// certificate, chain and private key compared; the key by opening
    /// the stored one).
    ///
    /// # Errors
    /// [`SeedError::Rejected`] with create-certificate's errors (APIG.2012
    /// for the form or a malformed id, APIG.2101..2106 for the
    /// certificate, APIG.7001 for a name taken); [`SeedError::Conflict`]
    /// when a certificate with this id exists and differs.
    pub fn seed_certificate(
        &self,
        caller: &Caller,
        seed: &SeedCertificate,
    ) -> Result<SeedOutcome, SeedError> {
        let result = self.seed_certificate_unaudited(caller, seed);
        self.audit_seed(
            caller,
            ("seed-certificate", "seed-certificate-unchanged"),
            &seed.id,
            &result,
        );
        result
    }

    fn seed_certificate_unaudited(
        &self,
        caller: &Caller,
        seed: &SeedCertificate,
    ) -> Result<SeedOutcome, SeedError> {
        let id = certificate_id(&seed.id)?;
        let req = CertificateRequest::from_body(&seed.form).map_err(|e| e.to_apig())?;
        let existing = self
            .ports
            .certificates
            .get_certificate(&caller.project_id, id)
            .map_err(apig_internal)?;
        if let Some(c) = existing {
            let r = &c.record;
            same("name", req.name.as_str(), &r.name)?;
            same("type", req.scope.type_str(), r.scope.type_str())?;
            same(
                "instance_id",
                req.scope.instance_id_str(),
                r.scope.instance_id_str(),
            )?;
            if req.cert_content.as_str() != c.cert_pem {
                return Err(SeedError::Conflict {
                    field: "cert_content",
                    expected: "the entry's certificate".to_owned(),
                    found: format!("another certificate (CN {})", r.common_name),
                });
            }
            let given_ca = req.trusted_root_ca.as_ref().map(|p| p.as_str());
            if given_ca != c.trusted_root_ca.as_deref() {
                return Err(SeedError::Conflict {
                    field: "trusted_root_ca",
                    expected: "the entry's trusted root CA".to_owned(),
                    found: if c.trusted_root_ca.is_some() {
                        "another trusted root CA".to_owned()
                    } else {
                        "none".to_owned()
                    },
                });
            }
            let stored = self
                .ports
                .root_keys
                .open_private_key(
                    &super::certificates::private_key_scope(&caller.project_id, id)?,
                    c.sealed_private_key.as_bytes(),
                )
                .map_err(apig_internal)?;
            let given = req.private_key.as_str().as_bytes();
            if !bool::from(stored.as_slice().ct_eq(given)) {
                return Err(SeedError::Conflict {
                    field: "private_key",
                    expected: "the entry's private key".to_owned(),
                    found: "another private key".to_owned(),
                });
            }
            return Ok(SeedOutcome::Unchanged);
        }
        let cert = self.checked_certificate(caller, &req, id.to_owned(), None)?;
        match self.ports.certificates.insert_certificate(&cert) {
            Ok(()) => Ok(SeedOutcome::Created),
            Err(CertificateWriteError::NameTaken) => Err(CoreError::new(
                ErrorCode::ApigCertificateNameTaken,
                seed.form.name.clone(),
            )
            .into()),
            Err(e) => Err(apig_internal(e).into()),
        }
    }
}
