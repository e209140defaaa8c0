//! The business's webhook endpoints (owners): register one with the events
//! it receives (its signing secret is shown once), see each delivery with the
//! receiver's answer, send a test event, deliver again, turn it off, roll its
//! secret, remove it.

use super::roles::Ability;
use crate::app::AppState;
use portico_data::WebhookEndpoint;
use crate::error::WebError;
use portico_core::formats::Formats as _;
use crate::sessions::StaffSession;
use portico_services::webhooks::{EVENT_KINDS, TEST_EVENT};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use axum_extra::extract::cookie::CookieJar;
use serde_json::{json, Value};

/// Deliveries listed on an endpoint's page.
const DELIVERIES_SHOWN: i64 = 50;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/staff/webhooks", get(list).post(create))
        .route("/staff/webhooks/{endpoint_id}", get(endpoint_page))
        .route("/staff/webhooks/{endpoint_id}/test", post(send_test))
        .route("/staff/webhooks/{endpoint_id}/toggle", post(toggle))
        .route("/staff/webhooks/{endpoint_id}/secret", post(roll_secret))
        .route("/staff/webhooks/{endpoint_id}/delete", post(delete))
        .route("/staff/webhooks/{endpoint_id}/deliveries/{delivery_id}/redeliver", post(redeliver))
}

/// A new signing secret: `whsec_` and 43 random characters.
fn new_secret() -> String {
    format!("whsec_{}", portico_core::tokens::new_token())
}

fn endpoint_json(endpoint: &WebhookEndpoint) -> Value {
    json!({
        "id": endpoint.id,
        "url": endpoint.url,
        "description": endpoint.description,
        "events": endpoint.events.split_whitespace().collect::<Vec<_>>(),
        "on": endpoint.disabled_at.is_none(),
    })
}

/// What the registration form held, to show again after a refusal.
#[derive(Default)]
struct Typed {
    url: String,
    description: String,
    events: Vec<String>,
}

async fn render_list(state: &AppState, jar: CookieJar, session: StaffSession, created: Option<(String, String)>, typed: Typed, errors: Vec<String>) -> Result<Response, WebError> {
    let endpoints: Vec<Value> = state.db.tenant(&session.row.tenant_id).webhook_endpoints().await?.iter().map(endpoint_json).collect();
    let kinds: Vec<Value> = EVENT_KINDS
        .iter()
        .map(|(kind, meaning)| json!({ "kind": kind, "meaning": meaning, "checked": typed.events.iter().any(|e| e == kind) }))
        .collect();
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let data = json!({
        "endpoints": endpoints,
        "kinds": kinds,
        "created": created.map(|(url, secret)| json!({ "url": url, "secret": secret })),
        "form": { "url": typed.url, "description": typed.description },
        "errors": errors,
        "private_allowed": state.webhooks_allow_private,
    });
    let mut response = super::console_page(state, jar, session, "staff_webhooks", "Webhooks", data).await?;
    *response.status_mut() = status;
    Ok(response)
}

async fn list(State(state): State<AppState>, jar: CookieJar, session: StaffSession) -> Result<Response, WebError> {
    session.require(Ability::ManageIntegrations)?;
    render_list(&state, jar, session, None, Typed::default(), Vec::new()).await
}

async fn create(State(state): State<AppState>, jar: CookieJar, session: StaffSession, Form(form): Form<Vec<(String, String)>>) -> Result<Response, WebError> {
    let field = |name: &str| form.iter().find(|(n, _)| n == name).map(|(_, v)| v.trim().to_string()).unwrap_or_default();
    crate::csrf::check_session(&field("csrf"), &session.row.csrf_token)?;
    session.require(Ability::ManageIntegrations)?;
    let typed = Typed {
        url: field("url"),
        description: field("description"),
        events: EVENT_KINDS.iter().map(|(kind, _)| kind.to_string()).filter(|kind| form.iter().any(|(n, v)| n == "event" && v == kind)).collect(),
    };
    let mut errors = Vec::new();
    if let Err(refused) = portico_services::webhooks::check_url(&typed.url, state.webhooks_allow_private) {
        errors.push(refused);
    }
    if typed.description.chars().count() > 200 {
        errors.push("The description may be at most 200 characters.".into());
    }
    if typed.events.is_empty() {
        errors.push("Tick at least one event for the endpoint to receive.".into());
    }
    if !errors.is_empty() {
        return render_list(&state, jar, session, None, typed, errors).await;
    }
    let secret = new_secret();
    let tenant_id = session.row.tenant_id.clone();
    state.db.tenant(&tenant_id).create_webhook_endpoint(&typed.url, &typed.description, &typed.events.join(" "), &secret, &session.user.id).await?;
    let summary = format!("Registered the webhook endpoint {} ({})", typed.url, typed.events.join(", "));
    state.db.record_audit(&portico_data::AuditEntry::new(&tenant_id, "webhook.endpoint-created", &summary).by(super::actor(&session))).await?;
    // The secret is on this response only; "Roll the secret" makes a new one.
    let created = Some((typed.url, secret));
    render_list(&state, jar, session, created, Typed::default(), Vec::new()).await
}

async fn endpoint_page(State(state): State<AppState>, jar: CookieJar, session: StaffSession, Path(endpoint_id): Path<String>) -> Result<Response, WebError> {
    session.require(Ability::ManageIntegrations)?;
    let tenant = state.db.tenant(&session.row.tenant_id).business().await?.ok_or(WebError::NotFound)?;
    let endpoint = state.db.tenant(&tenant.id).webhook_endpoint(&endpoint_id).await?.ok_or(WebError::NotFound)?;
    let formats = portico_core::formats::TenantFormats::new(&tenant);
    let deliveries: Vec<Value> = state
        .db
        .tenant(&tenant.id)
        .webhook_deliveries(&endpoint.id, DELIVERIES_SHOWN)
        .await?
        .into_iter()
        .map(|d| {
            let state_text = match d.status.as_str() {
                "delivered" => format!("Delivered {}", d.delivered_at.map(|at| formats.moment(at)).unwrap_or_default()),
                "failed" => "Gave up".to_string(),
                _ if d.attempts == 0 => "Waiting to be sent".to_string(),
                _ => format!("Trying again {}", formats.moment(d.next_attempt_at)),
            };
            json!({
                "id": d.id,
                "event_id": d.event_id,
                "kind": d.kind,
                "state": state_text,
                "failed": d.status == "failed",
                "redeliverable": d.status != "queued",
                "attempts": d.attempts,
                "response": d.response_status,
                "error": d.last_error,
                "created": formats.moment(d.created_at),
            })
        })
        .collect();
    let data = json!({ "endpoint": endpoint_json(&endpoint), "deliveries": deliveries });
    super::console_page(&state, jar, session, "staff_webhook", "Webhook endpoint", data).await
}

/// The endpoint of a form posted by an owner, if it is this business's.
async fn endpoint_for_form(state: &AppState, session: &StaffSession, csrf: &str, endpoint_id: &str) -> Result<WebhookEndpoint, WebError> {
    crate::csrf::check_session(csrf, &session.row.csrf_token)?;
    session.require(Ability::ManageIntegrations)?;
    state.db.tenant(&session.row.tenant_id).webhook_endpoint(endpoint_id).await?.ok_or(WebError::NotFound)
}

/// Audit what was done to an endpoint, tell the owner, and go back to its page.
async fn done(state: &AppState, session: &StaffSession, endpoint: &WebhookEndpoint, action: &str, audit: &str, notice: &str) -> Result<Response, WebError> {
    let entry = portico_data::AuditEntry::new(&endpoint.tenant_id, action, &format!("{audit} ({})", endpoint.url)).by(super::actor(session));
    state.db.record_audit(&entry).await?;
    super::notice(state, session, "success", notice).await?;
    Ok(Redirect::to(&format!("/staff/webhooks/{}", endpoint.id)).into_response())
}

async fn send_test(State(state): State<AppState>, session: StaffSession, Path(endpoint_id): Path<String>, Form(form): Form<crate::csrf::CsrfForm>) -> Result<Response, WebError> {
    let endpoint = endpoint_for_form(&state, &session, &form.csrf, &endpoint_id).await?;
    let data = json!({ "message": "A test event from Portico: your endpoint receives and can check our signature." });
    let (event_id, _) = portico_services::webhooks::raise(&state.db, &endpoint.tenant_id, TEST_EVENT, data, Some(&endpoint.id)).await?;
    let notice = format!("A test event ({event_id}) is on its way; its delivery is listed below within seconds.");
    done(&state, &session, &endpoint, "webhook.test-sent", "Sent a test event", &notice).await
}

async fn toggle(State(state): State<AppState>, session: StaffSession, Path(endpoint_id): Path<String>, Form(form): Form<crate::csrf::CsrfForm>) -> Result<Response, WebError> {
    let endpoint = endpoint_for_form(&state, &session, &form.csrf, &endpoint_id).await?;
    let turn_off = endpoint.disabled_at.is_none();
    state.db.tenant(&endpoint.tenant_id).set_webhook_endpoint_disabled(&endpoint.id, turn_off).await?;
    if turn_off {
        done(&state, &session, &endpoint, "webhook.endpoint-disabled", "Turned off the webhook endpoint", "The endpoint is off: no events are sent to it until you turn it on.").await
    } else {
        done(&state, &session, &endpoint, "webhook.endpoint-enabled", "Turned on the webhook endpoint", "The endpoint is on: new events are sent to it.").await
    }
}

async fn roll_secret(State(state): State<AppState>, jar: CookieJar, session: StaffSession, Path(endpoint_id): Path<String>, Form(form): Form<crate::csrf::CsrfForm>) -> Result<Response, WebError> {
    let endpoint = endpoint_for_form(&state, &session, &form.csrf, &endpoint_id).await?;
    let secret = new_secret();
    state.db.tenant(&endpoint.tenant_id).roll_webhook_secret(&endpoint.id, &secret).await?;
    let entry = portico_data::AuditEntry::new(&endpoint.tenant_id, "webhook.secret-rolled", &format!("Rolled the signing secret of {}", endpoint.url)).by(super::actor(&session));
    state.db.record_audit(&entry).await?;
    render_list(&state, jar, session, Some((endpoint.url, secret)), Typed::default(), Vec::new()).await
}

async fn delete(State(state): State<AppState>, session: StaffSession, Path(endpoint_id): Path<String>, Form(form): Form<crate::csrf::CsrfForm>) -> Result<Response, WebError> {
    let endpoint = endpoint_for_form(&state, &session, &form.csrf, &endpoint_id).await?;
    state.db.tenant(&endpoint.tenant_id).delete_webhook_endpoint(&endpoint.id).await?;
    let entry = portico_data::AuditEntry::new(&endpoint.tenant_id, "webhook.endpoint-removed", &format!("Removed the webhook endpoint {}", endpoint.url)).by(super::actor(&session));
    state.db.record_audit(&entry).await?;
    super::notice(&state, &session, "success", &format!("{} is removed with its deliveries.", endpoint.url)).await?;
    Ok(Redirect::to("/staff/webhooks").into_response())
}

async fn redeliver(
    State(state): State<AppState>,
    session: StaffSession,
    Path((endpoint_id, delivery_id)): Path<(String, String)>,
    Form(form): Form<crate::csrf::CsrfForm>,
) -> Result<Response, WebError> {
    let endpoint = endpoint_for_form(&state, &session, &form.csrf, &endpoint_id).await?;
    if !state.db.tenant(&endpoint.tenant_id).redeliver_webhook(&endpoint.id, &delivery_id).await? {
        return Err(WebError::NotFound);
    }
    done(&state, &session, &endpoint, "webhook.redelivered", "Queued a webhook delivery again", "The delivery is queued again, with the same event id.").await
}
