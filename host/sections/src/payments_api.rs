//! The `checkout` interface: paying invoices through the business's
//! provider, one from the job's page (`start`) or several in one checkout
//! on the job's page or the account hub (`quote`, `start-many`), and the
//! viewer's word that they paid another way (`report-paid`). The rules (who
//! may pay what, the card fee, one open checkout per invoice) are the money
//! service's; a section only asks.

use super::bindings::{checkout, types};
use super::call::CallState;
use super::host_api::{unavailable, Change};
use super::permissions::Permission;
use portico_core::ids::JobId;
use portico_core::model::Tenant;
use portico_core::money::PaymentMethod;
use portico_data::Actor;
use portico_services::payments::{CheckoutError, PaidElsewhere, Payments};
use types::{Error, Surface};

/// Who pays in this call, and the jobs whose invoices they may pay: the
/// job's own on its page, every job where they see the bill on the hub.
struct Payer {
    payments: Payments,
    tenant: Tenant,
    contact_id: String,
    name: String,
    jobs: Vec<JobId>,
}

impl Payer {
    /// How staff see who started a payment ("Dana Whitfield (client)").
    fn started_by(&self) -> String {
        format!("{} (client)", self.name)
    }
}

/// Where the payer's jobs come from: the call's job, or their account.
enum Reach {
    Job(JobId),
    Account { proven_email: Option<String> },
}

/// What a payer is found with, taken from the call before any await (the
/// call's state is not shared across threads).
struct PayerScope {
    db: portico_data::Db,
    payments: Payments,
    tenant_id: portico_core::ids::TenantId,
    contact_id: String,
    name: String,
    reach: Reach,
}

impl PayerScope {
    async fn payer(self) -> Result<Payer, Error> {
        let business = self.db.tenant(&self.tenant_id);
        let jobs = match self.reach {
            Reach::Job(job_id) => vec![job_id],
            Reach::Account { proven_email } => business
                .account_job_details(&self.contact_id, proven_email.as_deref())
                .await
                .map_err(unavailable)?
                .into_iter()
                .filter(|job| job.role.0.sees_billing())
                .map(|job| job.job_id)
                .collect(),
        };
        let tenant = business.business().await.map_err(unavailable)?.ok_or(Error::NotFound)?;
        Ok(Payer { payments: self.payments, tenant, contact_id: self.contact_id, name: self.name, jobs })
    }
}

impl CallState {
    fn payer_scope(&self) -> Result<PayerScope, Error> {
        let db = self.granted_anywhere(Permission::Checkout)?.clone();
        let payments = self.host.as_ref().map(|host| host.payments.clone()).ok_or(Error::NotFound)?;
        if self.scope.preview {
            return Err(Error::Invalid("nothing is paid in a preview".into()));
        }
        let viewer = self.scope.viewer.as_ref().filter(|viewer| viewer.staff.is_none());
        let Some((viewer, contact_id)) = viewer.and_then(|viewer| viewer.contact_id.clone().map(|id| (viewer, id))) else {
            return Err(Error::Invalid("only a client who sees the bill pays it".into()));
        };
        let reach = match (self.scope.surface, &self.scope.job_id) {
            (Surface::JobPage, Some(job_id)) if viewer.role.sees_billing() => Reach::Job(job_id.clone()),
            (Surface::JobPage, _) => return Err(Error::Invalid("only the clients on the job pay its invoices".into())),
            (Surface::AccountHub, _) => Reach::Account { proven_email: viewer.proven_email.clone() },
            _ => return Err(Error::Invalid("invoices are paid from the job's page or the account hub".into())),
        };
        Ok(PayerScope { db, payments, tenant_id: self.scope.tenant_id.clone(), contact_id, name: viewer.display_name.clone(), reach })
    }
}

/// A money failure as a section reads it; the reasons are the payer's.
fn refused(error: CheckoutError) -> Error {
    match error {
        CheckoutError::NotFound => Error::NotFound,
        CheckoutError::Blocked(reason) => Error::Invalid(reason),
        CheckoutError::Finished(status) => Error::Invalid(format!("that checkout is {status}")),
        CheckoutError::Provider(error) => {
            tracing::error!(%error, "the payment provider failed");
            Error::Unavailable("the payment service is not reachable; try again later".into())
        }
        CheckoutError::Db(error) => unavailable(error),
    }
}

impl checkout::Host for CallState {
    async fn start(&mut self, invoice_id: String) -> Result<String, Error> {
        self.granted_anywhere(Permission::Checkout)?;
        if self.scope.surface != Surface::JobPage {
            return Err(Error::Invalid("start pays one invoice from the job's page; use start-many on the account hub".into()));
        }
        self.start_many(vec![invoice_id]).await
    }

    async fn quote(&mut self, invoice_ids: Vec<String>) -> Result<checkout::CardQuote, Error> {
        let payer = self.payer_scope()?.payer().await?;
        let quote = payer.payments.checkouts().quote(&payer.tenant, &payer.jobs, &invoice_ids).await.map_err(refused)?;
        Ok(checkout::CardQuote { balance: quote.balance, card_fee: quote.card_fee, total: quote.card_total() })
    }

    async fn start_many(&mut self, invoice_ids: Vec<String>) -> Result<String, Error> {
        self.may_change(Permission::Checkout, Change::ForViewer)?;
        let payer = self.payer_scope()?.payer().await?;
        payer.payments.checkouts().start(&payer.tenant, &payer.jobs, &invoice_ids, &payer.started_by()).await.map_err(refused)
    }

    async fn report_paid(&mut self, invoice_ids: Vec<String>, method: String, reference: String) -> Result<String, Error> {
        self.may_change(Permission::Checkout, Change::ForViewer)?;
        let payer = self.payer_scope()?.payer().await?;
        let Some(method) = PaymentMethod::OUTSIDE.into_iter().find(|m| m.as_str() == method) else {
            return Err(Error::Invalid("say how it was paid: ach, cash, check, bank-transfer or zelle".into()));
        };
        let report = PaidElsewhere { invoice_ids: &invoice_ids, method, reference: &reference };
        let actor = Actor::contact(&payer.contact_id, &payer.name);
        payer.payments.report_paid_elsewhere(&payer.tenant, &payer.jobs, &report, actor).await.map_err(refused)
    }
}
