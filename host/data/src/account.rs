//! What the account hub's sections read across a contact's jobs: each job
//! with its property and where it stands, in one query.

use super::identity::{NOT_STAFF, REACHABLE_LINKS, ROLE_ON_JOB};
use super::{DbResult, QueryContext, TenantDb};
use portico_core::ids::JobId;
use portico_core::model::{Property, RoleColumn};

/// One of a signed-in contact's jobs, with its property and stage.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AccountJobDetail {
    pub job_id: JobId,
    pub reference: String,
    pub status: String,
    /// The job's latest step, if the office moved it (else its status says).
    pub latest_stage: Option<String>,
    #[sqlx(try_from = "String")]
    pub role: RoleColumn,
    #[sqlx(flatten)]
    pub property: Property,
    pub first_visit: Option<i64>,
}

impl TenantDb<'_> {
    /// The jobs a signed-in contact reaches (their own links, or every link
    /// of the address they proved), newest first, at most 200: the same jobs
    /// as the account hub lists, never another contact's.
    pub async fn account_job_details(&self, contact_id: &str, verified_email: Option<&str>) -> DbResult<Vec<AccountJobDetail>> {
        sqlx::query_as(&format!(
            "SELECT j.id AS job_id, j.reference, j.status, {ROLE_ON_JOB} AS role, \
                    p.id, p.line1, p.line2, p.city, p.region, p.postal_code, p.country, \
                    (SELECT MIN(a.starts_at) FROM appointments a WHERE a.tenant_id = j.tenant_id AND a.job_id = j.id AND a.status <> 'cancelled') AS first_visit, \
                    (SELECT s.stage FROM job_steps s WHERE s.tenant_id = j.tenant_id AND s.job_id = j.id ORDER BY s.at DESC, s.id DESC LIMIT 1) AS latest_stage \
             {REACHABLE_LINKS} AND {NOT_STAFF} \
             GROUP BY j.id, j.reference, j.status, p.id, p.line1, p.line2, p.city, p.region, p.postal_code, p.country, j.tenant_id, j.created_at \
             ORDER BY j.created_at DESC, j.id DESC LIMIT 200"
        ))
        .bind(self.tenant)
        .bind(contact_id)
        .bind(verified_email)
        .fetch_all(&self.db.pool)
        .await
        .context("listing a contact's jobs with their properties")
    }
}
