//! Validated domain types. Each can only be built through its rule.
//!
//! The checks are written as branch-free folds over the bytes so that the
//! compiler vectorises them; the first offending offset is only searched for
//! once a value has been rejected. The `regex` crate is the oracle in the
//! property tests (`tests/integration/validators.rs`).

use std::fmt;

use serde::Serialize;
use zeroize::Zeroizing;

use crate::error::{Result, Rule, ValidationError};

/// Pattern of [`KeystoreAlias`] (and of a CMK's `key_alias`).
pub const ALIAS_PATTERN: &str = "^[a-zA-Z0-9:/_-]{1,255}$";
/// Pattern of [`KeyId`] and of dedicated keystore ids.
pub const KEY_ID_PATTERN: &str = "^[0-9a-z]{8}-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{12}$";
/// Pattern of [`CertificateName`] (ASCII letters, plus the CJK unified
/// ideographs U+4E00..=U+9FA5 that the SDK also allows).
pub const CERTIFICATE_NAME_PATTERN: &str =
    "^[a-zA-Z\u{4e00}-\u{9fa5}][a-zA-Z0-9_\u{4e00}-\u{9fa5}]{3,49}$";
/// Pattern of a gateway `instance_id`.
pub const INSTANCE_ID_PATTERN: &str = "^[a-zA-Z0-9_-]{1,64}$";
/// Pattern of an HSM / CDMS cluster id.
pub const CLUSTER_ID_PATTERN: &str = "^[a-zA-Z0-9_-]{1,64}$";

/// Largest PEM text accepted in any field, in bytes.
pub const MAX_PEM_BYTES: usize = 64 * 1024;
/// Largest `additional_authenticated_data`, in bytes.
pub const MAX_AAD_BYTES: usize = 128;

#[inline]
const fn is_alias_byte(b: u8) -> bool {
    // '/' 0x2F through ':' 0x3A is "/0123456789:"
    (b.wrapping_sub(b'/') < 12) | ((b | 0x20).wrapping_sub(b'a') < 26) | (b == b'_') | (b == b'-')
}

#[inline]
const fn is_lower_alnum(b: u8) -> bool {
    (b.wrapping_sub(b'0') < 10) | (b.wrapping_sub(b'a') < 26)
}

#[inline]
const fn is_id_byte(b: u8) -> bool {
    (b.wrapping_sub(b'0') < 10) | ((b | 0x20).wrapping_sub(b'a') < 26) | (b == b'_') | (b == b'-')
}

/// `true` when every byte satisfies `ok`; a fold without early exit.
#[inline]
fn all_bytes(bytes: &[u8], ok: impl Fn(u8) -> bool) -> bool {
    bytes.iter().fold(true, |acc, &b| acc & ok(b))
}

/// Positions of the `-` in an 8-4-4-4-12 id.
const DASH_AT: [bool; 36] = {
    let mut t = [false; 36];
    t[8] = true;
    t[13] = true;
    t[18] = true;
    t[23] = true;
    t
};

fn first_bad(bytes: &[u8], ok: impl Fn(u8) -> bool) -> usize {
    bytes.iter().position(|&b| !ok(b)).unwrap_or(bytes.len())
}

fn check_alias(field: &'static str, s: &str) -> Result<()> {
    let b = s.as_bytes();
    if b.is_empty() {
        return Err(ValidationError::new(field, Rule::Empty));
    }
    if !all_bytes(b, is_alias_byte) {
        return Err(ValidationError::new(
            field,
            Rule::InvalidCharacter {
                at: first_bad(b, is_alias_byte),
                pattern: ALIAS_PATTERN,
            },
        ));
    }
    if b.len() > 255 {
        return Err(ValidationError::new(field, Rule::TooLong { max: 255 }));
    }
    Ok(())
}

fn check_id(field: &'static str, s: &str, pattern: &'static str) -> Result<()> {
    let b = s.as_bytes();
    if b.is_empty() {
        return Err(ValidationError::new(field, Rule::Empty));
    }
    if !all_bytes(b, is_id_byte) {
        return Err(ValidationError::new(
            field,
            Rule::InvalidCharacter {
                at: first_bad(b, is_id_byte),
                pattern,
            },
        ));
    }
    if b.len() > 64 {
        return Err(ValidationError::new(field, Rule::TooLong { max: 64 }));
    }
    Ok(())
}

/// The 8-4-4-4-12 lower-case id check, branch-free over a fixed 36 bytes.
fn check_uuid_like(field: &'static str, s: &str) -> Result<()> {
    let b = s.as_bytes();
    let Ok(arr) = <&[u8; 36]>::try_from(b) else {
        return Err(ValidationError::new(
            field,
            Rule::ExactLength { expected: 36 },
        ));
    };
    let ok_at = |dash: bool, c: u8| -> bool { (dash & (c == b'-')) | (!dash & is_lower_alnum(c)) };
    let mut good = true;
    for (&dash, &c) in DASH_AT.iter().zip(arr) {
        good &= ok_at(dash, c);
    }
    if good {
        Ok(())
    } else {
        let at = DASH_AT
            .iter()
            .zip(arr)
            .position(|(&dash, &c)| !ok_at(dash, c))
            .unwrap_or(0);
        Err(ValidationError::new(
            field,
            Rule::InvalidCharacter {
                at,
                pattern: KEY_ID_PATTERN,
            },
        ))
    }
}

macro_rules! string_newtype {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// The validated text.
            #[must_use]
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({:?})", stringify!($name), self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}

string_newtype!(
    /// A dedicated keystore's alias: `^[a-zA-Z0-9:/_-]{1,255}$`.
    KeystoreAlias
);

impl KeystoreAlias {
    /// Validates `keystore_alias`.
    ///
    /// # Errors
    /// Empty, longer than 255 bytes, or a character outside the pattern.
    pub fn parse(s: &str) -> Result<Self> {
        check_alias("keystore_alias", s)?;
        Ok(Self(s.to_owned()))
    }
}

string_newtype!(
    /// A CMK alias (`key_alias`): same language as [`KeystoreAlias`].
    KeyAlias
);

impl KeyAlias {
    /// Validates `key_alias`. The suffix `/default` is reserved for the
    /// service's default master keys (the API reference: a custom key's
    /// alias may not end in `/default`).
    ///
    /// # Errors
    /// Empty, longer than 255 bytes, a character outside the pattern, or
    /// the `/default` suffix.
    pub fn parse(s: &str) -> Result<Self> {
        check_alias("key_alias", s)?;
        if s.ends_with("/default") {
            return Err(ValidationError::new(
                "key_alias",
                Rule::Inconsistent("the suffix /default is reserved for default master keys"),
            ));
        }
        Ok(Self(s.to_owned()))
    }
}

string_newtype!(
    /// A CMK id: exactly the seed's
    /// `^[0-9a-z]{8}-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{12}$`.
    KeyId
);

impl KeyId {
    /// Validates `key_id`.
    ///
    /// # Errors
    /// Not 36 bytes, or a byte that the pattern does not allow at its position.
    pub fn parse(s: &str) -> Result<Self> {
        check_uuid_like("key_id", s)?;
        Ok(Self(s.to_owned()))
    }

    /// Builds a key id from a freshly generated value (an id generator's
    /// output), checking it like any other.
    ///
    /// # Errors
    /// As [`KeyId::parse`].
    pub fn from_generated(s: String) -> Result<Self> {
        check_uuid_like("key_id", &s)?;
        Ok(Self(s))
    }
}

string_newtype!(
    /// A dedicated keystore's id, in the same 8-4-4-4-12 lower-case form as
    /// [`KeyId`] (the ids this service issues).
    KeystoreId
);

impl KeystoreId {
    /// Validates a dedicated keystore id, reported as field `field`.
    ///
    /// # Errors
    /// Not of the form of [`KEY_ID_PATTERN`].
    pub fn parse_field(field: &'static str, s: &str) -> Result<Self> {
        check_uuid_like(field, s)?;
        Ok(Self(s.to_owned()))
    }
}

string_newtype!(
    /// An HSM or CDMS cluster id: `^[a-zA-Z0-9_-]{1,64}$`.
    ClusterId
);

impl ClusterId {
    /// Validates a cluster id, reported as field `field`.
    ///
    /// # Errors
    /// Empty, longer than 64 bytes, or a character outside the pattern.
    pub fn parse_field(field: &'static str, s: &str) -> Result<Self> {
        check_id(field, s, CLUSTER_ID_PATTERN)?;
        Ok(Self(s.to_owned()))
    }
}

string_newtype!(
    /// A gateway instance id: `^[a-zA-Z0-9_-]{1,64}$`.
    InstanceId
);

impl InstanceId {
    /// Validates `instance_id`.
    ///
    /// # Errors
    /// Empty, longer than 64 bytes, or a character outside the pattern.
    pub fn parse(s: &str) -> Result<Self> {
        check_id("instance_id", s, INSTANCE_ID_PATTERN)?;
        Ok(Self(s.to_owned()))
    }
}

string_newtype!(
    /// A request's `sequence`: exactly 36 bytes (any UTF-8 text; the API
    /// reference's "36-byte serial number", a hyphenated UUID in its
    /// example), or exactly 32 ASCII hexadecimal digits (the same UUID
    /// without hyphens, Python's `uuid4().hex`, which Cloud Custodian's
    /// Huawei provider sends). Kept as sent.
    Sequence
);

/// What `sequence` accepts, as [`Rule::NotOneOf`] words it.
const SEQUENCE_FORMS: &str = "36 bytes (a UUID such as 919c82d4-8046-4722-9094-35c3c6524cff) or 32 hexadecimal digits (a UUID without hyphens)";

impl Sequence {
    /// Validates `sequence`: 36 bytes, or 32 hexadecimal digits (either
    /// case).
    ///
    /// # Errors
    /// Any other value ([`Rule::NotOneOf`], KMS.0206).
    pub fn parse(s: &str) -> Result<Self> {
        let b = s.as_bytes();
        let simple_uuid = b.len() == 32 && all_bytes(b, |c| c.is_ascii_hexdigit());
        if b.len() != 36 && !simple_uuid {
            return Err(ValidationError::new(
                "sequence",
                Rule::NotOneOf(SEQUENCE_FORMS),
            ));
        }
        Ok(Self(s.to_owned()))
    }
}

fn is_cjk(c: char) -> bool {
    ('\u{4e00}'..='\u{9fa5}').contains(&c)
}

string_newtype!(
    /// An APIG certificate name: 4 to 50 characters, first a letter, then
    /// letters, digits and `_` ([`CERTIFICATE_NAME_PATTERN`]).
    CertificateName
);

impl CertificateName {
    /// Validates `name`.
    ///
    /// # Errors
    /// Wrong length (in characters) or a character outside the pattern.
    pub fn parse(s: &str) -> Result<Self> {
        const F: &str = "name";
        let bad = |at| {
            ValidationError::new(
                F,
                Rule::InvalidCharacter {
                    at,
                    pattern: CERTIFICATE_NAME_PATTERN,
                },
            )
        };
        let mut count = 0usize;
        for (at, c) in s.char_indices() {
            let ok = if count == 0 {
                c.is_ascii_alphabetic() || is_cjk(c)
            } else {
                c.is_ascii_alphanumeric() || c == '_' || is_cjk(c)
            };
            if !ok {
                return Err(bad(at));
            }
            count += 1;
            if count > 50 {
                return Err(ValidationError::new(F, Rule::TooLong { max: 50 }));
            }
        }
        if count < 4 {
            return Err(ValidationError::new(F, Rule::TooShort { min: 4 }));
        }
        Ok(Self(s.to_owned()))
    }
}

/// `key_spec` of a DEK request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum KeySpec {
    /// 128-bit AES key.
    #[serde(rename = "AES_128")]
    Aes128,
    /// 256-bit AES key.
    #[serde(rename = "AES_256")]
    Aes256,
    /// 128-bit SM4 key (the SDK's `CreateDatakeyRequestBody.key_spec`
    /// enumerates `AES_256`, `AES_128`, `SM4`).
    #[serde(rename = "SM4")]
    Sm4,
}

impl KeySpec {
    /// Parses `AES_128`, `AES_256` or `SM4` (exact spelling).
    ///
    /// # Errors
    /// Any other value.
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "AES_128" => Ok(Self::Aes128),
            "AES_256" => Ok(Self::Aes256),
            "SM4" => Ok(Self::Sm4),
            _ => Err(ValidationError::new(
                "key_spec",
                Rule::NotOneOf("AES_128, AES_256, SM4"),
            )),
        }
    }

    /// The key size in bits.
    #[must_use]
    pub const fn bits(self) -> u16 {
        match self {
            Self::Aes128 | Self::Sm4 => 128,
            Self::Aes256 => 256,
        }
    }
}

/// Days a scheduled key deletion waits before it takes effect: `7..=1096`
/// (KMS.1401 otherwise). The one statement of the bound, for the wire body
/// and for seed files alike.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct PendingDays(u16);

impl PendingDays {
    /// Fewest days.
    pub const MIN: u16 = 7;
    /// Most days.
    pub const MAX: u16 = 1096;

    /// Parses `pending_days`: ASCII digits only, within `7..=1096`.
    ///
    /// # Errors
    /// [`Rule::NotDigits`] or [`Rule::OutOfRange`], reported as `pending_days`.
    pub fn parse(s: &str) -> Result<Self> {
        // Up to 10 digits, as every numeric query and body field.
        let b = s.as_bytes();
        if b.is_empty() || b.len() > 10 || !all_bytes(b, |c| c.is_ascii_digit()) {
            return Err(ValidationError::new("pending_days", Rule::NotDigits));
        }
        let days = b
            .iter()
            .fold(0u64, |acc, &c| acc * 10 + u64::from(c - b'0'));
        Self::new(days)
    }

    /// Checks a number of days given as a number.
    ///
    /// # Errors
    /// [`Rule::OutOfRange`], reported as `pending_days`.
    pub fn new(days: u64) -> Result<Self> {
        let (min, max) = (u64::from(Self::MIN), u64::from(Self::MAX));
        match u16::try_from(days) {
            Ok(d) if (min..=max).contains(&days) => Ok(Self(d)),
            _ => Err(ValidationError::new(
                "pending_days",
                Rule::OutOfRange { min, max },
            )),
        }
    }

    /// The number of days.
    #[must_use]
    pub const fn days(self) -> u64 {
        self.0 as u64
    }
}

/// A DEK length in bits: a multiple of 8 in `8..=8192`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct DatakeyLength(u16);

impl DatakeyLength {
    /// Smallest length, in bits.
    pub const MIN_BITS: u16 = 8;
    /// Largest length, in bits.
    pub const MAX_BITS: u16 = 8192;
    /// Length when neither `datakey_length` nor `key_spec` is given.
    pub const DEFAULT: Self = Self(256);

    /// Parses `datakey_length`: ASCII digits only (no sign, no spaces), a
    /// multiple of 8 in `8..=8192`.
    ///
    /// # Errors
    /// [`Rule::NotDigits`], [`Rule::OutOfRange`] or [`Rule::NotMultipleOf`].
    pub fn parse(s: &str) -> Result<Self> {
        Self::parse_field("datakey_length", s)
    }

    fn parse_field(field: &'static str, s: &str) -> Result<Self> {
        let b = s.as_bytes();
        if b.is_empty() || !all_bytes(b, |c| c.is_ascii_digit()) {
            return Err(ValidationError::new(field, Rule::NotDigits));
        }
        let value = b.iter().fold(0u64, |acc, &c| {
            acc.saturating_mul(10).saturating_add(u64::from(c - b'0'))
        });
        Self::from_bits_field(field, value)
    }

    /// Checks a length in bits given as a number.
    ///
    /// # Errors
    /// [`Rule::OutOfRange`] or [`Rule::NotMultipleOf`].
    pub fn from_bits(bits: u64) -> Result<Self> {
        Self::from_bits_field("datakey_length", bits)
    }

    fn from_bits_field(field: &'static str, bits: u64) -> Result<Self> {
        let (min, max) = (u64::from(Self::MIN_BITS), u64::from(Self::MAX_BITS));
        if !(min..=max).contains(&bits) {
            return Err(ValidationError::new(field, Rule::OutOfRange { min, max }));
        }
        if bits % 8 != 0 {
            return Err(ValidationError::new(field, Rule::NotMultipleOf(8)));
        }
        // In range, so it fits.
        Ok(Self(u16::try_from(bits).unwrap_or(Self::MAX_BITS)))
    }

    /// The resolution rule of the DEK routes: `datakey_length` wins over
    /// `key_spec`; `key_spec` gives 128 or 256; neither gives 256. A given
    /// `key_spec` is validated even when `datakey_length` wins.
    ///
    /// # Errors
    /// An invalid `key_spec` or `datakey_length`.
    pub fn resolve(datakey_length: Option<&str>, key_spec: Option<&str>) -> Result<Self> {
        let spec = key_spec.map(KeySpec::parse).transpose()?;
        match (datakey_length, spec) {
            (Some(len), _) => Self::parse(len),
            (None, Some(spec)) => Ok(Self(spec.bits())),
            (None, None) => Ok(Self::DEFAULT),
        }
    }

    /// Parses a byte count (`datakey_plain_length`, `datakey_cipher_length`)
    /// into a length: digits only, `1..=1024` bytes.
    ///
    /// # Errors
    /// [`Rule::NotDigits`] or [`Rule::OutOfRange`].
    pub fn parse_bytes_field(field: &'static str, s: &str) -> Result<Self> {
        let b = s.as_bytes();
        if b.is_empty() || !all_bytes(b, |c| c.is_ascii_digit()) {
            return Err(ValidationError::new(field, Rule::NotDigits));
        }
        let bytes = b.iter().fold(0u64, |acc, &c| {
            acc.saturating_mul(10).saturating_add(u64::from(c - b'0'))
        });
        let max = u64::from(Self::MAX_BITS / 8);
        if !(1..=max).contains(&bytes) {
            return Err(ValidationError::new(
                field,
                Rule::OutOfRange { min: 1, max },
            ));
        }
        Self::from_bits_field(field, bytes * 8)
    }

    /// Length in bits.
    #[must_use]
    pub const fn bits(self) -> u16 {
        self.0
    }

    /// Length in bytes.
    #[must_use]
    pub const fn bytes(self) -> usize {
        self.0 as usize / 8
    }
}

/// `pin_type`: how a PIN is handed over.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize)]
pub enum PinType {
    /// The PIN in clear (hex).
    PlainText,
    /// The PIN sealed by its keystore (the default).
    #[default]
    CipherText,
}

impl PinType {
    /// Parses `PlainText` or `CipherText` (exact spelling).
    ///
    /// # Errors
    /// Any other value.
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "PlainText" => Ok(Self::PlainText),
            "CipherText" => Ok(Self::CipherText),
            _ => Err(ValidationError::new(
                "pin_type",
                Rule::NotOneOf("PlainText, CipherText"),
            )),
        }
    }

    /// The wire spelling.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::PlainText => "PlainText",
            Self::CipherText => "CipherText",
        }
    }
}

/// A keystore reference as `keystore_id` gives it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(into = "String")]
pub enum KeystoreRef {
    /// `"0"`: the default KMS keystore.
    Default,
    /// `"1"`: the shared management-plane cluster.
    SharedManagement,
    /// `"2"`: the shared data-plane cluster.
    SharedData,
    /// A tenant's dedicated keystore.
    Dedicated(KeystoreId),
}

impl KeystoreRef {
    /// Id of the default KMS keystore.
    pub const DEFAULT_ID: &'static str = "0";
    /// Id of the shared management-plane cluster.
    pub const SHARED_MANAGEMENT_ID: &'static str = "1";
    /// Id of the shared data-plane cluster.
    pub const SHARED_DATA_ID: &'static str = "2";
    /// Ids of the two shared clusters, whose PINs authorise keys of the
    /// default keystore.
    pub const SHARED_IDS: [&'static str; 2] = [Self::SHARED_MANAGEMENT_ID, Self::SHARED_DATA_ID];

    /// Parses `keystore_id`: `"0"`, `"1"`, `"2"`, or a dedicated keystore id.
    ///
    /// # Errors
    /// Anything else.
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            Self::DEFAULT_ID => Ok(Self::Default),
            Self::SHARED_MANAGEMENT_ID => Ok(Self::SharedManagement),
            Self::SHARED_DATA_ID => Ok(Self::SharedData),
            other => KeystoreId::parse_field("keystore_id", other).map(Self::Dedicated),
        }
    }

    /// Whether a stored keystore id names a tenant's dedicated keystore
    /// (anything but the three built-in ids).
    #[must_use]
    pub fn is_dedicated_id(id: &str) -> bool {
        !matches!(
            id,
            Self::DEFAULT_ID | Self::SHARED_MANAGEMENT_ID | Self::SHARED_DATA_ID
        )
    }

    /// The wire form.
    #[must_use]
    pub fn as_str(&self) -> &str {
        match self {
            Self::Default => Self::DEFAULT_ID,
            Self::SharedManagement => Self::SHARED_MANAGEMENT_ID,
            Self::SharedData => Self::SHARED_DATA_ID,
            Self::Dedicated(id) => id.as_str(),
        }
    }
}

impl From<KeystoreRef> for String {
    fn from(r: KeystoreRef) -> Self {
        r.as_str().to_owned()
    }
}

/// `keystore_type`: which kind of cluster backs a keystore.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum KeystoreType {
    /// `0` / `DEFAULT`: the original KMS cluster.
    #[serde(rename = "DEFAULT")]
    Default,
    /// `1` / `DHSM`: a Dedicated HSM cluster.
    #[serde(rename = "DHSM")]
    Dhsm,
    /// `2` / `CDMS`: a CDMS cluster.
    #[serde(rename = "CDMS")]
    Cdms,
}

impl KeystoreType {
    /// Parses either spelling: `0|1|2` (reference page) or
    /// `DEFAULT|DHSM|CDMS` (SDK).
    ///
    /// # Errors
    /// Anything else.
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "0" | "DEFAULT" => Ok(Self::Default),
            "1" | "DHSM" => Ok(Self::Dhsm),
            "2" | "CDMS" => Ok(Self::Cdms),
            _ => Err(ValidationError::new(
                "keystore_type",
                Rule::NotOneOf("0, 1, 2, DEFAULT, DHSM, CDMS"),
            )),
        }
    }

    /// The SDK spelling, which responses echo.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Default => "DEFAULT",
            Self::Dhsm => "DHSM",
            Self::Cdms => "CDMS",
        }
    }
}

/// Where an APIG certificate applies.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum CertificateScope {
    /// `global`: every gateway of the project.
    Global,
    /// `instance`: one gateway.
    Instance(InstanceId),
}

impl CertificateScope {
    /// Resolves `type` (default `global`) and `instance_id` (required for
    /// `instance`, ignored for `global`, as the service does).
    ///
    /// # Errors
    /// An unknown `type`, a missing or malformed `instance_id`.
    pub fn resolve(kind: Option<&str>, instance_id: Option<&str>) -> Result<Self> {
        match kind.unwrap_or("global") {
            "global" => Ok(Self::Global),
            "instance" => match instance_id {
                None => Err(ValidationError::missing("instance_id")),
                Some(id) => InstanceId::parse(id).map(Self::Instance),
            },
            _ => Err(ValidationError::new(
                "type",
                Rule::NotOneOf("global, instance"),
            )),
        }
    }

    /// `global` or `instance`.
    #[must_use]
    pub const fn type_str(&self) -> &'static str {
        match self {
            Self::Global => "global",
            Self::Instance(_) => "instance",
        }
    }

    /// The `instance_id` a record reports: `common` for global certificates.
    #[must_use]
    pub fn instance_id_str(&self) -> &str {
        match self {
            Self::Global => "common",
            Self::Instance(id) => id.as_str(),
        }
    }
}

impl Serialize for CertificateScope {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("CertificateScope", 2)?;
        st.serialize_field("type", self.type_str())?;
        st.serialize_field("instance_id", self.instance_id_str())?;
        st.end()
    }
}

string_newtype!(
    /// `additional_authenticated_data`: at most 128 bytes, bound to the
    /// ciphertext. An empty string is treated as absent (see
    /// [`Aad::parse_optional`]).
    Aad
);

impl Aad {
    /// Validates a present, non-empty AAD.
    ///
    /// # Errors
    /// Empty or longer than 128 bytes.
    pub fn parse(s: &str) -> Result<Self> {
        const F: &str = "additional_authenticated_data";
        if s.is_empty() {
            return Err(ValidationError::new(F, Rule::Empty));
        }
        if s.len() > MAX_AAD_BYTES {
            return Err(ValidationError::new(
                F,
                Rule::TooLong { max: MAX_AAD_BYTES },
            ));
        }
        Ok(Self(s.to_owned()))
    }

    /// `None` and `""` both mean "no AAD"; anything else must be valid.
    ///
    /// # Errors
    /// Longer than 128 bytes.
    pub fn parse_optional(s: Option<&str>) -> Result<Option<Self>> {
        match s {
            None | Some("") => Ok(None),
            Some(s) => Self::parse(s).map(Some),
        }
    }

    /// The AAD bytes.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

/// A hex field's length rules: not empty, at most two digits per byte of
/// `max_bytes`.
fn check_hex_len(field: &'static str, s: &str, max_bytes: usize) -> Result<()> {
    if s.is_empty() {
        return Err(ValidationError::new(field, Rule::Empty));
    }
    let max = max_bytes.saturating_mul(2);
    if s.len() > max {
        return Err(ValidationError::new(field, Rule::TooLong { max }));
    }
    Ok(())
}

/// Decodes a hex field (either case, two digits per byte) of at most
/// `max_bytes` bytes into a zeroized buffer.
///
/// # Errors
/// Empty, odd length, a non-hex digit, or too long.
pub fn decode_hex(field: &'static str, s: &str, max_bytes: usize) -> Result<Zeroizing<Vec<u8>>> {
    check_hex_len(field, s, max_bytes)?;
    base16ct::mixed::decode_vec(s.as_bytes())
        .map(Zeroizing::new)
        .map_err(|_| ValidationError::new(field, Rule::NotHex))
}

/// Decodes a hex field that holds nothing secret (a ciphertext: it is sent
/// in the clear) under the rules of [`decode_hex`], with a lookup table:
/// its time depends on the text, which is why secrets go through
/// [`decode_hex`] instead.
///
/// # Errors
/// Empty, odd length, a non-hex digit, or too long.
pub fn decode_public_hex(field: &'static str, s: &str, max_bytes: usize) -> Result<Vec<u8>> {
    /// Each byte's value as a hex digit, `0xff` when it is not one.
    const DIGIT: [u8; 256] = {
        let mut t = [0xff_u8; 256];
        let mut i = 0;
        while i < 10 {
            t[b'0' as usize + i] = i as u8;
            i += 1;
        }
        let mut i = 0;
        while i < 6 {
            t[b'a' as usize + i] = 10 + i as u8;
            t[b'A' as usize + i] = 10 + i as u8;
            i += 1;
        }
        t
    };
    check_hex_len(field, s, max_bytes)?;
    let pairs = s.as_bytes().chunks_exact(2);
    if !pairs.remainder().is_empty() {
        return Err(ValidationError::new(field, Rule::NotHex));
    }
    let mut out = Vec::with_capacity(pairs.len());
    for pair in pairs {
        let (h, l) = (DIGIT[usize::from(pair[0])], DIGIT[usize::from(pair[1])]);
        if (h | l) == 0xff {
            return Err(ValidationError::new(field, Rule::NotHex));
        }
        out.push(h << 4 | l);
    }
    Ok(out)
}

/// PEM text from a request: non-empty, at most [`MAX_PEM_BYTES`]. Parsing
/// the PEM is cert-parse's job; this only bounds what reaches it.
#[derive(Clone, PartialEq, Eq)]
pub struct PemText(Zeroizing<String>);

impl PemText {
    /// Validates a PEM field named `field`.
    ///
    /// # Errors
    /// Empty (or only whitespace) or larger than [`MAX_PEM_BYTES`].
    pub fn parse_field(field: &'static str, s: &str) -> Result<Self> {
        if s.trim().is_empty() {
            return Err(ValidationError::new(field, Rule::Empty));
        }
        if s.len() > MAX_PEM_BYTES {
            return Err(ValidationError::new(
                field,
                Rule::TooLong { max: MAX_PEM_BYTES },
            ));
        }
        Ok(Self(Zeroizing::new(s.to_owned())))
    }

    /// The text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Length in bytes.
    #[must_use]
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Never true for a validated value; present for API symmetry.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for PemText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PemText({} bytes)", self.0.len())
    }
}

/// A CMK's `key_spec`: what this implementation creates. The SDK documents
/// more (`SECP256K1`, `ED25519`); those are refused as unsupported.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum CmkSpec {
    /// Symmetric AES-256 (the default).
    #[serde(rename = "AES_256")]
    Aes256,
    /// RSA, 2048-bit.
    #[serde(rename = "RSA_2048")]
    Rsa2048,
    /// RSA, 3072-bit.
    #[serde(rename = "RSA_3072")]
    Rsa3072,
    /// RSA, 4096-bit.
    #[serde(rename = "RSA_4096")]
    Rsa4096,
    /// ECDSA on NIST P-256.
    #[serde(rename = "EC_P256")]
    EcP256,
    /// ECDSA on NIST P-384.
    #[serde(rename = "EC_P384")]
    EcP384,
    /// Symmetric SM4 (national cryptography): SM4-GCM blobs, HKDF-SM3.
    #[serde(rename = "SM4")]
    Sm4,
    /// SM2 key pair: SM2DSA_SM3 signatures or SM2_ENCRYPT.
    #[serde(rename = "SM2")]
    Sm2,
    /// HMAC key for `HMAC_SHA_256` (`GENERATE_VERIFY_MAC`).
    #[serde(rename = "HMAC_256")]
    Hmac256,
    /// HMAC key for `HMAC_SHA_384`.
    #[serde(rename = "HMAC_384")]
    Hmac384,
    /// HMAC key for `HMAC_SHA_512`.
    #[serde(rename = "HMAC_512")]
    Hmac512,
    /// HMAC key for `HMAC_SM3` (national cryptography).
    #[serde(rename = "HMAC_SM3")]
    HmacSm3,
}

impl CmkSpec {
    /// Every spec served.
    pub const ALL: [Self; 12] = [
        Self::Aes256,
        Self::Rsa2048,
        Self::Rsa3072,
        Self::Rsa4096,
        Self::EcP256,
        Self::EcP384,
        Self::Sm4,
        Self::Sm2,
        Self::Hmac256,
        Self::Hmac384,
        Self::Hmac512,
        Self::HmacSm3,
    ];

    /// The wire name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Aes256 => "AES_256",
            Self::Rsa2048 => "RSA_2048",
            Self::Rsa3072 => "RSA_3072",
            Self::Rsa4096 => "RSA_4096",
            Self::EcP256 => "EC_P256",
            Self::EcP384 => "EC_P384",
            Self::Sm4 => "SM4",
            Self::Sm2 => "SM2",
            Self::Hmac256 => "HMAC_256",
            Self::Hmac384 => "HMAC_384",
            Self::Hmac512 => "HMAC_512",
            Self::HmacSm3 => "HMAC_SM3",
        }
    }

    /// Parses a `key_spec` (exact spelling).
    ///
    /// # Errors
    /// A spec the SDK documents but this implementation does not create is
    /// [`Rule::Unsupported`]; anything else [`Rule::NotOneOf`].
    pub fn parse(s: &str) -> Result<Self> {
        if let Some(spec) = Self::ALL.into_iter().find(|spec| spec.as_str() == s) {
            return Ok(spec);
        }
        const DOCUMENTED: &[&str] = &["SECP256K1", "ED25519"];
        let rule = if DOCUMENTED.contains(&s) {
            Rule::Unsupported(
                "this KMS creates AES_256, SM4, RSA_2048, RSA_3072, RSA_4096, EC_P256, EC_P384, SM2 and HMAC_256/384/512/SM3 keys",
            )
        } else {
            Rule::NotOneOf(
                "AES_256, SM4, RSA_2048, RSA_3072, RSA_4096, EC_P256, EC_P384, SM2, HMAC_256, HMAC_384, HMAC_512, HMAC_SM3",
            )
        };
        Err(ValidationError::new("key_spec", rule))
    }

    /// Whether the key is a key pair (RSA, EC, SM2).
    #[must_use]
    pub const fn is_asymmetric(self) -> bool {
        !matches!(
            self,
            Self::Aes256
                | Self::Sm4
                | Self::Hmac256
                | Self::Hmac384
                | Self::Hmac512
                | Self::HmacSm3
        )
    }

    /// Whether the key is an HMAC key (`HMAC_256/384/512/SM3`).
    #[must_use]
    pub const fn is_hmac(self) -> bool {
        matches!(
            self,
            Self::Hmac256 | Self::Hmac384 | Self::Hmac512 | Self::HmacSm3
        )
    }

    /// The one MAC algorithm an HMAC key computes; `None` for other keys.
    #[must_use]
    pub const fn mac_algorithm(self) -> Option<MacAlgorithm> {
        match self {
            Self::Hmac256 => Some(MacAlgorithm::HmacSha256),
            Self::Hmac384 => Some(MacAlgorithm::HmacSha384),
            Self::Hmac512 => Some(MacAlgorithm::HmacSha512),
            Self::HmacSm3 => Some(MacAlgorithm::HmacSm3),
            _ => None,
        }
    }
}

/// Where a CMK's material comes from (create-key's and describe-key's
/// `origin`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum KeyOrigin {
    /// Generated inside the KMS (`kms`).
    #[default]
    Kms,
    /// Imported: the key's owner also holds the material (`external`). Such
    /// a key does not rotate (KMS.0312): a new version would be material
    /// its owner never had.
    External,
}

impl KeyOrigin {
    /// The wire and database spelling: `kms` or `external`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Kms => "kms",
            Self::External => "external",
        }
    }

    /// The inverse of [`KeyOrigin::as_str`].
    ///
    /// # Errors
    /// Any other text (returned back, for the caller's message).
    pub fn parse(s: &str) -> Result<Self, &str> {
        match s {
            "kms" => Ok(Self::Kms),
            "external" => Ok(Self::External),
            other => Err(other),
        }
    }
}

/// A CMK's `key_usage`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum KeyUsage {
    /// Encrypts and decrypts (symmetric keys).
    #[serde(rename = "ENCRYPT_DECRYPT")]
    EncryptDecrypt,
    /// Signs and verifies (asymmetric keys).
    #[serde(rename = "SIGN_VERIFY")]
    SignVerify,
    /// Generates and verifies MACs (HMAC keys).
    #[serde(rename = "GENERATE_VERIFY_MAC")]
    GenerateVerifyMac,
    /// Derives shared secrets by ECDH (EC key pairs).
    #[serde(rename = "KEY_AGREEMENT")]
    KeyAgreement,
}

impl KeyUsage {
    /// The wire name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::EncryptDecrypt => "ENCRYPT_DECRYPT",
            Self::SignVerify => "SIGN_VERIFY",
            Self::GenerateVerifyMac => "GENERATE_VERIFY_MAC",
            Self::KeyAgreement => "KEY_AGREEMENT",
        }
    }

    /// Parses a `key_usage` (exact spelling).
    ///
    /// # Errors
    /// [`Rule::NotOneOf`].
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "ENCRYPT_DECRYPT" => Ok(Self::EncryptDecrypt),
            "SIGN_VERIFY" => Ok(Self::SignVerify),
            "GENERATE_VERIFY_MAC" => Ok(Self::GenerateVerifyMac),
            "KEY_AGREEMENT" => Ok(Self::KeyAgreement),
            _ => Err(ValidationError::new(
                "key_usage",
                Rule::NotOneOf("ENCRYPT_DECRYPT, SIGN_VERIFY, GENERATE_VERIFY_MAC, KEY_AGREEMENT"),
            )),
        }
    }
}

/// A `signing_algorithm` of sign / validate-signature.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[allow(missing_docs)]
pub enum SigningAlgorithm {
    #[serde(rename = "RSASSA_PSS_SHA_256")]
    RsaPssSha256,
    #[serde(rename = "RSASSA_PSS_SHA_384")]
    RsaPssSha384,
    #[serde(rename = "RSASSA_PSS_SHA_512")]
    RsaPssSha512,
    #[serde(rename = "RSASSA_PKCS1_V1_5_SHA_256")]
    RsaPkcs1Sha256,
    #[serde(rename = "RSASSA_PKCS1_V1_5_SHA_384")]
    RsaPkcs1Sha384,
    #[serde(rename = "RSASSA_PKCS1_V1_5_SHA_512")]
    RsaPkcs1Sha512,
    #[serde(rename = "ECDSA_SHA_256")]
    EcdsaSha256,
    #[serde(rename = "ECDSA_SHA_384")]
    EcdsaSha384,
    #[serde(rename = "ECDSA_SHA_512")]
    EcdsaSha512,
    /// SM2 with SM3 (GB/T 32918.2); a DIGEST is `SM3(Z_A || M)`.
    #[serde(rename = "SM2DSA_SM3")]
    Sm2DsaSm3,
}

impl SigningAlgorithm {
    /// Every algorithm served.
    pub const ALL: [Self; 10] = [
        Self::RsaPssSha256,
        Self::RsaPssSha384,
        Self::RsaPssSha512,
        Self::RsaPkcs1Sha256,
        Self::RsaPkcs1Sha384,
        Self::RsaPkcs1Sha512,
        Self::EcdsaSha256,
        Self::EcdsaSha384,
        Self::EcdsaSha512,
        Self::Sm2DsaSm3,
    ];

    /// The wire name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::RsaPssSha256 => "RSASSA_PSS_SHA_256",
            Self::RsaPssSha384 => "RSASSA_PSS_SHA_384",
            Self::RsaPssSha512 => "RSASSA_PSS_SHA_512",
            Self::RsaPkcs1Sha256 => "RSASSA_PKCS1_V1_5_SHA_256",
            Self::RsaPkcs1Sha384 => "RSASSA_PKCS1_V1_5_SHA_384",
            Self::RsaPkcs1Sha512 => "RSASSA_PKCS1_V1_5_SHA_512",
            Self::EcdsaSha256 => "ECDSA_SHA_256",
            Self::EcdsaSha384 => "ECDSA_SHA_384",
            Self::EcdsaSha512 => "ECDSA_SHA_512",
            Self::Sm2DsaSm3 => "SM2DSA_SM3",
        }
    }

    /// Length of the algorithm's digest, in bytes.
    #[must_use]
    pub const fn digest_len(self) -> usize {
        match self {
            Self::RsaPssSha256 | Self::RsaPkcs1Sha256 | Self::EcdsaSha256 | Self::Sm2DsaSm3 => 32,
            Self::RsaPssSha384 | Self::RsaPkcs1Sha384 | Self::EcdsaSha384 => 48,
            Self::RsaPssSha512 | Self::RsaPkcs1Sha512 | Self::EcdsaSha512 => 64,
        }
    }

    /// Parses a `signing_algorithm` (exact spelling).
    ///
    /// # Errors
    /// The Ed25519 algorithms (documented, not served) are
    /// [`Rule::Unsupported`]; anything else [`Rule::NotOneOf`].
    pub fn parse(s: &str) -> Result<Self> {
        if let Some(a) = Self::ALL.into_iter().find(|a| a.as_str() == s) {
            return Ok(a);
        }
        let rule = if matches!(s, "ED25519_SHA_512" | "ED25519_PH_SHA_512") {
            Rule::Unsupported("no Ed25519 keys are served")
        } else {
            Rule::NotOneOf(
                "RSASSA_PSS_SHA_256/384/512, RSASSA_PKCS1_V1_5_SHA_256/384/512, ECDSA_SHA_256/384/512, SM2DSA_SM3",
            )
        };
        Err(ValidationError::new("signing_algorithm", rule))
    }
}

/// `message_type` of sign / validate-signature.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize)]
pub enum MessageType {
    /// `message` is a digest of the algorithm's hash (the default).
    #[default]
    #[serde(rename = "DIGEST")]
    Digest,
    /// `message` is the message itself.
    #[serde(rename = "RAW")]
    Raw,
}

impl MessageType {
    /// Parses a `message_type` (exact spelling).
    ///
    /// # Errors
    /// [`Rule::NotOneOf`].
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "DIGEST" => Ok(Self::Digest),
            "RAW" => Ok(Self::Raw),
            _ => Err(ValidationError::new(
                "message_type",
                Rule::NotOneOf("DIGEST, RAW"),
            )),
        }
    }
}

/// A `mac_algorithm` of generate-mac / verify-mac.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum MacAlgorithm {
    /// HMAC-SHA-256 (an `HMAC_256` key).
    #[serde(rename = "HMAC_SHA_256")]
    HmacSha256,
    /// HMAC-SHA-384 (an `HMAC_384` key).
    #[serde(rename = "HMAC_SHA_384")]
    HmacSha384,
    /// HMAC-SHA-512 (an `HMAC_512` key).
    #[serde(rename = "HMAC_SHA_512")]
    HmacSha512,
    /// HMAC-SM3 (an `HMAC_SM3` key).
    #[serde(rename = "HMAC_SM3")]
    HmacSm3,
}

impl MacAlgorithm {
    /// The wire name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::HmacSha256 => "HMAC_SHA_256",
            Self::HmacSha384 => "HMAC_SHA_384",
            Self::HmacSha512 => "HMAC_SHA_512",
            Self::HmacSm3 => "HMAC_SM3",
        }
    }

    /// The MAC's length in bytes (the hash's output).
    #[must_use]
    pub const fn mac_len(self) -> usize {
        match self {
            Self::HmacSha256 | Self::HmacSm3 => 32,
            Self::HmacSha384 => 48,
            Self::HmacSha512 => 64,
        }
    }

    /// Parses a `mac_algorithm` (exact spelling).
    ///
    /// # Errors
    /// [`Rule::NotOneOf`].
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "HMAC_SHA_256" => Ok(Self::HmacSha256),
            "HMAC_SHA_384" => Ok(Self::HmacSha384),
            "HMAC_SHA_512" => Ok(Self::HmacSha512),
            "HMAC_SM3" => Ok(Self::HmacSm3),
            _ => Err(ValidationError::new(
                "mac_algorithm",
                Rule::NotOneOf("HMAC_SHA_256, HMAC_SHA_384, HMAC_SHA_512, HMAC_SM3"),
            )),
        }
    }
}

/// A `key_agreement_algorithm` of derive-shared-secret: only `ECDH` is
/// documented.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum KeyAgreementAlgorithm {
    /// Elliptic-curve Diffie-Hellman: the shared secret is the x
    /// coordinate of the agreed point.
    #[serde(rename = "ECDH")]
    Ecdh,
}

impl KeyAgreementAlgorithm {
    /// The wire name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Ecdh => "ECDH",
        }
    }

    /// Parses a `key_agreement_algorithm` (exact spelling).
    ///
    /// # Errors
    /// [`Rule::NotOneOf`].
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "ECDH" => Ok(Self::Ecdh),
            _ => Err(ValidationError::new(
                "key_agreement_algorithm",
                Rule::NotOneOf("ECDH"),
            )),
        }
    }
}
