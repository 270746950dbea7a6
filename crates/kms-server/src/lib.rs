#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod adapters;
mod auth;
mod config;
mod http;
mod iam;
mod logging;
mod metrics;
mod ops;
mod root;
mod seed;
mod serve;
mod server;
mod tls;

pub use adapters::{
    OsEntropy, Storage, SystemClock, TracingAudit, ports, ports_with, with_hsm_clusters,
};
pub use auth::{
    ALGORITHM, AccessKey, AuthError, Authenticator, CredentialScope, LEGACY_SCOPE_TERMINATOR,
    MAX_CLOCK_SKEW_SECS, OwnedRequest, Precheck, REQUIRED_SIGNED_HEADERS, SignedRequest, Token,
    authorization_header, canonical_request, format_sdk_date, legacy_authorization_header,
    parse_sdk_date, percent_decode, signature,
};
pub use config::{
    CONFIG_FILE, ClusterConfig, Config, ConfigError, ConnectionsConfig, CredentialConfig,
    DEFAULT_LISTEN, HsmClusterConfig, InsecureFile, LimitsConfig, SecretText, SeedConfig,
    TokenConfig, UserConfig, UserProjectConfig,
};
pub use http::{AppState, REQUEST_ID, UNAUTHENTICATED_BODY_BYTES, router};
pub use iam::{DEFAULT_TOKEN_LIFETIME_SECS, Iam, IssuedTokens, Password, hash_password};
pub use logging::{LineFormat, LogGuard, LogPipe, PipeWriter};
pub use ops::PREVIOUS_ROOT_KEY_ENV;
pub use root::{
    ROOT_KEY_ENV, ROOT_KEY_FILE, ROOT_SECRET_LEN, RootSecret, RootSecretError, RootSource,
};
pub use seed::{SeedFile, SeedFileError, SeedSummary};
pub use server::{
    Cli, Command, DATABASE_FILE, Prepared, StartError, prepare, print_first_start, run,
    shutdown_signal,
};
pub use tls::{TlsError, TlsFiles};
