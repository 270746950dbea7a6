//! Fuzz targets of cert-parse: PEM/DER to certificate fields, private-key
//! PEM to key, and the whole create-certificate check.

/// `(binary name, body)` for each cert-parse target.
pub const TARGETS: &[(&str, crate::FuzzFn)] = &[
    ("cert_fields", cert_fields),
    ("cert_private_key", cert_private_key),
    ("cert_create_check", cert_create_check),
];

/// A fixed check time (2027-01-15T08:00:00Z): the library reads no clock.
const AT: i64 = 1_800_000_000;

fn base64(data: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn pem(label: &str, der: &[u8]) -> String {
    format!(
        "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
        base64(der)
    )
}

fn check_error(e: &cert_parse::Error) {
    assert!(e.apig_code().starts_with("APIG.21"));
    assert_eq!(e.http_status(), 400);
    assert!(!e.apig_message().is_empty());
}

fn check_info(info: &cert_parse::CertificateInfo) {
    assert!((1..=3).contains(&info.version));
    assert!(info.not_before.ends_with('Z') && info.not_after.ends_with('Z'));
    assert!(!info.signature_algorithm.is_empty());
    assert!(!info.serial_number.is_empty());
}

/// The bytes as PEM text (every certificate's fields), and as one DER
/// certificate, bare and wrapped in PEM.
pub fn cert_fields(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    match cert_parse::parse_certificates(&text) {
        Ok(infos) => infos.iter().for_each(check_info),
        Err(e) => check_error(&e),
    }
    if let Err(e) = cert_parse::check_ca_certificate(&text) {
        check_error(&e);
    }
    let der = cert_parse::parse_certificate_der(data);
    match &der {
        Ok(info) => check_info(info),
        Err(e) => check_error(e),
    }
    // The same DER through the PEM path must give the same answer (below
    // the PEM size cap).
    if data.len() > 40_000 {
        return;
    }
    let via_pem = cert_parse::parse_certificates(&pem("CERTIFICATE", data));
    match (der, via_pem) {
        (Ok(a), Ok(b)) => assert_eq!(vec![a], b),
        (Err(_), Err(_)) => {}
        (a, b) => panic!("DER and PEM paths disagree: {a:?} / {b:?}"),
    }
}

/// The bytes as a private-key PEM text, and (first byte picks the label)
/// the rest as the DER body of a key block.
pub fn cert_private_key(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if let Err(e) = cert_parse::parse_private_key(&text) {
        check_error(&e);
    }
    if let Some((&selector, der)) = data.split_first() {
        let label = [
            "PRIVATE KEY",
            "RSA PRIVATE KEY",
            "EC PRIVATE KEY",
            "ENCRYPTED PRIVATE KEY",
        ][usize::from(selector % 4)];
        match cert_parse::parse_private_key(&pem(label, der)) {
            Ok(key) => {
                assert_ne!(label, "ENCRYPTED PRIVATE KEY");
                let debug = format!("{key:?}");
                assert!(debug.starts_with("PrivateKey {"));
            }
            Err(e) => check_error(&e),
        }
    }
}

/// `cert_content NUL private_key [NUL trusted_root_ca]`, checked at a fixed time.
pub fn cert_create_check(data: &[u8]) {
    let mut parts = data.splitn(3, |&b| b == 0);
    let cert = String::from_utf8_lossy(parts.next().unwrap_or_default());
    let key = String::from_utf8_lossy(parts.next().unwrap_or_default());
    let root = parts.next().map(String::from_utf8_lossy);
    let upload = cert_parse::CertificateUpload {
        cert_content: &cert,
        private_key: &key,
        trusted_root_ca: root.as_deref(),
    };
    match cert_parse::check_certificate(&upload, AT) {
        Ok(record) => {
            check_info(&record.leaf);
            assert!(record.algorithm_type.is_some());
            assert!(record.chain_len >= 1);
            assert!(!record.is_has_trusted_root_ca || root.is_some());
        }
        Err(e) => check_error(&e),
    }
    if let Err(e) = cert_parse::check_chain(&cert, root.as_deref(), AT) {
        check_error(&e);
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn base64_matches_rfc4648() {
        assert_eq!(super::base64(b""), "");
        assert_eq!(super::base64(b"f"), "Zg==");
        assert_eq!(super::base64(b"fo"), "Zm8=");
        assert_eq!(super::base64(b"foo"), "Zm9v");
        assert_eq!(super::base64(b"foobar"), "Zm9vYmFy");
    }
}
