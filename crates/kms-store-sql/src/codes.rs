//! What the schema stores for each enumerated field: this crate's own
//! table, not the wire's spelling. The codes happen to be the API's (a
//! key state is stored as `"2"`, a spec as `"AES_256"`) because the first
//! schema was written that way, but they are fixed here: a change to how
//! the API spells a value changes the wire layer, never the rows already
//! written. Each encoder is an exhaustive `match`, so a new variant does
//! not compile until it has a stored code (and the schema's CHECK
//! constraints, where there is one, have a migration).

use cert_parse::KeyFamily;
use kms_core::ports::{KeyOrigin, KeyState, KeystoreState, PortError, PortResult};
use kms_model::{CertificateScope, CmkSpec, InstanceId, KeyUsage, KeystoreType};

macro_rules! stored_codes {
    ($(#[$doc:meta])* $ty:ty, $what:literal, $encode:ident, $decode:ident,
     { $($variant:path => $code:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[must_use]
        pub const fn $encode(v: $ty) -> &'static str {
            match v {
                $($variant => $code),+
            }
        }

        #[doc = concat!("The ", $what, " a stored code names.")]
        ///
        /// # Errors
        /// [`kms_core::ports::PortErrorKind::Corrupt`]: no value has that
        /// code.
        pub fn $decode(s: &str) -> PortResult<$ty> {
            match s {
                $($code => Ok($variant),)+
                other => Err(PortError::corrupt(format!(
                    concat!("bad ", $what, " {:?} in database"),
                    other
                ))),
            }
        }
    };
}

stored_codes!(
    /// The stored code of a key state (the `keys.state` column).
    KeyState, "key state", key_state_code, key_state, {
        KeyState::Enabled => "2",
        KeyState::Disabled => "3",
        KeyState::PendingDeletion => "4",
        KeyState::PendingImport => "5",
    }
);

stored_codes!(
    /// The stored code of a keystore state.
    KeystoreState, "keystore state", keystore_state_code, keystore_state, {
        KeystoreState::Enabled => "ENABLED",
        KeystoreState::Disabled => "DISABLED",
    }
);

stored_codes!(
    /// The stored code of a keystore type.
    KeystoreType, "keystore type", keystore_type_code, keystore_type, {
        KeystoreType::Default => "DEFAULT",
        KeystoreType::Dhsm => "DHSM",
        KeystoreType::Cdms => "CDMS",
    }
);

stored_codes!(
    /// The stored code of a key spec.
    CmkSpec, "key spec", spec_code, spec, {
        CmkSpec::Aes256 => "AES_256",
        CmkSpec::Rsa2048 => "RSA_2048",
        CmkSpec::Rsa3072 => "RSA_3072",
        CmkSpec::Rsa4096 => "RSA_4096",
        CmkSpec::EcP256 => "EC_P256",
        CmkSpec::EcP384 => "EC_P384",
        CmkSpec::Sm4 => "SM4",
        CmkSpec::Sm2 => "SM2",
        CmkSpec::Hmac256 => "HMAC_256",
        CmkSpec::Hmac384 => "HMAC_384",
        CmkSpec::Hmac512 => "HMAC_512",
        CmkSpec::HmacSm3 => "HMAC_SM3",
    }
);

stored_codes!(
    /// The stored code of a key usage.
    KeyUsage, "key usage", usage_code, usage, {
        KeyUsage::EncryptDecrypt => "ENCRYPT_DECRYPT",
        KeyUsage::SignVerify => "SIGN_VERIFY",
        KeyUsage::GenerateVerifyMac => "GENERATE_VERIFY_MAC",
        KeyUsage::KeyAgreement => "KEY_AGREEMENT",
    }
);

stored_codes!(
    /// The stored code of a key origin.
    KeyOrigin, "key origin", origin_code, origin, {
        KeyOrigin::Kms => "kms",
        KeyOrigin::External => "external",
    }
);

/// The stored codes of a certificate's scope: its `scope_type` and its
/// `instance_id` (`common` for a global certificate), in the columns of
/// that name and in `record_json`.
#[must_use]
pub fn certificate_scope_codes(scope: &CertificateScope) -> (&'static str, &str) {
    match scope {
        CertificateScope::Global => ("global", "common"),
        CertificateScope::Instance(id) => ("instance", id.as_str()),
    }
}

/// The certificate scope stored as `scope_type` and `instance_id`.
///
/// # Errors
/// [`kms_core::ports::PortErrorKind::Corrupt`]: an unknown `scope_type`,
/// a global scope whose instance is not `common`, a malformed instance id.
pub fn certificate_scope(scope_type: &str, instance_id: &str) -> PortResult<CertificateScope> {
    match (scope_type, instance_id) {
        ("global", "common") => Ok(CertificateScope::Global),
        ("instance", id) => InstanceId::parse(id)
            .map(CertificateScope::Instance)
            .map_err(|e| {
                PortError::corrupt("bad certificate instance id in database").with_source(e)
            }),
        (other, _) => Err(PortError::corrupt(format!(
            "bad certificate scope {other:?} in database"
        ))),
    }
}

/// The stored code of a certificate key's family (`algorithm_type`).
///
/// # Errors
/// [`kms_core::ports::PortErrorKind::Corrupt`]: a family cert-parse added
/// after this table (`KeyFamily` is non-exhaustive): it needs a code here
/// before such a certificate can be stored.
pub fn key_family_code(family: KeyFamily) -> PortResult<&'static str> {
    match family {
        KeyFamily::Rsa => Ok("RSA"),
        KeyFamily::Ecc => Ok("ECC"),
        KeyFamily::Sm2 => Ok("SM2"),
        KeyFamily::Ed25519 => Ok("Ed25519"),
        other => Err(PortError::corrupt(format!(
            "key family {other} has no stored code"
        ))),
    }
}

/// The certificate key family a stored code names.
///
/// # Errors
/// [`kms_core::ports::PortErrorKind::Corrupt`]: no family has that code.
pub fn key_family(code: &str) -> PortResult<KeyFamily> {
    match code {
        "RSA" => Ok(KeyFamily::Rsa),
        "ECC" => Ok(KeyFamily::Ecc),
        "SM2" => Ok(KeyFamily::Sm2),
        "Ed25519" => Ok(KeyFamily::Ed25519),
        other => Err(PortError::corrupt(format!(
            "bad key family {other:?} in database"
        ))),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    /// The codes rows hold today; a database written by any earlier
    /// version must keep decoding, so this table only ever grows.
    #[test]
    fn every_value_round_trips_through_its_fixed_code() {
        let states = [
            (KeyState::Enabled, "2"),
            (KeyState::Disabled, "3"),
            (KeyState::PendingDeletion, "4"),
            (KeyState::PendingImport, "5"),
        ];
        for (v, code) in states {
            assert_eq!((key_state_code(v), key_state(code).unwrap()), (code, v));
        }
        for (v, code) in [
            (KeystoreState::Enabled, "ENABLED"),
            (KeystoreState::Disabled, "DISABLED"),
        ] {
            assert_eq!(
                (keystore_state_code(v), keystore_state(code).unwrap()),
                (code, v)
            );
        }
        for (v, code) in [
            (KeystoreType::Default, "DEFAULT"),
            (KeystoreType::Dhsm, "DHSM"),
            (KeystoreType::Cdms, "CDMS"),
        ] {
            assert_eq!(
                (keystore_type_code(v), keystore_type(code).unwrap()),
                (code, v)
            );
        }
        for v in CmkSpec::ALL {
            assert_eq!(spec(spec_code(v)).unwrap(), v);
        }
        for (v, code) in [
            (CmkSpec::Hmac256, "HMAC_256"),
            (CmkSpec::Hmac384, "HMAC_384"),
            (CmkSpec::Hmac512, "HMAC_512"),
            (CmkSpec::HmacSm3, "HMAC_SM3"),
        ] {
            assert_eq!((spec_code(v), spec(code).unwrap()), (code, v));
        }
        for (v, code) in [
            (KeyUsage::EncryptDecrypt, "ENCRYPT_DECRYPT"),
            (KeyUsage::SignVerify, "SIGN_VERIFY"),
            (KeyUsage::GenerateVerifyMac, "GENERATE_VERIFY_MAC"),
            (KeyUsage::KeyAgreement, "KEY_AGREEMENT"),
        ] {
            assert_eq!((usage_code(v), usage(code).unwrap()), (code, v));
        }
        for (v, code) in [(KeyOrigin::Kms, "kms"), (KeyOrigin::External, "external")] {
            assert_eq!((origin_code(v), origin(code).unwrap()), (code, v));
        }
        for (v, code) in [
            (KeyFamily::Rsa, "RSA"),
            (KeyFamily::Ecc, "ECC"),
            (KeyFamily::Sm2, "SM2"),
            (KeyFamily::Ed25519, "Ed25519"),
        ] {
            assert_eq!(
                (key_family_code(v).unwrap(), key_family(code).unwrap()),
                (code, v)
            );
        }
        let gw = CertificateScope::Instance(InstanceId::parse("gw-1").unwrap());
        for (v, codes) in [
            (CertificateScope::Global, ("global", "common")),
            (gw, ("instance", "gw-1")),
        ] {
            assert_eq!(certificate_scope_codes(&v), codes);
            assert_eq!(certificate_scope(codes.0, codes.1).unwrap(), v);
        }
    }

    #[test]
    fn an_unknown_code_is_corrupt_not_a_panic() {
        use kms_core::ports::PortErrorKind;
        for bad in ["", "1", "6", "enabled", "0", "aes_256", "DEFAULT\0"] {
            assert_eq!(key_state(bad).unwrap_err().kind(), PortErrorKind::Corrupt);
        }
        assert!(spec("AES_128").is_err() && usage("").is_err() && origin("KMS").is_err());
        assert!(keystore_type("0").is_err() && keystore_state("enabled").is_err());
        for bad in ["", "rsa", "DSA", "ed25519", "RSA "] {
            assert_eq!(key_family(bad).unwrap_err().kind(), PortErrorKind::Corrupt);
        }
        for (t, i) in [
            ("global", "gw-1"),
            ("global", ""),
            ("local", "common"),
            ("instance", ""),
            ("instance", "bad id!"),
            ("", ""),
        ] {
            assert_eq!(
                certificate_scope(t, i).unwrap_err().kind(),
                PortErrorKind::Corrupt
            );
        }
    }
}
