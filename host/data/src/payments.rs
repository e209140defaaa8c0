//! Payments and the invoices they pay: checkouts, manual payments, merging
//! provider news (only ever upwards, see `portico_core::money`), recomputing an
//! invoice, and the provider events already processed.

use portico_core::ids::{JobId, TenantId};
use super::{Db, TenantDb, DbError, DbResult, QueryContext};
use portico_core::model::{new_id, now};
use portico_core::money::{invoice_state, InvoiceStatus, PaymentFacts, PaymentProvider, PaymentStatus};

const PAYMENT_COLUMNS: &str = "id, tenant_id, job_id, invoice_id, provider, method, status, amount_minor, \
    captured_minor, refunded_minor, currency, checkout_ref, checkout_url, payment_ref, reference, note, \
    started_by, decided_by, created_at, updated_at, expires_at";

/// One payment, as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Payment {
    pub id: String,
    pub tenant_id: TenantId,
    pub job_id: JobId,
    pub invoice_id: String,
    /// `test`, `stripe` or `manual`.
    pub provider: String,
    /// `card`, `cash`, `check` or `bank-transfer`.
    pub method: String,
    #[sqlx(try_from = "String")]
    pub status: PaymentStatus,
    pub amount_minor: i64,
    pub captured_minor: i64,
    pub refunded_minor: i64,
    pub currency: String,
    pub checkout_ref: Option<String>,
    pub checkout_url: Option<String>,
    pub payment_ref: Option<String>,
    pub reference: Option<String>,
    pub note: Option<String>,
    pub started_by: String,
    pub decided_by: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub expires_at: Option<i64>,
}

impl Payment {
    /// What the payment is worth as shown: what the provider captured once
    /// known, else what was asked or offered.
    pub fn shown_amount(&self) -> i64 {
        if self.captured_minor > 0 { self.captured_minor } else { self.amount_minor }
    }

    fn facts(&self) -> PaymentFacts {
        PaymentFacts {
            status: self.status,
            captured: self.captured_minor,
            refunded: self.refunded_minor,
            updated_at: self.updated_at,
        }
    }
}

/// A payment to record.
pub struct NewPayment<'a> {
    pub job_id: &'a JobId,
    pub invoice_id: &'a str,
    pub provider: &'a str,
    pub method: &'a str,
    pub status: PaymentStatus,
    pub amount_minor: i64,
    pub currency: &'a str,
    pub reference: Option<&'a str>,
    pub note: Option<&'a str>,
    /// Who started it, as shown to staff ("Dana Whitfield (client)").
    pub started_by: &'a str,
    pub expires_at: Option<i64>,
}

/// News about a payment, from a provider or from staff. Every part is
/// optional and merges without regard to order.
#[derive(Debug, Clone, Default)]
pub struct PaymentNews {
    pub status: Option<PaymentStatus>,
    /// What the provider captured; kept once known.
    pub captured_minor: Option<i64>,
    /// Cumulative refunds; the largest value seen wins.
    pub refunded_minor: Option<i64>,
    /// The provider's payment id; kept once known.
    pub payment_ref: Option<String>,
    /// Who decided (staff approving a manual payment).
    pub decided_by: Option<String>,
}

/// How a provider's news names a payment.
#[derive(Debug, Clone, Copy)]
pub enum PaymentKey {
    /// Our own id, carried in the provider's metadata.
    Id,
    /// The provider's checkout session.
    CheckoutRef,
    /// The provider's payment (a refund names only that).
    PaymentRef,
}

/// An invoice with the sums the money rules need.
#[derive(Debug, Clone)]
pub struct InvoiceTotals {
    pub id: String,
    pub job_id: JobId,
    pub number: String,
    pub status: InvoiceStatus,
    pub total: i64,
    pub paid: i64,
    pub revision: i64,
}

impl InvoiceTotals {
    pub fn balance(&self) -> i64 {
        self.total - self.paid
    }
}

impl Db {

    /// A provider's payment by one of its keys. A provider's webhook names no
    /// tenant; the payment row says whose it is.
    pub async fn provider_payment(&self, provider: &str, key: PaymentKey, value: &str) -> DbResult<Option<Payment>> {
        let column = match key {
            PaymentKey::Id => "id",
            PaymentKey::CheckoutRef => "checkout_ref",
            PaymentKey::PaymentRef => "payment_ref",
        };
        sqlx::query_as(&format!("SELECT {PAYMENT_COLUMNS} FROM payments WHERE provider = $1 AND {column} = $2"))
            .bind(provider)
            .bind(value)
            .fetch_optional(&self.pool)
            .await
            .context("finding a provider payment")
    }

    /// Provider checkouts worth asking the provider about: unfinished ones
    /// whose webhook may never have come, not checked in the last `every`
    /// seconds. Marks them checked. Operators' work across tenants, like the
    /// outbox.
    pub async fn checkouts_to_reconcile(&self, provider: &str, older_than: i64, every: i64, limit: i64) -> DbResult<Vec<Payment>> {
        let at = now();
        let due: Vec<Payment> = sqlx::query_as(&format!(
            "SELECT {PAYMENT_COLUMNS} FROM payments \
             WHERE provider = $1 AND status IN ('open', 'processing') AND checkout_ref IS NOT NULL \
               AND created_at < $2 AND (checked_at IS NULL OR checked_at < $3) \
             ORDER BY created_at LIMIT $4"
        ))
        .bind(provider)
        .bind(at - older_than)
        .bind(at - every)
        .bind(limit)
        .fetch_all(&self.pool)
        .await
        .context("finding checkouts to reconcile")?;
        for payment in &due {
            sqlx::query("UPDATE payments SET checked_at = $1 WHERE tenant_id = $2 AND id = $3")
                .bind(at)
                .bind(&payment.tenant_id)
                .bind(&payment.id)
                .execute(&self.pool)
                .await
                .context("marking a checkout checked")?;
        }
        Ok(due)
    }

    /// Claim a provider event for processing. False: it was processed before.
    pub async fn claim_payment_event(&self, provider: &str, event_id: &str, event_type: &str) -> DbResult<bool> {
        let claimed = sqlx::query(
            "INSERT INTO payment_events (provider, event_id, event_type, received_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT DO NOTHING",
        )
        .bind(provider)
        .bind(event_id)
        .bind(event_type)
        .bind(now())
        .execute(&self.pool)
        .await
        .context("claiming a payment event")?;
        Ok(claimed.rows_affected() == 1)
    }

    /// Note which tenant a processed event concerned.
    pub async fn note_payment_event_tenant(&self, provider: &str, event_id: &str, tenant_id: &TenantId) -> DbResult<()> {
        sqlx::query("UPDATE payment_events SET tenant_id = $1 WHERE provider = $2 AND event_id = $3")
            .bind(tenant_id)
            .bind(provider)
            .bind(event_id)
            .execute(&self.pool)
            .await
            .context("noting an event's tenant")?;
        Ok(())
    }

    /// Give back a claim whose processing failed, so the provider's retry is
    /// processed.
    pub async fn release_payment_event(&self, provider: &str, event_id: &str) -> DbResult<()> {
        sqlx::query("DELETE FROM payment_events WHERE provider = $1 AND event_id = $2")
            .bind(provider)
            .bind(event_id)
            .execute(&self.pool)
            .await
            .context("releasing a payment event")?;
        Ok(())
    }
}

impl TenantDb<'_> {
    /// An invoice of the tenant with its total (lines and tax).
    pub async fn invoice_totals(&self, invoice_id: &str) -> DbResult<Option<InvoiceTotals>> {
        #[derive(sqlx::FromRow)]
        struct Row {
            id: String,
            job_id: JobId,
            number: String,
            #[sqlx(try_from = "String")]
            status: InvoiceStatus,
            tax_minor: i64,
            paid_minor: i64,
            revision: i64,
            lines_minor: i64,
        }
        let row: Option<Row> = sqlx::query_as(
            "SELECT i.id, i.job_id, i.number, i.status, i.tax_minor, i.paid_minor, i.revision, \
                    CAST(COALESCE((SELECT SUM(l.quantity * l.unit_price_minor) FROM invoice_lines l \
                                   WHERE l.tenant_id = i.tenant_id AND l.invoice_id = i.id), 0) AS BIGINT) AS lines_minor \
             FROM invoices i WHERE i.tenant_id = $1 AND i.id = $2",
        )
        .bind(self.tenant)
        .bind(invoice_id)
        .fetch_optional(&self.db.pool)
        .await
        .context("loading an invoice's totals")?;
        Ok(row.map(|row| InvoiceTotals {
            id: row.id,
            job_id: row.job_id,
            number: row.number,
            status: row.status,
            total: row.lines_minor + row.tax_minor,
            paid: row.paid_minor,
            revision: row.revision,
        }))
    }

    /// Record a payment and return its id. For a checkout (`open`), answers
    /// `None` when the invoice already has an open checkout: the caller uses
    /// that one, so two clicks never open two.
    pub async fn insert_payment(&self, new: &NewPayment<'_>) -> DbResult<Option<String>> {
        let id = new_id();
        let at = now();
        let inserted = sqlx::query(
            "INSERT INTO payments (id, tenant_id, job_id, invoice_id, provider, method, status, status_rank, \
                                   amount_minor, currency, reference, note, started_by, created_at, updated_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14, $15) \
             ON CONFLICT DO NOTHING",
        )
        .bind(&id)
        .bind(self.tenant)
        .bind(new.job_id)
        .bind(new.invoice_id)
        .bind(new.provider)
        .bind(new.method)
        .bind(new.status.as_str())
        .bind(new.status.rank())
        .bind(new.amount_minor)
        .bind(new.currency)
        .bind(new.reference)
        .bind(new.note)
        .bind(new.started_by)
        .bind(at)
        .bind(new.expires_at)
        .execute(&self.db.pool)
        .await
        .context("recording a payment")?;
        Ok((inserted.rows_affected() == 1).then_some(id))
    }

    /// The invoice's open checkout, if it has one.
    pub async fn open_checkout(&self, invoice_id: &str) -> DbResult<Option<Payment>> {
        sqlx::query_as(&format!(
            "SELECT {PAYMENT_COLUMNS} FROM payments WHERE tenant_id = $1 AND invoice_id = $2 AND status = 'open'"
        ))
        .bind(self.tenant)
        .bind(invoice_id)
        .fetch_optional(&self.db.pool)
        .await
        .context("finding an open checkout")
    }

    pub async fn payment(&self, payment_id: &str) -> DbResult<Option<Payment>> {
        sqlx::query_as(&format!("SELECT {PAYMENT_COLUMNS} FROM payments WHERE tenant_id = $1 AND id = $2"))
            .bind(self.tenant)
            .bind(payment_id)
            .fetch_optional(&self.db.pool)
            .await
            .context("loading a payment")
    }

    /// Store the provider's checkout session for a payment that has none yet.
    /// Returns false when another request stored one first.
    pub async fn attach_checkout(
        &self,
        payment_id: &str,
        checkout_ref: &str,
        checkout_url: &str,
        expires_at: Option<i64>,
    ) -> DbResult<bool> {
        let done = sqlx::query(
            "UPDATE payments SET checkout_ref = $1, checkout_url = $2, expires_at = COALESCE($3, expires_at), updated_at = $4 \
             WHERE tenant_id = $5 AND id = $6 AND checkout_ref IS NULL",
        )
        .bind(checkout_ref)
        .bind(checkout_url)
        .bind(expires_at)
        .bind(now())
        .bind(self.tenant)
        .bind(payment_id)
        .execute(&self.db.pool)
        .await
        .context("attaching a checkout session")?;
        Ok(done.rows_affected() == 1)
    }

    /// Merge news into a payment. Each statement is atomic on its own and
    /// each merge is order-independent, so concurrent and repeated news
    /// converge. Returns whether the status moved.
    pub async fn merge_payment_news(&self, payment_id: &str, news: &PaymentNews) -> DbResult<bool> {
        let at = now();
        sqlx::query(
            "UPDATE payments SET \
                captured_minor = CASE WHEN $1 IS NOT NULL AND captured_minor = 0 THEN $1 ELSE captured_minor END, \
                refunded_minor = CASE WHEN $2 IS NOT NULL AND $2 > refunded_minor THEN $2 ELSE refunded_minor END, \
                payment_ref = COALESCE(payment_ref, $3), \
                decided_by = COALESCE(decided_by, $4), \
                updated_at = $5 \
             WHERE tenant_id = $6 AND id = $7",
        )
        .bind(news.captured_minor)
        .bind(news.refunded_minor)
        .bind(news.payment_ref.as_deref())
        .bind(news.decided_by.as_deref())
        .bind(at)
        .bind(self.tenant)
        .bind(payment_id)
        .execute(&self.db.pool)
        .await
        .context("merging payment amounts")?;
        let Some(status) = news.status else { return Ok(false) };
        let moved = sqlx::query(
            "UPDATE payments SET status = $1, status_rank = $2, updated_at = $3 \
             WHERE tenant_id = $4 AND id = $5 AND status_rank < $2",
        )
        .bind(status.as_str())
        .bind(status.rank())
        .bind(at)
        .bind(self.tenant)
        .bind(payment_id)
        .execute(&self.db.pool)
        .await
        .context("moving a payment's status")?;
        Ok(moved.rows_affected() == 1)
    }

    /// The invoice's payments, newest first.
    pub async fn invoice_payments(&self, invoice_id: &str) -> DbResult<Vec<Payment>> {
        sqlx::query_as(&format!(
            "SELECT {PAYMENT_COLUMNS} FROM payments WHERE tenant_id = $1 AND invoice_id = $2 ORDER BY created_at DESC, id DESC"
        ))
        .bind(self.tenant)
        .bind(invoice_id)
        .fetch_all(&self.db.pool)
        .await
        .context("listing an invoice's payments")
    }

    /// Every payment of the job, newest first.
    /// The payments of several jobs, newest first: one query.
    pub async fn payments_of_jobs(&self, job_ids: &[JobId]) -> DbResult<Vec<Payment>> {
        if job_ids.is_empty() {
            return Ok(Vec::new());
        }
        let among = super::jobs::placeholders(2, job_ids.len());
        let sql = format!("SELECT {PAYMENT_COLUMNS} FROM payments WHERE tenant_id = $1 AND job_id IN ({among}) ORDER BY created_at DESC, id DESC");
        let mut query = sqlx::query_as::<_, Payment>(&sql).bind(self.tenant);
        for job_id in job_ids {
            query = query.bind(job_id);
        }
        query.fetch_all(&self.db.pool).await.context("listing the payments of several jobs")
    }

    pub async fn job_payments(&self, job_id: &JobId) -> DbResult<Vec<Payment>> {
        sqlx::query_as(&format!(
            "SELECT {PAYMENT_COLUMNS} FROM payments WHERE tenant_id = $1 AND job_id = $2 ORDER BY created_at DESC, id DESC"
        ))
        .bind(self.tenant)
        .bind(job_id)
        .fetch_all(&self.db.pool)
        .await
        .context("listing a job's payments")
    }

    /// Work out the invoice's status and paid amount again from its payments.
    /// Optimistic: the write only lands on the revision that was read, and a
    /// lost race reads again, so the last writer always saw every payment.
    /// Returns the status before and after.
    pub async fn recompute_invoice(&self, invoice_id: &str) -> DbResult<(InvoiceStatus, InvoiceStatus)> {
        for _ in 0..8 {
            let invoice = self
                .invoice_totals(invoice_id)
                .await?
                .ok_or_else(|| DbError::Invalid(format!("invoice {invoice_id} not found")))?;
            if matches!(invoice.status, InvoiceStatus::Draft | InvoiceStatus::Void) {
                return Ok((invoice.status, invoice.status));
            }
            let facts: Vec<PaymentFacts> =
                self.invoice_payments(invoice_id).await?.iter().map(Payment::facts).collect();
            let state = invoice_state(invoice.total, &facts);
            let written = sqlx::query(
                "UPDATE invoices SET status = $1, paid_minor = $2, revision = revision + 1 \
                 WHERE tenant_id = $3 AND id = $4 AND revision = $5",
            )
            .bind(state.status.as_str())
            .bind(state.paid)
            .bind(self.tenant)
            .bind(invoice_id)
            .bind(invoice.revision)
            .execute(&self.db.pool)
            .await
            .context("updating an invoice's status")?;
            if written.rows_affected() == 1 {
                return Ok((invoice.status, state.status));
            }
        }
        Err(DbError::Invalid(format!("invoice {invoice_id} kept changing while it was recomputed")))
    }

    /// Give up a checkout that was left open (its amount is out of date).
    pub async fn expire_checkout(&self, payment_id: &str) -> DbResult<bool> {
        let news = PaymentNews { status: Some(PaymentStatus::Expired), ..Default::default() };
        self.merge_payment_news(payment_id, &news).await
    }

    /// How the tenant takes card payments: (provider, connected account).
    /// Add a line to an invoice still to pay (amounts in minor units; a
    /// discount's is negative). False when the invoice is no longer open.
    /// Add a line to an invoice still to pay, only if it is still at
    /// `revision` (the one its checks were made on): two changes racing
    /// cannot both pass checks that hold for each alone. False when it
    /// changed meanwhile.
    pub async fn add_invoice_line(&self, invoice_id: &str, revision: i64, kind: &str, description: &str, amount_minor: i64) -> DbResult<bool> {
        let mut tx = self.db.pool.begin().await.context("starting an invoice change")?;
        let claimed = sqlx::query(
            "UPDATE invoices SET revision = revision + 1 \
             WHERE tenant_id = $1 AND id = $2 AND revision = $3 AND status IN ('due', 'failed', 'draft')",
        )
        .bind(self.tenant)
        .bind(invoice_id)
        .bind(revision)
        .execute(&mut *tx)
        .await
        .context("claiming an invoice's revision")?;
        if claimed.rows_affected() != 1 {
            return Ok(false);
        }
        let added = sqlx::query(
            "INSERT INTO invoice_lines (id, tenant_id, invoice_id, kind, description, quantity, unit_price_minor, position) \
             SELECT $1, $2, i.id, $3, $4, 1, $5, (SELECT COUNT(*) FROM invoice_lines WHERE tenant_id = $2 AND invoice_id = i.id) \
             FROM invoices i WHERE i.tenant_id = $2 AND i.id = $6 AND i.status IN ('due', 'failed', 'draft')",
        )
        .bind(new_id())
        .bind(self.tenant)
        .bind(kind)
        .bind(description)
        .bind(amount_minor)
        .bind(invoice_id)
        .execute(&mut *tx)
        .await
        .context("adding a line to an invoice")?;
        tx.commit().await.context("committing an invoice change")?;
        Ok(added.rows_affected() == 1)
    }

    /// Void an invoice still to pay with nothing paid on it. False when it
    /// changed meanwhile.
    pub async fn void_invoice(&self, invoice_id: &str) -> DbResult<bool> {
        let voided = sqlx::query(
            "UPDATE invoices SET status = 'void', revision = revision + 1 \
             WHERE tenant_id = $1 AND id = $2 AND status IN ('due', 'failed', 'draft') AND paid_minor = 0",
        )
        .bind(self.tenant)
        .bind(invoice_id)
        .execute(&self.db.pool)
        .await
        .context("voiding an invoice")?;
        Ok(voided.rows_affected() == 1)
    }

    /// How many of the tenant's checkouts with `provider` are still open or processing.
    /// The business's checkouts still open, with any provider.
    pub async fn open_checkouts(&self) -> DbResult<Vec<Payment>> {
        sqlx::query_as(&format!("SELECT {PAYMENT_COLUMNS} FROM payments WHERE tenant_id = $1 AND status = 'open'"))
            .bind(self.tenant)
            .fetch_all(&self.db.pool)
            .await
            .context("listing open checkouts")
    }

    pub async fn open_checkout_count(&self, provider: &str) -> DbResult<i64> {
        sqlx::query_scalar("SELECT COUNT(*) FROM payments WHERE tenant_id = $1 AND provider = $2 AND status IN ('open', 'processing')")
            .bind(self.tenant)
            .bind(provider)
            .fetch_one(&self.db.pool)
            .await
            .context("counting open checkouts")
    }

    pub async fn set_payment_provider(&self, provider: PaymentProvider, stripe_account: Option<&str>) -> DbResult<()> {
        sqlx::query("UPDATE tenants SET payment_provider = $1, stripe_account = $2 WHERE id = $3")
            .bind(provider.as_str())
            .bind(stripe_account)
            .bind(self.tenant)
            .execute(&self.db.pool)
            .await
            .context("setting the payment provider")?;
        Ok(())
    }
}
