//! The staff console: sign in with e-mail and password (reset by e-mail),
//! the business's jobs with who is on them and their links, the access and
//! activity logs, the team, and how the business lets people in. Every page
//! checks the staff member's role (`roles`).

mod access;
mod add_ons;
mod api_keys;
mod batches;
mod agreements;
mod branding;
mod estimates;
mod home;
pub(crate) mod job_setup;
mod jobs;
mod menu;
mod notifications;
mod payment_settings;
mod payments;
mod properties;
mod requests;
mod reset;
pub mod roles;
mod sections;
mod section_surfaces;
mod settings;
mod team;
mod webhooks;

use crate::app::AppState;
use crate::error::WebError;
use crate::sessions::{keep_alive, start_session, StaffSession};
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use axum_extra::extract::cookie::CookieJar;
use std::net::SocketAddr;

pub fn router(max_upload: usize) -> Router<AppState> {
    Router::new()
        .route("/staff/login", get(login_form).post(login))
        .route("/staff/logout", post(logout))
        .route("/staff", get(home::home))
        .merge(jobs::router())
        .merge(job_setup::router())
        .merge(agreements::router())
        .merge(add_ons::router())
        .merge(estimates::router())
        .merge(requests::router())
        .merge(payments::router())
        .merge(batches::router())
        .merge(properties::router())
        .merge(access::router())
        .merge(sections::router(max_upload))
        .merge(section_surfaces::router())
        .merge(branding::router())
        .merge(api_keys::router())
        .merge(webhooks::router())
        .merge(payment_settings::router())
        .merge(notifications::router())
        .merge(settings::router())
        .merge(team::router())
        .merge(reset::router())
}

/// Render a console page: `data` plus the header every page shares (the
/// business, the signed-in member, the navigation their role allows, and a
/// one-time notice).
pub(crate) async fn console_page(
    state: &AppState,
    jar: CookieJar,
    session: StaffSession,
    template: &str,
    title: &str,
    mut data: serde_json::Value,
) -> Result<Response, WebError> {
    use roles::Ability;
    let tenant = state.db.tenant(&session.row.tenant_id).business().await?.ok_or(WebError::NotFound)?;
    let flash: Option<crate::sessions::Notice> = crate::sessions::take_flash(state, &session.row).await?;
    let frame = serde_json::json!({
        "title": format!("{title} · {} · Staff", tenant.name),
        "brand_css": crate::view::brand_css(&tenant),
        "tenant": tenant.name,
        "user": session.user.display_name,
        "role": session.user.role.label(),
        "csrf": crate::csrf::for_page(&session.row.csrf_token),
        "flash": flash,
        "menu": menu::menu(&session, template, section_surfaces::menu_items(state, &tenant, &session, data.get("section_page").and_then(|p| p.as_str())).await?),
        // What the home page offers besides the menu.
        "nav": {
            "sections": session.may(Ability::ManageSections),
            "new_job": session.may(Ability::ManageJobs),
        },
    });
    if let (Some(data), serde_json::Value::Object(frame)) = (data.as_object_mut(), frame) {
        for (key, value) in frame {
            data.entry(key).or_insert(value);
        }
    }
    let body = crate::view::render_value(template, data)?;
    // Console pages may show a freshly issued link: never cache them.
    let no_store = [(axum::http::header::CACHE_CONTROL, "no-store")];
    Ok((keep_alive(jar, session.refreshed), no_store, Html(body)).into_response())
}

/// Leave a one-time notice for the staff member's next page.
pub(crate) async fn notice(state: &AppState, session: &StaffSession, tone: &str, message: &str) -> Result<(), WebError> {
    crate::sessions::leave_notice(state, &session.row, tone, message).await
}

/// The business, once a form is the member's own (its CSRF token) and their
/// role allows `ability`: what every console form that changes something checks first.
pub(crate) async fn acting(state: &AppState, session: &StaffSession, csrf: &str, ability: roles::Ability) -> Result<portico_core::model::Tenant, WebError> {
    crate::csrf::check_session(csrf, &session.row.csrf_token)?;
    session.require(ability)?;
    state.db.tenant(&session.row.tenant_id).business().await?.ok_or(WebError::NotFound)
}

/// The staff member as the audit log names them.
pub(crate) fn actor(session: &StaffSession) -> portico_data::Actor<'_> {
    portico_data::Actor::staff(&session.user.id, &session.user.display_name)
}

fn login_page(jar: CookieJar, email: &str, error: Option<&str>, status: StatusCode) -> Result<Response, WebError> {
    let data = serde_json::json!({ "title": "Staff sign-in", "email": email, "error": error });
    crate::csrf::form_page(jar, "/staff", status, "staff_login", data)
}

async fn login_form(jar: CookieJar) -> Result<Response, WebError> {
    login_page(jar, "", None, StatusCode::OK)
}

async fn login(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    jar: CookieJar,
    Form(form): Form<crate::sessions::CredentialsForm>,
) -> Result<Response, WebError> {
    crate::csrf::check_cookie(&jar, &form.csrf)?;
    let origin = crate::client::origin(peer, &headers);
    // Staff sign-in comes before any tenant: its limits are global ('').
    portico_services::rate_limit::check(&state.db, None, &portico_services::rate_limit::PASSWORDS_PER_IP, &origin.ip).await?;
    portico_services::rate_limit::check(&state.db, None, &portico_services::rate_limit::PASSWORDS_PER_ADDRESS, &portico_services::rate_limit::address_from(&form.email, &origin.ip)).await?;
    let candidates = state.db.staff_by_email(&form.email).await?;
    let matched = portico_core::passwords::find_match(form.password.clone(), candidates, |user| &user.password_hash).await?;
    let Some(user) = matched else {
        // One answer for an unknown address and a wrong password.
        return login_page(jar, &form.email, Some("That e-mail and password do not match."), StatusCode::UNAUTHORIZED);
    };

    let audit = portico_data::AuditEntry::new(&user.tenant_id, "staff.signed-in", "Signed in to the staff console")
        .by(portico_data::Actor::staff(&user.id, &user.display_name));
    let subject = portico_data::SessionSubject::Staff { staff_user_id: &user.id };
    let cookie = start_session(&state, &user.tenant_id, subject, "staff", &origin, audit).await?;
    let jar = crate::csrf::clear(jar, "/staff").add(cookie);
    Ok((jar, Redirect::to("/staff")).into_response())
}

async fn logout(State(state): State<AppState>, session: StaffSession, Form(form): Form<crate::csrf::CsrfForm>) -> Result<Redirect, WebError> {
    crate::csrf::check_session(&form.csrf, &session.row.csrf_token)?;
    state.db.tenant(&session.row.tenant_id).revoke_session(&session.row.id).await?;
    Ok(Redirect::to("/staff/login"))
}

