//! Each validator accepts exactly the language of its pattern (the `regex`
//! crate is the oracle), on random, adversarial and boundary inputs.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use kms_model::{
    ALIAS_NAME_PATTERN, ALIAS_PATTERN, Aad, AliasName, CERTIFICATE_NAME_PATTERN, CertificateName,
    CertificateScope, DatakeyLength, INSTANCE_ID_PATTERN, InstanceId, KEY_ID_PATTERN, KeyAlias,
    KeyId, KeystoreAlias, KeystoreRef, KeystoreType, PemText, PendingDays, PinType, Rule, Sequence,
    decode_hex, decode_public_hex,
};
use proptest::prelude::*;
use regex::Regex;

/// Compiled once per pattern: compiling per case would dominate the run.
fn re(p: &'static str) -> &'static Regex {
    use std::collections::HashMap;
    use std::sync::{LazyLock, Mutex};
    static CACHE: LazyLock<Mutex<HashMap<&'static str, &'static Regex>>> =
        LazyLock::new(|| Mutex::new(HashMap::new()));
    let mut cache = CACHE.lock().unwrap();
    cache
        .entry(p)
        .or_insert_with(|| Box::leak(Box::new(Regex::new(p).unwrap())))
}

/// Strings drawn near a pattern's language: its own alphabet, a few
/// neighbouring ASCII and non-ASCII characters, lengths around the limits.
fn near(alphabet: &'static str, max_len: usize) -> impl Strategy<Value = String> {
    let chars: Vec<char> = alphabet
        .chars()
        .chain("-:/_ .\\\"\0\n\u{7f}é😀\u{4e00}\u{9fa5}\u{9fa6}Ａ".chars())
        .collect();
    prop::collection::vec(prop::sample::select(chars), 0..=max_len)
        .prop_map(|v| v.into_iter().collect())
}

const ALNUM: &str = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

fn key_id_like() -> impl Strategy<Value = String> {
    // mostly well-formed ids with one position mutated
    (
        "[0-9a-z]{8}-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{12}",
        0usize..37,
        prop::sample::select(vec!['A', 'Z', '-', 'g', '0', ' ', 'é', '\0']),
    )
        .prop_map(|(s, i, c)| {
            let mut chars: Vec<char> = s.chars().collect();
            if i < chars.len() {
                chars[i] = c;
            }
            chars.into_iter().collect()
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4000))]

    #[test]
    fn alias_matches_regex(s in prop_oneof![near(ALNUM, 260), ".{0,300}", "[a-zA-Z0-9:/_-]{250,260}"]) {
        let oracle = re(ALIAS_PATTERN).is_match(&s);
        prop_assert_eq!(KeystoreAlias::parse(&s).is_ok(), oracle);
        prop_assert_eq!(KeyAlias::parse(&s).is_ok(), oracle);
    }

    #[test]
    fn alias_name_matches_regex(s in prop_oneof![
        "alias/[a-zA-Z0-9:/_ .-]{0,12}",
        "alias/[a-zA-Z0-9:/_-]{245,252}",
        near(ALNUM, 20),
        ".{0,30}",
    ]) {
        let r = re(ALIAS_NAME_PATTERN);
        prop_assert_eq!(AliasName::parse(&s).is_ok(), r.is_match(&s), "{:?}", s);
    }

    #[test]
    fn key_id_matches_regex(s in prop_oneof![key_id_like(), near("0123456789abcdef-", 40), ".{0,40}"]) {
        prop_assert_eq!(KeyId::parse(&s).is_ok(), re(KEY_ID_PATTERN).is_match(&s));
    }

    #[test]
    fn certificate_name_matches_regex(s in prop_oneof![near(ALNUM, 55), ".{0,60}", "[a-zA-Z][a-zA-Z0-9_]{0,55}"]) {
        prop_assert_eq!(CertificateName::parse(&s).is_ok(), re(CERTIFICATE_NAME_PATTERN).is_match(&s));
    }

    #[test]
    fn instance_id_matches_regex(s in prop_oneof![near(ALNUM, 70), ".{0,70}"]) {
        prop_assert_eq!(InstanceId::parse(&s).is_ok(), re(INSTANCE_ID_PATTERN).is_match(&s));
    }

    #[test]
    fn datakey_length_matches_its_rule(s in prop_oneof!["[0-9]{0,6}", ".{0,6}", "0*[0-9]{1,4}", "[+-]?[0-9]{1,4}"]) {
        let digits = re("^[0-9]+$").is_match(&s);
        let expected = digits && {
            let v: u128 = s.parse().unwrap_or(u128::MAX);
            (8..=8192).contains(&v) && v % 8 == 0
        };
        let got = DatakeyLength::parse(&s);
        prop_assert_eq!(got.is_ok(), expected);
        if let Ok(len) = got {
            prop_assert_eq!(u128::from(len.bits()), s.parse::<u128>().unwrap());
        }
    }

    #[test]
    fn sequence_is_36_bytes_or_32_hex_digits(s in ".{0,40}|[0-9a-fA-F]{30,34}") {
        let simple_uuid = s.len() == 32 && s.bytes().all(|b| b.is_ascii_hexdigit());
        prop_assert_eq!(Sequence::parse(&s).is_ok(), s.len() == 36 || simple_uuid);
    }

    #[test]
    fn hex_round_trips_in_either_case(bytes in prop::collection::vec(any::<u8>(), 1..64), upper in any::<bool>()) {
        let text: String = bytes.iter().map(|b| if upper { format!("{b:02X}") } else { format!("{b:02x}") }).collect();
        prop_assert_eq!(decode_hex("cipher_text", &text, 64).unwrap().to_vec(), bytes);
    }

    #[test]
    fn hex_rejects_non_hex(s in ".{1,20}") {
        let is_hex = s.len() % 2 == 0 && s.bytes().all(|b| b.is_ascii_hexdigit());
        prop_assert_eq!(decode_hex("cipher_text", &s, 64).is_ok(), is_hex);
    }

    /// The table decoder of public hex gives what the constant-time one
    /// gives, bytes or the same typed error, on any text (hex-heavy, any
    /// characters, around the length bound).
    #[test]
    fn public_hex_decodes_as_the_constant_time_decoder(
        s in prop_oneof!["[0-9a-fA-F]{0,140}", ".{0,40}", "[0-9a-fA-FgG ]{0,20}"],
        max in 0usize..70,
    ) {
        let public = decode_public_hex("cipher_text", &s, max);
        let secret = decode_hex("cipher_text", &s, max).map(|z| z.to_vec());
        prop_assert_eq!(public, secret);
    }
}

#[test]
fn alias_boundaries() {
    assert!(KeystoreAlias::parse("").is_err());
    assert!(KeystoreAlias::parse("a").is_ok());
    assert!(KeystoreAlias::parse(&"a".repeat(255)).is_ok());
    let e = KeystoreAlias::parse(&"a".repeat(256)).unwrap_err();
    assert_eq!(e.rule, Rule::TooLong { max: 255 });
    assert_eq!(e.field, "keystore_alias");
    assert!(KeystoreAlias::parse("abc:/_-XYZ09").is_ok());
    let e = KeystoreAlias::parse("ab c").unwrap_err();
    assert_eq!(
        e.rule,
        Rule::InvalidCharacter {
            at: 2,
            pattern: ALIAS_PATTERN
        }
    );
    assert!(KeystoreAlias::parse("é").is_err());
    assert!(KeystoreAlias::parse("a\n").is_err());
    assert!(KeystoreAlias::parse(".").is_err());
    assert!(KeystoreAlias::parse(";").is_err());
    assert!(KeystoreAlias::parse("@").is_err());
    assert!(KeystoreAlias::parse("[").is_err());
    assert!(KeystoreAlias::parse("`").is_err());
    assert!(KeystoreAlias::parse("{").is_err());
}

#[test]
fn key_id_boundaries() {
    let good = "0d0466b0-e727-4d9c-b35d-f84bb474a37f";
    assert!(KeyId::parse(good).is_ok());
    assert!(
        KeyId::parse("zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz").is_ok(),
        "the alphabet is not hex"
    );
    assert!(KeyId::parse(&good.to_uppercase()).is_err());
    assert!(KeyId::parse(&good[..35]).is_err());
    assert!(KeyId::parse(&format!("{good}0")).is_err());
    assert!(KeyId::parse("0d0466b0e727-4d9c-b35d-f84bb474a37f-").is_err());
    assert!(KeyId::parse("").is_err());
    assert_eq!(
        KeyId::parse("0d0466b0-e727-4d9c-b35d-f84bb474a37")
            .unwrap_err()
            .rule,
        Rule::ExactLength { expected: 36 }
    );
    assert_eq!(
        KeyId::parse("0d0466b0_e727-4d9c-b35d-f84bb474a37f")
            .unwrap_err()
            .rule,
        Rule::InvalidCharacter {
            at: 8,
            pattern: KEY_ID_PATTERN
        }
    );
}

#[test]
fn pending_days_boundaries_text_and_number_agree() {
    let range = Rule::OutOfRange { min: 7, max: 1096 };
    for n in [0u64, 6, 7, 8, 365, 1095, 1096, 1097, 65_543, 4_294_967_296] {
        let by_number = PendingDays::new(n);
        let by_text = PendingDays::parse(&n.to_string());
        assert_eq!(by_number, by_text, "{n}");
        if (7..=1096).contains(&n) {
            assert_eq!(by_number.unwrap().days(), n);
        } else {
            let e = by_number.unwrap_err();
            assert_eq!((&*e.field, &e.rule), ("pending_days", &range), "{n}");
        }
    }
    for bad in ["", " 7", "+7", "7.0", "1e3"] {
        assert_eq!(PendingDays::parse(bad).unwrap_err().rule, Rule::NotDigits);
    }
}

#[test]
fn datakey_length_boundaries_and_resolution() {
    for ok in ["8", "16", "128", "256", "512", "8184", "8192", "0008"] {
        assert!(DatakeyLength::parse(ok).is_ok(), "{ok}");
    }
    assert_eq!(
        DatakeyLength::parse("0").unwrap_err().rule,
        Rule::OutOfRange { min: 8, max: 8192 }
    );
    assert_eq!(
        DatakeyLength::parse("8200").unwrap_err().rule,
        Rule::OutOfRange { min: 8, max: 8192 }
    );
    assert_eq!(
        DatakeyLength::parse("99999999999999999999999")
            .unwrap_err()
            .rule,
        Rule::OutOfRange { min: 8, max: 8192 }
    );
    assert_eq!(
        DatakeyLength::parse("12").unwrap_err().rule,
        Rule::NotMultipleOf(8)
    );
    for bad in ["", " 8", "8 ", "+8", "-8", "8.0", "0x10", "２５６", "1e3"] {
        assert_eq!(
            DatakeyLength::parse(bad).unwrap_err().rule,
            Rule::NotDigits,
            "{bad:?}"
        );
    }
    // datakey_length wins over key_spec, key_spec gives 128/256, default 256
    assert_eq!(
        DatakeyLength::resolve(Some("512"), Some("AES_128"))
            .unwrap()
            .bits(),
        512
    );
    assert_eq!(
        DatakeyLength::resolve(None, Some("AES_128"))
            .unwrap()
            .bits(),
        128
    );
    assert_eq!(
        DatakeyLength::resolve(None, Some("AES_256"))
            .unwrap()
            .bits(),
        256
    );
    assert_eq!(DatakeyLength::resolve(None, None).unwrap().bits(), 256);
    // an invalid key_spec is reported even when datakey_length wins
    assert_eq!(
        DatakeyLength::resolve(Some("512"), Some("AES_512"))
            .unwrap_err()
            .field,
        "key_spec"
    );
    assert!(DatakeyLength::resolve(None, Some("aes_256")).is_err());
    // byte counts
    assert_eq!(
        DatakeyLength::parse_bytes_field("datakey_plain_length", "64")
            .unwrap()
            .bits(),
        512
    );
    assert!(DatakeyLength::parse_bytes_field("datakey_plain_length", "0").is_err());
    assert!(DatakeyLength::parse_bytes_field("datakey_plain_length", "1024").is_ok());
    assert!(DatakeyLength::parse_bytes_field("datakey_plain_length", "1025").is_err());
}

#[test]
fn sequence_pin_type_keystore_ref_and_type() {
    assert!(Sequence::parse(&"x".repeat(36)).is_ok());
    assert!(Sequence::parse(&"x".repeat(35)).is_err());
    // Cloud Custodian's `uuid.uuid4().hex`: 32 hex digits, no hyphens.
    assert!(Sequence::parse("919c82d4804647229094").is_err());
    assert!(Sequence::parse("919c82d480464722909435c3c6524cff").is_ok());
    assert!(Sequence::parse(&"x".repeat(32)).is_err());
    assert!(
        Sequence::parse(&"é".repeat(18)).is_ok(),
        "36 bytes, 18 characters"
    );

    assert_eq!(PinType::parse("PlainText").unwrap(), PinType::PlainText);
    assert_eq!(PinType::parse("CipherText").unwrap(), PinType::CipherText);
    assert_eq!(PinType::default(), PinType::CipherText);
    assert!(PinType::parse("plaintext").is_err());

    assert_eq!(KeystoreRef::parse("0").unwrap(), KeystoreRef::Default);
    assert_eq!(
        KeystoreRef::parse("1").unwrap(),
        KeystoreRef::SharedManagement
    );
    assert_eq!(KeystoreRef::parse("2").unwrap(), KeystoreRef::SharedData);
    let d = KeystoreRef::parse("bb6a3d22-dc93-47ac-b5bd-88df7ad35f1e").unwrap();
    assert_eq!(d.as_str(), "bb6a3d22-dc93-47ac-b5bd-88df7ad35f1e");
    assert!(KeystoreRef::parse("3").is_err());
    assert!(KeystoreRef::parse("").is_err());

    for (s, t) in [
        ("0", KeystoreType::Default),
        ("DEFAULT", KeystoreType::Default),
        ("1", KeystoreType::Dhsm),
        ("DHSM", KeystoreType::Dhsm),
        ("2", KeystoreType::Cdms),
        ("CDMS", KeystoreType::Cdms),
    ] {
        assert_eq!(KeystoreType::parse(s).unwrap(), t);
    }
    assert_eq!(KeystoreType::Dhsm.as_str(), "DHSM");
    assert!(KeystoreType::parse("3").is_err());
    assert!(KeystoreType::parse("dhsm").is_err());
}

#[test]
fn certificate_name_scope_aad_and_pem() {
    assert!(CertificateName::parse("abc").is_err());
    assert!(CertificateName::parse("abcd").is_ok());
    assert!(CertificateName::parse(&format!("a{}", "b".repeat(49))).is_ok());
    assert_eq!(
        CertificateName::parse(&format!("a{}", "b".repeat(50)))
            .unwrap_err()
            .rule,
        Rule::TooLong { max: 50 }
    );
    assert!(CertificateName::parse("1abc").is_err());
    assert!(CertificateName::parse("_abc").is_err());
    assert!(CertificateName::parse("ab-c").is_err());
    assert!(CertificateName::parse("证书名称").is_ok());

    assert_eq!(
        CertificateScope::resolve(None, None).unwrap(),
        CertificateScope::Global
    );
    assert_eq!(
        CertificateScope::resolve(Some("global"), Some("x"))
            .unwrap()
            .instance_id_str(),
        "common"
    );
    assert_eq!(
        CertificateScope::resolve(Some("instance"), None)
            .unwrap_err()
            .rule,
        Rule::Missing
    );
    assert_eq!(
        CertificateScope::resolve(Some("instance"), Some("gw-1"))
            .unwrap()
            .instance_id_str(),
        "gw-1"
    );
    assert!(CertificateScope::resolve(Some("Instance"), Some("gw-1")).is_err());

    assert!(Aad::parse_optional(None).unwrap().is_none());
    assert!(Aad::parse_optional(Some("")).unwrap().is_none());
    assert!(Aad::parse(&"a".repeat(128)).is_ok());
    assert_eq!(
        Aad::parse(&"a".repeat(129)).unwrap_err().rule,
        Rule::TooLong { max: 128 }
    );

    assert!(PemText::parse_field("cert_content", " \n").is_err());
    assert!(PemText::parse_field("cert_content", &"a".repeat(64 * 1024)).is_ok());
    assert!(PemText::parse_field("cert_content", &"a".repeat(64 * 1024 + 1)).is_err());
    assert_eq!(
        format!(
            "{:?}",
            PemText::parse_field("private_key", "SECRET").unwrap()
        ),
        "PemText(6 bytes)"
    );
}
