//! [`CoreError`]: how a typed operation of [`crate::Kms`] fails.
//!
//! The failure is named by the service's published code (the
//! [`ErrorCode`] catalogue is the domain's own vocabulary: `KMS.0207` *is*
//! "no such key"), with the detail the caller may see and the cause behind
//! it, kept for the host's log. It carries no HTTP status and no body
//! shape: those are the wire layer's ([`crate::Wire`]), which renders a
//! `CoreError` as a [`kms_model::ApiError`]. Embedders match on
//! [`CoreError::kind`] (what sort of failure) or on [`CoreError::code`]
//! (which one exactly).

use std::sync::Arc;

use kms_model::{ApiError, ErrorCode};

type Cause = Arc<dyn std::error::Error + Send + Sync + 'static>;

/// A typed operation's failure.
#[derive(Clone, Debug)]
pub struct CoreError {
    kind: ErrorKind,
    code: ErrorCode,
    detail: Option<String>,
    cause: Option<Cause>,
}

/// What sort of failure a [`CoreError`] is, for embedders that branch on
/// it without listing codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The request broke a rule of its own shape (a field, a bound).
    Invalid,
    /// The resource it names does not exist for the caller.
    NotFound,
    /// The resource exists but its state or kind does not allow this (a
    /// disabled key, a taken name, a quota reached).
    Refused,
    /// A ciphertext, digest or signature input that does not open or
    /// match: the caller's data, not the service, is wrong.
    BadData,
    /// A dependency (the HSM, the root-key provider) failed or timed out:
    /// retrying may help.
    Unavailable,
    /// A failure behind the API (storage, a broken invariant): see the
    /// cause.
    Internal,
}

impl CoreError {
    /// A failure with a detail appended to the code's stable message.
    #[must_use]
    pub fn new(code: ErrorCode, detail: impl Into<String>) -> Self {
        Self {
            kind: kind_of(code),
            code,
            detail: code.shown_detail(detail.into()),
            cause: None,
        }
    }

    /// A failure with only the code's stable message.
    #[must_use]
    pub const fn bare(code: ErrorCode) -> Self {
        Self {
            kind: kind_of(code),
            code,
            detail: None,
            cause: None,
        }
    }

    /// The same failure, caused by `cause` (for logs; never shown to the
    /// caller).
    #[must_use]
    pub fn with_cause(mut self, cause: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.cause = Some(Arc::new(cause));
        self
    }

    /// Which published failure this is.
    #[must_use]
    pub const fn code(&self) -> ErrorCode {
        self.code
    }

    /// The detail the caller may see, if any.
    #[must_use]
    pub fn detail(&self) -> Option<&str> {
        self.detail.as_deref()
    }

    /// What caused it behind the API, if known (for the host's log).
    #[must_use]
    pub fn cause(&self) -> Option<&(dyn std::error::Error + Send + Sync + 'static)> {
        self.cause.as_deref()
    }

    /// What sort of failure this is.
    #[must_use]
    pub const fn kind(&self) -> ErrorKind {
        self.kind
    }
}

/// The kind of a failure the core reports by its code (a request that
/// fails validation is [`ErrorKind::Invalid`] whatever its code: see the
/// `From<ApiError>` conversion).
const fn kind_of(code: ErrorCode) -> ErrorKind {
    use ErrorCode as C;
    match code {
        C::KmsKeyNotFound
        | C::KmsKeystoreNotFound
        | C::KmsClusterNotFound
        | C::ApigCertificateNotFound => ErrorKind::NotFound,
        C::KmsInvalidCipherText
        | C::KmsCipherTextLengthMismatch
        | C::KmsDekHashMismatch
        | C::KmsDigestLengthMismatch
        | C::KmsRsaPlainTextTooLong
        | C::KmsInvalidCaCert
        | C::KmsCaCertMismatch
        | C::ApigInvalidCertOrKey
        | C::ApigEncryptedKey
        | C::ApigCertKeyMismatch
        | C::ApigCertExpired
        | C::ApigCertChainMismatch => ErrorKind::BadData,
        C::KmsInvalidParameter | C::KmsInvalidTagOffset | C::ApigInvalidParameterValue => {
            ErrorKind::Invalid
        }
        C::KmsInternal | C::ApigSystemError => ErrorKind::Internal,
        code => match code.status() {
            400..=499 => ErrorKind::Refused,
            502..=504 => ErrorKind::Unavailable,
            _ => ErrorKind::Internal,
        },
    }
}

impl std::fmt::Display for CoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.detail {
            Some(d) => write!(f, "{}: {}: {d}", self.code, self.code.message()),
            None => write!(f, "{}: {}", self.code, self.code.message()),
        }
    }
}

impl std::error::Error for CoreError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.cause
            .as_deref()
            .map(|c| c as &(dyn std::error::Error + 'static))
    }
}

/// Equal when code and detail are (causes are not compared).
impl PartialEq for CoreError {
    fn eq(&self, other: &Self) -> bool {
        self.code == other.code && self.detail == other.detail
    }
}

impl Eq for CoreError {}

/// A request rejected by kms-model's validation (`ValidationError::to_kms`
/// or `to_apig`), as the core reports it: [`ErrorKind::Invalid`].
impl From<ApiError> for CoreError {
    fn from(e: ApiError) -> Self {
        Self {
            kind: ErrorKind::Invalid,
            code: e.code(),
            detail: e.detail().map(str::to_owned),
            cause: e.shared_cause(),
        }
    }
}

/// What the wire layer answers for a core failure.
impl From<CoreError> for ApiError {
    fn from(e: CoreError) -> Self {
        ApiError::from_parts(e.code, e.detail, e.cause)
    }
}
