//! The delivery worker. Every instance runs one; each leases a batch of due
//! messages, so a message goes out once however many instances there are, and
//! a failed delivery is retried with growing delays until it gives up.

use super::{MailError, Mailer};
use crate::db::Db;
use crate::model::now;
use std::time::Duration;
use crate::worker::Worker;

/// When to try again.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Delay after the first failure; doubled after each further one.
    pub first_delay_seconds: i64,
    /// The longest delay.
    pub max_delay_seconds: i64,
    /// Attempts before a message is marked failed.
    pub max_attempts: i64,
    /// How long a worker may hold a leased message.
    pub lease_seconds: i64,
    /// Pause between polls when there was nothing to do.
    pub idle_poll: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy { first_delay_seconds: 30, max_delay_seconds: 3600, max_attempts: 8, lease_seconds: 120, idle_poll: Duration::from_secs(2) }
    }
}

impl RetryPolicy {
    fn retry_at(&self, attempts: i64) -> Option<i64> {
        if attempts >= self.max_attempts {
            return None;
        }
        let doublings = u32::try_from(attempts.saturating_sub(1)).unwrap_or(u32::MAX).min(20);
        let delay = self.first_delay_seconds.saturating_mul(1 << doublings).min(self.max_delay_seconds);
        Some(now() + delay)
    }
}

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
async fn deliver_batch(db: &Db, mailer: &Mailer, policy: &RetryPolicy, worker: &str) -> Result<usize, crate::db::DbError> {
    let batch = db.lease_outbox(worker, 10, policy.lease_seconds).await?;
    for message in &batch {
        let sent = match super::render_for_tenant(db, &message.tenant_id, &message.template, &message.data_json).await {
            Ok(rendered) => mailer.send(&message.id, &message.to_address, &rendered).await,
            Err(error) => Err(error),
        };
        match sent {
            Ok(()) => db.outbox_sent(&message.tenant_id, &message.id, worker).await?,
            Err(MailError::Permanent(reason)) => {
                tracing::warn!(id = %message.id, %reason, "mail cannot be sent; giving up");
                db.outbox_failed(&message.tenant_id, &message.id, worker, &reason, None).await?;
            }
            Err(MailError::Transient(reason)) => {
                let retry_at = policy.retry_at(message.attempts);
                tracing::warn!(id = %message.id, attempts = message.attempts, %reason, ?retry_at, "mail delivery failed");
                db.outbox_failed(&message.tenant_id, &message.id, worker, &reason, retry_at).await?;
            }
        }
    }
    Ok(batch.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_and_give_up() {
        let policy = RetryPolicy { first_delay_seconds: 30, max_delay_seconds: 100, max_attempts: 4, ..RetryPolicy::default() };
        let delay = |attempts| policy.retry_at(attempts).map(|at| at - now());
        assert!(matches!(delay(1), Some(29..=30)));
        assert!(matches!(delay(2), Some(59..=60)));
        assert!(matches!(delay(3), Some(99..=100)), "capped");
        assert_eq!(delay(4), None);
    }
}
