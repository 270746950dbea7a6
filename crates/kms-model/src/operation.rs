//! The operation registry: every operation kms-rs serves, with its route,
//! its service (the KMS or the APIG error shape), its audit action and the
//! validated request type of its body. The server's router, the `validate`
//! example, the fuzz list and the audit-coverage test all read this one
//! table.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{ApiError, Result, Rule, Service, ValidationError};
use crate::ops::{
    AssociateAliasRequest, AssociateAliasRequestBody, CreateAliasRequest, CreateAliasRequestBody,
    DeleteAliasRequest, DeleteAliasRequestBody,
};
use crate::ops::{
    BatchCreateKmsTagsRequestBody, CertificateForm, CreateDatakeyRequestBody, CreateKeyRequestBody,
    CreateKeyStoreRequestBody, CreateKmsTagRequestBody, CreatePinRequestBody,
    DecryptDataRequestBody, DecryptDatakeyRequestBody, EncryptDataRequestBody,
    EncryptDatakeyRequestBody, GenRandomRequestBody, ListKeysRequestBody, ListKmsByTagsRequestBody,
    OperateKeyRequestBody, ReEncryptRequestBody, RotateOnDemandRequestBody,
    ScheduleKeyDeletionRequestBody, SignRequestBody, UpdateKeyAliasRequestBody,
    UpdateKeyDescriptionRequestBody, UpdateKeyRotationIntervalRequestBody, VerifyRequestBody,
};
use crate::ops::{
    BatchKmsTagsRequest, CertificateRequest, CreateDatakeyRequest, CreateKeyRequest,
    CreateKeystoreRequest, CreateKmsTagRequest, CreatePinRequest, DecryptDataRequest,
    DecryptDatakeyRequest, EncryptDataRequest, EncryptDatakeyRequest, GenRandomRequest,
    ListKeysRequest, ListKmsByTagsRequest, OperateKeyRequest, ReEncryptRequest,
    RotateOnDemandRequest, ScheduleKeyDeletionRequest, SignRequest, UpdateKeyAliasRequest,
    UpdateKeyDescriptionRequest, UpdateKeyRotationIntervalRequest, ValidateSignatureRequest,
};
use crate::ops::{
    CreateEcDatakeyPairRequest, CreateEcDatakeyPairRequestBody, CreateGrantRequestBody,
    CreateRsaDatakeyPairRequest, CreateRsaDatakeyPairRequestBody, DeriveSharedSecretRequest,
    DeriveSharedSecretRequestBody, GenerateMacRequest, GenerateMacRequestBody,
    ListGrantsRequestBody, ListRetirableGrantsRequestBody, RevokeGrantRequestBody,
    VerifyMacRequest, VerifyMacRequestBody,
};
use crate::ops::{
    CreateGrantRequest, ListGrantsRequest, ListRetirableGrantsRequest, RevokeGrantRequest,
};
use crate::ops::{
    GetParametersForImportRequest, GetParametersForImportRequestBody, ImportKeyMaterialRequest,
    ImportKeyMaterialRequestBody, ReplicateKeyRequest, ReplicateKeyRequestBody,
    UpdatePrimaryRegionRequest, UpdatePrimaryRegionRequestBody,
};

/// A validated request built from its wire body: the one seam between
/// what a client sends and what the core accepts.
pub trait WireRequest: Sized {
    /// The body as the SDK's model names it.
    type Body: DeserializeOwned;

    /// Validates a decoded body.
    ///
    /// # Errors
    /// The first rule broken.
    fn from_body(body: &Self::Body) -> Result<Self>;

    /// Decodes and validates a JSON body.
    ///
    /// # Errors
    /// Malformed JSON, or as [`WireRequest::from_body`].
    fn from_json(bytes: &[u8]) -> Result<Self>;
}

macro_rules! wire_requests {
    ($($req:ty => $body:ty),* $(,)?) => {$(
        impl WireRequest for $req {
            type Body = $body;
            fn from_body(body: &$body) -> Result<Self> {
                <$req>::from_body(body)
            }
            fn from_json(bytes: &[u8]) -> Result<Self> {
                <$req>::from_json(bytes)
            }
        }
    )*};
}

wire_requests! {
    CreateKeystoreRequest => CreateKeyStoreRequestBody,
    CreatePinRequest => CreatePinRequestBody,
    CreateKeyRequest => CreateKeyRequestBody,
    CreateDatakeyRequest => CreateDatakeyRequestBody,
    EncryptDatakeyRequest => EncryptDatakeyRequestBody,
    DecryptDatakeyRequest => DecryptDatakeyRequestBody,
    CertificateRequest => CertificateForm,
    OperateKeyRequest => OperateKeyRequestBody,
    ScheduleKeyDeletionRequest => ScheduleKeyDeletionRequestBody,
    ListKeysRequest => ListKeysRequestBody,
    UpdateKeyAliasRequest => UpdateKeyAliasRequestBody,
    UpdateKeyDescriptionRequest => UpdateKeyDescriptionRequestBody,
    EncryptDataRequest => EncryptDataRequestBody,
    DecryptDataRequest => DecryptDataRequestBody,
    ReEncryptRequest => ReEncryptRequestBody,
    UpdateKeyRotationIntervalRequest => UpdateKeyRotationIntervalRequestBody,
    RotateOnDemandRequest => RotateOnDemandRequestBody,
    BatchKmsTagsRequest => BatchCreateKmsTagsRequestBody,
    CreateKmsTagRequest => CreateKmsTagRequestBody,
    ListKmsByTagsRequest => ListKmsByTagsRequestBody,
    GenRandomRequest => GenRandomRequestBody,
    SignRequest => SignRequestBody,
    ValidateSignatureRequest => VerifyRequestBody,
    CreateGrantRequest => CreateGrantRequestBody,
    ListGrantsRequest => ListGrantsRequestBody,
    ListRetirableGrantsRequest => ListRetirableGrantsRequestBody,
    RevokeGrantRequest => RevokeGrantRequestBody,
    GenerateMacRequest => GenerateMacRequestBody,
    VerifyMacRequest => VerifyMacRequestBody,
    DeriveSharedSecretRequest => DeriveSharedSecretRequestBody,
    CreateAliasRequest => CreateAliasRequestBody,
    DeleteAliasRequest => DeleteAliasRequestBody,
    AssociateAliasRequest => AssociateAliasRequestBody,
    CreateRsaDatakeyPairRequest => CreateRsaDatakeyPairRequestBody,
    CreateEcDatakeyPairRequest => CreateEcDatakeyPairRequestBody,
    GetParametersForImportRequest => GetParametersForImportRequestBody,
    ImportKeyMaterialRequest => ImportKeyMaterialRequestBody,
    ReplicateKeyRequest => ReplicateKeyRequestBody,
    UpdatePrimaryRegionRequest => UpdatePrimaryRegionRequestBody,
}

/// An HTTP method of the contract.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Method {
    /// `GET`.
    Get,
    /// `POST`.
    Post,
    /// `PUT`.
    Put,
    /// `DELETE`.
    Delete,
}

impl Method {
    /// The method's name on the wire.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Get => "GET",
            Self::Post => "POST",
            Self::Put => "PUT",
            Self::Delete => "DELETE",
        }
    }
}

/// Where a KMS route starts (`{project_id}` as the router spells it).
pub const KMS_PREFIX: &str = "/v1.0/{project_id}";
/// Where a KMS route of the API's second version starts.
pub const KMS_V2_PREFIX: &str = "/v2/{project_id}";
/// Where an APIG route starts.
pub const APIG_PREFIX: &str = "/v2/{project_id}/apigw";

impl Service {
    /// The service a request path belongs to, for a path no route matched
    /// (an unknown route, a method not allowed, a timeout):
    /// `/v2/{project}/kms/...` is KMS (its second version's routes),
    /// any other `/v2/...` API Gateway, anything else KMS.
    #[must_use]
    pub fn of_path(path: &str) -> Self {
        match path.strip_prefix("/v2/") {
            Some(rest) if !is_kms_v2(rest) => Self::Apig,
            _ => Self::Kms,
        }
    }
}

/// Whether the path after `/v2/` is `{project}/kms` or below it.
fn is_kms_v2(rest: &str) -> bool {
    let mut segments = rest.split('/');
    segments.next();
    segments.next() == Some("kms")
}

macro_rules! operations {
    ($(
        $(#[$doc:meta])*
        $variant:ident = ($name:literal, $method:ident, $svc:ident, $path:expr, $body:tt)
    ),* $(,)?) => {
        /// Every operation kms-rs serves (and the core-only ones a host
        /// calls), in one registry.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum Operation {
            $( $(#[$doc])* $variant, )*
        }

        impl Operation {
            /// Every operation.
            pub const ALL: &'static [Operation] = &[$(Self::$variant),*];

            /// The operation's name: the audit action it records and the
            /// `validate` example's argument.
            #[must_use]
            pub const fn name(self) -> &'static str {
                match self { $(Self::$variant => $name,)* }
            }

            /// The HTTP method and route template (`{project_id}` and the
            /// path ids as the router spells them); `None` for an
            /// operation only a host calls (never served over HTTP).
            #[must_use]
            pub fn route(self) -> Option<(Method, String)> {
                match self { $(Self::$variant => operations!(@route $method $svc $path),)* }
            }

            /// Which error shape the operation answers in.
            #[must_use]
            pub const fn service(self) -> Service {
                match self { $(Self::$variant => operations!(@svc $svc),)* }
            }

            /// Whether the operation takes a JSON body (validated by
            /// [`Operation::validate_json`]).
            #[must_use]
            pub const fn has_body(self) -> bool {
                match self { $(Self::$variant => operations!(@has $body),)* }
            }

            /// The name of the body's validated type, shared by the
            /// operations that take the same body (the fuzz target of
            /// that body is `body_<this>`); `None` without a body.
            #[must_use]
            pub const fn body_name(self) -> Option<&'static str> {
                match self { $(Self::$variant => operations!(@bname $body),)* }
            }

            /// Validates a JSON body for this operation and returns the
            /// normalised request as JSON (secrets redacted), or the wire
            /// error in the operation's shape. An operation without a body
            /// accepts only an empty one.
            ///
            /// # Errors
            /// The operation's wire error (KMS or APIG shape).
            pub fn validate_json(self, bytes: &[u8]) -> std::result::Result<serde_json::Value, ApiError> {
                let result = match self { $(Self::$variant => operations!(@validate $body bytes),)* };
                result.map_err(|e| match self.service() {
                    Service::Kms => e.to_kms(),
                    Service::Apig => e.to_apig(),
                })
            }
        }
    };
    (@route $method:ident Kms $path:expr) => { Some((Method::$method, format!("{}{}", KMS_PREFIX, $path))) };
    (@route $method:ident KmsV2 $path:expr) => { Some((Method::$method, format!("{}{}", KMS_V2_PREFIX, $path))) };
    (@route $method:ident Apig $path:expr) => { Some((Method::$method, format!("{}{}", APIG_PREFIX, $path))) };
    (@route $method:ident CoreApig $path:expr) => { None };
    (@route $method:ident CoreKms $path:expr) => { None };
    // Outside any project prefix (the version documents).
    (@route $method:ident Root $path:expr) => { Some((Method::$method, String::from($path))) };
    (@svc Kms) => { Service::Kms };
    (@svc KmsV2) => { Service::Kms };
    (@svc Apig) => { Service::Apig };
    // A host-only operation answers in its family's shape.
    (@svc CoreApig) => { Service::Apig };
    (@svc CoreKms) => { Service::Kms };
    (@svc Root) => { Service::Kms };
    (@has none) => { false };
    (@has ($req:ty, $bname:literal)) => { true };
    (@bname none) => { None };
    (@bname ($req:ty, $bname:literal)) => { Some($bname) };
    (@validate none $bytes:ident) => { no_body($bytes) };
    (@validate ($req:ty, $bname:literal) $bytes:ident) => { normalised(<$req as WireRequest>::from_json($bytes)) };
}

fn normalised<T: Serialize>(r: Result<T>) -> Result<serde_json::Value> {
    r.and_then(|v| {
        serde_json::to_value(v)
            .map_err(|e| ValidationError::new("body", Rule::InvalidJson(e.to_string())))
    })
}

fn no_body(bytes: &[u8]) -> Result<serde_json::Value> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        Ok(serde_json::Value::Null)
    } else {
        Err(ValidationError::new(
            "body",
            Rule::Unsupported("this operation takes no body"),
        ))
    }
}

operations! {
    /// `POST /v1.0/{project_id}/keystores`.
    CreateKeystore = ("create-keystore", Post, Kms, "/keystores", (CreateKeystoreRequest, "create_keystore")),
    /// `GET /v1.0/{project_id}/keystores`.
    ListKeystores = ("list-keystores", Get, Kms, "/keystores", none),
    /// `GET /v1.0/{project_id}/keystores/{keystore_id}`.
    ShowKeystore = ("show-keystore", Get, Kms, "/keystores/{keystore_id}", none),
    /// `DELETE /v1.0/{project_id}/keystores/{keystore_id}`.
    DeleteKeystore = ("delete-keystore", Delete, Kms, "/keystores/{keystore_id}", none),
    /// `POST /v1.0/{project_id}/keystores/{keystore_id}/enable`.
    EnableKeystore = ("enable-keystore", Post, Kms, "/keystores/{keystore_id}/enable", none),
    /// `POST /v1.0/{project_id}/keystores/{keystore_id}/disable`.
    DisableKeystore = ("disable-keystore", Post, Kms, "/keystores/{keystore_id}/disable", none),
    /// `POST /v1.0/{project_id}/kms/create-pin`.
    CreatePin = ("create-pin", Post, Kms, "/kms/create-pin", (CreatePinRequest, "create_pin")),
    /// `POST /v1.0/{project_id}/kms/create-key`.
    CreateKey = ("create-key", Post, Kms, "/kms/create-key", (CreateKeyRequest, "create_key")),
    /// `POST /v1.0/{project_id}/kms/enable-key`.
    EnableKey = ("enable-key", Post, Kms, "/kms/enable-key", (OperateKeyRequest, "operate_key")),
    /// `POST /v1.0/{project_id}/kms/disable-key`.
    DisableKey = ("disable-key", Post, Kms, "/kms/disable-key", (OperateKeyRequest, "operate_key")),
    /// `POST /v1.0/{project_id}/kms/schedule-key-deletion`.
    ScheduleKeyDeletion = ("schedule-key-deletion", Post, Kms, "/kms/schedule-key-deletion", (ScheduleKeyDeletionRequest, "schedule_key_deletion")),
    /// `POST /v1.0/{project_id}/kms/cancel-key-deletion`.
    CancelKeyDeletion = ("cancel-key-deletion", Post, Kms, "/kms/cancel-key-deletion", (OperateKeyRequest, "operate_key")),
    /// `POST /v1.0/{project_id}/kms/describe-key`.
    DescribeKey = ("describe-key", Post, Kms, "/kms/describe-key", (OperateKeyRequest, "operate_key")),
    /// `POST /v1.0/{project_id}/kms/list-keys`.
    ListKeys = ("list-keys", Post, Kms, "/kms/list-keys", (ListKeysRequest, "list_keys")),
    /// `POST /v1.0/{project_id}/kms/update-key-alias`.
    UpdateKeyAlias = ("update-key-alias", Post, Kms, "/kms/update-key-alias", (UpdateKeyAliasRequest, "update_key_alias")),
    /// `POST /v1.0/{project_id}/kms/update-key-description`.
    UpdateKeyDescription = ("update-key-description", Post, Kms, "/kms/update-key-description", (UpdateKeyDescriptionRequest, "update_key_description")),
    /// `POST /v1.0/{project_id}/kms/encrypt-data`.
    EncryptData = ("encrypt-data", Post, Kms, "/kms/encrypt-data", (EncryptDataRequest, "encrypt_data")),
    /// `POST /v1.0/{project_id}/kms/decrypt-data`.
    DecryptData = ("decrypt-data", Post, Kms, "/kms/decrypt-data", (DecryptDataRequest, "decrypt_data")),
    /// `POST /v1.0/{project_id}/kms/re-encrypt`.
    ReEncrypt = ("re-encrypt", Post, Kms, "/kms/re-encrypt", (ReEncryptRequest, "re_encrypt")),
    /// `POST /v1.0/{project_id}/kms/enable-key-rotation`.
    EnableKeyRotation = ("enable-key-rotation", Post, Kms, "/kms/enable-key-rotation", (OperateKeyRequest, "operate_key")),
    /// `POST /v1.0/{project_id}/kms/disable-key-rotation`.
    DisableKeyRotation = ("disable-key-rotation", Post, Kms, "/kms/disable-key-rotation", (OperateKeyRequest, "operate_key")),
    /// `POST /v1.0/{project_id}/kms/get-key-rotation-status`.
    GetKeyRotationStatus = ("get-key-rotation-status", Post, Kms, "/kms/get-key-rotation-status", (OperateKeyRequest, "operate_key")),
    /// `POST /v1.0/{project_id}/kms/update-key-rotation-interval`.
    UpdateKeyRotationInterval = ("update-key-rotation-interval", Post, Kms, "/kms/update-key-rotation-interval", (UpdateKeyRotationIntervalRequest, "update_key_rotation_interval")),
    /// `POST /v1.0/{project_id}/kms/rotate-on-demand`.
    RotateOnDemand = ("rotate-on-demand", Post, Kms, "/kms/rotate-on-demand", (RotateOnDemandRequest, "rotate_on_demand")),
    /// `POST /v1.0/{project_id}/kms/{key_id}/tags/action`.
    BatchKmsTags = ("batch-kms-tags", Post, Kms, "/kms/{key_id}/tags/action", (BatchKmsTagsRequest, "batch_kms_tags")),
    /// `GET /v1.0/{project_id}/kms/{key_id}/tags`.
    ShowKmsTags = ("show-kms-tags", Get, Kms, "/kms/{key_id}/tags", none),
    /// `POST /v1.0/{project_id}/kms/{key_id}/tags`.
    CreateKmsTag = ("create-kms-tag", Post, Kms, "/kms/{key_id}/tags", (CreateKmsTagRequest, "create_kms_tag")),
    /// `DELETE /v1.0/{project_id}/kms/{key_id}/tags/{key}`.
    DeleteKmsTag = ("delete-tag", Delete, Kms, "/kms/{key_id}/tags/{key}", none),
    /// `POST /v1.0/{project_id}/kms/resource_instances/action`.
    ListKmsByTags = ("list-kms-by-tags", Post, Kms, "/kms/resource_instances/action", (ListKmsByTagsRequest, "list_kms_by_tags")),
    /// `GET /v1.0/{project_id}/kms/tags`.
    ListKmsTags = ("list-kms-tags", Get, Kms, "/kms/tags", none),
    /// `POST /v1.0/{project_id}/kms/gen-random`.
    GenRandom = ("gen-random", Post, Kms, "/kms/gen-random", (GenRandomRequest, "gen_random")),
    /// `POST /v1.0/{project_id}/kms/sign`.
    Sign = ("sign", Post, Kms, "/kms/sign", (SignRequest, "sign")),
    /// `POST /v1.0/{project_id}/kms/verify`.
    ValidateSignature = ("validate-signature", Post, Kms, "/kms/verify", (ValidateSignatureRequest, "validate_signature")),
    /// `POST /v1.0/{project_id}/kms/get-publickey`.
    GetPublicKey = ("get-publickey", Post, Kms, "/kms/get-publickey", (OperateKeyRequest, "operate_key")),
    /// `POST /v1.0/{project_id}/kms/create-datakey`.
    CreateDatakey = ("create-datakey", Post, Kms, "/kms/create-datakey", (CreateDatakeyRequest, "create_datakey")),
    /// `POST /v1.0/{project_id}/kms/create-datakey-without-plaintext`.
    CreateDatakeyWithoutPlaintext = ("create-datakey-without-plaintext", Post, Kms, "/kms/create-datakey-without-plaintext", (CreateDatakeyRequest, "create_datakey")),
    /// `POST /v1.0/{project_id}/kms/encrypt-datakey`.
    EncryptDatakey = ("encrypt-datakey", Post, Kms, "/kms/encrypt-datakey", (EncryptDatakeyRequest, "encrypt_datakey")),
    /// `POST /v1.0/{project_id}/kms/decrypt-datakey`.
    DecryptDatakey = ("decrypt-datakey", Post, Kms, "/kms/decrypt-datakey", (DecryptDatakeyRequest, "decrypt_datakey")),
    /// `POST /v2/{project_id}/apigw/certificates`.
    CreateCertificate = ("create-certificate", Post, Apig, "/certificates", (CertificateRequest, "certificate_form")),
    /// `GET /v2/{project_id}/apigw/certificates`.
    ListCertificates = ("list-certificates", Get, Apig, "/certificates", none),
    /// `GET /v2/{project_id}/apigw/certificates/{certificate_id}`.
    ShowCertificate = ("show-certificate", Get, Apig, "/certificates/{certificate_id}", none),
    /// `PUT /v2/{project_id}/apigw/certificates/{certificate_id}`.
    UpdateCertificate = ("update-certificate", Put, Apig, "/certificates/{certificate_id}", (CertificateRequest, "certificate_form")),
    /// `DELETE /v2/{project_id}/apigw/certificates/{certificate_id}`.
    DeleteCertificate = ("delete-certificate", Delete, Apig, "/certificates/{certificate_id}", none),
    /// A certificate's private key in clear, for a host that deploys it
    /// (`Kms::certificate_private_key`): never served over HTTP, audited
    /// like every operation. Errors in the APIG shape.
    ExportCertificatePrivateKey = ("export-certificate-private-key", Get, CoreApig, "", none),
    /// An automatic rotation of a key whose interval has passed
    /// (`Kms::rotate_due`, driven by the host): never served over HTTP,
    /// audited as the key's owner.
    RotateOnSchedule = ("rotate-on-schedule", Post, CoreKms, "", none),
    /// `GET /v1.0/{project_id}/kms/user-quotas`.
    ShowUserQuotas = ("show-user-quotas", Get, Kms, "/kms/user-quotas", none),
    /// `GET /v1.0/{project_id}/kms/user-instances`.
    ShowUserInstances = ("show-user-instances", Get, Kms, "/kms/user-instances", none),
    /// `GET /v2/{project_id}/kms/regions`.
    ListSupportRegions = ("list-support-regions", Get, KmsV2, "/kms/regions", none),
    /// `POST /v1.0/{project_id}/kms/generate-mac`.
    GenerateMac = ("generate-mac", Post, Kms, "/kms/generate-mac", (GenerateMacRequest, "generate_mac")),
    /// `POST /v1.0/{project_id}/kms/verify-mac`.
    VerifyMac = ("verify-mac", Post, Kms, "/kms/verify-mac", (VerifyMacRequest, "verify_mac")),
    /// `POST /v1.0/{project_id}/kms/derive-shared-secret`.
    DeriveSharedSecret = ("derive-shared-secret", Post, Kms, "/kms/derive-shared-secret", (DeriveSharedSecretRequest, "derive_shared_secret")),
    /// `GET /`: the API version documents (outside the project prefix).
    ShowVersions = ("show-versions", Get, Root, "/", none),
    /// `GET /{version_id}`: one API version document.
    ShowVersion = ("show-version", Get, Root, "/{version_id}", none),
    /// `POST /v1.0/{project_id}/kms/aliases`.
    CreateAlias = ("create-alias", Post, Kms, "/kms/aliases", (CreateAliasRequest, "create_alias")),
    /// `GET /v1.0/{project_id}/kms/aliases` (`?key_id=&limit=&marker=`).
    ListAliases = ("list-aliases", Get, Kms, "/kms/aliases", none),
    /// `DELETE /v1.0/{project_id}/kms/aliases`.
    DeleteAlias = ("delete-alias", Delete, Kms, "/kms/aliases", (DeleteAliasRequest, "delete_alias")),
    /// `POST /v1.0/{project_id}/kms/alias/associate`.
    AssociateAlias = ("associate-alias", Post, Kms, "/kms/alias/associate", (AssociateAliasRequest, "associate_alias")),
    /// `POST /v1.0/{project_id}/kms/create-rsa-datakey-pair`.
    CreateRsaDatakeyPair = ("create-rsa-datakey-pair", Post, Kms, "/kms/create-rsa-datakey-pair", (CreateRsaDatakeyPairRequest, "create_rsa_datakey_pair")),
    /// `POST /v1.0/{project_id}/kms/create-ec-datakey-pair`.
    CreateEcDatakeyPair = ("create-ec-datakey-pair", Post, Kms, "/kms/create-ec-datakey-pair", (CreateEcDatakeyPairRequest, "create_ec_datakey_pair")),
    /// `POST /v1.0/{project_id}/kms/get-parameters-for-import`.
    CreateParametersForImport = ("get-parameters-for-import", Post, Kms, "/kms/get-parameters-for-import", (GetParametersForImportRequest, "get_parameters_for_import")),
    /// `POST /v1.0/{project_id}/kms/import-key-material`.
    ImportKeyMaterial = ("import-key-material", Post, Kms, "/kms/import-key-material", (ImportKeyMaterialRequest, "import_key_material")),
    /// `POST /v1.0/{project_id}/kms/delete-imported-key-material`.
    DeleteImportedKeyMaterial = ("delete-imported-key-material", Post, Kms, "/kms/delete-imported-key-material", (OperateKeyRequest, "operate_key")),
    /// `POST /v2/{project_id}/kms/keys/{key_id}/replicate`.
    ReplicateKey = ("replicate-key", Post, KmsV2, "/kms/keys/{key_id}/replicate", (ReplicateKeyRequest, "replicate_key")),
    /// `PUT /v2/{project_id}/kms/keys/{key_id}/update-primary-region`.
    UpdatePrimaryRegion = ("update-primary-region", Put, KmsV2, "/kms/keys/{key_id}/update-primary-region", (UpdatePrimaryRegionRequest, "update_primary_region")),
    /// `POST /v1.0/{project_id}/kms/create-grant`.
    CreateGrant = ("create-grant", Post, Kms, "/kms/create-grant", (CreateGrantRequest, "create_grant")),
    /// `POST /v1.0/{project_id}/kms/list-grants`.
    ListGrants = ("list-grants", Post, Kms, "/kms/list-grants", (ListGrantsRequest, "list_grants")),
    /// `POST /v1.0/{project_id}/kms/list-retirable-grants`.
    ListRetirableGrants = ("list-retirable-grants", Post, Kms, "/kms/list-retirable-grants", (ListRetirableGrantsRequest, "list_retirable_grants")),
    /// `POST /v1.0/{project_id}/kms/revoke-grant`.
    RevokeGrant = ("revoke-grant", Post, Kms, "/kms/revoke-grant", (RevokeGrantRequest, "revoke_grant")),
    /// `POST /v1.0/{project_id}/kms/retire-grant`.
    RetireGrant = ("retire-grant", Post, Kms, "/kms/retire-grant", (RevokeGrantRequest, "revoke_grant")),
}
