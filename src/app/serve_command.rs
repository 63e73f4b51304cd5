//! `caremap serve`: prepare the process, start the application, run until stopped.

use crate::app::config::ServeConfig;
use crate::app::startup::Application;

/// `caremap serve`: builds the application from `config` (the path tests take too), prints
/// where it listens, and serves until a shutdown signal.
///
/// # Errors
/// Start-up failures (database, data files, address in use), and a database that fails the
/// integrity check running beside the first moments of serving.
pub async fn serve(config: ServeConfig) -> Result<(), Box<dyn std::error::Error>> {
    prepare_process();
    let app = Application::build(&config).await?;
    let addr = app.local_addr();
    let metrics_addr = app.metrics_addr();
    let running = app.run_until_stopped();
    println!("caremap listening on http://{addr}");
    if let Some(metrics) = metrics_addr {
        println!("caremap metrics on http://{metrics}/metrics");
    }
    // A failed integrity check stops the server too, and is reported as at start-up.
    let stopped = running.await?;
    tracing::info!(?stopped, "stopped");
    Ok(())
}

/// Process settings a server needs: as many file descriptors as the hard limit allows (one
/// per connection), and a write beyond a file-size limit reported to SQLite as an error
/// instead of killing the process (SIGXFSZ's default action).
fn prepare_process() {
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(n) => tracing::debug!(open_files = n, "file descriptor limit"),
        Err(e) => tracing::warn!(error = %e, "cannot raise the file descriptor limit"),
    }
    #[cfg(unix)]
    match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::from_raw(libc::SIGXFSZ)) {
        // Keeping the stream registered keeps the handler installed; the signal is only logged.
        Ok(mut signals) => {
            tokio::spawn(async move {
                while signals.recv().await.is_some() {
                    tracing::warn!("a write exceeded the file-size limit (SIGXFSZ)");
                }
            });
        }
        Err(e) => tracing::warn!(error = %e, "cannot handle SIGXFSZ"),
    }
}
