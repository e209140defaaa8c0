//! A job's documents: an upload is checked (by its bytes, not its name) and
//! stored unpublished; publishing one makes it visible to the roles it is
//! shared with and tells the sections that care; the business's release rule
//! may hold reports back until the agreement is signed and/or the invoice paid.

use portico_core::ids::{JobId, TenantId};
use crate::events::{Events, SectionEvent};
use portico_core::formats::{Formats, TenantFormats};
use crate::agreements::JobAgreement;
use crate::notifications::Notifications;
use portico_core::model::{Document, Invoice, InvoiceLine, Release, RequestOrigin, Role, Tenant};
use portico_data::files::{FileError, FileStore};
use portico_data::{Actor, AuditEntry, Db, DbError};
use std::sync::Arc;

/// A document published for the first time.
pub struct Published {
    pub document: Document,
    /// How many sections accepted `document-published`.
    pub delivered: usize,
}

/// Publish a document now and deliver `document-published` to the sections
/// that asked for it; `None` when it was already published (a second click,
/// a retry): only the first publication is news.
pub async fn publish(db: &Db, events: &Events, tenant_id: &TenantId, job_id: &JobId, document_id: &str) -> anyhow::Result<Option<Published>> {
    let tenant = db.tenant(tenant_id).business().await?.ok_or_else(|| anyhow::anyhow!("no tenant {tenant_id}"))?;
    let document = db.tenant(tenant_id).document(job_id, document_id).await?.ok_or_else(|| anyhow::anyhow!("no document {document_id} on job {job_id}"))?;
    if !db.tenant(tenant_id).publish_document(document_id, portico_core::model::now()).await? {
        return Ok(None);
    }
    let delivered = events.deliver(&tenant, job_id, SectionEvent::DocumentPublished, document_id, RequestOrigin::default()).await?;
    Ok(Some(Published { document, delivered }))
}

/// The largest document accepted.
pub const MAX_DOCUMENT_BYTES: usize = 25 << 20;

/// The kinds of document a job has.
pub const DOCUMENT_KINDS: [&str; 4] = ["report", "summary", "attachment", "photo"];

/// What an upload is, by its first bytes: PDFs and pictures only, whatever
/// the file's name or stated type claims.
pub fn document_type(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(&[0xff, 0xd8, 0xff]) {
        Some("image/jpeg")
    } else {
        None
    }
}

/// A document to store, as uploaded.
pub struct NewDocument<'a> {
    pub kind: &'a str,
    pub title: &'a str,
    pub bytes: &'a [u8],
    pub roles: &'a [Role],
}

/// Why an upload was not stored, in words for the person who sent it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DocumentRefusal {
    #[error("Choose what the document is.")]
    UnknownKind,
    #[error("Give the document a title of at most 120 characters.")]
    Title,
    #[error("Choose a file to upload.")]
    NoFile,
    #[error("Documents may be at most {} MiB.", MAX_DOCUMENT_BYTES >> 20)]
    TooLarge,
    #[error("Tick who may see the document.")]
    NoAudience,
    #[error("Documents must be PDF files, or PNG or JPEG pictures.")]
    NotADocument,
}

/// What can go wrong storing or publishing a document.
#[derive(Debug, thiserror::Error)]
pub enum DocumentError {
    #[error(transparent)]
    Refused(#[from] DocumentRefusal),
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Files(#[from] FileError),
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

/// Stores, publishes and releases a job's documents; cheap to clone.
#[derive(Clone)]
pub struct Documents {
    db: Db,
    files: Arc<FileStore>,
    events: Events,
    notifications: Notifications,
}

impl Documents {
    pub fn new(db: Db, files: Arc<FileStore>, events: Events, notifications: Notifications) -> Documents {
        Documents { db, files, events, notifications }
    }

    /// Check and store a document, unpublished; returns its id.
    pub async fn store(&self, tenant: &Tenant, job_id: &JobId, new: &NewDocument<'_>, actor: &Actor<'_>) -> Result<String, DocumentError> {
        let title = new.title.trim();
        let refusal = if !DOCUMENT_KINDS.contains(&new.kind) {
            Some(DocumentRefusal::UnknownKind)
        } else if title.is_empty() || title.chars().count() > 120 {
            Some(DocumentRefusal::Title)
        } else if new.bytes.is_empty() {
            Some(DocumentRefusal::NoFile)
        } else if new.bytes.len() > MAX_DOCUMENT_BYTES {
            Some(DocumentRefusal::TooLarge)
        } else if new.roles.is_empty() {
            Some(DocumentRefusal::NoAudience)
        } else {
            None
        };
        if let Some(refusal) = refusal {
            return Err(refusal.into());
        }
        let content_type = document_type(new.bytes).ok_or(DocumentRefusal::NotADocument)?;
        let key = format!("documents/{}/{job_id}/{}", tenant.id, portico_core::model::new_id());
        self.files.put(&key, new.bytes).await?;
        let document = self.db.tenant(&tenant.id).add_document(job_id, new.kind, title, &key, content_type, new.bytes.len() as i64, new.roles, None).await?;
        let audit = AuditEntry::new(&tenant.id, "document.uploaded", &format!("Uploaded {title}")).by(*actor).on_job(job_id);
        self.db.record_audit(&audit).await?;
        Ok(document)
    }

    /// Publish a document (the sections that asked are told; the release
    /// rule still holds reports back) and record who did. A report published
    /// for the first time is news for the people it is shared with.
    pub async fn publish(&self, tenant: &Tenant, job_id: &JobId, document_id: &str, title: &str, actor: &Actor<'_>) -> Result<(), DocumentError> {
        let Some(published) = publish(&self.db, &self.events, &tenant.id, job_id, document_id).await? else {
            return Ok(());
        };
        let audit = AuditEntry::new(&tenant.id, "document.published", &format!("Published {title}")).by(*actor).on_job(job_id);
        self.db.record_audit(&audit).await?;
        if published.document.kind == "report" {
            let release = release(&self.db, tenant, job_id).await?;
            self.notifications.report_published(tenant, job_id, &published.document, &release).await;
        }
        Ok(())
    }
}

/// What still holds the job's reports back, in words for everyone on the job.
pub async fn release(db: &Db, tenant: &Tenant, job_id: &JobId) -> Result<Release, DbError> {
    let rule = tenant.report_release;
    let agreements = if rule.after_signing() { crate::agreements::for_job(db, tenant, job_id).await? } else { Vec::new() };
    let invoices = if rule.after_payment() { db.tenant(&tenant.id).invoices(job_id).await? } else { Vec::new() };
    Ok(release_from(tenant, &agreements, &invoices))
}

/// [`release`] from the job's agreements and invoices, already read.
pub fn release_from(tenant: &Tenant, agreements: &[JobAgreement], invoices: &[(Invoice, Vec<InvoiceLine>)]) -> Release {
    let rule = tenant.report_release;
    let (mut holds, mut holds_without_amounts) = (Vec::new(), Vec::new());
    if rule.after_signing() {
        for agreement in agreements.iter().filter(|agreement| agreement.outstanding()) {
            let names: Vec<&str> = agreement.awaiting.iter().map(|c| c.name.as_str()).collect();
            let hold = match names.as_slice() {
                [] => format!("the {} is signed", agreement.title),
                names => format!("the {} is signed by {}", agreement.title, names.join(" and ")),
            };
            holds.push(hold.clone());
            holds_without_amounts.push(hold);
        }
    }
    if rule.after_payment() {
        let formats = TenantFormats::new(tenant);
        for (invoice, lines) in invoices {
            if let Some(balance) = balance_due(invoice, lines) {
                holds.push(format!("invoice {} is paid ({} due)", invoice.number, formats.money(balance)));
                holds_without_amounts.push(format!("invoice {} is paid", invoice.number));
            }
        }
    }
    Release { holds, holds_without_amounts, summary_while_held: tenant.summary_while_held != 0 }
}

/// What is still owed on an invoice, if anything: a void invoice owes nothing.
pub fn balance_due(invoice: &Invoice, lines: &[InvoiceLine]) -> Option<i64> {
    let balance = invoice.total(lines) - invoice.paid_minor;
    (invoice.status != portico_core::money::InvoiceStatus::Void && balance > 0).then_some(balance)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_are_pdfs_or_pictures() {
        assert_eq!(document_type(b"%PDF-1.7"), Some("application/pdf"));
        assert_eq!(document_type(b"<html><script>"), None);
    }
}
