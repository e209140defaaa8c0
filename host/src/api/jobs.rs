//! `/api/v1/jobs`: list (newest first, by cursor), read one, create one.

use super::{ApiCaller, ApiError, Scope};
use crate::app::AppState;
use crate::model::{Role, Tenant};
use crate::staff::job_setup::{self, NewJob, JOB_ROLES};
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

const DEFAULT_LIMIT: i64 = 20;
const MAX_LIMIT: i64 = 100;

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/jobs", get(list).post(create)).route("/api/v1/jobs/{job_id}", get(read))
}

fn rfc3339(unix_seconds: i64) -> String {
    jiff::Timestamp::from_second(unix_seconds).map(|t| t.to_string()).unwrap_or_default()
}

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
struct ListQuery {
    limit: Option<String>,
    cursor: Option<String>,
}

impl ListQuery {
    fn parse(query: Option<&str>) -> ListQuery {
        let pairs: Vec<(String, String)> = url::form_urlencoded::parse(query.unwrap_or_default().as_bytes()).into_owned().collect();
        let first = |name: &str| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
        ListQuery { limit: first("limit"), cursor: first("cursor") }
    }
}

async fn list(State(state): State<AppState>, caller: ApiCaller, RawQuery(query): RawQuery) -> Result<Json<Value>, ApiError> {
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
    let mut rows = state.db.jobs_page(tenant_id, after.as_ref().map(|(at, id)| (*at, id.as_str())), limit + 1).await?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let next_cursor = if more { rows.last().map(|(job, at)| encode_cursor(*at, &job.id)) } else { None };
    let mut data = Vec::with_capacity(rows.len());
    for (job, created_at) in rows {
        let property = state.db.property(tenant_id, &job.property_id).await?;
        data.push(json!({
            "id": job.id,
            "reference": job.reference,
            "status": job.status,
            "address": property.one_line(),
            "created_at": rfc3339(created_at),
        }));
    }
    Ok(Json(json!({ "data": data, "next_cursor": next_cursor })))
}

/// One job as the API shows it.
async fn job_view(state: &AppState, tenant_id: &str, job_id: &str) -> Result<Value, ApiError> {
    let db = &state.db;
    let job = db.job(tenant_id, job_id).await?.ok_or(ApiError::NotFound("job"))?;
    let property = db.property(tenant_id, &job.property_id).await?;
    let appointments: Vec<Value> = db
        .appointments(tenant_id, job_id)
        .await?
        .into_iter()
        .map(|a| json!({ "starts_at": rfc3339(a.starts_at), "ends_at": rfc3339(a.ends_at), "status": a.status }))
        .collect();
    let services: Vec<Value> =
        db.services(tenant_id, job_id).await?.into_iter().map(|s| json!({ "name": s.name, "price_minor": s.price_minor })).collect();
    let people: Vec<Value> = db
        .job_contacts(tenant_id, job_id)
        .await?
        .into_iter()
        .map(|c| json!({ "id": c.id, "name": c.name, "role": c.role.0.as_str(), "email": c.email }))
        .collect();
    Ok(json!({
        "id": job.id,
        "reference": job.reference,
        "status": job.status,
        "property": {
            "line1": property.line1,
            "city": property.city,
            "region": property.region,
            "postal_code": property.postal_code,
        },
        "appointments": appointments,
        "services": services,
        "people": people,
    }))
}

async fn read(State(state): State<AppState>, caller: ApiCaller, Path(job_id): Path<String>) -> Result<Json<Value>, ApiError> {
    caller.require(Scope::JobsRead)?;
    Ok(Json(job_view(&state, caller.tenant_id(), &job_id).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PropertyBody {
    line1: String,
    city: String,
    #[serde(default)]
    region: String,
    #[serde(default)]
    postal_code: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AppointmentBody {
    starts_at: String,
    ends_at: String,
    #[serde(default)]
    staff_name: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ServiceBody {
    name: String,
    price_minor: i64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PersonBody {
    name: String,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    phone: Option<String>,
    role: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewJobBody {
    reference: String,
    property: PropertyBody,
    #[serde(default)]
    appointment: Option<AppointmentBody>,
    #[serde(default)]
    services: Vec<ServiceBody>,
    #[serde(default)]
    people: Vec<PersonBody>,
    #[serde(default)]
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

/// Check a create request; one message per problem.
fn check(body: NewJobBody) -> Result<NewJob, ApiError> {
    let mut problems: Vec<String> =
        texts(&body).into_iter().filter(|(_, text)| has_control(text)).map(|(name, _)| format!("`{name}` may not hold control characters.")).collect();
    if !problems.is_empty() {
        return Err(ApiError::Invalid(problems));
    }
    if body.property.region.chars().count() > 100 || body.property.postal_code.chars().count() > 20 {
        problems.push("`property.region` may be at most 100 characters and `property.postal_code` 20.".into());
    }
    if body.appointment.as_ref().is_some_and(|a| a.staff_name.chars().count() > 120) {
        problems.push("`appointment.staff_name` may be at most 120 characters.".into());
    }
    let reference = body.reference.trim().to_string();
    if reference.is_empty() || reference.chars().count() > 40 {
        problems.push("`reference` must be 1 to 40 characters.".to_string());
    }
    for (value, name) in [(&body.property.line1, "property.line1"), (&body.property.city, "property.city")] {
        if value.trim().is_empty() || value.chars().count() > 200 {
            problems.push(format!("`{name}` must be 1 to 200 characters."));
        }
    }
    let appointment = body.appointment.as_ref().and_then(|a| {
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
    if body.services.len() > 50 || body.people.len() > 20 {
        problems.push("A job has at most 50 services and 20 people.".into());
    }
    let mut services = Vec::new();
    for (i, service) in body.services.iter().enumerate() {
        if service.name.trim().is_empty() || service.name.chars().count() > 120 || !(0..=10_000_000_000).contains(&service.price_minor) {
            problems.push(format!("`services[{i}]` needs a name of 1 to 120 characters and a price_minor from 0 to 10000000000."));
        } else {
            services.push((service.name.trim().to_string(), service.price_minor));
        }
    }
    let mut people = Vec::new();
    for (i, person) in body.people.iter().enumerate() {
        let Some(role) = JOB_ROLES.into_iter().find(|r| r.as_str() == person.role) else {
            problems.push(format!("`people[{i}].role` is one of client, co-client, buyer-agent, listing-agent, other."));
            continue;
        };
        let email = person.email.as_deref().map(str::trim).filter(|e| !e.is_empty());
        if person.name.trim().is_empty() || person.name.chars().count() > 120 {
            problems.push(format!("`people[{i}].name` must be 1 to 120 characters."));
        } else if email.is_some_and(|e| !job_setup::is_email(e)) {
            problems.push(format!("`people[{i}].email` is not an e-mail address."));
        } else if person.phone.as_deref().is_some_and(|p| p.chars().count() > 40) {
            problems.push(format!("`people[{i}].phone` may be at most 40 characters."));
        } else {
            let phone = person.phone.as_deref().map(str::trim).filter(|p| !p.is_empty()).map(str::to_string);
            people.push((role, person.name.trim().to_string(), email.map(str::to_string), phone));
        }
    }
    if !people.iter().any(|(role, ..)| *role == Role::Client) && problems.is_empty() {
        problems.push("`people` must include the client (role `client`).".into());
    }
    if !problems.is_empty() {
        return Err(ApiError::Invalid(problems));
    }
    Ok(NewJob {
        reference,
        line1: body.property.line1.trim().to_string(),
        city: body.property.city.trim().to_string(),
        region: body.property.region.trim().to_string(),
        postal_code: body.property.postal_code.trim().to_string(),
        inspector: body.appointment.map(|a| a.staff_name.trim().to_string()).unwrap_or_default(),
        services,
        appointment,
        people,
    })
}

/// `POST /api/v1/jobs`. With an `Idempotency-Key`, a retry of the same request
/// gets the first answer again (`Idempotent-Replayed: true`) and creates
/// nothing; the same key with another request is refused.
async fn create(State(state): State<AppState>, caller: ApiCaller, headers: HeaderMap, body: Bytes) -> Result<Response, ApiError> {
    caller.require(Scope::JobsWrite)?;
    let tenant_id = caller.tenant_id().to_string();
    let key = match headers.get("idempotency-key") {
        None => None,
        Some(value) => Some(
            value
                .to_str()
                .ok()
                .filter(|k| (1..=200).contains(&k.len()) && k.bytes().all(|b| (0x21..=0x7e).contains(&b)))
                .ok_or_else(|| ApiError::BadRequest("`Idempotency-Key` is 1 to 200 visible ASCII characters, without spaces.".into()))?
                .to_string(),
        ),
    };
    if let Some(key) = &key {
        let request_hash = hex::encode(Sha256::digest([b"POST /api/v1/jobs\n".as_slice(), &body].concat()));
        if let Some(answer) = state.db.claim_idempotency_key(&tenant_id, key, &request_hash).await? {
            if answer.request_hash != request_hash {
                return Err(ApiError::Conflict("This Idempotency-Key was used with a different request.".into()));
            }
            if answer.status == 0 {
                return Err(ApiError::Conflict("A request with this Idempotency-Key is still being answered; retry shortly.".into()));
            }
            let status = StatusCode::from_u16(answer.status as u16).unwrap_or(StatusCode::OK);
            let stored: Value = serde_json::from_str(&answer.response_json).unwrap_or(Value::Null);
            return Ok((status, [("idempotent-replayed", "true")], Json(stored)).into_response());
        }
    }
    let result = create_job(&state, &caller, &body).await;
    match (&key, &result) {
        (Some(key), Ok((status, value))) => state.db.answer_idempotency_key(&tenant_id, key, status.as_u16(), &value.to_string()).await?,
        // A refused or failed request keeps nothing: it may be corrected and retried with the same key.
        (Some(key), Err(_)) => state.db.release_idempotency_key(&tenant_id, key).await?,
        (None, _) => {}
    }
    let (status, value) = result?;
    Ok((status, Json(value)).into_response())
}

async fn create_job(state: &AppState, caller: &ApiCaller, body: &[u8]) -> Result<(StatusCode, Value), ApiError> {
    let parsed: NewJobBody = serde_json::from_slice(body).map_err(|e| ApiError::BadRequest(format!("The body is not a job: {e}")))?;
    let send = parsed.send_invitations;
    let job = check(parsed)?;
    let tenant: Tenant = state.db.tenant(caller.tenant_id()).await?.ok_or(ApiError::Unauthorized)?;
    let created = job_setup::create(state, &tenant, &job, &caller.actor(), send).await?.map_err(|refusal| ApiError::Invalid(vec![refusal]))?;
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
