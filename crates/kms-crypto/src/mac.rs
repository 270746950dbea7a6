//! HMAC with a master key's material: the MAC of an HMAC CMK
//! (`HMAC_256/384/512/SM3`), verified in constant time.

use hmac::{Hmac, KeyInit, Mac};
use sha2::{Sha256, Sha384, Sha512};
use sm3::Sm3;

use crate::error::{Error, Result};
use crate::keys::MasterKey;

/// The MAC algorithms of HMAC CMKs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MacAlgorithm {
    /// HMAC-SHA-256 (RFC 2104, FIPS 198-1).
    HmacSha256,
    /// HMAC-SHA-384.
    HmacSha384,
    /// HMAC-SHA-512.
    HmacSha512,
    /// HMAC-SM3 (GB/T 32905 hash in the RFC 2104 construction).
    HmacSm3,
}

impl MacAlgorithm {
    /// The MAC's length in bytes.
    #[must_use]
    pub const fn output_len(self) -> usize {
        match self {
            Self::HmacSha256 | Self::HmacSm3 => 32,
            Self::HmacSha384 => 48,
            Self::HmacSha512 => 64,
        }
    }
}

/// A keyed HMAC of one of the algorithms.
enum Keyed {
    Sha256(Hmac<Sha256>),
    Sha384(Hmac<Sha384>),
    Sha512(Hmac<Sha512>),
    Sm3(Hmac<Sm3>),
}

impl Keyed {
    fn new(alg: MacAlgorithm, key: &[u8], message: &[u8]) -> Result<Self> {
        let bad = |_| Error::InvalidKeyLength {
            expected: 32,
            actual: key.len(),
        };
        let mut keyed = match alg {
            MacAlgorithm::HmacSha256 => {
                Self::Sha256(<Hmac<Sha256> as KeyInit>::new_from_slice(key).map_err(bad)?)
            }
            MacAlgorithm::HmacSha384 => {
                Self::Sha384(<Hmac<Sha384> as KeyInit>::new_from_slice(key).map_err(bad)?)
            }
            MacAlgorithm::HmacSha512 => {
                Self::Sha512(<Hmac<Sha512> as KeyInit>::new_from_slice(key).map_err(bad)?)
            }
            MacAlgorithm::HmacSm3 => {
                Self::Sm3(<Hmac<Sm3> as KeyInit>::new_from_slice(key).map_err(bad)?)
            }
        };
        match &mut keyed {
            Self::Sha256(m) => m.update(message),
            Self::Sha384(m) => m.update(message),
            Self::Sha512(m) => m.update(message),
            Self::Sm3(m) => m.update(message),
        }
        Ok(keyed)
    }
}

impl MasterKey {
    /// The HMAC of `message` keyed with this version's 32 bytes of
    /// material (the key an HMAC CMK's version holds; it is never used
    /// for anything else, since such a key neither encrypts nor wraps).
    ///
    /// # Errors
    /// None in practice (HMAC takes a key of any length).
    pub fn mac(&self, alg: MacAlgorithm, message: &[u8]) -> Result<Vec<u8>> {
        Ok(match Keyed::new(alg, self.material(), message)? {
            Keyed::Sha256(m) => m.finalize().into_bytes().to_vec(),
            Keyed::Sha384(m) => m.finalize().into_bytes().to_vec(),
            Keyed::Sha512(m) => m.finalize().into_bytes().to_vec(),
            Keyed::Sm3(m) => m.finalize().into_bytes().to_vec(),
        })
    }

    /// Whether `tag` is the HMAC of `message` under this version, compared
    /// in constant time (`Mac::verify_slice`); a tag of another length is
    /// simply not valid.
    ///
    /// # Errors
    /// None in practice, as [`MasterKey::mac`].
    pub fn verify_mac(&self, alg: MacAlgorithm, message: &[u8], tag: &[u8]) -> Result<bool> {
        Ok(match Keyed::new(alg, self.material(), message)? {
            Keyed::Sha256(m) => m.verify_slice(tag).is_ok(),
            Keyed::Sha384(m) => m.verify_slice(tag).is_ok(),
            Keyed::Sha512(m) => m.verify_slice(tag).is_ok(),
            Keyed::Sm3(m) => m.verify_slice(tag).is_ok(),
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    const ID: &str = "0d0466b0-e727-4d9c-b35d-f84bb474a37f";

    fn key(byte: u8) -> MasterKey {
        MasterKey::from_bytes(ID, 1, &[byte; 32]).unwrap()
    }

    /// Known answers from independent implementations: Python's `hmac`
    /// (`hmac.new(bytes([7]) * 32, b"abc", hashlib.sha256)` and so on) and,
    /// for SM3, the RFC 2104 construction over gmssl's pure-Python SM3.
    #[test]
    fn known_answers_match_independent_hmacs() {
        let k = key(7);
        let cases = [
            (
                MacAlgorithm::HmacSha256,
                "127da4ced6a839b8f6118bc244684d2663e70cb5ff0adeefca89d7e74d5a0525",
            ),
            (
                MacAlgorithm::HmacSha384,
                "0095ca550de2858fda0ef6b9027cb68acc391ae373172e3f4482c43a3218b5c0fb8e242b707abc9d4ad4d5f2c8d0f9e7",
            ),
            (
                MacAlgorithm::HmacSha512,
                "0cbc2bafd972285f6bd29dd98df803e22d5e9204babc2b6590094db07410336ceb0033b4441833e8d577e89533ada44160fe74f88b7a2db566a317e42f9a6906",
            ),
            (
                MacAlgorithm::HmacSm3,
                "652759426a2d737bc10cc8d3c61b8663551a154688886c9a23095ffe2654a3e3",
            ),
        ];
        for (alg, want) in cases {
            let mac = k.mac(alg, b"abc").unwrap();
            assert_eq!(
                crate::hex::encode_upper(&mac),
                want.to_uppercase(),
                "{alg:?}"
            );
            assert!(k.verify_mac(alg, b"abc", &mac).unwrap());
        }
    }

    #[test]
    fn verify_accepts_its_mac_and_refuses_any_change() {
        let k = key(1);
        for alg in [
            MacAlgorithm::HmacSha256,
            MacAlgorithm::HmacSha384,
            MacAlgorithm::HmacSha512,
            MacAlgorithm::HmacSm3,
        ] {
            let mut mac = k.mac(alg, b"message").unwrap();
            assert_eq!(mac.len(), alg.output_len());
            assert!(k.verify_mac(alg, b"message", &mac).unwrap());
            assert!(!k.verify_mac(alg, b"messagE", &mac).unwrap());
            assert!(!key(2).verify_mac(alg, b"message", &mac).unwrap());
            assert!(
                !k.verify_mac(alg, b"message", &mac[..mac.len() - 1])
                    .unwrap()
            );
            assert!(!k.verify_mac(alg, b"message", &[]).unwrap());
            mac[0] ^= 1;
            assert!(!k.verify_mac(alg, b"message", &mac).unwrap());
        }
    }
}
