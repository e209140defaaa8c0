//! Changing an invoice once it is issued: a fee, a discount or another
//! service added to it, or the whole invoice voided. Staff on the console and
//! integrations through the API both come here, so the rules hold for both.

use portico_core::ids::JobId;
use portico_core::money::{InvoiceStatus, PaymentStatus};
use super::{CheckoutError, Payments};
use portico_data::{Actor, AuditEntry};
use portico_core::model::Tenant;
use portico_core::formats::Formats as _;
use portico_core::model::RequestOrigin;

/// The kinds of line staff add by hand (add-on lines come from approved requests).
pub const LINE_KINDS: [&str; 3] = ["fee", "discount", "service"];

/// A line to add: a discount's `amount_minor` is what it takes off.
pub struct NewLine<'a> {
    pub kind: &'a str,
    pub description: &'a str,
    pub amount_minor: i64,
}

/// Who is changing an invoice: settling what is still due by discount (so
/// that nothing more is collected, and a held report may be released) is
/// the owner's decision alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvoiceAuthority {
    Owner,
    Office,
}

/// Why an invoice may not change in its state, if it may not.
fn frozen(number: &str, status: InvoiceStatus) -> Option<String> {
    match status {
        status if status.to_pay() => None,
        InvoiceStatus::Processing => Some(format!("A payment of invoice {number} is being processed; change it once it clears.")),
        other => Some(format!("Invoice {number} is {other}; only an invoice still to pay can change.")),
    }
}

impl Payments {
    /// Add a line to an invoice of the job and recompute it.
    pub async fn add_invoice_line(
        &self,
        tenant: &Tenant,
        job_id: &JobId,
        invoice_id: &str,
        line: &NewLine<'_>,
        authority: InvoiceAuthority,
        actor: Actor<'_>,
    ) -> Result<(), CheckoutError> {
        let db = &self.checkouts.db;
        let invoice = db.tenant(&tenant.id).invoice_totals(invoice_id).await?.filter(|i| i.job_id == job_id).ok_or(CheckoutError::NotFound)?;
        if let Some(reason) = frozen(&invoice.number, invoice.status) {
            return Err(CheckoutError::Blocked(reason));
        }
        let description = line.description.trim();
        if !LINE_KINDS.contains(&line.kind) {
            return Err(CheckoutError::Blocked("A line is a fee, a discount or a service.".into()));
        }
        if description.is_empty() || description.chars().count() > 120 || description.chars().any(char::is_control) {
            return Err(CheckoutError::Blocked("Describe the line in at most 120 characters.".into()));
        }
        if !(1..=10_000_000_000).contains(&line.amount_minor) {
            return Err(CheckoutError::Blocked("The amount must be more than zero.".into()));
        }
        let signed = if line.kind == "discount" { -line.amount_minor } else { line.amount_minor };
        if invoice.total + signed < invoice.paid {
            let formats = portico_core::formats::TenantFormats::new(tenant);
            let floor = if invoice.paid > 0 { format!("the {} already paid", formats.money(invoice.paid)) } else { "zero".to_string() };
            return Err(CheckoutError::Blocked(format!("The discount would bring invoice {} below {floor}.", invoice.number)));
        }
        let settles = line.kind == "discount" && invoice.total + signed <= invoice.paid;
        if settles && authority != InvoiceAuthority::Owner {
            return Err(CheckoutError::Blocked(format!(
                "The discount would settle invoice {} with nothing more collected; only an owner may do that.",
                invoice.number
            )));
        }
        if !db.tenant(&tenant.id).add_invoice_line(invoice_id, invoice.revision, line.kind, description, signed).await? {
            return Err(CheckoutError::Blocked(format!("Invoice {} changed meanwhile; look at it again.", invoice.number)));
        }
        db.tenant(&tenant.id).recompute_invoice(invoice_id).await?;
        let formats = portico_core::formats::TenantFormats::new(tenant);
        let summary = format!("Added {} “{description}” ({}) to invoice {}", line.kind, formats.money(signed), invoice.number);
        self.invoice_changed(tenant, job_id, invoice_id, "invoice.line-added", &summary, actor).await?;
        Ok(())
    }

    /// Void an invoice nothing was paid on: it no longer asks for payment.
    /// An open checkout of it is given up first.
    pub async fn void_invoice(&self, tenant: &Tenant, job_id: &JobId, invoice_id: &str, actor: Actor<'_>) -> Result<(), CheckoutError> {
        let db = &self.checkouts.db;
        let invoice = db.tenant(&tenant.id).invoice_totals(invoice_id).await?.filter(|i| i.job_id == job_id).ok_or(CheckoutError::NotFound)?;
        if let Some(reason) = frozen(&invoice.number, invoice.status) {
            return Err(CheckoutError::Blocked(reason));
        }
        let payments = db.tenant(&tenant.id).invoice_payments(invoice_id).await?;
        let counted = [PaymentStatus::Pending, PaymentStatus::Processing, PaymentStatus::Succeeded, PaymentStatus::Refunded];
        if invoice.paid > 0 || payments.iter().any(|p| counted.contains(&p.payment.status)) {
            return Err(CheckoutError::Blocked(format!(
                "Invoice {} has payments recorded; refund or reject them before voiding it.",
                invoice.number
            )));
        }
        refuse_if_batched(db, tenant, &invoice.number, invoice_id, "voiding it").await?;
        if let Some(open) = db.tenant(&tenant.id).open_checkout(invoice_id).await? {
            self.checkouts.give_up(tenant, &open).await?;
        }
        if !db.tenant(&tenant.id).void_invoice(invoice_id).await? {
            return Err(CheckoutError::Blocked(format!("Invoice {} changed meanwhile; look at it again.", invoice.number)));
        }
        self.invoice_changed(tenant, job_id, invoice_id, "invoice.voided", &format!("Voided invoice {}", invoice.number), actor).await?;
        Ok(())
    }

    /// Write an invoice off as bad debt: the business gives up collecting
    /// what is left on it. It stays as it is (a client may still pay it),
    /// but no longer counts as receivable, and the client's dashboard counts
    /// it among bad debts. A payment awaiting approval is decided first.
    pub async fn write_off(&self, tenant: &Tenant, job_id: &JobId, invoice_id: &str, reason: &str, actor: Actor<'_>) -> Result<(), CheckoutError> {
        let db = &self.checkouts.db;
        let invoice = db.tenant(&tenant.id).invoice_totals(invoice_id).await?.filter(|i| i.job_id == job_id).ok_or(CheckoutError::NotFound)?;
        let reason = reason.trim();
        if reason.is_empty() || reason.chars().count() > 200 || reason.chars().any(char::is_control) {
            return Err(CheckoutError::Blocked("Say in at most 200 characters why the invoice is written off.".into()));
        }
        let refusal = match invoice.status {
            _ if invoice.written_off_at.is_some() => Some("is already written off"),
            InvoiceStatus::Processing => Some("has a payment being processed or awaiting approval; decide it first"),
            InvoiceStatus::Due | InvoiceStatus::Failed if invoice.balance() > 0 => None,
            _ => Some("has nothing left to collect"),
        };
        if let Some(refusal) = refusal {
            return Err(CheckoutError::Blocked(format!("Invoice {} {refusal}.", invoice.number)));
        }
        refuse_if_batched(db, tenant, &invoice.number, invoice_id, "writing it off").await?;
        if !db.tenant(&tenant.id).write_off_invoice(invoice_id, invoice.revision, actor.name, reason).await? {
            return Err(CheckoutError::Blocked(format!("Invoice {} changed meanwhile; look at it again.", invoice.number)));
        }
        let formats = portico_core::formats::TenantFormats::new(tenant);
        let summary = format!("Wrote off invoice {} ({} unpaid) as bad debt: {reason}", invoice.number, formats.money(invoice.balance()));
        self.invoice_changed(tenant, job_id, invoice_id, "invoice.written-off", &summary, actor).await
    }

    /// Take a write-off back: the invoice is receivable again.
    pub async fn undo_write_off(&self, tenant: &Tenant, job_id: &JobId, invoice_id: &str, actor: Actor<'_>) -> Result<(), CheckoutError> {
        let db = &self.checkouts.db;
        let invoice = db.tenant(&tenant.id).invoice_totals(invoice_id).await?.filter(|i| i.job_id == job_id).ok_or(CheckoutError::NotFound)?;
        if !db.tenant(&tenant.id).undo_write_off(invoice_id).await? {
            return Err(CheckoutError::Blocked(format!("Invoice {} is not written off.", invoice.number)));
        }
        let summary = format!("Took back the write-off of invoice {}", invoice.number);
        self.invoice_changed(tenant, job_id, invoice_id, "invoice.write-off-undone", &summary, actor).await
    }

    /// Audit a change to an invoice and tell the sections.
    async fn invoice_changed(&self, tenant: &Tenant, job_id: &JobId, invoice_id: &str, action: &str, summary: &str, actor: Actor<'_>) -> Result<(), CheckoutError> {
        let entry = AuditEntry::new(&tenant.id, action, summary).by(actor).on_job(job_id);
        self.checkouts.db.record_audit(&entry).await?;
        self.events.invoice_updated(tenant, job_id, invoice_id, RequestOrigin::default()).await;
        Ok(())
    }
}

/// An invoice in a batch stays as the customer was told until the batch is
/// withdrawn: its balance is part of the batch's, which they may be paying.
async fn refuse_if_batched(db: &portico_data::Db, tenant: &Tenant, number: &str, invoice_id: &str, doing: &str) -> Result<(), CheckoutError> {
    match db.tenant(&tenant.id).batch_of_invoice(invoice_id).await? {
        Some(batch) => Err(CheckoutError::Blocked(format!("Invoice {number} is in batch {batch}; withdraw the batch before {doing}."))),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_invoice_still_to_pay_changes() {
        assert_eq!(frozen("1042", InvoiceStatus::Due), None);
        assert_eq!(frozen("1042", InvoiceStatus::Failed), None);
        assert!(frozen("1042", InvoiceStatus::Paid).unwrap().contains("is paid"));
        assert!(frozen("1042", InvoiceStatus::Void).unwrap().contains("is void"));
        assert!(frozen("1042", InvoiceStatus::Processing).unwrap().contains("being processed"));
        assert!(frozen("1042", InvoiceStatus::Waived).unwrap().contains("is waived"));
    }
}
