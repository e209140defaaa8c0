//! The steps of a job's day, and moving a job to its next stage.

use super::{DbResult, QueryContext, TenantDb};
use portico_core::ids::{JobId, TenantId};
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

/// The job's latest step, on the pool or inside a transaction. Ids are
/// time-ordered, so within one second the later step sorts last.
async fn latest_step<'e>(executor: impl sqlx::Executor<'e, Database = sqlx::Any>, tenant_id: &TenantId, job_id: &JobId) -> DbResult<Option<JobStep>> {
    sqlx::query_as("SELECT id, stage, by_name, at FROM job_steps WHERE tenant_id = $1 AND job_id = $2 ORDER BY at DESC, id DESC LIMIT 1")
        .bind(tenant_id)
        .bind(job_id)
        .fetch_optional(executor)
        .await
        .context("reading a job's latest step")
}

impl TenantDb<'_> {
    /// Where `job` stands on its day: its latest step, else what its coarse
    /// status says (a job nobody moved yet); with that step.
    pub async fn job_stage(&self, job: &Job) -> DbResult<(JobStage, Option<JobStep>)> {
        self.db.read_once("job_stage", self.tenant, job.id.as_str(), || async move {
            let latest = latest_step(&self.db.pool, self.tenant, &job.id).await?;
            Ok((latest.as_ref().map(|step| step.stage).unwrap_or_else(|| JobStage::from_status(&job.status)), latest))
        })
        .await
    }

    /// Record that the job moved to `stage`, and set its coarse status with
    /// it, only if its latest step is still `after` (the one the mover saw;
    /// `None`: no step yet). Two people moving the same job at once: the
    /// second finds the job moved and changes nothing. Returns the step, or
    /// `None` when the job moved meanwhile or is not this business's.
    pub async fn record_job_step(&self, job_id: &JobId, after: Option<&str>, stage: JobStage, by_name: &str) -> DbResult<Option<JobStep>> {
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
        let latest = latest_step(&mut *tx, self.tenant, job_id).await?;
        if latest.as_ref().map(|step| step.id.as_str()) != after {
            return Ok(None);
        }
        let step = JobStep { id: new_id(), stage, by_name: by_name.to_string(), at: now() };
        sqlx::query("INSERT INTO job_steps (id, tenant_id, job_id, stage, by_name, at) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(&step.id)
            .bind(self.tenant)
            .bind(job_id)
            .bind(step.stage.as_str())
            .bind(&step.by_name)
            .bind(step.at)
            .execute(&mut *tx)
            .await
            .context("recording a job's step")?;
        tx.commit().await.context("moving a job")?;
        Ok(Some(step))
    }
}
