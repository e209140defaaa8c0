//! The money routes: continuing a checkout to the provider, the labelled
//! test-mode checkout, Stripe's return pages and webhook, and the invoice and
//! receipt PDFs.

use portico_core::ids::JobId;
use portico_core::money::PaymentStatus;
use portico_services::payments::{CheckoutError, WebhookError, WebhookOutcome};
use crate::app::AppState;
use portico_data::Actor;
use crate::error::WebError;
use portico_core::model::Tenant;
use crate::sessions::{leave_notice, PortalSession};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use portico_core::formats::Formats;
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/jobs/{job_id}/checkout/{payment_id}", get(continue_checkout))
        .route("/jobs/{job_id}/checkout/{payment_id}/test", get(test_checkout).post(finish_test_checkout))
        .route("/jobs/{job_id}/checkout/{payment_id}/done", get(returned))
        .route("/jobs/{job_id}/checkout/{payment_id}/cancelled", get(cancelled))
        .route("/jobs/{job_id}/invoices/{invoice_id}/pdf", get(invoice_pdf))
        .route("/jobs/{job_id}/payments/{payment_id}/receipt", get(receipt_pdf))
        .route("/account/batches/{batch_id}/pdf", get(batch_pdf))
        .route("/webhooks/stripe", post(stripe_webhook))
}


/// The viewer on the job, if their role sees its bill (the clients); the
/// same 404 as a stranger otherwise. Every checkout, invoice and receipt
/// route goes through here.
async fn bill_viewer(state: &AppState, session: &PortalSession, job_id: &JobId) -> Result<portico_core::model::JobContact, WebError> {
    let on_job = session.on_job(state, job_id).await?;
    if !on_job.role.0.sees_billing() {
        return Err(WebError::NotFound);
    }
    Ok(on_job)
}

/// Back from a checkout with a one-time notice: to the job's page, or for
/// a payment of several invoices (started on the account hub) to the hub's
/// transactions.
async fn back_to_job(state: &AppState, session: &PortalSession, (job_id, payment_id): (&JobId, &str), tone: &str, message: &str) -> Result<Response, WebError> {
    leave_notice(state, &session.row, tone, message).await?;
    let several = state.db.tenant(&session.row.tenant_id).payment_parts(payment_id).await?.len() > 1;
    let home = if several { "/account?tab=transactions".to_string() } else { format!("/jobs/{job_id}") };
    Ok(Redirect::to(&home).into_response())
}

/// What to tell a client about a payment that is no longer open.
fn finished_notice(status: PaymentStatus) -> (&'static str, &'static str) {
    match status {
        PaymentStatus::Succeeded => ("success", "Payment received. Thank you!"),
        PaymentStatus::Processing | PaymentStatus::Pending => {
            ("info", "Your payment is being processed. This page will show Paid once it clears.")
        }
        PaymentStatus::Failed => ("danger", "The payment did not go through. Nothing was charged; you can try again."),
        PaymentStatus::Refunded => ("info", "This payment was refunded."),
        PaymentStatus::Expired | PaymentStatus::Rejected | PaymentStatus::Open => {
            ("warning", "That checkout is no longer open. Use Pay Now again to pay the current balance.")
        }
    }
}

/// Turn a checkout failure into a response: a notice on the job page where the
/// client can do something about it, a 404 where there is nothing to see.
async fn checkout_failure(state: &AppState, session: &PortalSession, job_id: (&JobId, &str), error: CheckoutError) -> Result<Response, WebError> {
    match error {
        CheckoutError::NotFound => Err(WebError::NotFound),
        CheckoutError::Blocked(reason) => back_to_job(state, session, job_id, "warning", &reason).await,
        CheckoutError::Finished(status) => {
            let (tone, message) = finished_notice(status);
            back_to_job(state, session, job_id, tone, message).await
        }
        CheckoutError::Provider(error) => {
            tracing::error!(%error, "the payment provider failed");
            back_to_job(state, session, job_id, "danger", "We could not reach the payment service. Nothing was charged; please try again in a moment.").await
        }
        CheckoutError::Db(error) => Err(WebError::from(error)),
    }
}

/// `GET /jobs/{job}/checkout/{payment}`: on to the provider's payment page.
async fn continue_checkout(
    State(state): State<AppState>,
    session: PortalSession,
    Path((job_id, payment_id)): Path<(JobId, String)>,
) -> Result<Response, WebError> {
    let on_job = bill_viewer(&state, &session, &job_id).await?;
    let tenant = session.business(&state).await?;
    let email = state.db.tenant(&tenant.id).contact_email(&on_job.contact_id).await?;
    match state.payments.destination(&tenant, &job_id, &payment_id, email.as_deref()).await {
        // 303: the browser follows with a GET, whatever the method before.
        Ok(url) => Ok(Redirect::to(&url).into_response()),
        Err(error) => checkout_failure(&state, &session, (&job_id, &payment_id), error).await,
    }
}

/// An open test-mode checkout of the job, with who is looking and the business.
struct TestCheckout {
    on_job: portico_core::model::JobContact,
    tenant: Tenant,
    payment: portico_data::Payment,
}

/// The open test-mode checkout, or the response that says why there is none
/// (a notice on the job page when it was finished, 404 when it never was).
async fn open_test_checkout(state: &AppState, session: &PortalSession, job_id: &JobId, payment_id: &str) -> Result<Result<TestCheckout, Response>, WebError> {
    let on_job = bill_viewer(state, session, job_id).await?;
    let tenant = session.business(state).await?;
    match state.payments.open_payment(&tenant, job_id, payment_id).await {
        Ok(payment) if payment.provider == "test" => Ok(Ok(TestCheckout { on_job, tenant, payment })),
        Ok(_) => Err(WebError::NotFound),
        Err(error) => checkout_failure(state, session, (job_id, payment_id), error).await.map(Err),
    }
}

/// `GET /jobs/{job}/checkout/{payment}/test`: the test provider's page,
/// labelled so nobody mistakes it for a real checkout.
async fn test_checkout(
    State(state): State<AppState>,
    session: PortalSession,
    Path((job_id, payment_id)): Path<(JobId, String)>,
) -> Result<Response, WebError> {
    let TestCheckout { on_job, tenant, payment } = match open_test_checkout(&state, &session, &job_id, &payment_id).await? {
        Ok(checkout) => checkout,
        Err(response) => return Ok(response),
    };
    let invoices = state.payments.invoice_numbers(&tenant, &payment.id).await?;
    let formats = portico_core::formats::TenantFormats::new(&tenant);
    let mut data = crate::portal::frame(&tenant, &session, &on_job.name, "Test checkout");
    data["invoices"] = invoices.describe().into();
    data["amount"] = formats.money(payment.amount_minor).into();
    if payment.fee_minor > 0 {
        data["card_fee"] = formats.money(payment.fee_minor).into();
        data["balance"] = formats.money(payment.amount_minor - payment.fee_minor).into();
    }
    data["action"] = format!("/jobs/{job_id}/checkout/{payment_id}/test").into();
    data["cancel_url"] = format!("/jobs/{job_id}/checkout/{payment_id}/cancelled").into();
    Ok(Html(crate::view::render("pay_test", &data)?).into_response())
}

#[derive(Deserialize)]
struct TestOutcome {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    outcome: String,
}

/// `POST /jobs/{job}/checkout/{payment}/test`: the test provider settles the
/// payment exactly as a Stripe webhook would.
async fn finish_test_checkout(
    State(state): State<AppState>,
    session: PortalSession,
    Path((job_id, payment_id)): Path<(JobId, String)>,
    Form(form): Form<TestOutcome>,
) -> Result<Response, WebError> {
    crate::csrf::check_session(&form.csrf, &session.row.csrf_token)?;
    let TestCheckout { on_job, payment, .. } = match open_test_checkout(&state, &session, &job_id, &payment_id).await? {
        Ok(checkout) => checkout,
        Err(response) => return Ok(response),
    };
    let news = match form.outcome.as_str() {
        "pay" => portico_data::PaymentNews {
            status: Some(PaymentStatus::Succeeded),
            captured_minor: Some(payment.amount_minor),
            payment_ref: Some(format!("test_{}", payment.id)),
            ..Default::default()
        },
        "decline" => portico_data::PaymentNews { status: Some(PaymentStatus::Failed), ..Default::default() },
        _ => return Err(WebError::BadRequest("Choose Pay or Decline.".into())),
    };
    let status = news.status.unwrap_or(PaymentStatus::Failed);
    state.payments.apply(&payment, news, Actor::contact(&on_job.contact_id, &on_job.name)).await?;
    let (tone, message) = finished_notice(status);
    back_to_job(&state, &session, (&job_id, &payment_id), tone, message).await
}

/// `GET /jobs/{job}/checkout/{payment}/done`: Stripe sends the client back
/// here. The webhook may not have arrived yet, so ask Stripe directly.
async fn returned(
    State(state): State<AppState>,
    session: PortalSession,
    Path((job_id, payment_id)): Path<(JobId, String)>,
) -> Result<Response, WebError> {
    bill_viewer(&state, &session, &job_id).await?;
    let tenant = session.business(&state).await?;
    let payment = match state.payments.payment_of_job(&tenant, &job_id, &payment_id).await {
        Ok(payment) => payment,
        Err(error) => return checkout_failure(&state, &session, (&job_id, &payment_id), error).await,
    };
    if let Err(error) = state.payments.reconcile(&tenant, &payment).await {
        tracing::warn!(payment = %payment.id, %error, "could not confirm a returning checkout; the webhook will");
    }
    let now = state.payments.payment_of_job(&tenant, &job_id, &payment_id).await.map(|p| p.status).unwrap_or(PaymentStatus::Open);
    let (tone, message) = match now {
        PaymentStatus::Open => ("info", "Thank you. We are confirming your payment; this page will show Paid in a moment."),
        other => finished_notice(other),
    };
    back_to_job(&state, &session, (&job_id, &payment_id), tone, message).await
}

/// `GET /jobs/{job}/checkout/{payment}/cancelled`: the client left the checkout.
async fn cancelled(
    State(state): State<AppState>,
    session: PortalSession,
    Path((job_id, payment_id)): Path<(JobId, String)>,
) -> Result<Response, WebError> {
    bill_viewer(&state, &session, &job_id).await?;
    back_to_job(&state, &session, (&job_id, &payment_id), "info", "Payment cancelled. Nothing was charged.").await
}

/// `POST /webhooks/stripe`: Stripe's events, verified before anything is read.
async fn stripe_webhook(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let signature = headers.get("stripe-signature").and_then(|v| v.to_str().ok());
    match state.payments.stripe_webhook(signature, &body).await {
        Ok(outcome) => {
            let outcome = match outcome {
                WebhookOutcome::Applied => "applied",
                WebhookOutcome::Duplicate => "duplicate",
                WebhookOutcome::Ignored => "ignored",
            };
            (StatusCode::OK, Json(serde_json::json!({ "received": true, "outcome": outcome }))).into_response()
        }
        Err(WebhookError::NotConfigured) => StatusCode::NOT_FOUND.into_response(),
        Err(error @ (WebhookError::Signature(_) | WebhookError::Malformed(_))) => {
            tracing::warn!(%error, "refused a Stripe webhook");
            (StatusCode::BAD_REQUEST, Json(serde_json::json!({ "error": error.to_string() }))).into_response()
        }
        Err(WebhookError::NotYet) => {
            // Any answer but 2xx makes Stripe deliver it again later.
            (StatusCode::CONFLICT, Json(serde_json::json!({ "error": "not yet known; retry later" }))).into_response()
        }
        Err(WebhookError::Db(error)) => {
            tracing::error!(%error, "could not process a Stripe webhook");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// `GET /jobs/{job}/invoices/{invoice}/pdf`
async fn invoice_pdf(state: State<AppState>, session: PortalSession, Path(ids): Path<(JobId, String)>) -> Result<Response, WebError> {
    billing_pdf(state, session, ids, BillingPdf::Invoice).await
}

/// `GET /jobs/{job}/payments/{payment}/receipt`
async fn receipt_pdf(state: State<AppState>, session: PortalSession, Path(ids): Path<(JobId, String)>) -> Result<Response, WebError> {
    billing_pdf(state, session, ids, BillingPdf::Receipt).await
}

/// `GET /account/batches/{batch}/pdf`: a batch invoice addressed to the
/// viewer, with the invoices they are billed for.
async fn batch_pdf(State(state): State<AppState>, session: PortalSession, Path(batch_id): Path<String>) -> Result<Response, WebError> {
    let tenant = session.business(&state).await?;
    let batches = portico_services::payments::batches::customer_batches(&state.db, &tenant, &session.contact_id, session.row.verified_email.as_deref()).await?;
    let statement = batches.into_iter().find(|statement| statement.batch.id == batch_id).ok_or(WebError::NotFound)?;
    let pdf = portico_services::payments::receipts::batch(&state.db, &tenant, &statement).await?;
    Ok(crate::download::pdf(&pdf.title, pdf.bytes))
}

enum BillingPdf {
    Invoice,
    Receipt,
}

/// An invoice or receipt of the job, for the people who see its bill.
async fn billing_pdf(
    State(state): State<AppState>,
    session: PortalSession,
    (job_id, id): (JobId, String),
    which: BillingPdf,
) -> Result<Response, WebError> {
    bill_viewer(&state, &session, &job_id).await?;
    let tenant = session.business(&state).await?;
    let pdf = match which {
        BillingPdf::Invoice => portico_services::payments::receipts::invoice(&state.db, &tenant, &job_id, &id).await?,
        BillingPdf::Receipt => portico_services::payments::receipts::receipt(&state.db, &tenant, &job_id, &id).await?,
    };
    let pdf = pdf.ok_or(WebError::NotFound)?;
    Ok(crate::download::pdf(&pdf.title, pdf.bytes))
}
