//! `kms-server`: the KMS and API Gateway certificate contract over HTTP.
#![forbid(unsafe_code)]

use clap::Parser;
use tracing_subscriber::EnvFilter;

fn main() -> std::process::ExitCode {
    let cli = kms_server::Cli::parse();
    // Log lines go through a channel to one writer thread, so a worker
    // never waits on stdout. Not lossy: when the channel is full the worker
    // waits rather than drop an access or audit line. The guard flushes
    // what is queued when main returns.
    // The writer thread buffers what it receives and flushes when the
    // channel is empty: one write(2) per burst of lines, not one per line.
    let (writer, _flush_on_exit) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .lossy(false)
        .finish(std::io::BufWriter::with_capacity(
            64 * 1024,
            std::io::stdout(),
        ));
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_target(true)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()))
        .with_writer(writer)
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
