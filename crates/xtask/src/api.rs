//! Which third-party types a library's public face names, from rustdoc's
//! JSON output (`rustdoc_types`, format version 57: rustc 1.95).
//!
//! From the crate root, every item a user of the crate can reach is
//! walked: public module items and re-exports, public struct fields, enum
//! variants, public methods of inherent impls, trait impls of public types
//! (except the compiler's auto-trait and blanket impls), trait items,
//! function signatures, generics and bounds, type aliases, constants. Every
//! path in them that resolves to an item of another crate is a finding,
//! unless that crate is the standard library, a workspace crate, or
//! allowed by the caller's list.

use std::collections::{BTreeMap, BTreeSet};

use rustdoc_types::{Crate, Id, Item, ItemEnum, StructKind, VariantKind, Visibility};
use serde_json::Value;

/// Crates every face may name: the standard library.
pub const STD: &[&str] = &["std", "core", "alloc"];

/// One third-party path a public item names.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Finding {
    /// The external crate.
    pub krate: String,
    /// The external item's path (`x509_parser::error::X509Error`).
    pub external: String,
    /// The public item of ours that names it.
    pub item: String,
}

/// Walks `krate`'s public face; returns every path into a crate not in
/// `allowed_crates` (matched on the crate name) whose full path is not one
/// of `allowed_paths` nor inside one of them (`a::b` allows `a::b::c`, not
/// `a::bc`).
#[must_use]
pub fn external_types(
    krate: &Crate,
    allowed_crates: &[&str],
    allowed_paths: &[&str],
) -> BTreeSet<Finding> {
    let mut w = Walker {
        krate,
        seen: BTreeSet::new(),
        out: BTreeSet::new(),
        allowed_crates,
        allowed_paths,
    };
    w.item(krate.root, "");
    w.out
}

struct Walker<'a> {
    krate: &'a Crate,
    seen: BTreeSet<u32>,
    out: BTreeSet<Finding>,
    allowed_crates: &'a [&'a str],
    allowed_paths: &'a [&'a str],
}

impl Walker<'_> {
    fn item(&mut self, id: Id, context: &str) {
        if !self.seen.insert(id.0) {
            return;
        }
        let Some(item) = self.krate.index.get(&id) else {
            // An item of another crate (a re-export): checked by the caller.
            return;
        };
        let name = match &item.name {
            Some(n) if !context.is_empty() => format!("{context}::{n}"),
            Some(n) => n.clone(),
            None => context.to_owned(),
        };
        match &item.inner {
            ItemEnum::Module(m) => {
                for child in &m.items {
                    if self.public(*child) {
                        self.item(*child, &name);
                    }
                }
            }
            ItemEnum::Use(u) => {
                if let Some(target) = u.id {
                    if self.krate.index.contains_key(&target) {
                        self.item(target, context);
                    } else {
                        self.path(target, &u.source, &name);
                    }
                }
            }
            ItemEnum::Struct(s) => {
                self.types(&to_value(&s.generics), &name);
                match &s.kind {
                    StructKind::Unit => {}
                    StructKind::Tuple(fields) => {
                        for f in fields.iter().flatten() {
                            if self.public(*f) {
                                self.item(*f, &name);
                            }
                        }
                    }
                    StructKind::Plain { fields, .. } => {
                        for f in fields {
                            if self.public(*f) {
                                self.item(*f, &name);
                            }
                        }
                    }
                }
                for i in &s.impls {
                    self.item(*i, &name);
                }
            }
            ItemEnum::Union(u) => {
                self.types(&to_value(&u.generics), &name);
                for f in &u.fields {
                    if self.public(*f) {
                        self.item(*f, &name);
                    }
                }
                for i in &u.impls {
                    self.item(*i, &name);
                }
            }
            ItemEnum::Enum(e) => {
                self.types(&to_value(&e.generics), &name);
                for v in &e.variants {
                    self.item(*v, &name);
                }
                for i in &e.impls {
                    self.item(*i, &name);
                }
            }
            ItemEnum::Variant(v) => match &v.kind {
                VariantKind::Plain => {}
                VariantKind::Tuple(fields) => {
                    for f in fields.iter().flatten() {
                        self.item(*f, &name);
                    }
                }
                VariantKind::Struct { fields, .. } => {
                    for f in fields {
                        self.item(*f, &name);
                    }
                }
            },
            ItemEnum::Trait(t) => {
                self.types(&to_value(&t.generics), &name);
                self.types(&to_value(&t.bounds), &name);
                for i in &t.items {
                    self.item(*i, &name);
                }
            }
            ItemEnum::Impl(i) => {
                if i.is_synthetic || i.blanket_impl.is_some() {
                    return;
                }
                let label = match &i.trait_ {
                    Some(t) => format!("{context} (impl {})", t.path),
                    None => context.to_owned(),
                };
                if let Some(t) = &i.trait_ {
                    let trait_crate = self.crate_of(t.id);
                    // An allowed trait dictates its items (serde's derived
                    // `serialize<S: Serializer>`): only the impl is checked.
                    if let Some(c) = &trait_crate {
                        if self.allowed(c, &self.full_path(t.id, &t.path)) {
                            self.types(&to_value(&i.trait_), &label);
                            return;
                        }
                    }
                    self.types(&to_value(&i.trait_), &label);
                }
                self.types(&to_value(&i.generics), &label);
                let inherent = i.trait_.is_none();
                for child in &i.items {
                    if !inherent || self.public(*child) {
                        self.item(*child, &label);
                    }
                }
            }
            ItemEnum::StructField(t) => self.types(&to_value(t), &name),
            ItemEnum::Function(f) => {
                self.types(&to_value(&f.sig), &name);
                self.types(&to_value(&f.generics), &name);
            }
            ItemEnum::TypeAlias(t) => {
                self.types(&to_value(&t.type_), &name);
                self.types(&to_value(&t.generics), &name);
            }
            ItemEnum::Static(s) => self.types(&to_value(&s.type_), &name),
            ItemEnum::Constant { type_, .. } | ItemEnum::AssocConst { type_, .. } => {
                self.types(&to_value(type_), &name);
            }
            ItemEnum::AssocType {
                generics,
                bounds,
                type_,
            } => {
                self.types(&to_value(generics), &name);
                self.types(&to_value(bounds), &name);
                self.types(&to_value(type_), &name);
            }
            ItemEnum::TraitAlias(t) => {
                self.types(&to_value(&t.generics), &name);
                self.types(&to_value(&t.params), &name);
            }
            _ => {}
        }
    }

    /// Whether a module item, a struct field or an inherent method is
    /// visible to the crate's users: `pub`. (rustdoc writes `default` both
    /// for a private item and for what has no visibility of its own, enum
    /// variants, trait items and trait impl items, which are walked
    /// without asking.)
    fn public(&self, id: Id) -> bool {
        self.krate
            .index
            .get(&id)
            .is_none_or(|i: &Item| matches!(i.visibility, Visibility::Public))
    }

    fn crate_of(&self, id: Id) -> Option<String> {
        let summary = self.krate.paths.get(&id)?;
        if summary.crate_id == 0 {
            return None;
        }
        self.krate
            .external_crates
            .get(&summary.crate_id)
            .map(|c| c.name.clone())
    }

    fn full_path(&self, id: Id, fallback: &str) -> String {
        self.krate
            .paths
            .get(&id)
            .map_or_else(|| fallback.to_owned(), |s| s.path.join("::"))
    }

    fn allowed(&self, krate: &str, full_path: &str) -> bool {
        STD.contains(&krate)
            || self.allowed_crates.contains(&krate)
            || self.allowed_paths.iter().any(|p| {
                full_path == *p
                    || full_path
                        .strip_prefix(p)
                        .is_some_and(|rest| rest.starts_with("::"))
            })
    }

    fn path(&mut self, id: Id, written: &str, context: &str) {
        let Some(krate) = self.crate_of(id) else {
            return;
        };
        let full = self.full_path(id, written);
        if !self.allowed(&krate, &full) {
            self.out.insert(Finding {
                krate,
                external: full,
                item: context.to_owned(),
            });
        }
    }

    /// Every `Path` (`{"path": .., "id": .., "args": ..}`) in a serialized
    /// type position.
    fn types(&mut self, v: &Value, context: &str) {
        match v {
            Value::Object(map) => {
                if let (Some(Value::String(p)), Some(Value::Number(id))) =
                    (map.get("path"), map.get("id"))
                {
                    if let Some(id) = id.as_u64().and_then(|n| u32::try_from(n).ok()) {
                        self.path(Id(id), p, context);
                    }
                }
                for child in map.values() {
                    self.types(child, context);
                }
            }
            Value::Array(items) => {
                for child in items {
                    self.types(child, context);
                }
            }
            _ => {}
        }
    }
}

fn to_value<T: serde::Serialize>(t: &T) -> Value {
    serde_json::to_value(t).unwrap_or(Value::Null)
}

/// Findings grouped by external path: `external -> our items`.
#[must_use]
pub fn by_external(findings: &BTreeSet<Finding>) -> BTreeMap<(String, String), Vec<String>> {
    let mut out: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for f in findings {
        out.entry((f.krate.clone(), f.external.clone()))
            .or_default()
            .push(f.item.clone());
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// A crate `face` whose root holds `pub struct S { pub a: ext::Leak,
    /// hidden: ext::Private }` and `pub fn f(_: ext::Fine)`.
    fn planted() -> Crate {
        let item = |id: u32, name: &str, vis: &str, inner: Value| {
            serde_json::json!({
                "id": id, "crate_id": 0, "name": name, "span": null,
                "visibility": vis, "docs": null, "links": {}, "attrs": [],
                "deprecation": null, "inner": inner
            })
        };
        let path = |id: u32, p: &str| serde_json::json!({"resolved_path": {"path": p, "id": id, "args": null}});
        let generics = serde_json::json!({"params": [], "where_predicates": []});
        let header = serde_json::json!({
            "is_const": false, "is_unsafe": false, "is_async": false, "abi": "Rust"
        });
        let summary = |krate: u32, p: &[&str], kind: &str| serde_json::json!({"crate_id": krate, "path": p, "kind": kind});
        let json = serde_json::json!({
            "root": 0, "crate_version": null, "includes_private": false,
            "index": {
                "0": item(0, "face", "public", serde_json::json!({"module": {
                    "is_crate": true, "items": [1, 4], "is_stripped": false}})),
                "1": item(1, "S", "public", serde_json::json!({"struct": {
                    "kind": {"plain": {"fields": [2, 3], "has_stripped_fields": false}},
                    "generics": generics, "impls": []}})),
                "2": item(2, "a", "public", serde_json::json!({"struct_field": path(10, "ext::Leak")})),
                "3": item(3, "hidden", "default", serde_json::json!({"struct_field": path(11, "ext::Private")})),
                "4": item(4, "f", "public", serde_json::json!({"function": {
                    "sig": {"inputs": [["x", path(12, "ext::Fine")]], "output": null, "is_c_variadic": false},
                    "generics": generics, "header": header, "has_body": true}})),
            },
            "paths": {
                "10": summary(1, &["ext", "Leak"], "struct"),
                "11": summary(1, &["ext", "Private"], "struct"),
                "12": summary(1, &["ext", "fine", "Fine"], "struct"),
            },
            "external_crates": {"1": {"name": "ext", "html_root_url": null, "path": "/x"}},
            "target": {"triple": "x", "target_features": []},
            "format_version": rustdoc_types::FORMAT_VERSION,
        });
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn a_public_field_of_a_third_party_type_is_found() {
        let found = external_types(&planted(), &[], &[]);
        let externals: Vec<&str> = found.iter().map(|f| f.external.as_str()).collect();
        // `hidden` is a private field (rustdoc's `default` visibility).
        assert_eq!(externals, ["ext::Leak", "ext::fine::Fine"]);
        assert_eq!(found.iter().next().unwrap().item, "face::S::a");
    }

    #[test]
    fn allowed_crates_and_paths_are_not_findings() {
        assert!(external_types(&planted(), &["ext"], &[]).is_empty());
        // A module allows what is inside it; a name is no prefix of another.
        let found = external_types(&planted(), &[], &["ext::fine", "ext::Lea"]);
        let externals: Vec<&str> = found.iter().map(|f| f.external.as_str()).collect();
        assert_eq!(externals, ["ext::Leak"]);
    }
}
