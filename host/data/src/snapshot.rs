//! A page render's snapshot: what its sections and the page itself read,
//! read once.
//!
//! A job page is composed of several sections, and each asks the host for
//! much the same rows (the job, its people, its invoices, the business).
//! [`Db::snapshot`] gives a handle on which each such read runs its query
//! the first time and answers every later ask from what it found, until the
//! handle is dropped at the end of the render. Renders only read, so what one
//! section found holds for the others; an action never uses a snapshot and
//! reads afresh. Reads made at the same moment by sections rendering side by
//! side wait for one query, not one each.

use super::{Db, DbResult};
use portico_core::ids::TenantId;
use std::any::Any;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::OnceCell;

/// What a read found, of the type its name stands for.
pub(crate) type Found = Arc<dyn Any + Send + Sync>;

/// Which read, for which business, of what (a job's id, a document kind).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct ReadKey {
    read: &'static str,
    tenant: TenantId,
    of: String,
}

/// The reads of one render (see the module's comment).
#[derive(Default)]
pub(crate) struct Snapshot {
    reads: Mutex<HashMap<ReadKey, Arc<OnceCell<Found>>>>,
}

impl std::fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let reads = self.reads.lock().map(|reads| reads.len()).unwrap_or_default();
        f.debug_struct("Snapshot").field("reads", &reads).finish()
    }
}

impl Db {
    /// This database seen through a fresh snapshot: for one page render,
    /// which only reads. Never for an action or anything that writes.
    pub fn snapshot(&self) -> Db {
        Db { pool: self.pool.clone(), backend: self.backend, snapshot: Some(Arc::default()), shared: self.shared.clone() }
    }

    /// [`Db::snapshot`] for a render of `business`'s page, which the page
    /// has read already: the snapshot starts with it. On a snapshot, that
    /// same snapshot.
    pub fn snapshot_for(&self, business: &portico_core::model::Tenant) -> Db {
        let db = if self.is_snapshot() { self.clone() } else { self.snapshot() };
        db.keep("business", &business.id, "", Some(business.clone()));
        db
    }

    /// Put `value` in the snapshot as what the read `read` of `of` found.
    pub(crate) fn keep<T: Send + Sync + 'static>(&self, read: &'static str, tenant: &TenantId, of: &str, value: T) {
        let Some(snapshot) = &self.snapshot else { return };
        let key = ReadKey { read, tenant: tenant.clone(), of: of.to_string() };
        let cell = OnceCell::new_with(Some(Arc::new(value) as Found));
        snapshot.reads.lock().expect("the snapshot's lock is never poisoned").insert(key, Arc::new(cell));
    }

    /// What the snapshot holds for the read `read` of `of`, if it was made;
    /// never reads.
    pub(crate) fn kept<T: Clone + 'static>(&self, read: &'static str, tenant: &TenantId, of: &str) -> Option<T> {
        let snapshot = self.snapshot.as_ref()?;
        let key = ReadKey { read, tenant: tenant.clone(), of: of.to_string() };
        let cell = snapshot.reads.lock().expect("the snapshot's lock is never poisoned").get(&key)?.clone();
        cell.get()?.downcast_ref::<T>().cloned()
    }

    /// Whether this handle answers reads from a snapshot.
    pub fn is_snapshot(&self) -> bool {
        self.snapshot.is_some()
    }

    /// The result of `load` (the read named `read` of `of` for `tenant`):
    /// from the snapshot when this handle has one and the read was made,
    /// else loaded now (and kept, on a snapshot).
    pub(crate) async fn read_once<T, F, Fut>(&self, read: &'static str, tenant: &TenantId, of: &str, load: F) -> DbResult<T>
    where
        T: Clone + Send + Sync + 'static,
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = DbResult<T>>,
    {
        let Some(snapshot) = &self.snapshot else { return load().await };
        let key = ReadKey { read, tenant: tenant.clone(), of: of.to_string() };
        let cell = snapshot.reads.lock().expect("the snapshot's lock is never poisoned").entry(key).or_default().clone();
        let found = cell.get_or_try_init(|| async { load().await.map(|value| Arc::new(value) as Found) }).await?;
        Ok(found.downcast_ref::<T>().expect("a read's key names one type").clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_snapshot_reads_once_and_a_plain_handle_each_time() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::connect(&format!("sqlite://{}", dir.path().join("t.db").display())).await.unwrap();
        let tenant = TenantId::new("t1".to_string());
        let job = portico_core::ids::JobId::new("j1");
        let read = |db: Db| {
            let (tenant, job) = (tenant.clone(), job.clone());
            async move { db.tenant(&tenant).job(&job).await.unwrap() }
        };

        let ((), plain) = crate::counting(async {
            read(db.clone()).await;
            read(db.clone()).await;
        })
        .await;
        let snapshot = db.snapshot();
        let ((), once) = crate::counting(async {
            futures::join!(read(snapshot.clone()), read(snapshot.clone()));
            read(snapshot.clone()).await;
        })
        .await;

        assert_eq!(plain, 2, "without a snapshot each read is a statement");
        assert_eq!(once, 1, "a snapshot's reads, even side by side, make one");
        assert_eq!(crate::counting(read(db.snapshot())).await.1, 1, "a new snapshot reads afresh");
        db.close().await;
    }
}
