//! The connection loop: HTTP/1.1 over hyper with the timeouts axum's `serve` does not set,
//! and a shutdown that drains in-flight requests within a hard deadline.
//!
//! - A connection that does not send a complete request head within the idle timeout (slow
//!   headers, or an idle keep-alive connection) is closed by hyper's header-read timer.
//! - On shutdown the listener closes at once (new connections are refused), idle keep-alive
//!   connections close, requests in flight run to the end of their response; connections
//!   still open at the deadline are dropped.
//!
//! HTTP/2 and TLS are left to the reverse proxy in front (browsers do not speak HTTP/2 without
//! TLS), which keeps the timeout semantics exact.

use std::convert::Infallible;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tower::ServiceExt;

/// Connection settings of the server.
#[derive(Debug, Clone, Copy)]
pub struct ServerOptions {
    /// Longest wait for a complete request head, also the longest idle time of a keep-alive
    /// connection.
    pub idle_timeout: Duration,
    /// Longest wait for in-flight requests after the shutdown signal.
    pub shutdown_timeout: Duration,
}

/// How a server stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stopped {
    /// Every connection finished within the deadline.
    Drained,
    /// Connections were still open at the deadline; they are closed.
    DeadlineReached,
}

/// Serves `router` on `listener` until `shutdown` completes, then drains (see the module).
/// Each request carries the client's address as [`ConnectInfo<SocketAddr>`].
pub async fn serve(
    listener: TcpListener,
    router: Router,
    options: ServerOptions,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Stopped {
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new()).header_read_timeout(options.idle_timeout);
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, remote) = tokio::select! {
            biased;
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    accept_error(&e).await;
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        let router = router.clone();
        let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
            request.extensions_mut().insert(ConnectInfo(remote));
            let router = router.clone();
            async move { Ok::<_, Infallible>(router.oneshot(request).await.unwrap_or_else(|e| match e {})) }
        });
        let connection = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(client = %remote, error = %e, "connection ended with an error");
            }
        });
    }
    drop(listener);
    let open = graceful.count();
    tracing::info!(connections = open, "shutting down: no new connections; draining in-flight requests");
    tokio::select! {
        () = graceful.shutdown() => {
            tracing::info!("drained");
            Stopped::Drained
        }
        () = tokio::time::sleep(options.shutdown_timeout) => {
            tracing::warn!(
                deadline_s = options.shutdown_timeout.as_secs(),
                "shutdown deadline reached; closing the connections still open"
            );
            Stopped::DeadlineReached
        }
    }
}

/// An accept that failed: a client that went away is ignored; anything else (out of file
/// descriptors, most often) is logged and retried after a pause, so open connections go on.
async fn accept_error(e: &std::io::Error) {
    use std::io::ErrorKind;
    if matches!(e.kind(), ErrorKind::ConnectionAborted | ErrorKind::ConnectionReset | ErrorKind::ConnectionRefused) {
        return;
    }
    tracing::error!(error = %e, "cannot accept a connection; retrying in 100 ms");
    tokio::time::sleep(Duration::from_millis(100)).await;
}
