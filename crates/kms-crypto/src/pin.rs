//! PINs: generation, sealing under a keystore's root key, verification.

use core::fmt;

use rand_core::TryCryptoRng;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::format::{Ciphertext, EncodedContext, NONCE_LEN, PIN_LEN, SALT_LEN, is_context_id};
use crate::keys::{PIN_KEYS_LEN, PinKeys, RootKey, check_keystore_id};
use crate::{hex, rng};

/// Length of a [`PinVerifier`], in bytes.
pub const PIN_VERIFIER_LEN: usize = 32;

/// Whom a sealed PIN belongs to: the keystore it was issued for and the
/// caller's domain (tenant account). Both are bound into the blob's
/// authenticated context, so a PIN of a shared keystore (`"1"`, `"2"`),
/// whose root key every tenant shares, verifies for its own domain only.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PinScope<'a> {
    keystore_id: &'a str,
    domain_id: &'a str,
}

impl<'a> PinScope<'a> {
    /// Checks and builds a scope.
    ///
    /// # Errors
    /// [`Error::InvalidKeystoreId`] unless the keystore id is 1..=64
    /// printable ASCII bytes; [`Error::InvalidDomainId`] unless the domain
    /// id is 1..=128 printable ASCII bytes.
    pub fn new(keystore_id: &'a str, domain_id: &'a str) -> Result<Self> {
        check_keystore_id(keystore_id)?;
        let d = domain_id.as_bytes();
        if !is_context_id(d) {
            return Err(Error::InvalidDomainId);
        }
        Ok(Self {
            keystore_id,
            domain_id,
        })
    }

    /// The keystore id.
    pub fn keystore_id(&self) -> &'a str {
        self.keystore_id
    }

    /// The domain id.
    pub fn domain_id(&self) -> &'a str {
        self.domain_id
    }

    /// The context of a PIN blob: `u16 len || keystore id || u16 len || domain id`.
    fn context(&self) -> Result<EncodedContext<'a>> {
        EncodedContext::new(self.keystore_id.as_bytes(), self.domain_id.as_bytes())
    }
}

/// A PIN: 32 bytes from the CSPRNG. Zeroized on drop, not `Clone`, `Debug` redacted.
pub struct Pin(Zeroizing<[u8; PIN_LEN]>);

impl fmt::Debug for Pin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Pin(redacted)")
    }
}

impl Pin {
    /// Draws a fresh PIN.
    ///
    /// # Errors
    /// [`Error::Entropy`] if the generator fails.
    pub fn generate<R: TryCryptoRng + ?Sized>(rng: &mut R) -> Result<Self> {
        let mut pin = Zeroizing::new([0u8; PIN_LEN]);
        rng::fill(rng, &mut pin[..])?;
        Ok(Self(pin))
    }

    /// Parses a plaintext PIN from hex (either case).
    ///
    /// # Errors
    /// [`Error::InvalidHex`] or [`Error::InvalidPinLength`].
    pub fn from_hex(text: &str) -> Result<Self> {
        Self::from_bytes(&hex::decode(text)?)
    }

    /// A plaintext PIN from its bytes (a PIN the caller presents, already
    /// decoded from the wire).
    ///
    /// # Errors
    /// [`Error::InvalidPinLength`] unless exactly [`PIN_LEN`] bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let arr: [u8; PIN_LEN] = bytes
            .try_into()
            .map_err(|_| Error::InvalidPinLength { expected: PIN_LEN })?;
        Ok(Self(Zeroizing::new(arr)))
    }

    /// The plaintext PIN as upper-case hex (what create-pin returns for
    /// `pin_type = PlainText`), zeroized on drop.
    pub fn to_hex(&self) -> Zeroizing<String> {
        Zeroizing::new(base16ct::upper::encode_string(&self.0[..]))
    }

    /// The PIN bytes.
    pub fn expose_secret(&self) -> &[u8; PIN_LEN] {
        &self.0
    }
}

/// A keyed verifier of a plaintext PIN: `HMAC-SHA256(k, u16 len || keystore id || pin)`
/// with `k` derived from the keystore's root key. Store this, never the PIN.
#[derive(Clone, PartialEq, Eq)]
pub struct PinVerifier([u8; PIN_VERIFIER_LEN]);

impl fmt::Debug for PinVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PinVerifier(..)")
    }
}

impl PinVerifier {
    /// The verifier bytes, for storage.
    pub fn as_bytes(&self) -> &[u8; PIN_VERIFIER_LEN] {
        &self.0
    }

    /// A stored verifier.
    ///
    /// # Errors
    /// [`Error::InvalidKeyLength`] unless 32 bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        bytes
            .try_into()
            .map(Self)
            .map_err(|_| Error::InvalidKeyLength {
                expected: PIN_VERIFIER_LEN,
                actual: bytes.len(),
            })
    }
}

impl RootKey {
    /// Seals a PIN under this (keystore's) root key, bound to the keystore
    /// and the domain: a v1 blob with the PIN algorithm id, which no DEK
    /// operation accepts.
    ///
    /// # Errors
    /// [`Error::Entropy`].
    pub fn seal_pin<R: TryCryptoRng + ?Sized>(
        &self,
        rng: &mut R,
        scope: &PinScope<'_>,
        pin: &Pin,
    ) -> Result<Ciphertext> {
        let ctx = scope.context()?;
        self.pin_seal.seal(PIN_LEN, &ctx, |area| {
            let (salt_nonce, pt) = area.split_at_mut(SALT_LEN + NONCE_LEN);
            rng::fill(rng, salt_nonce)?;
            pt.copy_from_slice(&pin.0[..]);
            Ok(())
        })
    }

    /// Opens a PIN sealed for `scope`.
    ///
    /// # Errors
    /// [`Error::Rejected`] for every failure (DEK blob, other keystore, other
    /// domain, other root key, tampering, malformed or retired blob).
    pub fn open_pin(&self, scope: &PinScope<'_>, sealed: &[u8]) -> Result<Pin> {
        let ctx = scope.context().map_err(|_| Error::Rejected)?;
        let pt = self.pin_seal.open(sealed, &ctx)?;
        let arr: [u8; PIN_LEN] = pt[..].try_into().map_err(|_| Error::Rejected)?;
        Ok(Pin(Zeroizing::new(arr)))
    }

    /// Verifies a presented ciphertext PIN (hex, either case) against its
    /// keystore and domain.
    ///
    /// # Errors
    /// [`Error::Rejected`] for every failure, bad hex included.
    pub fn verify_sealed_pin(&self, scope: &PinScope<'_>, sealed_hex: &str) -> Result<()> {
        let blob = hex::decode(sealed_hex).map_err(|_| Error::Rejected)?;
        self.open_pin(scope, &blob).map(drop)
    }

    /// Computes the keyed verifier of a plaintext PIN of keystore `keystore_id`.
    ///
    /// # Errors
    /// [`Error::InvalidKeystoreId`].
    pub fn pin_verifier(&self, keystore_id: &str, pin: &Pin) -> Result<PinVerifier> {
        let ks = check_keystore_id(keystore_id)?;
        Ok(PinVerifier(self.pin_mac_of(ks, &pin.0[..])))
    }

    fn pin_mac_of(&self, ks: &[u8], pin: &[u8]) -> [u8; PIN_VERIFIER_LEN] {
        // keystore ids are at most 64 bytes
        let len = u16::try_from(ks.len()).unwrap_or(u16::MAX);
        self.pin_mac.mac(&[&len.to_be_bytes(), ks, pin])
    }

    /// Verifies a presented plaintext PIN (hex, either case) against a stored
    /// verifier, in constant time.
    ///
    /// # Errors
    /// [`Error::Rejected`] for every failure, bad hex or length included.
    pub fn verify_plain_pin(
        &self,
        keystore_id: &str,
        presented_hex: &str,
        verifier: &PinVerifier,
    ) -> Result<()> {
        let ks = check_keystore_id(keystore_id).map_err(|_| Error::Rejected)?;
        let pin = Pin::from_hex(presented_hex).map_err(|_| Error::Rejected)?;
        let mac = Zeroizing::new(self.pin_mac_of(ks, &pin.0[..]));
        if bool::from(mac.ct_eq(&verifier.0)) {
            Ok(())
        } else {
            Err(Error::Rejected)
        }
    }
}

/// Tag at the start of a wrapped [`PinKeys`] payload, so it can never be
/// read as a wrapped master key (whose payload is 72 bytes, starting with
/// a key id) nor the other way round.
const PIN_KEYS_TAG: &[u8; 8] = b"kmsPINk1";

impl RootKey {
    /// The PIN keys in effect for this root key: derived from it, or the
    /// ones [`RootKey::with_pin_keys`] installed.
    pub fn pin_keys(&self) -> PinKeys {
        self.pin_keys.duplicate()
    }

    /// This root key with `keys` as its PIN keys (carried over from a root
    /// key it replaced): PINs sealed and verifiers computed under the old
    /// root key keep verifying. Every other key it wraps or seals is
    /// unchanged.
    ///
    /// # Errors
    /// Only if a key cannot be built (it cannot for these fixed lengths).
    pub fn with_pin_keys(mut self, keys: &PinKeys) -> Result<Self> {
        // Used with this root's suite: an SM root's carried keys seal
        // SM4-suite PIN blobs and key HMAC-SM3 verifiers.
        let (seal, mac) = keys.keys(self.suite())?;
        self.pin_seal = seal;
        self.pin_mac = mac;
        self.pin_keys = keys.duplicate();
        Ok(self)
    }

    fn pin_keys_payload(keystore_id: &str, keys: &PinKeys) -> Result<Zeroizing<Vec<u8>>> {
        let ks = check_keystore_id(keystore_id)?;
        let len = u16::try_from(ks.len()).map_err(|_| Error::InvalidKeystoreId)?;
        let mut p = Zeroizing::new(Vec::with_capacity(
            PIN_KEYS_TAG.len() + 2 + ks.len() + PIN_KEYS_LEN,
        ));
        p.extend_from_slice(PIN_KEYS_TAG);
        p.extend_from_slice(&len.to_be_bytes());
        p.extend_from_slice(ks);
        p.extend_from_slice(&keys.0[..]);
        Ok(p)
    }

    /// Wraps a keystore's PIN keys under this root key (AES-256-KWP, RFC
    /// 5649) for storage: `tag (8) || u16 len || keystore id || keys (64)`,
    /// so the wrap opens for that keystore only.
    ///
    /// # Errors
    /// [`Error::InvalidKeystoreId`] unless the keystore id is 1..=64
    /// printable ASCII bytes.
    pub fn wrap_pin_keys(&self, keystore_id: &str, keys: &PinKeys) -> Result<Vec<u8>> {
        let payload = Self::pin_keys_payload(keystore_id, keys)?;
        let mut out = vec![0u8; payload.len().div_ceil(8) * 8 + 8];
        let n = self
            .kwp
            .wrap_key(&payload, &mut out)
            .map_err(|_| Error::Rejected)?
            .len();
        out.truncate(n);
        Ok(out)
    }

    /// Unwraps PIN keys wrapped by [`RootKey::wrap_pin_keys`] for `keystore_id`.
    ///
    /// # Errors
    /// [`Error::Rejected`] for every failure (another root key, another
    /// keystore, tampering, a malformed blob).
    pub fn unwrap_pin_keys(&self, keystore_id: &str, wrapped: &[u8]) -> Result<PinKeys> {
        let ks = check_keystore_id(keystore_id).map_err(|_| Error::Rejected)?;
        if wrapped.len() < 16 || wrapped.len() > 256 {
            return Err(Error::Rejected);
        }
        let mut buf = Zeroizing::new(vec![0u8; wrapped.len() - 8]);
        let payload = self
            .kwp
            .unwrap_key(wrapped, &mut buf)
            .map_err(|_| Error::Rejected)?;
        let expected_len = PIN_KEYS_TAG.len() + 2 + ks.len() + PIN_KEYS_LEN;
        if payload.len() != expected_len {
            return Err(Error::Rejected);
        }
        let (head, keys) = payload.split_at(expected_len - PIN_KEYS_LEN);
        let mut want = Vec::with_capacity(head.len());
        want.extend_from_slice(PIN_KEYS_TAG);
        want.extend_from_slice(&u16::try_from(ks.len()).unwrap_or(u16::MAX).to_be_bytes());
        want.extend_from_slice(ks);
        if !bool::from(head.ct_eq(&want[..])) {
            return Err(Error::Rejected);
        }
        let arr: [u8; PIN_KEYS_LEN] = keys.try_into().map_err(|_| Error::Rejected)?;
        Ok(PinKeys(Zeroizing::new(arr)))
    }
}
