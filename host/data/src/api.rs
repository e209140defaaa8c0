//! API keys and the idempotency records of API creates.

use portico_core::ids::{JobId, TenantId};
use super::properties::PROPERTY_COLUMNS;
use super::{Db, TenantDb, DbResult, QueryContext};
use portico_core::model::{new_id, now};

/// An API key as the console lists it (never the key itself).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ApiKey {
    pub id: String,
    pub tenant_id: TenantId,
    pub name: String,
    pub prefix: String,
    pub scopes: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

impl ApiKey {
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.split(',').any(|s| s == scope)
    }
}

const KEY_COLUMNS: &str = "id, tenant_id, name, prefix, scopes, created_at, last_used_at, revoked_at";

/// What an idempotency key already holds.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct IdempotentAnswer {
    pub request_hash: String,
    /// 0 while the first request is still being answered.
    pub status: i64,
    pub response_json: String,
}

/// How long used last is left alone, to spare the database a write per call.
const LAST_USED_EVERY: i64 = 60;

impl Db {

    /// The live key with this hash. The key names its business, as a portal
    /// link's token does: this lookup is how a request finds its tenant.
    pub async fn api_key_by_hash(&self, key_hash: &str) -> DbResult<Option<ApiKey>> {
        let key: Option<ApiKey> =
            sqlx::query_as(&format!("SELECT {KEY_COLUMNS} FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL"))
                .bind(key_hash)
                .fetch_optional(&self.pool)
                .await
                .context("finding an API key")?;
        if let Some(key) = &key
            && key.last_used_at.is_none_or(|at| at < now() - LAST_USED_EVERY)
        {
            sqlx::query("UPDATE api_keys SET last_used_at = $1 WHERE tenant_id = $2 AND id = $3")
                .bind(now())
                .bind(&key.tenant_id)
                .bind(&key.id)
                .execute(&self.pool)
                .await
                .context("noting an API key's use")?;
        }
        Ok(key)
    }
}

impl TenantDb<'_> {
    pub async fn create_api_key(&self, name: &str, prefix: &str, key_hash: &str, scopes: &str, created_by: &str) -> DbResult<String> {
        let id = new_id();
        sqlx::query(
            "INSERT INTO api_keys (id, tenant_id, name, prefix, key_hash, scopes, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&id)
        .bind(self.tenant)
        .bind(name)
        .bind(prefix)
        .bind(key_hash)
        .bind(scopes)
        .bind(created_by)
        .bind(now())
        .execute(&self.db.pool)
        .await
        .context("creating an API key")?;
        Ok(id)
    }

    pub async fn api_keys(&self) -> DbResult<Vec<ApiKey>> {
        sqlx::query_as(&format!("SELECT {KEY_COLUMNS} FROM api_keys WHERE tenant_id = $1 ORDER BY created_at DESC, id"))
            .bind(self.tenant)
            .fetch_all(&self.db.pool)
            .await
            .context("listing API keys")
    }

    /// Revoke a key; true when it was live.
    pub async fn revoke_api_key(&self, key_id: &str) -> DbResult<bool> {
        let done = sqlx::query("UPDATE api_keys SET revoked_at = $1 WHERE tenant_id = $2 AND id = $3 AND revoked_at IS NULL")
            .bind(now())
            .bind(self.tenant)
            .bind(key_id)
            .execute(&self.db.pool)
            .await
            .context("revoking an API key")?;
        Ok(done.rows_affected() == 1)
    }

    /// Claim an idempotency key for a request; `None` when this request is
    /// the first, else what the key already holds.
    pub async fn claim_idempotency_key(&self, key: &str, request_hash: &str) -> DbResult<Option<IdempotentAnswer>> {
        let claimed = sqlx::query(
            "INSERT INTO api_idempotency (tenant_id, idempotency_key, request_hash, status, response_json, created_at) \
             VALUES ($1, $2, $3, 0, '', $4) ON CONFLICT (tenant_id, idempotency_key) DO NOTHING",
        )
        .bind(self.tenant)
        .bind(key)
        .bind(request_hash)
        .bind(now())
        .execute(&self.db.pool)
        .await
        .context("claiming an idempotency key")?;
        if claimed.rows_affected() == 1 {
            return Ok(None);
        }
        sqlx::query_as("SELECT request_hash, status, response_json FROM api_idempotency WHERE tenant_id = $1 AND idempotency_key = $2")
            .bind(self.tenant)
            .bind(key)
            .fetch_optional(&self.db.pool)
            .await
            .context("reading an idempotency key")
    }

    /// Keep the answer of a claimed key, for its replays.
    pub async fn answer_idempotency_key(&self, key: &str, status: u16, response_json: &str) -> DbResult<()> {
        sqlx::query("UPDATE api_idempotency SET status = $1, response_json = $2 WHERE tenant_id = $3 AND idempotency_key = $4")
            .bind(i64::from(status))
            .bind(response_json)
            .bind(self.tenant)
            .bind(key)
            .execute(&self.db.pool)
            .await
            .context("answering an idempotency key")?;
        Ok(())
    }

    /// Give a claimed key back when its request failed, so a retry can run.
    pub async fn release_idempotency_key(&self, key: &str) -> DbResult<()> {
        sqlx::query("DELETE FROM api_idempotency WHERE tenant_id = $1 AND idempotency_key = $2 AND status = 0")
            .bind(self.tenant)
            .bind(key)
            .execute(&self.db.pool)
            .await
            .context("releasing an idempotency key")?;
        Ok(())
    }

    /// One page of the business's jobs with their properties, newest first,
    /// after `after` ((created_at, id) of the last job of the previous page):
    /// one statement however long the page.
    pub async fn jobs_page(&self, after: Option<(i64, &str)>, limit: i64) -> DbResult<Vec<JobOnPage>> {
        // A row value, so that each page starts where the index has it (an
        // OR of the two conditions would walk the pages before it).
        let (at, id) = after.unwrap_or((i64::MAX, ""));
        let rows: Vec<JobRow> = sqlx::query_as(&format!(
            "SELECT j.id AS job_id, j.tenant_id, j.property_id, j.reference, j.status, j.created_at, {PROPERTY_COLUMNS} \
             FROM jobs j JOIN properties p ON p.tenant_id = j.tenant_id AND p.id = j.property_id \
             WHERE j.tenant_id = $1 AND (j.created_at, j.id) < ($2, $3) ORDER BY j.created_at DESC, j.id DESC LIMIT $4"
        ))
        .bind(self.tenant)
        .bind(at)
        .bind(id)
        .bind(limit)
        .fetch_all(&self.db.pool)
        .await
        .context("listing a page of jobs")?;
        Ok(rows
            .into_iter()
            .map(|r| JobOnPage {
                job: portico_core::model::Job { id: r.job_id, tenant_id: r.tenant_id, property_id: r.property_id, reference: r.reference, status: r.status },
                created_at: r.created_at,
                property: r.property,
            })
            .collect())
    }
}

/// A job of a page of the API's list.
#[derive(Debug)]
pub struct JobOnPage {
    pub job: portico_core::model::Job,
    /// Unix seconds: with the id, where the next page starts.
    pub created_at: i64,
    pub property: portico_core::model::Property,
}

#[derive(sqlx::FromRow)]
struct JobRow {
    job_id: JobId,
    tenant_id: TenantId,
    property_id: String,
    reference: String,
    status: String,
    created_at: i64,
    #[sqlx(flatten)]
    property: portico_core::model::Property,
}
