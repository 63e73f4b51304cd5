//! Logging setup for every command: text or JSON lines on stderr, written off the request path.

/// Logs to stderr, filtered by `CAREMAP_LOG` (default `info`), as text or, with
/// `CAREMAP_LOG_FORMAT=json`, one JSON object per line. Lines are formatted on the thread that
/// logs and written by a background thread through a buffer flushed whenever it runs dry, so a
/// request never waits for a write to stderr (one syscall per request line cost about a tenth
/// of a small request's CPU time). If the writer falls behind by more than its queue, lines are
/// dropped rather than requests slowed. A line that cannot be written (stderr redirected to a
/// file on a full disk) is dropped too. The returned guard flushes what is queued when dropped.
pub fn init() -> tracing_appender::non_blocking::WorkerGuard {
    let (writer, guard) = tracing_appender::non_blocking(std::io::BufWriter::new(std::io::stderr()));
    let filter = tracing_subscriber::EnvFilter::try_from_env("CAREMAP_LOG").unwrap_or_else(|_| "info".into());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .log_internal_errors(false);
    if std::env::var("CAREMAP_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json")) {
        builder.json().with_current_span(true).with_span_list(false).init();
    } else {
        builder.init();
    }
    guard
}
