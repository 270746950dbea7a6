//! The crate's one error type.

/// Everything that can go wrong in kms-crypto.
///
/// Two families:
///
/// * [`Error::Rejected`] is the single, opaque outcome of every failed unwrap,
///   open or verification: a malformed or truncated blob, a blob of the wrong
///   kind, the wrong key or key version, the wrong context, a bad tag and a bad
///   key commitment are all reported the same way, so that the error cannot be
///   used as an oracle.
/// * every other variant reports a caller mistake that does not depend on any
///   secret (a length out of range, a key id of the wrong shape, text that is
///   not hex) and may be shown to the caller as is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A ciphertext, wrapped key or PIN was rejected. Deliberately says no more.
    #[error("rejected: invalid ciphertext, wrong key or context, or failed verification")]
    Rejected,
    /// A key id is not exactly 36 printable ASCII bytes.
    #[error("key id must be exactly 36 printable ASCII bytes (got {len} bytes)")]
    InvalidKeyId {
        /// Length of the rejected id, in bytes.
        len: usize,
    },
    /// A keystore id is empty, longer than 64 bytes or not printable ASCII.
    #[error("keystore id must be 1..=64 printable ASCII bytes")]
    InvalidKeystoreId,
    /// A project id is empty, longer than 128 bytes or not printable ASCII.
    #[error("project id must be 1..=128 printable ASCII bytes")]
    InvalidProjectId,
    /// A domain id is empty, longer than 128 bytes or not printable ASCII.
    #[error("domain id must be 1..=128 printable ASCII bytes")]
    InvalidDomainId,
    /// A certificate id is empty, longer than 128 bytes or not printable ASCII.
    #[error("certificate id must be 1..=128 printable ASCII bytes")]
    InvalidCertificateId,
    /// A private key to seal is empty or longer than 32 KiB.
    #[error("a sealed private key must be 1..=32768 bytes, not {len}")]
    InvalidPrivateKeyLength {
        /// Length of the rejected input, in bytes.
        len: usize,
    },
    /// The additional authenticated data is longer than 128 bytes.
    #[error("additional authenticated data is {len} bytes, at most 128 are allowed")]
    AadTooLong {
        /// Length of the rejected data, in bytes.
        len: usize,
    },
    /// A DEK length outside 8..=8192 bits.
    #[error("data key length must be 8..=8192 bits (got {bits})")]
    DekLengthOutOfRange {
        /// The requested length, in bits.
        bits: u64,
    },
    /// A DEK length that is not a whole number of bytes.
    #[error("data key length must be a multiple of 8 bits (got {bits})")]
    DekLengthNotByteAligned {
        /// The requested length, in bits.
        bits: u64,
    },
    /// A caller-supplied DEK (or DEK followed by its digest) has an impossible length.
    #[error("data key plaintext has an invalid length ({len} bytes)")]
    InvalidDekPlaintextLength {
        /// Length of the rejected input, in bytes.
        len: usize,
    },
    /// Data to encrypt is empty or longer than 4096 bytes.
    #[error("data to encrypt must be 1..=4096 bytes (got {len})")]
    InvalidDataLength {
        /// Length of the rejected input, in bytes.
        len: usize,
    },
    /// An RSAES-OAEP plaintext is longer than the key and hash allow
    /// (`k - 2*hLen - 2` bytes).
    #[error("an RSAES-OAEP plaintext must be 1..={max} bytes for this key (got {len})")]
    RsaPlaintextTooLong {
        /// Length of the rejected plaintext, in bytes.
        len: usize,
        /// The key's largest plaintext, in bytes.
        max: usize,
    },
    /// The signing algorithm does not fit the key spec (an ECDSA algorithm
    /// with an RSA key, SHA-512 with a P-256 key, ...).
    #[error("the signing algorithm does not fit the key spec")]
    AlgorithmMismatch,
    /// A digest to sign or verify is not as long as the algorithm's hash.
    #[error("the digest must be {expected} bytes for this algorithm (got {len})")]
    InvalidDigestLength {
        /// The hash's length, in bytes.
        expected: usize,
        /// Length of the rejected digest, in bytes.
        len: usize,
    },
    /// A raw message to sign or verify is empty or longer than 4096 bytes.
    #[error("a raw message must be 1..=4096 bytes (got {len})")]
    InvalidMessageLength {
        /// Length of the rejected message, in bytes.
        len: usize,
    },
    /// The digest appended to a caller's DEK (SHA-256, or SM3 under an SM4
    /// master key) does not match the DEK.
    #[error("the digest does not match the data key")]
    DigestMismatch,
    /// Text that should be hex (either case, two characters per byte) is not.
    #[error("invalid hex")]
    InvalidHex,
    /// Imported key material has the wrong length.
    #[error("key material must be {expected} bytes (got {actual})")]
    InvalidKeyLength {
        /// Required length, in bytes.
        expected: usize,
        /// Supplied length, in bytes.
        actual: usize,
    },
    /// A plaintext PIN has the wrong length.
    #[error("a PIN is {expected} bytes ({hex} hex characters)", hex = 2 * expected)]
    InvalidPinLength {
        /// Required length, in bytes.
        expected: usize,
    },
    /// A secret used to derive root keys is shorter than 32 bytes.
    #[error("root secret must be at least 32 bytes")]
    SecretTooShort,
    /// The caller's random number generator failed.
    #[error("the entropy source failed")]
    Entropy,
}

/// The crate's result type.
pub type Result<T, E = Error> = core::result::Result<T, E>;
