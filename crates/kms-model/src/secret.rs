//! A secret field of a wire body: a plaintext DEK, a PIN, a private key.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use subtle::ConstantTimeEq;
use zeroize::Zeroize;

/// A secret wire value. Wiped when dropped, `Debug` prints `<redacted>`,
/// compared in constant time (for equal lengths), and serialised only
/// where a field says so explicitly
/// (`#[serde(serialize_with = "Secret::serialize_exposed")]`): a body
/// that derives `Serialize` cannot put it on the wire by accident.
#[derive(Clone, Default)]
pub struct Secret<T: Zeroize>(T);

impl<T: Zeroize> Secret<T> {
    /// Wraps a value.
    pub const fn new(value: T) -> Self {
        Self(value)
    }

    /// The value, to use it (encode it, hand it to the crypto).
    pub const fn expose(&self) -> &T {
        &self.0
    }

    /// The value itself, leaving a default (empty) one to be wiped.
    #[must_use]
    pub fn expose_owned(mut self) -> T
    where
        T: Default,
    {
        std::mem::take(&mut self.0)
    }

    /// `serialize_with` of a field that carries a secret on the wire.
    ///
    /// # Errors
    /// The serialiser's.
    pub fn serialize_exposed<S: Serializer>(secret: &Self, s: S) -> Result<S::Ok, S::Error>
    where
        T: Serialize,
    {
        secret.0.serialize(s)
    }

    /// `serialize_with` of an optional field that carries a secret.
    ///
    /// # Errors
    /// The serialiser's.
    pub fn serialize_exposed_opt<S: Serializer>(
        secret: &Option<Self>,
        s: S,
    ) -> Result<S::Ok, S::Error>
    where
        T: Serialize,
    {
        secret.as_ref().map(|v| &v.0).serialize(s)
    }
}

impl<T: Zeroize> Drop for Secret<T> {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl<T: Zeroize> fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl<T: Zeroize + AsRef<[u8]>> PartialEq for Secret<T> {
    fn eq(&self, other: &Self) -> bool {
        self.0.as_ref().ct_eq(other.0.as_ref()).into()
    }
}

impl<T: Zeroize + AsRef<[u8]>> Eq for Secret<T> {}

impl<'de, T: Zeroize + Deserialize<'de>> Deserialize<'de> for Secret<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        T::deserialize(d).map(Self)
    }
}

impl From<String> for Secret<String> {
    fn from(s: String) -> Self {
        Self(s)
    }
}

impl From<&str> for Secret<String> {
    fn from(s: &str) -> Self {
        Self(s.to_owned())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[derive(Serialize, Deserialize, Debug, PartialEq, Eq)]
    struct Body {
        #[serde(serialize_with = "Secret::serialize_exposed")]
        plain_text: Secret<String>,
        #[serde(
            default,
            skip_serializing_if = "Option::is_none",
            serialize_with = "Secret::serialize_exposed_opt"
        )]
        pin: Option<Secret<String>>,
    }

    #[test]
    fn redacted_in_debug_and_on_the_wire_only_where_the_field_says() {
        let b: Body = serde_json::from_str(r#"{"plain_text":"00ff","pin":"1234"}"#).unwrap();
        assert_eq!(b.plain_text.expose(), "00ff");
        let dbg = format!("{b:?}");
        assert!(!dbg.contains("00ff") && !dbg.contains("1234"), "{dbg}");
        assert_eq!(
            serde_json::to_string(&b).unwrap(),
            r#"{"plain_text":"00ff","pin":"1234"}"#
        );
        let none: Body = serde_json::from_str(r#"{"plain_text":""}"#).unwrap();
        assert_eq!(
            serde_json::to_string(&none).unwrap(),
            r#"{"plain_text":""}"#
        );
    }

    #[test]
    fn equality_and_expose_owned() {
        let a = Secret::from("abc");
        assert_eq!(a, Secret::from("abc"));
        assert_ne!(a, Secret::from("abd"));
        assert_ne!(a, Secret::from("ab"));
        assert_eq!(a.expose_owned(), "abc");
    }
}
