//! The `requests` interface (granted with `conversations`): a signed-in
//! client's service requests on the account hub, and sending one, which the
//! requests service checks and keeps whatever the section did first.

use super::bindings::{requests, types};
use super::call::CallState;
use super::host_api::{unavailable, Change};
use super::permissions::Permission;
use portico_core::ids::TenantId;
use portico_core::requests::{PreferredVisit, RequestStatus};
use portico_data::{Db, ServiceRequest};
use portico_services::conversations::ContactViewer;
use portico_services::requests::{RequestError, RequestForm, ServiceRequests};
use types::{Error, Surface};

/// What a requests call works with, taken from the call before any await.
struct RequestScope {
    db: Db,
    service: ServiceRequests,
    tenant_id: TenantId,
    plugin_id: String,
    contact_id: String,
    proven_email: Option<String>,
    name: String,
}

impl RequestScope {
    fn viewer(&self) -> ContactViewer<'_> {
        ContactViewer { contact_id: &self.contact_id, verified_email: self.proven_email.as_deref(), name: &self.name }
    }
}

impl CallState {
    /// Granted, on the account hub, for a signed-in contact.
    fn request_scope(&self, change: Option<Change>) -> Result<RequestScope, Error> {
        let db = self.granted_anywhere(Permission::Conversations)?.clone();
        if let Some(change) = change {
            self.may_change(Permission::Conversations, change)?;
        }
        if self.scope.surface != Surface::AccountHub || self.scope.preview {
            return Err(Error::Invalid("service requests are made on the client's account page".into()));
        }
        let service = self.host.as_ref().map(|host| host.requests.clone()).ok_or_else(|| Error::Invalid("no business is served by this call".into()))?;
        let viewer = self.scope.viewer.as_ref().filter(|viewer| viewer.staff.is_none());
        let Some((viewer, contact_id)) = viewer.and_then(|viewer| viewer.contact_id.clone().map(|id| (viewer, id))) else {
            return Err(Error::Invalid("the viewer is not a signed-in client".into()));
        };
        Ok(RequestScope {
            db,
            service,
            tenant_id: self.scope.tenant_id.clone(),
            plugin_id: self.scope.plugin_id.clone(),
            contact_id,
            proven_email: viewer.proven_email.clone(),
            name: viewer.display_name.clone(),
        })
    }
}

fn wit_request(request: ServiceRequest) -> requests::ServiceRequest {
    let preferred: Vec<PreferredVisit> = serde_json::from_str(&request.preferred).unwrap_or_default();
    requests::ServiceRequest {
        place: request.place(),
        status: match request.status {
            RequestStatus::Open => requests::RequestStatus::Open,
            RequestStatus::Scheduled => requests::RequestStatus::Scheduled,
            RequestStatus::Closed => requests::RequestStatus::Closed,
        },
        preferred: preferred.iter().map(PreferredVisit::describe).collect(),
        thread_url: format!("/messages/{}", request.conversation_id),
        job_id: request.job_id.map(|id| id.to_string()),
        created_at: request.created_at,
        id: request.id,
        number: request.number,
        description: request.description,
    }
}

fn part_name(part: requests::DayPart) -> &'static str {
    match part {
        requests::DayPart::Morning => "morning",
        requests::DayPart::Afternoon => "afternoon",
        requests::DayPart::Evening => "evening",
        requests::DayPart::AnyTime => "any-time",
    }
}

impl requests::Host for CallState {
    async fn list_requests(&mut self) -> Result<Vec<requests::ServiceRequest>, Error> {
        let scope = self.request_scope(None)?;
        let found = scope.db.tenant(&scope.tenant_id).requests_of_contact(&scope.contact_id, scope.proven_email.as_deref()).await.map_err(unavailable)?;
        Ok(found.into_iter().map(wit_request).collect())
    }

    async fn submit(&mut self, request: requests::NewRequest) -> Result<requests::ServiceRequest, Error> {
        let scope = self.request_scope(Some(Change::ForViewer))?;
        let tenant = scope.db.tenant(&scope.tenant_id).business().await.map_err(unavailable)?.ok_or(Error::NotFound)?;
        let preferred: Vec<PreferredVisit> =
            request.preferred.iter().map(|visit| PreferredVisit { day: visit.day.clone(), part: part_name(visit.part).to_string() }).collect();
        let address = request.address.as_ref();
        let form = RequestForm {
            description: &request.description,
            property_id: request.property_id.as_deref(),
            address: [
                address.map(|a| a.line1.as_str()).unwrap_or_default(),
                address.map(|a| a.city.as_str()).unwrap_or_default(),
                address.map(|a| a.region.as_str()).unwrap_or_default(),
                address.map(|a| a.postal_code.as_str()).unwrap_or_default(),
            ],
            preferred: &preferred,
            attached: request.files,
        };
        match scope.service.submit(&tenant, &scope.viewer(), &scope.plugin_id, form).await {
            Ok(kept) => Ok(wit_request(kept)),
            Err(RequestError::Invalid(problems)) => Err(Error::Invalid(problems.into_iter().map(|p| p.message).collect::<Vec<_>>().join(" "))),
            Err(RequestError::Refused(words)) => Err(Error::Invalid(words)),
            Err(RequestError::NotFound) => Err(Error::NotFound),
            Err(RequestError::Db(error)) => Err(unavailable(error)),
            Err(RequestError::Files(error)) => Err(unavailable(error)),
        }
    }
}
