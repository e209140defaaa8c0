//! What happens to a job's documents beyond storing rows: publishing one makes
//! it visible to the roles it is shared with and tells the sections that care;
//! the business's release rule may hold reports back until the agreement is
//! signed and/or the invoice paid.

use crate::app::AppState;
use crate::db::{Db, DbError};
use crate::model::{Release, Tenant};
use crate::plugins::sanitize::Formats;
use crate::plugins::{EventKind, RequestOrigin};
use crate::view::TenantFormats;

/// Publish a document now and deliver `document-published` to the sections
/// that asked for it. Returns how many sections accepted the event.
pub async fn publish(state: &AppState, tenant_id: &str, job_id: &str, document_id: &str) -> anyhow::Result<usize> {
    let tenant = state.db.tenant(tenant_id).await?.ok_or_else(|| anyhow::anyhow!("no tenant {tenant_id}"))?;
    state.db.document(tenant_id, job_id, document_id).await?.ok_or_else(|| anyhow::anyhow!("no document {document_id} on job {job_id}"))?;
    state.db.publish_document(tenant_id, document_id, crate::model::now()).await?;
    let delivered = state
        .sections
        .dispatch_event(&tenant, job_id, EventKind::DocumentPublished, document_id, RequestOrigin::default())
        .await?;
    Ok(delivered)
}

/// The business's rules for releasing reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReleaseRule {
    pub after_signing: bool,
    pub after_payment: bool,
}

impl ReleaseRule {
    pub const CHOICES: [(&'static str, &'static str); 4] = [
        ("on-publish", "As soon as they are published"),
        ("after-signing", "Once the agreements are signed"),
        ("after-payment", "Once the invoice is paid"),
        ("after-signing-and-payment", "Once the agreements are signed and the invoice is paid"),
    ];

    pub fn of(tenant: &Tenant) -> ReleaseRule {
        let rule = tenant.report_release.as_str();
        ReleaseRule { after_signing: rule.contains("signing"), after_payment: rule.contains("payment") }
    }
}

/// What still holds the job's reports back, in words for everyone on the job.
pub async fn release(db: &Db, tenant: &Tenant, job_id: &str) -> Result<Release, DbError> {
    let rule = ReleaseRule::of(tenant);
    let mut holds = Vec::new();
    if rule.after_signing {
        for agreement in crate::agreements::for_job(db, tenant, job_id).await? {
            if !agreement.outstanding() {
                continue;
            }
            let names: Vec<&str> = agreement.awaiting.iter().map(|c| c.name.as_str()).collect();
            holds.push(match names.as_slice() {
                [] => format!("the {} is signed", agreement.title),
                names => format!("the {} is signed by {}", agreement.title, names.join(" and ")),
            });
        }
    }
    if rule.after_payment {
        let formats = TenantFormats::new(tenant);
        for (invoice, lines) in db.invoices(&tenant.id, job_id).await? {
            let balance = invoice.total(&lines) - invoice.paid_minor;
            if invoice.status != "void" && balance > 0 {
                holds.push(format!("invoice {} is paid ({} due)", invoice.number, formats.money(balance)));
            }
        }
    }
    Ok(Release { holds, summary_while_held: tenant.summary_while_held != 0 })
}
