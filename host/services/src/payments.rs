//! Money: the host's payment providers, never the plugins'. A section asks
//! for a checkout (`checkout.start`); the host records a payment, sends the
//! client to the provider (Stripe Checkout, or the labelled test provider),
//! learns the result from signed webhooks, the return page or reconciliation,
//! and recomputes the invoice. Staff record manual payments, which wait for
//! approval.

pub mod batches;
pub mod receipts;
pub mod invoices;
pub mod stripe;


use portico_core::ids::JobId;
use portico_data::{Actor, Allocation, AuditEntry, Db, DbError, InvoiceTotals, NewPayment, Payment, PaymentKey, PaymentNews};
use portico_core::model::{now, Tenant};
use crate::events::Events;
use portico_core::model::RequestOrigin;
use portico_core::formats::Formats;
use portico_core::money::{self as status, InvoiceStatus, PaymentMethod, PaymentProvider, PaymentStatus};
use std::sync::Arc;
use stripe::{CheckoutRequest, Stripe, StripeConfig, StripeError, Subject};

/// How long a prepared checkout stays payable (Stripe accepts 30 min to 24 h).
const CHECKOUT_LIFETIME_SECONDS: i64 = 2 * 3600;
/// An open checkout this close to expiring is replaced rather than reused.
const CHECKOUT_REUSE_MARGIN_SECONDS: i64 = 10 * 60;

/// Why a checkout could not be prepared or continued.
#[derive(Debug, thiserror::Error)]
pub enum CheckoutError {
    /// No such invoice or payment on this job (or another tenant's).
    #[error("not found")]
    NotFound,
    /// The invoice cannot be paid now; the reason is for the client.
    #[error("{0}")]
    Blocked(String),
    /// The checkout was already finished; the status says how.
    #[error("this checkout is {0}")]
    Finished(PaymentStatus),
    #[error(transparent)]
    Provider(#[from] StripeError),
    #[error(transparent)]
    Db(#[from] DbError),
}

/// Why a webhook was not accepted.
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    /// Stripe is not configured on this host.
    #[error("Stripe is not configured")]
    NotConfigured,
    /// The signature or timestamp is wrong: answered 400, never processed.
    #[error(transparent)]
    Signature(#[from] stripe::SignatureError),
    #[error("the event does not parse: {0}")]
    Malformed(String),
    /// The event is ours but its payment is not known yet; the provider
    /// retries later, by which time it is.
    #[error("the event's payment is not known yet")]
    NotYet,
    #[error(transparent)]
    Db(#[from] DbError),
}

/// What became of a webhook that was accepted.
#[derive(Debug, PartialEq, Eq)]
pub enum WebhookOutcome {
    Applied,
    /// The same event id was processed before.
    Duplicate,
    /// An event type or payment that is not Portico's.
    Ignored,
}

/// The part of the money service that host functions need: whether a
/// tenant can take card payments, and preparing checkouts.
#[derive(Clone)]
pub struct Checkouts {
    db: Db,
    stripe: Option<Arc<Stripe>>,
}

/// The most invoices one checkout (or one "I paid another way") pays.
pub const MAX_INVOICES_AT_ONCE: usize = 50;

/// What paying some invoices comes to, shown before paying: their balances
/// and, by card, the business's card fee.
#[derive(Debug, Clone)]
pub struct Quote {
    /// The invoices, in the order asked, each with its balance to pay.
    pub invoices: Vec<InvoiceTotals>,
    pub balance: i64,
    pub card_fee: i64,
}

impl Quote {
    /// What a card checkout charges.
    pub fn card_total(&self) -> i64 {
        self.balance + self.card_fee
    }

    fn parts(&self) -> Vec<Allocation> {
        self.invoices
            .iter()
            .map(|invoice| Allocation { invoice_id: invoice.id.clone(), job_id: invoice.job_id.clone(), amount_minor: invoice.balance() })
            .collect()
    }
}

impl Checkouts {
    pub fn new(db: Db, stripe: Option<StripeConfig>) -> anyhow::Result<Checkouts> {
        let stripe = match stripe {
            Some(config) => Some(Arc::new(Stripe::new(config)?)),
            None => None,
        };
        Ok(Checkouts { db, stripe })
    }

    /// Whether the tenant takes card payments online right now.
    pub fn provider_ready(&self, tenant: &Tenant) -> bool {
        match tenant.payment_provider {
            PaymentProvider::Test => true,
            PaymentProvider::Stripe => self.stripe.is_some(),
            PaymentProvider::None => false,
        }
    }

    /// Why an invoice with this status and balance cannot be paid now.
    pub fn blocked(&self, tenant: &Tenant, status: InvoiceStatus, balance: i64) -> Option<String> {
        status::checkout_blocked(status, balance, self.provider_ready(tenant))
    }

    /// The invoices a payer asks to pay, checked: each is one of the
    /// business's, on a job in `payable` (where the payer sees the bill),
    /// named once, and could be paid by card now. A reason for the payer
    /// when one cannot ("Invoice 1042: This invoice is paid.").
    pub async fn quote(&self, tenant: &Tenant, payable: &[JobId], invoice_ids: &[String]) -> Result<Quote, CheckoutError> {
        let invoices = self.payable_invoices(tenant, payable, invoice_ids).await?;
        for invoice in &invoices {
            if let Some(reason) = self.blocked(tenant, invoice.status, invoice.balance()) {
                return Err(refusal_of(&invoices, invoice, reason));
            }
        }
        let balance = invoices.iter().map(InvoiceTotals::balance).sum();
        Ok(Quote { invoices, balance, card_fee: tenant.card_fee().on(balance) })
    }

    /// The invoices asked for, each on one of the `payable` jobs; not found
    /// otherwise (another job's, another business's, or no invoice at all).
    async fn payable_invoices(&self, tenant: &Tenant, payable: &[JobId], invoice_ids: &[String]) -> Result<Vec<InvoiceTotals>, CheckoutError> {
        let mut unique: Vec<&str> = Vec::new();
        for id in invoice_ids.iter().map(|id| id.trim()) {
            if !unique.contains(&id) {
                unique.push(id);
            }
        }
        if unique.is_empty() {
            return Err(CheckoutError::Blocked("Choose at least one invoice to pay.".into()));
        }
        if unique.len() > MAX_INVOICES_AT_ONCE {
            return Err(CheckoutError::Blocked(format!("Pay at most {MAX_INVOICES_AT_ONCE} invoices at once.")));
        }
        let mut invoices = Vec::with_capacity(unique.len());
        for id in unique {
            let invoice = self.db.tenant(&tenant.id).invoice_totals(id).await?.filter(|i| payable.contains(&i.job_id)).ok_or(CheckoutError::NotFound)?;
            invoices.push(invoice);
        }
        Ok(invoices)
    }

    /// Prepare one card checkout of the balances of these invoices (and the
    /// card fee) and return the portal path that continues to the provider.
    /// An open checkout of exactly these, for the same amounts, is reused;
    /// any other open checkout holding one of them is given up first, so an
    /// invoice is never in two open checkouts and a double click never
    /// charges twice.
    pub async fn start(&self, tenant: &Tenant, payable: &[JobId], invoice_ids: &[String], started_by: &str) -> Result<String, CheckoutError> {
        for _ in 0..3 {
            let quote = self.quote(tenant, payable, invoice_ids).await?;
            let parts = quote.parts();
            let held: Vec<&str> = parts.iter().map(|part| part.invoice_id.as_str()).collect();
            let holding = self.db.tenant(&tenant.id).checkouts_holding(&held).await?;
            if let Some(reported) = holding.iter().find(|payment| payment.status != PaymentStatus::Open) {
                return Err(CheckoutError::Blocked(awaiting_approval(&self.db, tenant, reported).await?));
            }
            if let [open] = holding.as_slice()
                && self.still_serves(tenant, open, &parts, quote.card_fee).await?
            {
                return Ok(checkout_path(open));
            }
            if !holding.is_empty() {
                // The balance changed (an add-on was approved), the choice of
                // invoices did, it is about to lapse, or it was made with
                // another provider.
                for open in &holding {
                    self.give_up(tenant, open).await?;
                }
                continue;
            }
            let new = NewPayment {
                parts: &parts,
                fee_minor: quote.card_fee,
                holds: true,
                provider: tenant.payment_provider.as_str(),
                method: PaymentMethod::Card.as_str(),
                status: PaymentStatus::Open,
                currency: &tenant.currency,
                reference: None,
                note: None,
                started_by,
                expires_at: Some(now() + CHECKOUT_LIFETIME_SECONDS),
            };
            if let Some(id) = self.db.tenant(&tenant.id).insert_payment(&new).await? {
                tracing::info!(tenant = %tenant.id, invoices = parts.len(), payment = %id, "checkout prepared");
                return Ok(format!("/jobs/{}/checkout/{id}", parts[0].job_id));
            }
            // Another click won the race; take its checkout on the next turn.
        }
        Err(CheckoutError::Blocked("The invoice is changing right now. Please try again.".into()))
    }

    /// Whether an open checkout still pays exactly `parts` and `fee`, with
    /// the business's provider, long enough before it lapses to be used.
    async fn still_serves(&self, tenant: &Tenant, open: &Payment, parts: &[Allocation], fee: i64) -> Result<bool, DbError> {
        let fresh = open.expires_at.is_none_or(|at| at > now() + CHECKOUT_REUSE_MARGIN_SECONDS);
        if !fresh || open.fee_minor != fee || open.provider != tenant.payment_provider.as_str() {
            return Ok(false);
        }
        let paying = self.db.tenant(&tenant.id).payment_parts(&open.id).await?;
        Ok(paying.len() == parts.len()
            && paying.iter().zip(parts).all(|(was, is)| was.invoice_id == is.invoice_id && was.amount_minor == is.amount_minor))
    }

    /// Expire a checkout locally and, best effort, at the provider, so it can
    /// no longer be paid. A payment that still lands is recorded all the same.
    pub(crate) async fn give_up(&self, tenant: &Tenant, payment: &Payment) -> Result<(), DbError> {
        if let (Some(stripe), Some(checkout)) = (&self.stripe, payment.checkout_ref.as_deref())
            && let Err(error) = stripe.expire_checkout(checkout, tenant.stripe_account.as_deref()).await
        {
            tracing::warn!(payment = %payment.id, %error, "could not expire a replaced Stripe checkout");
        }
        self.db.tenant(&tenant.id).expire_checkout(&payment.id).await?;
        Ok(())
    }
}

/// The money service, shared by the portal, the staff console, the webhook
/// endpoint and the reconciliation worker.
#[derive(Clone)]
pub struct Payments {
    /// Also the database and Stripe client of the whole service.
    checkouts: Checkouts,
    events: Events,
    notifications: crate::notifications::Notifications,
    public_url: Arc<str>,
}

impl Payments {
    pub fn new(checkouts: Checkouts, events: Events, notifications: crate::notifications::Notifications, public_url: &str) -> Payments {
        Payments { checkouts, events, notifications, public_url: public_url.into() }
    }

    pub fn checkouts(&self) -> &Checkouts {
        &self.checkouts
    }

    pub fn stripe_configured(&self) -> bool {
        self.checkouts.stripe.is_some()
    }

    /// Where to send the client for an open checkout of the job: the provider's
    /// page, created once (the idempotency key makes a second request get the
    /// same Stripe session).
    pub async fn destination(&self, tenant: &Tenant, job_id: &JobId, payment_id: &str, email: Option<&str>) -> Result<String, CheckoutError> {
        let payment = self.open_payment(tenant, job_id, payment_id).await?;
        match payment.provider.as_str() {
            "test" => Ok(format!("/jobs/{job_id}/checkout/{payment_id}/test")),
            "stripe" => {
                if let Some(url) = payment.checkout_url {
                    return Ok(url);
                }
                let stripe = self.checkouts.stripe.as_ref().ok_or_else(|| CheckoutError::Blocked(unavailable_reason()))?;
                let numbers = self.invoice_numbers(tenant, &payment.id).await?;
                let back = format!("{}/jobs/{job_id}/checkout/{payment_id}", self.public_url);
                let formats = portico_core::formats::TenantFormats::new(tenant);
                let mut description = format!("{} — {}", tenant.name, numbers.describe());
                if payment.fee_minor > 0 {
                    description.push_str(&format!(" (includes a card fee of {})", formats.money(payment.fee_minor)));
                }
                let session = stripe
                    .create_checkout(&CheckoutRequest {
                        payment_id,
                        tenant_id: tenant.id.as_str(),
                        description: &description,
                        amount_minor: payment.amount_minor,
                        currency: &payment.currency,
                        customer_email: email,
                        success_url: &format!("{back}/done"),
                        cancel_url: &format!("{back}/cancelled"),
                        expires_at: payment.expires_at.unwrap_or(now() + CHECKOUT_LIFETIME_SECONDS),
                        connected_account: tenant.stripe_account.as_deref(),
                    })
                    .await?;
                let url = session.url.clone().ok_or_else(|| StripeError::Decode("the session has no url".into()))?;
                if !self.checkouts.db.tenant(&tenant.id).attach_checkout(payment_id, &session.id, &url, session.expires_at).await? {
                    let stored = self.checkouts.db.tenant(&tenant.id).payment(payment_id).await?.and_then(|p| p.checkout_url);
                    return Ok(stored.unwrap_or(url));
                }
                Ok(url)
            }
            _ => Err(CheckoutError::NotFound),
        }
    }

    /// A checkout of this job that is still open and may still be paid: made
    /// with the business's current provider, which is ready, and not past its
    /// expiry. One that may not is given up (expired here and at the
    /// provider) and answered as expired, so nothing can complete it.
    pub async fn open_payment(&self, tenant: &Tenant, job_id: &JobId, payment_id: &str) -> Result<Payment, CheckoutError> {
        let payment = self.payment_of_job(tenant, job_id, payment_id).await?;
        if payment.status != PaymentStatus::Open {
            return Err(CheckoutError::Finished(payment.status));
        }
        let current = payment.provider == tenant.payment_provider.as_str() && self.checkouts.provider_ready(tenant);
        let lapsed = payment.expires_at.is_some_and(|at| at <= now());
        if !current || lapsed {
            tracing::info!(payment = %payment.id, provider = %payment.provider, current, lapsed, "gave up a checkout that may no longer be paid");
            self.checkouts.give_up(tenant, &payment).await?;
            return Err(CheckoutError::Finished(PaymentStatus::Expired));
        }
        Ok(payment)
    }

    /// Choose how the business's clients pay online. Open checkouts made with
    /// another provider end here: a checkout completes only through the
    /// provider it was made with while that provider is the business's.
    pub async fn switch_provider(&self, tenant: &Tenant, provider: PaymentProvider, stripe_account: Option<&str>) -> Result<usize, DbError> {
        let db = &self.checkouts.db;
        db.tenant(&tenant.id).set_payment_provider(provider, stripe_account).await?;
        let mut ended = 0;
        for payment in db.tenant(&tenant.id).open_checkouts().await? {
            if payment.provider != provider.as_str() {
                self.checkouts.give_up(tenant, &payment).await?;
                ended += 1;
            }
        }
        Ok(ended)
    }

    /// A payment that pays something on the job.
    pub async fn payment_of_job(&self, tenant: &Tenant, job_id: &JobId, payment_id: &str) -> Result<Payment, CheckoutError> {
        self.checkouts.db.tenant(&tenant.id).payment_on_job(payment_id, job_id).await?.ok_or(CheckoutError::NotFound)
    }

    /// The numbers of the invoices a payment pays, in order.
    pub async fn invoice_numbers(&self, tenant: &Tenant, payment_id: &str) -> Result<InvoiceNumbers, DbError> {
        let business = self.checkouts.db.tenant(&tenant.id);
        let mut numbers = Vec::new();
        for part in business.payment_parts(payment_id).await? {
            if let Some(invoice) = business.invoice_totals(&part.invoice_id).await? {
                numbers.push(invoice.number);
            }
        }
        Ok(InvoiceNumbers(numbers))
    }

    /// Ask the provider how a checkout stands and apply what it says: the
    /// answer when a webhook is late or never comes.
    pub async fn reconcile(&self, tenant: &Tenant, payment: &Payment) -> Result<(), CheckoutError> {
        let (Some(stripe), Some(checkout)) = (&self.checkouts.stripe, payment.checkout_ref.as_deref()) else { return Ok(()) };
        if payment.provider != "stripe" {
            return Ok(());
        }
        let session = stripe.retrieve_checkout(checkout, tenant.stripe_account.as_deref()).await?;
        self.apply(payment, stripe::news_of_session(&session), Actor::provider("Stripe")).await?;
        Ok(())
    }

    /// Reconcile unfinished Stripe checkouts older than a few minutes; the
    /// worker calls this periodically. Returns how many were checked.
    pub async fn reconcile_due(&self) -> Result<usize, DbError> {
        if self.checkouts.stripe.is_none() {
            return Ok(0);
        }
        let due = self.checkouts.db.checkouts_to_reconcile("stripe", 5 * 60, 10 * 60, 50).await?;
        for payment in &due {
            let Some(tenant) = self.checkouts.db.tenant(&payment.tenant_id).business().await? else { continue };
            if let Err(error) = self.reconcile(&tenant, payment).await {
                tracing::warn!(payment = %payment.id, %error, "reconciling a checkout failed; will retry");
            }
        }
        Ok(due.len())
    }

    /// Reconcile in the background, every minute, on every instance (the
    /// `checked_at` stamp keeps instances from asking about the same one).
    pub fn spawn_reconciler(self) -> crate::worker::Worker {
        crate::worker::Worker::spawn(std::time::Duration::from_secs(60), move || {
            let payments = self.clone();
            async move {
                payments.reconcile_due().await.unwrap_or_else(|error| {
                    tracing::error!(%error, "payment reconciliation failed");
                    0
                })
            }
        })
    }

    /// Merge news into a payment, recompute every invoice it pays, record
    /// what changed in the audit log, and tell the sections when an
    /// invoice's status moved.
    pub async fn apply(&self, payment: &Payment, news: PaymentNews, actor: Actor<'_>) -> Result<(), DbError> {
        let tenant_id = &payment.tenant_id;
        let business = self.checkouts.db.tenant(tenant_id);
        let moved = business.merge_payment_news(&payment.id, &news).await?;
        let parts = business.payment_parts(&payment.id).await?;
        let mut changes = Vec::with_capacity(parts.len());
        for part in &parts {
            changes.push((part, business.recompute_invoice(&part.invoice_id).await?));
        }
        let Some(tenant) = business.business().await? else { return Ok(()) };
        if moved {
            let status = news.status.map(PaymentStatus::as_str).unwrap_or_default();
            let formats = portico_core::formats::TenantFormats::new(&tenant);
            let summary = format!("{} {} payment {}", formats.money(payment.amount_minor), payment.method, status);
            let mut entry = AuditEntry::new(tenant_id, &format!("payment.{status}"), &summary).by(actor).on_job(&payment.job_id);
            let invoices: Vec<&str> = parts.iter().map(|part| part.invoice_id.as_str()).collect();
            entry.details = serde_json::json!({
                "payment": payment.id, "invoice": payment.invoice_id, "invoices": invoices, "provider": payment.provider,
                "fee_minor": payment.fee_minor, "refunded_minor": news.refunded_minor,
            })
            .to_string();
            self.checkouts.db.record_audit(&entry).await?;
        }
        self.raise_webhooks(&tenant, payment, &changes).await?;
        for (part, (before, after)) in &changes {
            if before != after {
                self.events.invoice_updated(&tenant, &part.job_id, &part.invoice_id, RequestOrigin::default()).await;
            }
        }
        // News of a payment that went through is told once, when it does
        // (`moved` is the one update that changed it).
        if moved && payment.status != PaymentStatus::Succeeded && news.status == Some(PaymentStatus::Succeeded)
            && let Some(current) = business.payment(&payment.id).await?
        {
            let numbers = self.invoice_numbers(&tenant, &payment.id).await?;
            self.notifications.payment_recorded(&tenant, &current, &numbers).await;
        }
        Ok(())
    }

    /// Tell the business's webhook endpoints what changed: the payment
    /// (`earlier` is how it was before the news) and the status of each
    /// invoice it pays (before and after).
    async fn raise_webhooks(&self, tenant: &Tenant, earlier: &Payment, invoices: &[(&Allocation, (InvoiceStatus, InvoiceStatus))]) -> Result<(), DbError> {
        let db = &self.checkouts.db;
        let Some(current) = db.tenant(&tenant.id).payment(&earlier.id).await? else { return Ok(()) };
        let (was, is) = (earlier.status, current.status);
        let mut kinds = Vec::new();
        if is != was && is == PaymentStatus::Succeeded {
            kinds.push("payment.succeeded");
        }
        if is != was && matches!(is, PaymentStatus::Failed | PaymentStatus::Rejected) {
            kinds.push("payment.failed");
        }
        if current.refunded_minor > earlier.refunded_minor {
            kinds.push("payment.refunded");
        }
        let parts: Vec<serde_json::Value> = invoices
            .iter()
            .map(|(part, _)| serde_json::json!({ "invoice_id": part.invoice_id, "job_id": part.job_id, "amount_minor": part.amount_minor }))
            .collect();
        let payment = serde_json::json!({
            "id": current.id, "job_id": current.job_id, "invoice_id": current.invoice_id, "provider": current.provider, "method": current.method,
            "status": current.status, "amount_minor": current.amount_minor, "fee_minor": current.fee_minor, "captured_minor": current.captured_minor,
            "refunded_minor": current.refunded_minor, "currency": current.currency, "reference": current.reference, "invoices": parts,
        });
        for kind in kinds {
            crate::webhooks::raise(db, &tenant.id, kind, serde_json::json!({ "payment": payment }), None).await?;
        }
        for (part, (before, after)) in invoices {
            if *before != InvoiceStatus::Paid && *after == InvoiceStatus::Paid
                && let Some(invoice) = db.tenant(&tenant.id).invoice_totals(&part.invoice_id).await?
            {
                let data = serde_json::json!({ "invoice": {
                    "id": invoice.id, "job_id": invoice.job_id, "number": invoice.number, "status": invoice.status,
                    "total_minor": invoice.total, "paid_minor": invoice.paid, "currency": tenant.currency,
                }});
                crate::webhooks::raise(db, &tenant.id, "invoice.paid", data, None).await?;
            }
        }
        Ok(())
    }

    /// Verify, de-duplicate and apply a Stripe webhook.
    pub async fn stripe_webhook(&self, signature: Option<&str>, body: &[u8]) -> Result<WebhookOutcome, WebhookError> {
        let stripe = self.checkouts.stripe.as_ref().ok_or(WebhookError::NotConfigured)?;
        stripe::verify_signature(signature.unwrap_or_default(), body, stripe.webhook_secret(), now())?;
        let event: stripe::Event = serde_json::from_slice(body).map_err(|e| WebhookError::Malformed(e.to_string()))?;
        let Some((subject, news)) = stripe::read_event(&event) else { return Ok(WebhookOutcome::Ignored) };
        let payment = match &subject {
            Subject::Checkout(id) => self.checkouts.db.provider_payment("stripe", PaymentKey::CheckoutRef, id).await?,
            Subject::Charge { payment_id, payment_intent } => match (payment_id, payment_intent) {
                (Some(id), _) => self.checkouts.db.provider_payment("stripe", PaymentKey::Id, id).await?,
                (None, Some(intent)) => self.checkouts.db.provider_payment("stripe", PaymentKey::PaymentRef, intent).await?,
                (None, None) => None,
            },
        };
        let Some(payment) = payment else {
            // Ours (it names a payment of ours) but not stored yet cannot
            // happen for checkouts, which are stored before the client leaves;
            // a charge known only by its payment intent may arrive before the
            // session's completion: let Stripe retry it.
            return match subject {
                Subject::Charge { payment_id: None, payment_intent: Some(_) } => Err(WebhookError::NotYet),
                _ => Ok(WebhookOutcome::Ignored),
            };
        };
        if let (Some(account), Some(tenant)) = (&event.account, self.checkouts.db.tenant(&payment.tenant_id).business().await?)
            && tenant.stripe_account.as_deref() != Some(account.as_str())
        {
            tracing::warn!(event = %event.id, "a Stripe event from another connected account named one of our payments; ignored");
            return Ok(WebhookOutcome::Ignored);
        }
        if !self.checkouts.db.claim_payment_event("stripe", &event.id, &event.kind).await? {
            return Ok(WebhookOutcome::Duplicate);
        }
        if let Err(error) = self.apply(&payment, news, Actor::provider("Stripe")).await {
            // Give the claim back so Stripe's retry is processed.
            self.checkouts.db.release_payment_event("stripe", &event.id).await?;
            return Err(error.into());
        }
        self.checkouts.db.note_payment_event_tenant("stripe", &event.id, &payment.tenant_id).await?;
        Ok(WebhookOutcome::Applied)
    }

    /// Staff record a payment made outside the portal; it waits for approval.
    pub async fn record_manual(&self, tenant: &Tenant, job_id: &JobId, manual: &ManualPayment<'_>, actor: Actor<'_>) -> Result<String, CheckoutError> {
        let invoice = self.checkouts.db.tenant(&tenant.id).invoice_totals(manual.invoice_id).await?.filter(|i| i.job_id == job_id).ok_or(CheckoutError::NotFound)?;
        if matches!(invoice.status, InvoiceStatus::Draft | InvoiceStatus::Void) {
            return Err(CheckoutError::Blocked("Payments can only be recorded on an issued invoice.".into()));
        }
        let parts = [Allocation { invoice_id: invoice.id.clone(), job_id: job_id.clone(), amount_minor: manual.amount_minor }];
        let new = NewPayment {
            parts: &parts,
            fee_minor: 0,
            // The office may record several checks towards one invoice.
            holds: false,
            provider: "manual",
            method: manual.method.as_str(),
            status: PaymentStatus::Pending,
            currency: &tenant.currency,
            reference: manual.reference,
            note: manual.note,
            started_by: actor.name,
            expires_at: None,
        };
        let formats = portico_core::formats::TenantFormats::new(tenant);
        let summary = format!("{} {} recorded on invoice {}, awaiting approval", formats.money(manual.amount_minor), manual.method, invoice.number);
        self.record_pending(tenant, &new, &summary, actor).await
    }

    /// A client says they paid these invoices outside the portal (a check
    /// in the post, a Zelle transfer): one payment of their balances,
    /// awaiting the office's approval, which only then counts. The office is
    /// told. Each invoice must be one the client could pay: nothing is
    /// recorded on a paid or cancelled one, or one already being processed.
    pub async fn report_paid_elsewhere(
        &self,
        tenant: &Tenant,
        payable: &[JobId],
        report: &PaidElsewhere<'_>,
        actor: Actor<'_>,
    ) -> Result<String, CheckoutError> {
        let reference = report.reference.trim();
        if reference.chars().count() > 120 || reference.chars().any(char::is_control) {
            return Err(CheckoutError::Blocked("Keep the reference to one line of at most 120 characters.".into()));
        }
        if report.method == PaymentMethod::Card {
            return Err(CheckoutError::Blocked("A card payment goes through Pay online.".into()));
        }
        let invoices = self.checkouts.payable_invoices(tenant, payable, report.invoice_ids).await?;
        for invoice in &invoices {
            let reason = match invoice.status {
                status if !status.to_pay() || status == InvoiceStatus::Draft => Some(status::checkout_blocked(status, invoice.balance(), true).unwrap_or_default()),
                _ if invoice.balance() <= 0 => Some("Nothing is due on this invoice.".to_string()),
                _ => None,
            };
            if let Some(reason) = reason {
                return Err(refusal_of(&invoices, invoice, reason));
            }
        }
        let parts: Vec<Allocation> = invoices
            .iter()
            .map(|invoice| Allocation { invoice_id: invoice.id.clone(), job_id: invoice.job_id.clone(), amount_minor: invoice.balance() })
            .collect();
        // A card checkout still open on these invoices could be paid too:
        // give it up. A report already awaiting approval stands.
        let held: Vec<&str> = parts.iter().map(|part| part.invoice_id.as_str()).collect();
        for holding in self.checkouts.db.tenant(&tenant.id).checkouts_holding(&held).await? {
            if holding.status != PaymentStatus::Open {
                return Err(CheckoutError::Blocked(awaiting_approval(&self.checkouts.db, tenant, &holding).await?));
            }
            self.checkouts.give_up(tenant, &holding).await?;
        }
        let started_by = format!("{} (client)", actor.name);
        let new = NewPayment {
            parts: &parts,
            fee_minor: 0,
            // Two reports of the same invoices (a double click) cannot both stand.
            holds: true,
            provider: "manual",
            method: report.method.as_str(),
            status: PaymentStatus::Pending,
            currency: &tenant.currency,
            reference: Some(reference).filter(|r| !r.is_empty()),
            note: Some("Reported by the client"),
            started_by: &started_by,
            expires_at: None,
        };
        let formats = portico_core::formats::TenantFormats::new(tenant);
        let numbers = InvoiceNumbers(invoices.iter().map(|invoice| invoice.number.clone()).collect());
        let total = parts.iter().map(|part| part.amount_minor).sum();
        let summary = format!("{} paid by {} for {}, reported by the client, awaiting approval", formats.money(total), report.method.label(), numbers.describe());
        let id = self.record_pending(tenant, &new, &summary, actor).await?;
        let facts = serde_json::json!({
            "client": actor.name,
            "invoices": numbers.describe(),
            "amount": formats.money(total),
            "method": report.method.label(),
            "reference": reference,
            "link": format!("{}/staff/jobs/{}", self.public_url, parts[0].job_id),
        });
        if let Err(error) = crate::office::mail(&self.checkouts.db, &tenant.id, "office-payment-reported", &facts).await {
            tracing::error!(tenant = %tenant.id, %error, "could not tell the office of a reported payment");
        }
        Ok(id)
    }

    /// Record a payment awaiting approval and audit it.
    async fn record_pending(&self, tenant: &Tenant, new: &NewPayment<'_>, summary: &str, actor: Actor<'_>) -> Result<String, CheckoutError> {
        let business = self.checkouts.db.tenant(&tenant.id);
        let Some(id) = business.insert_payment(new).await? else {
            // Another holding payment took one of the invoices meanwhile.
            return Err(CheckoutError::Blocked("The invoice is changing right now. Please look at it again.".into()));
        };
        let payment = business.payment(&id).await?.ok_or(CheckoutError::NotFound)?;
        self.apply(&payment, PaymentNews { status: Some(PaymentStatus::Pending), ..Default::default() }, actor).await?;
        let entry = AuditEntry::new(&tenant.id, "payment.recorded", summary).by(actor).on_job(&payment.job_id);
        self.checkouts.db.record_audit(&entry).await?;
        Ok(id)
    }

    /// Approve or reject a pending manual payment.
    pub async fn decide_manual(&self, tenant: &Tenant, job_id: &JobId, payment_id: &str, approve: bool, actor: Actor<'_>) -> Result<(), CheckoutError> {
        let payment = self.payment_of_job(tenant, job_id, payment_id).await?;
        if payment.status != PaymentStatus::Pending {
            return Err(CheckoutError::Finished(payment.status));
        }
        if approve {
            // Money that arrived twice (a card payment and a reported check)
            // is not approved onto an invoice that no longer owes it.
            let business = self.checkouts.db.tenant(&tenant.id);
            for part in business.payment_parts(&payment.id).await? {
                let Some(invoice) = business.invoice_totals(&part.invoice_id).await? else { continue };
                if invoice.balance() < part.amount_minor {
                    let formats = portico_core::formats::TenantFormats::new(tenant);
                    return Err(CheckoutError::Blocked(format!(
                        "Invoice {} has {} left to pay, less than the {} this payment puts on it; reject it, or refund what was paid twice.",
                        invoice.number,
                        formats.money(invoice.balance().max(0)),
                        formats.money(part.amount_minor),
                    )));
                }
            }
        }
        let news = PaymentNews {
            status: Some(if approve { PaymentStatus::Succeeded } else { PaymentStatus::Rejected }),
            captured_minor: approve.then_some(payment.amount_minor),
            decided_by: Some(actor.name.to_string()),
            ..Default::default()
        };
        self.apply(&payment, news, actor).await?;
        Ok(())
    }
}

/// A payment made outside the portal, as staff enter it.
pub struct ManualPayment<'a> {
    pub invoice_id: &'a str,
    pub method: PaymentMethod,
    pub amount_minor: i64,
    pub reference: Option<&'a str>,
    pub note: Option<&'a str>,
}

/// A client's word that they paid some invoices another way.
pub struct PaidElsewhere<'a> {
    pub invoice_ids: &'a [String],
    pub method: PaymentMethod,
    /// A check number or transfer reference; may be empty.
    pub reference: &'a str,
}

/// The numbers of the invoices a payment pays.
#[derive(Debug, Clone, Default)]
pub struct InvoiceNumbers(pub Vec<String>);

impl InvoiceNumbers {
    /// "invoice 1042", "invoices 1042 and 1043", "invoices 1042, 1043 and 1044".
    pub fn describe(&self) -> String {
        match self.0.as_slice() {
            [] => "an invoice".into(),
            [one] => format!("invoice {one}"),
            [rest @ .., last] => format!("invoices {} and {last}", rest.join(", ")),
        }
    }
}

/// Why one of `invoices` cannot be paid, naming it when there are several
/// ("Invoice 2031: This invoice is paid.").
fn refusal_of(invoices: &[InvoiceTotals], invoice: &InvoiceTotals, reason: String) -> CheckoutError {
    CheckoutError::Blocked(if invoices.len() > 1 { format!("Invoice {}: {reason}", invoice.number) } else { reason })
}

/// Why an invoice cannot be paid while a payment the client reported waits.
async fn awaiting_approval(db: &Db, tenant: &Tenant, reported: &Payment) -> Result<String, DbError> {
    let number = db.tenant(&tenant.id).invoice_totals(&reported.invoice_id).await?.map(|invoice| invoice.number).unwrap_or_default();
    Ok(format!("A payment of invoice {number} was reported and awaits the office's approval."))
}

fn checkout_path(payment: &Payment) -> String {
    format!("/jobs/{}/checkout/{}", payment.job_id, payment.id)
}

fn unavailable_reason() -> String {
    "Online payment is not available right now. Please try again later.".into()
}
