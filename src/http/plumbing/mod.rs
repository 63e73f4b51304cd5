//! What every request passes through, whatever the resource: extractors (authentication,
//! bodies, query parameters, preconditions), layers (observation, load shedding, security and
//! CORS headers), response formats, metrics, and the server loop.

pub mod authenticate; // the StaffUser extractor and the failed-sign-in limiter
pub(crate) mod body; // JSON bodies with problem+json rejections and the body size limit
pub mod client; // the client address, through trusted proxies
pub mod headers; // security headers, CSP, CORS
pub mod integrity; // writes wait for the start-up integrity check
pub mod load_shedding; // the concurrency cap, request deadline and heavy-query slots
pub mod metrics; // request counts, latencies and gauges; the /metrics exposition
pub mod observe; // the request span, request id and access log
pub mod output; // GeoJSON and CSV responses, file names
pub mod params; // strict query-string parsing that names the bad field
pub(crate) mod preconditions; // ETag and If-Match
pub mod server; // the accept loop: connection limits, graceful shutdown
