//! Batch invoices (owners and office): choose a customer, tick their
//! invoices still to pay, and send them one batch to read and pay at once;
//! the batches made so far, with their PDFs, and withdrawing one.

use super::roles::Ability;
use crate::app::AppState;
use crate::csrf::{check_session, CsrfForm};
use crate::error::WebError;
use crate::sessions::StaffSession;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use axum_extra::extract::cookie::CookieJar;
use portico_core::formats::{Formats as _, TenantFormats};
use portico_core::model::Tenant;
use portico_services::payments::batches::BatchRequest;
use portico_services::payments::CheckoutError;
use serde::Deserialize;
use serde_json::json;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/staff/batches", get(page).post(create))
        .route("/staff/batches/{batch_id}/pdf", get(pdf))
        .route("/staff/batches/{batch_id}/withdraw", post(withdraw))
}

#[derive(Deserialize, Default)]
struct Chosen {
    #[serde(default)]
    customer: String,
}

/// What a refused batch form brings back: the customer, the ticks, the title.
#[derive(Default)]
struct Kept {
    title: String,
    ticked: Vec<String>,
    error: Option<String>,
}

async fn page(State(state): State<AppState>, jar: CookieJar, session: StaffSession, Query(chosen): Query<Chosen>) -> Result<Response, WebError> {
    session.require(Ability::RecordPayments)?;
    render(&state, jar, session, &chosen.customer, Kept::default()).await
}

async fn render(state: &AppState, jar: CookieJar, session: StaffSession, customer: &str, kept: Kept) -> Result<Response, WebError> {
    let tenant = state.db.tenant(&session.row.tenant_id).business().await?.ok_or(WebError::NotFound)?;
    let formats = TenantFormats::new(&tenant);
    let customers = state.db.tenant(&tenant.id).batch_customers().await?;
    // The customer asked for, even if no longer listed (their last invoices
    // were just paid, or another contact of theirs now names the group).
    let chosen = match customers.iter().find(|c| c.contact_id == customer) {
        Some(listed) => Some((listed.contact_id.clone(), listed.name.clone())),
        None if !customer.is_empty() => state.db.tenant(&tenant.id).contact_name(customer).await?.map(|name| (customer.to_string(), name)),
        None => None,
    };
    let invoices = match &chosen {
        Some((contact_id, _)) => candidates(state, &tenant, contact_id, &kept.ticked).await?,
        None => Vec::new(),
    };
    let statements = state.payments.batch_statements(&tenant).await?;
    let batches: Vec<serde_json::Value> = statements
        .iter()
        .map(|s| {
            json!({
                "id": s.batch.id,
                "number": s.batch.number,
                "title": s.batch.title,
                "customer": s.batch.contact_name,
                "invoices": s.members.iter().map(|m| m.invoice.number.clone()).collect::<Vec<_>>().join(", "),
                "total": formats.money(s.total),
                "balance": formats.money(s.balance),
                "paid": s.balance == 0,
                "made": formats.moment(s.batch.created_at),
                "by": s.batch.created_by,
            })
        })
        .collect();
    let default_title = jiff::Timestamp::now().to_zoned(jiff::tz::TimeZone::get(&tenant.timezone).unwrap_or(jiff::tz::TimeZone::UTC)).strftime("Invoices of %B %Y").to_string();
    let status = if kept.error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let data = json!({
        "customers": customers.iter().map(|c| json!({
            "id": c.contact_id,
            "label": match &c.email { Some(email) => format!("{} <{email}> ({} to batch)", c.name, c.invoices), None => format!("{} ({} to batch)", c.name, c.invoices) },
            "selected": c.contact_id == customer,
        })).collect::<Vec<_>>(),
        "chosen": chosen.map(|(id, name)| json!({ "id": id, "name": name })),
        "invoices": invoices,
        "title": if kept.title.is_empty() { default_title } else { kept.title },
        "error": kept.error,
        "batches": batches,
        "may_withdraw": session.may(Ability::ApprovePayments),
    });
    let mut response = super::console_page(state, jar, session, "staff_batches", "Batch invoices", data).await?;
    *response.status_mut() = status;
    Ok(response)
}

/// The customer's invoices a batch may take, as tick boxes.
async fn candidates(state: &AppState, tenant: &Tenant, contact_id: &str, ticked: &[String]) -> Result<Vec<serde_json::Value>, WebError> {
    let formats = TenantFormats::new(tenant);
    let business = state.db.tenant(&tenant.id);
    let mut references: Vec<(portico_core::ids::JobId, String)> = Vec::new();
    let mut listed = Vec::new();
    for (job_id, invoice, lines) in state.payments.batchable_invoices(tenant, contact_id).await? {
        if !references.iter().any(|(id, _)| *id == job_id) {
            let reference = business.job(&job_id).await?.map(|job| job.reference).unwrap_or_default();
            references.push((job_id.clone(), reference));
        }
        let reference = references.iter().find(|(id, _)| *id == job_id).map(|(_, r)| r.as_str()).unwrap_or_default();
        let balance = invoice.total(&lines) - invoice.paid_minor;
        listed.push(json!({
            "id": invoice.id,
            "label": format!("Invoice {} of {} (job {reference}): {} to pay", invoice.number, formats.day(invoice.created_at), formats.money(balance)),
            "checked": ticked.contains(&invoice.id),
        }));
    }
    Ok(listed)
}

/// `POST /staff/batches`: `csrf`, `customer`, `title` and one `invoice` per tick.
async fn create(State(state): State<AppState>, jar: CookieJar, session: StaffSession, Form(fields): Form<Vec<(String, String)>>) -> Result<Response, WebError> {
    let field = |name: &str| fields.iter().find(|(key, _)| key == name).map(|(_, value)| value.clone()).unwrap_or_default();
    check_session(&field("csrf"), &session.row.csrf_token)?;
    session.require(Ability::RecordPayments)?;
    let tenant = state.db.tenant(&session.row.tenant_id).business().await?.ok_or(WebError::NotFound)?;
    let customer = field("customer");
    let title = field("title");
    let ticked: Vec<String> = fields.iter().filter(|(key, _)| key == "invoice").map(|(_, value)| value.clone()).collect();
    let request = BatchRequest { contact_id: &customer, title: &title, invoice_ids: &ticked };
    match state.payments.create_batch(&tenant, &request, super::actor(&session)).await {
        Ok(batch) => {
            let message = format!("Batch {} is made, and {} is told it is ready to pay.", batch.number, batch.contact_name);
            super::notice(&state, &session, "success", &message).await?;
            Ok(Redirect::to("/staff/batches").into_response())
        }
        Err(CheckoutError::Blocked(reason)) => render(&state, jar, session, &customer, Kept { title, ticked, error: Some(reason) }).await,
        Err(CheckoutError::NotFound) => {
            render(&state, jar, session, "", Kept { title, ticked, error: Some("Choose the customer again: that one is not found.".into()) }).await
        }
        Err(CheckoutError::Db(error)) => Err(error.into()),
        Err(other) => Err(WebError::Internal(other.into())),
    }
}

/// `GET /staff/batches/{id}/pdf`
async fn pdf(State(state): State<AppState>, session: StaffSession, Path(batch_id): Path<String>) -> Result<Response, WebError> {
    session.require(Ability::RecordPayments)?;
    let tenant = state.db.tenant(&session.row.tenant_id).business().await?.ok_or(WebError::NotFound)?;
    let statement = state.payments.batch_statement(&tenant, &batch_id).await?.ok_or(WebError::NotFound)?;
    let pdf = portico_services::payments::receipts::batch(&state.db, &tenant, &statement).await?;
    Ok(crate::download::pdf(&pdf.title, pdf.bytes))
}

/// Owners take a batch apart.
async fn withdraw(State(state): State<AppState>, session: StaffSession, Path(batch_id): Path<String>, Form(form): Form<CsrfForm>) -> Result<Response, WebError> {
    check_session(&form.csrf, &session.row.csrf_token)?;
    session.require(Ability::ApprovePayments)?;
    let tenant = state.db.tenant(&session.row.tenant_id).business().await?.ok_or(WebError::NotFound)?;
    let batch = match state.payments.withdraw_batch(&tenant, &batch_id, super::actor(&session)).await {
        Ok(batch) => batch,
        Err(CheckoutError::NotFound) => return Err(WebError::NotFound),
        Err(CheckoutError::Db(error)) => return Err(error.into()),
        Err(other) => return Err(WebError::Internal(other.into())),
    };
    let message = format!("Batch {} is withdrawn; its invoices stand alone again.", batch.number);
    super::notice(&state, &session, "success", &message).await?;
    Ok(Redirect::to("/staff/batches").into_response())
}
