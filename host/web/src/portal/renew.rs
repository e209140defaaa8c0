//! An expired personal link is not a dead end: the page explains, and the
//! holder can have a fresh link sent to the e-mail address the business has
//! for them (never to an address typed in).

use crate::app::AppState;
use crate::error::WebError;
use portico_core::model::now;
use portico_core::tokens::hash_token;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Form;
use axum_extra::extract::cookie::CookieJar;

/// At most one fresh link per contact in this many seconds.
const RENEW_INTERVAL: i64 = 10 * 60;
const TEMPLATE: &str = "portal-link";

/// The 410 page for an expired link, with its "send me a fresh link" form.
pub fn expired_page(jar: CookieJar, token: &str) -> Result<Response, WebError> {
    let data = serde_json::json!({ "title": "This link has expired", "action": format!("/p/{token}/renew") });
    crate::csrf::form_page(jar, "/p", StatusCode::GONE, "link_expired", data)
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
    if !holder.expired {
        // A working link needs no replacement: replacing it would only break it.
        return Ok(Redirect::to(&format!("/p/{token}")).into_response());
    }
    let contact = &holder.job_contact;
    let tenant = state.db.tenant(&holder.tenant_id).business().await?.ok_or(WebError::NotFound)?;
    let jar = crate::csrf::clear(jar, "/p");
    let ask_the_business = |jar: CookieJar| {
        let page = crate::view::error_page(
            "Ask for a fresh link",
            &format!("{} has no e-mail address for you. Please ask them for a new link. {}", tenant.name, tenant.support_line()),
        );
        (jar, Html(page)).into_response()
    };
    let Some(email) = contact.email.clone() else { return Ok(ask_the_business(jar)) };

    // Whether or not a message goes out now, the answer is the same.
    if !state.db.tenant(&tenant.id).recently_mailed(&email, TEMPLATE, now() - RENEW_INTERVAL).await? {
        let actor = portico_data::Actor::contact(&contact.contact_id, &contact.name);
        if state.links.send(&tenant, contact, portico_services::links::LinkMail::Fresh, &actor).await?.is_err() {
            return Ok(ask_the_business(jar));
        }
    }
    let lasts = match tenant.link_lifetime_days {
        Some(days) => format!("It works for {days} days."),
        None => "It does not expire.".to_string(),
    };
    let page = crate::view::error_page("Check your e-mail", &format!("We sent a fresh link to {}. {lasts}", portico_core::email::mask(&email)));
    Ok((jar, Html(page)).into_response())
}
