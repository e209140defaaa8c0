//! `POST /jobs/{job}/actions`: a viewer chose an action on a card. Checked
//! (CSRF, job, declared card, role), routed to the plugin's `handle-action`,
//! and answered with a redirect back to the card (post/redirect/get), or with
//! the file the section asked the host to write.

use portico_core::ids::JobId;
use super::page::{tab_slug, Flash};
use crate::app::AppState;
use crate::error::WebError;
use portico_sections::{ActionError, Invocation, Returned};
use crate::sessions::PortalSession;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use std::net::SocketAddr;

/// The host's own form fields; everything else is the card's input.
const CSRF: &str = "_portico_csrf";
const PLUGIN: &str = "_portico_plugin";
const CARD: &str = "_portico_card";
const ACTION: &str = "_portico_action";
const TAB: &str = "_portico_tab";

/// At most this many inputs are passed on, each clamped.
const MAX_INPUTS: usize = 100;
const MAX_INPUT_BYTES: usize = 16 * 1024;

pub async fn submit(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    session: PortalSession,
    Path(job_id): Path<JobId>,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let field = |name: &str| form.iter().find(|(key, _)| key == name).map(|(_, value)| value.as_str());
    let csrf = field(CSRF).unwrap_or_default();
    crate::csrf::check_session(csrf, &session.row.csrf_token)?;
    let on_job = session.on_job(&state, &job_id).await?;
    let role = on_job.role.0;
    let (Some(plugin_id), Some(card_id), Some(action_id)) = (field(PLUGIN), field(CARD), field(ACTION)) else {
        return Err(WebError::BadRequest("The form is incomplete. Reload the page and try again.".into()));
    };
    let tab = field(TAB).map(tab_slug).unwrap_or_default();
    let back = if tab.is_empty() {
        format!("/jobs/{job_id}#card-{}-{}", tab_slug(plugin_id), tab_slug(card_id))
    } else {
        format!("/jobs/{job_id}?tab={tab}#card-{}-{}", tab_slug(plugin_id), tab_slug(card_id))
    };

    let tenant_id = session.row.tenant_id.clone();
    let tenant = state.db.tenant(&tenant_id).business().await?.ok_or(WebError::NotFound)?;
    let sections = state.sections.active(&tenant_id).await?;
    let section = sections.iter().find(|s| s.plugin.id() == plugin_id).ok_or(WebError::NotFound)?;
    let wit_role = portico_sections::wit_role(role);
    let visible = section.plugin.descriptor.cards.iter().any(|spec| spec.id == card_id && spec.roles.contains(&wit_role));
    if !visible {
        return Err(WebError::NotFound);
    }

    let input: Vec<(String, String)> = form
        .iter()
        .filter(|(key, _)| !key.starts_with("_portico_"))
        .take(MAX_INPUTS)
        .map(|(key, value)| (portico_core::text::clamp(key, 64), portico_core::text::clamp(value, MAX_INPUT_BYTES)))
        .collect();
    let audience = super::audience(&session, &on_job, peer, &headers);
    let ctx = state.sections.context(section, &audience, &tenant);
    let invocation = Invocation::Action { ctx, card: card_id.into(), action: action_id.into(), input: input.clone() };
    let card = Some((plugin_id.to_string(), card_id.to_string()));
    let flash = match state.sections.call(section, &audience, invocation).await {
        Ok(Returned::Action(Ok(outcome))) if outcome.download.is_some() => {
            // The section asked for a file of what its card shows.
            return Ok(super::downloads::respond(outcome.download.expect("checked")));
        }
        Ok(Returned::Action(Ok(outcome))) if outcome.redirect.as_deref().and_then(portico_core::text::local_path).is_some() => {
            // The plugin sends the viewer on (to a checkout); the next page
            // says how that went.
            let next = outcome.redirect.as_deref().and_then(portico_core::text::local_path).unwrap_or(back);
            return Ok(Redirect::to(&next).into_response());
        }
        Ok(Returned::Action(Ok(outcome))) => Flash {
            tone: portico_sections::sanitize::tone(outcome.tone).into(),
            message: portico_core::text::clamp(&outcome.message, 500),
            card,
            refill: false,
            input: Vec::new(),
            problems: Vec::new(),
        },
        // Keep what the viewer typed so nothing is lost.
        Ok(Returned::Action(Err(ActionError::InvalidInput(problems)))) => Flash {
            tone: "danger".into(),
            message: match problems.message.trim() {
                "" => "Please check the answers marked below.".into(),
                message => portico_core::text::clamp(message, 500),
            },
            card,
            refill: true,
            input,
            problems: portico_sections::sanitize::field_problems(&problems.fields),
        },
        Ok(Returned::Action(Err(ActionError::Refused(message)))) => {
            Flash { tone: "warning".into(), message: portico_core::text::clamp(&message, 500), card, refill: false, input: Vec::new(), problems: Vec::new() }
        }
        Ok(Returned::Action(Err(ActionError::Failed(reason)))) => {
            let reason = portico_core::text::one_line(&reason, 500);
            tracing::warn!(plugin = plugin_id, %reason, "action failed inside the plugin");
            Flash { tone: "danger".into(), message: "That did not work. Please try again in a moment.".into(), card, refill: true, input, problems: Vec::new() }
        }
        Ok(_) | Err(_) => {
            Flash { tone: "danger".into(), message: "That did not work. Please try again in a moment.".into(), card, refill: true, input, problems: Vec::new() }
        }
    };
    crate::sessions::leave_flash(&state, &session.row, &flash).await?;
    Ok(Redirect::to(&back).into_response())
}
