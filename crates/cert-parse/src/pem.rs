//! Tolerant PEM reading: what users paste into a JSON form.
//!
//! Accepted on top of RFC 7468: CRLF line ends, surrounding whitespace, the
//! literal two-character `\n` (and `\r`) sequences left by JSON escaping, a
//! surrounding pair of single quotes (as in the API's own example), header
//! and body on one line, and text outside the blocks (OpenSSL's
//! `Bag Attributes`, `subject=` lines). Legacy RFC 1421 headers are skipped,
//! except that `Proc-Type: 4,ENCRYPTED` is reported as encryption.

use std::borrow::Cow;

use zeroize::Zeroizing;

/// One `-----BEGIN label-----` … `-----END label-----` block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Block<'a> {
    pub(crate) label: &'a str,
    body: &'a str,
}

/// Why a PEM text or block was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PemError {
    /// A BEGIN line without its END line, or a malformed marker.
    Framing,
    /// Base64 that does not decode.
    Base64,
    /// A `Proc-Type: 4,ENCRYPTED` header.
    Encrypted,
}

impl PemError {
    pub(crate) fn reason(self) -> &'static str {
        match self {
            Self::Framing => "malformed PEM framing",
            Self::Base64 => "invalid base64 in PEM body",
            Self::Encrypted => "encrypted PEM block",
        }
    }
}

const BEGIN: &str = "-----BEGIN ";
const END: &str = "-----END ";
const DASHES: &str = "-----";

/// Undoes the usual damage: surrounding whitespace and quotes, literal `\n`.
pub(crate) fn normalize(input: &str) -> Cow<'_, str> {
    let mut s = input;
    loop {
        let before = s.len();
        s = s.trim();
        for lit in ["\\r\\n", "\\n", "\\r"] {
            while let Some(rest) = s.strip_suffix(lit) {
                s = rest;
            }
            while let Some(rest) = s.strip_prefix(lit) {
                s = rest;
            }
        }
        if s.len() >= 2 && s.starts_with('\'') && s.ends_with('\'') {
            s = &s[1..s.len() - 1];
        }
        if s.len() == before {
            break;
        }
    }
    if s.contains('\\') {
        Cow::Owned(
            s.replace("\\r\\n", "\n")
                .replace("\\n", "\n")
                .replace("\\r", "\n"),
        )
    } else {
        Cow::Borrowed(s)
    }
}

/// Copies the base64 text without the blanks at its line ends: one
/// `memchr` pass and one `memcpy` per line. `out` must have the capacity
/// of `payload`, so that it never reallocates (which would leave copies of
/// a secret behind).
fn compact_lines(payload: &str, out: &mut Vec<u8>) {
    out.clear();
    for line in payload.lines() {
        out.extend_from_slice(line.trim_ascii().as_bytes());
    }
}

/// Copies the base64 text without any whitespace (blanks inside lines too).
fn compact_all(payload: &str, out: &mut Vec<u8>) {
    out.clear();
    out.extend(payload.bytes().filter(|b| !b.is_ascii_whitespace()));
}

/// Iterates over the blocks of a normalized text.
pub(crate) struct Blocks<'a> {
    rest: &'a str,
}

pub(crate) fn blocks(text: &str) -> Blocks<'_> {
    Blocks { rest: text }
}

impl<'a> Iterator for Blocks<'a> {
    type Item = Result<Block<'a>, PemError>;

    fn next(&mut self) -> Option<Self::Item> {
        let start = self.rest.find(BEGIN)?;
        let after = &self.rest[start + BEGIN.len()..];
        let result = (|| {
            let label_end = after.find(DASHES).ok_or(PemError::Framing)?;
            let label = &after[..label_end];
            if label.is_empty()
                || label.len() > 64
                || label.bytes().any(|b| !(0x20..0x7f).contains(&b))
            {
                return Err(PemError::Framing);
            }
            let body_and_rest = &after[label_end + DASHES.len()..];
            let end = body_and_rest.find(END).ok_or(PemError::Framing)?;
            let body = &body_and_rest[..end];
            let tail = &body_and_rest[end + END.len()..];
            let tail = tail.strip_prefix(label).ok_or(PemError::Framing)?;
            let tail = tail.strip_prefix(DASHES).ok_or(PemError::Framing)?;
            Ok((Block { label, body }, tail))
        })();
        match result {
            Ok((block, tail)) => {
                self.rest = tail;
                Some(Ok(block))
            }
            Err(e) => {
                self.rest = "";
                Some(Err(e))
            }
        }
    }
}

impl Block<'_> {
    /// The base64 text of the body, legacy headers removed.
    fn payload(&self) -> Result<&str, PemError> {
        if !self.body.contains(':') {
            return Ok(self.body);
        }
        // RFC 1421 headers: `Name: value` lines, then an empty line.
        let mut rest = self.body.trim_start_matches(['\r', '\n']);
        let mut saw_header = false;
        loop {
            let (line, next) = match rest.find('\n') {
                Some(i) => (&rest[..i], &rest[i + 1..]),
                None => return Err(PemError::Framing),
            };
            let line = line.trim_end_matches('\r');
            if let Some((name, value)) = line.split_once(':') {
                saw_header = true;
                if name.trim().eq_ignore_ascii_case("Proc-Type") && value.contains("ENCRYPTED") {
                    return Err(PemError::Encrypted);
                }
                rest = next;
            } else if line.trim().is_empty() && saw_header {
                return Ok(next);
            } else if saw_header {
                // Headers without the separating empty line.
                return Ok(rest);
            } else {
                return Err(PemError::Framing);
            }
        }
    }

    /// Decodes a public body (certificates).
    pub(crate) fn decode(&self) -> Result<Vec<u8>, PemError> {
        let payload = self.payload()?;
        let mut compact = Vec::with_capacity(payload.len());
        compact_lines(payload, &mut compact);
        if let Ok(der) = data_encoding::BASE64.decode(&compact) {
            return Ok(der);
        }
        compact_all(payload, &mut compact);
        data_encoding::BASE64
            .decode(&compact)
            .map_err(|_| PemError::Base64)
    }

    /// Decodes a secret body (private keys) in constant time, into buffers
    /// that are zeroized on drop.
    pub(crate) fn decode_secret(&self) -> Result<Zeroizing<Vec<u8>>, PemError> {
        let payload = self.payload()?;
        let mut compact = Zeroizing::new(Vec::with_capacity(payload.len()));
        let mut out = Zeroizing::new(vec![0u8; payload.len() / 4 * 3 + 3]);
        let decode = |compact: &[u8], out: &mut [u8]| {
            <base64ct::Base64 as base64ct::Encoding>::decode(compact, out).map(<[u8]>::len)
        };
        compact_lines(payload, &mut compact);
        let len = match decode(&compact, &mut out) {
            Ok(len) => len,
            Err(_) => {
                compact_all(payload, &mut compact);
                decode(&compact, &mut out).map_err(|_| PemError::Base64)?
            }
        };
        out.truncate(len);
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_strips_quotes_and_literal_newlines() {
        let s = normalize("  '-----BEGIN X-----QUJD-----END X-----\\n'  ");
        assert_eq!(s, "-----BEGIN X-----QUJD-----END X-----");
        let s = normalize("-----BEGIN X-----\\nQUJD\\n-----END X-----\\n");
        assert_eq!(s, "-----BEGIN X-----\nQUJD\n-----END X-----");
    }

    #[test]
    fn one_line_block_decodes() {
        let text = normalize("'-----BEGIN X-----QUJD-----END X-----\\n'");
        let blocks: Vec<_> = blocks(&text).collect::<Result<_, _>>().unwrap();
        assert_eq!(blocks.len(), 1);
        assert_eq!(blocks[0].label, "X");
        assert_eq!(blocks[0].decode().unwrap(), b"ABC");
        assert_eq!(blocks[0].decode_secret().unwrap().as_slice(), b"ABC");
    }

    #[test]
    fn framing_errors() {
        assert_eq!(
            blocks("-----BEGIN X-----QUJD").next(),
            Some(Err(PemError::Framing))
        );
        assert_eq!(
            blocks("-----BEGIN X-----QUJD-----END Y-----").next(),
            Some(Err(PemError::Framing))
        );
        assert!(blocks("no pem here").next().is_none());
    }

    #[test]
    fn proc_type_encrypted_is_reported() {
        let text = "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\nQUJD\n-----END RSA PRIVATE KEY-----";
        let b = blocks(text).next().unwrap().unwrap();
        assert_eq!(b.decode_secret().err(), Some(PemError::Encrypted));
        let text = "-----BEGIN X-----\r\nComment: hi\r\n\r\nQUJD\r\n-----END X-----";
        let b = blocks(text).next().unwrap().unwrap();
        assert_eq!(b.decode().unwrap(), b"ABC");
    }

    #[test]
    fn blanks_inside_lines_are_skipped() {
        let text = "-----BEGIN X-----\nQU JD\tRE\n VG\n-----END X-----";
        let b = blocks(text).next().unwrap().unwrap();
        assert_eq!(b.decode().unwrap(), b"ABCDEF");
        assert_eq!(b.decode_secret().unwrap().as_slice(), b"ABCDEF");
    }
}
