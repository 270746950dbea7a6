//! The cost of kms-server's two lines per request (access and audit) on
//! the thread that emits them: `tracing-subscriber`'s default full format
//! through `tracing-appender`'s non-blocking writer (what the server used
//! before) against `kms_server::LineFormat` through `kms_server::LogPipe`
//! (what it uses now). Both write to `io::sink()` from their writer thread,
//! so what is measured is formatting plus the hand-off.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};

fn lines(i: u64) {
    tracing::info!(
        target: "kms_audit",
        action = "create-datakey-without-plaintext",
        domain = "d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0",
        project = "0123456789abcdef0123456789abcdef",
        resource = "0d0466b0-e727-4d9c-b4dc-2a3fb0a2e1b6",
        sequence = "",
        error_code = "",
        time_ms = black_box(1_796_245_306_591_u64),
    );
    tracing::info!(
        target: "kms_server::access",
        method = %"POST",
        route = "/v1.0/{project_id}/kms/create-datakey-without-plaintext",
        status = 200_u16,
        error_code = "",
        latency_us = black_box(i % 97),
        request_id = %"3b7599580cdda37d000000000001d28d",
        project = "0123456789abcdef0123456789abcdef",
    );
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("log/access+audit");
    {
        let (writer, _guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
            .lossy(false)
            .finish(std::io::sink());
        let sub = tracing_subscriber::fmt()
            .with_ansi(false)
            .with_writer(writer)
            .finish();
        tracing::subscriber::with_default(sub, || {
            let mut i = 0;
            g.bench_function("tracing_fmt_full+non_blocking", |b| {
                b.iter(|| {
                    i += 1;
                    lines(i);
                });
            });
        });
    }
    {
        let (pipe, _guard) = kms_server::LogPipe::start(std::io::sink(), Duration::from_millis(10))
            .expect("writer thread");
        let sub = tracing_subscriber::fmt()
            .event_format(kms_server::LineFormat)
            .with_writer(pipe)
            .finish();
        tracing::subscriber::with_default(sub, || {
            let mut i = 0;
            g.bench_function("line_format+log_pipe", |b| {
                b.iter(|| {
                    i += 1;
                    lines(i);
                });
            });
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
