//! Service requests: a client's ask for work, kept beside the conversation
//! it opened, until the office books it as a job or closes it. Deciding is
//! one conditional UPDATE, so two members of the office deciding at once
//! decide once.

use super::tenants::lock_business;
use super::{DbResult, QueryContext, TenantDb};
use portico_core::ids::JobId;
use portico_core::model::now;
use portico_core::requests::RequestStatus;

/// A request as stored, with its client's name and, for one of their
/// properties, its name.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ServiceRequest {
    pub id: String,
    pub number: String,
    pub contact_id: String,
    pub contact_name: String,
    pub property_id: Option<String>,
    pub property_name: Option<String>,
    pub line1: String,
    pub city: String,
    pub region: String,
    pub postal_code: String,
    pub description: String,
    /// JSON list of `PreferredVisit`.
    pub preferred: String,
    pub conversation_id: String,
    #[sqlx(try_from = "String")]
    pub status: RequestStatus,
    pub job_id: Option<JobId>,
    pub created_at: i64,
    pub decided_at: Option<i64>,
    pub decided_by: Option<String>,
}

impl ServiceRequest {
    /// The address on one line ("18 Shore Road, Cape Elizabeth, ME 04107").
    pub fn address(&self) -> String {
        let region = [self.region.as_str(), self.postal_code.as_str()].iter().filter(|part| !part.is_empty()).copied().collect::<Vec<_>>().join(" ");
        [self.line1.as_str(), self.city.as_str(), region.as_str()].iter().filter(|part| !part.is_empty()).copied().collect::<Vec<_>>().join(", ")
    }

    /// The place as the client knows it: the property's name, else the address.
    pub fn place(&self) -> String {
        self.property_name.clone().filter(|name| !name.is_empty()).unwrap_or_else(|| self.address())
    }
}

/// A request to keep. The address is the property's when one is chosen.
pub struct NewRequest<'a> {
    pub id: &'a str,
    pub contact_id: &'a str,
    pub property_id: Option<&'a str>,
    pub address: [&'a str; 4],
    pub description: &'a str,
    pub preferred_json: &'a str,
    pub conversation_id: &'a str,
}

const REQUEST_COLUMNS: &str = "r.id, r.number, r.contact_id, c.name AS contact_name, r.property_id, p.name AS property_name, \
     r.line1, r.city, r.region, r.postal_code, r.description, r.preferred, r.conversation_id, r.status, r.job_id, r.created_at, r.decided_at, r.decided_by \
     FROM service_requests r JOIN contacts c ON c.id = r.contact_id AND c.tenant_id = r.tenant_id \
     LEFT JOIN properties p ON p.id = r.property_id AND p.tenant_id = r.tenant_id";

impl TenantDb<'_> {
    /// Keep a request; its number is the business's next ("R-0007").
    pub async fn create_request(&self, new: &NewRequest<'_>) -> DbResult<String> {
        let mut tx = self.db.pool.begin().await.context("starting a transaction")?;
        // The business's lock (SQLite's write lock) numbers requests one at a time.
        lock_business(&mut tx, self.tenant).await?;
        let (count,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM service_requests WHERE tenant_id = $1")
            .bind(self.tenant)
            .fetch_one(&mut *tx)
            .await
            .context("counting requests")?;
        let number = format!("R-{:04}", count + 1);
        let [line1, city, region, postal_code] = new.address;
        sqlx::query(
            "INSERT INTO service_requests (id, tenant_id, number, contact_id, property_id, line1, city, region, postal_code, description, preferred, conversation_id, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        )
        .bind(new.id)
        .bind(self.tenant)
        .bind(&number)
        .bind(new.contact_id)
        .bind(new.property_id)
        .bind(line1)
        .bind(city)
        .bind(region)
        .bind(postal_code)
        .bind(new.description)
        .bind(new.preferred_json)
        .bind(new.conversation_id)
        .bind(now())
        .execute(&mut *tx)
        .await
        .context("adding a request")?;
        tx.commit().await.context("committing a request")?;
        Ok(number)
    }

    /// One request of the business.
    pub async fn service_request(&self, id: &str) -> DbResult<Option<ServiceRequest>> {
        sqlx::query_as(&format!("SELECT {REQUEST_COLUMNS} WHERE r.tenant_id = $1 AND r.id = $2"))
            .bind(self.tenant)
            .bind(id)
            .fetch_optional(&self.db.pool)
            .await
            .context("reading a request")
    }

    /// The business's requests, open ones first, then newest first.
    pub async fn service_requests(&self, limit: i64) -> DbResult<Vec<ServiceRequest>> {
        sqlx::query_as(&format!(
            "SELECT {REQUEST_COLUMNS} WHERE r.tenant_id = $1 \
             ORDER BY CASE WHEN r.status = 'open' THEN 0 ELSE 1 END, r.created_at DESC, r.id DESC LIMIT $2"
        ))
        .bind(self.tenant)
        .bind(limit)
        .fetch_all(&self.db.pool)
        .await
        .context("listing requests")
    }

    /// A client's requests, newest first: those of their contact record and,
    /// when they proved an address, of every record with it.
    pub async fn requests_of_contact(&self, contact_id: &str, proven_email: Option<&str>) -> DbResult<Vec<ServiceRequest>> {
        sqlx::query_as(&format!(
            "SELECT {REQUEST_COLUMNS} WHERE r.tenant_id = $1 AND (r.contact_id = $2 OR ($3 <> '' AND LOWER(c.email) = LOWER($3))) \
             ORDER BY r.created_at DESC, r.id DESC LIMIT 100"
        ))
        .bind(self.tenant)
        .bind(contact_id)
        .bind(proven_email.unwrap_or_default())
        .fetch_all(&self.db.pool)
        .await
        .context("listing a client's requests")
    }

    /// Mark an open request booked as `job_id` (or closed, without one).
    /// False when someone decided it first.
    pub async fn decide_request(&self, id: &str, status: RequestStatus, job_id: Option<&JobId>, by: &str) -> DbResult<bool> {
        let updated = sqlx::query(
            "UPDATE service_requests SET status = $1, job_id = $2, decided_at = $3, decided_by = $4 WHERE tenant_id = $5 AND id = $6 AND status = 'open'",
        )
        .bind(status.as_str())
        .bind(job_id)
        .bind(now())
        .bind(by)
        .bind(self.tenant)
        .bind(id)
        .execute(&self.db.pool)
        .await
        .context("deciding a request")?;
        Ok(updated.rows_affected() == 1)
    }

    /// Give a request booked a moment ago its job.
    pub async fn link_request_job(&self, id: &str, job_id: &JobId) -> DbResult<()> {
        sqlx::query("UPDATE service_requests SET job_id = $1 WHERE tenant_id = $2 AND id = $3")
            .bind(job_id)
            .bind(self.tenant)
            .bind(id)
            .execute(&self.db.pool)
            .await
            .context("linking a request's job")?;
        Ok(())
    }

    /// Open again a request claimed for booking whose job could not be made.
    pub async fn reopen_request(&self, id: &str) -> DbResult<()> {
        sqlx::query(
            "UPDATE service_requests SET status = 'open', decided_at = NULL, decided_by = NULL WHERE tenant_id = $1 AND id = $2 AND status = 'scheduled' AND job_id IS NULL",
        )
        .bind(self.tenant)
        .bind(id)
        .execute(&self.db.pool)
        .await
        .context("reopening a request")?;
        Ok(())
    }
}
