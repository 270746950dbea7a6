#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod adapters;
mod auth;
mod cli;
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
pub use cli::{Cli, Command, DATABASE_FILE, PREVIOUS_ROOT_KEY_ENV, StartError};
pub use config::{
    CONFIG_FILE, ClusterConfig, Config, ConfigError, ConnectionsConfig, CredentialConfig,
    DEFAULT_LISTEN, HsmClusterConfig, InsecureFile, LimitsConfig, Password, SecretText, SeedConfig,
    TokenConfig, UserConfig, UserProjectConfig, hash_password,
};
pub use http::{AppState, REQUEST_ID, UNAUTHENTICATED_BODY_BYTES, router};
pub use iam::{DEFAULT_TOKEN_LIFETIME_SECS, Iam, IssuedTokens};
pub use logging::{LineFormat, LogGuard, LogPipe, PipeWriter};
pub use root::{
    ROOT_KEY_ENV, ROOT_KEY_FILE, ROOT_SECRET_LEN, RootSecret, RootSecretError, RootSource,
};
pub use seed::{SeedFile, SeedFileError, SeedSummary};
pub use server::{Prepared, prepare, print_first_start, run, shutdown_signal};
pub use tls::{TlsError, TlsFiles};
