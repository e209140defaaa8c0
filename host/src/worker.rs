//! Background loops (mail delivery, payment reconciliation): one round after
//! another, at once while there is work, after a pause when there was none,
//! until stopped.

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
                if *stopped.borrow() {
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
