//! PINs (create-pin).

#[allow(clippy::wildcard_imports, unused_imports)]
use super::*;
#[allow(clippy::wildcard_imports, unused_imports)]
use crate::body::*;

// ---------------------------------------------------------------- wire bodies
/// Body of `POST /v1.0/{project_id}/kms/create-pin`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatePinRequestBody {
    /// `PlainText | CipherText`, default `CipherText`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pin_type: Option<String>,
    /// `"1"`, `"2"` or a dedicated keystore id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keystore_id: Option<LooseString>,
}

/// Response of create PIN. The PIN is secret: `Debug` is redacted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatePinResponseBody {
    /// The PIN, hex (plain) or a sealed blob, hex.
    #[serde(serialize_with = "Secret::serialize_exposed")]
    pub pin: Secret<String>,
}

// ---------------------------------------------------------------- validated requests
/// A validated create-PIN request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CreatePinRequest {
    /// How to return the PIN.
    pub pin_type: PinType,
    /// The keystore that seals it; mandatory for `CipherText`.
    pub keystore: Option<KeystoreRef>,
}

impl CreatePinRequest {
    /// `pin_type` defaults to `CipherText`, which requires `keystore_id`.
    ///
    /// # Errors
    /// Bad `pin_type` or `keystore_id`, or no `keystore_id` for a ciphertext PIN.
    pub fn from_body(b: &CreatePinRequestBody) -> Result<Self> {
        let pin_type = opt_str(&b.pin_type)
            .map(PinType::parse)
            .transpose()?
            .unwrap_or_default();
        let keystore = opt_loose(&b.keystore_id)
            .map(KeystoreRef::parse)
            .transpose()?;
        if pin_type == PinType::CipherText && keystore.is_none() {
            return Err(ValidationError::missing("keystore_id"));
        }
        Ok(Self { pin_type, keystore })
    }

    /// Decodes and validates a JSON body.
    ///
    /// # Errors
    /// As [`decode_body`] and [`CreatePinRequest::from_body`].
    pub fn from_json(bytes: &[u8]) -> Result<Self> {
        Self::from_body(&decode_body(bytes)?)
    }
}

/// A PIN presented with a DEK request. The value is secret.
#[derive(Clone, PartialEq, Eq)]
pub struct PresentedPin {
    /// The decoded PIN bytes (plain) or sealed blob bytes (ciphertext).
    pub bytes: Zeroizing<Vec<u8>>,
    /// How it is presented.
    pub pin_type: PinType,
}

impl fmt::Debug for PresentedPin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PresentedPin({:?}, <redacted>)", self.pin_type)
    }
}

impl Serialize for PresentedPin {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("PresentedPin", 2)?;
        st.serialize_field("pin", "<redacted>")?;
        st.serialize_field("pin_type", &self.pin_type)?;
        st.end()
    }
}

pub(crate) fn presented_pin(
    pin: &Option<Secret<String>>,
    pin_type: &Option<String>,
) -> Result<Option<PresentedPin>> {
    let pin_type = opt_str(pin_type)
        .map(PinType::parse)
        .transpose()?
        .unwrap_or_default();
    pin.as_ref()
        .map(|p| {
            decode_hex("pin", p.expose(), MAX_PIN_BYTES)
                .map(|bytes| PresentedPin { bytes, pin_type })
        })
        .transpose()
}
