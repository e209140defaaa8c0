//! Deciding a client's add-on request: approving puts it on an invoice to pay
//! (the open one, or a new one when all are settled) and tells the sections;
//! declining tells the client it is not available for this job.

use portico_core::ids::JobId;
use crate::events::Events;
use portico_core::model::{AddOnStatus, RequestOrigin, Tenant};
use portico_data::AddOnRequest;
use portico_data::{Actor, AuditEntry, Approved, Db, DbError, NewInvoice};

/// What a decision did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decided {
    /// Done; the request's name.
    Done(String),
    /// Someone decided it first; the request's name.
    AlreadyDecided(String),
}

/// What can go wrong deciding.
#[derive(Debug, thiserror::Error)]
pub enum AddOnError {
    /// The job has no such request (or the business no such job).
    #[error("no such add-on request")]
    NotFound,
    #[error(transparent)]
    Db(#[from] DbError),
}

/// Decides add-on requests; cheap to clone.
#[derive(Clone)]
pub struct AddOns {
    db: Db,
    events: Events,
    notifications: crate::notifications::Notifications,
}

impl AddOns {
    pub fn new(db: Db, events: Events, notifications: crate::notifications::Notifications) -> AddOns {
        AddOns { db, events, notifications }
    }

    /// Approve a request: its line goes on the newest invoice still to pay,
    /// or on a new one numbered after the job when all are settled.
    pub async fn approve(&self, tenant: &Tenant, job_id: &JobId, request_id: &str, decided_by: &str, actor: &Actor<'_>) -> Result<Decided, AddOnError> {
        let db = &self.db;
        let request = self.request(tenant, job_id, request_id).await?;
        if request.status != AddOnStatus::Requested {
            return Ok(Decided::AlreadyDecided(request.name));
        }
        let invoices = db.tenant(&tenant.id).invoices(job_id).await?;
        let open = invoices.iter().find(|(invoice, _)| matches!(invoice.status, portico_core::money::InvoiceStatus::Due | portico_core::money::InvoiceStatus::Failed)).map(|(invoice, _)| invoice.id.clone());
        let new_invoice = open.is_none();
        let invoice_id = match open {
            Some(id) => id,
            None => {
                let job = db.tenant(&tenant.id).job(job_id).await?.ok_or(AddOnError::NotFound)?;
                let number = format!("{}-A{}", job.reference, invoices.len() + 1);
                let new = NewInvoice { number: &number, status: portico_core::money::InvoiceStatus::Due, tax_minor: 0, due_at: None, lines: &[] };
                db.tenant(&tenant.id).create_invoice(job_id, &new).await?
            }
        };
        if let Approved::NotPending = db.tenant(&tenant.id).approve_add_on(job_id, request_id, &invoice_id, decided_by).await? {
            return Ok(Decided::AlreadyDecided(request.name));
        }
        db.tenant(&tenant.id).recompute_invoice(&invoice_id).await?;
        let audit = AuditEntry::new(&tenant.id, "add-on.approved", &format!("Approved {} for {}", request.name, request.requested_by)).by(*actor).on_job(job_id);
        db.record_audit(&audit).await?;
        self.events.invoice_updated(tenant, job_id, &invoice_id, RequestOrigin::default()).await;
        // A line on an invoice already due is no new invoice; a new one is.
        if new_invoice {
            self.notifications.invoice_issued(tenant, job_id, &invoice_id).await;
        }
        Ok(Decided::Done(request.name))
    }

    /// Decline a request still waiting for a decision.
    pub async fn decline(&self, tenant: &Tenant, job_id: &JobId, request_id: &str, decided_by: &str, actor: &Actor<'_>) -> Result<Decided, AddOnError> {
        let request = self.request(tenant, job_id, request_id).await?;
        if request.status != AddOnStatus::Requested || !self.db.tenant(&tenant.id).decline_add_on(job_id, request_id, decided_by).await? {
            return Ok(Decided::AlreadyDecided(request.name));
        }
        let audit = AuditEntry::new(&tenant.id, "add-on.declined", "Declined an add-on request").by(*actor).on_job(job_id);
        self.db.record_audit(&audit).await?;
        Ok(Decided::Done(request.name))
    }

    /// The job's request `request_id`, or `NotFound`.
    async fn request(&self, tenant: &Tenant, job_id: &JobId, request_id: &str) -> Result<AddOnRequest, AddOnError> {
        let requests = self.db.tenant(&tenant.id).add_on_requests(job_id).await?;
        requests.into_iter().find(|r| r.id == request_id).ok_or(AddOnError::NotFound)
    }
}
