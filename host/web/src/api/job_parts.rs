//! What hangs off a job, on routes of its own: its people, services,
//! invoices and documents. Creates take an `Idempotency-Key`.

use super::jobs::{check_person, check_service, refuse_control, PersonBody, ServiceBody};
use super::{ApiCaller, ApiError, Scope};
use crate::app::AppState;
use portico_core::model::{Role, Tenant};
use portico_services::payments::invoices::{InvoiceAuthority, NewLine};
use portico_services::payments::CheckoutError;
use portico_services::documents::{NewDocument, MAX_DOCUMENT_BYTES};
use portico_services::jobs::JOB_ROLES;
use portico_core::formats::rfc3339;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/jobs/{job_id}/people", post(add_person))
        .route("/api/v1/jobs/{job_id}/people/{person_id}", delete(remove_person).patch(change_person))
        .route("/api/v1/jobs/{job_id}/services", post(add_service))
        .route("/api/v1/jobs/{job_id}/services/{service_id}", delete(remove_service))
        .route("/api/v1/jobs/{job_id}/invoices", get(invoices).post(invoice))
        .route("/api/v1/jobs/{job_id}/invoices/{invoice_id}/lines", post(add_line))
        .route("/api/v1/jobs/{job_id}/invoices/{invoice_id}/void", post(void))
        .route(
            "/api/v1/jobs/{job_id}/documents",
            get(documents).post(upload).layer(DefaultBodyLimit::max(MAX_DOCUMENT_BYTES + 1)),
        )
        .route("/api/v1/jobs/{job_id}/documents/{document_id}/publish", post(publish))
}

/// The caller's business and its job, or 404.
pub(super) async fn job_of(state: &AppState, caller: &ApiCaller, job_id: &str) -> Result<Tenant, ApiError> {
    let tenant = state.db.tenant(caller.tenant_id()).business().await?.ok_or(ApiError::Unauthorized)?;
    state.db.tenant(&tenant.id).job(job_id).await?.ok_or(ApiError::NotFound("job"))?;
    Ok(tenant)
}

fn parse<'a, T: Deserialize<'a>>(body: &'a [u8], what: &str) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(|e| ApiError::BadRequest(format!("The body is not {what}: {e}")))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AddPersonBody {
    name: String,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    phone: Option<String>,
    role: String,
    #[serde(default)]
    send_invitation: bool,
}

async fn add_person(State(state): State<AppState>, caller: ApiCaller, Path(job_id): Path<String>, headers: HeaderMap, body: Bytes) -> Result<Response, ApiError> {
    caller.require(Scope::JobsWrite)?;
    let operation = format!("POST /api/v1/jobs/{job_id}/people");
    super::idempotency::answer(&state, &caller, &headers, &operation, &body, async {
        let tenant = job_of(&state, &caller, &job_id).await?;
        let sent: AddPersonBody = parse(&body, "a person")?;
        let person = PersonBody { name: sent.name, email: sent.email, phone: sent.phone, role: sent.role };
        let mut texts = vec![("name".to_string(), person.name.as_str())];
        texts.extend(person.email.as_deref().map(|e| ("email".to_string(), e)));
        texts.extend(person.phone.as_deref().map(|p| ("phone".to_string(), p)));
        refuse_control(texts)?;
        let mut problems = Vec::new();
        let Some(checked) = check_person(&person, "", &mut problems) else { return Err(ApiError::Invalid(problems)) };
        let (id, invited) = state.jobs.add_person(&tenant, &job_id, &checked, sent.send_invitation, &caller.actor()).await?;
        let invitation = invited.map(|invited| invited.to_string());
        Ok((StatusCode::CREATED, json!({ "id": id, "name": checked.name, "role": checked.role.as_str(), "email": checked.email.map(|e| e.to_lowercase()), "invitation": invitation })))
    })
    .await
}

/// `PATCH …/people/{id}`: only the fields sent change; `"email": null` or
/// `"phone": null` clears them.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PersonPatch {
    #[serde(default)]
    name: Option<String>,
    #[serde(default, deserialize_with = "super::jobs::present")]
    email: Option<Option<String>>,
    #[serde(default, deserialize_with = "super::jobs::present")]
    phone: Option<Option<String>>,
    #[serde(default)]
    role: Option<String>,
}

async fn change_person(State(state): State<AppState>, caller: ApiCaller, Path((job_id, person_id)): Path<(String, String)>, body: Bytes) -> Result<Json<Value>, ApiError> {
    caller.require(Scope::JobsWrite)?;
    let tenant = job_of(&state, &caller, &job_id).await?;
    let patch: PersonPatch = parse(&body, "a change to a person")?;
    let current = state.db.tenant(&tenant.id).job_contact_any_state(&job_id, &person_id).await?.ok_or(ApiError::NotFound("person"))?;
    let person = PersonBody {
        name: patch.name.unwrap_or(current.name),
        email: patch.email.unwrap_or(current.email),
        phone: patch.phone.unwrap_or(current.phone),
        role: patch.role.unwrap_or_else(|| current.role.0.as_str().to_string()),
    };
    let mut texts = vec![("name".to_string(), person.name.as_str()), ("role".to_string(), person.role.as_str())];
    texts.extend(person.email.as_deref().map(|e| ("email".to_string(), e)));
    texts.extend(person.phone.as_deref().map(|p| ("phone".to_string(), p)));
    refuse_control(texts)?;
    let mut problems = Vec::new();
    let Some(checked) = check_person(&person, "", &mut problems) else { return Err(ApiError::Invalid(problems)) };
    state.jobs.change_person(&tenant, &job_id, &person_id, &checked, &caller.actor()).await?;
    Ok(Json(json!({ "id": person_id, "name": checked.name, "role": checked.role.as_str(), "email": checked.email.map(|e| e.to_lowercase()), "invitation": null })))
}

async fn remove_person(State(state): State<AppState>, caller: ApiCaller, Path((job_id, person_id)): Path<(String, String)>) -> Result<Response, ApiError> {
    caller.require(Scope::JobsWrite)?;
    let tenant = job_of(&state, &caller, &job_id).await?;
    state.jobs.remove_person(&tenant, &job_id, &person_id, &caller.actor()).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn add_service(State(state): State<AppState>, caller: ApiCaller, Path(job_id): Path<String>, headers: HeaderMap, body: Bytes) -> Result<Response, ApiError> {
    caller.require(Scope::JobsWrite)?;
    let operation = format!("POST /api/v1/jobs/{job_id}/services");
    super::idempotency::answer(&state, &caller, &headers, &operation, &body, async {
        let tenant = job_of(&state, &caller, &job_id).await?;
        let service: ServiceBody = parse(&body, "a service")?;
        refuse_control(vec![("name".to_string(), service.name.as_str())])?;
        let mut problems = Vec::new();
        let Some((name, price_minor)) = check_service(&service, "service", &mut problems) else { return Err(ApiError::Invalid(problems)) };
        let id = state.jobs.add_service(&tenant, &job_id, &name, price_minor, &caller.actor()).await?;
        Ok((StatusCode::CREATED, json!({ "id": id, "name": name, "price_minor": price_minor })))
    })
    .await
}

async fn remove_service(State(state): State<AppState>, caller: ApiCaller, Path((job_id, service_id)): Path<(String, String)>) -> Result<Response, ApiError> {
    caller.require(Scope::JobsWrite)?;
    let tenant = job_of(&state, &caller, &job_id).await?;
    state.jobs.remove_service(&tenant, &job_id, &service_id, &caller.actor()).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// A job's invoices with their lines and what was paid.
async fn invoices_json(state: &AppState, tenant: &Tenant, job_id: &str) -> Result<Vec<Value>, ApiError> {
    let mut data = Vec::new();
    for (invoice, lines) in state.db.tenant(&tenant.id).invoices(job_id).await? {
        let totals = state.db.tenant(&tenant.id).invoice_totals(&invoice.id).await?;
        let lines: Vec<Value> = lines
            .iter()
            .map(|l| json!({ "kind": l.kind, "description": l.description, "quantity": l.quantity, "unit_price_minor": l.unit_price_minor }))
            .collect();
        data.push(json!({
            "id": invoice.id,
            "number": invoice.number,
            "status": invoice.status,
            "currency": tenant.currency,
            "total_minor": totals.as_ref().map(|t| t.total),
            "paid_minor": totals.as_ref().map(|t| t.paid),
            "tax_minor": invoice.tax_minor,
            "due_at": invoice.due_at.map(rfc3339),
            "lines": lines,
        }));
    }
    Ok(data)
}

async fn invoices(State(state): State<AppState>, caller: ApiCaller, Path(job_id): Path<String>) -> Result<Json<Value>, ApiError> {
    caller.require(Scope::JobsRead)?;
    let tenant = job_of(&state, &caller, &job_id).await?;
    Ok(Json(json!({ "data": invoices_json(&state, &tenant, &job_id).await? })))
}

/// `POST …/invoices`: invoice the job's services (an empty JSON object, or
/// no body).
async fn invoice(State(state): State<AppState>, caller: ApiCaller, Path(job_id): Path<String>, headers: HeaderMap, body: Bytes) -> Result<Response, ApiError> {
    caller.require(Scope::JobsWrite)?;
    let operation = format!("POST /api/v1/jobs/{job_id}/invoices");
    super::idempotency::answer(&state, &caller, &headers, &operation, &body, async {
        let tenant = job_of(&state, &caller, &job_id).await?;
        if !body.iter().all(u8::is_ascii_whitespace) {
            let _: Empty = parse(&body, "an empty object (the invoice bills the job's services)")?;
        }
        let invoice_id = state.jobs.invoice_services(&tenant, &job_id, &caller.actor()).await?;
        let created = invoices_json(&state, &tenant, &job_id).await?.into_iter().find(|i| i["id"] == invoice_id.as_str()).unwrap_or(Value::Null);
        Ok((StatusCode::CREATED, created))
    })
    .await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Empty {}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LineBody {
    kind: String,
    description: String,
    amount_minor: i64,
}

/// An invoice change's outcome as the API answers it.
fn invoice_refusal(error: CheckoutError) -> ApiError {
    match error {
        CheckoutError::NotFound => ApiError::NotFound("invoice"),
        CheckoutError::Blocked(reason) => ApiError::Invalid(vec![reason]),
        CheckoutError::Db(error) => error.into(),
        other => ApiError::Internal(anyhow::anyhow!("{other}")),
    }
}

/// The invoice as it is now.
async fn invoice_now(state: &AppState, tenant: &Tenant, job_id: &str, invoice_id: &str) -> Result<Value, ApiError> {
    invoices_json(state, tenant, job_id).await?.into_iter().find(|i| i["id"] == invoice_id).ok_or(ApiError::NotFound("invoice"))
}

/// `POST …/invoices/{id}/lines`: a fee, a discount (`amount_minor` is what
/// it takes off) or a service, on an invoice still to pay.
async fn add_line(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((job_id, invoice_id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    caller.require(Scope::JobsWrite)?;
    let operation = format!("POST /api/v1/jobs/{job_id}/invoices/{invoice_id}/lines");
    super::idempotency::answer(&state, &caller, &headers, &operation, &body, async {
        let tenant = job_of(&state, &caller, &job_id).await?;
        let sent: LineBody = parse(&body, "an invoice line")?;
        let line = NewLine { kind: &sent.kind, description: &sent.description, amount_minor: sent.amount_minor };
        // An integration is never the owner: settling by discount is done on the console.
        let authority = InvoiceAuthority::Office;
        state.payments.add_invoice_line(&tenant, &job_id, &invoice_id, &line, authority, caller.actor()).await.map_err(invoice_refusal)?;
        Ok((StatusCode::CREATED, invoice_now(&state, &tenant, &job_id, &invoice_id).await?))
    })
    .await
}

async fn void(State(state): State<AppState>, caller: ApiCaller, Path((job_id, invoice_id)): Path<(String, String)>) -> Result<Json<Value>, ApiError> {
    caller.require(Scope::JobsWrite)?;
    let tenant = job_of(&state, &caller, &job_id).await?;
    state.payments.void_invoice(&tenant, &job_id, &invoice_id, caller.actor()).await.map_err(invoice_refusal)?;
    Ok(Json(invoice_now(&state, &tenant, &job_id, &invoice_id).await?))
}

fn document_json(document: &portico_core::model::Document) -> Value {
    json!({
        "id": document.id,
        "kind": document.kind,
        "title": document.title,
        "content_type": document.content_type,
        "byte_size": document.byte_size,
        "visible_to": document.visible_roles().iter().map(|r| r.as_str()).collect::<Vec<_>>(),
        "published_at": document.published_at.map(rfc3339),
    })
}

async fn documents(State(state): State<AppState>, caller: ApiCaller, Path(job_id): Path<String>) -> Result<Json<Value>, ApiError> {
    caller.require(Scope::JobsRead)?;
    let tenant = job_of(&state, &caller, &job_id).await?;
    let data: Vec<Value> = state.db.tenant(&tenant.id).documents(&job_id, "").await?.iter().map(document_json).collect();
    Ok(Json(json!({ "data": data })))
}

/// `POST …/documents?kind=report&title=…&visible_to=client,buyer-agent`
/// with the file itself as the body (a PDF, PNG or JPEG); stored
/// unpublished.
async fn upload(State(state): State<AppState>, caller: ApiCaller, Path(job_id): Path<String>, RawQuery(query): RawQuery, headers: HeaderMap, body: Bytes) -> Result<Response, ApiError> {
    caller.require(Scope::JobsWrite)?;
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(query.unwrap_or_default().as_bytes()).into_owned().collect();
    let first = |name: &str| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).unwrap_or_default();
    let (kind, title, visible_to) = (first("kind"), first("title"), first("visible_to"));
    let operation = format!("POST /api/v1/jobs/{job_id}/documents?{kind}&{title}&{visible_to}");
    super::idempotency::answer(&state, &caller, &headers, &operation, &body, async {
        let tenant = job_of(&state, &caller, &job_id).await?;
        refuse_control(vec![("title".to_string(), title.as_str())])?;
        let mut roles: Vec<Role> = Vec::new();
        for name in visible_to.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            let role = JOB_ROLES.into_iter().find(|r| r.as_str() == name).ok_or_else(|| {
                ApiError::Invalid(vec![format!("`visible_to` lists roles among client, co-client, buyer-agent, listing-agent, other; not “{name}”.")])
            })?;
            roles.push(role);
        }
        let new = NewDocument { kind: &kind, title: &title, bytes: &body, roles: &roles };
        let id = state.documents.store(&tenant, &job_id, &new, &caller.actor()).await?;
        let document = state.db.tenant(&tenant.id).document(&job_id, &id).await?.ok_or(ApiError::NotFound("document"))?;
        Ok((StatusCode::CREATED, document_json(&document)))
    })
    .await
}

async fn publish(State(state): State<AppState>, caller: ApiCaller, Path((job_id, document_id)): Path<(String, String)>) -> Result<Json<Value>, ApiError> {
    caller.require(Scope::JobsWrite)?;
    let tenant = job_of(&state, &caller, &job_id).await?;
    let document = state.db.tenant(&tenant.id).document(&job_id, &document_id).await?.ok_or(ApiError::NotFound("document"))?;
    if document.published_at.is_none() {
        state.documents.publish(&tenant, &job_id, &document.id, &document.title, &caller.actor()).await?;
    }
    let document = state.db.tenant(&tenant.id).document(&job_id, &document_id).await?.ok_or(ApiError::NotFound("document"))?;
    Ok(Json(document_json(&document)))
}
