//! Staff passwords by e-mail: "forgot your password" and the link a new team
//! member gets to choose theirs. The link works once, names no tenant (the
//! token finds it), and using it ends every other session of that account.

use crate::app::AppState;
use portico_data::{AuditEntry, ChallengePurpose, NewChallenge, SessionSubject, StaffUser};
use crate::error::WebError;
use portico_core::model::now;
use portico_services::rate_limit;
use portico_core::tokens::{hash_token, new_token};
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Router};
use axum_extra::extract::cookie::CookieJar;
use serde::Deserialize;
use std::net::SocketAddr;

pub const RESET_MINUTES: i64 = 30;
pub const INVITE_MINUTES: i64 = 3 * 24 * 60;
const FORM_PATH: &str = "/staff";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/staff/reset", get(request_form).post(request))
        .route("/staff/reset/{token}", get(choose_form).post(choose))
}

/// E-mail `user` a single-use link to choose a password, with `template`
/// (`staff-reset` or `staff-invite`) and its extra placeholders.
pub async fn send_password_link(
    state: &AppState,
    user: &StaffUser,
    template: &str,
    minutes: i64,
    mut data: serde_json::Value,
) -> Result<(), WebError> {
    let token = new_token();
    state
        .db
        .create_challenge(&NewChallenge {
            tenant_id: &user.tenant_id,
            purpose: ChallengePurpose::StaffReset,
            email: &user.email,
            contact_id: None,
            staff_user_id: Some(&user.id),
            return_job_id: None,
            secret_hash: &hash_token(&token),
            expires_at: now() + minutes * 60,
        })
        .await?;
    data["name"] = user.display_name.clone().into();
    data["link"] = format!("{}/staff/reset/{token}", state.public_url).into();
    data["minutes"] = minutes.to_string().into();
    state.db.tenant(&user.tenant_id).enqueue_mail(&user.email, template, &data.to_string()).await?;
    Ok(())
}

fn request_page(jar: CookieJar, sent: Option<&str>, error: Option<&str>, status: StatusCode) -> Result<Response, WebError> {
    let data = serde_json::json!({ "title": "Reset your password", "sent": sent, "error": error });
    crate::csrf::form_page(jar, FORM_PATH, status, "staff_reset_request", data)
}

async fn request_form(jar: CookieJar) -> Result<Response, WebError> {
    request_page(jar, None, None, StatusCode::OK)
}

#[derive(Deserialize)]
struct RequestForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    email: String,
}

async fn request(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    jar: CookieJar,
    Form(form): Form<RequestForm>,
) -> Result<Response, WebError> {
    crate::csrf::check_cookie(&jar, &form.csrf)?;
    let Some(email) = portico_core::email::normalize_email(&form.email) else {
        return request_page(jar, None, Some("Please enter a valid e-mail address."), StatusCode::BAD_REQUEST);
    };
    let origin = crate::client::origin(peer, &headers);
    rate_limit::check(&state.db, None, &rate_limit::MAIL_PER_IP, &origin.ip).await?;
    rate_limit::check(&state.db, None, &rate_limit::MAIL_PER_ADDRESS, &email).await?;
    for user in state.db.staff_by_email(&email).await? {
        send_password_link(&state, &user, "staff-reset", RESET_MINUTES, serde_json::json!({})).await?;
    }
    let sent = format!("If {email} belongs to a staff account, a reset link is on its way. It works once, for {RESET_MINUTES} minutes.");
    request_page(jar, Some(&sent), None, StatusCode::OK)
}

fn link_used_up() -> Response {
    let page = crate::view::error_page(
        "This link cannot be used",
        "Password links work once and expire. Ask for a new one at /staff/reset.",
    );
    (StatusCode::GONE, Html(page)).into_response()
}

fn choose_page(jar: CookieJar, token: &str, error: Option<&str>, status: StatusCode) -> Result<Response, WebError> {
    let data = serde_json::json!({ "title": "Choose a new password", "action": format!("/staff/reset/{token}"), "error": error });
    crate::csrf::form_page(jar, FORM_PATH, status, "staff_reset", data)
}

async fn choose_form(State(state): State<AppState>, jar: CookieJar, Path(token): Path<String>) -> Result<Response, WebError> {
    if token.len() > 128 || !state.db.challenge_is_open(None, ChallengePurpose::StaffReset, &hash_token(&token)).await? {
        return Ok(link_used_up());
    }
    choose_page(jar, &token, None, StatusCode::OK)
}

#[derive(Deserialize)]
struct ChooseForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    confirm: String,
}

async fn choose(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    jar: CookieJar,
    Path(token): Path<String>,
    Form(form): Form<ChooseForm>,
) -> Result<Response, WebError> {
    crate::csrf::check_cookie(&jar, &form.csrf)?;
    if let Err(why) = portico_core::passwords::check_new(&form.password, &form.confirm) {
        // The link is not spent by a password that is refused.
        return choose_page(jar, &token, Some(why), StatusCode::BAD_REQUEST);
    }
    let Some(answered) = state.db.spend_challenge(None, ChallengePurpose::StaffReset, &hash_token(&token)).await? else {
        return Ok(link_used_up());
    };
    let tenant_id = answered.tenant_id.clone();
    let user_id = answered.staff_user_id.clone().ok_or(WebError::NotFound)?;
    let user = state.db.tenant(&tenant_id).staff_user(&user_id).await?.ok_or(WebError::NotFound)?;
    let hash = portico_core::passwords::hash_off_thread(form.password).await?;
    state.db.tenant(&tenant_id).set_staff_password(&user.id, &hash).await?;
    state.db.tenant(&tenant_id).revoke_staff_sessions(&user.id).await?;
    let audit = AuditEntry::new(&tenant_id, "staff.password-set", "Chose a new staff password from an e-mailed link")
        .by(portico_data::Actor::staff(&user.id, &user.display_name));
    let subject = SessionSubject::Staff { staff_user_id: &user.id };
    let origin = crate::client::origin(peer, &headers);
    let cookie = crate::sessions::start_session(&state, &tenant_id, subject, "staff", &origin, audit).await?;
    Ok((crate::csrf::clear(jar, FORM_PATH).add(cookie), Redirect::to("/staff")).into_response())
}
