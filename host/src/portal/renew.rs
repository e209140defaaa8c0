//! An expired personal link is not a dead end: the page explains, and the
//! holder can have a fresh link sent to the e-mail address the business has
//! for them (never to an address typed in).

use crate::app::AppState;
use crate::error::WebError;
use crate::model::now;
use crate::tokens::{hash_token, new_token};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::Form;
use axum_extra::extract::cookie::CookieJar;

/// How long a link sent this way works.
const RENEWED_LINK_DAYS: i64 = 30;
/// At most one fresh link per contact in this many seconds.
const RENEW_INTERVAL: i64 = 10 * 60;
const TEMPLATE: &str = "portal-link";

/// The 410 page for an expired link, with its "send me a fresh link" form.
pub fn expired_page(jar: CookieJar, token: &str) -> Result<Response, WebError> {
    let (jar, csrf) = crate::csrf::issue(jar, "/p");
    let body = crate::view::render(
        "link_expired",
        &serde_json::json!({ "title": "This link has expired", "action": format!("/p/{token}/renew"), "csrf": csrf }),
    )?;
    Ok((StatusCode::GONE, jar, Html(body)).into_response())
}

/// "j•••@example.com": enough to recognise, not enough to harvest.
fn mask(email: &str) -> String {
    match email.split_once('@') {
        Some((local, domain)) => format!("{}•••@{domain}", local.chars().next().unwrap_or('•')),
        None => "your e-mail address".into(),
    }
}

/// `POST /p/{token}/renew`
pub async fn renew(
    State(state): State<AppState>,
    jar: CookieJar,
    Path(token): Path<String>,
    Form(form): Form<crate::csrf::CsrfForm>,
) -> Result<Response, WebError> {
    crate::csrf::check_cookie(&jar, &form.csrf)?;
    let holder = state.db.find_link_holder(&hash_token(&token)).await?.ok_or(WebError::NotFound)?;
    let contact = &holder.job_contact;
    let tenant = state.db.tenant(&holder.tenant_id).await?.ok_or(WebError::NotFound)?;
    let jar = crate::csrf::clear(jar, "/p");
    let Some(email) = contact.email.clone() else {
        let support = tenant.support_phone.or(tenant.support_email).unwrap_or_default();
        let page = crate::view::error_page(
            "Ask for a fresh link",
            &format!("{} has no e-mail address for you. Please ask them for a new link. {support}", tenant.name),
        );
        return Ok((jar, Html(page)).into_response());
    };

    // Whether or not a message goes out now, the answer is the same.
    if !state.db.recently_mailed(&tenant.id, &email, TEMPLATE, now() - RENEW_INTERVAL).await? {
        let fresh = new_token();
        let expires_at = now() + RENEWED_LINK_DAYS * 24 * 3600;
        state.db.rotate_link_token(&tenant.id, &contact.id, &hash_token(&fresh), Some(expires_at)).await?;
        let job = state.db.job(&tenant.id, &contact.job_id).await?.ok_or(WebError::NotFound)?;
        let property = state.db.property(&tenant.id, &job.property_id).await?;
        let data = serde_json::json!({
            "name": contact.name,
            "business": tenant.name,
            "address": property.one_line(),
            "link": format!("{}/p/{fresh}", state.public_url),
        });
        state.db.enqueue_mail(&tenant.id, &email, TEMPLATE, &data.to_string()).await?;
        let mut audit = crate::db::AuditEntry::new(&tenant.id, "portal.link-renewed", "A fresh portal link was e-mailed");
        audit.job_id = Some(contact.job_id.clone());
        audit.actor_kind = "contact".into();
        audit.actor_id = Some(contact.contact_id.clone());
        audit.actor_name = contact.name.clone();
        state.db.record_audit(&audit).await?;
    }
    let page = crate::view::error_page(
        "Check your e-mail",
        &format!("We sent a fresh link to {}. It works for {RENEWED_LINK_DAYS} days.", mask(&email)),
    );
    Ok((jar, Html(page)).into_response())
}
