//! PINs: create-pin, and the check of a PIN presented with a key.

use std::fmt;

use crate::error::CoreError;
use kms_crypto::{Ciphertext, Pin, PinScope};
use kms_model::{CreatePinRequest, ErrorCode, KeystoreRef, Operation, PinType, PresentedPin};

use super::{Kms, Res, Resource, kms_internal, root_key_error};
use crate::ports::{Caller, EntropyRng, KeyRecord, RootKeyError};

/// The scope of a PIN of `keystore_id` for the caller's domain.
fn pin_scope<'a>(caller: &'a Caller, keystore_id: &'a str) -> Res<PinScope<'a>> {
    PinScope::new(keystore_id, &caller.domain_id).map_err(kms_internal)
}

/// A PIN issued by [`Kms::create_pin`], as the caller will present it.
/// Its `Debug` shows only which form it is.
#[non_exhaustive]
pub enum NewPin {
    /// A `CipherText` PIN: the PIN sealed by its keystore's root key,
    /// bound to the keystore and the caller's domain.
    Sealed(Ciphertext),
    /// A `PlainText` PIN (zeroized on drop); only its keyed verifier is
    /// stored.
    Plain(Pin),
}

impl fmt::Debug for NewPin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Sealed(_) => "NewPin::Sealed(redacted)",
            Self::Plain(_) => "NewPin::Plain(redacted)",
        })
    }
}

impl Kms {
    /// create-pin: a new PIN for the caller's domain.
    ///
    /// A `CipherText` PIN is sealed by its keystore's root key, bound to
    /// the keystore and the caller's domain; a `PlainText` PIN is returned
    /// in hex and only its keyed verifier is stored, for the domain. The
    /// keystore defaults to `"1"`; keystore `"0"` cannot hold PINs.
    ///
    /// # Errors
    /// Keystore `"0"` (KMS.0340), unknown or disabled dedicated keystore
    /// (KMS.6007, KMS.6008), root-key provider failures.
    pub fn create_pin(&self, caller: &Caller, req: &CreatePinRequest) -> Res<NewPin> {
        self.audited(caller, Operation::CreatePin, Resource::None, None, || {
            let keystore = req
                .keystore
                .clone()
                .unwrap_or(KeystoreRef::SharedManagement);
            if keystore == KeystoreRef::Default {
                return Err(CoreError::new(
                    ErrorCode::KmsKeystoreNotSupported,
                    "keystore 0 does not hold PINs",
                ));
            }
            let keystore_id = self.usable_keystore(caller, &keystore)?;
            let entropy = &*self.ports.entropy;
            let pin = Pin::generate(&mut EntropyRng(entropy)).map_err(kms_internal)?;
            match req.pin_type {
                PinType::CipherText => self
                    .ports
                    .root_keys
                    .seal_pin(&pin_scope(caller, &keystore_id)?, entropy, &pin)
                    .map(NewPin::Sealed)
                    .map_err(root_key_error),
                PinType::PlainText => {
                    let verifier = self
                        .ports
                        .root_keys
                        .pin_verifier(&keystore_id, &pin)
                        .map_err(root_key_error)?;
                    self.ports
                        .pins
                        .insert_pin_verifier(&caller.domain_id, &keystore_id, &verifier)
                        .map_err(kms_internal)?;
                    Ok(NewPin::Plain(pin))
                }
            }
        })
    }

    /// Checks a PIN presented with `key`: it must have been issued to the
    /// caller's domain for the key's dedicated keystore, or, for a key of
    /// the default keystore, for one of the shared clusters.
    ///
    /// A PIN that does not verify is KMS.6010; a provider or storage
    /// failure while checking is a 500 with its cause, never a wrong PIN.
    pub(super) fn check_pin(
        &self,
        caller: &Caller,
        key: &KeyRecord,
        pin: &PresentedPin,
    ) -> Res<()> {
        let invalid = || CoreError::bare(ErrorCode::KmsInvalidPin);
        let dedicated = [key.keystore_id.as_str()];
        let candidates: &[&str] = if KeystoreRef::is_dedicated_id(&key.keystore_id) {
            &dedicated
        } else {
            &KeystoreRef::SHARED_IDS
        };
        for &ks in candidates {
            let ok = match pin.pin_type {
                PinType::CipherText => match self
                    .ports
                    .root_keys
                    .verify_sealed_pin(&pin_scope(caller, ks)?, &pin.bytes)
                {
                    Ok(()) => true,
                    Err(RootKeyError::Rejected) => false,
                    Err(e) => return Err(root_key_error(e)),
                },
                PinType::PlainText => {
                    let Ok(p) = Pin::from_bytes(&pin.bytes) else {
                        return Err(invalid());
                    };
                    let verifier = self
                        .ports
                        .root_keys
                        .pin_verifier(ks, &p)
                        .map_err(root_key_error)?;
                    self.ports
                        .pins
                        .has_pin_verifier(&caller.domain_id, ks, &verifier)
                        .map_err(kms_internal)?
                }
            };
            if ok {
                return Ok(());
            }
        }
        Err(invalid())
    }
}
