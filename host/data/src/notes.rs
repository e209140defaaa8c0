//! Notes on a job: internal, or shown to the job's clients.

use super::{DbResult, QueryContext, TenantDb};
use portico_core::ids::JobId;
use portico_core::model::{new_id, now};

/// One note, as written.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct JobNote {
    pub id: String,
    pub body: String,
    /// `internal` or `clients`.
    pub visibility: String,
    pub by_name: String,
    pub created_at: i64,
}

impl JobNote {
    pub fn for_clients(&self) -> bool {
        self.visibility == "clients"
    }
}

impl TenantDb<'_> {
    /// The job's notes, newest first; only those shown to clients unless `internal_too`.
    pub async fn job_notes(&self, job_id: &JobId, internal_too: bool) -> DbResult<Vec<JobNote>> {
        self.db.read_once("job_notes", self.tenant, &format!("{job_id}/{internal_too}"), || async move {
            sqlx::query_as(
                "SELECT id, body, visibility, by_name, created_at FROM job_notes \
                 WHERE tenant_id = $1 AND job_id = $2 AND (visibility = 'clients' OR $3 = 1) ORDER BY created_at DESC, id DESC",
            )
            .bind(self.tenant)
            .bind(job_id)
            .bind(i64::from(internal_too))
            .fetch_all(&self.db.pool)
            .await
            .context("loading a job's notes")
        })
        .await
    }

    pub async fn add_job_note(&self, job_id: &JobId, body: &str, for_clients: bool, by_name: &str) -> DbResult<String> {
        let id = new_id();
        sqlx::query("INSERT INTO job_notes (id, tenant_id, job_id, body, visibility, by_name, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
            .bind(&id)
            .bind(self.tenant)
            .bind(job_id)
            .bind(body)
            .bind(if for_clients { "clients" } else { "internal" })
            .bind(by_name)
            .bind(now())
            .execute(&self.db.pool)
            .await
            .context("adding a note to a job")?;
        Ok(id)
    }
}
