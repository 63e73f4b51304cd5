//! The start-up integrity check of the database as the HTTP layer sees it. A server over a
//! SQLite database with providers listens (and answers reads from the catalog) while SQLite's
//! `PRAGMA quick_check` still runs on its own connection and thread; until it has passed,
//! [`writes_wait_for_check`] answers every request that could write (any method but GET, HEAD,
//! OPTIONS on the staff routes, which hold every write) 503 problem+json with `Retry-After: 1`,
//! so nothing is written into a file not yet known to be sound. `/readyz` reports the state.

use axum::extract::{Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tokio::sync::watch;

use crate::http::error::ApiError;

/// Where the integrity check of the served database stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Integrity {
    /// No check belongs to this server (PostgreSQL; a router built in-process): writes are open.
    NotChecked,
    /// The check runs: reads are served, writes wait.
    Checking,
    /// The check passed (or ran before serving, on an empty database): writes are open.
    Passed,
    /// The check found damage or could not read the file: writes stay refused and the server
    /// shuts down. The text is the error (the database and SQLite's findings).
    Failed(String),
}

impl Integrity {
    /// The state as `/readyz` shows it (`"integrity"`), none when there is no check.
    pub fn label(&self) -> Option<&'static str> {
        match self {
            Self::NotChecked => None,
            Self::Checking => Some("checking"),
            Self::Passed => Some("ok"),
            Self::Failed(_) => Some("failed"),
        }
    }
}

/// The shared, observable state of the check: set by start-up, read by each write and by
/// `/readyz`, awaited by the server loop (a failure stops the server).
#[derive(Debug)]
pub struct IntegrityGate(watch::Sender<Integrity>);

impl Default for IntegrityGate {
    /// No check: writes are open.
    fn default() -> Self {
        Self(watch::Sender::new(Integrity::NotChecked))
    }
}

impl IntegrityGate {
    /// The state now.
    pub fn state(&self) -> Integrity {
        self.0.borrow().clone()
    }

    /// Sets the state (start-up: `Checking` before serving; then `Passed` or `Failed`).
    pub fn set(&self, state: Integrity) {
        self.0.send_replace(state);
    }

    /// Completes once the check is no longer running (passed, failed, or there is none).
    pub fn settled(&self) -> impl Future<Output = ()> + Send + 'static {
        let mut states = self.0.subscribe();
        async move {
            let _ = states.wait_for(|s| *s != Integrity::Checking).await;
        }
    }

    /// Completes when the check has failed; never otherwise.
    pub fn failed(&self) -> impl Future<Output = ()> + Send + 'static {
        let mut states = self.0.subscribe();
        async move {
            if states.wait_for(|s| matches!(s, Integrity::Failed(_))).await.is_err() {
                std::future::pending::<()>().await;
            }
        }
    }

    /// The answer to a write while the check has not passed, if it has not.
    fn refusal(&self) -> Option<ApiError> {
        match &*self.0.borrow() {
            Integrity::NotChecked | Integrity::Passed => None,
            Integrity::Checking => Some(ApiError::IntegrityChecking),
            Integrity::Failed(_) => Some(ApiError::NotReady(FAILED_DETAIL.into())),
        }
    }
}

/// What a write and `/readyz` are told after a failed check (the findings are logged, not sent).
pub const FAILED_DETAIL: &str = "データベースの整合性検査で破損が見つかったため、サーバーを停止します。\
     何も保存されていません。(the database failed its integrity check; nothing was written; caremap is shutting down)";

/// Layer on the staff routes: a request whose method could write waits for the integrity check
/// (503 while it runs or after it failed); reads pass at once.
pub async fn writes_wait_for_check(
    State(gate): State<std::sync::Arc<IntegrityGate>>,
    request: Request,
    next: Next,
) -> Response {
    if !matches!(*request.method(), Method::GET | Method::HEAD | Method::OPTIONS)
        && let Some(refusal) = gate.refusal()
    {
        return refusal.into_response();
    }
    next.run(request).await
}
