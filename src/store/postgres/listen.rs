//! Waking a follower when the feed moves: `LISTEN caremap_feed` on a connection of its own
//! (tokio-postgres, async), kept up forever. A notification carries only the new last seq;
//! the follower reads the changes itself, so a lost or merged notification costs only
//! latency: notifications sent while the listener is disconnected are lost, which is why the
//! follower also polls, and why a reconnect wakes it once (to catch up from its last seq).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::Notify;
use tokio_postgres::{AsyncMessage, NoTls};

/// The NOTIFY channel of the change feed.
pub const FEED_CHANNEL: &str = "caremap_feed";

/// The longest wait between two connection attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(2);
/// The first wait after a lost connection.
const FIRST_BACKOFF: Duration = Duration::from_millis(100);

/// Listens on [`FEED_CHANNEL`] of the database at `url` forever: `wake.notify_one()` for each
/// notification (and once after each (re)connection, for what was missed); on any connection
/// loss or failed attempt `reconnects` grows by one and the loop waits (100 ms doubling up to
/// 2 s) and connects again. The URL's password is never logged.
pub async fn listen_for_changes(url: String, wake: Arc<Notify>, reconnects: Arc<AtomicU64>) {
    let shown = super::redact_url(&url);
    let mut backoff = FIRST_BACKOFF;
    loop {
        match listen_once(&url, &wake).await {
            Ok(()) => {
                // It was connected and listening: the next loss starts a fresh backoff.
                backoff = FIRST_BACKOFF;
                tracing::warn!(db = %shown, "change-feed listener lost its connection; reconnecting");
            }
            Err(e) => tracing::warn!(db = %shown, error = %e, "change-feed listener cannot connect; retrying"),
        }
        reconnects.fetch_add(1, Ordering::Relaxed);
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

/// One connection: connect, LISTEN, forward notifications until the connection ends.
/// `Err` when it never got to listen; `Ok` when an established listener lost its connection.
async fn listen_once(url: &str, wake: &Notify) -> Result<(), tokio_postgres::Error> {
    let mut config: tokio_postgres::Config = url.parse()?;
    config.connect_timeout(Duration::from_secs(5));
    config.application_name("caremap-listen");
    let (client, mut connection) = config.connect(NoTls).await?;
    let (listening_tx, listening_rx) = tokio::sync::oneshot::channel::<()>();
    let listen = async move {
        let result = client.batch_execute(&format!("LISTEN {FEED_CHANNEL}")).await;
        let _ = listening_tx.send(());
        // Keep the client (and so the connection) while the driver below runs.
        std::future::pending::<()>().await;
        drop((client, result));
    };
    let drive = async {
        let (mut listening, mut listening_rx) = (false, listening_rx);
        loop {
            tokio::select! {
                message = std::future::poll_fn(|cx| connection.poll_message(cx)) => match message {
                    Some(Ok(AsyncMessage::Notification(_))) => wake.notify_one(),
                    Some(Ok(_)) => {}
                    Some(Err(e)) if !listening => return Err(e),
                    Some(Err(_)) | None => return Ok(()),
                },
                done = &mut listening_rx, if !listening => {
                    if done.is_ok() {
                        listening = true;
                        // Whatever was committed while no one listened.
                        wake.notify_one();
                    }
                }
            }
        }
    };
    tokio::select! {
        () = listen => Ok(()),
        ended = drive => ended,
    }
}
