//! The access log: who opened which job, when, how and from where.

use portico_core::ids::{JobId, TenantId};
use super::{Db, TenantDb, DbResult, QueryContext};
use portico_core::model::new_id;

/// A job was opened (queued by the web layer, written later in a batch).
#[derive(Debug, Clone)]
pub struct NewAccess {
    pub tenant_id: TenantId,
    pub job_id: JobId,
    /// `None` for a guest on the job's public link.
    pub contact_id: Option<String>,
    pub session_id: Option<String>,
    pub role: String,
    /// How they got in: link, magic-link, code, password, switch or guest.
    pub via: String,
    pub ip: String,
    pub user_agent: String,
    /// When the page was opened (not when the entry is written).
    pub at: i64,
}

/// One line of the access log as staff read it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AccessEntry {
    pub created_at: i64,
    pub job_id: JobId,
    pub reference: String,
    pub contact_name: Option<String>,
    pub role: String,
    pub via: String,
    pub ip: String,
    pub user_agent: String,
}

/// Page views of the same job by the same session (or, for guests, from the
/// same address, whatever browser they claim to be) within this many seconds
/// make one entry.
const SAME_VISIT: i64 = 30 * 60;

impl Db {
    /// Record that jobs were opened, each once per visit, in one transaction.
    pub async fn record_accesses(&self, accesses: &[NewAccess]) -> DbResult<()> {
        let mut tx = self.pool.begin().await.context("starting to record accesses")?;
        for access in accesses {
            // In order, so an earlier entry of the batch makes a later view of the same visit no entry.
            sqlx::query(
                "INSERT INTO access_log (id, tenant_id, job_id, contact_id, session_id, role, via, ip, user_agent, created_at) \
                 SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10 WHERE NOT EXISTS (\
                    SELECT 1 FROM access_log WHERE tenant_id = $2 AND job_id = $3 AND created_at > $11 \
                    AND ((session_id IS NOT NULL AND session_id = $5) OR (session_id IS NULL AND $5 IS NULL AND ip = $8)))",
            )
            .bind(new_id())
            .bind(&access.tenant_id)
            .bind(&access.job_id)
            .bind(&access.contact_id)
            .bind(&access.session_id)
            .bind(&access.role)
            .bind(&access.via)
            .bind(&access.ip)
            .bind(&access.user_agent)
            .bind(access.at)
            .bind(access.at - SAME_VISIT)
            .execute(&mut *tx)
            .await
            .context("recording an access")?;
        }
        tx.commit().await.context("committing accesses")
    }
}

impl TenantDb<'_> {

    /// The tenant's access log, newest first; one job's when `job_id` is set.
    pub async fn access_log(&self, job_id: Option<&JobId>, limit: i64) -> DbResult<Vec<AccessEntry>> {
        sqlx::query_as(
            "SELECT a.created_at, a.job_id, j.reference, c.name AS contact_name, a.role, a.via, a.ip, a.user_agent \
             FROM access_log a JOIN jobs j ON j.id = a.job_id AND j.tenant_id = a.tenant_id \
             LEFT JOIN contacts c ON c.id = a.contact_id AND c.tenant_id = a.tenant_id \
             WHERE a.tenant_id = $1 AND ($2 IS NULL OR a.job_id = $2) ORDER BY a.created_at DESC, a.id DESC LIMIT $3",
        )
        .bind(self.tenant)
        .bind(job_id)
        .bind(limit)
        .fetch_all(&self.db.pool)
        .await
        .context("reading the access log")
    }
}
