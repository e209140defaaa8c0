//! The mail outbox: queued messages, leased in batches by delivery workers.

use portico_core::ids::TenantId;
use super::{Db, TenantDb, DbResult, QueryContext};
use portico_core::model::now;

/// A queued message, leased to one worker.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OutboxMessage {
    pub id: String,
    pub tenant_id: TenantId,
    pub to_address: String,
    pub template: String,
    pub data_json: String,
    pub attempts: i64,
    /// The section's name when a section queued it.
    pub section_name: Option<String>,
}

impl Db {
    /// Lease up to `limit` due messages to `worker` for `lease_seconds`.
    pub async fn lease_outbox(&self, worker: &str, limit: i64, lease_seconds: i64) -> DbResult<Vec<OutboxMessage>> {
        super::queue::lease(self, "outbox", "id, tenant_id, to_address, template, data_json, attempts, section_name", (worker, limit, lease_seconds), "leasing outbox messages").await
    }
}

impl TenantDb<'_> {

    /// The message went out.
    pub async fn outbox_sent(&self, id: &str, worker: &str) -> DbResult<()> {
        sqlx::query(
            "UPDATE outbox SET status = 'sent', sent_at = $1, lease_until = NULL, last_error = NULL \
             WHERE tenant_id = $2 AND id = $3 AND leased_by = $4",
        )
        .bind(now())
        .bind(self.tenant)
        .bind(id)
        .bind(worker)
        .execute(&self.db.pool)
        .await
        .context("marking mail sent")?;
        Ok(())
    }

    /// The attempt failed: try again at `retry_at`, or give up when `None`.
    pub async fn outbox_failed(&self, id: &str, worker: &str, error: &str, retry_at: Option<i64>) -> DbResult<()> {
        super::queue::failed(self, "outbox", (id, worker), error, retry_at, "recording a failed delivery").await
    }

    /// How many of the tenant's messages are in `status`.
    pub async fn outbox_count(&self, status: &str) -> DbResult<i64> {
        sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE tenant_id = $1 AND status = $2")
            .bind(self.tenant)
            .bind(status)
            .fetch_one(&self.db.pool)
            .await
            .context("counting outbox messages")
    }

    /// The tenant's messages to `to_address`, newest first.
    pub async fn outbox_to(&self, to_address: &str) -> DbResult<Vec<OutboxMessage>> {
        sqlx::query_as(
            "SELECT id, tenant_id, to_address, template, data_json, attempts, section_name FROM outbox \
             WHERE tenant_id = $1 AND to_address = $2 ORDER BY created_at DESC, id DESC LIMIT 100",
        )
        .bind(self.tenant)
        .bind(to_address)
        .fetch_all(&self.db.pool)
        .await
        .context("listing outbox messages")
    }

    /// Was mail of `template` queued to `to_address` since `since`?
    pub async fn recently_mailed(&self, to_address: &str, template: &str, since: i64) -> DbResult<bool> {
        let count: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM outbox WHERE tenant_id = $1 AND to_address = $2 AND template = $3 AND created_at >= $4",
        )
        .bind(self.tenant)
        .bind(to_address)
        .bind(template)
        .bind(since)
        .fetch_one(&self.db.pool)
        .await
        .context("checking recent mail")?;
        Ok(count > 0)
    }

    /// The tenant's most recent mail, newest first (the demo's outbox page).
    pub async fn recent_outbox(&self, limit: i64) -> DbResult<Vec<OutboxEntry>> {
        sqlx::query_as(
            "SELECT id, to_address, template, data_json, status, created_at, section_name FROM outbox \
             WHERE tenant_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2",
        )
        .bind(self.tenant)
        .bind(limit)
        .fetch_all(&self.db.pool)
        .await
        .context("listing recent mail")
    }
}

/// A message as the outbox page lists it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OutboxEntry {
    pub id: String,
    pub to_address: String,
    pub template: String,
    pub data_json: String,
    pub status: String,
    pub created_at: i64,
    pub section_name: Option<String>,
}
