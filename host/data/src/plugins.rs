//! Plugin packages (code, by hash) and installations (a tenant's use of one).

use portico_core::ids::TenantId;
use super::{Db, TenantDb, DbResult, QueryContext};
use portico_core::model::{new_id, now};

/// A plugin installed by a tenant.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Installation {
    pub id: String,
    pub tenant_id: TenantId,
    pub plugin_id: String,
    pub package_sha256: String,
    /// 1 when enabled, 0 when not (integers, the same on every backend).
    pub enabled: i64,
    pub position: i64,
    pub settings_json: String,
    pub grants_json: String,
    pub failures: i64,
    pub last_error: Option<String>,
    pub last_error_at: Option<i64>,
    /// A newer package waiting for the tenant's consent to what more it asks.
    pub pending_sha256: Option<String>,
    /// The tenant's placement of the plugin's cards (`{"card": "" | "Tab"}`).
    pub placements_json: String,
}

const INSTALLATION_COLUMNS: &str = "id, tenant_id, plugin_id, package_sha256, enabled, position, settings_json, \
     grants_json, failures, last_error, last_error_at, pending_sha256, placements_json";

/// A registered package as the console lists it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PackageRow {
    pub sha256: String,
    pub plugin_id: String,
    pub version: String,
    pub descriptor_json: String,
    /// `builtin` or `upload`.
    pub origin: String,
    /// 1 when the operator offers it to every tenant.
    pub published: i64,
    pub created_at: i64,
}

const PACKAGE_COLUMNS: &str = "p.sha256, p.plugin_id, p.version, p.descriptor_json, p.origin, p.published, p.created_at";

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

    /// Every package some installation runs or awaits consent for, in any
    /// business (operator's work, like the outbox).
    pub async fn packages_in_use(&self) -> DbResult<Vec<String>> {
        sqlx::query_scalar(
            "SELECT package_sha256 FROM plugin_installations \
             UNION SELECT pending_sha256 FROM plugin_installations WHERE pending_sha256 IS NOT NULL",
        )
        .fetch_all(&self.pool)
        .await
        .context("listing the packages in use")
    }

    /// Any registered package by hash: for the host's own bookkeeping (what an
    /// installation runs), never to decide what a tenant may see.
    pub async fn package(&self, sha256: &str) -> DbResult<Option<PackageRow>> {
        sqlx::query_as(&format!("SELECT {PACKAGE_COLUMNS} FROM plugin_packages p WHERE p.sha256 = $1"))
            .bind(sha256)
            .fetch_optional(&self.pool)
            .await
            .context("loading a package")
    }

    /// The operator offers an uploaded package to every tenant, or stops
    /// offering it (tenants that installed it keep it). Operator-wide by
    /// nature: no tenant owns this decision. Returns false for an unknown
    /// package or a first-party one.
    pub async fn set_package_published(&self, sha256: &str, published: bool) -> DbResult<bool> {
        let done = sqlx::query("UPDATE plugin_packages SET published = $1 WHERE sha256 = $2 AND origin = 'upload'")
            .bind(i64::from(published))
            .bind(sha256)
            .execute(&self.pool)
            .await
            .context("publishing a package")?;
        Ok(done.rows_affected() == 1)
    }
}

impl TenantDb<'_> {

    /// Install a plugin for a tenant at the end of its list, or point an existing
    /// installation at a new package. Grants are replaced by `grants_json`.
    pub async fn install_plugin(
        &self,
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
        .bind(self.tenant)
        .bind(plugin_id)
        .bind(sha256)
        .bind(settings_json)
        .bind(grants_json)
        .bind(now())
        .execute(&self.db.pool)
        .await
        .context("installing a plugin")?;
        self.db.forget_business(self.tenant);
        Ok(())
    }

    /// How many packages `tenant_id` uploaded since `since`.
    pub async fn uploads_since(&self, since: i64) -> DbResult<i64> {
        sqlx::query_scalar("SELECT COUNT(*) FROM plugin_uploads WHERE tenant_id = $1 AND uploaded_at >= $2")
            .bind(self.tenant)
            .bind(since)
            .fetch_one(&self.db.pool)
            .await
            .context("counting recent uploads")
    }

    /// Whether `tenant_id` already uploaded `sha256`.
    pub async fn uploaded(&self, sha256: &str) -> DbResult<bool> {
        let found: Option<i64> = sqlx::query_scalar("SELECT 1 FROM plugin_uploads WHERE tenant_id = $1 AND sha256 = $2")
            .bind(self.tenant)
            .bind(sha256)
            .fetch_optional(&self.db.pool)
            .await
            .context("looking up an upload")?;
        Ok(found.is_some())
    }

    /// Remember that `tenant_id` uploaded the package `sha256`, so that it
    /// sees it (and only it, until the operator publishes the package).
    pub async fn record_upload(&self, sha256: &str, uploaded_by: &str) -> DbResult<()> {
        sqlx::query(
            "INSERT INTO plugin_uploads (tenant_id, sha256, uploaded_by, uploaded_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (tenant_id, sha256) DO NOTHING",
        )
        .bind(self.tenant)
        .bind(sha256)
        .bind(uploaded_by)
        .bind(now())
        .execute(&self.db.pool)
        .await
        .context("recording an upload")?;
        Ok(())
    }

    /// An uploaded package, if `tenant_id` may see it: it uploaded it, or the
    /// operator published it.
    pub async fn visible_upload(&self, sha256: &str) -> DbResult<Option<PackageRow>> {
        sqlx::query_as(&format!(
            "SELECT {PACKAGE_COLUMNS} FROM plugin_packages p WHERE p.sha256 = $1 AND p.origin = 'upload' \
             AND (p.published = 1 OR EXISTS (SELECT 1 FROM plugin_uploads u WHERE u.sha256 = p.sha256 AND u.tenant_id = $2))"
        ))
        .bind(sha256)
        .bind(self.tenant)
        .fetch_optional(&self.db.pool)
        .await
        .context("loading an uploaded package")
    }

    /// Every uploaded package `tenant_id` may see, newest first.
    pub async fn visible_uploads(&self) -> DbResult<Vec<PackageRow>> {
        sqlx::query_as(&format!(
            "SELECT {PACKAGE_COLUMNS} FROM plugin_packages p WHERE p.origin = 'upload' \
             AND (p.published = 1 OR EXISTS (SELECT 1 FROM plugin_uploads u WHERE u.sha256 = p.sha256 AND u.tenant_id = $1)) \
             ORDER BY p.created_at DESC, p.plugin_id"
        ))
        .bind(self.tenant)
        .fetch_all(&self.db.pool)
        .await
        .context("listing uploaded packages")
    }

    /// Point an installation at a package with these grants, clearing any
    /// upgrade that was waiting.
    pub async fn set_installed_package(&self, plugin_id: &str, sha256: &str, grants_json: &str) -> DbResult<()> {
        sqlx::query(
            "UPDATE plugin_installations SET package_sha256 = $1, grants_json = $2, pending_sha256 = NULL, updated_at = $3 \
             WHERE tenant_id = $4 AND plugin_id = $5",
        )
        .bind(sha256)
        .bind(grants_json)
        .bind(now())
        .bind(self.tenant)
        .bind(plugin_id)
        .execute(&self.db.pool)
        .await
        .context("upgrading an installation")?;
        self.db.forget_business(self.tenant);
        Ok(())
    }

    /// Park a newer package until the tenant consents to it (`None` clears it).
    pub async fn set_pending_package(&self, plugin_id: &str, sha256: Option<&str>) -> DbResult<()> {
        sqlx::query("UPDATE plugin_installations SET pending_sha256 = $1, updated_at = $2 WHERE tenant_id = $3 AND plugin_id = $4")
            .bind(sha256)
            .bind(now())
            .bind(self.tenant)
            .bind(plugin_id)
            .execute(&self.db.pool)
            .await
            .context("recording a pending upgrade")?;
        self.db.forget_business(self.tenant);
        Ok(())
    }

    pub async fn set_plugin_grants(&self, plugin_id: &str, grants_json: &str) -> DbResult<()> {
        self.set_installation_column(plugin_id, "grants_json", grants_json, "saving a plugin's grants").await
    }

    pub async fn set_plugin_placements(&self, plugin_id: &str, placements_json: &str) -> DbResult<()> {
        self.set_installation_column(plugin_id, "placements_json", placements_json, "saving a plugin's placement").await
    }

    /// Give the tenant's installations the order of `plugin_ids` (0, 1, 2…),
    /// in one statement so that two reorders never interleave, and so that
    /// on PostgreSQL it locks every row it moves before its triggers count
    /// the change (row by row, it could deadlock with another change).
    pub async fn reorder_installations(&self, plugin_ids: &[String]) -> DbResult<()> {
        if plugin_ids.is_empty() {
            return Ok(());
        }
        let positions: String = (0..plugin_ids.len()).map(|position| format!(" WHEN ${} THEN {position}", position + 3)).collect();
        let sql = format!(
            "UPDATE plugin_installations SET position = CASE plugin_id{positions} ELSE position END, updated_at = $2 \
             WHERE tenant_id = $1 AND plugin_id IN ({})",
            super::jobs::placeholders(3, plugin_ids.len())
        );
        let mut query = sqlx::query(&sql).bind(self.tenant).bind(now());
        for plugin_id in plugin_ids {
            query = query.bind(plugin_id);
        }
        query.execute(&self.db.pool).await.context("reordering sections")?;
        self.db.forget_business(self.tenant);
        Ok(())
    }

    /// The tenant's installations in display order.
    pub async fn installations(&self) -> DbResult<Vec<Installation>> {
        self.db.read_shared("installations", self.tenant, || async move {
            sqlx::query_as(&format!(
                "SELECT {INSTALLATION_COLUMNS} FROM plugin_installations WHERE tenant_id = $1 ORDER BY position, plugin_id"
            ))
            .bind(self.tenant)
            .fetch_all(&self.db.pool)
            .await
            .context("listing installations")
        })
        .await
    }

    /// The tenant's enabled sections with the descriptor of the package
    /// each runs (what cards it shows, and to whom).
    pub async fn enabled_descriptors(&self) -> DbResult<Vec<(String, String)>> {
        sqlx::query_as(
            "SELECT i.plugin_id, p.descriptor_json FROM plugin_installations i \
             JOIN plugin_packages p ON p.sha256 = i.package_sha256 WHERE i.tenant_id = $1 AND i.enabled = 1",
        )
        .bind(self.tenant)
        .fetch_all(&self.db.pool)
        .await
        .context("listing the enabled sections' descriptors")
    }

    pub async fn installation(&self, plugin_id: &str) -> DbResult<Option<Installation>> {
        sqlx::query_as(&format!(
            "SELECT {INSTALLATION_COLUMNS} FROM plugin_installations WHERE tenant_id = $1 AND plugin_id = $2"
        ))
        .bind(self.tenant)
        .bind(plugin_id)
        .fetch_optional(&self.db.pool)
        .await
        .context("loading an installation")
    }

    pub async fn set_plugin_settings(&self, plugin_id: &str, settings_json: &str) -> DbResult<()> {
        self.set_installation_column(plugin_id, "settings_json", settings_json, "saving plugin settings").await
    }

    /// Set one text column of an installation. `column` is one of this
    /// module's own names, never input.
    async fn set_installation_column(&self, plugin_id: &str, column: &'static str, value: &str, context: &'static str) -> DbResult<()> {
        sqlx::query(&format!("UPDATE plugin_installations SET {column} = $1, updated_at = $2 WHERE tenant_id = $3 AND plugin_id = $4"))
            .bind(value)
            .bind(now())
            .bind(self.tenant)
            .bind(plugin_id)
            .execute(&self.db.pool)
            .await
            .context(context)?;
        self.db.forget_business(self.tenant);
        Ok(())
    }

    /// Turn a tenant's section on or off: this instance shows it on its next
    /// page, the others once PostgreSQL's notification reaches them.
    pub async fn set_plugin_enabled(&self, plugin_id: &str, enabled: bool) -> DbResult<()> {
        sqlx::query("UPDATE plugin_installations SET enabled = $1, updated_at = $2 WHERE tenant_id = $3 AND plugin_id = $4")
            .bind(i64::from(enabled))
            .bind(now())
            .bind(self.tenant)
            .bind(plugin_id)
            .execute(&self.db.pool)
            .await
            .context("enabling or disabling a plugin")?;
        self.db.forget_business(self.tenant);
        Ok(())
    }

    /// Count a failed call so that repeated failures show in the tenant's console.
    pub async fn record_plugin_failure(&self, plugin_id: &str, error: &str) -> DbResult<()> {
        sqlx::query(
            "UPDATE plugin_installations SET failures = failures + 1, last_error = $1, last_error_at = $2 \
             WHERE tenant_id = $3 AND plugin_id = $4",
        )
        .bind(error)
        .bind(now())
        .bind(self.tenant)
        .bind(plugin_id)
        .execute(&self.db.pool)
        .await
        .context("recording a plugin failure")?;
        Ok(())
    }
}

impl Db {
    /// Every business's installations of `packages`' plugins ((plugin id,
    /// sha256) pairs) that run another package: those an upgrade may move.
    /// One statement, however many businesses (a start-up asks it).
    pub async fn installations_not_on(&self, packages: &[(&str, &str)]) -> DbResult<Vec<Installation>> {
        if packages.is_empty() {
            return Ok(Vec::new());
        }
        let plugins = super::jobs::placeholders(1, packages.len());
        let packages_sql = super::jobs::placeholders(1 + packages.len(), packages.len());
        let sql = format!(
            "SELECT {INSTALLATION_COLUMNS} FROM plugin_installations WHERE plugin_id IN ({plugins}) AND package_sha256 NOT IN ({packages_sql}) \
             ORDER BY tenant_id, position, plugin_id"
        );
        let mut query = sqlx::query_as(&sql);
        for (plugin_id, _) in packages {
            query = query.bind(*plugin_id);
        }
        for (_, sha256) in packages {
            query = query.bind(*sha256);
        }
        query.fetch_all(&self.pool).await.context("finding installations to upgrade")
    }
}
