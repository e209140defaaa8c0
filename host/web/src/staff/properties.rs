//! The business's properties: a searchable list, and each property's page
//! with its name and kind, its notes (a description or access notes, for the
//! team or shown to the clients) and the jobs there. Every member reads them;
//! owners and office staff change them.

use super::roles::Ability;
use crate::app::AppState;
use crate::error::WebError;
use crate::sessions::StaffSession;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use axum_extra::extract::cookie::CookieJar;
use portico_core::formats::{Formats as _, TenantFormats};
use portico_core::model::{Property, PropertyKind};
use portico_core::stages::JobStage;
use portico_services::jobs::{JobError, JobRefusal, MAX_NOTE_CHARS, MAX_PROPERTY_NAME_CHARS};
use portico_services::properties::{PropertyNoteRequest, PropertyProfile};
use serde::Deserialize;
use serde_json::json;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/staff/properties", get(list))
        .route("/staff/properties/{property_id}", get(page).post(update))
        .route("/staff/properties/{property_id}/notes", post(add_note))
        .route("/staff/properties/{property_id}/notes/{note_id}/remove", post(remove_note))
}

/// How many properties the list shows at once; a search finds the rest.
const LISTED: i64 = 100;

#[derive(Deserialize, Default)]
#[serde(default)]
struct Search {
    q: String,
}

/// `GET /staff/properties?q=`
async fn list(State(state): State<AppState>, jar: CookieJar, session: StaffSession, Query(search): Query<Search>) -> Result<Response, WebError> {
    session.require(Ability::ViewJobs)?;
    let tenant = state.db.tenant(&session.row.tenant_id).business().await?.ok_or(WebError::NotFound)?;
    let formats = TenantFormats::new(&tenant);
    let lines = state.db.tenant(&tenant.id).property_list(&search.q, LISTED + 1).await?;
    let more = lines.len() as i64 > LISTED;
    let rows: Vec<serde_json::Value> = lines
        .iter()
        .take(LISTED as usize)
        .map(|line| {
            json!({
                "id": line.property.id,
                "title": line.property.title(),
                "address": line.property.one_line(),
                "kind": line.property.kind_label(),
                "jobs": line.jobs,
                "newest": line.newest_job_at.map(|at| formats.day(at)),
            })
        })
        .collect();
    let data = json!({ "q": search.q, "properties": rows, "more": more });
    super::console_page(&state, jar, session, "staff_properties", "Properties", data).await
}

/// What a refused form brings back, and the refusal, beside the field it is about.
#[derive(Default)]
struct Kept {
    profile: Option<(String, String)>,
    note: Option<NoteForm>,
    error: Option<Refused>,
}

struct Refused {
    /// `name`, `kind` or `body` (the note).
    field: &'static str,
    message: String,
}

impl Refused {
    fn of(refusal: JobRefusal) -> Refused {
        let field = match refusal {
            JobRefusal::PropertyNameTooLong(_) => "name",
            JobRefusal::UnknownPropertyKind => "kind",
            _ => "body",
        };
        Refused { field, message: refusal.to_string() }
    }
}

/// `GET /staff/properties/{id}`
async fn page(State(state): State<AppState>, jar: CookieJar, session: StaffSession, Path(property_id): Path<String>) -> Result<Response, WebError> {
    session.require(Ability::ViewJobs)?;
    render(&state, jar, session, &property_id, Kept::default()).await
}

async fn render(state: &AppState, jar: CookieJar, session: StaffSession, property_id: &str, kept: Kept) -> Result<Response, WebError> {
    let tenant = state.db.tenant(&session.row.tenant_id).business().await?.ok_or(WebError::NotFound)?;
    let business = state.db.tenant(&tenant.id);
    let property = business.find_property(property_id).await?.ok_or(WebError::NotFound)?;
    let formats = TenantFormats::new(&tenant);
    let notes: Vec<serde_json::Value> = business
        .property_notes(&[property_id], true)
        .await?
        .into_iter()
        .map(|note| {
            json!({
                "id": note.id,
                "body": note.body,
                "access": note.is_access(),
                "for_clients": note.for_clients(),
                "by": note.by_name,
                "at": formats.moment(note.created_at),
            })
        })
        .collect();
    let jobs: Vec<serde_json::Value> = business
        .property_jobs(property_id)
        .await?
        .into_iter()
        .map(|job| {
            let stage = JobStage::current(job.latest_stage.as_deref(), &job.status);
            json!({
                "id": job.id,
                "reference": job.reference,
                "stage": stage.label(),
                "visit": job.first_visit.map(|at| formats.moment(at)).unwrap_or_else(|| "Not booked".into()),
            })
        })
        .collect();
    let (name, kind) = kept.profile.clone().unwrap_or_else(|| (property.name.clone().unwrap_or_default(), property.kind.clone()));
    let note = kept.note.unwrap_or_default();
    let status = if kept.error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let data = json!({
        "property": view(&property),
        "name": name,
        "kinds": PropertyKind::ALL.iter().map(|k| json!({ "value": k.as_str(), "label": k.label(), "selected": k.as_str() == kind })).collect::<Vec<_>>(),
        "notes": notes,
        "note": { "body": note.body, "access": note.topic == "access", "for_clients": note.for_clients.is_some() },
        "jobs": jobs,
        "error": kept.error.as_ref().map(|error| json!({ "message": error.message, error.field: true })),
        "may_edit": session.may(Ability::ManageJobs),
        "max_name": MAX_PROPERTY_NAME_CHARS,
        "max_note": MAX_NOTE_CHARS,
    });
    let mut response = super::console_page(state, jar, session, "staff_property", &property.title(), data).await?;
    *response.status_mut() = status;
    Ok(response)
}

fn view(property: &Property) -> serde_json::Value {
    json!({ "id": property.id, "title": property.title(), "address": property.one_line(), "kind": property.kind_label(), "named": property.name.is_some() })
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ProfileForm {
    csrf: String,
    name: String,
    kind: String,
}

/// `POST /staff/properties/{id}`: its name and kind.
async fn update(State(state): State<AppState>, jar: CookieJar, session: StaffSession, Path(property_id): Path<String>, Form(form): Form<ProfileForm>) -> Result<Response, WebError> {
    let tenant = super::acting(&state, &session, &form.csrf, Ability::ManageJobs).await?;
    let profile = PropertyProfile { name: &form.name, kind: &form.kind };
    match state.jobs.update_property(&tenant, &property_id, &profile, &super::actor(&session)).await {
        Ok(property) => {
            super::notice(&state, &session, "success", &format!("{} is saved.", property.title())).await?;
            Ok(Redirect::to(&format!("/staff/properties/{property_id}")).into_response())
        }
        Err(JobError::Refused(refusal)) => {
            let kept = Kept { profile: Some((form.name, form.kind)), error: Some(Refused::of(refusal)), ..Kept::default() };
            render(&state, jar, session, &property_id, kept).await
        }
        Err(error) => Err(error.into()),
    }
}

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
struct NoteForm {
    csrf: String,
    body: String,
    /// `general` or `access`.
    topic: String,
    for_clients: Option<String>,
}

/// `POST /staff/properties/{id}/notes`
async fn add_note(State(state): State<AppState>, jar: CookieJar, session: StaffSession, Path(property_id): Path<String>, Form(form): Form<NoteForm>) -> Result<Response, WebError> {
    let tenant = super::acting(&state, &session, &form.csrf, Ability::ManageJobs).await?;
    let access = match form.topic.as_str() {
        "access" => true,
        "general" => false,
        _ => return Err(WebError::BadRequest("The form is incomplete. Reload the page and try again.".into())),
    };
    let request = PropertyNoteRequest { body: &form.body, access, for_clients: form.for_clients.is_some() };
    match state.jobs.add_property_note(&tenant, &property_id, &request, &super::actor(&session)).await {
        Ok(_) => {
            let shown = if request.for_clients { "the clients of the jobs here see it on their portal" } else { "for your team only" };
            super::notice(&state, &session, "success", &format!("The note is added; {shown}.")).await?;
            Ok(Redirect::to(&format!("/staff/properties/{property_id}#notes")).into_response())
        }
        Err(JobError::Refused(refusal)) => {
            let kept = Kept { error: Some(Refused::of(refusal)), note: Some(form), ..Kept::default() };
            render(&state, jar, session, &property_id, kept).await
        }
        Err(error) => Err(error.into()),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RemoveForm {
    csrf: String,
}

/// `POST /staff/properties/{id}/notes/{note}/remove`
async fn remove_note(State(state): State<AppState>, session: StaffSession, Path((property_id, note_id)): Path<(String, String)>, Form(form): Form<RemoveForm>) -> Result<Response, WebError> {
    let tenant = super::acting(&state, &session, &form.csrf, Ability::ManageJobs).await?;
    match state.jobs.remove_property_note(&tenant, &property_id, &note_id, &super::actor(&session)).await {
        Ok(_) => super::notice(&state, &session, "success", "The note is removed.").await?,
        // Removed already (another tab, a colleague): say so rather than fail.
        Err(JobError::NotFound("note")) => super::notice(&state, &session, "info", "That note was removed already.").await?,
        Err(error) => return Err(error.into()),
    }
    Ok(Redirect::to(&format!("/staff/properties/{property_id}#notes")).into_response())
}
