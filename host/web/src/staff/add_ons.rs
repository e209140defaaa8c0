//! Add-on services: the owner keeps the catalogue; office staff and owners
//! approve or decline what a job's clients asked for. Approving adds an
//! `add-on` line to the job's open invoice (or a new invoice when every one
//! is settled), recomputes it and tells the sections.

use portico_core::ids::JobId;
use super::roles::Ability;
use crate::app::AppState;
use crate::csrf::{check_session, CsrfForm};
use portico_data::AuditEntry;
use portico_services::add_ons::Decided;
use crate::error::WebError;
use portico_core::model::{AddOnStatus, Tenant};
use portico_core::formats::Formats as _;
use crate::sessions::StaffSession;
use portico_core::formats::TenantFormats;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use axum_extra::extract::cookie::CookieJar;
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/staff/add-ons", get(catalogue).post(add_service))
        .route("/staff/add-ons/{service_id}/toggle", post(toggle_service))
        .route("/staff/jobs/{job_id}/add-ons/{request_id}/approve", post(approve))
        .route("/staff/jobs/{job_id}/add-ons/{request_id}/decline", post(decline))
}

/// The job page's list of requests.
pub(super) async fn requests_view(state: &AppState, tenant: &Tenant, job_id: &JobId, session: &StaffSession) -> Result<serde_json::Value, WebError> {
    let formats = TenantFormats::new(tenant);
    let requests: Vec<serde_json::Value> = state
        .db
        .tenant(&tenant.id)
        .add_on_requests(job_id)
        .await?
        .into_iter()
        .map(|r| {
            serde_json::json!({
                "id": r.id,
                "name": r.name,
                "price": formats.money(r.price_minor),
                "requested_by": r.requested_by,
                "requested_at": formats.moment(r.requested_at),
                "pending": r.status == AddOnStatus::Requested,
                "status": match r.status {
                    AddOnStatus::Approved => "Approved, on the invoice",
                    AddOnStatus::Declined => "Declined",
                    AddOnStatus::Requested => "Awaiting your decision",
                },
            })
        })
        .collect();
    Ok(serde_json::json!({ "list": requests, "may_decide": session.may(Ability::DecideAddOns) }))
}

async fn render(state: &AppState, jar: CookieJar, session: StaffSession, error: Option<&str>) -> Result<Response, WebError> {
    let tenant = state.db.tenant(&session.row.tenant_id).business().await?.ok_or(WebError::NotFound)?;
    let formats = TenantFormats::new(&tenant);
    let services: Vec<serde_json::Value> = state
        .db
        .tenant(&tenant.id)
        .add_on_services()
        .await?
        .into_iter()
        .map(|s| serde_json::json!({ "id": s.id, "name": s.name, "description": s.description, "price": formats.money(s.price_minor), "active": s.active != 0 }))
        .collect();
    let data = serde_json::json!({ "services": services, "error": error });
    super::console_page(state, jar, session, "staff_add_ons", "Add-on services", data).await
}

async fn catalogue(State(state): State<AppState>, jar: CookieJar, session: StaffSession) -> Result<Response, WebError> {
    session.require(Ability::ManageSettings)?;
    render(&state, jar, session, None).await
}

#[derive(Deserialize)]
struct ServiceForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    price: String,
}

async fn add_service(State(state): State<AppState>, jar: CookieJar, session: StaffSession, Form(form): Form<ServiceForm>) -> Result<Response, WebError> {
    check_session(&form.csrf, &session.row.csrf_token)?;
    session.require(Ability::ManageSettings)?;
    let name = form.name.trim();
    if name.is_empty() || name.chars().count() > 120 || form.description.chars().count() > 1000 {
        return render(&state, jar, session, Some("Give the add-on a name (at most 120 characters) and a description of at most 1,000.")).await;
    }
    let price = match super::payments::parse_amount(&form.price) {
        Ok(price) => price,
        Err(error) => return render(&state, jar, session, Some(&format!("Price: {error}"))).await,
    };
    state.db.tenant(&session.row.tenant_id).create_add_on_service(name, form.description.trim(), price).await?;
    let audit = AuditEntry::new(&session.row.tenant_id, "settings.add_on_created", &format!("Offered the add-on \"{name}\"")).by(super::actor(&session));
    state.db.record_audit(&audit).await?;
    super::notice(&state, &session, "success", &format!("\"{name}\" is offered to clients now.")).await?;
    Ok(Redirect::to("/staff/add-ons").into_response())
}

#[derive(Deserialize)]
struct ToggleForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    active: String,
}

async fn toggle_service(State(state): State<AppState>, session: StaffSession, Path(service_id): Path<String>, Form(form): Form<ToggleForm>) -> Result<Response, WebError> {
    check_session(&form.csrf, &session.row.csrf_token)?;
    session.require(Ability::ManageSettings)?;
    let active = form.active == "1";
    if !state.db.tenant(&session.row.tenant_id).set_add_on_active(&service_id, active).await? {
        return Err(WebError::NotFound);
    }
    let message = if active { "Offered again." } else { "No longer offered; requests already made stay." };
    super::notice(&state, &session, "success", message).await?;
    Ok(Redirect::to("/staff/add-ons").into_response())
}

fn back(job_id: &JobId) -> Response {
    Redirect::to(&format!("/staff/jobs/{job_id}#add-ons")).into_response()
}

/// The checks both decisions make; returns the tenant and the staff member's name.
async fn decision(state: &AppState, session: &StaffSession, csrf: &str, job_id: &JobId) -> Result<Tenant, WebError> {
    check_session(csrf, &session.row.csrf_token)?;
    session.require(Ability::DecideAddOns)?;
    let tenant = state.db.tenant(&session.row.tenant_id).business().await?.ok_or(WebError::NotFound)?;
    state.db.tenant(&tenant.id).job(job_id).await?.ok_or(WebError::NotFound)?;
    Ok(tenant)
}

async fn approve(State(state): State<AppState>, session: StaffSession, Path((job_id, request_id)): Path<(JobId, String)>, Form(form): Form<CsrfForm>) -> Result<Response, WebError> {
    let tenant = decision(&state, &session, &form.csrf, &job_id).await?;
    let decided_by = session.user.display_name.clone();
    let (tone, message) = match state.add_ons.approve(&tenant, &job_id, &request_id, &decided_by, &super::actor(&session)).await? {
        Decided::Done(name) => ("success", format!("{name} approved and added to the invoice.")),
        Decided::AlreadyDecided(name) => ("warning", format!("{name} was already decided.")),
    };
    super::notice(&state, &session, tone, &message).await?;
    Ok(back(&job_id))
}

async fn decline(State(state): State<AppState>, session: StaffSession, Path((job_id, request_id)): Path<(JobId, String)>, Form(form): Form<CsrfForm>) -> Result<Response, WebError> {
    let tenant = decision(&state, &session, &form.csrf, &job_id).await?;
    let (tone, message) = match state.add_ons.decline(&tenant, &job_id, &request_id, &session.user.display_name, &super::actor(&session)).await? {
        Decided::Done(_) => ("success", "Declined. The client sees that it is not available for this job.".to_string()),
        Decided::AlreadyDecided(name) => ("warning", format!("{name} was already decided.")),
    };
    super::notice(&state, &session, tone, &message).await?;
    Ok(back(&job_id))
}
