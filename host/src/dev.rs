//! Developer pages, served only by `portico demo`: the outbox, readable in a
//! browser, so a newcomer can follow sign-in links without a mail server.

use crate::app::AppState;
use crate::error::WebError;
use crate::plugins::sanitize::Formats as _;
use axum::extract::{Path, State};
use axum::response::Html;
use axum::routing::get;
use axum::Router;

pub fn router() -> Router<AppState> {
    Router::new().route("/dev/t/{slug}/outbox", get(outbox))
}

/// The links in a message body, to click.
fn links_in(body: &str) -> Vec<String> {
    body.split_whitespace().filter(|word| word.starts_with("http://") || word.starts_with("https://")).map(str::to_string).collect()
}

async fn outbox(State(state): State<AppState>, Path(slug): Path<String>) -> Result<Html<String>, WebError> {
    let tenant = state.db.tenant_by_slug(&slug).await?.ok_or(WebError::NotFound)?;
    let formats = crate::view::TenantFormats::new(&tenant);
    let mut messages = Vec::new();
    for entry in state.db.recent_outbox(&tenant.id, 50).await? {
        let (subject, body) = match crate::mail::render_for_tenant(&state.db, &tenant.id, &entry.template, &entry.data_json).await {
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
        }));
    }
    let body = crate::view::render(
        "dev_outbox",
        &serde_json::json!({
            "title": format!("Outbox · {}", tenant.name),
            "messages": messages,
            "signin_url": format!("/t/{}/signin", tenant.slug),
        }),
    )?;
    Ok(Html(body))
}
