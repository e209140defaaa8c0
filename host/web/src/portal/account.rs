//! A client's own sessions: see where they are signed in, revoke any of them,
//! and sign out.

use crate::app::AppState;
use crate::csrf::{check_session, CsrfForm};
use crate::error::WebError;
use portico_core::formats::Formats as _;
use portico_core::text::clamp;
use crate::sessions::{keep_alive, PortalSession, COOKIE};
use portico_core::formats::TenantFormats;
use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Form;
use axum_extra::extract::cookie::{Cookie, CookieJar};

/// `GET /account/sessions`
pub async fn sessions(State(state): State<AppState>, jar: CookieJar, session: PortalSession) -> Result<Response, WebError> {
    let tenant_id = &session.row.tenant_id;
    let tenant = state.db.tenant(tenant_id).business().await?.ok_or(WebError::NotFound)?;
    let formats = TenantFormats::new(&tenant);
    let listed: Vec<serde_json::Value> = state
        .db
        .tenant(tenant_id)
        .contact_sessions(&session.contact_id)
        .await?
        .into_iter()
        .map(|s| {
            serde_json::json!({
                "id": s.id,
                "device": if s.user_agent.is_empty() { "Unknown browser".to_string() } else { clamp(&s.user_agent, 90) },
                "ip": s.ip,
                "signed_in": formats.moment(s.created_at),
                "last_used": formats.moment(s.last_seen_at),
                "current": s.id == session.row.id,
            })
        })
        .collect();
    let now = portico_core::model::now();
    let links: Vec<serde_json::Value> = state
        .db
        .tenant(tenant_id)
        .own_links(&session.contact_id, session.row.verified_email.as_deref())
        .await?
        .into_iter()
        .map(|link| {
            serde_json::json!({
                "id": link.job_contact_id,
                "job": format!("{} ({})", link.line1, link.reference),
                "role": link.role.0.label(),
                "state": match link.token_expires_at {
                    Some(at) if at <= now => format!("Expired {}", formats.moment(at)),
                    Some(at) => format!("Works until {}", formats.moment(at)),
                    None => "Does not expire".to_string(),
                },
            })
        })
        .collect();
    let flash: Option<crate::sessions::Notice> = crate::sessions::take_flash(&state, &session.row).await?;
    let body = crate::view::render(
        "sessions",
        &serde_json::json!({
            "title": format!("Your sessions · {}", tenant.name),
            "brand_css": crate::view::brand_css(&tenant),
            "tenant": crate::view::tenant_view(&tenant),
            "viewer": { "name": session.name(&state).await? },
            "back": "/account",
            "csrf": crate::csrf::for_page(&session.row.csrf_token),
            "sessions": listed,
            "links": links,
            "flash": flash,
        }),
    )?;
    Ok((keep_alive(jar, session.refreshed), Html(body)).into_response())
}

/// `POST /account/sessions/{id}/revoke`
pub async fn revoke(
    State(state): State<AppState>,
    session: PortalSession,
    Path(session_id): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, WebError> {
    check_session(&form.csrf, &session.row.csrf_token)?;
    let revoked = state.db.tenant(&session.row.tenant_id).revoke_contact_session(&session.contact_id, &session_id).await?;
    if !revoked {
        return Err(WebError::NotFound);
    }
    if session_id == session.row.id {
        let tenant = state.db.tenant(&session.row.tenant_id).business().await?.ok_or(WebError::NotFound)?;
        return Ok(signed_out_page(CookieJar::new(), &tenant));
    }
    Ok(Redirect::to("/account/sessions").into_response())
}

/// `POST /account/links/{id}/replace`: the holder stops one of their
/// personal links (say, one they forwarded by mistake); a new one goes to the
/// address on file. Their sessions go on.
pub async fn replace_link(
    State(state): State<AppState>,
    session: PortalSession,
    Path(job_contact_id): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, WebError> {
    check_session(&form.csrf, &session.row.csrf_token)?;
    let tenant_id = session.row.tenant_id.clone();
    let own = state.db.tenant(&tenant_id).own_links(&session.contact_id, session.row.verified_email.as_deref()).await?;
    let link = own.into_iter().find(|link| link.job_contact_id == job_contact_id).ok_or(WebError::NotFound)?;
    // Each replacement mails a message and kills a link: a few an hour.
    portico_services::rate_limit::check(&state.db, Some(&tenant_id), &portico_services::rate_limit::LINK_REPLACEMENTS, &link.job_contact_id).await?;
    let tenant = state.db.tenant(&tenant_id).business().await?.ok_or(WebError::NotFound)?;
    let contact = state.db.tenant(&tenant_id).job_contact(&link.job_contact_id).await?.ok_or(WebError::NotFound)?;
    let name = session.name(&state).await?;
    let actor = portico_data::Actor::contact(&session.contact_id, &name);
    let message = match state.links.send(&tenant, &contact, portico_services::links::LinkMail::Fresh, &actor).await? {
        Ok(email) => format!("That link no longer works. A new one is on its way to {}.", portico_core::email::mask(&email)),
        Err(_) => format!("That link cannot be replaced from here. Please ask {}: {}", tenant.name, tenant.support_line()),
    };
    crate::sessions::leave_notice(&state, &session.row, "info", &message).await?;
    Ok(Redirect::to("/account/sessions").into_response())
}

/// `POST /signout`
pub async fn sign_out(State(state): State<AppState>, jar: CookieJar, session: PortalSession, Form(form): Form<CsrfForm>) -> Result<Response, WebError> {
    check_session(&form.csrf, &session.row.csrf_token)?;
    state.db.tenant(&session.row.tenant_id).revoke_session(&session.row.id).await?;
    let tenant = state.db.tenant(&session.row.tenant_id).business().await?.ok_or(WebError::NotFound)?;
    Ok(signed_out_page(jar, &tenant))
}

fn signed_out_page(jar: CookieJar, tenant: &portico_core::model::Tenant) -> Response {
    let jar = jar.remove(Cookie::build(COOKIE).path("/"));
    let page = crate::view::DeadEnd {
        signin_label: "Sign in again",
        ..crate::view::DeadEnd::new("You are signed out", "To come back, open the portal link from your e-mail again, or sign in with your e-mail address.")
    };
    (jar, Html(crate::view::dead_end_page(tenant, page))).into_response()
}
