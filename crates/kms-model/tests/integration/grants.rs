//! Grant bodies: round trips of every body and response (the strategies
//! list every field, so a new field fails to compile here until it is
//! covered), and the validators against regular-expression oracles of the
//! documented patterns, on any input: never a panic, accepted exactly when
//! the pattern matches, and an accepted create-grant's operations are
//! non-empty, each once, in the API reference's order, never
//! `create-grant` alone.
#![allow(clippy::unwrap_used, missing_docs)]

use kms_model::*;
use proptest::prelude::*;
use regex::Regex;

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[a-zA-Z0-9:/_\\- ]{0,70}",
        "[0-9a-fA-F]{62,66}",
    ]
}

fn opt_text() -> impl Strategy<Value = Option<String>> {
    proptest::option::of(text())
}

fn opt_loose() -> impl Strategy<Value = Option<LooseString>> {
    proptest::option::of(prop_oneof![text(), "[0-9]{1,4}", "-[0-9]{1,3}"].prop_map(LooseString))
}

/// An operation name: a grantable one, a registry one that is not, or
/// anything.
fn op_name() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => proptest::sample::select(
            GrantOperation::ALL
                .iter()
                .map(|g| g.as_str().to_owned())
                .collect::<Vec<_>>()
        ),
        1 => Just("sign".to_owned()),
        1 => Just("list-grants".to_owned()),
        1 => text(),
    ]
}

/// Mostly what the rules accept, sometimes anything.
fn mostly(valid: &'static str) -> impl Strategy<Value = String> {
    prop_oneof![3 => proptest::string::string_regex(valid).unwrap(), 1 => text()]
}

prop_compose! {
    fn arb_create()(
        key_id in prop_oneof![
            4 => Just("0d0466b0-e727-4d9c-b35d-f84bb474a37f".to_owned()),
            1 => text()
        ],
        grantee_principal in mostly("[a-zA-Z0-9]{1,64}"),
        operations in proptest::collection::vec(op_name(), 0..5),
        name in proptest::option::of(mostly("[a-zA-Z0-9:/_-]{0,255}")),
        retiring_principal in proptest::option::of(mostly("[a-zA-Z0-9]{0,64}")),
        grantee_principal_type in proptest::option::of(prop_oneof![
            Just("user".to_owned()), Just("domain".to_owned()), text()
        ]),
        sequence in proptest::option::of(prop_oneof![
            3 => Just("919c82d4-8046-4722-9094-35c3c6524cff".to_owned()),
            1 => text()
        ]),
    ) -> CreateGrantRequestBody {
        CreateGrantRequestBody {
            key_id, grantee_principal, operations, name, retiring_principal,
            grantee_principal_type, sequence,
        }
    }
}

prop_compose! {
    fn arb_details()(
        ids in (text(), text(), text(), text()),
        operations in proptest::collection::vec(text(), 0..4),
        rest in (text(), text(), text(), text()),
    ) -> GrantDetails {
        let (key_id, grant_id, grantee_principal, grantee_principal_type) = ids;
        let (issuing_principal, creation_date, name, retiring_principal) = rest;
        GrantDetails {
            key_id, grant_id, grantee_principal, grantee_principal_type, operations,
            issuing_principal, creation_date, name, retiring_principal,
        }
    }
}

fn round_trip<T>(v: &T) -> Result<(), TestCaseError>
where
    T: serde::Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug,
{
    let json = serde_json::to_string(v).unwrap();
    let back: T =
        serde_json::from_str(&json).map_err(|e| TestCaseError::fail(format!("{e}: {json}")))?;
    prop_assert_eq!(&back, v);
    Ok(())
}

fn principal_re() -> Regex {
    Regex::new(PRINCIPAL_PATTERN).unwrap()
}

proptest! {
    #[test]
    fn grant_bodies_and_responses_round_trip(
        c in arb_create(),
        key_id in text(), limit in opt_loose(), marker in opt_loose(), sequence in opt_text(),
        grant_id in text(),
        grants in proptest::collection::vec(arb_details(), 0..3),
        next_marker in text(), truncated in text(), total in any::<u64>(),
    ) {
        round_trip(&c)?;
        round_trip(&ListGrantsRequestBody {
            key_id: key_id.clone(), limit: limit.clone(), marker: marker.clone(),
            sequence: sequence.clone(),
        })?;
        round_trip(&ListRetirableGrantsRequestBody { limit, marker, sequence: sequence.clone() })?;
        round_trip(&RevokeGrantRequestBody { key_id, grant_id: grant_id.clone(), sequence })?;
        round_trip(&CreateGrantResponseBody { grant_id })?;
        round_trip(&ListGrantsResponseBody { grants, next_marker, truncated, total })?;
    }

    #[test]
    fn create_grant_is_accepted_exactly_as_documented(b in arb_create()) {
        let principal = principal_re();
        let name = Regex::new(GRANT_NAME_PATTERN).unwrap();
        let r = CreateGrantRequest::from_body(&b);
        let ops_known = !b.operations.is_empty()
            && b.operations.iter().all(|o| GrantOperation::ALL.iter().any(|g| g.as_str() == o));
        let only_create_grant = b.operations.iter().all(|o| o == "create-grant");
        let expected_ok = KeyId::parse(&b.key_id).is_ok()
            && principal.is_match(&b.grantee_principal)
            && ops_known
            && !only_create_grant
            && b.name.as_deref().is_none_or(|n| n.is_empty() || name.is_match(n))
            && b.retiring_principal.as_deref().is_none_or(|p| p.is_empty() || principal.is_match(p))
            && b.grantee_principal_type.as_deref().is_none_or(|t| t.is_empty() || t == "user" || t == "domain")
            && b.sequence.as_deref().is_none_or(|s| Sequence::parse(s).is_ok());
        prop_assert_eq!(r.is_ok(), expected_ok, "{:?} -> {:?}", b, r);
        if let Ok(req) = r {
            prop_assert!(!req.operations.is_empty());
            prop_assert!(req.operations.windows(2).all(|w| w[0] < w[1]), "sorted, once each");
            prop_assert_ne!(req.operations.as_slice(), &[GrantOperation::CreateGrant][..]);
            prop_assert_eq!(req.grantee_principal.as_str(), b.grantee_principal.as_str());
        } else if ops_known && only_create_grant
            && KeyId::parse(&b.key_id).is_ok() && principal.is_match(&b.grantee_principal)
        {
            prop_assert_eq!(r.unwrap_err().to_kms().code().as_str(), "KMS.2401");
        }
    }

    #[test]
    fn grant_ids_and_principals_match_their_patterns(s in text()) {
        let hex64 = Regex::new("^[0-9a-fA-F]{64}$").unwrap();
        match GrantId::parse(&s) {
            Ok(id) => {
                prop_assert!(hex64.is_match(&s));
                prop_assert_eq!(id.as_str(), s.to_ascii_lowercase());
            }
            Err(_) => prop_assert!(!hex64.is_match(&s)),
        }
        prop_assert_eq!(Principal::parse("grantee_principal", &s).is_ok(), principal_re().is_match(&s));
    }

    #[test]
    fn grant_pages_are_bounded(limit in opt_loose(), marker in opt_loose()) {
        let body = ListRetirableGrantsRequestBody { limit, marker, sequence: None };
        if let Ok(r) = ListRetirableGrantsRequest::from_body(&body) {
            prop_assert!((1..=MAX_LIST_GRANTS_LIMIT).contains(&r.limit));
        }
    }
}
