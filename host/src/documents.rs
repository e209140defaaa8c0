//! What happens to a job's documents beyond storing rows: publishing one makes
//! it visible to the roles it is shared with and tells the sections that care.

use crate::app::AppState;
use crate::plugins::{EventKind, RequestOrigin};

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
