//! Who of the staff is on a job's visit.

use super::{DbResult, QueryContext, TenantDb};
use portico_core::ids::JobId;
use portico_core::model::{now, StaffRole};

/// A member of staff on a job's crew.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CrewMember {
    pub staff_user_id: String,
    pub name: String,
    #[sqlx(try_from = "String")]
    pub role: StaffRole,
}

impl TenantDb<'_> {
    /// The job's crew, in the order they were assigned.
    pub async fn job_crew(&self, job_id: &JobId) -> DbResult<Vec<CrewMember>> {
        self.db.read_once("job_crew", self.tenant, job_id.as_str(), || async move {
            sqlx::query_as(
                "SELECT s.id AS staff_user_id, s.display_name AS name, s.role FROM job_crew c \
                 JOIN staff_users s ON s.id = c.staff_user_id AND s.tenant_id = c.tenant_id \
                 WHERE c.tenant_id = $1 AND c.job_id = $2 ORDER BY c.assigned_at, s.display_name",
            )
            .bind(self.tenant)
            .bind(job_id)
            .fetch_all(&self.db.pool)
            .await
            .context("reading a job's crew")
        })
        .await
    }

    /// Put a member of this business's staff on the job's crew; false when
    /// they were on it already or are not this business's.
    pub async fn assign_crew(&self, job_id: &JobId, staff_user_id: &str) -> DbResult<bool> {
        let added = sqlx::query(
            "INSERT INTO job_crew (tenant_id, job_id, staff_user_id, assigned_at) \
             SELECT $1, $2, s.id, $4 FROM staff_users s WHERE s.tenant_id = $1 AND s.id = $3 \
             AND EXISTS (SELECT 1 FROM jobs j WHERE j.tenant_id = $1 AND j.id = $2) \
             AND NOT EXISTS (SELECT 1 FROM job_crew c WHERE c.tenant_id = $1 AND c.job_id = $2 AND c.staff_user_id = $3)",
        )
        .bind(self.tenant)
        .bind(job_id)
        .bind(staff_user_id)
        .bind(now())
        .execute(&self.db.pool)
        .await
        .context("assigning a job's crew")?;
        Ok(added.rows_affected() == 1)
    }

    /// Take a member off the job's crew; false when they were not on it.
    pub async fn unassign_crew(&self, job_id: &JobId, staff_user_id: &str) -> DbResult<bool> {
        let removed = sqlx::query("DELETE FROM job_crew WHERE tenant_id = $1 AND job_id = $2 AND staff_user_id = $3")
            .bind(self.tenant)
            .bind(job_id)
            .bind(staff_user_id)
            .execute(&self.db.pool)
            .await
            .context("taking someone off a job's crew")?;
        Ok(removed.rows_affected() == 1)
    }
}
