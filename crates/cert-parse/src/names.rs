//! Distinguished names and SAN entries with Go `crypto/x509` semantics.

use crate::der;

/// The subject (or issuer) values that the certificate record reports.
#[derive(Debug, Default)]
pub(crate) struct NameFields {
    pub(crate) common_name: String,
    pub(crate) organization: Vec<String>,
    pub(crate) organizational_unit: Vec<String>,
    pub(crate) locality: Vec<String>,
    pub(crate) state: Vec<String>,
    pub(crate) country: Vec<String>,
}

/// Which attributes to keep (every value is validated either way).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Keep {
    /// Everything the subject reports.
    Subject,
    /// Only the organization values (the issuer's).
    OrganizationOnly,
}

const UTF8_STRING: u8 = 0x0c;
const NUMERIC_STRING: u8 = 0x12;
const PRINTABLE_STRING: u8 = 0x13;
const T61_STRING: u8 = 0x14;
const IA5_STRING: u8 = 0x16;
const BMP_STRING: u8 = 0x1e;

/// Go's `isPrintable`, including its tolerance of `*` and `&`.
fn is_printable(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b' ' | b'\''
                | b'('
                | b')'
                | b'+'
                | b','
                | b'-'
                | b'.'
                | b'/'
                | b':'
                | b'='
                | b'?'
                | b'*'
                | b'&'
        )
}

/// Go's `parseASN1String`: the accepted string types and their checks.
/// T61String is read as Latin-1.
pub(crate) fn parse_string(tag: u8, value: &[u8]) -> Result<String, &'static str> {
    match tag {
        T61_STRING => Ok(value.iter().map(|&b| char::from(b)).collect()),
        PRINTABLE_STRING => {
            if value.iter().all(|&b| is_printable(b)) {
                Ok(ascii(value))
            } else {
                Err("invalid PrintableString")
            }
        }
        UTF8_STRING => core::str::from_utf8(value)
            .map(str::to_owned)
            .map_err(|_| "invalid UTF-8 string"),
        BMP_STRING => {
            if value.len() % 2 != 0 {
                return Err("invalid BMPString");
            }
            let value = value.strip_suffix(&[0, 0]).unwrap_or(value);
            let units = value
                .chunks_exact(2)
                .map(|c| u16::from_be_bytes([c[0], c[1]]));
            Ok(char::decode_utf16(units)
                .map(|r| r.unwrap_or(char::REPLACEMENT_CHARACTER))
                .collect())
        }
        IA5_STRING => {
            if value.is_ascii() {
                Ok(ascii(value))
            } else {
                Err("invalid IA5String")
            }
        }
        NUMERIC_STRING => {
            if value.iter().all(|&b| b.is_ascii_digit() || b == b' ') {
                Ok(ascii(value))
            } else {
                Err("invalid NumericString")
            }
        }
        _ => Err("unsupported string type in name"),
    }
}

/// Bytes already checked to be ASCII.
fn ascii(value: &[u8]) -> String {
    core::str::from_utf8(value)
        .map(str::to_owned)
        .unwrap_or_default()
}

/// Go's `parseName` followed by `pkix.Name.FillFromRDNSequence`.
pub(crate) fn parse_name(raw: &[u8], keep: Keep) -> Result<NameFields, &'static str> {
    const INVALID: &str = "invalid RDNSequence";
    let (seq, _) = der::expect(raw, der::SEQUENCE).ok_or(INVALID)?;
    let mut out = NameFields::default();
    let mut rdns = seq.value;
    while !rdns.is_empty() {
        let (set, rest) = der::expect(rdns, der::SET).ok_or(INVALID)?;
        rdns = rest;
        let mut atvs = set.value;
        while !atvs.is_empty() {
            let (atv, rest) =
                der::expect(atvs, der::SEQUENCE).ok_or("invalid RDNSequence: invalid attribute")?;
            atvs = rest;
            let (oid, rest) = der::expect(atv.value, der::OID)
                .ok_or("invalid RDNSequence: invalid attribute type")?;
            if oid.value.is_empty() {
                return Err("invalid RDNSequence: invalid attribute type");
            }
            let (value, _) =
                der::read(rest).ok_or("invalid RDNSequence: failed to read attribute value")?;
            // Only attributes under 2.5.4 (encoded 0x55 0x04 n) are reported.
            let slot = match (keep, oid.value) {
                (Keep::Subject, [0x55, 0x04, 3]) => None,
                (Keep::Subject, [0x55, 0x04, 6]) => Some(&mut out.country),
                (Keep::Subject, [0x55, 0x04, 7]) => Some(&mut out.locality),
                (Keep::Subject, [0x55, 0x04, 8]) => Some(&mut out.state),
                (_, [0x55, 0x04, 10]) => Some(&mut out.organization),
                (Keep::Subject, [0x55, 0x04, 11]) => Some(&mut out.organizational_unit),
                _ => {
                    // Validate, then drop.
                    if !is_valid_string(value.tag, value.value) {
                        return Err("invalid RDNSequence: invalid attribute value");
                    }
                    continue;
                }
            };
            let text = parse_string(value.tag, value.value)?;
            match slot {
                Some(list) => list.push(text),
                None => out.common_name = text,
            }
        }
    }
    Ok(out)
}

/// [`parse_string`] without building the string.
fn is_valid_string(tag: u8, value: &[u8]) -> bool {
    match tag {
        T61_STRING => true,
        PRINTABLE_STRING => value.iter().all(|&b| is_printable(b)),
        UTF8_STRING => core::str::from_utf8(value).is_ok(),
        BMP_STRING => value.len() % 2 == 0,
        IA5_STRING => value.is_ascii(),
        NUMERIC_STRING => value.iter().all(|&b| b.is_ascii_digit() || b == b' '),
        _ => false,
    }
}

/// Go's `parseSANExtension`, keeping DNS names then IP addresses.
pub(crate) fn parse_san(ext_value: &[u8]) -> Result<Vec<String>, &'static str> {
    let (seq, _) =
        der::expect(ext_value, der::SEQUENCE).ok_or("invalid subject alternative names")?;
    let mut dns = Vec::new();
    let mut ips = Vec::new();
    let mut rest = seq.value;
    while !rest.is_empty() {
        let (name, next) = der::read(rest).ok_or("invalid subject alternative name")?;
        rest = next;
        match name.tag ^ 0x80 {
            1 if !name.value.is_ascii() => return Err("SAN rfc822Name is malformed"),
            2 => {
                if !name.value.is_ascii() {
                    return Err("SAN dNSName is malformed");
                }
                dns.push(ascii(name.value));
            }
            6 if !name.value.is_ascii() => {
                return Err("SAN uniformResourceIdentifier is malformed");
            }
            7 => ips.push(format_ip(name.value).ok_or("cannot parse IP address")?),
            _ => {}
        }
    }
    dns.extend(ips);
    Ok(dns)
}

/// Go's `net.IP.String()` for 4- and 16-byte addresses.
pub(crate) fn format_ip(bytes: &[u8]) -> Option<String> {
    use core::fmt::Write;
    let v4 = match bytes {
        [a, b, c, d] => Some([*a, *b, *c, *d]),
        [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, a, b, c, d] => Some([*a, *b, *c, *d]),
        _ => None,
    };
    if let Some([a, b, c, d]) = v4 {
        return Some(format!("{a}.{b}.{c}.{d}"));
    }
    if bytes.len() != 16 {
        return None;
    }
    let groups: Vec<u16> = bytes
        .chunks_exact(2)
        .map(|c| u16::from_be_bytes([c[0], c[1]]))
        .collect();
    // Longest run of zero groups (at least two), the first one on ties.
    let (mut best_start, mut best_len) = (usize::MAX, 0usize);
    let mut i = 0;
    while i < groups.len() {
        if groups[i] == 0 {
            let start = i;
            while i < groups.len() && groups[i] == 0 {
                i += 1;
            }
            if i - start > best_len && i - start >= 2 {
                (best_start, best_len) = (start, i - start);
            }
        } else {
            i += 1;
        }
    }
    let mut out = String::with_capacity(39);
    let mut i = 0;
    while i < groups.len() {
        if i == best_start {
            out.push_str("::");
            i += best_len;
            continue;
        }
        if i > 0 && !out.ends_with(':') {
            out.push(':');
        }
        let _ = write!(out, "{:x}", groups[i]);
        i += 1;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ip_formatting_matches_go() {
        let v6 = |s: &str| s.parse::<std::net::Ipv6Addr>().unwrap().octets();
        assert_eq!(format_ip(&[192, 0, 2, 1]).unwrap(), "192.0.2.1");
        assert_eq!(
            format_ip(&v6("2001:db8:0:0:1:0:0:1")).unwrap(),
            "2001:db8::1:0:0:1"
        );
        assert_eq!(format_ip(&v6("::102:304")).unwrap(), "::102:304");
        assert_eq!(format_ip(&v6("::ffff:1.2.3.4")).unwrap(), "1.2.3.4");
        assert_eq!(format_ip(&v6("::")).unwrap(), "::");
        assert_eq!(format_ip(&v6("1::")).unwrap(), "1::");
        assert_eq!(
            format_ip(&v6("1:0:1:0:1:0:1:0")).unwrap(),
            "1:0:1:0:1:0:1:0"
        );
        assert_eq!(format_ip(&[1, 2, 3]), None);
    }

    #[test]
    fn strings_follow_go() {
        assert_eq!(parse_string(BMP_STRING, &[0, b'A', 0, 0]).unwrap(), "A");
        assert!(parse_string(PRINTABLE_STRING, b"a&b*").is_ok());
        assert!(parse_string(PRINTABLE_STRING, b"a@b").is_err());
        assert!(parse_string(UTF8_STRING, &[0xff]).is_err());
        assert!(parse_string(0x03, &[0]).is_err());
        assert_eq!(parse_string(T61_STRING, &[0xe9]).unwrap(), "\u{e9}");
    }
}
