//! Plugin-scoped key/value storage, with the quotas of the WIT contract.

use portico_core::ids::{JobId, TenantId};
use super::{TenantDb, DbError, DbResult, QueryContext};
use portico_core::model::now;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

/// Whose value it is: the ids are filled in by the host from the call, never by
/// the plugin.
#[derive(Debug, Clone, Copy)]
pub enum StorageScope<'a> {
    Tenant,
    Job(&'a JobId),
    Contact(&'a str),
}

impl StorageScope<'_> {
    fn parts<'s>(&'s self, tenant_id: &'s str) -> (&'static str, &'s str) {
        match self {
            StorageScope::Tenant => ("tenant", tenant_id),
            StorageScope::Job(job_id) => ("job", job_id.as_str()),
            StorageScope::Contact(job_contact_id) => ("contact", job_contact_id),
        }
    }
}

/// One entry a section keeps, as a job page's snapshot read it: `value` is
/// `None` when it is too long to keep there (it is read when asked for).
pub(crate) struct StoredEntry {
    pub plugin_id: String,
    pub scope: String,
    pub scope_id: String,
    pub key: String,
    pub value: Option<String>,
}

/// What every section keeps for one job and for each of its people, read
/// with the job's page ([`TenantDb::prefetch_job`]): a render's storage
/// reads are answered from it, without a statement each.
pub(crate) struct StoredOnPage {
    /// The scopes read whole: the job's and its people's.
    covered: HashSet<(&'static str, String)>,
    /// By section and scope, each key (in byte order) and its value if kept.
    entries: HashMap<(String, String, String), BTreeMap<String, Option<String>>>,
}

impl StoredOnPage {
    /// The snapshot's read it is kept under.
    pub(crate) const READ: &'static str = "section_storage";

    pub(crate) fn new<'p>(job_id: &JobId, people: impl Iterator<Item = &'p str>, found: Vec<StoredEntry>) -> StoredOnPage {
        let mut covered: HashSet<(&'static str, String)> = people.map(|person| ("contact", person.to_string())).collect();
        covered.insert(("job", job_id.as_str().to_string()));
        let mut entries: HashMap<_, BTreeMap<_, _>> = HashMap::new();
        for entry in found {
            entries.entry((entry.plugin_id, entry.scope, entry.scope_id)).or_default().insert(entry.key, entry.value);
        }
        StoredOnPage { covered, entries }
    }

    /// The section's entries in `scope`, if that scope was read whole.
    fn of(&self, plugin_id: &str, scope: &'static str, scope_id: &str) -> Option<Option<&BTreeMap<String, Option<String>>>> {
        if !self.covered.contains(&(scope, scope_id.to_string())) {
            return None;
        }
        Some(self.entries.get(&(plugin_id.to_string(), scope.to_string(), scope_id.to_string())))
    }

    /// `Some(value)` when the page knows it: `Some(None)` for a key never stored.
    fn get(&self, plugin_id: &str, scope: &'static str, scope_id: &str, key: &str) -> Option<Option<String>> {
        match self.of(plugin_id, scope, scope_id)?.and_then(|entries| entries.get(key)) {
            None => Some(None),
            Some(Some(value)) => Some(Some(value.clone())),
            Some(None) => None,
        }
    }

    /// The keys starting with `prefix`, in byte order, at most `limit`.
    fn keys(&self, plugin_id: &str, scope: &'static str, scope_id: &str, prefix: &str, limit: usize) -> Option<Vec<String>> {
        let entries = self.of(plugin_id, scope, scope_id)?;
        Some(
            entries
                .into_iter()
                .flat_map(|entries| entries.range(prefix.to_string()..))
                .map(|(key, _)| key)
                .take_while(|key| key.starts_with(prefix))
                .take(limit)
                .cloned()
                .collect(),
        )
    }
}

/// The most keys `list-keys` answers.
const LISTED_KEYS: usize = 1000;

/// The SQL for a storage row's size in bytes (UTF-8), key and value: SQLite's
/// `LENGTH` of text counts characters, so it measures the text as a blob.
fn entry_bytes(backend: super::Backend) -> &'static str {
    match backend {
        super::Backend::Sqlite => "LENGTH(CAST(key AS BLOB)) + LENGTH(CAST(value AS BLOB))",
        super::Backend::Postgres => "OCTET_LENGTH(key) + OCTET_LENGTH(value)",
    }
}

/// Lock the quota row of one section for one business until `tx` ends: what
/// the section used cannot change meanwhile (storage writes and mail queued
/// both take it).
pub(super) async fn lock_section_quotas(tx: &mut sqlx::Transaction<'_, sqlx::Any>, tenant_id: &TenantId, plugin_id: &str) -> DbResult<()> {
    sqlx::query(
        "INSERT INTO section_quota_locks (tenant_id, plugin_id, writes) VALUES ($1, $2, 1) \
         ON CONFLICT (tenant_id, plugin_id) DO UPDATE SET writes = section_quota_locks.writes + 1",
    )
    .bind(tenant_id)
    .bind(plugin_id)
    .execute(&mut **tx)
    .await
    .context("locking a section's quotas")?;
    Ok(())
}

/// Total bytes (keys and values) one plugin may keep for one tenant.
pub const PLUGIN_QUOTA_BYTES: i64 = 10 * 1024 * 1024;

impl TenantDb<'_> {
    /// What a render's job page read of the sections' storage, if this is
    /// such a render.
    fn stored_on_page(&self) -> Option<Arc<StoredOnPage>> {
        self.db.kept(StoredOnPage::READ, self.tenant, "")
    }

    pub async fn storage_get(&self, plugin_id: &str, scope: StorageScope<'_>, key: &str) -> DbResult<Option<String>> {
        let (scope, scope_id) = scope.parts(self.tenant.as_str());
        if let Some(known) = self.stored_on_page().and_then(|page| page.get(plugin_id, scope, scope_id, key)) {
            return Ok(known);
        }
        sqlx::query_scalar(
            "SELECT value FROM plugin_storage WHERE tenant_id = $1 AND plugin_id = $2 AND scope = $3 AND scope_id = $4 AND key = $5",
        )
        .bind(self.tenant)
        .bind(plugin_id)
        .bind(scope)
        .bind(scope_id)
        .bind(key)
        .fetch_optional(&self.db.pool)
        .await
        .context("reading plugin storage")
    }

    /// Store a value; with `only_if_absent`, an existing value wins and `false`
    /// is returned. The quota counts bytes (UTF-8), not characters, and holds
    /// under concurrent writes: every write of one section for one business
    /// first locks that pair's row in `section_quota_locks`, so the usage it
    /// measures cannot change until it commits.
    pub async fn storage_put(
        &self,
        plugin_id: &str,
        scope: StorageScope<'_>,
        key: &str,
        value: &str,
        only_if_absent: bool,
    ) -> DbResult<bool> {
        let (scope, scope_id) = scope.parts(self.tenant.as_str());
        let mut tx = self.db.pool.begin().await.context("starting a storage write")?;
        lock_section_quotas(&mut tx, self.tenant, plugin_id).await?;
        let used: i64 = sqlx::query_scalar(&format!(
            "SELECT CAST(COALESCE(SUM({}), 0) AS BIGINT) FROM plugin_storage \
             WHERE tenant_id = $1 AND plugin_id = $2 AND NOT (scope = $3 AND scope_id = $4 AND key = $5)",
            entry_bytes(self.db.backend)
        ))
        .bind(self.tenant)
        .bind(plugin_id)
        .bind(scope)
        .bind(scope_id)
        .bind(key)
        .fetch_one(&mut *tx)
        .await
        .context("measuring plugin storage")?;
        if used + (key.len() + value.len()) as i64 > PLUGIN_QUOTA_BYTES {
            return Err(DbError::Invalid(format!("storage quota of {} MiB reached", PLUGIN_QUOTA_BYTES >> 20)));
        }
        let conflict = if only_if_absent { "DO NOTHING" } else { "DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at" };
        let result = sqlx::query(&format!(
            "INSERT INTO plugin_storage (tenant_id, plugin_id, scope, scope_id, key, value, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (tenant_id, plugin_id, scope, scope_id, key) {conflict}"
        ))
        .bind(self.tenant)
        .bind(plugin_id)
        .bind(scope)
        .bind(scope_id)
        .bind(key)
        .bind(value)
        .bind(now())
        .execute(&mut *tx)
        .await
        .context("writing plugin storage")?;
        tx.commit().await.context("committing a storage write")?;
        Ok(result.rows_affected() > 0)
    }

    /// The bytes (UTF-8, keys and values) a section keeps for a business.
    pub async fn plugin_storage_bytes(&self, plugin_id: &str) -> DbResult<i64> {
        sqlx::query_scalar(&format!(
            "SELECT CAST(COALESCE(SUM({}), 0) AS BIGINT) FROM plugin_storage WHERE tenant_id = $1 AND plugin_id = $2",
            entry_bytes(self.db.backend)
        ))
            .bind(self.tenant)
            .bind(plugin_id)
            .fetch_one(&self.db.pool)
            .await
            .context("measuring a section's storage")
    }

    pub async fn storage_delete(&self, plugin_id: &str, scope: StorageScope<'_>, key: &str) -> DbResult<()> {
        let (scope, scope_id) = scope.parts(self.tenant.as_str());
        sqlx::query(
            "DELETE FROM plugin_storage WHERE tenant_id = $1 AND plugin_id = $2 AND scope = $3 AND scope_id = $4 AND key = $5",
        )
        .bind(self.tenant)
        .bind(plugin_id)
        .bind(scope)
        .bind(scope_id)
        .bind(key)
        .execute(&self.db.pool)
        .await
        .context("deleting from plugin storage")?;
        Ok(())
    }

    /// The keys starting with `prefix`, in byte order (whatever the
    /// database's collation), at most [`LISTED_KEYS`].
    pub async fn storage_keys(&self, plugin_id: &str, scope: StorageScope<'_>, prefix: &str) -> DbResult<Vec<String>> {
        let (scope, scope_id) = scope.parts(self.tenant.as_str());
        if let Some(keys) = self.stored_on_page().and_then(|page| page.keys(plugin_id, scope, scope_id, prefix, LISTED_KEYS)) {
            return Ok(keys);
        }
        let bytewise = match self.db.backend {
            super::Backend::Sqlite => "key",
            super::Backend::Postgres => "key COLLATE \"C\"",
        };
        sqlx::query_scalar(&format!(
            "SELECT key FROM plugin_storage WHERE tenant_id = $1 AND plugin_id = $2 AND scope = $3 AND scope_id = $4 \
             AND substr(key, 1, length($5)) = $5 ORDER BY {bytewise} LIMIT {LISTED_KEYS}",
        ))
        .bind(self.tenant)
        .bind(plugin_id)
        .bind(scope)
        .bind(scope_id)
        .bind(prefix)
        .fetch_all(&self.db.pool)
        .await
        .context("listing plugin storage keys")
    }
}
