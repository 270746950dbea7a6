//! Seeding at start: the declarative TOML file named by `--seed FILE` (or
//! `[seed] path` in the configuration), parsed here and applied through
//! kms-core's seed operations ([`Kms::seed_key`] and its siblings), which
//! validate each entry with the API's rules, create it or find it
//! unchanged, and audit it.
//!
//! ```toml
//! [[projects]]
//! project_id = "0123456789abcdef0123456789abcdef"   # domain from the configuration
//!
//! [[projects.keys]]
//! key_id = "6c1f7f3e-0a4b-4c7d-9a51-2f0e8d3b7a10"
//! key_alias = "ci-key"
//! key_material = "00112233...eeff"   # 64 hex digits; the file must then be mode 0600
//! tags = { env = "ci" }
//! ```
//!
//! The file is read whole, each entry applied in order (per project:
//! keystores, keys, certificates); the first entry that fails stops the
//! start with a message naming it. Entries before it stay applied (a
//! corrected file then completes on the next start: seeding is
//! idempotent).

use std::collections::BTreeMap;
use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};

use kms_core::ports::Caller;
use kms_core::{
    ImportedKeyMaterial, Kms, SeedCertificate, SeedError, SeedKey, SeedKeyState, SeedKeystore,
    SeedOutcome,
};
use kms_model::{
    CertificateForm, CreateKeyRequestBody, CreateKeyStoreRequestBody, LooseString, TagItem,
};
use serde::Deserialize;
use zeroize::Zeroizing;

use crate::config::{Config, ConfigError, read_private_text, refuse_insecure};

/// Largest key material accepted in a seed file, bytes (the spec decides
/// the exact length; this only bounds the decoding).
const MAX_MATERIAL_BYTES: usize = 64;

/// A seeding problem: the file cannot be read or parsed, or an entry was
/// refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SeedFileError {
    /// The file (or a file it names) cannot be read, or is readable by
    /// others while holding key material.
    #[error("seed file: {0}")]
    File(#[from] ConfigError),
    /// Not TOML, or not the seed file's shape.
    #[error("seed file {}: {message}", path.display())]
    Parse {
        /// Which file.
        path: PathBuf,
        /// Where and why (the line, never the line's text: it may hold key
        /// material).
        message: String,
    },
    /// An entry was refused.
    #[error("seed file {}: {entry}: {problem}", path.display())]
    Entry {
        /// Which file.
        path: PathBuf,
        /// Which entry, e.g. `projects[0].keys[1] (key_id ..., key_alias ...)`.
        entry: String,
        /// Why: the API's error (with its code), or the conflicting field.
        problem: String,
    },
}

/// Hex key material, decoded while parsing; zeroized on drop, `Debug`
/// shows only its length.
struct HexMaterial(Zeroizing<Vec<u8>>);

impl fmt::Debug for HexMaterial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HexMaterial(<redacted>, {} bytes)", self.0.len())
    }
}

impl<'de> Deserialize<'de> for HexMaterial {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = HexMaterial;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("key material as a string of hexadecimal digits")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<HexMaterial, E> {
                kms_model::decode_hex("key_material", v, MAX_MATERIAL_BYTES)
                    .map(HexMaterial)
                    .map_err(|e| E::custom(e.to_kms()))
            }
        }
        d.deserialize_str(V)
    }
}

/// `key_state` as a seed file spells it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
enum KeyStateWord {
    Enabled,
    Disabled,
    PendingDeletion,
}

/// `keystore_state` as a seed file spells it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
enum KeystoreStateWord {
    Enabled,
    Disabled,
}

/// `[[projects.keys]]`: create-key's fields plus the fixed id, material,
/// state, rotation and tags.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeySeed {
    key_id: String,
    key_alias: String,
    key_spec: Option<String>,
    key_usage: Option<String>,
    key_description: Option<String>,
    keystore_id: Option<String>,
    key_material: Option<HexMaterial>,
    key_state: Option<KeyStateWord>,
    pending_days: Option<u64>,
    key_rotation_enabled: Option<bool>,
    rotation_interval: Option<u64>,
    tags: Option<BTreeMap<String, String>>,
}

/// `[[projects.keystores]]`: create-keystore's fields plus the fixed id
/// and state.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeystoreSeed {
    keystore_id: String,
    keystore_alias: String,
    keystore_type: Option<String>,
    hsm_cluster_id: Option<String>,
    cluster_id: Option<String>,
    /// PEM file, relative to the seed file.
    hsm_ca_cert_file: Option<PathBuf>,
    keystore_state: Option<KeystoreStateWord>,
}

/// `[[projects.certificates]]`: create-certificate's fields, PEM from
/// files (relative to the seed file; the private key's must be mode 0600).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CertificateSeed {
    id: String,
    name: String,
    #[serde(rename = "type")]
    cert_type: Option<String>,
    instance_id: Option<String>,
    cert_file: PathBuf,
    private_key_file: PathBuf,
    trusted_root_ca_file: Option<PathBuf>,
    algorithm_type: Option<String>,
}

/// `[[projects]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProjectSeed {
    project_id: String,
    /// Default: the domain the configuration gives this project.
    domain_id: Option<String>,
    #[serde(default)]
    keystores: Vec<KeystoreSeed>,
    #[serde(default)]
    keys: Vec<KeySeed>,
    #[serde(default)]
    certificates: Vec<CertificateSeed>,
}

/// A parsed seed file (see the module documentation for its shape).
/// `Debug` never shows key material.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedFile {
    #[serde(default)]
    projects: Vec<ProjectSeed>,
}

/// How many entries a seeding created and found unchanged.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SeedSummary {
    /// Entries created now.
    pub created: usize,
    /// Entries found as the file states them.
    pub unchanged: usize,
}

/// Line and column (1-based) of byte `at` of `text`.
fn line_col(text: &str, at: usize) -> (usize, usize) {
    let before = text.get(..at).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let col = before.rfind('\n').map_or(before.chars().count(), |nl| {
        before[nl + 1..].chars().count()
    }) + 1;
    (line, col)
}

fn key_entry(p: usize, project: &ProjectSeed, i: usize, k: &KeySeed) -> String {
    format!(
        "projects[{p}].keys[{i}] (project_id {}, key_id {}, key_alias {})",
        project.project_id, k.key_id, k.key_alias
    )
}

fn keystore_entry(p: usize, project: &ProjectSeed, i: usize, k: &KeystoreSeed) -> String {
    format!(
        "projects[{p}].keystores[{i}] (project_id {}, keystore_id {}, keystore_alias {})",
        project.project_id, k.keystore_id, k.keystore_alias
    )
}

fn certificate_entry(p: usize, project: &ProjectSeed, i: usize, c: &CertificateSeed) -> String {
    format!(
        "projects[{p}].certificates[{i}] (project_id {}, id {}, name {})",
        project.project_id, c.id, c.name
    )
}

/// The problem text of a refused entry: the API error (with its code) or
/// the conflict, and a failure's cause when there is one.
fn problem(e: &SeedError) -> String {
    match e {
        SeedError::Rejected(api) => match api.cause() {
            Some(cause) => format!("{api} (cause: {cause})"),
            None => api.to_string(),
        },
        other => other.to_string(),
    }
}

impl SeedFile {
    /// Parses a seed file's text (`path` names it in errors). Total: any
    /// text gives a seed file or an error, which never quotes the text.
    ///
    /// # Errors
    /// Not TOML, an unknown field, a wrong type, key material that is not
    /// hex (KMS.0308), `pending_days` without `key_state =
    /// "pending_deletion"` or the reverse, an empty `project_id`.
    pub fn from_toml(text: &str, path: &Path) -> Result<Self, SeedFileError> {
        let file: Self = toml::from_str(text).map_err(|e| {
            let at = e.span().map_or(String::new(), |s| {
                let (line, col) = line_col(text, s.start);
                format!("line {line}, column {col}: ")
            });
            SeedFileError::Parse {
                path: path.to_path_buf(),
                message: format!("{at}{}", e.message().trim_end()),
            }
        })?;
        for (p, project) in file.projects.iter().enumerate() {
            let entry_error = |entry: String, problem: &str| SeedFileError::Entry {
                path: path.to_path_buf(),
                entry,
                problem: problem.to_owned(),
            };
            if project.project_id.is_empty() {
                return Err(entry_error(format!("projects[{p}]"), "empty project_id"));
            }
            for (i, k) in project.keys.iter().enumerate() {
                let pending = k.key_state == Some(KeyStateWord::PendingDeletion);
                if pending && k.pending_days.is_none() {
                    return Err(entry_error(
                        key_entry(p, project, i, k),
                        "key_state = \"pending_deletion\" needs pending_days (7..=1096)",
                    ));
                }
                if !pending && k.pending_days.is_some() {
                    return Err(entry_error(
                        key_entry(p, project, i, k),
                        "pending_days is only for key_state = \"pending_deletion\"",
                    ));
                }
            }
        }
        Ok(file)
    }

    /// Reads and parses a seed file. A file holding key material is
    /// refused (as the configuration is) when group or others may read or
    /// write it.
    ///
    /// # Errors
    /// Unreadable, unparsable, or holding key material with a mode that
    /// lets others in.
    pub fn load(path: &Path) -> Result<Self, SeedFileError> {
        let (text, mode) = read_private_text(path)?;
        let file = Self::from_toml(&text, path)?;
        if file.holds_key_material() {
            refuse_insecure(path, mode).map_err(ConfigError::from)?;
        }
        Ok(file)
    }

    /// Whether any key entry carries key material.
    #[must_use]
    pub fn holds_key_material(&self) -> bool {
        self.projects
            .iter()
            .flat_map(|p| &p.keys)
            .any(|k| k.key_material.is_some())
    }

    /// Number of entries (keystores, keys, certificates).
    #[must_use]
    pub fn entries(&self) -> usize {
        self.projects
            .iter()
            .map(|p| p.keystores.len() + p.keys.len() + p.certificates.len())
            .sum()
    }

    /// Applies every entry through `kms`, in order. `config` gives each
    /// project's domain when the file does not; files an entry names are
    /// read relative to `base` (the seed file's directory).
    ///
    /// # Errors
    /// The first entry refused (named, with the API's error or the
    /// conflicting field), a file it names unreadable, a project whose
    /// domain is unknown.
    pub fn apply(
        &self,
        kms: &Kms,
        config: &Config,
        path: &Path,
    ) -> Result<SeedSummary, SeedFileError> {
        let base = path.parent().unwrap_or_else(|| Path::new("."));
        let mut summary = SeedSummary::default();
        let mut count = |entry: &str, outcome: SeedOutcome| {
            let word = match outcome {
                SeedOutcome::Created => {
                    summary.created += 1;
                    "created"
                }
                SeedOutcome::Unchanged => {
                    summary.unchanged += 1;
                    "unchanged"
                }
            };
            tracing::info!(target: "kms_seed", entry, outcome = word, "seed entry");
        };
        for (p, project) in self.projects.iter().enumerate() {
            let refused = |entry: String, problem: String| SeedFileError::Entry {
                path: path.to_path_buf(),
                entry,
                problem,
            };
            let caller = Caller::new(
                project_domain(config, project)
                    .map_err(|why| refused(format!("projects[{p}]"), why))?,
                &project.project_id,
            );
            for (i, ks) in project.keystores.iter().enumerate() {
                let entry = keystore_entry(p, project, i, ks);
                let seed = SeedKeystore {
                    keystore_id: ks.keystore_id.clone(),
                    keystore: CreateKeyStoreRequestBody {
                        keystore_alias: ks.keystore_alias.clone(),
                        hsm_cluster_id: ks.hsm_cluster_id.clone(),
                        hsm_ca_cert: ks
                            .hsm_ca_cert_file
                            .as_deref()
                            .map(|f| read_text(&base.join(f)))
                            .transpose()?,
                        cluster_id: ks.cluster_id.clone(),
                        keystore_type: ks.keystore_type.as_deref().map(LooseString::from),
                    },
                    enabled: ks.keystore_state.map(|s| s == KeystoreStateWord::Enabled),
                };
                let outcome = kms
                    .seed_keystore(&caller, &seed)
                    .map_err(|e| refused(entry.clone(), problem(&e)))?;
                count(&entry, outcome);
            }
            for (i, k) in project.keys.iter().enumerate() {
                let entry = key_entry(p, project, i, k);
                let seed = SeedKey {
                    key_id: k.key_id.clone(),
                    key: CreateKeyRequestBody {
                        key_alias: k.key_alias.clone(),
                        key_spec: k.key_spec.clone(),
                        key_usage: k.key_usage.clone(),
                        key_description: k.key_description.clone(),
                        keystore_id: k.keystore_id.as_deref().map(LooseString::from),
                        ..CreateKeyRequestBody::default()
                    },
                    key_material: k
                        .key_material
                        .as_ref()
                        .map(|m| ImportedKeyMaterial::new(m.0.clone())),
                    key_state: k.key_state.map(|s| match s {
                        KeyStateWord::Enabled => SeedKeyState::Enabled,
                        KeyStateWord::Disabled => SeedKeyState::Disabled,
                        KeyStateWord::PendingDeletion => SeedKeyState::PendingDeletion {
                            pending_days: k.pending_days.unwrap_or_default(),
                        },
                    }),
                    key_rotation_enabled: k.key_rotation_enabled,
                    rotation_interval: k.rotation_interval,
                    tags: k.tags.as_ref().map(|t| {
                        t.iter()
                            .map(|(key, value)| TagItem {
                                key: key.clone(),
                                value: value.clone(),
                            })
                            .collect()
                    }),
                };
                let outcome = kms
                    .seed_key(&caller, &seed)
                    .map_err(|e| refused(entry.clone(), problem(&e)))?;
                count(&entry, outcome);
            }
            for (i, c) in project.certificates.iter().enumerate() {
                let entry = certificate_entry(p, project, i, c);
                let private_key = crate::config::read_secret_file(&base.join(&c.private_key_file))?;
                let seed = SeedCertificate {
                    id: c.id.clone(),
                    form: CertificateForm {
                        name: c.name.clone(),
                        cert_content: read_text(&base.join(&c.cert_file))?,
                        private_key: String::from(private_key.as_str()).into(),
                        r#type: c.cert_type.clone(),
                        instance_id: c.instance_id.clone(),
                        trusted_root_ca: c
                            .trusted_root_ca_file
                            .as_deref()
                            .map(|f| read_text(&base.join(f)))
                            .transpose()?,
                        algorithm_type: c.algorithm_type.clone(),
                    },
                };
                // The form's copy of the private key is a `Secret`: wiped
                // when `seed` goes out of scope.
                let result = kms.seed_certificate(&caller, &seed);
                let outcome = result.map_err(|e| refused(entry.clone(), problem(&e)))?;
                count(&entry, outcome);
            }
        }
        tracing::info!(
            target: "kms_seed",
            file = %path.display(),
            created = summary.created,
            unchanged = summary.unchanged,
            "seed file applied"
        );
        Ok(summary)
    }
}

fn read_text(path: &Path) -> Result<String, ConfigError> {
    fs::read_to_string(path).map_err(|source| ConfigError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// The domain of a seeded project: the file's `domain_id`, else the one
/// the configuration's credentials, tokens or users give the project; the
/// two must agree when both are known.
fn project_domain(config: &Config, project: &ProjectSeed) -> Result<String, String> {
    let p = project.project_id.as_str();
    let known = config
        .credentials
        .iter()
        .filter(|c| c.project_id == p)
        .map(|c| c.domain_id.as_str())
        .chain(
            config
                .tokens
                .iter()
                .filter(|t| t.project_id == p)
                .map(|t| t.domain_id.as_str()),
        )
        .chain(
            config
                .users
                .iter()
                .filter(|u| u.projects.iter().any(|up| up.id == p))
                .map(|u| u.domain_id.as_str()),
        )
        .next();
    match (project.domain_id.as_deref(), known) {
        (Some(given), Some(k)) if given != k => Err(format!(
            "domain_id {given} is not the domain the configuration gives project {p} ({k})"
        )),
        (Some(""), None) => Err("empty domain_id".to_owned()),
        (Some(given), _) => Ok(given.to_owned()),
        (None, Some(k)) => Ok(k.to_owned()),
        (None, None) => Err(format!(
            "no domain_id, and no credential, token or user of the configuration is for project {p}"
        )),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    const MATERIAL_HEX: &str = "00112233445566778899aabbccddeeff0f1e2d3c4b5a69788796a5b4c3d2e1f0";

    fn parse(text: &str) -> Result<SeedFile, SeedFileError> {
        SeedFile::from_toml(text, Path::new("seed.toml"))
    }

    #[test]
    fn a_full_file_parses_and_its_debug_hides_the_material() {
        let f = parse(&format!(
            r#"
[[projects]]
project_id = "p1"
domain_id = "d1"

[[projects.keystores]]
keystore_id = "5eed0000-0000-4000-8000-0000000000c5"
keystore_alias = "ks"
hsm_cluster_id = "hsm-a"
keystore_state = "disabled"

[[projects.keys]]
key_id = "5eed0000-0000-4000-8000-000000000001"
key_alias = "k"
key_material = "{MATERIAL_HEX}"
key_state = "pending_deletion"
pending_days = 7
key_rotation_enabled = true
rotation_interval = 90
tags = {{ env = "ci", team = "x" }}

[[projects.certificates]]
id = "5eed00000000400080000000000000ce"
name = "ci_cert"
type = "global"
cert_file = "c.pem"
private_key_file = "k.pem"
"#
        ))
        .unwrap();
        assert_eq!(f.entries(), 3);
        assert!(f.holds_key_material());
        let dbg = format!("{f:?}");
        assert!(dbg.contains("HexMaterial(<redacted>, 32 bytes)"), "{dbg}");
        assert!(!dbg.contains("0x11") && !dbg.contains("17, 34"), "{dbg}");
        assert!(!parse("").unwrap().holds_key_material());
    }

    #[test]
    fn errors_name_the_line_and_never_quote_it() {
        for (text, needle) in [
            ("[[projects]]\nproject_id = \"p\"\nnope = 1\n", "line 3"),
            (
                "[[projects]]\nproject_id = \"p\"\n[[projects.keys]]\nkey_id = \"x\"\nkey_alias = \"k\"\nkey_material = \"0011zz\"\n",
                "KMS.0308",
            ),
            (
                "[[projects]]\nproject_id = \"p\"\n[[projects.keys]]\nkey_id = \"x\"\nkey_alias = \"k\"\nkey_state = \"gone\"\n",
                "line 6",
            ),
            (
                "[[projects]]\nproject_id = \"p\"\n[[projects.keys]]\nkey_id = \"x\"\nkey_alias = \"k\"\nkey_state = \"pending_deletion\"\n",
                "needs pending_days",
            ),
            (
                "[[projects]]\nproject_id = \"p\"\n[[projects.keys]]\nkey_id = \"x\"\nkey_alias = \"k\"\npending_days = 7\n",
                "projects[0].keys[0] (project_id p, key_id x, key_alias k)",
            ),
            ("[[projects]]\nproject_id = \"\"\n", "empty project_id"),
            ("projects = 3", "line 1"),
        ] {
            let err = parse(text).unwrap_err().to_string();
            assert!(err.contains(needle), "{text}: {err}");
            assert!(!err.contains("0011zz"), "{err}");
            assert!(err.starts_with("seed file seed.toml"), "{err}");
        }
    }

    #[test]
    fn the_domain_comes_from_the_file_or_the_configuration() {
        let config = Config::development().unwrap();
        let p = config.tokens[0].project_id.clone();
        let d = config.tokens[0].domain_id.clone();
        let project = |domain: Option<&str>, id: &str| ProjectSeed {
            project_id: id.into(),
            domain_id: domain.map(str::to_owned),
            keystores: vec![],
            keys: vec![],
            certificates: vec![],
        };
        assert_eq!(project_domain(&config, &project(None, &p)).unwrap(), d);
        assert_eq!(project_domain(&config, &project(Some(&d), &p)).unwrap(), d);
        assert_eq!(
            project_domain(&config, &project(Some("dx"), "other")).unwrap(),
            "dx"
        );
        assert!(project_domain(&config, &project(Some("dx"), &p)).is_err());
        assert!(project_domain(&config, &project(None, "other")).is_err());
    }

    #[test]
    fn line_and_column_count_characters() {
        assert_eq!(line_col("ab\ncd", 4), (2, 2));
        assert_eq!(line_col("é\nx", 3), (2, 1));
        assert_eq!(line_col("x", 99), (1, 2));
    }
}
