//! The operations: every route of the contract, as a method of [`Kms`].
//!
//! Each method takes the caller (resolved by the host) and the wire body,
//! validates it with kms-model, applies the business rules through the
//! ports, and returns the wire response or the wire error. No I/O happens
//! here; every effect goes through a port.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use kms_crypto::{Ciphertext, DekContext, DekLength, MasterKey, Pin, PinScope};
use kms_model::{
    ApiError, CertificateBase, CertificateForm, CertificateRecord, CertificateRequest,
    CreateDatakeyRequest, CreateDatakeyRequestBody, CreateDatakeyResponseBody,
    CreateDatakeyWithoutPlaintextResponseBody, CreateKeyRequest, CreateKeyRequestBody,
    CreateKeyResponseBody, CreateKeyStoreRequestBody, CreateKeyStoreResponseBody,
    CreateKeystoreRequest, CreatePinRequest, CreatePinRequestBody, CreatePinResponseBody,
    DecryptDatakeyRequest, DecryptDatakeyRequestBody, DecryptDatakeyResponseBody,
    EncryptDatakeyRequest, EncryptDatakeyRequestBody, EncryptDatakeyResponseBody, ErrorCode, KeyId,
    KeyInfo, KeyStateInfo, KeyStateResponseBody, KeystoreDetails, KeystoreInfo, KeystoreRef,
    KeystoreStateInfo, KeystoreStateResponseBody, KeystoreType, ListCertificatesV2ResponseBody,
    ListKeyStoresResponseBody, OperateKeyRequestBody, PinType, PresentedPin, Rule,
    ScheduleKeyDeletionRequestBody, ScheduleKeyDeletionResponseBody, ShowKeyStoreResponseBody,
    ValidationError,
};

use crate::ports::{
    AuditEvent, BackendError, Caller, CertificateFilter, CertificateWriteError,
    DeleteKeystoreOutcome, EntropyRng, InsertKeyError, InsertKeystoreError, KeyRecord, KeyState,
    KeystoreRecord, KeystoreState, Ports, RootKeyError, StoredCertificate, Timestamp,
};
use crate::time::rfc3339;

/// Settings of the core that are not ports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CoreConfig {
    /// Reported as `region_id` by create-key.
    pub region_id: String,
}

impl Default for CoreConfig {
    fn default() -> Self {
        Self {
            region_id: "local-1".to_owned(),
        }
    }
}

/// Query of list certificates, as the query string gives it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CertificateQuery {
    /// Page start (default 0).
    pub offset: Option<String>,
    /// Page size (default 20, 1..=500).
    pub limit: Option<String>,
    /// Filters.
    pub filter: CertificateFilter,
}

/// Keystore ids of the two shared clusters, always present.
pub const SHARED_KEYSTORES: [&str; 2] = ["1", "2"];
/// Keystore id of the default KMS keystore.
pub const DEFAULT_KEYSTORE: &str = "0";

const MAX_CACHED_MASTER_KEYS: usize = 65_536;

type Res<T> = Result<T, ApiError>;

/// The service: every operation of the contract over the [`Ports`].
#[derive(Debug)]
pub struct Kms {
    ports: Ports,
    config: CoreConfig,
    /// Unwrapped CMK versions, so the hot path does not unwrap (KWP) per
    /// request. State checks still read the store every time.
    master_keys: RwLock<HashMap<String, Vec<Arc<MasterKey>>>>,
}

fn kms_internal(_e: impl std::fmt::Display) -> ApiError {
    // The detail may name storage internals: it is not put on the wire.
    ApiError::bare(ErrorCode::KmsInternal)
}

fn apig_internal(_e: impl std::fmt::Display) -> ApiError {
    ApiError::bare(ErrorCode::ApigSystemError)
}

fn root_key_error(e: RootKeyError) -> ApiError {
    match e {
        RootKeyError::BadGateway => ApiError::bare(ErrorCode::KmsBadGateway),
        RootKeyError::Timeout => ApiError::bare(ErrorCode::KmsGatewayTimeout),
        RootKeyError::Rejected | RootKeyError::Backend(_) => ApiError::bare(ErrorCode::KmsInternal),
    }
}

fn cert_error(e: &cert_parse::Error) -> ApiError {
    let code = match e.apig_code() {
        "APIG.2101" => ErrorCode::ApigCertKeyMismatch,
        "APIG.2102" => ErrorCode::ApigCertExpired,
        "APIG.2104" => ErrorCode::ApigCertChainMismatch,
        "APIG.2105" => ErrorCode::ApigEncryptedKey,
        _ => ErrorCode::ApigInvalidCertOrKey,
    };
    ApiError::new(code, e.to_string())
}

/// Parses a paging parameter: digits only, within `max`.
fn page_param(
    field: &'static str,
    v: Option<&str>,
    default: u64,
    min: u64,
    max: u64,
) -> Result<u64, ValidationError> {
    let Some(s) = v else { return Ok(default) };
    if s.is_empty() || s.len() > 10 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ValidationError::new(field, Rule::NotDigits));
    }
    let n: u64 = s
        .parse()
        .map_err(|_| ValidationError::new(field, Rule::NotDigits))?;
    if !(min..=max).contains(&n) {
        return Err(ValidationError::new(field, Rule::OutOfRange { min, max }));
    }
    Ok(n)
}

fn keystore_details(r: &KeystoreRecord) -> KeystoreDetails {
    let cluster = r.cluster_id.clone().unwrap_or_default();
    KeystoreDetails {
        keystore_id: r.keystore_id.clone(),
        domain_id: r.domain_id.clone(),
        keystore_alias: r.alias.clone(),
        keystore_type: r.keystore_type.as_str().to_owned(),
        hsm_cluster_id: if r.keystore_type == KeystoreType::Dhsm {
            cluster.clone()
        } else {
            String::new()
        },
        cluster_id: cluster,
        create_time: r.create_time.0.to_string(),
    }
}

fn certificate_base(r: &CertificateRecord) -> CertificateBase {
    CertificateBase {
        id: r.id.clone(),
        name: r.name.clone(),
        r#type: r.r#type.clone().unwrap_or_default(),
        instance_id: r.instance_id.clone().unwrap_or_default(),
        project_id: r.project_id.clone().unwrap_or_default(),
        common_name: r.common_name.clone(),
        san: r.san.clone(),
        not_after: r.not_after.clone(),
        signature_algorithm: r.signature_algorithm.clone(),
        create_time: r.create_time.clone(),
        update_time: r.update_time.clone(),
        is_has_trusted_root_ca: r.is_has_trusted_root_ca.unwrap_or(false),
        algorithm_type: r.algorithm_type.clone().unwrap_or_default(),
    }
}

impl Kms {
    /// A service over `ports`.
    #[must_use]
    pub fn new(ports: Ports, config: CoreConfig) -> Self {
        Self {
            ports,
            config,
            master_keys: RwLock::new(HashMap::new()),
        }
    }

    /// The ports (for hosts that need e.g. the clock).
    #[must_use]
    pub fn ports(&self) -> &Ports {
        &self.ports
    }

    fn audit(
        &self,
        caller: &Caller,
        action: &'static str,
        resource: Option<&str>,
        sequence: Option<&str>,
        result: &Res<impl Sized>,
    ) {
        self.ports.audit.record(&AuditEvent {
            time: self.ports.clock.now(),
            domain_id: &caller.domain_id,
            project_id: &caller.project_id,
            action,
            resource,
            sequence,
            error_code: result.as_ref().err().map(|e| e.code().as_str()),
        });
    }

    fn new_id(&self) -> Result<String, BackendError> {
        let id = self.ports.ids.new_id()?;
        KeyId::from_generated(id.clone())
            .map(|_| id)
            .map_err(|e| BackendError(format!("id generator produced an invalid id: {e}")))
    }

    // ------------------------------------------------------------ keystores

    /// `POST /v1.0/{project_id}/keystores`.
    ///
    /// # Errors
    /// Validation errors, unknown or foreign cluster (KMS.6002), cluster
    /// type mismatch (KMS.6006), CA certificate invalid (KMS.6005) or not
    /// the cluster's (KMS.6004), alias taken (KMS.6001), cluster already
    /// used (KMS.6003).
    pub fn create_keystore(
        &self,
        caller: &Caller,
        body: &CreateKeyStoreRequestBody,
    ) -> Res<CreateKeyStoreResponseBody> {
        let result = self.create_keystore_inner(caller, body);
        let id = result.as_ref().ok().map(|r| r.keystore.keystore_id.clone());
        self.audit(caller, "create-keystore", id.as_deref(), None, &result);
        result
    }

    fn create_keystore_inner(
        &self,
        caller: &Caller,
        body: &CreateKeyStoreRequestBody,
    ) -> Res<CreateKeyStoreResponseBody> {
        let req = CreateKeystoreRequest::from_body(body).map_err(|e| e.to_kms())?;
        if let Some(cluster_id) = &req.cluster_id {
            let cluster = self
                .ports
                .clusters
                .get_cluster(cluster_id.as_str())
                .map_err(kms_internal)?
                .filter(|c| c.domain_id == caller.domain_id)
                .ok_or_else(|| {
                    ApiError::new(
                        ErrorCode::KmsClusterNotFound,
                        format!("cluster {cluster_id}"),
                    )
                })?;
            if cluster.cluster_type != req.keystore_type {
                return Err(ApiError::new(
                    ErrorCode::KmsKeystoreTypeMismatch,
                    format!(
                        "cluster {cluster_id} is {}, keystore_type is {}",
                        cluster.cluster_type.as_str(),
                        req.keystore_type.as_str()
                    ),
                ));
            }
            if let Some(pem) = &req.hsm_ca_cert {
                let ca = cert_parse::check_ca_certificate(pem.as_str())
                    .map_err(|e| ApiError::new(ErrorCode::KmsInvalidCaCert, e.to_string()))?;
                let matches = cluster.ca_fingerprint.is_some_and(|fp| {
                    bool::from(subtle::ConstantTimeEq::ct_eq(
                        &fp[..],
                        &ca.sha256_fingerprint()[..],
                    ))
                });
                if !matches {
                    return Err(ApiError::bare(ErrorCode::KmsCaCertMismatch));
                }
            }
        }
        let record = KeystoreRecord {
            keystore_id: self.new_id().map_err(kms_internal)?,
            domain_id: caller.domain_id.clone(),
            alias: req.keystore_alias.as_str().to_owned(),
            keystore_type: req.keystore_type,
            cluster_id: req.cluster_id.map(|c| c.as_str().to_owned()),
            state: KeystoreState::Enabled,
            create_time: self.ports.clock.now(),
        };
        match self.ports.keystores.insert_keystore(&record) {
            Ok(()) => Ok(CreateKeyStoreResponseBody {
                keystore: KeystoreInfo {
                    keystore_id: record.keystore_id,
                    domain_id: record.domain_id,
                },
            }),
            Err(InsertKeystoreError::AliasTaken) => Err(ApiError::new(
                ErrorCode::KmsKeystoreAliasTaken,
                record.alias,
            )),
            Err(InsertKeystoreError::ClusterTaken) => Err(ApiError::new(
                ErrorCode::KmsClusterHasKeystore,
                format!("cluster {}", record.cluster_id.unwrap_or_default()),
            )),
            Err(InsertKeystoreError::Backend(e)) => Err(kms_internal(e)),
        }
    }

    fn find_keystore(&self, caller: &Caller, keystore_id: &str) -> Res<KeystoreRecord> {
        let id = kms_model::KeystoreId::parse_field("keystore_id", keystore_id)
            .map_err(|e| e.to_kms())?;
        self.ports
            .keystores
            .get_keystore(&caller.domain_id, id.as_str())
            .map_err(kms_internal)?
            .ok_or_else(|| ApiError::new(ErrorCode::KmsKeystoreNotFound, keystore_id.to_owned()))
    }

    /// `GET /v1.0/{project_id}/keystores?limit=&offset=`.
    ///
    /// # Errors
    /// Bad paging parameters (KMS.0308), backend failure.
    pub fn list_keystores(
        &self,
        caller: &Caller,
        offset: Option<&str>,
        limit: Option<&str>,
    ) -> Res<ListKeyStoresResponseBody> {
        let offset =
            page_param("offset", offset, 0, 0, u64::from(u32::MAX)).map_err(|e| e.to_kms())?;
        let limit = page_param("limit", limit, 10, 1, 1000).map_err(|e| e.to_kms())?;
        let (total, records) = self
            .ports
            .keystores
            .list_keystores(&caller.domain_id, offset, limit)
            .map_err(kms_internal)?;
        Ok(ListKeyStoresResponseBody {
            total,
            keystores: records.iter().map(keystore_details).collect(),
        })
    }

    /// `GET /v1.0/{project_id}/keystores/{keystore_id}`.
    ///
    /// # Errors
    /// Unknown keystore (KMS.6007).
    pub fn show_keystore(
        &self,
        caller: &Caller,
        keystore_id: &str,
    ) -> Res<ShowKeyStoreResponseBody> {
        let r = self.find_keystore(caller, keystore_id)?;
        Ok(ShowKeyStoreResponseBody {
            keystore: keystore_details(&r),
        })
    }

    /// `DELETE /v1.0/{project_id}/keystores/{keystore_id}`.
    ///
    /// # Errors
    /// Unknown keystore (KMS.6007), keystore still has keys (KMS.6009).
    pub fn delete_keystore(&self, caller: &Caller, keystore_id: &str) -> Res<()> {
        let result = (|| {
            let r = self.find_keystore(caller, keystore_id)?;
            match self
                .ports
                .keystores
                .delete_keystore(&caller.domain_id, &r.keystore_id)
                .map_err(kms_internal)?
            {
                DeleteKeystoreOutcome::Deleted => Ok(()),
                DeleteKeystoreOutcome::NotFound => Err(ApiError::new(
                    ErrorCode::KmsKeystoreNotFound,
                    keystore_id.to_owned(),
                )),
                DeleteKeystoreOutcome::HasKeys => {
                    Err(ApiError::bare(ErrorCode::KmsKeystoreHasKeys))
                }
            }
        })();
        self.audit(caller, "delete-keystore", Some(keystore_id), None, &result);
        result
    }

    fn set_keystore_state(
        &self,
        caller: &Caller,
        keystore_id: &str,
        state: KeystoreState,
    ) -> Res<KeystoreStateResponseBody> {
        let r = self.find_keystore(caller, keystore_id)?;
        let found = self
            .ports
            .keystores
            .set_keystore_state(&caller.domain_id, &r.keystore_id, state)
            .map_err(kms_internal)?;
        if !found {
            return Err(ApiError::new(
                ErrorCode::KmsKeystoreNotFound,
                keystore_id.to_owned(),
            ));
        }
        Ok(KeystoreStateResponseBody {
            keystore: KeystoreStateInfo {
                keystore_id: r.keystore_id,
                keystore_state: state.as_str().to_owned(),
            },
        })
    }

    /// `POST /v1.0/{project_id}/keystores/{keystore_id}/enable`.
    ///
    /// # Errors
    /// Unknown keystore (KMS.6007).
    pub fn enable_keystore(
        &self,
        caller: &Caller,
        keystore_id: &str,
    ) -> Res<KeystoreStateResponseBody> {
        let r = self.set_keystore_state(caller, keystore_id, KeystoreState::Enabled);
        self.audit(caller, "enable-keystore", Some(keystore_id), None, &r);
        r
    }

    /// `POST /v1.0/{project_id}/keystores/{keystore_id}/disable`.
    ///
    /// # Errors
    /// Unknown keystore (KMS.6007).
    pub fn disable_keystore(
        &self,
        caller: &Caller,
        keystore_id: &str,
    ) -> Res<KeystoreStateResponseBody> {
        let r = self.set_keystore_state(caller, keystore_id, KeystoreState::Disabled);
        self.audit(caller, "disable-keystore", Some(keystore_id), None, &r);
        r
    }

    /// An enabled keystore of the caller, or a shared one.
    fn usable_keystore(&self, caller: &Caller, keystore: &KeystoreRef) -> Res<String> {
        match keystore {
            KeystoreRef::Default => Ok(DEFAULT_KEYSTORE.to_owned()),
            KeystoreRef::SharedManagement | KeystoreRef::SharedData => {
                Ok(keystore.as_str().to_owned())
            }
            KeystoreRef::Dedicated(id) => {
                let r = self.find_keystore(caller, id.as_str())?;
                if r.state != KeystoreState::Enabled {
                    return Err(ApiError::new(ErrorCode::KmsKeystoreDisabled, r.keystore_id));
                }
                Ok(r.keystore_id)
            }
        }
    }

    // ------------------------------------------------------------ PINs

    /// `POST /v1.0/{project_id}/kms/create-pin`.
    ///
    /// A `CipherText` PIN is sealed by its keystore's root key; a
    /// `PlainText` PIN is returned in hex and only its keyed verifier is
    /// stored (under `keystore_id`, default `"1"`). Keystore `"0"` cannot
    /// hold PINs.
    ///
    /// # Errors
    /// Validation errors, keystore `"0"` (KMS.0340), unknown or disabled
    /// dedicated keystore (KMS.6007, KMS.6008).
    pub fn create_pin(
        &self,
        caller: &Caller,
        body: &CreatePinRequestBody,
    ) -> Res<CreatePinResponseBody> {
        let result = (|| {
            let req = CreatePinRequest::from_body(body).map_err(|e| e.to_kms())?;
            let keystore = req.keystore.unwrap_or(KeystoreRef::SharedManagement);
            if keystore == KeystoreRef::Default {
                return Err(ApiError::new(
                    ErrorCode::KmsKeystoreNotSupported,
                    "keystore 0 does not hold PINs",
                ));
            }
            let keystore_id = self.usable_keystore(caller, &keystore)?;
            let entropy = &*self.ports.entropy;
            let pin = Pin::generate(&mut EntropyRng(entropy)).map_err(kms_internal)?;
            let out = match req.pin_type {
                PinType::CipherText => self
                    .ports
                    .root_keys
                    .seal_pin(
                        &PinScope::new(&keystore_id, &caller.domain_id).map_err(kms_internal)?,
                        entropy,
                        &pin,
                    )
                    .map_err(root_key_error)?
                    .to_hex(),
                PinType::PlainText => {
                    let verifier = self
                        .ports
                        .root_keys
                        .pin_verifier(&keystore_id, &pin)
                        .map_err(root_key_error)?;
                    self.ports
                        .pins
                        .insert_pin_verifier(&caller.domain_id, &keystore_id, &verifier)
                        .map_err(kms_internal)?;
                    pin.to_hex().as_str().to_owned()
                }
            };
            Ok(CreatePinResponseBody { pin: out })
        })();
        self.audit(caller, "create-pin", None, None, &result);
        result
    }

    /// Keystores whose PINs may authorise use of a key in `key_keystore`:
    /// the key's dedicated keystore, or the shared clusters for keys of the
    /// default keystore.
    fn pin_keystores(key_keystore: &str) -> Vec<&str> {
        if key_keystore == DEFAULT_KEYSTORE {
            SHARED_KEYSTORES.to_vec()
        } else {
            vec![key_keystore]
        }
    }

    fn check_pin(&self, caller: &Caller, key: &KeyRecord, pin: &PresentedPin) -> Res<()> {
        let invalid = || ApiError::bare(ErrorCode::KmsInvalidPin);
        for ks in Self::pin_keystores(&key.keystore_id) {
            let ok = match pin.pin_type {
                PinType::CipherText => match PinScope::new(ks, &caller.domain_id)
                    .map_err(|_| RootKeyError::Rejected)
                    .and_then(|scope| self.ports.root_keys.verify_sealed_pin(&scope, &pin.bytes))
                {
                    Ok(()) => true,
                    Err(RootKeyError::Rejected) => false,
                    Err(e) => return Err(root_key_error(e)),
                },
                PinType::PlainText => {
                    let Ok(p) = Pin::from_bytes(&pin.bytes) else {
                        return Err(invalid());
                    };
                    let verifier = self
                        .ports
                        .root_keys
                        .pin_verifier(ks, &p)
                        .map_err(root_key_error)?;
                    self.ports
                        .pins
                        .has_pin_verifier(&caller.domain_id, ks, &verifier)
                        .map_err(kms_internal)?
                }
            };
            if ok {
                return Ok(());
            }
        }
        Err(invalid())
    }

    // ------------------------------------------------------------ keys

    /// `POST /v1.0/{project_id}/kms/create-key`: an AES-256 CMK, its
    /// material generated here and stored only wrapped under the keystore's
    /// root key.
    ///
    /// # Errors
    /// Validation errors, unknown or disabled keystore, alias taken (KMS.1104).
    pub fn create_key(
        &self,
        caller: &Caller,
        body: &CreateKeyRequestBody,
    ) -> Res<CreateKeyResponseBody> {
        let result = self.create_key_inner(caller, body);
        let id = result.as_ref().ok().map(|r| r.key_info.key_id.clone());
        self.audit(
            caller,
            "create-key",
            id.as_deref(),
            body.sequence.as_deref(),
            &result,
        );
        result
    }

    fn create_key_inner(
        &self,
        caller: &Caller,
        body: &CreateKeyRequestBody,
    ) -> Res<CreateKeyResponseBody> {
        let req = CreateKeyRequest::from_body(body).map_err(|e| e.to_kms())?;
        let keystore_id = self.usable_keystore(caller, &req.keystore)?;
        let key_id = self.new_id().map_err(kms_internal)?;
        let key = MasterKey::generate(&mut EntropyRng(&*self.ports.entropy), &key_id, 1)
            .map_err(kms_internal)?;
        let wrapped = self
            .ports
            .root_keys
            .wrap_master_key(&keystore_id, &key)
            .map_err(root_key_error)?;
        let record = KeyRecord {
            key_id: key_id.clone(),
            domain_id: caller.domain_id.clone(),
            project_id: caller.project_id.clone(),
            alias: req.key_alias.as_str().to_owned(),
            description: req.key_description,
            keystore_id,
            state: KeyState::Enabled,
            current_version: 1,
            create_time: self.ports.clock.now(),
            deletion_time: None,
        };
        match self.ports.keys.insert_key(&record, &wrapped) {
            Ok(()) => {}
            Err(InsertKeyError::AliasTaken) => {
                return Err(ApiError::new(ErrorCode::KmsDuplicateKeyAlias, record.alias));
            }
            Err(InsertKeyError::KeystoreGone) => {
                return Err(ApiError::new(
                    ErrorCode::KmsKeystoreNotFound,
                    record.keystore_id,
                ));
            }
            Err(InsertKeyError::Backend(e)) => return Err(kms_internal(e)),
        }
        self.cache_master_key(key);
        Ok(CreateKeyResponseBody {
            key_info: KeyInfo {
                key_id,
                domain_id: caller.domain_id.clone(),
                region_id: self.config.region_id.clone(),
            },
        })
    }

    fn cache_master_key(&self, key: MasterKey) -> Arc<MasterKey> {
        let key = Arc::new(key);
        if let Ok(mut cache) = self.master_keys.write() {
            if cache.len() >= MAX_CACHED_MASTER_KEYS {
                cache.clear();
            }
            let versions = cache.entry(key.key_id().to_owned()).or_default();
            versions.retain(|k| k.version() != key.version());
            versions.push(Arc::clone(&key));
        }
        key
    }

    /// The key record of the caller's project, whatever its state.
    fn find_key(&self, caller: &Caller, key_id: &KeyId) -> Res<Arc<KeyRecord>> {
        self.ports
            .keys
            .get_key(&caller.project_id, key_id.as_str())
            .map_err(kms_internal)?
            .ok_or_else(|| ApiError::new(ErrorCode::KmsKeyNotFound, key_id.as_str().to_owned()))
    }

    /// A key usable for cryptography: exists in the project, enabled, its
    /// keystore enabled, the PIN (if presented) verified.
    fn usable_key(
        &self,
        caller: &Caller,
        key_id: &KeyId,
        pin: Option<&PresentedPin>,
    ) -> Res<Arc<KeyRecord>> {
        let key = self.find_key(caller, key_id)?;
        match key.state {
            KeyState::Enabled => {}
            KeyState::Disabled => {
                return Err(ApiError::new(ErrorCode::KmsKeyDisabled, key.key_id.clone()));
            }
            KeyState::PendingDeletion => {
                return Err(ApiError::new(
                    ErrorCode::KmsKeyPendingDeletion,
                    key.key_id.clone(),
                ));
            }
        }
        if key.keystore_id != DEFAULT_KEYSTORE {
            let ks = self
                .ports
                .keystores
                .get_keystore(&key.domain_id, &key.keystore_id)
                .map_err(kms_internal)?
                .ok_or_else(|| {
                    ApiError::new(ErrorCode::KmsKeystoreNotFound, key.keystore_id.clone())
                })?;
            if ks.state != KeystoreState::Enabled {
                return Err(ApiError::new(
                    ErrorCode::KmsKeystoreDisabled,
                    ks.keystore_id,
                ));
            }
        }
        if let Some(pin) = pin {
            self.check_pin(caller, &key, pin)?;
        }
        Ok(key)
    }

    fn master_key(&self, key: &KeyRecord, version: u32) -> Res<Arc<MasterKey>> {
        if let Ok(cache) = self.master_keys.read() {
            if let Some(k) = cache
                .get(key.key_id.as_str())
                .and_then(|v| v.iter().find(|k| k.version() == version))
            {
                return Ok(Arc::clone(k));
            }
        }
        let wrapped = self
            .ports
            .keys
            .get_key_material(&key.key_id, version)
            .map_err(kms_internal)?
            .ok_or_else(|| ApiError::new(ErrorCode::KmsInvalidCipherText, "unknown key version"))?;
        let mk = self
            .ports
            .root_keys
            .unwrap_master_key(&key.keystore_id, &key.key_id, version, &wrapped)
            .map_err(root_key_error)?;
        Ok(self.cache_master_key(mk))
    }

    fn set_key_state(
        &self,
        caller: &Caller,
        key_id: &str,
        action: &'static str,
        sequence: Option<&str>,
        to: KeyState,
        days: Option<u64>,
    ) -> Res<KeyRecord> {
        let result = (|| {
            let id = KeyId::parse(key_id).map_err(|e| e.to_kms())?;
            sequence
                .map(kms_model::Sequence::parse)
                .transpose()
                .map_err(|e| e.to_kms())?;
            let key = self.find_key(caller, &id)?;
            match (key.state, to) {
                (KeyState::PendingDeletion, KeyState::Enabled | KeyState::Disabled) => {
                    return Err(ApiError::new(
                        ErrorCode::KmsKeyPendingDeletion,
                        key.key_id.clone(),
                    ));
                }
                (KeyState::PendingDeletion, KeyState::PendingDeletion) => {
                    return Err(ApiError::new(
                        ErrorCode::KmsKeyPendingDeletion,
                        key.key_id.clone(),
                    ));
                }
                _ => {}
            }
            let deletion = days.map(|d| {
                let ms = i64::try_from(d).unwrap_or(0).saturating_mul(86_400_000);
                Timestamp(self.ports.clock.now().0.saturating_add(ms))
            });
            if !self
                .ports
                .keys
                .set_key_state(&caller.project_id, &key.key_id, to, deletion)
                .map_err(kms_internal)?
            {
                return Err(ApiError::new(ErrorCode::KmsKeyNotFound, key.key_id.clone()));
            }
            Ok(KeyRecord {
                state: to,
                deletion_time: deletion,
                ..(*key).clone()
            })
        })();
        self.audit(caller, action, Some(key_id), sequence, &result);
        result
    }

    fn switch_key(
        &self,
        caller: &Caller,
        body: &OperateKeyRequestBody,
        action: &'static str,
        to: KeyState,
    ) -> Res<KeyStateResponseBody> {
        let k = self.set_key_state(
            caller,
            &body.key_id,
            action,
            body.sequence.as_deref(),
            to,
            None,
        )?;
        Ok(KeyStateResponseBody {
            key_info: KeyStateInfo {
                key_id: k.key_id,
                key_state: k.state.as_str().to_owned(),
            },
        })
    }

    /// `POST /v1.0/{project_id}/kms/enable-key`.
    ///
    /// # Errors
    /// Unknown key (KMS.0207), key pending deletion (KMS.0210).
    pub fn enable_key(
        &self,
        caller: &Caller,
        body: &OperateKeyRequestBody,
    ) -> Res<KeyStateResponseBody> {
        self.switch_key(caller, body, "enable-key", KeyState::Enabled)
    }

    /// `POST /v1.0/{project_id}/kms/disable-key`.
    ///
    /// # Errors
    /// Unknown key (KMS.0207), key pending deletion (KMS.0210).
    pub fn disable_key(
        &self,
        caller: &Caller,
        body: &OperateKeyRequestBody,
    ) -> Res<KeyStateResponseBody> {
        self.switch_key(caller, body, "disable-key", KeyState::Disabled)
    }

    /// `POST /v1.0/{project_id}/kms/schedule-key-deletion`: `pending_days`
    /// 7..=1096.
    ///
    /// # Errors
    /// Bad `pending_days` (KMS.0308), unknown key, already pending.
    pub fn schedule_key_deletion(
        &self,
        caller: &Caller,
        body: &ScheduleKeyDeletionRequestBody,
    ) -> Res<ScheduleKeyDeletionResponseBody> {
        let days = page_param("pending_days", Some(body.pending_days.as_str()), 7, 7, 1096)
            .map_err(|e| e.to_kms())?;
        let k = self.set_key_state(
            caller,
            &body.key_id,
            "schedule-key-deletion",
            body.sequence.as_deref(),
            KeyState::PendingDeletion,
            Some(days),
        )?;
        Ok(ScheduleKeyDeletionResponseBody {
            key_id: k.key_id,
            key_state: k.state.as_str().to_owned(),
        })
    }

    // ------------------------------------------------------------ DEKs

    fn new_dek(
        &self,
        caller: &Caller,
        req: &CreateDatakeyRequest,
        with_plaintext: bool,
    ) -> Res<(Option<kms_crypto::Dek>, Ciphertext)> {
        let key = self.usable_key(caller, &req.key_id, req.pin.as_ref())?;
        let mk = self.master_key(&key, key.current_version)?;
        let aad = req
            .additional_authenticated_data
            .as_ref()
            .map_or(&[][..], |a| a.as_bytes());
        let ctx = DekContext::new(&caller.project_id, aad).map_err(kms_internal)?;
        let len =
            DekLength::from_bits(u64::from(req.datakey_length.bits())).map_err(kms_internal)?;
        let mut rng = EntropyRng(&*self.ports.entropy);
        if with_plaintext {
            let (dek, ct) = mk
                .generate_dek_with_plaintext(&mut rng, len, &ctx)
                .map_err(kms_internal)?;
            Ok((Some(dek), ct))
        } else {
            Ok((
                None,
                mk.generate_dek(&mut rng, len, &ctx).map_err(kms_internal)?,
            ))
        }
    }

    /// `POST /v1.0/{project_id}/kms/create-datakey-without-plaintext`: the
    /// DEK is generated and wrapped inside kms-crypto; only its ciphertext
    /// leaves.
    ///
    /// # Errors
    /// Validation errors, unknown/disabled key or keystore, invalid PIN.
    pub fn create_datakey_without_plaintext(
        &self,
        caller: &Caller,
        body: &CreateDatakeyRequestBody,
    ) -> Res<CreateDatakeyWithoutPlaintextResponseBody> {
        let result = CreateDatakeyRequest::from_body(body)
            .map_err(|e| e.to_kms())
            .and_then(|req| {
                let (_, ct) = self.new_dek(caller, &req, false)?;
                Ok(CreateDatakeyWithoutPlaintextResponseBody {
                    key_id: req.key_id.as_str().to_owned(),
                    cipher_text: ct.to_hex(),
                })
            });
        self.audit(
            caller,
            "create-datakey-without-plaintext",
            Some(&body.key_id),
            body.sequence.as_deref(),
            &result,
        );
        result
    }

    /// `POST /v1.0/{project_id}/kms/create-datakey`: the DEK in hex and
    /// wrapped.
    ///
    /// # Errors
    /// As [`Kms::create_datakey_without_plaintext`].
    pub fn create_datakey(
        &self,
        caller: &Caller,
        body: &CreateDatakeyRequestBody,
    ) -> Res<CreateDatakeyResponseBody> {
        let result = CreateDatakeyRequest::from_body(body)
            .map_err(|e| e.to_kms())
            .and_then(|req| {
                let (dek, ct) = self.new_dek(caller, &req, true)?;
                let plain = dek
                    .map(|d| d.to_hex().as_str().to_owned())
                    .unwrap_or_default();
                Ok(CreateDatakeyResponseBody {
                    key_id: req.key_id.as_str().to_owned(),
                    plain_text: plain,
                    cipher_text: ct.to_hex(),
                })
            });
        self.audit(
            caller,
            "create-datakey",
            Some(&body.key_id),
            body.sequence.as_deref(),
            &result,
        );
        result
    }

    /// `POST /v1.0/{project_id}/kms/encrypt-datakey`: wraps the caller's DEK
    /// after checking the SHA-256 that follows it.
    ///
    /// # Errors
    /// Validation errors, digest mismatch (KMS.2103), key errors.
    pub fn encrypt_datakey(
        &self,
        caller: &Caller,
        body: &EncryptDatakeyRequestBody,
    ) -> Res<EncryptDatakeyResponseBody> {
        let result = EncryptDatakeyRequest::from_body(body)
            .map_err(|e| e.to_kms())
            .and_then(|req| {
                let key = self.usable_key(caller, &req.key_id, req.pin.as_ref())?;
                let dek = kms_crypto::Dek::from_bytes_with_digest(&req.plain_text)
                    .map_err(|_| ApiError::bare(ErrorCode::KmsDekHashMismatch))?;
                let mk = self.master_key(&key, key.current_version)?;
                let aad = req
                    .additional_authenticated_data
                    .as_ref()
                    .map_or(&[][..], |a| a.as_bytes());
                let ctx = DekContext::new(&caller.project_id, aad).map_err(kms_internal)?;
                let ct = mk
                    .wrap_dek(&mut EntropyRng(&*self.ports.entropy), &dek, &ctx)
                    .map_err(kms_internal)?;
                Ok(EncryptDatakeyResponseBody {
                    key_id: req.key_id.as_str().to_owned(),
                    cipher_text: ct.to_hex(),
                    datakey_length: req.datakey_length.bytes().to_string(),
                })
            });
        self.audit(
            caller,
            "encrypt-datakey",
            Some(&body.key_id),
            body.sequence.as_deref(),
            &result,
        );
        result
    }

    /// `POST /v1.0/{project_id}/kms/decrypt-datakey`: unwraps with the key
    /// version recorded in the ciphertext, so rotation keeps old
    /// ciphertexts readable.
    ///
    /// # Errors
    /// Validation errors, key errors, a ciphertext that does not belong to
    /// the key or does not unwrap in this context (KMS.2201, opaque), a
    /// length other than `datakey_cipher_length` (KMS.2204).
    pub fn decrypt_datakey(
        &self,
        caller: &Caller,
        body: &DecryptDatakeyRequestBody,
    ) -> Res<DecryptDatakeyResponseBody> {
        let result = DecryptDatakeyRequest::from_body(body)
            .map_err(|e| e.to_kms())
            .and_then(|req| {
                let invalid = || ApiError::bare(ErrorCode::KmsInvalidCipherText);
                let key = self.usable_key(caller, &req.key_id, None)?;
                let blob = Ciphertext::from_bytes(&req.cipher_text).map_err(|_| invalid())?;
                let header = blob.header();
                if header.kind() != kms_crypto::BlobKind::DataKey
                    || header.key_id() != Some(key.key_id.as_str())
                {
                    return Err(invalid());
                }
                if header.plaintext_len() != req.datakey_length.bytes() {
                    return Err(ApiError::bare(ErrorCode::KmsCipherTextLengthMismatch));
                }
                let version = header.key_version();
                if version == 0 || version > key.current_version {
                    return Err(invalid());
                }
                let mk = self.master_key(&key, version)?;
                let aad = req
                    .additional_authenticated_data
                    .as_ref()
                    .map_or(&[][..], |a| a.as_bytes());
                let ctx = DekContext::new(&caller.project_id, aad).map_err(|_| invalid())?;
                let dek = mk
                    .unwrap_dek(blob.as_bytes(), &ctx)
                    .map_err(|_| invalid())?;
                Ok(DecryptDatakeyResponseBody {
                    data_key: dek.to_hex().as_str().to_owned(),
                    datakey_length: dek.length().bytes().to_string(),
                    datakey_dgst: base16ct::upper::encode_string(&dek.sha256()),
                })
            });
        self.audit(
            caller,
            "decrypt-datakey",
            Some(&body.key_id),
            body.sequence.as_deref(),
            &result,
        );
        result
    }

    // ------------------------------------------------------------ certificates

    fn checked_certificate(
        &self,
        caller: &Caller,
        form: &CertificateForm,
        id: String,
        create_time: Option<String>,
    ) -> Res<StoredCertificate> {
        let req = CertificateRequest::from_body(form).map_err(|e| e.to_apig())?;
        let now = self.ports.clock.now();
        let upload = cert_parse::CertificateUpload {
            cert_content: req.cert_content.as_str(),
            private_key: req.private_key.as_str(),
            trusted_root_ca: req.trusted_root_ca.as_ref().map(kms_model::PemText::as_str),
        };
        let checked = cert_parse::check_certificate(&upload, now.unix_seconds())
            .map_err(|e| cert_error(&e))?;
        let algorithm = checked.algorithm_type.map(|a| a.as_str().to_owned());
        if let (Some(declared), Some(actual)) = (req.algorithm_type, &algorithm) {
            let declared = serde_json::to_value(declared).ok();
            if declared.as_ref().and_then(|v| v.as_str()) != Some(actual.as_str()) {
                return Err(ApiError::new(
                    ErrorCode::ApigInvalidParameterValue,
                    format!(
                        "parameterName:algorithm_type. The value does not match the certificate's key ({actual})"
                    ),
                ));
            }
        }
        let leaf = checked.leaf;
        let now_text = rfc3339(now);
        let record = CertificateRecord {
            id,
            name: req.name.as_str().to_owned(),
            r#type: Some(req.scope.type_str().to_owned()),
            instance_id: Some(req.scope.instance_id_str().to_owned()),
            project_id: Some(caller.project_id.clone()),
            common_name: leaf.common_name,
            san: leaf.san,
            version: leaf.version,
            organization: leaf.organization,
            organizational_unit: leaf.organizational_unit,
            locality: leaf.locality,
            state: leaf.state,
            country: leaf.country,
            not_before: leaf.not_before,
            not_after: leaf.not_after,
            serial_number: leaf.serial_number,
            issuer: leaf.issuer,
            signature_algorithm: leaf.signature_algorithm.to_owned(),
            create_time: create_time.unwrap_or_else(|| now_text.clone()),
            update_time: now_text,
            is_has_trusted_root_ca: Some(checked.is_has_trusted_root_ca),
            algorithm_type: algorithm,
        };
        Ok(StoredCertificate {
            record,
            cert_pem: req.cert_content.as_str().to_owned(),
            key_pem: req.private_key.as_str().to_owned(),
            trusted_root_ca: req.trusted_root_ca.map(|p| p.as_str().to_owned()),
        })
    }

    fn certificate_id(&self) -> Res<String> {
        // APIG ids are 32 lower-case hex-like characters.
        Ok(self.new_id().map_err(apig_internal)?.replace('-', ""))
    }

    /// `POST /v2/{project_id}/apigw/certificates`.
    ///
    /// # Errors
    /// Validation errors, certificate checks (APIG.2101-2106), name taken
    /// (APIG.7001).
    pub fn create_certificate(
        &self,
        caller: &Caller,
        form: &CertificateForm,
    ) -> Res<CertificateRecord> {
        let result = (|| {
            let id = self.certificate_id()?;
            let cert = self.checked_certificate(caller, form, id, None)?;
            match self.ports.certificates.insert_certificate(&cert) {
                Ok(()) => Ok(cert.record),
                Err(CertificateWriteError::NameTaken) => Err(ApiError::new(
                    ErrorCode::ApigCertificateNameTaken,
                    form.name.clone(),
                )),
                Err(e) => Err(apig_internal(e)),
            }
        })();
        let id = result.as_ref().ok().map(|r| r.id.clone());
        self.audit(caller, "create-certificate", id.as_deref(), None, &result);
        result
    }

    fn find_certificate(&self, caller: &Caller, id: &str) -> Res<StoredCertificate> {
        self.ports
            .certificates
            .get_certificate(&caller.project_id, id)
            .map_err(apig_internal)?
            .ok_or_else(|| ApiError::new(ErrorCode::ApigCertificateNotFound, format!("id:{id}")))
    }

    /// `GET /v2/{project_id}/apigw/certificates/{certificate_id}`.
    ///
    /// # Errors
    /// Unknown certificate (APIG.3025).
    pub fn show_certificate(&self, caller: &Caller, id: &str) -> Res<CertificateRecord> {
        self.find_certificate(caller, id).map(|c| c.record)
    }

    /// `GET /v2/{project_id}/apigw/certificates`.
    ///
    /// # Errors
    /// Bad paging parameters (APIG.2012).
    pub fn list_certificates(
        &self,
        caller: &Caller,
        query: &CertificateQuery,
    ) -> Res<ListCertificatesV2ResponseBody> {
        let offset = page_param("offset", query.offset.as_deref(), 0, 0, u64::from(u32::MAX))
            .map_err(|e| e.to_apig())?;
        let limit =
            page_param("limit", query.limit.as_deref(), 20, 1, 500).map_err(|e| e.to_apig())?;
        let (total, certs) = self
            .ports
            .certificates
            .list_certificates(&caller.project_id, &query.filter, offset, limit)
            .map_err(apig_internal)?;
        Ok(ListCertificatesV2ResponseBody {
            size: certs.len() as u64,
            total,
            certs: certs.iter().map(|c| certificate_base(&c.record)).collect(),
        })
    }

    /// `PUT /v2/{project_id}/apigw/certificates/{certificate_id}`.
    ///
    /// # Errors
    /// Unknown certificate (APIG.3025), as create otherwise.
    pub fn update_certificate(
        &self,
        caller: &Caller,
        id: &str,
        form: &CertificateForm,
    ) -> Res<CertificateRecord> {
        let result = (|| {
            let old = self.find_certificate(caller, id)?;
            let cert = self.checked_certificate(
                caller,
                form,
                old.record.id.clone(),
                Some(old.record.create_time),
            )?;
            match self.ports.certificates.update_certificate(&cert) {
                Ok(()) => Ok(cert.record),
                Err(CertificateWriteError::NameTaken) => Err(ApiError::new(
                    ErrorCode::ApigCertificateNameTaken,
                    form.name.clone(),
                )),
                Err(CertificateWriteError::NotFound) => Err(ApiError::new(
                    ErrorCode::ApigCertificateNotFound,
                    format!("id:{id}"),
                )),
                Err(CertificateWriteError::Backend(e)) => Err(apig_internal(e)),
            }
        })();
        self.audit(caller, "update-certificate", Some(id), None, &result);
        result
    }

    /// `DELETE /v2/{project_id}/apigw/certificates/{certificate_id}`.
    ///
    /// # Errors
    /// Unknown certificate (APIG.3025).
    pub fn delete_certificate(&self, caller: &Caller, id: &str) -> Res<()> {
        let result = (|| {
            if self
                .ports
                .certificates
                .delete_certificate(&caller.project_id, id)
                .map_err(apig_internal)?
            {
                Ok(())
            } else {
                Err(ApiError::new(
                    ErrorCode::ApigCertificateNotFound,
                    format!("id:{id}"),
                ))
            }
        })();
        self.audit(caller, "delete-certificate", Some(id), None, &result);
        result
    }
}
