//! The key hierarchy: root keys (one per keystore) and master keys (CMKs).

use core::fmt;

use aes_kw::cipher::KeyInit;
use aes_kw::{AesKwp, KwpAes256};
use hkdf::Hkdf;
use hmac::Hmac;
use rand_core::TryCryptoRng;
use sha2::Sha256;
use sm3::Sm3;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::format::{
    BlobKind, CipherSuite, Ciphertext, EncodedContext, KEY_ID_LEN, Kdf, NONCE_LEN, SALT_LEN,
    SealingKey, is_printable_id, key_id_bytes,
};
use crate::rng;

/// Length of root and master key material, in bytes (AES-256).
pub const KEY_LEN: usize = 32;

/// Length of a [`WrappedMasterKey`]: RFC 5649 wrap of `key id || version || key`.
pub const WRAPPED_MASTER_KEY_LEN: usize = KEY_ID_LEN + 4 + KEY_LEN + 8;

const PAYLOAD_LEN: usize = KEY_ID_LEN + 4 + KEY_LEN;

/// Length of a [`MasterKeyPayload`]: `key id (36) || version (u32 BE) || key (32)`.
pub const MASTER_KEY_PAYLOAD_LEN: usize = PAYLOAD_LEN;

const LABEL_ROOT_FROM_SECRET: &[u8] = b"kms-rs/v1/root-from-secret";
const LABEL_SM_ROOT_FROM_SECRET: &[u8] = b"kms-rs/v1/sm/root-from-secret";
const LABEL_SM_ROOT_KWP: &[u8] = b"kms-rs/v1/sm/root/kwp-sm4";
const LABEL_ROOT_PIN_SEAL: &[u8] = b"kms-rs/v1/root/pin-seal";
const LABEL_ROOT_PIN_VERIFIER: &[u8] = b"kms-rs/v1/root/pin-verifier";
const LABEL_ROOT_PRIVATE_KEY_SEAL: &[u8] = b"kms-rs/v1/root/private-key-seal";
const LABEL_ROOT_SIGNING_KEY_SEAL: &[u8] = b"kms-rs/v1/root/signing-key-seal";
const LABEL_CMK_DEK_WRAP: &[u8] = b"kms-rs/v1/cmk/dek-wrap";
const LABEL_CMK_DATA_ENCRYPT: &[u8] = b"kms-rs/v1/cmk/data-encrypt";
const LABEL_CMK_SM4_DEK_WRAP: &[u8] = b"kms-rs/v1/cmk/sm4/dek-wrap";
const LABEL_CMK_SM4_DATA_ENCRYPT: &[u8] = b"kms-rs/v1/cmk/sm4/data-encrypt";

/// One-block HKDF-Expand of a 32-byte key used as PRK (RFC 5869 section 3.3:
/// the key is already uniformly random, so Extract is skipped), with the
/// suite's HKDF: HKDF-SHA256, or HKDF-SM3 for SM4.
fn suite_subkey(
    suite: CipherSuite,
    prk: &[u8; KEY_LEN],
    label: &[u8],
) -> Result<Zeroizing<[u8; KEY_LEN]>> {
    let mut out = Zeroizing::new([0u8; KEY_LEN]);
    Kdf::from_prk(suite, prk)?
        .expand_multi_info(&[label], &mut out[..])
        .map_err(|_| Error::InvalidKeyLength {
            expected: KEY_LEN,
            actual: prk.len(),
        })?;
    Ok(out)
}

fn key_array(bytes: &[u8]) -> Result<Zeroizing<[u8; KEY_LEN]>> {
    let arr: [u8; KEY_LEN] = bytes.try_into().map_err(|_| Error::InvalidKeyLength {
        expected: KEY_LEN,
        actual: bytes.len(),
    })?;
    Ok(Zeroizing::new(arr))
}

/// The key wrap of a root key: RFC 5649 KWP over AES-256, or over SM4.
pub(crate) enum Kwp {
    // Boxed: the AES key schedule is ~1 KiB, SM4's 128 bytes.
    Aes256(Box<KwpAes256>),
    Sm4(AesKwp<sm4::Sm4>),
}

impl Kwp {
    /// RFC 5649 wrap of `key` into `buf` (at least `key.len()` rounded up to
    /// 8, plus 8, bytes); the wrapped bytes.
    pub(crate) fn wrap_key<'a>(
        &self,
        key: &[u8],
        buf: &'a mut [u8],
    ) -> core::result::Result<&'a [u8], aes_kw::Error> {
        match self {
            Self::Aes256(k) => k.wrap_key(key, buf),
            Self::Sm4(k) => k.wrap_key(key, buf),
        }
    }

    /// RFC 5649 unwrap of `data` into `buf`, integrity checked; the key.
    pub(crate) fn unwrap_key<'a>(
        &self,
        data: &[u8],
        buf: &'a mut [u8],
    ) -> core::result::Result<&'a [u8], aes_kw::Error> {
        match self {
            Self::Aes256(k) => k.unwrap_key(data, buf),
            Self::Sm4(k) => k.unwrap_key(data, buf),
        }
    }
}

/// The PIN verifier's MAC: HMAC-SHA256, or HMAC-SM3 under a national root.
#[derive(Clone)]
pub(crate) enum PinMac {
    Sha256(Hmac<Sha256>),
    Sm3(Hmac<Sm3>),
}

impl PinMac {
    pub(crate) fn mac(&self, parts: &[&[u8]]) -> [u8; 32] {
        use hmac::Mac;
        match self {
            Self::Sha256(m) => {
                let mut m = m.clone();
                parts.iter().for_each(|p| m.update(p));
                m.finalize().into_bytes().into()
            }
            Self::Sm3(m) => {
                let mut m = m.clone();
                parts.iter().for_each(|p| m.update(p));
                m.finalize().into_bytes().into()
            }
        }
    }
}

/// Length of a keystore's [`PinKeys`]: the PIN seal's HKDF PRK (32 bytes)
/// then the PIN verifier's HMAC key (32 bytes).
pub const PIN_KEYS_LEN: usize = 2 * KEY_LEN;

/// The keys a keystore's PINs depend on: the seal of ciphertext PINs
/// (which callers hold) and the keyed verifier of plaintext PINs (which
/// the store holds). A root key derives them; when the root key is
/// replaced (root-key rotation) they are carried over, wrapped under the
/// new root key ([`RootKey::wrap_pin_keys`]), since neither the PINs
/// callers hold nor the PINs behind stored verifiers can be re-sealed.
/// Zeroized on drop, not `Clone`, `Debug` redacted.
pub struct PinKeys(pub(crate) Zeroizing<[u8; PIN_KEYS_LEN]>);

impl fmt::Debug for PinKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PinKeys(redacted)")
    }
}

impl PinKeys {
    pub(crate) fn from_parts(seal_prk: &[u8; KEY_LEN], mac_key: &[u8; KEY_LEN]) -> Self {
        let mut b = Zeroizing::new([0u8; PIN_KEYS_LEN]);
        b[..KEY_LEN].copy_from_slice(seal_prk);
        b[KEY_LEN..].copy_from_slice(mac_key);
        Self(b)
    }

    pub(crate) fn duplicate(&self) -> Self {
        Self(Zeroizing::new(*self.0))
    }

    /// The PIN seal and the verifier MAC these keys make.
    pub(crate) fn keys(&self, suite: CipherSuite) -> Result<(SealingKey, PinMac)> {
        let (seal_prk, mac_key) = self.0.split_at(KEY_LEN);
        let seal_prk: &[u8; KEY_LEN] = seal_prk.try_into().map_err(|_| Error::Rejected)?;
        let seal = SealingKey::with_suite(seal_prk, BlobKind::Pin, suite, [0u8; KEY_ID_LEN], 0)?;
        let len_err = |_| Error::InvalidKeyLength {
            expected: KEY_LEN,
            actual: mac_key.len(),
        };
        let mac = match suite {
            CipherSuite::Aes256Gcm => {
                PinMac::Sha256(<Hmac<Sha256> as KeyInit>::new_from_slice(mac_key).map_err(len_err)?)
            }
            CipherSuite::Sm4Gcm => {
                PinMac::Sm3(<Hmac<sm3::Sm3> as KeyInit>::new_from_slice(mac_key).map_err(len_err)?)
            }
        };
        Ok((seal, mac))
    }
}

/// The longest keystore id, in bytes.
const MAX_KEYSTORE_ID_LEN: usize = 64;

/// Checks a keystore id: 1..=64 printable ASCII bytes.
pub(crate) fn check_keystore_id(keystore_id: &str) -> Result<&[u8]> {
    let b = keystore_id.as_bytes();
    if !is_printable_id(b, MAX_KEYSTORE_ID_LEN) {
        return Err(Error::InvalidKeystoreId);
    }
    Ok(b)
}

/// A keystore's root key: the key-encryption key an HSM would hold.
///
/// An AES root ([`CipherSuite::Aes256Gcm`], the default) wraps master keys
/// with AES-256-KWP (RFC 5649), seals PINs, certificate private keys and key
/// pairs with the AES suite, and keys the plaintext-PIN verifier with
/// HMAC-SHA256; the sealing and PIN keys are derived from it with
/// HKDF-SHA256 under distinct labels, so no two purposes share a key. A
/// national root ([`CipherSuite::Sm4Gcm`], [`RootKey::derive_national_from_secret`])
/// does the same with SM primitives only: KWP over SM4 (a 128-bit SM4 KEK
/// derived with HKDF-SM3), SM4-suite blobs, HMAC-SM3.
/// Zeroized on drop, not `Clone`, `Debug` shows nothing secret.
pub struct RootKey {
    #[cfg(feature = "hazmat")]
    bytes: Zeroizing<[u8; KEY_LEN]>,
    suite: CipherSuite,
    pub(crate) kwp: Kwp,
    pub(crate) pin_seal: SealingKey,
    pub(crate) pin_mac: PinMac,
    pub(crate) private_key_seal: SealingKey,
    /// The PIN keys in effect (seal PRK || verifier MAC key): derived from
    /// this root key, or carried over from a root key it replaced
    /// ([`RootKey::with_pin_keys`]).
    pub(crate) pin_keys: PinKeys,
    /// HKDF PRK of the CMK signing-key seal; the sealing key is built per
    /// key, since the blob header names the CMK.
    signing_key_prk: Zeroizing<[u8; KEY_LEN]>,
}

impl fmt::Debug for RootKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self.suite {
            CipherSuite::Aes256Gcm => "RootKey(AES-256, redacted)",
            CipherSuite::Sm4Gcm => "RootKey(SM4, redacted)",
        })
    }
}

impl RootKey {
    /// Draws a fresh root key from the caller's CSPRNG.
    ///
    /// # Errors
    /// [`Error::Entropy`] if the generator fails.
    pub fn generate<R: TryCryptoRng + ?Sized>(rng: &mut R) -> Result<Self> {
        let mut bytes = Zeroizing::new([0u8; KEY_LEN]);
        rng::fill(rng, &mut bytes[..])?;
        Self::from_array(bytes)
    }

    /// Loads root key material the caller already holds (32 bytes).
    ///
    /// # Errors
    /// [`Error::InvalidKeyLength`] unless `bytes` is 32 bytes long.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        Self::from_array(key_array(bytes)?)
    }

    /// Derives a keystore's root key from a long-term secret (at least 32
    /// uniformly random bytes, the embedding's "HSM secret") and the
    /// keystore id: `HKDF-SHA256(salt = label, ikm = secret, info = u16 len || keystore id)`.
    /// Nothing needs to be stored for such a root key.
    ///
    /// # Errors
    /// [`Error::SecretTooShort`] if `secret` is under 32 bytes;
    /// [`Error::InvalidKeystoreId`] if the keystore id is not 1..=64 printable ASCII bytes.
    pub fn derive_from_secret(secret: &[u8], keystore_id: &str) -> Result<Self> {
        if secret.len() < KEY_LEN {
            return Err(Error::SecretTooShort);
        }
        let ks = check_keystore_id(keystore_id)?;
        let len = u16::try_from(ks.len()).map_err(|_| Error::InvalidKeystoreId)?;
        let mut bytes = Zeroizing::new([0u8; KEY_LEN]);
        Hkdf::<Sha256>::new(Some(LABEL_ROOT_FROM_SECRET), secret)
            .expand_multi_info(&[&len.to_be_bytes(), ks], &mut bytes[..])
            .map_err(|_| Error::SecretTooShort)?;
        Self::from_array(bytes)
    }

    /// A national (SM) root key for a keystore, derived from a long-term
    /// secret as [`RootKey::derive_from_secret`] does but with HKDF-SM3 and
    /// its own salt (`"kms-rs/v1/sm/root-from-secret"`), so the AES and the
    /// national root of one keystore id are unrelated keys.
    ///
    /// # Errors
    /// As [`RootKey::derive_from_secret`].
    pub fn derive_national_from_secret(secret: &[u8], keystore_id: &str) -> Result<Self> {
        if secret.len() < KEY_LEN {
            return Err(Error::SecretTooShort);
        }
        let ks = check_keystore_id(keystore_id)?;
        let len = u16::try_from(ks.len()).map_err(|_| Error::InvalidKeystoreId)?;
        let mut bytes = Zeroizing::new([0u8; KEY_LEN]);
        Hkdf::<Sm3>::new(Some(LABEL_SM_ROOT_FROM_SECRET), secret)
            .expand_multi_info(&[&len.to_be_bytes(), ks], &mut bytes[..])
            .map_err(|_| Error::SecretTooShort)?;
        Self::from_array_with_suite(CipherSuite::Sm4Gcm, bytes)
    }

    /// Draws a fresh root key of `suite` (a national root for
    /// [`CipherSuite::Sm4Gcm`]).
    ///
    /// # Errors
    /// [`Error::Entropy`] if the generator fails.
    pub fn generate_with_suite<R: TryCryptoRng + ?Sized>(
        suite: CipherSuite,
        rng: &mut R,
    ) -> Result<Self> {
        let mut bytes = Zeroizing::new([0u8; KEY_LEN]);
        rng::fill(rng, &mut bytes[..])?;
        Self::from_array_with_suite(suite, bytes)
    }

    /// The suite of this root's wraps and blobs.
    pub fn suite(&self) -> CipherSuite {
        self.suite
    }

    fn from_array(bytes: Zeroizing<[u8; KEY_LEN]>) -> Result<Self> {
        Self::from_array_with_suite(CipherSuite::Aes256Gcm, bytes)
    }

    fn from_array_with_suite(suite: CipherSuite, bytes: Zeroizing<[u8; KEY_LEN]>) -> Result<Self> {
        let len_err = |actual| Error::InvalidKeyLength {
            expected: KEY_LEN,
            actual,
        };
        let kwp = match suite {
            CipherSuite::Aes256Gcm => {
                let k = KwpAes256::new_from_slice(&bytes[..]).map_err(|_| len_err(bytes.len()))?;
                Kwp::Aes256(Box::new(k))
            }
            CipherSuite::Sm4Gcm => {
                let kek = suite_subkey(suite, &bytes, LABEL_SM_ROOT_KWP)?;
                Kwp::Sm4(AesKwp::<sm4::Sm4>::new_from_slice(&kek[..16]).map_err(|_| len_err(16))?)
            }
        };
        let none = [0u8; KEY_ID_LEN];
        let seal_prk = suite_subkey(suite, &bytes, LABEL_ROOT_PIN_SEAL)?;
        let mac_key = suite_subkey(suite, &bytes, LABEL_ROOT_PIN_VERIFIER)?;
        let pin_keys = PinKeys::from_parts(&seal_prk, &mac_key);
        let (pin_seal, pin_mac) = pin_keys.keys(suite)?;
        let pk_prk = suite_subkey(suite, &bytes, LABEL_ROOT_PRIVATE_KEY_SEAL)?;
        let private_key_seal =
            SealingKey::with_suite(&pk_prk, BlobKind::PrivateKey, suite, none, 0)?;
        let signing_key_prk = suite_subkey(suite, &bytes, LABEL_ROOT_SIGNING_KEY_SEAL)?;
        Ok(Self {
            #[cfg(feature = "hazmat")]
            bytes,
            suite,
            kwp,
            pin_seal,
            pin_mac,
            private_key_seal,
            pin_keys,
            signing_key_prk,
        })
    }

    /// Seals an asymmetric CMK's private key (PKCS#8 DER) for storage: a v1
    /// blob with algorithm id `0x06` whose header names the CMK (`key_id`,
    /// version 1) and whose context is the key spec, so the blob opens only
    /// for that key and spec.
    ///
    /// # Errors
    /// [`Error::InvalidKeyId`] unless `key_id` is 36 printable ASCII bytes;
    /// [`Error::Entropy`].
    pub fn seal_signing_key<R: TryCryptoRng + ?Sized>(
        &self,
        rng: &mut R,
        key_id: &str,
        key: &crate::SigningKey,
    ) -> Result<Ciphertext> {
        let seal = self.signing_key_seal(key_id)?;
        let der = key.to_pkcs8_der()?;
        let ctx = EncodedContext::new(key.spec().name().as_bytes(), b"")?;
        seal.seal(der.len(), &ctx, |area| {
            let (salt_nonce, pt) = area.split_at_mut(SALT_LEN + NONCE_LEN);
            crate::rng::fill(rng, salt_nonce)?;
            pt.copy_from_slice(&der);
            Ok(())
        })
    }

    /// Opens a CMK private key sealed by [`RootKey::seal_signing_key`].
    ///
    /// # Errors
    /// [`Error::Rejected`] for every failure (another key id or spec,
    /// another root key, tampering, a malformed blob or key).
    pub fn open_signing_key(
        &self,
        key_id: &str,
        spec: crate::SigningKeySpec,
        sealed: &[u8],
    ) -> Result<crate::SigningKey> {
        let seal = self.signing_key_seal(key_id).map_err(|_| Error::Rejected)?;
        let ctx = EncodedContext::new(spec.name().as_bytes(), b"")?;
        let der = seal.open(sealed, &ctx)?;
        crate::SigningKey::from_pkcs8_der(spec, &der)
    }

    fn signing_key_seal(&self, key_id: &str) -> Result<SealingKey> {
        let id = key_id_bytes(key_id)?;
        SealingKey::with_suite(
            &self.signing_key_prk,
            BlobKind::SigningKey,
            self.suite,
            id,
            1,
        )
    }

    /// Wraps a master key for storage: AES-256-KWP (RFC 5649) of
    /// `key id (36) || version (u32 BE) || key (32)`, so a wrapped key cannot
    /// be swapped onto another key id or version in storage.
    ///
    /// # Errors
    /// [`Error::Rejected`] only if the underlying wrap fails (it cannot for
    /// these fixed lengths).
    pub fn wrap_master_key(&self, key: &MasterKey) -> Result<WrappedMasterKey> {
        let payload = key.wrap_payload();
        let mut out = [0u8; WRAPPED_MASTER_KEY_LEN];
        self.kwp
            .wrap_key(&payload.expose_secret()[..], &mut out)
            .map_err(|_| Error::Rejected)?;
        Ok(WrappedMasterKey(out))
    }

    /// Unwraps a stored master key and checks it belongs to `key_id` at `version`.
    ///
    /// # Errors
    /// [`Error::InvalidKeyId`] if `key_id` is malformed; [`Error::Rejected`]
    /// if the blob has the wrong length, fails the RFC 5649 integrity check
    /// (wrong root key, tampering) or names another key id or version.
    pub fn unwrap_master_key(
        &self,
        key_id: &str,
        version: u32,
        wrapped: &[u8],
    ) -> Result<MasterKey> {
        key_id_bytes(key_id)?;
        if wrapped.len() != WRAPPED_MASTER_KEY_LEN {
            return Err(Error::Rejected);
        }
        let mut buf = Zeroizing::new([0u8; WRAPPED_MASTER_KEY_LEN]);
        let payload = self
            .kwp
            .unwrap_key(wrapped, &mut buf[..])
            .map_err(|_| Error::Rejected)?;
        MasterKey::from_wrap_payload(key_id, version, payload)
    }

    /// The raw root key bytes. Hazardous: only for moving keys into a real HSM or tests.
    #[cfg(feature = "hazmat")]
    pub fn expose_secret_bytes(&self) -> &[u8; KEY_LEN] {
        &self.bytes
    }
}

/// A master key (CMK) version: 32 bytes of secret material, its 36-byte key
/// id, its version number and its cipher suite.
///
/// Stored only wrapped under a root key ([`RootKey::wrap_master_key`]).
/// An AES key ([`CipherSuite::Aes256Gcm`], the default) wraps DEKs with
/// AES-256-GCM under a key derived per wrap with HKDF-SHA256; an SM4 key
/// ([`CipherSuite::Sm4Gcm`], `key_spec` SM4) with SM4-GCM under a key
/// derived per wrap with HKDF-SM3, so its blobs use only SM primitives (see
/// `docs/ciphertext-format.md`). The suite is not in the stored material:
/// the key record's spec names it ([`MasterKey::into_suite`]). Zeroized on
/// drop, not `Clone`, `Debug` shows the key id, version and suite only.
pub struct MasterKey {
    key_id: [u8; KEY_ID_LEN],
    version: u32,
    suite: CipherSuite,
    bytes: Zeroizing<[u8; KEY_LEN]>,
    pub(crate) dek_seal: SealingKey,
    pub(crate) data_seal: SealingKey,
}

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("MasterKey");
        d.field("key_id", &self.key_id())
            .field("version", &self.version);
        // The AES key's form is unchanged; an SM4 key says so.
        if self.suite != CipherSuite::Aes256Gcm {
            d.field("suite", &self.suite);
        }
        d.field("material", &"redacted").finish()
    }
}

impl MasterKey {
    /// Draws a fresh master key version from the caller's CSPRNG.
    ///
    /// # Errors
    /// [`Error::InvalidKeyId`] unless `key_id` is 36 printable ASCII bytes;
    /// [`Error::Entropy`] if the generator fails.
    pub fn generate<R: TryCryptoRng + ?Sized>(
        rng: &mut R,
        key_id: &str,
        version: u32,
    ) -> Result<Self> {
        let id = key_id_bytes(key_id)?;
        let mut bytes = Zeroizing::new([0u8; KEY_LEN]);
        rng::fill(rng, &mut bytes[..])?;
        Self::from_parts(id, version, CipherSuite::Aes256Gcm, bytes)
    }

    /// Draws a fresh master key version of `suite` (an SM4 key for
    /// [`CipherSuite::Sm4Gcm`]).
    ///
    /// # Errors
    /// As [`MasterKey::generate`].
    pub fn generate_with_suite<R: TryCryptoRng + ?Sized>(
        suite: CipherSuite,
        rng: &mut R,
        key_id: &str,
        version: u32,
    ) -> Result<Self> {
        Self::generate(rng, key_id, version)?.into_suite(suite)
    }

    /// The same key material and version used with `suite`: the per-purpose
    /// keys are derived again with that suite's KDF and labels.
    ///
    /// # Errors
    /// [`Error::InvalidKeyLength`] only if a derivation fails (it does not).
    pub fn into_suite(self, suite: CipherSuite) -> Result<Self> {
        if suite == self.suite {
            return Ok(self);
        }
        let bytes = Zeroizing::new(*self.bytes);
        Self::from_parts(self.key_id, self.version, suite, bytes)
    }

    /// The cipher suite of this key's blobs.
    pub fn suite(&self) -> CipherSuite {
        self.suite
    }

    /// Loads master key material the caller already holds (for example
    /// imported key material, origin `EXTERNAL`).
    ///
    /// # Errors
    /// [`Error::InvalidKeyId`] or [`Error::InvalidKeyLength`].
    pub fn from_bytes(key_id: &str, version: u32, bytes: &[u8]) -> Result<Self> {
        let id = key_id_bytes(key_id)?;
        Self::from_parts(id, version, CipherSuite::Aes256Gcm, key_array(bytes)?)
    }

    /// The same material (and suite) as another key's version: a member
    /// of a multi-region group, whose keys share their material, each
    /// version labelled with the member's own key id. Deriving the member
    /// key of another member's id opens that member's blobs; deriving one
    /// for the replica's own id gives the material to wrap for it.
    ///
    /// # Errors
    /// [`Error::InvalidKeyId`].
    pub fn relabelled(&self, key_id: &str, version: u32) -> Result<Self> {
        let id = key_id_bytes(key_id)?;
        Self::from_parts(id, version, self.suite, Zeroizing::new(*self.bytes))
    }

    fn from_parts(
        key_id: [u8; KEY_ID_LEN],
        version: u32,
        suite: CipherSuite,
        bytes: Zeroizing<[u8; KEY_LEN]>,
    ) -> Result<Self> {
        let (dek_label, data_label) = match suite {
            CipherSuite::Aes256Gcm => (LABEL_CMK_DEK_WRAP, LABEL_CMK_DATA_ENCRYPT),
            CipherSuite::Sm4Gcm => (LABEL_CMK_SM4_DEK_WRAP, LABEL_CMK_SM4_DATA_ENCRYPT),
        };
        let prk = suite_subkey(suite, &bytes, dek_label)?;
        let dek_seal = SealingKey::with_suite(&prk, BlobKind::DataKey, suite, key_id, version)?;
        let data_prk = suite_subkey(suite, &bytes, data_label)?;
        let data_seal = SealingKey::with_suite(&data_prk, BlobKind::Data, suite, key_id, version)?;
        Ok(Self {
            key_id,
            version,
            suite,
            bytes,
            dek_seal,
            data_seal,
        })
    }

    /// The 36-byte key id.
    pub fn key_id(&self) -> &str {
        core::str::from_utf8(&self.key_id).unwrap_or_default()
    }

    /// The key version.
    pub fn version(&self) -> u32 {
        self.version
    }

    /// The material itself, for the HMAC of an HMAC CMK (`crate::mac`).
    pub(crate) fn material(&self) -> &[u8] {
        &self.bytes[..]
    }

    /// The raw master key bytes. Hazardous: only for export to a real HSM or tests.
    #[cfg(feature = "hazmat")]
    pub fn expose_secret_bytes(&self) -> &[u8; KEY_LEN] {
        &self.bytes
    }

    /// The plaintext a root key wraps (RFC 5649): `key id || version || key`,
    /// for a root key held outside this crate (an HSM) to wrap it exactly
    /// as [`RootKey::wrap_master_key`] does.
    pub fn wrap_payload(&self) -> MasterKeyPayload {
        let mut payload = Zeroizing::new([0u8; PAYLOAD_LEN]);
        payload[..KEY_ID_LEN].copy_from_slice(&self.key_id);
        payload[KEY_ID_LEN..KEY_ID_LEN + 4].copy_from_slice(&self.version.to_be_bytes());
        payload[KEY_ID_LEN + 4..].copy_from_slice(&self.bytes[..]);
        MasterKeyPayload(payload)
    }

    /// The master key in a payload an external root key unwrapped, checked
    /// (in constant time) to belong to `key_id` at `version`.
    ///
    /// # Errors
    /// [`Error::InvalidKeyId`] if `key_id` is malformed; [`Error::Rejected`]
    /// if the payload has the wrong length or names another key or version.
    pub fn from_wrap_payload(key_id: &str, version: u32, payload: &[u8]) -> Result<Self> {
        let id = key_id_bytes(key_id)?;
        if payload.len() != PAYLOAD_LEN {
            return Err(Error::Rejected);
        }
        let id_ok = payload[..KEY_ID_LEN].ct_eq(&id);
        let ver_ok = payload[KEY_ID_LEN..KEY_ID_LEN + 4].ct_eq(&version.to_be_bytes());
        if !bool::from(id_ok & ver_ok) {
            return Err(Error::Rejected);
        }
        let bytes = key_array(&payload[KEY_ID_LEN + 4..]).map_err(|_| Error::Rejected)?;
        Self::from_parts(id, version, CipherSuite::Aes256Gcm, bytes)
    }
}

/// Constant-time comparison of two master key versions: equal when key
/// id, version and material all are. Lets a caller check that stored
/// material is the material it holds (an imported or seeded key) without
/// either leaving the type.
impl subtle::ConstantTimeEq for MasterKey {
    fn ct_eq(&self, other: &Self) -> subtle::Choice {
        self.key_id.ct_eq(&other.key_id)
            & self
                .version
                .to_be_bytes()
                .ct_eq(&other.version.to_be_bytes())
            & self.bytes[..].ct_eq(&other.bytes[..])
    }
}

/// What a root key wraps for one master key version (see
/// [`MasterKey::wrap_payload`]). Secret; zeroized on drop; `Debug` shows
/// nothing.
pub struct MasterKeyPayload(Zeroizing<[u8; PAYLOAD_LEN]>);

impl fmt::Debug for MasterKeyPayload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MasterKeyPayload(<redacted>)")
    }
}

impl MasterKeyPayload {
    /// The payload bytes, to hand to the external wrapper only.
    pub fn expose_secret(&self) -> &[u8; MASTER_KEY_PAYLOAD_LEN] {
        &self.0
    }
}

/// A master key wrapped under a root key (AES-256-KWP, 80 bytes): the only
/// form in which master key material is stored.
#[derive(Clone, PartialEq, Eq)]
pub struct WrappedMasterKey([u8; WRAPPED_MASTER_KEY_LEN]);

impl fmt::Debug for WrappedMasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "WrappedMasterKey({})", self.to_hex())
    }
}

impl WrappedMasterKey {
    /// A wrapped key produced outside this crate (an HSM's RFC 5649 wrap
    /// of a [`MasterKeyPayload`]).
    ///
    /// # Errors
    /// [`Error::Rejected`] unless `bytes` is [`WRAPPED_MASTER_KEY_LEN`] long.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        bytes.try_into().map(Self).map_err(|_| Error::Rejected)
    }

    /// The wrapped bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// Upper-case hex of the wrapped bytes.
    pub fn to_hex(&self) -> String {
        base16ct::upper::encode_string(&self.0)
    }
}

impl AsRef<[u8]> for WrappedMasterKey {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}
