//! Estimates: the business's priced proposals for a job, their lines, and
//! the client's answer. Every change of status is one conditional UPDATE, so
//! two answers given at once (two tabs, two clients) make one; accepting
//! writes the answer, the chosen options and the invoices in one transaction.

use super::jobs::placeholders;
use super::tenants::lock_business;
use super::{DbResult, NewInvoice, QueryContext, TenantDb};
use portico_core::estimates::{EstimateStatus, PricedLine};
use portico_core::ids::JobId;
use portico_core::model::{new_id, now};

/// An estimate as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Estimate {
    pub id: String,
    pub job_id: JobId,
    pub number: String,
    pub title: String,
    pub message: String,
    pub deposit_percent: i64,
    /// The end of its last day, Unix seconds.
    pub expires_at: i64,
    #[sqlx(try_from = "String")]
    pub status: EstimateStatus,
    pub created_by: String,
    pub created_at: i64,
    pub sent_at: Option<i64>,
    pub decided_at: Option<i64>,
    pub decided_by_contact_id: Option<String>,
    pub decided_by_name: Option<String>,
    pub decline_reason: Option<String>,
    pub accepted_sha256: Option<String>,
    pub accepted_ip: Option<String>,
    pub accepted_user_agent: Option<String>,
    pub invoice_id: Option<String>,
    pub deposit_invoice_id: Option<String>,
}

/// One line of an estimate.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EstimateLine {
    pub id: String,
    pub estimate_id: String,
    pub description: String,
    pub quantity: i64,
    pub unit_price_minor: i64,
    pub tax_rate_bp: i64,
    optional: i64,
    chosen: i64,
}

impl EstimateLine {
    pub fn priced(&self) -> PricedLine {
        PricedLine { quantity: self.quantity, unit_price_minor: self.unit_price_minor, tax_rate_bp: self.tax_rate_bp, optional: self.optional != 0 }
    }

    pub fn optional(&self) -> bool {
        self.optional != 0
    }

    /// An optional line the client took when accepting.
    pub fn chosen(&self) -> bool {
        self.chosen != 0
    }
}

/// An estimate to write.
pub struct NewEstimate<'a> {
    pub job_id: &'a JobId,
    pub title: &'a str,
    pub message: &'a str,
    pub deposit_percent: i64,
    pub expires_at: i64,
    pub created_by: &'a str,
    /// (description, line)
    pub lines: &'a [(String, PricedLine)],
}

/// A client's acceptance, with its evidence and the invoices it makes.
pub struct Acceptance<'a> {
    pub estimate_id: &'a str,
    pub contact_id: &'a str,
    pub signer_name: &'a str,
    pub sha256: &'a str,
    pub ip: &'a str,
    pub user_agent: &'a str,
    pub at: i64,
    pub chosen_line_ids: &'a [&'a str],
    pub invoice: NewInvoice<'a>,
    pub deposit_invoice: Option<NewInvoice<'a>>,
}

/// The invoices an acceptance made.
#[derive(Debug, Clone)]
pub struct AcceptedInvoices {
    pub invoice_id: String,
    pub deposit_invoice_id: Option<String>,
}

const ESTIMATE_COLUMNS: &str = "id, job_id, number, title, message, deposit_percent, expires_at, status, created_by, created_at, sent_at, \
     decided_at, decided_by_contact_id, decided_by_name, decline_reason, accepted_sha256, accepted_ip, accepted_user_agent, invoice_id, deposit_invoice_id";

impl TenantDb<'_> {
    /// Write a draft; its number is the business's next ("E-0007").
    /// Returns its id and number.
    pub async fn create_estimate(&self, new: &NewEstimate<'_>) -> DbResult<(String, String)> {
        let mut tx = self.db.pool.begin().await.context("starting a transaction")?;
        // The business's lock (SQLite's write lock) makes the business's
        // estimates one at a time, so counting gives a free number.
        lock_business(&mut tx, self.tenant).await?;
        let (count,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM estimates WHERE tenant_id = $1").bind(self.tenant).fetch_one(&mut *tx).await.context("counting estimates")?;
        let (id, number) = (new_id(), format!("E-{:04}", count + 1));
        sqlx::query(
            "INSERT INTO estimates (id, tenant_id, job_id, number, title, message, deposit_percent, expires_at, status, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'draft', $9, $10)",
        )
        .bind(&id)
        .bind(self.tenant)
        .bind(new.job_id)
        .bind(&number)
        .bind(new.title)
        .bind(new.message)
        .bind(new.deposit_percent)
        .bind(new.expires_at)
        .bind(new.created_by)
        .bind(now())
        .execute(&mut *tx)
        .await
        .context("adding an estimate")?;
        for (position, (description, line)) in new.lines.iter().enumerate() {
            sqlx::query(
                "INSERT INTO estimate_lines (id, tenant_id, estimate_id, position, description, quantity, unit_price_minor, tax_rate_bp, optional) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(new_id())
            .bind(self.tenant)
            .bind(&id)
            .bind(position as i64)
            .bind(description)
            .bind(line.quantity)
            .bind(line.unit_price_minor)
            .bind(line.tax_rate_bp)
            .bind(i64::from(line.optional))
            .execute(&mut *tx)
            .await
            .context("adding an estimate line")?;
        }
        tx.commit().await.context("committing an estimate")?;
        Ok((id, number))
    }

    /// The estimates of these jobs, newest first, with their lines: two
    /// queries whatever the number of jobs.
    pub async fn estimates_of_jobs(&self, job_ids: &[JobId]) -> DbResult<Vec<(Estimate, Vec<EstimateLine>)>> {
        let ids: Vec<&str> = job_ids.iter().map(JobId::as_str).collect();
        self.estimates_where("job_id", &ids).await
    }

    /// One estimate of the business, with its lines.
    pub async fn estimate(&self, estimate_id: &str) -> DbResult<Option<(Estimate, Vec<EstimateLine>)>> {
        Ok(self.estimates_where("id", &[estimate_id]).await?.into_iter().next())
    }

    async fn estimates_where(&self, column: &'static str, values: &[&str]) -> DbResult<Vec<(Estimate, Vec<EstimateLine>)>> {
        if values.is_empty() {
            return Ok(Vec::new());
        }
        let among = placeholders(2, values.len());
        let sql = format!("SELECT {ESTIMATE_COLUMNS} FROM estimates WHERE tenant_id = $1 AND {column} IN ({among}) ORDER BY created_at DESC, id DESC");
        let mut query = sqlx::query_as::<_, Estimate>(&sql).bind(self.tenant);
        for value in values {
            query = query.bind(*value);
        }
        let estimates = query.fetch_all(&self.db.pool).await.context("listing estimates")?;
        let ids: Vec<&str> = estimates.iter().map(|e| e.id.as_str()).collect();
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT id, estimate_id, description, quantity, unit_price_minor, tax_rate_bp, optional, chosen FROM estimate_lines \
             WHERE tenant_id = $1 AND estimate_id IN ({}) ORDER BY position",
            placeholders(2, ids.len())
        );
        let mut query = sqlx::query_as::<_, EstimateLine>(&sql).bind(self.tenant);
        for id in &ids {
            query = query.bind(*id);
        }
        let lines = query.fetch_all(&self.db.pool).await.context("listing estimate lines")?;
        Ok(estimates
            .into_iter()
            .map(|estimate| {
                let own = lines.iter().filter(|line| line.estimate_id == estimate.id).cloned().collect();
                (estimate, own)
            })
            .collect())
    }

    /// Show a draft to the client. False when it is no longer a draft.
    ///
    /// A job has one estimate open at a time: sending a revised one
    /// withdraws any other still awaiting the client's answer, in the same
    /// transaction, so the client cannot accept both.
    pub async fn send_estimate(&self, estimate_id: &str, at: i64) -> DbResult<bool> {
        let mut tx = self.db.pool.begin().await.context("starting a transaction")?;
        let updated = sqlx::query("UPDATE estimates SET status = 'sent', sent_at = $1 WHERE tenant_id = $2 AND id = $3 AND status = 'draft'")
            .bind(at)
            .bind(self.tenant)
            .bind(estimate_id)
            .execute(&mut *tx)
            .await
            .context("sending an estimate")?;
        if updated.rows_affected() != 1 {
            tx.rollback().await.context("rolling back a send")?;
            return Ok(false);
        }
        sqlx::query(
            "UPDATE estimates SET status = 'withdrawn', decided_at = $1 WHERE tenant_id = $2 AND status = 'sent' AND id <> $3 \
             AND job_id = (SELECT e.job_id FROM estimates e WHERE e.tenant_id = $2 AND e.id = $3)",
        )
        .bind(at)
        .bind(self.tenant)
        .bind(estimate_id)
        .execute(&mut *tx)
        .await
        .context("withdrawing the estimate a revised one replaces")?;
        tx.commit().await.context("committing a send")?;
        Ok(true)
    }

    /// Take back a draft or an unanswered estimate. False once answered.
    pub async fn withdraw_estimate(&self, estimate_id: &str, at: i64) -> DbResult<bool> {
        let updated = sqlx::query(
            "UPDATE estimates SET status = 'withdrawn', decided_at = $1 WHERE tenant_id = $2 AND id = $3 AND status IN ('draft', 'sent')",
        )
        .bind(at)
        .bind(self.tenant)
        .bind(estimate_id)
        .execute(&self.db.pool)
        .await
        .context("withdrawing an estimate")?;
        Ok(updated.rows_affected() == 1)
    }

    /// Record the client's "no". False when it was already answered,
    /// withdrawn or not sent.
    pub async fn decline_estimate(&self, estimate_id: &str, contact_id: &str, name: &str, reason: &str, at: i64) -> DbResult<bool> {
        let updated = sqlx::query(
            "UPDATE estimates SET status = 'declined', decided_at = $1, decided_by_contact_id = $2, decided_by_name = $3, decline_reason = $4 \
             WHERE tenant_id = $5 AND id = $6 AND status = 'sent'",
        )
        .bind(at)
        .bind(contact_id)
        .bind(name)
        .bind(reason)
        .bind(self.tenant)
        .bind(estimate_id)
        .execute(&self.db.pool)
        .await
        .context("declining an estimate")?;
        Ok(updated.rows_affected() == 1)
    }

    /// Record the client's acceptance and make its invoices, all or
    /// nothing. `None` when it is no longer open (answered, withdrawn,
    /// expired at `at`): nothing is written then.
    pub async fn accept_estimate(&self, acceptance: &Acceptance<'_>) -> DbResult<Option<AcceptedInvoices>> {
        let mut tx = self.db.pool.begin().await.context("starting a transaction")?;
        // The business's lock (SQLite's write lock) takes acceptances one
        // at a time, so two estimates of one job are never both accepted.
        lock_business(&mut tx, self.tenant).await?;
        let claimed = sqlx::query(
            "UPDATE estimates SET status = 'accepted', decided_at = $1, decided_by_contact_id = $2, decided_by_name = $3, \
             accepted_sha256 = $4, accepted_ip = $5, accepted_user_agent = $6 \
             WHERE tenant_id = $7 AND id = $8 AND status = 'sent' AND expires_at >= $1 \
             AND NOT EXISTS (SELECT 1 FROM estimates o WHERE o.tenant_id = $7 AND o.job_id = estimates.job_id AND o.status = 'accepted')",
        )
        .bind(acceptance.at)
        .bind(acceptance.contact_id)
        .bind(acceptance.signer_name)
        .bind(acceptance.sha256)
        .bind(acceptance.ip)
        .bind(acceptance.user_agent)
        .bind(self.tenant)
        .bind(acceptance.estimate_id)
        .execute(&mut *tx)
        .await
        .context("accepting an estimate")?;
        if claimed.rows_affected() != 1 {
            tx.rollback().await.context("rolling back an acceptance")?;
            return Ok(None);
        }
        if !acceptance.chosen_line_ids.is_empty() {
            let sql = format!(
                "UPDATE estimate_lines SET chosen = 1 WHERE tenant_id = $1 AND estimate_id = $2 AND optional = 1 AND id IN ({})",
                placeholders(3, acceptance.chosen_line_ids.len())
            );
            let mut query = sqlx::query(&sql).bind(self.tenant).bind(acceptance.estimate_id);
            for id in acceptance.chosen_line_ids {
                query = query.bind(*id);
            }
            query.execute(&mut *tx).await.context("keeping the options chosen")?;
        }
        let job_id = sqlx::query_as::<_, (JobId,)>("SELECT job_id FROM estimates WHERE tenant_id = $1 AND id = $2")
            .bind(self.tenant)
            .bind(acceptance.estimate_id)
            .fetch_one(&mut *tx)
            .await
            .context("finding the estimate's job")?
            .0;
        let invoice_id = self.insert_invoice(&mut tx, &job_id, &acceptance.invoice).await?;
        let deposit_invoice_id = match &acceptance.deposit_invoice {
            Some(deposit) => Some(self.insert_invoice(&mut tx, &job_id, deposit).await?),
            None => None,
        };
        sqlx::query("UPDATE estimates SET invoice_id = $1, deposit_invoice_id = $2 WHERE tenant_id = $3 AND id = $4")
            .bind(&invoice_id)
            .bind(&deposit_invoice_id)
            .bind(self.tenant)
            .bind(acceptance.estimate_id)
            .execute(&mut *tx)
            .await
            .context("linking an estimate's invoices")?;
        tx.commit().await.context("committing an acceptance")?;
        Ok(Some(AcceptedInvoices { invoice_id, deposit_invoice_id }))
    }
}
