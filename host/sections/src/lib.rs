//! Section plugins: the sandbox (`runtime`), the host functions (`host_api`),
//! what a plugin's output may contain (`sanitize`), and, here, how a tenant's
//! installed sections are found, called and kept healthy.

pub mod bindings;
mod call;
mod conversations_api;
mod estimates_api;
mod requests_api;
pub mod health;
mod host_api;
#[cfg(feature = "native")]
mod native;
pub mod manage;
pub mod permissions;
pub mod runtime;
pub mod sanitize;
pub mod settings;
mod since_v0_3;
pub mod surfaces;
mod account_api;
mod files_api;
mod payments_api;

pub use bindings::cards::{Card, CardSpec, Placement, Tone};
pub use host_api::{from_wit_role, to_wit_role as wit_role, MAIL_PER_BUSINESS_PER_DAY, MAIL_PER_JOB_PER_DAY};
pub use bindings::section::{ActionError, Context, Descriptor, Event, EventKind, FieldProblem, InputProblems};
pub use call::{CallKind, CallScope, HostServices, RenderMemo, StaffMember, ViewerIdentity};
pub use bindings::types::Surface;
pub use permissions::{ContractVersion, Permission};
pub use runtime::{CallFailure, InstallError, Invocation, Limits, LoadedPlugin, PluginRuntime, Returned};

use portico_core::ids::{JobId, TenantId};
use portico_core::model::RequestOrigin;
use portico_data::{Db, DbError, Installation};
use std::collections::BTreeSet;
use std::sync::{Arc, OnceLock};

/// The first-party plugins built by `host/sections/build.rs`: (package name, component).
mod builtin {
    include!(concat!(env!("OUT_DIR"), "/first_party_plugins.rs"));
}

/// Who a call is for, and where.
#[derive(Debug, Clone)]
pub struct Audience {
    pub tenant_id: TenantId,
    /// Where the cards are shown.
    pub surface: Surface,
    /// The job of the job page, the staff job page and events; `None` on the
    /// surfaces that span jobs.
    pub job_id: Option<JobId>,
    pub viewer: ViewerIdentity,
    pub origin: RequestOrigin,
    pub preview: bool,
    /// Shared by the calls of one page render; `None` for actions and events.
    pub memo: Option<Arc<RenderMemo>>,
}

impl Audience {
    /// A member of staff acting on a staff surface (the console's job page
    /// with `job_id`, or a section's console page), as themselves.
    pub fn staff(tenant_id: TenantId, surface: Surface, job_id: Option<JobId>, member: StaffMember, display_name: &str, origin: RequestOrigin) -> Audience {
        Audience {
            tenant_id,
            surface,
            job_id,
            viewer: ViewerIdentity {
                role: portico_core::model::Role::Staff,
                contact_id: None,
                job_contact_id: None,
                display_name: display_name.to_string(),
                verified: true,
                proven_email: None,
                staff: Some(member),
            },
            origin,
            preview: false,
            memo: None,
        }
    }
}

/// A tenant's enabled section, ready to call.
#[derive(Clone)]
pub struct ActiveSection {
    pub installation: Installation,
    pub plugin: Arc<LoadedPlugin>,
}

impl ActiveSection {
    pub fn grants(&self) -> BTreeSet<Permission> {
        serde_json::from_str(&self.installation.grants_json).unwrap_or_default()
    }

    /// The tenant's settings over the plugin's declared defaults, as a JSON
    /// object holding only values that fit the plugin's schema.
    pub fn settings_json(&self) -> String {
        let settings = settings::effective(&self.plugin.descriptor.settings, &self.installation.settings_json);
        serde_json::Value::Object(settings).to_string()
    }

    /// The tab a card goes on (`None`: the surface's home page): where the
    /// tenant placed it, else where the plugin declared it. Staff surfaces
    /// have no tabs.
    pub fn tab_for(&self, spec: &CardSpec) -> Option<String> {
        if !surfaces::has_tabs(surfaces::surface_of(&spec.placement)) {
            return None;
        }
        let placements: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(&self.installation.placements_json).unwrap_or_default();
        let tab = match placements.get(&spec.id).and_then(|placed| placed.as_str()) {
            Some(placed) => (!placed.trim().is_empty()).then(|| placed.trim().to_string()),
            None => surfaces::declared_tab(&spec.placement).map(str::to_string),
        };
        tab.map(|title| portico_core::text::clamp(&title, 40))
    }

    /// The declared cards the audience may see where it is looking.
    pub fn cards_for<'a>(&'a self, audience: &Audience) -> Vec<&'a CardSpec> {
        self.plugin.descriptor.cards.iter().filter(|spec| surfaces::may_see(spec, audience.surface, &audience.viewer)).collect()
    }

    /// Whether the section has anything to show on `surface` at all; others
    /// are not called there.
    pub fn shows_on(&self, surface: Surface) -> bool {
        self.plugin.descriptor.cards.iter().any(|spec| surfaces::surface_of(&spec.placement) == surface)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SectionsError {
    #[error(transparent)]
    Install(#[from] InstallError),
    #[error(transparent)]
    Db(#[from] DbError),
}

/// Grants given at install time.
pub enum Grants {
    /// Everything the plugin asks for (first-party plugins).
    AllRequested,
    /// Exactly these.
    Only(Vec<Permission>),
}

/// The installed sections of every tenant, over the shared runtime.
#[derive(Clone)]
pub struct Sections {
    runtime: Arc<PluginRuntime>,
    db: Db,
    host: HostServices,
    /// This build's first-party plugins, loaded once by `register_builtins`.
    builtins: Arc<OnceLock<Vec<Arc<LoadedPlugin>>>>,
    health: Arc<health::HealthBook>,
}

impl Sections {
    pub fn new(runtime: Arc<PluginRuntime>, host: HostServices) -> Sections {
        Sections {
            runtime,
            db: host.db.clone(),
            host,
            builtins: Arc::new(OnceLock::new()),
            health: Arc::new(health::HealthBook::default()),
        }
    }

    /// Load and register every first-party plugin. Called once at start; fails
    /// loudly, since a host whose own plugins do not load is misbuilt.
    pub async fn register_builtins(&self) -> anyhow::Result<()> {
        if builtin::FIRST_PARTY_PLUGINS.is_empty() {
            tracing::warn!("this host was built without first-party plugins (PORTICO_SKIP_PLUGIN_BUILD)");
        }
        let mut loaded = Vec::new();
        for (package, wasm) in builtin::FIRST_PARTY_PLUGINS {
            let plugin = self
                .runtime
                .load(wasm)
                .await
                .map_err(|e| anyhow::anyhow!("first-party plugin {package} does not load: {e}"))?;
            self.register(&plugin, "builtin", None).await?;
            loaded.push(plugin);
        }
        let _ = self.builtins.set(loaded);
        Ok(())
    }

    async fn register(&self, plugin: &LoadedPlugin, origin: &str, wasm: Option<&[u8]>) -> Result<(), DbError> {
        let descriptor_json = serde_json::to_string(&plugin.descriptor).unwrap_or_else(|_| "{}".into());
        self.db.register_package(&plugin.sha256, plugin.id(), plugin.version(), &descriptor_json, origin, wasm).await
    }

    /// Give a new tenant every first-party section, each granted what it asks.
    pub async fn install_builtins_for(&self, tenant_id: &TenantId) -> Result<(), SectionsError> {
        for plugin in self.builtins() {
            self.install_loaded(tenant_id, &plugin, Grants::AllRequested, "{}").await?;
        }
        Ok(())
    }

    /// Install an uploaded component for one tenant.
    pub async fn install_upload(
        &self,
        tenant_id: &TenantId,
        wasm: &[u8],
        grants: Grants,
        settings_json: &str,
    ) -> Result<Arc<LoadedPlugin>, SectionsError> {
        let plugin = self.runtime.load(wasm).await?;
        self.register(&plugin, "upload", Some(wasm)).await?;
        self.install_loaded(tenant_id, &plugin, grants, settings_json).await?;
        Ok(plugin)
    }

    async fn install_loaded(
        &self,
        tenant_id: &TenantId,
        plugin: &LoadedPlugin,
        grants: Grants,
        settings_json: &str,
    ) -> Result<(), DbError> {
        let requested = plugin.requested_permissions();
        let granted: BTreeSet<Permission> = match grants {
            Grants::AllRequested => requested.into_iter().collect(),
            // Nothing beyond what the plugin asked for can be granted.
            Grants::Only(only) => only.into_iter().filter(|p| requested.contains(p)).collect(),
        };
        let grants_json = serde_json::to_string(&granted).expect("permissions serialize");
        self.db.tenant(tenant_id).install_plugin(plugin.id(), &plugin.sha256, settings_json, &grants_json).await
    }

    /// The tenant's enabled sections in the tenant's order. A package that no
    /// longer loads is logged and skipped, never fatal to the page.
    pub async fn active(&self, tenant_id: &TenantId) -> Result<Vec<ActiveSection>, DbError> {
        self.active_in(&self.db, tenant_id).await
    }

    /// [`Sections::active`], read through `db` (a render's snapshot).
    pub async fn active_in(&self, db: &portico_data::Db, tenant_id: &TenantId) -> Result<Vec<ActiveSection>, DbError> {
        let mut active = Vec::new();
        for installation in db.tenant(tenant_id).installations().await? {
            if installation.enabled == 0 {
                continue;
            }
            match self.plugin_for(&installation.package_sha256).await {
                Ok(plugin) => active.push(ActiveSection { installation, plugin }),
                Err(error) => {
                    tracing::error!(tenant = %tenant_id, plugin = %installation.plugin_id, %error, "installed plugin does not load");
                }
            }
        }
        Ok(active)
    }

    /// Drop from memory the compiled code of every package no installation
    /// uses (installed or awaiting consent) and that is not one of this
    /// build's own; returns how many were dropped. Run after installs and
    /// periodically (`spawn_sweeper`).
    pub async fn release_unused(&self) -> Result<usize, DbError> {
        let in_use = self.db.packages_in_use().await?;
        let builtins: Vec<String> = self.builtins.get().map(|b| b.iter().map(|p| p.sha256.clone()).collect()).unwrap_or_default();
        let dropped = self.runtime.retain(|sha256| in_use.iter().any(|s| s == sha256) || builtins.iter().any(|s| s == sha256));
        if dropped > 0 {
            tracing::info!(dropped, "released the compiled code of packages nothing uses");
        }
        Ok(dropped)
    }

    /// Release unused compiled code every ten minutes, on every instance.
    pub fn spawn_sweeper(&self) -> portico_services::worker::Worker {
        let sections = self.clone();
        portico_services::worker::Worker::spawn(std::time::Duration::from_secs(600), move || {
            let sections = sections.clone();
            async move {
                if let Err(error) = sections.release_unused().await {
                    tracing::warn!(%error, "could not release unused plugin code");
                }
                0
            }
        })
    }

    /// The runtime's count of compiled packages in memory.
    pub fn loaded_packages(&self) -> usize {
        self.runtime.loaded_count()
    }

    /// The largest component an upload may be.
    pub fn max_upload_bytes(&self) -> usize {
        self.runtime.limits().max_component_bytes
    }

    async fn plugin_for(&self, sha256: &str) -> Result<Arc<LoadedPlugin>, SectionsError> {
        if let Some(plugin) = self.runtime.get(sha256) {
            return Ok(plugin);
        }
        let wasm = self
            .db
            .package_wasm(sha256)
            .await?
            .ok_or_else(|| DbError::Invalid(format!("package {sha256} has no code stored")))?;
        Ok(self.runtime.load(&wasm).await?)
    }

    fn scope(&self, section: &ActiveSection, audience: &Audience) -> CallScope {
        CallScope {
            tenant_id: audience.tenant_id.clone(),
            plugin_id: section.plugin.id().to_string(),
            plugin_name: section.plugin.descriptor.name.clone(),
            plugin_version: section.plugin.version().to_string(),
            surface: audience.surface,
            job_id: audience.job_id.clone(),
            viewer: Some(audience.viewer.clone()),
            grants: section.grants(),
            origin: audience.origin.clone(),
            preview: audience.preview,
            memo: audience.memo.clone(),
        }
    }

    /// The render context a plugin sees: identity, never secrets.
    pub fn context(&self, section: &ActiveSection, audience: &Audience, tenant: &portico_core::model::Tenant) -> Context {
        Context {
            job_id: audience.job_id.as_ref().map(|job_id| job_id.to_string()),
            surface: audience.surface,
            viewer: bindings::types::Viewer {
                role: host_api::to_wit_role(audience.viewer.role),
                contact_id: audience.viewer.contact_id.clone(),
                display_name: audience.viewer.display_name.clone(),
                verified: audience.viewer.verified,
                staff_role: audience.viewer.staff.as_ref().map(|staff| surfaces::to_wit_staff_role(staff.role)),
            },
            settings: section.settings_json(),
            locale: tenant.locale.clone(),
            timezone: tenant.timezone.clone(),
            currency: tenant.currency.clone(),
            now: portico_core::model::now(),
            preview: audience.preview,
        }
    }

    /// Tell every enabled section of the tenant that asked for `kind` that it
    /// happened on `job_id`; returns how many accepted it. The viewer of such
    /// a call is the system, and a failing section is logged and counted like
    /// any other failure, never fatal to the caller.
    pub async fn dispatch_event(
        &self,
        tenant: &portico_core::model::Tenant,
        job_id: &JobId,
        kind: EventKind,
        subject_id: &str,
        origin: RequestOrigin,
    ) -> Result<usize, DbError> {
        let audience = Audience {
            tenant_id: tenant.id.clone(),
            surface: Surface::JobPage,
            job_id: Some(job_id.clone()),
            viewer: ViewerIdentity {
                role: portico_core::model::Role::Staff,
                contact_id: None,
                job_contact_id: None,
                display_name: "Portico".into(),
                verified: true,
                proven_email: None,
                staff: None,
            },
            origin,
            preview: false,
            memo: None,
        };
        let mut delivered = 0;
        for section in self.active(&tenant.id).await? {
            if !section.plugin.descriptor.events.contains(&kind) {
                continue;
            }
            let ctx = self.context(&section, &audience, tenant);
            let event = Event { kind, subject_id: subject_id.to_string() };
            if self.call(&section, &audience, Invocation::Event(ctx, event)).await.is_ok() {
                delivered += 1;
            }
        }
        Ok(delivered)
    }

    /// Call a section for an audience; failures are logged with the plugin's id
    /// and version and counted against the installation.
    pub async fn call(
        &self,
        section: &ActiveSection,
        audience: &Audience,
        invocation: Invocation,
    ) -> Result<Returned, CallFailure> {
        let scope = self.scope(section, audience);
        let started = std::time::Instant::now();
        let mut host = self.host.clone();
        if let (Some(memo), Invocation::Render(_)) = (&audience.memo, &invocation) {
            // A render reads through the page's snapshot; anything else afresh.
            host.db = memo.db().clone();
        }
        let result = self.runtime.call(&section.plugin, scope, Some(host), invocation).await;
        self.health.record(&audience.tenant_id, section.plugin.id(), started.elapsed(), result.is_err());
        if let Err(failure) = &result {
            tracing::warn!(
                tenant = %audience.tenant_id,
                plugin = section.plugin.id(),
                version = section.plugin.version(),
                elapsed_ms = started.elapsed().as_millis() as u64,
                %failure,
                "plugin call failed"
            );
            if let Err(error) = self.db.tenant(&audience.tenant_id).record_plugin_failure(section.plugin.id(), &failure.to_string()).await {
                tracing::error!(%error, "could not record a plugin failure");
            }
        }
        result
    }
}

/// The sections are where domain events go: services hold this as their
/// event port and never name the runtime.
impl portico_services::events::EventPort for Sections {
    fn deliver<'a>(
        &'a self,
        tenant: &'a portico_core::model::Tenant,
        job_id: &'a JobId,
        event: portico_services::events::SectionEvent,
        subject_id: &'a str,
        origin: RequestOrigin,
    ) -> portico_services::events::Delivered<'a> {
        use portico_services::events::SectionEvent;
        let kind = match event {
            SectionEvent::JobUpdated => EventKind::JobUpdated,
            SectionEvent::DocumentPublished => EventKind::DocumentPublished,
            SectionEvent::InvoiceUpdated => EventKind::InvoiceUpdated,
            SectionEvent::ContactsChanged => EventKind::ContactsChanged,
        };
        Box::pin(self.dispatch_event(tenant, job_id, kind, subject_id, origin))
    }
}
