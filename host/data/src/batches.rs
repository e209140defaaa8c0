//! Batch invoices: one customer's invoices grouped into one document they
//! pay in one payment. A batch is only its members; the money stays on the
//! invoices, so paying a batch is paying each of them.

use super::jobs::placeholders;
use super::tenants::lock_business;
use super::{DbResult, QueryContext, TenantDb};
use portico_core::ids::JobId;
use portico_core::model::{new_id, now};

/// A batch with its invoices, in their order.
#[derive(Debug, Clone)]
pub struct Batch {
    pub id: String,
    pub number: String,
    pub contact_id: String,
    pub contact_name: String,
    pub title: String,
    pub created_by: String,
    pub created_at: i64,
    pub invoice_ids: Vec<String>,
}

#[derive(sqlx::FromRow)]
struct BatchRow {
    id: String,
    number: String,
    contact_id: String,
    contact_name: String,
    title: String,
    created_by: String,
    created_at: i64,
}

#[derive(sqlx::FromRow)]
struct MemberRow {
    batch_id: String,
    invoice_id: String,
}

/// A customer with invoices that could go into a batch.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct BatchCustomer {
    pub contact_id: String,
    pub name: String,
    pub email: Option<String>,
    /// How many of their invoices are still to pay and in no batch.
    pub invoices: i64,
}

/// What makes a batch.
pub struct NewBatch<'a> {
    pub contact_id: &'a str,
    pub title: &'a str,
    pub created_by: &'a str,
    pub invoice_ids: &'a [String],
}

/// Why a batch was not made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BatchConflict {
    /// The invoice is already in another batch.
    AlreadyBatched(String),
    /// No free number was found (many batches made at the same moment).
    NoNumber,
}

/// The jobs' clients and co-clients on live links: who is billed.
const BILLED: &str = "jc.revoked_at IS NULL AND jc.role IN ('client', 'co-client')";

/// An invoice still to pay, not written off, in no batch.
const BATCHABLE: &str = "i.status IN ('due', 'failed') AND i.written_off_at IS NULL \
     AND NOT EXISTS (SELECT 1 FROM invoice_batch_members m WHERE m.tenant_id = i.tenant_id AND m.invoice_id = i.id)";

const BATCH_COLUMNS: &str = "b.id, b.number, b.contact_id, c.name AS contact_name, b.title, b.created_by, b.created_at \
     FROM invoice_batches b JOIN contacts c ON c.id = b.contact_id AND c.tenant_id = b.tenant_id";

impl TenantDb<'_> {
    /// The customers with invoices to batch, by name; at most 500. The
    /// contacts of one e-mail address are one customer, as they are one
    /// person on the account hub.
    pub async fn batch_customers(&self) -> DbResult<Vec<BatchCustomer>> {
        sqlx::query_as(&format!(
            "SELECT MIN(c.id) AS contact_id, MIN(c.name) AS name, MIN(c.email) AS email, COUNT(DISTINCT i.id) AS invoices \
             FROM contacts c \
             JOIN job_contacts jc ON jc.contact_id = c.id AND jc.tenant_id = c.tenant_id AND {BILLED} \
             JOIN invoices i ON i.tenant_id = jc.tenant_id AND i.job_id = jc.job_id AND {BATCHABLE} \
             WHERE c.tenant_id = $1 GROUP BY COALESCE(c.email, c.id) ORDER BY MIN(c.name), MIN(c.id) LIMIT 500"
        ))
        .bind(self.tenant)
        .fetch_all(&self.db.pool)
        .await
        .context("listing customers with invoices to batch")
    }

    /// The jobs where the contact, or another contact of their e-mail
    /// address (or of `proven_email`, the address a signed-in contact
    /// proved), is billed: a client or co-client with a live link. All of
    /// them, however many.
    pub async fn billed_jobs(&self, contact_id: &str, proven_email: Option<&str>) -> DbResult<Vec<JobId>> {
        let rows: Vec<(JobId,)> = sqlx::query_as(&format!(
            "SELECT DISTINCT jc.job_id FROM job_contacts jc JOIN contacts c ON c.id = jc.contact_id AND c.tenant_id = jc.tenant_id \
             WHERE jc.tenant_id = $1 AND {BILLED} \
             AND (c.id = $2 OR c.email = (SELECT o.email FROM contacts o WHERE o.tenant_id = $1 AND o.id = $2) OR c.email = $3)"
        ))
        .bind(self.tenant)
        .bind(contact_id)
        .bind(proven_email)
        .fetch_all(&self.db.pool)
        .await
        .context("listing the jobs a contact is billed on")?;
        Ok(rows.into_iter().map(|(id,)| id).collect())
    }

    /// The number of the batch holding the invoice, if one does.
    pub async fn batch_of_invoice(&self, invoice_id: &str) -> DbResult<Option<String>> {
        sqlx::query_scalar(
            "SELECT b.number FROM invoice_batch_members m JOIN invoice_batches b ON b.id = m.batch_id AND b.tenant_id = m.tenant_id \
             WHERE m.tenant_id = $1 AND m.invoice_id = $2",
        )
        .bind(self.tenant)
        .bind(invoice_id)
        .fetch_optional(&self.db.pool)
        .await
        .context("finding an invoice's batch")
    }

    /// Of these invoices, those in a batch.
    pub async fn batched_invoices(&self, invoice_ids: &[&str]) -> DbResult<Vec<String>> {
        if invoice_ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT invoice_id FROM invoice_batch_members WHERE tenant_id = $1 AND invoice_id IN ({})",
            placeholders(2, invoice_ids.len())
        );
        let mut query = sqlx::query_as::<_, (String,)>(&sql).bind(self.tenant);
        for id in invoice_ids {
            query = query.bind(*id);
        }
        let rows = query.fetch_all(&self.db.pool).await.context("finding batched invoices")?;
        Ok(rows.into_iter().map(|(id,)| id).collect())
    }

    /// Make a batch; its number is the business's next ("B-0007"). An
    /// invoice already in a batch makes nothing.
    pub async fn create_batch(&self, new: &NewBatch<'_>) -> DbResult<Result<Batch, BatchConflict>> {
        let mut tx = self.db.pool.begin().await.context("starting a transaction")?;
        // Write first: it takes SQLite's write lock (a transaction that read
        // first could not write once another had), and on PostgreSQL the
        // business's lock, so the business's batches are made one at a time.
        lock_business(&mut tx, self.tenant).await?;
        let (count,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM invoice_batches WHERE tenant_id = $1")
            .bind(self.tenant)
            .fetch_one(&mut *tx)
            .await
            .context("counting batches")?;
        let id = new_id();
        let created_at = now();
        // Withdrawn batches are counted (their numbers are never given
        // again); two batches made at once may count the same, and the
        // later takes the next free number.
        let mut number = None;
        for next in count + 1..count + 20 {
            let candidate = format!("B-{next:04}");
            let inserted = sqlx::query(
                "INSERT INTO invoice_batches (id, tenant_id, number, contact_id, title, created_by, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (tenant_id, number) DO NOTHING",
            )
            .bind(&id)
            .bind(self.tenant)
            .bind(&candidate)
            .bind(new.contact_id)
            .bind(new.title)
            .bind(new.created_by)
            .bind(created_at)
            .execute(&mut *tx)
            .await
            .context("adding a batch")?;
            if inserted.rows_affected() == 1 {
                number = Some(candidate);
                break;
            }
        }
        let Some(number) = number else {
            tx.rollback().await.context("rolling back a batch")?;
            return Ok(Err(BatchConflict::NoNumber));
        };
        for (position, invoice_id) in new.invoice_ids.iter().enumerate() {
            let added = sqlx::query(
                "INSERT INTO invoice_batch_members (tenant_id, batch_id, invoice_id, position) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (tenant_id, invoice_id) DO NOTHING",
            )
            .bind(self.tenant)
            .bind(&id)
            .bind(invoice_id)
            .bind(position as i64)
            .execute(&mut *tx)
            .await
            .context("adding an invoice to a batch")?;
            if added.rows_affected() == 0 {
                tx.rollback().await.context("rolling back a batch")?;
                return Ok(Err(BatchConflict::AlreadyBatched(invoice_id.clone())));
            }
        }
        tx.commit().await.context("committing a batch")?;
        Ok(Ok(Batch {
            id,
            number,
            contact_id: new.contact_id.to_string(),
            contact_name: String::new(),
            title: new.title.to_string(),
            created_by: new.created_by.to_string(),
            created_at,
            invoice_ids: new.invoice_ids.to_vec(),
        }))
    }

    /// One batch with its invoices.
    pub async fn batch(&self, batch_id: &str) -> DbResult<Option<Batch>> {
        let row: Option<BatchRow> = sqlx::query_as(&format!("SELECT {BATCH_COLUMNS} WHERE b.tenant_id = $1 AND b.id = $2 AND b.withdrawn_at IS NULL"))
            .bind(self.tenant)
            .bind(batch_id)
            .fetch_optional(&self.db.pool)
            .await
            .context("loading a batch")?;
        let Some(row) = row else { return Ok(None) };
        Ok(self.with_members(vec![row]).await?.pop())
    }

    /// The business's batches, newest first; at most 200.
    pub async fn batches(&self) -> DbResult<Vec<Batch>> {
        let rows: Vec<BatchRow> = sqlx::query_as(&format!(
            "SELECT {BATCH_COLUMNS} WHERE b.tenant_id = $1 AND b.withdrawn_at IS NULL ORDER BY b.created_at DESC, b.id DESC LIMIT 200"
        ))
        .bind(self.tenant)
        .fetch_all(&self.db.pool)
        .await
        .context("listing batches")?;
        self.with_members(rows).await
    }

    /// The batches addressed to a contact (or, with a proven address, to
    /// any contact of it), newest first; at most 100.
    pub async fn contact_batches(&self, contact_id: &str, proven_email: Option<&str>) -> DbResult<Vec<Batch>> {
        let rows: Vec<BatchRow> = sqlx::query_as(&format!(
            "SELECT {BATCH_COLUMNS} WHERE b.tenant_id = $1 AND b.withdrawn_at IS NULL AND (b.contact_id = $2 OR c.email = $3) \
             ORDER BY b.created_at DESC, b.id DESC LIMIT 100"
        ))
        .bind(self.tenant)
        .bind(contact_id)
        .bind(proven_email)
        .fetch_all(&self.db.pool)
        .await
        .context("listing a contact's batches")?;
        self.with_members(rows).await
    }

    /// Withdraw a batch: its invoices stand alone again, and its number
    /// stays taken. False when it was already withdrawn.
    pub async fn withdraw_batch(&self, batch_id: &str) -> DbResult<bool> {
        let mut tx = self.db.pool.begin().await.context("starting a transaction")?;
        let withdrawn = sqlx::query("UPDATE invoice_batches SET withdrawn_at = $3 WHERE tenant_id = $1 AND id = $2 AND withdrawn_at IS NULL")
            .bind(self.tenant)
            .bind(batch_id)
            .bind(now())
            .execute(&mut *tx)
            .await
            .context("withdrawing a batch")?;
        sqlx::query("DELETE FROM invoice_batch_members WHERE tenant_id = $1 AND batch_id = $2")
            .bind(self.tenant)
            .bind(batch_id)
            .execute(&mut *tx)
            .await
            .context("letting a batch's invoices go")?;
        tx.commit().await.context("committing a batch's withdrawal")?;
        Ok(withdrawn.rows_affected() == 1)
    }

    /// The batches' members, in one query.
    async fn with_members(&self, rows: Vec<BatchRow>) -> DbResult<Vec<Batch>> {
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT batch_id, invoice_id FROM invoice_batch_members WHERE tenant_id = $1 AND batch_id IN ({}) ORDER BY position",
            placeholders(2, rows.len())
        );
        let mut query = sqlx::query_as::<_, MemberRow>(&sql).bind(self.tenant);
        for row in &rows {
            query = query.bind(&row.id);
        }
        let members = query.fetch_all(&self.db.pool).await.context("listing batch members")?;
        Ok(rows
            .into_iter()
            .map(|row| Batch {
                invoice_ids: members.iter().filter(|m| m.batch_id == row.id).map(|m| m.invoice_id.clone()).collect(),
                id: row.id,
                number: row.number,
                contact_id: row.contact_id,
                contact_name: row.contact_name,
                title: row.title,
                created_by: row.created_by,
                created_at: row.created_at,
            })
            .collect())
    }
}
