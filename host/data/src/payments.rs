//! Payments and the invoices they pay: checkouts, manual payments, merging
//! provider news (only ever upwards, see `portico_core::money`), recomputing an
//! invoice, and the provider events already processed.
//!
//! A payment pays one invoice or several (a client paying three at once, or
//! a batch): `payment_allocations` says how much goes to each, in order. A
//! card checkout holds its invoices while it is open, so no invoice is ever
//! in two open checkouts.

use portico_core::ids::{JobId, TenantId};
use super::{Db, TenantDb, DbError, DbResult, QueryContext};
use portico_core::model::{new_id, now};
use portico_core::money::{invoice_state, refund_share, share_of, InvoiceStatus, PaymentFacts, PaymentProvider, PaymentStatus};

const PAYMENT_COLUMNS: &str = "id, tenant_id, job_id, invoice_id, provider, method, status, amount_minor, fee_minor, \
    captured_minor, refunded_minor, currency, checkout_ref, checkout_url, payment_ref, reference, note, \
    started_by, decided_by, created_at, updated_at, expires_at";

/// The payment columns of `payments p`, for queries that join.
fn payment_columns_of_p() -> String {
    PAYMENT_COLUMNS.split(", ").map(|column| format!("p.{}", column.trim())).collect::<Vec<_>>().join(", ")
}

/// One payment as one invoice sees it: the payment, and its allocation to
/// that invoice (`share_before_minor` is what the invoices before it in the
/// payment take).
const SHARE_COLUMNS: &str = "a.invoice_id AS share_invoice_id, i.number AS share_invoice_number, a.job_id AS share_job_id, a.amount_minor AS share_minor, \
    CAST(COALESCE((SELECT SUM(b.amount_minor) FROM payment_allocations b \
                   WHERE b.tenant_id = a.tenant_id AND b.payment_id = a.payment_id AND b.position < a.position), 0) AS BIGINT) AS share_before_minor";

/// One payment, as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Payment {
    pub id: String,
    pub tenant_id: TenantId,
    /// The job and invoice of the first invoice it pays (its checkout pages
    /// and receipt hang off that job); `PaymentShare` has every invoice.
    pub job_id: JobId,
    pub invoice_id: String,
    /// `test`, `stripe` or `manual`.
    pub provider: String,
    /// `card`, `cash`, `check` or `bank-transfer`.
    pub method: String,
    #[sqlx(try_from = "String")]
    pub status: PaymentStatus,
    /// What is asked or offered: the invoices' parts and the card fee.
    pub amount_minor: i64,
    /// The card fee in `amount_minor`, if the business charges one.
    pub fee_minor: i64,
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
}

/// A payment as one of the invoices it pays sees it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PaymentShare {
    #[sqlx(flatten)]
    pub payment: Payment,
    pub share_invoice_id: String,
    pub share_invoice_number: String,
    pub share_job_id: JobId,
    /// What of the payment goes to this invoice.
    pub share_minor: i64,
    /// What the invoices before this one in the payment take.
    pub share_before_minor: i64,
}

impl PaymentShare {
    /// What reached this invoice: its part of what was captured (offered,
    /// until something was), less its part of any refund.
    pub fn shown_amount(&self) -> i64 {
        if self.payment.captured_minor > 0 { self.captured() } else { self.share_minor }
    }

    pub fn captured(&self) -> i64 {
        share_of(self.payment.captured_minor, self.share_before_minor, self.share_minor)
    }

    pub fn refunded(&self) -> i64 {
        refund_share(self.payment.refunded_minor, self.payment.fee_minor, self.share_before_minor, self.share_minor)
    }

    fn facts(&self) -> PaymentFacts {
        PaymentFacts {
            status: self.payment.status,
            captured: self.captured(),
            refunded: self.refunded(),
            updated_at: self.payment.updated_at,
        }
    }
}

/// What a payment pays on one invoice, as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Allocation {
    pub invoice_id: String,
    pub job_id: JobId,
    pub amount_minor: i64,
}

/// A payment to record.
pub struct NewPayment<'a> {
    /// What it pays, in order: at least one invoice, none twice.
    pub parts: &'a [Allocation],
    /// Added on top of the parts (the card fee).
    pub fee_minor: i64,
    /// Whether it holds its invoices until its status moves, so that no
    /// other holding payment can cover them meanwhile: card checkouts, and
    /// a client's word that they paid another way.
    pub holds: bool,
    pub provider: &'a str,
    pub method: &'a str,
    pub status: PaymentStatus,
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
    /// When the business wrote it off as bad debt, if it did.
    pub written_off_at: Option<i64>,
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
            written_off_at: Option<i64>,
            lines_minor: i64,
        }
        let row: Option<Row> = sqlx::query_as(
            "SELECT i.id, i.job_id, i.number, i.status, i.tax_minor, i.paid_minor, i.revision, i.written_off_at, \
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
            written_off_at: row.written_off_at,
        }))
    }

    /// Record a payment with what it pays and return its id. A holding one
    /// (see `NewPayment::holds`) answers `None` when one of its invoices is
    /// already held, and records nothing, so two clicks never open two.
    pub async fn insert_payment(&self, new: &NewPayment<'_>) -> DbResult<Option<String>> {
        let Some(lead) = new.parts.first() else {
            return Err(DbError::Invalid("a payment pays at least one invoice".into()));
        };
        let id = new_id();
        let at = now();
        let amount: i64 = new.parts.iter().map(|part| part.amount_minor).sum::<i64>() + new.fee_minor;
        let mut tx = self.db.pool.begin().await.context("starting to record a payment")?;
        sqlx::query(
            "INSERT INTO payments (id, tenant_id, job_id, invoice_id, provider, method, status, status_rank, \
                                   amount_minor, fee_minor, currency, reference, note, started_by, created_at, updated_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15, $16)",
        )
        .bind(&id)
        .bind(self.tenant)
        .bind(&lead.job_id)
        .bind(&lead.invoice_id)
        .bind(new.provider)
        .bind(new.method)
        .bind(new.status.as_str())
        .bind(new.status.rank())
        .bind(amount)
        .bind(new.fee_minor)
        .bind(new.currency)
        .bind(new.reference)
        .bind(new.note)
        .bind(new.started_by)
        .bind(at)
        .bind(new.expires_at)
        .execute(&mut *tx)
        .await
        .context("recording a payment")?;
        let holds = new.holds;
        for (position, part) in new.parts.iter().enumerate() {
            let placed = sqlx::query(
                "INSERT INTO payment_allocations (tenant_id, payment_id, invoice_id, job_id, amount_minor, position, holds) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
            )
            .bind(self.tenant)
            .bind(&id)
            .bind(&part.invoice_id)
            .bind(&part.job_id)
            .bind(part.amount_minor)
            .bind(position as i64)
            .bind(holds.then_some(part.invoice_id.as_str()))
            .execute(&mut *tx)
            .await
            .context("recording what a payment pays")?;
            if placed.rows_affected() != 1 {
                // Held by another open checkout (or named twice): nothing is kept.
                tx.rollback().await.context("giving up a payment")?;
                return Ok(None);
            }
        }
        tx.commit().await.context("committing a payment")?;
        Ok(Some(id))
    }

    /// The payments holding any of these invoices: open checkouts, and
    /// payments a client reported, awaiting approval.
    pub async fn checkouts_holding(&self, invoice_ids: &[&str]) -> DbResult<Vec<Payment>> {
        if invoice_ids.is_empty() {
            return Ok(Vec::new());
        }
        let among = super::jobs::placeholders(2, invoice_ids.len());
        let sql = format!(
            "SELECT {} FROM payments p WHERE p.tenant_id = $1 AND p.id IN \
               (SELECT a.payment_id FROM payment_allocations a WHERE a.tenant_id = $1 AND a.holds IN ({among})) \
             ORDER BY p.created_at, p.id",
            payment_columns_of_p()
        );
        let mut query = sqlx::query_as::<_, Payment>(&sql).bind(self.tenant);
        for invoice_id in invoice_ids {
            query = query.bind(*invoice_id);
        }
        query.fetch_all(&self.db.pool).await.context("finding the checkouts holding invoices")
    }

    /// The invoice's open checkout, if it has one.
    pub async fn open_checkout(&self, invoice_id: &str) -> DbResult<Option<Payment>> {
        Ok(self.checkouts_holding(&[invoice_id]).await?.into_iter().find(|payment| payment.status == PaymentStatus::Open))
    }

    /// What a payment pays, in order.
    pub async fn payment_parts(&self, payment_id: &str) -> DbResult<Vec<Allocation>> {
        sqlx::query_as(
            "SELECT invoice_id, job_id, amount_minor FROM payment_allocations \
             WHERE tenant_id = $1 AND payment_id = $2 ORDER BY position",
        )
        .bind(self.tenant)
        .bind(payment_id)
        .fetch_all(&self.db.pool)
        .await
        .context("listing what a payment pays")
    }

    /// A payment that pays something on the job.
    pub async fn payment_on_job(&self, payment_id: &str, job_id: &JobId) -> DbResult<Option<Payment>> {
        sqlx::query_as(&format!(
            "SELECT {PAYMENT_COLUMNS} FROM payments p WHERE tenant_id = $1 AND id = $2 AND EXISTS \
               (SELECT 1 FROM payment_allocations a WHERE a.tenant_id = p.tenant_id AND a.payment_id = p.id AND a.job_id = $3)"
        ))
        .bind(self.tenant)
        .bind(payment_id)
        .bind(job_id)
        .fetch_optional(&self.db.pool)
        .await
        .context("loading a payment of a job")
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
        let mut tx = self.db.pool.begin().await.context("starting a payment's move")?;
        let moved = sqlx::query(
            "UPDATE payments SET status = $1, status_rank = $2, updated_at = $3 \
             WHERE tenant_id = $4 AND id = $5 AND status_rank < $2",
        )
        .bind(status.as_str())
        .bind(status.rank())
        .bind(at)
        .bind(self.tenant)
        .bind(payment_id)
        .execute(&mut *tx)
        .await
        .context("moving a payment's status")?;
        // A payment holds its invoices while open (a checkout) or pending (a
        // client's report); every move leaves both.
        sqlx::query("UPDATE payment_allocations SET holds = NULL WHERE tenant_id = $1 AND payment_id = $2 AND holds IS NOT NULL")
            .bind(self.tenant)
            .bind(payment_id)
            .execute(&mut *tx)
            .await
            .context("releasing a checkout's invoices")?;
        tx.commit().await.context("committing a payment's move")?;
        Ok(moved.rows_affected() == 1)
    }

    /// The invoice's payments, newest first, each as this invoice sees it.
    pub async fn invoice_payments(&self, invoice_id: &str) -> DbResult<Vec<PaymentShare>> {
        sqlx::query_as(&format!(
            "SELECT {}, {SHARE_COLUMNS} FROM payment_allocations a \
             JOIN payments p ON p.tenant_id = a.tenant_id AND p.id = a.payment_id \
             JOIN invoices i ON i.tenant_id = a.tenant_id AND i.id = a.invoice_id \
             WHERE a.tenant_id = $1 AND a.invoice_id = $2 ORDER BY p.created_at DESC, p.id DESC",
            payment_columns_of_p()
        ))
        .bind(self.tenant)
        .bind(invoice_id)
        .fetch_all(&self.db.pool)
        .await
        .context("listing an invoice's payments")
    }

    /// What was paid on several jobs, newest first, one row per invoice a
    /// payment pays there: one query.
    pub async fn payments_of_jobs(&self, job_ids: &[JobId]) -> DbResult<Vec<PaymentShare>> {
        if job_ids.is_empty() {
            return Ok(Vec::new());
        }
        let among = super::jobs::placeholders(2, job_ids.len());
        let sql = format!(
            "SELECT {}, {SHARE_COLUMNS} FROM payment_allocations a \
             JOIN payments p ON p.tenant_id = a.tenant_id AND p.id = a.payment_id \
             JOIN invoices i ON i.tenant_id = a.tenant_id AND i.id = a.invoice_id \
             WHERE a.tenant_id = $1 AND a.job_id IN ({among}) ORDER BY p.created_at DESC, p.id DESC, a.position",
            payment_columns_of_p()
        );
        let mut query = sqlx::query_as::<_, PaymentShare>(&sql).bind(self.tenant);
        for job_id in job_ids {
            query = query.bind(job_id);
        }
        query.fetch_all(&self.db.pool).await.context("listing the payments of several jobs")
    }

    /// What was paid on the job, newest first, one row per invoice.
    pub async fn job_payments(&self, job_id: &JobId) -> DbResult<Vec<PaymentShare>> {
        self.db.read_once("job_payments", self.tenant, job_id.as_str(), || async move {
            self.payments_of_jobs(std::slice::from_ref(job_id)).await
        })
        .await
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
                self.invoice_payments(invoice_id).await?.iter().map(PaymentShare::facts).collect();
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

    /// Write an invoice off as bad debt (`by`, `reason`) if it is still as
    /// it was read (`revision`) and still to pay; false when it changed
    /// meanwhile or was already written off.
    pub async fn write_off_invoice(&self, invoice_id: &str, revision: i64, by: &str, reason: &str) -> DbResult<bool> {
        let changed = sqlx::query(
            "UPDATE invoices SET written_off_at = $3, written_off_by = $4, written_off_reason = $5, revision = revision + 1 \
             WHERE tenant_id = $1 AND id = $2 AND revision = $6 AND written_off_at IS NULL AND status IN ('due', 'failed')",
        )
        .bind(self.tenant)
        .bind(invoice_id)
        .bind(portico_core::model::now())
        .bind(by)
        .bind(reason)
        .bind(revision)
        .execute(&self.db.pool)
        .await
        .context("writing an invoice off")?;
        Ok(changed.rows_affected() == 1)
    }

    /// Take a write-off back; false when the invoice was not written off.
    pub async fn undo_write_off(&self, invoice_id: &str) -> DbResult<bool> {
        let changed = sqlx::query(
            "UPDATE invoices SET written_off_at = NULL, written_off_by = NULL, written_off_reason = NULL, revision = revision + 1 \
             WHERE tenant_id = $1 AND id = $2 AND written_off_at IS NOT NULL",
        )
        .bind(self.tenant)
        .bind(invoice_id)
        .execute(&self.db.pool)
        .await
        .context("taking a write-off back")?;
        Ok(changed.rows_affected() == 1)
    }

    /// The business's checkouts still open, with any provider.
    pub async fn open_checkouts(&self) -> DbResult<Vec<Payment>> {
        sqlx::query_as(&format!("SELECT {PAYMENT_COLUMNS} FROM payments WHERE tenant_id = $1 AND status = 'open'"))
            .bind(self.tenant)
            .fetch_all(&self.db.pool)
            .await
            .context("listing open checkouts")
    }

    /// How many of the tenant's checkouts with `provider` are still open or processing.
    pub async fn open_checkout_count(&self, provider: &str) -> DbResult<i64> {
        sqlx::query_scalar("SELECT COUNT(*) FROM payments WHERE tenant_id = $1 AND provider = $2 AND status IN ('open', 'processing')")
            .bind(self.tenant)
            .bind(provider)
            .fetch_one(&self.db.pool)
            .await
            .context("counting open checkouts")
    }

    /// The card fee added to online card payments from now on.
    pub async fn set_card_fee(&self, fee: portico_core::money::CardFee) -> DbResult<()> {
        sqlx::query("UPDATE tenants SET card_fee_basis_points = $1, card_fee_fixed_minor = $2 WHERE id = $3")
            .bind(fee.basis_points)
            .bind(fee.fixed_minor)
            .bind(self.tenant)
            .execute(&self.db.pool)
            .await
            .context("setting the card fee")?;
        self.db.forget_business(self.tenant);
        Ok(())
    }

    /// The business's sales tax rate, in basis points.
    pub async fn set_tax_rate(&self, basis_points: i64) -> DbResult<()> {
        sqlx::query("UPDATE tenants SET tax_rate_bp = $1 WHERE id = $2")
            .bind(basis_points)
            .bind(self.tenant)
            .execute(&self.db.pool)
            .await
            .context("setting the tax rate")?;
        self.db.forget_business(self.tenant);
        Ok(())
    }

    pub async fn set_payment_provider(&self, provider: PaymentProvider, stripe_account: Option<&str>) -> DbResult<()> {
        sqlx::query("UPDATE tenants SET payment_provider = $1, stripe_account = $2 WHERE id = $3")
            .bind(provider.as_str())
            .bind(stripe_account)
            .bind(self.tenant)
            .execute(&self.db.pool)
            .await
            .context("setting the payment provider")?;
        self.db.forget_business(self.tenant);
        Ok(())
    }
}
