//! Deciding a client's add-on request: approving puts it on an invoice to pay
//! (the open one, or a new one when all are settled) and tells the sections;
//! declining tells the client it is not available for this job.

use crate::events::Events;
use portico_core::model::{RequestOrigin, Tenant};
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
}

impl AddOns {
    pub fn new(db: Db, events: Events) -> AddOns {
        AddOns { db, events }
    }

    /// Approve a request: its line goes on the newest invoice still to pay,
    /// or on a new one numbered after the job when all are settled.
    pub async fn approve(&self, tenant: &Tenant, job_id: &str, request_id: &str, decided_by: &str, actor: &Actor<'_>) -> Result<Decided, AddOnError> {
        let db = &self.db;
        let request = db.add_on_requests(&tenant.id, job_id).await?.into_iter().find(|r| r.id == request_id).ok_or(AddOnError::NotFound)?;
        if request.status != "requested" {
            return Ok(Decided::AlreadyDecided(request.name));
        }
        let invoices = db.invoices(&tenant.id, job_id).await?;
        let open = invoices.iter().find(|(invoice, _)| matches!(invoice.status, portico_core::money::InvoiceStatus::Due | portico_core::money::InvoiceStatus::Failed)).map(|(invoice, _)| invoice.id.clone());
        let invoice_id = match open {
            Some(id) => id,
            None => {
                let job = db.job(&tenant.id, job_id).await?.ok_or(AddOnError::NotFound)?;
                let number = format!("{}-A{}", job.reference, invoices.len() + 1);
                let new = NewInvoice { number: &number, status: portico_core::money::InvoiceStatus::Due, tax_minor: 0, due_at: None, lines: &[] };
                db.create_invoice(&tenant.id, job_id, &new).await?
            }
        };
        if let Approved::NotPending = db.approve_add_on(&tenant.id, job_id, request_id, &invoice_id, decided_by).await? {
            return Ok(Decided::AlreadyDecided(request.name));
        }
        db.recompute_invoice(&tenant.id, &invoice_id).await?;
        let mut audit = AuditEntry::new(&tenant.id, "add-on.approved", &format!("Approved {} for {}", request.name, request.requested_by)).by(*actor);
        audit.job_id = Some(job_id.to_string());
        db.record_audit(&audit).await?;
        self.events.invoice_updated(tenant, job_id, &invoice_id, RequestOrigin::default()).await;
        Ok(Decided::Done(request.name))
    }

    /// Decline a request still waiting for a decision.
    pub async fn decline(&self, tenant: &Tenant, job_id: &str, request_id: &str, decided_by: &str, actor: &Actor<'_>) -> Result<(), AddOnError> {
        if !self.db.decline_add_on(&tenant.id, job_id, request_id, decided_by).await? {
            return Err(AddOnError::NotFound);
        }
        let mut audit = AuditEntry::new(&tenant.id, "add-on.declined", "Declined an add-on request").by(*actor);
        audit.job_id = Some(job_id.to_string());
        self.db.record_audit(&audit).await?;
        Ok(())
    }
}
