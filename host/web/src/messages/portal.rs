//! A client's messages with the office: their threads (about a job or their
//! account), a new message, and a thread with its answer form.

use super::{line_view, message_views, refusal, Written};
use crate::app::AppState;
use crate::error::WebError;
use crate::section_cards::ActionForm;
use crate::sessions::{keep_alive, PortalSession};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::CookieJar;
use portico_core::formats::TenantFormats;
use portico_core::ids::JobId;
use portico_core::model::Tenant;
use portico_data::{Party, PersonKind};
use portico_services::conversations::ContactViewer;
use serde::Deserialize;


fn viewer<'a>(session: &'a PortalSession, name: &'a str) -> ContactViewer<'a> {
    ContactViewer { contact_id: &session.contact_id, verified_email: session.row.verified_email.as_deref(), name }
}

/// The signed-in contact's latest threads (those about a job they no
/// longer reach left out).
async fn own_threads(state: &AppState, tenant: &Tenant, session: &PortalSession, name: &str) -> Result<Vec<portico_data::ConversationLine>, WebError> {
    Ok(state.conversations.of_viewer(&tenant.id, &viewer(session, name), None, None).await?)
}

/// How many of the contact's threads have messages they have not read.
pub(crate) async fn unread_threads(state: &AppState, tenant: &Tenant, session: &PortalSession, name: &str) -> Result<usize, WebError> {
    Ok(own_threads(state, tenant, session, name).await?.iter().filter(|line| line.unread() > 0).count())
}

#[derive(Deserialize)]
pub struct ListQuery {
    /// The job a new message is about, preselected.
    job: Option<String>,
}

/// What a new message's form shows again after a refusal.
#[derive(Default)]
struct Typed {
    job: String,
    title: String,
    body: String,
    error: Option<String>,
}

/// `GET /messages`: the viewer's threads with the business, newest first,
/// and the form to write a new one.
pub async fn list(State(state): State<AppState>, jar: CookieJar, session: PortalSession, Query(query): Query<ListQuery>) -> Result<Response, WebError> {
    let typed = Typed { job: query.job.unwrap_or_default(), ..Typed::default() };
    list_page(&state, jar, &session, typed, StatusCode::OK).await
}

async fn list_page(state: &AppState, jar: CookieJar, session: &PortalSession, typed: Typed, status: StatusCode) -> Result<Response, WebError> {
    let tenant = session.business(state).await?;
    let formats = TenantFormats::new(&tenant);
    let name = session.name(state).await?;
    let jobs = state.db.tenant(&tenant.id).account_jobs(&session.contact_id, session.row.verified_email.as_deref()).await?;
    let threads: Vec<serde_json::Value> = own_threads(state, &tenant, session, &name)
        .await?
        .iter()
        .map(|line| line_view(line, format!("/messages/{}", line.conversation.id), &formats))
        .collect();
    let job_choices: Vec<serde_json::Value> = jobs
        .iter()
        .map(|job| {
            serde_json::json!({
                "id": job.job_id,
                "label": format!("{} · {}, {}", job.reference, job.line1, job.city),
                "selected": job.job_id.as_str() == typed.job,
            })
        })
        .collect();
    let mut data = crate::portal::frame(&tenant, session, &name, "Messages");
    data["threads"] = threads.into();
    data["jobs"] = job_choices.into();
    data["typed"] = serde_json::json!({ "title": typed.title, "body": typed.body, "error": typed.error });
    data["accept"] = portico_services::conversations::file_rules().accept().into();
    let body = crate::view::render("messages", &data)?;
    Ok((status, keep_alive(jar, session.refreshed.clone()), Html(body)).into_response())
}

/// `POST /messages`: write to the office, about a job or the account.
pub async fn start(State(state): State<AppState>, jar: CookieJar, session: PortalSession, form: ActionForm) -> Result<Response, WebError> {
    let written = Written::read(form, &session.row.csrf_token).await?;
    let tenant = session.business(&state).await?;
    let name = session.name(&state).await?;
    let mut typed = Typed {
        job: written.field("job").to_string(),
        title: written.field("title").to_string(),
        body: written.field("body").to_string(),
        error: None,
    };
    let job_id = (!typed.job.is_empty()).then(|| JobId::new(typed.job.clone()));
    let sent = match written.draft() {
        Ok(draft) => state.conversations.start_by_contact(&tenant, &viewer(&session, &name), job_id.as_ref(), &typed.title, draft).await.map_err(refusal),
        Err(words) => Err(Ok(words)),
    };
    match sent {
        Ok(conversation) => Ok(Redirect::to(&format!("/messages/{}", conversation.id)).into_response()),
        Err(Ok(words)) => {
            typed.error = Some(words);
            list_page(&state, jar, &session, typed, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(Err(error)) => Err(error),
    }
}

/// `GET /messages/{id}`: one of the viewer's threads, now read.
pub async fn thread(State(state): State<AppState>, jar: CookieJar, session: PortalSession, Path(id): Path<String>) -> Result<Response, WebError> {
    thread_page(&state, jar, &session, &id, "", None, StatusCode::OK).await
}

async fn thread_page(
    state: &AppState,
    jar: CookieJar,
    session: &PortalSession,
    id: &str,
    typed: &str,
    error: Option<String>,
    status: StatusCode,
) -> Result<Response, WebError> {
    let tenant = session.business(state).await?;
    let name = session.name(state).await?;
    let conversation = state.conversations.of_contact(&tenant.id, id, &viewer(session, &name)).await?.ok_or(WebError::NotFound)?;
    let reader = Party { kind: PersonKind::Contact, id: &session.contact_id, name: &name };
    let (messages, read_before) = state.conversations.read(&tenant, &conversation, reader).await?;
    let job = match &conversation.job_id {
        Some(job_id) => state.db.tenant(&tenant.id).job(job_id).await?.map(|job| serde_json::json!({ "id": job.id, "reference": job.reference })),
        None => None,
    };
    let formats = TenantFormats::new(&tenant);
    let mut data = crate::portal::frame(&tenant, session, &name, &conversation.title);
    data["conversation"] = serde_json::json!({ "id": conversation.id, "title": conversation.title, "job": job });
    data["messages"] = message_views(&messages, PersonKind::Contact, read_before, &formats).into();
    data["typed"] = serde_json::json!({ "body": typed, "error": error });
    data["accept"] = portico_services::conversations::file_rules().accept().into();
    let body = crate::view::render("thread", &data)?;
    Ok((status, keep_alive(jar, session.refreshed.clone()), Html(body)).into_response())
}

/// `POST /messages/{id}`: answer in one of the viewer's threads.
pub async fn reply(State(state): State<AppState>, jar: CookieJar, session: PortalSession, Path(id): Path<String>, form: ActionForm) -> Result<Response, WebError> {
    let written = Written::read(form, &session.row.csrf_token).await?;
    let tenant = session.business(&state).await?;
    let name = session.name(&state).await?;
    let conversation = state.conversations.of_contact(&tenant.id, &id, &viewer(&session, &name)).await?.ok_or(WebError::NotFound)?;
    let typed = written.field("body").to_string();
    let author = Party { kind: PersonKind::Contact, id: &session.contact_id, name: &name };
    let sent = match written.draft() {
        Ok(draft) => state.conversations.reply(&tenant, &conversation, author, draft).await.map_err(refusal),
        Err(words) => Err(Ok(words)),
    };
    match sent {
        Ok(_) => Ok(Redirect::to(&format!("/messages/{}#latest", conversation.id)).into_response()),
        Err(Ok(words)) => thread_page(&state, jar, &session, &id, &typed, Some(words), StatusCode::UNPROCESSABLE_ENTITY).await,
        Err(Err(error)) => Err(error),
    }
}
