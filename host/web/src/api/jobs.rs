//! `/api/v1/jobs`: list (newest first, by cursor), read one, create one.

use portico_core::ids::{JobId, TenantId};
use super::{ApiCaller, ApiError, Scope};
use crate::app::AppState;

use portico_core::model::{Role, Tenant};
use portico_data::JobDetails;
use portico_services::jobs::{NewJob, Person, JOB_ROLES};
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use super::openapi::{ReadKey, Retried, WriteKey, Idempotency, JobPath};
use super::views::{ErrorBody, JobPage, JobStageName, JobSummary, RoleName};
use portico_core::stages::JobStage;
use portico_services::jobs::JobView;
use utoipa::{IntoParams, ToSchema};

const DEFAULT_LIMIT: i64 = 20;
const MAX_LIMIT: i64 = 100;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/jobs", get(list).post(create))
        .route("/api/v1/jobs/{job_id}", get(read).patch(update))
        .route("/api/v1/jobs/{job_id}/stage", axum::routing::post(move_stage))
}

use portico_core::formats::rfc3339;

/// Where the next page starts: the last job's (created_at, id), opaque to callers.
fn encode_cursor(created_at: i64, id: &str) -> String {
    hex::encode(format!("{created_at}:{id}"))
}

fn decode_cursor(cursor: &str) -> Option<(i64, String)> {
    let text = String::from_utf8(hex::decode(cursor).ok()?).ok()?;
    let (at, id) = text.split_once(':')?;
    Some((at.parse().ok()?, id.to_string()))
}

/// `limit` and `cursor` from the query string (the first of each; other
/// parameters are ignored). Read by hand so that any query string gets the
/// API's JSON errors.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
struct ListQuery {
    #[param(value_type = Option<i64>, minimum = 1, maximum = 100, default = 20)]
    limit: Option<String>,
    /// `next_cursor` of the previous page.
    #[param(max_length = 400)]
    cursor: Option<String>,
}

impl ListQuery {
    fn parse(query: Option<&str>) -> ListQuery {
        let pairs: Vec<(String, String)> = url::form_urlencoded::parse(query.unwrap_or_default().as_bytes()).into_owned().collect();
        let first = |name: &str| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
        ListQuery { limit: first("limit"), cursor: first("cursor") }
    }
}

#[utoipa::path(
    get,
    path = "/api/v1/jobs",
    tag = "Jobs",
    operation_id = "listJobs",
    summary = "The business's jobs, newest first",
    params(ListQuery),
    responses(
        (status = 200, description = "A page of jobs", body = JobPage),
        (status = 400, description = "A bad limit or cursor", body = ErrorBody),
        ReadKey,
    )
)]
pub(super) async fn list(State(state): State<AppState>, caller: ApiCaller, RawQuery(query): RawQuery) -> Result<Json<JobPage>, ApiError> {
    caller.require(Scope::JobsRead)?;
    let query = ListQuery::parse(query.as_deref());
    let limit = match query.limit.as_deref() {
        None => DEFAULT_LIMIT,
        Some(text) => text
            .parse::<i64>()
            .ok()
            .filter(|n| (1..=MAX_LIMIT).contains(n))
            .ok_or_else(|| ApiError::BadRequest(format!("`limit` is a whole number from 1 to {MAX_LIMIT}.")))?,
    };
    let after = match query.cursor.as_deref() {
        None | Some("") => None,
        Some(cursor) => Some(decode_cursor(cursor).ok_or_else(|| ApiError::BadRequest("`cursor` is not one this API gave.".into()))?),
    };
    let tenant_id = caller.tenant_id();
    // One more than asked, to know whether another page follows.
    let mut rows = state.db.tenant(tenant_id).jobs_page(after.as_ref().map(|(at, id)| (*at, id.as_str())), limit + 1).await?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let next_cursor = if more { rows.last().map(|row| encode_cursor(row.created_at, row.job.id.as_str())) } else { None };
    let data = rows
        .into_iter()
        .map(|row| JobSummary {
            address: row.property.one_line(),
            id: row.job.id,
            reference: row.job.reference,
            status: row.job.status,
            created_at: rfc3339(row.created_at),
        })
        .collect();
    Ok(Json(JobPage { data, next_cursor }))
}

/// The job as the API shows it, or 404.
async fn job_view(state: &AppState, tenant_id: &TenantId, job_id: &JobId) -> Result<JobView, ApiError> {
    portico_services::jobs::job_view(&state.db, tenant_id, job_id).await?.ok_or(ApiError::NotFound("job"))
}

#[utoipa::path(
    get,
    path = "/api/v1/jobs/{job_id}",
    tag = "Jobs",
    operation_id = "getJob",
    summary = "One job",
    params(JobPath),
    responses(
        (status = 200, description = "The job", body = JobView),
        ReadKey,
        (status = 404, description = "No such job in this business", body = ErrorBody),
    )
)]
pub(super) async fn read(State(state): State<AppState>, caller: ApiCaller, Path(job_id): Path<JobId>) -> Result<Json<JobView>, ApiError> {
    caller.require(Scope::JobsRead)?;
    Ok(Json(job_view(&state, caller.tenant_id(), &job_id).await?))
}

/// Where the job is.
#[derive(Deserialize, ToSchema)]
#[schema(as = Property)]
#[serde(deny_unknown_fields)]
pub(super) struct PropertyBody {
    #[schema(min_length = 1, max_length = 200)]
    line1: String,
    #[schema(min_length = 1, max_length = 200)]
    city: String,
    #[serde(default)]
    #[schema(max_length = 100)]
    region: String,
    #[serde(default)]
    #[schema(max_length = 20)]
    postal_code: String,
}

/// When the job is: RFC 3339 times, the end after the start.
#[derive(Deserialize, ToSchema)]
#[schema(as = Appointment)]
#[serde(deny_unknown_fields)]
pub(super) struct AppointmentBody {
    #[schema(format = DateTime)]
    starts_at: String,
    #[schema(format = DateTime)]
    ends_at: String,
    #[serde(default)]
    #[schema(max_length = 120)]
    staff_name: String,
}

/// A service to add to a job.
#[derive(Deserialize, ToSchema)]
#[schema(as = NewService)]
#[serde(deny_unknown_fields)]
pub(super) struct ServiceBody {
    #[schema(min_length = 1, max_length = 120)]
    pub(super) name: String,
    #[schema(minimum = 0, maximum = 10_000_000_000_i64)]
    pub(super) price_minor: i64,
}

/// A person to put on a new job.
#[derive(Deserialize, ToSchema)]
#[schema(as = NewJobPerson)]
#[serde(deny_unknown_fields)]
pub(super) struct PersonBody {
    #[schema(min_length = 1, max_length = 120)]
    pub(super) name: String,
    #[serde(default)]
    #[schema(format = Email)]
    pub(super) email: Option<String>,
    #[serde(default)]
    #[schema(max_length = 40)]
    pub(super) phone: Option<String>,
    #[schema(value_type = RoleName)]
    pub(super) role: String,
}

/// A job to create, with its property, appointment, services and people
/// (the client among them).
#[derive(Deserialize, ToSchema)]
#[schema(as = NewJob)]
#[serde(deny_unknown_fields)]
pub(super) struct NewJobBody {
    #[schema(min_length = 1, max_length = 40)]
    reference: String,
    property: PropertyBody,
    #[serde(default)]
    appointment: Option<AppointmentBody>,
    #[serde(default)]
    #[schema(max_items = 50)]
    services: Vec<ServiceBody>,
    #[serde(default)]
    #[schema(required = true, min_items = 1, max_items = 20)]
    people: Vec<PersonBody>,
    #[serde(default)]
    #[schema(default = false)]
    send_invitations: bool,
}

/// Text people typed may hold no control characters (a NUL, say, which
/// PostgreSQL cannot store).
fn has_control(text: &str) -> bool {
    text.chars().any(char::is_control)
}

/// Every string of a create request, named for the error message.
fn texts(body: &NewJobBody) -> Vec<(String, &str)> {
    let mut texts = vec![
        ("reference".to_string(), body.reference.as_str()),
        ("property.line1".into(), &body.property.line1),
        ("property.city".into(), &body.property.city),
        ("property.region".into(), &body.property.region),
        ("property.postal_code".into(), &body.property.postal_code),
    ];
    if let Some(a) = &body.appointment {
        texts.push(("appointment.staff_name".into(), &a.staff_name));
    }
    for (i, s) in body.services.iter().enumerate() {
        texts.push((format!("services[{i}].name"), &s.name));
    }
    for (i, p) in body.people.iter().enumerate() {
        texts.push((format!("people[{i}].name"), &p.name));
        texts.extend(p.email.as_deref().map(|e| (format!("people[{i}].email"), e)));
        texts.extend(p.phone.as_deref().map(|e| (format!("people[{i}].phone"), e)));
    }
    texts
}

/// Check a job's reference, property and appointment, adding one message
/// per problem; `staff_name` comes with the appointment.
fn check_details(reference: &str, property: &PropertyBody, appointment: Option<&AppointmentBody>, problems: &mut Vec<String>) -> JobDetails {
    if property.region.chars().count() > 100 || property.postal_code.chars().count() > 20 {
        problems.push("`property.region` may be at most 100 characters and `property.postal_code` 20.".into());
    }
    if appointment.is_some_and(|a| a.staff_name.chars().count() > 120) {
        problems.push("`appointment.staff_name` may be at most 120 characters.".into());
    }
    let reference = reference.trim().to_string();
    if reference.is_empty() || reference.chars().count() > 40 {
        problems.push("`reference` must be 1 to 40 characters.".to_string());
    }
    for (value, name) in [(&property.line1, "property.line1"), (&property.city, "property.city")] {
        if value.trim().is_empty() || value.chars().count() > 200 {
            problems.push(format!("`{name}` must be 1 to 200 characters."));
        }
    }
    let times = appointment.and_then(|a| {
        let (starts, ends) = (a.starts_at.parse::<jiff::Timestamp>(), a.ends_at.parse::<jiff::Timestamp>());
        match (starts, ends) {
            (Ok(starts), Ok(ends)) if ends > starts => Some((starts.as_second(), ends.as_second())),
            (Ok(_), Ok(_)) => {
                problems.push("`appointment.ends_at` must be after `appointment.starts_at`.".into());
                None
            }
            _ => {
                problems.push("`appointment.starts_at` and `ends_at` are RFC 3339 times, like 2026-12-01T15:30:00Z.".into());
                None
            }
        }
    });
    JobDetails {
        reference,
        line1: property.line1.trim().to_string(),
        city: property.city.trim().to_string(),
        region: property.region.trim().to_string(),
        postal_code: property.postal_code.trim().to_string(),
        staff_name: appointment.map(|a| a.staff_name.trim().to_string()).unwrap_or_default(),
        appointment: times,
    }
}

/// Refuse text with control characters, naming each field that has some.
pub(super) fn refuse_control(texts: Vec<(String, &str)>) -> Result<(), ApiError> {
    let problems: Vec<String> =
        texts.into_iter().filter(|(_, text)| has_control(text)).map(|(name, _)| format!("`{name}` may not hold control characters.")).collect();
    if problems.is_empty() { Ok(()) } else { Err(ApiError::Invalid(problems)) }
}

/// Check a person; `at` names them in messages (`people[0]`, or `` for a body of its own).
pub(super) fn check_person(person: &PersonBody, at: &str, problems: &mut Vec<String>) -> Option<Person> {
    let Some(role) = JOB_ROLES.into_iter().find(|r| r.as_str() == person.role) else {
        problems.push(format!("`{at}role` is one of client, co-client, buyer-agent, listing-agent, other."));
        return None;
    };
    let email = person.email.as_deref().map(str::trim).filter(|e| !e.is_empty());
    if person.name.trim().is_empty() || person.name.chars().count() > 120 {
        problems.push(format!("`{at}name` must be 1 to 120 characters."));
    } else if email.is_some_and(|e| !portico_core::email::is_email(e)) {
        problems.push(format!("`{at}email` is not an e-mail address."));
    } else if person.phone.as_deref().is_some_and(|p| p.chars().count() > 40) {
        problems.push(format!("`{at}phone` may be at most 40 characters."));
    } else {
        let phone = person.phone.as_deref().map(str::trim).filter(|p| !p.is_empty()).map(str::to_string);
        return Some(Person { role, name: person.name.trim().to_string(), email: email.map(str::to_string), phone });
    }
    None
}

/// Check a service; `at` names it in messages.
pub(super) fn check_service(service: &ServiceBody, at: &str, problems: &mut Vec<String>) -> Option<(String, i64)> {
    if service.name.trim().is_empty() || service.name.chars().count() > 120 || !(0..=10_000_000_000).contains(&service.price_minor) {
        problems.push(format!("`{at}` needs a name of 1 to 120 characters and a price_minor from 0 to 10000000000."));
        return None;
    }
    Some((service.name.trim().to_string(), service.price_minor))
}

/// Check a create request; one message per problem.
fn check(body: NewJobBody) -> Result<NewJob, ApiError> {
    refuse_control(texts(&body))?;
    let mut problems = Vec::new();
    let details = check_details(&body.reference, &body.property, body.appointment.as_ref(), &mut problems);
    if body.services.len() > 50 || body.people.len() > 20 {
        problems.push("A job has at most 50 services and 20 people.".into());
    }
    let services: Vec<(String, i64)> =
        body.services.iter().enumerate().filter_map(|(i, service)| check_service(service, &format!("services[{i}]"), &mut problems)).collect();
    let people: Vec<Person> =
        body.people.iter().enumerate().filter_map(|(i, person)| check_person(person, &format!("people[{i}]."), &mut problems)).collect();
    if !people.iter().any(|person| person.role == Role::Client) && problems.is_empty() {
        problems.push("`people` must include the client (role `client`).".into());
    }
    if !problems.is_empty() {
        return Err(ApiError::Invalid(problems));
    }
    Ok(NewJob { details, services, people })
}

/// `PATCH /api/v1/jobs/{id}`: only the fields sent change; `"appointment":
/// null` removes the appointment.
#[derive(Deserialize, ToSchema)]
#[schema(as = JobChange)]
#[serde(deny_unknown_fields)]
pub(super) struct JobPatch {
    #[serde(default)]
    #[schema(min_length = 1, max_length = 40)]
    reference: Option<String>,
    #[serde(default)]
    property: Option<PropertyBody>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<AppointmentBody>)]
    appointment: Option<Option<AppointmentBody>>,
}

/// A field that is present, even as `null` (absent stays `None` by default).
pub(super) fn present<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(deserializer: D) -> Result<Option<T>, D::Error> {
    T::deserialize(deserializer).map(Some)
}

#[utoipa::path(
    patch,
    path = "/api/v1/jobs/{job_id}",
    tag = "Jobs",
    operation_id = "updateJob",
    summary = "Change a job's reference, property or appointment",
    params(JobPath),
    request_body = JobPatch,
    responses(
        (status = 200, description = "The job as it is now", body = JobView),
        (status = 400, description = "The body is not what this operation takes (malformed JSON, unknown or mistyped fields)", body = ErrorBody),
        WriteKey,
        (status = 404, description = "No such job in this business", body = ErrorBody),
        (status = 422, description = "The change needs fixing (a reference already taken, a blank address, an appointment ending before it starts); `details` lists each problem", body = ErrorBody),
    )
)]
pub(super) async fn update(State(state): State<AppState>, caller: ApiCaller, Path(job_id): Path<JobId>, body: Bytes) -> Result<Json<JobView>, ApiError> {
    caller.require(Scope::JobsWrite)?;
    let patch: JobPatch = super::parse_body(&body, "a change to a job")?;
    let tenant: Tenant = state.db.tenant(caller.tenant_id()).business().await?.ok_or(ApiError::Unauthorized)?;
    let db = &state.db;
    let job = db.tenant(&tenant.id).job(&job_id).await?.ok_or(ApiError::NotFound("job"))?;
    let property = db.tenant(&tenant.id).property(&job.property_id).await?;
    let first = db.tenant(&tenant.id).appointments(&job_id).await?.into_iter().next();
    let reference = patch.reference.unwrap_or(job.reference);
    let property = patch.property.unwrap_or(PropertyBody { line1: property.line1, city: property.city, region: property.region, postal_code: property.postal_code });
    let appointment = match patch.appointment {
        Some(sent) => sent,
        None => first.map(|a| AppointmentBody { starts_at: rfc3339(a.starts_at), ends_at: rfc3339(a.ends_at), staff_name: a.staff_name }),
    };
    let mut texts = vec![
        ("reference".to_string(), reference.as_str()),
        ("property.line1".into(), property.line1.as_str()),
        ("property.city".into(), property.city.as_str()),
        ("property.region".into(), property.region.as_str()),
        ("property.postal_code".into(), property.postal_code.as_str()),
    ];
    texts.extend(appointment.as_ref().map(|a| ("appointment.staff_name".to_string(), a.staff_name.as_str())));
    refuse_control(texts)?;
    let mut problems = Vec::new();
    let details = check_details(&reference, &property, appointment.as_ref(), &mut problems);
    if !problems.is_empty() {
        return Err(ApiError::Invalid(problems));
    }
    state.jobs.update_details(&tenant, &job_id, &details, &caller.actor()).await?;
    Ok(Json(job_view(&state, &tenant.id, &job_id).await?))
}

/// Where to move a job on its day.
#[derive(Deserialize, ToSchema)]
#[schema(as = JobStageChange)]
#[serde(deny_unknown_fields)]
pub(super) struct StageBody {
    #[schema(value_type = JobStageName)]
    stage: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/jobs/{job_id}/stage",
    tag = "Jobs",
    operation_id = "moveJob",
    summary = "Move a job on its day: on the way, started, finished, cancelled, or back to scheduled",
    description = "A job goes scheduled → on-the-way → started → finished; it may be cancelled before it is finished, and a cancelled or on-the-way job may go back to scheduled. On the way and finished e-mail the clients, as they chose; the webhook `job.stage-changed` follows.",
    params(JobPath),
    request_body = StageBody,
    responses(
        (status = 200, description = "The job as it is now", body = JobView),
        (status = 400, description = "The body is not what this operation takes (malformed JSON, unknown or mistyped fields)", body = ErrorBody),
        WriteKey,
        (status = 404, description = "No such job in this business", body = ErrorBody),
        (status = 422, description = "The job cannot go there from where it stands, or an unknown stage", body = ErrorBody),
    )
)]
pub(super) async fn move_stage(State(state): State<AppState>, caller: ApiCaller, Path(job_id): Path<JobId>, body: Bytes) -> Result<Json<JobView>, ApiError> {
    caller.require(Scope::JobsWrite)?;
    let change: StageBody = super::parse_body(&body, "a stage to move the job to")?;
    let tenant: Tenant = state.db.tenant(caller.tenant_id()).business().await?.ok_or(ApiError::Unauthorized)?;
    let stage = change.stage.parse::<JobStage>().map_err(|_| ApiError::Invalid(vec![format!("“{}” is not a stage; use one of {}.", change.stage, JobStage::ALL.map(JobStage::as_str).join(", "))]))?;
    state.jobs.move_to(&tenant, &job_id, stage, &caller.actor()).await?;
    Ok(Json(job_view(&state, &tenant.id, &job_id).await?))
}

/// `POST /api/v1/jobs`, idempotent with an `Idempotency-Key`.
#[utoipa::path(
    post,
    path = "/api/v1/jobs",
    tag = "Jobs",
    operation_id = "createJob",
    summary = "Create a job with its property, appointment, services and people",
    params(Idempotency),
    request_body = NewJobBody,
    responses(
        (status = 201, description = "The job, created", body = JobView),
        (status = 400, description = "The body is not a job (malformed JSON, unknown or missing fields)", body = ErrorBody),
        WriteKey,
        Retried,
        (status = 422, description = "The job's content needs fixing (a reference already taken, no client among the people, an appointment ending before it starts, blank names); `details` lists each problem", body = ErrorBody),
    )
)]
pub(super) async fn create(State(state): State<AppState>, caller: ApiCaller, headers: HeaderMap, body: Bytes) -> Result<Response, ApiError> {
    caller.require(Scope::JobsWrite)?;
    super::idempotency::answer(&state, &caller, &headers, "POST /api/v1/jobs", &body, create_job(&state, &caller, &body)).await
}

async fn create_job(state: &AppState, caller: &ApiCaller, body: &[u8]) -> Result<(StatusCode, JobView), ApiError> {
    let parsed: NewJobBody = super::parse_body(body, "a job")?;
    let send = parsed.send_invitations;
    let job = check(parsed)?;
    let tenant: Tenant = state.db.tenant(caller.tenant_id()).business().await?.ok_or(ApiError::Unauthorized)?;
    let created = state.jobs.create(&tenant, &job, &caller.actor(), send).await?;
    Ok((StatusCode::CREATED, job_view(state, &tenant.id, &created.job_id).await?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_garbage_is_refused() {
        let cursor = encode_cursor(1_700_000_000, "0193-abc");
        assert_eq!(decode_cursor(&cursor), Some((1_700_000_000, "0193-abc".into())));
        assert_eq!(decode_cursor("zz"), None);
        assert_eq!(decode_cursor(&hex::encode("no-colon")), None);
    }
}
