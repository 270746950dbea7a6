//! Prints each workspace crate's module graph, its circles, and the public
//! type names defined more than once: `cargo run -p xtask --bin
//! layout-report [WORKSPACE_ROOT]`. The tests in `tests/layout.rs` are the
//! check; this is the view behind it.
#![forbid(unsafe_code)]

use std::collections::BTreeMap;
use std::path::PathBuf;

use xtask::layout::{CrateSources, cycles, workspace_members};

fn main() -> std::io::Result<()> {
    let root = std::env::args_os()
        .nth(1)
        .map_or_else(|| PathBuf::from("."), PathBuf::from);
    let mut names: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for dir in workspace_members(&root)? {
        let c = CrateSources::read(&dir)?;
        let graph = c.graph();
        println!("== {}", c.name);
        for (from, tos) in &graph {
            for (to, ev) in tos {
                println!("  {from} -> {to}  ({}:{})", ev.path.display(), ev.line);
            }
        }
        for circle in cycles(&graph) {
            println!("  CIRCLE {circle:?}");
        }
        for t in c.public_types() {
            names.entry(t.name).or_default().push(format!(
                "{} ({}:{})",
                t.krate,
                t.path.display(),
                t.line
            ));
        }
    }
    for (name, defs) in names.iter().filter(|(_, d)| d.len() > 1) {
        println!("SHARED NAME {name}: {}", defs.join(", "));
    }
    Ok(())
}
