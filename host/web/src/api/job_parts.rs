//! What hangs off a job, on routes of its own: its people, services,
//! invoices and documents. Creates take an `Idempotency-Key`.

use portico_core::ids::JobId;
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
use super::openapi::{BadBody, ReadKey, Retried, WriteKey, DocumentPath, Idempotency, InvoicePath, JobPath, PersonPath, ServicePath};
use super::views::{
    DocumentKind, DocumentList, DocumentView, ErrorBody, EstimateLineView, EstimateList, EstimateView, FileBody, InvoiceLineView, InvoiceList, InvoiceView,
    NewLineKind, PersonAnswer, RoleName,
};
use portico_services::jobs::ServiceView;
use utoipa::{IntoParams, ToSchema};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/jobs/{job_id}/people", post(add_person))
        .route("/api/v1/jobs/{job_id}/people/{person_id}", delete(remove_person).patch(change_person))
        .route("/api/v1/jobs/{job_id}/services", post(add_service))
        .route("/api/v1/jobs/{job_id}/services/{service_id}", delete(remove_service))
        .route("/api/v1/jobs/{job_id}/invoices", get(invoices).post(invoice))
        .route("/api/v1/jobs/{job_id}/estimates", get(estimates))
        .route("/api/v1/jobs/{job_id}/invoices/{invoice_id}/lines", post(add_line))
        .route("/api/v1/jobs/{job_id}/invoices/{invoice_id}/void", post(void))
        .route(
            "/api/v1/jobs/{job_id}/documents",
            get(documents).post(upload).layer(DefaultBodyLimit::max(MAX_DOCUMENT_BYTES + 1)),
        )
        .route("/api/v1/jobs/{job_id}/documents/{document_id}/publish", post(publish))
}

/// The caller's business and its job, or 404.
pub(super) async fn job_of(state: &AppState, caller: &ApiCaller, job_id: &JobId) -> Result<Tenant, ApiError> {
    let tenant = state.db.tenant(caller.tenant_id()).business().await?.ok_or(ApiError::Unauthorized)?;
    state.db.tenant(&tenant.id).job(job_id).await?.ok_or(ApiError::NotFound("job"))?;
    Ok(tenant)
}

/// A person to put on a job.
#[derive(Deserialize, ToSchema)]
#[schema(as = NewPerson)]
#[serde(deny_unknown_fields)]
pub(super) struct AddPersonBody {
    #[schema(min_length = 1, max_length = 120)]
    name: String,
    #[serde(default)]
    #[schema(format = Email)]
    email: Option<String>,
    #[serde(default)]
    #[schema(max_length = 40)]
    phone: Option<String>,
    #[schema(value_type = RoleName)]
    role: String,
    #[serde(default)]
    #[schema(default = false)]
    send_invitation: bool,
}

#[utoipa::path(
    post,
    path = "/api/v1/jobs/{job_id}/people",
    tag = "People and services",
    operation_id = "addPerson",
    summary = "Put a person on a job, and invite them if asked",
    params(JobPath, Idempotency),
    request_body = AddPersonBody,
    responses(
        (status = 201, description = "The person, on the job", body = PersonAnswer),
        BadBody,
        WriteKey,
        (status = 404, description = "No such job in this business", body = ErrorBody),
        Retried,
        (status = 422, description = "The person needs fixing (a blank name, an e-mail that is not one); `details` lists each problem", body = ErrorBody),
    )
)]
pub(super) async fn add_person(State(state): State<AppState>, caller: ApiCaller, Path(job_id): Path<JobId>, headers: HeaderMap, body: Bytes) -> Result<Response, ApiError> {
    caller.require(Scope::JobsWrite)?;
    let operation = format!("POST /api/v1/jobs/{job_id}/people");
    super::idempotency::answer(&state, &caller, &headers, &operation, &body, async {
        let tenant = job_of(&state, &caller, &job_id).await?;
        let sent: AddPersonBody = super::parse_body(&body, "a person")?;
        let person = PersonBody { name: sent.name, email: sent.email, phone: sent.phone, role: sent.role };
        let mut texts = vec![("name".to_string(), person.name.as_str())];
        texts.extend(person.email.as_deref().map(|e| ("email".to_string(), e)));
        texts.extend(person.phone.as_deref().map(|p| ("phone".to_string(), p)));
        refuse_control(texts)?;
        let mut problems = Vec::new();
        let Some(checked) = check_person(&person, "", &mut problems) else { return Err(ApiError::Invalid(problems)) };
        let (id, invited) = state.jobs.add_person(&tenant, &job_id, &checked, sent.send_invitation, &caller.actor()).await?;
        let invitation = invited.map(|invited| invited.to_string());
        Ok((StatusCode::CREATED, PersonAnswer { id, name: checked.name, role: checked.role.as_str(), email: checked.email.map(|e| e.to_lowercase()), invitation }))
    })
    .await
}

/// Only the fields sent change; `null` clears the e-mail or phone. Name,
/// e-mail and phone are the same on every job the person is on; the role is
/// theirs on this job.
#[derive(Deserialize, ToSchema)]
#[schema(as = PersonChange)]
#[serde(deny_unknown_fields)]
pub(super) struct PersonPatch {
    #[serde(default)]
    #[schema(min_length = 1, max_length = 120)]
    name: Option<String>,
    #[serde(default, deserialize_with = "super::jobs::present")]
    #[schema(value_type = Option<String>, format = Email)]
    email: Option<Option<String>>,
    #[serde(default, deserialize_with = "super::jobs::present")]
    #[schema(value_type = Option<String>, max_length = 40)]
    phone: Option<Option<String>>,
    #[serde(default)]
    #[schema(value_type = Option<RoleName>)]
    role: Option<String>,
}

#[utoipa::path(
    patch,
    path = "/api/v1/jobs/{job_id}/people/{person_id}",
    tag = "People and services",
    operation_id = "changePerson",
    summary = "Change a person's name, e-mail, phone or role",
    params(PersonPath),
    request_body = PersonPatch,
    responses(
        (status = 200, description = "The person as they are now", body = PersonAnswer),
        (status = 400, description = "The body is not a change to a person (malformed JSON, unknown fields)", body = ErrorBody),
        WriteKey,
        (status = 404, description = "No such job or person in this business", body = ErrorBody),
        (status = 422, description = "The change needs fixing (a blank name, an e-mail that is not one or is another person's, the job's only client given another role); `details` lists each problem", body = ErrorBody),
    )
)]
pub(super) async fn change_person(State(state): State<AppState>, caller: ApiCaller, Path((job_id, person_id)): Path<(JobId, String)>, body: Bytes) -> Result<Json<PersonAnswer>, ApiError> {
    caller.require(Scope::JobsWrite)?;
    let tenant = job_of(&state, &caller, &job_id).await?;
    let patch: PersonPatch = super::parse_body(&body, "a change to a person")?;
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
    Ok(Json(PersonAnswer { id: person_id, name: checked.name, role: checked.role.as_str(), email: checked.email.map(|e| e.to_lowercase()), invitation: None }))
}

#[utoipa::path(
    delete,
    path = "/api/v1/jobs/{job_id}/people/{person_id}",
    tag = "People and services",
    operation_id = "removePerson",
    summary = "Take a person off a job: their link stops working, what they signed and paid stays",
    params(PersonPath),
    responses(
        (status = 204, description = "The person is off the job"),
        WriteKey,
        (status = 404, description = "No such job or person in this business", body = ErrorBody),
        (status = 422, description = "They are the job's only client", body = ErrorBody),
    )
)]
pub(super) async fn remove_person(State(state): State<AppState>, caller: ApiCaller, Path((job_id, person_id)): Path<(JobId, String)>) -> Result<Response, ApiError> {
    caller.require(Scope::JobsWrite)?;
    let tenant = job_of(&state, &caller, &job_id).await?;
    state.jobs.remove_person(&tenant, &job_id, &person_id, &caller.actor()).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[utoipa::path(
    post,
    path = "/api/v1/jobs/{job_id}/services",
    tag = "People and services",
    operation_id = "addService",
    summary = "Add a service to a job",
    params(JobPath, Idempotency),
    request_body = ServiceBody,
    responses(
        (status = 201, description = "The service, added", body = ServiceView),
        BadBody,
        WriteKey,
        (status = 404, description = "No such job in this business", body = ErrorBody),
        Retried,
        (status = 422, description = "The service needs fixing (a blank name)", body = ErrorBody),
    )
)]
pub(super) async fn add_service(State(state): State<AppState>, caller: ApiCaller, Path(job_id): Path<JobId>, headers: HeaderMap, body: Bytes) -> Result<Response, ApiError> {
    caller.require(Scope::JobsWrite)?;
    let operation = format!("POST /api/v1/jobs/{job_id}/services");
    super::idempotency::answer(&state, &caller, &headers, &operation, &body, async {
        let tenant = job_of(&state, &caller, &job_id).await?;
        let service: ServiceBody = super::parse_body(&body, "a service")?;
        refuse_control(vec![("name".to_string(), service.name.as_str())])?;
        let mut problems = Vec::new();
        let Some((name, price_minor)) = check_service(&service, "service", &mut problems) else { return Err(ApiError::Invalid(problems)) };
        let id = state.jobs.add_service(&tenant, &job_id, &name, price_minor, None, &caller.actor()).await?;
        Ok((StatusCode::CREATED, ServiceView { id, name, price_minor }))
    })
    .await
}

#[utoipa::path(
    delete,
    path = "/api/v1/jobs/{job_id}/services/{service_id}",
    tag = "People and services",
    operation_id = "removeService",
    summary = "Take a service off a job (an invoice already issued keeps its lines)",
    params(ServicePath),
    responses(
        (status = 204, description = "The service is off the job"),
        WriteKey,
        (status = 404, description = "No such job or service in this business", body = ErrorBody),
    )
)]
pub(super) async fn remove_service(State(state): State<AppState>, caller: ApiCaller, Path((job_id, service_id)): Path<(JobId, String)>) -> Result<Response, ApiError> {
    caller.require(Scope::JobsWrite)?;
    let tenant = job_of(&state, &caller, &job_id).await?;
    state.jobs.remove_service(&tenant, &job_id, &service_id, &caller.actor()).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// A job's invoices with their lines and what was paid.
async fn invoice_views(state: &AppState, tenant: &Tenant, job_id: &JobId) -> Result<Vec<InvoiceView>, ApiError> {
    let mut data = Vec::new();
    for (invoice, lines) in state.db.tenant(&tenant.id).invoices(job_id).await? {
        let totals = state.db.tenant(&tenant.id).invoice_totals(&invoice.id).await?;
        data.push(InvoiceView {
            status: invoice.status.as_str().to_string(),
            currency: tenant.currency.clone(),
            total_minor: totals.as_ref().map(|t| t.total),
            paid_minor: totals.as_ref().map(|t| t.paid),
            tax_minor: invoice.tax_minor,
            due_at: invoice.due_at.map(rfc3339),
            lines: lines.iter().map(InvoiceLineView::from).collect(),
            id: invoice.id,
            number: invoice.number,
        });
    }
    Ok(data)
}

#[utoipa::path(
    get,
    path = "/api/v1/jobs/{job_id}/invoices",
    tag = "Invoices",
    operation_id = "listInvoices",
    summary = "A job's invoices with their lines and what was paid",
    params(JobPath),
    responses(
        (status = 200, description = "The job's invoices", body = InvoiceList),
        ReadKey,
        (status = 404, description = "No such job in this business", body = ErrorBody),
    )
)]
pub(super) async fn invoices(State(state): State<AppState>, caller: ApiCaller, Path(job_id): Path<JobId>) -> Result<Json<InvoiceList>, ApiError> {
    caller.require(Scope::JobsRead)?;
    let tenant = job_of(&state, &caller, &job_id).await?;
    Ok(Json(InvoiceList { data: invoice_views(&state, &tenant, &job_id).await? }))
}

#[utoipa::path(
    get,
    path = "/api/v1/jobs/{job_id}/estimates",
    tag = "Estimates",
    operation_id = "listEstimates",
    summary = "A job's estimates, drafts included, with their lines, totals and the client's answer",
    params(JobPath),
    responses(
        (status = 200, description = "The job's estimates, newest first", body = EstimateList),
        ReadKey,
        (status = 404, description = "No such job in this business", body = ErrorBody),
    )
)]
pub(super) async fn estimates(State(state): State<AppState>, caller: ApiCaller, Path(job_id): Path<JobId>) -> Result<Json<EstimateList>, ApiError> {
    caller.require(Scope::JobsRead)?;
    let tenant = job_of(&state, &caller, &job_id).await?;
    let views = state.estimates.of_jobs(&tenant, std::slice::from_ref(&job_id), true).await?;
    let data = views
        .into_iter()
        .map(|view| {
            let estimate = view.estimate;
            EstimateView {
                lines: view
                    .lines
                    .iter()
                    .map(|line| EstimateLineView {
                        id: line.id.clone(),
                        description: line.description.clone(),
                        quantity: line.quantity,
                        unit_price_minor: line.unit_price_minor,
                        tax_rate_bp: line.tax_rate_bp,
                        optional: line.optional(),
                        chosen: line.chosen(),
                    })
                    .collect(),
                status: estimate.status.as_str().to_string(),
                currency: tenant.currency.clone(),
                subtotal_minor: view.totals.subtotal,
                tax_minor: view.totals.tax,
                total_minor: view.totals.total,
                deposit_percent: estimate.deposit_percent,
                deposit_minor: view.totals.deposit,
                expires_at: rfc3339(estimate.expires_at),
                expired: view.expired,
                sent_at: estimate.sent_at.map(rfc3339),
                decided_at: estimate.decided_at.map(rfc3339),
                decided_by: estimate.decided_by_name,
                decline_reason: estimate.decline_reason,
                invoice_ids: estimate.deposit_invoice_id.into_iter().chain(estimate.invoice_id).collect(),
                id: estimate.id,
                number: estimate.number,
                title: estimate.title,
                message: estimate.message,
            }
        })
        .collect();
    Ok(Json(EstimateList { data }))
}

/// `POST …/invoices`: invoice the job's services (an empty JSON object, or
/// no body).
#[utoipa::path(
    post,
    path = "/api/v1/jobs/{job_id}/invoices",
    tag = "Invoices",
    operation_id = "invoiceJob",
    summary = "Invoice the job's services: one invoice numbered after the job, due at its appointment",
    params(JobPath, Idempotency),
    request_body(content = Option<Empty>, description = "Nothing, or an empty object: the invoice bills the job's services"),
    responses(
        (status = 201, description = "The invoice", body = InvoiceView),
        BadBody,
        WriteKey,
        (status = 404, description = "No such job in this business", body = ErrorBody),
        Retried,
        (status = 422, description = "The job already has an invoice, or has no services to bill", body = ErrorBody),
    )
)]
pub(super) async fn invoice(State(state): State<AppState>, caller: ApiCaller, Path(job_id): Path<JobId>, headers: HeaderMap, body: Bytes) -> Result<Response, ApiError> {
    caller.require(Scope::JobsWrite)?;
    let operation = format!("POST /api/v1/jobs/{job_id}/invoices");
    super::idempotency::answer(&state, &caller, &headers, &operation, &body, async {
        let tenant = job_of(&state, &caller, &job_id).await?;
        if !body.iter().all(u8::is_ascii_whitespace) {
            let _: Empty = super::parse_body(&body, "an empty object (the invoice bills the job's services)")?;
        }
        let invoice_id = state.jobs.invoice_services(&tenant, &job_id, &caller.actor()).await?;
        Ok((StatusCode::CREATED, invoice_now(&state, &tenant, &job_id, &invoice_id).await?))
    })
    .await
}

/// Nothing to say: an empty object.
#[derive(Deserialize, ToSchema)]
#[schema(as = EmptyObject, max_properties = 0)]
#[serde(deny_unknown_fields)]
pub(super) struct Empty {}

/// A line to add to an invoice still to pay.
#[derive(Deserialize, ToSchema)]
#[schema(as = NewInvoiceLine)]
#[serde(deny_unknown_fields)]
pub(super) struct LineBody {
    #[schema(value_type = NewLineKind)]
    kind: String,
    #[schema(min_length = 1, max_length = 120)]
    description: String,
    /// For a discount, what it takes off.
    #[schema(minimum = 1, maximum = 10_000_000_000_i64)]
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
async fn invoice_now(state: &AppState, tenant: &Tenant, job_id: &JobId, invoice_id: &str) -> Result<InvoiceView, ApiError> {
    invoice_views(state, tenant, job_id).await?.into_iter().find(|i| i.id == invoice_id).ok_or(ApiError::NotFound("invoice"))
}

/// `POST …/invoices/{id}/lines`: a fee, a discount (`amount_minor` is what
/// it takes off) or a service, on an invoice still to pay.
#[utoipa::path(
    post,
    path = "/api/v1/jobs/{job_id}/invoices/{invoice_id}/lines",
    tag = "Invoices",
    operation_id = "addInvoiceLine",
    summary = "Add a fee, a discount or a service to an invoice still to pay",
    params(InvoicePath, Idempotency),
    request_body = LineBody,
    responses(
        (status = 201, description = "The invoice with its new line", body = InvoiceView),
        BadBody,
        WriteKey,
        (status = 404, description = "No such job or invoice in this business", body = ErrorBody),
        Retried,
        (status = 422, description = "The invoice is no longer to pay, or a discount would bring it below what was paid, or the line needs fixing", body = ErrorBody),
    )
)]
pub(super) async fn add_line(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((job_id, invoice_id)): Path<(JobId, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    caller.require(Scope::JobsWrite)?;
    let operation = format!("POST /api/v1/jobs/{job_id}/invoices/{invoice_id}/lines");
    super::idempotency::answer(&state, &caller, &headers, &operation, &body, async {
        let tenant = job_of(&state, &caller, &job_id).await?;
        let sent: LineBody = super::parse_body(&body, "an invoice line")?;
        let line = NewLine { kind: &sent.kind, description: &sent.description, amount_minor: sent.amount_minor };
        // An integration is never the owner: settling by discount is done on the console.
        let authority = InvoiceAuthority::Office;
        state.payments.add_invoice_line(&tenant, &job_id, &invoice_id, &line, authority, caller.actor()).await.map_err(invoice_refusal)?;
        Ok((StatusCode::CREATED, invoice_now(&state, &tenant, &job_id, &invoice_id).await?))
    })
    .await
}

#[utoipa::path(
    post,
    path = "/api/v1/jobs/{job_id}/invoices/{invoice_id}/void",
    tag = "Invoices",
    operation_id = "voidInvoice",
    summary = "Void an invoice nothing was paid on",
    params(InvoicePath),
    responses(
        (status = 200, description = "The invoice, void", body = InvoiceView),
        WriteKey,
        (status = 404, description = "No such job or invoice in this business", body = ErrorBody),
        (status = 422, description = "The invoice has payments, or is no longer to pay", body = ErrorBody),
    )
)]
pub(super) async fn void(State(state): State<AppState>, caller: ApiCaller, Path((job_id, invoice_id)): Path<(JobId, String)>) -> Result<Json<InvoiceView>, ApiError> {
    caller.require(Scope::JobsWrite)?;
    let tenant = job_of(&state, &caller, &job_id).await?;
    state.payments.void_invoice(&tenant, &job_id, &invoice_id, caller.actor()).await.map_err(invoice_refusal)?;
    Ok(Json(invoice_now(&state, &tenant, &job_id, &invoice_id).await?))
}

#[utoipa::path(
    get,
    path = "/api/v1/jobs/{job_id}/documents",
    tag = "Documents",
    operation_id = "listDocuments",
    summary = "A job's documents, published or not",
    params(JobPath),
    responses(
        (status = 200, description = "The job's documents", body = DocumentList),
        ReadKey,
        (status = 404, description = "No such job in this business", body = ErrorBody),
    )
)]
pub(super) async fn documents(State(state): State<AppState>, caller: ApiCaller, Path(job_id): Path<JobId>) -> Result<Json<DocumentList>, ApiError> {
    caller.require(Scope::JobsRead)?;
    let tenant = job_of(&state, &caller, &job_id).await?;
    let data = state.db.tenant(&tenant.id).documents(&job_id, "").await?.iter().map(DocumentView::from).collect();
    Ok(Json(DocumentList { data }))
}

/// What an upload says of its file, in the query string.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub(super) struct UploadQuery {
    #[param(value_type = DocumentKind)]
    kind: String,
    #[param(min_length = 1, max_length = 120)]
    title: String,
    /// Comma-separated roles that may see it once published: client, co-client, buyer-agent, listing-agent, other
    #[param(min_length = 1, max_length = 200)]
    visible_to: String,
}

/// `POST …/documents?kind=report&title=…&visible_to=client,buyer-agent`
/// with the file itself as the body (a PDF, PNG or JPEG); stored
/// unpublished.
#[utoipa::path(
    post,
    path = "/api/v1/jobs/{job_id}/documents",
    tag = "Documents",
    operation_id = "uploadDocument",
    summary = "Upload a document (a PDF, PNG or JPEG, the file itself as the body); it is stored unpublished",
    params(JobPath, UploadQuery, Idempotency),
    request_body(description = "The file itself", content((FileBody = "application/pdf"), (FileBody = "image/png"), (FileBody = "image/jpeg"))),
    responses(
        (status = 201, description = "The document, stored unpublished", body = DocumentView),
        (status = 400, description = "A malformed Idempotency-Key", body = ErrorBody),
        WriteKey,
        (status = 404, description = "No such job in this business", body = ErrorBody),
        Retried,
        (status = 413, description = "The file is over 25 MiB", body = ErrorBody),
        (status = 422, description = "The document needs fixing (not a PDF, PNG or JPEG; no title; no role to see it)", body = ErrorBody),
    )
)]
pub(super) async fn upload(State(state): State<AppState>, caller: ApiCaller, Path(job_id): Path<JobId>, RawQuery(query): RawQuery, headers: HeaderMap, body: Bytes) -> Result<Response, ApiError> {
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
        Ok((StatusCode::CREATED, DocumentView::from(&document)))
    })
    .await
}

#[utoipa::path(
    post,
    path = "/api/v1/jobs/{job_id}/documents/{document_id}/publish",
    tag = "Documents",
    operation_id = "publishDocument",
    summary = "Publish a document to the roles it is visible to (reports still wait for the release rule)",
    params(DocumentPath),
    responses(
        (status = 200, description = "The document, published", body = DocumentView),
        WriteKey,
        (status = 404, description = "No such job or document in this business", body = ErrorBody),
    )
)]
pub(super) async fn publish(State(state): State<AppState>, caller: ApiCaller, Path((job_id, document_id)): Path<(JobId, String)>) -> Result<Json<DocumentView>, ApiError> {
    caller.require(Scope::JobsWrite)?;
    let tenant = job_of(&state, &caller, &job_id).await?;
    let document = state.db.tenant(&tenant.id).document(&job_id, &document_id).await?.ok_or(ApiError::NotFound("document"))?;
    if document.published_at.is_none() {
        state.documents.publish(&tenant, &job_id, &document.id, &document.title, &caller.actor()).await?;
    }
    let document = state.db.tenant(&tenant.id).document(&job_id, &document_id).await?.ok_or(ApiError::NotFound("document"))?;
    Ok(Json(DocumentView::from(&document)))
}
