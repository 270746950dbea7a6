#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod body;
mod domain;
mod error;
mod grant_operation;
mod operation;
mod ops;
mod secret;

pub use domain::{
    ALIAS_PATTERN, Aad, CERTIFICATE_NAME_PATTERN, CLUSTER_ID_PATTERN, CertificateName,
    CertificateScope, ClusterId, DatakeyLength, INSTANCE_ID_PATTERN, InstanceId, KEY_ID_PATTERN,
    KeyAlias, KeyId, KeySpec, KeystoreAlias, KeystoreId, KeystoreRef, KeystoreType, MAX_AAD_BYTES,
    MAX_PEM_BYTES, PemText, PendingDays, PinType, Sequence, decode_hex, decode_public_hex,
};
pub use domain::{CmkSpec, KeyOrigin, KeyUsage, MessageType, SigningAlgorithm};
pub use domain::{KeyAgreementAlgorithm, MacAlgorithm};
pub use error::{
    ApiError, ErrorBody, ErrorCode, ErrorDetail, KmsErrorBody, Result, Rule, Service,
    ValidationError,
};
pub use operation::{APIG_PREFIX, KMS_PREFIX, KMS_V2_PREFIX, Method, Operation, WireRequest};
// Body decoding, bounds and paging shared by every family.
pub use ops::{
    DEK_DIGEST_BYTES, LooseString, MAX_BODY_BYTES, MAX_CIPHERTEXT_BYTES, MAX_PIN_BYTES, PageQuery,
    decode_body, decode_optional_body, page_param,
};
// Keystores.
pub use ops::{
    CreateKeyStoreRequestBody, CreateKeyStoreResponseBody, CreateKeystoreRequest,
    EmptyResponseBody, KeystoreDetails, KeystoreInfo, KeystoreStateInfo, KeystoreStateResponseBody,
    ListKeyStoresResponseBody, ShowKeyStoreResponseBody,
};
// PINs.
pub use ops::{CreatePinRequest, CreatePinRequestBody, CreatePinResponseBody, PresentedPin};
// Creating CMKs.
pub use ops::{CreateKeyRequest, CreateKeyRequestBody, CreateKeyResponseBody, KeyInfo};
// Managing CMKs.
pub use ops::{
    CancelKeyDeletionResponseBody, KeyAliasInfo, KeyDescriptionInfo, KeyDetails, KeyStateInfo,
    KeyStateResponseBody, ListKeyDetailResponseBody, MAX_KEY_DESCRIPTION_CHARS,
    MAX_LIST_KEYS_LIMIT, OperateKeyRequest, OperateKeyRequestBody, ScheduleKeyDeletionRequest,
    ScheduleKeyDeletionRequestBody, ScheduleKeyDeletionResponseBody, UpdateKeyAliasRequest,
    UpdateKeyAliasRequestBody, UpdateKeyAliasResponseBody, UpdateKeyDescriptionRequest,
    UpdateKeyDescriptionRequestBody, UpdateKeyDescriptionResponseBody,
};
// Listing CMKs.
pub use ops::{KeySpecFilter, ListKeysRequest, ListKeysRequestBody, ListKeysResponseBody};
// Data encryption keys.
pub use ops::{
    CreateDatakeyRequest, CreateDatakeyRequestBody, CreateDatakeyResponseBody,
    CreateDatakeyWithoutPlaintextResponseBody, DecryptDatakeyRequest, DecryptDatakeyRequestBody,
    DecryptDatakeyResponseBody, EncryptDatakeyRequest, EncryptDatakeyRequestBody,
    EncryptDatakeyResponseBody,
};
// API Gateway certificates.
pub use ops::{
    AlgorithmType, CertificateBase, CertificateForm, CertificateRecord, CertificateRequest,
    ListCertificatesV2ResponseBody,
};
// Small data.
pub use ops::{
    DecryptDataRequest, DecryptDataRequestBody, DecryptDataResponseBody, EncryptDataRequest,
    EncryptDataRequestBody, EncryptDataResponseBody, EncryptionAlgorithm, EncryptionContext,
    MAX_DATA_CIPHER_TEXT_CHARS, MAX_DATA_PLAIN_TEXT_BYTES, MAX_ENCRYPTION_CONTEXT_BYTES,
};
// Re-encryption.
pub use ops::{ReEncryptRequest, ReEncryptRequestBody, ReEncryptResponseBody};
// Rotation.
pub use ops::{
    KeyMaterialStatus, RotateOnDemandRequest, RotateOnDemandRequestBody,
    RotateOnDemandResponseBody, ShowKeyRotationStatusResponseBody,
    UpdateKeyRotationIntervalRequest, UpdateKeyRotationIntervalRequestBody,
};
// Tags.
pub use ops::{
    ActionResources, BatchCreateKmsTagsRequestBody, BatchKmsTagsRequest, CreateKmsTagRequest,
    ListKmsByTagsRequest, ListKmsByTagsRequestBody, ListKmsByTagsResponseBody, MAX_TAGS_PER_KEY,
    ShowKmsTagsResponseBody, Tag, TagAction, TagItem, TagKey, TagListAction, TagValue,
};
// Random numbers.
pub use ops::{
    CreateKmsTagRequestBody, CreateRandomResponseBody, GenRandomRequest, GenRandomRequestBody,
    ListKmsTagsResponseBody,
};
// Signing and verification.
pub use ops::{
    MAX_SIGN_MESSAGE_BYTES, MAX_SIGNATURE_BYTES, ShowPublicKeyResponseBody, SignRequest,
    SignRequestBody, SignResponseBody, ValidateSignatureRequest, ValidateSignatureResponseBody,
    VerifyRequestBody,
};
// Grants.
pub use ops::{
    CreateGrantRequest, CreateGrantRequestBody, CreateGrantResponseBody, GRANT_NAME_PATTERN,
    GrantDetails, GrantId, GrantOperation, GranteeType, ListGrantsRequest, ListGrantsRequestBody,
    ListGrantsResponseBody, ListRetirableGrantsRequest, ListRetirableGrantsRequestBody,
    MAX_LIST_GRANTS_LIMIT, PRINCIPAL_PATTERN, Principal, RevokeGrantRequest,
    RevokeGrantRequestBody,
};
// Quotas, the key count and the regions.
pub use ops::{
    ListSupportRegionsResponseBody, QuotaResource, Quotas, ShowUserInstancesResponseBody,
    ShowUserQuotasResponseBody,
};
// MACs, key agreement and the version documents.
pub use ops::{
    ApiLink, ApiVersionDetail, DeriveSharedSecretRequest, DeriveSharedSecretRequestBody,
    DeriveSharedSecretResponseBody, GenerateMacRequest, GenerateMacRequestBody,
    GenerateMacResponseBody, MAX_AGREEMENT_PUBLIC_KEY_BYTES, MAX_MAC_BYTES, MAX_MAC_MESSAGE_BYTES,
    Recipient, ShowVersionResponseBody, ShowVersionsResponseBody, VerifyMacRequest,
    VerifyMacRequestBody, VerifyMacResponseBody,
};
// Aliases (the alias API).
pub use ops::{
    ALIAS_NAME_PATTERN, ALIAS_PREFIX, AliasEntity, AliasName, AliasPageInfo, AssociateAliasRequest,
    AssociateAliasRequestBody, CreateAliasRequest, CreateAliasRequestBody, DeleteAliasRequest,
    DeleteAliasRequestBody, KeyAddressed, ListAliasResponseBody, ListAliasesRequest,
    MAX_ALIAS_BYTES, MAX_ALIASES_PER_DELETE, MAX_ALIASES_PER_KEY, MAX_LIST_ALIASES_LIMIT,
};
// Data key pairs.
pub use ops::{
    CreateDatakeyPairResponseBody, CreateEcDatakeyPairRequest, CreateEcDatakeyPairRequestBody,
    CreateRsaDatakeyPairRequest, CreateRsaDatakeyPairRequestBody, DatakeyPairRequest,
    DatakeyPairSpec,
};
// Key material import (BYOK).
pub use ops::{
    CreateParametersForImportResponseBody, GetParametersForImportRequest,
    GetParametersForImportRequestBody, ImportKeyMaterialRequest, ImportKeyMaterialRequestBody,
    MAX_EXPIRATION_SECONDS, MAX_IMPORT_TOKEN_BYTES, MAX_WRAPPED_MATERIAL_BYTES,
    MAX_WRAPPED_PRIVATE_KEY_BYTES, WrappingAlgorithm,
};
// Multi-region keys.
pub use ops::{
    MAX_TAGS_PER_REPLICA, PROJECT_ID_PATTERN, REGION_ID_PATTERN, ReplicateKeyRequest,
    ReplicateKeyRequestBody, ReplicateKeyResponseBody, UpdatePrimaryRegionRequest,
    UpdatePrimaryRegionRequestBody, UpdatePrimaryRegionResponseBody, region_id, same_key,
};
pub use secret::Secret;
