//! A job's invoices as staff see them, and manual payments: office staff
//! record cash, checks and bank transfers; the owner approves or rejects them.
//! Until approved, a recorded payment shows as pending to the client.

use portico_core::ids::JobId;
use super::roles::Ability;
use crate::app::AppState;
use crate::csrf::{check_session, CsrfForm};
use crate::error::WebError;
use portico_core::model::Tenant;
use portico_core::money::{PaymentMethod, PaymentProvider, PaymentStatus};
use portico_services::payments::invoices::{InvoiceAuthority, NewLine};
use portico_services::payments::{CheckoutError, ManualPayment};
use portico_core::formats::Formats as _;
use crate::sessions::StaffSession;
use portico_core::formats::TenantFormats;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::post;
use axum::{Form, Router};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/staff/jobs/{job_id}/payments", post(record))
        .route("/staff/jobs/{job_id}/payments/{payment_id}/approve", post(approve))
        .route("/staff/jobs/{job_id}/payments/{payment_id}/reject", post(reject))
        .route("/staff/jobs/{job_id}/invoices/{invoice_id}/lines", post(add_line))
        .route("/staff/jobs/{job_id}/invoices/{invoice_id}/void", post(void))
        .route("/staff/jobs/{job_id}/invoices/{invoice_id}/write-off", post(write_off))
        .route("/staff/jobs/{job_id}/invoices/{invoice_id}/write-off/undo", post(undo_write_off))
}

/// The job's invoices and their payments, for the staff job page.
pub async fn invoices_view(state: &AppState, tenant: &Tenant, job_id: &JobId, session: &StaffSession) -> Result<serde_json::Value, WebError> {
    let formats = TenantFormats::new(tenant);
    let payments = state.db.tenant(&tenant.id).job_payments(job_id).await?;
    let may_approve = session.may(Ability::ApprovePayments);
    let invoices: Vec<serde_json::Value> = state
        .db
        .tenant(&tenant.id)
        .invoices(job_id)
        .await?
        .into_iter()
        .map(|(invoice, lines)| {
            let total = invoice.total(&lines);
            let own: Vec<serde_json::Value> = payments
                .iter()
                .filter(|share| share.share_invoice_id == invoice.id && share.payment.status != PaymentStatus::Open)
                .map(|share| {
                    let p = &share.payment;
                    let method = p.method.parse::<PaymentMethod>().map(PaymentMethod::label).unwrap_or("Other");
                    serde_json::json!({
                        "id": p.id,
                        "method": method,
                        "amount": formats.money(share.shown_amount()),
                        // A payment of several invoices: what it came to in all.
                        "of_total": (p.amount_minor - p.fee_minor != share.share_minor).then(|| formats.money(p.shown_amount())),
                        "refunded": (share.refunded() > 0).then(|| formats.money(share.refunded())),
                        "status": p.status,
                        "reference": p.reference,
                        "by": p.started_by,
                        "decided_by": p.decided_by,
                        "at": formats.moment(p.updated_at),
                        "awaiting": p.status == PaymentStatus::Pending && may_approve,
                    })
                })
                .collect();
            serde_json::json!({
                "id": invoice.id,
                "number": invoice.number,
                "status": invoice.status,
                "total": formats.money(total),
                "paid": formats.money(invoice.paid_minor),
                "balance": formats.money(total - invoice.paid_minor),
                "payments": own,
                "lines": lines.iter().map(|l| serde_json::json!({
                    "description": l.description,
                    "kind": l.kind,
                    "amount": formats.money(l.quantity * l.unit_price_minor),
                })).collect::<Vec<_>>(),
                "open": invoice.status.to_pay(),
                "written_off": invoice.written_off_at.map(|at| formats.day(at)),
                // What is left on an invoice still to pay may be given up as bad debt.
                "collectible": invoice.written_off_at.is_none()
                    && matches!(invoice.status, portico_core::money::InvoiceStatus::Due | portico_core::money::InvoiceStatus::Failed)
                    && total > invoice.paid_minor,
            })
        })
        .collect();
    Ok(serde_json::json!({
        "list": invoices,
        "may_record": session.may(Ability::RecordPayments),
        "may_edit": session.may(Ability::ManageJobs),
        "may_void": session.may(Ability::ApprovePayments),
        "methods": PaymentMethod::OUTSIDE.iter().map(|m| serde_json::json!({ "value": m.as_str(), "label": m.label() })).collect::<Vec<_>>(),
        "provider": match tenant.payment_provider {
            PaymentProvider::Stripe if state.payments.checkouts().provider_ready(tenant) => "Card payments through Stripe",
            PaymentProvider::Stripe => "Stripe is chosen but not configured on this server: clients cannot pay online",
            PaymentProvider::Test => "Test mode: clients pay on a practice checkout and no money moves",
            PaymentProvider::None => "No online payments: clients see the invoice and pay you directly",
        },
    }))
}

#[derive(Deserialize)]
struct RecordForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    invoice_id: String,
    #[serde(default)]
    method: String,
    #[serde(default)]
    amount: String,
    #[serde(default)]
    reference: String,
    #[serde(default)]
    note: String,
}

/// "125", "125.5", "1,250.00" → minor units; anything else is refused.
pub fn parse_amount(text: &str) -> Result<i64, String> {
    let minor = portico_core::amounts::parse_amount(text).ok_or_else(|| format!("\"{}\" is not an amount; write it like 125.00", text.trim()))?;
    if minor == 0 {
        return Err("The amount must be more than zero.".into());
    }
    Ok(minor)
}

fn back(job_id: &JobId) -> Response {
    Redirect::to(&format!("/staff/jobs/{job_id}#invoices")).into_response()
}

/// Say how a payment request went, on the job page.
async fn report(state: &AppState, session: &StaffSession, job_id: &JobId, result: Result<&str, CheckoutError>) -> Result<Response, WebError> {
    let (tone, message) = match result {
        Ok(message) => ("success", message.to_string()),
        Err(CheckoutError::NotFound) => return Err(WebError::NotFound),
        Err(CheckoutError::Blocked(reason)) => ("danger", reason),
        Err(CheckoutError::Finished(status)) => ("warning", format!("That payment is already {status}.")),
        Err(CheckoutError::Provider(error)) => return Err(WebError::Internal(error.into())),
        Err(CheckoutError::Db(error)) => return Err(error.into()),
    };
    super::notice(state, session, tone, &message).await?;
    Ok(back(job_id))
}

async fn record(
    State(state): State<AppState>,
    session: StaffSession,
    Path(job_id): Path<JobId>,
    Form(form): Form<RecordForm>,
) -> Result<Response, WebError> {
    check_session(&form.csrf, &session.row.csrf_token)?;
    session.require(Ability::RecordPayments)?;
    let tenant = state.db.tenant(&session.row.tenant_id).business().await?.ok_or(WebError::NotFound)?;
    let Some(method) = PaymentMethod::OUTSIDE.into_iter().find(|m| m.as_str() == form.method) else {
        return report(&state, &session, &job_id, Err(CheckoutError::Blocked("Choose how the client paid: ACH, cash, check, bank transfer or Zelle.".into()))).await;
    };
    let amount_minor = match parse_amount(&form.amount) {
        Ok(amount) => amount,
        Err(reason) => return report(&state, &session, &job_id, Err(CheckoutError::Blocked(reason))).await,
    };
    let clamp = |text: &str, max: usize| Some(portico_core::text::clamp(text.trim(), max)).filter(|t| !t.is_empty());
    let (reference, note) = (clamp(&form.reference, 100), clamp(&form.note, 500));
    let manual = ManualPayment {
        invoice_id: &form.invoice_id,
        method,
        amount_minor,
        reference: reference.as_deref(),
        note: note.as_deref(),
    };
    let result = state.payments.record_manual(&tenant, &job_id, &manual, super::actor(&session)).await;
    let message = if session.may(Ability::ApprovePayments) {
        "Payment recorded. Approve it below once the money is in."
    } else {
        "Payment recorded. It shows as pending until the owner approves it."
    };
    report(&state, &session, &job_id, result.map(|_| message)).await
}

async fn decide(state: AppState, session: StaffSession, job_id: JobId, payment_id: String, csrf: &str, approve: bool) -> Result<Response, WebError> {
    check_session(csrf, &session.row.csrf_token)?;
    session.require(Ability::ApprovePayments)?;
    let tenant = state.db.tenant(&session.row.tenant_id).business().await?.ok_or(WebError::NotFound)?;
    let result = state.payments.decide_manual(&tenant, &job_id, &payment_id, approve, super::actor(&session)).await;
    let message = if approve { "Payment approved: it now counts towards the invoice." } else { "Payment rejected: it does not count towards the invoice." };
    report(&state, &session, &job_id, result.map(|_| message)).await
}

async fn approve(
    State(state): State<AppState>,
    session: StaffSession,
    Path((job_id, payment_id)): Path<(JobId, String)>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, WebError> {
    decide(state, session, job_id, payment_id, &form.csrf, true).await
}

async fn reject(
    State(state): State<AppState>,
    session: StaffSession,
    Path((job_id, payment_id)): Path<(JobId, String)>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, WebError> {
    decide(state, session, job_id, payment_id, &form.csrf, false).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct LineForm {
    csrf: String,
    kind: String,
    description: String,
    amount: String,
}

/// Office staff add a fee, a discount or a service to an invoice still to pay.
async fn add_line(
    State(state): State<AppState>,
    session: StaffSession,
    Path((job_id, invoice_id)): Path<(JobId, String)>,
    Form(form): Form<LineForm>,
) -> Result<Response, WebError> {
    check_session(&form.csrf, &session.row.csrf_token)?;
    session.require(Ability::ManageJobs)?;
    let tenant = state.db.tenant(&session.row.tenant_id).business().await?.ok_or(WebError::NotFound)?;
    let amount_minor = match parse_amount(&form.amount) {
        Ok(amount) => amount,
        Err(reason) => return report(&state, &session, &job_id, Err(CheckoutError::Blocked(reason))).await,
    };
    let line = NewLine { kind: &form.kind, description: &form.description, amount_minor };
    let authority = if session.may(Ability::ApprovePayments) { InvoiceAuthority::Owner } else { InvoiceAuthority::Office };
    let result = state.payments.add_invoice_line(&tenant, &job_id, &invoice_id, &line, authority, super::actor(&session)).await;
    let done = format!("{} added to the invoice.", form.description.trim());
    report(&state, &session, &job_id, result.map(|()| done.as_str())).await
}

/// Owners void an invoice nothing was paid on.
async fn void(State(state): State<AppState>, session: StaffSession, Path((job_id, invoice_id)): Path<(JobId, String)>, Form(form): Form<CsrfForm>) -> Result<Response, WebError> {
    check_session(&form.csrf, &session.row.csrf_token)?;
    session.require(Ability::ApprovePayments)?;
    let tenant = state.db.tenant(&session.row.tenant_id).business().await?.ok_or(WebError::NotFound)?;
    let result = state.payments.void_invoice(&tenant, &job_id, &invoice_id, super::actor(&session)).await;
    report(&state, &session, &job_id, result.map(|()| "The invoice is void: clients no longer see it as due.")).await
}

#[derive(Deserialize)]
struct WriteOffForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    reason: String,
}

/// Owners write off what is left on an invoice as bad debt.
async fn write_off(State(state): State<AppState>, session: StaffSession, Path((job_id, invoice_id)): Path<(JobId, String)>, Form(form): Form<WriteOffForm>) -> Result<Response, WebError> {
    check_session(&form.csrf, &session.row.csrf_token)?;
    session.require(Ability::ApprovePayments)?;
    let tenant = state.db.tenant(&session.row.tenant_id).business().await?.ok_or(WebError::NotFound)?;
    let result = state.payments.write_off(&tenant, &job_id, &invoice_id, &form.reason, super::actor(&session)).await;
    report(&state, &session, &job_id, result.map(|()| "The invoice is written off as bad debt. The client can still pay it.")).await
}

/// Owners take a write-off back.
async fn undo_write_off(State(state): State<AppState>, session: StaffSession, Path((job_id, invoice_id)): Path<(JobId, String)>, Form(form): Form<CsrfForm>) -> Result<Response, WebError> {
    check_session(&form.csrf, &session.row.csrf_token)?;
    session.require(Ability::ApprovePayments)?;
    let tenant = state.db.tenant(&session.row.tenant_id).business().await?.ok_or(WebError::NotFound)?;
    let result = state.payments.undo_write_off(&tenant, &job_id, &invoice_id, super::actor(&session)).await;
    report(&state, &session, &job_id, result.map(|()| "The write-off is taken back: the invoice is receivable again.")).await
}

#[cfg(test)]
mod tests {
    use super::parse_amount;

    #[test]
    fn amounts_are_read_as_people_write_them() {
        assert_eq!(parse_amount("125"), Ok(12500));
        assert_eq!(parse_amount("$1,250.5"), Ok(125050));
        assert_eq!(parse_amount(" 0.07 "), Ok(7));
        assert!(parse_amount("12.345").is_err());
        assert!(parse_amount("-5").is_err());
        assert!(parse_amount("ten").is_err());
        assert!(parse_amount("0").is_err());
        assert!(parse_amount("").is_err());
        assert!(parse_amount("99999999999999999999").is_err());
    }
}
