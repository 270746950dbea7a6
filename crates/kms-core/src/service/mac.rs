//! MAC keys (generate-mac, verify-mac), key agreement
//! (derive-shared-secret) and the API version documents.

use crate::error::CoreError;
use zeroize::Zeroizing;

use kms_model::{
    DeriveSharedSecretRequest, ErrorCode, GenerateMacRequest, KeyUsage, MacAlgorithm, Operation,
    VerifyMacRequest,
};

use super::{Kms, Res, Resource, kms_internal};
use crate::ports::{Caller, KeyRecord};

/// One API version this service serves (the version documents of `GET /`
/// and `GET /{version_id}`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ApiVersion {
    /// `v1.0`.
    pub id: &'static str,
    /// `CURRENT`.
    pub status: &'static str,
    /// The release time the API reference gives for v1.0, RFC 3339 UTC.
    pub updated: &'static str,
}

/// The versions served: v1.0 only, the one every KMS route is under.
pub const API_VERSIONS: &[ApiVersion] = &[ApiVersion {
    id: "v1.0",
    status: "CURRENT",
    updated: "2016-10-29T02:00:00Z",
}];

fn crypto_mac(a: MacAlgorithm) -> kms_crypto::MacAlgorithm {
    match a {
        MacAlgorithm::HmacSha256 => kms_crypto::MacAlgorithm::HmacSha256,
        MacAlgorithm::HmacSha384 => kms_crypto::MacAlgorithm::HmacSha384,
        MacAlgorithm::HmacSha512 => kms_crypto::MacAlgorithm::HmacSha512,
        MacAlgorithm::HmacSm3 => kms_crypto::MacAlgorithm::HmacSm3,
    }
}

/// The algorithm must be the HMAC key's own (`HMAC_SHA_256` for an
/// `HMAC_256` key, ...): KMS.0308 otherwise.
fn require_mac_fit(key: &KeyRecord, alg: MacAlgorithm) -> Res<()> {
    if key.spec.mac_algorithm() == Some(alg) {
        Ok(())
    } else {
        Err(CoreError::new(
            ErrorCode::KmsInvalidParameter,
            format!(
                "mac_algorithm {} does not fit a {} key",
                alg.as_str(),
                key.spec.as_str()
            ),
        ))
    }
}

impl Kms {
    /// generate-mac: the HMAC of the message under the current version of
    /// an enabled HMAC key (`GENERATE_VERIFY_MAC`).
    ///
    /// # Errors
    /// Unknown (KMS.0207), disabled (KMS.0209) or pending-deletion
    /// (KMS.0210) key; not an HMAC key (KMS.0331 symmetric, KMS.0325 key
    /// pair); an algorithm other than the key's (KMS.0308).
    pub fn generate_mac(&self, caller: &Caller, req: &GenerateMacRequest) -> Res<Vec<u8>> {
        self.audited(
            caller,
            Operation::GenerateMac,
            Resource::Named(req.key_id.as_str()),
            None,
            || {
                let key = self.usable_key_for(
                    caller,
                    &req.key_id,
                    None,
                    KeyUsage::GenerateVerifyMac,
                    Operation::GenerateMac,
                )?;
                require_mac_fit(&key, req.mac_algorithm)?;
                let mk = self.master_key(&key, key.current_version)?;
                mk.mac(crypto_mac(req.mac_algorithm), &req.message)
                    .map_err(kms_internal)
            },
        )
    }

    /// verify-mac: whether the MAC is the message's under any version of
    /// the HMAC key (a MAC made before a rotation keeps verifying). Every
    /// version is checked, each in constant time, with no early exit: the
    /// time taken depends on the number of versions, never on the MAC.
    ///
    /// # Errors
    /// As [`Kms::generate_mac`]. A MAC that does not verify is not an
    /// error.
    pub fn verify_mac(&self, caller: &Caller, req: &VerifyMacRequest) -> Res<bool> {
        self.audited(
            caller,
            Operation::VerifyMac,
            Resource::Named(req.key_id.as_str()),
            None,
            || {
                let key = self.usable_key_for(
                    caller,
                    &req.key_id,
                    None,
                    KeyUsage::GenerateVerifyMac,
                    Operation::VerifyMac,
                )?;
                require_mac_fit(&key, req.mac_algorithm)?;
                let alg = crypto_mac(req.mac_algorithm);
                let mut valid = false;
                for version in 1..=key.current_version {
                    let mk = self.master_key(&key, version)?;
                    valid |= mk
                        .verify_mac(alg, &req.message, &req.mac)
                        .map_err(kms_internal)?;
                }
                Ok(valid)
            },
        )
    }

    /// derive-shared-secret: ECDH of an enabled `KEY_AGREEMENT` key pair
    /// (`EC_P256`, `EC_P384`) with the peer's public key; the raw shared
    /// secret (the agreed point's x coordinate).
    ///
    /// # Errors
    /// Unknown, disabled or pending-deletion key; a key of another usage
    /// (KMS.0331 symmetric, KMS.0341 HMAC, KMS.0334 / KMS.0335 a key pair
    /// for encryption or signing); a peer key that is not a public key on
    /// the key's curve (KMS.0308).
    pub fn derive_shared_secret(
        &self,
        caller: &Caller,
        req: &DeriveSharedSecretRequest,
    ) -> Res<Zeroizing<Vec<u8>>> {
        self.audited(
            caller,
            Operation::DeriveSharedSecret,
            Resource::Named(req.key_id.as_str()),
            None,
            || {
                let key = self.usable_key_for(caller, &req.key_id, None, KeyUsage::KeyAgreement, Operation::DeriveSharedSecret)?;
                let pair = self.key_pair(&key)?;
                pair.private
                    .diffie_hellman(&req.public_key)
                    .map_err(|e| match e {
                        kms_crypto::Error::Rejected => CoreError::new(
                            ErrorCode::KmsInvalidParameter,
                            format!(
                                "public_key is not a DER SubjectPublicKeyInfo on the curve of the {} key",
                                key.spec.as_str()
                            ),
                        ),
                        kms_crypto::Error::AlgorithmMismatch => CoreError::new(
                            ErrorCode::KmsAsymmetricUnsupported,
                            format!("a {} key does not do ECDH", key.spec.as_str()),
                        ),
                        e => kms_internal(e),
                    })
            },
        )
    }

    /// show-versions (`GET /`): the API versions served.
    ///
    /// # Errors
    /// None; audited like every operation.
    pub fn show_versions(&self, caller: &Caller) -> Res<&'static [ApiVersion]> {
        self.audited(
            caller,
            Operation::ShowVersions,
            Resource::None,
            None,
            || Ok(API_VERSIONS),
        )
    }

    /// show-version (`GET /{version_id}`): one API version.
    ///
    /// # Errors
    /// A version not served: KMS.0201 (the invalid-URL answer of any
    /// unknown route).
    pub fn show_version(&self, caller: &Caller, version_id: &str) -> Res<ApiVersion> {
        self.audited(caller, Operation::ShowVersion, Resource::None, None, || {
            API_VERSIONS
                .iter()
                .find(|v| v.id == version_id)
                .copied()
                .ok_or_else(|| CoreError::bare(ErrorCode::KmsInvalidUrl))
        })
    }
}
