#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]
//! The driver-free parts of the SQL layer; the ports themselves are
//! checked through both adapters by kms-store-conformance.

use kms_core::ports::{KeyState, KeystoreState, PortErrorKind, TagFilter, Timestamp};
use kms_store_sql::ops::tag_query;
use kms_store_sql::schema::pending;
use kms_store_sql::{Constraint, Dialect, Row, Value, codes, records};

#[test]
fn placeholders_and_typed_nulls_are_rendered_per_dialect() {
    let sql = "SELECT 1 FROM keys WHERE project_id = ?1 AND (?2::text IS NULL OR state = ?2::text)";
    assert_eq!(
        Dialect::Sqlite.render(sql),
        "SELECT 1 FROM keys WHERE project_id = ?1 AND (?2 IS NULL OR state = ?2)"
    );
    assert_eq!(
        Dialect::Postgres.render(sql),
        "SELECT 1 FROM keys WHERE project_id = $1 AND ($2::text IS NULL OR state = $2::text)"
    );
    assert_eq!(Dialect::Sqlite.contains("alias", 3), "instr(alias, ?3) > 0");
    assert_eq!(
        Dialect::Postgres.contains("alias", 3),
        "strpos(alias, $3::text) > 0"
    );
}

#[test]
fn no_statement_of_one_dialect_carries_the_other_ones_placeholders() {
    let sqlite = format!("{:?}", Dialect::Sqlite.queries());
    let postgres = format!("{:?}", Dialect::Postgres.queries());
    assert!(!sqlite.contains('$'), "{sqlite}");
    assert!(!sqlite.contains("::text"), "{sqlite}");
    assert!(!postgres.contains('?'), "{postgres}");
    // What only one of them has.
    assert!(sqlite.contains("key_pem = ''"));
    assert!(!postgres.contains("key_pem"));
    assert!(postgres.contains("FOR UPDATE"));
    assert!(!sqlite.contains("FOR UPDATE"));
}

#[test]
fn constraints_are_known_by_postgres_names_and_sqlite_columns() {
    assert_eq!(
        Constraint::from_name("keystore_alias"),
        Some(Constraint::KeystoreAlias)
    );
    assert_eq!(
        Constraint::from_name("key_dedicated_keystore"),
        Some(Constraint::KeyDedicatedKeystore)
    );
    assert_eq!(Constraint::from_name("keys_pkey"), None);
    assert_eq!(
        Constraint::from_sqlite_columns("keystores.domain_id, keystores.alias"),
        Some(Constraint::KeystoreAlias)
    );
    assert_eq!(
        Constraint::from_sqlite_columns("keystores.cluster_id"),
        Some(Constraint::KeystoreCluster)
    );
    assert_eq!(
        Constraint::from_sqlite_columns("keys.project_id, keys.alias"),
        Some(Constraint::KeyAlias)
    );
    assert_eq!(
        Constraint::from_sqlite_columns(
            "certificates.project_id, certificates.scope_type, certificates.instance_id, certificates.name"
        ),
        Some(Constraint::CertificateName)
    );
    // A key id taken: no answer of the ports, a failure.
    assert_eq!(Constraint::from_sqlite_columns("keys.key_id"), None);
}

#[test]
fn state_codecs_round_trip_and_refuse_the_unknown() {
    for s in [
        KeyState::Enabled,
        KeyState::Disabled,
        KeyState::PendingDeletion,
    ] {
        assert_eq!(codes::key_state(s.as_str()).unwrap(), s);
    }
    for s in [KeystoreState::Enabled, KeystoreState::Disabled] {
        assert_eq!(codes::keystore_state(s.as_str()).unwrap(), s);
    }
    assert_eq!(
        codes::key_state("9").unwrap_err().kind(),
        PortErrorKind::Corrupt
    );
    assert_eq!(
        codes::keystore_state("enabled").unwrap_err().kind(),
        PortErrorKind::Corrupt
    );
}

#[test]
fn rows_of_the_wrong_type_are_corrupt_not_panics() {
    let row = Row(vec![Value::Int(1), Value::Null, Value::Text("x".into())]);
    assert_eq!(row.text(0).unwrap_err().kind(), PortErrorKind::Corrupt);
    assert_eq!(row.text(1).unwrap_err().kind(), PortErrorKind::Corrupt);
    assert_eq!(row.opt_text(1).unwrap(), None);
    assert_eq!(row.int(9).unwrap_err().kind(), PortErrorKind::Corrupt);
    // SQLite's 0/1 and PostgreSQL's BOOLEAN are both flags.
    assert!(row.flag(0).unwrap());
    assert!(Row(vec![Value::Bool(true)]).flag(0).unwrap());
    assert_eq!(
        records::keystore(&row).unwrap_err().kind(),
        PortErrorKind::Corrupt
    );
    assert_eq!(records::root_state(None).unwrap(), Default::default());
    let half = Row(vec![
        Value::Bytes(vec![1; 32]),
        Value::Int(0),
        Value::Bytes(vec![2; 32]),
        Value::Null,
    ]);
    assert_eq!(
        records::root_state(Some(&half)).unwrap_err().kind(),
        PortErrorKind::Corrupt
    );
}

#[test]
fn the_tag_filter_numbers_its_parameters_in_order() {
    let tags = [
        TagFilter {
            key: "env".into(),
            values: vec!["prod".into(), "test".into()],
        },
        TagFilter {
            key: "team".into(),
            values: vec![],
        },
    ];
    let q = tag_query(Dialect::Postgres, "p", &tags, Some("al"), Timestamp(7));
    assert_eq!(
        q.params,
        vec![
            Value::from("p"),
            Value::Int(7),
            Value::from("al"),
            Value::from("env"),
            Value::from("prod"),
            Value::from("test"),
            Value::from("team"),
        ]
    );
    assert!(
        q.count.contains("strpos(alias, $3::text) > 0"),
        "{}",
        q.count
    );
    assert!(
        q.count.contains("t.tag_value IN ($5::text, $6::text)"),
        "{}",
        q.count
    );
    assert!(q.count.contains("t.tag_key = $7::text)"), "{}", q.count);
    assert!(q.page.ends_with("LIMIT $8 OFFSET $9"), "{}", q.page);
    let q = tag_query(Dialect::Sqlite, "p", &tags, None, Timestamp(7));
    assert!(q.count.contains("t.tag_value IN (?4, ?5)"), "{}", q.count);
    assert!(q.page.ends_with("LIMIT ?7 OFFSET ?8"), "{}", q.page);
}

#[test]
fn tags_are_grouped_by_key_in_order() {
    let rows = vec![
        ("a".to_owned(), "1".to_owned()),
        ("a".to_owned(), "2".to_owned()),
        ("b".to_owned(), "1".to_owned()),
    ];
    assert_eq!(
        records::group_tags(rows),
        vec![
            ("a".to_owned(), vec!["1".to_owned(), "2".to_owned()]),
            ("b".to_owned(), vec!["1".to_owned()]),
        ]
    );
}

#[test]
fn a_newer_schema_has_nothing_pending() {
    assert_eq!(pending(0, 7), Some(0));
    assert_eq!(pending(5, 7), Some(5));
    assert_eq!(pending(7, 7), Some(7));
    assert_eq!(pending(8, 7), None);
}
