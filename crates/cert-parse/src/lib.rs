#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod cert;
mod check;
mod der;
mod error;
mod key;
mod names;
mod pem;

pub use cert::{CertificateInfo, MAX_SERIAL_OCTETS};
pub use check::{
    CaCertificate, CertificateUpload, CheckedCertificate, MAX_CERT_PEM_BYTES, MAX_CHAIN_LEN,
    check_ca_certificate, check_certificate, check_chain, parse_certificate_der,
    parse_certificates,
};
pub use error::{ApigErrorKind, Error, Result};
pub use key::{
    KeyEncoding, KeyFamily, MAX_KEY_PEM_BYTES, MAX_RSA_MODULUS_BITS, PrivateKey, parse_private_key,
};
