//! The webhook delivery worker. Every instance runs one; each leases a batch
//! of due deliveries (so each goes out from one instance at a time), signs
//! it, POSTs it, and records the answer: a 2xx delivers it, anything else is
//! retried with growing delays until the policy gives up.

use super::target;
use super::WebhookConfig;
use portico_data::{Db, DbError, DeliveryTarget, LeasedDelivery};
use portico_core::model::now;
use crate::worker::Worker;
use reqwest::header::{HeaderMap, HeaderValue, CONTENT_TYPE};

/// The longest error text kept for the console.
const MAX_ERROR_CHARS: usize = 300;

/// The delivery worker of one instance.
pub struct WebhookWorker;

impl WebhookWorker {
    pub fn spawn(db: Db, config: WebhookConfig, worker_id: String) -> Worker {
        Worker::spawn(config.retry.idle_poll, move || {
            let (db, config, worker_id) = (db.clone(), config.clone(), worker_id.clone());
            async move {
                deliver_batch(&db, &config, &worker_id).await.unwrap_or_else(|error| {
                    tracing::error!(%error, "webhook delivery failed");
                    0
                })
            }
        })
    }
}

/// Why an attempt did not deliver.
struct Failed {
    response_status: Option<u16>,
    reason: String,
    /// Trying again cannot help (the endpoint is off, or said it is gone).
    permanent: bool,
}

impl Failed {
    fn new(reason: impl Into<String>) -> Failed {
        let reason: String = reason.into();
        Failed { response_status: None, reason: reason.chars().take(MAX_ERROR_CHARS).collect(), permanent: false }
    }

    fn permanent(mut self) -> Failed {
        self.permanent = true;
        self
    }
}

/// Lease and attempt one batch; returns how many deliveries were handled.
async fn deliver_batch(db: &Db, config: &WebhookConfig, worker: &str) -> Result<usize, DbError> {
    let batch = db.lease_webhook_deliveries(worker, 10, config.retry.lease_seconds).await?;
    for delivery in &batch {
        let outcome = match db.webhook_delivery_target(delivery).await? {
            None => Err(Failed::new("the endpoint was removed").permanent()),
            Some(target) if target.disabled_at.is_some() => Err(Failed::new("the endpoint is turned off").permanent()),
            Some(target) => attempt(delivery, &target, config).await,
        };
        match outcome {
            Ok(status) => db.tenant(&delivery.tenant_id).webhook_delivered(&delivery.id, worker, status).await?,
            Err(failed) => {
                let retry_at = if failed.permanent { None } else { config.retry.retry_at(delivery.attempts) };
                tracing::warn!(delivery = %delivery.id, attempts = delivery.attempts, reason = %failed.reason, ?retry_at, "webhook not delivered");
                db.tenant(&delivery.tenant_id).webhook_attempt_failed(&delivery.id, worker, failed.response_status, &failed.reason, retry_at).await?;
            }
        }
    }
    Ok(batch.len())
}

/// The headers of one attempt, signed now.
fn headers(delivery: &LeasedDelivery, target: &DeliveryTarget) -> HeaderMap {
    let timestamp = now();
    let signature = hex::encode(portico_core::tokens::timestamped_signature(&target.secret, timestamp, target.payload.as_bytes()));
    let mut headers = HeaderMap::new();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    let mut set = |name: &'static str, value: String| {
        // Ids, event kinds and hex: always valid header values.
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(name, value);
        }
    };
    set("portico-signature", format!("t={timestamp},v1={signature}"));
    set("portico-event-id", delivery.event_id.clone());
    set("portico-event-type", target.kind.clone());
    set("portico-delivery-id", delivery.id.clone());
    headers
}

/// The HTTP client of webhook deliveries: no redirects followed, and no
/// proxy, whatever the environment says (`HTTPS_PROXY` would otherwise send
/// the request to a proxy that resolves the name again, around the pinned,
/// checked addresses).
fn client_builder(config: &WebhookConfig) -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(config.timeout)
        .user_agent(concat!("Portico-Webhooks/", env!("CARGO_PKG_VERSION")))
}

/// POST one delivery to its endpoint; the receiver's status when it took it.
async fn attempt(delivery: &LeasedDelivery, target: &DeliveryTarget, config: &WebhookConfig) -> Result<u16, Failed> {
    let url = reqwest::Url::parse(&target.url).map_err(|_| Failed::new("the endpoint's URL does not parse").permanent())?;
    let addresses = target::addresses(&url, config.allow_private_targets).await.map_err(Failed::new)?;
    let mut client = client_builder(config);
    if let Some(domain) = url.domain() {
        // Connect to the addresses just checked, not to a second lookup's.
        client = client.resolve_to_addrs(domain, &addresses);
    }
    let client = client.build().map_err(|e| Failed::new(format!("could not prepare the request: {e}")))?;
    let response = client
        .post(url)
        .headers(headers(delivery, target))
        .body(target.payload.clone())
        .send()
        .await
        .map_err(|e| Failed::new(describe(e)))?;
    let status = response.status();
    if status.is_success() {
        return Ok(status.as_u16());
    }
    // Redirects are not followed: a 3xx lands here too.
    let mut failed = Failed::new(format!("the endpoint answered {status}"));
    failed.response_status = Some(status.as_u16());
    // 410 Gone: the receiver says this endpoint will never take events again.
    Err(if status == reqwest::StatusCode::GONE { failed.permanent() } else { failed })
}

/// A transport error in a few words (reqwest's own text repeats the URL).
fn describe(error: reqwest::Error) -> String {
    if error.is_timeout() {
        "the endpoint did not answer in time".into()
    } else if error.is_connect() {
        "could not connect to the endpoint".into()
    } else {
        format!("the request failed: {}", error.without_url())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// A listener that answers every request 204 and counts connections.
    async fn counting_server() -> (std::net::SocketAddr, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let seen = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counter = seen.clone();
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let mut buffer = [0u8; 4096];
                let _ = stream.read(&mut buffer).await;
                let _ = stream.write_all(b"HTTP/1.1 204 No Content\r\ncontent-length: 0\r\nconnection: close\r\n\r\n").await;
            }
        });
        (addr, seen)
    }

    #[tokio::test]
    async fn a_proxy_in_the_environment_is_never_used() {
        let (receiver, received) = counting_server().await;
        let (proxy, proxied) = counting_server().await;
        // SAFETY: no other test of this binary reads these variables.
        unsafe {
            std::env::set_var("HTTP_PROXY", format!("http://{proxy}"));
            std::env::set_var("ALL_PROXY", format!("http://{proxy}"));
            // Else a machine's own NO_PROXY=127.0.0.1 would pass the test without the fix.
            std::env::remove_var("NO_PROXY");
            std::env::remove_var("no_proxy");
        }
        let client = client_builder(&WebhookConfig::default()).build().unwrap();
        let answer = client.post(format!("http://{receiver}/hook")).body("{}").send().await.unwrap();
        unsafe {
            std::env::remove_var("HTTP_PROXY");
            std::env::remove_var("ALL_PROXY");
        }
        assert_eq!(answer.status(), 204);
        assert_eq!(received.load(std::sync::atomic::Ordering::SeqCst), 1, "the request went straight to the endpoint");
        assert_eq!(proxied.load(std::sync::atomic::Ordering::SeqCst), 0, "and never to the proxy");
    }
}
