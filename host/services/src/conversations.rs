//! Conversations between the office and one contact of the business: the
//! rules every way in shares (the portal, the console, and later the API and
//! sections). Who may read a thread, what a message may hold, and who is
//! told of it by e-mail.
//!
//! A thread is between the office (owners and office staff) and one contact;
//! nobody else on the job reads it, so a buyer's agent never sees what the
//! client asked. A thread on a job closes to the contact when their access
//! to the job is revoked.
//!
//! Mail: each new message tells the other side, once per unread streak: a
//! reader who has not yet read the last message they were told of is not
//! told again, so five quick messages make one e-mail.

use crate::notifications::{object, Notifications};
use crate::uploads::{FileRules, FileType, Prepared, Uploader};
use portico_core::ids::{JobId, TenantId};
use portico_core::model::Tenant;
use portico_core::notifications::NotificationKind;
use portico_core::text::one_line;
use portico_data::files::FileStore;
use portico_data::{Actor, AuditEntry, Conversation, ConversationFilter, ConversationLine, Db, DbError, Message, NewConversation, NewMessage, Party, PersonKind};
use serde_json::json;
use std::sync::Arc;

/// The `plugin_id` of files sent with messages: the host's, no section's.
pub const MESSAGE_UPLOADS: &str = "portico:messages";

/// Longest title of a conversation, in characters.
pub const MAX_TITLE: usize = 120;

/// Longest message, in characters.
pub const MAX_BODY: usize = 10_000;

/// Most files one message carries.
pub const MAX_FILES: usize = 10;

/// Most threads one list holds (the latest).
const LISTED: i64 = 100;

/// What a message may carry: photos and PDFs, 20 MB each, several at once.
pub fn file_rules() -> FileRules {
    FileRules { types: vec![FileType::Photo, FileType::Pdf], max_bytes: 20 * 1024 * 1024, multiple: true }
}

#[derive(Debug, thiserror::Error)]
pub enum ConversationError {
    /// What was written cannot be sent; the words are for the writer.
    #[error("{0}")]
    Invalid(String),
    /// No such conversation or person, or not the writer's to use.
    #[error("not found")]
    NotFound,
    #[error("storing a message's file: {0}")]
    Files(String),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<crate::uploads::StoreError> for ConversationError {
    fn from(error: crate::uploads::StoreError) -> Self {
        match error {
            crate::uploads::StoreError::OverQuota(words) => ConversationError::Invalid(words),
            crate::uploads::StoreError::Files(message) => ConversationError::Files(message),
            crate::uploads::StoreError::Db(error) => ConversationError::Db(error),
        }
    }
}

/// A message as written: its text and its files, already checked by their
/// bytes (`uploads::prepare` with [`file_rules`]), or already stored through
/// a section's own `file` inputs (`attached`, upload ids).
#[derive(Default)]
pub struct Draft {
    pub body: String,
    pub files: Vec<Prepared>,
    pub attached: Vec<String>,
}

/// The contact side of a request: who is signed in.
#[derive(Debug, Clone, Copy)]
pub struct ContactViewer<'a> {
    pub contact_id: &'a str,
    /// The address the session proved, which reaches the threads of every
    /// contact row with it.
    pub verified_email: Option<&'a str>,
    pub name: &'a str,
}

/// A thread to open: with whom, about what.
struct NewThread<'a> {
    contact_id: &'a str,
    contact_name: &'a str,
    job_id: Option<&'a JobId>,
    /// The section and its key, for a thread about a section's subject.
    subject: Option<(&'a str, &'a str)>,
    title: &'a str,
}

/// Who a section serves in a conversation call.
#[derive(Debug, Clone, Copy)]
pub enum Side<'a> {
    /// A signed-in contact: only their own threads.
    Contact(ContactViewer<'a>),
    /// An owner or office member.
    Office(Party<'a>),
}

/// Longest key of a section's subject, in bytes.
pub const MAX_SUBJECT: usize = 200;

/// Conversations; cheap to clone.
#[derive(Clone)]
pub struct Conversations {
    db: Db,
    files: Arc<FileStore>,
    notifications: Notifications,
}

impl Conversations {
    pub fn new(db: Db, files: Arc<FileStore>, notifications: Notifications) -> Conversations {
        Conversations { db, files, notifications }
    }

    /// A contact writes to the office: about one of their jobs, or about
    /// their account with the business when `job_id` is `None`.
    pub async fn start_by_contact(
        &self,
        tenant: &Tenant,
        viewer: &ContactViewer<'_>,
        job_id: Option<&JobId>,
        title: &str,
        draft: Draft,
    ) -> Result<Conversation, ConversationError> {
        let db = self.db.tenant(&tenant.id);
        if let Some(job_id) = job_id {
            db.job_access(job_id, viewer.contact_id, viewer.verified_email).await?.ok_or(ConversationError::NotFound)?;
        }
        let author = Party { kind: PersonKind::Contact, id: viewer.contact_id, name: viewer.name };
        let thread = NewThread { contact_id: viewer.contact_id, contact_name: viewer.name, job_id, subject: None, title };
        self.open(tenant, thread, author, draft).await
    }

    /// A member of staff writes to one of the job's people (`job_contact_id`).
    pub async fn start_by_staff(
        &self,
        tenant: &Tenant,
        staff: Party<'_>,
        job_id: &JobId,
        job_contact_id: &str,
        title: &str,
        draft: Draft,
    ) -> Result<Conversation, ConversationError> {
        let people = self.db.tenant(&tenant.id).live_job_contacts(job_id).await?;
        let person = people
            .iter()
            .find(|person| person.id == job_contact_id && person.role.0 != portico_core::model::Role::Staff)
            .ok_or_else(|| ConversationError::Invalid("Choose someone who is on this job.".into()))?;
        let thread = NewThread { contact_id: &person.contact_id, contact_name: &person.name, job_id: Some(job_id), subject: None, title };
        self.open(tenant, thread, staff, draft).await
    }

    /// Open a thread with its first message by `author`, record who opened
    /// it, and tell the other side.
    async fn open(&self, tenant: &Tenant, thread: NewThread<'_>, author: Party<'_>, draft: Draft) -> Result<Conversation, ConversationError> {
        let title = checked_title(thread.title)?;
        let body = checked_body(&draft)?;
        let upload_ids = self.store_files(tenant, author, draft.files, draft.attached).await?;
        let new = NewConversation { contact_id: thread.contact_id, job_id: thread.job_id, subject: thread.subject, title: &title };
        let first = NewMessage { author, body: &body, upload_ids: &upload_ids };
        let (conversation, message) = self.db.tenant(&tenant.id).start_conversation(&new, &first).await?;
        let (actor, summary) = match author.kind {
            // Not the title: the activity feed is read by employees too.
            PersonKind::Contact => (Actor::contact(author.id, author.name), format!("{} wrote to the office", author.name)),
            PersonKind::Staff => (Actor::staff(author.id, author.name), format!("{} wrote to {}", author.name, thread.contact_name)),
        };
        let mut entry = AuditEntry::new(&tenant.id, "conversation.started", &one_line(&summary, 300)).by(actor);
        entry.job_id = conversation.job_id.clone();
        self.db.record_audit(&entry).await?;
        self.tell_the_other_side(tenant, &conversation, &message).await;
        Ok(conversation)
    }

    /// Answer in a conversation the author may already use (checked by the
    /// caller with [`Conversations::of_contact`] or the staff role).
    pub async fn reply(&self, tenant: &Tenant, conversation: &Conversation, author: Party<'_>, draft: Draft) -> Result<Message, ConversationError> {
        let body = checked_body(&draft)?;
        let upload_ids = self.store_files(tenant, author, draft.files, draft.attached).await?;
        let message = self.db.tenant(&tenant.id).add_message(&conversation.id, &NewMessage { author, body: &body, upload_ids: &upload_ids }).await?;
        self.tell_the_other_side(tenant, conversation, &message).await;
        Ok(message)
    }

    /// The conversation `id`, if it is the signed-in contact's and, when it
    /// is about a job, they still have access to that job.
    pub async fn of_contact(&self, tenant_id: &TenantId, id: &str, viewer: &ContactViewer<'_>) -> Result<Option<Conversation>, DbError> {
        let db = self.db.tenant(tenant_id);
        let Some(conversation) = db.conversation(id).await? else { return Ok(None) };
        if !db.conversation_is_contacts(&conversation, viewer.contact_id, viewer.verified_email).await? {
            return Ok(None);
        }
        if let Some(job_id) = &conversation.job_id {
            if db.job_access(job_id, viewer.contact_id, viewer.verified_email).await?.is_none() {
                return Ok(None);
            }
        }
        Ok(Some(conversation))
    }

    /// The messages of a conversation, now read by `reader` to the last,
    /// and how far they had read before (to mark what is new to them).
    pub async fn read(&self, tenant: &Tenant, conversation: &Conversation, reader: Party<'_>) -> Result<(Vec<Message>, i64), DbError> {
        let db = self.db.tenant(&tenant.id);
        let reader = reader_of(conversation, reader);
        let read_before = db.read_seq(&conversation.id, reader).await?;
        let messages = db.messages(&conversation.id).await?;
        if let Some(last) = messages.last().filter(|last| last.seq > read_before) {
            db.mark_read(&conversation.id, reader, last.seq).await?;
        }
        Ok((messages, read_before))
    }

    /// The threads of `viewer`, latest first: of one section (and one of
    /// its subjects) when `section` says so, about one job when `job_id`
    /// does. Those about a job they no longer reach are left out.
    pub async fn of_viewer(
        &self,
        tenant_id: &TenantId,
        viewer: &ContactViewer<'_>,
        section: Option<(&str, Option<&str>)>,
        job_id: Option<&JobId>,
    ) -> Result<Vec<ConversationLine>, DbError> {
        let db = self.db.tenant(tenant_id);
        let contact = (viewer.contact_id, viewer.verified_email);
        let filter = match section {
            Some((plugin_id, subject)) => ConversationFilter::Section { plugin_id, subject, contact: Some(contact), job_id },
            None => ConversationFilter::Contact { contact_id: viewer.contact_id, verified_email: viewer.verified_email },
        };
        let reader = Party { kind: PersonKind::Contact, id: viewer.contact_id, name: viewer.name };
        let lines = db.conversations(&filter, reader, None, LISTED).await?;
        let reached = db.account_jobs(viewer.contact_id, viewer.verified_email).await?;
        let reachable = |job: &Option<JobId>| job.as_ref().is_none_or(|job| reached.iter().any(|reached| reached.job_id == *job));
        Ok(lines.into_iter().filter(|line| reachable(&line.conversation.job_id) && job_id.is_none_or(|job| line.conversation.job_id.as_ref() == Some(job))).collect())
    }

    /// A section's threads `side` may read: about `subject` if given, about
    /// the call's job if there is one.
    pub async fn section_threads(
        &self,
        tenant_id: &TenantId,
        plugin_id: &str,
        subject: Option<&str>,
        side: Side<'_>,
        job_id: Option<&JobId>,
    ) -> Result<Vec<ConversationLine>, DbError> {
        match side {
            Side::Contact(viewer) => self.of_viewer(tenant_id, &viewer, Some((plugin_id, subject)), job_id).await,
            Side::Office(me) => {
                let filter = ConversationFilter::Section { plugin_id, subject, contact: None, job_id };
                self.db.tenant(tenant_id).conversations(&filter, me, None, LISTED).await
            }
        }
    }

    /// One of a section's threads, if `side` may read it (and, with
    /// `job_id`, if it is about that job).
    pub async fn section_thread(&self, tenant_id: &TenantId, plugin_id: &str, id: &str, side: Side<'_>, job_id: Option<&JobId>) -> Result<Option<Conversation>, DbError> {
        let conversation = match side {
            Side::Contact(viewer) => self.of_contact(tenant_id, id, &viewer).await?,
            Side::Office(_) => self.db.tenant(tenant_id).conversation(id).await?,
        };
        Ok(conversation.filter(|c| c.subject_plugin == plugin_id && job_id.is_none_or(|job| c.job_id.as_ref() == Some(job))))
    }

    /// Write in the thread about a section's `subject` with a contact, and
    /// open it with `title` if there is none: a contact writes in their own
    /// (`to` none); the office writes to `to`, a person on `job_id`.
    #[allow(clippy::too_many_arguments)]
    pub async fn write_on_subject(
        &self,
        tenant: &Tenant,
        plugin_id: &str,
        subject: &str,
        title: &str,
        side: Side<'_>,
        job_id: Option<&JobId>,
        to: Option<&str>,
        draft: Draft,
    ) -> Result<Conversation, ConversationError> {
        if subject.is_empty() || subject.len() > MAX_SUBJECT {
            return Err(ConversationError::Invalid(format!("a subject is 1-{MAX_SUBJECT} bytes")));
        }
        let db = self.db.tenant(&tenant.id);
        let people;
        let (contact_id, contact_name, author) = match (side, to) {
            (Side::Contact(viewer), None) => {
                if let Some(job_id) = job_id {
                    db.job_access(job_id, viewer.contact_id, viewer.verified_email).await?.ok_or(ConversationError::NotFound)?;
                }
                (viewer.contact_id, viewer.name, Party { kind: PersonKind::Contact, id: viewer.contact_id, name: viewer.name })
            }
            (Side::Contact(_), Some(_)) => return Err(ConversationError::Invalid("a contact writes only to the office".into())),
            (Side::Office(me), Some(to)) => {
                let job_id = job_id.ok_or_else(|| ConversationError::Invalid("the office writes to someone on a job, from the staff job page".into()))?;
                people = db.live_job_contacts(job_id).await?;
                let person = people
                    .iter()
                    .find(|person| person.id == to && person.role.0 != portico_core::model::Role::Staff)
                    .ok_or_else(|| ConversationError::Invalid("`to` is not someone on this job".into()))?;
                (person.contact_id.as_str(), person.name.as_str(), me)
            }
            (Side::Office(_), None) => return Err(ConversationError::Invalid("say whom the office writes to (`to`)".into())),
        };
        self.check_attached(&tenant.id, plugin_id, author, job_id, &draft.attached).await?;
        if let Some(existing) = db.conversation_on_subject(contact_id, plugin_id, subject, job_id).await? {
            self.reply(tenant, &existing, author, draft).await?;
            return db.conversation(&existing.id).await?.ok_or(ConversationError::NotFound);
        }
        let thread = NewThread { contact_id, contact_name, job_id, subject: Some((plugin_id, subject)), title };
        self.open(tenant, thread, author, draft).await
    }

    /// A section answers in one of its threads for `author`, with files its
    /// own inputs received from them.
    pub async fn reply_from_section(&self, tenant: &Tenant, plugin_id: &str, conversation: &Conversation, author: Party<'_>, draft: Draft) -> Result<Message, ConversationError> {
        self.check_attached(&tenant.id, plugin_id, author, conversation.job_id.as_ref(), &draft.attached).await?;
        let attached = draft.attached.clone();
        let mut message = self.reply(tenant, conversation, author, draft).await?;
        let db = self.db.tenant(&tenant.id);
        for id in &attached {
            message.attachments.extend(db.upload(id).await?);
        }
        Ok(message)
    }

    /// Files a section attaches must be its own uploads, sent by the author,
    /// on the thread's job or on none.
    async fn check_attached(&self, tenant_id: &TenantId, plugin_id: &str, author: Party<'_>, job_id: Option<&JobId>, ids: &[String]) -> Result<(), ConversationError> {
        let db = self.db.tenant(tenant_id);
        for id in ids {
            let upload = db.upload(id).await?;
            let fits = upload.is_some_and(|upload| {
                upload.plugin_id == plugin_id
                    && upload.uploader_kind == author.kind.as_str()
                    && upload.uploader_id == author.id
                    && upload.job_id.as_ref().is_none_or(|on| job_id == Some(on))
            });
            if !fits {
                return Err(ConversationError::Invalid(format!("file {id:?} is not one this section received from the writer")));
            }
        }
        Ok(())
    }

    async fn store_files(&self, tenant: &Tenant, author: Party<'_>, files: Vec<Prepared>, attached: Vec<String>) -> Result<Vec<String>, ConversationError> {
        if files.len() + attached.len() > MAX_FILES {
            return Err(ConversationError::Invalid(format!("Send at most {MAX_FILES} files with one message.")));
        }
        // Room for all of them, or none is stored.
        crate::uploads::check_room(&self.db, &tenant.id, files.iter().map(|file| file.bytes.len()).sum()).await?;
        let uploader = Uploader { kind: author.kind, id: author.id, name: author.name };
        let mut ids = Vec::new();
        for prepared in &files {
            // Not tied to a job: only the thread's two sides may open them.
            let upload = crate::uploads::store(&self.db, &self.files, &tenant.id, MESSAGE_UPLOADS, None, &uploader, prepared).await?;
            ids.push(upload.id);
        }
        ids.extend(attached);
        Ok(ids)
    }

    /// E-mail the side that did not write `message`, as described at the
    /// top. Best effort: the message is sent whatever becomes of the mail.
    async fn tell_the_other_side(&self, tenant: &Tenant, conversation: &Conversation, message: &Message) {
        let told = match message.author_kind.as_str() {
            "contact" => self.tell_the_office(tenant, conversation, message).await,
            _ => self.tell_the_contact(tenant, conversation, message).await.map(usize::from),
        };
        match told {
            Ok(told) => tracing::info!(tenant = %tenant.id, conversation = %conversation.id, seq = message.seq, told, "told of a new message"),
            Err(error) => tracing::error!(tenant = %tenant.id, conversation = %conversation.id, %error, "could not tell of a new message"),
        }
    }

    async fn tell_the_office(&self, tenant: &Tenant, conversation: &Conversation, message: &Message) -> Result<usize, DbError> {
        let db = self.db.tenant(&tenant.id);
        let job = match &conversation.job_id {
            Some(job_id) => db.job(job_id).await?.map(|job| job.reference),
            None => None,
        };
        let link = format!("{}/staff/conversations/{}", self.notifications.public_url(), conversation.id);
        let mut told = 0;
        for member in crate::office::members(&self.db, &tenant.id).await? {
            let reader = Party { kind: PersonKind::Staff, id: &member.id, name: &member.display_name };
            if self.already_told(tenant, conversation, message, reader).await? {
                continue;
            }
            let data = json!({
                "name": member.display_name,
                "author": message.author_name,
                "title": conversation.title,
                "job": job.clone().unwrap_or_default(),
                "excerpt": excerpt(message),
                "link": link,
            });
            db.enqueue_mail(&member.email, "office-new-message", &data.to_string()).await?;
            told += 1;
        }
        Ok(told)
    }

    async fn tell_the_contact(&self, tenant: &Tenant, conversation: &Conversation, message: &Message) -> Result<bool, DbError> {
        let db = self.db.tenant(&tenant.id);
        let (Some(name), Some(address)) = (db.contact_name(&conversation.contact_id).await?, db.contact_email(&conversation.contact_id).await?) else {
            return Ok(false);
        };
        let phone = db.contact_phone(&conversation.contact_id).await?;
        let reader = Party { kind: PersonKind::Contact, id: &conversation.contact_id, name: &name };
        if self.already_told(tenant, conversation, message, reader).await? {
            return Ok(false);
        }
        let facts = object(json!({
            "author": message.author_name,
            "title": conversation.title,
            "excerpt": excerpt(message),
            "link": format!("{}/messages/{}", self.notifications.public_url(), conversation.id),
        }));
        self.notifications.tell_person(tenant, NotificationKind::NewMessage, &name, (&address, phone.as_deref()), serde_json::Value::Object(facts)).await
    }

    /// Whether `reader` was told of an earlier message from the same side
    /// that they have not read yet.
    async fn already_told(&self, tenant: &Tenant, conversation: &Conversation, message: &Message, reader: Party<'_>) -> Result<bool, DbError> {
        let db = self.db.tenant(&tenant.id);
        let side = if message.author_kind == "contact" { PersonKind::Contact } else { PersonKind::Staff };
        let previous = db.last_seq_by(&conversation.id, side, message.seq).await?;
        Ok(previous > 0 && db.read_seq(&conversation.id, reader).await? < previous)
    }
}

/// Read state on the contact's side is the thread's contact's, whichever of
/// their contact rows (same proven address) opened it.
fn reader_of<'a>(conversation: &'a Conversation, reader: Party<'a>) -> Party<'a> {
    match reader.kind {
        PersonKind::Contact => Party { id: &conversation.contact_id, ..reader },
        PersonKind::Staff => reader,
    }
}

fn checked_title(title: &str) -> Result<String, ConversationError> {
    let title = title.split_whitespace().collect::<Vec<_>>().join(" ");
    match title.chars().count() {
        0 => Err(ConversationError::Invalid("Give the conversation a subject.".into())),
        n if n > MAX_TITLE => Err(ConversationError::Invalid(format!("Keep the subject to {MAX_TITLE} characters (it has {n})."))),
        _ => Ok(title),
    }
}

fn checked_body(draft: &Draft) -> Result<String, ConversationError> {
    let body = draft.body.trim().replace("\r\n", "\n");
    match body.chars().count() {
        0 if draft.files.is_empty() && draft.attached.is_empty() => Err(ConversationError::Invalid("Write a message or attach a file.".into())),
        n if n > MAX_BODY => Err(ConversationError::Invalid(format!("Keep a message to {MAX_BODY} characters (it has {n})."))),
        _ => Ok(body),
    }
}

/// What a notification quotes of a message: its start, or what it carries.
fn excerpt(message: &Message) -> String {
    let text: String = message.body.chars().take(500).collect();
    match (text.is_empty(), message.body.chars().count() > 500) {
        (true, _) => "(files only)".to_string(),
        (false, true) => format!("{text}…"),
        (false, false) => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_title_is_one_short_line() {
        assert_eq!(checked_title("  Access\n to the   attic ").unwrap(), "Access to the attic");
        assert!(matches!(checked_title(" \n "), Err(ConversationError::Invalid(_))));
        assert!(matches!(checked_title(&"x".repeat(MAX_TITLE + 1)), Err(ConversationError::Invalid(_))));
    }

    #[test]
    fn a_message_needs_words_or_files() {
        let empty = Draft { body: "  \r\n ".into(), ..Draft::default() };
        assert!(matches!(checked_body(&empty), Err(ConversationError::Invalid(_))));
        let long = Draft { body: "é".repeat(MAX_BODY + 1), ..Draft::default() };
        assert!(matches!(checked_body(&long), Err(ConversationError::Invalid(_))));
        let kept = Draft { body: " Line one\r\nLine two ".into(), ..Draft::default() };
        assert_eq!(checked_body(&kept).unwrap(), "Line one\nLine two");
    }
}
