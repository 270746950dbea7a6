//! Writes the kms-crypto seed inputs ([`kms_fuzz::crypto::seeds`]) into
//! `fuzz/corpus/<target>/seed-<name>`, replacing earlier seeds of the same
//! name. Run after a format change: `cargo run -p kms-fuzz --example write_crypto_seeds`.
#![allow(clippy::expect_used)]

use std::path::Path;

fn main() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus");
    let mut n = 0;
    for (target, name, bytes) in kms_fuzz::crypto::seeds() {
        let dir = corpus.join(target);
        std::fs::create_dir_all(&dir).expect("corpus directory");
        std::fs::write(dir.join(format!("seed-{name}")), bytes).expect("seed file");
        n += 1;
    }
    println!("wrote {n} seeds under {}", corpus.display());
}
