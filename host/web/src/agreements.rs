//! The signed agreement's PDF, for the people on the job who may have it and
//! for staff.

use portico_core::ids::JobId;
use portico_services::agreements::{certificate, for_job};
use crate::app::AppState;
use crate::error::WebError;
use portico_core::model::{Role, Tenant};
use crate::sessions::{PortalSession, StaffSession};
use crate::staff::roles::Ability;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::get;
use axum::Router;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/jobs/{job_id}/agreements/{agreement_id}/pdf", get(portal_pdf))
        .route("/staff/jobs/{job_id}/agreements/{agreement_id}/pdf", get(staff_pdf))
}

/// `GET /jobs/{job}/agreements/{id}/pdf`: once someone signed, for the
/// clients and the roles that sign it; 404 for everyone else.
async fn portal_pdf(State(state): State<AppState>, session: PortalSession, Path((job_id, id)): Path<(JobId, String)>) -> Result<Response, WebError> {
    let role = session.on_job(&state, &job_id).await?.role.0;
    let tenant = state.db.tenant(&session.row.tenant_id).business().await?.ok_or(WebError::NotFound)?;
    agreement_pdf(&state, &tenant, &job_id, &id, role).await
}

/// `GET /staff/jobs/{job}/agreements/{id}/pdf`: any staff member of the business.
async fn staff_pdf(State(state): State<AppState>, session: StaffSession, Path((job_id, id)): Path<(JobId, String)>) -> Result<Response, WebError> {
    session.require(Ability::ViewJobs)?;
    let tenant = state.db.tenant(&session.row.tenant_id).business().await?.ok_or(WebError::NotFound)?;
    state.db.tenant(&tenant.id).job(&job_id).await?.ok_or(WebError::NotFound)?;
    agreement_pdf(&state, &tenant, &job_id, &id, Role::Staff).await
}

async fn agreement_pdf(state: &AppState, tenant: &Tenant, job_id: &JobId, id: &str, role: Role) -> Result<Response, WebError> {
    let agreements = for_job(&state.db, tenant, job_id).await?;
    let agreement = agreements.into_iter().find(|a| a.template_id == id && a.may_download(role)).ok_or(WebError::NotFound)?;
    let pdf = certificate::signed_agreement(&state.db, tenant, job_id, &agreement).await?.ok_or(WebError::NotFound)?;
    Ok(crate::download::pdf(&pdf.title, pdf.bytes))
}
