//! Data key pairs: create-rsa-datakey-pair and create-ec-datakey-pair (an
//! asymmetric key pair for use outside the service, its private key
//! returned encrypted under a symmetric CMK and, unless refused, in clear).

#[allow(clippy::wildcard_imports, unused_imports)]
use super::*;
#[allow(clippy::wildcard_imports, unused_imports)]
use crate::body::*;

// ---------------------------------------------------------------- wire bodies
/// Body of `POST /v1.0/{project_id}/kms/create-rsa-datakey-pair`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateRsaDatakeyPairRequestBody {
    /// The symmetric CMK that encrypts the private key.
    pub key_id: String,
    /// `RSA_2048 | RSA_3072 | RSA_4096`.
    pub key_spec: String,
    /// Whether the private key is returned in clear too (default true);
    /// a JSON boolean, or the strings `"true"` / `"false"`.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "bool_or_string"
    )]
    pub with_plain_text: Option<bool>,
    /// At most 128 bytes, bound to the private key's ciphertext.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub additional_authenticated_data: Option<String>,
    /// 36-byte request serial number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sequence: Option<String>,
}

/// Body of `POST /v1.0/{project_id}/kms/create-ec-datakey-pair`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateEcDatakeyPairRequestBody {
    /// The symmetric CMK that encrypts the private key.
    pub key_id: String,
    /// `ECC_NIST_P256 | ECC_NIST_P384 | ECC_NIST_P521 | ECC_SECG_P256K1 |
    /// SM2`.
    pub key_spec: String,
    /// Whether the private key is returned in clear too (default true);
    /// a JSON boolean, or the strings `"true"` / `"false"`.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "bool_or_string"
    )]
    pub with_plain_text: Option<bool>,
    /// At most 128 bytes, bound to the private key's ciphertext.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub additional_authenticated_data: Option<String>,
    /// 36-byte request serial number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sequence: Option<String>,
    /// A PIN (plain hex or sealed blob hex), checked against the CMK's
    /// keystore as for create-datakey.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "Secret::serialize_exposed_opt"
    )]
    pub pin: Option<Secret<String>>,
    /// `PlainText | CipherText`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pin_type: Option<String>,
}

/// Response of create-rsa-datakey-pair and create-ec-datakey-pair (the
/// SDK's `CreateRsaDatakeyPairResponse` and `CreateEcDatakeyPairResponse`,
/// the same fields). Holds the private key in clear unless
/// `with_plain_text` was false: `Debug` is redacted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateDatakeyPairResponseBody {
    /// The CMK that encrypted the private key.
    pub key_id: String,
    /// The pair's spec (`RSA_2048`, `ECC_NIST_P256`, ...).
    pub key_spec: String,
    /// The public key: standard base64 of DER SubjectPublicKeyInfo.
    pub public_key: String,
    /// The private key encrypted under the CMK: a data blob, standard
    /// base64, which decrypt-data opens (its `plain_text_base64` is the
    /// PKCS#8 DER; docs/ciphertext-format.md).
    pub private_key_cipher_text: String,
    /// The private key: standard base64 of PKCS#8 DER; absent when
    /// `with_plain_text` was false.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "Secret::serialize_exposed_opt"
    )]
    pub private_key_plain_text: Option<Secret<String>>,
    /// The private key wrapped by a caller's key: never set (no request
    /// field asks for it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wrapped_private_key: Option<String>,
    /// The private key encrypted to an enclave's key: never set (no
    /// request field asks for it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ciphertext_recipient: Option<String>,
}

/// A JSON boolean, or the strings `"true"` / `"false"` (what a tool that
/// sends every value as a string sends); `null` is absent.
fn bool_or_string<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Option<bool>, D::Error> {
    struct V;
    impl serde::de::Visitor<'_> for V {
        type Value = Option<bool>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a boolean, or \"true\" or \"false\"")
        }
        fn visit_unit<E: serde::de::Error>(self) -> std::result::Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_none<E: serde::de::Error>(self) -> std::result::Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_bool<E: serde::de::Error>(self, v: bool) -> std::result::Result<Self::Value, E> {
            Ok(Some(v))
        }
        fn visit_str<E: serde::de::Error>(self, v: &str) -> std::result::Result<Self::Value, E> {
            match v {
                "true" => Ok(Some(true)),
                "false" => Ok(Some(false)),
                _ => Err(E::invalid_value(serde::de::Unexpected::Str(v), &self)),
            }
        }
    }
    d.deserialize_any(V)
}

// ---------------------------------------------------------------- validated requests
/// The `key_spec` of a data key pair.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum DatakeyPairSpec {
    /// RSA, 2048-bit modulus.
    #[serde(rename = "RSA_2048")]
    Rsa2048,
    /// RSA, 3072-bit modulus.
    #[serde(rename = "RSA_3072")]
    Rsa3072,
    /// RSA, 4096-bit modulus.
    #[serde(rename = "RSA_4096")]
    Rsa4096,
    /// NIST P-256.
    #[serde(rename = "ECC_NIST_P256")]
    EccNistP256,
    /// NIST P-384.
    #[serde(rename = "ECC_NIST_P384")]
    EccNistP384,
    /// NIST P-521.
    #[serde(rename = "ECC_NIST_P521")]
    EccNistP521,
    /// SECG secp256k1.
    #[serde(rename = "ECC_SECG_P256K1")]
    EccSecgP256k1,
    /// SM2.
    #[serde(rename = "SM2")]
    Sm2,
}

impl DatakeyPairSpec {
    /// The specs of create-rsa-datakey-pair.
    pub const RSA: [Self; 3] = [Self::Rsa2048, Self::Rsa3072, Self::Rsa4096];
    /// The specs of create-ec-datakey-pair.
    pub const EC: [Self; 5] = [
        Self::EccNistP256,
        Self::EccNistP384,
        Self::EccNistP521,
        Self::EccSecgP256k1,
        Self::Sm2,
    ];

    /// The wire name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Rsa2048 => "RSA_2048",
            Self::Rsa3072 => "RSA_3072",
            Self::Rsa4096 => "RSA_4096",
            Self::EccNistP256 => "ECC_NIST_P256",
            Self::EccNistP384 => "ECC_NIST_P384",
            Self::EccNistP521 => "ECC_NIST_P521",
            Self::EccSecgP256k1 => "ECC_SECG_P256K1",
            Self::Sm2 => "SM2",
        }
    }

    /// One of `allowed`, by its exact wire name.
    ///
    /// # Errors
    /// Missing (KMS.0204) or any other value (KMS.0308, naming the allowed
    /// ones).
    fn parse(s: &str, allowed: &[Self], names: &'static str) -> Result<Self> {
        if s.is_empty() {
            return Err(ValidationError::new("key_spec", Rule::Missing));
        }
        allowed
            .iter()
            .copied()
            .find(|spec| spec.as_str() == s)
            .ok_or_else(|| {
                ValidationError::new(
                    "key_spec",
                    Rule::Specific {
                        code: ErrorCode::KmsInvalidParameter,
                        why: names,
                    },
                )
            })
    }
}

/// A validated data-key-pair request, RSA or EC.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DatakeyPairRequest {
    /// The symmetric CMK that encrypts the private key.
    pub key_id: KeyId,
    /// The pair's spec.
    pub key_spec: DatakeyPairSpec,
    /// Whether the private key is returned in clear too.
    pub with_plain_text: bool,
    /// Bound to the private key's ciphertext (decrypt-data must be given
    /// the same).
    pub additional_authenticated_data: Option<Aad>,
    /// Request serial number.
    pub sequence: Option<Sequence>,
    /// A PIN, if presented (create-ec-datakey-pair only).
    pub pin: Option<PresentedPin>,
}

/// A validated create-rsa-datakey-pair request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct CreateRsaDatakeyPairRequest(pub DatakeyPairRequest);

/// A validated create-ec-datakey-pair request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct CreateEcDatakeyPairRequest(pub DatakeyPairRequest);

impl CreateRsaDatakeyPairRequest {
    /// `key_id` a key id (KMS.0205), `key_spec` `RSA_2048 | RSA_3072 |
    /// RSA_4096` (KMS.0308), AAD at most 128 bytes, `sequence` 36 bytes.
    ///
    /// # Errors
    /// The first rule broken.
    pub fn from_body(b: &CreateRsaDatakeyPairRequestBody) -> Result<Self> {
        Ok(Self(DatakeyPairRequest {
            key_id: KeyId::parse(&b.key_id)?,
            key_spec: DatakeyPairSpec::parse(
                &b.key_spec,
                &DatakeyPairSpec::RSA,
                "key_spec must be RSA_2048, RSA_3072 or RSA_4096",
            )?,
            with_plain_text: b.with_plain_text.unwrap_or(true),
            additional_authenticated_data: Aad::parse_optional(opt_str(
                &b.additional_authenticated_data,
            ))?,
            sequence: opt_sequence(&b.sequence)?,
            pin: None,
        }))
    }

    /// Decodes and validates a JSON body.
    ///
    /// # Errors
    /// As [`decode_body`] and [`CreateRsaDatakeyPairRequest::from_body`].
    pub fn from_json(bytes: &[u8]) -> Result<Self> {
        Self::from_body(&decode_body(bytes)?)
    }
}

impl CreateEcDatakeyPairRequest {
    /// `key_id` a key id (KMS.0205), `key_spec` `ECC_NIST_P256 |
    /// ECC_NIST_P384 | ECC_NIST_P521 | ECC_SECG_P256K1 | SM2` (KMS.0308),
    /// AAD at most 128 bytes, `sequence` 36 bytes, `pin` hex and
    /// `pin_type` as for create-datakey.
    ///
    /// # Errors
    /// The first rule broken.
    pub fn from_body(b: &CreateEcDatakeyPairRequestBody) -> Result<Self> {
        Ok(Self(DatakeyPairRequest {
            key_id: KeyId::parse(&b.key_id)?,
            key_spec: DatakeyPairSpec::parse(
                &b.key_spec,
                &DatakeyPairSpec::EC,
                "key_spec must be ECC_NIST_P256, ECC_NIST_P384, ECC_NIST_P521, ECC_SECG_P256K1 or SM2",
            )?,
            with_plain_text: b.with_plain_text.unwrap_or(true),
            additional_authenticated_data: Aad::parse_optional(opt_str(
                &b.additional_authenticated_data,
            ))?,
            sequence: opt_sequence(&b.sequence)?,
            pin: presented_pin(&b.pin, &b.pin_type)?,
        }))
    }

    /// Decodes and validates a JSON body.
    ///
    /// # Errors
    /// As [`decode_body`] and [`CreateEcDatakeyPairRequest::from_body`].
    pub fn from_json(bytes: &[u8]) -> Result<Self> {
        Self::from_body(&decode_body(bytes)?)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    const KEY: &str = "0d0466b0-e727-4d9c-b35d-f84bb474a37f";

    fn code(r: Result<impl fmt::Debug>) -> &'static str {
        r.unwrap_err().to_kms().code().as_str()
    }

    #[test]
    fn rsa_body_defaults_and_rules() {
        let r = CreateRsaDatakeyPairRequest::from_json(
            format!(r#"{{"key_id":"{KEY}","key_spec":"RSA_2048"}}"#).as_bytes(),
        )
        .unwrap()
        .0;
        assert_eq!(r.key_spec, DatakeyPairSpec::Rsa2048);
        assert!(r.with_plain_text, "with_plain_text defaults to true");
        assert_eq!(r.additional_authenticated_data, None);
        for (body, want) in [
            (format!(r#"{{"key_id":"{KEY}"}}"#), "KMS.0204"),
            (format!(r#"{{"key_id":"{KEY}","key_spec":""}}"#), "KMS.0204"),
            (r#"{"key_spec":"RSA_2048"}"#.to_string(), "KMS.0204"),
            (
                r#"{"key_id":"nope","key_spec":"RSA_2048"}"#.to_owned(),
                "KMS.0205",
            ),
            (
                format!(r#"{{"key_id":"{KEY}","key_spec":"RSA_1024"}}"#),
                "KMS.0308",
            ),
            // An EC spec is not an RSA spec.
            (
                format!(r#"{{"key_id":"{KEY}","key_spec":"ECC_NIST_P256"}}"#),
                "KMS.0308",
            ),
            (
                format!(r#"{{"key_id":"{KEY}","key_spec":"rsa_2048"}}"#),
                "KMS.0308",
            ),
            (
                format!(r#"{{"key_id":"{KEY}","key_spec":"RSA_2048","with_plain_text":"yes"}}"#),
                "KMS.0308",
            ),
            (
                format!(r#"{{"key_id":"{KEY}","key_spec":"RSA_2048","with_plain_text":1}}"#),
                "KMS.0308",
            ),
            (
                format!(
                    r#"{{"key_id":"{KEY}","key_spec":"RSA_2048","additional_authenticated_data":"{}"}}"#,
                    "a".repeat(129)
                ),
                "KMS.0308",
            ),
            (
                format!(r#"{{"key_id":"{KEY}","key_spec":"RSA_2048","sequence":"short"}}"#),
                "KMS.0206",
            ),
        ] {
            assert_eq!(
                code(CreateRsaDatakeyPairRequest::from_json(body.as_bytes())),
                want,
                "{body}"
            );
        }
    }

    #[test]
    fn with_plain_text_takes_booleans_and_their_strings() {
        for (v, want) in [
            ("true", true),
            ("false", false),
            (r#""true""#, true),
            (r#""false""#, false),
            ("null", true),
        ] {
            let body = format!(r#"{{"key_id":"{KEY}","key_spec":"SM2","with_plain_text":{v}}}"#);
            let r = CreateEcDatakeyPairRequest::from_json(body.as_bytes()).unwrap();
            assert_eq!(r.0.with_plain_text, want, "{v}");
        }
    }

    #[test]
    fn ec_body_takes_every_documented_curve_and_a_pin() {
        for spec in DatakeyPairSpec::EC {
            let body = format!(
                r#"{{"key_id":"{KEY}","key_spec":"{}","additional_authenticated_data":"ctx","pin":"00ff","pin_type":"PlainText"}}"#,
                spec.as_str()
            );
            let r = CreateEcDatakeyPairRequest::from_json(body.as_bytes())
                .unwrap()
                .0;
            assert_eq!(r.key_spec, spec);
            assert_eq!(
                r.additional_authenticated_data.as_ref().map(Aad::as_bytes),
                Some(&b"ctx"[..])
            );
            assert!(r.pin.is_some());
        }
        for spec in DatakeyPairSpec::RSA {
            let body = format!(r#"{{"key_id":"{KEY}","key_spec":"{}"}}"#, spec.as_str());
            assert_eq!(
                code(CreateEcDatakeyPairRequest::from_json(body.as_bytes())),
                "KMS.0308"
            );
            // ... and each RSA spec is an RSA body's.
            let r = CreateRsaDatakeyPairRequest::from_json(body.as_bytes()).unwrap();
            assert_eq!(r.0.key_spec, spec);
        }
        // A bad pin type is refused as create-datakey refuses it.
        let body =
            format!(r#"{{"key_id":"{KEY}","key_spec":"SM2","pin":"00","pin_type":"Other"}}"#);
        assert!(CreateEcDatakeyPairRequest::from_json(body.as_bytes()).is_err());
    }

    #[test]
    fn response_omits_what_is_not_returned_and_redacts_nothing_it_must_show() {
        let r = CreateDatakeyPairResponseBody {
            key_id: KEY.to_owned(),
            key_spec: "SM2".to_owned(),
            public_key: "cHVi".to_owned(),
            private_key_cipher_text: "Y3Q=".to_owned(),
            private_key_plain_text: None,
            wrapped_private_key: None,
            ciphertext_recipient: None,
        };
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"key_id": KEY, "key_spec": "SM2", "public_key": "cHVi",
                "private_key_cipher_text": "Y3Q="})
        );
        let with = CreateDatakeyPairResponseBody {
            private_key_plain_text: Some("cHJpdg==".to_owned().into()),
            ..r
        };
        let v = serde_json::to_value(&with).unwrap();
        assert_eq!(v["private_key_plain_text"], "cHJpdg==");
        assert!(
            !format!("{with:?}").contains("cHJpdg=="),
            "Debug shows the private key"
        );
    }
}
