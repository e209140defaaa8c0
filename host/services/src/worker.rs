//! Background loops (mail delivery, payment reconciliation): one round after
//! another, at once while there is work, after a pause when there was none,
//! until stopped.

use portico_core::model::now;
use std::future::Future;
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// A running loop; stop it to let its current round finish.
pub struct Worker {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl Worker {
    /// Run `round` repeatedly. It returns how much it did; after a round that
    /// did nothing the loop waits `idle` (or until stopped).
    pub fn spawn<F, Fut>(idle: Duration, mut round: F) -> Worker
    where
        F: FnMut() -> Fut + Send + 'static,
        Fut: Future<Output = usize> + Send,
    {
        let (stop, mut stopped) = watch::channel(false);
        let task = tokio::spawn(async move {
            loop {
                if round().await == 0 {
                    tokio::select! {
                        _ = tokio::time::sleep(idle) => {}
                        _ = stopped.changed() => {}
                    }
                }
                // Stopped, or the `Worker` was dropped without `stop` (its
                // server dropped): either way this loop ends.
                if *stopped.borrow() || stopped.has_changed().is_err() {
                    break;
                }
            }
        });
        Worker { stop, task }
    }

    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

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
    pub fn retry_at(&self, attempts: i64) -> Option<i64> {
        if attempts >= self.max_attempts {
            return None;
        }
        let doublings = u32::try_from(attempts.saturating_sub(1)).unwrap_or(u32::MAX).min(20);
        let delay = self.first_delay_seconds.saturating_mul(1 << doublings).min(self.max_delay_seconds);
        Some(now() + delay)
    }
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

    #[tokio::test]
    async fn a_worker_dropped_without_stop_ends_its_loop() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        use std::sync::Arc;
        let rounds = Arc::new(AtomicUsize::new(0));
        let counter = rounds.clone();
        let worker = Worker::spawn(Duration::from_millis(5), move || {
            let counter = counter.clone();
            async move {
                counter.fetch_add(1, Ordering::SeqCst);
                0
            }
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        drop(worker);
        tokio::time::sleep(Duration::from_millis(20)).await;
        let after_drop = rounds.load(Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(100)).await;

        assert!(after_drop > 1, "it ran while alive");
        assert_eq!(rounds.load(Ordering::SeqCst), after_drop, "and not after it was dropped");
    }
}
