//! Notification choices: a business's defaults, and each person's own, by
//! their e-mail address with that business.

use super::{DbResult, QueryContext, TenantDb};
use portico_core::model::{new_id, now};
use portico_core::notifications::NotificationKind;

/// A person who may be notified: an address with one business.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Recipient {
    pub id: String,
    pub address: String,
}

impl TenantDb<'_> {
    /// The recipient for `address` (compared lower-cased), made on first use.
    pub async fn notification_recipient(&self, address: &str) -> DbResult<Recipient> {
        let address = address.trim().to_lowercase();
        sqlx::query("INSERT INTO notification_recipients (id, tenant_id, address, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (tenant_id, address) DO NOTHING")
            .bind(new_id())
            .bind(self.tenant)
            .bind(&address)
            .bind(now())
            .execute(&self.db.pool)
            .await
            .context("adding a notification recipient")?;
        sqlx::query_as("SELECT id, address FROM notification_recipients WHERE tenant_id = $1 AND address = $2")
            .bind(self.tenant)
            .bind(&address)
            .fetch_one(&self.db.pool)
            .await
            .context("reading a notification recipient")
    }

    /// The recipient an unsubscribe link names, if it is this business's.
    pub async fn notification_recipient_by_id(&self, id: &str) -> DbResult<Option<Recipient>> {
        sqlx::query_as("SELECT id, address FROM notification_recipients WHERE tenant_id = $1 AND id = $2")
            .bind(self.tenant)
            .bind(id)
            .fetch_optional(&self.db.pool)
            .await
            .context("finding a notification recipient")
    }

    /// What the recipient chose, kind by kind (kinds they never chose are absent).
    pub async fn notification_preferences(&self, recipient_id: &str) -> DbResult<Vec<(NotificationKind, bool)>> {
        let rows: Vec<(String, i64)> = sqlx::query_as("SELECT kind, email FROM notification_preferences WHERE tenant_id = $1 AND recipient_id = $2")
            .bind(self.tenant)
            .bind(recipient_id)
            .fetch_all(&self.db.pool)
            .await
            .context("reading notification preferences")?;
        Ok(known_kinds(rows))
    }

    pub async fn set_notification_preference(&self, recipient_id: &str, kind: NotificationKind, email: bool) -> DbResult<()> {
        sqlx::query(
            "INSERT INTO notification_preferences (tenant_id, recipient_id, kind, email, updated_at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (recipient_id, kind) DO UPDATE SET email = excluded.email, updated_at = excluded.updated_at",
        )
        .bind(self.tenant)
        .bind(recipient_id)
        .bind(kind.as_str())
        .bind(i64::from(email))
        .bind(now())
        .execute(&self.db.pool)
        .await
        .context("saving a notification preference")?;
        Ok(())
    }

    /// The business's defaults, kind by kind (kinds it never set are absent).
    pub async fn notification_defaults(&self) -> DbResult<Vec<(NotificationKind, bool)>> {
        let rows: Vec<(String, i64)> = sqlx::query_as("SELECT kind, email FROM notification_defaults WHERE tenant_id = $1")
            .bind(self.tenant)
            .fetch_all(&self.db.pool)
            .await
            .context("reading notification defaults")?;
        Ok(known_kinds(rows))
    }

    pub async fn set_notification_default(&self, kind: NotificationKind, email: bool) -> DbResult<()> {
        sqlx::query(
            "INSERT INTO notification_defaults (tenant_id, kind, email, updated_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (tenant_id, kind) DO UPDATE SET email = excluded.email, updated_at = excluded.updated_at",
        )
        .bind(self.tenant)
        .bind(kind.as_str())
        .bind(i64::from(email))
        .bind(now())
        .execute(&self.db.pool)
        .await
        .context("saving a notification default")?;
        Ok(())
    }
}

/// Rows of (kind, 0/1), without kinds this host no longer sends.
fn known_kinds(rows: Vec<(String, i64)>) -> Vec<(NotificationKind, bool)> {
    rows.into_iter().filter_map(|(kind, email)| Some((kind.parse().ok()?, email != 0))).collect()
}
