//! What a tenant does with its sections from the console: see how each is
//! doing, add first-party sections and uploaded plugins after reviewing what
//! they ask for, grant or decline each permission, accept an upgrade that asks
//! for more, order and place the cards. Also the start-up pass that moves
//! every tenant to the first-party sections this host was built with.

use portico_core::ids::TenantId;
use super::health::Health;
use super::permissions::Permission;
use super::runtime::{InstallError, LoadedPlugin};
use super::{Sections, SectionsError};
use portico_data::{DbError, Installation, PackageRow};
use std::collections::BTreeSet;
use std::sync::Arc;

/// Why an uploaded file is not installable, in words for the person who
/// uploaded it.
#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    #[error("Choose a .wasm file to upload.")]
    Empty,
    #[error("The file is {size} bytes; plugins may be at most {max} bytes.")]
    TooLarge { size: usize, max: usize },
    #[error("This file is not WebAssembly: a plugin is a .wasm file, which starts with the bytes \\0asm.")]
    NotWasm,
    #[error(
        "This is a WebAssembly core module, not a component. Build the plugin for wasm32-wasip2 \
         (cargo build --target wasm32-wasip2), or wrap the module with `wasm-tools component new`."
    )]
    CoreModule,
    #[error("The id “{0}” belongs to a first-party section; give your plugin an id of its own.")]
    ReservedId(String),
    #[error("Your business has uploaded {0}; try again tomorrow.")]
    Quota(String),
    #[error("{}", capitalized(.0))]
    Install(InstallError),
    #[error(transparent)]
    Db(#[from] DbError),
}

/// New packages one business may upload in 24 hours. Attempts, kept or
/// refused, are limited too (`rate_limit::UPLOAD_ATTEMPTS`): each one is
/// compiled before it can be judged.
pub const UPLOADS_PER_DAY: i64 = 10;

fn capitalized(error: &InstallError) -> String {
    let text = error.to_string();
    let mut chars = text.chars();
    let first = chars.next().map(|c| c.to_uppercase().collect::<String>()).unwrap_or_default();
    format!("{first}{}.", chars.as_str().trim_end_matches('.'))
}

impl From<InstallError> for UploadError {
    fn from(error: InstallError) -> Self {
        match error {
            InstallError::TooLarge { size, max } => UploadError::TooLarge { size, max },
            other => UploadError::Install(other),
        }
    }
}

/// Sort the first bytes of a file into "component", "core module" or "not
/// WebAssembly", so that the commonest mistakes get their own message.
fn check_header(wasm: &[u8]) -> Result<(), UploadError> {
    if wasm.is_empty() {
        return Err(UploadError::Empty);
    }
    if wasm.len() < 8 || &wasm[..4] != b"\0asm" {
        return Err(UploadError::NotWasm);
    }
    // The 4 bytes after the magic: version 1, layer 0 is a core module; a
    // component has layer 1.
    if wasm[4..8] == [1, 0, 0, 0] {
        return Err(UploadError::CoreModule);
    }
    Ok(())
}

/// A permission a plugin asks for, with its reason and what the tenant said.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PermissionRequest {
    pub permission: Permission,
    pub name: &'static str,
    pub summary: &'static str,
    /// The plugin's own words for why it needs it.
    pub reason: String,
    pub granted: bool,
    /// Asked for by this version and not by the one installed.
    pub new: bool,
}

/// The permissions `plugin` asks for, each with its reason; `granted` and
/// `asked_before` come from the installation it would replace, if any.
pub fn permission_requests(
    plugin: &LoadedPlugin,
    granted: &BTreeSet<Permission>,
    asked_before: Option<&BTreeSet<Permission>>,
) -> Vec<PermissionRequest> {
    let mut seen = BTreeSet::new();
    plugin
        .descriptor
        .permissions
        .iter()
        .filter_map(|request| {
            let permission = Permission::from(request.permission);
            seen.insert(permission).then(|| PermissionRequest {
                permission,
                name: permission.as_str(),
                summary: permission.summary(),
                reason: portico_core::text::clamp(&request.reason, 300),
                granted: granted.contains(&permission),
                new: asked_before.is_some_and(|before| !before.contains(&permission)),
            })
        })
        .collect()
}

/// One installed section as the console shows it.
pub struct InstalledSection {
    pub installation: Installation,
    /// The package it runs, or why it does not load.
    pub plugin: Result<Arc<LoadedPlugin>, String>,
    /// What the registry knows of the package when it does not load.
    pub package: Option<PackageRow>,
    pub pending: Option<Arc<LoadedPlugin>>,
    pub health: Health,
}

impl InstalledSection {
    pub fn grants(&self) -> BTreeSet<Permission> {
        serde_json::from_str(&self.installation.grants_json).unwrap_or_default()
    }

    pub fn name(&self) -> String {
        match &self.plugin {
            Ok(plugin) => plugin.descriptor.name.clone(),
            Err(_) => self.installation.plugin_id.clone(),
        }
    }

    pub fn version(&self) -> String {
        match (&self.plugin, &self.package) {
            (Ok(plugin), _) => plugin.version().to_string(),
            (Err(_), Some(package)) => package.version.clone(),
            (Err(_), None) => "unknown".into(),
        }
    }

    /// What the installed package asked for (from its stored descriptor when
    /// it no longer loads).
    pub fn asked_for(&self) -> BTreeSet<Permission> {
        match (&self.plugin, &self.package) {
            (Ok(plugin), _) => plugin.requested_permissions().into_iter().collect(),
            (Err(_), Some(package)) => requested_in(&package.descriptor_json).unwrap_or_else(|| self.grants()),
            (Err(_), None) => self.grants(),
        }
    }
}

/// The permissions a stored descriptor asks for, if it can be read.
fn requested_in(descriptor_json: &str) -> Option<BTreeSet<Permission>> {
    let descriptor: super::Descriptor = serde_json::from_str(descriptor_json).ok()?;
    Some(descriptor.permissions.iter().map(|p| Permission::from(p.permission)).collect())
}

/// `1.10.0` > `1.9.3`: compare dotted numbers; anything unreadable is 0.
fn version_key(version: &str) -> Vec<u64> {
    version
        .split(['.', '-', '+'])
        .take(3)
        .map(|part| part.chars().take_while(char::is_ascii_digit).collect::<String>().parse().unwrap_or(0))
        .collect()
}

/// Which way to move a section in the tenant's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Up,
    Down,
}

/// What a tenant can install, after review.
pub enum Installable {
    FirstParty(Arc<LoadedPlugin>),
    Upload(Arc<LoadedPlugin>, PackageRow),
}

impl Installable {
    pub fn plugin(&self) -> &Arc<LoadedPlugin> {
        match self {
            Installable::FirstParty(plugin) | Installable::Upload(plugin, _) => plugin,
        }
    }
}

impl Sections {
    /// The first-party sections this host was built with.
    pub fn builtins(&self) -> Vec<Arc<LoadedPlugin>> {
        self.builtins.get().cloned().unwrap_or_default()
    }

    fn builtin(&self, plugin_id: &str) -> Option<Arc<LoadedPlugin>> {
        self.builtins().into_iter().find(|plugin| plugin.id() == plugin_id)
    }

    /// Every installed section of the tenant, in its order, with its health.
    pub async fn installed(&self, tenant_id: &TenantId) -> Result<Vec<InstalledSection>, DbError> {
        let mut listed = Vec::new();
        for installation in self.db.tenant(tenant_id).installations().await? {
            listed.push(self.describe_installation(tenant_id, installation).await?);
        }
        Ok(listed)
    }

    pub async fn installed_one(&self, tenant_id: &TenantId, plugin_id: &str) -> Result<Option<InstalledSection>, DbError> {
        match self.db.tenant(tenant_id).installation(plugin_id).await? {
            Some(installation) => Ok(Some(self.describe_installation(tenant_id, installation).await?)),
            None => Ok(None),
        }
    }

    /// An installation with the package it runs (or why it does not load),
    /// its waiting upgrade and its health.
    async fn describe_installation(&self, tenant_id: &TenantId, installation: Installation) -> Result<InstalledSection, DbError> {
        let plugin = self.plugin_for(&installation.package_sha256).await.map_err(|e| e.to_string());
        let package = match plugin {
            Ok(_) => None,
            Err(_) => self.db.package(&installation.package_sha256).await?,
        };
        let pending = match &installation.pending_sha256 {
            Some(sha) => self.plugin_for(sha).await.ok(),
            None => None,
        };
        let health = self.health.health(tenant_id, &installation.plugin_id);
        Ok(InstalledSection { installation, plugin, package, pending, health })
    }

    /// What the tenant may install: the first-party sections of this build and
    /// the uploads it may see (its own, and those the operator published).
    pub async fn installable(&self, tenant_id: &TenantId) -> Result<Vec<Installable>, DbError> {
        let mut found: Vec<Installable> = self.builtins().into_iter().map(Installable::FirstParty).collect();
        for package in self.db.tenant(tenant_id).visible_uploads().await? {
            match self.plugin_for(&package.sha256).await {
                Ok(plugin) => found.push(Installable::Upload(plugin, package)),
                Err(error) => tracing::warn!(sha256 = %package.sha256, %error, "an uploaded package no longer loads"),
            }
        }
        Ok(found)
    }

    /// One package the tenant may install, by hash; `None` if it may not see it.
    pub async fn installable_package(&self, tenant_id: &TenantId, sha256: &str) -> Result<Option<Installable>, DbError> {
        if let Some(plugin) = self.builtins().into_iter().find(|plugin| plugin.sha256 == sha256) {
            return Ok(Some(Installable::FirstParty(plugin)));
        }
        let Some(package) = self.db.tenant(tenant_id).visible_upload(sha256).await? else {
            return Ok(None);
        };
        match self.plugin_for(sha256).await {
            Ok(plugin) => Ok(Some(Installable::Upload(plugin, package))),
            Err(error) => {
                tracing::warn!(sha256, %error, "an uploaded package no longer loads");
                Ok(None)
            }
        }
    }

    /// Check and keep an uploaded component for `tenant_id`; installing it is
    /// a separate step, after the tenant has reviewed what it asks for.
    pub async fn upload(&self, tenant_id: &TenantId, staff_user_id: &str, wasm: &[u8]) -> Result<Arc<LoadedPlugin>, UploadError> {
        check_header(wasm)?;
        let sha256 = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(wasm));
        if !self.db.tenant(tenant_id).uploaded(&sha256).await? {
            let today = self.db.tenant(tenant_id).uploads_since(portico_core::model::now() - 24 * 3600).await?;
            if today >= UPLOADS_PER_DAY {
                return Err(UploadError::Quota(format!("{today} packages in the last 24 hours (the limit is {UPLOADS_PER_DAY})")));
            }
        }
        let plugin = self.runtime.load(wasm).await?;
        if self.builtin(plugin.id()).is_some() {
            return Err(UploadError::ReservedId(plugin.id().to_string()));
        }
        self.register(&plugin, "upload", Some(wasm)).await?;
        self.db.tenant(tenant_id).record_upload(&plugin.sha256, staff_user_id).await?;
        Ok(plugin)
    }

    /// Install a reviewed package with the permissions the tenant ticked (a
    /// new section is on, at the end of the list), or move an installation to
    /// it, keeping its settings, order and on/off state. Grants beyond what the
    /// plugin asks for are dropped.
    pub async fn install_reviewed(&self, tenant_id: &TenantId, plugin: &LoadedPlugin, grants: &[Permission]) -> Result<(), DbError> {
        let grants_json = grants_for(plugin, grants);
        match self.db.tenant(tenant_id).installation(plugin.id()).await? {
            Some(_) => self.db.tenant(tenant_id).set_installed_package(plugin.id(), &plugin.sha256, &grants_json).await?,
            None => self.db.tenant(tenant_id).install_plugin(plugin.id(), &plugin.sha256, "{}", &grants_json).await?,
        }
        // The version it replaced may now run nowhere.
        self.release_unused().await?;
        Ok(())
    }

    /// Change what an installed section is granted.
    pub async fn set_grants(&self, tenant_id: &TenantId, section: &InstalledSection, grants: &[Permission]) -> Result<(), SectionsError> {
        let plugin = section.plugin.as_ref().map_err(|e| DbError::Invalid(e.clone()))?;
        self.db.tenant(tenant_id).set_plugin_grants(plugin.id(), &grants_for(plugin, grants)).await?;
        Ok(())
    }

    /// Move a section one place up or down in the tenant's order.
    pub async fn move_section(&self, tenant_id: &TenantId, plugin_id: &str, direction: Direction) -> Result<bool, DbError> {
        let mut order: Vec<String> = self.db.tenant(tenant_id).installations().await?.into_iter().map(|i| i.plugin_id).collect();
        let Some(at) = order.iter().position(|id| id == plugin_id) else {
            return Ok(false);
        };
        let to = match direction {
            Direction::Up if at > 0 => at - 1,
            Direction::Down if at + 1 < order.len() => at + 1,
            _ => return Ok(false),
        };
        order.swap(at, to);
        self.db.tenant(tenant_id).reorder_installations(&order).await?;
        Ok(true)
    }

    /// Bring every tenant's first-party sections to this build's packages
    /// (called at start).
    pub async fn upgrade_builtins(&self) -> Result<(), DbError> {
        self.offer_upgrades(&self.builtins()).await
    }

    /// Move every tenant's installation of one of `newer`'s plugins to it. An
    /// upgrade asking for nothing the installed version did not ask for
    /// happens at once, with the grants the tenant gave; one asking for more
    /// waits for the tenant's consent, and the installed version keeps running
    /// with its grants meanwhile. Never downgrades: during a rolling deploy an
    /// older instance leaves newer packages alone.
    pub async fn offer_upgrades(&self, newer: &[Arc<LoadedPlugin>]) -> Result<(), DbError> {
        let packages: Vec<(&str, &str)> = newer.iter().map(|p| (p.id(), p.sha256.as_str())).collect();
        // Only the installations on another package: at most starts, none.
        for installation in self.db.installations_not_on(&packages).await? {
            let tenant_id = installation.tenant_id.clone();
            let Some(new) = newer.iter().find(|p| p.id() == installation.plugin_id) else { continue };
            // Already offered, waiting for the tenant's consent.
            if installation.pending_sha256.as_deref() == Some(&new.sha256) {
                continue;
            }
            let old = self.db.package(&installation.package_sha256).await?;
            if old.as_ref().is_some_and(|old| version_key(&old.version) > version_key(new.version())) {
                continue;
            }
            let granted: BTreeSet<Permission> = serde_json::from_str(&installation.grants_json).unwrap_or_default();
            let asked_before = old.as_ref().and_then(|old| requested_in(&old.descriptor_json)).unwrap_or_else(|| granted.clone());
            let asks_more = new.requested_permissions().iter().any(|p| !asked_before.contains(p));
            if asks_more {
                tracing::info!(tenant = %tenant_id, plugin = new.id(), version = new.version(), "upgrade waits for the tenant's consent");
                self.db.tenant(&tenant_id).set_pending_package(new.id(), Some(&new.sha256)).await?;
            } else {
                let keep: Vec<Permission> = granted.into_iter().collect();
                tracing::info!(tenant = %tenant_id, plugin = new.id(), version = new.version(), "upgraded");
                self.db.tenant(&tenant_id).set_installed_package(new.id(), &new.sha256, &grants_for(new, &keep)).await?;
            }
        }
        Ok(())
    }

    /// Figures for one section since this server started.
    pub fn health(&self, tenant_id: &TenantId, plugin_id: &str) -> Health {
        self.health.health(tenant_id, plugin_id)
    }
}

/// The grants JSON for `plugin`: what was ticked, limited to what it asks for.
fn grants_for(plugin: &LoadedPlugin, ticked: &[Permission]) -> String {
    let requested = plugin.requested_permissions();
    let granted: BTreeSet<Permission> = ticked.iter().copied().filter(|p| requested.contains(p)).collect();
    serde_json::to_string(&granted).expect("permissions serialize")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_header_tells_components_from_modules_and_other_files() {
        assert!(matches!(check_header(b""), Err(UploadError::Empty)));
        assert!(matches!(check_header(b"MZ\x90\0 not wasm"), Err(UploadError::NotWasm)));
        assert!(matches!(check_header(b"\0asm\x01\0\0\0"), Err(UploadError::CoreModule)));
        assert!(check_header(b"\0asm\x0d\0\x01\0").is_ok());
    }

    #[test]
    fn versions_compare_as_numbers() {
        assert!(version_key("1.10.0") > version_key("1.9.3"));
        assert!(version_key("0.2.0") > version_key("0.1.9"));
        assert_eq!(version_key("1.2.0-beta"), version_key("1.2.0"));
    }
}
