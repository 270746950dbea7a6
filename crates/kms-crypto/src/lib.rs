#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod data;
mod dek;
mod error;
mod format;
pub mod hex;
mod import;
mod keys;
mod mac;
mod pairs;
mod pin;
mod rng;
mod sealed;
mod signing;

pub use data::DataContext;
pub use dek::{DIGEST_LEN, Dek, DekContext, DekLength};
pub use error::{Error, Result};
pub use format::{
    BlobKind, CIPHERTEXT_OVERHEAD, CipherSuite, Ciphertext, CiphertextHeader, MAX_DATA_BYTES,
    MAX_PRIVATE_KEY_BYTES, PIN_LEN,
};
pub use import::{
    IMPORT_DIGEST_LEN, IMPORT_TOKEN_ID_LEN, IMPORT_TOKEN_LEN, IMPORT_TOKEN_SECRET_LEN,
    IMPORT_TOKEN_VERSION, ImportToken, MAX_IMPORTED_PRIVATE_KEY_LEN, fingerprints_equal,
    import_fingerprint, secret_digest, unwrap_private_key,
};
pub use keys::{
    KEY_LEN, MASTER_KEY_PAYLOAD_LEN, MasterKey, MasterKeyPayload, PIN_KEYS_LEN, PinKeys, RootKey,
    WRAPPED_MASTER_KEY_LEN, WrappedMasterKey,
};
pub use mac::MacAlgorithm;
pub use pairs::{DataKeyPair, DataKeyPairSpec};
pub use pin::{PIN_VERIFIER_LEN, Pin, PinScope, PinVerifier};
pub use sealed::PrivateKeyScope;
pub use signing::{
    HashAlg, MAX_SIGNATURE_BYTES, MAX_SIGNED_MESSAGE_BYTES, MAX_SM2_PLAINTEXT_BYTES, Message,
    PublicKey, SM2_DEFAULT_ID, SigningAlgorithm, SigningKey, SigningKeySpec,
};
