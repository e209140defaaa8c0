//! The `account` interface: a signed-in contact's own jobs, properties and
//! invoices across the business, for sections on the account hub. The
//! scope is the one the hub's own page uses (the contact's live links, or
//! every link of the address they proved), so a section can never read
//! another contact's jobs, even on a property two clients share.

use super::bindings::{account, types};
use super::call::CallState;
use super::host_api::{invoice_views, to_wit_role, unavailable, wit_address};
use super::permissions::Permission;
use portico_services::account::{stage_of, summary_for};
use portico_services::account_files::{files_of_account, FileSource};
use portico_services::payments::batches::customer_batches;
use portico_core::formats::{Formats as _, TenantFormats};
use portico_core::ids::{JobId, TenantId};
use portico_core::money::InvoiceStatus;
use portico_data::{AccountJobDetail, Db};
use types::{Error, Surface};

/// What an account call reads with, taken from the call before any await
/// (the call's state is not shared across threads).
struct AccountScope {
    db: Db,
    tenant_id: TenantId,
    contact_id: String,
    proven_email: Option<String>,
}

impl AccountScope {
    async fn jobs(&self) -> Result<Vec<AccountJobDetail>, Error> {
        self.db.tenant(&self.tenant_id).account_job_details(&self.contact_id, self.proven_email.as_deref()).await.map_err(unavailable)
    }
}

impl CallState {
    /// The account's scope, if the call may read it: granted, on the
    /// account hub, for a signed-in contact.
    fn account_scope(&self) -> Result<AccountScope, Error> {
        let db = self.granted_anywhere(Permission::AccountRead)?.clone();
        if self.scope.surface != Surface::AccountHub {
            return Err(Error::Invalid("the account interface answers only on the account hub".into()));
        }
        let viewer = self.scope.viewer.as_ref().filter(|viewer| viewer.staff.is_none());
        let Some((viewer, contact_id)) = viewer.and_then(|viewer| viewer.contact_id.clone().map(|id| (viewer, id))) else {
            return Err(Error::Invalid("the viewer is not a signed-in contact".into()));
        };
        Ok(AccountScope { db, tenant_id: self.scope.tenant_id.clone(), contact_id, proven_email: viewer.proven_email.clone() })
    }
}

impl account::Host for CallState {
    async fn list_jobs(&mut self) -> Result<Vec<account::AccountJob>, Error> {
        let jobs = self.account_scope()?.jobs().await?;
        Ok(jobs
            .iter()
            .map(|job| account::AccountJob {
                id: job.job_id.to_string(),
                reference: job.reference.clone(),
                status: job.status.clone(),
                stage: stage_of(job).as_str().to_string(),
                role: to_wit_role(job.role.0),
                property_id: job.property.id.clone(),
                property: wit_address(&job.property),
                first_visit: job.first_visit,
            })
            .collect())
    }

    async fn list_job_summaries(&mut self) -> Result<Vec<account::JobSummary>, Error> {
        let scope = self.account_scope()?;
        let jobs = scope.jobs().await?;
        let business = scope.db.tenant(&scope.tenant_id);
        let tenant = business.business().await.map_err(unavailable)?.ok_or(Error::NotFound)?;
        let formats = TenantFormats::new(&tenant);
        let job_ids: Vec<JobId> = jobs.iter().map(|job| job.job_id.clone()).collect();
        let parts = business.job_parts(&job_ids).await.map_err(unavailable)?;
        // Totals only for the jobs whose bill the viewer sees.
        let invoices = business.invoices_of_jobs(&billed_job_ids(&jobs)).await.map_err(unavailable)?;
        Ok(jobs
            .iter()
            .map(|job| {
                let of = |part: &'static str| parts.iter().filter(move |p| p.job_id == job.job_id && p.part == part).map(|p| p.label.clone());
                let mut team: Vec<String> = Vec::new();
                for name in of("lead").chain(of("crew")) {
                    if !team.contains(&name) {
                        team.push(name);
                    }
                }
                let is_client = job.role.0.reads_client_notes();
                let invoiced: Vec<i64> = invoices
                    .iter()
                    .filter(|(job_id, invoice, _)| *job_id == job.job_id && invoice.status != InvoiceStatus::Void)
                    .map(|(_, invoice, lines)| invoice.total(lines))
                    .collect();
                account::JobSummary {
                    id: job.job_id.to_string(),
                    reference: job.reference.clone(),
                    stage: stage_of(job).as_str().to_string(),
                    role: to_wit_role(job.role.0),
                    property_id: job.property.id.clone(),
                    property_title: job.property.title(),
                    first_visit: job.first_visit,
                    first_visit_text: job.first_visit.map(|at| formats.moment(at)),
                    services: of("service").collect(),
                    team,
                    notes: if is_client { of("note").collect() } else { Vec::new() },
                    total: (is_client && !invoiced.is_empty()).then(|| invoiced.iter().sum()),
                }
            })
            .collect())
    }

    async fn list_properties(&mut self) -> Result<Vec<account::AccountProperty>, Error> {
        let jobs = self.account_scope()?.jobs().await?;
        Ok(properties_of(&jobs)
            .into_iter()
            .map(|(property, jobs)| account::AccountProperty { id: property.id.clone(), address: wit_address(property), jobs })
            .collect())
    }

    async fn list_property_profiles(&mut self) -> Result<Vec<account::PropertyProfile>, Error> {
        let scope = self.account_scope()?;
        let jobs = scope.jobs().await?;
        let mut profiles: Vec<account::PropertyProfile> = properties_of(&jobs)
            .into_iter()
            .map(|(property, jobs)| account::PropertyProfile {
                id: property.id.clone(),
                name: property.name.clone(),
                kind: property.kind.clone(),
                address: wit_address(property),
                notes: Vec::new(),
                jobs,
            })
            .collect();
        // Notes are for the clients, as on a job's page: only the places
        // where the viewer is a client or co-client on a job get them.
        let ids: Vec<&str> = profiles
            .iter()
            .map(|profile| profile.id.as_str())
            .filter(|id| jobs.iter().any(|job| job.property.id == *id && job.role.0.reads_client_notes()))
            .collect();
        let notes = portico_services::properties::for_clients(&scope.db, &scope.tenant_id, &ids).await.map_err(unavailable)?;
        for note in notes {
            if let Some(profile) = profiles.iter_mut().find(|profile| profile.id == note.property_id) {
                profile.notes.push(account::PropertyNote { topic: note.topic, body: note.body, at: note.created_at });
            }
        }
        Ok(profiles)
    }

    async fn list_files(&mut self) -> Result<Vec<account::AccountFile>, Error> {
        let scope = self.account_scope()?;
        let memo = self.scope.memo.clone();
        // The hub's Jobs and Properties sections both list them: one reading a render.
        let compute = || async {
            let jobs = scope.jobs().await?;
            let business = scope.db.tenant(&scope.tenant_id);
            let tenant = business.business().await.map_err(unavailable)?.ok_or(Error::NotFound)?;
            let descriptors = business.enabled_descriptors().await.map_err(unavailable)?;
            let sections: Vec<(String, Vec<portico_core::model::Role>)> =
                descriptors.into_iter().map(|(plugin_id, descriptor)| (plugin_id, super::surfaces::job_page_roles(&descriptor))).collect();
            files_of_account(&scope.db, &tenant, &scope.contact_id, &jobs, &sections).await.map_err(unavailable)
        };
        let files = super::RenderMemo::account_files_or_compute(memo.as_deref(), compute).await?;
        Ok(files
            .into_iter()
            .map(|file| {
                let (source, kind) = match file.source {
                    FileSource::Document { kind } => ("document", kind),
                    FileSource::Upload => ("attachment", if file.is_photo() { "photo" } else { "pdf" }.to_string()),
                };
                account::AccountFile {
                    job_id: file.job_id.to_string(),
                    job_reference: file.job_reference,
                    property_id: file.property_id,
                    source: source.to_string(),
                    kind,
                    title: file.title,
                    content_type: file.content_type,
                    url: file.url,
                    thumbnail_url: file.thumbnail_url,
                    attached_by: file.attached_by,
                    at: file.at,
                }
            })
            .collect())
    }

    async fn list_invoices(&mut self) -> Result<Vec<account::AccountInvoice>, Error> {
        let scope = self.account_scope()?;
        let checkouts = self.host.as_ref().map(|host| host.checkouts.clone());
        let jobs = scope.jobs().await?;
        let db = &scope.db;
        let tenant = db.tenant(&scope.tenant_id).business().await.map_err(unavailable)?.ok_or(Error::NotFound)?;
        let checkouts = checkouts.as_ref();
        let mut listed = Vec::new();
        // Agents follow a job, not its bill: only the client's own jobs.
        let billed: Vec<&AccountJobDetail> = jobs.iter().filter(|job| job.role.0.sees_billing()).collect();
        let job_ids = billed_job_ids(&jobs);
        // Three queries in all, however many jobs the account holds.
        let mut invoices = db.tenant(&scope.tenant_id).invoices_of_jobs(&job_ids).await.map_err(unavailable)?;
        let payments = db.tenant(&scope.tenant_id).payments_of_jobs(&job_ids).await.map_err(unavailable)?;
        for job in billed {
            let (own, rest): (Vec<_>, Vec<_>) = invoices.into_iter().partition(|(job_id, _, _)| *job_id == job.job_id);
            invoices = rest;
            let own = own.into_iter().map(|(_, invoice, lines)| (invoice, lines)).collect();
            for invoice in invoice_views(&tenant, &job.job_id, own, &payments, checkouts) {
                listed.push(account::AccountInvoice { job_id: job.job_id.to_string(), job_reference: job.reference.clone(), invoice });
            }
        }
        Ok(listed)
    }

    async fn list_payments(&mut self) -> Result<Vec<account::AccountPayment>, Error> {
        let scope = self.account_scope()?;
        let jobs = scope.jobs().await?;
        let job_ids = billed_job_ids(&jobs);
        let business = scope.db.tenant(&scope.tenant_id);
        let shares = business.payments_of_jobs(&job_ids).await.map_err(unavailable)?;
        // One row per invoice a payment pays, newest payment first: fold
        // them into one transaction each, in that order.
        let mut listed: Vec<account::AccountPayment> = Vec::new();
        for share in shares.iter().filter(|share| share.payment.status.listed()) {
            let paid = account::PaidInvoice {
                invoice_id: share.share_invoice_id.clone(),
                number: share.share_invoice_number.clone(),
                job_id: share.share_job_id.to_string(),
                amount: share.share_minor,
            };
            if let Some(known) = listed.iter_mut().find(|known| known.id == share.payment.id) {
                known.invoices.push(paid);
                continue;
            }
            if listed.len() == MAX_PAYMENTS_LISTED {
                break;
            }
            let payment = &share.payment;
            listed.push(account::AccountPayment {
                id: payment.id.clone(),
                method: payment.method.clone(),
                status: payment.status.as_str().to_string(),
                amount: payment.shown_amount(),
                card_fee: payment.fee_minor,
                refunded: payment.refunded_minor,
                at: payment.updated_at,
                reference: payment.reference.clone(),
                invoices: vec![paid],
                // The receipt hangs off a job the payment pays, and the viewer's.
                receipt_url: payment.status.received().then(|| format!("/jobs/{}/payments/{}/receipt", share.share_job_id, payment.id)),
            });
        }
        Ok(listed)
    }

    async fn summary(&mut self) -> Result<account::AccountSummary, Error> {
        let scope = self.account_scope()?;
        let jobs = scope.jobs().await?;
        // Every job they are billed for, not only the 200 newest the hub lists.
        let business = scope.db.tenant(&scope.tenant_id);
        let billed = business.billed_jobs(&scope.contact_id, scope.proven_email.as_deref()).await.map_err(unavailable)?;
        let invoices = business.invoices_of_jobs(&billed).await.map_err(unavailable)?;
        let tenant = business.business().await.map_err(unavailable)?.ok_or(Error::NotFound)?;
        let summary = summary_for(&tenant, &jobs, &invoices, portico_core::model::now());
        Ok(account::AccountSummary {
            completed_jobs: summary.completed_jobs,
            pending_jobs: summary.pending_jobs,
            invoiced: summary.invoiced,
            receivable: summary.receivable,
            receivable_jobs: summary.receivable_jobs,
            bad_debt: summary.bad_debt,
            bad_debt_jobs: summary.bad_debt_jobs,
            bad_debt_invoices: summary.bad_debt_invoices,
            months: summary
                .months
                .into_iter()
                .map(|month| account::MonthTotal { month: month.month, label: month.label, invoiced: month.invoiced })
                .collect(),
        })
    }

    async fn list_batches(&mut self) -> Result<Vec<account::AccountBatch>, Error> {
        let scope = self.account_scope()?;
        let tenant = scope.db.tenant(&scope.tenant_id).business().await.map_err(unavailable)?.ok_or(Error::NotFound)?;
        let statements = customer_batches(&scope.db, &tenant, &scope.contact_id, scope.proven_email.as_deref()).await.map_err(unavailable)?;
        Ok(statements
            .into_iter()
            .map(|statement| account::AccountBatch {
                to_pay: statement.to_pay(),
                pdf_url: format!("/account/batches/{}/pdf", statement.batch.id),
                invoice_ids: statement.members.iter().map(|member| member.invoice.id.clone()).collect(),
                total: statement.total,
                paid: statement.paid,
                balance: statement.balance,
                id: statement.batch.id,
                number: statement.batch.number,
                title: statement.batch.title,
                created_at: statement.batch.created_at,
            })
            .collect())
    }
}

/// The jobs whose bill the viewer sees (agents follow a job, not its bill).
fn billed_job_ids(jobs: &[AccountJobDetail]) -> Vec<JobId> {
    jobs.iter().filter(|job| job.role.0.sees_billing()).map(|job| job.job_id.clone()).collect()
}

/// The properties of these jobs with how many of them are at each, placed
/// by their first job (jobs come newest first).
fn properties_of(jobs: &[AccountJobDetail]) -> Vec<(&portico_core::model::Property, u32)> {
    let mut properties: Vec<(&portico_core::model::Property, u32)> = Vec::new();
    for job in jobs {
        match properties.iter_mut().find(|(property, _)| property.id == job.property.id) {
            Some((_, count)) => *count += 1,
            None => properties.push((&job.property, 1)),
        }
    }
    properties
}

/// The most payments `list-payments` answers.
const MAX_PAYMENTS_LISTED: usize = 500;
