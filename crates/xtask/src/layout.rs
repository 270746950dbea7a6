//! The module graph of a crate (one node per top-level module, plus the
//! crate root) and the public type names it defines.
//!
//! Source files are found by following `mod name;` from the crate root
//! (`src/lib.rs`, else `lib.rs`, else `src/main.rs`), so test, bench and
//! example targets are not part of a crate's graph. An edge `a -> b` is a
//! path in module `a` (or in any file or inline module under it) that names
//! module `b`: `crate::b::...`, `crate::{b::...}`, `super::...` climbing to
//! the root and then naming `b`, or a root-level name that the root
//! re-exports from `b` (`pub use b::Name;` makes `crate::Name` an edge to
//! `b`). An item defined in the crate root itself is the node `crate`; the
//! root depends on a module when its own code (not its `mod` declarations
//! or `pub use` re-exports) names it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::lexer::{Lexeme, Spanned, tokenize};

/// The node of the crate root in a module graph.
pub const ROOT: &str = "crate";

/// One source file of a crate.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// Path, relative to the crate's directory.
    pub path: PathBuf,
    /// The top-level module it belongs to ([`ROOT`] for the root file).
    pub node: String,
    /// How many modules deep the file's own module is (root file 0).
    pub depth: usize,
    tokens: Vec<Spanned>,
}

/// A crate's sources, as reached from its root by `mod` declarations.
#[derive(Debug, Clone)]
pub struct CrateSources {
    /// The package directory name (for messages).
    pub name: String,
    /// The files, root first.
    pub files: Vec<SourceFile>,
}

/// Why an edge exists: the file and line of one reference.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Evidence {
    /// The file, relative to the crate.
    pub path: PathBuf,
    /// The line.
    pub line: usize,
}

/// The graph: `from -> to -> first reference`.
pub type Graph = BTreeMap<String, BTreeMap<String, Evidence>>;

/// A `pub struct|enum|trait|type|union NAME` definition.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct PublicType {
    /// The crate (package directory name).
    pub krate: String,
    /// The file, relative to the crate.
    pub path: PathBuf,
    /// The line.
    pub line: usize,
    /// `struct`, `enum`, `trait`, `type` or `union`.
    pub kind: String,
    /// The type's name.
    pub name: String,
}

impl CrateSources {
    /// Reads a crate from its package directory.
    ///
    /// # Errors
    /// If the root or a declared module's file cannot be read.
    pub fn read(dir: &Path) -> std::io::Result<Self> {
        let name = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let root = ["src/lib.rs", "lib.rs", "src/main.rs"]
            .iter()
            .map(|p| dir.join(p))
            .find(|p| p.is_file())
            .ok_or_else(|| {
                std::io::Error::new(std::io::ErrorKind::NotFound, format!("{name}: no root"))
            })?;
        let mut files = Vec::new();
        // (file, the directory its `mod x;` children live in, node, depth)
        let root_dir = root.parent().map(Path::to_path_buf).unwrap_or_default();
        let mut queue = vec![(root, root_dir, ROOT.to_owned(), 0usize)];
        while let Some((file, child_dir, node, depth)) = queue.pop() {
            let text = std::fs::read_to_string(&file)
                .map_err(|e| std::io::Error::new(e.kind(), format!("{}: {e}", file.display())))?;
            let tokens = tokenize(&text);
            for decl in module_declarations(&tokens) {
                let flat = child_dir.join(format!("{decl}.rs"));
                let nested = child_dir.join(&decl).join("mod.rs");
                let (child, grand_dir) = if flat.is_file() {
                    (flat, child_dir.join(&decl))
                } else if nested.is_file() {
                    (nested, child_dir.join(&decl))
                } else {
                    return Err(std::io::Error::new(
                        std::io::ErrorKind::NotFound,
                        format!("{}: module `{decl}` has no file", file.display()),
                    ));
                };
                let child_node = if depth == 0 {
                    decl.clone()
                } else {
                    node.clone()
                };
                queue.push((child, grand_dir, child_node, depth + 1));
            }
            let path = file.strip_prefix(dir).unwrap_or(&file).to_path_buf();
            files.push(SourceFile {
                path,
                node,
                depth,
                tokens,
            });
        }
        files.sort_by(|a, b| (a.depth, &a.path).cmp(&(b.depth, &b.path)));
        Ok(Self { name, files })
    }

    /// A crate from in-memory files (tests): `(path, node, depth, text)`.
    #[must_use]
    pub fn from_texts(name: &str, files: &[(&str, &str, usize, &str)]) -> Self {
        Self {
            name: name.to_owned(),
            files: files
                .iter()
                .map(|(path, node, depth, text)| SourceFile {
                    path: PathBuf::from(path),
                    node: (*node).to_owned(),
                    depth: *depth,
                    tokens: tokenize(text),
                })
                .collect(),
        }
    }

    fn root(&self) -> Option<&SourceFile> {
        self.files.iter().find(|f| f.depth == 0)
    }

    /// The top-level modules (declared in the root file).
    #[must_use]
    pub fn modules(&self) -> BTreeSet<String> {
        self.root()
            .map(|r| module_declarations(&r.tokens).into_iter().collect())
            .unwrap_or_default()
    }

    /// The module graph between top-level modules and the root.
    #[must_use]
    pub fn graph(&self) -> Graph {
        let modules = self.modules();
        let root_tokens = self.root().map(|r| r.tokens.as_slice()).unwrap_or(&[]);
        let reexports = reexports(root_tokens);
        let root_items = defined_items(root_tokens);
        let resolve = |name: &str| -> Option<String> {
            if name == "self" || name == "super" || name == "crate" {
                None
            } else if modules.contains(name) {
                Some(name.to_owned())
            } else if let Some(m) = reexports.get(name) {
                Some(m.clone())
            } else if root_items.contains(name) {
                Some(ROOT.to_owned())
            } else {
                // Macros exported at the root, derive helpers, ...: the root.
                Some(ROOT.to_owned())
            }
        };
        let mut graph = Graph::new();
        for node in modules.iter().cloned().chain([ROOT.to_owned()]) {
            graph.entry(node).or_default();
        }
        for file in &self.files {
            for (name, line) in root_references(file, &modules) {
                let Some(to) = resolve(&name) else { continue };
                if to == file.node {
                    continue;
                }
                graph
                    .entry(file.node.clone())
                    .or_default()
                    .entry(to)
                    .or_insert(Evidence {
                        path: file.path.clone(),
                        line,
                    });
            }
        }
        graph
    }

    /// Every `pub struct|enum|trait|type|union NAME` (plain `pub`, not
    /// `pub(crate)`), wherever it is in the crate.
    #[must_use]
    pub fn public_types(&self) -> Vec<PublicType> {
        let mut out = Vec::new();
        for file in &self.files {
            let t = &file.tokens;
            for i in 0..t.len() {
                if !is_ident(t.get(i), "pub")
                    || matches!(t.get(i + 1), Some(s) if s.token == Lexeme::Punct('('))
                {
                    continue;
                }
                let Some(Lexeme::Ident(kind)) = t.get(i + 1).map(|s| &s.token) else {
                    continue;
                };
                if !["struct", "enum", "trait", "type", "union"].contains(&kind.as_str()) {
                    continue;
                }
                if let Some(Lexeme::Ident(name)) = t.get(i + 2).map(|s| &s.token) {
                    out.push(PublicType {
                        krate: self.name.clone(),
                        path: file.path.clone(),
                        line: t[i].line,
                        kind: kind.clone(),
                        name: name.clone(),
                    });
                }
            }
        }
        out
    }
}

fn is_ident(t: Option<&Spanned>, word: &str) -> bool {
    matches!(t, Some(Spanned { token: Lexeme::Ident(s), .. }) if s == word)
}

fn is_punct(t: Option<&Spanned>, c: char) -> bool {
    matches!(t, Some(Spanned { token: Lexeme::Punct(p), .. }) if *p == c)
}

fn ident(t: Option<&Spanned>) -> Option<&str> {
    match t {
        Some(Spanned {
            token: Lexeme::Ident(s),
            ..
        }) => Some(s),
        _ => None,
    }
}

/// `mod name;` declarations at brace depth 0 (out-of-line modules).
fn module_declarations(tokens: &[Spanned]) -> Vec<String> {
    let mut out = Vec::new();
    let mut depth = 0usize;
    for (i, t) in tokens.iter().enumerate() {
        match t.token {
            Lexeme::Punct('{') => depth += 1,
            Lexeme::Punct('}') => depth = depth.saturating_sub(1),
            Lexeme::Ident(ref s) if s == "mod" && depth == 0 => {
                if let Some(name) = ident(tokens.get(i + 1)) {
                    if is_punct(tokens.get(i + 2), ';') {
                        out.push(name.to_owned());
                    }
                }
            }
            _ => {}
        }
    }
    out
}

/// Names of items the root defines itself (at brace depth 0).
fn defined_items(tokens: &[Spanned]) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut depth = 0usize;
    for (i, t) in tokens.iter().enumerate() {
        match t.token {
            Lexeme::Punct('{') => depth += 1,
            Lexeme::Punct('}') => depth = depth.saturating_sub(1),
            Lexeme::Ident(ref s)
                if depth == 0
                    && [
                        "struct", "enum", "trait", "type", "union", "fn", "const", "static",
                    ]
                    .contains(&s.as_str()) =>
            {
                if let Some(name) = ident(tokens.get(i + 1)) {
                    out.insert(name.to_owned());
                }
            }
            _ => {}
        }
    }
    out
}

/// The root's re-exports: exported name -> the top-level module it comes
/// from (`pub use m::{A, b::C as D};` gives `A -> m`, `D -> m`).
fn reexports(tokens: &[Spanned]) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for (start, end) in pub_use_statements(tokens) {
        let mut leaves = Vec::new();
        use_tree(&tokens[start..end], &[], &mut leaves);
        for (path, name) in leaves {
            let path: Vec<&str> = path
                .iter()
                .map(String::as_str)
                .skip_while(|s| *s == "crate" || *s == "self")
                .collect();
            if let (Some(module), Some(name)) = (path.first(), name) {
                out.insert(name, (*module).to_owned());
            }
        }
    }
    out
}

/// Lexeme ranges of the bodies of `pub use ...;` / `pub(...) use ...;` at
/// brace depth 0 (from after `use` to before `;`).
fn pub_use_statements(tokens: &[Spanned]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut i = 0;
    while i < tokens.len() {
        match tokens[i].token {
            Lexeme::Punct('{') => depth += 1,
            Lexeme::Punct('}') => depth = depth.saturating_sub(1),
            Lexeme::Ident(ref s) if s == "pub" && depth == 0 => {
                let mut j = i + 1;
                if is_punct(tokens.get(j), '(') {
                    while j < tokens.len() && !is_punct(tokens.get(j), ')') {
                        j += 1;
                    }
                    j += 1;
                }
                if is_ident(tokens.get(j), "use") {
                    let start = j + 1;
                    let mut end = start;
                    while end < tokens.len() && !is_punct(tokens.get(end), ';') {
                        end += 1;
                    }
                    out.push((start, end));
                    i = end;
                }
            }
            _ => {}
        }
        i += 1;
    }
    out
}

/// Flattens a use tree into `(path, exported name)` leaves (`None` for `*`).
fn use_tree(tokens: &[Spanned], prefix: &[String], out: &mut Vec<(Vec<String>, Option<String>)>) {
    for item in split_top_level_commas(tokens) {
        let mut path = prefix.to_vec();
        let mut i = 0;
        let mut leaf: Option<Option<String>> = None;
        while i < item.len() {
            match &item[i].token {
                Lexeme::Ident(s) if s == "as" => {
                    leaf = Some(ident(item.get(i + 1)).map(str::to_owned));
                    break;
                }
                Lexeme::Ident(s) => path.push(s.clone()),
                Lexeme::Punct('*') => {
                    leaf = Some(None);
                    break;
                }
                Lexeme::Punct('{') => {
                    let close = matching_brace(item, i).unwrap_or(item.len());
                    use_tree(&item[i + 1..close.min(item.len())], &path, out);
                    leaf = Some(Some(String::new()));
                    break;
                }
                _ => {}
            }
            i += 1;
        }
        match leaf {
            Some(Some(name)) if name.is_empty() => {}
            Some(name) => out.push((path, name)),
            None => {
                let name = path.last().cloned();
                if name.as_deref() == Some("self") {
                    path.pop();
                    let name = path.last().cloned();
                    out.push((path, name));
                } else {
                    out.push((path, name));
                }
            }
        }
    }
}

fn split_top_level_commas(tokens: &[Spanned]) -> Vec<&[Spanned]> {
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    for (i, t) in tokens.iter().enumerate() {
        match t.token {
            Lexeme::Punct('{') => depth += 1,
            Lexeme::Punct('}') => depth = depth.saturating_sub(1),
            Lexeme::Punct(',') if depth == 0 => {
                out.push(&tokens[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    if start < tokens.len() {
        out.push(&tokens[start..]);
    }
    out
}

fn matching_brace(tokens: &[Spanned], open: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (i, t) in tokens.iter().enumerate().skip(open) {
        match t.token {
            Lexeme::Punct('{') => depth += 1,
            Lexeme::Punct('}') => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

/// The first segment after the crate root of every path in `file` that
/// starts at the root: `crate::X`, `crate::{X::.., Y}`, `super::...::X`
/// climbing to the root, and (in the root file, outside its `mod`
/// declarations and `pub use` re-exports) `X::` for a top-level module `X`.
fn root_references(file: &SourceFile, modules: &BTreeSet<String>) -> Vec<(String, usize)> {
    let t = &file.tokens;
    let mut out = Vec::new();
    // The module depth at each token: the file's, plus inline `mod x { }`.
    let mut brace_depth = 0usize;
    let mut inline_mods: Vec<usize> = Vec::new();
    let skip: Vec<(usize, usize)> = if file.depth == 0 {
        pub_use_statements(t)
    } else {
        Vec::new()
    };
    let mut i = 0;
    while i < t.len() {
        let module_depth = file.depth + inline_mods.len();
        match &t[i].token {
            Lexeme::Punct('{') => {
                brace_depth += 1;
                i += 1;
                continue;
            }
            Lexeme::Punct('}') => {
                brace_depth = brace_depth.saturating_sub(1);
                if inline_mods.last() == Some(&brace_depth) {
                    inline_mods.pop();
                }
                i += 1;
                continue;
            }
            Lexeme::Ident(s) if s == "mod" => {
                if ident(t.get(i + 1)).is_some() && is_punct(t.get(i + 2), '{') {
                    inline_mods.push(brace_depth);
                }
                i += 1;
                continue;
            }
            _ => {}
        }
        let after_sep = i > 0 && t[i - 1].token == Lexeme::PathSep;
        let after_dollar = i > 0 && is_punct(t.get(i - 1), '$');
        if after_sep || after_dollar {
            i += 1;
            continue;
        }
        // Count a `super::super::...` or `crate::` prefix.
        let mut j = i;
        let mut at_root = false;
        if is_ident(t.get(j), "crate") && t.get(j + 1).map(|s| &s.token) == Some(&Lexeme::PathSep) {
            j += 2;
            at_root = true;
        } else if is_ident(t.get(j), "super") {
            let mut k = 0;
            while is_ident(t.get(j), "super")
                && t.get(j + 1).map(|s| &s.token) == Some(&Lexeme::PathSep)
            {
                k += 1;
                j += 2;
            }
            at_root = k > 0 && k == module_depth;
        } else if file.depth == 0
            && inline_mods.is_empty()
            && !skip.iter().any(|(s, e)| (*s..*e).contains(&i))
            && t.get(i + 1).map(|s| &s.token) == Some(&Lexeme::PathSep)
            && ident(t.get(i)).is_some_and(|s| modules.contains(s))
        {
            at_root = true;
        }
        if !at_root {
            i += 1;
            continue;
        }
        let line = t[i].line;
        if is_punct(t.get(j), '{') {
            let close = matching_brace(t, j).unwrap_or(t.len());
            for item in split_top_level_commas(&t[j + 1..close]) {
                if let Some(name) = ident(item.first()) {
                    out.push((name.to_owned(), line));
                }
            }
            i = close;
        } else if let Some(name) = ident(t.get(j)) {
            out.push((name.to_owned(), line));
            i = j;
        }
        i += 1;
    }
    out
}

/// The strongly connected components with more than one node (each a
/// circle of imports), nodes sorted.
#[must_use]
pub fn cycles(graph: &Graph) -> Vec<Vec<String>> {
    // Tarjan's algorithm, iterative enough for a handful of nodes.
    struct State<'g> {
        graph: &'g Graph,
        index: BTreeMap<&'g str, usize>,
        low: BTreeMap<&'g str, usize>,
        on_stack: BTreeSet<&'g str>,
        stack: Vec<&'g str>,
        next: usize,
        out: Vec<Vec<String>>,
    }
    fn visit<'g>(s: &mut State<'g>, v: &'g str) {
        s.index.insert(v, s.next);
        s.low.insert(v, s.next);
        s.next += 1;
        s.stack.push(v);
        s.on_stack.insert(v);
        let graph = s.graph;
        for w in graph.get(v).into_iter().flat_map(BTreeMap::keys) {
            let w = w.as_str();
            if !s.index.contains_key(w) {
                visit(s, w);
                let lw = s.low[w];
                let lv = s.low[v];
                s.low.insert(v, lv.min(lw));
            } else if s.on_stack.contains(w) {
                let iw = s.index[w];
                let lv = s.low[v];
                s.low.insert(v, lv.min(iw));
            }
        }
        if s.low[v] == s.index[v] {
            let mut scc = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on_stack.remove(w);
                scc.push(w.to_owned());
                if w == v {
                    break;
                }
            }
            if scc.len() > 1 {
                scc.sort();
                s.out.push(scc);
            }
        }
    }
    let mut s = State {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        on_stack: BTreeSet::new(),
        stack: Vec::new(),
        next: 0,
        out: Vec::new(),
    };
    let nodes: Vec<&str> = graph
        .iter()
        .flat_map(|(k, v)| std::iter::once(k.as_str()).chain(v.keys().map(String::as_str)))
        .collect();
    for v in nodes {
        if !s.index.contains_key(v) {
            visit(&mut s, v);
        }
    }
    s.out.sort();
    s.out
}

/// The workspace members listed in the root `Cargo.toml`, as directories.
///
/// # Errors
/// If the manifest cannot be read.
pub fn workspace_members(root: &Path) -> std::io::Result<Vec<PathBuf>> {
    let text = std::fs::read_to_string(root.join("Cargo.toml"))?;
    let mut out = Vec::new();
    let mut in_members = false;
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with("members") {
            in_members = true;
        }
        if in_members {
            let code = line.split('#').next().unwrap_or("");
            for (k, part) in code.split('"').enumerate() {
                if k % 2 == 1 {
                    out.push(root.join(part));
                }
            }
            if code.contains(']') {
                break;
            }
        }
    }
    Ok(out)
}

/// A member's package name and the names of its normal (not dev, not
/// build) dependencies, from its `Cargo.toml`.
///
/// # Errors
/// If the manifest cannot be read.
pub fn manifest_dependencies(dir: &Path) -> std::io::Result<(String, Vec<String>)> {
    let text = std::fs::read_to_string(dir.join("Cargo.toml"))?;
    let mut name = String::new();
    let mut deps = Vec::new();
    let mut section = String::new();
    for line in text.lines() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.starts_with('[') {
            section = line.trim_matches(['[', ']']).to_owned();
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let key = key.trim();
        if section == "package" && key == "name" {
            name = value.trim().trim_matches('"').to_owned();
        }
        let normal = section == "dependencies"
            || (section.starts_with("target.") && section.ends_with(".dependencies"));
        if normal {
            deps.push(key.split('.').next().unwrap_or(key).trim().to_owned());
        }
    }
    Ok((name, deps))
}
