//! Plugin packages (code, by hash) and installations (a tenant's use of one).

use super::{Db, DbResult, QueryContext};
use crate::model::{new_id, now};

/// A plugin installed by a tenant.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Installation {
    pub id: String,
    pub tenant_id: String,
    pub plugin_id: String,
    pub package_sha256: String,
    /// 1 when enabled, 0 when not (integers, the same on every backend).
    pub enabled: i64,
    pub position: i64,
    pub settings_json: String,
    pub grants_json: String,
    pub failures: i64,
    pub last_error: Option<String>,
}

const INSTALLATION_COLUMNS: &str =
    "id, tenant_id, plugin_id, package_sha256, enabled, position, settings_json, grants_json, failures, last_error";

impl Db {
    /// Register a package; registering the same bytes again changes nothing.
    pub async fn register_package(
        &self,
        sha256: &str,
        plugin_id: &str,
        version: &str,
        descriptor_json: &str,
        origin: &str,
        wasm: Option<&[u8]>,
    ) -> DbResult<()> {
        sqlx::query(
            "INSERT INTO plugin_packages (sha256, plugin_id, version, descriptor_json, origin, wasm, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (sha256) DO NOTHING",
        )
        .bind(sha256)
        .bind(plugin_id)
        .bind(version)
        .bind(descriptor_json)
        .bind(origin)
        .bind(wasm)
        .bind(now())
        .execute(&self.pool)
        .await
        .context("registering a plugin package")?;
        Ok(())
    }

    pub async fn package_wasm(&self, sha256: &str) -> DbResult<Option<Vec<u8>>> {
        let wasm: Option<Option<Vec<u8>>> = sqlx::query_scalar("SELECT wasm FROM plugin_packages WHERE sha256 = $1")
            .bind(sha256)
            .fetch_optional(&self.pool)
            .await
            .context("loading a plugin's code")?;
        Ok(wasm.flatten())
    }

    /// Install a plugin for a tenant at the end of its list, or point an existing
    /// installation at a new package. Grants are replaced by `grants_json`.
    pub async fn install_plugin(
        &self,
        tenant_id: &str,
        plugin_id: &str,
        sha256: &str,
        settings_json: &str,
        grants_json: &str,
    ) -> DbResult<()> {
        sqlx::query(
            "INSERT INTO plugin_installations (id, tenant_id, plugin_id, package_sha256, position, settings_json, grants_json, updated_at) \
             VALUES ($1, $2, $3, $4, (SELECT COUNT(*) FROM plugin_installations WHERE tenant_id = $2), $5, $6, $7) \
             ON CONFLICT (tenant_id, plugin_id) DO UPDATE SET package_sha256 = excluded.package_sha256, \
             settings_json = excluded.settings_json, grants_json = excluded.grants_json, updated_at = excluded.updated_at",
        )
        .bind(new_id())
        .bind(tenant_id)
        .bind(plugin_id)
        .bind(sha256)
        .bind(settings_json)
        .bind(grants_json)
        .bind(now())
        .execute(&self.pool)
        .await
        .context("installing a plugin")?;
        Ok(())
    }

    /// The tenant's installations in display order.
    pub async fn installations(&self, tenant_id: &str) -> DbResult<Vec<Installation>> {
        sqlx::query_as(&format!(
            "SELECT {INSTALLATION_COLUMNS} FROM plugin_installations WHERE tenant_id = $1 ORDER BY position, plugin_id"
        ))
        .bind(tenant_id)
        .fetch_all(&self.pool)
        .await
        .context("listing installations")
    }

    pub async fn installation(&self, tenant_id: &str, plugin_id: &str) -> DbResult<Option<Installation>> {
        sqlx::query_as(&format!(
            "SELECT {INSTALLATION_COLUMNS} FROM plugin_installations WHERE tenant_id = $1 AND plugin_id = $2"
        ))
        .bind(tenant_id)
        .bind(plugin_id)
        .fetch_optional(&self.pool)
        .await
        .context("loading an installation")
    }

    pub async fn set_plugin_settings(&self, tenant_id: &str, plugin_id: &str, settings_json: &str) -> DbResult<()> {
        sqlx::query("UPDATE plugin_installations SET settings_json = $1, updated_at = $2 WHERE tenant_id = $3 AND plugin_id = $4")
            .bind(settings_json)
            .bind(now())
            .bind(tenant_id)
            .bind(plugin_id)
            .execute(&self.pool)
            .await
            .context("saving plugin settings")?;
        Ok(())
    }

    /// Turn a tenant's section on or off; every instance sees it on its next request.
    pub async fn set_plugin_enabled(&self, tenant_id: &str, plugin_id: &str, enabled: bool) -> DbResult<()> {
        sqlx::query("UPDATE plugin_installations SET enabled = $1, updated_at = $2 WHERE tenant_id = $3 AND plugin_id = $4")
            .bind(i64::from(enabled))
            .bind(now())
            .bind(tenant_id)
            .bind(plugin_id)
            .execute(&self.pool)
            .await
            .context("enabling or disabling a plugin")?;
        Ok(())
    }

    /// Count a failed call so that repeated failures show in the tenant's console.
    pub async fn record_plugin_failure(&self, tenant_id: &str, plugin_id: &str, error: &str) -> DbResult<()> {
        sqlx::query(
            "UPDATE plugin_installations SET failures = failures + 1, last_error = $1, last_error_at = $2 \
             WHERE tenant_id = $3 AND plugin_id = $4",
        )
        .bind(error)
        .bind(now())
        .bind(tenant_id)
        .bind(plugin_id)
        .execute(&self.pool)
        .await
        .context("recording a plugin failure")?;
        Ok(())
    }
}
