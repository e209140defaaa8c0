//! `GET /staff/access`: the access log (owner and office).

use super::roles::Ability;
use crate::app::AppState;
use portico_data::AccessEntry;
use crate::error::WebError;
use portico_core::formats::Formats;
use portico_core::text::clamp;
use crate::sessions::StaffSession;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use axum_extra::extract::cookie::CookieJar;

pub fn router() -> Router<AppState> {
    Router::new().route("/staff/access", get(page))
}

/// Access entries as the tables show them.
pub fn rows(formats: &impl Formats, entries: Vec<AccessEntry>) -> Vec<serde_json::Value> {
    entries
        .into_iter()
        .map(|entry| {
            let role = entry.role.parse::<portico_core::model::Role>().map(|role| role.label()).unwrap_or("Guest");
            serde_json::json!({
                "at": formats.moment(entry.created_at),
                "who": match entry.contact_name {
                    Some(name) => format!("{name} ({role})"),
                    None => "Unknown visitor (guest)".to_string(),
                },
                "job_id": entry.job_id,
                "reference": entry.reference,
                "via": entry.via.replace('-', " "),
                "ip": entry.ip,
                "device": if entry.user_agent.is_empty() { "Unknown".to_string() } else { clamp(&entry.user_agent, 80) },
            })
        })
        .collect()
}

async fn page(State(state): State<AppState>, jar: CookieJar, session: StaffSession) -> Result<Response, WebError> {
    session.require(Ability::ReadAccessLog)?;
    let tenant = state.db.tenant(&session.row.tenant_id).business().await?.ok_or(WebError::NotFound)?;
    let formats = portico_core::formats::TenantFormats::new(&tenant);
    // What this instance queued a moment ago is in the log before it is read.
    state.access_log.flush().await;
    let entries = state.db.tenant(&tenant.id).access_log(None, 200).await?;
    let data = serde_json::json!({ "access": rows(&formats, entries) });
    super::console_page(&state, jar, session, "staff_access", "Access log", data).await
}
