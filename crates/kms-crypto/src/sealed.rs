//! Certificate private keys at rest: sealed under a root key, bound to the
//! project and certificate they were uploaded for.

use rand_core::TryCryptoRng;
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::format::{
    Ciphertext, EncodedContext, MAX_PRIVATE_KEY_BYTES, NONCE_LEN, SALT_LEN, is_context_id,
};
use crate::keys::RootKey;
use crate::rng;

/// Whose private key a blob holds: the project and the certificate id, both
/// bound into the blob's authenticated context, so a sealed key copied onto
/// another certificate row (or another tenant's) no longer opens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PrivateKeyScope<'a> {
    project_id: &'a str,
    certificate_id: &'a str,
}

impl<'a> PrivateKeyScope<'a> {
    /// Checks and builds a scope.
    ///
    /// # Errors
    /// [`Error::InvalidProjectId`] or [`Error::InvalidCertificateId`] unless
    /// the id is 1..=128 printable ASCII bytes.
    pub fn new(project_id: &'a str, certificate_id: &'a str) -> Result<Self> {
        let ok = |s: &str| is_context_id(s.as_bytes());
        if !ok(project_id) {
            return Err(Error::InvalidProjectId);
        }
        if !ok(certificate_id) {
            return Err(Error::InvalidCertificateId);
        }
        Ok(Self {
            project_id,
            certificate_id,
        })
    }

    /// The project id.
    pub fn project_id(&self) -> &'a str {
        self.project_id
    }

    /// The certificate id.
    pub fn certificate_id(&self) -> &'a str {
        self.certificate_id
    }

    fn context(&self) -> Result<EncodedContext<'a>> {
        EncodedContext::new(self.project_id.as_bytes(), self.certificate_id.as_bytes())
    }
}

impl RootKey {
    /// Seals a certificate's private key (its PEM text) for storage: a v1
    /// blob with the private-key algorithm id (`0x04`), which neither DEK nor
    /// PIN operations accept.
    ///
    /// # Errors
    /// [`Error::InvalidPrivateKeyLength`] for an empty key or one over
    /// [`MAX_PRIVATE_KEY_BYTES`]; [`Error::Entropy`].
    pub fn seal_private_key<R: TryCryptoRng + ?Sized>(
        &self,
        rng: &mut R,
        scope: &PrivateKeyScope<'_>,
        private_key: &[u8],
    ) -> Result<Ciphertext> {
        let n = private_key.len();
        if n == 0 || n > MAX_PRIVATE_KEY_BYTES {
            return Err(Error::InvalidPrivateKeyLength { len: n });
        }
        let ctx = scope.context()?;
        self.private_key_seal.seal(n, &ctx, |area| {
            let (salt_nonce, pt) = area.split_at_mut(SALT_LEN + NONCE_LEN);
            rng::fill(rng, salt_nonce)?;
            pt.copy_from_slice(private_key);
            Ok(())
        })
    }

    /// Opens a private key sealed for `scope`.
    ///
    /// # Errors
    /// [`Error::Rejected`] for every failure (another kind of blob, another
    /// project or certificate, another root key, tampering, malformed blob).
    pub fn open_private_key(
        &self,
        scope: &PrivateKeyScope<'_>,
        sealed: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>> {
        let ctx = scope.context().map_err(|_| Error::Rejected)?;
        self.private_key_seal.open(sealed, &ctx)
    }
}
