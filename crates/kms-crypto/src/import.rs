//! Key material import (BYOK): the import token's layout and digest, and
//! the keyed fingerprint of imported material (the re-import rule).

use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::error::{Error, Result};

/// The import token's format version (its first byte).
pub const IMPORT_TOKEN_VERSION: u8 = 0x01;

/// The length of the token id the token carries (8-4-4-4-12 text).
pub const IMPORT_TOKEN_ID_LEN: usize = 36;

/// The length of an import token's random secret part. The token is 150
/// bytes in all, 200 base64 characters: the shortest the SDK's pattern
/// for `import_token` (`^[0-9a-zA-Z+/=]{200,6144}$`) accepts.
pub const IMPORT_TOKEN_SECRET_LEN: usize = 113;

/// The length of an import token: version, id, secret.
pub const IMPORT_TOKEN_LEN: usize = 1 + IMPORT_TOKEN_ID_LEN + IMPORT_TOKEN_SECRET_LEN;

/// The length of a digest or fingerprint.
pub const IMPORT_DIGEST_LEN: usize = 32;

/// An import token as the client holds it: `0x01 || token id (36) ||
/// secret (113)`. The store keeps only the secret's SHA-256.
pub struct ImportToken<'a> {
    id: &'a str,
    secret: &'a [u8],
}

impl<'a> ImportToken<'a> {
    /// Splits a presented token (total: any input).
    ///
    /// # Errors
    /// [`Error::Rejected`]: not a token of this layout.
    pub fn parse(bytes: &'a [u8]) -> Result<Self> {
        if bytes.len() != IMPORT_TOKEN_LEN || bytes[0] != IMPORT_TOKEN_VERSION {
            return Err(Error::Rejected);
        }
        let (id, secret) = bytes[1..].split_at(IMPORT_TOKEN_ID_LEN);
        let id = std::str::from_utf8(id).map_err(|_| Error::Rejected)?;
        if !id.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(Error::Rejected);
        }
        Ok(Self { id, secret })
    }

    /// Lays out a token from its id and secret.
    ///
    /// # Errors
    /// [`Error::Rejected`]: an id that is not 36 printable ASCII bytes, or
    /// a secret of the wrong length.
    pub fn encode(id: &str, secret: &[u8]) -> Result<Vec<u8>> {
        if id.len() != IMPORT_TOKEN_ID_LEN
            || !id.bytes().all(|b| b.is_ascii_graphic())
            || secret.len() != IMPORT_TOKEN_SECRET_LEN
        {
            return Err(Error::Rejected);
        }
        let mut out = Vec::with_capacity(IMPORT_TOKEN_LEN);
        out.push(IMPORT_TOKEN_VERSION);
        out.extend_from_slice(id.as_bytes());
        out.extend_from_slice(secret);
        Ok(out)
    }

    /// The token id (what the store looks the token up by).
    #[must_use]
    pub const fn id(&self) -> &'a str {
        self.id
    }

    /// SHA-256 of the secret part (what the store keeps).
    #[must_use]
    pub fn secret_digest(&self) -> [u8; IMPORT_DIGEST_LEN] {
        secret_digest(self.secret)
    }

    /// Whether the secret part matches a stored digest, compared in
    /// constant time.
    #[must_use]
    pub fn matches(&self, stored_digest: &[u8]) -> bool {
        bool::from(self.secret_digest()[..].ct_eq(stored_digest))
    }
}

impl std::fmt::Debug for ImportToken<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ImportToken({}, <redacted>)", self.id)
    }
}

/// SHA-256 of an import token's secret part.
#[must_use]
pub fn secret_digest(secret: &[u8]) -> [u8; IMPORT_DIGEST_LEN] {
    Sha256::digest(secret).into()
}

/// The fingerprint of material imported into a key: `HMAC-SHA256(key =
/// material, "kms-rs/v1/import-fingerprint" || u16 len || key id)`. Keyed
/// by the material itself, it says nothing about it to a reader of the
/// store; only the same material into the same key gives the same value.
#[must_use]
pub fn import_fingerprint(key_id: &str, material: &[u8]) -> [u8; IMPORT_DIGEST_LEN] {
    // HMAC takes a key of any length: this never fails.
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(material)
        .unwrap_or_else(|_| <Hmac<Sha256> as KeyInit>::new(&Default::default()));
    mac.update(b"kms-rs/v1/import-fingerprint");
    let len = u16::try_from(key_id.len()).unwrap_or(u16::MAX);
    mac.update(&len.to_be_bytes());
    mac.update(key_id.as_bytes());
    mac.finalize().into_bytes().into()
}

/// The largest private key [`unwrap_private_key`] opens (a PKCS#8 RSA-4096
/// key is about 2.4 KiB).
pub const MAX_IMPORTED_PRIVATE_KEY_LEN: usize = 4096;

/// Opens an imported private key: RFC 5649 key unwrap with padding
/// (AES-KWP, `CKM_AES_KEY_WRAP_PAD`, OpenSSL's `id-aes256-wrap-pad`) of
/// `wrapped` under the temporary key, AES-128 or AES-256 by its length.
/// The result is the caller's bytes (expected: PKCS#8 DER), unchecked.
///
/// # Errors
/// [`Error::InvalidKeyLength`] for a temporary key of neither 16 nor 32
/// bytes; [`Error::Rejected`] when it does not unwrap (integrity value,
/// length), without saying why.
pub fn unwrap_private_key(temporary_key: &[u8], wrapped: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
    use aes_kw::cipher::KeyInit as _;
    if wrapped.len() < 16 || wrapped.len() > MAX_IMPORTED_PRIVATE_KEY_LEN + 16 {
        return Err(Error::Rejected);
    }
    let mut buf = Zeroizing::new(vec![0u8; wrapped.len()]);
    let n = match temporary_key.len() {
        16 => aes_kw::KwpAes128::new_from_slice(temporary_key)
            .map_err(|_| Error::Rejected)?
            .unwrap_key(wrapped, &mut buf)
            .map_err(|_| Error::Rejected)?
            .len(),
        32 => aes_kw::KwpAes256::new_from_slice(temporary_key)
            .map_err(|_| Error::Rejected)?
            .unwrap_key(wrapped, &mut buf)
            .map_err(|_| Error::Rejected)?
            .len(),
        n => {
            return Err(Error::InvalidKeyLength {
                expected: 32,
                actual: n,
            });
        }
    };
    buf.truncate(n);
    Ok(buf)
}

/// Whether two fingerprints are equal, compared in constant time.
#[must_use]
pub fn fingerprints_equal(a: &[u8], b: &[u8]) -> bool {
    bool::from(a.ct_eq(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_round_trips_and_checks_its_secret() {
        let id = "0d0466b0-e727-4d9c-b35d-f84bb474a37f";
        let secret = [7u8; IMPORT_TOKEN_SECRET_LEN];
        let bytes = ImportToken::encode(id, &secret).unwrap();
        assert_eq!(bytes.len(), 150);
        let t = ImportToken::parse(&bytes).unwrap();
        assert_eq!(t.id(), id);
        assert!(t.matches(&secret_digest(&secret)));
        assert!(!t.matches(&secret_digest(&[8u8; IMPORT_TOKEN_SECRET_LEN])));
        assert!(!format!("{t:?}").contains("0707"));
        let mut other = bytes.clone();
        other[0] = 2;
        assert!(ImportToken::parse(&other).is_err());
        assert!(ImportToken::parse(&bytes[..149]).is_err());
        assert!(ImportToken::parse(&[]).is_err());
    }

    #[test]
    fn the_fingerprint_depends_on_material_and_key() {
        let a = import_fingerprint("k1", &[1u8; 32]);
        assert_eq!(a, import_fingerprint("k1", &[1u8; 32]));
        assert_ne!(a, import_fingerprint("k2", &[1u8; 32]));
        assert_ne!(a, import_fingerprint("k1", &[2u8; 32]));
        assert!(fingerprints_equal(&a, &a));
        assert!(!fingerprints_equal(&a, &a[..31]));
    }

    #[test]
    fn a_private_key_unwraps_under_the_temporary_key_only() {
        use aes_kw::cipher::KeyInit as _;
        let der = b"not really PKCS#8, but any bytes wrap".to_vec();
        for len in [16usize, 32] {
            let kek = vec![9u8; len];
            let mut buf = vec![0u8; der.len() + 16];
            let wrapped = if len == 16 {
                aes_kw::KwpAes128::new_from_slice(&kek)
                    .unwrap()
                    .wrap_key(&der, &mut buf)
                    .unwrap()
                    .to_vec()
            } else {
                aes_kw::KwpAes256::new_from_slice(&kek)
                    .unwrap()
                    .wrap_key(&der, &mut buf)
                    .unwrap()
                    .to_vec()
            };
            assert_eq!(&unwrap_private_key(&kek, &wrapped).unwrap()[..], &der[..]);
            let other = vec![8u8; len];
            assert!(matches!(
                unwrap_private_key(&other, &wrapped),
                Err(Error::Rejected)
            ));
        }
        assert!(matches!(
            unwrap_private_key(&[1u8; 24], &[0u8; 48]),
            Err(Error::InvalidKeyLength { actual: 24, .. })
        ));
        assert!(unwrap_private_key(&[1u8; 32], &[]).is_err());
    }
}
