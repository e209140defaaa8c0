//! A tenant's own wording of its mail templates.

use super::{TenantDb, DbResult, QueryContext};
use portico_core::model::now;

/// A template as the tenant wrote it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StoredTemplate {
    pub name: String,
    pub subject: String,
    pub body: String,
}

impl TenantDb<'_> {
    pub async fn mail_template(&self, name: &str) -> DbResult<Option<StoredTemplate>> {
        sqlx::query_as("SELECT name, subject, body FROM mail_templates WHERE tenant_id = $1 AND name = $2")
            .bind(self.tenant)
            .bind(name)
            .fetch_optional(&self.db.pool)
            .await
            .context("loading a mail template")
    }

    /// The names of the templates the tenant has its own wording of.
    pub async fn custom_mail_templates(&self) -> DbResult<Vec<String>> {
        sqlx::query_scalar("SELECT name FROM mail_templates WHERE tenant_id = $1")
            .bind(self.tenant)
            .fetch_all(&self.db.pool)
            .await
            .context("listing a tenant's mail templates")
    }

    pub async fn save_mail_template(&self, template: &StoredTemplate) -> DbResult<()> {
        sqlx::query(
            "INSERT INTO mail_templates (tenant_id, name, subject, body, updated_at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (tenant_id, name) DO UPDATE SET subject = excluded.subject, body = excluded.body, updated_at = excluded.updated_at",
        )
        .bind(self.tenant)
        .bind(&template.name)
        .bind(&template.subject)
        .bind(&template.body)
        .bind(now())
        .execute(&self.db.pool)
        .await
        .context("saving a mail template")?;
        Ok(())
    }

    /// Go back to the host's default wording.
    pub async fn reset_mail_template(&self, name: &str) -> DbResult<()> {
        sqlx::query("DELETE FROM mail_templates WHERE tenant_id = $1 AND name = $2")
            .bind(self.tenant)
            .bind(name)
            .execute(&self.db.pool)
            .await
            .context("resetting a mail template")?;
        Ok(())
    }
}
