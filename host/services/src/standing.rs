//! Where a job stands, at a glance: whether its agreements are signed, its
//! invoices paid, its report released, and whether clients asked for
//! something the office has not answered. The console's home shows this for
//! every job; the rules are those of the agreements, payments and documents
//! services, read once per job.

use crate::agreements::{for_job_with, AgreementStatus};
use crate::documents::{balance_due, release_from};
use portico_core::ids::JobId;
use portico_core::model::{AddOnStatus, JobContact, Tenant};
use portico_data::{Db, DbError};

/// One of a job's obligations: not part of this job, still open, or met.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    NotNeeded,
    Waiting,
    Done,
}

/// Where the job's report is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportStep {
    /// No report is published.
    NotPublished,
    /// Published, held by the business's release rule.
    Held,
    /// Published and released to the people it is shared with.
    Released,
}

#[derive(Debug)]
pub struct Standing {
    pub people: Vec<JobContact>,
    pub signed: Step,
    pub paid: Step,
    /// What is still owed over all the job's invoices, in minor units.
    pub balance_minor: i64,
    pub report: ReportStep,
    /// Add-on requests waiting for the office's answer.
    pub requests_waiting: usize,
}

pub async fn standing(db: &Db, tenant: &Tenant, job_id: &JobId) -> Result<Standing, DbError> {
    let business = db.tenant(&tenant.id);
    let people = business.job_contacts(job_id).await?;
    let agreements = for_job_with(db, tenant, job_id, &people).await?;
    let invoices = business.invoices(job_id).await?;
    let reports = business.documents(job_id, "report").await?;
    let requests = business.add_on_requests(job_id).await?;

    let needed: Vec<_> = agreements.iter().filter(|a| a.status != AgreementStatus::NotNeeded).collect();
    let signed = match needed.as_slice() {
        [] => Step::NotNeeded,
        needed if needed.iter().any(|a| a.outstanding()) => Step::Waiting,
        _ => Step::Done,
    };
    let billed: Vec<_> = invoices.iter().filter(|(invoice, _)| invoice.status != portico_core::money::InvoiceStatus::Void).collect();
    let balance_minor: i64 = billed.iter().filter_map(|(invoice, lines)| balance_due(invoice, lines)).sum();
    let paid = match (billed.is_empty(), balance_minor > 0) {
        (true, _) => Step::NotNeeded,
        (false, true) => Step::Waiting,
        (false, false) => Step::Done,
    };
    let report = if !reports.iter().any(|doc| doc.published_at.is_some()) {
        ReportStep::NotPublished
    } else if release_from(tenant, &agreements, &invoices).holds.is_empty() {
        ReportStep::Released
    } else {
        ReportStep::Held
    };
    let requests_waiting = requests.iter().filter(|r| r.status == AddOnStatus::Requested).count();
    Ok(Standing { people, signed, paid, balance_minor, report, requests_waiting })
}
