//! Signed outgoing webhooks: a business registers endpoints on the console
//! (`staff::webhooks`) and chooses the events each receives; when one happens
//! Portico stores it and queues a delivery per endpoint, and every instance's
//! worker (`delivery`) POSTs it, signed, retrying with growing delays.
//!
//! A receiver checks `Portico-Signature: t=…,v1=…`: HMAC-SHA256 under the
//! endpoint's secret of `"{t}.{body}"`, the scheme Stripe uses. Every attempt
//! carries the same event id, so a receiver can ignore one it already has.

mod delivery;
mod target;

pub use delivery::WebhookWorker;
pub use target::check_url;

use portico_core::ids::{JobId, TenantId};
use portico_core::formats::rfc3339;
use portico_data::{Db, DbResult};
use portico_core::model::{new_id, now};
use crate::worker::RetryPolicy;
use serde_json::{json, Value};
use std::time::Duration;

/// The events an endpoint can receive, with what each means to a business.
pub const EVENT_KINDS: [(&str, &str); 8] = [
    ("job.created", "A job is created, on the console or through the API"),
    ("job.updated", "A job's details, people or services change"),
    ("job.stage-changed", "A job moves on its day: on the way, started, finished, cancelled or back to scheduled"),
    ("agreement.signed", "Someone signs an agreement"),
    ("invoice.paid", "An invoice is paid in full"),
    ("payment.succeeded", "A payment succeeds (a card payment, or a recorded payment approved)"),
    ("payment.failed", "A card payment fails, or a recorded payment is rejected"),
    ("payment.refunded", "A payment is refunded"),
];

/// The event a "Send a test event" button raises.
pub const TEST_EVENT: &str = "ping";

/// How deliveries are made.
#[derive(Debug, Clone)]
pub struct WebhookConfig {
    pub retry: RetryPolicy,
    /// Let endpoints be on loopback and private networks (and plain http).
    /// Off in production: a business must not make the server call into the
    /// network it runs in. The demo and the tests turn it on.
    pub allow_private_targets: bool,
    /// How long a receiver has to answer.
    pub timeout: Duration,
}

impl Default for WebhookConfig {
    fn default() -> Self {
        WebhookConfig {
            // 1 min, 2, 4 … capped at 6 h: ten attempts over about a day.
            retry: RetryPolicy { first_delay_seconds: 60, max_delay_seconds: 6 * 3600, max_attempts: 10, lease_seconds: 120, idle_poll: Duration::from_secs(2) },
            allow_private_targets: false,
            timeout: Duration::from_secs(10),
        }
    }
}


/// Raise an event for the tenant's endpoints that receive `kind` (or only
/// for `only_endpoint`). `data` is the event's subject. Returns the event id
/// and how many deliveries were queued; with no endpoint, nothing is stored.
pub async fn raise(db: &Db, tenant_id: &TenantId, kind: &str, data: Value, only_endpoint: Option<&str>) -> DbResult<(String, usize)> {
    let id = format!("evt_{}", new_id().replace('-', ""));
    let payload = json!({ "id": id, "type": kind, "created_at": rfc3339(now()), "data": data });
    let queued = db.tenant(tenant_id).raise_webhook_event(&id, kind, &payload.to_string(), only_endpoint).await?;
    Ok((id, queued))
}

/// Raise a `job.*` event carrying the job as `GET /api/v1/jobs/{id}` shows it.
pub async fn raise_job(db: &Db, tenant_id: &TenantId, kind: &str, job_id: &JobId) -> DbResult<()> {
    // Most businesses have no endpoint: do not build the job for nobody.
    let listening = db.tenant(tenant_id).webhook_endpoints().await?.iter().any(|e| e.disabled_at.is_none() && e.receives(kind));
    if !listening {
        return Ok(());
    }
    if let Some(job) = crate::jobs::job_view(db, tenant_id, job_id).await? {
        raise(db, tenant_id, kind, json!({ "job": job }), None).await?;
    }
    Ok(())
}
