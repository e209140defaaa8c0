//! The invoice and receipt PDFs, written by the host from its own records.

use portico_core::ids::JobId;
use portico_data::{Db, DbResult};
use portico_core::model::{Invoice, InvoiceLine, Role, Tenant};
use portico_core::formats::Formats;
use portico_core::formats::TenantFormats;

/// A generated document.
pub struct Pdf {
    pub title: String,
    pub bytes: Vec<u8>,
}

/// The heading lines the host's documents share: business, job, property, client.
pub(crate) async fn letterhead(db: &Db, tenant: &Tenant, job_id: &JobId) -> DbResult<Option<Vec<String>>> {
    let Some(job) = db.tenant(&tenant.id).job(job_id).await? else { return Ok(None) };
    let property = db.tenant(&tenant.id).property(&job.property_id).await?;
    let contacts = db.tenant(&tenant.id).job_contacts(job_id).await?;
    let billed_to: Vec<String> = contacts
        .iter()
        .filter(|c| matches!(c.role.0, Role::Client | Role::CoClient))
        .map(|c| addressee(&c.name, c.email.as_deref()))
        .collect();
    let mut lines = business_lines(tenant);
    lines.push(String::new());
    lines.push(format!("Job: {}", job.reference));
    lines.push(format!("Property: {}, {}, {} {}", property.line1, property.city, property.region, property.postal_code));
    if !billed_to.is_empty() {
        lines.push(format!("Billed to: {}", billed_to.join("; ")));
    }
    lines.push(String::new());
    Ok(Some(lines))
}

/// The business's name and how to reach it, heading every document.
fn business_lines(tenant: &Tenant) -> Vec<String> {
    let mut lines = vec![tenant.name.clone()];
    let support = tenant.support_line();
    if !support.is_empty() {
        lines.push(support);
    }
    lines
}

/// Who a document is addressed to: "Dana Whitfield <dana@example.com>".
fn addressee(name: &str, email: Option<&str>) -> String {
    match email {
        Some(email) => format!("{name} <{email}>"),
        None => name.to_string(),
    }
}

async fn find_invoice(db: &Db, tenant: &Tenant, job_id: &JobId, invoice_id: &str) -> DbResult<Option<(Invoice, Vec<InvoiceLine>)>> {
    Ok(db.tenant(&tenant.id).invoices(job_id).await?.into_iter().find(|(invoice, _)| invoice.id == invoice_id))
}

/// The invoice as a PDF: lines, fees, tax, total, payments and balance.
pub async fn invoice(db: &Db, tenant: &Tenant, job_id: &JobId, invoice_id: &str) -> DbResult<Option<Pdf>> {
    let Some((invoice, lines)) = find_invoice(db, tenant, job_id, invoice_id).await? else { return Ok(None) };
    let Some(mut text) = letterhead(db, tenant, job_id).await? else { return Ok(None) };
    let formats = TenantFormats::new(tenant);
    if let Some(due) = invoice.due_at {
        text.push(format!("Due: {}", formats.moment(due)));
    }
    text.push(format!("Status: {}", invoice.status));
    text.push(String::new());
    text.push("# Items".into());
    for line in &lines {
        let kind = match line.kind.as_str() {
            "fee" => " (fee)",
            "add-on" => " (add-on)",
            "discount" => " (discount)",
            _ => "",
        };
        text.push(format!(
            "{}{kind}  {} x {}  =  {}",
            line.description,
            line.quantity,
            formats.money(line.unit_price_minor),
            formats.money(line.amount())
        ));
    }
    let total = invoice.total(&lines);
    text.push(String::new());
    text.push(format!("Tax: {}", formats.money(invoice.tax_minor)));
    text.push(format!("Total: {}", formats.money(total)));
    text.push(format!("Paid: {}", formats.money(invoice.paid_minor)));
    text.push(format!("Balance due: {}", formats.money(total - invoice.paid_minor)));
    let payments = db.tenant(&tenant.id).invoice_payments(invoice_id).await?;
    let listed: Vec<_> = payments.iter().filter(|p| p.payment.status.listed()).collect();
    if !listed.is_empty() {
        text.push(String::new());
        text.push("# Payments".into());
        for share in listed {
            let payment = &share.payment;
            text.push(format!("{}  {}  {}  {}", formats.moment(payment.updated_at), payment.method, formats.money(share.shown_amount()), payment.status));
        }
    }
    let title = format!("Invoice {} - {}", invoice.number, tenant.name);
    let refs: Vec<&str> = text.iter().map(String::as_str).collect();
    Ok(Some(Pdf { bytes: crate::pdf::simple_pdf(&title, &refs), title }))
}

/// A receipt for one payment that went through, on one of the jobs it
/// pays: every invoice it paid, the card fee, the method.
pub async fn receipt(db: &Db, tenant: &Tenant, job_id: &JobId, payment_id: &str) -> DbResult<Option<Pdf>> {
    let business = db.tenant(&tenant.id);
    let Some(payment) = business.payment_on_job(payment_id, job_id).await? else { return Ok(None) };
    if !payment.status.received() {
        return Ok(None);
    }
    let Some(mut text) = letterhead(db, tenant, job_id).await? else { return Ok(None) };
    let formats = TenantFormats::new(tenant);
    let mut numbers = Vec::new();
    let mut paid = Vec::new();
    for part in business.payment_parts(&payment.id).await? {
        let Some(invoice) = business.invoice_totals(&part.invoice_id).await? else { continue };
        paid.push(format!("Invoice {}: {}", invoice.number, formats.money(part.amount_minor)));
        numbers.push(invoice.number);
    }
    let numbers = crate::payments::InvoiceNumbers(numbers);
    text.push(format!("Receipt for {}", numbers.describe()));
    if paid.len() > 1 {
        text.extend(paid);
    }
    if payment.fee_minor > 0 {
        text.push(format!("Card fee: {}", formats.money(payment.fee_minor)));
    }
    text.push(format!("Amount received: {}", formats.money(payment.shown_amount())));
    if payment.refunded_minor > 0 {
        text.push(format!("Refunded: {}", formats.money(payment.refunded_minor)));
    }
    let method = payment.method.parse::<portico_core::money::PaymentMethod>().map(|method| method.label()).unwrap_or("Other");
    text.push(format!("Method: {method}"));
    if let Some(reference) = &payment.reference {
        text.push(format!("Reference: {reference}"));
    }
    text.push(format!("Date: {}", formats.moment(payment.updated_at)));
    text.push(format!("Receipt number: {}", payment.id));
    let title = format!("Receipt - {} - {}", numbers.describe(), tenant.name);
    let refs: Vec<&str> = text.iter().map(String::as_str).collect();
    Ok(Some(Pdf { bytes: crate::pdf::simple_pdf(&title, &refs), title }))
}

/// A batch invoice as a PDF: each invoice with its date, job, property,
/// services, fees, tax, what was paid on it and what is left; then the
/// batch's totals.
pub async fn batch(db: &Db, tenant: &Tenant, statement: &super::batches::BatchStatement) -> DbResult<Pdf> {
    let business = db.tenant(&tenant.id);
    let formats = TenantFormats::new(tenant);
    let batch = &statement.batch;
    let mut text = business_lines(tenant);
    text.push(String::new());
    text.push(format!("Batch: {} ({})", batch.number, batch.title));
    let name = business.contact_name(&batch.contact_id).await?.unwrap_or_default();
    let email = business.contact_email(&batch.contact_id).await?;
    text.push(format!("Billed to: {}", addressee(&name, email.as_deref())));
    text.push(format!("Issued: {}", formats.day(batch.created_at)));
    let mut jobs: Vec<(JobId, String, String)> = Vec::new();
    for member in &statement.members {
        if jobs.iter().any(|(id, _, _)| *id == member.job_id) {
            continue;
        }
        if let Some(job) = business.job(&member.job_id).await? {
            let property = business.property(&job.property_id).await?.one_line();
            jobs.push((member.job_id.clone(), job.reference, property));
        }
    }
    for member in &statement.members {
        let invoice = &member.invoice;
        text.push(String::new());
        text.push(format!("# Invoice {} of {}", invoice.number, formats.day(invoice.created_at)));
        if let Some((_, reference, property)) = jobs.iter().find(|(id, _, _)| *id == member.job_id) {
            text.push(format!("Job {reference} at {property}"));
        }
        for line in &member.lines {
            text.push(format!("{}  {}", line.description, formats.money(line.amount())));
        }
        text.push(format!("Subtotal {}   Fees {}   Tax {}   Total {}", formats.money(member.subtotal), formats.money(member.fees), formats.money(invoice.tax_minor), formats.money(member.total)));
        text.push(format!("Paid {}   Balance {}   Status: {}", formats.money(invoice.paid_minor), formats.money(member.balance), invoice.status));
    }
    text.push(String::new());
    text.push("# Batch total".into());
    text.push(format!("Subtotal: {}", formats.money(statement.subtotal)));
    text.push(format!("Fees: {}", formats.money(statement.fees)));
    text.push(format!("Tax: {}", formats.money(statement.tax)));
    text.push(format!("Total: {}", formats.money(statement.total)));
    text.push(format!("Payments applied: {}", formats.money(statement.paid)));
    text.push(format!("Balance due: {}", formats.money(statement.balance)));
    let title = format!("Batch invoice {} - {}", batch.number, tenant.name);
    let refs: Vec<&str> = text.iter().map(String::as_str).collect();
    Ok(Pdf { bytes: crate::pdf::simple_pdf(&title, &refs), title })
}
