//! The workspace's shape (docs/architecture.md, "Layers and names"): the
//! modules of each crate import each other without a circle, and no two
//! public types of the workspace share a name unless listed below with the
//! reason the one name is right for both.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use xtask::layout::{CrateSources, Graph, cycles, manifest_dependencies, workspace_members};

/// Module circles known and not yet removed, each exactly as it is: the
/// test fails if one changes (grows, shrinks or goes), so its entry is
/// updated or deleted with the code. None is left (kms-store-postgres's
/// error/store circle went with kms-store-sql, issue 21).
const KNOWN_CIRCLES: &[(&str, &[&str])] = &[];

/// Public type names defined more than once in the workspace, each with why
/// one name is right. Anything else defined twice fails the test.
const SHARED_NAMES: &[(&str, &str)] = &[
    (
        "Error",
        "each crate's own error type, by Rust convention; always named with its crate",
    ),
    (
        "Result",
        "each crate's `Result<T, Error>` alias, by Rust convention; always named with its crate",
    ),
    (
        "SigningAlgorithm",
        "one meaning, Huawei's `signing_algorithm`: kms-model's is the wire enum, kms-crypto's \
         the engine's (algorithm and hash); kms-core maps one to the other",
    ),
    (
        "MacAlgorithm",
        "one meaning, Huawei's `mac_algorithm`: kms-model's is the wire enum, kms-crypto's the \
         engine's (the HMAC hash); kms-core maps one to the other",
    ),
    (
        "Password",
        "one meaning, a password held zeroized and never shown by `Debug`: kms-server's is an \
         IAM user's, kms-store-postgres's the database role's",
    ),
];

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn crates() -> Vec<CrateSources> {
    let members = workspace_members(&workspace_root()).unwrap_or_default();
    assert!(
        members.len() >= 10,
        "workspace members not found: {members:?}"
    );
    members
        .iter()
        .map(|dir| match CrateSources::read(dir) {
            Ok(c) => c,
            Err(e) => panic!("{}: {e}", dir.display()),
        })
        .collect()
}

fn render(graph: &Graph, circle: &[String]) -> String {
    let mut s = String::new();
    for (from, tos) in graph.iter().filter(|(f, _)| circle.contains(f)) {
        for (to, ev) in tos.iter().filter(|(t, _)| circle.contains(t)) {
            s.push_str(&format!(
                "    {from} -> {to}  ({}:{})\n",
                ev.path.display(),
                ev.line
            ));
        }
    }
    s
}

#[test]
fn no_crate_has_a_circle_of_module_imports() {
    let mut failures = Vec::new();
    let mut known_seen = Vec::new();
    for c in crates() {
        let graph = c.graph();
        for circle in cycles(&graph) {
            let known = KNOWN_CIRCLES
                .iter()
                .any(|(k, nodes)| *k == c.name && *nodes == circle.as_slice());
            if known {
                known_seen.push((c.name.clone(), circle.clone()));
            } else {
                failures.push(format!(
                    "{}: circle {:?}\n{}",
                    c.name,
                    circle,
                    render(&graph, &circle)
                ));
            }
        }
    }
    for (k, nodes) in KNOWN_CIRCLES {
        if !known_seen.iter().any(|(c, n)| c == k && n == nodes) {
            failures.push(format!(
                "{k}: the known circle {nodes:?} is gone or changed; update KNOWN_CIRCLES"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn no_two_public_types_share_a_name() {
    let mut by_name: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut count = 0;
    for c in crates() {
        for t in c.public_types() {
            count += 1;
            by_name.entry(t.name.clone()).or_default().push(format!(
                "{} {} ({}:{})",
                t.krate,
                t.kind,
                t.path.display(),
                t.line
            ));
        }
    }
    assert!(count > 300, "only {count} public types found");
    let failures: Vec<String> = by_name
        .iter()
        .filter(|(name, defs)| defs.len() > 1 && !SHARED_NAMES.iter().any(|(n, _)| n == name))
        .map(|(name, defs)| format!("{name}: {}", defs.join(", ")))
        .collect();
    assert!(
        failures.is_empty(),
        "public types defined twice (rename one, or list the name in SHARED_NAMES with why):\n{}",
        failures.join("\n")
    );
    // The allow-list holds only names still shared.
    for (name, _) in SHARED_NAMES {
        assert!(
            by_name.get(*name).is_some_and(|d| d.len() > 1),
            "{name} is no longer shared: remove it from SHARED_NAMES"
        );
    }
}

/// The crates at the bottom of the layers: they depend on no workspace crate.
const FOUNDATIONS: &[&str] = &["kms-model", "kms-crypto", "cert-parse"];

#[test]
fn members_are_listed_by_layer_and_the_foundations_stand_alone() {
    let members = workspace_members(&workspace_root()).unwrap_or_default();
    let manifests: Vec<(String, Vec<String>)> = members
        .iter()
        .map(|dir| match manifest_dependencies(dir) {
            Ok(m) => m,
            Err(e) => panic!("{}: {e}", dir.display()),
        })
        .collect();
    let names: Vec<&str> = manifests.iter().map(|(n, _)| n.as_str()).collect();
    for f in FOUNDATIONS {
        assert!(names.contains(f), "{f} is not a member");
    }
    let mut failures = Vec::new();
    for (i, (name, deps)) in manifests.iter().enumerate() {
        for dep in deps.iter().filter(|d| names.contains(&d.as_str())) {
            if FOUNDATIONS.contains(&name.as_str()) {
                failures.push(format!("{name} depends on the workspace crate {dep}"));
            }
            if !names[..i].contains(&dep.as_str()) {
                failures.push(format!("{name} depends on {dep}, listed after it"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

// ------------------------------------------------- the checks themselves

fn planted(lib: &str, files: &[(&str, &str)]) -> CrateSources {
    let mut all = vec![("src/lib.rs", "crate", 0, lib)];
    for (name, text) in files {
        all.push((
            name,
            name.trim_start_matches("src/").trim_end_matches(".rs"),
            1,
            text,
        ));
    }
    CrateSources::from_texts("planted", &all)
}

#[test]
fn a_planted_circle_is_found_and_a_chain_is_not() {
    let lib = "mod a;\nmod b;\nmod c;\n";
    let chain = planted(
        lib,
        &[
            ("src/a.rs", "use crate::b::X;"),
            ("src/b.rs", "use crate::{c::Y};"),
            (
                "src/c.rs",
                "fn f() { let _ = 1; }\n#[cfg(test)] mod tests { use super::*; }",
            ),
        ],
    );
    assert_eq!(cycles(&chain.graph()), Vec::<Vec<String>>::new());
    let circle = planted(
        lib,
        &[
            ("src/a.rs", "use crate::b::X;"),
            ("src/b.rs", "fn g() -> crate::c::Y { todo!() }"),
            ("src/c.rs", "// crate::b is only a comment\nuse super::a;"),
        ],
    );
    assert_eq!(cycles(&circle.graph()), vec![vec!["a", "b", "c"]]);
}

#[test]
fn a_name_defined_in_the_root_closes_a_circle_through_it() {
    // kms-crypto's old shape: the root defines a type that a module builds,
    // and the root's own code calls into that module.
    let lib = "mod format;\npub use format::Header;\npub struct Blob;\nimpl Blob { fn f() { format::parse(); } }";
    let c = planted(
        lib,
        &[(
            "src/format.rs",
            "pub struct Header; fn seal() -> crate::Blob { todo!() }",
        )],
    );
    assert_eq!(cycles(&c.graph()), vec![vec!["crate", "format"]]);
    // A re-export is not a dependency of the root: `crate::Header` is format.
    let lib = "mod format;\nmod dek;\npub use format::Header;";
    let c = planted(
        lib,
        &[
            ("src/format.rs", "pub struct Header;"),
            ("src/dek.rs", "use crate::Header;"),
        ],
    );
    let g = c.graph();
    assert!(g["dek"].contains_key("format"), "{g:?}");
    assert_eq!(cycles(&g), Vec::<Vec<String>>::new());
}

#[test]
fn public_types_are_plain_pub_items_only() {
    let c = planted(
        "mod a;\npub struct One;\npub(crate) struct Hidden;",
        &[(
            "src/a.rs",
            "pub enum Two {}\npub trait Three {}\npub type Four = u8;\n/// pub struct InDoc;\nconst S: &str = \"pub struct InString\";",
        )],
    );
    let mut names: Vec<String> = c.public_types().into_iter().map(|t| t.name).collect();
    names.sort();
    assert_eq!(names, ["Four", "One", "Three", "Two"]);
}
