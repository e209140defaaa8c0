//! Conversations on the web, on the host's conversations service: a
//! client's messages with the office (`/messages`), and the office's inbox
//! and threads in the console (`/staff/inbox`, `/staff/conversations/…`).
//! Both sides write with files, without JavaScript.

mod console;
mod portal;

pub(crate) use portal::unread_threads;

use crate::app::AppState;
use crate::error::WebError;
use crate::section_cards::{prepare_posted, ActionForm, MAX_ACTION_BODY};
use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use axum::Router;
use portico_core::formats::{Formats as _, TenantFormats};
use portico_data::{Message, PersonKind};
use portico_services::conversations::{file_rules, ConversationError, Draft, MAX_FILES};

pub fn router() -> Router<AppState> {
    let limit = || DefaultBodyLimit::max(MAX_ACTION_BODY);
    Router::new()
        .route("/messages", get(portal::list).post(portal::start).layer(limit()))
        .route("/messages/{id}", get(portal::thread).post(portal::reply).layer(limit()))
        .route("/staff/inbox", get(console::inbox))
        .route("/staff/conversations/{id}", get(console::thread).post(console::reply).layer(limit()))
        .route("/staff/jobs/{job_id}/conversations", get(console::job_threads).post(console::start).layer(limit()))
}

/// A message form as posted: its text fields, and its files checked by
/// their bytes or what is wrong with them.
struct Written {
    pairs: Vec<(String, String)>,
    files: Result<Vec<portico_services::uploads::Prepared>, String>,
}

impl Written {
    /// The form of a session whose token it carries; its files are checked
    /// (decoded) only after the token is.
    async fn read(form: ActionForm, session_token: &str) -> Result<Written, WebError> {
        let token = form.pairs.iter().find(|(key, _)| key == "csrf").map(|(_, value)| value.as_str()).unwrap_or_default();
        crate::csrf::check_session(token, session_token)?;
        Ok(Self::prepare(form).await)
    }

    async fn prepare(form: ActionForm) -> Written {
        let ActionForm { pairs, files } = form;
        if files.len() > MAX_FILES {
            return Written { pairs, files: Err(format!("Send at most {MAX_FILES} files with one message.")) };
        }
        let mut prepared = Vec::new();
        for file in files {
            match prepare_posted(file, file_rules()).await {
                Ok(ready) => prepared.push(ready),
                Err(refused) => return Written { pairs, files: Err(refused.to_string()) },
            }
        }
        Written { pairs, files: Ok(prepared) }
    }

    /// A text field, empty when absent.
    fn field(&self, name: &str) -> &str {
        self.pairs.iter().find(|(key, _)| key == name).map(|(_, value)| value.as_str()).unwrap_or_default()
    }

    /// The draft to send, or what to tell the writer (their words kept by the caller).
    fn draft(self) -> Result<Draft, String> {
        let body = self.field("body").to_string();
        self.files.map(|files| Draft { body, files, attached: Vec::new() })
    }
}

/// What to tell the writer when the service refuses a message; a missing
/// thing stays a 404 and a failure a 500.
fn refusal(error: ConversationError) -> Result<String, WebError> {
    match error {
        ConversationError::Invalid(words) => Ok(words),
        ConversationError::NotFound => Err(WebError::NotFound),
        other => Err(WebError::Internal(anyhow::Error::new(other))),
    }
}

/// The messages of a thread as a page shows them to `reader_side`; those
/// after `read_before` are marked new.
fn message_views(messages: &[Message], reader_side: PersonKind, read_before: i64, formats: &TenantFormats) -> Vec<serde_json::Value> {
    messages
        .iter()
        .map(|message| {
            let files: Vec<serde_json::Value> = message
                .attachments
                .iter()
                .map(|file| {
                    serde_json::json!({
                        "name": file.file_name,
                        "href": format!("/files/{}", file.id),
                        "thumbnail": file.thumbnail_key.as_ref().map(|_| format!("/files/{}/thumbnail", file.id)),
                    })
                })
                .collect();
            serde_json::json!({
                "author": message.author_name,
                "from_office": message.author_kind == PersonKind::Staff.as_str(),
                "mine": message.author_kind == reader_side.as_str(),
                "new": message.seq > read_before && message.author_kind != reader_side.as_str(),
                "when": formats.moment(message.created_at),
                "body": message.body,
                "files": files,
            })
        })
        .collect()
}

/// A conversation as a list shows it.
fn line_view(line: &portico_data::ConversationLine, href: String, formats: &TenantFormats) -> serde_json::Value {
    let conversation = &line.conversation;
    serde_json::json!({
        "href": href,
        "title": conversation.title,
        "contact": line.contact_name,
        "job": line.job_reference,
        "when": formats.moment(conversation.last_message_at),
        "unread": line.unread(),
        "awaiting_reply": conversation.last_author_kind == PersonKind::Contact.as_str(),
    })
}
