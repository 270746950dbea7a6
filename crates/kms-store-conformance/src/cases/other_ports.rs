//! The cluster directory and id generator.

#[allow(clippy::wildcard_imports, unused_imports)]
use crate::*;

// ---------------------------------------------------------------- other ports

/// A [`ClusterDirectory`] returns every cluster it knows, whoever owns it,
/// field for field, and `None` for an unknown id.
pub fn cluster_directory_lookup(dir: &dyn ClusterDirectory, known: &[ClusterInfo]) {
    for c in known {
        assert_eq!(
            ok(dir.get_cluster(&c.cluster_id), "get_cluster"),
            Some(c.clone()),
            "get_cluster must return the cluster"
        );
    }
    assert_eq!(
        ok(dir.get_cluster("no-such-cluster"), "get_cluster"),
        None,
        "unknown cluster"
    );
}

pub(crate) fn is_resource_id(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    groups.len() == 5
        && groups.iter().zip([8, 4, 4, 4, 12]).all(|(g, n)| {
            g.len() == n
                && g.bytes()
                    .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase())
        })
}

/// An [`IdGenerator`] gives ids of the form
/// `^[0-9a-z]{8}-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{12}$`, all
/// distinct, also when 8 threads draw 100 each at once.
pub fn id_generator_format_and_uniqueness(ids: &dyn IdGenerator) {
    let drawn = race(|_| {
        (0..100)
            .map(|_| ok(ids.new_id(), "new_id"))
            .collect::<Vec<_>>()
    });
    let mut all: Vec<String> = drawn.into_iter().flatten().collect();
    for i in &all {
        assert!(is_resource_id(i), "id {i:?} is not 8-4-4-4-12 of [0-9a-z]");
    }
    let n = all.len();
    all.sort();
    all.dedup();
    assert_eq!(all.len(), n, "ids must be distinct");
}
