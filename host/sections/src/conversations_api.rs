//! The `conversations` interface: a section's threads between the office
//! and a contact about its own subjects, on the host's conversations
//! service (the same rules as the host's own message pages). Who the viewer
//! is decides what they reach: a contact their own threads (on a job's page,
//! those about that job), an owner or office member the section's threads
//! (on the staff job page, those about that job). Employees are `denied`,
//! as the console's inbox refuses them.

use super::bindings::{conversations, types};
use super::call::CallState;
use super::files_api::file_info;
use super::host_api::{unavailable, Change};
use super::permissions::Permission;
use portico_core::ids::{JobId, TenantId};
use portico_core::model::StaffRole;
use portico_data::{Conversation, ConversationLine, Db, Party, PersonKind};
use portico_services::conversations::{ContactViewer, ConversationError, Conversations, Draft, Side};
use types::{Error, Surface};

/// What a conversations call works with, taken from the call before any
/// await (the call's state is not shared across threads).
struct ConversationScope {
    db: Db,
    service: Conversations,
    tenant_id: TenantId,
    plugin_id: String,
    job_id: Option<JobId>,
    viewer: Viewer,
    preview: bool,
}

/// The viewer, by side.
enum Viewer {
    Contact { contact_id: String, proven_email: Option<String>, name: String },
    Office { user_id: String, name: String },
}

impl ConversationScope {
    fn side(&self) -> Side<'_> {
        match &self.viewer {
            Viewer::Contact { contact_id, proven_email, name } => {
                Side::Contact(ContactViewer { contact_id, verified_email: proven_email.as_deref(), name })
            }
            Viewer::Office { user_id, name } => Side::Office(Party { kind: PersonKind::Staff, id: user_id, name }),
        }
    }

    fn reader(&self) -> Party<'_> {
        match self.side() {
            Side::Contact(viewer) => Party { kind: PersonKind::Contact, id: viewer.contact_id, name: viewer.name },
            Side::Office(me) => me,
        }
    }

    /// Where the viewer reads and answers a thread: the host's own page.
    fn url(&self, id: &str) -> String {
        match self.viewer {
            Viewer::Contact { .. } => format!("/messages/{id}"),
            Viewer::Office { .. } => format!("/staff/conversations/{id}"),
        }
    }

    async fn thread(&self, id: &str) -> Result<Conversation, Error> {
        self.service
            .section_thread(&self.tenant_id, &self.plugin_id, id, self.side(), self.job_id.as_ref())
            .await
            .map_err(unavailable)?
            .ok_or(Error::NotFound)
    }

    /// The thread as the viewer sees it now (with their unread count).
    async fn line(&self, conversation: &Conversation) -> Result<conversations::Thread, Error> {
        let lines = self
            .service
            .section_threads(&self.tenant_id, &self.plugin_id, Some(&conversation.subject_key), self.side(), self.job_id.as_ref())
            .await
            .map_err(unavailable)?;
        lines.iter().find(|line| line.conversation.id == conversation.id).map(|line| self.view(line)).ok_or(Error::NotFound)
    }

    fn view(&self, line: &ConversationLine) -> conversations::Thread {
        let c = &line.conversation;
        conversations::Thread {
            id: c.id.clone(),
            subject: c.subject_key.clone(),
            title: c.title.clone(),
            contact_name: line.contact_name.clone(),
            job_id: c.job_id.as_ref().map(ToString::to_string),
            message_count: u32::try_from(c.message_count).unwrap_or(u32::MAX),
            unread: u32::try_from(line.unread()).unwrap_or(u32::MAX),
            awaiting_office: c.last_author_kind == PersonKind::Contact.as_str(),
            last_message_at: c.last_message_at,
            url: self.url(&c.id),
        }
    }

    fn writable(&self) -> Result<(), Error> {
        if self.preview { Err(Error::Invalid("nothing is sent in a preview".into())) } else { Ok(()) }
    }
}

impl CallState {
    /// The call's conversation scope: granted, with a viewer who is a
    /// contact (job page, account hub) or an owner or office member (staff
    /// surfaces).
    fn conversation_scope(&self, change: Option<Change>) -> Result<ConversationScope, Error> {
        let db = self.granted_anywhere(Permission::Conversations)?.clone();
        // A staff preview shows the client's page to any member of staff,
        // employees included, who may not read the client's conversations.
        if self.scope.preview {
            return Err(Error::Invalid("conversations are not shown in a preview".into()));
        }
        if let Some(change) = change {
            self.may_change(Permission::Conversations, change)?;
        }
        let service = self.host.as_ref().map(|host| host.conversations.clone()).ok_or_else(|| Error::Invalid("no business is served by this call".into()))?;
        let viewer = self.scope.viewer.as_ref().ok_or_else(|| Error::Invalid("nobody is viewing".into()))?;
        let viewer = match (self.scope.surface, &viewer.staff, &viewer.contact_id) {
            (Surface::StaffJobPage | Surface::StaffPage, Some(staff), _) => {
                if !matches!(staff.role, StaffRole::Owner | StaffRole::Office) {
                    return Err(Error::Denied(Permission::Conversations.into()));
                }
                Viewer::Office { user_id: staff.user_id.clone(), name: viewer.display_name.clone() }
            }
            (Surface::JobPage | Surface::AccountHub, None, Some(contact_id)) => {
                Viewer::Contact { contact_id: contact_id.clone(), proven_email: viewer.proven_email.clone(), name: viewer.display_name.clone() }
            }
            _ => return Err(Error::Invalid("the viewer is neither a signed-in contact nor the office".into())),
        };
        Ok(ConversationScope {
            db,
            service,
            tenant_id: self.scope.tenant_id.clone(),
            plugin_id: self.scope.plugin_id.clone(),
            job_id: self.scope.job_id.clone(),
            viewer,
            preview: self.scope.preview,
        })
    }
}

/// A refusal of the service in the contract's words.
fn refused(error: ConversationError) -> Error {
    match error {
        ConversationError::Invalid(why) => Error::Invalid(why),
        ConversationError::NotFound => Error::NotFound,
        other => unavailable(other),
    }
}

impl conversations::Host for CallState {
    async fn list_threads(&mut self, subject: Option<String>) -> Result<Vec<conversations::Thread>, Error> {
        let scope = self.conversation_scope(None)?;
        let lines = scope
            .service
            .section_threads(&scope.tenant_id, &scope.plugin_id, subject.as_deref(), scope.side(), scope.job_id.as_ref())
            .await
            .map_err(unavailable)?;
        Ok(lines.iter().map(|line| scope.view(line)).collect())
    }

    async fn messages(&mut self, thread_id: String) -> Result<Vec<conversations::Message>, Error> {
        let scope = self.conversation_scope(None)?;
        let conversation = scope.thread(&thread_id).await?;
        let tenant = scope.db.tenant(&scope.tenant_id);
        // Staff looking at a client's page in preview read nothing in their name.
        let messages = if scope.preview {
            tenant.messages(&conversation.id).await.map_err(unavailable)?
        } else {
            let business = tenant.business().await.map_err(unavailable)?.ok_or(Error::NotFound)?;
            scope.service.read(&business, &conversation, scope.reader()).await.map_err(unavailable)?.0
        };
        Ok(messages
            .into_iter()
            .map(|message| conversations::Message {
                from_office: message.author_kind == PersonKind::Staff.as_str(),
                files: message.attachments.into_iter().map(file_info).collect(),
                id: message.id,
                author_name: message.author_name,
                body: message.body,
                sent_at: message.created_at,
            })
            .collect())
    }

    async fn write(&mut self, subject: String, title: String, body: String, files: Vec<String>, to: Option<String>) -> Result<conversations::Thread, Error> {
        let scope = self.conversation_scope(Some(Change::ForViewer))?;
        scope.writable()?;
        let business = scope.db.tenant(&scope.tenant_id).business().await.map_err(unavailable)?.ok_or(Error::NotFound)?;
        let draft = Draft { body, files: Vec::new(), attached: files };
        let conversation = scope
            .service
            .write_on_subject(&business, &scope.plugin_id, &subject, &title, scope.side(), scope.job_id.as_ref(), to.as_deref(), draft)
            .await
            .map_err(refused)?;
        scope.line(&conversation).await
    }

    async fn reply(&mut self, thread_id: String, body: String, files: Vec<String>) -> Result<conversations::Message, Error> {
        let scope = self.conversation_scope(Some(Change::ForViewer))?;
        scope.writable()?;
        let conversation = scope.thread(&thread_id).await?;
        let business = scope.db.tenant(&scope.tenant_id).business().await.map_err(unavailable)?.ok_or(Error::NotFound)?;
        let draft = Draft { body, files: Vec::new(), attached: files };
        let author = scope.reader();
        let message = scope.service.reply_from_section(&business, &scope.plugin_id, &conversation, author, draft).await.map_err(refused)?;
        Ok(conversations::Message {
            id: message.id,
            author_name: message.author_name,
            from_office: message.author_kind == PersonKind::Staff.as_str(),
            body: message.body,
            files: message.attachments.into_iter().map(file_info).collect(),
            sent_at: message.created_at,
        })
    }
}
