#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod domain;
mod error;
mod operation;
mod request;
mod wire;

pub use domain::{
    ALIAS_PATTERN, Aad, CERTIFICATE_NAME_PATTERN, CLUSTER_ID_PATTERN, CertificateName,
    CertificateScope, ClusterId, DatakeyLength, INSTANCE_ID_PATTERN, InstanceId, KEY_ID_PATTERN,
    KeyAlias, KeyId, KeySpec, KeystoreAlias, KeystoreId, KeystoreRef, KeystoreType, MAX_AAD_BYTES,
    MAX_PEM_BYTES, PemText, PinType, Sequence, decode_hex,
};
pub use domain::{CmkSpec, KeyOrigin, KeyUsage, MessageType, SigningAlgorithm};
pub use error::{
    ApiError, ErrorBody, ErrorCode, ErrorDetail, KmsErrorBody, Result, Rule, Service,
    ValidationError,
};
pub use operation::{APIG_PREFIX, KMS_PREFIX, Method, Operation, WireRequest};
pub use request::CreateKmsTagRequest;
pub use request::GenRandomRequest;
pub use request::ReEncryptRequest;
pub use request::{
    AlgorithmType, CertificateRequest, CreateDatakeyRequest, CreateKeyRequest,
    CreateKeystoreRequest, CreatePinRequest, DEK_DIGEST_BYTES, DecryptDatakeyRequest,
    EncryptDatakeyRequest, EncryptionAlgorithm, KeySpecFilter, ListKeysRequest, MAX_BODY_BYTES,
    MAX_CIPHERTEXT_BYTES, MAX_KEY_DESCRIPTION_CHARS, MAX_LIST_KEYS_LIMIT, MAX_PIN_BYTES,
    OperateKeyRequest, PresentedPin, UpdateKeyAliasRequest, UpdateKeyDescriptionRequest,
    decode_body, decode_optional_body,
};
pub use request::{
    BatchKmsTagsRequest, ListKmsByTagsRequest, MAX_TAGS_PER_KEY, TagAction, TagKey, TagListAction,
    TagValue,
};
pub use request::{
    DecryptDataRequest, EncryptDataRequest, EncryptionContext, MAX_DATA_CIPHER_TEXT_CHARS,
    MAX_DATA_PLAIN_TEXT_BYTES, MAX_ENCRYPTION_CONTEXT_BYTES,
};
pub use request::{
    MAX_SIGN_MESSAGE_BYTES, MAX_SIGNATURE_BYTES, SignRequest, ValidateSignatureRequest,
};
pub use request::{PageQuery, ScheduleKeyDeletionRequest, page_param};
pub use request::{RotateOnDemandRequest, UpdateKeyRotationIntervalRequest};
pub use wire::CreateKmsTagRequestBody;
pub use wire::ListKmsTagsResponseBody;
pub use wire::{
    ActionResources, BatchCreateKmsTagsRequestBody, ListKmsByTagsRequestBody,
    ListKmsByTagsResponseBody, ShowKmsTagsResponseBody, Tag, TagItem,
};
pub use wire::{
    CancelKeyDeletionResponseBody, KeyAliasInfo, KeyDescriptionInfo, KeyDetails,
    ListKeyDetailResponseBody, ListKeysRequestBody, ListKeysResponseBody,
    UpdateKeyAliasRequestBody, UpdateKeyAliasResponseBody, UpdateKeyDescriptionRequestBody,
    UpdateKeyDescriptionResponseBody,
};
pub use wire::{
    CertificateBase, CertificateForm, CertificateRecord, CreateDatakeyRequestBody,
    CreateDatakeyResponseBody, CreateDatakeyWithoutPlaintextResponseBody, CreateKeyRequestBody,
    CreateKeyResponseBody, CreateKeyStoreRequestBody, CreateKeyStoreResponseBody,
    CreatePinRequestBody, CreatePinResponseBody, DecryptDatakeyRequestBody,
    DecryptDatakeyResponseBody, EmptyResponseBody, EncryptDatakeyRequestBody,
    EncryptDatakeyResponseBody, KeyInfo, KeyStateInfo, KeyStateResponseBody, KeystoreDetails,
    KeystoreInfo, KeystoreStateInfo, KeystoreStateResponseBody, ListCertificatesV2ResponseBody,
    ListKeyStoresResponseBody, LooseString, OperateKeyRequestBody, ScheduleKeyDeletionRequestBody,
    ScheduleKeyDeletionResponseBody, ShowKeyStoreResponseBody,
};
pub use wire::{CreateRandomResponseBody, GenRandomRequestBody};
pub use wire::{
    DecryptDataRequestBody, DecryptDataResponseBody, EncryptDataRequestBody,
    EncryptDataResponseBody,
};
pub use wire::{
    KeyMaterialStatus, RotateOnDemandRequestBody, RotateOnDemandResponseBody,
    ShowKeyRotationStatusResponseBody, UpdateKeyRotationIntervalRequestBody,
};
pub use wire::{ReEncryptRequestBody, ReEncryptResponseBody};
pub use wire::{
    ShowPublicKeyResponseBody, SignRequestBody, SignResponseBody, ValidateSignatureResponseBody,
    VerifyRequestBody,
};
