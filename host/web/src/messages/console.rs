//! The office's side of conversations: the inbox across jobs, a thread with
//! its answer form, and writing to someone on a job. Owners and office staff
//! (`Ability::Converse`); read state is each member's own.

use super::{line_view, message_views, refusal, Written};
use crate::app::AppState;
use crate::error::WebError;
use crate::section_cards::ActionForm;
use crate::sessions::StaffSession;
use crate::staff::roles::Ability;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::CookieJar;
use portico_core::formats::TenantFormats;
use portico_core::ids::JobId;
use portico_core::model::{Role, Tenant};
use portico_data::{ConversationFilter, Party, PersonKind};
use serde::Deserialize;

/// Threads on one page of the inbox.
const PAGE: i64 = 50;

async fn tenant_of(state: &AppState, session: &StaffSession) -> Result<Tenant, WebError> {
    state.db.tenant(&session.row.tenant_id).business().await?.ok_or(WebError::NotFound)
}

fn me(session: &StaffSession) -> Party<'_> {
    Party { kind: PersonKind::Staff, id: &session.user.id, name: &session.user.display_name }
}

#[derive(Deserialize)]
pub struct InboxQuery {
    /// `all`, or by default the threads awaiting the office's answer.
    show: Option<String>,
    /// The page after the thread `{last_message_at}:{id}`.
    after: Option<String>,
}

/// `GET /staff/inbox`: the business's conversations, latest first: by
/// default those whose last word is the client's.
pub async fn inbox(State(state): State<AppState>, jar: CookieJar, session: StaffSession, Query(query): Query<InboxQuery>) -> Result<Response, WebError> {
    session.require(Ability::Converse)?;
    let tenant = tenant_of(&state, &session).await?;
    let formats = TenantFormats::new(&tenant);
    let all = query.show.as_deref() == Some("all");
    let filter = if all { ConversationFilter::All } else { ConversationFilter::AwaitingReply };
    let cursor = query.after.as_deref().and_then(|after| {
        let (at, id) = after.split_once(':')?;
        Some((at.parse::<i64>().ok()?, id))
    });
    let db = state.db.tenant(&tenant.id);
    let mut lines = db.conversations(&filter, me(&session), cursor, PAGE + 1).await?;
    let more = lines.len() as i64 > PAGE;
    lines.truncate(PAGE as usize);
    let next = match lines.last() {
        Some(last) if more => {
            let show = if all { "all" } else { "awaiting" };
            Some(format!("/staff/inbox?show={show}&after={}:{}", last.conversation.last_message_at, last.conversation.id))
        }
        _ => None,
    };
    let threads: Vec<serde_json::Value> =
        lines.iter().map(|line| line_view(line, format!("/staff/conversations/{}", line.conversation.id), &formats)).collect();
    let data = serde_json::json!({
        "threads": threads,
        "all": all,
        "next": next,
        "unread": db.unread_conversations(&ConversationFilter::All, me(&session)).await?,
    });
    crate::staff::console_page(&state, jar, session, "staff_inbox", "Inbox", data).await
}

/// `GET /staff/conversations/{id}`: a thread, now read by this member.
pub async fn thread(State(state): State<AppState>, jar: CookieJar, session: StaffSession, Path(id): Path<String>) -> Result<Response, WebError> {
    thread_page(&state, jar, session, &id, "", None).await
}

async fn thread_page(state: &AppState, jar: CookieJar, session: StaffSession, id: &str, typed: &str, error: Option<String>) -> Result<Response, WebError> {
    session.require(Ability::Converse)?;
    let tenant = tenant_of(state, &session).await?;
    let db = state.db.tenant(&tenant.id);
    let conversation = db.conversation(id).await?.ok_or(WebError::NotFound)?;
    let (messages, read_before) = state.conversations.read(&tenant, &conversation, me(&session)).await?;
    let job = match &conversation.job_id {
        Some(job_id) => db.job(job_id).await?.map(|job| serde_json::json!({ "id": job.id, "reference": job.reference })),
        None => None,
    };
    let formats = TenantFormats::new(&tenant);
    let data = serde_json::json!({
        "conversation": {
            "id": conversation.id,
            "title": conversation.title,
            "contact": db.contact_name(&conversation.contact_id).await?.unwrap_or_default(),
            "job": job,
        },
        "messages": message_views(&messages, PersonKind::Staff, read_before, &formats),
        "typed": { "body": typed, "error": error },
        "accept": portico_services::conversations::file_rules().accept(),
    });
    crate::staff::console_page(state, jar, session, "staff_conversation", &conversation.title, data).await
}

/// `POST /staff/conversations/{id}`: answer in a thread.
pub async fn reply(State(state): State<AppState>, jar: CookieJar, session: StaffSession, Path(id): Path<String>, form: ActionForm) -> Result<Response, WebError> {
    session.require(Ability::Converse)?;
    let written = Written::read(form, &session.row.csrf_token).await?;
    let tenant = tenant_of(&state, &session).await?;
    let conversation = state.db.tenant(&tenant.id).conversation(&id).await?.ok_or(WebError::NotFound)?;
    let typed = written.field("body").to_string();
    let sent = match written.draft() {
        Ok(draft) => state.conversations.reply(&tenant, &conversation, me(&session), draft).await.map_err(refusal),
        Err(words) => Err(Ok(words)),
    };
    match sent {
        Ok(_) => Ok(Redirect::to(&format!("/staff/conversations/{}#latest", conversation.id)).into_response()),
        Err(Ok(words)) => unprocessable(thread_page(&state, jar, session, &id, &typed, Some(words)).await),
        Err(Err(error)) => Err(error),
    }
}

#[derive(Deserialize)]
pub struct NewQuery {
    /// The person (job contact) to write to, preselected.
    person: Option<String>,
}

/// What the new conversation form shows again after a refusal.
#[derive(Default)]
struct Typed {
    person: String,
    title: String,
    body: String,
    error: Option<String>,
}

/// `GET /staff/jobs/{job_id}/conversations`: the job's threads and the form
/// to write to one of its people.
pub async fn job_threads(
    State(state): State<AppState>,
    jar: CookieJar,
    session: StaffSession,
    Path(job_id): Path<JobId>,
    Query(query): Query<NewQuery>,
) -> Result<Response, WebError> {
    let typed = Typed { person: query.person.unwrap_or_default(), ..Typed::default() };
    job_threads_page(&state, jar, session, &job_id, typed).await
}

async fn job_threads_page(state: &AppState, jar: CookieJar, session: StaffSession, job_id: &JobId, typed: Typed) -> Result<Response, WebError> {
    session.require(Ability::Converse)?;
    let tenant = tenant_of(state, &session).await?;
    let db = state.db.tenant(&tenant.id);
    let job = db.job(job_id).await?.ok_or(WebError::NotFound)?;
    let formats = TenantFormats::new(&tenant);
    let lines = db.conversations(&ConversationFilter::Job(job_id), me(&session), None, 200).await?;
    let threads: Vec<serde_json::Value> =
        lines.iter().map(|line| line_view(line, format!("/staff/conversations/{}", line.conversation.id), &formats)).collect();
    let people: Vec<serde_json::Value> = db
        .live_job_contacts(job_id)
        .await?
        .into_iter()
        .filter(|person| person.role.0 != Role::Staff)
        .map(|person| {
            serde_json::json!({
                "id": person.id,
                "label": format!("{} ({}){}", person.name, person.role.0.label(), if person.email.is_some() { "" } else { ", no e-mail address" }),
                "selected": person.id == typed.person,
            })
        })
        .collect();
    let data = serde_json::json!({
        "job": { "id": job.id, "reference": job.reference },
        "threads": threads,
        "people": people,
        "typed": { "title": typed.title, "body": typed.body, "error": typed.error },
        "accept": portico_services::conversations::file_rules().accept(),
    });
    crate::staff::console_page(state, jar, session, "staff_new_conversation", &format!("Conversations · {}", job.reference), data).await
}

/// `POST /staff/jobs/{job_id}/conversations`: write to one of the job's people.
pub async fn start(State(state): State<AppState>, jar: CookieJar, session: StaffSession, Path(job_id): Path<JobId>, form: ActionForm) -> Result<Response, WebError> {
    session.require(Ability::Converse)?;
    let written = Written::read(form, &session.row.csrf_token).await?;
    let tenant = tenant_of(&state, &session).await?;
    state.db.tenant(&tenant.id).job(&job_id).await?.ok_or(WebError::NotFound)?;
    let mut typed = Typed {
        person: written.field("person").to_string(),
        title: written.field("title").to_string(),
        body: written.field("body").to_string(),
        error: None,
    };
    let sent = match written.draft() {
        Ok(draft) => state.conversations.start_by_staff(&tenant, me(&session), &job_id, &typed.person, &typed.title, draft).await.map_err(refusal),
        Err(words) => Err(Ok(words)),
    };
    match sent {
        Ok(conversation) => Ok(Redirect::to(&format!("/staff/conversations/{}", conversation.id)).into_response()),
        Err(Ok(words)) => {
            typed.error = Some(words);
            unprocessable(job_threads_page(&state, jar, session, &job_id, typed).await)
        }
        Err(Err(error)) => Err(error),
    }
}

/// A page shown again because what was sent was refused: 422, as the portal.
fn unprocessable(page: Result<Response, WebError>) -> Result<Response, WebError> {
    let mut page = page?;
    *page.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    Ok(page)
}
