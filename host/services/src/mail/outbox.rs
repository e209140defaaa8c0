//! The delivery worker. Every instance runs one; each leases a batch of due
//! messages, so a message goes out once however many instances there are, and
//! a failed delivery is retried with growing delays until it gives up.

use super::{MailError, Mailer};
use portico_data::Db;
use crate::worker::{RetryPolicy, Worker};

/// The delivery worker of one instance.
pub struct OutboxWorker;

impl OutboxWorker {
    pub fn spawn(db: Db, mailer: Mailer, policy: RetryPolicy, worker_id: String) -> Worker {
        Worker::spawn(policy.idle_poll, move || {
            let (db, mailer, policy, worker_id) = (db.clone(), mailer.clone(), policy.clone(), worker_id.clone());
            async move {
                deliver_batch(&db, &mailer, &policy, &worker_id).await.unwrap_or_else(|error| {
                    tracing::error!(%error, "mail delivery failed");
                    0
                })
            }
        })
    }
}

/// Lease and deliver one batch; returns how many messages were handled.
async fn deliver_batch(db: &Db, mailer: &Mailer, policy: &RetryPolicy, worker: &str) -> Result<usize, portico_data::DbError> {
    let batch = db.lease_outbox(worker, 10, policy.lease_seconds).await?;
    for message in &batch {
        let sent = match super::render_for_tenant(db, &message.tenant_id, &message.template, &message.data_json, message.section_name.as_deref()).await {
            Ok(rendered) => mailer.send(&message.id, &message.to_address, &rendered).await,
            Err(error) => Err(error),
        };
        match sent {
            Ok(()) => db.tenant(&message.tenant_id).outbox_sent(&message.id, worker).await?,
            Err(MailError::Permanent(reason)) => {
                tracing::warn!(id = %message.id, %reason, "mail cannot be sent; giving up");
                db.tenant(&message.tenant_id).outbox_failed(&message.id, worker, &reason, None).await?;
            }
            Err(MailError::Transient(reason)) => {
                let retry_at = policy.retry_at(message.attempts);
                tracing::warn!(id = %message.id, attempts = message.attempts, %reason, ?retry_at, "mail delivery failed");
                db.tenant(&message.tenant_id).outbox_failed(&message.id, worker, &reason, retry_at).await?;
            }
        }
    }
    Ok(batch.len())
}
