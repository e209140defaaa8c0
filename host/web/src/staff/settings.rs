//! How the business lets people in (link lifetime, what the sign-in page
//! sends, client passwords) and its own wording of every e-mail. Owners only.

use super::roles::Ability;
use crate::app::AppState;
use portico_data::{AccessSettings, StoredTemplate};
use crate::error::WebError;
use portico_services::mail::templates::{self, TemplateKind};
use crate::sessions::StaffSession;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Router};
use axum_extra::extract::cookie::CookieJar;
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/staff/settings", get(page).post(save))
        .route("/staff/settings/mail/{name}", get(template_page).post(save_template))
}

async fn render(state: &AppState, jar: CookieJar, session: StaffSession, error: Option<&str>) -> Result<Response, WebError> {
    let tenant = state.db.tenant(&session.row.tenant_id).business().await?.ok_or(WebError::NotFound)?;
    let custom = state.db.tenant(&tenant.id).custom_mail_templates().await?;
    let listed: Vec<serde_json::Value> = templates::KINDS
        .iter()
        .map(|kind| serde_json::json!({ "name": kind.name, "label": kind.label, "custom": custom.iter().any(|name| name == kind.name) }))
        .collect();
    let data = serde_json::json!({
        "error": error,
        "signin_url": format!("{}{}", state.public_url, crate::view::signin_path(&tenant)),
        "settings": {
            "link_lifetime_days": tenant.link_lifetime_days,
            "magic_link": !tenant.sign_in_by_code(),
            "code": tenant.sign_in_by_code(),
            "client_passwords": tenant.allows_client_passwords(),
        },
        "templates": listed,
    });
    super::console_page(state, jar, session, "staff_settings", "Sign-in & mail", data).await
}

async fn page(State(state): State<AppState>, jar: CookieJar, session: StaffSession) -> Result<Response, WebError> {
    session.require(Ability::ManageSettings)?;
    render(&state, jar, session, None).await
}

#[derive(Deserialize)]
struct SettingsForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    link_lifetime_days: String,
    #[serde(default)]
    signin_method: String,
    #[serde(default)]
    client_passwords: Option<String>,
}

async fn save(State(state): State<AppState>, jar: CookieJar, session: StaffSession, Form(form): Form<SettingsForm>) -> Result<Response, WebError> {
    crate::csrf::check_session(&form.csrf, &session.row.csrf_token)?;
    session.require(Ability::ManageSettings)?;
    let lifetime = form.link_lifetime_days.trim();
    let link_lifetime_days = if lifetime.is_empty() {
        None
    } else {
        match lifetime.parse::<i64>() {
            Ok(days) if (1..=3650).contains(&days) => Some(days),
            _ => {
                let error = "Links must last a whole number of days from 1 to 3650, or leave the box empty for links that never expire.";
                return render(&state, jar, session, Some(error)).await;
            }
        }
    };
    let signin_method = match form.signin_method.as_str() {
        "magic-link" | "code" => form.signin_method.as_str(),
        _ => return render(&state, jar, session, Some("Choose what the sign-in page e-mails: a link or a code.")).await,
    };
    let settings = AccessSettings { link_lifetime_days, signin_method, client_passwords: form.client_passwords.is_some() };
    state.db.tenant(&session.row.tenant_id).set_access_settings(&settings).await?;
    let audit = portico_data::AuditEntry::new(&session.row.tenant_id, "settings.access", "Changed how people get in").by(super::actor(&session));
    state.db.record_audit(&audit).await?;
    super::notice(&state, &session, "success", "Saved. New links and sign-ins follow these settings.").await?;
    Ok(Redirect::to("/staff/settings").into_response())
}

fn kind(name: &str) -> Result<&'static TemplateKind, WebError> {
    templates::kind(name).ok_or(WebError::NotFound)
}

async fn render_template(
    state: &AppState,
    jar: CookieJar,
    session: StaffSession,
    kind: &TemplateKind,
    shown: Option<(String, String)>,
    error: Option<String>,
) -> Result<Response, WebError> {
    let stored = state.db.tenant(&session.row.tenant_id).mail_template(kind.name).await?;
    let (subject, body) = shown
        .or_else(|| stored.as_ref().map(|t| (t.subject.clone(), t.body.clone())))
        .unwrap_or_else(|| (kind.subject.to_string(), kind.body.to_string()));
    let preview = templates::validate(kind.name, &subject, &body).ok();
    let data = serde_json::json!({
        "name": kind.name,
        "label": kind.label,
        "placeholders": kind.placeholders.iter().map(|(p, _)| format!("{{{{{p}}}}}")).collect::<Vec<_>>(),
        "subject": subject,
        "body": body,
        "custom": stored.is_some(),
        "error": error,
        "preview": preview.map(|rendered| serde_json::json!({ "subject": rendered.subject, "body": rendered.body })),
    });
    super::console_page(state, jar, session, "staff_mail_template", kind.label, data).await
}

async fn template_page(State(state): State<AppState>, jar: CookieJar, session: StaffSession, Path(name): Path<String>) -> Result<Response, WebError> {
    session.require(Ability::ManageSettings)?;
    let kind = kind(&name)?;
    render_template(&state, jar, session, kind, None, None).await
}

#[derive(Deserialize)]
struct TemplateForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    subject: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    intent: String,
}

async fn save_template(
    State(state): State<AppState>,
    jar: CookieJar,
    session: StaffSession,
    Path(name): Path<String>,
    Form(form): Form<TemplateForm>,
) -> Result<Response, WebError> {
    crate::csrf::check_session(&form.csrf, &session.row.csrf_token)?;
    session.require(Ability::ManageSettings)?;
    let kind = kind(&name)?;
    let tenant_id = session.row.tenant_id.clone();
    if form.intent == "reset" {
        state.db.tenant(&tenant_id).reset_mail_template(kind.name).await?;
        super::notice(&state, &session, "success", &format!("{} uses Portico's default wording again.", kind.label)).await?;
        return Ok(Redirect::to(&format!("/staff/settings/mail/{}", kind.name)).into_response());
    }
    // Line endings from a browser's textarea are CRLF; mail wants them alike.
    let body = form.body.replace("\r\n", "\n");
    if let Err(error) = templates::validate(kind.name, &form.subject, &body) {
        // Keep what was typed, with the reason.
        return render_template(&state, jar, session, kind, Some((form.subject, body)), Some(capitalize(&error))).await;
    }
    let template = StoredTemplate { name: kind.name.to_string(), subject: form.subject.trim().to_string(), body };
    state.db.tenant(&tenant_id).save_mail_template(&template).await?;
    super::notice(&state, &session, "success", &format!("{} saved. The next message uses it.", kind.label)).await?;
    Ok(Redirect::to(&format!("/staff/settings/mail/{}", kind.name)).into_response())
}

/// `text` with its first letter upper-cased.
pub(super) fn capitalize(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}
