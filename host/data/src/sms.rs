//! Text messages: each person's opt-in, kind by kind, and the SMS outbox the
//! delivery worker leases from (as the mail outbox).

use super::{Db, DbResult, QueryContext, TenantDb};
use portico_core::ids::TenantId;
use portico_core::model::{new_id, now};
use portico_core::notifications::NotificationKind;

/// A queued text, leased to one worker.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SmsMessage {
    pub id: String,
    pub tenant_id: TenantId,
    pub to_number: String,
    pub template: String,
    pub data_json: String,
    pub attempts: i64,
}

/// A text as the demo's outbox page and the tests read it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SmsEntry {
    pub id: String,
    pub to_number: String,
    pub template: String,
    pub data_json: String,
    pub status: String,
    /// Which provider sent it (`test`: the labelled test provider).
    pub provider: Option<String>,
    pub created_at: i64,
}

const ENTRY_COLUMNS: &str = "id, to_number, template, data_json, status, provider, created_at";

impl Db {
    /// Lease up to `limit` due texts to `worker` for `lease_seconds`.
    pub async fn lease_sms(&self, worker: &str, limit: i64, lease_seconds: i64) -> DbResult<Vec<SmsMessage>> {
        super::queue::lease(self, "sms_outbox", "id, tenant_id, to_number, template, data_json, attempts", (worker, limit, lease_seconds), "leasing texts").await
    }
}

impl TenantDb<'_> {
    /// Queue a text of `template` (a notification kind's) to `to_number` (E.164).
    pub async fn enqueue_sms(&self, to_number: &str, template: &str, data_json: &str) -> DbResult<String> {
        let id = new_id();
        sqlx::query("INSERT INTO sms_outbox (id, tenant_id, to_number, template, data_json, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(&id)
            .bind(self.tenant)
            .bind(to_number)
            .bind(template)
            .bind(data_json)
            .bind(now())
            .execute(&self.db.pool)
            .await
            .context("queueing a text")?;
        Ok(id)
    }

    /// The provider took the text (`provider_ref`: its id for it).
    pub async fn sms_sent(&self, id: &str, worker: &str, provider: &str, provider_ref: &str) -> DbResult<()> {
        sqlx::query(
            "UPDATE sms_outbox SET status = 'sent', sent_at = $1, lease_until = NULL, last_error = NULL, provider = $2, provider_ref = $3 \
             WHERE tenant_id = $4 AND id = $5 AND leased_by = $6",
        )
        .bind(now())
        .bind(provider)
        .bind(provider_ref)
        .bind(self.tenant)
        .bind(id)
        .bind(worker)
        .execute(&self.db.pool)
        .await
        .context("marking a text sent")?;
        Ok(())
    }

    /// The text failed: try again at `retry_at`, or give up (`None`).
    pub async fn sms_failed(&self, id: &str, worker: &str, error: &str, retry_at: Option<i64>) -> DbResult<()> {
        super::queue::failed(self, "sms_outbox", (id, worker), error, retry_at, "marking a text failed").await
    }

    /// The texts queued to `to_number`, newest first.
    pub async fn sms_to(&self, to_number: &str) -> DbResult<Vec<SmsEntry>> {
        sqlx::query_as(&format!("SELECT {ENTRY_COLUMNS} FROM sms_outbox WHERE tenant_id = $1 AND to_number = $2 ORDER BY created_at DESC, id DESC"))
            .bind(self.tenant)
            .bind(to_number)
            .fetch_all(&self.db.pool)
            .await
            .context("reading the texts to a number")
    }

    /// The business's latest texts, newest first.
    pub async fn recent_sms(&self, limit: i64) -> DbResult<Vec<SmsEntry>> {
        sqlx::query_as(&format!("SELECT {ENTRY_COLUMNS} FROM sms_outbox WHERE tenant_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2"))
            .bind(self.tenant)
            .bind(limit)
            .fetch_all(&self.db.pool)
            .await
            .context("reading recent texts")
    }

    /// The kinds the recipient chose to be texted about, or not (kinds they
    /// never chose are absent: not texted).
    pub async fn sms_choices(&self, recipient_id: &str) -> DbResult<Vec<(NotificationKind, bool)>> {
        let rows: Vec<(String, i64)> = sqlx::query_as("SELECT kind, sms FROM notification_sms_choices WHERE tenant_id = $1 AND recipient_id = $2")
            .bind(self.tenant)
            .bind(recipient_id)
            .fetch_all(&self.db.pool)
            .await
            .context("reading text choices")?;
        Ok(rows.into_iter().filter_map(|(kind, sms)| Some((kind.parse().ok()?, sms != 0))).collect())
    }

    pub async fn set_sms_choice(&self, recipient_id: &str, kind: NotificationKind, sms: bool) -> DbResult<()> {
        sqlx::query(
            "INSERT INTO notification_sms_choices (tenant_id, recipient_id, kind, sms, updated_at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (recipient_id, kind) DO UPDATE SET sms = excluded.sms, updated_at = excluded.updated_at",
        )
        .bind(self.tenant)
        .bind(recipient_id)
        .bind(kind.as_str())
        .bind(i64::from(sms))
        .bind(now())
        .execute(&self.db.pool)
        .await
        .context("saving a text choice")?;
        Ok(())
    }
}
