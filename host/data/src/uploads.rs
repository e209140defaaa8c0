//! Files attached to a section's form: who attached them, on which job, and
//! where the file store keeps them and their thumbnails.

use super::jobs::placeholders;
use super::{DbResult, QueryContext, TenantDb};
use portico_core::ids::JobId;
use portico_core::model::{new_id, now};

/// Which side of the business someone is on: one of its contacts (a
/// client, an agent) or a member of its staff. Who attached a file, who
/// wrote a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PersonKind {
    Contact,
    Staff,
}

impl PersonKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PersonKind::Contact => "contact",
            PersonKind::Staff => "staff",
        }
    }
}

/// A stored upload.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Upload {
    pub id: String,
    pub plugin_id: String,
    pub job_id: Option<JobId>,
    /// `contact` or `staff`.
    pub uploader_kind: String,
    pub uploader_id: String,
    pub uploader_name: String,
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub file_key: String,
    pub thumbnail_key: Option<String>,
    pub created_at: i64,
}

/// An upload to record, once its bytes are in the file store.
pub struct NewUpload<'a> {
    pub id: &'a str,
    pub plugin_id: &'a str,
    pub job_id: Option<&'a JobId>,
    pub uploader: (PersonKind, &'a str, &'a str),
    pub file_name: &'a str,
    pub content_type: &'a str,
    pub size_bytes: i64,
    pub file_key: &'a str,
    pub thumbnail_key: Option<&'a str>,
}

pub(crate) const COLUMNS: &str =
    "id, plugin_id, job_id, uploader_kind, uploader_id, uploader_name, file_name, content_type, size_bytes, file_key, thumbnail_key, created_at";

impl TenantDb<'_> {
    /// A fresh id for an upload, to name its file before it is recorded.
    pub fn new_upload_id(&self) -> String {
        new_id()
    }

    pub async fn record_form_upload(&self, upload: &NewUpload<'_>) -> DbResult<()> {
        let (kind, uploader_id, uploader_name) = upload.uploader;
        sqlx::query(
            "INSERT INTO uploads (id, tenant_id, plugin_id, job_id, uploader_kind, uploader_id, uploader_name, file_name, content_type, size_bytes, file_key, thumbnail_key, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        )
        .bind(upload.id)
        .bind(self.tenant)
        .bind(upload.plugin_id)
        .bind(upload.job_id)
        .bind(kind.as_str())
        .bind(uploader_id)
        .bind(uploader_name)
        .bind(upload.file_name)
        .bind(upload.content_type)
        .bind(upload.size_bytes)
        .bind(upload.file_key)
        .bind(upload.thumbnail_key)
        .bind(now())
        .execute(&self.db.pool)
        .await
        .context("recording an upload")?;
        Ok(())
    }

    /// The bytes the business's uploads take (files, not thumbnails).
    pub async fn upload_bytes(&self) -> DbResult<i64> {
        // PostgreSQL sums BIGINTs as NUMERIC, which the Any driver cannot read.
        sqlx::query_scalar("SELECT CAST(COALESCE(SUM(size_bytes), 0) AS BIGINT) FROM uploads WHERE tenant_id = $1")
            .bind(self.tenant)
            .fetch_one(&self.db.pool)
            .await
            .context("adding up a business's uploads")
    }

    /// What was attached on these jobs through the forms of `plugin_ids`
    /// and never sent in a conversation, newest first, at most `limit`, in
    /// one query however many jobs there are (for an account's files).
    pub async fn uploads_of_jobs(&self, job_ids: &[JobId], plugin_ids: &[&str], limit: i64) -> DbResult<Vec<Upload>> {
        if job_ids.is_empty() || plugin_ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT {COLUMNS} FROM uploads u WHERE tenant_id = $1 AND job_id IN ({}) AND plugin_id IN ({}) \
             AND NOT EXISTS (SELECT 1 FROM message_attachments m WHERE m.tenant_id = u.tenant_id AND m.upload_id = u.id) \
             ORDER BY created_at DESC, id LIMIT {limit}",
            placeholders(2, job_ids.len()),
            placeholders(2 + job_ids.len(), plugin_ids.len())
        );
        let mut query = sqlx::query_as(&sql).bind(self.tenant);
        for id in job_ids {
            query = query.bind(id);
        }
        for id in plugin_ids {
            query = query.bind(*id);
        }
        query.fetch_all(&self.db.pool).await.context("listing the uploads of several jobs")
    }

    /// Forget uploads nothing kept (a form the section refused), unless a
    /// message holds one; the store keys of those forgotten, for the caller
    /// to delete.
    pub async fn discard_uploads(&self, ids: &[String]) -> DbResult<Vec<(String, Option<String>)>> {
        let mut keys = Vec::new();
        for id in ids {
            let gone: Option<(String, Option<String>)> = sqlx::query_as(
                "DELETE FROM uploads WHERE tenant_id = $1 AND id = $2 \
                 AND NOT EXISTS (SELECT 1 FROM message_attachments m WHERE m.tenant_id = $1 AND m.upload_id = $2) \
                 RETURNING file_key, thumbnail_key",
            )
            .bind(self.tenant)
            .bind(id)
            .fetch_optional(&self.db.pool)
            .await
            .context("discarding an upload nothing kept")?;
            keys.extend(gone);
        }
        Ok(keys)
    }

    /// One of the business's uploads.
    pub async fn upload(&self, id: &str) -> DbResult<Option<Upload>> {
        sqlx::query_as(&format!("SELECT {COLUMNS} FROM uploads WHERE tenant_id = $1 AND id = $2"))
            .bind(self.tenant)
            .bind(id)
            .fetch_optional(&self.db.pool)
            .await
            .context("reading an upload")
    }
}
