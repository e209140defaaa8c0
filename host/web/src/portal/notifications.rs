//! A person's choice of which notifications a business e-mails them: on their
//! account when signed in (`/account/notifications`), and behind the signed
//! link at the foot of every notification, which works signed out
//! (`/t/{slug}/notifications/{recipient}/{signature}`), including the
//! one-click unsubscribe a mail client posts (RFC 8058).

use crate::app::AppState;
use crate::error::WebError;
use crate::sessions::{keep_alive, leave_notice, take_flash, Notice, PortalSession};
use axum::extract::{Path, Query, State};
use axum::body::Bytes;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Form;
use axum_extra::extract::cookie::CookieJar;
use portico_core::model::Tenant;
use portico_core::notifications::NotificationKind;
use portico_data::Recipient;
use serde::Deserialize;

/// What a person reads after saving their choices, either way.
const SAVED: &str = "Saved. You get only the e-mails ticked below.";

#[derive(Deserialize, Default)]
pub struct LinkQuery {
    /// The kind the e-mail was about: offered first, as one button.
    kind: Option<String>,
    /// Set after saving: say so.
    saved: Option<String>,
}

/// The page's data: who, which kinds, where the form posts.
fn page_data(tenant: &Tenant, recipient: &Recipient, choices: &[portico_services::notifications::Choice], action: &str) -> serde_json::Value {
    serde_json::json!({
        "title": format!("Your e-mails from {}", tenant.name),
        "brand_css": crate::view::brand_css(tenant),
        "tenant": crate::view::tenant_view(tenant),
        "address": portico_core::email::mask(&recipient.address),
        "choices": choices,
        "action": action,
        "texts": false,
    })
}

/// `GET /t/{slug}/notifications/{recipient}/{signature}`
pub async fn by_link(
    State(state): State<AppState>,
    Path((slug, recipient_id, signature)): Path<(String, String, String)>,
    Query(query): Query<LinkQuery>,
) -> Result<Response, WebError> {
    let (tenant, recipient) = match linked(&state, &slug, &recipient_id, &signature).await? {
        Ok(found) => found,
        Err(dead_end) => return Ok(dead_end),
    };
    let choices = state.notifications.choices(&tenant, &recipient.id).await?;
    let action = format!("/t/{slug}/notifications/{recipient_id}/{signature}");
    let mut data = page_data(&tenant, &recipient, &choices, &action);
    data["texts"] = state.notifications.texts().into();
    // The e-mail's own kind, while it is still on: one button stops it.
    let offered = query.kind.as_deref().and_then(|kind| kind.parse::<NotificationKind>().ok());
    if let Some(kind) = offered.filter(|kind| choices.iter().any(|c| c.kind == *kind && c.email)) {
        data["offer"] = serde_json::json!({ "kind": kind, "occasion": kind.occasion() });
    }
    if query.saved.is_some() {
        data["flash"] = serde_json::json!({ "tone": "success", "message": SAVED });
    }
    Ok(Html(crate::view::render("notifications", &data)?).into_response())
}

/// `POST /t/{slug}/notifications/{recipient}/{signature}`: the form of the
/// page, or a mail client's one-click unsubscribe (`List-Unsubscribe=One-Click`,
/// for the kind in the address; RFC 8058 posts it as `multipart/form-data`,
/// some clients urlencoded). No form token: the signed address is the proof,
/// and a mail client posts without cookies.
pub async fn by_link_save(
    State(state): State<AppState>,
    Path((slug, recipient_id, signature)): Path<(String, String, String)>,
    Query(query): Query<LinkQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, WebError> {
    let (tenant, recipient) = match linked(&state, &slug, &recipient_id, &signature).await? {
        Ok(found) => found,
        Err(dead_end) => return Ok(dead_end),
    };
    if is_one_click(&headers, &body) {
        let kind = query.kind.as_deref().and_then(|kind| kind.parse().ok());
        state.notifications.stop(&tenant, &recipient.id, kind).await?;
        return Ok((StatusCode::OK, "Unsubscribed.").into_response());
    }
    let form: Vec<(String, String)> = url::form_urlencoded::parse(&body).into_owned().collect();
    match form.iter().find(|(key, _)| key == "stop").map(|(_, value)| value.as_str()) {
        Some(kind) => {
            let kind = kind.parse().map_err(|_| WebError::BadRequest("That is not a kind of e-mail. Reload the page and try again.".into()))?;
            state.notifications.stop(&tenant, &recipient.id, Some(kind)).await?
        }
        None => state.notifications.choose(&tenant, &recipient.id, &ticked_kinds(&form, "on"), &ticked_kinds(&form, "text")).await?,
    }
    Ok(Redirect::to(&format!("/t/{slug}/notifications/{recipient_id}/{signature}?saved=1")).into_response())
}

/// Whether a POST is a mail client's one-click unsubscribe, sent as a form
/// (`List-Unsubscribe=One-Click`) or as multipart with that one field.
fn is_one_click(headers: &HeaderMap, body: &[u8]) -> bool {
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|value| value.to_str().ok()).unwrap_or_default();
    if content_type.starts_with("multipart/form-data") {
        let body = String::from_utf8_lossy(body);
        return body.contains("name=\"List-Unsubscribe\"") && body.contains("One-Click");
    }
    url::form_urlencoded::parse(body).any(|(key, value)| key == "List-Unsubscribe" && value == "One-Click")
}

/// The business and person a link names, or the page for a link that does
/// not work (a wrong signature, another business's person): 404.
async fn linked(state: &AppState, slug: &str, recipient_id: &str, signature: &str) -> Result<Result<(Tenant, Recipient), Response>, WebError> {
    let tenant = state.db.tenant_by_slug(slug).await?.ok_or(WebError::NotFound)?;
    match state.notifications.recipient_of_link(&tenant, recipient_id, signature).await? {
        Some(recipient) => Ok(Ok((tenant, recipient))),
        None => {
            let page = crate::view::DeadEnd::new(
                "This link does not work",
                "The address is not complete. Open the link at the foot of the e-mail again, or sign in to choose your e-mails on your account.",
            );
            Ok(Err((StatusCode::NOT_FOUND, Html(crate::view::dead_end_page(&tenant, page))).into_response()))
        }
    }
}

/// The address a signed-in person's notifications go to: the one they
/// proved, else the one the business has for them.
async fn own_recipient(state: &AppState, tenant: &Tenant, session: &PortalSession) -> Result<Option<Recipient>, WebError> {
    let address = match &session.row.verified_email {
        Some(address) => Some(address.clone()),
        None => state.db.tenant(&tenant.id).contact_email(&session.contact_id).await?,
    };
    match address.as_deref().and_then(portico_core::email::normalize_email) {
        Some(address) => Ok(Some(state.notifications.recipient(tenant, &address).await?)),
        None => Ok(None),
    }
}

/// `GET /account/notifications`
pub async fn account(State(state): State<AppState>, jar: CookieJar, session: PortalSession) -> Result<Response, WebError> {
    let tenant = state.db.tenant(&session.row.tenant_id).business().await?.ok_or(WebError::NotFound)?;
    let mut data = super::hub::frame(&tenant, &session, &session.name(&state).await?, &format!("Your e-mails from {}", tenant.name));
    let flash: Option<Notice> = take_flash(&state, &session.row).await?;
    data["flash"] = serde_json::to_value(flash).map_err(anyhow::Error::from)?;
    data["back"] = "/account".into();
    data["action"] = "/account/notifications".into();
    data["texts"] = state.notifications.texts().into();
    match own_recipient(&state, &tenant, &session).await? {
        Some(recipient) => {
            data["address"] = portico_core::email::mask(&recipient.address).into();
            data["choices"] = serde_json::to_value(state.notifications.choices(&tenant, &recipient.id).await?).map_err(anyhow::Error::from)?;
        }
        None => data["no_address"] = true.into(),
    }
    let body = crate::view::render("notifications", &data)?;
    Ok((keep_alive(jar, session.refreshed), Html(body)).into_response())
}

/// `POST /account/notifications`
pub async fn account_save(State(state): State<AppState>, session: PortalSession, Form(form): Form<Vec<(String, String)>>) -> Result<Response, WebError> {
    crate::csrf::check_session(crate::csrf::in_pairs(&form), &session.row.csrf_token)?;
    let tenant = state.db.tenant(&session.row.tenant_id).business().await?.ok_or(WebError::NotFound)?;
    let recipient = own_recipient(&state, &tenant, &session).await?.ok_or(WebError::NotFound)?;
    state.notifications.choose(&tenant, &recipient.id, &ticked_kinds(&form, "on"), &ticked_kinds(&form, "text")).await?;
    leave_notice(&state, &session.row, "success", SAVED).await?;
    Ok(Redirect::to("/account/notifications").into_response())
}

/// The kinds ticked on a notifications form (`on=kind`, repeated, for
/// e-mails; `text=kind` for texts); names this host does not send are ignored.
pub(crate) fn ticked_kinds(form: &[(String, String)], field: &str) -> Vec<NotificationKind> {
    form.iter().filter(|(key, _)| key == field).filter_map(|(_, value)| value.parse().ok()).collect()
}
