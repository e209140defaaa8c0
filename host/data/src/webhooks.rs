//! Outgoing webhooks: endpoints, the events raised for them, and the
//! deliveries the workers lease (see `queue`).

use portico_core::ids::TenantId;
use super::{Db, TenantDb, DbResult, QueryContext};
use portico_core::model::{new_id, now};

/// An endpoint a business registered.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct WebhookEndpoint {
    pub id: String,
    pub tenant_id: TenantId,
    pub url: String,
    pub description: String,
    /// Space-separated event types.
    pub events: String,
    pub secret: String,
    pub created_at: i64,
    pub disabled_at: Option<i64>,
}

impl WebhookEndpoint {
    pub fn receives(&self, kind: &str) -> bool {
        self.events.split_whitespace().any(|event| event == kind)
    }
}

/// A delivery leased to one worker.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LeasedDelivery {
    pub id: String,
    pub tenant_id: TenantId,
    pub endpoint_id: String,
    pub event_id: String,
    pub attempts: i64,
}

/// What a leased delivery sends, and where.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DeliveryTarget {
    pub url: String,
    pub secret: String,
    pub disabled_at: Option<i64>,
    pub kind: String,
    pub payload: String,
}

/// A delivery as the console lists it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DeliveryRow {
    pub id: String,
    pub event_id: String,
    pub kind: String,
    pub status: String,
    pub attempts: i64,
    pub response_status: Option<i64>,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub next_attempt_at: i64,
    pub delivered_at: Option<i64>,
}

const ENDPOINT_COLUMNS: &str = "id, tenant_id, url, description, events, secret, created_at, disabled_at";

impl Db {

    /// Lease up to `limit` due deliveries to `worker` for `lease_seconds`.
    pub async fn lease_webhook_deliveries(&self, worker: &str, limit: i64, lease_seconds: i64) -> DbResult<Vec<LeasedDelivery>> {
        super::queue::lease(self, "webhook_deliveries", "id, tenant_id, endpoint_id, event_id, attempts", (worker, limit, lease_seconds), "leasing webhook deliveries").await
    }

    /// Where a delivery goes and what it carries.
    pub async fn webhook_delivery_target(&self, delivery: &LeasedDelivery) -> DbResult<Option<DeliveryTarget>> {
        sqlx::query_as(
            "SELECT e.url, e.secret, e.disabled_at, v.kind, v.payload FROM webhook_endpoints e, webhook_events v \
             WHERE e.tenant_id = $1 AND e.id = $2 AND v.tenant_id = $1 AND v.id = $3",
        )
        .bind(&delivery.tenant_id)
        .bind(&delivery.endpoint_id)
        .bind(&delivery.event_id)
        .fetch_optional(&self.pool)
        .await
        .context("reading a webhook delivery's target")
    }
}

impl TenantDb<'_> {
    pub async fn create_webhook_endpoint(
        &self,
        url: &str,
        description: &str,
        events: &str,
        secret: &str,
        created_by: &str,
    ) -> DbResult<String> {
        let id = new_id();
        sqlx::query(
            "INSERT INTO webhook_endpoints (id, tenant_id, url, description, events, secret, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&id)
        .bind(self.tenant)
        .bind(url)
        .bind(description)
        .bind(events)
        .bind(secret)
        .bind(created_by)
        .bind(now())
        .execute(&self.db.pool)
        .await
        .context("registering a webhook endpoint")?;
        Ok(id)
    }

    pub async fn webhook_endpoints(&self) -> DbResult<Vec<WebhookEndpoint>> {
        sqlx::query_as(&format!("SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE tenant_id = $1 ORDER BY created_at, id"))
            .bind(self.tenant)
            .fetch_all(&self.db.pool)
            .await
            .context("listing webhook endpoints")
    }

    pub async fn webhook_endpoint(&self, id: &str) -> DbResult<Option<WebhookEndpoint>> {
        sqlx::query_as(&format!("SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE tenant_id = $1 AND id = $2"))
            .bind(self.tenant)
            .bind(id)
            .fetch_optional(&self.db.pool)
            .await
            .context("reading a webhook endpoint")
    }

    /// Turn an endpoint off (nothing more is sent to it) or on again.
    pub async fn set_webhook_endpoint_disabled(&self, id: &str, disabled: bool) -> DbResult<bool> {
        let done = sqlx::query("UPDATE webhook_endpoints SET disabled_at = $1 WHERE tenant_id = $2 AND id = $3")
            .bind(disabled.then(now))
            .bind(self.tenant)
            .bind(id)
            .execute(&self.db.pool)
            .await
            .context("turning a webhook endpoint on or off")?;
        Ok(done.rows_affected() == 1)
    }

    /// Replace an endpoint's signing secret; later attempts are signed with the new one.
    pub async fn roll_webhook_secret(&self, id: &str, secret: &str) -> DbResult<bool> {
        let done = sqlx::query("UPDATE webhook_endpoints SET secret = $1 WHERE tenant_id = $2 AND id = $3")
            .bind(secret)
            .bind(self.tenant)
            .bind(id)
            .execute(&self.db.pool)
            .await
            .context("rolling a webhook secret")?;
        Ok(done.rows_affected() == 1)
    }

    /// Remove an endpoint and its delivery history.
    pub async fn delete_webhook_endpoint(&self, id: &str) -> DbResult<bool> {
        let mut tx = self.db.pool.begin().await.context("starting a transaction")?;
        sqlx::query("DELETE FROM webhook_deliveries WHERE tenant_id = $1 AND endpoint_id = $2")
            .bind(self.tenant)
            .bind(id)
            .execute(&mut *tx)
            .await
            .context("removing a webhook endpoint's deliveries")?;
        let done = sqlx::query("DELETE FROM webhook_endpoints WHERE tenant_id = $1 AND id = $2")
            .bind(self.tenant)
            .bind(id)
            .execute(&mut *tx)
            .await
            .context("removing a webhook endpoint")?;
        tx.commit().await.context("committing a webhook endpoint's removal")?;
        Ok(done.rows_affected() == 1)
    }

    /// Store an event and queue one delivery to each endpoint of the tenant
    /// that is on and receives `kind` (or only to `only_endpoint`, for a test
    /// event). Returns the event's id and how many deliveries were queued.
    pub async fn raise_webhook_event(
        &self,
        event_id: &str,
        kind: &str,
        payload: &str,
        only_endpoint: Option<&str>,
    ) -> DbResult<usize> {
        let endpoints: Vec<WebhookEndpoint> = match only_endpoint {
            Some(id) => self.webhook_endpoint(id).await?.into_iter().collect(),
            None => self.webhook_endpoints().await?.into_iter().filter(|e| e.disabled_at.is_none() && e.receives(kind)).collect(),
        };
        if endpoints.is_empty() {
            return Ok(0);
        }
        let at = now();
        let mut tx = self.db.pool.begin().await.context("starting a transaction")?;
        sqlx::query("INSERT INTO webhook_events (id, tenant_id, kind, payload, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(event_id)
            .bind(self.tenant)
            .bind(kind)
            .bind(payload)
            .bind(at)
            .execute(&mut *tx)
            .await
            .context("storing a webhook event")?;
        for endpoint in &endpoints {
            sqlx::query(
                "INSERT INTO webhook_deliveries (id, tenant_id, endpoint_id, event_id, next_attempt_at, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $5)",
            )
            .bind(new_id())
            .bind(self.tenant)
            .bind(&endpoint.id)
            .bind(event_id)
            .bind(at)
            .execute(&mut *tx)
            .await
            .context("queueing a webhook delivery")?;
        }
        tx.commit().await.context("committing a webhook event")?;
        Ok(endpoints.len())
    }

    /// The receiver took it.
    pub async fn webhook_delivered(&self, id: &str, worker: &str, response_status: u16) -> DbResult<()> {
        sqlx::query(
            "UPDATE webhook_deliveries SET status = 'delivered', delivered_at = $1, response_status = $2, lease_until = NULL, last_error = NULL \
             WHERE tenant_id = $3 AND id = $4 AND leased_by = $5",
        )
        .bind(now())
        .bind(i64::from(response_status))
        .bind(self.tenant)
        .bind(id)
        .bind(worker)
        .execute(&self.db.pool)
        .await
        .context("marking a webhook delivered")?;
        Ok(())
    }

    /// The attempt failed: try again at `retry_at`, or give up when `None`.
    pub async fn webhook_attempt_failed(
        &self,
        id: &str,
        worker: &str,
        response_status: Option<u16>,
        error: &str,
        retry_at: Option<i64>,
    ) -> DbResult<()> {
        let status = if retry_at.is_some() { "queued" } else { "failed" };
        sqlx::query(
            "UPDATE webhook_deliveries SET status = $1, next_attempt_at = $2, response_status = $3, last_error = $4, lease_until = NULL \
             WHERE tenant_id = $5 AND id = $6 AND leased_by = $7",
        )
        .bind(status)
        .bind(retry_at.unwrap_or_else(now))
        .bind(response_status.map(i64::from))
        .bind(error)
        .bind(self.tenant)
        .bind(id)
        .bind(worker)
        .execute(&self.db.pool)
        .await
        .context("recording a failed webhook attempt")?;
        Ok(())
    }

    /// An endpoint's deliveries, newest first.
    pub async fn webhook_deliveries(&self, endpoint_id: &str, limit: i64) -> DbResult<Vec<DeliveryRow>> {
        sqlx::query_as(
            "SELECT d.id, d.event_id, v.kind, d.status, d.attempts, d.response_status, d.last_error, d.created_at, d.next_attempt_at, d.delivered_at \
             FROM webhook_deliveries d JOIN webhook_events v ON v.id = d.event_id AND v.tenant_id = d.tenant_id \
             WHERE d.tenant_id = $1 AND d.endpoint_id = $2 ORDER BY d.created_at DESC, d.id DESC LIMIT $3",
        )
        .bind(self.tenant)
        .bind(endpoint_id)
        .bind(limit)
        .fetch_all(&self.db.pool)
        .await
        .context("listing webhook deliveries")
    }

    /// Queue a delivery that gave up (or went out) once more, at once, with a
    /// fresh count of attempts. The event and its id stay the same, so a
    /// receiver that already processed it can tell.
    pub async fn redeliver_webhook(&self, endpoint_id: &str, id: &str) -> DbResult<bool> {
        let done = sqlx::query(
            "UPDATE webhook_deliveries SET status = 'queued', attempts = 0, next_attempt_at = $1, lease_until = NULL \
             WHERE tenant_id = $2 AND endpoint_id = $3 AND id = $4 AND status <> 'queued'",
        )
        .bind(now())
        .bind(self.tenant)
        .bind(endpoint_id)
        .bind(id)
        .execute(&self.db.pool)
        .await
        .context("queueing a webhook again")?;
        Ok(done.rows_affected() == 1)
    }
}
