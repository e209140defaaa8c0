//! What page renders read of a business that seldom changes (its row and its
//! sections' installations), kept across requests and dropped when that
//! business changes, on whichever instance the change was made.
//!
//! Triggers count each business's changes in `tenant_changes` (migration
//! 0027), so no write can forget to. Then:
//! - on PostgreSQL the triggers also NOTIFY `portico_tenant_changes`; every
//!   instance listens on a connection of its own and drops what it kept of
//!   the business named. While that connection is down nothing is kept or
//!   used, and everything is dropped when it is back (a change may have been
//!   missed meanwhile);
//! - on SQLite (one file, perhaps several processes: the server and a
//!   console command) a render reads the business's count, once, and what
//!   was kept under another count is read again.
//!
//! Only a render's snapshot ([`Db::snapshot`]) reads through it: an action
//! reads afresh, as it always did.

use super::snapshot::Found;
use super::{Backend, Db, DbResult, QueryContext};
use portico_core::ids::TenantId;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

/// The channel the PostgreSQL triggers announce a business's changes on.
const CHANNEL: &str = "portico_tenant_changes";

/// How long the listener waits for a notification before it checks that
/// its connection still hears any, and between tries to connect again.
const HEARTBEAT: Duration = Duration::from_secs(30);
const FIRST_PAUSE: Duration = Duration::from_millis(100);

/// The most businesses kept at once; past it, one is dropped for each new
/// one (a few kilobytes each: 4,096 is well under 100 MB).
const MOST_BUSINESSES: usize = 4096;

/// What one business's reads found, under the change count they were read at.
struct Kept {
    generation: i64,
    reads: HashMap<&'static str, Found>,
}

/// The reads kept across requests (see the module's comment).
pub(crate) struct SharedReads {
    kept: Mutex<HashMap<TenantId, Kept>>,
    /// PostgreSQL: whether the listener hears every change now.
    listening: AtomicBool,
    /// Counts what was dropped, so a read that was under way when its
    /// business changed does not keep what it found.
    drops: AtomicU64,
    backend: Backend,
    /// Dropped with the last handle, which ends the listener.
    _alive: tokio::sync::watch::Sender<()>,
}

impl std::fmt::Debug for SharedReads {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedReads").field("listening", &self.listening.load(Ordering::Relaxed)).finish()
    }
}

impl SharedReads {
    /// For a database at `url`; on PostgreSQL, starts listening.
    pub(crate) fn start(backend: Backend, url: &str, pool: &sqlx::AnyPool) -> Arc<SharedReads> {
        let (alive, ended) = tokio::sync::watch::channel(());
        let shared = Arc::new(SharedReads {
            kept: Mutex::default(),
            listening: AtomicBool::new(false),
            drops: AtomicU64::new(0),
            backend,
            _alive: alive,
        });
        if backend == Backend::Postgres {
            tokio::spawn(listen(url.to_string(), pool.clone(), Arc::downgrade(&shared), ended));
        }
        shared
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<TenantId, Kept>> {
        self.kept.lock().expect("the shared reads' lock is never poisoned")
    }

    /// Forget `tenant`'s reads, or every business's.
    fn drop_kept(&self, tenant: Option<&str>) {
        let mut kept = self.lock();
        self.drops.fetch_add(1, Ordering::SeqCst);
        match tenant {
            Some(tenant) => {
                kept.remove(&TenantId::new(tenant.to_string()));
            }
            None => kept.clear(),
        }
    }

    fn get(&self, tenant: &TenantId, generation: i64, read: &'static str) -> Option<Found> {
        let kept = self.lock();
        let business = kept.get(tenant).filter(|business| business.generation == generation)?;
        business.reads.get(read).cloned()
    }

    /// Keep `found`, unless something was dropped since `drops_before`.
    fn keep(&self, tenant: &TenantId, generation: i64, read: &'static str, found: Found, drops_before: u64) {
        let mut kept = self.lock();
        if self.drops.load(Ordering::SeqCst) != drops_before {
            return;
        }
        if kept.len() >= MOST_BUSINESSES
            && !kept.contains_key(tenant)
            && let Some(other) = kept.keys().next().cloned()
        {
            kept.remove(&other);
        }
        let business = kept.entry(tenant.clone()).or_insert_with(|| Kept { generation, reads: HashMap::new() });
        if business.generation != generation {
            *business = Kept { generation, reads: HashMap::new() };
        }
        business.reads.insert(read, found);
    }
}

impl Db {
    /// `load` (the read `read` of `tenant`'s own row or settings), on a
    /// render's snapshot answered from what was kept across requests while
    /// the business has not changed; read afresh on any other handle.
    pub(crate) async fn read_shared<T, F, Fut>(&self, read: &'static str, tenant: &TenantId, load: F) -> DbResult<T>
    where
        T: Clone + Send + Sync + 'static,
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = DbResult<T>>,
    {
        if !self.is_snapshot() {
            return load().await;
        }
        self.read_once(read, tenant, "", || async move {
            let shared = &self.shared;
            let generation = match shared.backend {
                Backend::Postgres if !shared.listening.load(Ordering::SeqCst) => return load().await,
                Backend::Postgres => 0,
                Backend::Sqlite => self.change_count(tenant).await?,
            };
            if let Some(found) = shared.get(tenant, generation, read) {
                return Ok(found.downcast_ref::<T>().expect("a shared read's name names one type").clone());
            }
            let drops_before = shared.drops.load(Ordering::SeqCst);
            let value = load().await?;
            shared.keep(tenant, generation, read, Arc::new(value.clone()), drops_before);
            Ok(value)
        })
        .await
    }

    /// Forget at once what this instance kept of `tenant`, which it just
    /// changed: the change's notification, which does it too, comes a moment
    /// later (on SQLite the change count would tell the next render).
    pub(crate) fn forget_business(&self, tenant: &TenantId) {
        self.shared.drop_kept(Some(tenant.as_str()));
    }

    /// How often `tenant` has changed, read once per render.
    async fn change_count(&self, tenant: &TenantId) -> DbResult<i64> {
        self.read_once("tenant_changes", tenant, "", || async move {
            sqlx::query_scalar("SELECT CAST(COALESCE((SELECT generation FROM tenant_changes WHERE tenant_id = $1), 0) AS BIGINT)")
                .bind(tenant)
                .fetch_one(&self.pool)
                .await
                .context("reading how often a business changed")
        })
        .await
    }
}

/// Hear every business's changes until the last handle is dropped; connect
/// again whenever the connection is lost.
async fn listen(url: String, pool: sqlx::AnyPool, shared: Weak<SharedReads>, mut ended: tokio::sync::watch::Receiver<()>) {
    let mut pause = FIRST_PAUSE;
    loop {
        let heard = async {
            let pause = &mut pause;
            let mut listener = sqlx::postgres::PgListener::connect(&url).await?;
            listener.listen(CHANNEL).await?;
            // Whatever was kept may have changed while nobody listened.
            let Some(reads) = shared.upgrade() else { return Ok(()) };
            reads.drop_kept(None);
            reads.listening.store(true, Ordering::SeqCst);
            drop(reads);
            tracing::debug!("listening for businesses' changes");
            *pause = FIRST_PAUSE;
            // A connection dropped silently (by a NAT, a proxy) reports no
            // error: when nothing came for a while, the instance notifies
            // itself, and a connection that does not hear it is given up.
            let mut quiet = false;
            loop {
                let heard = match tokio::time::timeout(HEARTBEAT, listener.try_recv()).await {
                    Ok(heard) => heard?,
                    Err(_) if quiet => return Err(sqlx::Error::Protocol("the listening connection went silent".into())),
                    Err(_) => {
                        quiet = true;
                        sqlx::query("SELECT pg_notify($1, '')").bind(CHANNEL).execute(&pool).await?;
                        continue;
                    }
                };
                let Some(notification) = heard else {
                    return Err(sqlx::Error::Protocol("the listening connection was lost".into()));
                };
                quiet = false;
                if notification.payload().is_empty() {
                    continue;
                }
                let Some(reads) = shared.upgrade() else { return Ok(()) };
                reads.drop_kept(Some(notification.payload()));
            }
        };
        let outcome = tokio::select! {
            outcome = heard => outcome,
            _ = ended.changed() => return,
        };
        let Some(reads) = shared.upgrade() else { return };
        reads.listening.store(false, Ordering::SeqCst);
        reads.drop_kept(None);
        drop(reads);
        match outcome {
            Ok(()) => return,
            Err(error) => tracing::warn!(%error, "not listening for businesses' changes; rows are read afresh meanwhile"),
        }
        tokio::select! {
            _ = tokio::time::sleep(pause) => {}
            _ = ended.changed() => return,
        }
        pause = (pause * 2).min(Duration::from_secs(10));
    }
}

#[cfg(test)]
mod tests {
    use crate::{Db, NewTenant};

    #[tokio::test]
    async fn renders_keep_the_business_until_it_changes_and_actions_read_it_afresh() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::connect(&format!("sqlite://{}", dir.path().join("t.db").display())).await.unwrap();
        let new = NewTenant { slug: "acme", name: "Acme", timezone: "UTC", welcome_text: "Hello", support_email: None, support_phone: None };
        let tenant = db.create_tenant(&new).await.unwrap().id;
        let render = |db: Db| {
            let tenant = tenant.clone();
            async move { crate::counting(async { db.snapshot().tenant(&tenant).business().await.unwrap().unwrap().welcome_text }).await }
        };

        let (_, first) = render(db.clone()).await;
        let (_, second) = render(db.clone()).await;
        let (_, action) = crate::counting(db.tenant(&tenant).business()).await;
        // Another process changes the business: only the change count tells.
        let other = Db::connect(&format!("sqlite://{}", dir.path().join("t.db").display())).await.unwrap();
        sqlx::query("UPDATE tenants SET welcome_text = 'Welcome back' WHERE id = $1").bind(&tenant).execute(&other.pool).await.unwrap();
        let (after_change, read_again) = render(db.clone()).await;

        assert_eq!(first, 2, "the change count and the business");
        assert_eq!(second, 1, "then the change count alone");
        assert_eq!(action, 1, "an action reads the business afresh");
        assert_eq!((after_change.as_str(), read_again), ("Welcome back", 2), "a change made elsewhere is read at once");
        other.close().await;
        db.close().await;
    }
}
