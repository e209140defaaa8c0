//! Who is on the other end of a request, as audit entries, the access log
//! and rate limits see them: their address (the proxy-resolved peer) and
//! browser.

use axum::http::{header, HeaderMap};
use std::net::SocketAddr;

/// Where a request came from: the peer address and the browser.
pub fn origin(peer: SocketAddr, headers: &HeaderMap) -> portico_core::model::RequestOrigin {
    let user_agent = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(|ua| portico_core::text::clamp(ua, 400))
        .unwrap_or_default();
    portico_core::model::RequestOrigin { ip: peer.ip().to_string(), user_agent }
}
