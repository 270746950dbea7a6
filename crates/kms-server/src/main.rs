//! `kms-server`: the KMS and API Gateway certificate contract over HTTP.
#![forbid(unsafe_code)]

use clap::Parser;
use tracing_subscriber::EnvFilter;

// mimalloc instead of the C library's allocator: a request makes a few
// dozen small allocations (hyper, axum, serde), and with glibc's malloc
// they took ~8 % of the server's CPU (docs/benchmarks-server.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    let cli = kms_server::Cli::parse();
    // Lines are appended to a buffer per thread and written by one writer
    // thread every few milliseconds: a worker never waits on stdout nor
    // wakes another thread to log, and no line is dropped (see
    // `kms_server::LogPipe`). The guard writes what is buffered when main
    // returns.
    let (pipe, _flush_on_exit) = match kms_server::LogPipe::start(
        std::io::BufWriter::with_capacity(64 * 1024, std::io::stdout()),
        kms_server::LogPipe::DEFAULT_INTERVAL,
    ) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("kms-server: cannot start the log writer: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .event_format(kms_server::LineFormat)
        .with_writer(pipe)
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("kms-server: cannot start the runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(kms_server::run(cli)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("kms-server: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
