//! The HTTP listener: hyper's HTTP/1 connection loop with limits that a slow
//! or greedy client cannot get around. `axum::serve` has no header-read
//! timeout or header size cap; forty clients sending headers a byte at a time
//! held forty connections forever.
//!
//! - headers must arrive within `header_read_timeout` (else the connection is
//!   closed), and fit in `max_header_bytes` (else 431);
//! - a request body must arrive within `body_timeout`, and the whole request
//!   be answered within `request_timeout` (both 408);
//! - on shutdown, connections finish their request in flight and close.

use axum::extract::ConnectInfo;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use std::future::Future;
use std::time::Duration;
use tokio::net::TcpListener;
use tower::ServiceExt;

/// How long and how much a client may take.
#[derive(Debug, Clone)]
pub struct HttpLimits {
    pub header_read_timeout: Duration,
    /// hyper's read buffer, which the whole request head must fit in
    /// (at least 8 KiB).
    pub max_header_bytes: usize,
    pub body_timeout: Duration,
    pub request_timeout: Duration,
    /// How long shutdown waits for requests in flight.
    pub drain_timeout: Duration,
}

impl Default for HttpLimits {
    fn default() -> Self {
        HttpLimits {
            header_read_timeout: Duration::from_secs(10),
            max_header_bytes: 64 * 1024,
            // Between two pieces of a body: a stalled body is cut off, a slow
            // but steady upload is not.
            body_timeout: Duration::from_secs(60),
            // A 25 MiB document at 1 Mbit/s still fits.
            request_timeout: Duration::from_secs(300),
            drain_timeout: Duration::from_secs(30),
        }
    }
}

/// The router with the body and whole-request timeouts of `limits`.
pub fn with_timeouts(router: Router, limits: &HttpLimits) -> Router {
    use axum::http::StatusCode;
    use tower_http::timeout::{RequestBodyTimeoutLayer, TimeoutLayer};
    router
        .layer(RequestBodyTimeoutLayer::new(limits.body_timeout))
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, limits.request_timeout))
}

/// Accept connections on `listener` and serve `app` until `shutdown`
/// resolves; then stop accepting and let open connections finish.
pub async fn serve(listener: TcpListener, app: Router, limits: HttpLimits, shutdown: impl Future<Output = ()>) -> std::io::Result<()> {
    let graceful = GracefulShutdown::new();
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .max_buf_size(limits.max_header_bytes.max(8192))
        .keep_alive(true);
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors and the like: pause, never spin.
                    tracing::warn!(%error, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let app = app.clone();
        // Handlers read the peer through `ConnectInfo`, as with axum::serve
        // (and `client_ip` may replace it with a trusted proxy's client).
        let service = TowerToHyperService::new(tower::service_fn(move |mut request: hyper::Request<Incoming>| {
            request.extensions_mut().insert(ConnectInfo(peer));
            app.clone().oneshot(request)
        }));
        let connection = graceful.watch(builder.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(%peer, %error, "connection ended with an error");
            }
        });
    }
    drop(listener);
    if tokio::time::timeout(limits.drain_timeout, graceful.shutdown()).await.is_err() {
        tracing::warn!("some connections were still open when shutdown stopped waiting");
    }
    Ok(())
}

/// The address a request came from: the peer, or (when the peer is one of
/// the configured `trusted` proxies) the client the proxy names in
/// `X-Forwarded-For`, read from the right past any other trusted proxies.
/// A forwarding header from anyone else is ignored: it is theirs to forge.
pub fn client_ip(peer: std::net::IpAddr, forwarded_for: Option<&str>, trusted: &[IpRange]) -> std::net::IpAddr {
    let is_trusted = |ip: &std::net::IpAddr| trusted.iter().any(|range| range.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    let Some(header) = forwarded_for else { return peer };
    let mut client = peer;
    for hop in header.rsplit(',') {
        match parse_hop(hop) {
            Some(ip) => {
                client = ip;
                if !is_trusted(&ip) {
                    break;
                }
            }
            // A malformed hop: stop at the last address we could trust.
            None => break,
        }
    }
    client
}

/// One `X-Forwarded-For` hop: an address, with or without a port
/// (`203.0.113.7:4711`, `[2001:db8::1]:4711`).
fn parse_hop(hop: &str) -> Option<std::net::IpAddr> {
    let hop = hop.trim();
    hop.parse::<std::net::IpAddr>()
        .ok()
        .or_else(|| hop.parse::<std::net::SocketAddr>().ok().map(|addr| addr.ip()))
}

/// An address or a CIDR range (`10.0.0.0/8`, `::1`), for `--trusted-proxy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpRange {
    network: std::net::IpAddr,
    prefix: u8,
}

impl IpRange {
    pub fn contains(&self, ip: &std::net::IpAddr) -> bool {
        use std::net::IpAddr;
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(*ip),
            other => *other,
        };
        match (self.network, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = if self.prefix == 0 { 0 } else { u32::MAX << (32 - u32::from(self.prefix)) };
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = if self.prefix == 0 { 0 } else { u128::MAX << (128 - u32::from(self.prefix)) };
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

impl std::str::FromStr for IpRange {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (address, prefix) = text.trim().split_once('/').map_or((text.trim(), None), |(a, p)| (a, Some(p)));
        let network: std::net::IpAddr = address.parse().map_err(|_| format!("{text:?} is not an IP address or a CIDR range"))?;
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(prefix) => prefix.parse::<u8>().ok().filter(|p| *p <= max).ok_or_else(|| format!("{text:?}: the prefix must be 0 to {max}"))?,
            None => max,
        };
        Ok(IpRange { network, prefix })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ranges(list: &[&str]) -> Vec<IpRange> {
        list.iter().map(|r| r.parse().unwrap()).collect()
    }

    #[test]
    fn the_forwarded_client_counts_only_behind_a_trusted_proxy() {
        let proxy = "10.0.0.5".parse().unwrap();
        let stranger = "203.0.113.9".parse().unwrap();
        let trusted = ranges(&["10.0.0.0/8"]);
        assert_eq!(client_ip(proxy, Some("198.51.100.7"), &trusted).to_string(), "198.51.100.7");
        assert_eq!(client_ip(proxy, Some("1.2.3.4, 198.51.100.7, 10.0.0.2"), &trusted).to_string(), "198.51.100.7", "read from the right past trusted hops");
        assert_eq!(client_ip(stranger, Some("198.51.100.7"), &trusted), stranger, "a stranger's header is ignored");
        assert_eq!(client_ip(proxy, None, &trusted), proxy);
        assert_eq!(client_ip(proxy, Some("nonsense"), &trusted), proxy);
        assert_eq!(client_ip(proxy, Some("198.51.100.7:4711"), &trusted).to_string(), "198.51.100.7", "a hop with its port");
        assert_eq!(client_ip(proxy, Some("[2001:db8::7]:4711"), &trusted).to_string(), "2001:db8::7");
        assert_eq!(client_ip(proxy, Some("6.6.6.6,198.51.100.7"), &trusted).to_string(), "198.51.100.7", "a forged first line is not the client");
        assert_eq!(client_ip(proxy, Some("198.51.100.7"), &[]), proxy, "no proxy is trusted by default");
    }

    #[test]
    fn ranges_parse_and_match() {
        let range: IpRange = "192.168.0.0/16".parse().unwrap();
        assert!(range.contains(&"192.168.4.2".parse().unwrap()));
        assert!(range.contains(&"::ffff:192.168.4.2".parse().unwrap()));
        assert!(!range.contains(&"192.169.0.1".parse().unwrap()));
        assert!("::1".parse::<IpRange>().unwrap().contains(&"::1".parse().unwrap()));
        assert!("10.0.0.0/33".parse::<IpRange>().is_err());
        assert!("proxy.local".parse::<IpRange>().is_err());
    }
}
