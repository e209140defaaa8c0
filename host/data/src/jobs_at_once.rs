//! A list of jobs read together: for a page that shows where each of many
//! jobs stands (the console's job list), every job's people, visits,
//! services, agreements, invoices, documents, add-on requests and payments
//! in a fixed number of statements, however many jobs the page lists.
//!
//! Like [`TenantDb::prefetch_job`] for one job's page, it only fills a
//! render's snapshot: each job's rows are kept as the read of that one job
//! would have found them, in that read's order, so the domain rules that
//! ask job by job are answered without a statement. Each read here is the
//! one-job read's own SQL (`jobs::services_sql` and the rest) with the jobs
//! as an `IN` list, so the two cannot drift apart.

use super::add_ons::{add_on_requests_sql, AddOnRequest};
use super::agreements::{locked_agreements_sql, signatures_sql, LockedAgreement, StoredSignature};
use super::jobs::{appointments_sql, documents_sql, job_contacts_sql, jobs_sql, placeholders, services_sql};
use super::properties::properties_sql;
use super::{DbResult, QueryContext, TenantDb};
use portico_core::ids::JobId;
use portico_core::model::{Appointment, Document, Job, JobContact, JobService, Property};
use std::collections::HashMap;

/// The most jobs one statement names: well under the bound parameters
/// SQLite takes in one statement (32,766), and a page lists 25.
pub const JOBS_AT_ONCE: usize = 500;

/// A row of one of several jobs, and which job it belongs to.
#[derive(sqlx::FromRow)]
struct OfJob<T> {
    of_job: JobId,
    #[sqlx(flatten)]
    row: T,
}

impl TenantDb<'_> {
    /// On a render's snapshot, read what [`crate::Db::snapshot`]'s reads of
    /// each of `job_ids` would (see the module's comment): thirteen
    /// statements for each [`JOBS_AT_ONCE`] jobs. Without a snapshot,
    /// nothing: there is nowhere to keep it.
    pub async fn prefetch_jobs(&self, job_ids: &[JobId]) -> DbResult<()> {
        if !self.db.is_snapshot() {
            return Ok(());
        }
        for some in job_ids.chunks(JOBS_AT_ONCE) {
            self.prefetch_some(some).await?;
        }
        Ok(())
    }

    async fn prefetch_some(&self, job_ids: &[JobId]) -> DbResult<()> {
        let among = placeholders(2, job_ids.len());
        let jobs: Vec<Job> = self.of_jobs(&jobs_sql(&format!("id IN ({among})")), job_ids, "reading listed jobs").await?;
        let properties: Vec<Property> = self
            .of_jobs(
                &properties_sql(&format!("p.id IN (SELECT property_id FROM jobs WHERE tenant_id = $1 AND id IN ({among}))")),
                job_ids,
                "reading listed jobs' properties",
            )
            .await?;
        let which = format!("job_id IN ({among})");
        let appointments = self.grouped::<Appointment>(&appointments_sql(&which), job_ids, "reading listed jobs' visits").await?;
        let services = self.grouped::<JobService>(&services_sql(&which), job_ids, "reading listed jobs' services").await?;
        let contacts = self.grouped::<JobContact>(&job_contacts_sql(&format!("jc.{which}")), job_ids, "reading listed jobs' people").await?;
        let locked = self.grouped::<LockedAgreement>(&locked_agreements_sql(&which), job_ids, "reading listed jobs' locked agreements").await?;
        let signatures = self.grouped::<StoredSignature>(&signatures_sql(&which), job_ids, "reading listed jobs' signatures").await?;
        let documents = self.grouped::<Document>(&documents_sql(&which), job_ids, "reading listed jobs' documents").await?;
        let requests =
            self.grouped::<AddOnRequest>(&add_on_requests_sql(&format!("r.{which}")), job_ids, "reading listed jobs' add-on requests").await?;
        // The business's templates, once for all the jobs (kept by the read itself).
        self.agreement_templates().await?;
        let invoices = group(self.invoices_of_jobs(job_ids).await?.into_iter().map(|(job, invoice, lines)| (job, (invoice, lines))));
        let payments = group(self.payments_of_jobs(job_ids).await?.into_iter().map(|share| (share.share_job_id.clone(), share)));

        let (db, tenant) = (self.db, self.tenant);
        for property in properties {
            db.keep("find_property", tenant, &property.id.clone(), Some(property));
        }
        let jobs: HashMap<JobId, Job> = jobs.into_iter().map(|job| (job.id.clone(), job)).collect();
        for job_id in job_ids {
            let of = job_id.as_str();
            db.keep("job", tenant, of, jobs.get(job_id).cloned());
            db.keep("appointments", tenant, of, rows_of(&appointments, job_id));
            db.keep("services", tenant, of, rows_of(&services, job_id));
            db.keep("job_contacts", tenant, of, rows_of(&contacts, job_id));
            db.keep("locked_agreements", tenant, of, rows_of(&locked, job_id));
            db.keep("agreement_signatures", tenant, of, rows_of(&signatures, job_id));
            db.keep("documents", tenant, &format!("{job_id}/"), rows_of(&documents, job_id));
            db.keep("add_on_requests", tenant, of, rows_of(&requests, job_id));
            db.keep("invoices", tenant, of, rows_of(&invoices, job_id));
            db.keep("job_payments", tenant, of, rows_of(&payments, job_id));
        }
        Ok(())
    }

    /// The rows `sql` finds, binding the business as `$1` and the jobs after it.
    async fn of_jobs<T>(&self, sql: &str, job_ids: &[JobId], context: &'static str) -> DbResult<Vec<T>>
    where
        T: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow> + Send + Unpin,
    {
        let mut query = sqlx::query_as::<_, T>(sql).bind(self.tenant);
        for job_id in job_ids {
            query = query.bind(job_id);
        }
        query.fetch_all(&self.db.pool).await.context(context)
    }

    /// A one-job read's rows (its `sql` picking all of `job_ids`), job by
    /// job, each in the read's order.
    async fn grouped<T>(&self, sql: &str, job_ids: &[JobId], context: &'static str) -> DbResult<HashMap<JobId, Vec<T>>>
    where
        T: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow> + Send + Unpin,
    {
        let rows: Vec<OfJob<T>> = self.of_jobs(sql, job_ids, context).await?;
        Ok(group(rows.into_iter().map(|OfJob { of_job, row }| (of_job, row))))
    }
}

/// One job's rows: none when the statement found none.
fn rows_of<T: Clone>(by_job: &HashMap<JobId, Vec<T>>, job_id: &JobId) -> Vec<T> {
    by_job.get(job_id).cloned().unwrap_or_default()
}

/// Rows by their job, each job's in the order they came.
fn group<T>(rows: impl Iterator<Item = (JobId, T)>) -> HashMap<JobId, Vec<T>> {
    let mut by_job: HashMap<JobId, Vec<T>> = HashMap::new();
    for (job, row) in rows {
        by_job.entry(job).or_default().push(row);
    }
    by_job
}
