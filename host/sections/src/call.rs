//! The state of one plugin call: who is calling for whom, what is granted, and
//! the sandbox's own WASI context (empty: no files, no sockets, no env).

use portico_core::ids::{JobId, TenantId};
use super::permissions::Permission;
use portico_data::Db;
use portico_services::payments::Checkouts;
use portico_core::model::{RequestOrigin, Role, StaffRole};
use super::bindings::types::Surface;
use std::collections::BTreeSet;
use wasmtime::component::ResourceTable;
use wasmtime::{StoreLimits, StoreLimitsBuilder};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

/// What the host functions work with: the database and the checkout desk.
#[derive(Clone)]
pub struct HostServices {
    pub db: Db,
    /// Where uploads are kept, for a section removing one of its files.
    pub files: std::sync::Arc<portico_data::files::FileStore>,
    pub checkouts: Checkouts,
    /// The money service: payments the viewer reports.
    pub payments: portico_services::payments::Payments,
    pub conversations: portico_services::conversations::Conversations,
    /// Estimates and the clients' answers.
    pub estimates: portico_services::estimates::Estimates,
    /// Clients' service requests.
    pub requests: portico_services::requests::ServiceRequests,
}

/// Who is looking, as the host knows them. Only the safe parts reach plugins.
#[derive(Debug, Clone)]
pub struct ViewerIdentity {
    pub role: Role,
    pub contact_id: Option<String>,
    /// The job-contact row, which scopes `contact` storage.
    pub job_contact_id: Option<String>,
    pub display_name: String,
    pub verified: bool,
    /// The address the viewer proved this session, which also reaches the
    /// jobs of their other contact records (the account hub's scope).
    pub proven_email: Option<String>,
    /// On the staff surfaces, the staff member acting.
    pub staff: Option<StaffMember>,
}

/// A member of the business's staff, on a staff surface.
#[derive(Debug, Clone)]
pub struct StaffMember {
    pub user_id: String,
    pub role: StaffRole,
}

/// What a call is scoped to. The host fills every id from here; a plugin can
/// never name another tenant, job or contact.
#[derive(Debug, Clone)]
pub struct CallScope {
    pub tenant_id: TenantId,
    pub plugin_id: String,
    /// The section's name as the business sees it ("Repair list").
    pub plugin_name: String,
    pub plugin_version: String,
    /// Where the call's cards are shown; decides what its host functions reach.
    pub surface: Surface,
    pub job_id: Option<JobId>,
    pub viewer: Option<ViewerIdentity>,
    pub grants: BTreeSet<Permission>,
    pub origin: RequestOrigin,
    pub preview: bool,
    /// What the calls of one page render share (`None` outside a render).
    pub memo: Option<std::sync::Arc<RenderMemo>>,
}

/// Values the sections of one page render would otherwise each work out
/// again: renders only read, so what one call found holds for the others.
/// Never shared by an action, which may change what it reads.
#[derive(Debug)]
pub struct RenderMemo {
    /// The database through the render's snapshot: each read the page's
    /// sections share is made once.
    db: Db,
    release: tokio::sync::OnceCell<portico_core::model::Release>,
    /// The viewer's files on the account hub, which its Jobs and
    /// Properties sections both list.
    account_files: tokio::sync::OnceCell<Vec<portico_services::account_files::AccountFile>>,
}

impl RenderMemo {
    /// A memo for one render of `business`'s page (read already), reading
    /// `db` through a fresh snapshot.
    pub fn new(db: &Db, business: &portico_core::model::Tenant) -> RenderMemo {
        RenderMemo { db: db.snapshot_for(business), release: Default::default(), account_files: Default::default() }
    }

    /// The database as this render reads it.
    pub fn db(&self) -> &Db {
        &self.db
    }

    /// The job's report release from `memo` when the render has one, else
    /// worked out now (an action, or a call outside a page render).
    pub async fn release_or_compute<F, Fut, E>(memo: Option<&RenderMemo>, compute: F) -> Result<portico_core::model::Release, E>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<portico_core::model::Release, E>>,
    {
        once_or_compute(memo.map(|memo| &memo.release), compute).await
    }

    /// The viewer's account files from `memo` when the render has one, else
    /// worked out now.
    pub async fn account_files_or_compute<F, Fut, E>(memo: Option<&RenderMemo>, compute: F) -> Result<Vec<portico_services::account_files::AccountFile>, E>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<Vec<portico_services::account_files::AccountFile>, E>>,
    {
        once_or_compute(memo.map(|memo| &memo.account_files), compute).await
    }
}

/// The value in `cell`, worked out by the first call that needs it; without
/// a cell, worked out now.
async fn once_or_compute<T: Clone, F, Fut, E>(cell: Option<&tokio::sync::OnceCell<T>>, compute: F) -> Result<T, E>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Result<T, E>>,
{
    match cell {
        Some(cell) => cell.get_or_try_init(compute).await.cloned(),
        None => compute().await,
    }
}

impl CallScope {
    /// A call with no job and no grants: `describe` at install time.
    pub fn install(plugin_id: &str) -> CallScope {
        CallScope {
            // No business yet: `describe` runs before a section is installed,
            // with no grants, so no host call reaches any business's rows.
            tenant_id: TenantId::new(String::new()),
            plugin_id: plugin_id.into(),
            plugin_name: plugin_id.into(),
            plugin_version: String::new(),
            surface: Surface::JobPage,
            job_id: None,
            viewer: None,
            grants: BTreeSet::new(),
            origin: RequestOrigin::default(),
            preview: false,
            memo: None,
        }
    }
}

/// Which export a call runs. It decides what the call's host functions may
/// change: rendering reads, actions write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallKind {
    /// `describe`, at install: no job, no grants.
    Describe,
    /// `render`: a page view. It reads and changes nothing.
    Render,
    /// `handle-action`: a POST the viewer made. The only call that acts in
    /// the viewer's name (signing, requesting, paying).
    Action,
    /// `on-event`: the host telling the section what happened. It may keep
    /// its own records (storage, audit) and send mail within its quotas,
    /// but acts in nobody's name.
    Event,
}

impl CallKind {
    /// The export's name in the contract.
    pub fn export(self) -> &'static str {
        match self {
            CallKind::Describe => "describe",
            CallKind::Render => "render",
            CallKind::Action => "handle-action",
            CallKind::Event => "on-event",
        }
    }
}

/// The data of a plugin's `Store`: fresh for every call.
pub struct CallState {
    pub(super) scope: CallScope,
    pub(super) kind: CallKind,
    pub(super) host: Option<HostServices>,
    pub(super) limits: StoreLimits,
    pub(super) log_lines: u32,
    /// Set when the plugin asked for more memory than it may have.
    pub(super) memory_denied: bool,
    /// Why the call's last message was refused, once a mail quota is reached.
    pub(super) mail_refused: Option<String>,
    wasi: WasiCtx,
    table: ResourceTable,
}

impl CallState {
    pub fn new(scope: CallScope, kind: CallKind, host: Option<HostServices>, memory_bytes: usize) -> CallState {
        CallState {
            scope,
            kind,
            host,
            limits: StoreLimitsBuilder::new().memory_size(memory_bytes).instances(16).tables(16).memories(8).build(),
            log_lines: 0,
            memory_denied: false,
            mail_refused: None,
            wasi: sandbox_wasi(),
            table: call_resource_table(),
        }
    }
}

/// Most WASI resources (streams, pollables) one call may hold at once. A
/// section needs a handful; the cap keeps a hostile one from growing the
/// table without bound.
pub const MAX_RESOURCES_PER_CALL: usize = 256;

/// WASI with nothing in it: no preopened directories, no environment, no
/// arguments, no stdio, and no network of any kind. Components importing
/// `wasi:sockets` are refused at install (`permissions::classify_imports`);
/// this is the second wall, should one ever get past the first.
fn sandbox_wasi() -> WasiCtx {
    WasiCtx::builder()
        .allow_tcp(false)
        .allow_udp(false)
        .allow_ip_name_lookup(false)
        .socket_addr_check(|_, _| Box::pin(async { false }))
        .build()
}

fn call_resource_table() -> ResourceTable {
    let mut table = ResourceTable::new();
    table.set_max_capacity(MAX_RESOURCES_PER_CALL);
    table
}

impl WasiView for CallState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView { ctx: &mut self.wasi, table: &mut self.table }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test]
    async fn a_render_works_the_account_files_out_once_and_an_action_each_time() {
        let computed = AtomicUsize::new(0);
        let compute = || async {
            computed.fetch_add(1, Ordering::SeqCst);
            Ok::<_, ()>(Vec::new())
        };
        let file = std::env::temp_dir().join(format!("portico-memo-{}-{}.db", std::process::id(), portico_core::model::new_id()));
        let db = Db::connect(&format!("sqlite://{}", file.display())).await.unwrap();
        let memo = RenderMemo { db: db.snapshot(), release: Default::default(), account_files: Default::default() };
        for _ in 0..3 {
            RenderMemo::account_files_or_compute(Some(&memo), compute).await.unwrap();
        }
        assert_eq!(computed.load(Ordering::SeqCst), 1, "the sections of one render share it");
        RenderMemo::account_files_or_compute(None, compute).await.unwrap();
        RenderMemo::account_files_or_compute(None, compute).await.unwrap();
        assert_eq!(computed.load(Ordering::SeqCst), 3, "without a render's memo it is read afresh");
        db.close().await;
        let _ = std::fs::remove_file(file);
    }
}
