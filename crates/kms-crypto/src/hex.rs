//! Hex on the wire: upper case out, either case in.

use zeroize::Zeroizing;

use crate::error::{Error, Result};

/// Decodes hex (either case, two characters per byte) into a buffer that is
/// zeroized on drop, so it is fit for secrets (a `plain_text` DEK) too.
///
/// # Errors
/// [`Error::InvalidHex`] on an odd length or a non-hex character.
pub fn decode(text: &str) -> Result<Zeroizing<Vec<u8>>> {
    let src = text.as_bytes();
    if src.len() % 2 != 0 {
        return Err(Error::InvalidHex);
    }
    let mut out = Zeroizing::new(vec![0u8; src.len() / 2]);
    base16ct::mixed::decode(src, &mut out[..]).map_err(|_| Error::InvalidHex)?;
    Ok(out)
}

/// Upper-case hex of non-secret bytes.
pub fn encode_upper(bytes: &[u8]) -> String {
    base16ct::upper::encode_string(bytes)
}
