//! Add-on services: the tenant's catalogue and each job's requests; approving
//! one adds an `add-on` line to the job's open invoice in the same transaction.

use portico_core::ids::{JobId, TenantId};
use super::{TenantDb, DbResult, QueryContext};
use portico_core::model::{new_id, now, AddOnStatus};

const SERVICE_COLUMNS: &str = "id, name, description, price_minor, active";
const REQUEST_COLUMNS: &str = "r.id, r.service_id, s.name, s.price_minor, r.requested_by, r.status, r.requested_at, r.decided_by";

/// One job's add-on requests (`which` is `r.job_id = $2`) or several's,
/// oldest first.
pub(crate) fn add_on_requests_sql(which: &str) -> String {
    format!(
        "SELECT r.job_id AS of_job, {REQUEST_COLUMNS} FROM add_on_requests r \
         JOIN add_on_services s ON s.id = r.service_id AND s.tenant_id = r.tenant_id \
         WHERE r.tenant_id = $1 AND {which} ORDER BY r.requested_at, r.id"
    )
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AddOnService {
    pub id: String,
    pub name: String,
    pub description: String,
    pub price_minor: i64,
    pub active: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AddOnRequest {
    pub id: String,
    pub service_id: String,
    pub name: String,
    pub price_minor: i64,
    pub requested_by: String,
    #[sqlx(try_from = "String")]
    pub status: portico_core::model::AddOnStatus,
    pub requested_at: i64,
    pub decided_by: Option<String>,
}

/// How approving a request ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Approved {
    /// Added to this invoice.
    OnInvoice(String),
    /// Already decided, or not found.
    NotPending,
}

impl TenantDb<'_> {
    /// The tenant's catalogue in its order (inactive ones too, for staff).
    pub async fn add_on_services(&self) -> DbResult<Vec<AddOnService>> {
        self.db.read_once("add_on_services", self.tenant, "", || async move {
            sqlx::query_as(&format!("SELECT {SERVICE_COLUMNS} FROM add_on_services WHERE tenant_id = $1 ORDER BY position, created_at"))
                .bind(self.tenant)
                .fetch_all(&self.db.pool)
                .await
                .context("listing add-on services")
        })
        .await
    }

    pub async fn create_add_on_service(&self, name: &str, description: &str, price_minor: i64) -> DbResult<String> {
        let id = new_id();
        sqlx::query(
            "INSERT INTO add_on_services (id, tenant_id, name, description, price_minor, position, created_at) \
             VALUES ($1, $2, $3, $4, $5, (SELECT COUNT(*) FROM add_on_services WHERE tenant_id = $2), $6)",
        )
        .bind(&id)
        .bind(self.tenant)
        .bind(name)
        .bind(description)
        .bind(price_minor)
        .bind(now())
        .execute(&self.db.pool)
        .await
        .context("adding an add-on service")?;
        Ok(id)
    }

    /// Offer the add-on again, or stop offering it (requests already made stay).
    pub async fn set_add_on_active(&self, service_id: &str, active: bool) -> DbResult<bool> {
        let changed = sqlx::query("UPDATE add_on_services SET active = $1 WHERE tenant_id = $2 AND id = $3")
            .bind(i64::from(active))
            .bind(self.tenant)
            .bind(service_id)
            .execute(&self.db.pool)
            .await
            .context("switching an add-on service")?;
        Ok(changed.rows_affected() == 1)
    }

    /// The job's requests, oldest first.
    pub async fn add_on_requests(&self, job_id: &JobId) -> DbResult<Vec<AddOnRequest>> {
        self.db.read_once("add_on_requests", self.tenant, job_id.as_str(), || async move {
            sqlx::query_as(&add_on_requests_sql("r.job_id = $2"))
            .bind(self.tenant)
            .bind(job_id)
            .fetch_all(&self.db.pool)
            .await
            .context("listing add-on requests")
        })
        .await
    }

    /// Ask for an active add-on on the job; false when it was already asked for.
    pub async fn request_add_on(&self, job_id: &JobId, service_id: &str, requested_by: &str) -> DbResult<bool> {
        let stored = sqlx::query(
            "INSERT INTO add_on_requests (id, tenant_id, job_id, service_id, requested_by, status, requested_at) \
             SELECT $1, $2, $3, s.id, $4, 'requested', $5 FROM add_on_services s WHERE s.tenant_id = $2 AND s.id = $6 AND s.active = 1 \
             ON CONFLICT (tenant_id, job_id, service_id) DO NOTHING",
        )
        .bind(new_id())
        .bind(self.tenant)
        .bind(job_id)
        .bind(requested_by)
        .bind(now())
        .bind(service_id)
        .execute(&self.db.pool)
        .await
        .context("requesting an add-on")?;
        Ok(stored.rows_affected() == 1)
    }

    /// Decline a pending request; false when it was not pending.
    pub async fn decline_add_on(&self, job_id: &JobId, request_id: &str, decided_by: &str) -> DbResult<bool> {
        decide(&self.db.pool, (self.tenant, job_id, request_id), AddOnStatus::Declined, decided_by).await
    }

    /// Approve a pending request: mark it and add its line to `invoice_id`
    /// (an open invoice of the job), all or nothing. The caller recomputes
    /// the invoice afterwards.
    pub async fn approve_add_on(&self, job_id: &JobId, request_id: &str, invoice_id: &str, decided_by: &str) -> DbResult<Approved> {
        let mut tx = self.db.pool.begin().await.context("starting a transaction")?;
        if !decide(&mut *tx, (self.tenant, job_id, request_id), AddOnStatus::Approved, decided_by).await? {
            return Ok(Approved::NotPending);
        }
        sqlx::query(
            "INSERT INTO invoice_lines (id, tenant_id, invoice_id, kind, description, quantity, unit_price_minor, position) \
             SELECT $1, $2, i.id, 'add-on', s.name, 1, s.price_minor, (SELECT COUNT(*) FROM invoice_lines WHERE tenant_id = $2 AND invoice_id = i.id) \
             FROM invoices i, add_on_requests r JOIN add_on_services s ON s.id = r.service_id AND s.tenant_id = r.tenant_id \
             WHERE i.tenant_id = $2 AND i.job_id = $3 AND i.id = $4 AND r.tenant_id = $2 AND r.id = $5",
        )
        .bind(new_id())
        .bind(self.tenant)
        .bind(job_id)
        .bind(invoice_id)
        .bind(request_id)
        .execute(&mut *tx)
        .await
        .context("adding an add-on to the invoice")?;
        tx.commit().await.context("committing an add-on approval")?;
        Ok(Approved::OnInvoice(invoice_id.to_string()))
    }
}

/// Move a pending request to `status`; false when it was not pending.
async fn decide<'e>(
    executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
    (tenant_id, job_id, request_id): (&TenantId, &JobId, &str),
    status: AddOnStatus,
    decided_by: &str,
) -> DbResult<bool> {
    let changed = sqlx::query(
        "UPDATE add_on_requests SET status = $1, decided_by = $2, decided_at = $3 \
         WHERE tenant_id = $4 AND job_id = $5 AND id = $6 AND status = 'requested'",
    )
    .bind(status.as_str())
    .bind(decided_by)
    .bind(now())
    .bind(tenant_id)
    .bind(job_id)
    .bind(request_id)
    .execute(executor)
    .await
    .context("deciding an add-on request")?;
    Ok(changed.rows_affected() == 1)
}
