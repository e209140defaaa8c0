//! Each tenant's stable sign-in page for contacts, `/t/{slug}/signin`: enter
//! an e-mail address and receive a single-use link or a 6-digit code, as the
//! tenant chose, or sign in with a password where the tenant allows them.

pub mod proof;

use crate::app::AppState;
use portico_data::ChallengePurpose;
use crate::error::WebError;
use portico_core::model::Tenant;
use crate::client::origin;
use portico_services::rate_limit;
use portico_core::email::normalize_email;
use portico_core::tokens::hash_token;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Router};
use axum_extra::extract::cookie::CookieJar;
use proof::CodeOutcome;
use serde::Deserialize;
use std::net::SocketAddr;

/// Pre-session forms of these pages carry a double-submit token scoped here.
const FORM_PATH: &str = "/t";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/t/{slug}/signin", get(page).post(request))
        .route("/t/{slug}/signin/code/{challenge}", get(code_page).post(enter_code))
        .route("/t/{slug}/signin/link/{token}", get(link_page).post(use_link))
}

async fn tenant(state: &AppState, slug: &str) -> Result<Tenant, WebError> {
    state.db.tenant_by_slug(slug).await?.ok_or(WebError::NotFound)
}

/// The data every page here shares.
fn frame(tenant: &Tenant, title: &str) -> serde_json::Value {
    serde_json::json!({
        "title": format!("{title} · {}", tenant.name),
        "brand_css": crate::view::brand_css(tenant),
        "tenant": crate::view::tenant_view(tenant),
        "signin_url": crate::view::signin_path(tenant),
    })
}


fn signin_page(jar: CookieJar, tenant: &Tenant, email: &str, error: Option<&str>, status: StatusCode) -> Result<Response, WebError> {
    let mut data = frame(tenant, "Sign in");
    data["action"] = crate::view::signin_path(tenant).into();
    data["email"] = email.into();
    data["error"] = error.into();
    data["passwords"] = tenant.allows_client_passwords().into();
    data["by_code"] = tenant.sign_in_by_code().into();
    crate::csrf::form_page(jar, FORM_PATH, status, "signin", data)
}

/// `GET /t/{slug}/signin`
async fn page(State(state): State<AppState>, jar: CookieJar, Path(slug): Path<String>) -> Result<Response, WebError> {
    let tenant = tenant(&state, &slug).await?;
    signin_page(jar, &tenant, "", None, StatusCode::OK)
}

/// `POST /t/{slug}/signin`
async fn request(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    jar: CookieJar,
    Path(slug): Path<String>,
    Form(form): Form<crate::sessions::CredentialsForm>,
) -> Result<Response, WebError> {
    crate::csrf::check_cookie(&jar, &form.csrf)?;
    let tenant = tenant(&state, &slug).await?;
    let Some(email) = normalize_email(&form.email) else {
        let shown = portico_core::text::clamp(&form.email, 254);
        return signin_page(jar, &tenant, &shown, Some("Please enter a valid e-mail address."), StatusCode::BAD_REQUEST);
    };
    let origin = origin(peer, &headers);
    if !form.password.is_empty() && tenant.allows_client_passwords() {
        return with_password(&state, jar, &tenant, &email, form.password, &origin).await;
    }

    rate_limit::check(&state.db, Some(&tenant.id), &rate_limit::MAIL_PER_IP, &origin.ip).await?;
    rate_limit::check(&state.db, Some(&tenant.id), &rate_limit::MAIL_PER_ADDRESS, &email).await?;
    let contact = state.db.tenant(&tenant.id).contact_for_sign_in(&email).await?;
    if tenant.sign_in_by_code() {
        let challenge = proof::send_code(&state, &tenant, &email, contact.as_ref()).await?;
        return Ok((jar, Redirect::to(&format!("/t/{}/signin/code/{challenge}", tenant.slug))).into_response());
    }
    proof::send_magic_link(&state, &tenant, &email, contact.as_ref(), None).await?;
    let message = format!(
        "If {email} is on file with {}, we sent it a sign-in link. It works once, for {} minutes.",
        tenant.name,
        proof::MAGIC_LINK_MINUTES
    );
    let page = crate::view::DeadEnd { signin_label: "Try another address", ..crate::view::DeadEnd::new("Check your e-mail", &message) };
    Ok((jar, Html(crate::view::dead_end_page(&tenant, page))).into_response())
}

async fn with_password(
    state: &AppState,
    jar: CookieJar,
    tenant: &Tenant,
    email: &str,
    password: String,
    origin: &portico_core::model::RequestOrigin,
) -> Result<Response, WebError> {
    rate_limit::check(&state.db, Some(&tenant.id), &rate_limit::PASSWORDS_PER_IP, &origin.ip).await?;
    rate_limit::check(&state.db, Some(&tenant.id), &rate_limit::PASSWORDS_PER_ADDRESS, &rate_limit::address_from(email, &origin.ip)).await?;
    let holders = state.db.tenant(&tenant.id).password_holders(email).await?;
    let matched = portico_core::passwords::find_match(password, holders, |holder| &holder.password_hash).await?;
    let Some(holder) = matched else {
        return signin_page(jar, tenant, email, Some("That e-mail and password do not match."), StatusCode::UNAUTHORIZED);
    };
    let subject = portico_data::SessionSubject::Contact { contact_id: &holder.contact_id, job_contact_id: None, verified_email: None };
    let audit = portico_data::AuditEntry::new(&tenant.id, "portal.signed-in", "Signed in with a password")
        .by(portico_data::Actor::contact(&holder.contact_id, &holder.name));
    let cookie = crate::sessions::start_session(state, &tenant.id, subject, "password", origin, audit).await?;
    Ok((jar.add(cookie), Redirect::to("/account")).into_response())
}

fn code_page_with(
    jar: CookieJar,
    tenant: &Tenant,
    challenge_id: &str,
    masked: &str,
    error: Option<&str>,
    open: bool,
    status: StatusCode,
) -> Result<Response, WebError> {
    let mut data = frame(tenant, "Enter your code");
    data["action"] = format!("/t/{}/signin/code/{challenge_id}", tenant.slug).into();
    data["masked"] = masked.into();
    data["error"] = error.into();
    data["open"] = open.into();
    crate::csrf::form_page(jar, FORM_PATH, status, "signin_code", data)
}

const CODE_CLOSED: &str = "This code can no longer be used: it expired, was used, or was typed wrong too often. Ask for a new one.";

/// `GET /t/{slug}/signin/code/{challenge}`
async fn code_page(
    State(state): State<AppState>,
    jar: CookieJar,
    Path((slug, challenge_id)): Path<(String, String)>,
) -> Result<Response, WebError> {
    let tenant = tenant(&state, &slug).await?;
    match state.db.tenant(&tenant.id).pending_code(&challenge_id).await? {
        Some(pending) if pending.attempts < proof::CODE_ATTEMPTS && pending.expires_at > portico_core::model::now() => {
            let masked = portico_core::email::mask(&pending.email);
            code_page_with(jar, &tenant, &pending.id, &masked, None, true, StatusCode::OK)
        }
        _ => code_page_with(jar, &tenant, &challenge_id, "", Some(CODE_CLOSED), false, StatusCode::GONE),
    }
}

#[derive(Deserialize)]
struct CodeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    code: String,
}

/// `POST /t/{slug}/signin/code/{challenge}`
async fn enter_code(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    jar: CookieJar,
    Path((slug, challenge_id)): Path<(String, String)>,
    Form(form): Form<CodeForm>,
) -> Result<Response, WebError> {
    crate::csrf::check_cookie(&jar, &form.csrf)?;
    let tenant = tenant(&state, &slug).await?;
    let origin = origin(peer, &headers);
    rate_limit::check(&state.db, Some(&tenant.id), &rate_limit::CODES_PER_IP, &origin.ip).await?;
    match proof::check_code(&state, &tenant, &challenge_id, &form.code).await? {
        CodeOutcome::SignedIn(answered) => {
            let (cookie, next) = proof::sign_in(&state, &tenant, &answered, "code", &origin).await?;
            Ok((crate::csrf::clear(jar, FORM_PATH).add(cookie), Redirect::to(&next)).into_response())
        }
        CodeOutcome::Wrong { attempts_left, email } => {
            let tries = if attempts_left == 1 { "1 try".to_string() } else { format!("{attempts_left} tries") };
            let error = format!("That code is not right. {tries} left.");
            code_page_with(jar, &tenant, &challenge_id, &portico_core::email::mask(&email), Some(&error), true, StatusCode::UNAUTHORIZED)
        }
        CodeOutcome::Closed => code_page_with(jar, &tenant, &challenge_id, "", Some(CODE_CLOSED), false, StatusCode::GONE),
    }
}

fn link_used_up(tenant: &Tenant) -> Result<Response, WebError> {
    let message = format!("Sign-in links work once, for {} minutes. Ask for a new one.", proof::MAGIC_LINK_MINUTES);
    let page = crate::view::DeadEnd { signin_label: "E-mail me a new link", ..crate::view::DeadEnd::new("This sign-in link cannot be used", &message) };
    Ok((StatusCode::GONE, Html(crate::view::dead_end_page(tenant, page))).into_response())
}

/// `GET /t/{slug}/signin/link/{token}`: a page with one button. Opening the
/// link does not spend it, so mail scanners that fetch links cannot use it up.
async fn link_page(State(state): State<AppState>, jar: CookieJar, Path((slug, token)): Path<(String, String)>) -> Result<Response, WebError> {
    let tenant = tenant(&state, &slug).await?;
    if token.len() > 128 || !state.db.challenge_is_open(Some(&tenant.id), ChallengePurpose::MagicLink, &hash_token(&token)).await? {
        return link_used_up(&tenant);
    }
    let mut data = frame(&tenant, "Sign in");
    data["action"] = format!("/t/{}/signin/link/{token}", tenant.slug).into();
    crate::csrf::form_page(jar, FORM_PATH, StatusCode::OK, "signin_continue", data)
}

/// `POST /t/{slug}/signin/link/{token}`: spend the link and sign in.
async fn use_link(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    jar: CookieJar,
    Path((slug, token)): Path<(String, String)>,
    Form(form): Form<crate::csrf::CsrfForm>,
) -> Result<Response, WebError> {
    crate::csrf::check_cookie(&jar, &form.csrf)?;
    let tenant = tenant(&state, &slug).await?;
    let spent = state.db.spend_challenge(Some(&tenant.id), ChallengePurpose::MagicLink, &hash_token(&token)).await?;
    let Some(answered) = spent.filter(|answered| answered.contact_id.is_some()) else { return link_used_up(&tenant) };
    let (cookie, next) = proof::sign_in(&state, &tenant, &answered, "magic-link", &origin(peer, &headers)).await?;
    Ok((crate::csrf::clear(jar, FORM_PATH).add(cookie), Redirect::to(&next)).into_response())
}
