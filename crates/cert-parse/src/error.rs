//! The crate's one error type and its API Gateway mapping.

/// Result alias used across the crate.
pub type Result<T> = core::result::Result<T, Error>;

/// Everything that can go wrong when reading or checking an uploaded
/// certificate, its private key and its trusted root.
///
/// Each variant maps to exactly one published API Gateway error code
/// ([`Error::apig_code`]), one HTTP status ([`Error::http_status`]) and one
/// stable message ([`Error::apig_message`]). The `Display` text carries more
/// context (which certificate, which rule) for logs; it never contains key
/// material.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A certificate (or trusted root) could not be decoded or parsed.
    /// `index` is the block's position in its PEM text (0 = leaf).
    #[error("invalid certificate #{index}: {reason}")]
    InvalidCertificate {
        /// Position of the certificate in its PEM text.
        index: usize,
        /// The rule that failed.
        reason: &'static str,
    },
    /// The private key could not be decoded, parsed, or is of a kind this
    /// crate does not support.
    #[error("invalid private key: {reason}")]
    InvalidPrivateKey {
        /// The rule that failed.
        reason: &'static str,
    },
    /// The private key is encrypted (`ENCRYPTED PRIVATE KEY` or a legacy
    /// `Proc-Type: 4,ENCRYPTED` header).
    #[error("encrypted private keys are not supported")]
    EncryptedPrivateKey,
    /// The private key does not belong to the leaf certificate.
    #[error("the certificate does not match the private key")]
    KeyMismatch,
    /// A certificate's notAfter is before the caller-supplied time.
    #[error("certificate #{index} expired at {not_after}")]
    Expired {
        /// Position of the certificate in the chain (0 = leaf).
        index: usize,
        /// Its notAfter, RFC 3339.
        not_after: String,
    },
    /// A certificate's notBefore is after the caller-supplied time.
    #[error("certificate #{index} is not valid before {not_before}")]
    NotYetValid {
        /// Position of the certificate in the chain (0 = leaf).
        index: usize,
        /// Its notBefore, RFC 3339.
        not_before: String,
    },
    /// The chain is not linked leaf → intermediates → (trusted) root by
    /// issuer/subject name and signature.
    #[error("certificate chain not matched at #{index}: {reason}")]
    ChainNotMatched {
        /// Position of the certificate whose issuer was not found or whose
        /// signature did not verify.
        index: usize,
        /// The rule that failed.
        reason: &'static str,
    },
    /// An input is larger than the crate accepts.
    #[error("{what} is larger than {limit} bytes")]
    TooLarge {
        /// Which input.
        what: &'static str,
        /// The limit in bytes.
        limit: usize,
    },
    /// More certificates than the crate accepts in one PEM text.
    #[error("{what} holds more than {limit} certificates")]
    TooManyCertificates {
        /// Which input.
        what: &'static str,
        /// The limit.
        limit: usize,
    },
    /// A CA certificate was required and this one lacks basicConstraints
    /// with `cA = TRUE`.
    #[error("not a CA certificate (basicConstraints cA is not TRUE)")]
    NotCaCertificate,
}

/// The API Gateway error an [`Error`] maps to: one published code, one
/// stable message. Hosts match on this instead of on code strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ApigErrorKind {
    /// `APIG.2101`: the certificate does not match the private key.
    KeyMismatch,
    /// `APIG.2102`: the certificate has expired or is not yet valid.
    Expired,
    /// `APIG.2104`: the certificate chain does not match.
    ChainMismatch,
    /// `APIG.2105`: encrypted private keys are not supported.
    EncryptedKey,
    /// `APIG.2106`: invalid certificate or private key.
    InvalidCertOrKey,
}

impl ApigErrorKind {
    /// The published `error_code`, e.g. `"APIG.2101"`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::KeyMismatch => "APIG.2101",
            Self::Expired => "APIG.2102",
            Self::ChainMismatch => "APIG.2104",
            Self::EncryptedKey => "APIG.2105",
            Self::InvalidCertOrKey => "APIG.2106",
        }
    }

    /// The stable `error_msg`.
    #[must_use]
    pub const fn message(self) -> &'static str {
        match self {
            Self::KeyMismatch => "The certificate does not match the private key",
            Self::Expired => "The certificate has expired or is not yet valid",
            Self::ChainMismatch => "The certificate chain does not match",
            Self::EncryptedKey => "Encrypted private keys are not supported",
            Self::InvalidCertOrKey => "Invalid certificate or private key",
        }
    }
}

impl Error {
    /// The API Gateway error this error maps to.
    ///
    /// [`Error::NotCaCertificate`] only arises from the keystore CA check,
    /// which is a KMS operation: callers there map it to their own code; the
    /// kind given here ([`ApigErrorKind::InvalidCertOrKey`]) is the closest
    /// gateway meaning.
    #[must_use]
    pub fn kind(&self) -> ApigErrorKind {
        match self {
            Self::KeyMismatch => ApigErrorKind::KeyMismatch,
            Self::Expired { .. } | Self::NotYetValid { .. } => ApigErrorKind::Expired,
            Self::ChainNotMatched { .. } => ApigErrorKind::ChainMismatch,
            Self::EncryptedPrivateKey => ApigErrorKind::EncryptedKey,
            Self::InvalidCertificate { .. }
            | Self::InvalidPrivateKey { .. }
            | Self::TooLarge { .. }
            | Self::TooManyCertificates { .. }
            | Self::NotCaCertificate => ApigErrorKind::InvalidCertOrKey,
        }
    }

    /// The API Gateway `error_code` this error maps to, e.g. `"APIG.2106"`
    /// (`self.kind().as_str()`).
    #[must_use]
    pub fn apig_code(&self) -> &'static str {
        self.kind().as_str()
    }

    /// The HTTP status of the mapped gateway error (always 400: every
    /// variant is a client error).
    #[must_use]
    pub fn http_status(&self) -> u16 {
        400
    }

    /// The stable `error_msg` of the mapped gateway error (does not vary
    /// with the details carried by the variant).
    #[must_use]
    pub fn apig_message(&self) -> &'static str {
        self.kind().message()
    }

    pub(crate) fn cert(index: usize, reason: &'static str) -> Self {
        Self::InvalidCertificate { index, reason }
    }

    pub(crate) fn key(reason: &'static str) -> Self {
        Self::InvalidPrivateKey { reason }
    }

    pub(crate) fn chain(index: usize, reason: &'static str) -> Self {
        Self::ChainNotMatched { index, reason }
    }
}
