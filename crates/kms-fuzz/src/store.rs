//! What a SQL store reads back (kms-store-sql): any row a database could
//! hold, corrupt or not, decodes to a record or a corrupt-data error, never
//! a panic; a record written and read back is the same record.

use kms_store_sql::{Constraint, Row, Value, codes, records};

use crate::target::FuzzFn;

/// The targets of this module.
pub const TARGETS: &[(&str, FuzzFn)] = &[("store_rows", store_rows)];

/// One cell per `0xFF`-separated chunk: its first byte picks the type
/// (NULL, integer from the next 8 bytes, text, bytes, boolean), the rest
/// is the value.
fn row_of(data: &[u8]) -> Row {
    Row(data
        .split(|b| *b == 0xFF)
        .take(24)
        .map(|chunk| {
            let (tag, rest) = chunk.split_first().unwrap_or((&0, &[]));
            match tag % 5 {
                0 => Value::Null,
                1 => {
                    let mut n = [0u8; 8];
                    for (d, s) in n.iter_mut().zip(rest) {
                        *d = *s;
                    }
                    Value::Int(i64::from_le_bytes(n))
                }
                2 => Value::Text(String::from_utf8_lossy(rest).into_owned()),
                3 => Value::Bytes(rest.to_vec()),
                _ => Value::Bool(rest.first().is_some_and(|b| b % 2 == 1)),
            }
        })
        .collect())
}

/// Decodes the input as every kind of row; what decodes is written back
/// as the adapters write it and must read back equal.
pub fn store_rows(data: &[u8]) {
    let row = row_of(data);
    if let Ok(key) = records::key(&row) {
        // The INSERT's parameters, less `dedicated_keystore_id` (7th), are
        // the columns a read selects.
        let mut written = records::key_params(&key);
        written.remove(6);
        assert_eq!(
            records::key(&Row(written)).ok(),
            Some(key),
            "key round trip"
        );
    }
    if let Ok(keystore) = records::keystore(&row) {
        let written = Row(records::keystore_params(&keystore));
        assert_eq!(
            records::keystore(&written).ok(),
            Some(keystore),
            "keystore round trip"
        );
    }
    if let Ok(cert) = records::certificate(&row) {
        let written = records::certificate_params(&cert);
        assert!(written.is_ok(), "a record read back does not serialise");
        let columns = written.map(|w| Row(w[8..12].to_vec()));
        let read_back = columns.and_then(|r| records::certificate(&r));
        assert_eq!(read_back.ok(), Some(cert), "certificate round trip");
    }
    let _ = records::root_state(Some(&row));
    let _ = records::carried(&row);
    let _ = records::unmoved_material(&row);
    let _ = records::unmoved_cert(&row);
    let text = String::from_utf8_lossy(data);
    // Every stored code decodes to the one value that encodes to it.
    if let Ok(v) = codes::key_state(&text) {
        assert_eq!(codes::key_state_code(v), text, "key state round trip");
    }
    if let Ok(v) = codes::keystore_state(&text) {
        assert_eq!(
            codes::keystore_state_code(v),
            text,
            "keystore state round trip"
        );
    }
    if let Ok(v) = codes::keystore_type(&text) {
        assert_eq!(
            codes::keystore_type_code(v),
            text,
            "keystore type round trip"
        );
    }
    if let Ok(v) = codes::spec(&text) {
        assert_eq!(codes::spec_code(v), text, "spec round trip");
    }
    if let Ok(v) = codes::usage(&text) {
        assert_eq!(codes::usage_code(v), text, "usage round trip");
    }
    if let Ok(v) = codes::origin(&text) {
        assert_eq!(codes::origin_code(v), text, "origin round trip");
    }
    if let Ok(v) = codes::key_family(&text) {
        assert_eq!(
            codes::key_family_code(v).ok(),
            Some(&*text),
            "key family round trip"
        );
    }
    // A certificate scope: `scope_type` NUL `instance_id`.
    if let Some((scope_type, instance_id)) = text.split_once('\0') {
        if let Ok(v) = codes::certificate_scope(scope_type, instance_id) {
            assert_eq!(
                codes::certificate_scope_codes(&v),
                (scope_type, instance_id),
                "certificate scope round trip"
            );
        }
    }
    let _ = Constraint::from_sqlite_columns(&text);
    let _ = Constraint::from_name(&text);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A row in `row_of`'s encoding.
    pub(super) fn encode(cells: &[Value]) -> Vec<u8> {
        let mut data = Vec::new();
        for (i, c) in cells.iter().enumerate() {
            if i > 0 {
                data.push(0xFF);
            }
            match c {
                Value::Null => data.push(0),
                Value::Int(n) => {
                    data.push(1);
                    data.extend_from_slice(&n.to_le_bytes());
                }
                Value::Text(t) => {
                    data.push(2);
                    data.extend_from_slice(t.as_bytes());
                }
                Value::Bytes(b) => {
                    data.push(3);
                    data.extend_from_slice(b);
                }
                Value::Bool(b) => data.extend_from_slice(&[4, u8::from(*b)]),
            }
        }
        data
    }

    #[test]
    fn a_key_row_decodes_and_round_trips() {
        let t = |s: &str| Value::Text(s.to_owned());
        let cells = [
            t("k"),
            t("d"),
            t("p"),
            t("alias"),
            t(""),
            t("0"),
            t("2"),
            Value::Int(1),
            Value::Int(100),
            Value::Null,
            Value::Bool(true),
            Value::Int(365),
            Value::Null,
            Value::Int(0),
            t("AES_256"),
            t("ENCRYPT_DECRYPT"),
            t("kms"),
            Value::Int(1_700_000_000_000),
            Value::Int(1_800_000_000_000),
        ];
        let data = encode(&cells);
        let key = records::key(&row_of(&data)).expect("a valid key row");
        assert_eq!(
            key.material_expiry,
            Some(kms_core::ports::Timestamp(1_800_000_000_000))
        );
        assert_eq!(key.alias, "alias");
        assert_eq!(key.rotation.interval_days, 365);
        assert_eq!(
            key.rotation.interval_start,
            Some(kms_core::ports::Timestamp(1_700_000_000_000))
        );
        store_rows(&data);
        // The origin "km": a corrupt row, not a panic.
        let mut bad = cells.clone();
        bad[16] = t("km");
        assert!(records::key(&row_of(&encode(&bad))).is_err());
        // The interval's start missing (a row of schema 8): corrupt too.
        assert!(records::key(&row_of(&encode(&cells[..17]))).is_err());
        // The material's expiry column missing (a row before import's
        // migration): corrupt too.
        assert!(records::key(&row_of(&encode(&cells[..18]))).is_err());
    }
}
