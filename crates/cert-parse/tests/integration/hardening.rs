//! Review findings: an RSA key is validated (not just matched on `n`, `e`),
//! and a serial number is capped before it is converted to decimal.

use base64ct::{Base64, Encoding};
use cert_parse::{
    ApigErrorKind, CertificateUpload, Error, MAX_SERIAL_OCTETS, check_certificate,
    parse_certificates, parse_private_key,
};

use super::common::read;

/// The DER of a PEM block.
fn pem_der(pem: &str) -> Vec<u8> {
    let b64: String = pem
        .lines()
        .filter(|l| !l.starts_with("-----") && !l.contains(':'))
        .collect();
    Base64::decode_vec(b64.trim()).unwrap()
}

fn pem(label: &str, der: &[u8]) -> String {
    let b64 = Base64::encode_string(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(chunk).unwrap());
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

/// DER length octets.
fn der_len(n: usize) -> Vec<u8> {
    if n < 0x80 {
        vec![n as u8]
    } else {
        let bytes: Vec<u8> = n
            .to_be_bytes()
            .into_iter()
            .skip_while(|&b| b == 0)
            .collect();
        let mut out = vec![0x80 | bytes.len() as u8];
        out.extend(bytes);
        out
    }
}

fn tlv(tag: u8, value: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    out.extend(der_len(value.len()));
    out.extend_from_slice(value);
    out
}

/// A non-negative INTEGER from big-endian magnitude bytes.
fn uint(magnitude: &[u8]) -> Vec<u8> {
    let m: Vec<u8> = magnitude.iter().copied().skip_while(|&b| b == 0).collect();
    let mut v = if m.is_empty() { vec![0] } else { m };
    if v[0] & 0x80 != 0 {
        v.insert(0, 0);
    }
    tlv(0x02, &v)
}

/// The eight integers of a PKCS#1 key, as big-endian magnitudes.
type Fields = [Vec<u8>; 8];

fn fields_of(pkcs1_pem: &str) -> Fields {
    let der = pem_der(pkcs1_pem);
    let k = pkcs1::RsaPrivateKeyRef::try_from(der.as_slice()).unwrap();
    [
        k.modulus,
        k.public_exponent,
        k.private_exponent,
        k.prime1,
        k.prime2,
        k.exponent1,
        k.exponent2,
        k.coefficient,
    ]
    .map(|u| u.as_bytes().to_vec())
}

fn pkcs1_pem(f: &Fields) -> String {
    let mut body = tlv(0x02, &[0]); // version: two-prime
    for v in f {
        body.extend(uint(v));
    }
    pem("RSA PRIVATE KEY", &tlv(0x30, &body))
}

fn pkcs8_pem(f: &Fields) -> String {
    let inner = pem_der(&pkcs1_pem(f));
    let alg = tlv(
        0x30,
        &[
            tlv(
                0x06,
                &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01],
            ),
            vec![0x05, 0x00],
        ]
        .concat(),
    );
    let body = [tlv(0x02, &[0]), alg, tlv(0x04, &inner)].concat();
    pem("PRIVATE KEY", &tlv(0x30, &body))
}

/// `check_certificate` of a leaf and a key, a day into the leaf's validity.
fn check_with(cert: &str, key: &str) -> Result<cert_parse::CheckedCertificate, Error> {
    let at = parse_certificates(cert).unwrap()[0].not_before_unix + 86_400;
    check_certificate(
        &CertificateUpload {
            cert_content: cert,
            private_key: key,
            trusted_root_ca: None,
        },
        at,
    )
}

fn reason(e: &Error) -> &'static str {
    match e {
        Error::InvalidPrivateKey { reason } => reason,
        other => panic!("expected an invalid private key, got {other:?}"),
    }
}

#[test]
fn rsa_keys_are_validated_not_only_matched_on_n_and_e() {
    let good = fields_of(&read("generated/rsa-pkcs1.key"));
    let cert = read("generated/rsa.crt");
    let upload = |key: &str| check_with(&cert, key);
    // The re-encoding itself is faithful: the untouched key still matches.
    upload(&pkcs1_pem(&good)).unwrap();
    upload(&pkcs8_pem(&good)).unwrap();

    let one = vec![1u8];
    let with = |changes: &[(usize, Vec<u8>)]| {
        let mut f = good.clone();
        for (i, v) in changes {
            f[*i] = v.clone();
        }
        f
    };
    let plus_two = |v: &[u8]| {
        let mut v = v.to_vec();
        let last = v.len() - 1;
        v[last] = v[last].wrapping_add(2);
        v
    };
    let cases: Vec<(&str, Fields, &str)> = vec![
        (
            "d = p = q = 1 (n and e of the certificate)",
            with(&[
                (2, one.clone()),
                (3, one.clone()),
                (4, one.clone()),
                (5, one.clone()),
                (6, one.clone()),
                (7, one.clone()),
            ]),
            "RSA prime not greater than one",
        ),
        (
            "p and q that do not multiply to n",
            with(&[(3, plus_two(&good[3]))]),
            "RSA primes do not multiply to the modulus",
        ),
        (
            "a wrong private exponent",
            with(&[(2, plus_two(&good[2]))]),
            "RSA private exponent does not invert the public exponent",
        ),
        (
            "a wrong dP",
            with(&[(5, plus_two(&good[5]))]),
            "RSA CRT exponent does not match the key",
        ),
        (
            "a wrong dQ",
            with(&[(6, good[5].clone())]),
            "RSA CRT exponent does not match the key",
        ),
        (
            "a wrong qInv",
            with(&[(7, plus_two(&good[7]))]),
            "RSA CRT coefficient does not match the key",
        ),
        (
            "p and q swapped without their CRT values",
            with(&[(3, good[4].clone()), (4, good[3].clone())]),
            "RSA CRT exponent does not match the key",
        ),
        (
            "e = 1",
            with(&[(1, one.clone())]),
            "RSA public exponent out of range",
        ),
        (
            "e of 33 bits",
            with(&[(1, vec![1, 0, 0, 0, 1])]),
            "RSA public exponent out of range",
        ),
    ];
    for (what, fields, why) in &cases {
        for key in [pkcs1_pem(fields), pkcs8_pem(fields)] {
            let e = parse_private_key(&key).unwrap_err();
            assert_eq!(reason(&e), *why, "{what}");
            let e = upload(&key).unwrap_err();
            assert_eq!(e.kind(), ApigErrorKind::InvalidCertOrKey, "{what}");
            assert_eq!(e.apig_code(), "APIG.2106");
        }
    }

    // Sizes are capped before any arithmetic.
    let huge = with(&[(0, vec![0xc5; 2049])]);
    assert_eq!(
        reason(&parse_private_key(&pkcs1_pem(&huge)).unwrap_err()),
        "RSA key larger than 16384 bits"
    );
}

fn cert_with_serial(serial: &[u8]) -> String {
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params = rcgen::CertificateParams::new(vec!["s.example.com".to_owned()]).unwrap();
    params.serial_number = Some(rcgen::SerialNumber::from_slice(serial));
    params.self_signed(&key).unwrap().pem()
}

#[test]
fn serial_numbers_are_capped_before_the_decimal_conversion() {
    for len in [1usize, 20, 32, MAX_SERIAL_OCTETS] {
        let mut serial = vec![0x5a; len];
        serial[0] = 0x11;
        let info = &parse_certificates(&cert_with_serial(&serial)).unwrap()[0];
        assert!(!info.serial_number.is_empty(), "{len}");
        assert!(
            info.serial_number.bytes().all(|b| b.is_ascii_digit()),
            "{len}"
        );
    }
    // A 65-octet serial, and one of 40,000 octets (which took seconds to
    // convert before the cap), are refused as malformed certificates.
    for len in [MAX_SERIAL_OCTETS + 1, 40_000] {
        let mut serial = vec![0x5a; len];
        serial[0] = 0x11;
        let e = parse_certificates(&cert_with_serial(&serial)).unwrap_err();
        assert!(
            matches!(
                e,
                Error::InvalidCertificate {
                    reason: "serial number longer than 64 octets",
                    ..
                }
            ),
            "{len}: {e:?}"
        );
        assert_eq!(e.kind(), ApigErrorKind::InvalidCertOrKey);
    }
}

#[test]
fn every_error_kind_has_its_published_code_and_message() {
    let kinds = [
        (ApigErrorKind::KeyMismatch, "APIG.2101"),
        (ApigErrorKind::Expired, "APIG.2102"),
        (ApigErrorKind::ChainMismatch, "APIG.2104"),
        (ApigErrorKind::EncryptedKey, "APIG.2105"),
        (ApigErrorKind::InvalidCertOrKey, "APIG.2106"),
    ];
    for (k, code) in kinds {
        assert_eq!(k.as_str(), code);
        assert!(!k.message().is_empty());
    }
    assert_eq!(Error::KeyMismatch.kind(), ApigErrorKind::KeyMismatch);
    assert_eq!(Error::EncryptedPrivateKey.apig_code(), "APIG.2105");
}

const OID_P224: &[u8] = &[0x2b, 0x81, 0x04, 0x00, 0x21];
const OID_P256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
const OID_SM2: &[u8] = &[0x2a, 0x81, 0x1c, 0xcf, 0x55, 0x01, 0x82, 0x2d];

/// `(scalar, embedded point)` of a SEC1 or PKCS#8 EC key.
fn ec_parts(key_pem: &str) -> (Vec<u8>, Vec<u8>) {
    let der = pem_der(key_pem);
    let sec1_der = match pkcs8::PrivateKeyInfoRef::try_from(der.as_slice()) {
        Ok(info) => info.private_key.as_bytes().to_vec(),
        Err(_) => der,
    };
    let k = sec1::EcPrivateKey::try_from(sec1_der.as_slice()).unwrap();
    (k.private_key.to_vec(), k.public_key.unwrap().to_vec())
}

/// A SEC1 `EC PRIVATE KEY` from its parts.
fn sec1_pem(scalar: &[u8], curve_oid: &[u8], point: Option<&[u8]>) -> String {
    let mut body = [
        tlv(0x02, &[1]),
        tlv(0x04, scalar),
        tlv(0xa0, &tlv(0x06, curve_oid)),
    ]
    .concat();
    if let Some(p) = point {
        body.extend(tlv(0xa1, &tlv(0x03, &[&[0u8][..], p].concat())));
    }
    pem("EC PRIVATE KEY", &tlv(0x30, &body))
}

#[test]
fn ec_keys_carry_the_point_their_scalar_gives() {
    for (cert, key, other, oid) in [
        (
            "ec-p224.crt",
            "ec-p224-sec1.key",
            "other-p224.key",
            OID_P224,
        ),
        (
            "ec-p256.crt",
            "ec-p256-sec1.key",
            "other-p256.key",
            OID_P256,
        ),
    ] {
        let cert = read(&format!("generated/{cert}"));
        let upload = |key: &str| check_with(&cert, key);
        let (scalar, point) = ec_parts(&read(&format!("generated/{key}")));
        let (other_scalar, _) = ec_parts(&read(&format!("generated/{other}")));
        // The real key, with and without its embedded point, matches.
        upload(&sec1_pem(&scalar, oid, Some(&point))).unwrap();
        upload(&sec1_pem(&scalar, oid, None)).unwrap();
        // Another scalar carrying the certificate's point is refused.
        let forged = sec1_pem(&other_scalar, oid, Some(&point));
        assert_eq!(
            reason(&parse_private_key(&forged).unwrap_err()),
            "embedded public key does not match the private key"
        );
        assert_eq!(
            upload(&forged).unwrap_err().kind(),
            ApigErrorKind::InvalidCertOrKey
        );
        // Without an embedded point, another scalar is just another key.
        assert_eq!(
            upload(&sec1_pem(&other_scalar, oid, None)).unwrap_err(),
            Error::KeyMismatch
        );
    }
    // P-224 without its public key parses (it used to need the point).
    let k = parse_private_key(&read("generated/ec-p224-sec1-nopub.key")).unwrap();
    assert_eq!(k.algorithm_type(), cert_parse::KeyFamily::Ecc);
}

#[test]
fn sm2_keys_derive_the_point_openssl_reports() {
    let key = read("generated/sm2-pkcs8.key");
    assert_eq!(
        parse_private_key(&key).unwrap().algorithm_type(),
        cert_parse::KeyFamily::Sm2
    );
    let (scalar, embedded) = ec_parts(&key);
    let hex = read("generated/sm2-pkcs8.pub.hex");
    let openssl_point: Vec<u8> = (0..hex.trim().len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex.trim()[i..i + 2], 16).unwrap())
        .collect();
    assert_eq!(embedded, openssl_point);
    // Accepted with OpenSSL's point: so the derived point is that point.
    parse_private_key(&sec1_pem(&scalar, OID_SM2, Some(&openssl_point))).unwrap();
    parse_private_key(&sec1_pem(&scalar, OID_SM2, None)).unwrap();
    let mut other = openssl_point.clone();
    other[64] ^= 1;
    assert_eq!(
        reason(&parse_private_key(&sec1_pem(&scalar, OID_SM2, Some(&other))).unwrap_err()),
        "embedded public key does not match the private key"
    );
}
