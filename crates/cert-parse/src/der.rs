//! A tiny strict DER reader (cryptobyte-style) for the few places where Go's
//! parser looks at raw bytes: signature AlgorithmIdentifiers, names, SANs,
//! public keys, basicConstraints.

pub(crate) const BOOLEAN: u8 = 0x01;
pub(crate) const INTEGER: u8 = 0x02;
pub(crate) const BIT_STRING: u8 = 0x03;
pub(crate) const OCTET_STRING: u8 = 0x04;
pub(crate) const OID: u8 = 0x06;
pub(crate) const SEQUENCE: u8 = 0x30;
pub(crate) const SET: u8 = 0x31;

/// One tag-length-value element.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Tlv<'a> {
    pub(crate) tag: u8,
    pub(crate) value: &'a [u8],
    /// Header and value together.
    pub(crate) full: &'a [u8],
}

/// Reads one element; `None` on truncation, high tag numbers, indefinite or
/// non-minimal lengths (as Go's cryptobyte does).
pub(crate) fn read(input: &[u8]) -> Option<(Tlv<'_>, &[u8])> {
    let (&tag, rest) = input.split_first()?;
    if tag & 0x1f == 0x1f {
        return None;
    }
    let (&l0, rest) = rest.split_first()?;
    let (len, rest) = if l0 < 0x80 {
        (usize::from(l0), rest)
    } else {
        let n = usize::from(l0 & 0x7f);
        if n == 0 || n > 4 {
            return None;
        }
        let (bytes, rest) = rest.split_at_checked(n)?;
        if bytes.first() == Some(&0) {
            return None;
        }
        let len = bytes
            .iter()
            .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
        if len < 0x80 {
            return None;
        }
        (len, rest)
    };
    let (value, rest) = rest.split_at_checked(len)?;
    let header = input.len() - rest.len() - len;
    let full = input.get(..header + len)?;
    Some((Tlv { tag, value, full }, rest))
}

/// Reads one element that must carry `tag`.
pub(crate) fn expect(input: &[u8], tag: u8) -> Option<(Tlv<'_>, &[u8])> {
    let (tlv, rest) = read(input)?;
    (tlv.tag == tag).then_some((tlv, rest))
}

/// Reads an optional element carrying `tag`.
pub(crate) fn optional(input: &[u8], tag: u8) -> Option<(Option<Tlv<'_>>, &[u8])> {
    match input.first() {
        Some(&t) if t == tag => {
            let (tlv, rest) = read(input)?;
            Some((Some(tlv), rest))
        }
        _ => Some((None, input)),
    }
}

/// Go's `checkASN1Integer`: non-empty and minimally encoded.
pub(crate) fn valid_integer(bytes: &[u8]) -> bool {
    match bytes {
        [] => false,
        [0, b, ..] if b & 0x80 == 0 => false,
        [0xff, b, ..] if b & 0x80 != 0 => false,
        _ => true,
    }
}

/// A minimally encoded INTEGER that is strictly positive, without its
/// leading zero byte.
pub(crate) fn positive_integer(bytes: &[u8]) -> Option<&[u8]> {
    if !valid_integer(bytes) || bytes.first().is_some_and(|b| b & 0x80 != 0) {
        return None;
    }
    let magnitude = bytes.strip_prefix(&[0]).unwrap_or(bytes);
    (!magnitude.is_empty()).then_some(magnitude)
}

/// The content of a BIT STRING that has no unused bits.
pub(crate) fn octet_aligned_bits(value: &[u8]) -> Option<&[u8]> {
    match value.split_first() {
        Some((0, bits)) => Some(bits),
        _ => None,
    }
}

/// Go's `ReadASN1BitString` validity rule.
pub(crate) fn valid_bit_string(value: &[u8]) -> bool {
    match value.split_first() {
        None => false,
        Some((&pad, bits)) => {
            if pad > 7 || (bits.is_empty() && pad != 0) {
                return false;
            }
            bits.last()
                .is_none_or(|last| last & ((1u8 << pad) - 1) == 0)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_must_be_minimal() {
        assert!(read(&[0x04, 0x81, 0x05, 1, 2, 3, 4, 5]).is_none());
        assert!(read(&[0x04, 0x80]).is_none());
        assert!(read(&[0x1f, 0x01, 0x00]).is_none());
        let (tlv, rest) = read(&[0x04, 0x02, 1, 2, 9]).unwrap();
        assert_eq!(
            (tlv.tag, tlv.value, tlv.full, rest),
            (4, &[1u8, 2][..], &[4u8, 2, 1, 2][..], &[9u8][..])
        );
    }

    #[test]
    fn integers() {
        assert!(!valid_integer(&[]));
        assert!(!valid_integer(&[0, 1]));
        assert!(!valid_integer(&[0xff, 0x80]));
        assert!(valid_integer(&[0, 0x80]));
        assert_eq!(positive_integer(&[0, 0x80]), Some(&[0x80u8][..]));
        assert_eq!(positive_integer(&[0]), None);
        assert_eq!(positive_integer(&[0x80]), None);
    }

    #[test]
    fn bit_strings() {
        assert!(valid_bit_string(&[0]));
        assert!(!valid_bit_string(&[1]));
        assert!(!valid_bit_string(&[8, 0]));
        assert!(valid_bit_string(&[1, 0b10]));
        assert!(!valid_bit_string(&[1, 0b11]));
    }
}
