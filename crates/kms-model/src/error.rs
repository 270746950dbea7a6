//! Validation errors and the wire error catalogue.
//!
//! Two layers:
//! - [`ValidationError`]: what a validator says, precisely: which field and
//!   which rule. It is service-neutral.
//! - [`ApiError`]: what goes on the wire. One [`ErrorCode`] fixes the HTTP
//!   status, the `error_code` string and the stable part of `error_msg`;
//!   KMS errors render nested (`{"error":{...}}`), APIG errors flat.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

/// Result of a kms-model validator.
pub type Result<T, E = ValidationError> = std::result::Result<T, E>;

/// The rule a field broke.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Rule {
    /// A mandatory field is absent (or JSON `null`).
    Missing,
    /// The body is not valid JSON, or not a JSON object.
    InvalidJson(String),
    /// A known field has the wrong JSON type.
    WrongType(String),
    /// The body exceeds the size limit, in bytes.
    BodyTooLarge {
        /// The limit.
        max: usize,
    },
    /// The value is empty but must not be.
    Empty,
    /// Too short, in characters (bytes for ASCII-only fields).
    TooShort {
        /// Minimum length.
        min: usize,
    },
    /// Too long, in characters (bytes for ASCII-only fields).
    TooLong {
        /// Maximum length.
        max: usize,
    },
    /// The value must be exactly this many bytes long.
    ExactLength {
        /// Required length.
        expected: usize,
    },
    /// A character outside the field's alphabet, at this byte offset.
    InvalidCharacter {
        /// Byte offset of the first offending character.
        at: usize,
        /// The pattern the field must match.
        pattern: &'static str,
    },
    /// The value is not a string of ASCII digits.
    NotDigits,
    /// The number is outside the allowed range.
    OutOfRange {
        /// Smallest allowed value.
        min: u64,
        /// Largest allowed value.
        max: u64,
    },
    /// The number must be a multiple of this.
    NotMultipleOf(u64),
    /// The value is not one of the allowed values.
    NotOneOf(&'static str),
    /// The value is not valid hexadecimal (odd length or a non-hex digit).
    NotHex,
    /// The field contradicts another field.
    Inconsistent(&'static str),
    /// The field is valid but not supported by this implementation.
    Unsupported(&'static str),
    /// A rule for which the service publishes its own KMS code (`code`),
    /// which no field-and-rule pairing would pick: e.g. create-key's
    /// `key_usage` `SIGN_VERIFY` with a symmetric `key_spec` (KMS.1115).
    /// An APIG route maps it like any other rule.
    Specific {
        /// The published KMS code.
        code: ErrorCode,
        /// What is wrong, for the message.
        why: &'static str,
    },
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Missing => f.write_str("is missing"),
            Self::InvalidJson(why) => write!(f, "is not a valid JSON object ({why})"),
            Self::WrongType(why) => write!(f, "has the wrong type ({why})"),
            Self::BodyTooLarge { max } => write!(f, "exceeds {max} bytes"),
            Self::Empty => f.write_str("must not be empty"),
            Self::TooShort { min } => write!(f, "must be at least {min} characters long"),
            Self::TooLong { max } => write!(f, "must be at most {max} characters long"),
            Self::ExactLength { expected } => write!(f, "must be exactly {expected} bytes long"),
            Self::InvalidCharacter { at, pattern } => {
                write!(f, "must match {pattern} (invalid character at byte {at})")
            }
            Self::NotDigits => f.write_str("must be a string of ASCII digits"),
            Self::OutOfRange { min, max } => write!(f, "must be between {min} and {max}"),
            Self::NotMultipleOf(n) => write!(f, "must be a multiple of {n}"),
            Self::NotOneOf(allowed) => write!(f, "must be one of {allowed}"),
            Self::NotHex => f.write_str("must be hexadecimal, two digits per byte"),
            Self::Inconsistent(why) => write!(f, "is inconsistent: {why}"),
            Self::Unsupported(why) => write!(f, "is not supported: {why}"),
            Self::Specific { why, .. } => write!(f, "is refused: {why}"),
        }
    }
}

/// A request field broke a rule. Service-neutral: see
/// [`ValidationError::to_kms`] and [`ValidationError::to_apig`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{field} {rule}")]
pub struct ValidationError {
    /// The JSON field name (`body` for the request body as a whole).
    pub field: Cow<'static, str>,
    /// The rule it broke.
    pub rule: Rule,
}

impl ValidationError {
    /// A new error for a statically known field.
    #[must_use]
    pub const fn new(field: &'static str, rule: Rule) -> Self {
        Self {
            field: Cow::Borrowed(field),
            rule,
        }
    }

    /// Shorthand for [`Rule::Missing`].
    #[must_use]
    pub const fn missing(field: &'static str) -> Self {
        Self::new(field, Rule::Missing)
    }

    /// The KMS wire error for this failure.
    #[must_use]
    pub fn to_kms(&self) -> ApiError {
        let field = &*self.field;
        let code = match (field, &self.rule) {
            (_, Rule::InvalidJson(_)) => ErrorCode::KmsInvalidJson,
            (_, Rule::BodyTooLarge { .. }) => ErrorCode::KmsRequestTooLong,
            (_, Rule::Missing) => ErrorCode::KmsMissingParameter,
            (_, Rule::Specific { code, .. }) if code.service() == Service::Kms => *code,
            ("encryption_context", _) => ErrorCode::KmsInvalidEncryptionContext,
            ("pending_days", _) => ErrorCode::KmsInvalidPendingDays,
            ("rotation_interval", _) => ErrorCode::KmsInvalidRotationInterval,
            ("random_data_length", Rule::NotMultipleOf(_)) => {
                ErrorCode::KmsRandomLengthNotByteMultiple
            }
            ("random_data_length", _) => ErrorCode::KmsInvalidRandomLength,
            ("key_description", _) => ErrorCode::KmsInvalidKeyDescription,
            ("limit", _) => ErrorCode::KmsInvalidLimit,
            ("marker", _) => ErrorCode::KmsInvalidMarker,
            ("offset", _) => ErrorCode::KmsInvalidOffset,
            ("action", _) => ErrorCode::KmsInvalidAction,
            ("message", Rule::ExactLength { .. }) => ErrorCode::KmsDigestLengthMismatch,
            ("tags", Rule::Empty) => ErrorCode::KmsEmptyTagList,
            ("tags", Rule::OutOfRange { .. }) => ErrorCode::KmsInvalidTagListSize,
            ("matches", Rule::NotOneOf(_)) => ErrorCode::KmsInvalidMatchKey,
            ("matches", Rule::Empty | Rule::TooLong { .. }) => ErrorCode::KmsInvalidMatchValue,
            (f, _) if f == "matches" || f.starts_with("matches[") => ErrorCode::KmsInvalidMatches,
            (f, rule) if is_tag_key_field(f) => match rule {
                Rule::TooLong { .. } => ErrorCode::KmsInvalidTagKeyLength,
                _ => ErrorCode::KmsInvalidTagKey,
            },
            (f, rule) if is_tag_value_field(f) => match rule {
                Rule::TooLong { .. } => ErrorCode::KmsInvalidTagValueLength,
                _ => ErrorCode::KmsInvalidTagValue,
            },
            (f, Rule::OutOfRange { .. }) if is_tag_values_field(f) => {
                ErrorCode::KmsTooManyTagValues
            }
            (f, _) if is_tag_values_field(f) => ErrorCode::KmsInvalidTagValue,
            (f, _)
                if f == "tags" || f == "tag" || f.starts_with("tags[") || f.starts_with("tag.") =>
            {
                ErrorCode::KmsInvalidTagList
            }
            ("grantee_principal" | "retiring_principal", _) => ErrorCode::KmsInvalidUserId,
            ("grant_id", _) => ErrorCode::KmsInvalidGrantId,
            ("key_id" | "source_key_id" | "destination_key_id" | "target_key_id", _) => {
                ErrorCode::KmsInvalidKeyId
            }
            ("sequence", _) => ErrorCode::KmsInvalidSequence,
            ("datakey_length", Rule::OutOfRange { .. }) => ErrorCode::KmsDatakeyLengthOutOfRange,
            ("datakey_length", Rule::NotMultipleOf(_)) => {
                ErrorCode::KmsDatakeyLengthNotByteMultiple
            }
            ("key_spec", Rule::NotOneOf(_)) => ErrorCode::KmsInvalidKeySpec,
            ("key_alias", _) => ErrorCode::KmsInvalidKeyAlias,
            ("plain_text", Rule::ExactLength { .. }) => ErrorCode::KmsPlainTextLengthMismatch,
            ("plain_text", _) => ErrorCode::KmsInvalidPlainText,
            ("cipher_text", _) => ErrorCode::KmsInvalidCipherText,
            _ => ErrorCode::KmsInvalidParameter,
        };
        ApiError::new(code, self.to_string())
    }

    /// The APIG wire error for this failure.
    #[must_use]
    pub fn to_apig(&self) -> ApiError {
        match &self.rule {
            Rule::InvalidJson(_) | Rule::BodyTooLarge { .. } => {
                ApiError::new(ErrorCode::ApigParameterError, self.to_string())
            }
            Rule::Missing => ApiError::new(
                ErrorCode::ApigParameterMissing,
                format!("parameterName:{}", self.field),
            ),
            rule => ApiError::new(
                ErrorCode::ApigInvalidParameterValue,
                format!("parameterName:{}. The value {rule}", self.field),
            ),
        }
    }
}

/// A tag key: the `key` of a tag (`tag.key`, `tags[0].key`, a path's
/// tag key).
fn is_tag_key_field(f: &str) -> bool {
    f == "key" || ((f.starts_with("tags[") || f.starts_with("tag.")) && f.ends_with(".key"))
}

/// A tag value: the `value` of a tag, or one of a filter's `values`.
fn is_tag_value_field(f: &str) -> bool {
    f == "value"
        || ((f.starts_with("tags[") || f.starts_with("tag.")) && f.ends_with(".value"))
        || (f.starts_with("tags[") && f.contains(".values["))
}

/// A filter tag's `values` list as a whole.
fn is_tag_values_field(f: &str) -> bool {
    f == "values" || (f.starts_with("tags[") && f.ends_with(".values"))
}

/// Which service's error shape an error uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Service {
    /// KMS: `{"error":{"error_code","error_msg"}}`.
    Kms,
    /// API Gateway: `{"error_code","error_msg"}`.
    Apig,
}

macro_rules! catalogue {
    ($( $(#[$doc:meta])* $variant:ident = ($status:literal, $code:literal, $svc:ident, $msg:literal, $published:literal), )*) => {
        /// Every wire error this project emits: status, code and stable message.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum ErrorCode {
            $( $(#[$doc])* $variant, )*
        }

        impl ErrorCode {
            /// Every code, in catalogue order (what `docs/errors.md` lists).
            pub const ALL: &'static [ErrorCode] = &[ $( ErrorCode::$variant, )* ];

            /// The HTTP status.
            #[must_use]
            pub const fn status(self) -> u16 {
                match self { $( ErrorCode::$variant => $status, )* }
            }

            /// The `error_code` string, e.g. `KMS.0205`.
            #[must_use]
            pub const fn as_str(self) -> &'static str {
                match self { $( ErrorCode::$variant => $code, )* }
            }

            /// Which service (and so which body shape) the code belongs to.
            #[must_use]
            pub const fn service(self) -> Service {
                match self { $( ErrorCode::$variant => Service::$svc, )* }
            }

            /// The stable part of `error_msg`.
            #[must_use]
            pub const fn message(self) -> &'static str {
                match self { $( ErrorCode::$variant => $msg, )* }
            }

            /// Whether Huawei Cloud publishes this code (`false`: defined by
            /// this project, outside the published ranges).
            #[must_use]
            pub const fn is_published(self) -> bool {
                match self { $( ErrorCode::$variant => $published, )* }
            }
        }
    };
}

catalogue! {
    /// Malformed or unknown request URL.
    KmsInvalidUrl = (400, "KMS.0201", Kms, "Invalid request URL", true),
    /// Body is not valid JSON.
    KmsInvalidJson = (400, "KMS.0202", Kms, "Invalid JSON format of the request message", true),
    /// Body too large.
    KmsRequestTooLong = (400, "KMS.0203", Kms, "The request message is too long", true),
    /// A mandatory parameter is missing.
    KmsMissingParameter = (400, "KMS.0204", Kms, "Parameters missing", true),
    /// key_id malformed.
    KmsInvalidKeyId = (400, "KMS.0205", Kms, "Invalid key ID", true),
    /// sequence malformed.
    KmsInvalidSequence = (400, "KMS.0206", Kms, "Invalid sequence", true),
    /// The key does not exist (or belongs to another project).
    KmsKeyNotFound = (404, "KMS.0207", Kms, "The key does not exist", true),
    /// The key is disabled.
    KmsKeyDisabled = (400, "KMS.0209", Kms, "The key is disabled", true),
    /// The key is scheduled for deletion.
    KmsKeyPendingDeletion = (400, "KMS.0210", Kms, "The key is scheduled for deletion", true),
    /// HTTP method not supported on this route.
    KmsMethodNotAllowed = (405, "KMS.0215", Kms, "The request method is not supported", true),
    /// Token invalid or missing permission for the project.
    KmsForbidden = (403, "KMS.0321", Kms, "URIs in URL and X-Auth-Token do not match", true),
    /// A parameter is invalid.
    KmsInvalidParameter = (400, "KMS.0308", Kms, "Invalid parameter", true),
    /// Rotation of a key whose material was imported (`origin` external).
    KmsExternalKeyNotRotatable = (400, "KMS.0312", Kms, "External keys cannot be rotated.", true),
    /// A key with `origin` `external` asked of a dedicated keystore.
    KmsKeystoreNoImport = (400, "KMS.0339", Kms, "The custom keystore do not support import key.", true),
    /// The keystore cannot serve this request.
    KmsKeystoreNotSupported = (400, "KMS.0340", Kms, "The keystore is not supported", true),
    /// key_alias malformed.
    KmsInvalidKeyAlias = (400, "KMS.1101", Kms, "Invalid key_alias", true),
    /// key_alias already used.
    KmsDuplicateKeyAlias = (400, "KMS.1104", Kms, "The key alias already exists", true),
    /// Key quota reached.
    KmsTooManyKeys = (400, "KMS.1105", Kms, "The number of keys has reached the upper limit", true),
    /// datakey_length outside 8..=8192.
    KmsDatakeyLengthOutOfRange = (400, "KMS.1901", Kms, "datakey_length must be between 8 and 8192", true),
    /// key_spec not AES_128 or AES_256.
    KmsInvalidKeySpec = (400, "KMS.1902", Kms, "key_spec must be AES_128 or AES_256", true),
    /// datakey_length not a multiple of 8.
    KmsDatakeyLengthNotByteMultiple = (400, "KMS.1903", Kms, "datakey_length must be a multiple of 8", true),
    /// plain_text malformed.
    KmsInvalidPlainText = (400, "KMS.2101", Kms, "Invalid plain_text", true),
    /// SHA-256 in plain_text does not match the DEK.
    KmsDekHashMismatch = (400, "KMS.2103", Kms, "The hash of the data key does not match", true),
    /// plain_text length is not datakey_plain_length + 32.
    KmsPlainTextLengthMismatch = (400, "KMS.2104", Kms, "The length of plain_text does not match datakey_plain_length", true),
    /// cipher_text malformed or does not decrypt.
    KmsInvalidCipherText = (400, "KMS.2201", Kms, "Invalid cipher_text", true),
    /// cipher_text holds a DEK of another length.
    KmsCipherTextLengthMismatch = (400, "KMS.2204", Kms, "The length of cipher_text does not match datakey_cipher_length", true),
    /// `encryption_context` is not a JSON object of strings.
    KmsInvalidEncryptionContext = (400, "KMS.0208", Kms, "Invalid value of value encryption_context", true),
    /// Disabling rotation, or changing its interval, when rotation is off.
    KmsRotationNotEnabled = (400, "KMS.0313", Kms, "Key rotation is not enabled", true),
    /// Rotation of an RSA key pair.
    KmsRsaNotRotatable = (400, "KMS.0324", Kms, "RSA keys cannot be rotated", true),
    /// An operation an asymmetric key (of this spec) does not support.
    KmsAsymmetricUnsupported = (400, "KMS.0325", Kms, "The asymmetric key is not support this operation", true),
    /// A digest whose length is not the signing algorithm's hash length.
    KmsDigestLengthMismatch = (400, "KMS.0329", Kms, "Hash algorithm does not match the digest length", true),
    /// An operation of key pairs (sign, verify, public key) asked of a
    /// symmetric key.
    KmsSymmetricUnsupported = (400, "KMS.0331", Kms, "The symmetric key is not support this operation", true),
    /// A signing algorithm that does not fit the key's spec.
    KmsSigningAlgorithmUnsupported = (400, "KMS.0332", Kms, "This key is not support the signing algorithm", true),
    /// A signing operation with an `ENCRYPT_DECRYPT` key pair.
    KmsKeyIsForEncryption = (400, "KMS.0334", Kms, "The cmk is used to encrypt and decrypt", true),
    /// An encryption operation with a `SIGN_VERIFY` key.
    KmsKeyIsForSigning = (400, "KMS.0335", Kms, "The cmk is used to sign and verify", true),
    /// An operation an HMAC key does not do (anything but MACs), or a
    /// usage other than `GENERATE_VERIFY_MAC` for one.
    KmsHmacUnsupported = (400, "KMS.0341", Kms, "The hmac key do not support this operation", true),
    /// An empty tag list.
    KmsEmptyTagList = (400, "KMS.0401", Kms, "Tag list cannot be empty", true),
    /// A `matches` value that is empty or too long.
    KmsInvalidMatchValue = (400, "KMS.0402", Kms, "Invalid match value", true),
    /// A `matches` key other than `resource_name`.
    KmsInvalidMatchKey = (400, "KMS.0403", Kms, "Invalid match key", true),
    /// A tag or resource-instance `action` that is not one of the documented ones.
    KmsInvalidAction = (400, "KMS.0404", Kms, "Invalid action", true),
    /// A tag value with a forbidden character.
    KmsInvalidTagValue = (400, "KMS.0405", Kms, "Invalid tag value", true),
    /// A tag key that is empty or has a forbidden character.
    KmsInvalidTagKey = (400, "KMS.0406", Kms, "Invalid tag key", true),
    /// More tags in one request than a key may carry.
    KmsInvalidTagListSize = (400, "KMS.0407", Kms, "Invalid tag list size", true),
    /// A key would carry more than 10 tags.
    KmsTooManyTags = (400, "KMS.0409", Kms, "Too many tags", true),
    /// A tag value over 43 characters.
    KmsInvalidTagValueLength = (400, "KMS.0410", Kms, "Invalid tag value length", true),
    /// A tag key over 36 characters.
    KmsInvalidTagKeyLength = (400, "KMS.0411", Kms, "Invalid tag key length", true),
    /// A tag list that is malformed (a tag key twice, a wrong JSON type).
    KmsInvalidTagList = (400, "KMS.0412", Kms, "Invalid tag list", true),
    /// More than 10 values for one tag key of a filter.
    KmsTooManyTagValues = (400, "KMS.0413", Kms, "Too many tag values", true),
    /// `matches` is malformed.
    KmsInvalidMatches = (400, "KMS.0415", Kms, "Invalid matches", true),
    /// A list-kms-by-tags `offset` that is not a decimal offset.
    KmsInvalidTagOffset = (400, "KMS.0417", Kms, "Invalid offset", true),
    /// `key_description` over 255 characters (or not a string).
    KmsInvalidKeyDescription = (400, "KMS.1103", Kms, "Invalid key_description", true),
    /// create-key: `ENCRYPT_DECRYPT` asked of an EC key spec.
    KmsEcCannotEncrypt = (400, "KMS.1114", Kms, "EC keys do not support to encrypt/decrypt", true),
    /// create-key: `SIGN_VERIFY` asked of a symmetric key spec.
    KmsSymmetricCannotSign = (400, "KMS.1115", Kms, "Symmetric keys do not support to sign/verify", true),
    /// enable-key of a key that is not disabled.
    KmsKeyNotDisabled = (400, "KMS.1201", Kms, "The key is not disabled", true),
    /// disable-key of a key that is not enabled.
    KmsKeyNotEnabled = (400, "KMS.1301", Kms, "The key is not enabled", true),
    /// `pending_days` outside 7..=1096.
    KmsInvalidPendingDays = (400, "KMS.1401", Kms, "Set the pending deletion period between 7 to 1096 days", true),
    /// schedule-key-deletion of a key already pending deletion.
    KmsKeyAlreadyPendingDeletion = (400, "KMS.1402", Kms, "The key is already in Pending deletion state", true),
    /// cancel-key-deletion of a key that is not pending deletion.
    KmsKeyNotPendingDeletion = (400, "KMS.1501", Kms, "The key is not in Pending deletion state", true),
    /// A list `limit` that is not a positive decimal (or out of its range).
    KmsInvalidLimit = (400, "KMS.1601", Kms, "Invalid limit", true),
    /// A list-keys `marker` that is not a decimal offset.
    KmsInvalidMarker = (400, "KMS.1602", Kms, "marker must be greater than or equals 0", true),
    /// A list `offset` (keystores) that is not a decimal offset.
    KmsInvalidOffset = (400, "KMS.1603", Kms, "Invalid offset", true),
    /// `random_data_length` not a number of bits within 8..=8192.
    KmsInvalidRandomLength = (400, "KMS.1801", Kms, "Invalid random_data_length", true),
    /// `random_data_length` not a multiple of 8.
    KmsRandomLengthNotByteMultiple = (400, "KMS.1802", Kms, "random_data_length must be a multiple of 8", true),
    /// An asymmetric `encryption_algorithm` with a symmetric key.
    KmsSymmetricAlgorithmMismatch = (400, "KMS.2105", Kms, "The symmetric key not support this encryption algorithm", true),
    /// An `encryption_algorithm` other than RSAES-OAEP with an RSA key.
    KmsRsaAlgorithmMismatch = (400, "KMS.2106", Kms, "The rsa key not support this encryption algorithm", true),
    /// RSA plaintext longer than the key and hash allow (k - 2 hLen - 2).
    KmsRsaPlainTextTooLong = (400, "KMS.2108", Kms, "The rsa encryption plain_text is over length", true),
    /// enable-key-rotation when rotation is already on.
    KmsRotationNotDisabled = (400, "KMS.2901", Kms, "Key rotation is not disabled", true),
    /// `rotation_interval` outside 30..=365 days.
    KmsInvalidRotationInterval = (400, "KMS.3001", Kms, "Invalid rotation_interval", true),
    /// create-grant whose only operation is `create-grant`.
    KmsGrantOnlyCreateGrant = (400, "KMS.2401", Kms, "Specify an operation in addition to create-grant", true),
    /// A `grantee_principal` or `retiring_principal` that is not a user id.
    KmsInvalidUserId = (400, "KMS.2402", Kms, "Invalid user ID", true),
    /// create-grant by a grantee for operations its own grant lacks.
    KmsGrantCreateFailed = (400, "KMS.2403", Kms, "Failed to create the grant", true),
    /// A key would carry more grants than the per-key limit.
    KmsTooManyKeyGrants = (400, "KMS.2404", Kms, "Too many CMK grants", true),
    /// `grant_id` malformed.
    KmsInvalidGrantId = (400, "KMS.2501", Kms, "Invalid grant ID", true),
    /// The grant is not one of the key's.
    KmsGrantKeyMismatch = (400, "KMS.2502", Kms, "grant_id and key_id do not match", true),
    /// import-key-material with an import token whose validity has passed.
    KmsImportTokenExpired = (400, "KMS.2601", Kms, "Token expired", true),
    /// import-key-material with an `expiration_time` not after now.
    KmsImportExpirationPast = (400, "KMS.2602", Kms, "Key expiration time must be later than the current time", true),
    /// import-key-material with a token issued for another key.
    KmsImportTokenKeyMismatch = (400, "KMS.2603", Kms, "Key IDs in the imported key and token do not match", true),
    /// Imported symmetric material of the wrong length (32 bytes).
    KmsImportMaterialLength = (400, "KMS.2604", Kms, "The external key plaintext length must be 32 bits", true),
    /// An import token that is unknown, forged, or whose wrapped material
    /// does not decrypt under it.
    KmsImportTokenInvalid = (400, "KMS.2605", Kms, "Token verification failed", true),
    /// Material imported again into a key must be the material it had.
    KmsImportMaterialDiffers = (400, "KMS.2606", Kms, "You are importing a deleted key again. The imported plaintext must be the same as the deleted key plaintext", true),
    /// An asymmetric import without `encrypted_privatekey`.
    KmsImportPrivateKeyMissing = (400, "KMS.2608", Kms, "The imported asymmetric private key can not be null", true),
    /// An asymmetric import whose private key is invalid (or not served).
    KmsImportPrivateKeyInvalid = (400, "KMS.2609", Kms, "The imported asymmetric private is invalid", true),
    /// A key pair's temporary key of neither 16 nor 32 bytes.
    KmsImportTemporaryKeyLength = (400, "KMS.2610", Kms, "The temporary key length must be 16 or 32", true),
    /// delete-imported-key-material of a key pair (its private key stays).
    KmsImportedPrivateKeyNotDeletable = (400, "KMS.2702", Kms, "The imported private key material can not be deleted", true),
    /// delete-imported-key-material of a key neither enabled nor disabled.
    KmsMaterialNotDeletable = (400, "KMS.2701", Kms, "Key material is not in Enabled or Disabled state and cannot be deleted", true),
    /// Internal error.
    KmsInternal = (500, "KMS.0101", Kms, "Internal service error", true),
    /// The request did not complete within the server's time limit.
    KmsRequestTimeout = (504, "KMS.6505", Kms, "The request timed out", false),
    /// Missing or bad credentials.
    KmsUnauthenticated = (401, "KMS.6401", Kms, "Authentication failed: missing or invalid credentials", false),
    /// keystore_alias already used in the domain.
    KmsKeystoreAliasTaken = (400, "KMS.6001", Kms, "The keystore alias already exists", false),
    /// The HSM cluster is unknown or not the caller's.
    KmsClusterNotFound = (404, "KMS.6002", Kms, "The HSM cluster does not exist", false),
    /// The cluster already backs a keystore.
    KmsClusterHasKeystore = (400, "KMS.6003", Kms, "The cluster already has a dedicated keystore", false),
    /// hsm_ca_cert is not the cluster's CA certificate.
    KmsCaCertMismatch = (400, "KMS.6004", Kms, "hsm_ca_cert does not match the cluster's CA certificate", false),
    /// hsm_ca_cert is not a CA certificate.
    KmsInvalidCaCert = (400, "KMS.6005", Kms, "hsm_ca_cert is not a valid CA certificate", false),
    /// keystore_type does not match the cluster.
    KmsKeystoreTypeMismatch = (400, "KMS.6006", Kms, "keystore_type does not match the cluster type", false),
    /// The keystore does not exist (or is another domain's).
    KmsKeystoreNotFound = (404, "KMS.6007", Kms, "The keystore does not exist", false),
    /// The keystore is disabled.
    KmsKeystoreDisabled = (400, "KMS.6008", Kms, "The keystore is disabled", false),
    /// The keystore still holds keys.
    KmsKeystoreHasKeys = (400, "KMS.6009", Kms, "The keystore still has keys", false),
    /// The PIN is missing, malformed or does not verify.
    KmsInvalidPin = (400, "KMS.6010", Kms, "Invalid PIN", false),
    /// The HSM answered with something invalid.
    KmsBadGateway = (502, "KMS.6502", Kms, "The HSM returned an invalid response", false),
    /// The HSM did not answer in time.
    KmsGatewayTimeout = (504, "KMS.6504", Kms, "The HSM timed out", false),
    /// Request body is malformed.
    ApigParameterError = (400, "APIG.2000", Apig, "Parameter error", true),
    /// Mandatory parameter missing.
    ApigParameterMissing = (400, "APIG.2001", Apig, "The request parameters must be specified", true),
    /// Parameter value invalid.
    ApigInvalidParameterValue = (400, "APIG.2012", Apig, "Invalid parameter value", true),
    /// Certificate and private key do not match.
    ApigCertKeyMismatch = (400, "APIG.2101", Apig, "The certificate does not match the private key", true),
    /// Certificate expired or not yet valid.
    ApigCertExpired = (400, "APIG.2102", Apig, "The certificate has expired or is not yet valid", true),
    /// Chain does not link or does not verify.
    ApigCertChainMismatch = (400, "APIG.2104", Apig, "The certificate chain does not match", true),
    /// Encrypted private key.
    ApigEncryptedKey = (400, "APIG.2105", Apig, "Encrypted private keys are not supported", true),
    /// Certificate or key cannot be parsed.
    ApigInvalidCertOrKey = (400, "APIG.2106", Apig, "Invalid certificate or private key", true),
    /// Missing or bad credentials.
    ApigIncorrectToken = (401, "APIG.1002", Apig, "Incorrect token or token resolution failed", true),
    /// Project not the caller's.
    ApigNoPermission = (403, "APIG.1005", Apig, "No permissions to request this method", true),
    /// Gateway instance unknown.
    ApigInstanceNotFound = (404, "APIG.3030", Apig, "The instance does not exist", true),
    /// Certificate unknown.
    ApigCertificateNotFound = (404, "APIG.3025", Apig, "The certificate does not exist", true),
    /// Certificate name already used in the project and scope.
    ApigCertificateNameTaken = (400, "APIG.7001", Apig, "The certificate name already exists", false),
    /// Internal error.
    ApigSystemError = (500, "APIG.9999", Apig, "System error", true),
    /// No such API route under `/v2/`.
    ApigApiNotFound = (404, "APIG.7404", Apig, "The API does not exist", false),
    /// HTTP method not supported on this route.
    ApigMethodNotAllowed = (405, "APIG.7405", Apig, "The request method is not supported", false),
    /// The request did not complete within the server's time limit.
    ApigRequestTimeout = (504, "APIG.7504", Apig, "The request timed out", false),
    /// A project's request rate is over its limit: API Gateway's own
    /// throttling answer, in its flat shape, for KMS and APIG routes alike.
    GatewayThrottled = (429, "APIGW.0308", Apig, "The throttling threshold has been reached", true),
}

impl ErrorCode {
    /// The detail an error of this code shows after its stable message:
    /// none when it is empty or repeats the message.
    #[must_use]
    pub fn shown_detail(self, detail: String) -> Option<String> {
        (!detail.is_empty() && detail != self.message()).then_some(detail)
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A wire error: a catalogue entry plus an optional detail, and, for
/// failures behind the API (storage, HSM), the cause, which is for the
/// host's logs and never rendered on the wire.
#[derive(Clone, Debug, thiserror::Error)]
#[error("{} {}: {}", self.code.status(), self.code.as_str(), self.error_msg())]
pub struct ApiError {
    code: ErrorCode,
    detail: Option<String>,
    #[source]
    cause: Option<Arc<dyn std::error::Error + Send + Sync + 'static>>,
}

/// Equal when code and detail are: what the caller sees. Causes are not
/// compared.
impl PartialEq for ApiError {
    fn eq(&self, other: &Self) -> bool {
        self.code == other.code && self.detail == other.detail
    }
}

impl Eq for ApiError {}

impl ApiError {
    /// An error with a detail appended to the stable message.
    #[must_use]
    pub fn new(code: ErrorCode, detail: impl Into<String>) -> Self {
        Self {
            code,
            detail: code.shown_detail(detail.into()),
            cause: None,
        }
    }

    /// An error with only the stable message.
    #[must_use]
    pub const fn bare(code: ErrorCode) -> Self {
        Self {
            code,
            detail: None,
            cause: None,
        }
    }

    /// An error from its parts, as a layer above (a service core) kept
    /// them: the detail is shown as given (`None`: the stable message only).
    #[must_use]
    pub fn from_parts(
        code: ErrorCode,
        detail: Option<String>,
        cause: Option<Arc<dyn std::error::Error + Send + Sync + 'static>>,
    ) -> Self {
        Self {
            code,
            detail,
            cause,
        }
    }

    /// The detail appended to the stable message, if any.
    #[must_use]
    pub fn detail(&self) -> Option<&str> {
        self.detail.as_deref()
    }

    /// The same error, caused by `cause` (kept for logs, not on the wire).
    #[must_use]
    pub fn with_cause(mut self, cause: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.cause = Some(Arc::new(cause));
        self
    }

    /// What caused it behind the API, if known.
    #[must_use]
    pub fn cause(&self) -> Option<&(dyn std::error::Error + Send + Sync + 'static)> {
        self.cause.as_deref()
    }

    /// The cause, shared (a host can keep it past the error).
    #[must_use]
    pub fn shared_cause(&self) -> Option<Arc<dyn std::error::Error + Send + Sync + 'static>> {
        self.cause.clone()
    }

    /// The catalogue entry.
    #[must_use]
    pub const fn code(&self) -> ErrorCode {
        self.code
    }

    /// The HTTP status.
    #[must_use]
    pub const fn status(&self) -> u16 {
        self.code.status()
    }

    /// The `error_msg`: the stable message, then `: detail` if any.
    #[must_use]
    pub fn error_msg(&self) -> String {
        match &self.detail {
            // APIG's published form: `Invalid parameter value,parameterName:x. ...`
            Some(d) if d.starts_with("parameterName:") => format!("{},{d}", self.code.message()),
            Some(d) => format!("{}: {d}", self.code.message()),
            None => self.code.message().to_owned(),
        }
    }

    /// The response body in the service's shape.
    #[must_use]
    pub fn body(&self) -> ErrorBody {
        let detail = ErrorDetail {
            error_code: self.code.as_str().to_owned(),
            error_msg: self.error_msg(),
        };
        match self.code.service() {
            Service::Kms => ErrorBody::Kms(KmsErrorBody { error: detail }),
            Service::Apig => ErrorBody::Apig(detail),
        }
    }

    /// The response body serialised to JSON.
    #[must_use]
    pub fn to_json(&self) -> String {
        // Serialising two owned strings cannot fail; fall back to a fixed
        // body rather than panic if it ever did.
        serde_json::to_string(&self.body()).unwrap_or_else(|_| {
            String::from(r#"{"error_code":"APIG.9999","error_msg":"System error"}"#)
        })
    }
}

/// `error_code` and `error_msg`, as both services name them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorDetail {
    /// e.g. `KMS.0205`.
    pub error_code: String,
    /// Human-readable message.
    pub error_msg: String,
}

/// KMS error body: `{"error":{"error_code","error_msg"}}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KmsErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// An error body in either service's shape.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ErrorBody {
    /// Nested KMS shape.
    Kms(KmsErrorBody),
    /// Flat APIG shape.
    Apig(ErrorDetail),
}
