//! An expired personal link is not a dead end: the page explains, and the
//! holder can have a fresh link sent to the e-mail address the business has
//! for them (never to an address typed in).

use crate::app::AppState;
use crate::error::WebError;
use crate::view::{dead_end_page, DeadEnd};
use portico_core::model::Tenant;
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
pub fn expired_page(jar: CookieJar, tenant: &Tenant, token: &str) -> Result<Response, WebError> {
    let page = DeadEnd {
        form: Some((format!("/p/{token}/renew"), "Send me a fresh link")),
        signin_label: "Sign in with your e-mail instead",
        ..DeadEnd::new(
            "This link has expired",
            "For your security, portal links stop working after a while. We can e-mail you a fresh one at the address we have for you.",
        )
    };
    crate::csrf::form_page(jar, "/p", StatusCode::GONE, "dead_end", crate::view::dead_end_data(tenant, page))
}

/// The 410 page for a link the business replaced or revoked: whose it was,
/// and the way in without it.
pub fn retired_page(tenant: &Tenant) -> Response {
    let message = format!(
        "{} has replaced this link with a newer one, or stopped it. Open the most recent e-mail they sent you, or sign in with your e-mail address.",
        tenant.name
    );
    (StatusCode::GONE, Html(dead_end_page(tenant, DeadEnd::new("This link no longer works", &message)))).into_response()
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
        let message = format!("{} has no e-mail address for you. Please ask them for a new link.", tenant.name);
        (jar, Html(dead_end_page(&tenant, DeadEnd::new("Ask for a fresh link", &message)))).into_response()
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
    let message = format!("We sent a fresh link to {}. {lasts}", portico_core::email::mask(&email));
    let page = DeadEnd { signin_label: "Not there? Sign in with your e-mail", ..DeadEnd::new("Check your e-mail", &message) };
    Ok((jar, Html(dead_end_page(&tenant, page))).into_response())
}
