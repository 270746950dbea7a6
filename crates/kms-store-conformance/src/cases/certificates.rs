//! Certificate store cases.

#[allow(clippy::wildcard_imports, unused_imports)]
use crate::*;

// ---------------------------------------------------------------- certificates

/// Every field of a certificate (record, PEMs, trusted root) comes back as
/// inserted, global and instance-scoped, with and without optional parts.
pub fn certificate_round_trip(new: &dyn Fn() -> StoreSet) {
    let s = new();
    let full = certificate(1, PROJECT, "full_cert");
    let mut sparse = instance_certificate(2, PROJECT, "sparse_cert", "inst-1");
    sparse.trusted_root_ca = None;
    sparse.record.has_trusted_root_ca = false;
    sparse.record.algorithm_type = None;
    sparse.record.san = vec![];
    sparse.record.organization = vec![];
    sparse.record.version = 1;
    sparse.record.signature_algorithm = "0".to_owned();
    for c in [&full, &sparse] {
        ok(s.certificates.insert_certificate(c), "insert");
    }
    for c in [&full, &sparse] {
        assert_eq!(
            ok(s.certificates.get_certificate(PROJECT, &c.record.id), "get"),
            Some(c.clone()),
            "get_certificate must return every field as inserted"
        );
    }
    let (total, page) = ok(
        s.certificates
            .list_certificates(PROJECT, &CertificateFilter::default(), 0, 10),
        "list",
    );
    assert_eq!(total, 2);
    assert_eq!(
        page,
        vec![full, sparse],
        "list_certificates must return every field"
    );
}

/// Unknown certificates: `None`, `false`, `NotFound`, an empty list.
pub fn certificate_not_found(new: &dyn Fn() -> StoreSet) {
    let s = new();
    let c = &*s.certificates;
    let cert = certificate(1, PROJECT, "name_a");
    assert_eq!(ok(c.get_certificate(PROJECT, &cert.record.id), "get"), None);
    assert!(!ok(
        c.delete_certificate(PROJECT, &cert.record.id),
        "delete"
    ));
    assert_eq!(
        c.update_certificate(&cert),
        Err(CertificateWriteError::NotFound)
    );
    assert_eq!(
        ok(c.get_certificate(PROJECT, &cert.record.id), "get"),
        None,
        "an update of an unknown certificate inserts nothing"
    );
    assert_eq!(
        ok(
            c.list_certificates(PROJECT, &CertificateFilter::default(), 0, 10),
            "list"
        ),
        (0, vec![])
    );
}

/// "Only if the name is free within the project and scope": scope is
/// `(type, instance_id)`; another scope or project is free.
pub fn certificate_name_unique_per_project_and_scope(new: &dyn Fn() -> StoreSet) {
    let s = new();
    let c = &*s.certificates;
    ok(
        c.insert_certificate(&certificate(1, PROJECT, "name_x")),
        "first",
    );
    let dup = certificate(2, PROJECT, "name_x");
    assert_eq!(
        c.insert_certificate(&dup),
        Err(CertificateWriteError::NameTaken),
        "same name, project and scope"
    );
    assert_eq!(
        ok(c.get_certificate(PROJECT, &dup.record.id), "get"),
        None,
        "a refused insert must insert nothing"
    );
    ok(
        c.insert_certificate(&instance_certificate(3, PROJECT, "name_x", "inst-1")),
        "instance scope is another scope",
    );
    ok(
        c.insert_certificate(&instance_certificate(4, PROJECT, "name_x", "inst-2")),
        "another instance is another scope",
    );
    assert_eq!(
        c.insert_certificate(&instance_certificate(5, PROJECT, "name_x", "inst-1")),
        Err(CertificateWriteError::NameTaken),
        "same instance scope"
    );
    ok(
        c.insert_certificate(&certificate(6, OTHER_PROJECT, "name_x")),
        "another project",
    );
    ok(
        c.insert_certificate(&certificate(7, PROJECT, "name_y")),
        "another name",
    );
    let all = CertificateFilter::default();
    assert_eq!(ok(c.list_certificates(PROJECT, &all, 0, 10), "list").0, 4);
}

/// Update replaces every field; keeping its own name is fine; a name taken
/// in the (new) scope is `NameTaken` and changes nothing; moving scope
/// frees the name check; an unknown id or another project's is `NotFound`.
pub fn certificate_update(new: &dyn Fn() -> StoreSet) {
    let s = new();
    let c = &*s.certificates;
    let a = certificate(1, PROJECT, "alpha");
    let b = certificate(2, PROJECT, "beta");
    ok(c.insert_certificate(&a), "a");
    ok(c.insert_certificate(&b), "b");
    let get = |id: &str| ok(c.get_certificate(PROJECT, id), "get");

    let mut a2 = certificate(1, PROJECT, "gamma");
    a2.record.common_name = "new.example.net".to_owned();
    a2.record.san = vec!["new.example.net".to_owned()];
    a2.record.signature_algorithm = "ECDSA-SHA256".to_owned();
    a2.record.algorithm_type = Some(KeyFamily::Ecc);
    a2.record.not_after = at("2040-01-01T00:00:00Z");
    a2.record.update_time = at("2025-01-01T00:00:00Z");
    a2.record.has_trusted_root_ca = false;
    a2.cert_pem = "new cert pem".to_owned();
    a2.sealed_private_key = sealed_private_key(PROJECT, &a.record.id, "new key");
    a2.trusted_root_ca = None;
    ok(c.update_certificate(&a2), "update every field");
    assert_eq!(
        get(&a.record.id),
        Some(a2.clone()),
        "update replaces every field"
    );

    let mut a3 = a2.clone();
    a3.record.update_time = at("2025-02-01T00:00:00Z");
    ok(c.update_certificate(&a3), "keeping its own name");
    assert_eq!(get(&a.record.id), Some(a3.clone()));

    let mut taken = a3.clone();
    taken.record.name = "beta".to_owned();
    taken.cert_pem = "must not be written".to_owned();
    assert_eq!(
        c.update_certificate(&taken),
        Err(CertificateWriteError::NameTaken),
        "renaming to a name taken in the scope"
    );
    assert_eq!(
        get(&a.record.id),
        Some(a3.clone()),
        "a refused update changes nothing"
    );
    assert_eq!(get(&b.record.id), Some(b.clone()));

    let mut moved = instance_certificate(1, PROJECT, "beta", "inst-1");
    moved.record.update_time = at("2025-03-01T00:00:00Z");
    ok(
        c.update_certificate(&moved),
        "the name is free in the new scope",
    );
    assert_eq!(get(&a.record.id), Some(moved.clone()));
    ok(
        c.insert_certificate(&certificate(3, PROJECT, "gamma")),
        "the old name is free again",
    );

    let foreign = certificate(1, OTHER_PROJECT, "delta");
    assert_eq!(
        c.update_certificate(&foreign),
        Err(CertificateWriteError::NotFound),
        "another project's certificate"
    );
    assert_eq!(get(&a.record.id), Some(moved));
    assert_eq!(
        ok(c.get_certificate(OTHER_PROJECT, &foreign.record.id), "get"),
        None
    );

    let missing = certificate(99, PROJECT, "epsilon");
    assert_eq!(
        c.update_certificate(&missing),
        Err(CertificateWriteError::NotFound),
        "unknown id"
    );
    assert_eq!(get(&missing.record.id), None, "an update inserts nothing");
}

/// An update of an id that does not exist is `NotFound` even when its name
/// is taken: there is nothing to rename. (The port docs list both errors
/// without ranking them; this case pins the order the SQL adapter gives,
/// one `UPDATE ... WHERE id`, so callers see a 404 for a missing resource.)
pub fn certificate_update_of_missing_id_is_not_found_even_if_name_taken(
    new: &dyn Fn() -> StoreSet,
) {
    let s = new();
    let c = &*s.certificates;
    ok(
        c.insert_certificate(&certificate(1, PROJECT, "taken_name")),
        "insert",
    );
    assert_eq!(
        c.update_certificate(&certificate(2, PROJECT, "taken_name")),
        Err(CertificateWriteError::NotFound),
        "update of a missing id with a taken name"
    );
}

/// Delete is `true` once, then `false`; another project's delete is
/// `false` and leaves the certificate; a deleted name is free again.
pub fn certificate_delete(new: &dyn Fn() -> StoreSet) {
    let s = new();
    let c = &*s.certificates;
    let a = certificate(1, PROJECT, "alpha");
    ok(c.insert_certificate(&a), "insert");
    let id = a.record.id.as_str();
    assert!(
        !ok(c.delete_certificate(OTHER_PROJECT, id), "delete"),
        "another project cannot delete"
    );
    assert_eq!(ok(c.get_certificate(PROJECT, id), "get"), Some(a.clone()));
    assert!(ok(c.delete_certificate(PROJECT, id), "delete"));
    assert_eq!(ok(c.get_certificate(PROJECT, id), "get"), None);
    assert!(
        !ok(c.delete_certificate(PROJECT, id), "delete"),
        "second delete"
    );
    ok(
        c.insert_certificate(&certificate(2, PROJECT, "alpha")),
        "a deleted certificate's name is free again",
    );
}

/// Filters: `name` and `common_name` by substring, the rest exact; they
/// combine; `total` counts the matches, not the page.
pub fn certificate_list_filters(new: &dyn Fn() -> StoreSet) {
    let s = new();
    let c = &*s.certificates;
    let one = certificate(1, PROJECT, "alpha_one");
    let mut two = certificate(2, PROJECT, "beta_two");
    two.record.common_name = "beta.example.org".to_owned();
    two.record.signature_algorithm = "ECDSA-SHA256".to_owned();
    two.record.algorithm_type = Some(KeyFamily::Ecc);
    let mut three = instance_certificate(3, PROJECT, "alpha_three", "inst-1");
    three.record.common_name = "gamma.example.com".to_owned();
    let mut four = instance_certificate(4, PROJECT, "delta_four", "inst-2");
    four.record.common_name = "delta.example.net".to_owned();
    four.record.signature_algorithm = "SHA384-RSA".to_owned();
    four.record.algorithm_type = Some(KeyFamily::Sm2);
    for x in [&one, &two, &three, &four] {
        ok(c.insert_certificate(x), "insert");
    }
    ok(
        c.insert_certificate(&certificate(5, OTHER_PROJECT, "alpha_other")),
        "insert",
    );
    let list = |f: CertificateFilter, offset, limit| {
        let (total, page) = ok(c.list_certificates(PROJECT, &f, offset, limit), "list");
        (total, ids_of_certs(&page))
    };
    let f = CertificateFilter::default;
    let all = |ns: &[usize]| (ns.len() as u64, cert_ids(ns));
    assert_eq!(list(f(), 0, 10), all(&[1, 2, 3, 4]), "no filter");
    let checks: [(&str, CertificateFilter, &[usize]); 12] = [
        (
            "name substring",
            CertificateFilter {
                name: Some("alpha".into()),
                ..f()
            },
            &[1, 3],
        ),
        (
            "name substring in the middle",
            CertificateFilter {
                name: Some("a_t".into()),
                ..f()
            },
            &[2, 3],
        ),
        (
            "common_name substring",
            CertificateFilter {
                common_name: Some("example.com".into()),
                ..f()
            },
            &[1, 3],
        ),
        (
            "signature_algorithm exact",
            CertificateFilter {
                signature_algorithm: Some("SHA256-RSA".into()),
                ..f()
            },
            &[1, 3],
        ),
        (
            "signature_algorithm is not a substring match",
            CertificateFilter {
                signature_algorithm: Some("SHA256".into()),
                ..f()
            },
            &[],
        ),
        (
            "type",
            CertificateFilter {
                r#type: Some("instance".into()),
                ..f()
            },
            &[3, 4],
        ),
        (
            "type global",
            CertificateFilter {
                r#type: Some("global".into()),
                ..f()
            },
            &[1, 2],
        ),
        (
            "instance_id exact",
            CertificateFilter {
                instance_id: Some("inst-1".into()),
                ..f()
            },
            &[3],
        ),
        (
            "instance_id is not a substring match",
            CertificateFilter {
                instance_id: Some("inst".into()),
                ..f()
            },
            &[],
        ),
        (
            "algorithm_type exact",
            CertificateFilter {
                algorithm_type: Some("RSA".into()),
                ..f()
            },
            &[1, 3],
        ),
        (
            "combined",
            CertificateFilter {
                name: Some("alpha".into()),
                r#type: Some("instance".into()),
                algorithm_type: Some("RSA".into()),
                ..f()
            },
            &[3],
        ),
        (
            "nothing matches",
            CertificateFilter {
                name: Some("zzz".into()),
                ..f()
            },
            &[],
        ),
    ];
    for (what, filter, want) in checks {
        assert_eq!(list(filter, 0, 10), all(want), "filter: {what}");
    }
    let alpha = CertificateFilter {
        name: Some("alpha".into()),
        ..f()
    };
    assert_eq!(
        list(alpha.clone(), 1, 1),
        (2, cert_ids(&[3])),
        "a page of the matches; total counts every match"
    );
    assert_eq!(list(alpha, 2, 1), (2, vec![]), "past the matches");
}

/// Pages of certificates: oldest (first inserted) first, the total is the
/// project's count whatever the page; an update keeps the position.
pub fn certificate_list_paging(new: &dyn Fn() -> StoreSet) {
    let s = new();
    let c = &*s.certificates;
    for n in 0..5 {
        ok(
            c.insert_certificate(&certificate(n, PROJECT, &format!("cert_{n}"))),
            "insert",
        );
    }
    ok(
        c.insert_certificate(&certificate(9, OTHER_PROJECT, "cert_9")),
        "insert",
    );
    let page = |offset, limit| {
        let (total, page) = ok(
            c.list_certificates(PROJECT, &CertificateFilter::default(), offset, limit),
            "list",
        );
        (total, ids_of_certs(&page))
    };
    assert_eq!(page(0, 2), (5, cert_ids(&[0, 1])), "first page");
    assert_eq!(page(2, 2), (5, cert_ids(&[2, 3])), "second page");
    assert_eq!(page(4, 2), (5, cert_ids(&[4])), "last, short page");
    assert_eq!(page(5, 2), (5, vec![]), "offset at the end");
    assert_eq!(page(u64::MAX, 2), (5, vec![]), "huge offset");
    assert_eq!(page(0, 0), (5, vec![]), "limit 0");
    assert_eq!(
        page(0, u64::MAX),
        (5, cert_ids(&[0, 1, 2, 3, 4])),
        "huge limit"
    );
    let mut renamed = certificate(0, PROJECT, "renamed_0");
    renamed.record.update_time = at("2030-01-01T00:00:00Z");
    ok(c.update_certificate(&renamed), "update");
    assert_eq!(
        page(0, 1),
        (5, cert_ids(&[0])),
        "an updated certificate keeps its place"
    );
}

/// Another project sees nothing of a certificate and cannot change it.
pub fn certificate_tenancy(new: &dyn Fn() -> StoreSet) {
    let s = new();
    let c = &*s.certificates;
    let a = certificate(1, PROJECT, "alpha");
    ok(c.insert_certificate(&a), "insert");
    let id = a.record.id.as_str();
    assert_eq!(ok(c.get_certificate(OTHER_PROJECT, id), "get"), None);
    assert_eq!(
        ok(
            c.list_certificates(OTHER_PROJECT, &CertificateFilter::default(), 0, 10),
            "list"
        ),
        (0, vec![])
    );
    assert_eq!(
        c.update_certificate(&certificate(1, OTHER_PROJECT, "alpha")),
        Err(CertificateWriteError::NotFound)
    );
    assert!(!ok(c.delete_certificate(OTHER_PROJECT, id), "delete"));
    assert_eq!(
        ok(c.get_certificate(PROJECT, id), "get"),
        Some(a),
        "untouched"
    );
}
