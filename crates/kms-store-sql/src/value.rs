//! Driver-free statement parameters, result rows and failures.

use kms_core::ports::{PortError, PortErrorKind, PortResult};

/// A statement parameter or a result column, whatever the driver.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    /// SQL NULL.
    Null,
    /// An integer (SQLite INTEGER, PostgreSQL BIGINT or INTEGER).
    Int(i64),
    /// Text.
    Text(String),
    /// Bytes (SQLite BLOB, PostgreSQL BYTEA).
    Bytes(Vec<u8>),
    /// A boolean (PostgreSQL BOOLEAN; SQLite stores 0 or 1).
    Bool(bool),
}

impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Self::Text(v.to_owned())
    }
}

impl From<String> for Value {
    fn from(v: String) -> Self {
        Self::Text(v)
    }
}

impl From<&String> for Value {
    fn from(v: &String) -> Self {
        Self::Text(v.clone())
    }
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Self::Int(v)
    }
}

impl From<u32> for Value {
    fn from(v: u32) -> Self {
        Self::Int(i64::from(v))
    }
}

impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Self::Bool(v)
    }
}

impl From<&[u8]> for Value {
    fn from(v: &[u8]) -> Self {
        Self::Bytes(v.to_vec())
    }
}

impl From<Vec<u8>> for Value {
    fn from(v: Vec<u8>) -> Self {
        Self::Bytes(v)
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map_or(Self::Null, Into::into)
    }
}

/// A count or offset as SQL's signed integer (saturating).
#[must_use]
pub fn to_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// A count read back (a negative count reads as 0).
#[must_use]
pub fn to_u64(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

/// One result row: its columns in `SELECT` order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Row(pub Vec<Value>);

fn bad_row() -> PortError {
    PortError::corrupt("bad row in database")
}

impl Row {
    fn cell(&self, i: usize) -> PortResult<&Value> {
        self.0.get(i).ok_or_else(bad_row)
    }

    /// Column `i` as text (not NULL).
    ///
    /// # Errors
    /// [`PortErrorKind::Corrupt`]: missing, NULL or not text.
    pub fn text(&self, i: usize) -> PortResult<String> {
        self.opt_text(i)?.ok_or_else(bad_row)
    }

    /// Column `i` as text or NULL.
    ///
    /// # Errors
    /// [`PortErrorKind::Corrupt`]: missing or neither text nor NULL.
    pub fn opt_text(&self, i: usize) -> PortResult<Option<String>> {
        match self.cell(i)? {
            Value::Null => Ok(None),
            Value::Text(t) => Ok(Some(t.clone())),
            _ => Err(bad_row()),
        }
    }

    /// Column `i` as an integer (not NULL).
    ///
    /// # Errors
    /// [`PortErrorKind::Corrupt`]: missing, NULL or not an integer.
    pub fn int(&self, i: usize) -> PortResult<i64> {
        self.opt_int(i)?.ok_or_else(bad_row)
    }

    /// Column `i` as an integer or NULL.
    ///
    /// # Errors
    /// [`PortErrorKind::Corrupt`]: missing or neither an integer nor NULL.
    pub fn opt_int(&self, i: usize) -> PortResult<Option<i64>> {
        match self.cell(i)? {
            Value::Null => Ok(None),
            Value::Int(v) => Ok(Some(*v)),
            _ => Err(bad_row()),
        }
    }

    /// Column `i` as a boolean (a PostgreSQL BOOLEAN, or SQLite's 0 or 1).
    ///
    /// # Errors
    /// [`PortErrorKind::Corrupt`]: missing, NULL or neither.
    pub fn flag(&self, i: usize) -> PortResult<bool> {
        match self.cell(i)? {
            Value::Bool(b) => Ok(*b),
            Value::Int(v) => Ok(*v != 0),
            _ => Err(bad_row()),
        }
    }

    /// Column `i` as bytes (not NULL).
    ///
    /// # Errors
    /// [`PortErrorKind::Corrupt`]: missing, NULL or not bytes.
    pub fn bytes(&self, i: usize) -> PortResult<Vec<u8>> {
        self.opt_bytes(i)?.ok_or_else(bad_row)
    }

    /// Column `i` as bytes or NULL.
    ///
    /// # Errors
    /// [`PortErrorKind::Corrupt`]: missing or neither bytes nor NULL.
    pub fn opt_bytes(&self, i: usize) -> PortResult<Option<Vec<u8>>> {
        match self.cell(i)? {
            Value::Null => Ok(None),
            Value::Bytes(b) => Ok(Some(b.clone())),
            _ => Err(bad_row()),
        }
    }
}

/// The named constraints of both schemas whose violation is an answer of
/// the ports (a name or alias taken, a keystore gone or still holding
/// keys), not a failure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Constraint {
    /// `keystore_alias`: keystore alias unique per domain.
    KeystoreAlias,
    /// `keystore_cluster`: at most one keystore per cluster.
    KeystoreCluster,
    /// `key_alias`: key alias unique per project.
    KeyAlias,
    /// `key_dedicated_keystore`: a key's dedicated keystore exists.
    KeyDedicatedKeystore,
    /// `key_material_version`: one material per key and version.
    KeyMaterialVersion,
    /// `certificate_name`: certificate name unique per project and scope.
    CertificateName,
    /// `key_alias_name`: an alias of the alias API unique per project.
    AliasName,
    /// `key_group_region`: one member of a multi-region group per region.
    GroupRegion,
}

impl Constraint {
    const ALL: [(Self, &'static str, &'static str); 8] = [
        (Self::KeystoreAlias, "keystore_alias", "keystores.alias"),
        (
            Self::KeystoreCluster,
            "keystore_cluster",
            "keystores.cluster_id",
        ),
        (Self::KeyAlias, "key_alias", "keys.alias"),
        (
            Self::KeyDedicatedKeystore,
            "key_dedicated_keystore",
            "keys.dedicated_keystore_id",
        ),
        (
            Self::KeyMaterialVersion,
            "key_material_version",
            "key_material.version",
        ),
        (
            Self::CertificateName,
            "certificate_name",
            "certificates.name",
        ),
        (Self::AliasName, "key_alias_name", "key_aliases.alias"),
        (
            Self::GroupRegion,
            "key_group_region",
            "key_groups.region_id",
        ),
    ];

    /// The constraint of that name (PostgreSQL reports it).
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.iter().find(|c| c.1 == name).map(|c| c.0)
    }

    /// The constraint whose columns SQLite lists after `UNIQUE constraint
    /// failed: ` (`keystores.domain_id, keystores.alias`): SQLite names
    /// the columns, not the constraint.
    #[must_use]
    pub fn from_sqlite_columns(columns: &str) -> Option<Self> {
        Self::ALL
            .iter()
            .find(|c| columns.split(", ").any(|col| col == c.2))
            .map(|c| c.0)
    }
}

/// A statement broke a constraint of the schema.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Violation {
    /// A UNIQUE or PRIMARY KEY constraint; `None`: one the ports give no
    /// meaning to.
    Unique(Option<Constraint>),
    /// A FOREIGN KEY constraint; `None`: the driver did not say which
    /// (SQLite never does).
    ForeignKey(Option<Constraint>),
}

/// A failed statement, as the driver reported it, before the ports see it.
#[derive(Debug)]
pub struct DbError {
    /// The constraint the statement broke, if that is why it failed.
    pub violation: Option<Violation>,
    /// How the ports report it when it is not a constraint's answer.
    pub kind: PortErrorKind,
    /// The driver's error, as text (driver errors are not `Clone`).
    pub text: String,
}

impl DbError {
    /// A failure that is not a constraint violation.
    #[must_use]
    pub fn new(kind: PortErrorKind, text: impl Into<String>) -> Self {
        Self {
            violation: None,
            kind,
            text: text.into(),
        }
    }

    /// The driver's error text as a [`PortError`]'s source.
    #[must_use]
    pub fn source(&self) -> DriverFailure {
        DriverFailure(self.text.clone())
    }
}

/// The text of a driver's error, kept as a [`PortError`]'s source.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct DriverFailure(pub String);

/// An error with its causes (tokio-postgres puts the useful part, e.g.
/// "Connection refused", in the source).
#[must_use]
pub fn describe(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let s_text = s.to_string();
        if !text.contains(&s_text) {
            text.push_str(": ");
            text.push_str(&s_text);
        }
        source = s.source();
    }
    text
}
