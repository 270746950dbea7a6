//! The `record_json` column of `certificates`: this store's own encoding
//! of kms-core's [`ApigCertificate`], a JSON object with the field names,
//! order, optional fields and RFC 3339 times of APIG's certificate record,
//! as every earlier version wrote it. Existing rows decode unchanged, and a
//! record is written back byte for byte as those versions wrote it (the
//! tests below hold literals of that text), so no migration is needed.

use kms_core::ports::{ApigCertificate, PortError, PortResult, Timestamp};
use kms_core::{parse_rfc3339, rfc3339};
use serde::{Deserialize, Serialize};

use crate::codes;

/// The JSON object of `record_json`. Field order is the text's order;
/// `type`, `instance_id`, `project_id` and `is_has_trusted_root_ca` are
/// always written (read leniently), `algorithm_type` only when known.
#[derive(Serialize, Deserialize)]
struct RecordJson {
    id: String,
    name: String,
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    r#type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    instance_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    project_id: Option<String>,
    common_name: String,
    san: Vec<String>,
    version: u8,
    organization: Vec<String>,
    organizational_unit: Vec<String>,
    locality: Vec<String>,
    state: Vec<String>,
    country: Vec<String>,
    not_before: String,
    not_after: String,
    serial_number: String,
    issuer: Vec<String>,
    signature_algorithm: String,
    create_time: String,
    update_time: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    is_has_trusted_root_ca: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    algorithm_type: Option<String>,
}

/// The `record_json` text of `r`.
///
/// # Errors
/// A key family with no stored code; the record does not serialise
/// (never for these field types).
pub(crate) fn encode(r: &ApigCertificate) -> PortResult<String> {
    let (scope_type, instance_id) = codes::certificate_scope_codes(&r.scope);
    let json = RecordJson {
        id: r.id.clone(),
        name: r.name.clone(),
        r#type: Some(scope_type.to_owned()),
        instance_id: Some(instance_id.to_owned()),
        project_id: Some(r.project_id.clone()),
        common_name: r.common_name.clone(),
        san: r.san.clone(),
        version: r.version,
        organization: r.organization.clone(),
        organizational_unit: r.organizational_unit.clone(),
        locality: r.locality.clone(),
        state: r.state.clone(),
        country: r.country.clone(),
        not_before: rfc3339(r.not_before),
        not_after: rfc3339(r.not_after),
        serial_number: r.serial_number.clone(),
        issuer: r.issuer.clone(),
        signature_algorithm: r.signature_algorithm.clone(),
        create_time: rfc3339(r.create_time),
        update_time: rfc3339(r.update_time),
        is_has_trusted_root_ca: Some(r.has_trusted_root_ca),
        algorithm_type: r
            .algorithm_type
            .map(|a| codes::key_family_code(a).map(str::to_owned))
            .transpose()?,
    };
    serde_json::to_string(&json)
        .map_err(|e| PortError::corrupt("cannot serialise certificate record").with_source(e))
}

fn time(text: &str) -> PortResult<Timestamp> {
    parse_rfc3339(text).ok_or_else(|| PortError::corrupt("bad time in certificate record"))
}

/// The record a `record_json` text holds. An absent `type` is `global`
/// (and an absent `instance_id` `common`), an absent `project_id` empty, an absent `is_has_trusted_root_ca`
/// false, as the API has always reported them.
///
/// # Errors
/// [`kms_core::ports::PortErrorKind::Corrupt`]: not such an object, a time
/// that is not RFC 3339 UTC in whole seconds, a scope or key family that
/// does not read back as written.
pub(crate) fn decode(text: &str) -> PortResult<ApigCertificate> {
    let j: RecordJson = serde_json::from_str(text)
        .map_err(|e| PortError::corrupt("bad certificate record in database").with_source(e))?;
    // An absent `type` was `global`, and an absent `instance_id` of a
    // global certificate `common` (an instance one must name its gateway).
    let scope_type = j.r#type.as_deref().unwrap_or("global");
    let instance_id = match (scope_type, j.instance_id.as_deref()) {
        (_, Some(id)) => id,
        ("global", None) => "common",
        (_, None) => "",
    };
    let scope = codes::certificate_scope(scope_type, instance_id)?;
    let algorithm_type = j
        .algorithm_type
        .as_deref()
        .map(codes::key_family)
        .transpose()?;
    Ok(ApigCertificate {
        not_before: time(&j.not_before)?,
        not_after: time(&j.not_after)?,
        create_time: time(&j.create_time)?,
        update_time: time(&j.update_time)?,
        id: j.id,
        name: j.name,
        project_id: j.project_id.unwrap_or_default(),
        scope,
        common_name: j.common_name,
        san: j.san,
        version: j.version,
        organization: j.organization,
        organizational_unit: j.organizational_unit,
        locality: j.locality,
        state: j.state,
        country: j.country,
        serial_number: j.serial_number,
        issuer: j.issuer,
        signature_algorithm: j.signature_algorithm,
        algorithm_type,
        has_trusted_root_ca: j.is_has_trusted_root_ca.unwrap_or(false),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use cert_parse::KeyFamily;
    use kms_core::ports::PortErrorKind;
    use kms_model::CertificateScope;

    /// A global RSA certificate's `record_json` exactly as the versions
    /// before the typed record wrote it (`serde_json` of kms-model's
    /// `CertificateRecord`).
    const GLOBAL: &str = concat!(
        r#"{"id":"0a1b2c3d4e5f60718293a4b5c6d7e8f9","name":"api_cert","type":"global","#,
        r#""instance_id":"common","project_id":"proj-1","common_name":"api.example.com","#,
        r#""san":["api.example.com","10.0.0.1"],"version":3,"organization":["Example Org"],"#,
        r#""organizational_unit":["Unit A","Unit B"],"locality":["Shenzhen"],"#,
        r#""state":["Guangdong"],"country":["CN"],"not_before":"2024-01-01T00:00:00Z","#,
        r#""not_after":"2034-01-01T00:00:00Z","serial_number":"-1234567890123456789012","#,
        r#""issuer":["Example CA"],"signature_algorithm":"SHA256-RSA","#,
        r#""create_time":"2024-06-01T08:30:15Z","update_time":"2024-06-02T09:00:00Z","#,
        r#""is_has_trusted_root_ca":true,"algorithm_type":"RSA"}"#
    );

    /// An instance-scoped certificate of a key family APIG does not name
    /// (no `algorithm_type`), with empty subject parts and a validity
    /// starting before 1970.
    const INSTANCE: &str = concat!(
        r#"{"id":"ffeeddccbbaa99887766554433221100","name":"gw_cert","type":"instance","#,
        r#""instance_id":"gw-01_a","project_id":"proj-2","common_name":"","san":[],"#,
        r#""version":1,"organization":[],"organizational_unit":[],"locality":[],"state":[],"#,
        r#""country":[],"not_before":"1950-01-01T00:00:00Z","not_after":"9999-12-31T23:59:59Z","#,
        r#""serial_number":"1","issuer":[],"signature_algorithm":"0","#,
        r#""create_time":"2025-01-01T00:00:00Z","update_time":"2025-01-01T00:00:00Z","#,
        r#""is_has_trusted_root_ca":false}"#
    );

    fn t(text: &str) -> Timestamp {
        parse_rfc3339(text).unwrap_or_else(|| panic!("{text}"))
    }

    #[test]
    fn a_record_written_before_decodes_to_its_typed_fields() {
        let r = decode(GLOBAL).unwrap();
        assert_eq!(r.id, "0a1b2c3d4e5f60718293a4b5c6d7e8f9");
        assert_eq!(r.name, "api_cert");
        assert_eq!(r.project_id, "proj-1");
        assert_eq!(r.scope, CertificateScope::Global);
        assert_eq!(r.common_name, "api.example.com");
        assert_eq!(r.san, ["api.example.com", "10.0.0.1"]);
        assert_eq!(r.version, 3);
        assert_eq!(r.organization, ["Example Org"]);
        assert_eq!(r.organizational_unit, ["Unit A", "Unit B"]);
        assert_eq!(r.locality, ["Shenzhen"]);
        assert_eq!(r.state, ["Guangdong"]);
        assert_eq!(r.country, ["CN"]);
        assert_eq!(r.not_before, Timestamp(1_704_067_200_000));
        assert_eq!(r.not_after, Timestamp(2_019_686_400_000));
        assert_eq!(r.serial_number, "-1234567890123456789012");
        assert_eq!(r.issuer, ["Example CA"]);
        assert_eq!(r.signature_algorithm, "SHA256-RSA");
        assert_eq!(r.create_time, Timestamp(1_717_230_615_000));
        assert_eq!(r.update_time, t("2024-06-02T09:00:00Z"));
        assert!(r.has_trusted_root_ca);
        assert_eq!(r.algorithm_type, Some(KeyFamily::Rsa));

        let r = decode(INSTANCE).unwrap();
        assert_eq!(
            r.scope,
            CertificateScope::resolve(Some("instance"), Some("gw-01_a")).unwrap()
        );
        assert_eq!(r.not_before, t("1950-01-01T00:00:00Z"));
        assert!(r.not_before.0 < 0);
        assert_eq!(r.algorithm_type, None);
        assert!(!r.has_trusted_root_ca);
        assert!(r.san.is_empty() && r.country.is_empty());
    }

    #[test]
    fn a_record_is_written_back_byte_for_byte() {
        for text in [GLOBAL, INSTANCE] {
            assert_eq!(encode(&decode(text).unwrap()).unwrap(), text);
        }
        for family in ["ECC", "SM2", "Ed25519"] {
            let text = GLOBAL.replace(r#""RSA""#, &format!("\"{family}\""));
            let r = decode(&text).unwrap();
            assert_eq!(r.algorithm_type.map(KeyFamily::as_str), Some(family));
            assert_eq!(encode(&r).unwrap(), text);
        }
    }

    #[test]
    fn absent_optional_fields_read_as_the_api_reported_them() {
        let text = INSTANCE
            .replace(r#""type":"instance","instance_id":"gw-01_a","#, "")
            .replace(r#""project_id":"proj-2","#, "")
            .replace(r#","is_has_trusted_root_ca":false"#, "");
        let r = decode(&text).unwrap();
        assert_eq!(r.scope, CertificateScope::Global);
        assert_eq!(r.project_id, "");
        assert!(!r.has_trusted_root_ca);
    }

    #[test]
    fn what_does_not_read_back_as_written_is_corrupt() {
        let bad = [
            String::new(),
            "{}".to_owned(),
            "[]".to_owned(),
            GLOBAL.replace("2024-01-01T00:00:00Z", "2024-01-01T00:00:00.5Z"),
            GLOBAL.replace("2024-01-01T00:00:00Z", "2024-01-01T08:00:00+08:00"),
            GLOBAL.replace("2024-06-01T08:30:15Z", ""),
            GLOBAL.replace(r#""RSA""#, r#""DSA""#),
            GLOBAL.replace(r#""instance_id":"common""#, r#""instance_id":"gw-1""#),
            GLOBAL.replace(r#""type":"global""#, r#""type":"local""#),
            INSTANCE.replace("gw-01_a", "bad id!"),
            INSTANCE.replace(r#""instance_id":"gw-01_a","#, ""),
            GLOBAL.replace(r#""version":3"#, r#""version":300"#),
        ];
        for text in bad {
            let e = decode(&text).unwrap_err();
            assert_eq!(e.kind(), PortErrorKind::Corrupt, "{text}");
        }
    }
}
