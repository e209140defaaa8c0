//! Running jobs from the console (office and owners): a new job with its
//! property, appointment, services and people; adding people and services
//! later; the invoice from the job's services; uploading documents and
//! publishing them. Invitations go out through the same links as "E-mail a
//! new link".

use portico_core::ids::JobId;
use super::roles::Ability;
use crate::app::AppState;
use crate::error::WebError;
use crate::sessions::StaffSession;
use portico_core::email::is_email;
use portico_core::model::{Role, Tenant};
use portico_data::JobDetails;
use portico_services::documents::{DocumentError, NewDocument, MAX_DOCUMENT_BYTES};
use portico_services::jobs::{Invitation, JobError, NewJob, Person, JOB_ROLES};
use axum::extract::{DefaultBodyLimit, Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use axum_extra::extract::cookie::CookieJar;
use serde::{Deserialize, Serialize};
use serde_json::json;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/staff/jobs/new", get(new_job_form).post(create_job))
        .route("/staff/jobs/{job_id}/details", post(edit_details))
        .route("/staff/jobs/{job_id}/people", post(add_person))
        .route("/staff/jobs/{job_id}/people/{person_id}/edit", post(edit_person))
        .route("/staff/jobs/{job_id}/people/{person_id}/remove", post(remove_person))
        .route("/staff/jobs/{job_id}/services", post(add_service))
        .route("/staff/jobs/{job_id}/services/{service_id}/remove", post(remove_service))
        .route("/staff/jobs/{job_id}/invoice", post(invoice_services))
        .route("/staff/jobs/{job_id}/stage", post(move_stage))
        .route("/staff/jobs/{job_id}/notes", post(add_note))
        .route("/staff/jobs/{job_id}/crew", post(change_crew))
        .route("/staff/jobs/{job_id}/documents", post(upload_document).layer(DefaultBodyLimit::max(MAX_DOCUMENT_BYTES + (1 << 20))))
        .route("/staff/jobs/{job_id}/documents/{document_id}/publish", post(publish_document))
}

/// A job's own details as the console's forms have them.
#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
struct DetailsForm {
    reference: String,
    line1: String,
    city: String,
    region: String,
    postal_code: String,
    /// `2026-11-30T09:00`, in the business's time zone; empty for none.
    appointment: String,
    duration_hours: String,
    inspector: String,
}

#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
struct NewJobForm {
    #[serde(skip_serializing)]
    csrf: String,
    #[serde(flatten)]
    details: DetailsForm,
    /// One service a line: `Name | 425.00`.
    services: String,
    client_name: String,
    client_email: String,
    client_phone: String,
    buyer_agent_name: String,
    buyer_agent_email: String,
    listing_agent_name: String,
    listing_agent_email: String,
    send_invitations: Option<String>,
}

/// A service line: `Full home inspection | 425.00`.
fn parse_services(text: &str) -> Result<Vec<(String, i64)>, String> {
    let mut services = Vec::new();
    for (number, line) in text.lines().enumerate().filter(|(_, line)| !line.trim().is_empty()) {
        let (name, price) = line.split_once('|').ok_or_else(|| format!("Line {}: write a service as “Name | price”.", number + 1))?;
        let name = name.trim();
        let price = price.trim();
        if name.is_empty() || name.chars().count() > 120 {
            return Err(format!("Line {}: the service needs a name of at most 120 characters.", number + 1));
        }
        let minor = portico_core::amounts::parse_amount(price).filter(|m| *m >= 0).ok_or_else(|| format!("Line {}: “{price}” is not a price.", number + 1))?;
        services.push((name.to_string(), minor));
    }
    Ok(services)
}

/// A visit's length as typed, in hours from 0.25 to 24 (`default` when empty).
pub(crate) fn duration_hours(text: &str, default: f64) -> Result<f64, String> {
    let hours: f64 = if text.trim().is_empty() { default } else { text.trim().parse().unwrap_or(-1.0) };
    if (0.25..=24.0).contains(&hours) { Ok(hours) } else { Err(format!("“{}” is not a duration in hours (from 0.25 to 24).", text.trim())) }
}

/// A `datetime-local` value in the tenant's zone, as Unix seconds.
pub(crate) fn parse_local_time(tenant: &Tenant, value: &str) -> Option<i64> {
    let civil = jiff::civil::DateTime::strptime("%Y-%m-%dT%H:%M", value.trim()).ok()?;
    let zone = jiff::tz::TimeZone::get(&tenant.timezone).ok()?;
    Some(civil.to_zoned(zone).ok()?.timestamp().as_second())
}

/// Check a job's details; one message per problem.
fn check_details(tenant: &Tenant, form: &DetailsForm, errors: &mut Vec<String>) -> Option<JobDetails> {
    let before = errors.len();
    for (value, what) in [(&form.reference, "a reference"), (&form.line1, "the street address"), (&form.city, "the city")] {
        if value.trim().is_empty() {
            errors.push(format!("Give {what}."));
        }
    }
    if form.reference.trim().chars().count() > 40 {
        errors.push("The reference may be at most 40 characters.".into());
    }
    let appointment = if form.appointment.trim().is_empty() {
        None
    } else {
        let hours = duration_hours(&form.duration_hours, 3.0).unwrap_or_else(|error| {
            errors.push(error);
            -1.0
        });
        match parse_local_time(tenant, &form.appointment) {
            Some(start) => Some((start, start + (hours * 3600.0) as i64)),
            None => {
                errors.push(format!("“{}” is not a date and time.", form.appointment.trim()));
                None
            }
        }
    };
    (errors.len() == before).then(|| JobDetails {
        reference: form.reference.trim().to_string(),
        line1: form.line1.trim().to_string(),
        city: form.city.trim().to_string(),
        region: form.region.trim().to_string(),
        postal_code: form.postal_code.trim().to_string(),
        staff_name: form.inspector.trim().to_string(),
        appointment,
    })
}

/// Check the whole form before anything is stored; one message per problem.
fn check_new_job(tenant: &Tenant, form: &NewJobForm) -> Result<NewJob, Vec<String>> {
    let mut errors = Vec::new();
    let details = check_details(tenant, &form.details, &mut errors);
    if form.client_name.trim().is_empty() {
        errors.push("Give the client's name.".into());
    }
    let services = parse_services(&form.services).unwrap_or_else(|error| {
        errors.push(error);
        Vec::new()
    });
    let mut people = Vec::new();
    let named = [
        (Role::Client, &form.client_name, &form.client_email, &form.client_phone),
        (Role::BuyerAgent, &form.buyer_agent_name, &form.buyer_agent_email, &String::new()),
        (Role::ListingAgent, &form.listing_agent_name, &form.listing_agent_email, &String::new()),
    ];
    for (role, name, email, phone) in named {
        let (name, email, phone) = (name.trim(), email.trim(), phone.trim());
        if name.is_empty() {
            if !email.is_empty() {
                errors.push(format!("Give the {}'s name as well as the e-mail.", role.label().to_lowercase()));
            }
            continue;
        }
        if !email.is_empty() && !is_email(email) {
            errors.push(format!("“{email}” is not an e-mail address."));
        }
        let optional = |value: &str| Some(value.to_string()).filter(|v| !v.is_empty());
        people.push(Person { role, name: name.to_string(), email: optional(email), phone: optional(phone) });
    }
    match details {
        Some(details) if errors.is_empty() => Ok(NewJob { details, services, people }),
        _ => Err(errors),
    }
}

async fn render_new_job(state: &AppState, jar: CookieJar, session: StaffSession, form: NewJobForm, errors: Vec<String>) -> Result<Response, WebError> {
    let tenant = state.db.tenant(&session.row.tenant_id).business().await?.ok_or(WebError::NotFound)?;
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let data = json!({ "form": form, "errors": errors, "timezone": tenant.timezone });
    let mut response = super::console_page(state, jar, session, "staff_new_job", "New job", data).await?;
    *response.status_mut() = status;
    Ok(response)
}

async fn new_job_form(State(state): State<AppState>, jar: CookieJar, session: StaffSession) -> Result<Response, WebError> {
    session.require(Ability::ManageJobs)?;
    let details = DetailsForm { duration_hours: "3".into(), ..Default::default() };
    let form = NewJobForm { details, send_invitations: Some("on".into()), ..Default::default() };
    render_new_job(&state, jar, session, form, Vec::new()).await
}

async fn create_job(State(state): State<AppState>, jar: CookieJar, session: StaffSession, Form(form): Form<NewJobForm>) -> Result<Response, WebError> {
    crate::csrf::check_session(&form.csrf, &session.row.csrf_token)?;
    session.require(Ability::ManageJobs)?;
    let tenant = state.db.tenant(&session.row.tenant_id).business().await?.ok_or(WebError::NotFound)?;
    let job = match check_new_job(&tenant, &form) {
        Ok(job) => job,
        Err(errors) => return render_new_job(&state, jar, session, form, errors).await,
    };
    let created = match state.jobs.create(&tenant, &job, &super::actor(&session), form.send_invitations.is_some()).await {
        Ok(created) => created,
        Err(JobError::Refused(refusal)) => return render_new_job(&state, jar, session, form, vec![refusal.to_string()]).await,
        Err(error) => return Err(error.into()),
    };
    let mut message = format!("Job {} created.", job.details.reference);
    if !created.invited.is_empty() {
        let invited: Vec<String> = created.invited.iter().map(Invitation::to_string).collect();
        message.push_str(&format!(" {}.", super::settings::capitalize(&invited.join("; "))));
    }
    super::notice(&state, &session, "success", &message).await?;
    Ok(Redirect::to(&format!("/staff/jobs/{}", created.job_id)).into_response())
}

/// The job, if it is this business's; a form posted by someone who runs jobs.
async fn job_for_form(state: &AppState, session: &StaffSession, csrf: &str, job_id: &JobId) -> Result<Tenant, WebError> {
    crate::csrf::check_session(csrf, &session.row.csrf_token)?;
    session.require(Ability::ManageJobs)?;
    let tenant = state.db.tenant(&session.row.tenant_id).business().await?.ok_or(WebError::NotFound)?;
    state.db.tenant(&tenant.id).job(job_id).await?.ok_or(WebError::NotFound)?;
    Ok(tenant)
}

/// Back to the job page with a notice.
async fn back(state: &AppState, session: &StaffSession, job_id: &JobId, tone: &str, message: &str) -> Result<Response, WebError> {
    super::notice(state, session, tone, message).await?;
    Ok(Redirect::to(&format!("/staff/jobs/{job_id}")).into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct PersonForm {
    csrf: String,
    name: String,
    email: String,
    phone: String,
    role: String,
    invite: Option<String>,
}

impl PersonForm {
    /// The person the form describes, or what to fix.
    fn check(&self) -> Result<Person, String> {
        let Some(role) = JOB_ROLES.into_iter().find(|role| role.as_str() == self.role) else {
            return Err("Choose the person's role on the job.".into());
        };
        let (name, email) = (self.name.trim(), self.email.trim());
        if name.is_empty() || name.chars().count() > 120 {
            return Err("Give the person's name (at most 120 characters).".into());
        }
        if !email.is_empty() && !is_email(email) {
            return Err(format!("“{email}” is not an e-mail address."));
        }
        if self.phone.trim().chars().count() > 40 {
            return Err("The phone number may be at most 40 characters.".into());
        }
        let optional = |value: &str| Some(value.trim().to_string()).filter(|v| !v.is_empty());
        Ok(Person { role, name: name.to_string(), email: optional(email), phone: optional(&self.phone) })
    }
}

async fn add_person(State(state): State<AppState>, session: StaffSession, Path(job_id): Path<JobId>, Form(form): Form<PersonForm>) -> Result<Response, WebError> {
    let tenant = job_for_form(&state, &session, &form.csrf, &job_id).await?;
    let person = match form.check() {
        Ok(person) => person,
        Err(problem) => return back(&state, &session, &job_id, "danger", &problem).await,
    };
    let added = state.jobs.add_person(&tenant, &job_id, &person, form.invite.is_some(), &super::actor(&session)).await;
    let added = added.map(|(_, invited)| {
        let mut message = format!("{} is on the job as {}.", person.name, person.role.label().to_lowercase());
        if let Some(invited) = invited {
            message.push_str(&format!(" {}.", super::settings::capitalize(&invited.to_string())));
        }
        message
    });
    outcome(&state, &session, &job_id, added).await
}

async fn edit_person(
    State(state): State<AppState>,
    session: StaffSession,
    Path((job_id, person_id)): Path<(JobId, String)>,
    Form(form): Form<PersonForm>,
) -> Result<Response, WebError> {
    let tenant = job_for_form(&state, &session, &form.csrf, &job_id).await?;
    let person = match form.check() {
        Ok(person) => person,
        Err(problem) => return back(&state, &session, &job_id, "danger", &format!("Nothing was changed: {problem}")).await,
    };
    let changed = state.jobs.change_person(&tenant, &job_id, &person_id, &person, &super::actor(&session)).await;
    outcome(&state, &session, &job_id, changed.map(|()| format!("{}'s details are saved.", person.name))).await
}

async fn remove_person(
    State(state): State<AppState>,
    session: StaffSession,
    Path((job_id, person_id)): Path<(JobId, String)>,
    Form(form): Form<crate::csrf::CsrfForm>,
) -> Result<Response, WebError> {
    let tenant = job_for_form(&state, &session, &form.csrf, &job_id).await?;
    let removed = state.jobs.remove_person(&tenant, &job_id, &person_id, &super::actor(&session)).await;
    outcome(&state, &session, &job_id, removed.map(|name| format!("{name} is off the job; their link no longer works."))).await
}

/// Back to the job page: what was done, or why it was refused. A job,
/// person or service that is not there is a 404.
async fn outcome(state: &AppState, session: &StaffSession, job_id: &JobId, result: Result<String, JobError>) -> Result<Response, WebError> {
    match result {
        Ok(done) => back(state, session, job_id, "success", &done).await,
        Err(JobError::Refused(refusal)) => back(state, session, job_id, "danger", &refusal.to_string()).await,
        Err(error) => Err(error.into()),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct StageForm {
    csrf: String,
    stage: String,
}

/// `POST /staff/jobs/{id}/stage`: on the way, started, finished, cancelled
/// or back to scheduled.
async fn move_stage(State(state): State<AppState>, session: StaffSession, Path(job_id): Path<JobId>, Form(form): Form<StageForm>) -> Result<Response, WebError> {
    let tenant = job_for_form(&state, &session, &form.csrf, &job_id).await?;
    let Ok(stage) = form.stage.parse::<portico_core::stages::JobStage>() else {
        return back(&state, &session, &job_id, "danger", "Choose where the job stands.").await;
    };
    let moved = state.jobs.move_to(&tenant, &job_id, stage, &super::actor(&session)).await;
    outcome(&state, &session, &job_id, moved.map(|_| format!("The job is marked {}.", stage.label().to_lowercase()))).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct NoteForm {
    csrf: String,
    body: String,
    for_clients: Option<String>,
}

/// `POST /staff/jobs/{id}/notes`: a note for the team, or shown to the clients.
async fn add_note(State(state): State<AppState>, session: StaffSession, Path(job_id): Path<JobId>, Form(form): Form<NoteForm>) -> Result<Response, WebError> {
    let tenant = job_for_form(&state, &session, &form.csrf, &job_id).await?;
    let for_clients = form.for_clients.is_some();
    let added = state.jobs.add_note(&tenant, &job_id, &form.body, for_clients, &super::actor(&session)).await;
    let done = if for_clients { "The note is added; the clients see it on their portal." } else { "The note is added, for your team only." };
    outcome(&state, &session, &job_id, added.map(|_| done.to_string())).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CrewForm {
    csrf: String,
    /// The member of staff.
    member: String,
    /// `add` or `remove`.
    change: String,
}

/// `POST /staff/jobs/{job}/crew`: put a member of staff on the visit's crew, or take them off.
async fn change_crew(State(state): State<AppState>, session: StaffSession, Path(job_id): Path<JobId>, Form(form): Form<CrewForm>) -> Result<Response, WebError> {
    let tenant = job_for_form(&state, &session, &form.csrf, &job_id).await?;
    let on_crew = match form.change.as_str() {
        "add" => true,
        "remove" => false,
        _ => return Err(WebError::BadRequest("The form is incomplete. Reload the page and try again.".into())),
    };
    if form.member.is_empty() {
        return back(&state, &session, &job_id, "danger", "Choose who to put on the crew.").await;
    }
    let member = state.db.tenant(&tenant.id).staff_user(&form.member).await?.ok_or(WebError::NotFound)?;
    let changed = state.jobs.set_crew(&tenant, &job_id, &member.id, on_crew, &super::actor(&session)).await?;
    let message = match (on_crew, changed) {
        (true, true) => format!("{} is on the crew.", member.display_name),
        (true, false) => format!("{} was on the crew already.", member.display_name),
        (false, true) => format!("{} is off the crew.", member.display_name),
        (false, false) => format!("{} was not on the crew.", member.display_name),
    };
    back(&state, &session, &job_id, if changed { "success" } else { "info" }, &message).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ServiceForm {
    csrf: String,
    name: String,
    price: String,
    /// A percent ("8.25"); empty: the business's rate.
    tax: String,
}

async fn add_service(State(state): State<AppState>, session: StaffSession, Path(job_id): Path<JobId>, Form(form): Form<ServiceForm>) -> Result<Response, WebError> {
    let tenant = job_for_form(&state, &session, &form.csrf, &job_id).await?;
    let tax_rate_bp = match form.tax.trim() {
        "" => None,
        typed => match portico_core::estimates::parse_tax_rate(typed) {
            Some(rate) => Some(rate),
            None => return back(&state, &session, &job_id, "danger", &format!("“{typed}” is not a tax rate; write a percent from 0 to 30, like 8.25, or leave it empty for your usual rate.")).await,
        },
    };
    match parse_services(&format!("{} | {}", form.name.trim(), form.price.trim())).as_deref() {
        Ok([(name, price)]) => {
            state.jobs.add_service(&tenant, &job_id, name, *price, tax_rate_bp, &super::actor(&session)).await?;
            back(&state, &session, &job_id, "success", &format!("{name} added.")).await
        }
        Ok(_) => back(&state, &session, &job_id, "danger", "Give the service's name and price.").await,
        Err(error) => back(&state, &session, &job_id, "danger", error.trim_start_matches("Line 1: ")).await,
    }
}

async fn remove_service(
    State(state): State<AppState>,
    session: StaffSession,
    Path((job_id, service_id)): Path<(JobId, String)>,
    Form(form): Form<crate::csrf::CsrfForm>,
) -> Result<Response, WebError> {
    let tenant = job_for_form(&state, &session, &form.csrf, &job_id).await?;
    let name = state.jobs.remove_service(&tenant, &job_id, &service_id, &super::actor(&session)).await?;
    let invoiced = !state.db.tenant(&tenant.id).invoices(&job_id).await?.is_empty();
    let note = if invoiced { " The invoice already issued is unchanged." } else { "" };
    back(&state, &session, &job_id, "success", &format!("{name} is off the job.{note}")).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct EditDetailsForm {
    csrf: String,
    #[serde(flatten)]
    details: DetailsForm,
}

async fn edit_details(State(state): State<AppState>, session: StaffSession, Path(job_id): Path<JobId>, Form(form): Form<EditDetailsForm>) -> Result<Response, WebError> {
    let tenant = job_for_form(&state, &session, &form.csrf, &job_id).await?;
    let mut errors = Vec::new();
    let Some(details) = check_details(&tenant, &form.details, &mut errors) else {
        return back(&state, &session, &job_id, "danger", &format!("Nothing was changed: {}", errors.join(" "))).await;
    };
    let saved = state.jobs.update_details(&tenant, &job_id, &details, &super::actor(&session)).await;
    outcome(&state, &session, &job_id, saved.map(|()| "The job's details are saved.".to_string())).await
}

/// Bill the job's services: one open invoice numbered after the job,
/// due at the first appointment. Only while the job has no invoice.
async fn invoice_services(State(state): State<AppState>, session: StaffSession, Path(job_id): Path<JobId>, Form(form): Form<crate::csrf::CsrfForm>) -> Result<Response, WebError> {
    let tenant = job_for_form(&state, &session, &form.csrf, &job_id).await?;
    let invoiced = match state.jobs.invoice_services(&tenant, &job_id, &super::actor(&session)).await {
        Ok(_) => {
            let job = state.db.tenant(&tenant.id).job(&job_id).await?.ok_or(WebError::NotFound)?;
            Ok(format!("Invoice {} is due; the clients can pay it on their portal.", job.reference))
        }
        Err(error) => Err(error),
    };
    outcome(&state, &session, &job_id, invoiced).await
}

async fn upload_document(State(state): State<AppState>, session: StaffSession, Path(job_id): Path<JobId>, mut multipart: Multipart) -> Result<Response, WebError> {
    let unreadable = |e: axum::extract::multipart::MultipartError| WebError::BadRequest(format!("The upload could not be read: {}", e.body_text()));
    let (mut csrf, mut kind, mut title, mut publish) = (String::new(), String::new(), String::new(), false);
    let mut roles: Vec<Role> = Vec::new();
    let mut bytes = Vec::new();
    while let Some(field) = multipart.next_field().await.map_err(unreadable)? {
        let name = field.name().unwrap_or_default().to_string();
        if name == "file" {
            bytes = field.bytes().await.map_err(unreadable)?.to_vec();
            continue;
        }
        let value = field.text().await.map_err(unreadable)?;
        match name.as_str() {
            "csrf" => csrf = value,
            "kind" => kind = value,
            "title" => title = value.trim().to_string(),
            "publish" => publish = true,
            "visible_to" => roles.extend(JOB_ROLES.into_iter().filter(|role| role.as_str() == value)),
            _ => {}
        }
    }
    let tenant = job_for_form(&state, &session, &csrf, &job_id).await?;
    let actor = super::actor(&session);
    let document = match state.documents.store(&tenant, &job_id, &NewDocument { kind: &kind, title: &title, bytes: &bytes, roles: &roles }, &actor).await {
        Ok(document) => document,
        Err(DocumentError::Refused(refusal)) => return back(&state, &session, &job_id, "danger", &refusal.to_string()).await,
        Err(error) => return Err(error.into()),
    };
    if publish {
        state.documents.publish(&tenant, &job_id, &document, &title, &actor).await?;
        return back(&state, &session, &job_id, "success", &format!("{title} is published.")).await;
    }
    back(&state, &session, &job_id, "success", &format!("{title} is uploaded; publish it when it is ready.")).await
}

async fn publish_document(
    State(state): State<AppState>,
    session: StaffSession,
    Path((job_id, document_id)): Path<(JobId, String)>,
    Form(form): Form<crate::csrf::CsrfForm>,
) -> Result<Response, WebError> {
    let tenant = job_for_form(&state, &session, &form.csrf, &job_id).await?;
    let document = state.db.tenant(&tenant.id).document(&job_id, &document_id).await?.ok_or(WebError::NotFound)?;
    if document.published_at.is_some() {
        return back(&state, &session, &job_id, "info", &format!("{} was already published.", document.title)).await;
    }
    state.documents.publish(&tenant, &job_id, &document_id, &document.title, &super::actor(&session)).await?;
    back(&state, &session, &job_id, "success", &format!("{} is published.", document.title)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn services_are_one_a_line_with_a_price() {
        assert_eq!(parse_services("Inspection | 425\n\n Radon test|1,150.50 ").unwrap(), vec![("Inspection".into(), 42500), ("Radon test".into(), 115050)]);
        assert_eq!(parse_services("Inspection 425").unwrap_err(), "Line 1: write a service as “Name | price”.");
        assert_eq!(parse_services("Inspection | lots").unwrap_err(), "Line 1: “lots” is not a price.");
    }
}
