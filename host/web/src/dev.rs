//! Developer pages, served only by `portico demo`: the outbox, readable in a
//! browser, so a newcomer can follow sign-in links without a mail server.
//! The outbox holds live sign-in codes and links, so it opens only with the
//! secret key in the address `portico demo` prints, or for the business's
//! signed-in staff.

use crate::app::AppState;
use crate::error::WebError;
use portico_core::formats::Formats as _;
use crate::sessions::StaffSession;
use axum::extract::{Path, Query, State};
use axum::response::Html;
use axum::routing::get;
use axum::Router;

pub fn router() -> Router<AppState> {
    Router::new().route("/dev/t/{slug}/outbox", get(outbox)).route("/dev/t/{slug}/outbox/{id}/html", get(as_html))
}

/// The links in a message body, to click.
fn links_in(body: &str) -> Vec<String> {
    body.split_whitespace().filter(|word| word.starts_with("http://") || word.starts_with("https://")).map(str::to_string).collect()
}

#[derive(serde::Deserialize)]
struct OutboxKey {
    #[serde(default)]
    key: String,
}

/// The address of a business's outbox page, with its key.
pub fn outbox_path(state: &AppState, slug: &str) -> String {
    format!("/dev/t/{slug}/outbox?key={}", state.outbox_secret)
}

async fn outbox(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    Query(key): Query<OutboxKey>,
    staff: Result<StaffSession, WebError>,
) -> Result<Html<String>, WebError> {
    let tenant = opened(&state, &slug, &key, staff).await?;
    let formats = portico_core::formats::TenantFormats::new(&tenant);
    let mut messages = Vec::new();
    for entry in state.db.tenant(&tenant.id).recent_outbox(50).await? {
        let (subject, body) = match portico_services::mail::render_for_tenant(&state.db, &tenant.id, &entry.template, &entry.data_json, entry.section_name.as_deref()).await {
            Ok(rendered) => (rendered.subject, rendered.body),
            Err(error) => ("(cannot be rendered)".to_string(), error.to_string()),
        };
        messages.push(serde_json::json!({
            "at": formats.moment(entry.created_at),
            "to": entry.to_address,
            "template": entry.template,
            "status": entry.status,
            "links": links_in(&body),
            "subject": subject,
            "body": body,
            "html_url": format!("/dev/t/{}/outbox/{}/html?key={}", tenant.slug, entry.id, key.key),
        }));
    }
    let mut texts = Vec::new();
    for entry in state.db.tenant(&tenant.id).recent_sms(50).await? {
        let body = portico_services::sms::text_of(&state.db, &tenant.id, &entry.template, &entry.data_json)
            .await
            .unwrap_or_else(|error| format!("(cannot be rendered: {error})"));
        texts.push(serde_json::json!({
            "at": formats.moment(entry.created_at),
            "to": entry.to_number,
            "template": entry.template,
            "status": entry.status,
            "provider": entry.provider.as_deref().map(|provider| if provider == "test" { "the test provider (no phone reached)" } else { provider }),
            "links": links_in(&body),
            "body": body,
        }));
    }
    let body = crate::view::render(
        "dev_outbox",
        &serde_json::json!({
            "title": format!("Outbox · {}", tenant.name),
            "messages": messages,
            "texts": texts,
            "signin_url": crate::view::signin_path(&tenant),
        }),
    )?;
    Ok(Html(body))
}

/// The business whose outbox this is, when the visitor holds the key or is
/// one of its staff.
async fn opened(state: &AppState, slug: &str, key: &OutboxKey, staff: Result<StaffSession, WebError>) -> Result<portico_core::model::Tenant, WebError> {
    let tenant = state.db.tenant_by_slug(slug).await?.ok_or(WebError::NotFound)?;
    let keyed = !state.outbox_secret.is_empty() && portico_core::tokens::same_secret(&key.key, &state.outbox_secret);
    let own_staff = staff.is_ok_and(|staff| staff.row.tenant_id == tenant.id);
    if !keyed && !own_staff {
        return Err(WebError::NotFound);
    }
    Ok(tenant)
}

/// `GET /dev/t/{slug}/outbox/{id}/html`: a message's HTML part, as a mail
/// client shows it: inline styles and remote images only, no script, in a
/// sandbox.
async fn as_html(
    State(state): State<AppState>,
    Path((slug, id)): Path<(String, String)>,
    Query(key): Query<OutboxKey>,
    staff: Result<StaffSession, WebError>,
) -> Result<axum::response::Response, WebError> {
    use axum::response::IntoResponse;
    let tenant = opened(&state, &slug, &key, staff).await?;
    let entry = state.db.tenant(&tenant.id).recent_outbox(200).await?.into_iter().find(|entry| entry.id == id).ok_or(WebError::NotFound)?;
    let rendered = portico_services::mail::render_for_tenant(&state.db, &tenant.id, &entry.template, &entry.data_json, entry.section_name.as_deref())
        .await
        .map_err(|error| WebError::BadRequest(format!("This message cannot be rendered: {error}")))?;
    let html = rendered.html.ok_or(WebError::NotFound)?;
    let policy = "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src https:";
    Ok(([(axum::http::header::CONTENT_SECURITY_POLICY, policy)], Html(html)).into_response())
}
