//! What every port shares: time stamps, the caller, the port error.

#[allow(clippy::wildcard_imports)]
use super::*;

/// Milliseconds since the Unix epoch, UTC.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub i64);

impl Timestamp {
    /// Whole seconds since the epoch (floor).
    #[must_use]
    pub const fn unix_seconds(self) -> i64 {
        self.0.div_euclid(1000)
    }
}

/// Who is calling: resolved by the host (signature, token) before the core.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Caller {
    /// The account (domain).
    pub domain_id: String,
    /// The project the request is for.
    pub project_id: String,
    /// The user, when the host knows one (an IAM front's user, or the
    /// `user_id` of a configured credential): what a grant of type `user`
    /// and a grant's `retiring_principal` name.
    pub user_id: Option<String>,
}

impl Caller {
    /// A caller with no known user.
    #[must_use]
    pub fn new(domain_id: impl Into<String>, project_id: impl Into<String>) -> Self {
        Self {
            domain_id: domain_id.into(),
            project_id: project_id.into(),
            user_id: None,
        }
    }

    /// The same caller, acting as user `user_id`.
    #[must_use]
    pub fn with_user(mut self, user_id: impl Into<String>) -> Self {
        self.user_id = Some(user_id.into());
        self
    }

    /// Who this caller is as a grant's issuer: its user id, else its
    /// account id.
    #[must_use]
    pub fn principal(&self) -> &str {
        self.user_id.as_deref().unwrap_or(&self.domain_id)
    }
}

/// What kind of failure a port reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PortErrorKind {
    /// The backend could not be reached or did not answer: I/O, a lost
    /// connection, a database busy past its timeout, a device gone.
    Unavailable,
    /// Stored data breaks an invariant: a corrupt row, an unknown state, an
    /// id of the wrong shape.
    Corrupt,
    /// A lock was poisoned by a thread that panicked while holding it. The
    /// data behind it may be half-updated, so the port refuses to guess.
    Poisoned,
    /// The entropy source failed.
    Entropy,
    /// The adapter was set up wrongly (a short root secret, a bad path).
    Config,
    /// Anything else.
    Other,
}

impl PortErrorKind {
    /// A short lower-case name for logs.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Unavailable => "unavailable",
            Self::Corrupt => "corrupt data",
            Self::Poisoned => "lock poisoned",
            Self::Entropy => "entropy failure",
            Self::Config => "misconfigured",
            Self::Other => "failure",
        }
    }
}

/// A storage or provider failure the core cannot interpret. It reaches the
/// wire as a bare 500 (KMS.0101 / APIG.9999, nothing from here in the
/// message), and travels to the host as the [`kms_model::ApiError`]'s
/// cause, which the host logs once with the request id. The source error
/// (e.g. the SQLite error) is kept, not flattened into text.
#[derive(Clone)]
pub struct PortError {
    kind: PortErrorKind,
    context: Cow<'static, str>,
    source: Option<Arc<dyn std::error::Error + Send + Sync + 'static>>,
}

impl PortError {
    /// A failure of `kind` while doing `context` (what the port was doing,
    /// e.g. `"insert keystore"`; never a secret).
    #[must_use]
    pub fn new(kind: PortErrorKind, context: impl Into<Cow<'static, str>>) -> Self {
        Self {
            kind,
            context: context.into(),
            source: None,
        }
    }

    /// The same failure, caused by `source`.
    #[must_use]
    pub fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.source = Some(Arc::new(source));
        self
    }

    /// [`PortErrorKind::Unavailable`] caused by `source`.
    #[must_use]
    pub fn unavailable(
        context: impl Into<Cow<'static, str>>,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        Self::new(PortErrorKind::Unavailable, context).with_source(source)
    }

    /// [`PortErrorKind::Corrupt`].
    #[must_use]
    pub fn corrupt(context: impl Into<Cow<'static, str>>) -> Self {
        Self::new(PortErrorKind::Corrupt, context)
    }

    /// [`PortErrorKind::Poisoned`].
    #[must_use]
    pub fn poisoned(context: impl Into<Cow<'static, str>>) -> Self {
        Self::new(PortErrorKind::Poisoned, context)
    }

    /// The kind.
    #[must_use]
    pub const fn kind(&self) -> PortErrorKind {
        self.kind
    }

    /// What the port was doing.
    #[must_use]
    pub fn context(&self) -> &str {
        &self.context
    }
}

impl fmt::Debug for PortError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PortError")
            .field("kind", &self.kind)
            .field("context", &self.context)
            .field("source", &self.source)
            .finish()
    }
}

impl fmt::Display for PortError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.context, self.kind.as_str())
    }
}

impl std::error::Error for PortError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

/// Equal when kind and context are; sources are not compared (they are
/// for logs, and most error types are not `PartialEq`).
impl PartialEq for PortError {
    fn eq(&self, other: &Self) -> bool {
        self.kind == other.kind && self.context == other.context
    }
}

impl Eq for PortError {}

impl From<EntropyError> for PortError {
    fn from(e: EntropyError) -> Self {
        Self::new(PortErrorKind::Entropy, "entropy source").with_source(e)
    }
}

/// Result of a port call.
pub type PortResult<T> = Result<T, PortError>;
