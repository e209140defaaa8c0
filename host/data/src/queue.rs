//! Delivery queues (the mail outbox, webhook deliveries): rows that are
//! `queued` until a worker delivers them, leased so that one worker at a time
//! holds each.

use super::{Backend, Db, DbResult, QueryContext};
use portico_core::model::now;

/// Lease up to `limit` due rows of `table` to `worker` for `lease_seconds`,
/// returning `returning` of each as `T`.
pub(super) async fn lease<T>(db: &Db, table: &str, returning: &str, (worker, limit, lease_seconds): (&str, i64, i64), context: &'static str) -> DbResult<Vec<T>>
where
    T: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow> + Send + Unpin,
{
    let now = now();
    sqlx::query_as(&lease_statement(db.backend, table, returning))
        .bind(now + lease_seconds)
        .bind(worker)
        .bind(now)
        .bind(limit)
        .fetch_all(&db.pool)
        .await
        .context(context)
}

/// A leased row of `table` (`id`, held by `worker`) failed: queue it again
/// for `retry_at`, or mark it failed for good when `None`.
pub(super) async fn failed(
    db: &super::TenantDb<'_>,
    table: &str,
    (id, worker): (&str, &str),
    error: &str,
    retry_at: Option<i64>,
    context: &'static str,
) -> DbResult<()> {
    let status = if retry_at.is_some() { "queued" } else { "failed" };
    sqlx::query(&format!(
        "UPDATE {table} SET status = $1, next_attempt_at = $2, lease_until = NULL, last_error = $3 \
         WHERE tenant_id = $4 AND id = $5 AND leased_by = $6"
    ))
    .bind(status)
    .bind(retry_at.unwrap_or_else(now))
    .bind(error)
    .bind(db.tenant)
    .bind(id)
    .bind(worker)
    .execute(&db.db.pool)
    .await
    .context(context)?;
    Ok(())
}

/// The statement that leases up to `$4` due rows of `table` to worker `$2`
/// until `$1`, `$3` being now, and returns `returning` of each.
///
/// One statement claims them: the outer `WHERE` re-checks the lease, so two
/// workers racing for a row cannot both win it (PostgreSQL re-evaluates it on
/// the locked row; SQLite has one writer at a time). On PostgreSQL,
/// `SKIP LOCKED` lets a second worker take other rows instead of waiting.
/// The table has `status`, `next_attempt_at`, `lease_until`, `leased_by`,
/// `attempts` and `created_at`.
fn lease_statement(backend: Backend, table: &str, returning: &str) -> String {
    let skip_locked = match backend {
        Backend::Postgres => "FOR UPDATE SKIP LOCKED",
        Backend::Sqlite => "",
    };
    format!(
        "UPDATE {table} SET lease_until = $1, leased_by = $2, attempts = attempts + 1 \
         WHERE id IN (SELECT id FROM {table} WHERE status = 'queued' AND next_attempt_at <= $3 \
                      AND (lease_until IS NULL OR lease_until < $3) ORDER BY created_at LIMIT $4 {skip_locked}) \
         AND status = 'queued' AND (lease_until IS NULL OR lease_until < $3) \
         RETURNING {returning}"
    )
}
