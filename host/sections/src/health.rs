//! How each tenant's sections are doing: calls, failures and the time calls
//! take, kept in memory by this server since it started. (Failures and the last
//! error are also stored on the installation, so they survive restarts and are
//! the same on every instance.)

use portico_core::ids::TenantId;
use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::Duration;

/// How many recent call times the percentile is taken over.
const WINDOW: usize = 256;

#[derive(Default)]
struct Counters {
    calls: u64,
    failures: u64,
    recent: VecDeque<Duration>,
}

/// One section's figures as the console shows them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Health {
    pub calls: u64,
    pub failures: u64,
    /// The 95th percentile of the most recent calls' wall time.
    pub p95: Option<Duration>,
}

/// Call figures per (tenant, plugin).
#[derive(Default)]
pub struct HealthBook {
    counters: Mutex<HashMap<(TenantId, String), Counters>>,
}

impl HealthBook {
    pub fn record(&self, tenant_id: &TenantId, plugin_id: &str, elapsed: Duration, failed: bool) {
        let mut counters = self.counters.lock().expect("health book poisoned");
        let entry = counters.entry((tenant_id.clone(), plugin_id.to_string())).or_default();
        entry.calls += 1;
        entry.failures += u64::from(failed);
        if entry.recent.len() == WINDOW {
            entry.recent.pop_front();
        }
        entry.recent.push_back(elapsed);
    }

    pub fn health(&self, tenant_id: &TenantId, plugin_id: &str) -> Health {
        let counters = self.counters.lock().expect("health book poisoned");
        let Some(entry) = counters.get(&(tenant_id.clone(), plugin_id.to_string())) else {
            return Health::default();
        };
        let mut times: Vec<Duration> = entry.recent.iter().copied().collect();
        times.sort_unstable();
        Health { calls: entry.calls, failures: entry.failures, p95: percentile(&times, 95) }
    }
}

/// The nearest-rank percentile of sorted values.
fn percentile(sorted: &[Duration], pct: usize) -> Option<Duration> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (pct * sorted.len()).div_ceil(100).max(1);
    Some(sorted[rank - 1])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn p95_is_the_nearest_rank_of_recent_calls() {
        let book = HealthBook::default();
        for ms in 1..=100 {
            book.record(&TenantId::new("t"), "p", Duration::from_millis(ms), ms % 10 == 0);
        }
        let health = book.health(&TenantId::new("t"), "p");
        assert_eq!(health.calls, 100);
        assert_eq!(health.failures, 10);
        assert_eq!(health.p95, Some(Duration::from_millis(95)));
        assert_eq!(book.health(&TenantId::new("t"), "other"), Health::default());
        assert_eq!(book.health(&TenantId::new("other"), "p"), Health::default(), "figures are per tenant");
    }

    #[test]
    fn only_the_recent_window_counts_for_p95() {
        let book = HealthBook::default();
        for _ in 0..WINDOW {
            book.record(&TenantId::new("t"), "p", Duration::from_secs(1), false);
        }
        for _ in 0..WINDOW {
            book.record(&TenantId::new("t"), "p", Duration::from_millis(2), false);
        }
        let health = book.health(&TenantId::new("t"), "p");
        assert_eq!(health.calls, 2 * WINDOW as u64);
        assert_eq!(health.p95, Some(Duration::from_millis(2)));
    }
}
