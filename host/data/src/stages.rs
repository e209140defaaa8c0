//! The steps of a job's day, and moving a job to its next stage.

use super::{DbResult, QueryContext, TenantDb};
use portico_core::ids::JobId;
use portico_core::model::{new_id, now, Job};
use portico_core::stages::JobStage;

/// One step the office took.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct JobStep {
    pub id: String,
    #[sqlx(try_from = "String")]
    pub stage: JobStage,
    pub by_name: String,
    pub at: i64,
}

impl TenantDb<'_> {
    /// The job's steps, oldest first.
    pub async fn job_steps(&self, job_id: &JobId) -> DbResult<Vec<JobStep>> {
        sqlx::query_as("SELECT id, stage, by_name, at FROM job_steps WHERE tenant_id = $1 AND job_id = $2 ORDER BY at, id")
            .bind(self.tenant)
            .bind(job_id)
            .fetch_all(&self.db.pool)
            .await
            .context("loading a job's steps")
    }

    /// Where `job` stands on its day: its latest step, else what its coarse
    /// status says (a job nobody moved yet); with that step.
    pub async fn job_stage(&self, job: &Job) -> DbResult<(JobStage, Option<JobStep>)> {
        let latest = self.job_steps(&job.id).await?.pop();
        Ok((latest.as_ref().map(|step| step.stage).unwrap_or_else(|| JobStage::from_status(&job.status)), latest))
    }

    /// Record that the job moved to `stage`, and set its coarse status with
    /// it, only if its latest step is still `after` (the one the mover saw;
    /// `None`: no step yet). Two people moving the same job at once: the
    /// second finds the job moved and changes nothing. Returns the step's id,
    /// or `None` when the job moved meanwhile or is not this business's.
    pub async fn record_job_step(&self, job_id: &JobId, after: Option<&str>, stage: JobStage, by_name: &str) -> DbResult<Option<String>> {
        let mut tx = self.db.pool.begin().await.context("starting to move a job")?;
        // Writing the job first takes its lock (a row lock on PostgreSQL,
        // the write lock on SQLite), so the check below cannot race.
        let updated = sqlx::query("UPDATE jobs SET status = $1 WHERE tenant_id = $2 AND id = $3")
            .bind(stage.status())
            .bind(self.tenant)
            .bind(job_id)
            .execute(&mut *tx)
            .await
            .context("moving a job")?;
        if updated.rows_affected() != 1 {
            return Ok(None);
        }
        let latest: Option<String> =
            sqlx::query_scalar("SELECT id FROM job_steps WHERE tenant_id = $1 AND job_id = $2 ORDER BY at DESC, id DESC LIMIT 1")
                .bind(self.tenant)
                .bind(job_id)
                .fetch_optional(&mut *tx)
                .await
                .context("reading a job's latest step")?;
        if latest.as_deref() != after {
            return Ok(None);
        }
        let id = new_id();
        // Ids are time-ordered: within one second, the later step sorts last.
        sqlx::query("INSERT INTO job_steps (id, tenant_id, job_id, stage, by_name, at) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(&id)
            .bind(self.tenant)
            .bind(job_id)
            .bind(stage.as_str())
            .bind(by_name)
            .bind(now())
            .execute(&mut *tx)
            .await
            .context("recording a job's step")?;
        tx.commit().await.context("moving a job")?;
        Ok(Some(id))
    }
}
