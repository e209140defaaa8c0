//! The staff side, as far as it goes today: sign in with e-mail and password,
//! see the business's jobs with who is on them, and the activity log.

use crate::app::AppState;
use crate::error::WebError;
use crate::sessions::{keep_alive, start_session, StaffSession};
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use axum_extra::extract::cookie::CookieJar;
use serde::Deserialize;
use std::net::SocketAddr;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/staff/login", get(login_form).post(login))
        .route("/staff/logout", post(logout))
        .route("/staff", get(home))
}

fn login_page(jar: CookieJar, email: &str, error: Option<&str>, status: StatusCode) -> Result<Response, WebError> {
    let (jar, csrf) = crate::csrf::issue(jar, "/staff");
    let body = crate::view::render(
        "staff_login",
        &serde_json::json!({ "title": "Staff sign-in", "csrf": csrf, "email": email, "error": error }),
    )?;
    Ok((status, jar, Html(body)).into_response())
}

async fn login_form(jar: CookieJar) -> Result<Response, WebError> {
    login_page(jar, "", None, StatusCode::OK)
}

#[derive(Deserialize)]
struct LoginForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

async fn login(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    jar: CookieJar,
    Form(form): Form<LoginForm>,
) -> Result<Response, WebError> {
    crate::csrf::check_cookie(&jar, &form.csrf)?;
    let candidates = state.db.staff_by_email(&form.email).await?;
    let password = form.password.clone();
    // argon2 is deliberately slow: keep it off the async workers.
    let matched = tokio::task::spawn_blocking(move || {
        candidates.into_iter().find(|user| crate::passwords::verify(&password, &user.password_hash))
    })
    .await
    .map_err(anyhow::Error::from)?;
    let Some(user) = matched else {
        // One answer for an unknown address and a wrong password.
        return login_page(jar, &form.email, Some("That e-mail and password do not match."), StatusCode::UNAUTHORIZED);
    };

    let mut audit = crate::db::AuditEntry::new(&user.tenant_id, "staff.signed-in", "Signed in to the staff console");
    audit.actor_kind = "staff".into();
    audit.actor_id = Some(user.id.clone());
    audit.actor_name = user.display_name.clone();
    let subject = crate::db::SessionSubject::Staff { staff_user_id: &user.id };
    let origin = crate::portal::origin(peer, &headers);
    let cookie = start_session(&state, &user.tenant_id, subject, &origin, audit).await?;
    let jar = crate::csrf::clear(jar, "/staff").add(cookie);
    Ok((jar, Redirect::to("/staff")).into_response())
}

async fn logout(State(state): State<AppState>, session: StaffSession, Form(form): Form<crate::csrf::CsrfForm>) -> Result<Redirect, WebError> {
    crate::csrf::check_session(&form.csrf, &session.row.csrf_token)?;
    state.db.revoke_session(&session.row.tenant_id, &session.row.id).await?;
    Ok(Redirect::to("/staff/login"))
}

async fn home(State(state): State<AppState>, jar: CookieJar, session: StaffSession) -> Result<Response, WebError> {
    let tenant_id = &session.row.tenant_id;
    let tenant = state.db.tenant(tenant_id).await?.ok_or(WebError::NotFound)?;
    let formats = crate::view::TenantFormats::new(&tenant);
    let mut jobs = Vec::new();
    for job in state.db.jobs(tenant_id, 50).await? {
        let property = state.db.property(tenant_id, &job.property_id).await?;
        let people: Vec<String> = state
            .db
            .job_contacts(tenant_id, &job.id)
            .await?
            .into_iter()
            .map(|c| format!("{} ({})", c.name, c.role.0.label()))
            .collect();
        jobs.push(serde_json::json!({
            "reference": job.reference,
            "status": job.status,
            "address": property.one_line(),
            "people": people.join(", "),
        }));
    }
    let sections: Vec<serde_json::Value> = state
        .db
        .installations(tenant_id)
        .await?
        .into_iter()
        .map(|installation| {
            serde_json::json!({
                "plugin": installation.plugin_id,
                "state": if installation.enabled != 0 { "Enabled" } else { "Disabled" },
                "failures": installation.failures,
                "last_error": installation.last_error.unwrap_or_default(),
            })
        })
        .collect();
    use crate::plugins::sanitize::Formats as _;
    let activity: Vec<serde_json::Value> = state
        .db
        .audit_log(tenant_id, 50)
        .await?
        .into_iter()
        .map(|e| {
            serde_json::json!({
                "at": formats.moment(e.created_at),
                "actor": e.actor_name,
                "summary": e.summary,
                "origin": format!("{} · {}", e.ip, crate::plugins::sanitize::clamp(&e.user_agent, 60)),
            })
        })
        .collect();
    let body = crate::view::render(
        "staff_home",
        &serde_json::json!({
            "title": format!("{} · Staff", tenant.name),
            "brand_css": format!("/t/{}/brand.css", tenant.slug),
            "tenant": tenant.name,
            "user": session.user.display_name,
            "csrf": session.row.csrf_token,
            "jobs": jobs,
            "sections": sections,
            "activity": activity,
        }),
    )?;
    Ok((keep_alive(jar, session.refreshed), Html(body)).into_response())
}
