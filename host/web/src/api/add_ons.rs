//! `/api/v1/jobs/{id}/add-ons`: a job's add-on requests: what its clients asked for from the business's
//! catalogue, and the business's decision. Approving puts the add-on on the
//! job's invoice still to pay (or a new one); both go through the same
//! service as the console's buttons.

use super::{ApiCaller, ApiError, Scope};
use crate::app::AppState;
use axum::extract::{Path, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use portico_core::formats::rfc3339;
use portico_core::model::Tenant;
use portico_data::AddOnRequest;
use portico_services::add_ons::Decided;
use serde_json::{json, Value};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/jobs/{job_id}/add-ons", get(list))
        .route("/api/v1/jobs/{job_id}/add-ons/{request_id}/approve", post(approve))
        .route("/api/v1/jobs/{job_id}/add-ons/{request_id}/decline", post(decline))
}

fn request_json(request: &AddOnRequest) -> Value {
    json!({
        "id": request.id,
        "service_id": request.service_id,
        "name": request.name,
        "price_minor": request.price_minor,
        "requested_by": request.requested_by,
        "requested_at": rfc3339(request.requested_at),
        "status": request.status,
        "decided_by": request.decided_by,
    })
}

async fn list(State(state): State<AppState>, caller: ApiCaller, Path(job_id): Path<String>) -> Result<Json<Value>, ApiError> {
    caller.require(Scope::JobsRead)?;
    let tenant = super::job_parts::job_of(&state, &caller, &job_id).await?;
    let data: Vec<Value> = state.db.tenant(&tenant.id).add_on_requests(&job_id).await?.iter().map(request_json).collect();
    Ok(Json(json!({ "data": data })))
}

async fn approve(State(state): State<AppState>, caller: ApiCaller, Path((job_id, request_id)): Path<(String, String)>) -> Result<Json<Value>, ApiError> {
    caller.require(Scope::JobsWrite)?;
    let tenant = super::job_parts::job_of(&state, &caller, &job_id).await?;
    let decided = state.add_ons.approve(&tenant, &job_id, &request_id, caller.actor().name, &caller.actor()).await?;
    decision(&state, &tenant, &job_id, &request_id, decided).await
}

async fn decline(State(state): State<AppState>, caller: ApiCaller, Path((job_id, request_id)): Path<(String, String)>) -> Result<Json<Value>, ApiError> {
    caller.require(Scope::JobsWrite)?;
    let tenant = super::job_parts::job_of(&state, &caller, &job_id).await?;
    let decided = state.add_ons.decline(&tenant, &job_id, &request_id, caller.actor().name, &caller.actor()).await?;
    decision(&state, &tenant, &job_id, &request_id, decided).await
}

/// The request as it is now, or 409 when someone had decided it already.
async fn decision(state: &AppState, tenant: &Tenant, job_id: &str, request_id: &str, decided: Decided) -> Result<Json<Value>, ApiError> {
    if let Decided::AlreadyDecided(name) = decided {
        return Err(ApiError::Conflict(format!("{name} was already decided.")));
    }
    let requests = state.db.tenant(&tenant.id).add_on_requests(job_id).await?;
    let request = requests.iter().find(|r| r.id == request_id).ok_or(ApiError::NotFound("add-on request"))?;
    Ok(Json(request_json(request)))
}
