//! `/api/v1/jobs/{id}/add-ons`: a job's add-on requests: what its clients asked for from the business's
//! catalogue, and the business's decision. Approving puts the add-on on the
//! job's invoice still to pay (or a new one); both go through the same
//! service as the console's buttons.

use portico_core::ids::JobId;
use super::{ApiCaller, ApiError, Scope};
use crate::app::AppState;
use axum::extract::{Path, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use super::openapi::{ReadKey, WriteKey, AddOnPath, JobPath};
use super::views::{AddOnRequestList, AddOnRequestView, ErrorBody};
use portico_core::model::Tenant;
use portico_services::add_ons::Decided;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/jobs/{job_id}/add-ons", get(list))
        .route("/api/v1/jobs/{job_id}/add-ons/{request_id}/approve", post(approve))
        .route("/api/v1/jobs/{job_id}/add-ons/{request_id}/decline", post(decline))
}

#[utoipa::path(
    get,
    path = "/api/v1/jobs/{job_id}/add-ons",
    tag = "Add-ons",
    operation_id = "listAddOnRequests",
    summary = "What the job's clients asked to add from the business's add-on services, and what was decided",
    params(JobPath),
    responses(
        (status = 200, description = "The job's add-on requests, oldest first", body = AddOnRequestList),
        ReadKey,
        (status = 404, description = "No such job in this business", body = ErrorBody),
    )
)]
pub(super) async fn list(State(state): State<AppState>, caller: ApiCaller, Path(job_id): Path<JobId>) -> Result<Json<AddOnRequestList>, ApiError> {
    caller.require(Scope::JobsRead)?;
    let tenant = super::job_parts::job_of(&state, &caller, &job_id).await?;
    let data = state.db.tenant(&tenant.id).add_on_requests(&job_id).await?.iter().map(AddOnRequestView::from).collect();
    Ok(Json(AddOnRequestList { data }))
}

#[utoipa::path(
    post,
    path = "/api/v1/jobs/{job_id}/add-ons/{request_id}/approve",
    tag = "Add-ons",
    operation_id = "approveAddOnRequest",
    summary = "Approve an add-on request: it goes on the job's invoice still to pay, or on a new one when every invoice is settled",
    params(AddOnPath),
    responses(
        (status = 200, description = "The request, approved", body = AddOnRequestView),
        WriteKey,
        (status = 404, description = "No such job, or no such request on it", body = ErrorBody),
        (status = 409, description = "The request was already approved or declined", body = ErrorBody),
    )
)]
pub(super) async fn approve(State(state): State<AppState>, caller: ApiCaller, Path((job_id, request_id)): Path<(JobId, String)>) -> Result<Json<AddOnRequestView>, ApiError> {
    caller.require(Scope::JobsWrite)?;
    let tenant = super::job_parts::job_of(&state, &caller, &job_id).await?;
    let decided = state.add_ons.approve(&tenant, &job_id, &request_id, caller.actor().name, &caller.actor()).await?;
    decision(&state, &tenant, &job_id, &request_id, decided).await
}

#[utoipa::path(
    post,
    path = "/api/v1/jobs/{job_id}/add-ons/{request_id}/decline",
    tag = "Add-ons",
    operation_id = "declineAddOnRequest",
    summary = "Decline an add-on request: the client sees it is not available for this job",
    params(AddOnPath),
    responses(
        (status = 200, description = "The request, declined", body = AddOnRequestView),
        WriteKey,
        (status = 404, description = "No such job, or no such request on it", body = ErrorBody),
        (status = 409, description = "The request was already approved or declined", body = ErrorBody),
    )
)]
pub(super) async fn decline(State(state): State<AppState>, caller: ApiCaller, Path((job_id, request_id)): Path<(JobId, String)>) -> Result<Json<AddOnRequestView>, ApiError> {
    caller.require(Scope::JobsWrite)?;
    let tenant = super::job_parts::job_of(&state, &caller, &job_id).await?;
    let decided = state.add_ons.decline(&tenant, &job_id, &request_id, caller.actor().name, &caller.actor()).await?;
    decision(&state, &tenant, &job_id, &request_id, decided).await
}

/// The request as it is now, or 409 when someone had decided it already.
async fn decision(state: &AppState, tenant: &Tenant, job_id: &JobId, request_id: &str, decided: Decided) -> Result<Json<AddOnRequestView>, ApiError> {
    if let Decided::AlreadyDecided(name) = decided {
        return Err(ApiError::Conflict(format!("{name} was already decided.")));
    }
    let requests = state.db.tenant(&tenant.id).add_on_requests(job_id).await?;
    let request = requests.iter().find(|r| r.id == request_id).ok_or(ApiError::NotFound("add-on request"))?;
    Ok(Json(AddOnRequestView::from(request)))
}
