//! Where a job stands, at a glance: whether its agreements are signed, its
//! invoices paid, its report released, and whether clients asked for
//! something the office has not answered. The console's home shows this for
//! every job; the rules are those of the agreements, payments and documents
//! services, read once per job.

use crate::agreements::{for_job_with, AgreementStatus};
use crate::documents::{balance_due, release_from};
use portico_core::ids::JobId;
use portico_core::model::{AddOnStatus, Invoice, InvoiceLine, JobContact, Tenant};
use portico_core::money::{InvoiceStatus, PaymentStatus};
use portico_data::{Db, DbError};

/// One of a job's obligations: not part of this job, still open, or met.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    NotNeeded,
    Waiting,
    Done,
}

/// Where the job's bill is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaymentStep {
    /// No invoice has been sent.
    NoInvoice,
    /// An invoice is due, or its payment failed: this much is owed.
    Owed(i64),
    /// A payment is on its way (a checkout finished, not yet settled).
    Processing,
    /// Everything sent is paid or waived.
    Settled,
    /// The money was given back.
    Refunded,
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
    pub payment: PaymentStep,
    /// Manual payments staff recorded that wait for approval.
    pub payments_to_approve: usize,
    pub report: ReportStep,
    /// Add-on requests waiting for the office's answer.
    pub requests_waiting: usize,
}

/// Where each of `job_ids` stands, in their order: read together (a fixed
/// number of statements however many jobs), then judged job by job by
/// [`standing`]'s rules. Only reads.
pub async fn standings(db: &Db, tenant: &Tenant, job_ids: &[JobId]) -> Result<Vec<Standing>, DbError> {
    let db = db.snapshot_for(tenant);
    db.tenant(&tenant.id).prefetch_jobs(job_ids).await?;
    let mut standings = Vec::with_capacity(job_ids.len());
    for job_id in job_ids {
        standings.push(standing(&db, tenant, job_id).await?);
    }
    Ok(standings)
}

async fn standing(db: &Db, tenant: &Tenant, job_id: &JobId) -> Result<Standing, DbError> {
    let business = db.tenant(&tenant.id);
    let people = business.job_contacts(job_id).await?;
    let agreements = for_job_with(db, tenant, job_id, &people).await?;
    let invoices = business.invoices(job_id).await?;
    let reports = business.documents(job_id, "report").await?;
    let requests = business.add_on_requests(job_id).await?;
    let payments = business.job_payments(job_id).await?;

    let needed: Vec<_> = agreements.iter().filter(|a| a.status != AgreementStatus::NotNeeded).collect();
    let signed = match needed.as_slice() {
        [] => Step::NotNeeded,
        needed if needed.iter().any(|a| a.outstanding()) => Step::Waiting,
        _ => Step::Done,
    };
    let payment = payment_step(&invoices);
    let report = if !reports.iter().any(|doc| doc.published_at.is_some()) {
        ReportStep::NotPublished
    } else if release_from(tenant, &agreements, &invoices).holds.is_empty() {
        ReportStep::Released
    } else {
        ReportStep::Held
    };
    let requests_waiting = requests.iter().filter(|r| r.status == AddOnStatus::Requested).count();
    let mut payments_to_approve: Vec<&str> =
        payments.iter().filter(|p| p.payment.status == PaymentStatus::Pending).map(|p| p.payment.id.as_str()).collect();
    // One row per invoice a payment pays: count the payments.
    payments_to_approve.dedup();
    let payments_to_approve = payments_to_approve.len();
    Ok(Standing { people, signed, payment, payments_to_approve, report, requests_waiting })
}

/// The bill as the office reads it. "Owed" is what the console's Unpaid
/// filter lists: invoices due, or whose payment failed.
fn payment_step(invoices: &[(Invoice, Vec<InvoiceLine>)]) -> PaymentStep {
    let sent: Vec<_> = invoices.iter().filter(|(invoice, _)| !matches!(invoice.status, InvoiceStatus::Draft | InvoiceStatus::Void)).collect();
    let owed: i64 = sent
        .iter()
        .filter(|(invoice, _)| matches!(invoice.status, InvoiceStatus::Due | InvoiceStatus::Failed))
        .filter_map(|(invoice, lines)| balance_due(invoice, lines))
        .sum();
    if sent.is_empty() {
        PaymentStep::NoInvoice
    } else if owed > 0 {
        PaymentStep::Owed(owed)
    } else if sent.iter().any(|(invoice, _)| invoice.status == InvoiceStatus::Processing) {
        PaymentStep::Processing
    } else if sent.iter().all(|(invoice, _)| invoice.status == InvoiceStatus::Refunded) {
        PaymentStep::Refunded
    } else {
        PaymentStep::Settled
    }
}
