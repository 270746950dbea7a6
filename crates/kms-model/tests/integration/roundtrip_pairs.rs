//! Round trips of the data-key-pair wire types: any value serialises to
//! JSON and back to itself (every field listed, no `..Default`, so a new
//! field fails to compile here until it is covered); a valid body keeps
//! its values through validation.
#![allow(clippy::unwrap_used, missing_docs)]

use kms_model::*;
use proptest::prelude::*;
use serde::Serialize;
use serde::de::DeserializeOwned;

fn text() -> impl Strategy<Value = String> {
    prop_oneof![any::<String>(), "[a-zA-Z0-9:/_\\-\"\\\\ ]{0,40}"]
}

fn opt_text() -> impl Strategy<Value = Option<String>> {
    proptest::option::of(text())
}

fn round_trip<T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug>(
    v: &T,
) -> Result<(), TestCaseError> {
    let json = serde_json::to_string(v).unwrap();
    let back: T =
        serde_json::from_str(&json).map_err(|e| TestCaseError::fail(format!("{e}: {json}")))?;
    prop_assert_eq!(&back, v);
    prop_assert_eq!(serde_json::to_string(&back).unwrap(), json);
    Ok(())
}

const KEY: &str = "0d0466b0-e727-4d9c-b35d-f84bb474a37f";

proptest! {
    #[test]
    fn pair_bodies_round_trip(
        key_id in text(),
        key_spec in text(),
        with in proptest::option::of(any::<bool>()),
        aad in opt_text(),
        sequence in opt_text(),
        pin in opt_text(),
        pin_type in opt_text(),
    ) {
        round_trip(&CreateRsaDatakeyPairRequestBody {
            key_id: key_id.clone(),
            key_spec: key_spec.clone(),
            with_plain_text: with,
            additional_authenticated_data: aad.clone(),
            sequence: sequence.clone(),
        })?;
        round_trip(&CreateEcDatakeyPairRequestBody {
            key_id,
            key_spec,
            with_plain_text: with,
            additional_authenticated_data: aad,
            sequence,
            pin: pin.map(Into::into),
            pin_type,
        })?;
    }

    #[test]
    fn pair_response_round_trips(
        fields in (text(), text(), text(), text()),
        plain in opt_text(),
        wrapped in opt_text(),
        recipient in opt_text(),
    ) {
        let (key_id, key_spec, public_key, private_key_cipher_text) = fields;
        round_trip(&CreateDatakeyPairResponseBody {
            key_id,
            key_spec,
            public_key,
            private_key_cipher_text,
            private_key_plain_text: plain.map(Into::into),
            wrapped_private_key: wrapped,
            ciphertext_recipient: recipient,
        })?;
    }

    /// A valid EC body keeps its spec, `with_plain_text` (default true)
    /// and AAD through validation; validation of any body never panics.
    #[test]
    fn a_valid_ec_body_keeps_its_values(
        spec in proptest::sample::select(DatakeyPairSpec::EC.to_vec()),
        with in proptest::option::of(any::<bool>()),
        aad in "[a-z]{0,128}",
        junk in any::<Vec<u8>>(),
    ) {
        let body = CreateEcDatakeyPairRequestBody {
            key_id: KEY.into(),
            key_spec: spec.as_str().into(),
            with_plain_text: with,
            additional_authenticated_data: Some(aad.clone()),
            ..Default::default()
        };
        let r = CreateEcDatakeyPairRequest::from_body(&body).unwrap().0;
        prop_assert_eq!(r.key_spec, spec);
        prop_assert_eq!(r.with_plain_text, with.unwrap_or(true));
        let want = if aad.is_empty() { None } else { Some(aad.as_bytes()) };
        prop_assert_eq!(r.additional_authenticated_data.as_ref().map(Aad::as_bytes), want);
        let _ = CreateEcDatakeyPairRequest::from_json(&junk);
        let _ = CreateRsaDatakeyPairRequest::from_json(&junk);
    }
}
