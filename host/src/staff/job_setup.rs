//! Running jobs from the console (office and owners): a new job with its
//! property, appointment, services and people; adding people and services
//! later; the invoice from the job's services; uploading documents and
//! publishing them. Invitations go out through the same links as "E-mail a
//! new link".

use super::roles::Ability;
use crate::app::AppState;
use crate::db::{JobDetails, JobRefusal, NewPerson, PersonChange};
use crate::error::WebError;
use crate::links::{self, LinkMail};
use crate::model::{Role, Tenant};
use crate::sessions::StaffSession;
use crate::tokens::{hash_token, new_token};
use axum::extract::{DefaultBodyLimit, Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use axum_extra::extract::cookie::CookieJar;
use serde::{Deserialize, Serialize};
use serde_json::json;

/// The largest document accepted.
pub(crate) const MAX_DOCUMENT_BYTES: usize = 25 << 20;
/// The roles a person can be added in (staff are not people on a job).
pub(crate) const JOB_ROLES: [Role; 5] = [Role::Client, Role::CoClient, Role::BuyerAgent, Role::ListingAgent, Role::Other];

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
        let minor = crate::amounts::parse_amount(price).filter(|m| *m >= 0).ok_or_else(|| format!("Line {}: “{price}” is not a price.", number + 1))?;
        services.push((name.to_string(), minor));
    }
    Ok(services)
}

/// A `datetime-local` value in the tenant's zone, as Unix seconds.
fn parse_local_time(tenant: &Tenant, value: &str) -> Option<i64> {
    let civil = jiff::civil::DateTime::strptime("%Y-%m-%dT%H:%M", value.trim()).ok()?;
    let zone = jiff::tz::TimeZone::get(&tenant.timezone).ok()?;
    Some(civil.to_zoned(zone).ok()?.timestamp().as_second())
}

pub(crate) fn is_email(value: &str) -> bool {
    value.parse::<lettre::Address>().is_ok()
}

/// A person the form names, if any: (role, name, e-mail, phone).
pub(crate) type Person = (Role, String, Option<String>, Option<String>);

/// A new job, checked: what the console's form and the API both create.
pub(crate) struct NewJob {
    pub details: JobDetails,
    pub services: Vec<(String, i64)>,
    pub people: Vec<Person>,
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
        let hours: f64 = if form.duration_hours.trim().is_empty() { 3.0 } else { form.duration_hours.trim().parse().unwrap_or(-1.0) };
        if !(0.25..=24.0).contains(&hours) {
            errors.push(format!("“{}” is not a duration in hours (from 0.25 to 24).", form.duration_hours.trim()));
        }
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
        people.push((role, name.to_string(), optional(email), optional(phone)));
    }
    match details {
        Some(details) if errors.is_empty() => Ok(NewJob { details, services, people }),
        _ => Err(errors),
    }
}

async fn render_new_job(state: &AppState, jar: CookieJar, session: StaffSession, form: NewJobForm, errors: Vec<String>) -> Result<Response, WebError> {
    let tenant = state.db.tenant(&session.row.tenant_id).await?.ok_or(WebError::NotFound)?;
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

/// A person to store, with a fresh link (not shown: the invitation e-mails
/// one, and "New link" shows one to copy).
fn new_person(tenant: &Tenant, person: &Person) -> NewPerson {
    let (role, name, email, phone) = person.clone();
    NewPerson { role, name, email, phone, token_hash: hash_token(&new_token()), expires_at: tenant.link_expiry() }
}

/// E-mail the invitation to each person added who has an address; returns
/// what to tell the staff member.
async fn invite(state: &AppState, actor: &crate::db::Actor<'_>, tenant: &Tenant, job_id: &str, added: &[String]) -> Result<Vec<String>, WebError> {
    let mut told = Vec::new();
    for job_contact_id in added {
        let Some(contact) = state.db.job_contact_any_state(&tenant.id, job_id, job_contact_id).await? else { continue };
        match links::send(state, tenant, &contact, LinkMail::Invite, actor).await? {
            Ok(email) => told.push(format!("invited {} ({email})", contact.name)),
            Err(refused) => told.push(refused.explain(&contact.name)),
        }
    }
    Ok(told)
}

async fn create_job(State(state): State<AppState>, jar: CookieJar, session: StaffSession, Form(form): Form<NewJobForm>) -> Result<Response, WebError> {
    crate::csrf::check_session(&form.csrf, &session.row.csrf_token)?;
    session.require(Ability::ManageJobs)?;
    let tenant = state.db.tenant(&session.row.tenant_id).await?.ok_or(WebError::NotFound)?;
    let job = match check_new_job(&tenant, &form) {
        Ok(job) => job,
        Err(errors) => return render_new_job(&state, jar, session, form, errors).await,
    };
    let created = match create(&state, &tenant, &job, &super::actor(&session), form.send_invitations.is_some()).await? {
        Ok(created) => created,
        Err(refusal) => return render_new_job(&state, jar, session, form, vec![refusal]).await,
    };
    let mut message = format!("Job {} created.", job.details.reference);
    if !created.invited.is_empty() {
        message.push_str(&format!(" {}.", super::settings::capitalize(&created.invited.join("; "))));
    }
    super::notice(&state, &session, "success", &message).await?;
    Ok(Redirect::to(&format!("/staff/jobs/{}", created.job_id)).into_response())
}

/// A job just created: its id, and what became of each invitation.
pub(crate) struct CreatedJob {
    pub job_id: String,
    pub invited: Vec<String>,
}

/// Store a checked new job (property, job, appointment, services, people),
/// audit it, and e-mail the invitations when asked. Refused, with the reason,
/// when the reference is already taken.
pub(crate) async fn create(
    state: &AppState,
    tenant: &Tenant,
    job: &NewJob,
    actor: &crate::db::Actor<'_>,
    send_invitations: bool,
) -> Result<Result<CreatedJob, String>, WebError> {
    let db = &state.db;
    let people: Vec<NewPerson> = job.people.iter().map(|person| new_person(tenant, person)).collect();
    let (job_id, added) = match db.create_job_with(&tenant.id, &job.details, &job.services, &people).await? {
        Ok(created) => created,
        Err(_) => return Ok(Err(reference_taken(&job.details.reference))),
    };
    let reference = &job.details.reference;
    let mut audit = crate::db::AuditEntry::new(&tenant.id, "job.created", &format!("Created job {reference}")).by(*actor);
    audit.job_id = Some(job_id.clone());
    db.record_audit(&audit).await?;
    crate::webhooks::raise_job(db, &tenant.id, "job.created", &job_id).await?;
    let invited = if send_invitations { invite(state, actor, tenant, &job_id, &added).await? } else { Vec::new() };
    Ok(Ok(CreatedJob { job_id, invited }))
}

pub(crate) fn reference_taken(reference: &str) -> String {
    format!("There is already a job with the reference {reference}; give this one its own.")
}

/// Audit a change to a job and tell the webhook endpoints about it.
pub(crate) async fn changed(state: &AppState, tenant_id: &str, job_id: &str, action: &str, summary: &str, actor: &crate::db::Actor<'_>) -> Result<(), WebError> {
    let mut audit = crate::db::AuditEntry::new(tenant_id, action, summary).by(*actor);
    audit.job_id = Some(job_id.to_string());
    state.db.record_audit(&audit).await?;
    crate::webhooks::raise_job(&state.db, tenant_id, "job.updated", job_id).await?;
    Ok(())
}

/// The job, if it is this business's; a form posted by someone who runs jobs.
async fn job_for_form(state: &AppState, session: &StaffSession, csrf: &str, job_id: &str) -> Result<Tenant, WebError> {
    crate::csrf::check_session(csrf, &session.row.csrf_token)?;
    session.require(Ability::ManageJobs)?;
    let tenant = state.db.tenant(&session.row.tenant_id).await?.ok_or(WebError::NotFound)?;
    state.db.job(&tenant.id, job_id).await?.ok_or(WebError::NotFound)?;
    Ok(tenant)
}

/// Back to the job page with a notice.
async fn back(state: &AppState, session: &StaffSession, job_id: &str, tone: &str, message: &str) -> Result<Response, WebError> {
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
        Ok((role, name.to_string(), optional(email), optional(&self.phone)))
    }
}

async fn add_person(State(state): State<AppState>, session: StaffSession, Path(job_id): Path<String>, Form(form): Form<PersonForm>) -> Result<Response, WebError> {
    let tenant = job_for_form(&state, &session, &form.csrf, &job_id).await?;
    let person = match form.check() {
        Ok(person) => person,
        Err(problem) => return back(&state, &session, &job_id, "danger", &problem).await,
    };
    let (_, told) = add_person_to_job(&state, &tenant, &job_id, &person, form.invite.is_some(), &super::actor(&session)).await?;
    let (role, name, ..) = &person;
    let mut message = format!("{name} is on the job as {}.", role.label().to_lowercase());
    for told in told {
        message.push_str(&format!(" {}.", super::settings::capitalize(&told)));
    }
    back(&state, &session, &job_id, "success", &message).await
}

async fn edit_person(
    State(state): State<AppState>,
    session: StaffSession,
    Path((job_id, person_id)): Path<(String, String)>,
    Form(form): Form<PersonForm>,
) -> Result<Response, WebError> {
    let tenant = job_for_form(&state, &session, &form.csrf, &job_id).await?;
    let person = match form.check() {
        Ok(person) => person,
        Err(problem) => return back(&state, &session, &job_id, "danger", &format!("Nothing was changed: {problem}")).await,
    };
    match change_person(&state, &tenant, &job_id, &person_id, &person, &super::actor(&session)).await? {
        Some(Ok(())) => back(&state, &session, &job_id, "success", &format!("{}'s details are saved.", person.1)).await,
        Some(Err(refusal)) => back(&state, &session, &job_id, "danger", &refusal).await,
        None => Err(WebError::NotFound),
    }
}

/// Change a person on a job (their contact details everywhere, their role
/// here) and record it: done, the reason it was refused, or `None` when the
/// job has no such person.
pub(crate) async fn change_person(
    state: &AppState,
    tenant: &Tenant,
    job_id: &str,
    person_id: &str,
    person: &Person,
    actor: &crate::db::Actor<'_>,
) -> Result<Option<Result<(), String>>, WebError> {
    let (role, name, email, phone) = person.clone();
    let change = PersonChange { role, name, email, phone };
    match state.db.update_person(&tenant.id, job_id, person_id, &change).await? {
        Ok(()) => {
            let summary = format!("Changed {} ({})", change.name, change.role.label());
            changed(state, &tenant.id, job_id, "job.person-changed", &summary, actor).await?;
            Ok(Some(Ok(())))
        }
        Err(JobRefusal::LastClient) => Ok(Some(Err(format!("{} is the job's only client; add the new client before changing their role.", change.name)))),
        Err(JobRefusal::EmailTaken) => Ok(Some(Err(format!(
            "{} is the e-mail of another person of your business; take this person off the job and add that one instead.",
            change.email.unwrap_or_default()
        )))),
        Err(_) => Ok(None),
    }
}

/// Put a checked person on a job, record it, and invite them when asked.
/// Returns their id on the job and what became of the invitation.
pub(crate) async fn add_person_to_job(
    state: &AppState,
    tenant: &Tenant,
    job_id: &str,
    person: &Person,
    send_invitation: bool,
    actor: &crate::db::Actor<'_>,
) -> Result<(String, Vec<String>), WebError> {
    let added = state.db.add_person(&tenant.id, job_id, &new_person(tenant, person)).await?;
    let (role, name, ..) = person;
    changed(state, &tenant.id, job_id, "job.person-added", &format!("Added {name} ({})", role.label()), actor).await?;
    let told = if send_invitation { invite(state, actor, tenant, job_id, std::slice::from_ref(&added)).await? } else { Vec::new() };
    Ok((added, told))
}

async fn remove_person(
    State(state): State<AppState>,
    session: StaffSession,
    Path((job_id, person_id)): Path<(String, String)>,
    Form(form): Form<crate::csrf::CsrfForm>,
) -> Result<Response, WebError> {
    let tenant = job_for_form(&state, &session, &form.csrf, &job_id).await?;
    match remove_person_from_job(&state, &tenant, &job_id, &person_id, &super::actor(&session)).await? {
        Some(Ok(name)) => back(&state, &session, &job_id, "success", &format!("{name} is off the job; their link no longer works.")).await,
        Some(Err(refusal)) => back(&state, &session, &job_id, "danger", &refusal).await,
        None => Err(WebError::NotFound),
    }
}

/// Take a person off a job and record it: their name, the reason it was
/// refused, or `None` when the job has no such person.
pub(crate) async fn remove_person_from_job(
    state: &AppState,
    tenant: &Tenant,
    job_id: &str,
    person_id: &str,
    actor: &crate::db::Actor<'_>,
) -> Result<Option<Result<String, String>>, WebError> {
    let Some(person) = state.db.job_contact_any_state(&tenant.id, job_id, person_id).await? else { return Ok(None) };
    match state.db.remove_person(&tenant.id, job_id, person_id).await? {
        Ok(()) => {
            let summary = format!("Took {} ({}) off the job", person.name, person.role.0.label());
            changed(state, &tenant.id, job_id, "job.person-removed", &summary, actor).await?;
            Ok(Some(Ok(person.name)))
        }
        Err(JobRefusal::LastClient) => Ok(Some(Err(format!("{} is the job's only client; add the new client before taking them off.", person.name)))),
        Err(_) => Ok(None),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ServiceForm {
    csrf: String,
    name: String,
    price: String,
}

async fn add_service(State(state): State<AppState>, session: StaffSession, Path(job_id): Path<String>, Form(form): Form<ServiceForm>) -> Result<Response, WebError> {
    let tenant = job_for_form(&state, &session, &form.csrf, &job_id).await?;
    match parse_services(&format!("{} | {}", form.name.trim(), form.price.trim())).as_deref() {
        Ok([(name, price)]) => {
            add_service_to_job(&state, &tenant, &job_id, name, *price, &super::actor(&session)).await?;
            back(&state, &session, &job_id, "success", &format!("{name} added.")).await
        }
        Ok(_) => back(&state, &session, &job_id, "danger", "Give the service's name and price.").await,
        Err(error) => back(&state, &session, &job_id, "danger", error.trim_start_matches("Line 1: ")).await,
    }
}

/// Add a checked service to a job and record it; returns its id.
pub(crate) async fn add_service_to_job(state: &AppState, tenant: &Tenant, job_id: &str, name: &str, price_minor: i64, actor: &crate::db::Actor<'_>) -> Result<String, WebError> {
    let id = state.db.add_service(&tenant.id, job_id, name, price_minor).await?;
    let summary = format!("Added the service {name} ({})", crate::plugins::sanitize::Formats::money(&crate::view::TenantFormats::new(tenant), price_minor));
    changed(state, &tenant.id, job_id, "job.service-added", &summary, actor).await?;
    Ok(id)
}

async fn remove_service(
    State(state): State<AppState>,
    session: StaffSession,
    Path((job_id, service_id)): Path<(String, String)>,
    Form(form): Form<crate::csrf::CsrfForm>,
) -> Result<Response, WebError> {
    let tenant = job_for_form(&state, &session, &form.csrf, &job_id).await?;
    let name = remove_service_from_job(&state, &tenant, &job_id, &service_id, &super::actor(&session)).await?.ok_or(WebError::NotFound)?;
    let invoiced = !state.db.invoices(&tenant.id, &job_id).await?.is_empty();
    let note = if invoiced { " The invoice already issued is unchanged." } else { "" };
    back(&state, &session, &job_id, "success", &format!("{name} is off the job.{note}")).await
}

/// Take a service off a job and record it: its name, or `None` when the job
/// has no such service.
pub(crate) async fn remove_service_from_job(state: &AppState, tenant: &Tenant, job_id: &str, service_id: &str, actor: &crate::db::Actor<'_>) -> Result<Option<String>, WebError> {
    let Some(service) = state.db.services(&tenant.id, job_id).await?.into_iter().find(|s| s.id == service_id) else { return Ok(None) };
    if !state.db.remove_service(&tenant.id, job_id, service_id).await? {
        return Ok(None);
    }
    changed(state, &tenant.id, job_id, "job.service-removed", &format!("Took the service {} off the job", service.name), actor).await?;
    Ok(Some(service.name))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct EditDetailsForm {
    csrf: String,
    #[serde(flatten)]
    details: DetailsForm,
}

async fn edit_details(State(state): State<AppState>, session: StaffSession, Path(job_id): Path<String>, Form(form): Form<EditDetailsForm>) -> Result<Response, WebError> {
    let tenant = job_for_form(&state, &session, &form.csrf, &job_id).await?;
    let mut errors = Vec::new();
    let refusal = match check_details(&tenant, &form.details, &mut errors) {
        Some(details) => update_details(&state, &tenant, &job_id, &details, &super::actor(&session)).await?.err(),
        None => Some(format!("Nothing was changed: {}", errors.join(" "))),
    };
    match refusal {
        Some(refusal) => back(&state, &session, &job_id, "danger", &refusal).await,
        None => back(&state, &session, &job_id, "success", "The job's details are saved.").await,
    }
}

/// Store a job's checked details and record it; the reason when refused.
pub(crate) async fn update_details(state: &AppState, tenant: &Tenant, job_id: &str, details: &JobDetails, actor: &crate::db::Actor<'_>) -> Result<Result<(), String>, WebError> {
    match state.db.update_job_details(&tenant.id, job_id, details).await? {
        Ok(()) => {
            changed(state, &tenant.id, job_id, "job.details-changed", &format!("Changed the details of job {}", details.reference), actor).await?;
            Ok(Ok(()))
        }
        Err(JobRefusal::ReferenceTaken) => Ok(Err(reference_taken(&details.reference))),
        Err(_) => Err(WebError::NotFound),
    }
}

/// Bill the job's services: one open invoice numbered after the job,
/// due at the first appointment. Only while the job has no invoice.
async fn invoice_services(State(state): State<AppState>, session: StaffSession, Path(job_id): Path<String>, Form(form): Form<crate::csrf::CsrfForm>) -> Result<Response, WebError> {
    let tenant = job_for_form(&state, &session, &form.csrf, &job_id).await?;
    match invoice_job(&state, &tenant, &job_id, &super::actor(&session)).await? {
        Ok(_) => {
            let job = state.db.job(&tenant.id, &job_id).await?.ok_or(WebError::NotFound)?;
            back(&state, &session, &job_id, "success", &format!("Invoice {} is due; the clients can pay it on their portal.", job.reference)).await
        }
        Err(refusal) => back(&state, &session, &job_id, "danger", &refusal).await,
    }
}

/// Invoice a job's services and record it: the invoice's id, or why not.
pub(crate) async fn invoice_job(state: &AppState, tenant: &Tenant, job_id: &str, actor: &crate::db::Actor<'_>) -> Result<Result<String, String>, WebError> {
    let db = &state.db;
    let job = db.job(&tenant.id, job_id).await?.ok_or(WebError::NotFound)?;
    if !db.invoices(&tenant.id, job_id).await?.is_empty() {
        return Ok(Err("This job already has an invoice.".into()));
    }
    let services = db.services(&tenant.id, job_id).await?;
    if services.is_empty() {
        return Ok(Err("Add the job's services first: the invoice bills them.".into()));
    }
    let due_at = db.appointments(&tenant.id, job_id).await?.first().map(|a| a.starts_at);
    let lines: Vec<(&str, &str, i64, i64)> = services.iter().map(|s| ("service", s.name.as_str(), 1, s.price_minor)).collect();
    let invoice = crate::db::NewInvoice { number: &job.reference, status: "due", tax_minor: 0, due_at, lines: &lines };
    let invoice_id = db.create_invoice(&tenant.id, job_id, &invoice).await?;
    let mut audit = crate::db::AuditEntry::new(&tenant.id, "invoice.created", &format!("Invoiced job {}", job.reference)).by(*actor);
    audit.job_id = Some(job_id.to_string());
    db.record_audit(&audit).await?;
    Ok(Ok(invoice_id))
}

/// What an upload is, by its first bytes: PDFs and pictures only.
pub(crate) fn document_type(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(&[0xff, 0xd8, 0xff]) {
        Some("image/jpeg")
    } else {
        None
    }
}

async fn upload_document(State(state): State<AppState>, session: StaffSession, Path(job_id): Path<String>, mut multipart: Multipart) -> Result<Response, WebError> {
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
    let document = match store_document(&state, &tenant, &job_id, &NewDocument { kind: &kind, title: &title, bytes: &bytes, roles: &roles }, &actor).await? {
        Ok(document) => document,
        Err(problem) => return back(&state, &session, &job_id, "danger", &problem).await,
    };
    if publish {
        publish_now(&state, &tenant, &job_id, &document, &title, &actor).await?;
        return back(&state, &session, &job_id, "success", &format!("{title} is published.")).await;
    }
    back(&state, &session, &job_id, "success", &format!("{title} is uploaded; publish it when it is ready.")).await
}

/// A document to store, as uploaded.
pub(crate) struct NewDocument<'a> {
    pub kind: &'a str,
    pub title: &'a str,
    pub bytes: &'a [u8],
    pub roles: &'a [Role],
}

/// The kinds of document a job has.
pub(crate) const DOCUMENT_KINDS: [&str; 4] = ["report", "summary", "attachment", "photo"];

/// Check and store a document (unpublished) and record it: its id, or the
/// reason it was refused.
pub(crate) async fn store_document(state: &AppState, tenant: &Tenant, job_id: &str, new: &NewDocument<'_>, actor: &crate::db::Actor<'_>) -> Result<Result<String, String>, WebError> {
    let title = new.title.trim();
    let problem = if !DOCUMENT_KINDS.contains(&new.kind) {
        Some("Choose what the document is.".to_string())
    } else if title.is_empty() || title.chars().count() > 120 {
        Some("Give the document a title of at most 120 characters.".to_string())
    } else if new.bytes.is_empty() {
        Some("Choose a file to upload.".to_string())
    } else if new.bytes.len() > MAX_DOCUMENT_BYTES {
        Some(format!("Documents may be at most {} MiB.", MAX_DOCUMENT_BYTES >> 20))
    } else if new.roles.is_empty() {
        Some("Tick who may see the document.".to_string())
    } else {
        None
    };
    if let Some(problem) = problem {
        return Ok(Err(problem));
    }
    let Some(content_type) = document_type(new.bytes) else {
        return Ok(Err("Documents must be PDF files, or PNG or JPEG pictures.".to_string()));
    };
    let key = format!("documents/{}/{job_id}/{}", tenant.id, crate::model::new_id());
    state.files.put(&key, new.bytes).await.map_err(|e| WebError::Internal(e.into()))?;
    let document = state.db.add_document(&tenant.id, job_id, new.kind, title, &key, content_type, new.bytes.len() as i64, new.roles, None).await?;
    let mut audit = crate::db::AuditEntry::new(&tenant.id, "document.uploaded", &format!("Uploaded {title}")).by(*actor);
    audit.job_id = Some(job_id.to_string());
    state.db.record_audit(&audit).await?;
    Ok(Ok(document))
}

/// Publish a document (the sections that asked are told; the release rule
/// still holds reports back) and record who did.
pub(crate) async fn publish_now(state: &AppState, tenant: &Tenant, job_id: &str, document_id: &str, title: &str, actor: &crate::db::Actor<'_>) -> Result<(), WebError> {
    crate::documents::publish(state, &tenant.id, job_id, document_id).await?;
    let mut audit = crate::db::AuditEntry::new(&tenant.id, "document.published", &format!("Published {title}")).by(*actor);
    audit.job_id = Some(job_id.to_string());
    state.db.record_audit(&audit).await?;
    Ok(())
}

async fn publish_document(
    State(state): State<AppState>,
    session: StaffSession,
    Path((job_id, document_id)): Path<(String, String)>,
    Form(form): Form<crate::csrf::CsrfForm>,
) -> Result<Response, WebError> {
    let tenant = job_for_form(&state, &session, &form.csrf, &job_id).await?;
    let document = state.db.document(&tenant.id, &job_id, &document_id).await?.ok_or(WebError::NotFound)?;
    if document.published_at.is_some() {
        return back(&state, &session, &job_id, "info", &format!("{} was already published.", document.title)).await;
    }
    publish_now(&state, &tenant, &job_id, &document_id, &document.title, &super::actor(&session)).await?;
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

    #[test]
    fn documents_are_pdfs_or_pictures() {
        assert_eq!(document_type(b"%PDF-1.7"), Some("application/pdf"));
        assert_eq!(document_type(b"<html><script>"), None);
    }
}
