#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod data;
mod dek;
mod error;
mod format;
pub mod hex;
mod keys;
mod pin;
mod rng;
mod sealed;
mod signing;

use core::fmt;

pub use data::{DataContext, MAX_DATA_BYTES};
pub use dek::{DIGEST_LEN, Dek, DekContext, DekLength};
pub use error::{Error, Result};
pub use format::{BlobKind, CipherSuite, CiphertextHeader};
pub use keys::{
    KEY_LEN, MASTER_KEY_PAYLOAD_LEN, MasterKey, MasterKeyPayload, RootKey, WRAPPED_MASTER_KEY_LEN,
    WrappedMasterKey,
};
pub use pin::{PIN_KEYS_LEN, PIN_LEN, PIN_VERIFIER_LEN, Pin, PinKeys, PinScope, PinVerifier};
pub use sealed::{MAX_PRIVATE_KEY_BYTES, PrivateKeyScope};
pub use signing::{
    HashAlg, MAX_SIGNATURE_BYTES, MAX_SIGNED_MESSAGE_BYTES, MAX_SM2_PLAINTEXT_BYTES, Message,
    PublicKey, SM2_DEFAULT_ID, SigningAlgorithm, SigningKey, SigningKeySpec,
};

/// Bytes a v1 blob adds to its plaintext: 88-byte header, 16-byte tag,
/// 32-byte commitment.
pub const CIPHERTEXT_OVERHEAD: usize = format::OVERHEAD;

/// A v1 blob (a wrapped DEK, a sealed PIN or a sealed private key) whose structure has been
/// checked. Not secret: its wire form is [`Ciphertext::to_hex`].
#[derive(Clone, PartialEq, Eq)]
pub struct Ciphertext {
    bytes: Vec<u8>,
    header: CiphertextHeader,
}

impl fmt::Debug for Ciphertext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ciphertext")
            .field("header", &self.header)
            .field("len", &self.bytes.len())
            .finish()
    }
}

impl Ciphertext {
    pub(crate) fn from_sealed(bytes: Vec<u8>, header: CiphertextHeader) -> Self {
        Self { bytes, header }
    }

    /// Checks the structure of a blob (see [`CiphertextHeader::parse`]).
    ///
    /// # Errors
    /// [`Error::Rejected`] if it is not a well-formed v1 blob.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let header = format::parse_header(bytes)?;
        Ok(Self {
            bytes: bytes.to_vec(),
            header,
        })
    }

    /// Decodes the wire form (hex, either case) and checks the structure.
    ///
    /// # Errors
    /// [`Error::InvalidHex`] if the text is not hex; [`Error::Rejected`] if
    /// the bytes are not a well-formed v1 blob.
    pub fn from_hex(text: &str) -> Result<Self> {
        let bytes = hex::decode(text)?;
        Self::from_bytes(&bytes)
    }

    /// The header (kind, key id, key version, plaintext length).
    pub fn header(&self) -> &CiphertextHeader {
        &self.header
    }

    /// The blob's bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The blob's bytes, owned.
    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }

    /// The wire form: upper-case hex.
    pub fn to_hex(&self) -> String {
        hex::encode_upper(&self.bytes)
    }
}

impl AsRef<[u8]> for Ciphertext {
    fn as_ref(&self) -> &[u8] {
        &self.bytes
    }
}
