//! Batch invoices: the office groups one customer's invoices still to pay
//! (a month of cleanings) into a batch the customer reads as one document
//! and pays in one payment, which settles each invoice in it. The money
//! stays on the invoices: paying a batch is one checkout of its members.

use super::{CheckoutError, Payments, MAX_INVOICES_AT_ONCE};
use portico_core::formats::{Formats as _, TenantFormats};
use portico_core::ids::JobId;
use portico_core::model::{Invoice, InvoiceLine, Tenant};
use portico_core::money::InvoiceStatus;
use portico_core::notifications::NotificationKind;
use portico_data::{Actor, AuditEntry, Batch, BatchConflict, Db, DbError, NewBatch};

/// The longest batch title.
pub const MAX_TITLE_CHARS: usize = 120;

/// What the office asks for: a customer, their invoices, a title.
pub struct BatchRequest<'a> {
    pub contact_id: &'a str,
    pub title: &'a str,
    pub invoice_ids: &'a [String],
}

/// One invoice of a batch with its sums.
#[derive(Debug, Clone)]
pub struct BatchMember {
    pub job_id: JobId,
    pub invoice: Invoice,
    pub lines: Vec<InvoiceLine>,
    /// The service, add-on and discount lines.
    pub subtotal: i64,
    /// The fee lines.
    pub fees: i64,
    pub total: i64,
    pub balance: i64,
}

/// A batch as a document: its invoices and what they come to.
#[derive(Debug, Clone)]
pub struct BatchStatement {
    pub batch: Batch,
    pub members: Vec<BatchMember>,
    pub subtotal: i64,
    pub fees: i64,
    pub tax: i64,
    pub total: i64,
    pub paid: i64,
    pub balance: i64,
}

impl BatchStatement {
    /// The batch's invoices from `invoices` (any set holding them), in the
    /// batch's order; one no longer found (voided to a draft) is left out.
    pub fn of(batch: Batch, invoices: &[(JobId, Invoice, Vec<InvoiceLine>)]) -> BatchStatement {
        let members: Vec<BatchMember> = batch
            .invoice_ids
            .iter()
            .filter_map(|id| invoices.iter().find(|(_, invoice, _)| &invoice.id == id))
            .map(|(job_id, invoice, lines)| {
                let fees: i64 = lines.iter().filter(|line| line.kind == "fee").map(InvoiceLine::amount).sum();
                let total = invoice.total(lines);
                // Only what is still asked for is due: not a void or refunded invoice.
                let owed = matches!(invoice.status, InvoiceStatus::Due | InvoiceStatus::Failed | InvoiceStatus::Processing);
                BatchMember {
                    job_id: job_id.clone(),
                    invoice: invoice.clone(),
                    lines: lines.clone(),
                    subtotal: total - fees - invoice.tax_minor,
                    fees,
                    total,
                    balance: if owed { (total - invoice.paid_minor).max(0) } else { 0 },
                }
            })
            .collect();
        let counted = || members.iter().filter(|m| m.invoice.status != InvoiceStatus::Void);
        BatchStatement {
            subtotal: counted().map(|m| m.subtotal).sum(),
            fees: counted().map(|m| m.fees).sum(),
            tax: counted().map(|m| m.invoice.tax_minor).sum(),
            total: counted().map(|m| m.total).sum(),
            paid: counted().map(|m| m.invoice.paid_minor).sum(),
            balance: members.iter().map(|m| m.balance).sum(),
            members,
            batch,
        }
    }

    /// The invoices a payment of the batch pays now: those with a balance.
    pub fn to_pay(&self) -> Vec<String> {
        self.members.iter().filter(|m| m.balance > 0 && m.invoice.status.to_pay()).map(|m| m.invoice.id.clone()).collect()
    }
}

impl Payments {
    /// Group a customer's invoices into a batch and tell them it is ready.
    /// Each invoice must be one they are billed for, still to pay, not
    /// written off, and in no other batch.
    pub async fn create_batch(&self, tenant: &Tenant, request: &BatchRequest<'_>, actor: Actor<'_>) -> Result<Batch, CheckoutError> {
        let db = &self.checkouts.db;
        let business = db.tenant(&tenant.id);
        let title = request.title.trim();
        if title.is_empty() || title.chars().count() > MAX_TITLE_CHARS || title.chars().any(char::is_control) {
            return Err(CheckoutError::Blocked(format!("Give the batch a title of at most {MAX_TITLE_CHARS} characters, such as \"Cleanings in October\".")));
        }
        let mut ids: Vec<String> = Vec::new();
        for id in request.invoice_ids {
            if !ids.contains(id) {
                ids.push(id.clone());
            }
        }
        if ids.len() < 2 {
            return Err(CheckoutError::Blocked("Tick at least two invoices: a batch groups several.".into()));
        }
        if ids.len() > MAX_INVOICES_AT_ONCE {
            return Err(CheckoutError::Blocked(format!("A batch holds at most {MAX_INVOICES_AT_ONCE} invoices.")));
        }
        let Some(name) = business.contact_name(request.contact_id).await? else { return Err(CheckoutError::NotFound) };
        let billed = business.billed_jobs(request.contact_id, None).await?;
        let mut invoices = Vec::new();
        for id in &ids {
            let invoice = business.invoice_totals(id).await?.filter(|i| billed.contains(&i.job_id));
            let Some(invoice) = invoice else {
                return Err(CheckoutError::Blocked(format!("One of the invoices is not {name}'s to pay.")));
            };
            let reason = match invoice.status {
                _ if invoice.written_off_at.is_some() => Some("was written off"),
                InvoiceStatus::Due | InvoiceStatus::Failed if invoice.balance() > 0 => None,
                InvoiceStatus::Processing => Some("has a payment being processed"),
                _ => Some("has nothing left to pay"),
            };
            if let Some(reason) = reason {
                return Err(CheckoutError::Blocked(format!("Invoice {} {reason}; leave it out of the batch.", invoice.number)));
            }
            invoices.push(invoice);
        }
        let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
        if let Some(taken) = business.batched_invoices(&refs).await?.first() {
            return Err(already_batched(&invoices, taken));
        }
        let created_by = actor.name.to_string();
        let new = NewBatch { contact_id: request.contact_id, title, created_by: &created_by, invoice_ids: &ids };
        let batch = match business.create_batch(&new).await? {
            Ok(batch) => batch,
            Err(BatchConflict::AlreadyBatched(taken)) => return Err(already_batched(&invoices, &taken)),
            Err(BatchConflict::NoNumber) => return Err(CheckoutError::Blocked("Another batch was being made at the same moment; make this one again.".into())),
        };
        let formats = TenantFormats::new(tenant);
        let balance: i64 = invoices.iter().map(|i| i.balance()).sum();
        let summary = format!("Made batch {} ({title}) of {} invoices for {name}: {}", batch.number, ids.len(), formats.money(balance));
        db.record_audit(&AuditEntry::new(&tenant.id, "batch.created", &summary).by(actor)).await?;
        self.tell_batch_ready(tenant, &batch, &name, ids.len(), balance).await;
        Ok(Batch { contact_name: name, ..batch })
    }

    /// Take a batch apart; its invoices stand alone again, and what was
    /// paid on them stays.
    pub async fn withdraw_batch(&self, tenant: &Tenant, batch_id: &str, actor: Actor<'_>) -> Result<Batch, CheckoutError> {
        let db = &self.checkouts.db;
        let batch = db.tenant(&tenant.id).batch(batch_id).await?.ok_or(CheckoutError::NotFound)?;
        if !db.tenant(&tenant.id).withdraw_batch(batch_id).await? {
            return Err(CheckoutError::NotFound);
        }
        let summary = format!("Withdrew batch {} ({}) of {}", batch.number, batch.title, batch.contact_name);
        db.record_audit(&AuditEntry::new(&tenant.id, "batch.withdrawn", &summary).by(actor)).await?;
        Ok(batch)
    }

    /// A batch with its invoices and sums, as staff and the PDF show it.
    pub async fn batch_statement(&self, tenant: &Tenant, batch_id: &str) -> Result<Option<BatchStatement>, DbError> {
        batch_statement(&self.checkouts.db, tenant, batch_id).await
    }

    /// The customer's invoices a batch may take now (still to pay, not
    /// written off, in no batch), newest first.
    pub async fn batchable_invoices(&self, tenant: &Tenant, contact_id: &str) -> Result<Vec<(JobId, Invoice, Vec<InvoiceLine>)>, DbError> {
        let business = self.checkouts.db.tenant(&tenant.id);
        let billed = business.billed_jobs(contact_id, None).await?;
        let invoices = business.invoices_of_jobs(&billed).await?;
        let ids: Vec<&str> = invoices.iter().map(|(_, invoice, _)| invoice.id.as_str()).collect();
        let batched = business.batched_invoices(&ids).await?;
        Ok(invoices
            .into_iter()
            .filter(|(_, invoice, lines)| {
                matches!(invoice.status, InvoiceStatus::Due | InvoiceStatus::Failed)
                    && invoice.written_off_at.is_none()
                    && invoice.total(lines) > invoice.paid_minor
                    && !batched.contains(&invoice.id)
            })
            .collect())
    }

    /// The business's batches with their invoices and sums, newest first.
    pub async fn batch_statements(&self, tenant: &Tenant) -> Result<Vec<BatchStatement>, DbError> {
        let business = self.checkouts.db.tenant(&tenant.id);
        let batches = business.batches().await?;
        let ids: Vec<&str> = batches.iter().flat_map(|batch| batch.invoice_ids.iter().map(String::as_str)).collect();
        let invoices = business.invoices_by_ids(&ids).await?;
        Ok(batches.into_iter().map(|batch| BatchStatement::of(batch, &invoices)).collect())
    }

    /// Best effort: the batch is made whether or not the mail is queued.
    async fn tell_batch_ready(&self, tenant: &Tenant, batch: &Batch, name: &str, count: usize, balance: i64) {
        let business = self.checkouts.db.tenant(&tenant.id);
        let contact = async { Ok::<_, DbError>((business.contact_email(&batch.contact_id).await?, business.contact_phone(&batch.contact_id).await?)) };
        let (email, phone) = match contact.await {
            Ok(found) => found,
            Err(error) => {
                tracing::error!(tenant = %tenant.id, batch = %batch.id, %error, "could not read whom to tell of a batch");
                return;
            }
        };
        let Some(email) = email else { return };
        let facts = serde_json::json!({
            "number": batch.number,
            "title": batch.title,
            "count": count.to_string(),
            "amount": TenantFormats::new(tenant).money(balance),
            "link": format!("{}/account?tab=invoices", self.public_url),
        });
        if let Err(error) = self.notifications.tell_person(tenant, NotificationKind::BatchReady, name, (&email, phone.as_deref()), facts).await {
            tracing::error!(tenant = %tenant.id, batch = %batch.id, %error, "could not tell a customer of a batch");
        }
    }
}

/// A batch with its invoices and sums.
pub async fn batch_statement(db: &Db, tenant: &Tenant, batch_id: &str) -> Result<Option<BatchStatement>, DbError> {
    let business = db.tenant(&tenant.id);
    let Some(batch) = business.batch(batch_id).await? else { return Ok(None) };
    let ids: Vec<&str> = batch.invoice_ids.iter().map(String::as_str).collect();
    let invoices = business.invoices_by_ids(&ids).await?;
    Ok(Some(BatchStatement::of(batch, &invoices)))
}

/// The batches addressed to a customer (by their contact, or any contact
/// of the address they proved), each with only the invoices they are billed
/// for now: a batch never shows anyone else's invoice. A batch left with
/// none is not listed.
pub async fn customer_batches(db: &Db, tenant: &Tenant, contact_id: &str, proven_email: Option<&str>) -> Result<Vec<BatchStatement>, DbError> {
    let business = db.tenant(&tenant.id);
    let batches = business.contact_batches(contact_id, proven_email).await?;
    if batches.is_empty() {
        return Ok(Vec::new());
    }
    let billed = business.billed_jobs(contact_id, proven_email).await?;
    let ids: Vec<&str> = batches.iter().flat_map(|batch| batch.invoice_ids.iter().map(String::as_str)).collect();
    let invoices: Vec<_> = business.invoices_by_ids(&ids).await?.into_iter().filter(|(job_id, _, _)| billed.contains(job_id)).collect();
    Ok(batches.into_iter().map(|batch| BatchStatement::of(batch, &invoices)).filter(|statement| !statement.members.is_empty()).collect())
}

fn already_batched(invoices: &[portico_data::InvoiceTotals], taken: &str) -> CheckoutError {
    let number = invoices.iter().find(|i| i.id == taken).map(|i| i.number.as_str()).unwrap_or("one");
    CheckoutError::Blocked(format!("Invoice {number} is already in a batch; withdraw that batch first or leave the invoice out."))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn invoice(id: &str, status: InvoiceStatus, tax: i64, paid: i64) -> (JobId, Invoice, Vec<InvoiceLine>) {
        let invoice = Invoice { id: id.into(), number: id.into(), status, tax_minor: tax, paid_minor: paid, due_at: None, created_at: 0, written_off_at: None };
        (JobId::new("j"), invoice, Vec::new())
    }

    #[test]
    fn a_batch_asks_only_for_what_its_invoices_still_ask_for() {
        let batch = Batch {
            id: "b".into(),
            number: "B-0001".into(),
            contact_id: "c".into(),
            contact_name: "Dana".into(),
            title: "October".into(),
            created_by: "Morgan".into(),
            created_at: 0,
            invoice_ids: ["due", "part", "refunded", "void", "paid", "gone"].map(String::from).to_vec(),
        };
        let invoices = [
            invoice("paid", InvoiceStatus::Paid, 1_000, 1_000),
            invoice("due", InvoiceStatus::Due, 5_000, 0),
            invoice("part", InvoiceStatus::Failed, 3_000, 1_000),
            invoice("refunded", InvoiceStatus::Refunded, 4_000, 0),
            invoice("void", InvoiceStatus::Void, 7_000, 0),
        ];
        let statement = BatchStatement::of(batch, &invoices);
        assert_eq!(statement.members.iter().map(|m| m.invoice.id.as_str()).collect::<Vec<_>>(), ["due", "part", "refunded", "void", "paid"], "in the batch's order");
        assert_eq!(statement.balance, 7_000, "a refunded or void invoice asks for nothing");
        assert_eq!(statement.to_pay(), ["due", "part"]);
        assert_eq!((statement.total, statement.paid), (13_000, 2_000), "void invoices are left out of the sums");
    }
}
