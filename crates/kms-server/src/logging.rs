//! Logging that costs a worker almost nothing: a cheap line format and a
//! pipe of per-thread buffers drained by one writer thread.
//!
//! Measured on the DEK path (`docs/benchmarks-server.md`): with
//! `tracing-subscriber`'s default format and `tracing-appender`'s
//! non-blocking writer, the access and audit lines took about as much CPU
//! as the rest of the request, mostly in `core::fmt` field formatting,
//! timestamp formatting, a heap copy of every line and the writer thread's
//! wake-ups (one futex wake and a cross-core reschedule per burst).
//!
//! - [`LineFormat`] writes the same text as `tracing-subscriber`'s full
//!   format without colours (`2026-12-02T20:53:15.123456Z  INFO target:
//!   message key="value" n=1`): the second-resolution part of the
//!   timestamp is formatted once per second per thread, and string fields
//!   of printable ASCII are written without going through `Debug`.
//! - [`LogPipe`] is the `MakeWriter`: each thread appends its lines to a
//!   buffer of its own (a mutex only that thread and the writer take, so
//!   never contended between workers), and the writer thread swaps the
//!   buffers out and writes them every [`LogPipe::DEFAULT_INTERVAL`]. No
//!   line is dropped: a buffer that reaches [`LogPipe::HIGH_WATER`] bytes is
//!   written by its own thread at once (the worker waits, as it did on the
//!   old writer's full channel). Lines of one thread keep their order;
//!   lines of different threads are interleaved by buffer, each line
//!   whole, and carry their timestamps.
//! - [`LogGuard`] writes what is buffered and stops the writer when
//!   dropped (normal exit and signals both end `main`). A `SIGKILL` loses
//!   at most the last interval's lines, as the channel of the old writer
//!   lost what it held.

use std::cell::RefCell;
use std::fmt::{self, Write as _};
use std::io::{self, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields, FormattedFields, MakeWriter};
use tracing_subscriber::registry::LookupSpan;

/// A poisoned log buffer still holds whole lines: keep using it.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

// ---------------------------------------------------------------- the pipe

/// One thread's pending lines.
#[derive(Default)]
struct Slot(Mutex<Vec<u8>>);

struct Shared {
    id: u64,
    /// Every thread's buffer; locked when a thread logs for the first time
    /// and by the writer thread once per interval.
    slots: Mutex<Vec<Arc<Slot>>>,
    out: Mutex<Box<dyn Write + Send>>,
    stop: Mutex<bool>,
    wake: Condvar,
}

static NEXT_PIPE_ID: AtomicU64 = AtomicU64::new(0);

thread_local! {
    /// This thread's buffer in each pipe it has written to (one in the
    /// server; more only in tests).
    static SLOTS: RefCell<Vec<(u64, Arc<Slot>)>> = const { RefCell::new(Vec::new()) };
}

/// The non-blocking, non-lossy log writer (see the module docs).
#[derive(Clone)]
pub struct LogPipe {
    shared: Arc<Shared>,
}

impl fmt::Debug for LogPipe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LogPipe").finish_non_exhaustive()
    }
}

/// Flushes the pipe and stops its writer thread when dropped.
#[must_use = "dropping the guard stops the writer thread"]
pub struct LogGuard {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl fmt::Debug for LogGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LogGuard").finish_non_exhaustive()
    }
}

impl LogPipe {
    /// How often the writer thread drains the buffers.
    pub const DEFAULT_INTERVAL: Duration = Duration::from_millis(10);
    /// A thread's buffer size at which the thread writes it out itself.
    pub const HIGH_WATER: usize = 1 << 20;

    /// A pipe into `out`, drained every `interval` by a new thread.
    ///
    /// # Errors
    /// The writer thread could not be spawned.
    pub fn start(
        out: impl Write + Send + 'static,
        interval: Duration,
    ) -> io::Result<(Self, LogGuard)> {
        let shared = Arc::new(Shared {
            id: NEXT_PIPE_ID.fetch_add(1, Ordering::Relaxed),
            slots: Mutex::new(Vec::new()),
            out: Mutex::new(Box::new(out)),
            stop: Mutex::new(false),
            wake: Condvar::new(),
        });
        let for_thread = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("kms-log-writer".into())
            .spawn(move || writer_loop(&for_thread, interval))?;
        Ok((
            Self {
                shared: Arc::clone(&shared),
            },
            LogGuard {
                shared,
                thread: Some(thread),
            },
        ))
    }

    /// Appends whole lines to this thread's buffer.
    pub fn append(&self, bytes: &[u8]) {
        let id = self.shared.id;
        let overflow = SLOTS.try_with(|slots| {
            let mut slots = slots.borrow_mut();
            let at = if let Some(at) = slots.iter().position(|(p, _)| *p == id) {
                at
            } else {
                let s = Arc::new(Slot::default());
                lock(&self.shared.slots).push(Arc::clone(&s));
                slots.push((id, s));
                slots.len() - 1
            };
            let mut buf = lock(&slots[at].1.0);
            buf.extend_from_slice(bytes);
            (buf.len() >= Self::HIGH_WATER).then(|| std::mem::take(&mut *buf))
        });
        match overflow {
            Ok(None) => {}
            Ok(Some(full)) => self.write_now(&full),
            // This thread's locals are being torn down: write directly.
            Err(_) => self.write_now(bytes),
        }
    }

    fn write_now(&self, bytes: &[u8]) {
        let mut out = lock(&self.shared.out);
        // A log that cannot be written cannot report it either.
        let _ = out.write_all(bytes);
        let _ = out.flush();
    }
}

fn writer_loop(shared: &Shared, interval: Duration) {
    let mut spare = Vec::new();
    loop {
        let stopping = {
            let stop = lock(&shared.stop);
            let (stop, _) = shared
                .wake
                .wait_timeout_while(stop, interval, |s| !*s)
                .unwrap_or_else(PoisonError::into_inner);
            *stop
        };
        drain(shared, &mut spare);
        if stopping {
            return;
        }
    }
}

/// Writes every buffer out; forgets the buffers of threads that ended.
fn drain(shared: &Shared, spare: &mut Vec<u8>) {
    let slots: Vec<Arc<Slot>> = {
        let mut registry = lock(&shared.slots);
        let snapshot = registry.clone();
        // A live thread's slot is held by the registry, the snapshot and
        // the thread; one held by the first two only belongs to an ended
        // thread: drained below for the last time, then forgotten.
        registry.retain(|s| Arc::strong_count(s) > 2);
        snapshot
    };
    let mut out = lock(&shared.out);
    for slot in &slots {
        {
            let mut buf = lock(&slot.0);
            if buf.is_empty() {
                continue;
            }
            std::mem::swap(&mut *buf, spare);
        }
        let _ = out.write_all(spare);
        spare.clear();
    }
    let _ = out.flush();
}

impl Drop for LogGuard {
    fn drop(&mut self) {
        *lock(&self.shared.stop) = true;
        self.shared.wake.notify_all();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// What [`LogPipe`] gives `tracing-subscriber` for one event.
#[derive(Debug)]
pub struct PipeWriter<'a>(&'a LogPipe);

impl Write for PipeWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.append(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for LogPipe {
    type Writer = PipeWriter<'a>;
    fn make_writer(&'a self) -> Self::Writer {
        PipeWriter(self)
    }
}

// ---------------------------------------------------------------- the format

/// The full `tracing-subscriber` line without colours, written cheaply
/// (see the module docs).
#[derive(Clone, Copy, Debug, Default)]
pub struct LineFormat;

thread_local! {
    /// The second the cached prefix is for, and `YYYY-MM-DDTHH:MM:SS`.
    static SECOND: RefCell<(i64, String)> = const { RefCell::new((i64::MIN, String::new())) };
}

/// `YYYY-MM-DDTHH:MM:SS.ffffffZ` for `t` (UTC).
fn write_timestamp(line: &mut String, t: SystemTime) {
    let d = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = i64::try_from(d.as_secs()).unwrap_or(i64::MAX);
    let cached = SECOND.try_with(|cell| {
        let Ok(mut c) = cell.try_borrow_mut() else {
            return false;
        };
        if c.0 != secs {
            c.1.clear();
            write_second(&mut c.1, secs);
            c.0 = secs;
        }
        line.push_str(&c.1);
        true
    });
    if cached != Ok(true) {
        write_second(line, secs);
    }
    // `1_000_000 + micros` has seven digits: drop the leading 1.
    let mut digits = itoa::Buffer::new();
    let frac = digits.format(1_000_000 + d.subsec_micros());
    line.push('.');
    line.push_str(frac.get(1..).unwrap_or("000000"));
    line.push('Z');
}

/// `YYYY-MM-DDTHH:MM:SS` of Unix second `secs` (UTC).
fn write_second(out: &mut String, secs: i64) {
    let dt =
        time::OffsetDateTime::from_unix_timestamp(secs).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    // Writing to a `String` does not fail.
    let _ = write!(
        out,
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        dt.year().clamp(0, 9999),
        u8::from(dt.month()),
        dt.day(),
        dt.hour(),
        dt.minute(),
        dt.second()
    );
}

const fn level_str(l: Level) -> &'static str {
    match l {
        Level::TRACE => "TRACE",
        Level::DEBUG => "DEBUG",
        Level::INFO => " INFO",
        Level::WARN => " WARN",
        Level::ERROR => "ERROR",
    }
}

/// The largest line buffer a thread keeps between lines.
const LINE_KEEP: usize = 16 * 1024;

thread_local! {
    /// The line being formatted on this thread, reused from line to line.
    static LINE: RefCell<String> = const { RefCell::new(String::new()) };
}

impl<S, N> FormatEvent<S, N> for LineFormat
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut w: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        // The line is built in a plain `String` of this thread (inlined
        // pushes) and handed to the writer once: every piece written
        // through `Writer` is a dynamic call, and a line has about eighty
        // pieces. A line formatted while another is (a `Debug` impl that
        // logs), or on a thread whose locals are being torn down, gets a
        // buffer of its own.
        let fresh = |w: &mut Writer<'_>| {
            let mut line = String::with_capacity(256);
            format_line(ctx, event, &mut line).and_then(|()| w.write_str(&line))
        };
        LINE.try_with(|cell| match cell.try_borrow_mut() {
            Ok(mut line) => {
                line.clear();
                let r = format_line(ctx, event, &mut line).and_then(|()| w.write_str(&line));
                // One huge line (a long error chain) does not pin its
                // buffer's size for the thread's life.
                if line.capacity() > LINE_KEEP {
                    *line = String::new();
                }
                r
            }
            Err(_) => fresh(&mut w),
        })
        .unwrap_or_else(|_| fresh(&mut w))
    }
}

fn format_line<S, N>(
    ctx: &FmtContext<'_, S, N>,
    event: &Event<'_>,
    line: &mut String,
) -> fmt::Result
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    let meta = event.metadata();
    write_timestamp(line, SystemTime::now());
    line.push(' ');
    line.push_str(level_str(*meta.level()));
    line.push(' ');
    if let Some(scope) = ctx.event_scope() {
        for span in scope.from_root() {
            line.push_str(span.name());
            let ext = span.extensions();
            if let Some(fields) = ext.get::<FormattedFields<N>>() {
                if !fields.is_empty() {
                    write!(line, "{{{fields}}}")?;
                }
            }
            line.push(':');
        }
        line.push(' ');
    }
    line.push_str(meta.target());
    line.push_str(": ");
    let mut v = Fields {
        out: line,
        first: true,
        result: Ok(()),
    };
    event.record(&mut v);
    v.result?;
    line.push('\n');
    Ok(())
}

/// Writes `message` bare and every other field as `name=value`, strings
/// quoted and escaped as `Debug` would.
struct Fields<'a> {
    out: &'a mut String,
    first: bool,
    result: fmt::Result,
}

impl Fields<'_> {
    fn sep(&mut self) {
        if self.first {
            self.first = false;
        } else {
            self.out.push(' ');
        }
    }

    fn named(&mut self, field: &Field) {
        self.sep();
        self.out.push_str(field.name());
        self.out.push('=');
    }
}

/// The most bytes of one field's value a line carries; a longer value is
/// cut at a character boundary and marked `…[+N bytes]`, so a request
/// cannot inflate a log line (an unvalidated 250 KB `key_id` once wrote a
/// 250 KB audit line).
pub(crate) const MAX_FIELD_BYTES: usize = 512;

/// `value` cut to [`MAX_FIELD_BYTES`] with its marker, or `None` when it
/// fits.
fn bounded(value: &str) -> Option<String> {
    if value.len() <= MAX_FIELD_BYTES {
        return None;
    }
    let mut cut = MAX_FIELD_BYTES;
    while !value.is_char_boundary(cut) {
        cut -= 1;
    }
    Some(format!("{}…[+{} bytes]", &value[..cut], value.len() - cut))
}

/// A `Display`/`Debug` rendering that may stand bare after `name=`:
/// printable ASCII without space, quote or backslash.
fn bare(s: &str) -> bool {
    s.bytes()
        .all(|b| (0x21..0x7f).contains(&b) && b != b'"' && b != b'\\')
}

/// Printable ASCII that `Debug` would not escape.
fn plain(s: &str) -> bool {
    // A fold without early exit, which the compiler vectorises: field
    // values are short and almost always plain.
    !s.bytes().fold(false, |escaped, b| {
        escaped | !(0x20..0x7f).contains(&b) | (b == b'"') | (b == b'\\')
    })
}

impl Visit for Fields<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        if self.result.is_err() {
            return;
        }
        if field.name() == "message" {
            self.sep();
            self.out.push_str(value);
            return;
        }
        self.named(field);
        if let Some(cut) = bounded(value) {
            self.result = write!(self.out, "{cut:?}");
        } else if plain(value) {
            self.out.push('"');
            self.out.push_str(value);
            self.out.push('"');
        } else {
            self.result = write!(self.out, "{value:?}");
        }
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        if self.result.is_ok() {
            self.named(field);
            self.out.push_str(itoa::Buffer::new().format(value));
        }
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        if self.result.is_ok() {
            self.named(field);
            self.out.push_str(itoa::Buffer::new().format(value));
        }
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        if self.result.is_ok() {
            self.named(field);
            self.out.push_str(if value { "true" } else { "false" });
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if self.result.is_err() {
            return;
        }
        if field.name() == "message" {
            self.sep();
            self.result = write!(self.out, "{value:?}");
            return;
        }
        self.named(field);
        let start = self.out.len();
        self.result = write!(self.out, "{value:?}");
        // A rendering that could split the line's fields (a space, a
        // quote, a control character) or inflate it is quoted, escaped and
        // bounded like a string field.
        if self.result.is_ok() && !bare(&self.out[start..]) {
            let rendered = self.out.split_off(start);
            self.result = match bounded(&rendered) {
                Some(cut) => write!(self.out, "{cut:?}"),
                None => write!(self.out, "{rendered:?}"),
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use tracing_subscriber::fmt::MakeWriter;

    /// A shared in-memory sink.
    #[derive(Clone, Default)]
    struct Sink(Arc<Mutex<Vec<u8>>>);
    impl Write for Sink {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            lock(&self.0).extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn text(s: &Sink) -> String {
        String::from_utf8(lock(&s.0).clone()).unwrap_or_default()
    }

    #[test]
    fn every_line_of_every_thread_arrives_whole_and_in_thread_order() {
        let sink = Sink::default();
        let (pipe, guard) =
            LogPipe::start(sink.clone(), Duration::from_millis(1)).expect("writer thread");
        let threads: Vec<_> = (0..4)
            .map(|t| {
                let pipe = pipe.clone();
                std::thread::spawn(move || {
                    for i in 0..5_000 {
                        let mut w = pipe.make_writer();
                        w.write_all(format!("t{t} line {i:05} end\n").as_bytes())
                            .expect("append");
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().expect("thread");
        }
        drop(guard);
        let out = text(&sink);
        let mut next = [0u32; 4];
        let mut lines = 0;
        for line in out.lines() {
            let parts: Vec<&str> = line.split(' ').collect();
            assert_eq!(parts.len(), 4, "a torn line: {line:?}");
            assert_eq!(parts[3], "end");
            let t: usize = parts[0][1..].parse().expect("thread number");
            let i: u32 = parts[2].parse().expect("line number");
            assert_eq!(i, next[t], "thread {t} out of order");
            next[t] += 1;
            lines += 1;
        }
        assert_eq!(lines, 20_000);
        assert_eq!(next, [5_000; 4]);
    }

    #[test]
    fn a_full_buffer_is_written_by_its_thread_at_once() {
        let sink = Sink::default();
        // An interval the test never reaches: only the high-water mark can
        // have written these lines.
        let (pipe, guard) =
            LogPipe::start(sink.clone(), Duration::from_secs(3600)).expect("writer thread");
        let mut line = [b'x'; 1024];
        line[1023] = b'\n';
        let mut n = 0;
        while lock(&sink.0).is_empty() {
            pipe.append(&line);
            n += 1;
            assert!(n <= LogPipe::HIGH_WATER / 1024 + 1, "never written");
        }
        assert_eq!(lock(&sink.0).len(), n * 1024);
        drop(guard);
    }

    #[test]
    fn lines_of_ended_threads_are_written_and_their_buffers_forgotten() {
        let sink = Sink::default();
        let (pipe, guard) =
            LogPipe::start(sink.clone(), Duration::from_millis(1)).expect("writer thread");
        for i in 0..50 {
            let pipe = pipe.clone();
            std::thread::spawn(move || pipe.append(format!("short-lived {i}\n").as_bytes()))
                .join()
                .expect("thread");
        }
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while text(&sink).lines().count() < 50 {
            assert!(std::time::Instant::now() < deadline, "lines not written");
            std::thread::sleep(Duration::from_millis(2));
        }
        // Two more intervals: the ended threads' buffers are dropped.
        std::thread::sleep(Duration::from_millis(20));
        assert!(lock(&pipe.shared.slots).len() <= 1);
        drop(guard);
    }

    /// Logs a line of its own when formatted.
    struct LogsWhileFormatted;

    impl fmt::Debug for LogsWhileFormatted {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            tracing::info!(inner = true);
            f.write_str("outer")
        }
    }

    #[test]
    fn format_matches_tracing_subscriber_full_format_without_colours() {
        let ours = Sink::default();
        let theirs = Sink::default();
        let ours_w = ours.clone();
        let theirs_w = theirs.clone();
        let emit = || {
            tracing::info!(
                target: "kms_audit",
                action = "create-datakey",
                project = "p\"q\n",
                code = "",
                time_ms = 17_u64,
                neg = -3_i64,
                ok = true,
                id = %"abc",
                dbg = ?Some(1),
            );
            tracing::warn!(path = "/x", "no credentials: {} left", 0);
            // A line longer than the kept buffer (a message: fields are
            // bounded), then a field whose `Debug` logs while its own line
            // is being formatted (tracing drops such a nested event, for
            // both formats alike).
            tracing::info!("{}", "y".repeat(LINE_KEEP + 100));
            tracing::info!(nested = ?LogsWhileFormatted);
            tracing::info!(after = 1_u64);
        };
        let sub = tracing_subscriber::fmt()
            .event_format(LineFormat)
            .with_writer(move || ours_w.clone())
            .finish();
        tracing::subscriber::with_default(sub, emit);
        let sub = tracing_subscriber::fmt()
            .with_ansi(false)
            .with_writer(move || theirs_w.clone())
            .finish();
        tracing::subscriber::with_default(sub, emit);
        // The timestamps differ; everything after them must not.
        let strip = |s: String| -> Vec<String> {
            s.lines()
                .map(|l| l.split_once(' ').map_or(l, |(_, rest)| rest).to_owned())
                .collect()
        };
        let (o, t) = (strip(text(&ours)), strip(text(&theirs)));
        assert_eq!(o.len(), 5);
        assert_eq!(o, t);
        // And the timestamp has the same shape.
        let ts = text(&ours);
        let ts = ts.split(' ').next().unwrap_or_default();
        assert_eq!(ts.len(), "2026-12-02T20:53:15.123456Z".len(), "{ts}");
        assert!(ts.ends_with('Z') && ts.as_bytes()[10] == b'T', "{ts}");
    }

    /// Where the format deliberately differs from tracing-subscriber's:
    /// field values are bounded, and a `Display` field that could split
    /// the line is quoted and escaped.
    #[test]
    fn fields_are_bounded_and_cannot_split_the_line() {
        let ours = Sink::default();
        let w = ours.clone();
        let sub = tracing_subscriber::fmt()
            .event_format(LineFormat)
            .with_writer(move || w.clone())
            .finish();
        tracing::subscriber::with_default(sub, || {
            let huge = "k".repeat(250_000);
            tracing::info!(target: "kms_audit", resource = huge.as_str(), sequence = "s");
            tracing::info!(request_id = %"\"x project=forged", project = "p");
            tracing::info!(multi = %"é".repeat(400), plain = %"abc");
        });
        let text = text(&ours);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3, "{text}");
        assert!(lines[0].len() < 2 * MAX_FIELD_BYTES, "{}", lines[0].len());
        assert!(
            lines[0].contains(&format!("…[+{} bytes]\"", 250_000 - MAX_FIELD_BYTES)),
            "{}",
            &lines[0][..100]
        );
        assert!(lines[0].ends_with(" sequence=\"s\""), "{}", lines[0]);
        assert!(
            lines[1].ends_with(r#"request_id="\"x project=forged" project="p""#),
            "{}",
            lines[1]
        );
        // Cut at a character boundary (é is two bytes), bare when harmless.
        assert!(lines[2].contains("…[+288 bytes]"), "{}", lines[2]);
        assert!(lines[2].ends_with(" plain=abc"), "{}", lines[2]);
    }

    #[test]
    fn timestamps_are_utc_rfc3339_with_microseconds() {
        let mut s = String::new();
        let t = UNIX_EPOCH + Duration::new(1_764_708_795, 123_456_789);
        write_timestamp(&mut s, t);
        assert_eq!(s, "2025-12-02T20:53:15.123456Z");
        s.clear();
        // The cached second is reused, the fraction is not.
        write_timestamp(&mut s, t + Duration::from_micros(5));
        assert_eq!(s, "2025-12-02T20:53:15.123461Z");
        s.clear();
        write_timestamp(&mut s, UNIX_EPOCH + Duration::from_secs(951_782_400));
        assert_eq!(s, "2000-02-29T00:00:00.000000Z");
    }
}
