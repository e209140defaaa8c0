//! The business's API keys (owners): create one with its scopes (the key is
//! shown once and stored only as a hash), see when each was last used, and
//! revoke it.

use super::roles::Ability;
use portico_core::api_keys::Scope;
use crate::app::AppState;
use crate::error::WebError;
use portico_core::formats::Formats as _;
use crate::sessions::StaffSession;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use axum_extra::extract::cookie::CookieJar;
use serde_json::json;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/staff/api", get(page).post(create))
        .route("/staff/api/keys/{key_id}/revoke", post(revoke))
}

async fn render(state: &AppState, jar: CookieJar, session: StaffSession, created: Option<(String, String)>, error: Option<&str>) -> Result<Response, WebError> {
    let tenant = state.db.tenant(&session.row.tenant_id).business().await?.ok_or(WebError::NotFound)?;
    let formats = portico_core::formats::TenantFormats::new(&tenant);
    let keys: Vec<serde_json::Value> = state
        .db
        .tenant(&tenant.id)
        .api_keys()
        .await?
        .into_iter()
        .map(|key| {
            json!({
                "id": key.id,
                "name": key.name,
                "prefix": key.prefix,
                "scopes": key.scopes.replace(',', ", "),
                "created": formats.moment(key.created_at),
                "last_used": key.last_used_at.map(|at| formats.moment(at)).unwrap_or_else(|| "Never".into()),
                "revoked": key.revoked_at.map(|at| formats.moment(at)),
            })
        })
        .collect();
    let data = json!({
        "keys": keys,
        "scopes": Scope::ALL.iter().map(|s| json!({ "value": s.as_str(), "label": s.label() })).collect::<Vec<_>>(),
        "created": created.map(|(name, key)| json!({ "name": name, "key": key })),
        "error": error,
        "openapi_url": format!("{}/api/openapi.json", state.public_url),
    });
    super::console_page(state, jar, session, "staff_api", "API", data).await
}

async fn page(State(state): State<AppState>, jar: CookieJar, session: StaffSession) -> Result<Response, WebError> {
    session.require(Ability::ManageIntegrations)?;
    render(&state, jar, session, None, None).await
}

async fn create(State(state): State<AppState>, jar: CookieJar, session: StaffSession, Form(form): Form<Vec<(String, String)>>) -> Result<Response, WebError> {
    let field = |name: &str| form.iter().find(|(n, _)| n == name).map(|(_, v)| v.trim().to_string()).unwrap_or_default();
    crate::csrf::check_session(&field("csrf"), &session.row.csrf_token)?;
    session.require(Ability::ManageIntegrations)?;
    let name = field("name");
    let scopes: Vec<&str> = Scope::ALL
        .iter()
        .map(|s| s.as_str())
        .filter(|scope| form.iter().any(|(n, v)| n == "scope" && v == scope))
        .collect();
    if name.is_empty() || name.chars().count() > 80 {
        return render(&state, jar, session, None, Some("Name the key (at most 80 characters), after the system that will use it.")).await;
    }
    if scopes.is_empty() {
        return render(&state, jar, session, None, Some("Tick what the key may do.")).await;
    }
    let (key, prefix) = portico_core::api_keys::new_key();
    let tenant_id = session.row.tenant_id.clone();
    state.db.tenant(&tenant_id).create_api_key(&name, &prefix, &portico_core::tokens::hash_token(&key), &scopes.join(","), &session.user.id).await?;
    let audit = portico_data::AuditEntry::new(&tenant_id, "api.key-created", &format!("Created the API key “{name}” ({})", scopes.join(", ")))
        .by(super::actor(&session));
    state.db.record_audit(&audit).await?;
    // Shown on this response only: the key is not stored.
    render(&state, jar, session, Some((name, key)), None).await
}

async fn revoke(State(state): State<AppState>, session: StaffSession, Path(key_id): Path<String>, Form(form): Form<crate::csrf::CsrfForm>) -> Result<Response, WebError> {
    crate::csrf::check_session(&form.csrf, &session.row.csrf_token)?;
    session.require(Ability::ManageIntegrations)?;
    let tenant_id = session.row.tenant_id.clone();
    if state.db.tenant(&tenant_id).revoke_api_key(&key_id).await? {
        let audit = portico_data::AuditEntry::new(&tenant_id, "api.key-revoked", "Revoked an API key").by(super::actor(&session));
        state.db.record_audit(&audit).await?;
        super::notice(&state, &session, "success", "The key is revoked: requests made with it are refused from now on.").await?;
    }
    Ok(Redirect::to("/staff/api").into_response())
}
