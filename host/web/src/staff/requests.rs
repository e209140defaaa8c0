//! Service requests on the console: the office's inbox of what clients
//! asked for (open ones first), and each request's page, where the office
//! books it as a job in one step or closes it with a word to the client.
//! The answering happens in the request's conversation.

use super::roles::Ability;
use crate::app::AppState;
use crate::error::WebError;
use crate::sessions::StaffSession;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use axum_extra::extract::cookie::CookieJar;
use portico_core::formats::{Formats as _, TenantFormats};
use portico_core::requests::{DayPart, PreferredVisit, RequestStatus};
use portico_data::{Party, PersonKind, ServiceRequest};
use portico_services::requests::{Booking, RequestError};
use portico_services::Problem;
use serde::Deserialize;
use serde_json::json;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/staff/requests", get(inbox))
        .route("/staff/requests/{request_id}", get(page))
        .route("/staff/requests/{request_id}/book", post(book))
        .route("/staff/requests/{request_id}/close", post(close))
}

/// Requests the inbox shows.
const LISTED: i64 = 200;

fn visits(request: &ServiceRequest) -> Vec<PreferredVisit> {
    serde_json::from_str(&request.preferred).unwrap_or_default()
}

fn row(request: &ServiceRequest, formats: &TenantFormats) -> serde_json::Value {
    let suits: Vec<String> = visits(request).iter().map(PreferredVisit::describe).collect();
    json!({
        "id": request.id,
        "number": request.number,
        "client": request.contact_name,
        "what": portico_core::text::clamp(request.description.lines().next().unwrap_or_default(), 120),
        "description": request.description,
        "place": request.place(),
        "address": request.address(),
        "suits": if suits.is_empty() { "Any time".to_string() } else { suits.join("; ") },
        "status": request.status.label(),
        "open": request.status == RequestStatus::Open,
        "received": formats.moment(request.created_at),
        "decided": request.decided_at.map(|at| format!("{} · {}", formats.moment(at), request.decided_by.clone().unwrap_or_default())),
        "job": request.job_id.as_ref().map(|id| id.to_string()),
        "conversation": format!("/staff/conversations/{}", request.conversation_id),
    })
}

/// `GET /staff/requests`
async fn inbox(State(state): State<AppState>, jar: CookieJar, session: StaffSession) -> Result<Response, WebError> {
    session.require(Ability::Converse)?;
    let tenant = state.db.tenant(&session.row.tenant_id).business().await?.ok_or(WebError::NotFound)?;
    let formats = TenantFormats::new(&tenant);
    let requests = state.db.tenant(&tenant.id).service_requests(LISTED).await?;
    let open = requests.iter().filter(|r| r.status == RequestStatus::Open).count();
    let data = json!({ "requests": requests.iter().map(|r| row(r, &formats)).collect::<Vec<_>>(), "open": open });
    super::console_page(&state, jar, session, "staff_requests", "Service requests", data).await
}

/// What the booking form holds.
#[derive(Deserialize, Default, Clone)]
#[serde(default)]
struct BookForm {
    csrf: String,
    reference: String,
    appointment: String,
    duration_hours: String,
    staff_name: String,
    service: String,
    price: String,
}

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
struct CloseForm {
    csrf: String,
    note: String,
}

async fn render(state: &AppState, jar: CookieJar, session: StaffSession, request_id: &str, book: Option<BookForm>, close: Option<CloseForm>, problems: &[Problem]) -> Result<Response, WebError> {
    let tenant = state.db.tenant(&session.row.tenant_id).business().await?.ok_or(WebError::NotFound)?;
    let request = state.db.tenant(&tenant.id).service_request(request_id).await?.ok_or(WebError::NotFound)?;
    let formats = TenantFormats::new(&tenant);
    let book = book.unwrap_or_else(|| first_guess(&request, &session));
    let said = |field: &str| problems.iter().find(|p| p.field == field).map(|p| p.message.clone());
    let data = json!({
        "request": row(&request, &formats),
        "book": { "reference": book.reference, "appointment": book.appointment, "duration_hours": book.duration_hours, "staff_name": book.staff_name, "service": book.service, "price": book.price },
        "note": close.map(|c| c.note).unwrap_or_default(),
        "errors": { "reference": said("reference"), "appointment": said("appointment"), "price": said("price"), "note": said("note") },
        "problems": problems.iter().map(|p| p.message.clone()).collect::<Vec<_>>(),
        "may_book": session.may(Ability::ManageJobs),
        "timezone": tenant.timezone,
    });
    let mut response = super::console_page(state, jar, session, "staff_request", &format!("Request {}", request.number), data).await?;
    if !problems.is_empty() {
        *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(response)
}

/// The booking form's first guess: the request's number as the reference,
/// the first visit offered at the start of its part of the day, two hours,
/// the member booking it.
fn first_guess(request: &ServiceRequest, session: &StaffSession) -> BookForm {
    let appointment = visits(request)
        .first()
        .map(|visit| {
            let hour = visit.part.parse::<DayPart>().unwrap_or(DayPart::AnyTime).start_hour();
            format!("{}T{hour:02}:00", visit.day)
        })
        .unwrap_or_default();
    BookForm { reference: request.number.clone(), appointment, duration_hours: "2".into(), staff_name: session.user.display_name.clone(), ..BookForm::default() }
}

/// `GET /staff/requests/{id}`
async fn page(State(state): State<AppState>, jar: CookieJar, session: StaffSession, Path(request_id): Path<String>) -> Result<Response, WebError> {
    session.require(Ability::Converse)?;
    render(&state, jar, session, &request_id, None, None, &[]).await
}

/// `POST /staff/requests/{id}/book`: make the job, or show the form again
/// with what was typed and what is wrong.
async fn book(State(state): State<AppState>, jar: CookieJar, session: StaffSession, Path(request_id): Path<String>, Form(form): Form<BookForm>) -> Result<Response, WebError> {
    let tenant = super::acting(&state, &session, &form.csrf, Ability::ManageJobs).await?;
    let mut problems = Vec::new();
    let appointment = match form.appointment.trim() {
        "" => None,
        value => match super::job_setup::parse_local_time(&tenant, value) {
            Some(start) => {
                let hours = super::job_setup::duration_hours(&form.duration_hours, 2.0).unwrap_or_else(|message| {
                    problems.push(Problem { field: "appointment".into(), message });
                    -1.0
                });
                Some((start, start + (hours * 3600.0) as i64))
            }
            None => {
                problems.push(Problem { field: "appointment".into(), message: "Give the visit's day and time, or leave it empty to book it later.".into() });
                None
            }
        },
    };
    let service = match (form.service.trim(), form.price.trim()) {
        ("", "") => None,
        (name, price) => match portico_core::amounts::parse_amount(price).filter(|p| *p >= 0) {
            Some(minor) if !name.is_empty() && name.chars().count() <= 120 => Some((name.to_string(), minor)),
            _ => {
                problems.push(Problem { field: "price".into(), message: "Give the service a name (at most 120 characters) and a price like 125.00, or leave both empty.".into() });
                None
            }
        },
    };
    if !problems.is_empty() {
        return render(&state, jar, session, &request_id, Some(form), None, &problems).await;
    }
    let booking = Booking { reference: &form.reference, appointment, staff_name: &form.staff_name, service };
    let me = Party { kind: PersonKind::Staff, id: &session.user.id, name: &session.user.display_name };
    match state.requests.book(&tenant, &request_id, &booking, me).await {
        Ok(job_id) => {
            super::notice(&state, &session, "success", "The request is booked as this job; the client is told in the request's conversation.").await?;
            Ok(Redirect::to(&format!("/staff/jobs/{job_id}")).into_response())
        }
        Err(RequestError::Invalid(problems)) => render(&state, jar, session, &request_id, Some(form), None, &problems).await,
        Err(error) => answer(&state, &session, &request_id, error).await,
    }
}

/// `POST /staff/requests/{id}/close`
async fn close(State(state): State<AppState>, jar: CookieJar, session: StaffSession, Path(request_id): Path<String>, Form(form): Form<CloseForm>) -> Result<Response, WebError> {
    let tenant = super::acting(&state, &session, &form.csrf, Ability::Converse).await?;
    let me = Party { kind: PersonKind::Staff, id: &session.user.id, name: &session.user.display_name };
    match state.requests.close(&tenant, &request_id, &form.note, me).await {
        Ok(()) => {
            super::notice(&state, &session, "success", "The request is closed; the client is told why in its conversation.").await?;
            Ok(Redirect::to("/staff/requests").into_response())
        }
        Err(RequestError::Invalid(problems)) => render(&state, jar, session, &request_id, None, Some(form), &problems).await,
        Err(error) => answer(&state, &session, &request_id, error).await,
    }
}

/// A refusal as a notice on the request's page; anything else as an error.
async fn answer(state: &AppState, session: &StaffSession, request_id: &str, error: RequestError) -> Result<Response, WebError> {
    match error {
        RequestError::Refused(words) => {
            super::notice(state, session, "danger", &words).await?;
            Ok(Redirect::to(&format!("/staff/requests/{request_id}")).into_response())
        }
        RequestError::NotFound => Err(WebError::NotFound),
        RequestError::Db(error) => Err(error.into()),
        RequestError::Invalid(problems) => Err(WebError::BadRequest(problems.into_iter().map(|p| p.message).collect::<Vec<_>>().join(" "))),
        RequestError::Files(error) => Err(WebError::Internal(anyhow::anyhow!("a request's files: {error}"))),
    }
}
