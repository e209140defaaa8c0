//! A person's choice of which notifications a business e-mails them: on their
//! account when signed in (`/account/notifications`), and behind the signed
//! link at the foot of every notification, which works signed out
//! (`/t/{slug}/notifications/{recipient}/{signature}`), including the
//! one-click unsubscribe a mail client posts (RFC 8058).

use crate::app::AppState;
use crate::error::WebError;
use crate::sessions::{keep_alive, leave_notice, take_flash, Notice, PortalSession};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Form;
use axum_extra::extract::cookie::CookieJar;
use portico_core::model::Tenant;
use portico_core::notifications::NotificationKind;
use portico_data::Recipient;
use serde::Deserialize;

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
    // The e-mail's own kind, while it is still on: one button stops it.
    let offered = query.kind.as_deref().and_then(|kind| kind.parse::<NotificationKind>().ok());
    if let Some(kind) = offered.filter(|kind| choices.iter().any(|c| c.kind == *kind && c.email)) {
        data["offer"] = serde_json::json!({ "kind": kind, "occasion": kind.occasion() });
    }
    if query.saved.is_some() {
        data["flash"] = serde_json::json!({ "tone": "success", "message": "Saved. You get only the e-mails ticked below." });
    }
    Ok(Html(crate::view::render("notifications", &data)?).into_response())
}

/// `POST /t/{slug}/notifications/{recipient}/{signature}`: the form of the
/// page, or a mail client's one-click unsubscribe (`List-Unsubscribe=One-Click`,
/// for the kind in the address). No form token: the signed address is the
/// proof, and a mail client posts without cookies.
pub async fn by_link_save(
    State(state): State<AppState>,
    Path((slug, recipient_id, signature)): Path<(String, String, String)>,
    Query(query): Query<LinkQuery>,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let (tenant, recipient) = match linked(&state, &slug, &recipient_id, &signature).await? {
        Ok(found) => found,
        Err(dead_end) => return Ok(dead_end),
    };
    let field = |name: &str| form.iter().find(|(key, _)| key == name).map(|(_, value)| value.as_str());
    if field("List-Unsubscribe") == Some("One-Click") {
        let kind = query.kind.as_deref().and_then(|kind| kind.parse().ok());
        state.notifications.stop(&tenant, &recipient.id, kind).await?;
        return Ok((StatusCode::OK, "Unsubscribed.").into_response());
    }
    match field("stop") {
        Some(kind) => state.notifications.stop(&tenant, &recipient.id, kind.parse().ok()).await?,
        None => state.notifications.choose(&tenant, &recipient.id, &ticked_kinds(&form)).await?,
    }
    Ok(Redirect::to(&format!("/t/{slug}/notifications/{recipient_id}/{signature}?saved=1")).into_response())
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
    match address.filter(|address| address.contains('@')) {
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
    let csrf = form.iter().find(|(key, _)| key == "csrf").map(|(_, value)| value.as_str()).unwrap_or_default();
    crate::csrf::check_session(csrf, &session.row.csrf_token)?;
    let tenant = state.db.tenant(&session.row.tenant_id).business().await?.ok_or(WebError::NotFound)?;
    let recipient = own_recipient(&state, &tenant, &session).await?.ok_or(WebError::NotFound)?;
    state.notifications.choose(&tenant, &recipient.id, &ticked_kinds(&form)).await?;
    leave_notice(&state, &session.row, "success", "Saved. You get only the e-mails ticked below.").await?;
    Ok(Redirect::to("/account/notifications").into_response())
}

/// The kinds ticked on a notifications form (`on=kind`, repeated); names
/// this host does not send are ignored.
pub(crate) fn ticked_kinds(form: &[(String, String)]) -> Vec<NotificationKind> {
    form.iter().filter(|(key, _)| key == "on").filter_map(|(_, value)| value.parse().ok()).collect()
}
