//! The `estimates` interface (granted with `agreements`): the estimates a
//! viewer may see — the job's on its page, every job they are a client of on
//! the account hub — and a client's answer, which the estimates service
//! checks and records whatever the section did first.

use super::bindings::{estimates, types};
use super::call::CallState;
use super::host_api::{unavailable, Change};
use super::permissions::Permission;
use portico_core::estimates::EstimateStatus;
use portico_core::formats::TenantFormats;
use portico_core::ids::JobId;
use portico_core::model::{Role, Tenant};
use portico_services::agreements::Signer;
use portico_services::estimates::{AcceptRequest, EstimateError, EstimateView, Estimates};
use types::{Error, Surface};

/// The jobs a call reaches: each with its reference and whether the viewer
/// may answer its estimates (a client; staff read them and answer none).
type Reach = Vec<(JobId, String, bool)>;

/// What an estimates call works with, taken from the call before any await
/// (the call's state is not shared across threads).
struct EstimateCall {
    db: portico_data::Db,
    service: Estimates,
    tenant_id: portico_core::ids::TenantId,
    surface: Surface,
    job_id: Option<JobId>,
    role: Role,
    staff: bool,
    contact_id: Option<String>,
    proven_email: Option<String>,
    preview: bool,
    origin: portico_core::model::RequestOrigin,
    plugin_id: String,
}

impl CallState {
    fn estimate_call(&self) -> Result<EstimateCall, Error> {
        let db = self.granted_anywhere(Permission::Agreements)?.clone();
        let service = self.host.as_ref().map(|host| host.estimates.clone()).ok_or_else(|| Error::Invalid("no business is served by this call".into()))?;
        let viewer = self.scope.viewer.as_ref();
        Ok(EstimateCall {
            db,
            service,
            tenant_id: self.scope.tenant_id.clone(),
            surface: self.scope.surface,
            job_id: self.scope.job_id.clone(),
            role: viewer.map(|viewer| viewer.role).unwrap_or(Role::Other),
            staff: viewer.is_some_and(|viewer| viewer.staff.is_some()),
            contact_id: viewer.and_then(|viewer| viewer.contact_id.clone()),
            proven_email: viewer.and_then(|viewer| viewer.proven_email.clone()),
            preview: self.scope.preview,
            origin: self.scope.origin.clone(),
            plugin_id: self.scope.plugin_id.clone(),
        })
    }

    /// An estimates call that answers in the viewer's name: only from
    /// `handle-action`, on the estimate's job page, by a contact.
    fn answering_call(&self) -> Result<(EstimateCall, JobId, String), Error> {
        let call = self.estimate_call()?;
        self.may_change(Permission::Agreements, Change::ForViewer)?;
        if call.preview {
            return Err(Error::Invalid("Nothing is answered in a preview.".into()));
        }
        let Some(job_id) = call.job_id.clone().filter(|_| call.surface == Surface::JobPage) else {
            return Err(Error::Invalid("an estimate is answered on its job's page".into()));
        };
        let Some(contact_id) = call.contact_id.clone().filter(|_| !call.staff) else {
            return Err(Error::Invalid("Only the job's clients answer its estimates.".into()));
        };
        Ok((call, job_id, contact_id))
    }
}

impl EstimateCall {
    async fn business(&self) -> Result<Tenant, Error> {
        self.db.tenant(&self.tenant_id).business().await.map_err(unavailable)?.ok_or(Error::NotFound)
    }

    /// The jobs whose estimates the call reaches.
    async fn reach(&self) -> Result<Reach, Error> {
        let business = self.db.tenant(&self.tenant_id);
        match (self.surface, &self.job_id) {
            (Surface::AccountHub, _) => {
                let Some(contact_id) = self.contact_id.as_deref().filter(|_| !self.staff) else { return Ok(Vec::new()) };
                let jobs = business.account_job_details(contact_id, self.proven_email.as_deref()).await.map_err(unavailable)?;
                Ok(jobs.into_iter().filter(|job| matches!(job.role.0, Role::Client | Role::CoClient)).map(|job| (job.job_id, job.reference, true)).collect())
            }
            (_, Some(job_id)) => {
                if !self.staff && !matches!(self.role, Role::Client | Role::CoClient) {
                    return Ok(Vec::new());
                }
                let job = business.job(job_id).await.map_err(unavailable)?.ok_or(Error::NotFound)?;
                Ok(vec![(job_id.clone(), job.reference, !self.staff && !self.preview)])
            }
            (_, None) => Err(Error::Invalid("estimates are read on a job's page or the account hub".into())),
        }
    }

    async fn job_reference(&self, job_id: &JobId) -> Result<String, Error> {
        Ok(self.db.tenant(&self.tenant_id).job(job_id).await.map_err(unavailable)?.map(|job| job.reference).unwrap_or_default())
    }

    /// The client answering, as a signer: accepting is signing.
    fn answerer<'a>(&'a self, contact_id: &'a str) -> Signer<'a> {
        Signer { contact_id, origin: &self.origin, plugin_id: Some(&self.plugin_id) }
    }
}

fn wit_estimate(tenant: &Tenant, view: EstimateView, reference: &str, may_answer: bool) -> estimates::Estimate {
    let formats = TenantFormats::new(tenant);
    let EstimateView { estimate, lines, totals, version, expired } = view;
    let viewer_may_answer = may_answer && estimate.status == EstimateStatus::Sent && !expired;
    estimates::Estimate {
        id: estimate.id,
        job_id: estimate.job_id.to_string(),
        job_reference: reference.to_string(),
        number: estimate.number,
        title: estimate.title,
        message: estimate.message,
        status: match estimate.status {
            EstimateStatus::Accepted => estimates::EstimateStatus::Accepted,
            EstimateStatus::Declined => estimates::EstimateStatus::Declined,
            EstimateStatus::Withdrawn => estimates::EstimateStatus::Withdrawn,
            // Drafts are filtered out before; a sent one awaits its answer.
            EstimateStatus::Sent | EstimateStatus::Draft => estimates::EstimateStatus::Sent,
        },
        lines: lines
            .iter()
            .map(|line| estimates::EstimateLine {
                id: line.id.clone(),
                description: line.description.clone(),
                quantity: u32::try_from(line.quantity).unwrap_or(u32::MAX),
                unit_price: line.unit_price_minor,
                amount: line.priced().amount(),
                tax_rate: u32::try_from(line.tax_rate_bp).unwrap_or(0),
                optional: line.optional(),
                chosen: line.chosen(),
            })
            .collect(),
        subtotal: totals.subtotal,
        tax: totals.tax,
        total: totals.total,
        deposit_percent: u32::try_from(estimate.deposit_percent).unwrap_or(0),
        deposit: totals.deposit,
        expires_at: estimate.expires_at,
        expires_on: formats.day(estimate.expires_at),
        expired,
        version,
        viewer_may_answer,
        consent_text: tenant.esign_consent().to_string(),
        decided_at: estimate.decided_at,
        decided_by: estimate.decided_by_name,
        decline_reason: estimate.decline_reason,
        invoice_ids: estimate.deposit_invoice_id.into_iter().chain(estimate.invoice_id).collect(),
    }
}

/// A refusal in the viewer's words, or the host's trouble.
fn answer_error(error: EstimateError) -> Error {
    match error {
        EstimateError::NotFound => Error::NotFound,
        EstimateError::Refused(reason) => Error::Invalid(reason),
        EstimateError::Invalid(problems) => Error::Invalid(problems.into_iter().map(|p| p.message).collect::<Vec<_>>().join(" ")),
        EstimateError::Db(error) => unavailable(error),
    }
}

impl estimates::Host for CallState {
    async fn list_estimates(&mut self) -> Result<Vec<estimates::Estimate>, Error> {
        let call = self.estimate_call()?;
        let reach = call.reach().await?;
        if reach.is_empty() {
            return Ok(Vec::new());
        }
        let tenant = call.business().await?;
        let job_ids: Vec<JobId> = reach.iter().map(|(id, _, _)| id.clone()).collect();
        let views = call.service.of_jobs(&tenant, &job_ids, false).await.map_err(unavailable)?;
        Ok(views
            .into_iter()
            .filter_map(|view| {
                let (_, reference, may_answer) = reach.iter().find(|(id, _, _)| *id == view.estimate.job_id)?;
                Some(wit_estimate(&tenant, view, reference, *may_answer))
            })
            .collect())
    }

    async fn accept(&mut self, estimate_id: String, version: String, signer_name: String, consent: bool, chosen: Vec<String>) -> Result<estimates::Estimate, Error> {
        let (call, job_id, contact_id) = self.answering_call()?;
        let tenant = call.business().await?;
        let request = AcceptRequest { version: &version, signer_name: &signer_name, consent, chosen: &chosen };
        let view = call.service.accept(&tenant, &job_id, &estimate_id, &call.answerer(&contact_id), &request).await.map_err(answer_error)?;
        Ok(wit_estimate(&tenant, view, &call.job_reference(&job_id).await?, true))
    }

    async fn decline(&mut self, estimate_id: String, reason: String) -> Result<estimates::Estimate, Error> {
        let (call, job_id, contact_id) = self.answering_call()?;
        let tenant = call.business().await?;
        let view = call.service.decline(&tenant, &job_id, &estimate_id, &call.answerer(&contact_id), &reason).await.map_err(answer_error)?;
        Ok(wit_estimate(&tenant, view, &call.job_reference(&job_id).await?, true))
    }
}
