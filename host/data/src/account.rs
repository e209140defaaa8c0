//! What the account hub's sections read across a contact's jobs: each job
//! with its property and where it stands, in one query.

use super::identity::{NOT_STAFF, REACHABLE_LINKS, ROLE_ON_JOB};
use super::{DbResult, QueryContext, TenantDb};
use portico_core::ids::JobId;
use portico_core::model::{Property, RoleColumn};
use super::jobs::placeholders;

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

/// The first visit not cancelled of job `j`, Unix seconds (NULL when none is booked).
pub(crate) const FIRST_VISIT: &str = "(SELECT MIN(a.starts_at) FROM appointments a WHERE a.tenant_id = j.tenant_id AND a.job_id = j.id AND a.status <> 'cancelled')";

/// The latest step of job `j` (NULL when the office never moved it: its status says).
pub(crate) const LATEST_STAGE: &str = "(SELECT s.stage FROM job_steps s WHERE s.tenant_id = j.tenant_id AND s.job_id = j.id ORDER BY s.at DESC, s.id DESC LIMIT 1)";

/// Something a jobs list shows beside a job: a service booked, the
/// visit's lead, a member of its crew, or a note for its clients.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct JobPart {
    pub job_id: JobId,
    /// `service`, `lead`, `crew` or `note`.
    pub part: String,
    pub label: String,
    /// The order within its part (a note's is its time, negated: newest first).
    pub ordinal: i64,
}

impl TenantDb<'_> {
    /// The services, visit leads, crews and notes for clients of these jobs,
    /// in one query however many jobs there are; by job, part and rank.
    pub async fn job_parts(&self, job_ids: &[JobId]) -> DbResult<Vec<JobPart>> {
        if job_ids.is_empty() {
            return Ok(Vec::new());
        }
        let among = placeholders(2, job_ids.len());
        let sql = format!(
            "SELECT job_id, 'service' AS part, name AS label, CAST(position AS BIGINT) AS ordinal FROM job_services \
               WHERE tenant_id = $1 AND job_id IN ({among}) \
             UNION ALL SELECT job_id, 'lead', staff_name, CAST(starts_at AS BIGINT) FROM appointments \
               WHERE tenant_id = $1 AND status <> 'cancelled' AND job_id IN ({among}) \
             UNION ALL SELECT c.job_id, 'crew', s.display_name, CAST(c.assigned_at AS BIGINT) FROM job_crew c \
               JOIN staff_users s ON s.tenant_id = c.tenant_id AND s.id = c.staff_user_id WHERE c.tenant_id = $1 AND c.job_id IN ({among}) \
             UNION ALL SELECT job_id, 'note', body, CAST(-created_at AS BIGINT) FROM job_notes \
               WHERE tenant_id = $1 AND visibility = 'clients' AND job_id IN ({among}) \
             ORDER BY job_id, part, ordinal, label"
        );
        let mut query = sqlx::query_as(&sql).bind(self.tenant);
        for id in job_ids {
            query = query.bind(id);
        }
        query.fetch_all(&self.db.pool).await.context("reading what a jobs list shows of each job")
    }

    /// The jobs a signed-in contact reaches (their own links, or every link
    /// of the address they proved), newest first, at most 200: the same jobs
    /// as the account hub lists, never another contact's.
    pub async fn account_job_details(&self, contact_id: &str, verified_email: Option<&str>) -> DbResult<Vec<AccountJobDetail>> {
        sqlx::query_as(&format!(
            "SELECT j.id AS job_id, j.reference, j.status, {ROLE_ON_JOB} AS role, \
                    p.id, p.line1, p.line2, p.city, p.region, p.postal_code, p.country, p.name, p.kind, \
                    {FIRST_VISIT} AS first_visit, {LATEST_STAGE} AS latest_stage \
             {REACHABLE_LINKS} AND {NOT_STAFF} \
             GROUP BY j.id, j.reference, j.status, p.id, p.line1, p.line2, p.city, p.region, p.postal_code, p.country, p.name, p.kind, j.tenant_id, j.created_at \
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
